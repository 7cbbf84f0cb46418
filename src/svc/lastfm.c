/* lastfm: the Last.fm 2.0 client; see lastfm.h. */
#include "svc/lastfm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/cfg.h"
#include "core/jx.h"
#include "core/md5.h"
#include "core/rc.h"
#include "core/str.h"

/* Parameters of one call, besides api_key, method, sk, format. */
#define LASTFM_PARAMS_MAX 320

struct param {
  const char *name, *value;
};

static int cmp_param(const void *x, const void *y) {
  return strcmp(((const struct param *)x)->name,
                ((const struct param *)y)->name);
}

bool lastfm_configured(void) {
  const struct cfg *c = svc_cfg();
  return c && c->lastfm_api_key[0] && c->lastfm_api_secret[0];
}

/* error_outcome: what a Last.fm error code means for the caller. */
static enum svc_outcome error_outcome(long long code) {
  switch (code) {
  case 9:
  case 4:
  case 14:
  case 15:
    return SVC_REFUSED;
  case 11:
  case 16:
    return SVC_DOUBT;
  case 29:
    return SVC_THROTTLED;
  default:
    return SVC_FAILED;
  }
}

/* call: the signed method with p[0..n) (sorted here), over POST. */
static int call(struct arena *a, const char *method, struct param *p, int n,
                const char *sk, struct svc_answer *ans) {
  const struct cfg *c = svc_cfg();
  *ans = (struct svc_answer){.outcome = SVC_FAILED};
  if (!lastfm_configured()) {
    ans->error = "Encore has no Last.fm application (lastfm_api_key)";
    return 0;
  }
  if (n + 3 > LASTFM_PARAMS_MAX) return RC_INVALID;
  p[n++] = (struct param){"api_key", c->lastfm_api_key};
  p[n++] = (struct param){"method", method};
  if (sk) p[n++] = (struct param){"sk", sk};
  qsort(p, (size_t)n, sizeof *p, cmp_param);
  struct md5 m;
  char sig[33];
  md5_init(&m);
  struct sbuf body;
  sbuf_init(&body, a);
  for (int i = 0; i < n; i++) {
    md5_add(&m, p[i].name, strlen(p[i].name));
    md5_add(&m, p[i].value, strlen(p[i].value));
    svc_form(&body, p[i].name, p[i].value);
  }
  md5_add(&m, c->lastfm_api_secret, strlen(c->lastfm_api_secret));
  md5_end_hex(&m, sig);
  svc_form(&body, "api_sig", sig);
  svc_form(&body, "format", "json");
  if (body.oom) return RC_NOMEM;
  static const char *const headers[] = {
      "Content-Type: application/x-www-form-urlencoded", NULL};
  const struct fetch_req q = {.url = c->lastfm_api_url,
                              .headers = headers,
                              .body = body.s,
                              .body_len = body.len};
  int rc = svc_json(a, &q, ans);
  if (rc) return rc;
  /* Last.fm's own error, whatever the HTTP status said. */
  long long code = svc_int(ans->body, "error", 0);
  if (code) {
    ans->outcome = error_outcome(code);
    const char *msg = svc_str(ans->body, "message");
    ans->error =
        arena_printf(a, "Last.fm error %lld: %.160s", code, msg ? msg : "");
    if (ans->outcome == SVC_THROTTLED) ans->retry_after = 60;
  }
  return 0;
}

const char *lastfm_auth_page(struct arena *a, const char *callback) {
  const struct cfg *c = svc_cfg();
  struct sbuf q;
  sbuf_init(&q, a);
  svc_form(&q, "api_key", c->lastfm_api_key);
  svc_form(&q, "cb", callback);
  return q.oom ? NULL
               : arena_printf(a, "%s%s%s", c->lastfm_auth_url,
                              strchr(c->lastfm_auth_url, '?') ? "&" : "?", q.s);
}

int lastfm_session(struct arena *a, const char *token, const char **name,
                   const char **key, struct svc_answer *ans) {
  struct param p[LASTFM_PARAMS_MAX] = {{"token", token}};
  *name = *key = NULL;
  int rc = call(a, "auth.getSession", p, 1, NULL, ans);
  if (rc || ans->outcome != SVC_OK) return rc;
  json_object *s = svc_path(ans->body, "session", NULL);
  *name = svc_str(s, "name");
  *key = svc_str(s, "key");
  if (!*name || !*key || !**name || !**key) {
    ans->outcome = SVC_FAILED;
    ans->error = "Last.fm's session answer lacks a name or key";
  }
  return 0;
}

/* text: a Last.fm JSON text member: a string, or {"#text": ...}. */
static const char *text(json_object *o, const char *key) {
  json_object *v = svc_path(o, key, NULL);
  if (json_object_is_type(v, json_type_string))
    return json_object_get_string(v);
  return svc_str(v, "#text");
}

/* list: a member that Last.fm gives as an array, or as one object when it
 * holds one: the array (a new one for the single object, owned by a). */
static json_object *list(struct arena *a, json_object *o, const char *key) {
  json_object *v = svc_path(o, key, NULL);
  if (json_object_is_type(v, json_type_array)) return v;
  json_object *arr = jx_own(a, json_object_new_array());
  if (arr && json_object_is_type(v, json_type_object))
    json_object_array_add(arr, json_object_get(v));
  return arr;
}

int lastfm_scrobble(struct arena *a, const char *sk,
                    const struct lastfm_scrobble *s, int n, bool *ignored,
                    int *ignored_code, struct svc_answer *ans) {
  struct param *p = arena_alloc(a, sizeof *p * LASTFM_PARAMS_MAX);
  int k = 0;
  if (!p || n > 50) return RC_INVALID;
  for (int i = 0; i < n; i++) {
    p[k++] = (struct param){arena_printf(a, "artist[%d]", i), s[i].artist};
    p[k++] = (struct param){arena_printf(a, "track[%d]", i), s[i].title};
    p[k++] = (struct param){arena_printf(a, "timestamp[%d]", i),
                            arena_printf(a, "%lld", s[i].at_s)};
    if (s[i].album)
      p[k++] = (struct param){arena_printf(a, "album[%d]", i), s[i].album};
    if (s[i].mbid)
      p[k++] = (struct param){arena_printf(a, "mbid[%d]", i), s[i].mbid};
    if (s[i].duration_s > 0)
      p[k++] = (struct param){arena_printf(a, "duration[%d]", i),
                              arena_printf(a, "%lld", s[i].duration_s)};
  }
  for (int i = 0; i < k; i++)
    if (!p[i].name || !p[i].value) return RC_NOMEM;
  int rc = call(a, "track.scrobble", p, k, sk, ans);
  if (rc || ans->outcome != SVC_OK) return rc;
  json_object *sc = svc_path(ans->body, "scrobbles", NULL);
  json_object *arr = list(a, sc, "scrobble");
  if (!sc || !arr) {
    ans->outcome = SVC_DOUBT;
    ans->error = "Last.fm's scrobble answer is malformed";
    return 0;
  }
  size_t got = json_object_array_length(arr);
  long long nign = svc_int(svc_path(sc, "@attr", NULL), "ignored", 0);
  for (int i = 0; i < n; i++) {
    json_object *one =
        (size_t)i < got ? json_object_array_get_idx(arr, (size_t)i) : NULL;
    long long code = svc_int(svc_path(one, "ignoredMessage", NULL), "code",
                             one ? 0 : (nign ? -1 : 0));
    ignored[i] = code != 0;
    if (ignored_code) ignored_code[i] = (int)code;
  }
  return 0;
}

int lastfm_recent(struct arena *a, const char *user, const char *sk,
                  long long from_s, long long to_s, int page,
                  struct lastfm_played *out, int *n, int *pages,
                  struct svc_answer *ans) {
  struct param p[LASTFM_PARAMS_MAX] = {
      {"user", user},
      {"from", arena_printf(a, "%lld", from_s)},
      {"to", arena_printf(a, "%lld", to_s)},
      {"limit", "200"},
      {"page", arena_printf(a, "%d", page)},
  };
  *n = 0;
  *pages = 0;
  if (!p[1].value || !p[2].value || !p[4].value) return RC_NOMEM;
  int rc = call(a, "user.getRecentTracks", p, 5, sk, ans);
  if (rc || ans->outcome != SVC_OK) return rc;
  json_object *rt = svc_path(ans->body, "recenttracks", NULL);
  json_object *arr = list(a, rt, "track");
  if (!rt || !arr) {
    ans->outcome = SVC_DOUBT;
    ans->error = "Last.fm's recent tracks answer is malformed";
    return 0;
  }
  *pages = (int)svc_int(svc_path(rt, "@attr", NULL), "totalPages", 1);
  size_t len = json_object_array_length(arr);
  for (size_t i = 0; i < len && *n < 200; i++) {
    json_object *t = json_object_array_get_idx(arr, i);
    long long at = svc_int(svc_path(t, "date", NULL), "uts", 0);
    const char *artist = text(t, "artist"), *title = svc_str(t, "name");
    if (!at || !artist || !title) continue; /* playing now */
    out[(*n)++] =
        (struct lastfm_played){.artist = artist, .title = title, .at_s = at};
  }
  return 0;
}
