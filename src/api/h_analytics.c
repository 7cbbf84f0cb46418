/* h_analytics: GET /api/v1/admin/analytics?from=&to= (admin role, checked
 * by the router): the service's use over a range of UTC days, read from
 * the daily rollup (model/stats.h) alone. */
#include "api/handlers.h"

#include <time.h>

#include "api/app.h"
#include "api/req.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/tz.h"
#include "model/stats.h"

#define DATE_RULE "must be a date such as 2026-01-31"

const struct qparam h_analytics_query[] = {
    {.name = "from", .kind = Q_TEXT, .min = 10, .max = 10, .msg = DATE_RULE},
    {.name = "to", .kind = Q_TEXT, .min = 10, .max = 10, .msg = DATE_RULE},
    Q_END,
};

int h_analytics_get(struct req *r) {
  long long today = (long long)time(NULL) / 86400, from, to = today;
  const char *f = req_qtext(r, "from"), *t = req_qtext(r, "to");
  struct jx_errors errs = {0};
  if (t && tz_parse_date(t, &to)) jx_error_add(&errs, "to", DATE_RULE);
  from = to - 29;
  if (f && tz_parse_date(f, &from)) jx_error_add(&errs, "from", DATE_RULE);
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
