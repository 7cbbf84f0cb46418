/* like: likes over MariaDB (the likes table); see like.h. */
#include "model/like.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/kv.h"
#include "core/rc.h"
#include "core/str.h"
#include "core/timefmt.h"
#include "model/dislike.h"
#include "model/listen.h"
#include "model/playlist.h"
#include "model/user.h"

static const char *const type_names[] = {NULL, "track", "album", "playlist"};

/* A liked playlist (aliased pl) its liker (the like aliased l) may see. */
#define PL_SEEN_BY_LIKER PLAYLIST_SEES("pl", "l.user_id")

int like_name_parse(const char *const *names, int n, const char *s,
                    int plural) {
  for (int i = 1; i < n; i++) {
    size_t len = strlen(names[i]);
    if (strncmp(s, names[i], len) != 0) continue;
    if (plural ? strcmp(s + len, "s") == 0 : s[len] == '\0') return i;
  }
  return RC_INVALID;
}

int like_type_parse(const char *s, int plural, enum like_type *t) {
  int i = like_name_parse(type_names, LIKE_PLAYLIST + 1, s, plural);
  if (i < 0) return i;
  *t = (enum like_type)i;
  return 0;
}

/* visible: whether object id of type t exists and user_id may see it. The
 * playlist rule is the playlists' own (PLAYLIST_SEES): public, owned or
 * granted; an unlisted playlist is as unknown by id as a private one. A
 * track or album found is share locked until the caller's transaction ends
 * (none: at once), so that its deletion cannot slip in before a like of it
 * is written and leave that like behind. */
static int visible(struct db *d, struct arena *a, long long user_id, int t,
                   long long id, bool *yes) {
  struct db_val p[] = {DB_I(id), DB_I(user_id), DB_I(user_id)};
  struct db_res res;
  int rc;
  *yes = false;
  switch (t) {
  case LIKE_TRACK:
    rc = db_exec(d, a, "SELECT 1 FROM tracks WHERE id = ? LOCK IN SHARE MODE",
                 p, 1, DB_IDEMPOTENT, &res);
    break;
  case LIKE_ALBUM:
    rc = db_exec(d, a, "SELECT 1 FROM albums WHERE id = ? LOCK IN SHARE MODE",
                 p, 1, DB_IDEMPOTENT, &res);
    break;
  case LIKE_PLAYLIST:
    rc = db_exec(d, a,
                 "SELECT 1 FROM playlists pl WHERE pl.id = ? "
                 "AND " PLAYLIST_SEES("pl", "?"),
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

/* mark_once: like_mark's transaction; lock order the user's row (cap.h),
 * the object row (seen), then the marks, as in track_delete and
 * album_delete. */
static int mark_once(struct db *d, struct arena *a, const struct like_table *tb,
                     long long user_id, int t, const char *type_name,
                     long long id, bool *changed) {
  bool yes;
  struct db_val p[] = {DB_I(user_id), DB_S(type_name), DB_I(id)};
  struct db_res res = {0};
  int rc = db_begin(d);
  if (rc) return rc;
  if (!(rc = cap_lock_user(d, a, user_id)) &&
      !(rc = tb->seen(d, a, user_id, t, id, &yes)) && !yes)
    rc = RC_NOT_FOUND;
  if (!rc) rc = cap_add(d, a, tb->insert_sql, p, 3, &tb->cap, user_id, &res);
  if (!rc) rc = db_commit(d);
  if (rc) {
    db_rollback(d);
    return rc;
  }
  *changed = res.affected > 0;
  return 0;
}

int like_mark(struct db *d, struct arena *a, const struct like_table *tb,
              long long user_id, int t, const char *type_name, long long id,
              bool *changed) {
  int rc, tries = 0;
  *changed = false;
  do
    rc = mark_once(d, a, tb, user_id, t, type_name, id, changed);
  while (db_retry(rc, &tries));
  return rc;
}

static const struct like_table likes = {
    .insert_sql = "INSERT IGNORE INTO likes (user_id, object_type, object_id) "
                  "VALUES (?, ?, ?)",
    .cap = {.count_sql = CAP_COUNT("likes WHERE user_id = ?"),
            .cap = CAP_USER_LIKES},
    .seen = visible,
};

int like_put(struct db *d, struct kv *k, struct arena *a, long long user_id,
             enum like_type t, long long id, bool *added) {
  bool changed, undisliked = false;
  *added = false;
  int rc = like_mark(d, a, &likes, user_id, t, type_names[t], id, &changed);
  if (rc) return rc;
  *added = changed;
  if (changed) bump(k, t, id);
  if (t == LIKE_TRACK &&
      (rc = dislike_drop(d, user_id, DISLIKE_TRACK, id, &undisliked)))
    return rc;
  if (changed || undisliked) user_taste_changed(k, user_id);
  return 0;
}

int like_drop(struct db *d, struct kv *k, long long user_id, enum like_type t,
              long long id, bool *dropped) {
  struct db_val p[] = {DB_I(user_id), DB_S(type_names[t]), DB_I(id)};
  struct db_res res;
  *dropped = false;
  int rc = db_exec(d, NULL,
                   "DELETE FROM likes WHERE user_id = ? AND object_type = ? "
                   "AND object_id = ?",
                   p, 3, DB_IDEMPOTENT, &res);
  if (rc || !res.affected) return rc;
  *dropped = true;
  bump(k, t, id);
  return 0;
}

int like_delete(struct db *d, struct kv *k, struct arena *a, long long user_id,
                enum like_type t, long long id) {
  /* The caller's own row: removing it reveals nothing about the object,
   * even one that has since become invisible to them. */
  bool dropped, yes;
  int rc = like_drop(d, k, user_id, t, id, &dropped);
  if (rc) return rc;
  if (dropped) {
    user_taste_changed(k, user_id);
    return 0;
  }
  if ((rc = visible(d, a, user_id, t, id, &yes))) return rc;
  return yes ? 0 : RC_NOT_FOUND;
}

int like_parse_cursor(const char *text, int max_type, long long *ms, int *type,
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
      str_parse_i64(b1 + 1, 1, max_type, &ty) ||
      str_parse_i64(b2 + 1, 1, INT64_MAX, id))
    return RC_INVALID;
  *type = (int)ty;
  return 0;
}

void like_keyset(struct like_keyset *k, long long user_id, int t, int max_type,
                 long long after_ms, int after_type, long long after_id,
                 int limit) {
  bool first = after_type == 0;
  if (first)
    snprintf(k->after, sizeof k->after, "9999-12-31 23:59:59.999");
  else
    timefmt_sql(k->after, sizeof k->after, after_ms);
  struct db_val p[LIKE_KEYSET_N] = {DB_I(user_id),
                                    DB_I(t),
                                    DB_I(t),
                                    DB_S(k->after),
                                    DB_S(k->after),
                                    DB_I(first ? max_type + 1 : after_type),
                                    DB_I(first ? max_type + 1 : after_type),
                                    DB_I(first ? INT64_MAX : after_id),
                                    DB_I(limit + 1)};
  memcpy(k->p, p, sizeof p);
}

int like_page(struct arena *a, const struct db_res *res, int limit,
              const char *const *names, int max_type, const char *at_key,
              like_obj_fn *obj, json_object **items, const char **next) {
  *items = NULL;
  *next = NULL;
  json_object *arr = json_object_new_array();
  if (!arr) return RC_NOMEM;
  int shown = res->nrows > limit ? limit : res->nrows;
  for (int i = 0; i < shown; i++) {
    const struct db_row *row = &res->rows[i];
    int ty = (int)db_i64(row, 0, 0);
    long long id = db_i64(row, 1, 0);
    if (ty < 1 || ty > max_type) ty = 1;
    json_object *o = json_object_new_object();
    char when[40];
    timefmt_rfc3339(when, sizeof when, db_i64(row, 2, 0));
    jx_add_str(o, "type", names[ty]);
    jx_add_int(o, "id", id);
    jx_add_str(o, at_key, when);
    json_object_object_add(o, names[ty], obj(ty, id, row));
    json_object_array_add(arr, o);
  }
  if (res->nrows > limit && shown > 0) {
    const struct db_row *last = &res->rows[shown - 1];
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

json_object *like_track_json(long long id, const char *title,
                             const char *artists) {
  json_object *o = json_object_new_object();
  json_object *ar = artists ? json_tokener_parse(artists) : NULL;
  if (!json_object_is_type(ar, json_type_array)) {
    json_object_put(ar);
    ar = json_object_new_array();
  }
  jx_add_int(o, "id", id);
  jx_add_str(o, "title", title);
  json_object_object_add(o, "artists", ar);
  return o;
}

/* liked: the summary of one liked object (columns 3.. of like_list). */
static json_object *liked(int ty, long long id, const struct db_row *row) {
  if (ty == LIKE_TRACK) return like_track_json(id, db_s(row, 3), db_s(row, 4));
  json_object *obj = json_object_new_object(), *sub = json_object_new_object();
  jx_add_int(obj, "id", id);
  if (ty == LIKE_ALBUM) {
    jx_add_str(obj, "title", db_s(row, 5));
    jx_add_int(sub, "id", db_i64(row, 6, 0));
    jx_add_str(sub, "name", db_s(row, 7));
    json_object_object_add(obj, "artist", sub);
  } else {
    jx_add_str(obj, "name", db_s(row, 8));
    jx_add_int(sub, "id", db_i64(row, 9, 0));
    jx_add_str(sub, "username", db_s(row, 10));
    json_object_object_add(obj, "owner", sub);
  }
  return obj;
}

int like_list(struct db *d, struct arena *a, long long user_id,
              enum like_type t, long long after_ms, int after_type,
              long long after_id, int limit, json_object **items,
              const char **next) {
  struct like_keyset k;
  struct db_res res;
  *items = NULL;
  *next = NULL;
  like_keyset(&k, user_id, t, LIKE_PLAYLIST, after_ms, after_type, after_id,
              limit);
  /* Keyset on (created_at, type position, object id), all descending.
   * Likes of objects that are gone or now invisible are left out. */
  int rc = db_exec(
      d, a,
      "SELECT " LIKE_KEYSET_COLS ", t.title, " LIKE_TRACK_ARTISTS_SQL ", "
      "al.title, aa.id, aa.name, pl.name, pu.id, pu.username "
      "FROM likes l "
      "LEFT JOIN tracks t ON l.object_type = 'track' AND t.id = l.object_id "
      "LEFT JOIN albums al ON l.object_type = 'album' "
      "AND al.id = l.object_id "
      "LEFT JOIN artists aa ON aa.id = al.artist_id "
      "LEFT JOIN playlists pl ON l.object_type = 'playlist' "
      "AND pl.id = l.object_id AND " PL_SEEN_BY_LIKER " "
      "LEFT JOIN users pu ON pu.id = pl.owner_id "
      "WHERE " LIKE_KEYSET_WHERE " "
      "AND (t.id IS NOT NULL OR al.id IS NOT NULL OR pl.id IS NOT "
      "NULL) " LIKE_KEYSET_ORDER,
      k.p, LIKE_KEYSET_N, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  return like_page(a, &res, limit, type_names, LIKE_PLAYLIST, "liked_at", liked,
                   items, next);
}
