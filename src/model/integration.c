/* integration: linked accounts and the flows that link them; see
 * integration.h. */
#include "model/integration.h"

#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/bytes.h"
#include "core/rnd.h"
#include "core/seal.h"
#include "core/timefmt.h"
#include "model/outbox.h"

static const char *const names[INTEGRATION_SERVICES] = {
    [INTEGRATION_LASTFM] = "lastfm",
    [INTEGRATION_LISTENBRAINZ] = "listenbrainz",
    [INTEGRATION_SPOTIFY] = "spotify",
    [INTEGRATION_APPLE_MUSIC] = "apple_music",
};

const char *integration_name(enum integration_service s) {
  return names[s];
}

int integration_parse(const char *s, enum integration_service *out) {
  for (int i = 0; i < INTEGRATION_SERVICES; i++)
    if (!strcmp(s, names[i])) {
      *out = (enum integration_service)i;
      return 0;
    }
  if (!strcmp(s, "apple-music")) {
    *out = INTEGRATION_APPLE_MUSIC;
    return 0;
  }
  return RC_INVALID;
}

/* outbox_of: the scrobbling target behind s, or -1. */
static int outbox_of(enum integration_service s) {
  return s == INTEGRATION_LASTFM         ? (int)OUTBOX_LASTFM
         : s == INTEGRATION_LISTENBRAINZ ? (int)OUTBOX_LISTENBRAINZ
                                         : -1;
}

/* open_opt: a sealed column opened, or NULL for SQL NULL. */
static int open_opt(struct arena *a, const struct db_row *row, int col,
                    const char **out) {
  char *t = NULL;
  *out = NULL;
  if (!row->v[col]) return 0;
  int rc = seal_open(a, row->v[col], row->len[col], &t);
  *out = t;
  return rc;
}

#define LINK_COLS                                                              \
  "account, token, refresh, CAST(UNIX_TIMESTAMP(token_expires_at) * 1000 AS "  \
  "SIGNED), scope, storefront, CAST(UNIX_TIMESTAMP(linked_at) * 1000 AS "      \
  "SIGNED), CAST(UNIX_TIMESTAMP(next_send_at) * 1000 AS SIGNED), failures, "   \
  "last_error, marks"

/* read_link: a row of LINK_COLS from col 0 into *out. */
static int read_link(struct arena *a, const struct db_row *row,
                     enum integration_service s, struct integration *out) {
  *out = (struct integration){.service = s,
                              .account = db_s(row, 0),
                              .expires_ms = db_i64(row, 3, 0),
                              .scope = db_s(row, 4),
                              .storefront = db_s(row, 5),
                              .linked_ms = db_i64(row, 6, 0),
                              .next_send_ms = db_i64(row, 7, 0),
                              .failures = (int)db_i64(row, 8, 0),
                              .last_error = db_s(row, 9),
                              .marks = db_s(row, 10)};
  int rc = open_opt(a, row, 1, &out->token);
  return rc ? rc : open_opt(a, row, 2, &out->refresh);
}

int integration_get(struct db *d, struct arena *a, long long user,
                    enum integration_service s, struct integration *out) {
  struct db_val p[] = {DB_I(user), DB_S(names[s])};
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT " LINK_COLS
                   " FROM integrations WHERE user_id = ? AND service = ?",
                   p, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (!res.nrows) return RC_NOT_FOUND;
  return read_link(a, &res.rows[0], s, out);
}

/* seal_opt: text sealed into *v, or SQL NULL for NULL text. */
static int seal_opt(struct arena *a, const char *text, struct db_val *v) {
  const unsigned char *box;
  size_t len;
  if (!text) {
    *v = DB_NUL;
    return 0;
  }
  int rc = seal_box(a, text, &box, &len);
  *v = DB_B(box, len);
  return rc;
}

/* expiry: a DATETIME(3) literal for ms, NULL for 0. */
static struct db_val expiry(struct arena *a, long long ms) {
  char buf[40];
  if (!ms) return DB_NUL;
  timefmt_sql(buf, sizeof buf, ms);
  return DB_S(arena_strdup(a, buf));
}

int integration_link(struct db *d, struct arena *a, long long user,
                     const struct integration *in) {
  struct db_val tok, ref;
  int rc = seal_opt(a, in->token, &tok);
  if (!rc) rc = seal_opt(a, in->refresh, &ref);
  if (rc) return rc;
  struct db_val p[] = {DB_I(user),
                       DB_S(names[in->service]),
                       DB_S(in->account ? in->account : ""),
                       tok,
                       ref,
                       expiry(a, in->expires_ms),
                       DB_S(in->scope ? in->scope : ""),
                       DB_S(in->storefront)};
  rc = db_exec(d, NULL,
               "INSERT INTO integrations (user_id, service, account, token, "
               "refresh, token_expires_at, scope, storefront) VALUES (?, ?, "
               "?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE account = "
               "VALUES(account), token = VALUES(token), refresh = "
               "VALUES(refresh), token_expires_at = VALUES(token_expires_at), "
               "scope = VALUES(scope), storefront = VALUES(storefront), "
               "linked_at = UTC_TIMESTAMP(3), next_send_at = "
               "UTC_TIMESTAMP(3), failures = 0, last_error = NULL",
               p, 8, DB_IDEMPOTENT, NULL);
  int o = outbox_of(in->service);
  if (!rc && o >= 0) rc = outbox_release(d, user, (enum outbox_service)o);
  return rc;
}

int integration_tokens(struct db *d, struct arena *a, long long user,
                       enum integration_service s, const char *token,
                       const char *refresh, long long expires_ms,
                       const char *scope) {
  struct db_val tok, ref;
  int rc = seal_opt(a, token, &tok);
  if (!rc) rc = seal_opt(a, refresh, &ref);
  if (rc) return rc;
  struct db_val p[] = {tok,         ref,        expiry(a, expires_ms),
                       DB_S(scope), DB_I(user), DB_S(names[s])};
  struct db_res res;
  rc = db_exec(d, NULL,
               "UPDATE integrations SET token = ?, refresh = COALESCE(?, "
               "refresh), token_expires_at = ?, scope = COALESCE(?, scope) "
               "WHERE user_id = ? AND service = ?",
               p, 6, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  return res.affected ? 0 : RC_NOT_FOUND;
}

int integration_unlink(struct db *d, long long user, enum integration_service s,
                       bool *removed) {
  struct db_val p[] = {DB_I(user), DB_S(names[s])};
  struct db_res res;
  *removed = false;
  int rc = db_exec(d, NULL,
                   "DELETE FROM integrations WHERE user_id = ? AND service = ?",
                   p, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  *removed = res.affected > 0;
  int o = outbox_of(s);
  return o >= 0 ? outbox_hold(d, user, (enum outbox_service)o) : 0;
}

int integration_delivered(struct db *d, long long user,
                          enum integration_service s, bool ok,
                          const char *error, int base_s) {
  if (ok) {
    struct db_val p[] = {DB_I(user), DB_S(names[s])};
    return db_exec(d, NULL,
                   "UPDATE integrations SET failures = 0, last_error = NULL, "
                   "next_send_at = UTC_TIMESTAMP(3) WHERE user_id = ? AND "
                   "service = ? AND failures > 0",
                   p, 2, DB_IDEMPOTENT, NULL);
  }
  struct db_val p[] = {DB_S(error), DB_I(base_s), DB_I(user), DB_S(names[s])};
  return db_exec(d, NULL,
                 "UPDATE integrations SET failures = failures + 1, last_error "
                 "= LEFT(?, 255), next_send_at = UTC_TIMESTAMP(3) + INTERVAL "
                 "LEAST(3600, ? * POW(2, LEAST(failures, 12))) SECOND WHERE "
                 "user_id = ? AND service = ?",
                 p, 4, DB_IDEMPOTENT, NULL);
}

int integration_marks(struct db *d, long long user, enum integration_service s,
                      const char *marks) {
  struct db_val p[] = {DB_S(marks), DB_I(user), DB_S(names[s])};
  return db_exec(d, NULL,
                 "UPDATE integrations SET marks = ? WHERE user_id = ? AND "
                 "service = ?",
                 p, 3, DB_IDEMPOTENT, NULL);
}

json_object *integration_json(enum integration_service s,
                              const struct integration *in) {
  json_object *o = json_object_new_object();
  jx_add_str(o, "service", names[s]);
  jx_add_bool(o, "linked", in != NULL);
  jx_add_str(o, "account", in ? in->account : NULL);
  jx_add_time(o, "linked_at", in ? in->linked_ms / 1000 : 0);
  if (s == INTEGRATION_SPOTIFY || s == INTEGRATION_APPLE_MUSIC) {
    jx_add_str(o, "scope", in ? in->scope : NULL);
    if (s == INTEGRATION_APPLE_MUSIC)
      jx_add_str(o, "storefront", in ? in->storefront : NULL);
  } else {
    jx_add_int(o, "failures", in ? in->failures : 0);
    jx_add_str(o, "last_error", in ? in->last_error : NULL);
  }
  return o;
}

int integration_list(struct db *d, struct arena *a, long long user,
                     json_object *items) {
  struct db_val p = DB_I(user);
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT service + 0, " LINK_COLS
                   " FROM integrations WHERE user_id = ?",
                   &p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  struct integration links[INTEGRATION_SERVICES];
  bool have[INTEGRATION_SERVICES] = {false};
  for (int r = 0; r < res.nrows; r++) {
    long long k = db_i64(&res.rows[r], 0, 0) - 1;
    if (k < 0 || k >= INTEGRATION_SERVICES) continue;
    struct db_row row = {.v = res.rows[r].v + 1, .len = res.rows[r].len + 1};
    /* the credentials are not shown: read the row without opening them */
    links[k] = (struct integration){.account = db_s(&row, 0),
                                    .scope = db_s(&row, 4),
                                    .storefront = db_s(&row, 5),
                                    .linked_ms = db_i64(&row, 6, 0),
                                    .failures = (int)db_i64(&row, 8, 0),
                                    .last_error = db_s(&row, 9)};
    have[k] = true;
  }
  for (int s = 0; s < INTEGRATION_SERVICES; s++)
    json_object_array_add(items, integration_json((enum integration_service)s,
                                                  have[s] ? &links[s] : NULL));
  return 0;
}

/* --- flows ---------------------------------------------------------------- */

/* state_hash: what oauth_states keeps of a state and its browser secret;
 * -1 when either is missing or too long. The row is found by this hash,
 * so no stored secret is compared byte by byte. */
static int state_hash(const char *state, const char *browser,
                      unsigned char h[32]) {
  char buf[2 * 128 + 2];
  size_t n = state ? strlen(state) : 0, m = browser ? strlen(browser) : 0;
  if (!n || n > 128 || !m || m > 128) return -1;
  memcpy(buf, state, n);
  buf[n] = '.';
  memcpy(buf + n + 1, browser, m);
  bytes_sha256(buf, n + 1 + m, h);
  return 0;
}

int integration_state_new(struct db *d, struct arena *a, long long user,
                          enum integration_service s, const char *verifier,
                          const char *browser, char state[44]) {
  unsigned char h[32];
  struct db_val v;
  rnd_token(state);
  if (state_hash(state, browser, h)) return RC_INVALID;
  int rc = seal_opt(a, verifier, &v);
  if (rc) return rc;
  /* Flows of this user and service left unfinished are dropped: one under
   * way at a time, so a user cannot pile them up. */
  struct db_val q[] = {DB_I(user), DB_S(names[s])};
  rc = db_exec(d, NULL,
               "DELETE FROM oauth_states WHERE (user_id = ? AND service = ?) "
               "OR expires_at < UTC_TIMESTAMP(3)",
               q, 2, DB_IDEMPOTENT, NULL);
  struct db_val p[] = {DB_B(h, 32), DB_I(user), DB_S(names[s]), v,
                       DB_I(INTEGRATION_STATE_TTL_S)};
  if (!rc)
    rc = db_exec(d, NULL,
                 "INSERT INTO oauth_states (state_hash, user_id, service, "
                 "verifier, expires_at) VALUES (?, ?, ?, ?, UTC_TIMESTAMP(3) "
                 "+ INTERVAL ? SECOND)",
                 p, 5, 0, NULL);
  return rc;
}

int integration_state_take(struct db *d, struct arena *a, const char *state,
                           const char *browser, enum integration_service s,
                           long long *user, const char **verifier) {
  unsigned char h[32];
  *verifier = NULL;
  if (state_hash(state, browser, h)) return RC_NOT_FOUND;
  struct db_val p[] = {DB_B(h, 32), DB_S(names[s])};
  struct db_res res;
  int rc = db_exec(d, a,
                   "DELETE FROM oauth_states WHERE state_hash = ? AND service "
                   "= ? RETURNING user_id, verifier, expires_at > "
                   "UTC_TIMESTAMP(3)",
                   p, 2, 0, &res);
  if (rc) return rc;
  if (!res.nrows || !db_i64(&res.rows[0], 2, 0)) return RC_NOT_FOUND;
  *user = db_i64(&res.rows[0], 0, 0);
  return open_opt(a, &res.rows[0], 1, verifier);
}
