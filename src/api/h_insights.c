/* h_insights: listening insights over model/insight.h: a report for any
 * range of local days (the caller's, or another user's within their history
 * visibility), a year in review and its card. Ranges are calendar dates in
 * a time zone (?tz, else the owner's time_zone preference). */
#include "api/handlers.h"

#include <stdio.h>
#include <time.h>

#include "api/app.h"
#include "api/req.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/tz.h"
#include "model/insight.h"
#include "model/listen.h"

#define DATE_MSG "must be a date such as 2025-01-31"
#define TZ_MSG "must be a time zone of the IANA database, such as Europe/Berlin"

const struct qparam h_insights_query[] = {
    {.name = "from", .kind = Q_TEXT, .min = 10, .max = 10, .msg = DATE_MSG},
    {.name = "to", .kind = Q_TEXT, .min = 10, .max = 10, .msg = DATE_MSG},
    {.name = "tz", .kind = Q_TEXT, .min = 1, .max = TZ_NAME_MAX, .msg = TZ_MSG},
    {.name = "limit",
     .kind = Q_INT,
     .min = 1,
     .max = INSIGHT_TOP_MAX,
     .dflt = INSIGHT_TOP_DEFAULT,
     .msg = "must be an integer from 1 to 50"},
    Q_END,
};

const struct qparam h_insights_year_query[] = {
    {.name = "tz", .kind = Q_TEXT, .min = 1, .max = TZ_NAME_MAX, .msg = TZ_MSG},
    Q_END,
};

/* zone_for: ?tz, else the time zone preference of owner. Replies 422 itself
 * for an unknown ?tz and returns the status; 0 when *zone is set. */
static int zone_for(struct req *r, long long owner, const struct tz **zone) {
  const char *name = req_qtext(r, "tz");
  if (name) {
    if (tz_load(name, zone) == 0) return 0;
    struct jx_errors errs = {.n = 1, .e = {{"tz", TZ_MSG}}};
    return req_problem_fields(r, &errs);
  }
  int rc = insight_zone_of(app.db, req_arena(r), owner, zone);
  return rc ? req_problem(r, rc, NULL) : 0;
}

static long long today(const struct tz *zone) {
  return tz_local_day(zone, (long long)time(NULL));
}

/* read_range: ?from and ?to as local days of zone (to: today; from: 29
 * days before to). Replies 422 naming every bad one and returns the
 * status; 0 when q's days are set. */
static int read_range(struct req *r, struct insight_query *q) {
  struct jx_errors errs = {.n = 0};
  const char *from = req_qtext(r, "from"), *to = req_qtext(r, "to");
  long long now = today(q->zone);
  q->to_day = now;
  if (to && tz_parse_date(to, &q->to_day)) jx_error_add(&errs, "to", DATE_MSG);
  q->from_day = q->to_day - 29;
  if (from && tz_parse_date(from, &q->from_day))
    jx_error_add(&errs, "from", DATE_MSG);
  if (errs.n) return req_problem_fields(r, &errs);
  if (from && q->from_day < INSIGHT_DAY_MIN)
    jx_error_add(&errs, "from", "must be on or after 1970-01-01");
  if (from && q->from_day > now)
    jx_error_add(&errs, "from", "must not be in the future");
  if (to && q->to_day < INSIGHT_DAY_MIN)
    jx_error_add(&errs, "to", "must be on or after 1970-01-01");
  if (to && q->to_day > now)
    jx_error_add(&errs, "to", "must not be in the future");
  if (q->from_day > q->to_day)
    jx_error_add(&errs, "to", "must be on or after from");
  else if (q->to_day - q->from_day + 1 > INSIGHT_RANGE_MAX_DAYS)
    jx_error_add(&errs, "to", "a range is at most 100 years long");
  if (errs.n) return req_problem_fields(r, &errs);
  if (q->from_day < INSIGHT_DAY_MIN) q->from_day = INSIGHT_DAY_MIN;
  return 0;
}

/* reply_report: the report of owner's listens for the request's range. */
static int reply_report(struct req *r, long long owner) {
  struct insight_query q = {.user_id = owner,
                            .limit = (int)req_qint(r, "limit")};
  int st;
  if ((st = zone_for(r, owner, &q.zone)) || (st = read_range(r, &q))) return st;
  json_object *out;
  int rc = insight_report(app.db, req_arena(r), &q, &out);
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_json(r, 200, jx_own(req_arena(r), out));
}

int h_insights_me(struct req *r) {
  return reply_report(r, req_user_id(r));
}

int h_insights_user(struct req *r) {
  long long owner;
  int rc = listen_history_owner(app.db, req_arena(r), req_param(r, "username"),
                                req_user_id(r), &owner);
  if (rc == RC_NOT_FOUND) return req_problem(r, rc, "no such user");
  if (rc) return req_problem(r, rc, NULL);
  return reply_report(r, owner);
}

/* read_year: the year of the path and the caller's zone; replies itself
 * (422) for a year outside 1970 .. this year and returns the status. */
static int read_year(struct req *r, const struct tz **zone, int *year) {
  int st = zone_for(r, req_user_id(r), zone);
  if (st) return st;
  int y, m, d;
  tz_civil(today(*zone), &y, &m, &d);
  long long want = req_id(r, "year");
  if (want < 1970 || want > y) {
    char msg[64];
    snprintf(msg, sizeof msg, "must be a year from 1970 to %d", y);
    struct jx_errors errs = {.n = 1, .e = {{"year", msg}}};
    return req_problem_fields(r, &errs);
  }
  *year = (int)want;
  return 0;
}

int h_insights_year(struct req *r) {
  const struct tz *zone;
  struct insight_year y;
  int year, st;
  if ((st = read_year(r, &zone, &year))) return st;
  int rc =
      insight_year_read(app.db, req_arena(r), req_user_id(r), zone, year, &y);
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_json(
      r, 200, jx_own(req_arena(r), insight_year_json(&y, tz_name(zone))));
}

int h_insights_card(struct req *r) {
  const struct tz *zone;
  struct insight_year y;
  int year, st;
  size_t len;
  if ((st = read_year(r, &zone, &year))) return st;
  int rc =
      insight_year_read(app.db, req_arena(r), req_user_id(r), zone, year, &y);
  if (rc) return req_problem(r, rc, NULL);
  const char *svg = insight_card_svg(req_arena(r), &y, &len);
  if (!svg) return req_problem(r, RC_NOMEM, NULL);
  req_set_header(r, "Cache-Control", "private, no-cache");
  return req_reply_text(r, 200, "image/svg+xml; charset=utf-8", svg, len);
}
