/* insight_store: the rollups and discoveries kept in the transaction of
 * every listen stored or deleted; see insight.h.
 *
 * Storing merges the new listens into the rollup blobs of their months
 * (and days, for busy months) read with FOR UPDATE: two batches of one
 * user queue on the rows, and the second merges into what the first
 * wrote. A month that becomes busy is made again from its listens with
 * its day rows. Deleting (and anything that changed listens behind these
 * functions' back) makes the touched months again from the listens, read
 * with shared locks so that a listen committed by another transaction
 * after this one's snapshot is never left out. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"
#include "model/insight.h"
#include "model/insight_internal.h"
#include "model/listen.h"

/* --- discoveries ---------------------------------------------------------- */

/* firsts_add: each artist's earliest listen among f[0..n) becomes its
 * discovery unless an earlier one is known. */
static int firsts_add(struct db *d, struct arena *a, long long user,
                      const struct insight_fact *f, int n) {
  long long *v;
  int m;
  if (insight_first_listens(f, n, &v, &m)) return RC_NOMEM;
  json_object *arr = m ? jx_own(a, json_object_new_array()) : NULL;
  for (int i = 0; arr && i < m; i++) {
    json_object *p = json_object_new_array();
    json_object_array_add(p, json_object_new_int64(v[2 * i]));
    json_object_array_add(p, json_object_new_int64(v[2 * i + 1]));
    json_object_array_add(arr, p);
  }
  free(v);
  if (m == 0) return 0;
  size_t len;
  const char *text = arr ? jx_text(a, arr, &len) : NULL;
  if (!text) return RC_NOMEM;
  struct db_val p[] = {DB_I(user), DB_S(text)};
  return db_exec(d, NULL,
                 "INSERT INTO insight_firsts (user_id, artist_id, first_ms) "
                 "SELECT ?, j.a, j.t FROM JSON_TABLE(?, '$[*]' COLUMNS "
                 "(a BIGINT UNSIGNED PATH '$[0]', t BIGINT PATH '$[1]')) j "
                 "ON DUPLICATE KEY UPDATE first_ms = LEAST(first_ms, "
                 "VALUES(first_ms))",
                 p, 2, 0, NULL);
}

/* firsts_again: the discoveries that were made in [from, to) are read
 * again from the listens (the listen that was one may be gone). */
static int firsts_again(struct db *d, struct arena *a, long long user,
                        long long from, long long to) {
  struct db_val p[] = {DB_I(user), DB_I(from), DB_I(to)};
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT artist_id FROM insight_firsts WHERE user_id = ? "
                   "AND first_ms >= ? AND first_ms < ? FOR UPDATE",
                   p, 3, 0, &res);
  if (rc || res.nrows == 0) return rc;
  json_object *arr = jx_own(a, json_object_new_array());
  if (!arr) return RC_NOMEM;
  for (int r = 0; r < res.nrows; r++)
    json_object_array_add(arr,
                          json_object_new_int64(db_i64(&res.rows[r], 0, 0)));
  size_t len;
  const char *ids = jx_text(a, arr, &len);
  if (!ids) return RC_NOMEM;
  if ((rc = db_exec(d, NULL,
                    "DELETE FROM insight_firsts WHERE user_id = ? AND "
                    "first_ms >= ? AND first_ms < ?",
                    p, 3, 0, NULL)))
    return rc;
  /* From each artist to its tracks to the user's listens of them. */
  struct db_val q[] = {DB_I(user), DB_S(ids), DB_I(user)};
  return db_exec(d, NULL,
                 "INSERT INTO insight_firsts (user_id, artist_id, first_ms) "
                 "SELECT STRAIGHT_JOIN ?, j.id, CAST(MIN(UNIX_TIMESTAMP("
                 "l.listened_at)) * 1000 AS SIGNED) FROM JSON_TABLE(?, '$[*]' "
                 "COLUMNS (id BIGINT UNSIGNED PATH '$')) j "
                 "JOIN track_artists ta ON ta.artist_id = j.id AND "
                 "ta.role = 'primary' JOIN listens l ON l.user_id = ? AND "
                 "l.track_id = ta.track_id GROUP BY j.id",
                 q, 3, 0, NULL);
}

/* --- whole months --------------------------------------------------------- */

/* Where the rows of insight_user_rows go. */
struct row_sink {
  struct db *d;
  struct arena *a;
  long long user;
};

static int write_row(void *ctx, int span, long long start, int days,
                     const struct rollup *r) {
  struct row_sink *s = ctx;
  return insight_row_write(s->d, s->a, s->user, span, start, days, r);
}

/* write_rollups: write the rollups of facts f[0..n) (sorted by time; one
 * month's, or a whole history's) whose old rows are gone already. */
static int write_rollups(struct db *d, struct arena *a, long long user,
                         const struct insight_fact *f, int n) {
  struct row_sink s = {.d = d, .a = a, .user = user};
  int rc = insight_user_rows(f, n, write_row, &s);
  return rc == -1 ? RC_NOMEM : rc;
}

/* drop_months: delete user's rows of the months [first, end) (first days). */
static int drop_months(struct db *d, long long user, long long first,
                       long long end) {
  struct db_val p[] = {DB_I(user), DB_I(first), DB_I(end)};
  return db_exec(d, NULL,
                 "DELETE FROM insight_rollups WHERE user_id = ? AND "
                 "span IN (1, 2) AND start >= ? AND start < ?",
                 p, 3, 0, NULL);
}

/* month_again: make month's rows again from its listens; its facts are
 * kept in *f, *n for the discoveries. */
static int month_again(struct db *d, struct arena *a, long long user,
                       long long month, struct insight_fact **f, int *n) {
  long long next = insight_month_next(month);
  int rc = drop_months(d, user, month, next);
  if (!rc)
    rc = insight_read_facts(d, a, user, month * INSIGHT_DAY_MS,
                            next * INSIGHT_DAY_MS, true, f, n);
  return rc ? rc : write_rollups(d, a, user, *f, *n);
}

/* --- storing -------------------------------------------------------------- */

static int cmp_fact(const void *x, const void *y) {
  const struct insight_fact *a = x, *b = y;
  return (a->at_ms > b->at_ms) - (a->at_ms < b->at_ms);
}

/* stored_facts: the stored items of u as facts, by time. */
static int stored_facts(struct db *d, struct arena *a,
                        struct listen_in *const *u, int n,
                        struct insight_fact **out, int *nout) {
  long long *ids = arena_alloc(a, sizeof *ids * (size_t)(n + 1));
  struct insight_fact *f = arena_alloc(a, sizeof *f * (size_t)(n + 1));
  int m = 0, nt = 0;
  *nout = 0;
  if (!ids || !f) return RC_NOMEM;
  for (int i = 0; i < n; i++)
    if (u[i]->status == LISTEN_STORED) ids[m++] = u[i]->track_id;
  if (m == 0) return 0;
  struct insight_track *t;
  int rc = insight_tracks(d, a, ids, m, &t, &nt);
  if (rc) return rc;
  m = 0;
  for (int i = 0; i < n; i++) {
    const struct insight_track *x;
    if (u[i]->status != LISTEN_STORED ||
        !(x = insight_track_find(t, nt, u[i]->track_id)))
      continue; /* a track deleted since: its listens went with it */
    f[m++] = (struct insight_fact){.at_ms = u[i]->at_ms,
                                   .ms = u[i]->ms_played >= 0 ? u[i]->ms_played
                                                              : x->duration,
                                   .track = x->id,
                                   .album = x->album,
                                   .na = x->na,
                                   .ng = x->ng,
                                   .artists = x->artists,
                                   .genres = x->genres};
  }
  qsort(f, (size_t)m, sizeof *f, cmp_fact);
  *out = f;
  *nout = m;
  return 0;
}

/* starts_json: the distinct bucket starts of facts f[0..n) as a JSON
 * array text: their months (month), else their days. */
static const char *starts_json(struct arena *a, const struct insight_fact *f,
                               int n, bool month) {
  json_object *arr = jx_own(a, json_object_new_array());
  long long prev = -1;
  if (!arr) return NULL;
  for (int i = 0; i < n; i++) {
    long long s = insight_floor_day(f[i].at_ms);
    if (month) s = insight_month_of(s);
    if (s != prev) json_object_array_add(arr, json_object_new_int64(s));
    prev = s;
  }
  size_t len;
  return jx_text(a, arr, &len);
}

/* merge_rows: add facts f[0..n) (by time) to the rows of their buckets of
 * `span`, read with FOR UPDATE. A month keeps its `days` flag and, when it
 * has day rows, its days get the facts too; a month that reaches
 * INSIGHT_DAYS_MIN listens is made again from its listens, day rows
 * included. */
static int merge_rows(struct db *d, struct arena *a, long long user,
                      enum insight_span span, const struct insight_fact *f,
                      int n) {
  bool month = span == INSIGHT_SPAN_MONTH;
  const char *starts = starts_json(a, f, n, month);
  if (!starts) return RC_NOMEM;
  struct db_val p[] = {DB_S(starts), DB_I(user), DB_I(span)};
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT STRAIGHT_JOIN r.start, r.days, r.data FROM "
                   "JSON_TABLE(?, '$[*]' COLUMNS (s INT PATH '$')) j "
                   "JOIN insight_rollups r ON r.user_id = ? AND r.span = ? "
                   "AND r.start = j.s ORDER BY r.start FOR UPDATE",
                   p, 3, 0, &res);
  if (rc) return rc;
  struct rollup r = {0};
  int row = 0;
  for (int i = 0; i < n && !rc;) {
    long long s = insight_floor_day(f[i].at_ms);
    if (month) s = insight_month_of(s);
    long long end = month ? insight_month_next(s) : s + 1;
    int j = i;
    while (j < n && f[j].at_ms < end * INSIGHT_DAY_MS)
      j++;
    while (row < res.nrows && db_i64(&res.rows[row], 0, 0) < s)
      row++;
    const struct db_row *old =
        row < res.nrows && db_i64(&res.rows[row], 0, 0) == s ? &res.rows[row]
                                                             : NULL;
    int days = old ? (int)db_i64(old, 1, 0) : 0;
    long long listens = 0;
    rollup_clear(&r);
    if (old &&
        rollup_decode(&r, (const unsigned char *)old->v[2], old->len[2])) {
      rc = RC_INTERNAL; /* a blob that is no rollup: made again below */
    } else if (insight_roll(&r, f + i, j - i, s * INSIGHT_DAY_MS)) {
      rc = RC_NOMEM;
    }
    if (!rc) {
      rollup_normalize(&r);
      int64_t l, ms;
      rollup_totals(&r, &l, &ms);
      listens = l;
    }
    if (month &&
        (rc == RC_INTERNAL || (!rc && !days && listens >= INSIGHT_DAYS_MIN))) {
      /* newly busy (or unreadable): the month from its listens, which
       * include the ones just stored */
      struct insight_fact *mf;
      int mn;
      rc = month_again(d, a, user, s, &mf, &mn);
    } else if (!rc) {
      rc = insight_row_write(d, a, user, span, s, month ? days : 0, &r);
      if (!rc && month && days) /* a busy month keeps its days too */
        rc = merge_rows(d, a, user, INSIGHT_SPAN_DAY, f + i, j - i);
    }
    i = j;
  }
  rollup_free(&r);
  return rc;
}

int insight_listens_stored(struct db *d, struct arena *a, long long user_id,
                           struct listen_in *const *u, int n) {
  struct insight_fact *f;
  int m, rc = stored_facts(d, a, u, n, &f, &m);
  if (rc || m == 0) return rc;
  rc = merge_rows(d, a, user_id, INSIGHT_SPAN_MONTH, f, m);
  return rc ? rc : firsts_add(d, a, user_id, f, m);
}

/* --- deleting and repairing ----------------------------------------------- */

/* months_held: the first and the last month start of user's rows
 * (*first > *last when there are none). */
static int months_held(struct db *d, struct arena *a, long long user,
                       long long *first, long long *last) {
  struct db_val p[] = {DB_I(user)};
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT MIN(start), MAX(start) FROM insight_rollups "
                   "WHERE user_id = ? AND span = 2",
                   p, 1, 0, &res);
  *first = 1;
  *last = 0;
  if (!rc && res.nrows == 1 && db_s(&res.rows[0], 0)) {
    *first = db_i64(&res.rows[0], 0, 0);
    *last = db_i64(&res.rows[0], 1, 0);
  }
  return rc;
}

int insight_listens_deleted(struct db *d, struct arena *a, long long user_id,
                            long long from_ms, long long to_ms) {
  struct db_val p[] = {DB_I(user_id)};
  int rc;
  if (from_ms <= 0 && to_ms <= 0) {
    rc = db_exec(d, NULL, "DELETE FROM insight_rollups WHERE user_id = ?", p, 1,
                 0, NULL);
    return rc ? rc
              : db_exec(d, NULL, "DELETE FROM insight_firsts WHERE user_id = ?",
                        p, 1, 0, NULL);
  }
  long long held0, held1;
  if ((rc = months_held(d, a, user_id, &held0, &held1))) return rc;
  /* every month with listens has a row: those outside the rows' months
   * have nothing to make again */
  long long first = held0, last = held1;
  if (from_ms > 0 && insight_month_of(insight_floor_day(from_ms)) > first)
    first = insight_month_of(insight_floor_day(from_ms));
  if (to_ms > 0 && insight_month_of(insight_floor_day(to_ms - 1)) < last)
    last = insight_month_of(insight_floor_day(to_ms - 1));
  if ((rc = firsts_again(d, a, user_id, from_ms > 0 ? from_ms : INT64_MIN,
                         to_ms > 0 ? to_ms : INT64_MAX)))
    return rc;
  for (long long m = first; m <= last && !rc; m = insight_month_next(m)) {
    struct insight_fact *f;
    int n;
    rc = month_again(d, a, user_id, m, &f, &n);
    if (!rc) rc = firsts_add(d, a, user_id, f, n);
  }
  return rc;
}

/* remake: user's rollups and discoveries of the UTC month starting on day
 * `month` (or of the whole history: month < 0) made again from the
 * listens, in a transaction of its own, run again after a deadlock. */
static int remake(struct db *d, struct arena *a, long long user,
                  long long month) {
  long long from = month < 0 ? 0 : month * INSIGHT_DAY_MS,
            to = month < 0 ? 253402300799000LL /* 9999 */
                           : insight_month_next(month) * INSIGHT_DAY_MS;
  int rc, tries = 0;
  do {
    struct insight_fact *f;
    int n;
    rc = db_begin(d);
    if (!rc)
      rc = month < 0 ? insight_listens_deleted(d, a, user, 0, 0)
                     : firsts_again(d, a, user, from, to);
    if (!rc && month >= 0)
      rc = drop_months(d, user, month, insight_month_next(month));
    if (!rc) rc = insight_read_facts(d, a, user, from, to, true, &f, &n);
    if (!rc) rc = write_rollups(d, a, user, f, n);
    if (!rc) rc = firsts_add(d, a, user, f, n);
    if (rc)
      db_rollback(d);
    else
      rc = db_commit(d);
  } while (db_retry(rc, &tries));
  return rc;
}

int insight_rebuild_month(struct db *d, struct arena *a, long long user_id,
                          long long month) {
  return remake(d, a, user_id, month < 0 ? 0 : month);
}

int insight_rebuild_user(struct db *d, struct arena *a, long long user_id) {
  return remake(d, a, user_id, -1);
}
