/* lease: named locks that hold across hosts and database nodes (a row of
 * `leases` with a holder and an expiry), for what GET_LOCK did on one
 * server: the batch jobs' runs, the media store's edits. */
#ifndef ENCORE_LEASE_H
#define ENCORE_LEASE_H

struct arena;
struct db;

/* Room for a holder's name: "host:pid:random". */
#define LEASE_HOLDER_MAX 128

/* lease_holder: a name for this process ("host:pid:8 hex"), unique across
 * hosts and runs, into buf (LEASE_HOLDER_MAX bytes). */
void lease_holder(char *buf);

/* lease_take: hold lease `name` (at most 64 bytes) for `seconds` when it is
 * free or its holder let it expire. 0 when held, RC_CONFLICT when another
 * holder has it (its name in *other, in `a`, when other is not NULL),
 * RC_DB. */
int lease_take(struct db *d, struct arena *a, const char *name,
               const char *holder, int seconds, const char **other);

/* lease_renew: push the expiry of a held lease `seconds` from now. 0, or
 * RC_CONFLICT when this holder no longer has it (it expired and another
 * took it), RC_DB. */
int lease_renew(struct db *d, struct arena *a, const char *name,
                const char *holder, int seconds);

/* lease_give: give a held lease back (nothing when another holds it). 0 or
 * RC_DB. */
int lease_give(struct db *d, struct arena *a, const char *name,
               const char *holder);

#endif
