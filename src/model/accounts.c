/* accounts: the operator's view of accounts; see accounts.h. */
#include "model/accounts.h"

#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/str.h"
#include "core/timefmt.h"
#include "model/media.h"
#include "model/playlist.h"
#include "model/session.h"
#include "model/user.h"

/* A suspension is in force while its end has not passed. */
#define IN_FORCE                                                               \
  "(u.status = 'suspended' AND (u.suspended_until IS NULL OR "                 \
  "u.suspended_until > UTC_TIMESTAMP(3)))"

int accounts_suspension(struct db *d, struct arena *a, long long user_id,
                        struct suspension *s) {
  struct db_res res;
  struct db_val p[] = {DB_I(user_id)};
  int rc = db_exec(d, a,
                   "SELECT u.suspension_reason, "
                   "CAST(UNIX_TIMESTAMP(u.suspended_until) * 1000 AS SIGNED) "
                   "FROM users u WHERE u.id = ? AND " IN_FORCE,
                   p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_NOT_FOUND;
  s->reason = db_s(&res.rows[0], 0);
  s->until = NULL;
  long long until = db_i64(&res.rows[0], 1, 0);
  if (until) {
    char *buf = arena_alloc(a, 32);
    if (!buf) return RC_NOMEM;
    timefmt_rfc3339(buf, 32, until);
    s->until = buf;
  }
  return 0;
}

int accounts_suspend(struct db *d, struct kv *k, struct arena *a,
                     long long user_id, const char *reason,
                     long long until_ms) {
  char until[32];
  if (until_ms) timefmt_sql(until, sizeof until, until_ms);
  struct db_res res;
  struct db_val p[] = {DB_S(until_ms ? until : NULL), DB_S(reason),
                       DB_I(user_id)};
  int rc = db_exec(d, NULL,
                   "UPDATE users SET status = 'suspended', "
                   "suspended_until = ?, suspension_reason = ? WHERE id = ?",
                   p, 3, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.affected == 0) {
    /* The same suspension again changes no row: the account exists. */
    const char *role;
    if ((rc = user_role(d, a, user_id, &role))) return rc;
  }
  /* Every session ends now; encore-live reads the event and closes the
   * account's connections. */
  return session_revoke_user(d, k, a, user_id, 0);
}

int accounts_reinstate(struct db *d, long long user_id) {
  struct db_res res;
  struct db_val p[] = {DB_I(user_id)};
  int rc = db_exec(d, NULL,
                   "UPDATE users u SET u.status = 'active', "
                   "u.suspended_until = NULL, u.suspension_reason = '' "
                   "WHERE u.id = ? AND " IN_FORCE,
                   p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  return res.affected ? 0 : RC_NOT_FOUND;
}

int accounts_erase(struct db *d, struct kv *k, struct arena *a,
                   const char *media_dir, long long user_id) {
  /* Mark every session revoked before the rows vanish with the user. */
  int rc = session_revoke_user(d, k, a, user_id, 0);
  /* Cached copies of public playlists would outlive their rows. Their
   * cover files go with them unless something else still uses them; the
   * media lock keeps an upload from adopting one meanwhile. */
  const char **covers = NULL;
  int ncovers = 0;
  bool locked = false;
  if (!rc && !(rc = media_lock(d, a))) locked = true;
  if (!rc) rc = playlist_unindex_owner(d, k, a, user_id, &covers, &ncovers);
  if (!rc) rc = user_delete(d, k, user_id);
  for (int i = 0; !rc && i < ncovers; i++) {
    const char *orphan = NULL;
    if (!media_orphan(d, a, covers[i], &orphan))
      media_unlink(a, media_dir, orphan);
  }
  if (locked) media_unlock(d, a);
  return rc;
}

int accounts_admins(struct db *d, struct arena *a, long long *n) {
  struct db_res res;
  int rc = db_exec(d, a, "SELECT COUNT(*) FROM users WHERE role = 'admin'",
                   NULL, 0, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  *n = res.nrows ? db_i64(&res.rows[0], 0, 0) : 0;
  return 0;
}

/* --- the list ------------------------------------------------------------- */

#define COLS                                                                   \
  "u.id, u.username, u.email, u.display_name, u.role, "                        \
  "IF(" IN_FORCE ", 'suspended', 'active'), "                                  \
  "CAST(UNIX_TIMESTAMP(u.created_at) * 1000 AS SIGNED), "                      \
  "u.confirm_by IS NULL, "                                                     \
  "CAST(UNIX_TIMESTAMP(u.suspended_until) * 1000 AS SIGNED), "                 \
  "u.suspension_reason"
#define SEL "SELECT " COLS " FROM users u WHERE "
#define FILTERS                                                                \
  "(? = '' OR u.role = ?) AND "                                                \
  "(? = '' OR (? = 'suspended') = " IN_FORCE ") AND "                          \
  "(? = '' OR u.created_at >= ?) AND (? = '' OR u.created_at < ?) AND "
/* Each sort: the cursor's condition, then the order. */
#define AFTER_NEWEST                                                           \
  "(? = 0 OR u.created_at < ? OR (u.created_at = ? AND u.id < ?)) "
#define ORDER_NEWEST "ORDER BY u.created_at DESC, u.id DESC"
#define AFTER_OLDEST                                                           \
  "(? = 0 OR u.created_at > ? OR (u.created_at = ? AND u.id > ?)) "
#define ORDER_OLDEST "ORDER BY u.created_at, u.id"
#define AFTER_NAME "(? = 0 OR u.username > ? OR (u.username = ? AND u.id > ?)) "
#define ORDER_NAME "ORDER BY u.username, u.id"
/* The prefix match: one branch per column, each read from that column's
 * covering key alone (migration 0027): its matches filtered, after the
 * cursor, the first page of the sort. The union of the three pages is
 * joined to the rows and sorted once more. Walking the sort's index and
 * probing the match instead scans every account for a prefix few of them
 * have; reading every match's row costs 2.8 us a match, and a four-letter
 * prefix of the generated world's names has thousands. */
#define BRANCH(col, after, order)                                              \
  "(SELECT u.id, u.created_at, u.username FROM users u FORCE INDEX "           \
  "(users_match_" col ") WHERE u." col " LIKE ? AND " FILTERS after order      \
  " LIMIT ?)"
#define BRANCHES(after, order)                                                 \
  BRANCH("username", after, order)                                             \
  " UNION " BRANCH("email", after, order) " UNION " BRANCH("display_name",     \
                                                           after, order)
#define MATCH(after, order)                                                    \
  "SELECT " COLS                                                               \
  " FROM (" BRANCHES(after, order) ") m JOIN users u ON u.id = "               \
                                   "m.id " order " LIMIT ?"
/* The branch's values are repeated for each of MATCH's three branches. */
#define MATCH_BRANCHES 3

/* [with a prefix][sort] */
static const char *const list_sql[2][3] = {
    {SEL FILTERS AFTER_NEWEST ORDER_NEWEST " LIMIT ?",
     SEL FILTERS AFTER_OLDEST ORDER_OLDEST " LIMIT ?",
     SEL FILTERS AFTER_NAME ORDER_NAME " LIMIT ?"},
    {MATCH(AFTER_NEWEST, ORDER_NEWEST), MATCH(AFTER_OLDEST, ORDER_OLDEST),
     MATCH(AFTER_NAME, ORDER_NAME)},
};
static const char sort_tag[] = {'n', 'o', 'u'};

/* like_prefix: q with LIKE's wildcards escaped, then '%'. */
static char *like_prefix(struct arena *a, const char *q) {
  struct sbuf b;
  sbuf_init(&b, a);
  for (const char *p = q; *p; p++) {
    if (*p == '%' || *p == '_' || *p == '\\') sbuf_addc(&b, '\\');
    sbuf_addc(&b, *p);
  }
  sbuf_addc(&b, '%');
  return b.oom ? NULL : b.s;
}

/* parse_after: a cursor "<tag>:<key>:<id>" of this sort into its key (ms
 * as a DATETIME literal, or a username) and id. */
static int parse_after(struct arena *a, const char *text,
                       enum accounts_sort sort, const char **key,
                       long long *id) {
  const char *c1 = strchr(text, ':'), *c2 = c1 ? strrchr(text, ':') : NULL;
  if (!c1 || c2 == c1 || c1 - text != 1 || text[0] != sort_tag[sort])
    return RC_INVALID;
  if (str_parse_i64(c2 + 1, 1, 9007199254740992LL, id)) return RC_INVALID;
  char *k = arena_strndup(a, c1 + 1, (size_t)(c2 - c1 - 1));
  if (!k) return RC_NOMEM;
  if (sort == ACCOUNTS_USERNAME) {
    if (!user_name_valid(k)) return RC_INVALID;
    *key = k;
    return 0;
  }
  long long ms;
  if (str_parse_i64(k, 0, 253402300799999LL, &ms)) return RC_INVALID;
  char *dt = arena_alloc(a, 32);
  if (!dt) return RC_NOMEM;
  timefmt_sql(dt, 32, ms);
  *key = dt;
  return 0;
}

static json_object *row_json(const struct db_row *row) {
  json_object *o = json_object_new_object();
  jx_add_int(o, "id", db_i64(row, 0, 0));
  jx_add_str(o, "username", db_s(row, 1));
  jx_add_str(o, "email", db_s(row, 2));
  jx_add_str(o, "display_name", db_s(row, 3));
  jx_add_str(o, "role", db_s(row, 4));
  jx_add_str(o, "status", db_s(row, 5));
  jx_add_time(o, "created_at", db_i64(row, 6, 0) / 1000);
  jx_add_bool(o, "confirmed", db_i64(row, 7, 0) != 0);
  bool suspended = !strcmp(db_s(row, 5), "suspended");
  long long until = db_i64(row, 8, 0);
  if (suspended && until)
    jx_add_time(o, "suspended_until", until / 1000);
  else
    jx_add_str(o, "suspended_until", NULL);
  jx_add_str(o, "suspension_reason", suspended ? db_s(row, 9) : NULL);
  return o;
}

int accounts_search(struct db *d, struct arena *a,
                    const struct accounts_query *q, json_object **items,
                    const char **next) {
  *items = NULL;
  *next = NULL;
  const char *key = "";
  long long after_id = 0;
  int rc;
  if (q->after && (rc = parse_after(a, q->after, q->sort, &key, &after_id)))
    return rc;
  char from[32] = "", to[32] = "";
  if (q->from_ms) timefmt_sql(from, sizeof from, q->from_ms);
  if (q->to_ms) timefmt_sql(to, sizeof to, q->to_ms);
  bool match = q->q && *q->q;
  const char *pat = match ? like_prefix(a, q->q) : "";
  if (!pat) return RC_NOMEM;
  const char *role = q->role ? q->role : "",
             *status = q->status ? q->status : "";
  /* a branch's values: [the prefix], filters, cursor, limit */
  struct db_val p[MATCH_BRANCHES * 14 + 1];
  int n = 0;
  for (int b = 0; b < (match ? MATCH_BRANCHES : 1); b++) {
    if (match) p[n++] = DB_S(pat);
    p[n++] = DB_S(role);
    p[n++] = DB_S(role);
    p[n++] = DB_S(status);
    p[n++] = DB_S(status);
    p[n++] = DB_S(from);
    p[n++] = DB_S(from);
    p[n++] = DB_S(to);
    p[n++] = DB_S(to);
    p[n++] = DB_I(after_id);
    p[n++] = DB_S(key);
    p[n++] = DB_S(key);
    p[n++] = DB_I(after_id);
    p[n++] = DB_I(q->limit + 1);
  }
  if (match) p[n++] = DB_I(q->limit + 1);
  struct db_res res;
  rc = db_exec(d, a, list_sql[match][q->sort], p, n, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  json_object *list = json_object_new_array();
  int shown = res.nrows > q->limit ? q->limit : res.nrows;
  for (int i = 0; i < shown; i++)
    json_object_array_add(list, row_json(&res.rows[i]));
  if (res.nrows > q->limit) {
    const struct db_row *last = &res.rows[shown - 1];
    *next =
        q->sort == ACCOUNTS_USERNAME
            ? arena_printf(a, "u:%s:%lld", db_s(last, 1), db_i64(last, 0, 0))
            : arena_printf(a, "%c:%lld:%lld", sort_tag[q->sort],
                           db_i64(last, 6, 0), db_i64(last, 0, 0));
  }
  *items = list;
  return 0;
}

int accounts_detail(struct db *d, struct arena *a, long long user_id,
                    json_object **out) {
  struct db_res res;
  struct db_val p[] = {DB_I(user_id), DB_I(user_id), DB_I(user_id),
                       DB_I(user_id), DB_I(user_id), DB_I(user_id),
                       DB_I(user_id), DB_I(user_id)};
  int rc =
      db_exec(d, a,
              "SELECT " COLS ", "
              "(SELECT COUNT(*) FROM listens WHERE user_id = ?), "
              "(SELECT COUNT(*) FROM playlists WHERE owner_id = ?), "
              "(SELECT COUNT(*) FROM comments WHERE author_id = ?), "
              "(SELECT COUNT(*) FROM reports r WHERE "
              "(r.object_type = 'user' AND r.object_id = ?) OR "
              "(r.object_type = 'comment' AND r.object_id IN "
              "(SELECT id FROM comments WHERE author_id = ?)) OR "
              "(r.object_type = 'playlist' AND r.object_id IN "
              "(SELECT id FROM playlists WHERE owner_id = ?))), "
              "(SELECT CAST(UNIX_TIMESTAMP(MAX(s.last_used_at)) AS SIGNED) "
              "FROM sessions s WHERE s.user_id = ?) "
              "FROM users u WHERE u.id = ?",
              p, 8, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_NOT_FOUND;
  const struct db_row *row = &res.rows[0];
  json_object *o = row_json(row);
  json_object *counts = json_object_new_object();
  jx_add_int(counts, "listens", db_i64(row, 10, 0));
  jx_add_int(counts, "playlists", db_i64(row, 11, 0));
  jx_add_int(counts, "comments", db_i64(row, 12, 0));
  jx_add_int(counts, "reports_against", db_i64(row, 13, 0));
  json_object_object_add(o, "counts", counts);
  long long seen = db_i64(row, 14, 0);
  if (seen)
    jx_add_time(o, "last_seen_at", seen);
  else
    jx_add_str(o, "last_seen_at", NULL);
  *out = o;
  return 0;
}
