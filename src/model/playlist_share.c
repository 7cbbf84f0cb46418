/* playlist_share: who else opens a playlist: grants (view or edit access
 * for one user), share links (a token that opens it without an account)
 * and unlisted keys; all but the opening by token are the owner's. */
#include "model/playlist.h"

#include <stdbool.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/bytes.h"
#include "core/rnd.h"
#include "model/cap.h"
#include "model/playlist_internal.h"

void playlist_new_key(char out[PLAYLIST_KEY_LEN + 1]) {
  unsigned char raw[16];
  char buf[4 * ((sizeof raw + 2) / 3) + 1];
  rnd_bytes(raw, sizeof raw);
  bytes_b64url(raw, sizeof raw, buf);
  memcpy(out, buf, PLAYLIST_KEY_LEN + 1);
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

/* add_page: the first `limit` rows of res (read with LIMIT limit + 1) as
 * JSON items made by row_json; *next is the id (first column) of the last
 * one when more follow, else 0. */
static void add_page(const struct db_res *res, int limit,
                     json_object *(*row_json)(const struct db_row *r),
                     json_object *items, long long *next) {
  *next = 0;
  for (int i = 0; i < res->nrows && i < limit; i++) {
    json_object_array_add(items, row_json(&res->rows[i]));
    if (i == limit - 1 && res->nrows > limit)
      *next = db_i64(&res->rows[i], 0, 0);
  }
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
  add_page(&res, limit, grant_json, items, next);
  return 0;
}

/* grant_once: the grant written and counted under the owner's row lock
 * (cap.h); a grant changed grows nothing and is never refused. */
static int grant_once(struct db *d, struct arena *a, long long id,
                      long long viewer, long long user, const char *access) {
  static const struct cap_of grants = {
      .count_sql = CAP_COUNT("playlist_grants WHERE playlist_id = ?"),
      .cap = CAP_PLAYLIST_GRANTS};
  struct playlist_locked l;
  struct db_res res;
  int rc = playlist_lock_sharing(d, a, id, viewer, &l);
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
  return playlist_finish(d, rc);
}

int playlist_grant_put(struct db *d, struct kv *k, struct arena *a,
                       long long id, long long viewer, long long user,
                       const char *access, json_object **out) {
  int rc, tries = 0;
  do
    rc = grant_once(d, a, id, viewer, user, access);
  while (db_retry(rc, &tries));
  if (rc) return rc;
  playlist_cache_bump(k, id);
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
  if (!rc) playlist_cache_bump(k, id);
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
  struct playlist_locked l;
  struct db_res res;
  int rc = playlist_lock_sharing(d, a, id, viewer, &l);
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
  return playlist_finish(d, rc);
}

int playlist_link_create(struct db *d, struct arena *a, long long id,
                         long long viewer, long long ttl, long long *link_id,
                         char token[44], long long *expires_at) {
  unsigned char hash[32];
  struct db_res res;
  int rc, tries = 0;
  rnd_token(token);
  bytes_sha256(token, strlen(token), hash);
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

/* link_json: a link as its owner sees it, without its token. */
static json_object *link_json(const struct db_row *r) {
  json_object *o = json_object_new_object();
  jx_add_int(o, "id", db_i64(r, 0, 0));
  jx_add_time(o, "expires_at", db_i64(r, 1, 0));
  jx_add_bool(o, "expired", db_i64(r, 3, 0) != 0);
  jx_add_time(o, "created_at", db_i64(r, 2, 0));
  return o;
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
  add_page(&res, limit, link_json, items, next);
  return 0;
}

int playlist_link_revoke(struct db *d, struct arena *a, long long id,
                         long long viewer, long long link_id, bool *revoked) {
  *revoked = false;
  int rc = owner_only(d, a, id, viewer);
  if (rc) return rc;
  struct db_val v[] = {DB_I(link_id), DB_I(id)};
  struct db_res res;
  rc = db_exec(d, a,
               "UPDATE playlist_links SET revoked_at = UTC_TIMESTAMP(3) "
               "WHERE id = ? AND playlist_id = ? AND revoked_at IS NULL",
               v, 2, 0, &res);
  if (!rc) *revoked = res.affected > 0;
  return rc;
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
                 "SELECT " PLAYLIST_COLS PLAYLIST_FROM
                 " WHERE p.unlisted_key = ? "
                 "AND p.visibility <> 'private'",
                 &v, 1, DB_IDEMPOTENT, &res);
  } else if (key_valid(token, PLAYLIST_TOKEN_LEN)) {
    unsigned char hash[32];
    bytes_sha256(token, PLAYLIST_TOKEN_LEN, hash);
    struct db_val v = DB_B(hash, 32);
    rc = db_exec(d, a,
                 "SELECT " PLAYLIST_COLS PLAYLIST_FROM
                 " JOIN playlist_links k ON k.playlist_id = p.id "
                 "WHERE k.token_hash = ? AND k.revoked_at IS NULL AND "
                 "(k.expires_at IS NULL OR k.expires_at > UTC_TIMESTAMP(3))",
                 &v, 1, DB_IDEMPOTENT, &res);
  } else {
    return RC_NOT_FOUND;
  }
  if (rc) return rc;
  if (res.nrows == 0) return RC_NOT_FOUND;
  playlist_from_row(&res.rows[0], p);
  return 0;
}
