/* catalogue: what artists, albums and tracks share: external ids, the read
 * of an object's JSON through its memcached copy under a versioned
 * namespace, the bumps that invalidate that copy, and the id-ordered
 * lists. */
#ifndef ENCORE_CATALOGUE_H
#define ENCORE_CATALOGUE_H

#include <json-c/json.h>
#include <stddef.h>

struct arena;
struct db;
struct db_res;
struct db_row;
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

/* Objects cat_texts reads from MariaDB at once: a whole page, since a
 * statement's fixed cost (about 0.3 ms on the generated world) is that of
 * ten rows; unused slots are 0, which costs next to nothing. CAT_IN is the
 * IN list of its statement, CAT_BATCH placeholders. */
#define CAT_BATCH 100
#define CAT_Q10 "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
#define CAT_IN                                                                 \
  "(" CAT_Q10 CAT_Q10 CAT_Q10 CAT_Q10 CAT_Q10 CAT_Q10 CAT_Q10 CAT_Q10 CAT_Q10  \
  "?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

/* One kind of catalogue object (artist, album, track): its namespace, the
 * statements that read it, each selecting the columns row_json reads, and
 * how a row becomes its API JSON. Each model defines one, with designated
 * initializers; the reads, the cache and the id-ordered lists below are the
 * same for all three. */
struct cat_kind {
  const char *name;       /* "artist": its JSON is cached under "artist:<id>" */
  const char *by_id;      /* one object; parameter: its id */
  const char *by_ids;     /* CAT_BATCH objects, "... IN " CAT_IN; NULL when the
                           * kind is never read in batches */
  const char *list;       /* id order; parameters: after, limit */
  const char *list_genre; /* id order, of one genre; parameters: the genre's
                           * id, after, limit */
  /* row_json: the API JSON of the object in `row` (a new object) and its
   * id in *id; ctx is what the caller of cat_text passed (NULL from
   * cat_texts). */
  json_object *(*row_json)(struct arena *a, const struct db_row *row,
                           const void *ctx, long long *id);
};

/* cat_text: the API JSON of object `id` of a kind, from memcached when
 * cached (one round trip), else read by kind->by_id and cached under the
 * namespace version taken before MariaDB was read, so a write in between
 * leaves it unreachable. RC_NOT_FOUND when absent. */
int cat_text(struct db *d, struct kv *k, struct arena *a,
             const struct cat_kind *kind, long long id, const void *ctx,
             const char **text, size_t *len);
/* cat_texts: cat_text of n objects of one kind (texts[i] NULL for one that
 * does not exist): the cached ones in one memcached round trip, the others
 * by kind->by_ids, CAT_BATCH at a time, then cached (versions for
 * namespaces without one and the entries sent unanswered). */
int cat_texts(struct db *d, struct kv *k, struct arena *a,
              const struct cat_kind *kind, const long long *ids, int n,
              const char **texts, size_t *lens);
/* cat_list: the rows of up to `limit` objects of a kind with id > after, in
 * id order, only those of genre_id when it is not 0 (kind->list or
 * kind->list_genre). 0 or a db code. */
int cat_list(struct db *d, struct arena *a, const struct cat_kind *kind,
             long long genre_id, long long after, int limit,
             struct db_res *res);
/* cat_bump: new version of namespace "<kind>:<id>" (every write of what that
 * object's JSON shows). */
void cat_bump(struct kv *k, const char *kind, long long id);

#endif
