/* album: catalogue albums over MariaDB, their JSON (with the primary artist's
 * name and the art URL), its memcached copy under namespace "album:<id>",
 * and the album's art file reference. */
#ifndef ENCORE_ALBUM_H
#define ENCORE_ALBUM_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "model/catalogue.h"

struct arena;
struct db;
struct kv;

/* An album row; strings live in the arena of the call that read it. */
struct album {
  long long id, artist_id;
  const char *title, *artist_name, *type, *label, *release_date;
  const char *art_path; /* under the media directory, NULL without art */
  long long art_width, art_height;
  struct cat_ext ext;
  long long track_count, popularity, like_count, created_at, updated_at;
  const char *genres; /* JSON array text, NULL for none */
  const char *stamp;  /* updated_at to the microsecond: the version a PATCH
                       * read, checked by the UPDATE */
};

/* album_get: by id, from MariaDB. RC_NOT_FOUND when absent. */
int album_get(struct db *d, struct arena *a, long long id, struct album *x);
/* album_text: the API JSON of one album (art_url = media_url/art_path), from
 * memcached when cached, else from MariaDB (then cached). */
int album_text(struct db *d, struct kv *k, struct arena *a, long long id,
               const char *media_url, const char **text, size_t *len);
/* album_list: up to limit albums with id > after in id order; only those of
 * genre_id when not 0. */
int album_list(struct db *d, struct arena *a, long long genre_id,
               long long after, int limit, struct album **items, int *n);
/* album_by_artist: albums of one artist by release date, then id; `after`
 * is the cursor text "<date or ->|<id>" or NULL. */
int album_by_artist(struct db *d, struct arena *a, long long artist_id,
                    const char *after_date, long long after_id, int limit,
                    struct album **items, int *n);
/* album_save: insert (create; x->id set) or update (only while
 * updated_at still equals x->stamp, else RC_PRECONDITION: the caller read
 * an older version and should apply its change again) the editable columns
 * (title, artist_id, type, label, release_date, external ids); genres
 * replaced when not NULL. Bumps the album and, when `retitled`, the tracks
 * that embed its title; reindexes it for search. */
int album_save(struct db *d, struct kv *k, struct arena *a, struct album *x,
               json_object *genres, bool create, bool retitled);
/* album_delete: RC_CONFLICT while tracks still belong to the album (refuse
 * while referenced). *orphan is set to the art path the caller must unlink
 * when no album or playlist uses it any more (NULL for none); call with the
 * media lock held. */
int album_delete(struct db *d, struct kv *k, struct arena *a, long long id,
                 const char **orphan);
/* album_set_art: point the album at a new art file (NULL path: no art).
 * *orphan is the previous path when no album art or playlist cover
 * references it any more (the caller unlinks it), else NULL. Call with the
 * media lock held. */
int album_set_art(struct db *d, struct kv *k, struct arena *a, long long id,
                  const char *path, int width, int height, const char **orphan);
/* album_json: the API view (a new object). */
json_object *album_json(struct arena *a, const struct album *x,
                        const char *media_url);

#endif
