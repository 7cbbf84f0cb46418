/* like: likes of tracks, albums and playlists: like, unlike, list mine.
 * A like changes the liked object's like_count, so every change bumps the
 * object's cache namespace ("track:<id>", "album:<id>", "playlist:<id>"). */
#ifndef ENCORE_LIKE_H
#define ENCORE_LIKE_H

#include <json-c/json.h>

struct arena;
struct db;
struct kv;

/* Kinds of liked objects; the values are the positions in the likes
 * table's ENUM (what `object_type + 0` gives), 0 meaning "any". */
enum like_type {
  LIKE_ANY = 0,
  LIKE_TRACK = 1,
  LIKE_ALBUM = 2,
  LIKE_PLAYLIST = 3
};

/* like_type_parse: "track"/"tracks", "album"/"albums", "playlist"/
 * "playlists" (plural only when plural is set). RC_INVALID otherwise. */
int like_type_parse(const char *s, int plural, enum like_type *t);

/* like_put: user likes object id of type t (already liked: no change).
 * RC_NOT_FOUND when the object does not exist or is a playlist the user
 * may not see (owner, not private, or granted). */
int like_put(struct db *d, struct kv *k, struct arena *a, long long user_id,
             enum like_type t, long long id);
/* like_delete: remove the like; 0 when it existed or the object is visible
 * (nothing to remove), else RC_NOT_FOUND. */
int like_delete(struct db *d, struct kv *k, struct arena *a, long long user_id,
                enum like_type t, long long id);

/* like_parse_cursor: a likes cursor "<ms>|<type>|<id>". RC_INVALID if bad. */
int like_parse_cursor(const char *text, long long *ms, int *type,
                      long long *id);
/* like_list: the user's likes of type t (LIKE_ANY: all), newest first, of
 * objects that still exist and are visible to the user; a new json array in
 * *items, the cursor text of the next page in *next (NULL at the end).
 * after_type 0: first page. */
int like_list(struct db *d, struct arena *a, long long user_id,
              enum like_type t, long long after_ms, int after_type,
              long long after_id, int limit, json_object **items,
              const char **next);

#endif
