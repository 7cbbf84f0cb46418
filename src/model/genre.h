/* genre: the genre names shared by artists, albums and tracks (created on
 * demand when a write names one), their links to those objects, and the
 * public genre list. */
#ifndef ENCORE_GENRE_H
#define ENCORE_GENRE_H

#include <json-c/json.h>

struct arena;
struct db;
struct db_res;

/* Which object a set of genre links belongs to. */
enum genre_owner { GENRE_ARTIST, GENRE_ALBUM, GENRE_TRACK };

#define GENRE_NAME_MAX 255 /* code points (genres.name) */
/* The per-field error of a genre name past it, for query parameters. */
#define GENRE_NAME_ERROR "must be a genre name of 1 to 255 characters"
#define GENRE_PER_OBJECT 20

/* genre_set: replace the genres of one object by `names` (a JSON array of
 * strings, validated by the caller), creating unknown names. Run it inside
 * the caller's transaction. 0 or a db code. */
int genre_set(struct db *d, struct arena *a, enum genre_owner owner,
              long long id, json_object *names);
/* genre_list: up to `limit` genres with id > after, by id; rows (id, name). */
int genre_list(struct db *d, struct arena *a, long long after, int limit,
               struct db_res *res);
/* genre_id_by_name: RC_NOT_FOUND when no genre has that name. */
int genre_id_by_name(struct db *d, struct arena *a, const char *name,
                     long long *id);
/* genre_names: the JSON array stored by a JSON_ARRAYAGG column (NULL when the
 * object has none): a new array, [] for NULL or unreadable text. */
json_object *genre_names(struct arena *a, const char *text);

#endif
