/* session: refresh-token families and their revocation. MariaDB holds the
 * truth; memcached holds a mark per session ("sess:<sid>": "1" live, "0"
 * revoked) that every authenticated request reads. A missing mark is never
 * taken as "live": it costs one read of the session row by primary key,
 * whose answer is then cached. */
#include "model/session.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/kv.h"
#include "core/rc.h"
#include "core/bytes.h"
#include "core/rnd.h"
#include "core/str.h"
#include "core/tok.h"
#include "model/live_event.h"

/* Marks live a day: a revoked mark outlives any access token issued before
 * the revocation, and a live mark is rewritten "0" by every revocation (or,
 * when memcached cannot be told, deleted later by inval.c's replay). */
#define MARK_TTL (24 * 3600)

/* new_token: a fresh token and the SHA-256 stored in its place. */
static void new_token(char token[44], unsigned char hash[32]) {
  rnd_token(token);
  bytes_sha256(token, strlen(token), hash);
}

static int hash_of(const char *token, unsigned char hash[32]) {
  size_t n = strlen(token);
  if (n != 43) return RC_BAD_TOKEN;
  bytes_sha256(token, n, hash);
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

/* trim: revoke the user's live sessions past the newest SESSION_MAX, so
 * that logins without logouts cannot grow the table without bound. */
static int trim(struct db *d, struct kv *k, struct arena *a, long long user_id);

int session_create(struct db *d, struct kv *k, struct arena *a,
                   const struct session_start *s, long long *sid,
                   char refresh[44]) {
  struct db_res res;
  char ua[256];
  /* The column is utf8mb4 under strict mode: clip, never fail a login. */
  str_utf8_clip(ua, sizeof ua, s->user_agent ? s->user_agent : "");
  struct db_val p[] = {DB_I(s->user_id), DB_I(s->ttl), DB_S(ua), DB_S(s->ip)};
  int rc = db_exec(d, NULL,
                   "INSERT INTO sessions (user_id, expires_at, user_agent, ip)"
                   " VALUES (?, UTC_TIMESTAMP(3) + INTERVAL ? SECOND, ?, ?)",
                   p, 4, 0, &res);
  if (rc) return rc;
  *sid = (long long)res.insert_id;
  if ((rc = insert_refresh(d, *sid, refresh))) return rc;
  return trim(d, k, a, s->user_id);
}

static void mark_key(char *buf, size_t n, long long sid) {
  snprintf(buf, n, "sess:%lld", sid);
}

/* mark_revoked: after the revocation committed, say so in the cache. When
 * the cache cannot be told, the live mark it may hold is deleted instead,
 * and that failing too is recorded for replay by the kv_on_lost hook. */
static void mark_revoked(struct kv *k, long long sid) {
  char key[48];
  mark_key(key, sizeof key, sid);
  if (kv_set(k, key, "0", 1, MARK_TTL)) kv_del(k, key);
}

int session_revoke(struct db *d, struct kv *k, long long sid) {
  struct db_val p = DB_I(sid);
  struct db_res res;
  int rc = db_exec(d, NULL,
                   "UPDATE sessions SET revoked_at = UTC_TIMESTAMP(3) "
                   "WHERE id = ? AND revoked_at IS NULL",
                   &p, 1, DB_IDEMPOTENT, &res);
  if (rc == 0) mark_revoked(k, sid);
  /* Live connections of the session close too (encore-live). */
  if (rc == 0 && res.affected) rc = live_event_session(d, sid);
  return rc;
}

int session_revoke_user(struct db *d, struct kv *k, struct arena *a,
                        long long user_id, long long keep_sid) {
  struct db_res res;
  struct db_val p[] = {DB_I(user_id), DB_I(keep_sid)};
  int rc = db_exec(d, a,
                   "SELECT id FROM sessions WHERE user_id = ? AND id <> ? "
                   "AND revoked_at IS NULL",
                   p, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  rc = db_exec(d, NULL,
               "UPDATE sessions SET revoked_at = UTC_TIMESTAMP(3) "
               "WHERE user_id = ? AND id <> ? AND revoked_at IS NULL",
               p, 2, DB_IDEMPOTENT, NULL);
  /* The scrobbling credentials end with the sessions: Last.fm session keys
   * are deleted, and the ListenBrainz token too, so the next read of
   * /api/v1/me/scrobble-token makes a new one (a rotation). */
  if (!rc)
    rc = db_exec(d, NULL, "DELETE FROM scrobble_sessions WHERE user_id = ?", p,
                 1, DB_IDEMPOTENT, NULL);
  if (!rc)
    rc = db_exec(d, NULL, "DELETE FROM scrobble_tokens WHERE user_id = ?", p, 1,
                 DB_IDEMPOTENT, NULL);
  if (rc) return rc;
  /* Sessions opened between the two statements were not revoked, and get
   * no mark either. */
  for (int i = 0; i < res.nrows; i++)
    mark_revoked(k, db_i64(&res.rows[i], 0, 0));
  return live_event_post(d, &(struct live_event){.kind = LIVE_SESSIONS_REVOKED,
                                                 .user = user_id,
                                                 .other = keep_sid});
}

static int trim(struct db *d, struct kv *k, struct arena *a,
                long long user_id) {
  struct db_res res;
  struct db_val p[] = {DB_I(user_id), DB_I(SESSION_MAX)};
  int rc = db_exec(d, a,
                   "SELECT id FROM sessions WHERE user_id = ? AND revoked_at "
                   "IS NULL ORDER BY id DESC LIMIT 100 OFFSET ?",
                   p, 2, DB_IDEMPOTENT, &res);
  for (int i = 0; !rc && i < res.nrows; i++)
    rc = session_revoke(d, k, db_i64(&res.rows[i], 0, 0));
  return rc;
}

int session_check(struct db *d, struct kv *k, struct arena *a,
                  const struct tok_claims *c, const char *extra, char **val,
                  size_t *len) {
  char mark[48];
  mark_key(mark, sizeof mark, c->sid);
  const char *keys[] = {mark, extra};
  char *vals[2];
  size_t lens[2];
  if (val) *val = NULL;
  bool cached = kv_mget(k, a, keys, extra ? 2 : 1, vals, lens) == 0;
  if (cached && extra && val) {
    *val = vals[1];
    *len = lens[1];
  }
  if (cached && vals[0]) return strcmp(vals[0], "1") == 0 ? 0 : RC_BAD_TOKEN;

  /* No mark (never read, evicted, or memcached restarted or away): the row
   * decides, and its answer becomes the mark. `add`, not `set`: a
   * revocation that committed after this read has written "0", which must
   * win. */
  struct db_res res;
  struct db_val p[] = {DB_I(c->sub), DB_I(c->sid)};
  int rc = db_exec(d, a,
                   "SELECT user_id = ? AND revoked_at IS NULL FROM sessions "
                   "WHERE id = ?",
                   p, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  bool live = res.nrows == 1 && db_i64(&res.rows[0], 0, 0) == 1;
  if (cached) kv_add(k, mark, live ? "1" : "0", 1, MARK_TTL);
  return live ? 0 : RC_BAD_TOKEN;
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

int session_known_address(struct db *d, struct arena *a, long long user_id,
                          const char *ip, bool *known) {
  struct db_res res;
  struct db_val p[] = {DB_I(user_id), DB_S(ip)};
  int rc = db_exec(d, a,
                   "SELECT 1 FROM sessions WHERE user_id = ? AND ip = ? "
                   "LIMIT 1",
                   p, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  *known = res.nrows > 0;
  return 0;
}
