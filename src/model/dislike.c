/* dislike: dislikes over MariaDB (the dislikes table); see dislike.h. */
#include "model/dislike.h"

#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"
#include "model/cap.h"
#include "model/like.h"
#include "model/user.h"

static const char *const type_names[] = {NULL, "track", "artist"};

int dislike_type_parse(const char *s, int plural, enum dislike_type *t) {
  int i = like_name_parse(type_names, DISLIKE_ARTIST + 1, s, plural);
  if (i < 0) return i;
  *t = (enum dislike_type)i;
  return 0;
}

/* exists: whether object id of type t exists (tracks and artists are
 * public). */
static int exists(struct db *d, struct arena *a, enum dislike_type t,
                  long long id, bool *yes) {
  struct db_val p = DB_I(id);
  struct db_res res;
  int rc;
  *yes = false;
  if (t == DISLIKE_TRACK)
    rc = db_exec(d, a, "SELECT 1 FROM tracks WHERE id = ?", &p, 1,
                 DB_IDEMPOTENT, &res);
  else if (t == DISLIKE_ARTIST)
    rc = db_exec(d, a, "SELECT 1 FROM artists WHERE id = ?", &p, 1,
                 DB_IDEMPOTENT, &res);
  else
    return RC_INVALID;
  if (!rc) *yes = res.nrows > 0;
  return rc;
}

/* seen: like_table's check for dislikes: the object exists. */
static int seen(struct db *d, struct arena *a, long long user_id, int t,
                long long id, bool *yes) {
  (void)user_id;
  return exists(d, a, (enum dislike_type)t, id, yes);
}

static const struct like_table dislikes = {
    .insert_sql = "INSERT IGNORE INTO dislikes (user_id, object_type, "
                  "object_id) VALUES (?, ?, ?)",
    .cap = {.count_sql = CAP_COUNT("dislikes WHERE user_id = ?"),
            .cap = CAP_USER_DISLIKES},
    .seen = seen,
};

int dislike_put(struct db *d, struct kv *k, struct arena *a, long long user_id,
                enum dislike_type t, long long id) {
  bool changed, unliked = false;
  int rc = like_mark(d, a, &dislikes, user_id, t, type_names[t], id, &changed);
  if (rc) return rc;
  if (t == DISLIKE_TRACK &&
      (rc = like_drop(d, k, user_id, LIKE_TRACK, id, &unliked)))
    return rc;
  if (changed || unliked) user_taste_changed(k, user_id);
  return 0;
}

int dislike_drop(struct db *d, long long user_id, enum dislike_type t,
                 long long id, bool *dropped) {
  struct db_val p[] = {DB_I(user_id), DB_S(type_names[t]), DB_I(id)};
  struct db_res res;
  int rc = db_exec(d, NULL,
                   "DELETE FROM dislikes WHERE user_id = ? "
                   "AND object_type = ? AND object_id = ?",
                   p, 3, DB_IDEMPOTENT, &res);
  *dropped = !rc && res.affected > 0;
  return rc;
}

int dislike_delete(struct db *d, struct kv *k, struct arena *a,
                   long long user_id, enum dislike_type t, long long id) {
  bool dropped, yes;
  int rc = dislike_drop(d, user_id, t, id, &dropped);
  if (rc) return rc;
  if (dropped) {
    user_taste_changed(k, user_id);
    return 0;
  }
  /* Nothing to remove: 404 only for an object that does not exist, so that
   * undisliking twice answers the same both times. */
  if ((rc = exists(d, a, t, id, &yes))) return rc;
  return yes ? 0 : RC_NOT_FOUND;
}

/* disliked: the summary of one disliked object (columns 3.. of
 * dislike_list). */
static json_object *disliked(int ty, long long id, const struct db_row *row) {
  if (ty == DISLIKE_TRACK)
    return like_track_json(id, db_s(row, 3), db_s(row, 4));
  json_object *obj = json_object_new_object();
  jx_add_int(obj, "id", id);
  jx_add_str(obj, "name", db_s(row, 5));
  return obj;
}

int dislike_list(struct db *d, struct arena *a, long long user_id,
                 enum dislike_type t, long long after_ms, int after_type,
                 long long after_id, int limit, json_object **items,
                 const char **next) {
  struct like_keyset k;
  struct db_res res;
  *items = NULL;
  *next = NULL;
  like_keyset(&k, user_id, t, DISLIKE_ARTIST, after_ms, after_type, after_id,
              limit);
  /* The likes list's keyset; dislikes of deleted objects are left out. */
  int rc = db_exec(
      d, a,
      "SELECT " LIKE_KEYSET_COLS ", t.title, " LIKE_TRACK_ARTISTS_SQL
      ", aa.name FROM dislikes l "
      "LEFT JOIN tracks t ON l.object_type = 'track' AND t.id = l.object_id "
      "LEFT JOIN artists aa ON l.object_type = 'artist' "
      "AND aa.id = l.object_id "
      "WHERE " LIKE_KEYSET_WHERE
      " AND (t.id IS NOT NULL OR aa.id IS NOT NULL) " LIKE_KEYSET_ORDER,
      k.p, LIKE_KEYSET_N, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  return like_page(a, &res, limit, type_names, DISLIKE_ARTIST, "disliked_at",
                   disliked, items, next);
}
