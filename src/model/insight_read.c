/* insight_read: the report of a range of local days: the period read from
 * the rollups and the listens (see insight.h for how a range is cut), its
 * figures, and the same for the period of equal length before it. */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/rc.h"
#include "core/tz.h"
#include "model/insight.h"
#include "model/insight_internal.h"

/* --- summing -------------------------------------------------------------- */

/* add_at: listens and ms at instant at_ms, to the totals, the day and the
 * hour they fall on in the period's zone. */
static int add_at(struct insight_period *p, long long at_ms, long long listens,
                  long long ms) {
  long long s = at_ms >= 0 ? at_ms / 1000 : -((-at_ms + 999) / 1000);
  long long local = s + tz_offset(p->zone, s);
  long long day =
      local >= 0 ? local / TZ_DAY : -((-local + TZ_DAY - 1) / TZ_DAY);
  if (day < p->from_day || day > p->to_day) return 0;
  int hour = (int)((local - day * TZ_DAY) / 3600);
  p->listens += listens;
  p->ms += ms;
  p->heat[tz_weekday(day)][hour] += listens;
  return rollup_acc_add(&p->daily, day - p->from_day, listens, ms);
}

/* add_blob: a rollup blob of the bucket starting at start_ms, whole. */
static int add_blob(struct insight_period *p, const struct db_row *row, int col,
                    long long start_ms) {
  struct rollup r = {0};
  int rc = 0;
  if (rollup_decode(&r, (const unsigned char *)row->v[col], row->len[col])) {
    char at[24];
    snprintf(at, sizeof at, "%lld", start_ms);
    log_msg(LOG_ERROR, "insight: a rollup that cannot be read", "start_ms", at,
            NULL);
    rc = RC_INTERNAL;
  }
  const struct rollup_map *q = &r.m[ROLLUP_QUARTERS];
  for (int i = 0; !rc && i < q->n; i++)
    if (add_at(p, start_ms + q->e[i].key * ROLLUP_QUARTER_MS, q->e[i].listens,
               q->e[i].ms))
      rc = RC_NOMEM;
  for (int k = ROLLUP_TRACKS; !rc && k < ROLLUP_KINDS; k++)
    for (int i = 0; !rc && i < r.m[k].n; i++)
      if (rollup_acc_add(&p->items[k], r.m[k].e[i].key, r.m[k].e[i].listens,
                         r.m[k].e[i].ms))
        rc = RC_NOMEM;
  rollup_free(&r);
  return rc;
}

/* add_raw: the listens of [from, to) themselves. */
static int add_raw(struct db *d, struct arena *a, long long user,
                   struct insight_period *p, long long from, long long to) {
  struct insight_fact *f;
  int n, rc = insight_read_facts(d, a, user, from, to, false, &f, &n);
  for (int i = 0; !rc && i < n; i++) {
    long long ms = f[i].ms > 0 ? f[i].ms : 0;
    if (add_at(p, f[i].at_ms, 1, ms) ||
        rollup_acc_add(&p->items[ROLLUP_TRACKS], f[i].track, 1, ms) ||
        (f[i].album > 0 &&
         rollup_acc_add(&p->items[ROLLUP_ALBUMS], f[i].album, 1, ms)))
      rc = RC_NOMEM;
    for (int k = 0; !rc && k < f[i].na; k++)
      if (rollup_acc_add(&p->items[ROLLUP_ARTISTS], f[i].artists[k], 1, ms))
        rc = RC_NOMEM;
    for (int k = 0; !rc && k < f[i].ng; k++)
      if (rollup_acc_add(&p->items[ROLLUP_GENRES], f[i].genres[k], 1, ms))
        rc = RC_NOMEM;
  }
  return rc;
}

/* add_days: the day rows of UTC days [d0, d1) (all exist for a busy
 * month's days with listens). */
static int add_days(struct db *d, struct arena *a, long long user,
                    struct insight_period *p, long long d0, long long d1) {
  struct db_val v[] = {DB_I(user), DB_I(d0), DB_I(d1)};
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT start, data FROM insight_rollups WHERE user_id = ? "
                   "AND span = 1 AND start >= ? AND start < ?",
                   v, 3, DB_IDEMPOTENT, &res);
  for (int r = 0; !rc && r < res.nrows; r++)
    rc = add_blob(p, &res.rows[r], 1,
                  db_i64(&res.rows[r], 0, 0) * INSIGHT_DAY_MS);
  return rc;
}

/* add_part: [lo, hi) of a month that the period covers in part: whole UTC
 * days from day rows when the month has them, the rest from listens. */
static int add_part(struct db *d, struct arena *a, long long user,
                    struct insight_period *p, long long lo, long long hi,
                    bool days) {
  long long d0 = insight_floor_day(lo + INSIGHT_DAY_MS - 1),
            d1 = insight_floor_day(hi);
  if (!days || d0 >= d1) return add_raw(d, a, user, p, lo, hi);
  int rc = 0;
  if (lo < d0 * INSIGHT_DAY_MS)
    rc = add_raw(d, a, user, p, lo, d0 * INSIGHT_DAY_MS);
  if (!rc) rc = add_days(d, a, user, p, d0, d1);
  if (!rc && d1 * INSIGHT_DAY_MS < hi)
    rc = add_raw(d, a, user, p, d1 * INSIGHT_DAY_MS, hi);
  return rc;
}

int insight_period_read(struct db *d, struct arena *a, long long user,
                        struct insight_period *p) {
  p->from_ms = tz_day_start(p->zone, p->from_day) * 1000;
  p->to_ms = tz_day_start(p->zone, p->to_day + 1) * 1000;
  long long F = p->from_ms, T = p->to_ms;
  long long m0 = insight_month_of(insight_floor_day(F));
  struct db_val v[] = {DB_I(user), DB_I(m0),
                       DB_I(insight_floor_day(T - 1) + 1)};
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT start, days, data FROM insight_rollups WHERE "
                   "user_id = ? AND span = 2 AND start >= ? AND start < ? "
                   "ORDER BY start",
                   v, 3, DB_IDEMPOTENT, &res);
  for (int r = 0; !rc && r < res.nrows; r++) {
    const struct db_row *row = &res.rows[r];
    long long m = db_i64(row, 0, 0);
    long long ms = m * INSIGHT_DAY_MS,
              me = insight_month_next(m) * INSIGHT_DAY_MS;
    if (F <= ms && me <= T) {
      rc = add_blob(p, row, 2, ms);
    } else {
      long long lo = F > ms ? F : ms, hi = T < me ? T : me;
      if (lo < hi) rc = add_part(d, a, user, p, lo, hi, db_i64(row, 1, 0));
    }
  }
  if (rc) return rc;
  struct db_val w[] = {DB_I(user), DB_I(F), DB_I(T)};
  if ((rc = db_exec(d, a,
                    "SELECT COUNT(*) FROM insight_firsts WHERE user_id = ? "
                    "AND first_ms >= ? AND first_ms < ?",
                    w, 3, DB_IDEMPOTENT, &res)))
    return rc;
  p->discoveries = res.nrows ? db_i64(&res.rows[0], 0, 0) : 0;
  return 0;
}

void insight_period_free(struct insight_period *p) {
  for (int k = 0; k < ROLLUP_KINDS; k++)
    rollup_acc_free(&p->items[k]);
  rollup_acc_free(&p->daily);
}

/* --- names ---------------------------------------------------------------- */

/* The names of each kind, by id: one statement per kind. */
static const char *const names_sql[ROLLUP_KINDS] = {
    [ROLLUP_TRACKS] =
        "SELECT STRAIGHT_JOIN t.id, JSON_OBJECT('id', t.id, 'title', t.title, "
        "'artists', COALESCE((SELECT JSON_ARRAYAGG(JSON_OBJECT('id', ar.id, "
        "'name', ar.name) ORDER BY ta.position, ar.id) FROM track_artists ta "
        "JOIN artists ar ON ar.id = ta.artist_id WHERE ta.track_id = t.id "
        "AND ta.role = 'primary'), JSON_ARRAY())) FROM JSON_TABLE(?, '$[*]' "
        "COLUMNS (id BIGINT UNSIGNED PATH '$')) j JOIN tracks t ON t.id = j.id",
    [ROLLUP_ARTISTS] =
        "SELECT STRAIGHT_JOIN ar.id, JSON_OBJECT('id', ar.id, 'name', ar.name) "
        "FROM JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) j "
        "JOIN artists ar ON ar.id = j.id",
    [ROLLUP_ALBUMS] =
        "SELECT STRAIGHT_JOIN al.id, JSON_OBJECT('id', al.id, 'title', "
        "al.title, 'artist', JSON_OBJECT('id', ar.id, 'name', ar.name)) FROM "
        "JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) j "
        "JOIN albums al ON al.id = j.id JOIN artists ar ON ar.id = "
        "al.artist_id",
    [ROLLUP_GENRES] =
        "SELECT STRAIGHT_JOIN g.id, JSON_OBJECT('id', g.id, 'name', g.name) "
        "FROM JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) j "
        "JOIN genres g ON g.id = j.id",
};

int insight_names_read(struct db *d, struct arena *a,
                       const struct insight_period *p, int np, int limit,
                       struct insight_names *names) {
  struct rollup_entry *top = arena_alloc(a, sizeof *top * (size_t)limit);
  if (!top) return RC_NOMEM;
  memset(names, 0, sizeof *names);
  for (int k = ROLLUP_TRACKS; k < ROLLUP_KINDS; k++) {
    json_object *ids = jx_own(a, json_object_new_array());
    names->rows[k] = jx_own(a, json_object_new_object());
    if (!ids || !names->rows[k]) return RC_NOMEM;
    for (int i = 0; i < np; i++) {
      int n = rollup_acc_top(&p[i].items[k], limit, top);
      for (int j = 0; j < n; j++)
        json_object_array_add(ids, json_object_new_int64(top[j].key));
    }
    if (json_object_array_length(ids) == 0) continue;
    size_t len;
    const char *text = jx_text(a, ids, &len);
    if (!text) return RC_NOMEM;
    struct db_val v = DB_S(text);
    struct db_res res;
    int rc = db_exec(d, a, names_sql[k], &v, 1, DB_IDEMPOTENT, &res);
    if (rc) return rc;
    for (int r = 0; r < res.nrows; r++) {
      const char *js = db_s(&res.rows[r], 1);
      json_object *o = js ? json_tokener_parse(js) : NULL;
      if (o) json_object_object_add(names->rows[k], db_s(&res.rows[r], 0), o);
    }
  }
  return 0;
}

json_object *insight_top_json(const struct insight_period *p,
                              enum rollup_kind kind, int limit,
                              const struct insight_names *names) {
  struct rollup_entry top[INSIGHT_TOP_MAX];
  json_object *arr = json_object_new_array();
  int n = rollup_acc_top(
      &p->items[kind], limit < INSIGHT_TOP_MAX ? limit : INSIGHT_TOP_MAX, top);
  for (int i = 0; i < n; i++) {
    char id[24];
    json_object *named, *item = NULL; /* deep_copy wants NULL */
    snprintf(id, sizeof id, "%lld", (long long)top[i].key);
    if (!json_object_object_get_ex(names->rows[kind], id, &named)) continue;
    if (json_object_deep_copy(named, &item, NULL)) continue;
    jx_add_int(item, "rank", i + 1);
    jx_add_int(item, "listens", top[i].listens);
    jx_add_int(item, "ms_played", top[i].ms);
    json_object_array_add(arr, item);
  }
  return arr;
}

/* --- figures -------------------------------------------------------------- */

static void add_date(json_object *o, const char *key, long long day) {
  char buf[16];
  tz_format_date(buf, sizeof buf, day);
  jx_add_str(o, key, buf);
}

static void add_ratio(json_object *o, const char *key, double v) {
  char text[32];
  snprintf(text, sizeof text, "%.4f", v);
  json_object_object_add(o, key, json_object_new_double_s(v, text));
}

static int cmp_key(const void *x, const void *y) {
  const struct rollup_entry *a = x, *b = y;
  return (a->key > b->key) - (a->key < b->key);
}

/* daily_json: the days with listens, in order; the longest run of such
 * days into streak. */
static json_object *daily_json(const struct insight_period *p,
                               json_object *streak) {
  long long ndays = p->to_day - p->from_day + 1;
  json_object *arr = json_object_new_array();
  long long best = 0, best_end = -1, run = 0, prev = -2;
  int n = rollup_acc_count(&p->daily);
  struct rollup_entry *e = malloc(sizeof *e * (size_t)(n + 1));
  int m = 0;
  for (int i = 0; e && i < p->daily.cap; i++)
    if (p->daily.e[i].key >= 0 && p->daily.e[i].listens > 0)
      e[m++] = p->daily.e[i];
  if (e) qsort(e, (size_t)m, sizeof *e, cmp_key);
  for (int i = 0; e && i < m && e[i].key < ndays; i++) {
    json_object *o = json_object_new_object();
    add_date(o, "date", p->from_day + e[i].key);
    jx_add_int(o, "listens", e[i].listens);
    jx_add_int(o, "ms_played", e[i].ms);
    json_object_array_add(arr, o);
    run = e[i].key == prev + 1 ? run + 1 : 1;
    prev = e[i].key;
    if (run > best) {
      best = run;
      best_end = e[i].key;
    }
  }
  free(e);
  jx_add_int(streak, "days", best);
  if (best) {
    add_date(streak, "from", p->from_day + best_end - best + 1);
    add_date(streak, "to", p->from_day + best_end);
  } else {
    json_object_object_add(streak, "from", NULL);
    json_object_object_add(streak, "to", NULL);
  }
  return arr;
}

static const char *const kind_names[ROLLUP_KINDS] = {
    [ROLLUP_TRACKS] = "tracks",
    [ROLLUP_ARTISTS] = "artists",
    [ROLLUP_ALBUMS] = "albums",
    [ROLLUP_GENRES] = "genres",
};

/* figures_json: every figure of one period. */
static json_object *figures_json(const struct insight_period *p, int limit,
                                 const struct insight_names *names) {
  json_object *o = json_object_new_object();
  add_date(o, "from", p->from_day);
  add_date(o, "to", p->to_day);
  jx_add_int(o, "days", p->to_day - p->from_day + 1);
  jx_add_int(o, "listens", p->listens);
  jx_add_int(o, "ms_played", p->ms);
  jx_add_int(o, "minutes", p->ms / 60000);
  json_object *distinct = json_object_new_object(),
              *top = json_object_new_object();
  for (int k = ROLLUP_TRACKS; k < ROLLUP_KINDS; k++) {
    jx_add_int(distinct, kind_names[k], rollup_acc_count(&p->items[k]));
    json_object_object_add(top, kind_names[k],
                           insight_top_json(p, k, limit, names));
  }
  json_object_object_add(o, "distinct", distinct);
  json_object_object_add(o, "top", top);
  json_object *heat = json_object_new_array();
  for (int w = 0; w < 7; w++) {
    json_object *row = json_object_new_array();
    for (int h = 0; h < 24; h++)
      json_object_array_add(row, json_object_new_int64(p->heat[w][h]));
    json_object_array_add(heat, row);
  }
  json_object_object_add(o, "heatmap", heat);
  json_object *streak = json_object_new_object();
  json_object_object_add(o, "daily", daily_json(p, streak));
  json_object_object_add(o, "longest_streak", streak);
  jx_add_int(o, "discoveries", p->discoveries);
  add_ratio(o, "discovery_share",
            p->listens ? (double)p->discoveries / (double)p->listens : 0.0);
  json_object *div = json_object_new_object();
  int artists = rollup_acc_count(&p->items[ROLLUP_ARTISTS]);
  double h = rollup_acc_entropy(&p->items[ROLLUP_ARTISTS]);
  add_ratio(div, "artist_entropy_bits", h);
  add_ratio(div, "normalized", artists > 1 ? h / log2((double)artists) : 0.0);
  json_object_object_add(o, "diversity", div);
  return o;
}

int insight_report(struct db *d, struct arena *a, const struct insight_query *q,
                   json_object **out) {
  long long len = q->to_day - q->from_day + 1;
  struct insight_period p[2] = {
      {.zone = q->zone, .from_day = q->from_day, .to_day = q->to_day},
      {.zone = q->zone,
       .from_day = q->from_day - len,
       .to_day = q->from_day - 1}};
  struct insight_names names;
  int rc = insight_period_read(d, a, q->user_id, &p[0]);
  if (!rc) rc = insight_period_read(d, a, q->user_id, &p[1]);
  if (!rc) rc = insight_names_read(d, a, p, 2, q->limit, &names);
  if (!rc) {
    json_object *o = figures_json(&p[0], q->limit, &names);
    jx_add_str(o, "time_zone", tz_name(q->zone));
    json_object_object_add(o, "previous",
                           figures_json(&p[1], q->limit, &names));
    *out = o;
  }
  insight_period_free(&p[0]);
  insight_period_free(&p[1]);
  return rc;
}
