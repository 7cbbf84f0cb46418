/* h_recs: GET /api/v1/me/recommendations and GET /api/v1/{tracks,artists}/
 * {id}/similar — their query parameters (checked by the router); the model
 * reading, blending and caching are in model/recs.c. */
#include "api/handlers.h"

#include <string.h>

#include "api/app.h"
#include "api/page.h"
#include "api/req.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/str.h"
#include "model/genre.h"
#include "model/recs.h"

static const char *const rec_types[] = {"track", "artist", NULL};

const struct qparam h_recs_me_query[] = {
    {.name = "type", .kind = Q_WORD, .words = rec_types},
    Q_LIMIT,
    {.name = "genre",
     .kind = Q_TEXT,
     .min = 1,
     .max = GENRE_NAME_MAX,
     .msg = GENRE_NAME_ERROR},
    {.name = "exclude_known", .kind = Q_BOOL},
    {.name = "diversity",
     .kind = Q_NUMBER,
     .max = 1000000,
     .msg = "must be a number from 0 to 1"},
    Q_END,
};

int h_recs_me(struct req *r) {
  struct recs_query q = {
      .user_id = req_user_id(r),
      .type = req_qint(r, "type") == 1 ? RECS_ARTIST : RECS_TRACK,
      .limit = (int)req_qint(r, "limit"),
      .genre = req_qtext(r, "genre"),
      .exclude_known = req_qbool(r, "exclude_known", true),
      .diversity = req_qnumber(r, "diversity", 0),
  };
  const char *text;
  size_t len;
  int rc = recs_for_user(app.db, app.kv, req_arena(r), &q, &text, &len);
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_text(r, 200, "application/json", text, len);
}

static int similar(struct req *r, enum recs_type t, const char *missing) {
  long long id = req_id(r, "id");
  int limit = (int)req_qint(r, "limit");
  const char *text;
  size_t len;
  int rc =
      recs_similar(app.db, app.kv, req_arena(r), t, id, limit, &text, &len);
  if (rc == RC_NOT_FOUND) return req_problem(r, rc, missing);
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_text(r, 200, "application/json", text, len);
}

int h_recs_similar_track(struct req *r) {
  return similar(r, RECS_TRACK, "no such track");
}

int h_recs_similar_artist(struct req *r) {
  return similar(r, RECS_ARTIST, "no such artist");
}
