/* inval: invalidations that memcached did not take, kept in MariaDB until
 * they can be delivered. A write commits to MariaDB, then bumps the cached
 * object's namespace (or deletes its key); when memcached cannot be reached
 * at that moment, the old entry would be served again once it answers. The
 * kv module reports each such loss; inval records it in the cache_repairs
 * table, and every process serving from the cache replays the recorded rows
 * about once a second (inval_replay) and deletes those delivered. */
#ifndef ENCORE_INVAL_H
#define ENCORE_INVAL_H

struct db;
struct kv;

/* inval_attach: from now on, record every invalidation k fails to deliver
 * through d. Both must outlive k's use. */
void inval_attach(struct kv *k, struct db *d);
/* inval_replay: when at least a second has passed since the last call
 * (monotonic clock), deliver up to a batch of recorded invalidations and
 * delete those delivered. Cheap when there is nothing to do (one indexed
 * read). Returns how many were delivered, or a negative RC code. */
int inval_replay(struct kv *k, struct db *d);
/* inval_replay_now: inval_replay without the once-a-second pacing (tests,
 * and programs that want the table empty before they start). */
int inval_replay_now(struct kv *k, struct db *d);

#endif
