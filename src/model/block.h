/* block: blocks and mutes between users, private to the one who made them.
 * A block is a wall both ways for following (blocking removes the follows
 * and requests of both directions, and neither may follow the other while
 * it stands) and one way for seeing: the one blocked sees nothing of the
 * blocker's (profile details, activity, playlists, comments) and cannot
 * comment on the blocker's things or reach them by a mention. A mute only
 * hides the muted from the muter's feed. Every read that shows one user's
 * things to another applies these rules in its SQL (BLOCK_HIDES). */
#ifndef ENCORE_BLOCK_H
#define ENCORE_BLOCK_H

#include <json-c/json.h>
#include <stdbool.h>

struct arena;
struct db;

/* BLOCK_HIDES(owner): true when `owner` (an SQL expression) has blocked the
 * viewer, the one parameter it takes. */
#define BLOCK_HIDES(owner)                                                     \
  "EXISTS (SELECT 1 FROM blocks bh WHERE bh.blocker_id = " owner               \
  " AND bh.blocked_id = ?)"

/* Which list a relation belongs to. */
enum block_kind { BLOCK_BLOCK, BLOCK_MUTE };

/* block_put: `by` blocks (or mutes) `who`; idempotent (*created says
 * whether it is new). A block also removes every follow and request
 * between the two, keeping the follower counts. RC_LIMIT past the cap. */
int block_put(struct db *d, struct arena *a, enum block_kind kind, long long by,
              long long who, bool *created);
/* block_delete: lift it; idempotent (*had says whether there was one). */
int block_delete(struct db *d, enum block_kind kind, long long by,
                 long long who, bool *had);
/* block_between: whether either of a and b has blocked the other. */
int block_between(struct db *d, struct arena *a, long long x, long long y,
                  bool *blocked);
/* block_hides: whether `owner` has blocked `viewer` (0 viewer: no). */
int block_hides(struct db *d, struct arena *a, long long owner,
                long long viewer, bool *hidden);
/* block_list: `by`'s blocks or mutes, newest first, after the relation
 * whose id is `after` (0: from the start): items [{user, created_at}] and
 * the id to continue after (0 at the end). */
int block_list(struct db *d, struct arena *a, enum block_kind kind,
               long long by, long long after, int limit, json_object **items,
               long long *next);

#endif
