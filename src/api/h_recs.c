/* h_recs: GET /api/v1/me/recommendations and GET /api/v1/{tracks,artists}/
 * {id}/similar — validation of the query string; the model reading,
 * blending and caching are in model/recs.c. */
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

/* parse_unit: a decimal number from 0 to 1 ("0", "0.25", "1", "1.0"),
 * nothing else (no sign, exponent, spaces, nan or inf). */
static bool parse_unit(const char *s, double *out) {
  size_t n = strlen(s), dot = strcspn(s, ".");
  if (n == 0 || n > 20 || dot == 0 || dot == n - 1 || dot > 1) return false;
  for (size_t i = 0; i < n; i++)
    if (i != dot && (s[i] < '0' || s[i] > '9')) return false;
  double v = s[0] - '0', scale = 0.1;
  for (size_t i = dot + 1; i < n; i++, scale /= 10)
    v += (s[i] - '0') * scale;
  if (v > 1) return false;
  *out = v;
  return true;
}

int h_recs_me(struct req *r) {
  struct jx_errors e = {0};
  struct recs_query q = {
      .user_id = req_user_id(r), .type = RECS_TRACK, .exclude_known = true};
  const char *type = req_query(r, "type");
  if (type && !strcmp(type, "artist"))
    q.type = RECS_ARTIST;
  else if (type && strcmp(type, "track"))
    jx_error_add(&e, "type", "must be track or artist");
  page_limit(r, &q.limit, &e);
  const char *genre = req_query(r, "genre");
  if (genre && (!*genre || !str_utf8_valid(genre, strlen(genre)) ||
                str_utf8_len(genre, strlen(genre)) > GENRE_NAME_MAX))
    jx_error_add(&e, "genre", GENRE_NAME_ERROR);
  q.genre = genre;
  const char *ek = req_query(r, "exclude_known");
  if (ek && !strcmp(ek, "false"))
    q.exclude_known = false;
  else if (ek && strcmp(ek, "true"))
    jx_error_add(&e, "exclude_known", "must be true or false");
  const char *div = req_query(r, "diversity");
  if (div && !parse_unit(div, &q.diversity))
    jx_error_add(&e, "diversity", "must be a number from 0 to 1");
  if (e.n) return req_problem_fields(r, &e);

  const char *text;
  size_t len;
  int rc = recs_for_user(app.db, app.kv, req_arena(r), &q, &text, &len);
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_text(r, 200, "application/json", text, len);
}

static int similar(struct req *r, enum recs_type t, const char *missing) {
  long long id;
  struct jx_errors e = {0};
  int limit;
  if (req_param_id(r, "id", &id)) return req_problem(r, RC_NOT_FOUND, missing);
  page_limit(r, &limit, &e);
  if (e.n) return req_problem_fields(r, &e);
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
