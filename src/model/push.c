/* push: devices, push preferences and the outbox's writes; see push.h. */
#include "model/push.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/cfg.h"
#include "core/db.h"
#include "core/fetch.h"
#include "core/jx.h"
#include "core/pushcrypto.h"
#include "core/rc.h"
#include "core/bytes.h"
#include "core/str.h"
#include "model/cap.h"
#include "model/party.h"

const char *const push_kind_names[PUSH_KINDS + 1] = {
    [PUSH_FOLLOWER] = "follower",
    [PUSH_FOLLOW_REQUEST] = "follow_request",
    [PUSH_COMMENT] = "comment",
    [PUSH_REPLY] = "reply",
    [PUSH_MENTION] = "mention",
    [PUSH_PARTY_STARTED] = "party_started",
    [PUSH_PARTY_INVITE] = "party_invite",
    [PUSH_DIGEST] = "digest",
    [PUSH_NEW_RELEASE] = "new_release",
    [PUSH_KINDS] = NULL,
};

const char *const push_channel_names[PUSH_CHANNELS] = {
    [PUSH_WEBPUSH] = "webpush", [PUSH_FCM] = "fcm", [PUSH_APNS] = "apns"};

int push_kind_of(const char *s) {
  for (int k = 0; s && k < PUSH_KINDS; k++)
    if (!strcmp(s, push_kind_names[k])) return k;
  return -1;
}

int push_kind_ttl(enum push_kind k) {
  static const int ttl[PUSH_KINDS] = {
      [PUSH_FOLLOWER] = 86400,        [PUSH_FOLLOW_REQUEST] = 3 * 86400,
      [PUSH_COMMENT] = 86400,         [PUSH_REPLY] = 86400,
      [PUSH_MENTION] = 86400,         [PUSH_PARTY_STARTED] = 3600,
      [PUSH_PARTY_INVITE] = 7200,     [PUSH_DIGEST] = 3 * 86400,
      [PUSH_NEW_RELEASE] = 2 * 86400,
  };
  return ttl[k];
}

/* kinds_text: a bit set as the SET column's text ("" for none). */
static const char *kinds_text(struct arena *a, unsigned kinds) {
  struct sbuf b;
  sbuf_init(&b, a);
  sbuf_adds(&b, "");
  for (int k = 0; k < PUSH_KINDS; k++)
    if (kinds & (1u << k)) {
      if (b.len) sbuf_addc(&b, ',');
      sbuf_adds(&b, push_kind_names[k]);
    }
  return b.oom ? NULL : b.s;
}

/* kinds_of: the SET column's text as a bit set. */
static unsigned kinds_of(const char *s) {
  unsigned k = 0;
  while (s && *s) {
    size_t n = strcspn(s, ",");
    for (int i = 0; i < PUSH_KINDS; i++)
      if (strlen(push_kind_names[i]) == n && !strncmp(s, push_kind_names[i], n))
        k |= 1u << i;
    s += n + (s[n] == ',');
  }
  return k;
}

static json_object *kinds_json(unsigned kinds) {
  json_object *arr = json_object_new_array();
  for (int k = 0; k < PUSH_KINDS; k++)
    if (kinds & (1u << k))
      json_object_array_add(arr, json_object_new_string(push_kind_names[k]));
  return arr;
}

/* --- devices -------------------------------------------------------------- */

/* all_of: whether every character of s passes ok or is in extra. */
static bool all_of(const char *s, int (*ok)(int), const char *extra) {
  for (; *s; s++)
    if (!ok((unsigned char)*s) && !strchr(extra, *s)) return false;
  return true;
}

int push_device_check(const struct push_device_in *d, const char **field,
                      const char **why) {
  const char *t = d->type;
  *field = "";
  if (!strcmp(t, "webpush")) {
    unsigned char pt[PUSHCRYPTO_POINT + 1], au[PUSHCRYPTO_AUTH + 1];
    const char *reason;
    *field = "endpoint";
    if (!d->endpoint || strlen(d->endpoint) > 2048 ||
        strncmp(d->endpoint, "https://", 8)) {
      *why = "must be an https URL of at most 2048 characters";
      return RC_INVALID;
    }
    if (!all_of(d->endpoint, isgraph, "")) {
      *why = "must be a URL without spaces or control characters";
      return RC_INVALID;
    }
    if (fetch_url_allowed(d->endpoint, &reason)) {
      *why = !strcmp(reason, "only https URLs are fetched")
                 ? "must be an https URL"
                 : "must be a public https URL (not a private, loopback or "
                   "link-local address)";
      return RC_INVALID;
    }
    *field = "keys.p256dh";
    if (!d->p256dh ||
        pushcrypto_b64url_decode(d->p256dh, strlen(d->p256dh), pt, sizeof pt) !=
            PUSHCRYPTO_POINT ||
        !pushcrypto_point_ok(pt)) {
      *why = "must be an uncompressed P-256 public key (65 bytes, base64url) "
             "on the curve";
      return RC_INVALID;
    }
    *field = "keys.auth";
    if (!d->auth || pushcrypto_b64url_decode(d->auth, strlen(d->auth), au,
                                             sizeof au) != PUSHCRYPTO_AUTH) {
      *why = "must be a 16-byte authentication secret (base64url)";
      return RC_INVALID;
    }
    return 0;
  }
  *field = "token";
  size_t n = d->token ? strlen(d->token) : 0;
  if (!strcmp(t, "fcm")) {
    if (n < 100 || n > 4096 || !all_of(d->token, isalnum, "_:-")) {
      *why = "must be an FCM registration token (100 to 4096 characters of "
             "letters, digits, '_', ':' and '-')";
      return RC_INVALID;
    }
    return 0;
  }
  if (!strcmp(t, "apns")) {
    if (n != 64 || !all_of(d->token, isxdigit, "")) {
      *why = "must be an APNs device token (64 hexadecimal digits)";
      return RC_INVALID;
    }
    *field = "environment";
    if (d->environment && strcmp(d->environment, "production") &&
        strcmp(d->environment, "development")) {
      *why = "must be production or development";
      return RC_INVALID;
    }
    return 0;
  }
  *field = "type";
  *why = "must be webpush, fcm or apns";
  return RC_INVALID;
}

#define DEVICE_COLS                                                            \
  "id, type, endpoint, environment, kinds, "                                   \
  "FLOOR(UNIX_TIMESTAMP(created_at)), FLOOR(UNIX_TIMESTAMP(last_ok_at))"
enum { DC_ID, DC_TYPE, DC_ENDPOINT, DC_ENV, DC_KINDS, DC_CREATED, DC_OK };

/* origin: scheme://host[:port] of an endpoint (what the list shows of it:
 * the rest is a credential). */
static const char *origin(struct arena *a, const char *url) {
  const char *p = strstr(url, "://");
  if (!p) return NULL;
  size_t n = (size_t)(p + 3 - url) + strcspn(p + 3, "/?#");
  return arena_strndup(a, url, n);
}

static json_object *device_json(struct arena *a, const struct db_row *row) {
  json_object *o = json_object_new_object();
  jx_add_int(o, "id", db_i64(row, DC_ID, 0));
  jx_add_str(o, "type", db_s(row, DC_TYPE));
  if (db_s(row, DC_ENDPOINT))
    jx_add_str(o, "origin", origin(a, db_s(row, DC_ENDPOINT)));
  if (db_s(row, DC_ENV)) jx_add_str(o, "environment", db_s(row, DC_ENV));
  json_object_object_add(
      o, "kinds",
      db_s(row, DC_KINDS) ? kinds_json(kinds_of(db_s(row, DC_KINDS))) : NULL);
  jx_add_time(o, "created_at", db_i64(row, DC_CREATED, 0));
  if (db_s(row, DC_OK))
    jx_add_time(o, "last_ok_at", db_i64(row, DC_OK, 0));
  else
    json_object_object_add(o, "last_ok_at", NULL);
  return o;
}

static int device_read(struct db *d, struct arena *a, long long user,
                       long long id, json_object **out) {
  struct db_val p[] = {DB_I(id), DB_I(user)};
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT " DEVICE_COLS
                   " FROM push_devices WHERE id = ? AND user_id = ?",
                   p, 2, DB_IDEMPOTENT, &res);
  if (!rc && res.nrows == 0) rc = RC_NOT_FOUND;
  if (!rc) *out = jx_own(a, device_json(a, &res.rows[0]));
  return rc;
}

static const struct cap_of cap_devices = {
    .count_sql = CAP_COUNT("push_devices WHERE user_id = ?"),
    .cap = CAP_USER_PUSH_DEVICES};

static int device_add_once(struct db *d, struct arena *a, long long user,
                           const struct push_device_in *in,
                           const unsigned char handle[32], bool *created,
                           long long *id) {
  unsigned char pt[PUSHCRYPTO_POINT], au[PUSHCRYPTO_AUTH];
  bool web = !strcmp(in->type, "webpush");
  if (web) {
    pushcrypto_b64url_decode(in->p256dh, strlen(in->p256dh), pt, sizeof pt);
    pushcrypto_b64url_decode(in->auth, strlen(in->auth), au, sizeof au);
  }
  const char *kinds = in->has_kinds ? kinds_text(a, in->kinds) : NULL;
  const char *env = !strcmp(in->type, "apns")
                        ? (in->environment ? in->environment : "production")
                        : NULL;
  struct db_val h[] = {DB_B(handle, 32), DB_I(user)};
  struct db_val p[] = {DB_I(user),
                       DB_S(in->type),
                       web ? DB_S(in->endpoint) : DB_NUL,
                       web ? DB_B(pt, sizeof pt) : DB_NUL,
                       web ? DB_B(au, sizeof au) : DB_NUL,
                       web ? DB_NUL : DB_S(in->token),
                       DB_S(env),
                       DB_S(kinds),
                       DB_B(handle, 32)};
  struct db_res res;
  int rc = db_begin(d);
  if (!rc) rc = cap_lock_user(d, a, user);
  /* The device changed hands: it is no longer the other user's. */
  if (!rc)
    rc = db_exec(d, NULL,
                 "DELETE FROM push_devices WHERE handle = ? AND user_id <> ?",
                 h, 2, 0, NULL);
  if (!rc)
    rc = cap_add(d, a,
                 "INSERT INTO push_devices (user_id, type, endpoint, p256dh, "
                 "auth, token, environment, kinds, handle) VALUES (?, ?, ?, "
                 "?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE p256dh = "
                 "VALUES(p256dh), auth = VALUES(auth), environment = "
                 "VALUES(environment), kinds = VALUES(kinds)",
                 p, 9, &cap_devices, user, &res);
  if (!rc) *created = res.affected == 1;
  if (!rc)
    rc = db_exec(d, a, "SELECT id FROM push_devices WHERE handle = ?", h, 1, 0,
                 &res);
  if (!rc && res.nrows) *id = db_i64(&res.rows[0], 0, 0);
  if (!rc) return db_commit(d);
  db_rollback(d);
  return rc;
}

int push_device_add(struct db *d, struct arena *a, long long user,
                    const struct push_device_in *in, bool *created,
                    json_object **out) {
  const char *what = !strcmp(in->type, "webpush") ? in->endpoint : in->token;
  const char *key = arena_printf(a, "%s:%s", in->type, what);
  unsigned char handle[32];
  long long id = 0;
  if (!key) return RC_NOMEM;
  bytes_sha256(key, strlen(key), handle);
  int rc, tries = 0;
  do
    rc = device_add_once(d, a, user, in, handle, created, &id);
  while (db_retry(rc, &tries));
  if (!rc) rc = device_read(d, a, user, id, out);
  return rc;
}

int push_device_list(struct db *d, struct arena *a, long long user,
                     long long after, int limit, json_object **items,
                     long long *last, bool *more) {
  struct db_val p[] = {DB_I(user), DB_I(after > 0 ? after : INT64_MAX),
                       DB_I(limit + 1)};
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT " DEVICE_COLS " FROM push_devices WHERE user_id = "
                   "? AND id < ? ORDER BY id DESC LIMIT ?",
                   p, 3, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  json_object *arr = jx_own(a, json_object_new_array());
  int n = res.nrows > limit ? limit : res.nrows;
  for (int i = 0; i < n; i++)
    json_object_array_add(arr, device_json(a, &res.rows[i]));
  *more = res.nrows > limit;
  *last = n ? db_i64(&res.rows[n - 1], DC_ID, 0) : 0;
  *items = arr;
  return 0;
}

int push_device_delete(struct db *d, long long user, long long id) {
  struct db_val p[] = {DB_I(id), DB_I(user)};
  struct db_res res;
  int rc =
      db_exec(d, NULL, "DELETE FROM push_devices WHERE id = ? AND user_id = ?",
              p, 2, DB_IDEMPOTENT, &res);
  if (!rc && res.affected == 0) rc = RC_NOT_FOUND;
  return rc;
}

int push_device_kinds(struct db *d, struct arena *a, long long user,
                      long long id, bool has, unsigned kinds,
                      json_object **out) {
  struct db_val p[] = {DB_S(has ? kinds_text(a, kinds) : NULL), DB_I(id),
                       DB_I(user)};
  int rc = db_exec(d, NULL,
                   "UPDATE push_devices SET kinds = ? WHERE id = ? AND "
                   "user_id = ?",
                   p, 3, DB_IDEMPOTENT, NULL);
  if (!rc) rc = device_read(d, a, user, id, out);
  return rc;
}

/* --- preferences ---------------------------------------------------------- */

int push_prefs_get(struct db *d, struct arena *a, long long user,
                   struct push_prefs *p) {
  struct db_val u = DB_I(user);
  struct db_res res;
  *p = (struct push_prefs){.kinds = PUSH_ALL,
                           .quiet_start = -1,
                           .quiet_end = -1,
                           .time_zone = "UTC"};
  int rc = db_exec(d, a,
                   "SELECT p.kinds, p.quiet_start, p.quiet_end, "
                   "up.time_zone FROM users u LEFT JOIN push_prefs p ON "
                   "p.user_id = u.id LEFT JOIN user_preferences up ON "
                   "up.user_id = u.id WHERE u.id = ?",
                   &u, 1, DB_IDEMPOTENT, &res);
  if (rc || res.nrows == 0) return rc ? rc : RC_NOT_FOUND;
  const struct db_row *row = &res.rows[0];
  if (db_s(row, 0)) p->kinds = kinds_of(db_s(row, 0));
  p->quiet_start = (int)db_i64(row, 1, -1);
  p->quiet_end = (int)db_i64(row, 2, -1);
  if (db_s(row, 3)) p->time_zone = db_s(row, 3);
  return 0;
}

int push_prefs_put(struct db *d, long long user, const struct push_prefs *p) {
  char kinds[256];
  struct arena *a = arena_new(0);
  const char *k = a ? kinds_text(a, p->kinds) : NULL;
  if (!k) {
    arena_free(a);
    return RC_NOMEM;
  }
  snprintf(kinds, sizeof kinds, "%s", k);
  arena_free(a);
  bool quiet = p->quiet_start >= 0 && p->quiet_end >= 0;
  struct db_val v[] = {DB_I(user), DB_S(kinds),
                       quiet ? DB_I(p->quiet_start) : DB_NUL,
                       quiet ? DB_I(p->quiet_end) : DB_NUL};
  return db_exec(d, NULL,
                 "INSERT INTO push_prefs (user_id, kinds, quiet_start, "
                 "quiet_end) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
                 "kinds = VALUES(kinds), quiet_start = VALUES(quiet_start), "
                 "quiet_end = VALUES(quiet_end), updated_at = "
                 "UTC_TIMESTAMP(3)",
                 v, 4, DB_IDEMPOTENT, NULL);
}

json_object *push_prefs_json(const struct push_prefs *p) {
  json_object *o = json_object_new_object();
  json_object_object_add(o, "kinds", kinds_json(p->kinds));
  if (p->quiet_start >= 0 && p->quiet_end >= 0) {
    char s[24], e[24];
    json_object *q = json_object_new_object();
    snprintf(s, sizeof s, "%02d:%02d", p->quiet_start / 60,
             p->quiet_start % 60);
    snprintf(e, sizeof e, "%02d:%02d", p->quiet_end / 60, p->quiet_end % 60);
    jx_add_str(q, "start", s);
    jx_add_str(q, "end", e);
    jx_add_str(q, "time_zone", p->time_zone ? p->time_zone : "UTC");
    json_object_object_add(o, "quiet_hours", q);
  } else {
    json_object_object_add(o, "quiet_hours", NULL);
  }
  return o;
}

bool push_quiet(int start, int end, int m) {
  if (start < 0 || end < 0 || start == end) return false;
  return start < end ? m >= start && m < end : m >= start || m < end;
}

/* --- the outbox ----------------------------------------------------------- */

int push_queue(struct db *d, struct arena *a, const struct push_event *e) {
  if (!e->user || e->kind < 0 || e->kind >= PUSH_KINDS) return 0;
  const char *kind = push_kind_names[e->kind];
  const char *key = e->object_type ? arena_printf(a, "%s:%s:%lld", kind,
                                                  e->object_type, e->object_id)
                                   : kind;
  if (!key) return RC_NOMEM;
  struct db_val p[] = {DB_I(e->user),
                       DB_S(kind),
                       DB_S(key),
                       e->actor ? DB_I(e->actor) : DB_NUL,
                       DB_S(e->object_type),
                       e->object_type ? DB_I(e->object_id) : DB_NUL,
                       DB_S(e->detail),
                       DB_I(e->ttl_s > 0 ? e->ttl_s : push_kind_ttl(e->kind)),
                       DB_I(e->user),
                       DB_I(e->user),
                       DB_S(kind)};
  return db_exec(d, NULL,
                 "INSERT INTO push_outbox (user_id, kind, group_key, "
                 "actor_id, object_type, object_id, detail, expires_at) "
                 "SELECT ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3) + INTERVAL ? "
                 "SECOND FROM DUAL WHERE EXISTS (SELECT 1 FROM push_devices "
                 "WHERE user_id = ?) AND NOT EXISTS (SELECT 1 FROM "
                 "push_prefs WHERE user_id = ? AND FIND_IN_SET(?, kinds) = "
                 "0)",
                 p, 11, 0, NULL);
}

int push_queue_followers(struct db *d, struct arena *a,
                         const struct push_event *e) {
  const char *kind = push_kind_names[e->kind];
  const char *key = e->object_type ? arena_printf(a, "%s:%s:%lld", kind,
                                                  e->object_type, e->object_id)
                                   : kind;
  if (!key) return RC_NOMEM;
  struct db_val p[] = {DB_S(kind),
                       DB_S(key),
                       DB_S(e->object_type),
                       e->object_type ? DB_I(e->object_id) : DB_NUL,
                       DB_S(e->detail),
                       DB_I(e->ttl_s > 0 ? e->ttl_s : push_kind_ttl(e->kind)),
                       DB_I(e->actor),
                       DB_S(kind)};
#define FOLLOWERS_SQL                                                          \
  "INSERT INTO push_outbox (user_id, kind, group_key, actor_id, "              \
  "object_type, object_id, detail, expires_at) SELECT f.follower_id, ?, "      \
  "?, f.followee_id, ?, ?, ?, UTC_TIMESTAMP(3) + INTERVAL ? SECOND FROM "      \
  "follows f WHERE f.followee_id = ? AND f.state = 'accepted' AND EXISTS "     \
  "(SELECT 1 FROM push_devices v WHERE v.user_id = f.follower_id) AND "        \
  "NOT EXISTS (SELECT 1 FROM push_prefs p WHERE p.user_id = "                  \
  "f.follower_id AND FIND_IN_SET(?, p.kinds) = 0) AND NOT EXISTS "             \
  "(SELECT 1 FROM blocks b WHERE (b.blocker_id = f.follower_id AND "           \
  "b.blocked_id = f.followee_id) OR (b.blocker_id = f.followee_id AND "        \
  "b.blocked_id = f.follower_id))"
  /* A party is told only to the followers who may see it (PARTY_SEES):
   * an invite-only party is not announced to every follower. */
  if (e->object_type && !strcmp(e->object_type, "party")) {
    struct db_val q[9];
    memcpy(q, p, sizeof p);
    q[8] = DB_I(e->object_id);
    return db_exec(d, NULL,
                   FOLLOWERS_SQL
                   " AND EXISTS (SELECT 1 FROM parties pp WHERE "
                   "pp.id = ? AND " PARTY_SEES("pp", "f.follower_id") ")",
                   q, 9, 0, NULL);
  }
  return db_exec(d, NULL, FOLLOWERS_SQL, p, 8, 0, NULL);
#undef FOLLOWERS_SQL
}

int push_queue_digests(struct db *d, long long *queued) {
  struct db_res res;
  *queued = 0;
  int rc = db_exec(
      d, NULL,
      "INSERT INTO push_outbox (user_id, kind, group_key, detail, "
      "expires_at) SELECT DISTINCT v.user_id, 'digest', 'digest', 'New "
      "recommendations are waiting for you', UTC_TIMESTAMP(3) + INTERVAL 3 "
      "DAY FROM push_devices v WHERE NOT EXISTS (SELECT 1 FROM push_prefs p "
      "WHERE p.user_id = v.user_id AND FIND_IN_SET('digest', p.kinds) = 0) "
      "AND NOT EXISTS (SELECT 1 FROM push_outbox o WHERE o.user_id = "
      "v.user_id AND o.kind = 'digest' AND o.created_at > UTC_TIMESTAMP(3) - "
      "INTERVAL 6 DAY) AND NOT EXISTS (SELECT 1 FROM push_messages m WHERE "
      "m.user_id = v.user_id AND m.kind = 'digest' AND m.created_at > "
      "UTC_TIMESTAMP(3) - INTERVAL 6 DAY)",
      NULL, 0, 0, &res);
  if (!rc) *queued = (long long)res.affected;
  return rc;
}

int push_queue_releases(struct db *d, long long *queued) {
  struct db_res res;
  *queued = 0;
  /* Albums added in the last two days, to the users who like an album or
   * a track of their artist; once per user and album. */
  int rc = db_exec(
      d, NULL,
      "INSERT INTO push_outbox (user_id, kind, group_key, object_type, "
      "object_id, detail, expires_at) SELECT DISTINCT f.user_id, "
      "'new_release', CONCAT('new_release:album:', al.id), 'album', al.id, "
      "LEFT(CONCAT(ar.name, ' - ', al.title), 255), UTC_TIMESTAMP(3) + "
      "INTERVAL 2 DAY FROM albums al JOIN artists ar ON ar.id = al.artist_id "
      "JOIN (SELECT l.user_id, a2.artist_id, a2.id AS liked FROM likes l "
      "JOIN albums a2 ON l.object_type = 'album' AND a2.id = l.object_id "
      "WHERE a2.artist_id IN (SELECT artist_id FROM albums WHERE created_at "
      "> UTC_TIMESTAMP(3) - INTERVAL 2 DAY) UNION SELECT l.user_id, "
      "a3.artist_id, a3.id FROM likes l JOIN tracks t ON l.object_type = "
      "'track' AND t.id = l.object_id JOIN albums a3 ON a3.id = t.album_id "
      "WHERE a3.artist_id IN (SELECT artist_id FROM albums WHERE created_at "
      "> UTC_TIMESTAMP(3) - INTERVAL 2 DAY)) f ON f.artist_id = al.artist_id "
      "AND f.liked <> al.id WHERE al.created_at > UTC_TIMESTAMP(3) - "
      "INTERVAL 2 DAY AND EXISTS (SELECT 1 FROM push_devices v WHERE "
      "v.user_id = f.user_id) AND NOT EXISTS (SELECT 1 FROM push_prefs p "
      "WHERE p.user_id = f.user_id AND FIND_IN_SET('new_release', p.kinds) "
      "= 0) AND NOT EXISTS (SELECT 1 FROM push_outbox o WHERE o.user_id = "
      "f.user_id AND o.group_key = CONCAT('new_release:album:', al.id)) AND "
      "NOT EXISTS (SELECT 1 FROM push_messages m WHERE m.user_id = "
      "f.user_id AND m.kind = 'new_release' AND m.object_type = 'album' AND "
      "m.object_id = al.id)",
      NULL, 0, 0, &res);
  if (!rc) *queued = (long long)res.affected;
  return rc;
}

/* --- configuration -------------------------------------------------------- */

const char *push_channel_off(const struct cfg *c, enum push_channel ch) {
  switch (ch) {
  case PUSH_WEBPUSH: {
    unsigned char d[33];
    if (!c->vapid_private_key[0]) return "vapid_private_key is not set";
    if (pushcrypto_b64url_decode(c->vapid_private_key,
                                 strlen(c->vapid_private_key), d,
                                 sizeof d) != 32)
      return "vapid_private_key is not 32 bytes of base64url";
    return NULL;
  }
  case PUSH_FCM:
    if (!c->fcm_service_account_file[0])
      return "fcm_service_account_file is not set";
    if (access(c->fcm_service_account_file, R_OK))
      return "fcm_service_account_file cannot be read";
    return NULL;
  case PUSH_APNS:
    if (!c->apns_key_file[0] || !c->apns_key_id[0] || !c->apns_team_id[0] ||
        !c->apns_topic[0])
      return "apns_key_file, apns_key_id, apns_team_id and apns_topic are not "
             "all set";
    if (access(c->apns_key_file, R_OK)) return "apns_key_file cannot be read";
    return NULL;
  default:
    return "no such channel";
  }
}

int push_vapid_public(struct arena *a, const struct cfg *c, const char **out) {
  unsigned char d[33], pub[PUSHCRYPTO_POINT];
  struct pushkey *k = NULL;
  if (push_channel_off(c, PUSH_WEBPUSH)) return RC_INVALID;
  pushcrypto_b64url_decode(c->vapid_private_key, strlen(c->vapid_private_key),
                           d, sizeof d);
  int rc = pushcrypto_key_raw(d, &k);
  if (!rc) rc = pushcrypto_key_public(k, pub);
  pushcrypto_key_free(k);
  explicit_bzero(d, sizeof d);
  if (rc) return rc;
  char *s = arena_alloc(a, 4 * ((PUSHCRYPTO_POINT + 2) / 3) + 1);
  if (!s) return RC_NOMEM;
  bytes_b64url(pub, sizeof pub, s);
  *out = s;
  return 0;
}
