/* h_integrations: linking a user's accounts at Last.fm (web auth with
 * Encore's API key), ListenBrainz (the user's token), Spotify (OAuth 2.0
 * authorization code with PKCE) and Apple Music (the user's
 * Music-User-Token); unlinking; the tokens clients need to play through
 * Spotify's player SDK and MusicKit. The third parties are reached through
 * svc/ (core/fetch.h: HTTPS, public addresses only); their credentials are
 * stored sealed (model/integration.h) and never shown again, except
 * Spotify's short-lived access token to its owner. */
#include "api/handlers.h"

#include <string.h>
#include <sys/time.h>

#include "api/app.h"
#include "api/req.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/rnd.h"
#include "core/str.h"
#include "model/integration.h"
#include "svc/applemusic.h"
#include "svc/lastfm.h"
#include "svc/listenbrainz.h"
#include "svc/spotify.h"

static long long now_ms(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return tv.tv_sec * 1000LL + tv.tv_usec / 1000;
}

/* service: the {service} of the path. */
static enum integration_service service(struct req *r) {
  enum integration_service s = INTEGRATION_LASTFM;
  integration_parse(req_param(r, "service"), &s);
  return s;
}

/* upstream: the answer for a service that failed us. */
static int upstream(struct req *r, const char *name,
                    const struct svc_answer *ans) {
  if (ans->outcome == SVC_THROTTLED) {
    req_retry_after(r, ans->retry_after);
    return req_problem(
        r, RC_THROTTLED,
        arena_printf(req_arena(r), "%s asks to slow down", name));
  }
  return req_problem(r, RC_UPSTREAM,
                     arena_printf(req_arena(r), "%s: %s", name,
                                  ans->error ? ans->error : "no answer"));
}

/* reply_link: 200 with the user's link to s as it is now. */
static int reply_link(struct req *r, long long user,
                      enum integration_service s) {
  struct integration in;
  int rc = integration_get(app.db, req_arena(r), user, s, &in);
  if (rc) return req_problem(r, rc, NULL);
  json_object *o = jx_own(req_arena(r), integration_json(s, &in));
  return req_reply_json(r, 200, o);
}

int h_integrations_list(struct req *r) {
  json_object *items = jx_own(req_arena(r), json_object_new_array());
  int rc = integration_list(app.db, req_arena(r), req_user_id(r), items);
  if (rc) return req_problem(r, rc, NULL);
  json_object *o = jx_own(req_arena(r), json_object_new_object());
  json_object_object_add(o, "items", json_object_get(items));
  return req_reply_json(r, 200, o);
}

/* --- web flows: Last.fm and Spotify --------------------------------------- */

/* A flow is bound to the browser that asked for it: the authorize answer
 * sets a random secret in a cookie that only the callback path receives,
 * and the state is found again only with it. A link sent to someone else
 * (login CSRF: an attacker's flow finished in a victim's browser) finds no
 * flow there. */
#define FLOW_COOKIE_ATTRS                                                      \
  "Path=/api/v1/integrations; Secure; HttpOnly; SameSite=Lax"

/* flow_cookie: the value of the flow cookie of the route's {service} in
 * the request, or NULL. */
static const char *flow_cookie(struct req *r) {
  const char *h = req_header(r, "Cookie");
  const char *name =
      arena_printf(req_arena(r), "encore_link_%s", req_param(r, "service"));
  if (!h || !name) return NULL;
  size_t n = strlen(name);
  for (const char *p = h; *p;) {
    while (*p == ' ' || *p == ';')
      p++;
    size_t len = strcspn(p, ";");
    if (len > n && !strncmp(p, name, n) && p[n] == '=')
      return arena_strndup(req_arena(r), p + n + 1, len - n - 1);
    p += len;
  }
  return NULL;
}

int h_integrations_authorize(struct req *r) {
  struct arena *a = req_arena(r);
  enum integration_service s = service(r);
  char state[44], verifier[65], challenge[44], browser[44];
  bool spotify = s == INTEGRATION_SPOTIFY;
  if (spotify ? !spotify_configured() : !lastfm_configured())
    return req_problem(r, RC_UNAVAILABLE,
                       spotify ? "Encore has no Spotify application "
                                 "(spotify_client_id)"
                               : "Encore has no Last.fm application "
                                 "(lastfm_api_key)");
  if (spotify) spotify_pkce(verifier, challenge);
  rnd_token(browser);
  int rc = integration_state_new(app.db, a, req_user_id(r), s,
                                 spotify ? verifier : NULL, browser, state);
  if (rc) return req_problem(r, rc, NULL);
  const char *url;
  if (spotify) {
    url = spotify_authorize_url(a, state, challenge);
  } else {
    /* Last.fm sends the user back to cb with &token=... added. */
    struct sbuf cb;
    sbuf_init(&cb, a);
    sbuf_adds(&cb, svc_url(a, app.cfg.public_url,
                           "/api/v1/integrations/lastfm/callback?state="));
    svc_escape(&cb, state);
    url = cb.oom ? NULL : lastfm_auth_page(a, cb.s);
  }
  if (!url) return req_problem(r, RC_NOMEM, NULL);
  json_object *o = jx_own(a, json_object_new_object());
  jx_add_str(o, "url", url);
  jx_add_int(o, "expires_in", INTEGRATION_STATE_TTL_S);
  req_set_header(r, "Cache-Control", "no-store");
  req_set_header(
      r, "Set-Cookie",
      arena_printf(a, "encore_link_%s=%s; Max-Age=%d; " FLOW_COOKIE_ATTRS,
                   req_param(r, "service"), browser, INTEGRATION_STATE_TTL_S));
  return req_reply_json(r, 200, o);
}

const struct qparam h_integrations_callback_query[] = {
    {.name = "state", .kind = Q_TEXT, .min = 1, .max = 128},
    {.name = "code", .kind = Q_TEXT, .min = 1, .max = 2048},
    {.name = "token", .kind = Q_TEXT, .min = 1, .max = 128},
    {.name = "error", .kind = Q_TEXT, .min = 1, .max = 256},
    Q_END,
};

/* link_lastfm: the approved web-auth token for a session key. */
static int link_lastfm(struct req *r, long long user, const char *token) {
  struct arena *a = req_arena(r);
  struct svc_answer ans;
  const char *name, *key;
  if (!token) return req_problem(r, RC_BAD_REQUEST, "Last.fm gave no token");
  int rc = lastfm_session(a, token, &name, &key, &ans);
  if (rc) return req_problem(r, rc, NULL);
  if (ans.outcome == SVC_REFUSED || ans.outcome == SVC_FAILED)
    return req_problem(r, RC_BAD_REQUEST,
                       arena_printf(a, "Last.fm granted no session (%s)",
                                    ans.error ? ans.error : "refused"));
  if (ans.outcome != SVC_OK) return upstream(r, "Last.fm", &ans);
  const struct integration in = {
      .service = INTEGRATION_LASTFM, .account = name, .token = key};
  if ((rc = integration_link(app.db, a, user, &in)))
    return req_problem(r, rc, NULL);
  return reply_link(r, user, INTEGRATION_LASTFM);
}

/* link_spotify: the authorization code and the flow's verifier for
 * tokens, and the account they belong to. */
static int link_spotify(struct req *r, long long user, const char *verifier,
                        const char *code) {
  struct arena *a = req_arena(r);
  struct svc_answer ans;
  struct spotify_tokens t;
  if (!code) return req_problem(r, RC_BAD_REQUEST, "Spotify gave no code");
  int rc = spotify_exchange(a, code, verifier, &t, &ans);
  if (rc) return req_problem(r, rc, NULL);
  if (ans.outcome == SVC_FAILED || ans.outcome == SVC_REFUSED)
    return req_problem(r, RC_BAD_REQUEST,
                       arena_printf(a, "Spotify refused the code (%s)",
                                    ans.error ? ans.error : "refused"));
  if (ans.outcome != SVC_OK) return upstream(r, "Spotify", &ans);
  if ((rc = spotify_get(a, t.access, "/v1/me", &ans)))
    return req_problem(r, rc, NULL);
  const char *id = svc_str(ans.body, "id");
  if (ans.outcome != SVC_OK || !id || !*id || strlen(id) > 255)
    return upstream(r, "Spotify", &ans);
  const struct integration in = {.service = INTEGRATION_SPOTIFY,
                                 .account = id,
                                 .token = t.access,
                                 .refresh = t.refresh,
                                 .expires_ms = now_ms() + t.expires_in * 1000,
                                 .scope = t.scope ? t.scope : ""};
  if ((rc = integration_link(app.db, a, user, &in)))
    return req_problem(r, rc, NULL);
  return reply_link(r, user, INTEGRATION_SPOTIFY);
}

int h_integrations_callback(struct req *r) {
  enum integration_service s = service(r);
  const char *state = req_qtext(r, "state"), *verifier = NULL;
  long long user = 0;
  if (!state)
    return req_problem(r, RC_BAD_REQUEST, "the callback carries no state");
  const char *browser = flow_cookie(r);
  if (!browser)
    return req_problem(r, RC_BAD_REQUEST,
                       "this browser did not start the link (no flow "
                       "cookie): start again from the app in this browser");
  /* The state is spent whatever follows: a second callback with it, or
   * one for a flow nobody started here or in another browser, finds
   * nothing. */
  int rc = integration_state_take(app.db, req_arena(r), state, browser, s,
                                  &user, &verifier);
  if (rc == RC_NOT_FOUND)
    return req_problem(r, RC_BAD_REQUEST,
                       "the state matches no link under way in this browser "
                       "(wrong, used, expired or started elsewhere): start "
                       "again");
  if (rc) return req_problem(r, rc, NULL);
  /* Spent: the browser forgets the flow's secret. */
  req_set_header(r, "Set-Cookie",
                 arena_printf(req_arena(r),
                              "encore_link_%s=; Max-Age=0; " FLOW_COOKIE_ATTRS,
                              req_param(r, "service")));
  if (req_qtext(r, "error"))
    return req_problem(r, RC_BAD_REQUEST,
                       arena_printf(req_arena(r), "the link was declined: %s",
                                    req_qtext(r, "error")));
  return s == INTEGRATION_SPOTIFY
             ? link_spotify(r, user, verifier, req_qtext(r, "code"))
             : link_lastfm(r, user, req_qtext(r, "token"));
}

/* --- tokens given: ListenBrainz and Apple Music --------------------------- */

static const struct jx_field lb_fields[] = {
    {.name = "token", .kind = JX_STRING, .required = true, .min = 1, .max = 64},
};
static const struct jx_field apple_fields[] = {
    {.name = "music_user_token",
     .kind = JX_STRING,
     .required = true,
     .min = 1,
     .max = 4096},
};

/* field_error: a 422 naming one field. */
static int field_error(struct req *r, const char *field, const char *msg) {
  struct jx_errors errs = {.n = 1, .e = {{field, msg}}};
  return req_problem_fields(r, &errs);
}

/* token_text_ok: printable ASCII without spaces (a token to put in a
 * header). */
static bool token_text_ok(const char *s) {
  for (; *s; s++)
    if (*s <= 0x20 || *s >= 0x7f) return false;
  return true;
}

static int put_listenbrainz(struct req *r, json_object *body) {
  struct arena *a = req_arena(r);
  struct svc_answer ans;
  const char *token = jx_str(body, "token"), *name;
  if (!token_text_ok(token))
    return field_error(r, "token", "must be printable ASCII without spaces");
  int rc = listenbrainz_validate(a, token, &name, &ans);
  if (rc) return req_problem(r, rc, NULL);
  if (ans.outcome == SVC_REFUSED)
    return field_error(r, "token", "ListenBrainz says the token is not valid");
  if (ans.outcome != SVC_OK) return upstream(r, "ListenBrainz", &ans);
  const struct integration in = {
      .service = INTEGRATION_LISTENBRAINZ, .account = name, .token = token};
  if ((rc = integration_link(app.db, a, req_user_id(r), &in)))
    return req_problem(r, rc, NULL);
  return reply_link(r, req_user_id(r), INTEGRATION_LISTENBRAINZ);
}

static int put_apple_music(struct req *r, json_object *body) {
  struct arena *a = req_arena(r);
  struct svc_answer ans;
  const char *token = jx_str(body, "music_user_token");
  if (!applemusic_configured())
    return req_problem(r, RC_UNAVAILABLE,
                       "Encore has no MusicKit key (apple_music_key_file)");
  if (!token_text_ok(token))
    return field_error(r, "music_user_token",
                       "must be printable ASCII without spaces");
  int rc = applemusic_get(a, token, "/v1/me/storefront", &ans);
  if (rc) return req_problem(r, rc, NULL);
  if (ans.outcome == SVC_REFUSED)
    return field_error(r, "music_user_token",
                       "Apple Music does not accept this token");
  json_object *data = svc_path(ans.body, "data", NULL);
  const char *sf = json_object_is_type(data, json_type_array)
                       ? svc_str(json_object_array_get_idx(data, 0), "id")
                       : NULL;
  /* A storefront is a country code (it goes into catalog paths). */
  if (ans.outcome != SVC_OK || !sf || strlen(sf) < 2 || strlen(sf) > 8 ||
      strspn(sf, "abcdefghijklmnopqrstuvwxyz") != strlen(sf))
    return upstream(r, "Apple Music", &ans);
  const struct integration in = {.service = INTEGRATION_APPLE_MUSIC,
                                 .account = "",
                                 .token = token,
                                 .storefront = sf,
                                 .scope = ""};
  if ((rc = integration_link(app.db, a, req_user_id(r), &in)))
    return req_problem(r, rc, NULL);
  return reply_link(r, req_user_id(r), INTEGRATION_APPLE_MUSIC);
}

int h_integrations_put(struct req *r) {
  json_object *body;
  int st;
  bool lb = service(r) == INTEGRATION_LISTENBRAINZ;
  if ((st = req_body_json(r, &body)) ||
      (st = req_validate(r, body, lb ? lb_fields : apple_fields, 1)))
    return st;
  return lb ? put_listenbrainz(r, body) : put_apple_music(r, body);
}

int h_integrations_delete(struct req *r) {
  bool removed;
  int rc = integration_unlink(app.db, req_user_id(r), service(r), &removed);
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_empty(r, 204);
}

/* --- playback tokens ------------------------------------------------------ */

int h_spotify_token(struct req *r) {
  struct arena *a = req_arena(r);
  struct svc_answer ans;
  const char *token;
  long long exp;
  int rc = spotify_access(app.db, a, req_user_id(r), &token, &exp, &ans);
  if (rc == RC_NOT_FOUND)
    return req_problem(r, rc,
                       ans.outcome == SVC_REFUSED
                           ? "Spotify revoked Encore's access: link again"
                           : "Spotify is not linked");
  if (rc) return req_problem(r, rc, NULL);
  if (ans.outcome != SVC_OK) return upstream(r, "Spotify", &ans);
  struct integration in;
  if ((rc = integration_get(app.db, a, req_user_id(r), INTEGRATION_SPOTIFY,
                            &in)))
    return req_problem(r, rc, NULL);
  json_object *o = jx_own(a, json_object_new_object());
  long long left = (exp - now_ms()) / 1000;
  jx_add_str(o, "access_token", token);
  jx_add_str(o, "token_type", "Bearer");
  jx_add_int(o, "expires_in", left > 0 ? left : 0);
  jx_add_str(o, "scope", in.scope);
  req_set_header(r, "Cache-Control", "no-store");
  return req_reply_json(r, 200, o);
}

int h_apple_developer_token(struct req *r) {
  const char *token;
  long long exp;
  int rc = applemusic_developer_token(req_arena(r), &token, &exp);
  if (rc == RC_UNAVAILABLE)
    return req_problem(r, rc, "Encore has no MusicKit key configured");
  if (rc) return req_problem(r, RC_INTERNAL, "the MusicKit key is unusable");
  json_object *o = jx_own(req_arena(r), json_object_new_object());
  jx_add_str(o, "token", token);
  jx_add_time(o, "expires_at", exp);
  req_set_header(r, "Cache-Control", "private, max-age=3600");
  return req_reply_json(r, 200, o);
}
