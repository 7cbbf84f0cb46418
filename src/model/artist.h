/* artist: catalogue artists over MariaDB, their JSON, and its memcached copy
 * under namespace "artist:<id>". */
#ifndef ENCORE_ARTIST_H
#define ENCORE_ARTIST_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "model/catalogue.h"

struct arena;
struct db;
struct kv;

/* An artist row; strings live in the arena of the call that read it. */
struct artist {
  long long id;
  const char *name, *bio, *country, *image_url;
  struct cat_ext ext;
  long long popularity, created_at, updated_at;
  const char *genres; /* JSON array text, NULL for none */
  const char *stamp;  /* updated_at to the microsecond: the version a PATCH
                       * read, checked by the UPDATE */
};

/* artist_get: by id, from MariaDB. RC_NOT_FOUND when absent. */
int artist_get(struct db *d, struct arena *a, long long id, struct artist *x);
/* artist_exists: 0 when the artist exists, RC_NOT_FOUND when not. */
int artist_exists(struct db *d, struct arena *a, long long id);
/* artist_text: the API JSON of one artist, from memcached when cached, else
 * from MariaDB (then cached). RC_NOT_FOUND when absent. */
int artist_text(struct db *d, struct kv *k, struct arena *a, long long id,
                const char **text, size_t *len);
/* artist_texts: artist_text of n artists (texts[i] NULL for one that does
 * not exist): one memcached round trip, MariaDB CAT_BATCH at a time for the
 * misses. */
int artist_texts(struct db *d, struct kv *k, struct arena *a,
                 const long long *ids, int n, const char **texts, size_t *lens);
/* artist_list: up to limit artists with id > after in id order, only those
 * of genre_id when it is not 0. *items is an arena array. */
int artist_list(struct db *d, struct arena *a, long long genre_id,
                long long after, int limit, struct artist **items, int *n);
/* artist_save: insert (create; x->id set) or update (only while
 * updated_at still equals x->stamp, else RC_PRECONDITION: the caller read
 * an older version and should apply its change again) every column of x, and
 * replace the genres when `genres` (array of names) is not NULL. Bumps what
 * shows the artist: its own JSON and, when `renamed`, the albums and tracks
 * that embed its name. Reindexes it for search. */
int artist_save(struct db *d, struct kv *k, struct arena *a, struct artist *x,
                json_object *genres, bool create, bool renamed);
/* artist_delete: RC_CONFLICT while albums or tracks still reference the
 * artist (refuse while referenced), RC_NOT_FOUND when absent. */
int artist_delete(struct db *d, struct kv *k, struct arena *a, long long id);
/* artist_json: the API view (a new object). */
json_object *artist_json(struct arena *a, const struct artist *x);

#endif
