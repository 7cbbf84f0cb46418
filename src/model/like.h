/* like: likes of tracks, albums and playlists: like, unlike, list mine.
 * A like changes the liked object's like_count, so every change bumps the
 * object's cache namespace ("track:<id>", "album:<id>", "playlist:<id>"),
 * and the user's taste, so it drops their cached recommendations. Liking a
 * track removes the user's dislike of it (see dislike.h). */
#ifndef ENCORE_LIKE_H
#define ENCORE_LIKE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/db.h"
#include "model/cap.h"

struct arena;
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
/* like_name_parse: the position i (1 <= i < n) of s among names[1..n-1],
 * names[0] being unused; with plural set only the name followed by "s"
 * matches. RC_INVALID when none does. Dislikes parse their types with it. */
int like_name_parse(const char *const *names, int n, const char *s, int plural);

/* like_put: user likes object id of type t (already liked: no change;
 * *added says whether the like is new).
 * RC_NOT_FOUND when the object does not exist or is a playlist the user
 * may not open by id (public, owned or granted); RC_LIMIT when a new like
 * would pass CAP_USER_LIKES (cap.h). */
int like_put(struct db *d, struct kv *k, struct arena *a, long long user_id,
             enum like_type t, long long id, bool *added);
/* A table of marks users put on objects (likes, dislikes): what like_mark
 * needs to add one. */
struct like_table {
  /* INSERT IGNORE of (user_id, object_type, object_id), three parameters */
  const char *insert_sql;
  /* one user's rows counted, and their cap (cap.h) */
  struct cap_of cap;
  /* seen: whether user_id may mark object id of type position t (*yes),
   * share locking what must not be deleted before the row goes in */
  int (*seen)(struct db *d, struct arena *a, long long user_id, int t,
              long long id, bool *yes);
};
/* like_mark: add user_id's mark of object id, of type position t named
 * type_name, to tb: one transaction under the user's row lock (cap.h),
 * run again after a deadlock. *changed when a row was added (a mark
 * repeated adds none and is never refused). RC_NOT_FOUND when tb->seen
 * says no, RC_LIMIT when a new mark would pass the cap (tb->cap). */
int like_mark(struct db *d, struct arena *a, const struct like_table *tb,
              long long user_id, int t, const char *type_name, long long id,
              bool *changed);
/* like_drop: delete the user's like of (t, id) if there is one (*dropped),
 * bumping the object's namespace; nothing else (no taste bump, no
 * visibility check). Disliking a track drops its like with it. */
int like_drop(struct db *d, struct kv *k, long long user_id, enum like_type t,
              long long id, bool *dropped);
/* like_delete: remove the like; 0 when it existed or the object is visible
 * (nothing to remove), else RC_NOT_FOUND. */
int like_delete(struct db *d, struct kv *k, struct arena *a, long long user_id,
                enum like_type t, long long id);

/* like_parse_cursor: a likes (or dislikes) cursor "<ms>|<type>|<id>" with
 * 1 <= type <= max_type. RC_INVALID if bad. */
int like_parse_cursor(const char *text, int max_type, long long *ms, int *type,
                      long long *id);
/* The parameters of a likes or dislikes list query (LIKE_KEYSET_N of them,
 * in this order): user_id, type filter (twice; 0 any), the cursor's time
 * (twice), its type position (twice) and id, limit + 1. The query orders
 * by (created_at, type position, object id), all descending. */
#define LIKE_KEYSET_N 9
struct like_keyset {
  char after[40]; /* the cursor's DATETIME(3) literal; p points into it */
  struct db_val p[LIKE_KEYSET_N];
};
/* The SQL around those parameters, over the list's table aliased l: the
 * leading columns that like_page reads, the WHERE condition (the first 8
 * parameters) and the ORDER BY and LIMIT (the last). */
#define LIKE_KEYSET_COLS                                                       \
  "l.object_type + 0, l.object_id, "                                           \
  "CAST(UNIX_TIMESTAMP(l.created_at) * 1000 AS SIGNED)"
#define LIKE_KEYSET_WHERE                                                      \
  "l.user_id = ? AND (? = 0 OR l.object_type + 0 = ?) "                        \
  "AND l.created_at <= ? AND (l.created_at < ? OR l.object_type + 0 < ? "      \
  "OR (l.object_type + 0 = ? AND l.object_id < ?))"
#define LIKE_KEYSET_ORDER                                                      \
  "ORDER BY l.created_at DESC, l.object_type DESC, l.object_id DESC LIMIT ?"
/* like_keyset: fill k for a list of type t (0: any) of types 1..max_type
 * after a cursor (after_type 0: the first page). */
void like_keyset(struct like_keyset *k, long long user_id, int t, int max_type,
                 long long after_ms, int after_type, long long after_id,
                 int limit);
/* like_obj_fn: the summary of one listed object of type position ty from
 * its row (a new object). */
typedef json_object *like_obj_fn(int ty, long long id,
                                 const struct db_row *row);
/* like_page: the page of a likes or dislikes list query whose rows begin
 * with (type position, object id, unix ms): at most limit items {type, id,
 * <at_key>: time, <type name>: obj(row)}, names[1..max_type] naming the
 * types, into *items (new array), and the cursor text of the next page in
 * *next (arena; NULL at the end). 0 or RC_NOMEM. */
int like_page(struct arena *a, const struct db_res *res, int limit,
              const char *const *names, int max_type, const char *at_key,
              like_obj_fn *obj, json_object **items, const char **next);
/* LIKE_TRACK_ARTISTS_SQL: a select-list item, the JSON array text of the
 * credited artists [{id,name,role}] of the track aliased t. */
#define LIKE_TRACK_ARTISTS_SQL                                                 \
  "(SELECT JSON_ARRAYAGG(JSON_OBJECT('id', ar.id, 'name', ar.name, 'role', "   \
  "ta.role) ORDER BY ta.role, ta.position, ar.id) FROM track_artists ta "      \
  "JOIN artists ar ON ar.id = ta.artist_id WHERE ta.track_id = t.id)"
/* like_track_json: {id, title, artists} of a listed track, artists parsed
 * from LIKE_TRACK_ARTISTS_SQL's text (NULL: none). A new object. */
json_object *like_track_json(long long id, const char *title,
                             const char *artists);
/* like_list: the user's likes of type t (LIKE_ANY: all), newest first, of
 * objects that still exist and are visible to the user; a new json array in
 * *items, the cursor text of the next page in *next (NULL at the end).
 * after_type 0: first page. */
int like_list(struct db *d, struct arena *a, long long user_id,
              enum like_type t, long long after_ms, int after_type,
              long long after_id, int limit, json_object **items,
              const char **next);

#endif
