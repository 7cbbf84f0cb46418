/* playlist: a playlist itself: read (as JSON, public ones through the
 * cache), created, changed, deleted, its cover, the lists of playlists, and
 * the edit lock every write takes. Its tracks are in playlist_tracks.c, its
 * sharing in playlist_share.c; playlist.h has the visibility and
 * concurrency rules. */
#include "model/playlist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/kv.h"
#include "core/rc.h"
#include "core/str.h"
#include "model/block.h"
#include "model/cap.h"
#include "model/media.h"
#include "model/playlist_internal.h"
#include "model/search.h"

#define CACHE_TTL 3600

static void ns_of(char *buf, size_t n, long long id) {
  snprintf(buf, n, "playlist:%lld", id);
}

void playlist_cache_bump(struct kv *k, long long id) {
  char ns[40];
  ns_of(ns, sizeof ns, id);
  if (k) kv_ns_bump(k, ns);
}

void playlist_from_row(const struct db_row *r, struct playlist *p) {
  p->id = db_i64(r, 0, 0);
  p->owner_id = db_i64(r, 1, 0);
  p->owner_name = db_s(r, 2);
  p->name = db_s(r, 3);
  p->description = db_s(r, 4);
  p->visibility = db_s(r, 5);
  p->collaborative = db_i64(r, 6, 0) != 0;
  p->cover_path = db_s(r, 7);
  p->snapshot = db_i64(r, 8, 1);
  p->track_count = db_i64(r, 9, 0);
  p->like_count = db_i64(r, 10, 0);
  p->created_at = db_i64(r, 11, 0);
  p->updated_at = db_i64(r, 12, 0);
  p->access = NULL;
  p->unlisted_key = NULL;
}

void playlist_show_key(const struct db_row *r, struct playlist *p) {
  if (strcmp(p->visibility, "unlisted") == 0) p->unlisted_key = db_s(r, 13);
}

int playlist_get(struct db *d, struct arena *a, long long id, long long viewer,
                 struct playlist *p) {
  struct db_res res;
  struct db_val v[] = {DB_I(viewer), DB_I(viewer), DB_I(id),
                       DB_I(viewer), DB_I(viewer), DB_I(viewer)};
  /* To one its owner has blocked, a playlist does not exist. */
  int rc = db_exec(d, a,
                   "SELECT " PLAYLIST_COLS ", " PLAYLIST_ACCESS PLAYLIST_FROM
                   " WHERE p.id = ? AND " PLAYLIST_VISIBLE
                   " AND NOT " BLOCK_HIDES("p.owner_id"),
                   v, 6, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_NOT_FOUND;
  playlist_from_row(&res.rows[0], p);
  p->access = db_s(&res.rows[0], PLAYLIST_NCOLS);
  if (p->access) playlist_show_key(&res.rows[0], p);
  return 0;
}

/* The URL prefix of cover files (cfg media_url), copied so a configuration
 * reload cannot leave it dangling. */
static char media_url[256] = "/media";

void playlist_set_media_url(const char *url) {
  snprintf(media_url, sizeof media_url, "%s", url ? url : "/media");
}

json_object *playlist_json(const struct playlist *p) {
  json_object *o = json_object_new_object();
  char snap[24];
  jx_add_int(o, "id", p->id);
  json_object *owner = json_object_new_object();
  jx_add_int(owner, "id", p->owner_id);
  jx_add_str(owner, "username", p->owner_name);
  json_object_object_add(o, "owner", owner);
  jx_add_str(o, "name", p->name);
  jx_add_str(o, "description", p->description ? p->description : "");
  jx_add_str(o, "visibility", p->visibility);
  jx_add_bool(o, "collaborative", p->collaborative);
  snprintf(snap, sizeof snap, "%lld", p->snapshot);
  jx_add_str(o, "snapshot_id", snap);
  jx_add_int(o, "track_count", p->track_count);
  jx_add_int(o, "like_count", p->like_count);
  if (p->cover_path) {
    char url[sizeof media_url + 160];
    snprintf(url, sizeof url, "%s/%s", media_url, p->cover_path);
    jx_add_str(o, "cover_url", url);
  } else {
    jx_add_str(o, "cover_url", NULL);
  }
  jx_add_time(o, "created_at", p->created_at);
  jx_add_time(o, "updated_at", p->updated_at);
  jx_add_str(o, "unlisted_key", p->unlisted_key);
  return o;
}

/* still_public: whether playlist id is public at `snapshot` now, not
 * hidden by moderation (0024_admin.sql), and its owner has not blocked the
 * viewer. */
static int still_public(struct db *d, struct arena *a, long long id,
                        long long viewer, long long snapshot, bool *yes) {
  struct db_val v[] = {DB_I(id), DB_I(viewer)};
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT p.snapshot FROM playlists p WHERE p.id = ? "
                   "AND p.visibility = 'public' AND p.moderation = 'visible' "
                   "AND NOT EXISTS (SELECT 1 FROM users so WHERE so.id = "
                   "p.owner_id AND so.status = 'suspended') "
                   "AND NOT " BLOCK_HIDES("p.owner_id"),
                   v, 2, DB_IDEMPOTENT, &res);
  *yes = !rc && res.nrows && db_i64(&res.rows[0], 0, 0) == snapshot;
  return rc;
}

int playlist_text(struct db *d, struct kv *k, struct arena *a, long long id,
                  long long viewer, const char **text, size_t *len,
                  long long *snapshot) {
  char ns[40];
  char *key = NULL, *val = NULL;
  size_t vlen = 0;
  ns_of(ns, sizeof ns, id);
  /* The key is taken before MariaDB is read: a write that lands in between
   * bumps the namespace, so what is stored below is never found again. */
  if (k && kv_ns_key(k, a, ns, "json", &key)) key = NULL;
  if (key && kv_get(k, a, key, &val, &vlen) == 0) {
    /* "<snapshot> <json>" of a playlist that was public when stored. Who
     * may see it is MariaDB's to say: a bump that never reached memcached
     * must not leave a playlist made unlisted or private readable by id. */
    char *sp = memchr(val, ' ', vlen);
    long long snap;
    bool yes = false;
    if (sp &&
        str_parse_i64(arena_strndup(a, val, (size_t)(sp - val)), 1,
                      (long long)1 << 62, &snap) == 0 &&
        still_public(d, a, id, viewer, snap, &yes) == 0 && yes) {
      *snapshot = snap;
      *text = sp + 1;
      *len = vlen - (size_t)(sp + 1 - val);
      return 0;
    }
  }
  struct playlist p;
  int rc = playlist_get(d, a, id, viewer, &p);
  if (rc) return rc;
  *text = jx_text(a, jx_own(a, playlist_json(&p)), len);
  if (!*text) return RC_NOMEM;
  *snapshot = p.snapshot;
  /* Only public playlists are stored: their JSON is everyone's. */
  if (key && strcmp(p.visibility, "public") == 0) {
    char *v = arena_printf(a, "%lld %s", p.snapshot, *text);
    if (v) kv_set(k, key, v, strlen(v), CACHE_TTL);
  }
  return 0;
}

int playlist_renumber(struct db *d, long long id, long long from) {
  struct db_val v = DB_I(from - 1);
  int rc = db_exec(d, NULL, "SET @encore_pos = ?", &v, 1, 0, NULL);
  if (rc) return rc;
  struct db_val w[] = {DB_I(id), DB_I(from)};
  return db_exec(d, NULL,
                 "UPDATE playlist_tracks "
                 "SET position = (@encore_pos := @encore_pos + 1) "
                 "WHERE playlist_id = ? AND position >= ? ORDER BY position",
                 w, 2, 0, NULL);
}

/* repair: make a locked playlist's rows dense again when they are not (a
 * track deleted behind the API's back takes its rows away by cascade and
 * leaves holes; track_delete itself compacts), and its track_count right. */
static int repair(struct db *d, struct arena *a, long long id,
                  struct playlist_locked *l) {
  struct db_res res;
  struct db_val v = DB_I(id);
  int rc = db_exec(d, a,
                   "SELECT COUNT(*), COALESCE(MAX(position), -1) "
                   "FROM playlist_tracks WHERE playlist_id = ?",
                   &v, 1, 0, &res);
  if (rc) return rc;
  long long n = db_i64(&res.rows[0], 0, 0), top = db_i64(&res.rows[0], 1, -1);
  if (n == l->count && top == n - 1) return 0;
  if (top != n - 1 && (rc = playlist_renumber(d, id, 0))) return rc;
  struct db_val w[] = {DB_I(n), DB_I(id)};
  rc = db_exec(d, NULL, "UPDATE playlists SET track_count = ? WHERE id = ?", w,
               2, 0, NULL);
  l->count = n;
  return rc;
}

/* lock_row: in the caller's transaction, lock the playlist row when the
 * viewer sees it; check the viewer's right and the precondition. The caller
 * rolls back on failure. */
static int lock_row(struct db *d, struct arena *a, long long id,
                    long long viewer, enum playlist_need need, long long expect,
                    struct playlist_locked *l) {
  struct db_res res;
  struct db_val v[] = {DB_I(viewer), DB_I(viewer), DB_I(id), DB_I(viewer),
                       DB_I(viewer)};
  memset(l, 0, sizeof *l);
  int rc =
      db_exec(d, a,
              "SELECT p.snapshot, p.track_count, p.owner_id, " PLAYLIST_ACCESS
              ", p.cover_path FROM playlists p WHERE p.id = ? "
              "AND " PLAYLIST_VISIBLE " FOR UPDATE",
              v, 5, 0, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_NOT_FOUND;
  const struct db_row *r = &res.rows[0];
  const char *access = db_s(r, 3);
  l->snapshot = db_i64(r, 0, 1);
  l->count = db_i64(r, 1, 0);
  l->owner = db_i64(r, 2, 0);
  l->cover = db_s(r, 4);
  bool ok =
      access && (strcmp(access, "owner") == 0 ||
                 (need == PLAYLIST_NEED_EDIT && strcmp(access, "edit") == 0));
  if (!ok) return RC_FORBIDDEN;
  if (expect && expect != l->snapshot) return RC_PRECONDITION;
  return 0;
}

int playlist_lock(struct db *d, struct arena *a, long long id, long long viewer,
                  enum playlist_need need, long long expect,
                  struct playlist_locked *l) {
  memset(l, 0, sizeof *l);
  int rc = db_begin(d);
  if (rc) return rc;
  rc = lock_row(d, a, id, viewer, need, expect, l);
  if (!rc) rc = repair(d, a, id, l);
  if (rc) db_rollback(d);
  return rc;
}

int playlist_lock_sharing(struct db *d, struct arena *a, long long id,
                          long long viewer, struct playlist_locked *l) {
  memset(l, 0, sizeof *l);
  int rc = db_begin(d);
  if (rc) return rc;
  rc = cap_lock_user(d, a, viewer);
  if (!rc) rc = lock_row(d, a, id, viewer, PLAYLIST_NEED_OWNER, 0, l);
  if (rc) db_rollback(d);
  return rc;
}

int playlist_finish(struct db *d, int rc) {
  if (rc) {
    db_rollback(d);
    return rc;
  }
  return db_commit(d);
}

int playlist_commit(struct db *d, struct kv *k, long long id, int rc,
                    long long snapshot, long long *out) {
  rc = playlist_finish(d, rc);
  if (rc) return rc;
  *out = snapshot;
  playlist_cache_bump(k, id);
  return 0;
}

/* create_once: the insert and the owner's count under the owner's row
 * lock (cap.h). */
static int create_once(struct db *d, struct arena *a, long long owner,
                       const struct db_val *v, long long *id) {
  static const struct cap_of owned = {
      .count_sql = CAP_COUNT("playlists WHERE owner_id = ?"),
      .cap = CAP_USER_PLAYLISTS};
  struct db_res res;
  int rc = db_begin(d);
  if (rc) return rc;
  rc = cap_lock_user(d, a, owner);
  if (!rc)
    rc = cap_add(d, a,
                 "INSERT INTO playlists (owner_id, name, description, "
                 "visibility, unlisted_key, collaborative) "
                 "VALUES (?, ?, ?, ?, ?, ?)",
                 v, 6, &owned, owner, &res);
  if (!rc) *id = (long long)res.insert_id;
  return playlist_finish(d, rc);
}

int playlist_create(struct db *d, struct kv *k, struct arena *a,
                    long long owner, const char *name, const char *description,
                    const char *visibility, bool collaborative, long long *id) {
  char key[PLAYLIST_KEY_LEN + 1];
  if (!visibility) visibility = "private";
  playlist_new_key(key);
  struct db_val v[] = {DB_I(owner),
                       DB_S(name),
                       DB_S(description ? description : ""),
                       DB_S(visibility),
                       DB_S(strcmp(visibility, "unlisted") == 0 ? key : NULL),
                       DB_I(collaborative)};
  int rc, tries = 0;
  do
    rc = create_once(d, a, owner, v, id);
  while (db_retry(rc, &tries));
  if (rc) return rc;
  playlist_cache_bump(
      k, *id); /* an id reused after a restore must not find old copies */
  search_index(d, a, SEARCH_PLAYLIST, *id);
  return 0;
}

static int update_once(struct db *d, struct kv *k, struct arena *a,
                       long long id, long long viewer,
                       const struct playlist_patch *pt, long long expect,
                       long long *snapshot) {
  struct playlist_locked l;
  char key[PLAYLIST_KEY_LEN + 1];
  int rc = playlist_lock(d, a, id, viewer, PLAYLIST_NEED_OWNER, expect, &l);
  *snapshot = l.snapshot;
  if (rc) return rc;
  playlist_new_key(key);
  /* A new key when asked for, or for a playlist becoming unlisted without
   * one: judged on the new visibility, whether the server applies the
   * assignments left to right or simultaneously. */
  struct db_val v[] = {
      DB_S(pt->name),          DB_S(pt->description),   DB_S(pt->visibility),
      DB_I(pt->new_key),       DB_S(pt->visibility),    DB_S(key),
      DB_I(pt->collaborative), DB_I(pt->collaborative), DB_I(id)};
  rc = db_exec(d, NULL,
               "UPDATE playlists SET snapshot = snapshot + 1, "
               "name = COALESCE(?, name), "
               "description = COALESCE(?, description), "
               "visibility = COALESCE(?, visibility), "
               "unlisted_key = IF(? OR (COALESCE(?, visibility) = 'unlisted' "
               "AND unlisted_key IS NULL), ?, unlisted_key), "
               "collaborative = IF(? < 0, collaborative, ?) WHERE id = ?",
               v, 9, 0, NULL);
  rc = playlist_commit(d, k, id, rc, l.snapshot + 1, snapshot);
  if (rc) return rc;
  search_index(d, a, SEARCH_PLAYLIST, id);
  return 0;
}

int playlist_update(struct db *d, struct kv *k, struct arena *a, long long id,
                    long long viewer, const struct playlist_patch *pt,
                    long long expect, long long *snapshot) {
  int rc, tries = 0;
  do
    rc = update_once(d, k, a, id, viewer, pt, expect, snapshot);
  while (db_retry(rc, &tries));
  return rc;
}

static int delete_once(struct db *d, struct kv *k, struct arena *a,
                       long long id, long long viewer, long long expect,
                       long long *snapshot, const char **orphan) {
  struct playlist_locked l;
  *orphan = NULL;
  int rc = playlist_lock(d, a, id, viewer, PLAYLIST_NEED_OWNER, expect, &l);
  *snapshot = l.snapshot;
  if (rc) return rc;
  struct db_val v = DB_I(id);
  rc = db_exec(d, NULL, "DELETE FROM playlists WHERE id = ?", &v, 1, 0, NULL);
  rc = playlist_finish(d, rc);
  if (rc) return rc;
  playlist_cache_bump(k, id);
  search_unindex(d, SEARCH_PLAYLIST, id);
  return media_orphan(d, a, l.cover, orphan);
}

int playlist_delete(struct db *d, struct kv *k, struct arena *a, long long id,
                    long long viewer, long long expect, long long *snapshot,
                    const char **orphan) {
  int rc, tries = 0;
  do
    rc = delete_once(d, k, a, id, viewer, expect, snapshot, orphan);
  while (db_retry(rc, &tries));
  return rc;
}

static int set_cover_once(struct db *d, struct kv *k, struct arena *a,
                          long long id, long long viewer, const char *path,
                          long long expect, long long *snapshot,
                          const char **orphan) {
  struct playlist_locked l;
  *orphan = NULL;
  int rc = playlist_lock(d, a, id, viewer, PLAYLIST_NEED_OWNER, expect, &l);
  *snapshot = l.snapshot;
  if (rc) return rc;
  struct db_val v[] = {DB_S(path), DB_I(id)};
  rc = db_exec(d, NULL,
               "UPDATE playlists SET snapshot = snapshot + 1, cover_path = ? "
               "WHERE id = ?",
               v, 2, 0, NULL);
  rc = playlist_commit(d, k, id, rc, l.snapshot + 1, snapshot);
  if (rc) return rc;
  if (l.cover && path && strcmp(l.cover, path) == 0) return 0;
  return media_orphan(d, a, l.cover, orphan);
}

int playlist_set_cover(struct db *d, struct kv *k, struct arena *a,
                       long long id, long long viewer, const char *path,
                       long long expect, long long *snapshot,
                       const char **orphan) {
  int rc, tries = 0;
  do
    rc = set_cover_once(d, k, a, id, viewer, path, expect, snapshot, orphan);
  while (db_retry(rc, &tries));
  return rc;
}

/* add_rows: the playlists of a list query as JSON items; *next set from
 * the row past `limit` (queries ask for limit + 1). Lists hold unlisted
 * playlists only for their owner and grantees: those see the key. */
static void add_rows(const struct db_res *res, int limit, json_object *items,
                     long long *next) {
  *next = 0;
  for (int i = 0; i < res->nrows && i < limit; i++) {
    struct playlist p;
    playlist_from_row(&res->rows[i], &p);
    playlist_show_key(&res->rows[i], &p);
    json_object_array_add(items, playlist_json(&p));
    if (i == limit - 1 && res->nrows > limit) *next = p.id;
  }
}

#define BEFORE(b) ((b) > 0 ? (b) : (long long)1 << 62)

int playlist_list_mine(struct db *d, struct arena *a, long long viewer,
                       long long before, int limit, json_object *items,
                       long long *next) {
  struct db_res res;
  struct db_val v[] = {DB_I(viewer), DB_I(BEFORE(before)), DB_I(viewer),
                       DB_I(BEFORE(before)), DB_I(limit + 1)};
  /* Two index range reads (owner, grants) rather than an OR over all. */
  int rc = db_exec(d, a,
                   "SELECT " PLAYLIST_COLS PLAYLIST_FROM
                   " JOIN (SELECT id FROM playlists WHERE owner_id = ? "
                   "AND id < ? UNION SELECT playlist_id FROM playlist_grants "
                   "WHERE user_id = ? AND playlist_id < ?) x ON x.id = p.id "
                   "ORDER BY p.id DESC LIMIT ?",
                   v, 5, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  add_rows(&res, limit, items, next);
  return 0;
}

int playlist_list_user(struct db *d, struct arena *a, long long owner,
                       long long viewer, long long before, int limit,
                       json_object *items, long long *next) {
  struct db_res res;
  struct db_val v[] = {DB_I(owner),  DB_I(BEFORE(before)), DB_I(viewer),
                       DB_I(viewer), DB_I(viewer),         DB_I(limit + 1)};
  int rc = db_exec(
      d, a,
      "SELECT " PLAYLIST_COLS PLAYLIST_FROM
      " WHERE p.owner_id = ? AND p.id < ? AND " PLAYLIST_VISIBLE
      " AND NOT " BLOCK_HIDES("p.owner_id") " ORDER BY p.id DESC LIMIT ?",
      v, 6, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  add_rows(&res, limit, items, next);
  return 0;
}

int playlist_unindex_owner(struct db *d, struct kv *k, struct arena *a,
                           long long owner, const char ***covers,
                           int *ncovers) {
  struct db_res res;
  struct db_val v = DB_I(owner);
  *covers = NULL;
  *ncovers = 0;
  int rc =
      db_exec(d, a, "SELECT id, cover_path FROM playlists WHERE owner_id = ?",
              &v, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows &&
      !(*covers = arena_alloc(a, sizeof **covers * (size_t)res.nrows)))
    return RC_NOMEM;
  for (int i = 0; i < res.nrows; i++) {
    long long id = db_i64(&res.rows[i], 0, 0);
    const char *cover = db_s(&res.rows[i], 1);
    if (cover) (*covers)[(*ncovers)++] = cover;
    playlist_cache_bump(k, id);
    search_unindex(d, SEARCH_PLAYLIST, id);
  }
  return 0;
}
