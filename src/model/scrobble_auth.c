/* scrobble_auth: the credentials of scrobbling clients; see scrobble.h.
 *
 * Keys, secrets, session keys and web-flow tokens are 128 random bits in
 * 32 lower-case hex digits, as Last.fm's are. A shared secret must be read
 * back to check signatures, so it is sealed (core/seal.h); a session key
 * and a ListenBrainz token are found by their SHA-256 (the token also
 * sealed, since its owner reads it back). */
#include "model/scrobble.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/md5.h"
#include "core/pw.h"
#include "core/rc.h"
#include "core/bytes.h"
#include "core/rnd.h"
#include "core/seal.h"
#include "model/cap.h"

/* random_hex: 128 random bits as 32 hex digits and a NUL. */
static void random_hex(char out[SCROBBLE_KEY_LEN + 1]) {
  unsigned char raw[SCROBBLE_KEY_LEN / 2];
  rnd_bytes(raw, sizeof raw);
  bytes_hex(raw, sizeof raw, out);
}

/* --- applications --------------------------------------------------------- */

int scrobble_app_create(struct db *d, struct arena *a, long long user,
                        const char *name, struct scrobble_app *app) {
  char key[SCROBBLE_KEY_LEN + 1], secret[SCROBBLE_KEY_LEN + 1];
  const unsigned char *box;
  size_t blen;
  random_hex(key);
  random_hex(secret);
  int rc = seal_box(a, secret, &box, &blen);
  if (rc) return rc;
  static const struct cap_of apps = {
      .count_sql = CAP_COUNT("scrobble_apps WHERE user_id = ?"),
      .cap = CAP_USER_SCROBBLE_APPS};
  struct db_val p[] = {DB_I(user), DB_S(name), DB_S(key), DB_B(box, blen)};
  struct db_res res;
  int tries = 0;
  do {
    rc = db_begin(d);
    if (!rc) rc = cap_lock_user(d, a, user);
    if (!rc)
      rc = cap_add(d, a,
                   "INSERT INTO scrobble_apps (user_id, name, api_key, secret) "
                   "VALUES (?, ?, ?, ?)",
                   p, 4, &apps, user, &res);
    if (!rc) rc = db_commit(d);
    if (rc) db_rollback(d);
  } while (db_retry(rc, &tries));
  if (rc) return rc;
  *app = (struct scrobble_app){.id = (long long)res.insert_id,
                               .owner = user,
                               .name = arena_strdup(a, name),
                               .api_key = arena_strdup(a, key),
                               .secret = arena_strdup(a, secret)};
  explicit_bzero(secret, sizeof secret);
  return app->api_key && app->secret ? 0 : RC_NOMEM;
}

int scrobble_app_find(struct db *d, struct arena *a, const char *api_key,
                      struct scrobble_app *app) {
  struct db_val p = DB_S(api_key);
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT id, user_id, name, api_key, secret FROM "
                   "scrobble_apps WHERE api_key = ?",
                   &p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (!res.nrows) return RC_NOT_FOUND;
  const struct db_row *row = &res.rows[0];
  char *secret;
  if ((rc = seal_open(a, row->v[4], row->len[4], &secret))) return rc;
  *app = (struct scrobble_app){.id = db_i64(row, 0, 0),
                               .owner = db_i64(row, 1, 0),
                               .name = db_s(row, 2),
                               .api_key = db_s(row, 3),
                               .secret = secret};
  return 0;
}

int scrobble_app_list(struct db *d, struct arena *a, long long user,
                      long long before, int limit, json_object *items,
                      long long *next) {
  struct db_val p[] = {DB_I(user), DB_I(before ? before : INT64_MAX),
                       DB_I(limit + 1)};
  struct db_res res;
  *next = 0;
  int rc = db_exec(d, a,
                   "SELECT p.id, p.name, p.api_key, CAST(UNIX_TIMESTAMP("
                   "p.created_at) AS SIGNED), (SELECT COUNT(*) FROM "
                   "scrobble_sessions s WHERE s.app_id = p.id) FROM "
                   "scrobble_apps p WHERE p.user_id = ? AND p.id < ? ORDER "
                   "BY p.id DESC LIMIT ?",
                   p, 3, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  for (int r = 0; r < res.nrows && r < limit; r++) {
    const struct db_row *row = &res.rows[r];
    json_object *o = json_object_new_object();
    jx_add_int(o, "id", db_i64(row, 0, 0));
    jx_add_str(o, "name", db_s(row, 1));
    jx_add_str(o, "api_key", db_s(row, 2));
    jx_add_time(o, "created_at", db_i64(row, 3, 0));
    jx_add_int(o, "sessions", db_i64(row, 4, 0));
    json_object_array_add(items, o);
  }
  if (res.nrows > limit) *next = db_i64(&res.rows[limit - 1], 0, 0);
  return 0;
}

int scrobble_app_delete(struct db *d, long long user, long long id) {
  struct db_val p[] = {DB_I(id), DB_I(user)};
  struct db_res res;
  int rc =
      db_exec(d, NULL, "DELETE FROM scrobble_apps WHERE id = ? AND user_id = ?",
              p, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  return res.affected ? 0 : RC_NOT_FOUND;
}

/* --- sessions ------------------------------------------------------------- */

int scrobble_session_open(struct db *d, struct arena *a, long long user,
                          long long app, char sk[SCROBBLE_KEY_LEN + 1]) {
  unsigned char h[32];
  random_hex(sk);
  bytes_sha256(sk, SCROBBLE_KEY_LEN, h);
  struct db_val p[] = {DB_B(h, 32), DB_I(user), DB_I(app)};
  int rc = db_exec(d, NULL,
                   "INSERT INTO scrobble_sessions (key_hash, user_id, app_id) "
                   "VALUES (?, ?, ?)",
                   p, 3, 0, NULL);
  if (rc) return rc;
  /* The newest SCROBBLE_SESSIONS_MAX of this user and application stay. */
  struct db_val q[] = {DB_I(user), DB_I(app), DB_I(user), DB_I(app),
                       DB_I(SCROBBLE_SESSIONS_MAX)};
  (void)a;
  return db_exec(d, NULL,
                 "DELETE FROM scrobble_sessions WHERE user_id = ? AND app_id "
                 "= ? AND key_hash NOT IN (SELECT key_hash FROM (SELECT "
                 "key_hash FROM scrobble_sessions WHERE user_id = ? AND "
                 "app_id = ? ORDER BY created_at DESC LIMIT ?) keep)",
                 q, 5, DB_IDEMPOTENT, NULL);
}

/* USABLE: the condition on users u of an account whose credentials work:
 * confirmed and not under a suspension in force (accounts.c's IN_FORCE). */
#define USABLE                                                                 \
  "u.confirm_by IS NULL AND NOT (u.status = 'suspended' AND "                  \
  "(u.suspended_until IS NULL OR u.suspended_until > UTC_TIMESTAMP(3)))"

int scrobble_session_user(struct db *d, struct arena *a, const char *sk,
                          long long app, long long *user,
                          const char **username) {
  unsigned char h[32];
  if (strlen(sk) != SCROBBLE_KEY_LEN) return RC_NOT_FOUND;
  bytes_sha256(sk, SCROBBLE_KEY_LEN, h);
  struct db_val p[] = {DB_B(h, 32), DB_I(app),
                       DB_I(SCROBBLE_SESSION_IDLE_DAYS)};
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT s.user_id, u.username, s.last_used_at < "
                   "UTC_TIMESTAMP(3) - INTERVAL 1 DAY FROM scrobble_sessions "
                   "s JOIN users u ON u.id = s.user_id WHERE s.key_hash = ? "
                   "AND s.app_id = ? AND s.last_used_at > UTC_TIMESTAMP(3) - "
                   "INTERVAL ? DAY AND " USABLE,
                   p, 3, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (!res.nrows) return RC_NOT_FOUND;
  *user = db_i64(&res.rows[0], 0, 0);
  *username = db_s(&res.rows[0], 1);
  if (db_i64(&res.rows[0], 2, 0)) {
    struct db_val q = DB_B(h, 32);
    db_exec(d, NULL,
            "UPDATE scrobble_sessions SET last_used_at = UTC_TIMESTAMP(3) "
            "WHERE key_hash = ?",
            &q, 1, DB_IDEMPOTENT, NULL);
  }
  return 0;
}

/* --- the web flow --------------------------------------------------------- */

int scrobble_token_new(struct db *d, struct arena *a, long long app,
                       char token[SCROBBLE_KEY_LEN + 1]) {
  struct db_val p = DB_I(app);
  struct db_res res;
  random_hex(token);
  int rc, tries = 0;
  do {
    rc = db_begin(d);
    /* The application's row orders its token writers (the count below
     * sees every earlier one). */
    if (!rc)
      rc = db_exec(d, a, "SELECT id FROM scrobble_apps WHERE id = ? FOR UPDATE",
                   &p, 1, 0, &res);
    if (!rc && !res.nrows) rc = RC_NOT_FOUND;
    if (!rc)
      rc = db_exec(d, NULL,
                   "DELETE FROM scrobble_auth_tokens WHERE app_id = ? AND "
                   "expires_at < UTC_TIMESTAMP(3)",
                   &p, 1, 0, NULL);
    if (!rc)
      rc = db_exec(d, a, CAP_COUNT("scrobble_auth_tokens WHERE app_id = ?"), &p,
                   1, 0, &res);
    if (!rc && db_i64(&res.rows[0], 0, 0) >= CAP_APP_AUTH_TOKENS) rc = RC_LIMIT;
    struct db_val q[] = {DB_S(token), DB_I(app), DB_I(SCROBBLE_TOKEN_TTL_S)};
    if (!rc)
      rc = db_exec(d, NULL,
                   "INSERT INTO scrobble_auth_tokens (token, app_id, "
                   "expires_at) VALUES (?, ?, UTC_TIMESTAMP(3) + INTERVAL ? "
                   "SECOND)",
                   q, 3, 0, NULL);
    if (!rc) rc = db_commit(d);
    if (rc) db_rollback(d);
  } while (db_retry(rc, &tries));
  return rc;
}

int scrobble_token_app(struct db *d, struct arena *a, const char *token,
                       struct scrobble_app *app) {
  struct db_val p = DB_S(token);
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT p.id, p.user_id, p.name, p.api_key FROM "
                   "scrobble_auth_tokens t JOIN scrobble_apps p ON p.id = "
                   "t.app_id WHERE t.token = ? AND t.expires_at > "
                   "UTC_TIMESTAMP(3)",
                   &p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (!res.nrows) return RC_NOT_FOUND;
  const struct db_row *row = &res.rows[0];
  *app = (struct scrobble_app){.id = db_i64(row, 0, 0),
                               .owner = db_i64(row, 1, 0),
                               .name = db_s(row, 2),
                               .api_key = db_s(row, 3)};
  return 0;
}

int scrobble_token_approve(struct db *d, const char *token, long long user) {
  struct db_val p[] = {DB_I(user), DB_S(token)};
  struct db_res res;
  int rc = db_exec(d, NULL,
                   "UPDATE scrobble_auth_tokens SET user_id = ? WHERE token "
                   "= ? AND expires_at > UTC_TIMESTAMP(3)",
                   p, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  return res.affected ? 0 : RC_NOT_FOUND;
}

int scrobble_token_take(struct db *d, struct arena *a, const char *token,
                        long long app, long long *user) {
  struct db_val p[] = {DB_S(token), DB_I(app)};
  struct db_res res;
  int rc, tries = 0;
  do {
    rc = db_begin(d);
    if (!rc)
      rc = db_exec(d, a,
                   "SELECT user_id, expires_at <= UTC_TIMESTAMP(3) FROM "
                   "scrobble_auth_tokens WHERE token = ? AND app_id = ? FOR "
                   "UPDATE",
                   p, 2, 0, &res);
    if (!rc && !res.nrows) rc = RC_NOT_FOUND;
    bool expired = !rc && db_i64(&res.rows[0], 1, 0);
    if (!rc && !expired && !db_s(&res.rows[0], 0)) rc = RC_UNAUTHORIZED;
    /* spent, or expired: either way the token goes */
    if (!rc)
      rc = db_exec(d, NULL,
                   "DELETE FROM scrobble_auth_tokens WHERE token = ? AND "
                   "app_id = ?",
                   p, 2, 0, NULL);
    if (!rc) rc = db_commit(d);
    if (rc)
      db_rollback(d);
    else if (expired)
      return RC_PRECONDITION;
  } while (db_retry(rc, &tries));
  if (!rc) *user = db_i64(&res.rows[0], 0, 0);
  return rc;
}

/* --- authToken ------------------------------------------------------------ */

int scrobble_verifier_note(struct db *d, struct arena *a, long long user,
                           const char *username, const char *password,
                           const char *password_hash) {
  unsigned char fp[32];
  bytes_sha256(password_hash, strlen(password_hash), fp);
  struct db_val p = DB_I(user);
  struct db_res res;
  int rc =
      db_exec(d, a, "SELECT pw_fp FROM scrobble_verifiers WHERE user_id = ?",
              &p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows && res.rows[0].len[0] == 32 &&
      !memcmp(res.rows[0].v[0], fp, 32))
    return 0; /* made under this password already */
  char inner[33], token[33], verifier[PW_HASH_MAX];
  md5_hex(password, strlen(password), inner);
  struct md5 m;
  md5_init(&m);
  md5_add(&m, username, strlen(username));
  md5_add(&m, inner, 32);
  md5_end_hex(&m, token);
  rc = pw_hash(token, verifier);
  explicit_bzero(inner, sizeof inner);
  explicit_bzero(token, sizeof token);
  if (rc) return rc;
  struct db_val q[] = {DB_I(user), DB_S(verifier), DB_B(fp, 32)};
  return db_exec(d, NULL,
                 "INSERT INTO scrobble_verifiers (user_id, verifier, pw_fp) "
                 "VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE verifier = "
                 "VALUES(verifier), pw_fp = VALUES(pw_fp), created_at = "
                 "UTC_TIMESTAMP(3)",
                 q, 3, DB_IDEMPOTENT, NULL);
}

int scrobble_verifier_check(struct db *d, struct arena *a, long long user,
                            const char *auth_token) {
  char token[33];
  size_t n = strlen(auth_token);
  if (n != 32) return RC_UNAUTHORIZED;
  for (size_t i = 0; i < n; i++) {
    char c = auth_token[i];
    if (c >= 'A' && c <= 'F') c = (char)(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return RC_UNAUTHORIZED;
    token[i] = c;
  }
  token[32] = '\0';
  struct db_val p = DB_I(user);
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT v.verifier FROM scrobble_verifiers v JOIN users u "
                   "ON u.id = v.user_id WHERE v.user_id = ? AND v.pw_fp = "
                   "UNHEX(SHA2(u.password_hash, 256))",
                   &p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (!res.nrows) {
    pw_dummy_verify(token);
    return RC_UNAUTHORIZED;
  }
  return pw_verify(db_s(&res.rows[0], 0), token);
}

/* --- ListenBrainz tokens -------------------------------------------------- */

/* new_uuid: a random (version 4) UUID in its 36-character form. */
static void new_uuid(char out[37]) {
  unsigned char b[16];
  char hex[33];
  rnd_bytes(b, sizeof b);
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
  bytes_hex(b, sizeof b, hex);
  snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
           hex + 16, hex + 20);
}

/* put_token: a fresh token for user (replacing any: `replace`), or none
 * when one exists and not replace. */
static int put_token(struct db *d, struct arena *a, long long user,
                     bool replace) {
  char t[37];
  unsigned char h[32];
  const unsigned char *box;
  size_t blen;
  new_uuid(t);
  bytes_sha256(t, 36, h);
  int rc = seal_box(a, t, &box, &blen);
  if (rc) return rc;
  struct db_val p[] = {DB_I(user), DB_B(h, 32), DB_B(box, blen)};
  return db_exec(d, NULL,
                 replace ? "INSERT INTO scrobble_tokens (user_id, token_hash, "
                           "token) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE "
                           "token_hash = VALUES(token_hash), token = "
                           "VALUES(token), created_at = UTC_TIMESTAMP(3)"
                         : "INSERT IGNORE INTO scrobble_tokens (user_id, "
                           "token_hash, token) VALUES (?, ?, ?)",
                 p, 3, DB_IDEMPOTENT, NULL);
}

/* read_token: user's token, opened. */
static int read_token(struct db *d, struct arena *a, long long user,
                      const char **token, long long *created_ms) {
  struct db_val p = DB_I(user);
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT token, CAST(UNIX_TIMESTAMP(created_at) * 1000 AS "
                   "SIGNED) FROM scrobble_tokens WHERE user_id = ?",
                   &p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (!res.nrows) return RC_NOT_FOUND;
  char *t;
  if ((rc = seal_open(a, res.rows[0].v[0], res.rows[0].len[0], &t))) return rc;
  *token = t;
  *created_ms = db_i64(&res.rows[0], 1, 0);
  return 0;
}

int scrobble_lbtoken_get(struct db *d, struct arena *a, long long user,
                         const char **token, long long *created_ms) {
  int rc = read_token(d, a, user, token, created_ms);
  if (rc != RC_NOT_FOUND) return rc;
  if ((rc = put_token(d, a, user, false))) return rc;
  return read_token(d, a, user, token, created_ms);
}

int scrobble_lbtoken_rotate(struct db *d, struct arena *a, long long user,
                            const char **token, long long *created_ms) {
  int rc = put_token(d, a, user, true);
  return rc ? rc : read_token(d, a, user, token, created_ms);
}

int scrobble_lbtoken_user(struct db *d, struct arena *a, const char *token,
                          long long *user, const char **username) {
  unsigned char h[32];
  bytes_sha256(token, strlen(token), h);
  struct db_val p = DB_B(h, 32);
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT t.user_id, u.username FROM scrobble_tokens t JOIN "
                   "users u ON u.id = t.user_id WHERE t.token_hash = ? AND "
                   USABLE,
                   &p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (!res.nrows) return RC_NOT_FOUND;
  *user = db_i64(&res.rows[0], 0, 0);
  *username = db_s(&res.rows[0], 1);
  return 0;
}
