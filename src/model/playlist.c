/* playlist: playlists, ordered tracks, grants and share links; see
 * playlist.h for the visibility and concurrency rules. */
#include "model/playlist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/kv.h"
#include "core/rc.h"
#include "core/rnd.h"
#include "core/str.h"
#include "model/cap.h"
#include "model/media.h"
#include "model/search.h"

#define PL_CACHE_TTL 3600

/* The one visibility rule over the alias p; two parameters, the viewer
 * twice. The same rule serves reads by id and lists: an unlisted playlist
 * is neither readable by id nor listed but for its owner and grantees. */
#define PL_VISIBLE PLAYLIST_SEES("p", "?")

/* The viewer's standing (two parameters: the viewer twice). */
#define PL_ACCESS                                                              \
  "IF(p.owner_id = ?, 'owner', (SELECT g2.access FROM playlist_grants g2 "     \
  "WHERE g2.playlist_id = p.id AND g2.user_id = ?))"

#define PL_COLS                                                                \
  "p.id, p.owner_id, u.username, p.name, p.description, p.visibility, "        \
  "p.collaborative, p.cover_path, p.snapshot, p.track_count, "                 \
  "(SELECT COUNT(*) FROM likes l WHERE l.object_type = 'playlist' "            \
  "AND l.object_id = p.id), "                                                  \
  "FLOOR(UNIX_TIMESTAMP(p.created_at)), FLOOR(UNIX_TIMESTAMP(p.updated_at)), " \
  "p.unlisted_key"
#define PL_NCOLS 14 /* columns of PL_COLS */
#define PL_FROM " FROM playlists p JOIN users u ON u.id = p.owner_id"

/* Ten and a hundred placeholders / rows, so batch statements stay string
 * literals (the statement cache key) whatever the batch holds. */
#define Q10 "?,?,?,?,?,?,?,?,?,?"
#define Q100                                                                   \
  Q10 "," Q10 "," Q10 "," Q10 "," Q10 "," Q10 "," Q10 "," Q10 "," Q10 "," Q10
#define ROW "(?,?,?,?)"
#define ROW10                                                                  \
  ROW "," ROW "," ROW "," ROW "," ROW "," ROW "," ROW "," ROW "," ROW "," ROW
#define ROW100                                                                 \
  ROW10 "," ROW10 "," ROW10 "," ROW10 "," ROW10 "," ROW10 "," ROW10 "," ROW10  \
        "," ROW10 "," ROW10
#define BATCH 100

/* Positions parked above every real one while a range moves (positions are
 * below PLAYLIST_MAX_TRACKS). */
#define PARK 1000000LL

static void ns_of(char *buf, size_t n, long long id) {
  snprintf(buf, n, "playlist:%lld", id);
}

static void forget(struct kv *k, long long id) {
  char ns[40];
  ns_of(ns, sizeof ns, id);
  if (k) kv_ns_bump(k, ns);
}

static void row_playlist(const struct db_row *r, struct playlist *p) {
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

/* show_key: let the viewer see the key of the playlist read from r, which
 * they own or hold a grant on. Shown while unlisted only: a public
 * playlist's JSON is the same for everyone (and cached so), and a private
 * one's key opens nothing. */
static void show_key(const struct db_row *r, struct playlist *p) {
  if (strcmp(p->visibility, "unlisted") == 0) p->unlisted_key = db_s(r, 13);
}

int playlist_get(struct db *d, struct arena *a, long long id, long long viewer,
                 struct playlist *p) {
  struct db_res res;
  struct db_val v[] = {DB_I(viewer), DB_I(viewer), DB_I(id), DB_I(viewer),
                       DB_I(viewer)};
  int rc = db_exec(d, a,
                   "SELECT " PL_COLS ", " PL_ACCESS PL_FROM
                   " WHERE p.id = ? AND " PL_VISIBLE,
                   v, 5, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_NOT_FOUND;
  row_playlist(&res.rows[0], p);
  p->access = db_s(&res.rows[0], PL_NCOLS);
  if (p->access) show_key(&res.rows[0], p);
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

/* still_public: whether playlist id is public at `snapshot` now. */
static int still_public(struct db *d, struct arena *a, long long id,
                        long long snapshot, bool *yes) {
  struct db_val v = DB_I(id);
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT snapshot FROM playlists WHERE id = ? "
                   "AND visibility = 'public'",
                   &v, 1, DB_IDEMPOTENT, &res);
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
        still_public(d, a, id, snap, &yes) == 0 && yes) {
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
    if (v) kv_set(k, key, v, strlen(v), PL_CACHE_TTL);
  }
  return 0;
}

void playlist_new_key(char out[PLAYLIST_KEY_LEN + 1]) {
  unsigned char raw[16];
  char buf[4 * ((sizeof raw + 2) / 3) + 1];
  rnd_bytes(raw, sizeof raw);
  b64url_encode(raw, sizeof raw, buf);
  memcpy(out, buf, PLAYLIST_KEY_LEN + 1);
}

/* The state of a playlist locked for an edit. */
struct locked {
  long long snapshot, count, owner;
  const char *cover; /* cover_path, NULL without a cover */
};

enum need { NEED_OWNER, NEED_EDIT };

/* renumber: close the gaps left by deleted rows from position `from` on:
 * rows are renumbered in ascending order, each to a position no higher than
 * its own, so the primary key never sees two rows at one position. */
static int renumber(struct db *d, long long id, long long from) {
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
                  struct locked *l) {
  struct db_res res;
  struct db_val v = DB_I(id);
  int rc = db_exec(d, a,
                   "SELECT COUNT(*), COALESCE(MAX(position), -1) "
                   "FROM playlist_tracks WHERE playlist_id = ?",
                   &v, 1, 0, &res);
  if (rc) return rc;
  long long n = db_i64(&res.rows[0], 0, 0), top = db_i64(&res.rows[0], 1, -1);
  if (n == l->count && top == n - 1) return 0;
  if (top != n - 1 && (rc = renumber(d, id, 0))) return rc;
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
                    long long viewer, enum need need, long long expect,
                    struct locked *l) {
  struct db_res res;
  struct db_val v[] = {DB_I(viewer), DB_I(viewer), DB_I(id), DB_I(viewer),
                       DB_I(viewer)};
  memset(l, 0, sizeof *l);
  int rc = db_exec(d, a,
                   "SELECT p.snapshot, p.track_count, p.owner_id, " PL_ACCESS
                   ", p.cover_path FROM playlists p WHERE p.id = ? "
                   "AND " PL_VISIBLE " FOR UPDATE",
                   v, 5, 0, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_NOT_FOUND;
  const struct db_row *r = &res.rows[0];
  const char *access = db_s(r, 3);
  l->snapshot = db_i64(r, 0, 1);
  l->count = db_i64(r, 1, 0);
  l->owner = db_i64(r, 2, 0);
  l->cover = db_s(r, 4);
  bool ok = access && (strcmp(access, "owner") == 0 ||
                       (need == NEED_EDIT && strcmp(access, "edit") == 0));
  if (!ok) return RC_FORBIDDEN;
  if (expect && expect != l->snapshot) return RC_PRECONDITION;
  return 0;
}

/* lock: start a transaction, lock the playlist row (lock_row) and make its
 * rows dense (repair). On failure the transaction is already rolled back.
 *
 * Lock order, shared with track_delete: the playlist row first, then its
 * playlist_tracks rows, then the track rows (shared, as the foreign-key
 * checks of moved and inserted rows take them). Deadlocks InnoDB may still
 * find (gap locks at the edge of another playlist's rows) roll the whole
 * edit back; every edit is therefore one function run again by db_retry. */
static int lock(struct db *d, struct arena *a, long long id, long long viewer,
                enum need need, long long expect, struct locked *l) {
  memset(l, 0, sizeof *l);
  int rc = db_begin(d);
  if (rc) return rc;
  rc = lock_row(d, a, id, viewer, need, expect, l);
  if (!rc) rc = repair(d, a, id, l);
  if (rc) db_rollback(d);
  return rc;
}

/* lock_sharing: start a transaction that grows the sharing of a playlist
 * the viewer owns: the viewer's row first (cap.h: their grants and links
 * are counted under it), then the playlist's. On failure the transaction
 * is already rolled back. */
static int lock_sharing(struct db *d, struct arena *a, long long id,
                        long long viewer, struct locked *l) {
  memset(l, 0, sizeof *l);
  int rc = db_begin(d);
  if (rc) return rc;
  rc = cap_lock_user(d, a, viewer);
  if (!rc) rc = lock_row(d, a, id, viewer, NEED_OWNER, 0, l);
  if (rc) db_rollback(d);
  return rc;
}

/* bump: the new snapshot and track count of a locked playlist. */
static int bump(struct db *d, long long id, long long count,
                long long *snapshot) {
  struct db_val v[] = {DB_I(count), DB_I(id)};
  int rc = db_exec(d, NULL,
                   "UPDATE playlists SET snapshot = snapshot + 1, "
                   "track_count = ? WHERE id = ?",
                   v, 2, 0, NULL);
  if (!rc) *snapshot += 1;
  return rc;
}

/* finish: commit when rc is 0, else roll back; the result. */
static int finish(struct db *d, int rc) {
  if (rc) {
    db_rollback(d);
    return rc;
  }
  return db_commit(d);
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
  return finish(d, rc);
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
  forget(k, *id); /* an id reused after a restore must not find old copies */
  search_index(d, a, SEARCH_PLAYLIST, *id);
  return 0;
}

static void bad(struct playlist_err *err, const char *field,
                const char *message, long long index) {
  if (err) {
    err->field = field;
    err->message = message;
    err->index = index;
  }
}

static int update_once(struct db *d, struct kv *k, struct arena *a,
                       long long id, long long viewer,
                       const struct playlist_patch *pt, long long expect,
                       long long *snapshot) {
  struct locked l;
  char key[PLAYLIST_KEY_LEN + 1];
  int rc = lock(d, a, id, viewer, NEED_OWNER, expect, &l);
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
  rc = finish(d, rc);
  if (rc) return rc;
  *snapshot = l.snapshot + 1;
  forget(k, id);
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
  struct locked l;
  *orphan = NULL;
  int rc = lock(d, a, id, viewer, NEED_OWNER, expect, &l);
  *snapshot = l.snapshot;
  if (rc) return rc;
  struct db_val v = DB_I(id);
  rc = db_exec(d, NULL, "DELETE FROM playlists WHERE id = ?", &v, 1, 0, NULL);
  rc = finish(d, rc);
  if (rc) return rc;
  forget(k, id);
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
  struct locked l;
  *orphan = NULL;
  int rc = lock(d, a, id, viewer, NEED_OWNER, expect, &l);
  *snapshot = l.snapshot;
  if (rc) return rc;
  struct db_val v[] = {DB_S(path), DB_I(id)};
  rc = db_exec(d, NULL,
               "UPDATE playlists SET snapshot = snapshot + 1, cover_path = ? "
               "WHERE id = ?",
               v, 2, 0, NULL);
  rc = finish(d, rc);
  if (rc) return rc;
  *snapshot = l.snapshot + 1;
  forget(k, id);
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
    row_playlist(&res->rows[i], &p);
    show_key(&res->rows[i], &p);
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
                   "SELECT " PL_COLS PL_FROM
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
  struct db_val v[] = {DB_I(owner), DB_I(BEFORE(before)), DB_I(viewer),
                       DB_I(viewer), DB_I(limit + 1)};
  int rc = db_exec(d, a,
                   "SELECT " PL_COLS PL_FROM
                   " WHERE p.owner_id = ? AND p.id < ? AND " PL_VISIBLE
                   " ORDER BY p.id DESC LIMIT ?",
                   v, 5, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  add_rows(&res, limit, items, next);
  return 0;
}

int playlist_tracks(struct db *d, struct arena *a, long long id,
                    long long after, int limit, json_object *items,
                    long long *next) {
  struct db_res res, art;
  struct db_val v[] = {DB_I(id), DB_I(after), DB_I(limit + 1)};
  *next = -1;
  int rc = db_exec(d, a,
                   "SELECT pt.position, t.id, t.title, t.duration_ms, "
                   "FLOOR(UNIX_TIMESTAMP(pt.added_at)), pt.added_by, "
                   "u.username FROM playlist_tracks pt "
                   "JOIN tracks t ON t.id = pt.track_id "
                   "LEFT JOIN users u ON u.id = pt.added_by "
                   "WHERE pt.playlist_id = ? AND pt.position > ? "
                   "ORDER BY pt.position LIMIT ?",
                   v, 3, DB_IDEMPOTENT, &res);
  if (rc || res.nrows == 0) return rc;
  int n = res.nrows > limit ? limit : res.nrows;
  long long first = db_i64(&res.rows[0], 0, 0);
  long long last = db_i64(&res.rows[n - 1], 0, 0);
  if (res.nrows > limit) *next = last;
  struct db_val w[] = {DB_I(id), DB_I(first), DB_I(last)};
  rc = db_exec(d, a,
               "SELECT pt.position, ar.id, ar.name, ta.role "
               "FROM playlist_tracks pt "
               "JOIN track_artists ta ON ta.track_id = pt.track_id "
               "JOIN artists ar ON ar.id = ta.artist_id "
               "WHERE pt.playlist_id = ? AND pt.position BETWEEN ? AND ? "
               "ORDER BY pt.position, ta.role, ta.position",
               w, 3, DB_IDEMPOTENT, &art);
  if (rc) return rc;
  json_object **arts = arena_alloc(a, sizeof *arts * (size_t)n);
  if (!arts) return RC_NOMEM;
  for (int i = 0; i < n; i++) {
    const struct db_row *r = &res.rows[i];
    json_object *it = json_object_new_object();
    json_object *t = json_object_new_object();
    jx_add_int(it, "position", db_i64(r, 0, 0));
    jx_add_int(t, "id", db_i64(r, 1, 0));
    jx_add_str(t, "title", db_s(r, 2));
    arts[i] = json_object_new_array();
    json_object_object_add(t, "artists", arts[i]);
    jx_add_int(t, "duration_ms", db_i64(r, 3, 0));
    json_object_object_add(it, "track", t);
    jx_add_time(it, "added_at", db_i64(r, 4, 0));
    if (db_s(r, 5)) {
      json_object *by = json_object_new_object();
      jx_add_int(by, "id", db_i64(r, 5, 0));
      jx_add_str(by, "username", db_s(r, 6));
      json_object_object_add(it, "added_by", by);
    } else {
      json_object_object_add(it, "added_by", NULL);
    }
    json_object_array_add(items, it);
  }
  /* Positions of one page are consecutive (they are dense). */
  for (int i = 0; i < art.nrows; i++) {
    const struct db_row *r = &art.rows[i];
    long long at = db_i64(r, 0, -1) - first;
    if (at < 0 || at >= n) continue;
    json_object *o = json_object_new_object();
    jx_add_int(o, "id", db_i64(r, 1, 0));
    jx_add_str(o, "name", db_s(r, 2));
    jx_add_str(o, "role", db_s(r, 3));
    json_object_array_add(arts[at], o);
  }
  return 0;
}

/* missing_track: the index of the first of ids[0..n) that is no track, or
 * -1 when all are; checked a hundred at a time. The tracks found are share
 * locked (as the insert's foreign-key check would, in the same order), so
 * none can be deleted before the rows referring to them go in. */
static int missing_track(struct db *d, struct arena *a, const long long *ids,
                         int n, long long *index) {
  struct db_val v[BATCH];
  *index = -1;
  for (int at = 0; at < n; at += BATCH) {
    int m = n - at < BATCH ? n - at : BATCH;
    struct db_res res;
    for (int i = 0; i < BATCH; i++)
      v[i] = DB_I(ids[at + (i < m ? i : 0)]);
    int rc = db_exec(
        d, a, "SELECT id FROM tracks WHERE id IN (" Q100 ") LOCK IN SHARE MODE",
        v, BATCH, 0, &res);
    if (rc) return rc;
    if (res.nrows == m) continue; /* ids within a batch may repeat */
    for (int i = 0; i < m; i++) {
      bool found = false;
      for (int j = 0; j < res.nrows && !found; j++)
        found = db_i64(&res.rows[j], 0, 0) == ids[at + i];
      if (!found) {
        *index = at + i;
        return 0;
      }
    }
  }
  return 0;
}

static int add_once(struct db *d, struct kv *k, struct arena *a, long long id,
                    long long viewer, const long long *ids, int n,
                    long long position, long long expect, long long *snapshot,
                    struct playlist_err *err) {
  struct locked l;
  int rc = lock(d, a, id, viewer, NEED_EDIT, expect, &l);
  *snapshot = l.snapshot;
  if (rc) return rc;
  long long at = position < 0 ? l.count : position, miss;
  if (at > l.count) {
    bad(err, "position", "must be at most the number of tracks", -1);
    rc = RC_INVALID;
  } else if (l.count + n > PLAYLIST_MAX_TRACKS) {
    bad(err, "track_ids", "a playlist holds at most 10000 tracks", -1);
    rc = RC_INVALID;
  } else if (!(rc = missing_track(d, a, ids, n, &miss)) && miss >= 0) {
    bad(err, "track_ids", "no such track", miss);
    rc = RC_INVALID;
  }
  if (!rc && at < l.count) {
    /* Highest first, so no shifted row meets one not yet shifted. */
    struct db_val v[] = {DB_I(n), DB_I(id), DB_I(at)};
    rc = db_exec(d, NULL,
                 "UPDATE playlist_tracks SET position = position + ? "
                 "WHERE playlist_id = ? AND position >= ? "
                 "ORDER BY position DESC",
                 v, 3, 0, NULL);
  }
  for (int i = 0; !rc && i < n;) {
    struct db_val v[4 * BATCH];
    if (n - i >= BATCH) {
      for (int j = 0; j < BATCH; j++) {
        v[4 * j] = DB_I(id);
        v[4 * j + 1] = DB_I(at + i + j);
        v[4 * j + 2] = DB_I(ids[i + j]);
        v[4 * j + 3] = DB_I(viewer);
      }
      rc = db_exec(d, NULL,
                   "INSERT INTO playlist_tracks (playlist_id, position, "
                   "track_id, added_by) VALUES " ROW100,
                   v, 4 * BATCH, 0, NULL);
      i += BATCH;
    } else {
      v[0] = DB_I(id);
      v[1] = DB_I(at + i);
      v[2] = DB_I(ids[i]);
      v[3] = DB_I(viewer);
      rc = db_exec(d, NULL,
                   "INSERT INTO playlist_tracks (playlist_id, position, "
                   "track_id, added_by) VALUES " ROW,
                   v, 4, 0, NULL);
      i++;
    }
  }
  if (!rc) rc = bump(d, id, l.count + n, &l.snapshot);
  rc = finish(d, rc);
  if (rc) return rc;
  *snapshot = l.snapshot;
  forget(k, id);
  search_index(d, a, SEARCH_PLAYLIST, id);
  return 0;
}

int playlist_add(struct db *d, struct kv *k, struct arena *a, long long id,
                 long long viewer, const long long *ids, int n,
                 long long position, long long expect, long long *snapshot,
                 struct playlist_err *err) {
  int rc, tries = 0;
  do
    rc = add_once(d, k, a, id, viewer, ids, n, position, expect, snapshot, err);
  while (db_retry(rc, &tries));
  return rc;
}

static int remove_once(struct db *d, struct kv *k, struct arena *a,
                       long long id, long long viewer, const long long *pos,
                       int n, long long expect, long long *snapshot,
                       struct playlist_err *err) {
  struct locked l;
  int rc = lock(d, a, id, viewer, NEED_EDIT, expect, &l);
  *snapshot = l.snapshot;
  if (rc) return rc;
  long long low = PLAYLIST_MAX_TRACKS;
  for (int i = 0; i < n; i++) {
    if (pos[i] >= l.count) {
      bad(err, "positions", "past the last track", i);
      db_rollback(d);
      return RC_INVALID;
    }
    if (pos[i] < low) low = pos[i];
  }
  for (int i = 0; !rc && i < n; i += BATCH) {
    int m = n - i < BATCH ? n - i : BATCH;
    struct db_val v[BATCH + 1];
    v[0] = DB_I(id);
    for (int j = 0; j < BATCH; j++)
      v[1 + j] = DB_I(pos[i + (j < m ? j : 0)]);
    rc = db_exec(d, NULL,
                 "DELETE FROM playlist_tracks WHERE playlist_id = ? "
                 "AND position IN (" Q100 ")",
                 v, BATCH + 1, 0, NULL);
  }
  if (!rc) rc = renumber(d, id, low);
  if (!rc) rc = bump(d, id, l.count - n, &l.snapshot);
  rc = finish(d, rc);
  if (rc) return rc;
  *snapshot = l.snapshot;
  forget(k, id);
  search_index(d, a, SEARCH_PLAYLIST, id);
  return 0;
}

int playlist_remove(struct db *d, struct kv *k, struct arena *a, long long id,
                    long long viewer, const long long *pos, int n,
                    long long expect, long long *snapshot,
                    struct playlist_err *err) {
  int rc, tries = 0;
  do
    rc = remove_once(d, k, a, id, viewer, pos, n, expect, snapshot, err);
  while (db_retry(rc, &tries));
  return rc;
}

static int remove_range_once(struct db *d, struct kv *k, struct arena *a,
                             long long id, long long viewer, long long start,
                             long long length, long long expect,
                             long long *snapshot, struct playlist_err *err) {
  struct locked l;
  int rc = lock(d, a, id, viewer, NEED_EDIT, expect, &l);
  *snapshot = l.snapshot;
  if (rc) return rc;
  if (start + length > l.count) {
    bad(err, start >= l.count ? "range_start" : "range_length",
        "the range ends past the last track", -1);
    db_rollback(d);
    return RC_INVALID;
  }
  struct db_val v[] = {DB_I(id), DB_I(start), DB_I(start + length)};
  rc = db_exec(d, NULL,
               "DELETE FROM playlist_tracks WHERE playlist_id = ? "
               "AND position >= ? AND position < ?",
               v, 3, 0, NULL);
  if (!rc) {
    struct db_val w[] = {DB_I(length), DB_I(id), DB_I(start + length)};
    rc = db_exec(d, NULL,
                 "UPDATE playlist_tracks SET position = position - ? "
                 "WHERE playlist_id = ? AND position >= ? ORDER BY position",
                 w, 3, 0, NULL);
  }
  if (!rc) rc = bump(d, id, l.count - length, &l.snapshot);
  rc = finish(d, rc);
  if (rc) return rc;
  *snapshot = l.snapshot;
  forget(k, id);
  search_index(d, a, SEARCH_PLAYLIST, id);
  return 0;
}

int playlist_remove_range(struct db *d, struct kv *k, struct arena *a,
                          long long id, long long viewer, long long start,
                          long long length, long long expect,
                          long long *snapshot, struct playlist_err *err) {
  int rc, tries = 0;
  do
    rc = remove_range_once(d, k, a, id, viewer, start, length, expect, snapshot,
                           err);
  while (db_retry(rc, &tries));
  return rc;
}

static int move_once(struct db *d, struct kv *k, struct arena *a, long long id,
                     long long viewer, long long start, long long length,
                     long long before, long long expect, long long *snapshot,
                     struct playlist_err *err) {
  struct locked l;
  int rc = lock(d, a, id, viewer, NEED_EDIT, expect, &l);
  *snapshot = l.snapshot;
  if (rc) return rc;
  if (start + length > l.count) {
    bad(err, start >= l.count ? "range_start" : "range_length",
        "the range ends past the last track", -1);
    rc = RC_INVALID;
  } else if (before > l.count) {
    bad(err, "insert_before", "must be at most the number of tracks", -1);
    rc = RC_INVALID;
  }
  if (rc) {
    db_rollback(d);
    return rc;
  }
  if (before >= start && before <= start + length) /* onto itself */
    return db_commit(d);
  /* Park the range above every position at its final place, shift the
   * tracks between, then bring the range down. */
  long long dest = before < start ? before : before - length;
  struct db_val v1[] = {DB_I(PARK + dest), DB_I(start), DB_I(id), DB_I(start),
                        DB_I(start + length)};
  rc = db_exec(d, NULL,
               "UPDATE playlist_tracks SET position = position + ? - ? "
               "WHERE playlist_id = ? AND position >= ? AND position < ?",
               v1, 5, 0, NULL);
  if (!rc && before < start) {
    struct db_val v2[] = {DB_I(length), DB_I(id), DB_I(before), DB_I(start)};
    rc = db_exec(d, NULL,
                 "UPDATE playlist_tracks SET position = position + ? "
                 "WHERE playlist_id = ? AND position >= ? AND position < ? "
                 "ORDER BY position DESC",
                 v2, 4, 0, NULL);
  } else if (!rc) {
    struct db_val v2[] = {DB_I(length), DB_I(id), DB_I(start + length),
                          DB_I(before)};
    rc = db_exec(d, NULL,
                 "UPDATE playlist_tracks SET position = position - ? "
                 "WHERE playlist_id = ? AND position >= ? AND position < ? "
                 "ORDER BY position",
                 v2, 4, 0, NULL);
  }
  if (!rc) {
    struct db_val v3[] = {DB_I(PARK), DB_I(id), DB_I(PARK)};
    rc = db_exec(d, NULL,
                 "UPDATE playlist_tracks SET position = position - ? "
                 "WHERE playlist_id = ? AND position >= ? ORDER BY position",
                 v3, 3, 0, NULL);
  }
  if (!rc) rc = bump(d, id, l.count, &l.snapshot);
  rc = finish(d, rc);
  if (rc) return rc;
  *snapshot = l.snapshot;
  forget(k, id);
  return 0;
}

int playlist_move(struct db *d, struct kv *k, struct arena *a, long long id,
                  long long viewer, long long start, long long length,
                  long long before, long long expect, long long *snapshot,
                  struct playlist_err *err) {
  int rc, tries = 0;
  do
    rc = move_once(d, k, a, id, viewer, start, length, before, expect, snapshot,
                   err);
  while (db_retry(rc, &tries));
  return rc;
}

/* owner_only: RC_NOT_FOUND unless the viewer sees the playlist,
 * RC_FORBIDDEN unless they own it. */
static int owner_only(struct db *d, struct arena *a, long long id,
                      long long viewer) {
  struct playlist p;
  int rc = playlist_get(d, a, id, viewer, &p);
  if (rc) return rc;
  if (!p.access || strcmp(p.access, "owner") != 0) return RC_FORBIDDEN;
  return 0;
}

static json_object *grant_json(const struct db_row *r) {
  json_object *o = json_object_new_object(), *u = json_object_new_object();
  jx_add_int(u, "id", db_i64(r, 0, 0));
  jx_add_str(u, "username", db_s(r, 1));
  json_object_object_add(o, "user", u);
  jx_add_str(o, "access", db_s(r, 2));
  jx_add_time(o, "created_at", db_i64(r, 3, 0));
  return o;
}

int playlist_grants(struct db *d, struct arena *a, long long id,
                    long long viewer, long long after, int limit,
                    json_object *items, long long *next) {
  int rc = owner_only(d, a, id, viewer);
  if (rc) return rc;
  struct db_res res;
  struct db_val v[] = {DB_I(id), DB_I(after), DB_I(limit + 1)};
  rc = db_exec(d, a,
               "SELECT u.id, u.username, g.access, "
               "FLOOR(UNIX_TIMESTAMP(g.created_at)) FROM playlist_grants g "
               "JOIN users u ON u.id = g.user_id WHERE g.playlist_id = ? "
               "AND g.user_id > ? ORDER BY g.user_id LIMIT ?",
               v, 3, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  *next = 0;
  for (int i = 0; i < res.nrows && i < limit; i++) {
    json_object_array_add(items, grant_json(&res.rows[i]));
    if (i == limit - 1 && res.nrows > limit) *next = db_i64(&res.rows[i], 0, 0);
  }
  return 0;
}

/* grant_once: the grant written and counted under the owner's row lock
 * (cap.h); a grant changed grows nothing and is never refused. */
static int grant_once(struct db *d, struct arena *a, long long id,
                      long long viewer, long long user, const char *access) {
  static const struct cap_of grants = {
      .count_sql = CAP_COUNT("playlist_grants WHERE playlist_id = ?"),
      .cap = CAP_PLAYLIST_GRANTS};
  struct locked l;
  struct db_res res;
  int rc = lock_sharing(d, a, id, viewer, &l);
  if (rc) return rc;
  struct db_val v[] = {DB_I(id), DB_I(user), DB_S(access)};
  if (user == l.owner)
    rc = RC_INVALID;
  else /* a grant's access changed adds no member */
    rc = cap_add(d, a,
                 "INSERT INTO playlist_grants (playlist_id, user_id, access) "
                 "VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE "
                 "access = VALUES(access)",
                 v, 3, &grants, id, &res);
  return finish(d, rc);
}

int playlist_grant_put(struct db *d, struct kv *k, struct arena *a,
                       long long id, long long viewer, long long user,
                       const char *access, json_object **out) {
  int rc, tries = 0;
  do
    rc = grant_once(d, a, id, viewer, user, access);
  while (db_retry(rc, &tries));
  if (rc) return rc;
  forget(k, id);
  struct db_res res;
  struct db_val w[] = {DB_I(id), DB_I(user)};
  rc = db_exec(d, a,
               "SELECT u.id, u.username, g.access, "
               "FLOOR(UNIX_TIMESTAMP(g.created_at)) FROM playlist_grants g "
               "JOIN users u ON u.id = g.user_id WHERE g.playlist_id = ? "
               "AND g.user_id = ?",
               w, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_NOT_FOUND; /* deleted meanwhile */
  *out = grant_json(&res.rows[0]);
  return 0;
}

int playlist_grant_delete(struct db *d, struct kv *k, struct arena *a,
                          long long id, long long viewer, long long user) {
  int rc = owner_only(d, a, id, viewer);
  if (rc) return rc;
  struct db_val v[] = {DB_I(id), DB_I(user)};
  rc = db_exec(d, NULL,
               "DELETE FROM playlist_grants WHERE playlist_id = ? "
               "AND user_id = ?",
               v, 2, DB_IDEMPOTENT, NULL);
  if (!rc) forget(k, id);
  return rc;
}

/* link_once: a new link written and counted under the owner's row lock
 * (cap.h). The playlist's revoked and expired links go first: they open
 * nothing, and kept they would grow without end. */
static int link_once(struct db *d, struct arena *a, long long id,
                     long long viewer, long long ttl,
                     const unsigned char hash[32], long long *link_id) {
  static const struct cap_of links = {
      .count_sql = CAP_COUNT("playlist_links WHERE playlist_id = ?"),
      .cap = CAP_PLAYLIST_LINKS};
  struct locked l;
  struct db_res res;
  int rc = lock_sharing(d, a, id, viewer, &l);
  if (rc) return rc;
  struct db_val w = DB_I(id);
  rc = db_exec(d, NULL,
               "DELETE FROM playlist_links WHERE playlist_id = ? AND "
               "(revoked_at IS NOT NULL OR expires_at <= UTC_TIMESTAMP(3))",
               &w, 1, 0, NULL);
  struct db_val v[] = {DB_I(id), DB_B(hash, 32), DB_I(ttl), DB_I(ttl)};
  if (!rc)
    rc = cap_add(d, a,
                 "INSERT INTO playlist_links (playlist_id, token_hash, "
                 "expires_at) VALUES (?, ?, IF(? > 0, "
                 "UTC_TIMESTAMP(3) + INTERVAL ? SECOND, NULL))",
                 v, 4, &links, id, &res);
  if (!rc) *link_id = (long long)res.insert_id;
  return finish(d, rc);
}

int playlist_link_create(struct db *d, struct arena *a, long long id,
                         long long viewer, long long ttl, long long *link_id,
                         char token[44], long long *expires_at) {
  unsigned char hash[32];
  struct db_res res;
  int rc, tries = 0;
  rnd_token(token);
  sha256(token, strlen(token), hash);
  do
    rc = link_once(d, a, id, viewer, ttl, hash, link_id);
  while (db_retry(rc, &tries));
  if (rc) return rc;
  struct db_val w = DB_I(*link_id);
  rc = db_exec(d, a,
               "SELECT FLOOR(UNIX_TIMESTAMP(expires_at)) FROM playlist_links "
               "WHERE id = ?",
               &w, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  *expires_at = res.nrows ? db_i64(&res.rows[0], 0, 0) : 0;
  return 0;
}

int playlist_links(struct db *d, struct arena *a, long long id,
                   long long viewer, long long after, int limit,
                   json_object *items, long long *next) {
  int rc = owner_only(d, a, id, viewer);
  if (rc) return rc;
  struct db_res res;
  struct db_val v[] = {DB_I(id), DB_I(after), DB_I(limit + 1)};
  rc = db_exec(d, a,
               "SELECT id, FLOOR(UNIX_TIMESTAMP(expires_at)), "
               "FLOOR(UNIX_TIMESTAMP(created_at)), "
               "expires_at IS NOT NULL AND expires_at <= UTC_TIMESTAMP(3) "
               "FROM playlist_links WHERE playlist_id = ? AND id > ? "
               "AND revoked_at IS NULL ORDER BY id LIMIT ?",
               v, 3, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  *next = 0;
  for (int i = 0; i < res.nrows && i < limit; i++) {
    const struct db_row *r = &res.rows[i];
    json_object *o = json_object_new_object();
    jx_add_int(o, "id", db_i64(r, 0, 0));
    jx_add_time(o, "expires_at", db_i64(r, 1, 0));
    jx_add_bool(o, "expired", db_i64(r, 3, 0) != 0);
    jx_add_time(o, "created_at", db_i64(r, 2, 0));
    json_object_array_add(items, o);
    if (i == limit - 1 && res.nrows > limit) *next = db_i64(r, 0, 0);
  }
  return 0;
}

int playlist_link_revoke(struct db *d, struct arena *a, long long id,
                         long long viewer, long long link_id) {
  int rc = owner_only(d, a, id, viewer);
  if (rc) return rc;
  struct db_val v[] = {DB_I(link_id), DB_I(id)};
  struct db_res res;
  rc = db_exec(d, a,
               "UPDATE playlist_links SET revoked_at = UTC_TIMESTAMP(3) "
               "WHERE id = ? AND playlist_id = ? AND revoked_at IS NULL",
               v, 2, 0, &res);
  if (rc) return rc;
  return res.affected ? 0 : RC_MISS;
}

/* key_valid: whether s is n characters of base64url. */
static bool key_valid(const char *s, size_t n) {
  if (strlen(s) != n) return false;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
          (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
      return false;
  return true;
}

int playlist_by_token(struct db *d, struct arena *a, const char *token,
                      struct playlist *p) {
  struct db_res res;
  int rc;
  /* The link or the key is the capability: no viewer rule applies. */
  if (key_valid(token, PLAYLIST_KEY_LEN)) {
    struct db_val v = DB_S(token);
    rc = db_exec(d, a,
                 "SELECT " PL_COLS PL_FROM " WHERE p.unlisted_key = ? "
                 "AND p.visibility <> 'private'",
                 &v, 1, DB_IDEMPOTENT, &res);
  } else if (key_valid(token, PLAYLIST_TOKEN_LEN)) {
    unsigned char hash[32];
    sha256(token, PLAYLIST_TOKEN_LEN, hash);
    struct db_val v = DB_B(hash, 32);
    rc = db_exec(d, a,
                 "SELECT " PL_COLS PL_FROM
                 " JOIN playlist_links k ON k.playlist_id = p.id "
                 "WHERE k.token_hash = ? AND k.revoked_at IS NULL AND "
                 "(k.expires_at IS NULL OR k.expires_at > UTC_TIMESTAMP(3))",
                 &v, 1, DB_IDEMPOTENT, &res);
  } else {
    return RC_NOT_FOUND;
  }
  if (rc) return rc;
  if (res.nrows == 0) return RC_NOT_FOUND;
  row_playlist(&res.rows[0], p);
  return 0;
}

int playlist_forget_owner(struct db *d, struct kv *k, struct arena *a,
                          long long owner, const char ***covers, int *ncovers) {
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
    forget(k, id);
    search_unindex(d, SEARCH_PLAYLIST, id);
  }
  return 0;
}
