/* dislike: "not for me", explicit negative feedback on tracks and artists:
 * dislike, undislike, list mine. Recommendations leave out what a user
 * dislikes and the batch counts it as a negative, so every change drops the
 * user's cached recommendations (user_taste_changed). A track is liked or
 * disliked, not both: disliking a liked track removes the like, and liking
 * a disliked track removes the dislike (like.h). */
#ifndef ENCORE_DISLIKE_H
#define ENCORE_DISLIKE_H

#include <json-c/json.h>
#include <stdbool.h>

struct arena;
struct db;
struct kv;

/* Kinds of disliked objects; the values are the positions in the dislikes
 * table's ENUM (`object_type + 0`), 0 meaning "any". */
enum dislike_type { DISLIKE_ANY = 0, DISLIKE_TRACK = 1, DISLIKE_ARTIST = 2 };

/* dislike_type_parse: "track"/"tracks", "artist"/"artists" (plural only
 * when plural is set). RC_INVALID otherwise. */
int dislike_type_parse(const char *s, int plural, enum dislike_type *t);

/* dislike_put: user dislikes object id of type t (already disliked: no
 * change); a like of the same track is removed. RC_NOT_FOUND when the
 * object does not exist, RC_LIMIT when a new dislike would pass
 * CAP_USER_DISLIKES (cap.h). */
int dislike_put(struct db *d, struct kv *k, struct arena *a, long long user_id,
                enum dislike_type t, long long id);
/* dislike_drop: delete the user's dislike of (t, id) if there is one
 * (*dropped); nothing else. Liking a track drops its dislike with it. */
int dislike_drop(struct db *d, long long user_id, enum dislike_type t,
                 long long id, bool *dropped);
/* dislike_delete: remove the dislike; 0 when it existed or the object
 * exists (nothing to remove), else RC_NOT_FOUND. */
int dislike_delete(struct db *d, struct kv *k, struct arena *a,
                   long long user_id, enum dislike_type t, long long id);

/* dislike_list: the user's dislikes of type t (DISLIKE_ANY: all), newest
 * first, of objects that still exist; a new json array in *items, the
 * cursor text of the next page ("<ms>|<type>|<id>", read with
 * like_parse_cursor) in *next (NULL at the end). after_type 0: first
 * page. */
int dislike_list(struct db *d, struct arena *a, long long user_id,
                 enum dislike_type t, long long after_ms, int after_type,
                 long long after_id, int limit, json_object **items,
                 const char **next);

#endif
