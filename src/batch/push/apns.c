/* apns: a delivery as an APNs request over HTTP/2 (libcurl with nghttp2;
 * the streams of a batch share one connection), with token-based
 * authentication: an ES256 provider token (kid the key id, iss the team
 * id, iat) used for up to 40 minutes, so always renewed within the hour
 * Apple allows and never more often than every 20 minutes, which Apple
 * refuses (TooManyProviderTokenUpdates); kept between runs sealed in
 * push_credentials. Headers apns-topic, apns-push-type, apns-expiration,
 * apns-priority and apns-collapse-id; errors by Apple's reasons. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch/push/pushrun.h"
#include "core/arena.h"
#include "core/cfg.h"
#include "core/fetch.h"
#include "core/jx.h"
#include "core/pushcrypto.h"
#include "core/rc.h"

/* A provider token is used this long, and renewed no sooner. */
#define APNS_TOKEN_USE (40 * 60)
#define APNS_TOKEN_MIN (20 * 60)
/* Apple's limit on a notification's payload. */
#define APNS_PAYLOAD_MAX 4096

struct apns {
  struct pushkey *key;
  char key_id[64], team_id[64], topic[256];
  char *url, *sandbox_url;
  char *token; /* the provider token, or NULL */
  long long issued;
  bool refused; /* the current token was refused: renew when allowed */
};

static int read_key(const char *path, struct pushkey **k) {
  char buf[8192];
  FILE *f = fopen(path, "re");
  if (!f) return RC_INVALID;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  int rc = pushcrypto_key_pem(buf, n, k);
  explicit_bzero(buf, sizeof buf);
  return rc;
}

int apns_open(const struct cfg *c, struct apns **out, const char **off) {
  *out = NULL;
  if ((*off = push_channel_off(c, PUSH_APNS))) return 0;
  struct apns *p = calloc(1, sizeof *p);
  if (!p) return RC_NOMEM;
  if (read_key(c->apns_key_file, &p->key) || !pushcrypto_key_is_ec(p->key)) {
    *off = "apns_key_file is not a P-256 private key (.p8)";
    apns_close(p);
    return 0;
  }
  snprintf(p->key_id, sizeof p->key_id, "%s", c->apns_key_id);
  snprintf(p->team_id, sizeof p->team_id, "%s", c->apns_team_id);
  snprintf(p->topic, sizeof p->topic, "%s", c->apns_topic);
  p->url = strdup(c->apns_url);
  p->sandbox_url = strdup(c->apns_sandbox_url);
  if (!p->url || !p->sandbox_url) {
    apns_close(p);
    return RC_NOMEM;
  }
  *out = p;
  return 0;
}

void apns_close(struct apns *p) {
  if (!p) return;
  pushcrypto_key_free(p->key);
  free(p->url);
  free(p->sandbox_url);
  if (p->token) explicit_bzero(p->token, strlen(p->token));
  free(p->token);
  free(p);
}

void apns_renew(struct apns *p) {
  p->refused = true;
}

int apns_prepare(struct apns *p, struct db *d, struct arena *a) {
  long long now = (long long)time(NULL);
  bool young = p->token && now - p->issued < APNS_TOKEN_MIN;
  if (p->token && now - p->issued < APNS_TOKEN_USE && !p->refused) return 0;
  /* Refused but too young to replace: Apple would refuse a new one too. */
  if (young) return 0;
  if (!p->token) {
    const char *text = NULL;
    long long issued, expires;
    int rc =
        pushcred_get(d, a, "apns", APNS_TOKEN_USE, 0, &text, &issued, &expires);
    if (rc) return rc;
    if (text) {
      p->token = strdup(text);
      p->issued = issued;
      return p->token ? 0 : RC_NOMEM;
    }
  }
  const char *hdr =
      arena_printf(a, "{\"alg\":\"ES256\",\"kid\":\"%s\"}", p->key_id);
  const char *claims =
      arena_printf(a, "{\"iss\":\"%s\",\"iat\":%lld}", p->team_id, now);
  const char *jwt;
  if (!hdr || !claims || pushcrypto_jwt(a, p->key, hdr, claims, &jwt))
    return RC_INTERNAL;
  free(p->token);
  p->token = strdup(jwt);
  p->issued = now;
  p->refused = false;
  if (!p->token) return RC_NOMEM;
  return pushcred_put(d, a, "apns", jwt, now, now + 3600);
}

int apns_request(struct apns *p, struct arena *a, const struct pushrun_item *it,
                 struct fetch_req *q) {
  if (!it->token || !p->token) return RC_INVALID;
  const char *t, *b;
  pushtext_fit(a, it->title, it->body, 300, APNS_PAYLOAD_MAX, &t, &b);
  json_object *root = jx_own(a, json_object_new_object());
  json_object *aps = json_object_new_object(), *al = json_object_new_object();
  jx_add_str(al, "title", t);
  jx_add_str(al, "body", b);
  json_object_object_add(aps, "alert", al);
  jx_add_str(aps, "sound", "default");
  jx_add_str(aps, "thread-id", it->kind);
  json_object_object_add(root, "aps", aps);
  jx_add_int(root, "id", it->message_id);
  jx_add_str(root, "kind", it->kind);
  jx_add_int(root, "count", it->count);
  const char *body = json_object_to_json_string_ext(
      root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
  const char **h = arena_alloc(a, sizeof *h * 9);
  if (!h || !body) return RC_NOMEM;
  bool high = it->urgency && !strcmp(it->urgency, "high");
  h[0] = arena_printf(a, "authorization: bearer %s", p->token);
  h[1] = arena_printf(a, "apns-topic: %s", p->topic);
  h[2] = "apns-push-type: alert";
  h[3] = arena_printf(a, "apns-expiration: %lld", it->expires);
  h[4] = high ? "apns-priority: 10" : "apns-priority: 5";
  h[5] = arena_printf(a, "apns-collapse-id: %s",
                      pushrun_collapse(a, it->message_id));
  h[6] = "content-type: application/json";
  h[7] = NULL;
  bool dev = it->environment && !strcmp(it->environment, "development");
  const char *url = arena_printf(a, "%s/3/device/%s",
                                 dev ? p->sandbox_url : p->url, it->token);
  if (!h[0] || !h[1] || !h[3] || !h[5] || !url) return RC_NOMEM;
  *q = (struct fetch_req){.method = "POST",
                          .url = url,
                          .headers = h,
                          .body = body,
                          .body_len = strlen(body),
                          .http2 = true,
                          .body_max = 64 << 10};
  return 0;
}

void apns_result(int rc, const struct fetch_resp *r,
                 struct pushrun_result *out) {
  *out = (struct pushrun_result){.outcome = PUSH_RETRY};
  if (rc) {
    out->why = "unreachable";
    return;
  }
  int s = r->status;
  if (s == 200) {
    out->outcome = PUSH_SENT;
    return;
  }
  json_object *o = json_tokener_parse(r->body);
  const char *reason = o ? jx_str(o, "reason") : NULL;
  if (!reason) reason = "";
  if (s == 410 || !strcmp(reason, "BadDeviceToken") ||
      !strcmp(reason, "Unregistered") ||
      !strcmp(reason, "DeviceTokenNotForTopic")) {
    *out = (struct pushrun_result){.outcome = PUSH_GONE, .why = "unregistered"};
  } else if (!strcmp(reason, "ExpiredProviderToken") ||
             !strcmp(reason, "InvalidProviderToken")) {
    *out = (struct pushrun_result){.outcome = PUSH_RENEW, .why = "auth"};
  } else if (s == 429 || s >= 500) {
    out->retry_after_s = pushrun_retry_after(r);
    out->why = s == 429 ? "throttled" : "service-error";
  } else {
    *out = (struct pushrun_result){.outcome = PUSH_DROP, .why = "refused"};
  }
  json_object_put(o);
}
