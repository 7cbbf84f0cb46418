/* h_scrobbling: what a user sets up for scrobbling clients: Last.fm API
 * keys (applications) at /api/v1/me/api-keys, the ListenBrainz token at
 * /api/v1/me/scrobble-token, how many scrobbles matched the catalogue
 * (/api/v1/me/scrobble-stats), and the page where a user grants a Last.fm
 * client a session (/api/auth/, where Last.fm clients send their users
 * after auth.getToken: {homepage}/api/auth/?api_key=...&token=...). */
#include "api/handlers.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/app.h"
#include "api/guard.h"
#include "api/lfm.h"
#include "api/page.h"
#include "api/req.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/str.h"
#include "core/timefmt.h"
#include "model/match.h"
#include "model/scrobble.h"
#include "model/user.h"

/* --- API keys ------------------------------------------------------------- */

static const struct jx_field app_fields[] = {
    {.name = "name",
     .kind = JX_STRING,
     .required = true,
     .min = 1,
     .max = SCROBBLE_APP_NAME_MAX},
};

int h_apikeys_create(struct req *r) {
  json_object *body;
  int st;
  if ((st = req_body_json(r, &body)) ||
      (st = req_validate(r, body, app_fields, 1)))
    return st;
  struct scrobble_app ap;
  int rc = scrobble_app_create(app.db, req_arena(r), req_user_id(r),
                               jx_str(body, "name"), &ap);
  if (rc == RC_LIMIT)
    return req_problem(r, rc, "at most 20 API keys an account");
  if (rc) return req_problem(r, rc, NULL);
  json_object *o = jx_own(req_arena(r), json_object_new_object());
  jx_add_int(o, "id", ap.id);
  jx_add_str(o, "name", ap.name);
  jx_add_str(o, "api_key", ap.api_key);
  jx_add_str(o, "secret", ap.secret);
  jx_add_int(o, "sessions", 0);
  char now[40];
  timefmt_rfc3339(now, sizeof now, (long long)time(NULL) * 1000);
  jx_add_str(o, "created_at", now);
  req_set_header(r, "Location",
                 arena_printf(req_arena(r), "/api/v1/me/api-keys/%lld", ap.id));
  req_set_header(r, "Cache-Control", "no-store");
  return req_reply_json(r, 201, o);
}

int h_apikeys_list(struct req *r) {
  struct page pg;
  long long after, next;
  int st;
  page_get(r, &pg);
  if ((st = page_after_id(r, &pg, &after))) return st;
  json_object *items = jx_own(req_arena(r), json_object_new_array());
  int rc = scrobble_app_list(app.db, req_arena(r), req_user_id(r), after,
                             pg.limit, items, &next);
  if (rc) return req_problem(r, rc, NULL);
  return page_reply(r, items,
                    next ? arena_printf(req_arena(r), "%lld", next) : NULL);
}

int h_apikeys_delete(struct req *r) {
  int rc = scrobble_app_delete(app.db, req_user_id(r), req_id(r, "id"));
  if (rc == RC_NOT_FOUND) return req_problem(r, rc, "no such API key");
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_empty(r, 204);
}

/* --- the ListenBrainz token ----------------------------------------------- */

static int reply_token(struct req *r, const char *token, long long created) {
  json_object *o = jx_own(req_arena(r), json_object_new_object());
  char when[40];
  timefmt_rfc3339(when, sizeof when, created);
  jx_add_str(o, "token", token);
  jx_add_str(o, "created_at", when);
  jx_add_str(o, "url", arena_printf(req_arena(r), "%s/1/", app.cfg.public_url));
  req_set_header(r, "Cache-Control", "no-store");
  return req_reply_json(r, 200, o);
}

int h_scrobble_token_get(struct req *r) {
  const char *token;
  long long created;
  int rc = scrobble_lbtoken_get(app.db, req_arena(r), req_user_id(r), &token,
                                &created);
  if (rc) return req_problem(r, rc, NULL);
  return reply_token(r, token, created);
}

int h_scrobble_token_rotate(struct req *r) {
  const char *token;
  long long created;
  int rc = scrobble_lbtoken_rotate(app.db, req_arena(r), req_user_id(r), &token,
                                   &created);
  if (rc) return req_problem(r, rc, NULL);
  return reply_token(r, token, created);
}

int h_scrobble_stats(struct req *r) {
  long long matched, unmatched;
  int rc =
      match_stats(app.db, req_arena(r), req_user_id(r), &matched, &unmatched);
  if (rc) return req_problem(r, rc, NULL);
  json_object *o = jx_own(req_arena(r), json_object_new_object());
  jx_add_int(o, "listens", matched);
  jx_add_int(o, "unmatched", unmatched);
  long long all = matched + unmatched;
  json_object_object_add(
      o, "match_rate",
      json_object_new_double(all ? (double)matched / (double)all : 1.0));
  return req_reply_json(r, 200, o);
}

/* --- the approval page ---------------------------------------------------- */

/* page: a small self-contained HTML page (no script, nothing external),
 * which may not be framed. */
static int page(struct req *r, int status, const char *title,
                const char *body_html) {
  struct sbuf b;
  sbuf_init(&b, req_arena(r));
  sbuf_adds(&b, "<!doctype html><html lang=\"en\"><head><meta "
                "charset=\"utf-8\"><meta name=\"viewport\" "
                "content=\"width=device-width\"><title>");
  lfm_escape(&b, title);
  sbuf_adds(&b, "</title><style>body{font:16px/1.4 sans-serif;max-width:"
                "30em;margin:3em auto;padding:0 1em}input{display:block;"
                "margin:.3em 0 1em;width:100%}button{margin-right:1em}"
                "</style></head><body><h1>");
  lfm_escape(&b, title);
  sbuf_adds(&b, "</h1>");
  sbuf_adds(&b, body_html);
  sbuf_adds(&b, "</body></html>\n");
  if (b.oom) return req_problem(r, RC_NOMEM, NULL);
  req_set_header(r, "Content-Security-Policy",
                 "default-src 'none'; style-src 'unsafe-inline'; "
                 "form-action 'self'; frame-ancestors 'none'");
  req_set_header(r, "X-Frame-Options", "DENY");
  req_set_header(r, "Cache-Control", "no-store");
  req_set_header(r, "Referrer-Policy", "no-referrer");
  return req_reply_text(r, status, "text/html; charset=utf-8", b.s, b.len);
}

/* token_ok: 32 lower-case hex digits. */
static bool token_ok(const char *t) {
  if (!t || strlen(t) != SCROBBLE_KEY_LEN) return false;
  for (const char *p = t; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return false;
  return true;
}

/* form: the approval form for token, of application ap. */
static const char *form(struct req *r, const struct scrobble_app *ap,
                        const char *token, const char *note) {
  struct sbuf b;
  sbuf_init(&b, req_arena(r));
  if (note) {
    sbuf_adds(&b, "<p><strong>");
    lfm_escape(&b, note);
    sbuf_adds(&b, "</strong></p>");
  }
  sbuf_adds(&b, "<p>The application <strong>");
  lfm_escape(&b, ap->name);
  sbuf_adds(&b, "</strong> asks to scrobble to your Encore account and read "
                "your recent scrobbles. Sign in to allow it.</p>"
                "<form method=\"post\" action=\"/api/auth/\">"
                "<input type=\"hidden\" name=\"token\" value=\"");
  lfm_escape(&b, token);
  sbuf_adds(&b, "\"><label>Username or email<input name=\"username\" "
                "autocomplete=\"username\" required></label><label>Password"
                "<input name=\"password\" type=\"password\" "
                "autocomplete=\"current-password\" required></label>"
                "<button name=\"decision\" value=\"allow\">Allow</button>"
                "<button name=\"decision\" value=\"deny\">Deny</button>"
                "</form>");
  return b.oom ? "" : b.s;
}

int h_lastfm_auth_page(struct req *r) {
  const char *token = req_qtext(r, "token");
  struct scrobble_app ap;
  int rc = token_ok(token)
               ? scrobble_token_app(app.db, req_arena(r), token, &ap)
               : RC_NOT_FOUND;
  if (rc == RC_NOT_FOUND)
    return page(r, 404, "Unknown request",
                "<p>This authorization request is unknown or has expired. "
                "Start again from your application.</p>");
  if (rc) return req_problem(r, rc, NULL);
  return page(r, 200, "Allow access?", form(r, &ap, token, NULL));
}

int h_lastfm_auth_decide(struct req *r) {
  int st = req_body_form(r), retry = 0;
  if (st) return st;
  const char *token = req_form(r, "token"), *login = req_form(r, "username"),
             *password = req_form(r, "password"),
             *decision = req_form(r, "decision");
  struct scrobble_app ap;
  int rc = token_ok(token)
               ? scrobble_token_app(app.db, req_arena(r), token, &ap)
               : RC_NOT_FOUND;
  if (rc == RC_NOT_FOUND)
    return page(r, 404, "Unknown request",
                "<p>This authorization request is unknown or has expired. "
                "Start again from your application.</p>");
  if (rc) return req_problem(r, rc, NULL);
  if (decision && !strcmp(decision, "deny"))
    return page(r, 200, "Access denied",
                "<p>The application was not given access. You may close "
                "this page.</p>");
  if (!login || !*login || !password || !*password || strlen(login) > 254 ||
      !decision || strcmp(decision, "allow"))
    return page(r, 422, "Allow access?",
                form(r, &ap, token, "Give your username and password."));
  struct user u;
  rc = guard_login(r, login, password, &u, &retry);
  if (rc == RC_THROTTLED) {
    req_retry_after(r, retry);
    req_set_header(r, "Retry-After", arena_printf(req_arena(r), "%d", retry));
    return page(r, 429, "Too many attempts",
                arena_printf(req_arena(r),
                             "<p>Too many failed sign-ins: try again in %d "
                             "seconds.</p>",
                             retry));
  }
  if (rc == RC_UNAUTHORIZED)
    return page(r, 403, "Allow access?",
                form(r, &ap, token, "Wrong username or password."));
  if (!rc) rc = scrobble_token_approve(app.db, token, u.id);
  if (rc == RC_NOT_FOUND)
    return page(r, 404, "Unknown request",
                "<p>This authorization request has expired. Start again "
                "from your application.</p>");
  if (rc) return req_problem(r, rc, NULL);
  return page(r, 200, "Access granted",
              "<p>The application may now scrobble to your account. Go back "
              "to it to finish.</p>");
}

const struct qparam h_lastfm_auth_query[] = {
    {.name = "token", .kind = Q_TEXT, .min = 1, .max = 64},
    {.name = "api_key", .kind = Q_TEXT, .min = 1, .max = 64},
    Q_END,
};
