/* insight_year: a year in review (the year's period read as any other:
 * insight_read.c), its JSON, and the user's zone. */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/timefmt.h"
#include "core/tz.h"
#include "model/insight.h"
#include "model/insight_internal.h"
#include "model/user.h"

#define YEAR_TOP 5

static const char *const kinds[] = {
    [ROLLUP_TRACKS] = "tracks",
    [ROLLUP_ARTISTS] = "artists",
    [ROLLUP_ALBUMS] = "albums",
    [ROLLUP_GENRES] = "genres",
};

int insight_zone_of(struct db *d, struct arena *a, long long user_id,
                    const struct tz **zone) {
  struct db_val v = DB_I(user_id);
  struct db_res res;
  int rc =
      db_exec(d, a, "SELECT time_zone FROM user_preferences WHERE user_id = ?",
              &v, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  /* a zone the tzdata has since dropped reads as the default */
  if (res.nrows && db_s(&res.rows[0], 0) &&
      tz_load(db_s(&res.rows[0], 0), zone) == 0)
    return 0;
  return tz_load(USER_TIME_ZONE_DEFAULT, zone);
}

/* new_artist: the artist first heard in the period and heard most in it,
 * as JSON (NULL when none). */
static int new_artist(struct db *d, struct arena *a, long long user,
                      const struct insight_period *p, json_object **out) {
  struct db_val v[] = {DB_I(user), DB_I(p->from_ms), DB_I(p->to_ms)};
  struct db_res res;
  *out = NULL;
  int rc = db_exec(d, a,
                   "SELECT artist_id, first_ms FROM insight_firsts WHERE "
                   "user_id = ? AND first_ms >= ? AND first_ms < ?",
                   v, 3, DB_IDEMPOTENT, &res);
  if (rc || res.nrows == 0) return rc;
  struct rollup_entry best = {.key = -1};
  long long first = 0;
  for (int r = 0; r < res.nrows; r++) {
    struct rollup_entry e =
        rollup_acc_get(&p->items[ROLLUP_ARTISTS], db_i64(&res.rows[r], 0, 0));
    if (e.listens > best.listens ||
        (e.listens == best.listens &&
         (e.ms > best.ms || (e.ms == best.ms && e.key < best.key)))) {
      best = e;
      first = db_i64(&res.rows[r], 1, 0);
    }
  }
  if (best.key < 0 || best.listens <= 0) return 0;
  struct db_val w = DB_I(best.key);
  if ((rc = db_exec(d, a, "SELECT name FROM artists WHERE id = ?", &w, 1,
                    DB_IDEMPOTENT, &res)))
    return rc;
  if (res.nrows == 0) return 0; /* deleted since */
  char when[40];
  timefmt_rfc3339(when, sizeof when, first);
  json_object *o = jx_own(a, json_object_new_object());
  jx_add_int(o, "id", best.key);
  jx_add_str(o, "name", db_s(&res.rows[0], 0));
  jx_add_int(o, "listens", best.listens);
  jx_add_int(o, "ms_played", best.ms);
  jx_add_str(o, "first_listened_at", when);
  *out = o;
  return 0;
}

int insight_year_read(struct db *d, struct arena *a, long long user_id,
                      const struct tz *zone, int year, struct insight_year *y) {
  struct insight_period p = {.zone = zone,
                             .from_day = timefmt_days_from_civil(year, 1, 1),
                             .to_day = timefmt_days_from_civil(year, 12, 31)};
  struct insight_names names;
  memset(y, 0, sizeof *y);
  y->year = year;
  struct db_val v = DB_I(user_id);
  struct db_res res;
  int rc = db_exec(d, a, "SELECT display_name FROM users WHERE id = ?", &v, 1,
                   DB_IDEMPOTENT, &res);
  if (!rc && res.nrows == 0) rc = RC_NOT_FOUND;
  if (!rc) y->name = db_s(&res.rows[0], 0);
  if (!rc) rc = insight_period_read(d, a, user_id, &p);
  if (!rc) rc = insight_names_read(d, a, &p, 1, YEAR_TOP, &names);
  if (!rc) rc = new_artist(d, a, user_id, &p, &y->new_artist);
  if (!rc && !(y->top = jx_own(a, json_object_new_object()))) rc = RC_NOMEM;
  if (!rc) {
    for (int k = ROLLUP_TRACKS; k < ROLLUP_KINDS; k++)
      json_object_object_add(y->top, kinds[k],
                             insight_top_json(&p, k, YEAR_TOP, &names));
    y->listens = p.listens;
    y->ms = p.ms;
    y->discoveries = p.discoveries;
    for (int i = 0; i < p.daily.cap; i++) {
      const struct rollup_entry *e = &p.daily.e[i];
      int yy, m, dd;
      if (e->key < 0) continue;
      tz_civil(p.from_day + e->key, &yy, &m, &dd);
      y->month_ms[m - 1] += e->ms;
    }
    for (int m = 0; m < 12; m++)
      if (y->month_ms[m] > 0 &&
          (!y->best_month || y->month_ms[m] > y->month_ms[y->best_month - 1]))
        y->best_month = m + 1;
  }
  insight_period_free(&p);
  return rc;
}

json_object *insight_year_json(const struct insight_year *y, const char *zone) {
  static const char *const month_names[] = {
      "January", "February", "March",     "April",   "May",      "June",
      "July",    "August",   "September", "October", "November", "December"};
  json_object *o = json_object_new_object();
  jx_add_int(o, "year", y->year);
  jx_add_str(o, "time_zone", zone);
  jx_add_int(o, "listens", y->listens);
  jx_add_int(o, "ms_played", y->ms);
  jx_add_int(o, "minutes", y->ms / 60000);
  json_object_object_add(o, "top", json_object_get(y->top));
  json_object *months = json_object_new_array();
  for (int m = 0; m < 12; m++) {
    json_object *mo = json_object_new_object();
    jx_add_int(mo, "month", m + 1);
    jx_add_int(mo, "ms_played", y->month_ms[m]);
    jx_add_int(mo, "minutes", y->month_ms[m] / 60000);
    json_object_array_add(months, mo);
  }
  json_object_object_add(o, "months", months);
  if (y->best_month) {
    json_object *b = json_object_new_object();
    jx_add_int(b, "month", y->best_month);
    jx_add_str(b, "name", month_names[y->best_month - 1]);
    jx_add_int(b, "minutes", y->month_ms[y->best_month - 1] / 60000);
    json_object_object_add(o, "best_month", b);
  } else {
    json_object_object_add(o, "best_month", NULL);
  }
  json_object_object_add(o, "new_artist", json_object_get(y->new_artist));
  jx_add_int(o, "discoveries", y->discoveries);
  return o;
}
