/* catalogue: what artists, albums and tracks share: external ids, the
 * memcached copy of an object's JSON under its versioned namespace, and the
 * bumps that invalidate it. */
#ifndef ENCORE_CATALOGUE_H
#define ENCORE_CATALOGUE_H

#include <json-c/json.h>
#include <stddef.h>

struct arena;
struct db;
struct db_val;
struct kv;

/* External ids of a catalogue object (NULL when unknown). */
struct cat_ext {
  const char *mbid, *spotify, *apple;
};

/* Cached object JSON lives this long at most (seconds); versions make it
 * exact, the TTL only returns memory. */
#define CAT_TTL 86400

/* cat_ext_json: {musicbrainz, spotify, apple_music}, a new object. */
json_object *cat_ext_json(const struct cat_ext *e);
/* cat_cache_get: the cached JSON of namespace "<kind>:<id>" in *text, in
 * one memcached round trip; or *text NULL and *stamp set to what
 * cat_cache_put needs after a MariaDB read (*stamp NULL when the cache is
 * down: then nothing is stored). */
void cat_cache_get(struct kv *k, struct arena *a, const char *kind,
                   long long id, const char **text, size_t *len, char **stamp);
/* Objects a cat_read_fn reads from MariaDB at once: a whole page, since
 * a statement's fixed cost (about 0.3 ms on the generated world) is that of
 * ten rows; unused slots are 0, which costs next to nothing. CAT_IN is the
 * IN list of its statement, CAT_BATCH placeholders. */
#define CAT_BATCH 100
#define CAT_Q10 "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
#define CAT_IN                                                                 \
  "(" CAT_Q10 CAT_Q10 CAT_Q10 CAT_Q10 CAT_Q10 CAT_Q10 CAT_Q10 CAT_Q10 CAT_Q10 \
  "?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
/* cat_read_fn: the API JSON (in the arena) of the objects ids[0..CAT_BATCH)
 * (0: an unused slot) in texts[i], NULL for one that does not exist, with
 * one statement. Returns 0 or a db code. */
typedef int (*cat_read_fn)(struct db *d, struct arena *a,
                           const long long ids[CAT_BATCH], const char **texts,
                           size_t *lens);
/* cat_batch_params: the parameters of a cat_read_fn's statement (ids as
 * they are), every text NULL. */
void cat_batch_params(const long long ids[CAT_BATCH], struct db_val *params,
                      const char **texts);
/* cat_batch_found: give the JSON read for object id to the slots naming it. */
void cat_batch_found(const long long ids[CAT_BATCH], long long id,
                     const char *text, size_t len, const char **texts,
                     size_t *lens);
/* cat_texts: the API JSON of n objects of one kind (texts[i] NULL for one
 * that does not exist): the cached ones in one memcached round trip, the
 * others through `fetch`, CAT_BATCH at a time, then cached (versions for
 * namespaces without one and the entries sent unanswered). */
int cat_texts(struct db *d, struct kv *k, struct arena *a, const char *kind,
              cat_read_fn fetch, const long long *ids, int n,
              const char **texts, size_t *lens);
/* cat_cache_put: store the JSON read under the namespace version of
 * `stamp` (read before MariaDB was, so a write in between leaves it
 * unreachable). */
void cat_cache_put(struct kv *k, struct arena *a, const char *kind,
                   long long id, const char *stamp, const char *text,
                   size_t len);
/* cat_bump: new version of namespace "<kind>:<id>" (every write of what that
 * object's JSON shows). */
void cat_bump(struct kv *k, const char *kind, long long id);

#endif
