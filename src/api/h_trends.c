/* h_trends: trending lists and charts, as encore-trends computed them
 * (model/trend.h): public, served from memcached. */
#include "api/handlers.h"

#include <string.h>
#include <time.h>

#include "api/app.h"
#include "api/page.h"
#include "api/req.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/tz.h"
#include "model/genre.h"
#include "model/trend.h"

static const char *const windows[] = {"day", "week", NULL};
static const char *const periods[] = {"week", "month", NULL};

const struct qparam h_trending_query[] = {
    {.name = "window", .kind = Q_WORD, .words = windows},
    {.name = "genre",
     .kind = Q_TEXT,
     .min = 1,
     .max = GENRE_NAME_MAX,
     .msg = GENRE_NAME_ERROR},
    Q_LIMIT,
    Q_END,
};

const struct qparam h_charts_query[] = {
    {.name = "period", .kind = Q_WORD, .words = periods},
    {.name = "date",
     .kind = Q_TEXT,
     .min = 10,
     .max = 10,
     .msg = "must be a date such as 2025-01-31"},
    Q_LIMIT,
    Q_END,
};

/* kind_of: the {kind} path parameter. */
static enum trend_kind kind_of(struct req *r) {
  const char *k = req_param(r, "kind");
  return !strcmp(k, "tracks")    ? TREND_TRACKS
         : !strcmp(k, "artists") ? TREND_ARTISTS
         : !strcmp(k, "albums")  ? TREND_ALBUMS
                                 : TREND_PLAYLISTS;
}

int h_trending(struct req *r) {
  struct arena *a = req_arena(r);
  enum trend_kind kind = kind_of(r);
  const char *genre = req_qtext(r, "genre");
  long long genre_id = 0;
  if (genre && kind == TREND_PLAYLISTS) {
    struct jx_errors errs = {
        .n = 1, .e = {{"genre", "playlists have no genre: leave it out"}}};
    return req_problem_fields(r, &errs);
  }
  json_object *out;
  int rc = 0;
  if (genre) rc = genre_id_by_name(app.db, a, genre, &genre_id);
  if (rc == RC_NOT_FOUND) {
    /* no such genre: nothing of it trends */
    out = json_object_new_object();
    jx_add_str(out, "kind", req_param(r, "kind"));
    jx_add_str(out, "window", req_qint(r, "window") == 1 ? "week" : "day");
    jx_add_str(out, "genre", genre);
    json_object_object_add(out, "generated_at", NULL);
    json_object_object_add(out, "items", json_object_new_array());
    return req_reply_json(r, 200, jx_own(a, out));
  }
  if (!rc)
    rc = trend_list(app.db, app.kv, a, kind,
                    req_qint(r, "window") == 1 ? TREND_WEEK : TREND_DAY,
                    genre_id, genre, (int)req_qint(r, "limit"), &out);
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_json(r, 200, jx_own(a, out));
}

int h_charts(struct req *r) {
  const char *date = req_qtext(r, "date");
  long long today = (long long)time(NULL) / 86400, day = today;
  if (date && (tz_parse_date(date, &day) || day < 0 || day > today)) {
    struct jx_errors errs = {
        .n = 1,
        .e = {{"date", day > today ? "must not be in the future"
                                   : "must be a date from 1970-01-01 to today "
                                     "(UTC), such as 2025-01-31"}}};
    return req_problem_fields(r, &errs);
  }
  json_object *out;
  int rc = trend_chart(app.db, app.kv, req_arena(r), kind_of(r),
                       req_qint(r, "period") == 1 ? TREND_PERIOD_MONTH
                                                  : TREND_PERIOD_WEEK,
                       day, (int)req_qint(r, "limit"), &out);
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_json(r, 200, jx_own(req_arena(r), out));
}
