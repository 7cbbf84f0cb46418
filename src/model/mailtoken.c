/* mailtoken: mailed single-use tokens; see mailtoken.h. */
#include "model/mailtoken.h"

#include <string.h>

#include "core/db.h"
#include "core/rc.h"
#include "core/bytes.h"
#include "core/rnd.h"

static const char *purpose_name(enum mailtoken_purpose p) {
  return p == MAILTOKEN_CONFIRM ? "confirm" : "reset";
}

/* hash_of: the stored form of a token as a client sent it. */
static int hash_of(const char *token, unsigned char hash[32]) {
  size_t n = strlen(token);
  if (n != 43) return RC_BAD_TOKEN;
  bytes_sha256(token, n, hash);
  return 0;
}

int mailtoken_create(struct db *d, long long user_id,
                     enum mailtoken_purpose purpose, int ttl, char token[44]) {
  unsigned char hash[32];
  rnd_token(token);
  bytes_sha256(token, strlen(token), hash);
  struct db_val p[] = {DB_B(hash, 32), DB_I(user_id),
                       DB_S(purpose_name(purpose)), DB_I(ttl)};
  return db_exec(d, NULL,
                 "INSERT INTO mail_tokens (token_hash, user_id, purpose, "
                 "expires_at) VALUES (?, ?, ?, UTC_TIMESTAMP(3) + INTERVAL ? "
                 "SECOND)",
                 p, 4, 0, NULL);
}

int mailtoken_lookup(struct db *d, struct arena *a, const char *token,
                     enum mailtoken_purpose purpose, long long *user_id) {
  unsigned char hash[32];
  struct db_res res;
  if (hash_of(token, hash)) return RC_BAD_TOKEN;
  struct db_val p[] = {DB_B(hash, 32), DB_S(purpose_name(purpose))};
  int rc = db_exec(d, a,
                   "SELECT user_id FROM mail_tokens WHERE token_hash = ? "
                   "AND purpose = ? AND used_at IS NULL "
                   "AND expires_at > UTC_TIMESTAMP(3)",
                   p, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_BAD_TOKEN;
  *user_id = db_i64(&res.rows[0], 0, 0);
  return 0;
}

int mailtoken_consume(struct db *d, struct arena *a, const char *token,
                      enum mailtoken_purpose purpose, long long *user_id) {
  unsigned char hash[32];
  struct db_res upd;
  if (hash_of(token, hash)) return RC_BAD_TOKEN;
  struct db_val p[] = {DB_B(hash, 32), DB_S(purpose_name(purpose))};
  int rc = db_exec(d, NULL,
                   "UPDATE mail_tokens SET used_at = UTC_TIMESTAMP(3) "
                   "WHERE token_hash = ? AND purpose = ? AND used_at IS NULL "
                   "AND expires_at > UTC_TIMESTAMP(3)",
                   p, 2, 0, &upd);
  if (rc) return rc;
  if (upd.affected != 1) return RC_BAD_TOKEN;
  struct db_res res;
  rc = db_exec(d, a, "SELECT user_id FROM mail_tokens WHERE token_hash = ?", p,
               1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_BAD_TOKEN;
  *user_id = db_i64(&res.rows[0], 0, 0);
  struct db_val u[] = {DB_I(*user_id), DB_S(purpose_name(purpose))};
  return db_exec(d, NULL,
                 "UPDATE mail_tokens SET used_at = UTC_TIMESTAMP(3) "
                 "WHERE user_id = ? AND purpose = ? AND used_at IS NULL",
                 u, 2, 0, NULL);
}
