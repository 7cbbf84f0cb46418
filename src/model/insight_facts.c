/* insight_facts: listens as facts with their tracks' credits, the UTC
 * buckets of the rollups, and the rollup rows' writes; see
 * insight_internal.h. */
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/timefmt.h"
#include "core/tz.h"
#include "model/insight_internal.h"
#include "model/listen.h"

/* The credits of a track as the reads below select them. */
#define CREDITS(track)                                                         \
  "(SELECT GROUP_CONCAT(ta.artist_id ORDER BY ta.position, ta.artist_id) "     \
  "FROM track_artists ta WHERE ta.track_id = " track                           \
  " AND ta.role = 'primary'), "                                                \
  "(SELECT GROUP_CONCAT(tg.genre_id ORDER BY tg.genre_id) FROM track_genres "  \
  "tg WHERE tg.track_id = " track ")"

#define FACTS_SQL                                                              \
  "SELECT CAST(UNIX_TIMESTAMP(l.listened_at) * 1000 AS SIGNED), l.track_id, "  \
  "COALESCE(l.ms_played, t.duration_ms), t.album_id, " CREDITS(                \
      "l.track_id") " FROM listens l " LISTENS_BY_USER_TIME                    \
                    " JOIN tracks t ON t.id = l.track_id "                     \
                    "WHERE l.user_id = ? "                                     \
                    "AND l.listened_at >= ? AND l.listened_at < ? ORDER BY "   \
                    "l.listened_at"

/* ids_of: the comma-separated ids of text, in the arena. */
static int ids_of(struct arena *a, const char *text, long long **out, int *n) {
  *out = NULL;
  *n = 0;
  if (!text || !*text) return 0;
  int k = 1;
  for (const char *p = text; *p; p++)
    k += *p == ',';
  long long *v = arena_alloc(a, sizeof *v * (size_t)k);
  if (!v) return RC_NOMEM;
  const char *p = text;
  for (int i = 0; i < k; i++) {
    char *end;
    v[(*n)++] = strtoll(p, &end, 10);
    p = *end == ',' ? end + 1 : end;
  }
  *out = v;
  return 0;
}

int insight_read_facts(struct db *d, struct arena *a, long long user,
                       long long from_ms, long long to_ms, bool lock,
                       struct insight_fact **out, int *n) {
  char from[40], to[40];
  timefmt_sql(from, sizeof from, from_ms);
  timefmt_sql(to, sizeof to, to_ms);
  struct db_val p[] = {DB_I(user), DB_S(from), DB_S(to)};
  struct db_res res;
  *out = NULL;
  *n = 0;
  int rc = db_exec(d, a, lock ? FACTS_SQL " LOCK IN SHARE MODE" : FACTS_SQL, p,
                   3, lock ? 0 : DB_IDEMPOTENT, &res);
  if (rc) return rc;
  struct insight_fact *f = arena_alloc(a, sizeof *f * (size_t)(res.nrows + 1));
  if (!f) return RC_NOMEM;
  for (int r = 0; r < res.nrows; r++) {
    const struct db_row *row = &res.rows[r];
    long long *ar, *ge;
    int na, ng;
    if (ids_of(a, db_s(row, 4), &ar, &na) || ids_of(a, db_s(row, 5), &ge, &ng))
      return RC_NOMEM;
    f[r] = (struct insight_fact){.at_ms = db_i64(row, 0, 0),
                                 .track = db_i64(row, 1, 0),
                                 .ms = db_i64(row, 2, 0),
                                 .album = db_i64(row, 3, 0),
                                 .na = na,
                                 .ng = ng,
                                 .artists = ar,
                                 .genres = ge};
  }
  *out = f;
  *n = res.nrows;
  return 0;
}

int insight_tracks(struct db *d, struct arena *a, const long long *ids, int n,
                   struct insight_track **out, int *nout) {
  json_object *arr = jx_own(a, json_object_new_array());
  if (!arr) return RC_NOMEM;
  for (int i = 0; i < n; i++)
    json_object_array_add(arr, json_object_new_int64(ids[i]));
  size_t len;
  const char *text = jx_text(a, arr, &len);
  if (!text) return RC_NOMEM;
  struct db_val p = DB_S(text);
  struct db_res res;
  int rc =
      db_exec(d, a,
              "SELECT DISTINCT STRAIGHT_JOIN t.id, t.album_id, "
              "t.duration_ms, " CREDITS(
                  "t.id") " FROM JSON_TABLE(?, "
                          "'$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) j "
                          "JOIN tracks t ON t.id = j.id ORDER BY t.id",
              &p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  struct insight_track *t = arena_alloc(a, sizeof *t * (size_t)(res.nrows + 1));
  if (!t) return RC_NOMEM;
  for (int r = 0; r < res.nrows; r++) {
    const struct db_row *row = &res.rows[r];
    t[r] = (struct insight_track){.id = db_i64(row, 0, 0),
                                  .album = db_i64(row, 1, 0),
                                  .duration = db_i64(row, 2, 0)};
    if (ids_of(a, db_s(row, 3), &t[r].artists, &t[r].na) ||
        ids_of(a, db_s(row, 4), &t[r].genres, &t[r].ng))
      return RC_NOMEM;
  }
  *out = t;
  *nout = res.nrows;
  return 0;
}

const struct insight_track *insight_track_find(const struct insight_track *t,
                                               int n, long long id) {
  int lo = 0, hi = n;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if (t[mid].id == id) return &t[mid];
    if (t[mid].id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

long long insight_month_of(long long day) {
  int y, m, dd;
  tz_civil(day, &y, &m, &dd);
  return timefmt_days_from_civil(y, m, 1);
}

long long insight_month_next(long long month) {
  int y, m, dd;
  tz_civil(month, &y, &m, &dd);
  return m == 12 ? timefmt_days_from_civil(y + 1, 1, 1)
                 : timefmt_days_from_civil(y, m + 1, 1);
}

long long insight_floor_day(long long ms) {
  long long q = ms / INSIGHT_DAY_MS;
  return ms % INSIGHT_DAY_MS < 0 ? q - 1 : q;
}

int insight_roll(struct rollup *r, const struct insight_fact *f, int n,
                 long long start_ms) {
  for (int i = 0; i < n; i++) {
    const struct insight_fact *x = &f[i];
    if (x->at_ms < start_ms) continue;
    long long ms = x->ms > 0 ? x->ms : 0;
    if (rollup_put(&r->m[ROLLUP_QUARTERS],
                   (x->at_ms - start_ms) / ROLLUP_QUARTER_MS, 1, ms) ||
        rollup_put(&r->m[ROLLUP_TRACKS], x->track, 1, ms) ||
        (x->album > 0 && rollup_put(&r->m[ROLLUP_ALBUMS], x->album, 1, ms)))
      return -1;
    for (int k = 0; k < x->na; k++)
      if (rollup_put(&r->m[ROLLUP_ARTISTS], x->artists[k], 1, ms)) return -1;
    for (int k = 0; k < x->ng; k++)
      if (rollup_put(&r->m[ROLLUP_GENRES], x->genres[k], 1, ms)) return -1;
  }
  return 0;
}

int insight_user_rows(const struct insight_fact *f, int n, insight_row_fn emit,
                      void *ctx) {
  struct rollup r = {0};
  int rc = 0;
  for (int i = 0; !rc && i < n;) {
    long long month = insight_month_of(insight_floor_day(f[i].at_ms));
    long long end = insight_month_next(month) * INSIGHT_DAY_MS;
    int j = i, days;
    while (j < n && f[j].at_ms < end)
      j++;
    days = j - i >= INSIGHT_DAYS_MIN;
    rollup_clear(&r);
    rc = insight_roll(&r, f + i, j - i, month * INSIGHT_DAY_MS);
    if (!rc) {
      rollup_normalize(&r);
      rc = emit(ctx, INSIGHT_SPAN_MONTH, month, days, &r);
    }
    for (int k = i; days && !rc && k < j;) {
      long long day = insight_floor_day(f[k].at_ms);
      int e = k;
      while (e < j && insight_floor_day(f[e].at_ms) == day)
        e++;
      rollup_clear(&r);
      rc = insight_roll(&r, f + k, e - k, day * INSIGHT_DAY_MS);
      if (!rc) {
        rollup_normalize(&r);
        rc = emit(ctx, INSIGHT_SPAN_DAY, day, 0, &r);
      }
      k = e;
    }
    i = j;
  }
  rollup_free(&r);
  return rc;
}

static int cmp_pair(const void *x, const void *y) {
  const long long *a = x, *b = y;
  if (a[0] != b[0]) return a[0] > b[0] ? 1 : -1;
  return (a[1] > b[1]) - (a[1] < b[1]);
}

int insight_first_listens(const struct insight_fact *f, int n,
                          long long **pairs, int *m) {
  size_t k = 0;
  for (int i = 0; i < n; i++)
    k += (size_t)f[i].na;
  long long *v = malloc(sizeof *v * 2 * (k + 1));
  *pairs = v;
  *m = 0;
  if (!v) return -1;
  k = 0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < f[i].na; j++) {
      v[2 * k] = f[i].artists[j];
      v[2 * k + 1] = f[i].at_ms;
      k++;
    }
  qsort(v, k, 2 * sizeof *v, cmp_pair);
  size_t w = 0;
  for (size_t i = 0; i < k; i++)
    if (w == 0 || v[2 * i] != v[2 * (w - 1)]) {
      v[2 * w] = v[2 * i];
      v[2 * w + 1] = v[2 * i + 1];
      w++;
    }
  *m = (int)w;
  return 0;
}

int insight_row_write(struct db *d, struct arena *a, long long user,
                      enum insight_span span, long long start, int days,
                      const struct rollup *r) {
  int64_t listens, ms;
  rollup_totals(r, &listens, &ms);
  if (listens <= 0) {
    struct db_val p[] = {DB_I(user), DB_I(span), DB_I(start)};
    return db_exec(d, NULL,
                   "DELETE FROM insight_rollups WHERE user_id = ? AND span = ? "
                   "AND start = ?",
                   p, 3, 0, NULL);
  }
  unsigned char *buf = arena_alloc(a, rollup_encoded_max(r));
  if (!buf) return RC_NOMEM;
  size_t len = rollup_encode(r, buf);
  struct db_val p[] = {DB_I(user),    DB_I(span), DB_I(start),   DB_I(days),
                       DB_I(listens), DB_I(ms),   DB_B(buf, len)};
  return db_exec(d, NULL,
                 "INSERT INTO insight_rollups (user_id, span, start, days, "
                 "listens, ms, data) VALUES (?, ?, ?, ?, ?, ?, ?) "
                 "ON DUPLICATE KEY UPDATE days = VALUES(days), "
                 "listens = VALUES(listens), ms = VALUES(ms), "
                 "data = VALUES(data)",
                 p, 7, 0, NULL);
}
