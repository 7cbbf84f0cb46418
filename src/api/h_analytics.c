/* h_analytics: GET /api/v1/admin/analytics?from=&to= (admin role, checked
 * by the router): the service's use over a range of UTC days, read from
 * the daily rollup (model/stats.h) alone. */
#include "api/handlers.h"

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "api/app.h"
#include "api/req.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/timefmt.h"
#include "model/stats.h"

#define DATE_RULE "must be a date such as 2026-01-31"

/* parse_day: "YYYY-MM-DD", a real date of years 1970 to 9999, as a day
 * number; false otherwise. */
static bool parse_day(const char *s, long long *day) {
  int y, m, d;
  char end;
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &end) != 3 || s[4] != '-' ||
      s[7] != '-' || y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
    return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (m == 2 && d == 29 && !leap) return false;
  *day = timefmt_days_from_civil(y, m, d);
  return true;
}

const struct qparam h_analytics_query[] = {
    {.name = "from", .kind = Q_TEXT, .min = 10, .max = 10, .msg = DATE_RULE},
    {.name = "to", .kind = Q_TEXT, .min = 10, .max = 10, .msg = DATE_RULE},
    Q_END,
};

int h_analytics_get(struct req *r) {
  long long today = (long long)time(NULL) / 86400, from, to = today;
  const char *f = req_qtext(r, "from"), *t = req_qtext(r, "to");
  struct jx_errors errs = {0};
  if (t && !parse_day(t, &to)) jx_error_add(&errs, "to", DATE_RULE);
  from = to - 29;
  if (f && !parse_day(f, &from)) jx_error_add(&errs, "from", DATE_RULE);
  if (!errs.n && from > to) jx_error_add(&errs, "from", "must not be after to");
  if (!errs.n && to - from + 1 > STATS_RANGE_MAX)
    jx_error_add(&errs, "from",
                 arena_printf(req_arena(r),
                              "the range may cover at most %d days",
                              STATS_RANGE_MAX));
  if (errs.n) return req_problem_fields(r, &errs);
  json_object *o;
  int rc = stats_report(app.db, req_arena(r), from, to, &o);
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_json(r, 200, jx_own(req_arena(r), o));
}
