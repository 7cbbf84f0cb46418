/* webpush: a delivery as a Web Push request (RFC 8030): the payload
 * encrypted for the subscription (RFC 8291, core/pushcrypto.h), VAPID
 * authorization (RFC 8292: an ES256 JWT whose aud is the endpoint's
 * origin, exp 12 hours on, sub the operator's contact), TTL, Urgency and
 * a Topic so that a message sent again replaces itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch/push/pushrun.h"
#include "core/arena.h"
#include "core/cfg.h"
#include "core/fetch.h"
#include "core/pushcrypto.h"
#include "core/rc.h"
#include "core/bytes.h"

/* VAPID tokens kept per origin for the run. */
#define WEBPUSH_ORIGINS 64
/* A token's life, and how long before its end a new one is made. */
#define VAPID_TTL (12 * 3600)

struct webpush {
  struct pushkey *key;
  char k[100];       /* the public key, base64url */
  char subject[300]; /* mailto: or https: */
  struct {
    char *origin, *jwt;
    long long exp;
  } tokens[WEBPUSH_ORIGINS];
  int ntokens;
};

int webpush_open(const struct cfg *c, struct webpush **out, const char **off) {
  unsigned char d[33], pub[PUSHCRYPTO_POINT];
  *out = NULL;
  if ((*off = push_channel_off(c, PUSH_WEBPUSH))) return 0;
  struct webpush *w = calloc(1, sizeof *w);
  if (!w) return RC_NOMEM;
  pushcrypto_b64url_decode(c->vapid_private_key, strlen(c->vapid_private_key),
                           d, sizeof d);
  int rc = pushcrypto_key_raw(d, &w->key);
  explicit_bzero(d, sizeof d);
  if (rc || pushcrypto_key_public(w->key, pub)) {
    *off = "vapid_private_key is not a P-256 private key";
    webpush_close(w);
    return 0;
  }
  bytes_b64url(pub, sizeof pub, w->k);
  const char *sub = c->vapid_subject[0] ? c->vapid_subject : c->public_url;
  if (strncmp(sub, "mailto:", 7) && strncmp(sub, "https://", 8)) {
    *off = "vapid_subject (or public_url) must be a mailto: or https: URL";
    webpush_close(w);
    return 0;
  }
  snprintf(w->subject, sizeof w->subject, "%s", sub);
  *out = w;
  return 0;
}

void webpush_close(struct webpush *w) {
  if (!w) return;
  for (int i = 0; i < w->ntokens; i++) {
    free(w->tokens[i].origin);
    free(w->tokens[i].jwt);
  }
  pushcrypto_key_free(w->key);
  free(w);
}

/* vapid: the VAPID token for the endpoint's origin, made once a run. */
static const char *vapid(struct webpush *w, struct arena *a,
                         const char *endpoint) {
  const char *p = strstr(endpoint, "://");
  if (!p) return NULL;
  size_t n = (size_t)(p + 3 - endpoint) + strcspn(p + 3, "/?#");
  char *origin = arena_strndup(a, endpoint, n);
  long long now = (long long)time(NULL);
  if (!origin) return NULL;
  for (int i = 0; i < w->ntokens; i++)
    if (!strcmp(w->tokens[i].origin, origin) && w->tokens[i].exp > now + 3600)
      return w->tokens[i].jwt;
  const char *claims =
      arena_printf(a, "{\"aud\":\"%s\",\"exp\":%lld,\"sub\":\"%s\"}", origin,
                   now + VAPID_TTL, w->subject);
  const char *jwt;
  if (!claims ||
      pushcrypto_jwt(a, w->key, "{\"typ\":\"JWT\",\"alg\":\"ES256\"}", claims,
                     &jwt))
    return NULL;
  int slot = w->ntokens < WEBPUSH_ORIGINS ? w->ntokens++ : 0;
  free(w->tokens[slot].origin);
  free(w->tokens[slot].jwt);
  w->tokens[slot].origin = strdup(origin);
  w->tokens[slot].jwt = strdup(jwt);
  w->tokens[slot].exp = now + VAPID_TTL;
  return jwt;
}

int webpush_request(struct webpush *w, struct arena *a,
                    const struct pushrun_item *it, struct fetch_req *q,
                    double *crypto_s) {
  if (!it->endpoint || !it->p256dh || !it->auth) return RC_INVALID;
  const char *plain = pushtext_payload(a, it, PUSHCRYPTO_PLAIN_MAX);
  const char *jwt = vapid(w, a, it->endpoint);
  if (!plain || !jwt) return RC_NOMEM;
  struct timespec t0, t1;
  unsigned char *body;
  size_t len;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int rc = pushcrypto_encrypt(a, it->p256dh, it->auth, plain, strlen(plain),
                              NULL, &body, &len);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  *crypto_s +=
      (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  if (rc) return rc;
  long long ttl = it->expires - (long long)time(NULL);
  const char **h = arena_alloc(a, sizeof *h * 8);
  if (!h) return RC_NOMEM;
  h[0] = arena_printf(a, "Authorization: vapid t=%s, k=%s", jwt, w->k);
  h[1] = arena_printf(a, "TTL: %lld", ttl > 0 ? ttl : 0);
  h[2] = arena_printf(a, "Urgency: %s", it->urgency ? it->urgency : "normal");
  h[3] = arena_printf(a, "Topic: %s", pushrun_collapse(a, it->message_id));
  h[4] = "Content-Encoding: aes128gcm";
  h[5] = "Content-Type: application/octet-stream";
  h[6] = NULL;
  for (int i = 0; i < 4; i++)
    if (!h[i]) return RC_NOMEM;
  *q = (struct fetch_req){.method = "POST",
                          .url = it->endpoint,
                          .headers = h,
                          .body = (const char *)body,
                          .body_len = len,
                          .body_max = 64 << 10};
  return 0;
}

void webpush_result(int rc, const struct fetch_resp *r,
                    struct pushrun_result *out) {
  *out = (struct pushrun_result){.outcome = PUSH_RETRY};
  if (rc == RC_FORBIDDEN || rc == RC_INVALID) {
    /* the endpoint now resolves somewhere it may not go */
    *out = (struct pushrun_result){.outcome = PUSH_GONE, .why = "forbidden"};
    return;
  }
  if (rc) {
    out->why = "unreachable";
    return;
  }
  int s = r->status;
  if (s == 200 || s == 201 || s == 202) {
    out->outcome = PUSH_SENT;
  } else if (s == 404 || s == 410) {
    *out = (struct pushrun_result){.outcome = PUSH_GONE, .why = "gone"};
  } else if (s == 429) {
    out->retry_after_s = pushrun_retry_after(r);
    out->why = "throttled";
  } else if (s >= 500) {
    out->retry_after_s = pushrun_retry_after(r);
    out->why = "service-error";
  } else if (s == 413) {
    *out = (struct pushrun_result){.outcome = PUSH_DROP, .why = "too-large"};
  } else {
    /* 400, 401, 403: the request (or VAPID) was refused */
    *out = (struct pushrun_result){.outcome = PUSH_DROP, .why = "refused"};
  }
}
