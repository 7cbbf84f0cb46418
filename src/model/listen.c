/* listen: listening history over MariaDB; see listen.h.
 *
 * Ingestion speed comes from doing per batch what a naive version does per
 * item: one query resolves every track id of the batch, one more every
 * artist/title text, and the rows go in through multi-row INSERT IGNOREs in
 * one transaction, so a batch of 1,000 costs a handful of round trips and
 * one commit (one log flush).
 *
 * Batch parameters travel as one JSON text expanded server-side by
 * JSON_TABLE for the lookups (one prepared statement whatever the batch
 * size). The insert keeps VALUES rows with bound parameters instead: its
 * statement text is built once per process for a few fixed sizes, so the
 * address of the text stays the statement-cache key of db_exec and each
 * size is prepared once per connection; a batch runs as a greedy sum of
 * those sizes (1,000 = one statement; the worst case, 999, is 27). A
 * statement built per batch would be re-prepared on every request, and
 * would fill the statement cache with texts it can never hit again.
 *
 * Stored or duplicate: each INSERT IGNORE ends in RETURNING, which gives
 * back exactly the rows it inserted (MariaDB 10.5; JSON_TABLE above already
 * needs 10.6), so a partly duplicate chunk needs no read-back and no
 * assumption about how InnoDB hands out auto-increment ids
 * (innodb_autoinc_lock_mode 2 interleaves them between concurrent
 * statements, Galera sets auto_increment_increment to the cluster size).
 * INSERT IGNORE also skips a row whose track was deleted between the
 * lookup and the insert; that row is reported as a duplicate, which is
 * harmless: a listen of a deleted track would have been deleted with it. */
#include "model/listen.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/metrics.h"
#include "core/rc.h"
#include "core/str.h"
#include "core/timefmt.h"
#include "model/insight.h"
#include "model/outbox.h"
#include "model/user.h"

/* Bounds standing for "unbounded" in range queries. */
#define SQL_TIME_MIN "1000-01-01 00:00:00.000"
#define SQL_TIME_MAX "9999-12-31 23:59:59.999"

/* sql_time_buf: timefmt_sql, or dflt when ms is 0. */
static void sql_time_buf(char *buf, size_t n, long long ms, const char *dflt) {
  if (!ms)
    snprintf(buf, n, "%s", dflt);
  else
    timefmt_sql(buf, n, ms);
}

static const char *sql_time(struct arena *a, long long ms) {
  char buf[64];
  sql_time_buf(buf, sizeof buf, ms, SQL_TIME_MIN);
  return arena_strdup(a, buf);
}

/* --- resolution ----------------------------------------------------------- */

static int cmp_ll(const void *x, const void *y) {
  long long a = *(const long long *)x, b = *(const long long *)y;
  return (a > b) - (a < b);
}

static void reject(struct listen_in *it, const char *field, const char *msg) {
  it->status = LISTEN_REJECTED;
  it->error_field = field;
  it->error_msg = msg;
}

/* resolve_ids: check that the track ids given exist. */
static int resolve_ids(struct db *d, struct arena *a, struct listen_in *items,
                       int n) {
  json_object *ids = jx_own(a, json_object_new_array());
  if (!ids) return RC_NOMEM;
  for (int i = 0; i < n; i++)
    if (items[i].status == LISTEN_PENDING && items[i].track_id > 0)
      json_object_array_add(ids, json_object_new_int64(items[i].track_id));
  if (json_object_array_length(ids) == 0) return 0;
  size_t len;
  const char *text = jx_text(a, ids, &len);
  if (!text) return RC_NOMEM;
  struct db_val p = DB_S(text);
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT DISTINCT STRAIGHT_JOIN t.id FROM JSON_TABLE(?, "
                   "'$[*]' COLUMNS "
                   "(id BIGINT UNSIGNED PATH '$')) AS j "
                   "JOIN tracks t ON t.id = j.id ORDER BY t.id",
                   &p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  long long *found = arena_alloc(a, sizeof *found * (size_t)(res.nrows + 1));
  if (!found) return RC_NOMEM;
  for (int i = 0; i < res.nrows; i++)
    found[i] = db_i64(&res.rows[i], 0, 0);
  for (int i = 0; i < n; i++) {
    struct listen_in *it = &items[i];
    if (it->status != LISTEN_PENDING || it->track_id <= 0) continue;
    if (!bsearch(&it->track_id, found, (size_t)res.nrows, sizeof *found,
                 cmp_ll))
      reject(it, "track_id", "no such track");
  }
  return 0;
}

/* resolve_texts: match artist/title/album texts against the catalogue. The
 * rows come ordered by item, best candidate first. */
static int resolve_texts(struct db *d, struct arena *a, struct listen_in *items,
                         int n) {
  json_object *rows = jx_own(a, json_object_new_array());
  if (!rows) return RC_NOMEM;
  for (int i = 0; i < n; i++) {
    struct listen_in *it = &items[i];
    if (it->status != LISTEN_PENDING || it->track_id > 0) continue;
    json_object *row = json_object_new_array();
    json_object_array_add(row, json_object_new_int(i));
    json_object_array_add(row, json_object_new_string(it->artist));
    json_object_array_add(row, json_object_new_string(it->title));
    json_object_array_add(row,
                          it->album ? json_object_new_string(it->album) : NULL);
    json_object_array_add(rows, row);
  }
  if (json_object_array_length(rows) == 0) return 0;
  size_t len;
  const char *text = jx_text(a, rows, &len);
  if (!text) return RC_NOMEM;
  struct db_val p = DB_S(text);
  struct db_res res;
  /* The JSON_TABLE columns carry the catalogue's collation, so the
   * comparisons are case- and accent-insensitive and can use the title
   * index. STRAIGHT_JOIN keeps the order written: the optimizer cannot
   * count the rows of a JSON_TABLE parameter and may otherwise start from
   * the artist, reading every track of a prolific one for each item (30 s
   * for a batch of 1,000 in the benchmark); from the title each item costs
   * the tracks of that title. */
  int rc = db_exec(
      d, a,
      "SELECT STRAIGHT_JOIN j.i, t.id FROM JSON_TABLE(?, '$[*]' COLUMNS ("
      "i INT PATH '$[0]', "
      "artist VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci "
      "PATH '$[1]', "
      "title VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci "
      "PATH '$[2]', "
      "album VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci "
      "PATH '$[3]')) AS j "
      "JOIN tracks t ON t.title = j.title "
      "JOIN track_artists ta ON ta.track_id = t.id AND ta.role = 'primary' "
      "JOIN artists ar ON ar.id = ta.artist_id AND ar.name = j.artist "
      "LEFT JOIN albums al ON al.id = t.album_id "
      "ORDER BY j.i, (al.title = j.album) DESC, t.popularity DESC, t.id",
      &p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  for (int r = 0; r < res.nrows; r++) {
    long long i = db_i64(&res.rows[r], 0, -1);
    if (i < 0 || i >= n || items[i].track_id > 0) continue; /* not the best */
    items[i].track_id = db_i64(&res.rows[r], 1, 0);
  }
  for (int i = 0; i < n; i++)
    if (items[i].status == LISTEN_PENDING && items[i].track_id <= 0)
      reject(&items[i], "title", "no such track");
  return 0;
}

int listen_resolve(struct db *d, struct arena *a, struct listen_in *items,
                   int n) {
  /* Ids first: resolve_texts gives text items a track_id. */
  int rc = resolve_ids(d, a, items, n);
  return rc ? rc : resolve_texts(d, a, items, n);
}

/* --- storage -------------------------------------------------------------- */

static const int chunk_sizes[] = {LISTEN_BATCH_MAX, 100, 10, 1};
#define NCHUNK ((int)(sizeof chunk_sizes / sizeof chunk_sizes[0]))
#define INSERT_COLS 6
static const char insert_head[] =
    "INSERT IGNORE INTO listens "
    "(user_id, track_id, listened_at, ms_played, source, context) VALUES ";
static const char insert_tail[] =
    " RETURNING track_id, CAST(UNIX_TIMESTAMP(listened_at) * 1000 AS SIGNED)";

/* insert_sql: the statement for chunk size k, built on first use and kept
 * for the life of the process (its address is the statement-cache key). */
static const char *insert_sql(int k) {
  static char *sql[NCHUNK];
  if (!sql[k]) {
    static const char row[] = "(?,?,?,?,?,?)";
    size_t n = (size_t)chunk_sizes[k];
    char *s = malloc(sizeof insert_head + n * sizeof row + sizeof insert_tail);
    if (!s) return NULL;
    char *p = s + sizeof insert_head - 1;
    memcpy(s, insert_head, sizeof insert_head - 1);
    for (size_t i = 0; i < n; i++) {
      if (i) *p++ = ',';
      memcpy(p, row, sizeof row - 1);
      p += sizeof row - 1;
    }
    memcpy(p, insert_tail, sizeof insert_tail); /* with its NUL */
    sql[k] = s;
  }
  return sql[k];
}

static int cmp_key(const void *x, const void *y) {
  const struct listen_in *a = *(struct listen_in *const *)x;
  const struct listen_in *b = *(struct listen_in *const *)y;
  if (a->track_id != b->track_id) return (a->track_id > b->track_id) ? 1 : -1;
  return (a->at_ms > b->at_ms) - (a->at_ms < b->at_ms);
}

/* cmp_sort: by key, then by position in the batch. */
static int cmp_sort(const void *x, const void *y) {
  int c = cmp_key(x, y);
  if (c) return c;
  const struct listen_in *a = *(struct listen_in *const *)x;
  const struct listen_in *b = *(struct listen_in *const *)y;
  return (a > b) - (a < b);
}

/* mark_inserted: which rows of a partly inserted chunk (u[0..cnt), sorted by
 * key) went in: those the INSERT returned; see the top of the file. */
static void mark_inserted(struct listen_in **u, int cnt,
                          const struct db_res *ins) {
  for (int r = 0; r < ins->nrows; r++) {
    struct listen_in key = {.track_id = db_i64(&ins->rows[r], 0, 0),
                            .at_ms = db_i64(&ins->rows[r], 1, 0)};
    struct listen_in *kp = &key,
                     **hit = bsearch(&kp, u, (size_t)cnt, sizeof *u, cmp_key);
    if (hit) (*hit)->status = LISTEN_STORED;
  }
  for (int i = 0; i < cnt; i++)
    if (u[i]->status == LISTEN_PENDING) u[i]->status = LISTEN_DUPLICATE;
}

/* insert_chunk: one multi-row INSERT IGNORE of u[0..chunk_sizes[k]). */
static int insert_chunk(struct db *d, struct arena *a, long long user_id,
                        struct listen_in **u, int k) {
  int cnt = chunk_sizes[k];
  const char *sql = insert_sql(k);
  struct db_val *p = arena_alloc(a, sizeof *p * (size_t)cnt * INSERT_COLS);
  if (!sql || !p) return RC_NOMEM;
  for (int i = 0; i < cnt; i++) {
    struct db_val *v = p + i * INSERT_COLS;
    const char *at = sql_time(a, u[i]->at_ms);
    if (!at) return RC_NOMEM;
    v[0] = DB_I(user_id);
    v[1] = DB_I(u[i]->track_id);
    v[2] = DB_S(at);
    v[3] = u[i]->ms_played >= 0 ? DB_I(u[i]->ms_played) : DB_NUL;
    v[4] = DB_S(u[i]->source);
    v[5] = u[i]->context ? DB_S(u[i]->context) : DB_NUL;
  }
  struct db_res res;
  int rc = db_exec(d, a, sql, p, cnt * INSERT_COLS, 0, &res);
  if (rc) return rc;
  if (res.nrows == cnt || res.nrows == 0) {
    enum listen_status s = res.nrows ? LISTEN_STORED : LISTEN_DUPLICATE;
    for (int i = 0; i < cnt; i++)
      u[i]->status = s;
    return 0;
  }
  mark_inserted(u, cnt, &res);
  return 0;
}

int listen_store(struct db *d, struct kv *kv, struct arena *a,
                 long long user_id, struct listen_in *items, int n) {
  struct listen_in **u = arena_alloc(a, sizeof *u * (size_t)(n + 1));
  int m = 0, rc;
  if (!u) return RC_NOMEM;
  for (int i = 0; i < n; i++)
    if (items[i].status == LISTEN_PENDING) u[m++] = &items[i];
  if (m == 0) return 0;
  /* Sorted by key then position, a repeat inside the batch follows its
   * first occurrence. */
  qsort(u, (size_t)m, sizeof *u, cmp_sort);
  int w = 0;
  for (int i = 0; i < m; i++) {
    if (w > 0 && cmp_key(&u[w - 1], &u[i]) == 0) {
      u[i]->status = LISTEN_DUPLICATE;
      continue;
    }
    u[w++] = u[i];
  }
  m = w;
  /* Two overlapping batches of one user can deadlock on the unique key;
   * the victim was rolled back whole and runs again. */
  int tries = 0;
  do {
    for (int i = 0; i < m; i++)
      u[i]->status = LISTEN_PENDING;
    if ((rc = db_begin(d))) break;
    for (int off = 0; off < m;) {
      int k = 0;
      while (chunk_sizes[k] > m - off)
        k++;
      if ((rc = insert_chunk(d, a, user_id, u + off, k))) break;
      off += chunk_sizes[k];
    }
    /* Queued for the user's scrobbling targets in the same transaction:
     * a listen stored is a listen sent on (model/outbox.h). */
    if (!rc) rc = outbox_listens(d, a, user_id, u, m);
    /* The user's insights count them from the same commit on. */
    if (!rc) rc = insight_listens_stored(d, a, user_id, u, m);
    if (rc) {
      db_rollback(d);
    } else {
      rc = db_commit(d);
    }
  } while (db_retry(rc, &tries));
  if (rc) {
    for (int i = 0; i < n; i++)
      if (items[i].status != LISTEN_REJECTED) items[i].status = LISTEN_PENDING;
    return rc;
  }
  int stored = 0;
  for (int i = 0; i < m; i++)
    stored += u[i]->status == LISTEN_STORED;
  if (stored) user_taste_changed(kv, user_id);
  metrics_count(METRICS_LISTENS, stored);
  return 0;
}

/* --- history -------------------------------------------------------------- */

int listen_parse_cursor(const char *text, long long *ms, long long *id) {
  const char *bar = strchr(text, '|');
  if (!bar || bar == text || bar - text > 20) return RC_INVALID;
  char num[24];
  memcpy(num, text, (size_t)(bar - text));
  num[bar - text] = '\0';
  if (str_parse_i64(num, 0, 253402300799999LL, ms) ||
      str_parse_i64(bar + 1, 1, INT64_MAX, id))
    return RC_INVALID;
  return 0;
}

int listen_history(struct db *d, struct arena *a, const struct listen_query *q,
                   json_object **items, const char **next) {
  const char *from = q->from_ms ? sql_time(a, q->from_ms) : SQL_TIME_MIN;
  const char *to = q->to_ms ? sql_time(a, q->to_ms) : SQL_TIME_MAX;
  bool first = q->after_id == 0;
  const char *after = first ? SQL_TIME_MAX : sql_time(a, q->after_ms);
  if (!from || !to || !after) return RC_NOMEM;
  struct db_val p[] = {DB_I(q->user_id),  DB_S(from),
                       DB_S(to),          DB_S(after),
                       DB_S(after),       DB_I(first ? INT64_MAX : q->after_id),
                       DB_I(q->limit + 1)};
  struct db_res res;
  *items = NULL;
  *next = NULL;
  /* listened_at <= after narrows the index range; the OR breaks ties of
   * equal timestamps by id. */
  int rc = db_exec(
      d, a,
      "SELECT l.id, CAST(UNIX_TIMESTAMP(l.listened_at) * 1000 AS SIGNED), "
      "l.ms_played, l.source, t.id, t.title, "
      "(SELECT JSON_ARRAYAGG(JSON_OBJECT('id', ar.id, 'name', ar.name, "
      "'role', ta.role) ORDER BY ta.role, ta.position, ar.id) "
      "FROM track_artists ta JOIN artists ar ON ar.id = ta.artist_id "
      "WHERE ta.track_id = t.id) "
      "FROM listens l " LISTENS_BY_USER_TIME " JOIN tracks t ON t.id = "
      "l.track_id WHERE l.user_id = ? AND l.listened_at >= ? AND "
      "l.listened_at < ? "
      "AND l.listened_at <= ? AND (l.listened_at < ? OR l.id < ?) "
      "ORDER BY l.listened_at DESC, l.id DESC LIMIT ?",
      p, 7, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  json_object *arr = json_object_new_array();
  if (!arr) return RC_NOMEM;
  int shown = res.nrows > q->limit ? q->limit : res.nrows;
  for (int i = 0; i < shown; i++) {
    const struct db_row *row = &res.rows[i];
    json_object *o = json_object_new_object(), *t = json_object_new_object();
    char when[40];
    timefmt_rfc3339(when, sizeof when, db_i64(row, 1, 0));
    jx_add_int(o, "id", db_i64(row, 0, 0));
    jx_add_str(o, "listened_at", when);
    if (db_s(row, 2))
      jx_add_int(o, "ms_played", db_i64(row, 2, 0));
    else
      json_object_object_add(o, "ms_played", NULL);
    jx_add_str(o, "source", db_s(row, 3));
    jx_add_int(t, "id", db_i64(row, 4, 0));
    jx_add_str(t, "title", db_s(row, 5));
    json_object *artists =
        db_s(row, 6) ? json_tokener_parse(db_s(row, 6)) : NULL;
    if (!json_object_is_type(artists, json_type_array)) {
      json_object_put(artists);
      artists = json_object_new_array();
    }
    json_object_object_add(t, "artists", artists);
    json_object_object_add(o, "track", t);
    json_object_array_add(arr, o);
  }
  if (res.nrows > q->limit && shown > 0) {
    const struct db_row *last = &res.rows[shown - 1];
    *next =
        arena_printf(a, "%lld|%lld", db_i64(last, 1, 0), db_i64(last, 0, 0));
    if (!*next) {
      json_object_put(arr);
      return RC_NOMEM;
    }
  }
  *items = arr;
  return 0;
}

/* --- deletion ------------------------------------------------------------- */

int listen_delete_one(struct db *d, struct kv *k, long long user_id,
                      long long id, long long *deleted) {
  struct db_val p[] = {DB_I(id), DB_I(user_id)};
  struct db_res res = {0};
  struct arena *a = arena_new(0);
  int rc, tries = 0;
  *deleted = 0;
  if (!a) return RC_NOMEM;
  /* One transaction with the insights of the listen's month, which the
   * RETURNING time names. */
  do {
    rc = db_begin(d);
    if (!rc)
      rc = db_exec(d, a,
                   "DELETE FROM listens WHERE id = ? AND user_id = ? "
                   "RETURNING CAST(UNIX_TIMESTAMP(listened_at) * 1000 AS "
                   "SIGNED)",
                   p, 2, 0, &res);
    if (!rc && res.nrows) {
      long long at = db_i64(&res.rows[0], 0, 0);
      rc = insight_listens_deleted(d, a, user_id, at, at + 1);
    }
    if (rc)
      db_rollback(d);
    else
      rc = db_commit(d);
  } while (db_retry(rc, &tries));
  if (!rc) *deleted = res.nrows;
  arena_free(a);
  if (*deleted) user_taste_changed(k, user_id);
  return rc;
}

int listen_delete_range(struct db *d, struct kv *k, long long user_id,
                        long long from_ms, long long to_ms,
                        long long *deleted) {
  char from[64], to[64];
  struct db_res res = {0};
  struct arena *a = arena_new(0);
  int rc, tries = 0;
  *deleted = 0;
  if (!a) return RC_NOMEM;
  sql_time_buf(from, sizeof from, from_ms, SQL_TIME_MIN);
  sql_time_buf(to, sizeof to, to_ms, SQL_TIME_MAX);
  struct db_val p[] = {DB_I(user_id), DB_S(from), DB_S(to)};
  do { /* with the insights of the months touched */
    rc = db_begin(d);
    if (!rc)
      rc = db_exec(d, NULL,
                   "DELETE FROM listens WHERE user_id = ? "
                   "AND listened_at >= ? AND listened_at < ?",
                   p, 3, 0, &res);
    if (!rc && res.affected)
      rc = insight_listens_deleted(d, a, user_id, from_ms, to_ms);
    if (rc)
      db_rollback(d);
    else
      rc = db_commit(d);
  } while (db_retry(rc, &tries));
  if (!rc) *deleted = (long long)res.affected;
  arena_free(a);
  if (*deleted) user_taste_changed(k, user_id);
  return rc;
}

/* --- privacy -------------------------------------------------------------- */

int listen_history_visible(struct db *d, struct arena *a, long long owner,
                           long long viewer, bool *visible) {
  *visible = false;
  if (viewer && viewer == owner) {
    *visible = true;
    return 0;
  }
  struct db_val p[] = {DB_I(viewer), DB_I(viewer), DB_I(owner)};
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT COALESCE(pr.history_visibility, 'followers'), "
                   "EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = ? "
                   "AND f.followee_id = u.id AND f.state = 'accepted'), "
                   "EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = u.id "
                   "AND b.blocked_id = ?) "
                   "FROM users u LEFT JOIN user_preferences pr "
                   "ON pr.user_id = u.id WHERE u.id = ?",
                   p, 3, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_NOT_FOUND;
  const char *vis = db_s(&res.rows[0], 0);
  if (db_i64(&res.rows[0], 2, 0)) /* the owner blocked the viewer */
    return 0;
  if (strcmp(vis, "public") == 0)
    *visible = true;
  else if (strcmp(vis, "followers") == 0)
    *visible = viewer && db_i64(&res.rows[0], 1, 0) == 1;
  return 0;
}

int listen_history_owner(struct db *d, struct arena *a, const char *username,
                         long long viewer, long long *owner) {
  struct user u;
  bool visible = false;
  if (!username || !user_name_valid(username)) return RC_NOT_FOUND;
  int rc = user_by_username(d, a, username, &u);
  if (!rc) rc = listen_history_visible(d, a, u.id, viewer, &visible);
  if (!rc && !visible) rc = RC_NOT_FOUND;
  if (!rc) *owner = u.id;
  return rc;
}
