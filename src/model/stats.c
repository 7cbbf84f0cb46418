/* stats: the daily rollup and the analytics report; see stats.h. */
#include "model/stats.h"

#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/timefmt.h"

/* day_text: "YYYY-MM-DD" of a day number, in the arena. */
static const char *day_text(struct arena *a, long long day) {
  char buf[32];
  timefmt_sql(buf, sizeof buf, day * 86400000LL);
  return arena_strndup(a, buf, 10);
}

/* The listens of one day: two parameters, the day. */
#define DAY_LISTENS(l)                                                         \
  l ".listened_at >= CAST(? AS DATE) AND " l ".listened_at < "                 \
    "CAST(? AS DATE) + INTERVAL 1 DAY"

int stats_rollup_day(struct db *d, struct arena *a, long long day) {
  const char *t = day_text(a, day);
  if (!t) return RC_NOMEM;
  struct db_val p[15];
  for (int i = 0; i < 15; i++)
    p[i] = DB_S(t);
  int rc = db_exec(
      d, NULL,
      "REPLACE INTO stats_days (day, dau, wau, mau, signups, listens, "
      "listen_ms, rec_listens) SELECT ?, "
      "(SELECT COUNT(DISTINCT l.user_id) FROM listens l WHERE " DAY_LISTENS(
          "l") "), "
               "(SELECT COUNT(DISTINCT l.user_id) FROM listens l WHERE "
               "l.listened_at >= CAST(? AS DATE) - INTERVAL 6 DAY AND "
               "l.listened_at < CAST(? AS DATE) + INTERVAL 1 DAY), "
               "(SELECT COUNT(DISTINCT l.user_id) FROM listens l WHERE "
               "l.listened_at >= CAST(? AS DATE) - INTERVAL 29 DAY AND "
               "l.listened_at < CAST(? AS DATE) + INTERVAL 1 DAY), "
               "(SELECT COUNT(*) FROM users u WHERE u.created_at >= "
               "CAST(? AS DATE) AND u.created_at < CAST(? AS DATE) + "
               "INTERVAL 1 DAY), "
               "(SELECT COUNT(*) FROM listens l WHERE " DAY_LISTENS(
                   "l") "), "
                        "(SELECT COALESCE(SUM(COALESCE(l.ms_played, "
                        "t.duration_ms, 0)), 0) FROM listens l JOIN tracks t "
                        "ON t.id = l.track_id WHERE " DAY_LISTENS(
                            "l") "), "
                                 "(SELECT COUNT(*) FROM listens l WHERE "
                                 "l.context = '" STATS_REC_CONTEXT
                                 "' AND " DAY_LISTENS("l") ")",
      p, 15, DB_IDEMPOTENT, NULL);
  if (!rc) rc = db_begin(d);
  if (!rc)
    rc = db_exec(d, NULL, "DELETE FROM stats_top WHERE day = ?", p, 1, 0, NULL);
  if (!rc)
    rc = db_exec(d, NULL,
                 "INSERT INTO stats_top (day, kind, item_id, plays) "
                 "SELECT ?, 'track', l.track_id, COUNT(*) FROM listens l "
                 "WHERE " DAY_LISTENS(
                     "l") " GROUP BY l.track_id "
                          "ORDER BY COUNT(*) DESC, l.track_id LIMIT 100",
                 p, 3, 0, NULL);
  if (!rc)
    rc = db_exec(d, NULL,
                 "INSERT INTO stats_top (day, kind, item_id, plays) "
                 "SELECT ?, 'artist', ta.artist_id, COUNT(*) FROM listens l "
                 "JOIN track_artists ta ON ta.track_id = l.track_id AND "
                 "ta.role = 'primary' WHERE " DAY_LISTENS(
                     "l") " GROUP BY ta.artist_id ORDER BY COUNT(*) DESC, "
                          "ta.artist_id LIMIT 100",
                 p, 3, 0, NULL);
  if (!rc) return db_commit(d);
  db_rollback(d);
  return rc;
}

int stats_rollup_cohorts(struct db *d, struct arena *a, long long today) {
  /* Day 0 (1970-01-01) was a Thursday: Mondays are days = 4 (mod 7). */
  long long monday = today - ((today - 4) % 7 + 7) % 7;
  for (int w = STATS_COHORT_WEEKS; w >= 0; w--) {
    long long week = monday - 7LL * w;
    for (long long k = 0; week + 7 * k <= today; k++) {
      const char *wt = day_text(a, week), *st = day_text(a, week + 7 * k),
                 *et = day_text(a, week + 7 * k + 7);
      if (!wt || !st || !et) return RC_NOMEM;
      struct db_val p[] = {DB_S(wt), DB_I(k),  DB_S(wt), DB_S(wt),
                           DB_S(wt), DB_S(wt), DB_S(st), DB_S(et)};
      int rc = db_exec(
          d, NULL,
          "REPLACE INTO stats_cohorts (week, weeks_after, size, retained) "
          "SELECT ?, ?, (SELECT COUNT(*) FROM users u WHERE u.created_at >= "
          "CAST(? AS DATE) AND u.created_at < CAST(? AS DATE) + INTERVAL 7 "
          "DAY), (SELECT COUNT(*) FROM users u WHERE u.created_at >= "
          "CAST(? AS DATE) AND u.created_at < CAST(? AS DATE) + INTERVAL 7 "
          "DAY AND EXISTS (SELECT 1 FROM listens l WHERE l.user_id = u.id "
          "AND l.listened_at >= ? AND l.listened_at < ?))",
          p, 8, DB_IDEMPOTENT, NULL);
      if (rc) return rc;
    }
  }
  return 0;
}

int stats_last_day(struct db *d, struct arena *a, long long *day) {
  struct db_res res;
  int rc =
      db_exec(d, a, "SELECT DATEDIFF(MAX(day), '1970-01-01') FROM stats_days",
              NULL, 0, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  *day = res.nrows && db_s(&res.rows[0], 0) ? db_i64(&res.rows[0], 0, -1) : -1;
  return 0;
}

/* --- the report ----------------------------------------------------------- */

/* top: the most played items of a kind over the range, with names. */
static int top(struct db *d, struct arena *a, const char *from, const char *to,
               bool tracks, json_object **out) {
  struct db_res res;
  struct db_val p[] = {DB_S(from), DB_S(to)};
  /* Summed first, named after: the join touches ten rows, not a year's. */
  int rc =
      tracks ? db_exec(d, a,
                       "SELECT x.item_id, t.title, x.n FROM (SELECT item_id, "
                       "SUM(plays) AS n FROM stats_top WHERE day BETWEEN ? AND "
                       "? AND kind = 'track' GROUP BY item_id ORDER BY n DESC, "
                       "item_id LIMIT 10) x JOIN tracks t ON t.id = x.item_id "
                       "ORDER BY x.n DESC, x.item_id",
                       p, 2, DB_IDEMPOTENT, &res)
             : db_exec(d, a,
                       "SELECT x.item_id, ar.name, x.n FROM (SELECT item_id, "
                       "SUM(plays) AS n FROM stats_top WHERE day BETWEEN ? AND "
                       "? AND kind = 'artist' GROUP BY item_id ORDER BY n "
                       "DESC, item_id LIMIT 10) x JOIN artists ar ON ar.id = "
                       "x.item_id ORDER BY x.n DESC, x.item_id",
                       p, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  json_object *list = json_object_new_array();
  for (int i = 0; i < res.nrows; i++) {
    json_object *o = json_object_new_object();
    jx_add_int(o, "id", db_i64(&res.rows[i], 0, 0));
    jx_add_str(o, tracks ? "title" : "name", db_s(&res.rows[i], 1));
    jx_add_int(o, "plays", db_i64(&res.rows[i], 2, 0));
    json_object_array_add(list, o);
  }
  *out = list;
  return 0;
}

static int cohorts(struct db *d, struct arena *a, const char *from,
                   const char *to, json_object **out) {
  struct db_res res;
  struct db_val p[] = {DB_S(from), DB_S(to)};
  int rc = db_exec(d, a,
                   "SELECT DATE_FORMAT(week, '%Y-%m-%d'), weeks_after, size, "
                   "retained FROM stats_cohorts WHERE week BETWEEN ? AND ? "
                   "ORDER BY week, weeks_after",
                   p, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  json_object *list = json_object_new_array(), *cur = NULL, *ret = NULL;
  const char *week = NULL;
  for (int i = 0; i < res.nrows; i++) {
    const struct db_row *row = &res.rows[i];
    if (!week || strcmp(week, db_s(row, 0))) {
      week = db_s(row, 0);
      cur = json_object_new_object();
      jx_add_str(cur, "week", week);
      jx_add_int(cur, "size", db_i64(row, 2, 0));
      ret = json_object_new_array();
      json_object_object_add(cur, "retained", ret);
      json_object_array_add(list, cur);
    }
    json_object_array_add(ret, json_object_new_int64(db_i64(row, 3, 0)));
  }
  *out = list;
  return 0;
}

int stats_report(struct db *d, struct arena *a, long long from, long long to,
                 json_object **out) {
  const char *ft = day_text(a, from), *tt = day_text(a, to);
  if (!ft || !tt) return RC_NOMEM;
  struct db_res res;
  struct db_val p[] = {DB_S(ft), DB_S(tt)};
  int rc = db_exec(d, a,
                   "SELECT DATE_FORMAT(day, '%Y-%m-%d'), dau, wau, mau, "
                   "signups, listens, listen_ms, rec_listens FROM stats_days "
                   "WHERE day BETWEEN ? AND ? ORDER BY day",
                   p, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  json_object *o = json_object_new_object(), *days = json_object_new_array();
  long long listens = 0, recs = 0, signups = 0, ms = 0;
  for (int i = 0; i < res.nrows; i++) {
    const struct db_row *row = &res.rows[i];
    json_object *day = json_object_new_object();
    jx_add_str(day, "day", db_s(row, 0));
    jx_add_int(day, "dau", db_i64(row, 1, 0));
    jx_add_int(day, "wau", db_i64(row, 2, 0));
    jx_add_int(day, "mau", db_i64(row, 3, 0));
    jx_add_int(day, "signups", db_i64(row, 4, 0));
    jx_add_int(day, "listens", db_i64(row, 5, 0));
    jx_add_int(day, "listening_ms", db_i64(row, 6, 0));
    jx_add_int(day, "recommended_listens", db_i64(row, 7, 0));
    json_object_array_add(days, day);
    signups += db_i64(row, 4, 0);
    listens += db_i64(row, 5, 0);
    ms += db_i64(row, 6, 0);
    recs += db_i64(row, 7, 0);
  }
  jx_add_str(o, "from", ft);
  jx_add_str(o, "to", tt);
  json_object *totals = json_object_new_object();
  jx_add_int(totals, "signups", signups);
  jx_add_int(totals, "listens", listens);
  jx_add_int(totals, "listening_ms", ms);
  jx_add_int(totals, "recommended_listens", recs);
  json_object_object_add(
      totals, "recommended_share",
      json_object_new_double(listens ? (double)recs / (double)listens : 0.0));
  json_object_object_add(o, "totals", totals);
  json_object_object_add(o, "days", days);
  json_object *tt_list = NULL, *ta_list = NULL, *co = NULL;
  rc = top(d, a, ft, tt, true, &tt_list);
  if (!rc) rc = top(d, a, ft, tt, false, &ta_list);
  if (!rc) rc = cohorts(d, a, ft, tt, &co);
  json_object_object_add(o, "top_tracks", tt_list);
  json_object_object_add(o, "top_artists", ta_list);
  json_object_object_add(o, "retention", co);
  if (rc) {
    json_object_put(o);
    return rc;
  }
  *out = o;
  return 0;
}
