/* outbox: encore-push's reads and writes of the push outbox, its messages
 * and their deliveries (sql/migrations/0023_push.sql); see pushrun.h. */
#include <json-c/json.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "batch/push/pushrun.h"
#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/pushcrypto.h"
#include "core/rc.h"
#include "core/rnd.h"
#include "core/seal.h"
#include "core/str.h"
#include "core/tz.h"

/* Users whose outbox is grouped per transaction. */
#define GROUP_USERS 200

int pushbox_doubts(struct db *d, int doubt_s, long long *n) {
  struct db_val p = DB_I(doubt_s);
  struct db_res res;
  int rc = db_exec(d, NULL,
                   "UPDATE push_deliveries SET state = 'queued', next_at = "
                   "UTC_TIMESTAMP(3), outcome = 'in-doubt' WHERE state = "
                   "'sending' AND sending_at < UTC_TIMESTAMP(3) - INTERVAL ? "
                   "SECOND",
                   &p, 1, DB_IDEMPOTENT, &res);
  *n = rc ? 0 : (long long)res.affected;
  return rc;
}

/* local_minute: the minute of the local day of time zone tz now. */
static int local_minute(const char *tz, long long now) {
  const struct tz *z;
  if (tz_load(tz ? tz : "UTC", &z)) return (int)((now % 86400) / 60);
  long long t = now + tz_offset(z, now);
  long long m = (t % 86400 + 86400) % 86400;
  return (int)(m / 60);
}

/* The queued rows of some users, their groups in order. */
#define GROUP_ROWS                                                             \
  "SELECT o.id, o.user_id, o.kind, o.group_key, o.detail, o.object_type, "     \
  "o.object_id, o.actor_id, COALESCE(u.display_name, u.username), "            \
  "FLOOR(UNIX_TIMESTAMP(o.expires_at)) FROM JSON_TABLE(?, '$[*]' COLUMNS (u "  \
  "BIGINT PATH '$')) j JOIN push_outbox o ON o.user_id = j.u AND o.state = "   \
  "'queued' LEFT JOIN users u ON u.id = o.actor_id ORDER BY o.user_id, "       \
  "o.group_key, o.id FOR UPDATE"
enum {
  GR_ID,
  GR_USER,
  GR_KIND,
  GR_KEY,
  GR_DETAIL,
  GR_OTYPE,
  GR_OID,
  GR_ACTOR,
  GR_NAME,
  GR_EXPIRES
};

/* group_one: rows[from..to) (one user, one key) become one message. */
static int group_one(struct db *d, struct arena *a, const struct db_row *rows,
                     int from, int to, struct pushrun_stats *st) {
  const struct db_row *last = &rows[to - 1];
  int kind = push_kind_of(db_s(last, GR_KIND));
  long long count = 0, expires = 0;
  /* distinct actors (rows without one count once each) */
  for (int i = from; i < to; i++) {
    bool seen = false;
    for (int j = from; j < i && db_s(&rows[i], GR_ACTOR); j++)
      seen =
          seen || (db_s(&rows[j], GR_ACTOR) &&
                   !strcmp(db_s(&rows[j], GR_ACTOR), db_s(&rows[i], GR_ACTOR)));
    count += !seen;
    long long e = db_i64(&rows[i], GR_EXPIRES, 0);
    if (e > expires) expires = e;
  }
  struct pushtext t;
  pushtext_compose(a, kind < 0 ? PUSH_KINDS : (enum push_kind)kind, count,
                   db_s(last, GR_NAME), db_s(last, GR_DETAIL), &t);
  char title[256], body[1024];
  str_utf8_clip(title, sizeof title, t.title);
  str_utf8_clip(body, sizeof body, t.body);
  struct db_val m[] = {DB_I(db_i64(last, GR_USER, 0)),
                       DB_S(db_s(last, GR_KIND)),
                       DB_S(title),
                       DB_S(body),
                       DB_I(count),
                       DB_S(db_s(last, GR_OTYPE)),
                       db_s(last, GR_OTYPE) ? DB_I(db_i64(last, GR_OID, 0))
                                            : DB_NUL,
                       DB_S(t.urgency),
                       DB_I(expires)};
  struct db_res res;
  int rc = db_exec(d, NULL,
                   "INSERT INTO push_messages (user_id, kind, title, body, "
                   "count, object_type, object_id, urgency, expires_at) VALUES "
                   "(?, ?, ?, ?, ?, ?, ?, ?, FROM_UNIXTIME(?))",
                   m, 9, 0, &res);
  if (rc) return rc;
  long long msg = (long long)res.insert_id;
  /* one delivery per device of the user that takes this kind */
  struct db_val v[] = {DB_I(msg), DB_I(db_i64(last, GR_USER, 0)),
                       DB_S(db_s(last, GR_KIND))};
  rc = db_exec(d, NULL,
               "INSERT INTO push_deliveries (message_id, device_id) SELECT ?, "
               "id FROM push_devices WHERE user_id = ? AND (kinds IS NULL OR "
               "FIND_IN_SET(?, kinds) > 0)",
               v, 3, 0, NULL);
  struct db_val g[] = {DB_I(msg), DB_I(db_i64(last, GR_USER, 0)),
                       DB_S(db_s(last, GR_KEY)), DB_I(db_i64(last, GR_ID, 0))};
  if (!rc)
    rc = db_exec(d, NULL,
                 "UPDATE push_outbox SET state = 'grouped', message_id = ? "
                 "WHERE user_id = ? AND group_key = ? AND state = 'queued' AND "
                 "id <= ?",
                 g, 4, 0, NULL);
  if (!rc) {
    st->grouped++;
    st->events += to - from;
  }
  return rc;
}

/* group_users: the outbox of users[0..n) grouped, in one transaction. */
static int group_users(struct db *d, struct arena *a, const long long *users,
                       int n, struct pushrun_stats *st) {
  json_object *arr = jx_own(a, json_object_new_array());
  for (int i = 0; i < n; i++)
    json_object_array_add(arr, json_object_new_int64(users[i]));
  struct db_val p = DB_S(json_object_to_json_string(arr));
  struct db_res res;
  int rc = db_begin(d);
  if (!rc) rc = db_exec(d, a, GROUP_ROWS, &p, 1, 0, &res);
  for (int i = 0; !rc && i < res.nrows;) {
    int j = i + 1;
    while (j < res.nrows &&
           !strcmp(db_s(&res.rows[j], GR_USER), db_s(&res.rows[i], GR_USER)) &&
           !strcmp(db_s(&res.rows[j], GR_KEY), db_s(&res.rows[i], GR_KEY)))
      j++;
    rc = group_one(d, a, res.rows, i, j, st);
    i = j;
  }
  if (!rc) return db_commit(d);
  db_rollback(d);
  return rc;
}

int pushbox_group(struct db *d, struct arena *a, struct pushrun_stats *st) {
  struct db_res res;
  /* Expired while held (quiet hours, a channel off): dropped, counted. */
  int rc = db_exec(d, NULL,
                   "UPDATE push_outbox SET state = 'dropped' WHERE state = "
                   "'queued' AND expires_at < UTC_TIMESTAMP(3)",
                   NULL, 0, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  st->stale += (long long)res.affected;
  /* Kinds the user turned off since they were queued. */
  rc = db_exec(d, NULL,
               "UPDATE push_outbox o JOIN push_prefs p ON p.user_id = "
               "o.user_id SET o.state = 'dropped' WHERE o.state = 'queued' "
               "AND FIND_IN_SET(o.kind, p.kinds) = 0",
               NULL, 0, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  st->off_kinds += (long long)res.affected;
  long long now = (long long)time(NULL), after = 0;
  for (;;) {
    struct db_val p[] = {DB_I(after)};
    rc = db_exec(d, a,
                 "SELECT q.user_id, p.quiet_start, p.quiet_end, up.time_zone "
                 "FROM (SELECT DISTINCT user_id FROM push_outbox WHERE state "
                 "= 'queued' AND user_id > ? ORDER BY user_id LIMIT 2000) q "
                 "LEFT JOIN user_preferences up ON up.user_id = q.user_id "
                 "LEFT JOIN push_prefs p ON p.user_id = q.user_id ORDER BY "
                 "q.user_id",
                 p, 1, DB_IDEMPOTENT, &res);
    if (rc || res.nrows == 0) return rc;
    long long users[GROUP_USERS];
    int n = 0;
    for (int i = 0; !rc && i < res.nrows; i++) {
      const struct db_row *row = &res.rows[i];
      after = db_i64(row, 0, 0);
      if (push_quiet((int)db_i64(row, 1, -1), (int)db_i64(row, 2, -1),
                     local_minute(db_s(row, 3), now))) {
        st->held++;
        continue;
      }
      users[n++] = after;
      if (n == GROUP_USERS) {
        int tries = 0;
        do
          rc = group_users(d, a, users, n, st);
        while (db_retry(rc, &tries));
        n = 0;
      }
    }
    if (!rc && n) {
      int tries = 0;
      do
        rc = group_users(d, a, users, n, st);
      while (db_retry(rc, &tries));
    }
    if (rc) return rc;
  }
}

/* The claimed deliveries of a run id, with their message and device. */
#define CLAIMED                                                                \
  "SELECT x.id, x.message_id, x.device_id, m.user_id, v.type, x.attempts, "    \
  "FLOOR(UNIX_TIMESTAMP(m.expires_at)), m.kind, m.title, m.body, m.urgency, "  \
  "m.object_type, m.object_id, m.count, v.endpoint, v.token, v.environment, "  \
  "v.p256dh, v.auth FROM push_deliveries x JOIN push_messages m ON m.id = "    \
  "x.message_id JOIN push_devices v ON v.id = x.device_id WHERE x.run_id = ? " \
  "AND x.state = 'sending' ORDER BY x.id"
enum {
  CL_ID,
  CL_MSG,
  CL_DEV,
  CL_USER,
  CL_TYPE,
  CL_ATTEMPTS,
  CL_EXPIRES,
  CL_KIND,
  CL_TITLE,
  CL_BODY,
  CL_URGENCY,
  CL_OTYPE,
  CL_OID,
  CL_COUNT,
  CL_ENDPOINT,
  CL_TOKEN,
  CL_ENV,
  CL_P256DH,
  CL_AUTH
};

int pushbox_claim(struct db *d, struct arena *a, const char *on, int max,
                  struct pushrun_item **items, int *n,
                  struct pushrun_stats *st) {
  struct db_res res;
  *n = 0;
  /* Past their message's expiry: dropped, counted per channel. */
  int rc = db_exec(d, a,
                   "SELECT v.type, COUNT(*) FROM push_deliveries x JOIN "
                   "push_messages m ON m.id = x.message_id JOIN push_devices "
                   "v ON v.id = x.device_id WHERE x.state = 'queued' AND "
                   "m.expires_at < UTC_TIMESTAMP(3) GROUP BY v.type",
                   NULL, 0, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows) {
    for (int i = 0; i < res.nrows; i++)
      for (int c = 0; c < PUSH_CHANNELS; c++)
        if (!strcmp(db_s(&res.rows[i], 0), push_channel_names[c]))
          st->expired[c] += db_i64(&res.rows[i], 1, 0);
    rc = db_exec(d, NULL,
                 "UPDATE push_deliveries x JOIN push_messages m ON m.id = "
                 "x.message_id SET x.state = 'dropped', x.outcome = "
                 "'expired', x.done_at = UTC_TIMESTAMP(3) WHERE x.state = "
                 "'queued' AND m.expires_at < UTC_TIMESTAMP(3)",
                 NULL, 0, DB_IDEMPOTENT, NULL);
    if (rc) return rc;
  }
  long long run;
  rnd_bytes(&run, sizeof run);
  run = (long long)((unsigned long long)run >> 1);
  struct db_val p[] = {DB_I(run), DB_S(on), DB_I(max)};
  /* committed (autocommit) before anything is sent */
  rc = db_exec(d, NULL,
               "UPDATE push_deliveries SET state = 'sending', run_id = ?, "
               "attempts = attempts + 1, sending_at = UTC_TIMESTAMP(3) WHERE "
               "state = 'queued' AND next_at <= UTC_TIMESTAMP(3) AND EXISTS "
               "(SELECT 1 FROM push_devices v WHERE v.id = device_id AND "
               "FIND_IN_SET(v.type, ?) > 0) ORDER BY next_at, id LIMIT ?",
               p, 3, 0, &res);
  if (rc || res.affected == 0) return rc;
  rc = db_exec(d, a, CLAIMED, p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  struct pushrun_item *it = arena_alloc(a, sizeof *it * (size_t)res.nrows);
  if (!it) return RC_NOMEM;
  for (int i = 0; i < res.nrows; i++) {
    const struct db_row *row = &res.rows[i];
    enum push_channel ch = PUSH_WEBPUSH;
    for (int c = 0; c < PUSH_CHANNELS; c++)
      if (!strcmp(db_s(row, CL_TYPE), push_channel_names[c]))
        ch = (enum push_channel)c;
    it[i] = (struct pushrun_item){
        .id = db_i64(row, CL_ID, 0),
        .message_id = db_i64(row, CL_MSG, 0),
        .device_id = db_i64(row, CL_DEV, 0),
        .user_id = db_i64(row, CL_USER, 0),
        .channel = ch,
        .attempts = (int)db_i64(row, CL_ATTEMPTS, 1),
        .expires = db_i64(row, CL_EXPIRES, 0),
        .kind = db_s(row, CL_KIND),
        .title = db_s(row, CL_TITLE),
        .body = db_s(row, CL_BODY),
        .urgency = db_s(row, CL_URGENCY),
        .object_type = db_s(row, CL_OTYPE),
        .object_id = db_i64(row, CL_OID, 0),
        .count = db_i64(row, CL_COUNT, 1),
        .endpoint = db_s(row, CL_ENDPOINT),
        .token = db_s(row, CL_TOKEN),
        .environment = db_s(row, CL_ENV),
        .p256dh = row->len[CL_P256DH] == PUSHCRYPTO_POINT
                      ? (const unsigned char *)row->v[CL_P256DH]
                      : NULL,
        .auth = row->len[CL_AUTH] == 16 ? (const unsigned char *)row->v[CL_AUTH]
                                        : NULL,
    };
  }
  *items = it;
  *n = res.nrows;
  return 0;
}

/* What becomes of a settled delivery. */
enum fate { F_SENT, F_GONE, F_DROPPED, F_EXPIRED, F_RETRY };
struct verdict {
  enum fate fate;
  long long wait; /* F_RETRY: seconds */
  const char *why;
};

/* decide: the fate of one answered delivery. */
static struct verdict decide(const struct pushrun_item *it,
                             const struct pushrun_result *r,
                             const struct pushrun_opts *o, long long now) {
  struct verdict v = {.why = r->why ? r->why : "failed"};
  switch (r->outcome) {
  case PUSH_SENT:
    v.fate = F_SENT;
    return v;
  case PUSH_GONE:
    v.fate = F_GONE;
    return v;
  case PUSH_DROP:
    v.fate = F_DROPPED;
    return v;
  case PUSH_RETRY:
  case PUSH_RENEW:
    break;
  }
  v.wait = r->outcome == PUSH_RENEW ? 1 : r->retry_after_s;
  if (!v.wait) {
    v.wait = o->backoff_s;
    for (int k = 1; k < it->attempts && v.wait < 900; k++)
      v.wait *= 2;
    if (v.wait > 900) v.wait = 900;
  }
  if (r->outcome == PUSH_RETRY && it->attempts >= o->attempts) {
    v.fate = F_DROPPED;
    v.why = "too-many-attempts";
  } else if (now + v.wait >= it->expires) {
    v.fate = F_EXPIRED;
    v.why = "expired";
  } else {
    v.fate = F_RETRY;
  }
  return v;
}

/* ids_json: the ids (or device ids) of the deliveries of fate f, as a JSON
 * array text; NULL when none. */
static const char *ids_json(struct arena *a, const struct pushrun_item *items,
                            const struct verdict *v, int n, enum fate f,
                            bool devices) {
  json_object *arr = jx_own(a, json_object_new_array());
  for (int i = 0; i < n; i++)
    if (v[i].fate == f)
      json_object_array_add(
          arr,
          json_object_new_int64(devices ? items[i].device_id : items[i].id));
  return json_object_array_length(arr)
             ? arena_strdup(a, json_object_to_json_string(arr))
             : NULL;
}

static int settle_once(struct db *d, struct arena *a,
                       const struct pushrun_item *items,
                       const struct verdict *v, int n) {
  int rc = db_begin(d);
  const char *sent = ids_json(a, items, v, n, F_SENT, false);
  const char *ok_devices = ids_json(a, items, v, n, F_SENT, true);
  const char *gone = ids_json(a, items, v, n, F_GONE, true);
  if (!rc && sent) {
    struct db_val p = DB_S(sent);
    rc = db_exec(d, NULL,
                 "UPDATE JSON_TABLE(?, '$[*]' COLUMNS (i BIGINT PATH '$')) j "
                 "JOIN push_deliveries x ON x.id = j.i SET x.state = 'sent', "
                 "x.outcome = NULL, x.done_at = UTC_TIMESTAMP(3) WHERE "
                 "x.state = 'sending'",
                 &p, 1, 0, NULL);
    struct db_val dv = DB_S(ok_devices);
    if (!rc)
      rc = db_exec(d, NULL,
                   "UPDATE JSON_TABLE(?, '$[*]' COLUMNS (i BIGINT PATH '$')) "
                   "j JOIN push_devices v ON v.id = j.i SET v.last_ok_at = "
                   "UTC_TIMESTAMP(3)",
                   &dv, 1, 0, NULL);
  }
  /* A device the service says is gone goes, and its deliveries with it. */
  if (!rc && gone) {
    struct db_val p = DB_S(gone);
    rc = db_exec(d, NULL,
                 "DELETE v FROM JSON_TABLE(?, '$[*]' COLUMNS (i BIGINT PATH "
                 "'$')) j JOIN push_devices v ON v.id = j.i",
                 &p, 1, 0, NULL);
  }
  for (int i = 0; !rc && i < n; i++) {
    if (v[i].fate == F_SENT || v[i].fate == F_GONE) continue;
    struct db_val dp[] = {DB_S(v[i].why), DB_I(items[i].id)};
    struct db_val qp[] = {DB_S(v[i].why), DB_I(v[i].wait), DB_I(items[i].id)};
    if (v[i].fate != F_RETRY)
      rc = db_exec(d, NULL,
                   "UPDATE push_deliveries SET state = 'dropped', outcome = ?, "
                   "done_at = UTC_TIMESTAMP(3) WHERE id = ? AND state = "
                   "'sending'",
                   dp, 2, 0, NULL);
    else
      rc = db_exec(d, NULL,
                   "UPDATE push_deliveries SET state = 'queued', outcome = ?, "
                   "next_at = UTC_TIMESTAMP(3) + INTERVAL ? SECOND WHERE id = "
                   "? AND state = 'sending'",
                   qp, 3, 0, NULL);
  }
  if (!rc) return db_commit(d);
  db_rollback(d);
  return rc;
}

int pushbox_settle(struct db *d, struct arena *a,
                   const struct pushrun_item *items,
                   const struct pushrun_result *res, int n,
                   const struct pushrun_opts *o, struct pushrun_stats *st) {
  struct verdict *v = arena_alloc(a, sizeof *v * (size_t)(n ? n : 1));
  long long now = (long long)time(NULL);
  if (!v) return RC_NOMEM;
  for (int i = 0; i < n; i++)
    v[i] = decide(&items[i], &res[i], o, now);
  int rc, tries = 0;
  do
    rc = settle_once(d, a, items, v, n);
  while (db_retry(rc, &tries));
  if (rc) return rc;
  for (int i = 0; i < n; i++) {
    enum push_channel c = items[i].channel;
    long long *count[] = {[F_SENT] = &st->sent[c],
                          [F_GONE] = &st->removed[c],
                          [F_DROPPED] = &st->dropped[c],
                          [F_EXPIRED] = &st->expired[c],
                          [F_RETRY] = &st->retried[c]};
    (*count[v[i].fate])++;
  }
  return 0;
}

int pushbox_next_due(struct db *d, struct arena *a, const char *on,
                     double *in_s) {
  struct db_val p = DB_S(on);
  struct db_res res;
  *in_s = -1;
  int rc = db_exec(d, a,
                   "SELECT TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(3), "
                   "MIN(x.next_at)) FROM push_deliveries x JOIN push_devices v "
                   "ON v.id = x.device_id WHERE x.state = 'queued' AND "
                   "FIND_IN_SET(v.type, ?) > 0",
                   &p, 1, DB_IDEMPOTENT, &res);
  if (!rc && res.nrows && db_s(&res.rows[0], 0)) {
    double us = (double)db_i64(&res.rows[0], 0, 0);
    *in_s = us < 0 ? 0 : us / 1e6;
  }
  return rc;
}

int pushbox_prune(struct db *d, long long *deleted) {
  struct db_res res;
  *deleted = 0;
  int rc = db_exec(d, NULL,
                   "DELETE FROM push_outbox WHERE state <> 'queued' AND "
                   "created_at < UTC_TIMESTAMP(3) - INTERVAL 1 DAY LIMIT 10000",
                   NULL, 0, DB_IDEMPOTENT, &res);
  if (!rc) *deleted += (long long)res.affected;
  if (!rc)
    rc = db_exec(d, NULL,
                 "DELETE FROM push_messages WHERE created_at < "
                 "UTC_TIMESTAMP(3) - INTERVAL 7 DAY AND NOT EXISTS (SELECT 1 "
                 "FROM push_deliveries x WHERE x.message_id = "
                 "push_messages.id AND x.state IN ('queued', 'sending')) "
                 "LIMIT 10000",
                 NULL, 0, DB_IDEMPOTENT, &res);
  if (!rc) *deleted += (long long)res.affected;
  return rc;
}

/* --- credentials ---------------------------------------------------------- */

int pushcred_get(struct db *d, struct arena *a, const char *channel,
                 int max_age_s, int margin_s, const char **text,
                 long long *issued, long long *expires) {
  struct db_val p[] = {DB_S(channel), DB_I(max_age_s), DB_I(margin_s)};
  struct db_res res;
  *text = NULL;
  int rc = db_exec(d, a,
                   "SELECT sealed, FLOOR(UNIX_TIMESTAMP(issued_at)), "
                   "FLOOR(UNIX_TIMESTAMP(expires_at)) FROM "
                   "push_credentials WHERE channel = ? AND issued_at > "
                   "UTC_TIMESTAMP(3) - INTERVAL ? SECOND AND expires_at > "
                   "UTC_TIMESTAMP(3) + INTERVAL ? SECOND",
                   p, 3, DB_IDEMPOTENT, &res);
  if (rc || res.nrows == 0) return rc;
  char *t = NULL;
  if (!seal_ready() || seal_open(a, res.rows[0].v[0], res.rows[0].len[0], &t))
    return 0; /* unreadable: made again */
  *text = t;
  *issued = db_i64(&res.rows[0], 1, 0);
  *expires = db_i64(&res.rows[0], 2, 0);
  return 0;
}

int pushcred_put(struct db *d, struct arena *a, const char *channel,
                 const char *text, long long issued, long long expires) {
  const unsigned char *box;
  size_t len;
  if (!seal_ready() || seal_box(a, text, &box, &len))
    return 0; /* kept for this run only */
  struct db_val p[] = {DB_S(channel), DB_B(box, len), DB_I(issued),
                       DB_I(expires)};
  return db_exec(
      d, NULL,
      "REPLACE INTO push_credentials (channel, sealed, issued_at, "
      "expires_at) VALUES (?, ?, FROM_UNIXTIME(?), FROM_UNIXTIME(?))",
      p, 4, DB_IDEMPOTENT, NULL);
}
