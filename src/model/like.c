/* like: likes over MariaDB (the likes table); see like.h. */
#include "model/like.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/kv.h"
#include "core/rc.h"
#include "core/str.h"
#include "model/listen.h"

static const char *const type_names[] = {NULL, "track", "album", "playlist"};

int like_type_parse(const char *s, int plural, enum like_type *t) {
  for (int i = LIKE_TRACK; i <= LIKE_PLAYLIST; i++) {
    size_t n = strlen(type_names[i]);
    if (strncmp(s, type_names[i], n) != 0) continue;
    if (plural ? strcmp(s + n, "s") == 0 : s[n] == '\0') {
      *t = (enum like_type)i;
      return 0;
    }
  }
  return RC_INVALID;
}

/* visible: whether object id of type t exists and user_id may see it. The
 * playlist rule is the playlists' own: owner, not private, or granted. */
static int visible(struct db *d, struct arena *a, long long user_id,
                   enum like_type t, long long id, bool *yes) {
  struct db_val p[] = {DB_I(id), DB_I(user_id), DB_I(user_id)};
  struct db_res res;
  int rc;
  *yes = false;
  switch (t) {
  case LIKE_TRACK:
    rc = db_exec(d, a, "SELECT 1 FROM tracks WHERE id = ?", p, 1, DB_IDEMPOTENT,
                 &res);
    break;
  case LIKE_ALBUM:
    rc = db_exec(d, a, "SELECT 1 FROM albums WHERE id = ?", p, 1, DB_IDEMPOTENT,
                 &res);
    break;
  case LIKE_PLAYLIST:
    rc = db_exec(d, a,
                 "SELECT 1 FROM playlists pl WHERE pl.id = ? AND "
                 "(pl.owner_id = ? OR pl.visibility <> 'private' OR EXISTS "
                 "(SELECT 1 FROM playlist_grants g WHERE g.playlist_id = pl.id "
                 "AND g.user_id = ?))",
                 p, 3, DB_IDEMPOTENT, &res);
    break;
  default:
    return RC_INVALID;
  }
  if (!rc) *yes = res.nrows > 0;
  return rc;
}

/* bump: a new version of the object's namespace (its like_count changed).
 * A cache that is down holds nothing stale to invalidate. */
static void bump(struct kv *k, enum like_type t, long long id) {
  char ns[48];
  snprintf(ns, sizeof ns, "%s:%lld", type_names[t], id);
  if (k) kv_ns_bump(k, ns);
}

int like_put(struct db *d, struct kv *k, struct arena *a, long long user_id,
             enum like_type t, long long id) {
  bool yes;
  int rc = visible(d, a, user_id, t, id, &yes);
  if (rc) return rc;
  if (!yes) return RC_NOT_FOUND;
  struct db_val p[] = {DB_I(user_id), DB_S(type_names[t]), DB_I(id)};
  struct db_res res;
  rc = db_exec(d, NULL,
               "INSERT IGNORE INTO likes (user_id, object_type, object_id) "
               "VALUES (?, ?, ?)",
               p, 3, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.affected) bump(k, t, id);
  return 0;
}

int like_delete(struct db *d, struct kv *k, struct arena *a, long long user_id,
                enum like_type t, long long id) {
  struct db_val p[] = {DB_I(user_id), DB_S(type_names[t]), DB_I(id)};
  struct db_res res;
  /* The caller's own row: removing it reveals nothing about the object,
   * even one that has since become invisible to them. */
  int rc = db_exec(d, NULL,
                   "DELETE FROM likes WHERE user_id = ? AND object_type = ? "
                   "AND object_id = ?",
                   p, 3, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.affected) {
    bump(k, t, id);
    return 0;
  }
  bool yes;
  if ((rc = visible(d, a, user_id, t, id, &yes))) return rc;
  return yes ? 0 : RC_NOT_FOUND;
}

int like_parse_cursor(const char *text, long long *ms, int *type,
                      long long *id) {
  char buf[64];
  size_t n = strlen(text);
  if (n >= sizeof buf) return RC_INVALID;
  memcpy(buf, text, n + 1);
  char *b1 = strchr(buf, '|'), *b2 = b1 ? strchr(b1 + 1, '|') : NULL;
  if (!b1 || !b2) return RC_INVALID;
  *b1 = *b2 = '\0';
  long long ty;
  if (str_parse_i64(buf, 0, 253402300799999LL, ms) ||
      str_parse_i64(b1 + 1, LIKE_TRACK, LIKE_PLAYLIST, &ty) ||
      str_parse_i64(b2 + 1, 1, INT64_MAX, id))
    return RC_INVALID;
  *type = (int)ty;
  return 0;
}

int like_list(struct db *d, struct arena *a, long long user_id,
              enum like_type t, long long after_ms, int after_type,
              long long after_id, int limit, json_object **items,
              const char **next) {
  char after[64] = "9999-12-31 23:59:59.999";
  bool first = after_type == 0;
  *items = NULL;
  *next = NULL;
  if (!first) {
    time_t s = (time_t)(after_ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    snprintf(after, sizeof after, "%04d-%02d-%02d %02d:%02d:%02d.%03d",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, (int)(after_ms % 1000));
  }
  struct db_val p[] = {DB_I(user_id),
                       DB_I(t),
                       DB_I(t),
                       DB_S(after),
                       DB_S(after),
                       DB_I(first ? 4 : after_type),
                       DB_I(first ? 4 : after_type),
                       DB_I(first ? INT64_MAX : after_id),
                       DB_I(limit + 1)};
  struct db_res res;
  /* Keyset on (created_at, type position, object id), all descending.
   * Likes of objects that are gone or now invisible are left out. */
  int rc = db_exec(
      d, a,
      "SELECT l.object_type + 0, l.object_id, "
      "CAST(UNIX_TIMESTAMP(l.created_at) * 1000 AS SIGNED), "
      "t.title, (SELECT JSON_ARRAYAGG(JSON_OBJECT('id', ar.id, 'name', "
      "ar.name, 'role', ta.role) ORDER BY ta.role, ta.position, ar.id) "
      "FROM track_artists ta JOIN artists ar ON ar.id = ta.artist_id "
      "WHERE ta.track_id = t.id), "
      "al.title, aa.id, aa.name, pl.name, pu.id, pu.username "
      "FROM likes l "
      "LEFT JOIN tracks t ON l.object_type = 'track' AND t.id = l.object_id "
      "LEFT JOIN albums al ON l.object_type = 'album' "
      "AND al.id = l.object_id "
      "LEFT JOIN artists aa ON aa.id = al.artist_id "
      "LEFT JOIN playlists pl ON l.object_type = 'playlist' "
      "AND pl.id = l.object_id AND (pl.owner_id = l.user_id "
      "OR pl.visibility <> 'private' OR EXISTS (SELECT 1 FROM "
      "playlist_grants g WHERE g.playlist_id = pl.id "
      "AND g.user_id = l.user_id)) "
      "LEFT JOIN users pu ON pu.id = pl.owner_id "
      "WHERE l.user_id = ? AND (? = 0 OR l.object_type + 0 = ?) "
      "AND (t.id IS NOT NULL OR al.id IS NOT NULL OR pl.id IS NOT NULL) "
      "AND l.created_at <= ? AND (l.created_at < ? OR l.object_type + 0 < ? "
      "OR (l.object_type + 0 = ? AND l.object_id < ?)) "
      "ORDER BY l.created_at DESC, l.object_type DESC, l.object_id DESC "
      "LIMIT ?",
      p, 9, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  json_object *arr = json_object_new_array();
  if (!arr) return RC_NOMEM;
  int shown = res.nrows > limit ? limit : res.nrows;
  for (int i = 0; i < shown; i++) {
    const struct db_row *row = &res.rows[i];
    int ty = (int)db_i64(row, 0, 0);
    long long id = db_i64(row, 1, 0);
    if (ty < LIKE_TRACK || ty > LIKE_PLAYLIST) ty = LIKE_TRACK;
    json_object *o = json_object_new_object(), *obj = json_object_new_object();
    char when[40];
    listen_format_time(when, sizeof when, db_i64(row, 2, 0));
    jx_add_str(o, "type", type_names[ty]);
    jx_add_int(o, "id", id);
    jx_add_str(o, "liked_at", when);
    jx_add_int(obj, "id", id);
    if (ty == LIKE_TRACK) {
      jx_add_str(obj, "title", db_s(row, 3));
      json_object *ar = db_s(row, 4) ? json_tokener_parse(db_s(row, 4)) : NULL;
      if (!json_object_is_type(ar, json_type_array)) {
        json_object_put(ar);
        ar = json_object_new_array();
      }
      json_object_object_add(obj, "artists", ar);
    } else if (ty == LIKE_ALBUM) {
      json_object *artist = json_object_new_object();
      jx_add_str(obj, "title", db_s(row, 5));
      jx_add_int(artist, "id", db_i64(row, 6, 0));
      jx_add_str(artist, "name", db_s(row, 7));
      json_object_object_add(obj, "artist", artist);
    } else {
      json_object *owner = json_object_new_object();
      jx_add_str(obj, "name", db_s(row, 8));
      jx_add_int(owner, "id", db_i64(row, 9, 0));
      jx_add_str(owner, "username", db_s(row, 10));
      json_object_object_add(obj, "owner", owner);
    }
    json_object_object_add(o, type_names[ty], obj);
    json_object_array_add(arr, o);
  }
  if (res.nrows > limit && shown > 0) {
    const struct db_row *last = &res.rows[shown - 1];
    *next = arena_printf(a, "%lld|%lld|%lld", db_i64(last, 2, 0),
                         db_i64(last, 0, 0), db_i64(last, 1, 0));
    if (!*next) {
      json_object_put(arr);
      return RC_NOMEM;
    }
  }
  *items = arr;
  return 0;
}
