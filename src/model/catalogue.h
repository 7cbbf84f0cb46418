/* catalogue: what artists, albums and tracks share: external ids, the
 * memcached copy of an object's JSON under its versioned namespace, and the
 * bumps that invalidate it. */
#ifndef ENCORE_CATALOGUE_H
#define ENCORE_CATALOGUE_H

#include <json-c/json.h>
#include <stddef.h>

struct arena;
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
/* cat_cache_mget: the cached JSON of namespaces "<kind>:<ids[i]>" for n
 * objects in one memcached round trip: texts[i] NULL for each miss (read
 * those with <kind>_text), all NULL when the cache is down. */
void cat_cache_mget(struct kv *k, struct arena *a, const char *kind,
                    const long long *ids, int n, const char **texts,
                    size_t *lens);
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
