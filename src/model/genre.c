/* genre: genre names and their links to artists, albums and tracks. */
#include "model/genre.h"

#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"

/* genre_id: the id of a name, inserting it when absent. LAST_INSERT_ID(id)
 * makes the existing row's id the insert id, so one statement answers both
 * cases. */
static int genre_id(struct db *d, struct arena *a, const char *name,
                    long long *id) {
  struct db_res res;
  struct db_val p = DB_S(name);
  int rc = db_exec(d, a,
                   "INSERT INTO genres (name) VALUES (?) "
                   "ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)",
                   &p, 1, 0, &res);
  if (rc) return rc;
  *id = (long long)res.insert_id;
  return 0;
}

int genre_set(struct db *d, struct arena *a, enum genre_owner owner,
              long long id, json_object *names) {
  struct db_val p = DB_I(id);
  int rc;
  switch (owner) {
  case GENRE_ARTIST:
    rc = db_exec(d, a, "DELETE FROM artist_genres WHERE artist_id = ?", &p, 1,
                 0, NULL);
    break;
  case GENRE_ALBUM:
    rc = db_exec(d, a, "DELETE FROM album_genres WHERE album_id = ?", &p, 1, 0,
                 NULL);
    break;
  default:
    rc = db_exec(d, a, "DELETE FROM track_genres WHERE track_id = ?", &p, 1, 0,
                 NULL);
    break;
  }
  if (rc) return rc;
  size_t n = names ? json_object_array_length(names) : 0;
  for (size_t i = 0; i < n; i++) {
    long long gid;
    const char *name =
        json_object_get_string(json_object_array_get_idx(names, i));
    if ((rc = genre_id(d, a, name, &gid))) return rc;
    struct db_val q[] = {DB_I(id), DB_I(gid)};
    /* IGNORE: two spellings of one name under the case-insensitive
     * collation are the same genre. */
    switch (owner) {
    case GENRE_ARTIST:
      rc = db_exec(d, a,
                   "INSERT IGNORE INTO artist_genres (artist_id, genre_id) "
                   "VALUES (?, ?)",
                   q, 2, 0, NULL);
      break;
    case GENRE_ALBUM:
      rc = db_exec(d, a,
                   "INSERT IGNORE INTO album_genres (album_id, genre_id) "
                   "VALUES (?, ?)",
                   q, 2, 0, NULL);
      break;
    default:
      rc = db_exec(d, a,
                   "INSERT IGNORE INTO track_genres (track_id, genre_id) "
                   "VALUES (?, ?)",
                   q, 2, 0, NULL);
      break;
    }
    if (rc) return rc;
  }
  return 0;
}

int genre_list(struct db *d, struct arena *a, long long after, int limit,
               struct db_res *res) {
  struct db_val p[] = {DB_I(after), DB_I(limit)};
  return db_exec(d, a,
                 "SELECT id, name FROM genres WHERE id > ? ORDER BY id LIMIT ?",
                 p, 2, DB_IDEMPOTENT, res);
}

int genre_id_by_name(struct db *d, struct arena *a, const char *name,
                     long long *id) {
  struct db_res res;
  struct db_val p = DB_S(name);
  int rc = db_exec(d, a, "SELECT id FROM genres WHERE name = ?", &p, 1,
                   DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_NOT_FOUND;
  *id = db_i64(&res.rows[0], 0, 0);
  return 0;
}

json_object *genre_names(struct arena *a, const char *text) {
  json_object *o = NULL;
  const char *why;
  if (text && jx_parse(a, text, strlen(text), &o, &why) == 0 &&
      json_object_is_type(o, json_type_array))
    return json_object_get(o); /* the parsed root stays owned by the arena */
  return json_object_new_array();
}
