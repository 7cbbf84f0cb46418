/* session: refresh-token families, revocation and password-reset tokens.
 * MariaDB holds the truth; memcached holds the revocation marks that every
 * authenticated request checks ("deny:<jti>", "srev:<sid>"), kept as long
 * as an access token can live. */
#include "model/session.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/kv.h"
#include "core/rc.h"
#include "core/rnd.h"
#include "core/str.h"
#include "core/tok.h"

/* Revocation marks outlive any access token issued before them. */
#define MARK_TTL (24 * 3600)

/* new_token: a fresh token and the SHA-256 stored in its place. */
static void new_token(char token[44], unsigned char hash[32]) {
  rnd_token(token);
  sha256(token, strlen(token), hash);
}

static int hash_of(const char *token, unsigned char hash[32]) {
  size_t n = strlen(token);
  if (n != 43) return RC_BAD_TOKEN;
  sha256(token, n, hash);
  return 0;
}

static int insert_refresh(struct db *d, long long sid, char token[44]) {
  unsigned char hash[32];
  new_token(token, hash);
  struct db_val p[] = {DB_B(hash, 32), DB_I(sid)};
  return db_exec(d, NULL,
                 "INSERT INTO refresh_tokens (token_hash, session_id) "
                 "VALUES (?, ?)",
                 p, 2, 0, NULL);
}

int session_create(struct db *d, long long user_id, const char *user_agent,
                   const char *ip, int ttl, long long *sid, char refresh[44]) {
  struct db_res res;
  char ua[256];
  /* The column is utf8mb4 under strict mode: clip, never fail a login. */
  str_utf8_clip(ua, sizeof ua, user_agent ? user_agent : "");
  struct db_val p[] = {DB_I(user_id), DB_I(ttl), DB_S(ua), DB_S(ip)};
  int rc = db_exec(d, NULL,
                   "INSERT INTO sessions (user_id, expires_at, user_agent, ip)"
                   " VALUES (?, UTC_TIMESTAMP(3) + INTERVAL ? SECOND, ?, ?)",
                   p, 4, 0, &res);
  if (rc) return rc;
  *sid = (long long)res.insert_id;
  return insert_refresh(d, *sid, refresh);
}

static void mark_revoked(struct kv *k, long long sid) {
  char key[48];
  snprintf(key, sizeof key, "srev:%lld", sid);
  kv_set(k, key, "1", 1, MARK_TTL);
}

int session_revoke(struct db *d, struct kv *k, long long sid) {
  struct db_val p = DB_I(sid);
  mark_revoked(k, sid);
  return db_exec(d, NULL,
                 "UPDATE sessions SET revoked_at = UTC_TIMESTAMP(3) "
                 "WHERE id = ? AND revoked_at IS NULL",
                 &p, 1, DB_IDEMPOTENT, NULL);
}

int session_revoke_user(struct db *d, struct kv *k, struct arena *a,
                        long long user_id, long long keep_sid) {
  struct db_res res;
  struct db_val p[] = {DB_I(user_id), DB_I(keep_sid)};
  int rc = db_exec(d, a,
                   "SELECT id FROM sessions WHERE user_id = ? AND id <> ? "
                   "AND revoked_at IS NULL AND expires_at > UTC_TIMESTAMP(3) "
                   "- INTERVAL 1 DAY",
                   p, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  for (int i = 0; i < res.nrows; i++)
    mark_revoked(k, db_i64(&res.rows[i], 0, 0));
  return db_exec(d, NULL,
                 "UPDATE sessions SET revoked_at = UTC_TIMESTAMP(3) "
                 "WHERE user_id = ? AND id <> ? AND revoked_at IS NULL",
                 p, 2, DB_IDEMPOTENT, NULL);
}

void session_deny_jti(struct kv *k, const char *jti, long long exp) {
  char key[64];
  long long ttl = exp - (long long)time(NULL) + 60;
  if (ttl <= 0) return;
  snprintf(key, sizeof key, "deny:%s", jti);
  kv_set(k, key, "1", 1, (int)(ttl < MARK_TTL ? ttl : MARK_TTL));
}

int session_check(struct db *d, struct kv *k, struct arena *a,
                  const struct tok_claims *c, const char *extra, char **val,
                  size_t *len) {
  char deny[64], srev[48];
  snprintf(deny, sizeof deny, "deny:%s", c->jti);
  snprintf(srev, sizeof srev, "srev:%lld", c->sid);
  const char *keys[] = {deny, srev, extra};
  char *vals[3];
  size_t lens[3];
  if (val) *val = NULL;
  if (kv_mget(k, a, keys, extra ? 3 : 2, vals, lens) == 0) {
    if (vals[0] || vals[1]) return RC_BAD_TOKEN;
    if (extra && val) {
      *val = vals[2];
      *len = lens[2];
    }
    return 0;
  }

  /* memcached is down: the session row decides (logout revokes it too). */
  struct db_res res;
  struct db_val p[] = {DB_I(c->sid), DB_I(c->sub)};
  int rc = db_exec(d, a,
                   "SELECT 1 FROM sessions WHERE id = ? AND user_id = ? "
                   "AND revoked_at IS NULL",
                   p, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  return res.nrows ? 0 : RC_BAD_TOKEN;
}

int session_rotate(struct db *d, struct kv *k, struct arena *a,
                   const char *refresh, int ttl, long long *sid,
                   long long *user_id, char next[44]) {
  unsigned char hash[32];
  struct db_res res;
  if (hash_of(refresh, hash)) return RC_BAD_TOKEN;
  struct db_val h = DB_B(hash, 32);
  int rc = db_exec(d, a,
                   "SELECT t.session_id, s.user_id, t.used_at IS NOT NULL, "
                   "s.revoked_at IS NULL AND s.expires_at > UTC_TIMESTAMP(3) "
                   "FROM refresh_tokens t JOIN sessions s "
                   "ON s.id = t.session_id WHERE t.token_hash = ?",
                   &h, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_BAD_TOKEN;
  *sid = db_i64(&res.rows[0], 0, 0);
  *user_id = db_i64(&res.rows[0], 1, 0);
  bool used = db_i64(&res.rows[0], 2, 1) != 0;
  bool live = db_i64(&res.rows[0], 3, 0) != 0;
  if (!live) return RC_BAD_TOKEN;
  if (!used) {
    /* Claim the token; only one of two concurrent rotations wins. */
    struct db_res upd;
    rc = db_exec(d, NULL,
                 "UPDATE refresh_tokens SET used_at = UTC_TIMESTAMP(3) "
                 "WHERE token_hash = ? AND used_at IS NULL",
                 &h, 1, 0, &upd);
    if (rc) return rc;
    used = upd.affected == 0;
  }
  if (used) {
    /* A rotated token came back: someone holds a copy. End the family. */
    session_revoke(d, k, *sid);
    return RC_BAD_TOKEN;
  }
  struct db_val p[] = {DB_I(ttl), DB_I(*sid)};
  rc = db_exec(d, NULL,
               "UPDATE sessions SET last_used_at = UTC_TIMESTAMP(3), "
               "expires_at = UTC_TIMESTAMP(3) + INTERVAL ? SECOND WHERE id = ?",
               p, 2, 0, NULL);
  if (rc) return rc;
  return insert_refresh(d, *sid, next);
}

int reset_create(struct db *d, long long user_id, int ttl, char token[44]) {
  unsigned char hash[32];
  new_token(token, hash);
  struct db_val p[] = {DB_B(hash, 32), DB_I(user_id), DB_I(ttl)};
  return db_exec(d, NULL,
                 "INSERT INTO password_resets (token_hash, user_id, "
                 "expires_at) VALUES (?, ?, UTC_TIMESTAMP(3) + INTERVAL ? "
                 "SECOND)",
                 p, 3, 0, NULL);
}

int reset_consume(struct db *d, struct arena *a, const char *token,
                  long long *user_id) {
  unsigned char hash[32];
  struct db_res res, upd;
  if (hash_of(token, hash)) return RC_BAD_TOKEN;
  struct db_val h = DB_B(hash, 32);
  int rc = db_exec(d, NULL,
                   "UPDATE password_resets SET used_at = UTC_TIMESTAMP(3) "
                   "WHERE token_hash = ? AND used_at IS NULL "
                   "AND expires_at > UTC_TIMESTAMP(3)",
                   &h, 1, 0, &upd);
  if (rc) return rc;
  if (upd.affected != 1) return RC_BAD_TOKEN;
  rc = db_exec(d, a, "SELECT user_id FROM password_resets WHERE token_hash = ?",
               &h, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_BAD_TOKEN;
  *user_id = db_i64(&res.rows[0], 0, 0);
  /* Other outstanding reset tokens of the user die with this one. */
  struct db_val u = DB_I(*user_id);
  return db_exec(d, NULL,
                 "UPDATE password_resets SET used_at = UTC_TIMESTAMP(3) "
                 "WHERE user_id = ? AND used_at IS NULL",
                 &u, 1, 0, NULL);
}

int reset_lookup(struct db *d, struct arena *a, const char *token,
                 long long *user_id) {
  unsigned char hash[32];
  struct db_res res;
  if (hash_of(token, hash)) return RC_BAD_TOKEN;
  struct db_val h = DB_B(hash, 32);
  int rc = db_exec(d, a,
                   "SELECT user_id FROM password_resets WHERE token_hash = ? "
                   "AND used_at IS NULL AND expires_at > UTC_TIMESTAMP(3)",
                   &h, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_BAD_TOKEN;
  *user_id = db_i64(&res.rows[0], 0, 0);
  return 0;
}
