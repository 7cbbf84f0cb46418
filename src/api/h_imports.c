/* h_imports: imports as jobs (model/importjob.h), run by encore-import
 * outside requests: a Spotify or Apple Music library of a linked account,
 * or a Last.fm or ListenBrainz export file uploaded here. A user queues
 * one (202 with the job), follows it (GET, with progress and a summary)
 * and may cancel it. */
#include "api/handlers.h"

#include <string.h>

#include "api/app.h"
#include "api/page.h"
#include "api/req.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/str.h"
#include "model/importjob.h"
#include "model/integration.h"

static const char *const sources[] = {"spotify", "apple_music", NULL};
static const char *const spotify_parts[] = {"saved_tracks",     "playlists",
                                            "followed_artists", "top_artists",
                                            "recently_played",  NULL};
static const char *const apple_parts[] = {"library", "playlists", "catalog",
                                          NULL};

static const struct jx_field import_fields[] = {
    {.name = "source", .kind = JX_ENUM, .required = true, .enums = sources},
    {.name = "what",
     .kind = JX_STRING_ARRAY,
     .min = 1,
     .max = 5,
     .item_max = 32},
};

/* reply_job: 202 (or 200) with user's job id and its Location. */
static int reply_job(struct req *r, int status, long long id) {
  json_object *o;
  int rc = importjob_get(app.db, req_arena(r), req_user_id(r), id, &o);
  if (rc) return req_problem(r, rc, NULL);
  jx_own(req_arena(r), o);
  if (status == 202)
    req_set_header(r, "Location",
                   arena_printf(req_arena(r), "/api/v1/me/imports/%lld", id));
  return req_reply_json(r, status, o);
}

/* parts: the `what` of a body as "a,b,c" (every part when absent), each
 * one of allowed; NULL after answering 422 (*st its status) or when out
 * of memory (*st 0). */
static const char *parts(struct req *r, json_object *body,
                         const char *const *allowed, int *st) {
  struct sbuf b;
  sbuf_init(&b, req_arena(r));
  json_object *what = NULL;
  json_object_object_get_ex(body, "what", &what);
  size_t n = what ? json_object_array_length(what) : 0;
  for (int i = 0; !what && allowed[i]; i++) {
    if (i) sbuf_addc(&b, ',');
    sbuf_adds(&b, allowed[i]);
  }
  for (size_t i = 0; i < n; i++) {
    const char *p = json_object_get_string(json_object_array_get_idx(what, i));
    bool ok = false;
    for (int k = 0; allowed[k]; k++)
      ok = ok || !strcmp(allowed[k], p);
    if (!ok) {
      struct jx_errors errs = {0};
      jx_error_add(&errs, arena_printf(req_arena(r), "what[%zu]", i),
                   allowed == spotify_parts
                       ? "must be saved_tracks, playlists, followed_artists, "
                         "top_artists or recently_played"
                       : "must be library, playlists or catalog");
      *st = req_problem_fields(r, &errs);
      return NULL;
    }
    if (b.len && strstr(b.s, p)) continue; /* named twice */
    if (b.len) sbuf_addc(&b, ',');
    sbuf_adds(&b, p);
  }
  return b.oom ? NULL : b.s;
}

int h_imports_create(struct req *r) {
  json_object *body;
  int st;
  if ((st = req_body_json(r, &body)) ||
      (st = req_validate(r, body, import_fields, 2)))
    return st;
  bool spotify = !strcmp(jx_str(body, "source"), "spotify");
  const char *what = parts(r, body, spotify ? spotify_parts : apple_parts, &st);
  if (!what) return st ? st : req_problem(r, RC_NOMEM, NULL);
  struct integration in;
  int rc = integration_get(
      app.db, req_arena(r), req_user_id(r),
      spotify ? INTEGRATION_SPOTIFY : INTEGRATION_APPLE_MUSIC, &in);
  if (rc == RC_NOT_FOUND)
    return req_problem(r, RC_CONFLICT,
                       spotify ? "link Spotify first "
                                 "(/api/v1/me/integrations/spotify/authorize)"
                               : "link Apple Music first "
                                 "(/api/v1/me/integrations/apple-music)");
  if (rc) return req_problem(r, rc, NULL);
  long long id;
  rc = importjob_create(app.db, req_arena(r), req_user_id(r),
                        spotify ? IMPORTJOB_SPOTIFY : IMPORTJOB_APPLE_MUSIC,
                        what, NULL, 0, &id);
  if (rc == RC_LIMIT)
    return req_problem(r, rc, "at most 3 imports queued or running at once");
  if (rc) return req_problem(r, rc, NULL);
  return reply_job(r, 202, id);
}

static const char *const formats[] = {"lastfm", "listenbrainz", NULL};
const struct qparam h_imports_file_query[] = {
    {.name = "format", .kind = Q_WORD, .words = formats},
    Q_END,
};

/* media_of: the Content-Type's media type, lower-case, without
 * parameters (arena), or "". */
static const char *media_of(struct req *r) {
  const char *ct = req_header(r, "Content-Type");
  if (!ct) return "";
  char *m = arena_strndup(req_arena(r), ct, strcspn(ct, "; "));
  if (m) str_lower_ascii(m);
  return m ? m : "";
}

/* lines_ok: every non-blank line of a JSON Lines text is a JSON value;
 * the first that is not (1-based) into *bad. */
static bool lines_ok(struct arena *a, const char *s, size_t n, size_t *bad) {
  size_t line = 0;
  for (size_t i = 0; i < n;) {
    size_t e = i;
    while (e < n && s[e] != '\n')
      e++;
    line++;
    size_t k = i;
    while (k < e && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r'))
      k++;
    json_object *o;
    const char *why;
    if (k < e && jx_parse(a, s + i, e - i, &o, &why)) {
      *bad = line;
      return false;
    }
    i = e + 1;
  }
  return true;
}

int h_imports_file(struct req *r) {
  struct arena *a = req_arena(r);
  int fmt = (int)req_qint(r, "format");
  if (fmt < 0) {
    struct jx_errors errs = {
        .n = 1, .e = {{"format", "must be lastfm or listenbrainz"}}};
    return req_problem_fields(r, &errs);
  }
  const char *body, *media = media_of(r);
  size_t len;
  req_body_raw(r, &body, &len);
  bool lines = !strcmp(media, "application/x-ndjson") ||
               !strcmp(media, "application/jsonl");
  if (!lines && strcmp(media, "application/json"))
    return req_problem(r, RC_MEDIA_TYPE,
                       "an export file is application/json, or "
                       "application/x-ndjson for JSON Lines");
  if (!len) return req_problem(r, RC_BAD_JSON, "the file is empty");
  if (lines && fmt == 0)
    return req_problem(r, RC_MEDIA_TYPE,
                       "a Last.fm export is application/json");
  size_t bad = 0;
  json_object *doc;
  const char *why = NULL;
  if (lines ? !lines_ok(a, body, len, &bad)
            : jx_parse(a, body, len, &doc, &why) != 0)
    return req_problem(r, RC_BAD_JSON,
                       lines ? arena_printf(a, "line %zu is not JSON", bad)
                             : arena_printf(a, "the file is not JSON: %s",
                                            why ? why : "malformed"));
  long long id;
  int rc = importjob_create(app.db, a, req_user_id(r),
                            fmt == 0 ? IMPORTJOB_LASTFM_FILE
                                     : IMPORTJOB_LISTENBRAINZ_FILE,
                            lines ? "jsonl" : "json", body, len, &id);
  if (rc == RC_LIMIT)
    return req_problem(r, rc, "at most 3 imports queued or running at once");
  if (rc) return req_problem(r, rc, NULL);
  return reply_job(r, 202, id);
}

int h_imports_list(struct req *r) {
  struct page pg;
  long long after, next;
  int st;
  page_get(r, &pg);
  if ((st = page_after_id(r, &pg, &after))) return st;
  json_object *items = jx_own(req_arena(r), json_object_new_array());
  int rc = importjob_list(app.db, req_arena(r), req_user_id(r), after, pg.limit,
                          items, &next);
  if (rc) return req_problem(r, rc, NULL);
  return page_reply(r, items,
                    next ? arena_printf(req_arena(r), "%lld", next) : NULL);
}

int h_imports_get(struct req *r) {
  return reply_job(r, 200, req_id(r, "id"));
}

int h_imports_cancel(struct req *r) {
  long long id = req_id(r, "id");
  int rc = importjob_cancel(app.db, req_user_id(r), id);
  if (rc == RC_NOT_FOUND) return req_problem(r, rc, "no such import");
  if (rc == RC_CONFLICT)
    return req_problem(r, rc, "the import has finished already");
  if (rc) return req_problem(r, rc, NULL);
  return reply_job(r, 200, id);
}
