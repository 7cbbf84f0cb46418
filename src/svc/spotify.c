/* spotify: the Spotify client; see spotify.h. */
#include "svc/spotify.h"

#include <string.h>
#include <sys/time.h>

#include "core/arena.h"
#include "core/cfg.h"
#include "core/rc.h"
#include "core/bytes.h"
#include "core/rnd.h"
#include "model/integration.h"
#include "model/notify.h"

bool spotify_configured(void) {
  const struct cfg *c = svc_cfg();
  return c && c->spotify_client_id[0];
}

const char *spotify_redirect_uri(struct arena *a) {
  return svc_url(a, svc_cfg()->public_url,
                 "/api/v1/integrations/spotify/callback");
}

void spotify_pkce(char verifier[65], char challenge[44]) {
  unsigned char raw[48], h[32];
  rnd_bytes(raw, sizeof raw);
  bytes_b64url(raw, sizeof raw, verifier); /* 64 characters */
  bytes_sha256(verifier, strlen(verifier), h);
  bytes_b64url(h, sizeof h, challenge);
}

const char *spotify_authorize_url(struct arena *a, const char *state,
                                  const char *challenge) {
  const struct cfg *c = svc_cfg();
  struct sbuf q;
  sbuf_init(&q, a);
  svc_form(&q, "client_id", c->spotify_client_id);
  svc_form(&q, "response_type", "code");
  svc_form(&q, "redirect_uri", spotify_redirect_uri(a));
  svc_form(&q, "code_challenge_method", "S256");
  svc_form(&q, "code_challenge", challenge);
  svc_form(&q, "state", state);
  svc_form(&q, "scope", SPOTIFY_SCOPES);
  /* Spotify asks every time, so a browser signed in there is never linked
   * without its user seeing to which app. */
  svc_form(&q, "show_dialog", "true");
  if (q.oom) return NULL;
  return arena_printf(a, "%s?%s",
                      svc_url(a, c->spotify_accounts_url, "/authorize"), q.s);
}

/* token_call: a POST to the token endpoint with the form in body. */
static int token_call(struct arena *a, struct sbuf *body,
                      struct spotify_tokens *t, struct svc_answer *ans) {
  static const char *const headers[] = {
      "Content-Type: application/x-www-form-urlencoded", NULL};
  *t = (struct spotify_tokens){0};
  if (body->oom) return RC_NOMEM;
  const struct fetch_req q = {
      .url = svc_url(a, svc_cfg()->spotify_accounts_url, "/api/token"),
      .headers = headers,
      .body = body->s,
      .body_len = body->len};
  int rc = svc_json(a, &q, ans);
  if (rc) return rc;
  const char *err = svc_str(ans->body, "error");
  if (ans->outcome != SVC_OK) {
    if (err) {
      const char *d = svc_str(ans->body, "error_description");
      ans->error = arena_printf(a, "Spotify: %.40s%s%.120s", err, d ? ": " : "",
                                d ? d : "");
    }
    if (err && !strcmp(err, "invalid_grant")) ans->outcome = SVC_FAILED;
    return 0;
  }
  t->access = svc_str(ans->body, "access_token");
  t->refresh = svc_str(ans->body, "refresh_token");
  t->scope = svc_str(ans->body, "scope");
  t->expires_in = svc_int(ans->body, "expires_in", 3600);
  if (!t->access || !*t->access || t->expires_in <= 0) {
    ans->outcome = SVC_FAILED;
    ans->error = "Spotify's token answer lacks an access token";
  }
  return 0;
}

int spotify_exchange(struct arena *a, const char *code, const char *verifier,
                     struct spotify_tokens *t, struct svc_answer *ans) {
  struct sbuf body;
  sbuf_init(&body, a);
  svc_form(&body, "grant_type", "authorization_code");
  svc_form(&body, "code", code);
  svc_form(&body, "redirect_uri", spotify_redirect_uri(a));
  svc_form(&body, "client_id", svc_cfg()->spotify_client_id);
  svc_form(&body, "code_verifier", verifier);
  return token_call(a, &body, t, ans);
}

static long long now_ms(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return tv.tv_sec * 1000LL + tv.tv_usec / 1000;
}

int spotify_access(struct db *d, struct arena *a, long long user,
                   const char **token, long long *expires_ms,
                   struct svc_answer *ans) {
  struct integration in;
  *ans = (struct svc_answer){.outcome = SVC_OK};
  int rc = integration_get(d, a, user, INTEGRATION_SPOTIFY, &in);
  if (rc) return rc;
  long long now = now_ms();
  if (in.expires_ms > now + 60000 || !in.refresh) {
    *token = in.token;
    *expires_ms = in.expires_ms;
    return 0;
  }
  struct sbuf body;
  sbuf_init(&body, a);
  svc_form(&body, "grant_type", "refresh_token");
  svc_form(&body, "refresh_token", in.refresh);
  svc_form(&body, "client_id", svc_cfg()->spotify_client_id);
  struct spotify_tokens t;
  if ((rc = token_call(a, &body, &t, ans))) return rc;
  if (ans->outcome == SVC_FAILED && ans->status == 400) {
    /* invalid_grant on a refresh: the user revoked Encore's access. */
    bool removed;
    ans->outcome = SVC_REFUSED;
    if (!(rc = integration_unlink(d, user, INTEGRATION_SPOTIFY, &removed)) &&
        removed)
      rc = notify_link_lost(d, a, user, "spotify");
    return rc ? rc : RC_NOT_FOUND;
  }
  if (ans->outcome != SVC_OK) return 0;
  long long exp = now + t.expires_in * 1000;
  /* A rotated refresh token replaces the old one (NULL keeps it). */
  if ((rc = integration_tokens(d, a, user, INTEGRATION_SPOTIFY, t.access,
                               t.refresh, exp, t.scope)))
    return rc;
  *token = t.access;
  *expires_ms = exp;
  return 0;
}

int spotify_get(struct arena *a, const char *token, const char *path_or_url,
                struct svc_answer *ans) {
  const char *base = svc_cfg()->spotify_api_url;
  size_t bl = strlen(base);
  while (bl && base[bl - 1] == '/')
    bl--;
  const char *url;
  if (path_or_url[0] == '/')
    url = svc_url(a, base, path_or_url);
  else if (!strncmp(path_or_url, base, bl) && path_or_url[bl] == '/')
    url = path_or_url;
  else {
    *ans = (struct svc_answer){.outcome = SVC_FAILED,
                               .error = "a link out of Spotify's API"};
    return 0;
  }
  const char *h[] = {arena_printf(a, "Authorization: Bearer %s", token), NULL};
  if (!url || !h[0]) return RC_NOMEM;
  const struct fetch_req q = {.url = url, .headers = h};
  return svc_json(a, &q, ans);
}
