/* generate: synthetic worlds for demos and benchmarks (encore-admin). */
#ifndef ENCORE_ADMIN_GENERATE_H
#define ENCORE_ADMIN_GENERATE_H

#include <stdbool.h>

struct arena;
struct db;
struct kv;

/* admin_world_exists: whether the database holds a generated world (its
 * users' addresses end in @generated.invalid). 0 or RC_DB. */
int admin_world_exists(struct db *d, struct arena *a, bool *exists);

/* admin_generate: `generate [options]` — make a deterministic synthetic
 * world (genres, artists, albums, tracks, users, listens, likes, follows,
 * playlists) from a seed and bulk-load it (see generate.c). kv may be NULL.
 * Returns the exit status: 0, 1 on failure, 2 on bad usage. */
int admin_generate(struct db *d, struct kv *kv, struct arena *a, int argc,
                   char **argv);

#endif
