/* fcm: a delivery as an FCM HTTP v1 request. The service account's
 * RS256 JWT (iss its email, scope firebase.messaging, aud its token URI,
 * an hour at most) is exchanged at the token URI for an OAuth2 access
 * token, kept (sealed, in push_credentials) until a minute before it
 * expires; then POST /v1/projects/<id>/messages:send with the bearer
 * token, and the errors as FCM documents them (UNREGISTERED: the token is
 * gone; 401: the access token was refused, get another). */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch/push/pushrun.h"
#include "core/arena.h"
#include "core/cfg.h"
#include "core/db.h"
#include "core/fetch.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/pushcrypto.h"
#include "core/rc.h"

#define FCM_SCOPE "https://www.googleapis.com/auth/firebase.messaging"

struct fcm {
  struct pushkey *key;
  char *email, *token_uri, *send_url;
  char *access; /* the access token, or NULL */
  long long access_exp;
};

/* read_file: a small file's text (malloc'd), or NULL. */
static char *read_file(const char *path, size_t max) {
  FILE *f = fopen(path, "re");
  if (!f) return NULL;
  char *buf = malloc(max + 1);
  size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
  fclose(f);
  if (!buf || n > max) {
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  return buf;
}

int fcm_open(const struct cfg *c, struct fcm **out, const char **off) {
  *out = NULL;
  if ((*off = push_channel_off(c, PUSH_FCM))) return 0;
  char *text = read_file(c->fcm_service_account_file, 64 << 10);
  json_object *o = text ? json_tokener_parse(text) : NULL;
  const char *project = o ? jx_str(o, "project_id") : NULL;
  const char *email = o ? jx_str(o, "client_email") : NULL;
  const char *pem = o ? jx_str(o, "private_key") : NULL;
  const char *uri = o ? jx_str(o, "token_uri") : NULL;
  struct fcm *f = calloc(1, sizeof *f);
  int rc = 0;
  if (!f) {
    rc = RC_NOMEM;
  } else if (!project || !email || !pem || !uri ||
             strncmp(uri, "https://", 8) ||
             pushcrypto_key_pem(pem, strlen(pem), &f->key) ||
             pushcrypto_key_is_ec(f->key)) {
    *off = "fcm_service_account_file is not a service account key (JSON "
           "with project_id, client_email, an RSA private_key, token_uri)";
  } else {
    f->email = strdup(email);
    f->token_uri = strdup(uri);
    size_t n = strlen(c->fcm_api_url) + strlen(project) + 40;
    f->send_url = malloc(n);
    if (f->send_url)
      snprintf(f->send_url, n, "%s/v1/projects/%s/messages:send",
               c->fcm_api_url, project);
    if (!f->email || !f->token_uri || !f->send_url) rc = RC_NOMEM;
  }
  if (text) explicit_bzero(text, strlen(text));
  free(text);
  json_object_put(o);
  if (rc || *off) {
    fcm_close(f);
    return rc;
  }
  *out = f;
  return 0;
}

void fcm_close(struct fcm *f) {
  if (!f) return;
  pushcrypto_key_free(f->key);
  free(f->email);
  free(f->token_uri);
  free(f->send_url);
  if (f->access) explicit_bzero(f->access, strlen(f->access));
  free(f->access);
  free(f);
}

void fcm_renew(struct fcm *f) {
  f->access_exp = 0;
}

/* exchange: a new access token from the token URI. */
static int exchange(struct fcm *f, struct db *d, struct arena *a) {
  long long now = (long long)time(NULL);
  const char *claims =
      arena_printf(a,
                   "{\"iss\":\"%s\",\"scope\":\"" FCM_SCOPE
                   "\",\"aud\":\"%s\",\"iat\":%lld,\"exp\":%lld}",
                   f->email, f->token_uri, now, now + 3600);
  const char *jwt;
  if (!claims ||
      pushcrypto_jwt(a, f->key, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}", claims,
                     &jwt))
    return RC_INTERNAL;
  const char *form = arena_printf(
      a,
      "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type%%3Ajwt-bearer"
      "&assertion=%s",
      jwt);
  static const char *const hdrs[] = {
      "Content-Type: application/x-www-form-urlencoded",
      "Accept: application/json", NULL};
  struct fetch_resp r;
  int rc = form ? fetch(a,
                        &(struct fetch_req){.url = f->token_uri,
                                            .headers = hdrs,
                                            .body = form,
                                            .body_len = strlen(form),
                                            .body_max = 64 << 10},
                        &r)
                : RC_NOMEM;
  if (rc) return RC_UPSTREAM;
  json_object *o = r.status == 200 ? json_tokener_parse(r.body) : NULL;
  const char *tok = o ? jx_str(o, "access_token") : NULL;
  json_object *e = NULL;
  long long ttl = o && json_object_object_get_ex(o, "expires_in", &e)
                      ? json_object_get_int64(e)
                      : 0;
  if (!tok || ttl <= 60 || strlen(tok) > 2048) {
    char st[16];
    snprintf(st, sizeof st, "%d", r.status);
    log_msg(LOG_WARN, "fcm: the token URI refused the service account",
            "status", st, NULL);
    json_object_put(o);
    return RC_UPSTREAM;
  }
  free(f->access);
  f->access = strdup(tok);
  f->access_exp = now + ttl;
  json_object_put(o);
  if (!f->access) return RC_NOMEM;
  return pushcred_put(d, a, "fcm", f->access, now, f->access_exp);
}

int fcm_prepare(struct fcm *f, struct db *d, struct arena *a) {
  long long now = (long long)time(NULL), issued, expires;
  if (f->access && f->access_exp > now + 60) return 0;
  /* Another run's token, unless it is the one just refused. */
  const char *text = NULL;
  int rc = pushcred_get(d, a, "fcm", 3600, 60, &text, &issued, &expires);
  if (rc) return rc;
  if (text && (!f->access || strcmp(text, f->access))) {
    free(f->access);
    f->access = strdup(text);
    f->access_exp = expires;
    return f->access ? 0 : RC_NOMEM;
  }
  return exchange(f, d, a);
}

int fcm_request(struct fcm *f, struct arena *a, const struct pushrun_item *it,
                struct fetch_req *q) {
  if (!it->token || !f->access) return RC_INVALID;
  long long ttl = it->expires - (long long)time(NULL);
  const char *collapse = pushrun_collapse(a, it->message_id);
  const char *t, *b;
  /* FCM takes 4,096 bytes of notification and data */
  pushtext_fit(a, it->title, it->body, 400, 4096, &t, &b);
  json_object *root = jx_own(a, json_object_new_object());
  json_object *m = json_object_new_object(), *n = json_object_new_object();
  json_object *data = json_object_new_object();
  json_object *android = json_object_new_object();
  json_object *an = json_object_new_object();
  json_object_object_add(root, "message", m);
  jx_add_str(m, "token", it->token);
  jx_add_str(n, "title", t);
  jx_add_str(n, "body", b);
  json_object_object_add(m, "notification", n);
  jx_add_str(data, "id", arena_printf(a, "%lld", it->message_id));
  jx_add_str(data, "kind", it->kind);
  jx_add_str(data, "count", arena_printf(a, "%lld", it->count));
  json_object_object_add(m, "data", data);
  jx_add_str(android, "collapse_key", collapse);
  jx_add_str(android, "ttl", arena_printf(a, "%llds", ttl > 0 ? ttl : 0));
  jx_add_str(android, "priority",
             it->urgency && !strcmp(it->urgency, "high") ? "high" : "normal");
  jx_add_str(an, "tag", collapse);
  json_object_object_add(android, "notification", an);
  json_object_object_add(m, "android", android);
  const char *body = json_object_to_json_string_ext(
      root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
  const char **h = arena_alloc(a, sizeof *h * 4);
  if (!h || !body) return RC_NOMEM;
  h[0] = arena_printf(a, "Authorization: Bearer %s", f->access);
  h[1] = "Content-Type: application/json; charset=UTF-8";
  h[2] = NULL;
  if (!h[0]) return RC_NOMEM;
  *q = (struct fetch_req){.method = "POST",
                          .url = f->send_url,
                          .headers = h,
                          .body = body,
                          .body_len = strlen(body),
                          .body_max = 64 << 10};
  return 0;
}

/* error_code: FCM's errorCode in error.details[], else error.status. */
static const char *error_code(struct arena *a, const struct fetch_resp *r) {
  json_object *o = json_tokener_parse(r->body), *e, *det;
  const char *code = NULL;
  if (o && json_object_object_get_ex(o, "error", &e)) {
    if (json_object_object_get_ex(e, "details", &det) &&
        json_object_is_type(det, json_type_array))
      for (size_t i = 0; !code && i < json_object_array_length(det); i++)
        code = jx_str(json_object_array_get_idx(det, i), "errorCode");
    if (!code) code = jx_str(e, "status");
  }
  code = code ? arena_strdup(a, code) : "";
  json_object_put(o);
  return code ? code : "";
}

void fcm_result(int rc, const struct fetch_resp *r,
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
  struct arena *a = arena_new(0);
  const char *code = a ? error_code(a, r) : "";
  if (!strcmp(code, "UNREGISTERED") || !strcmp(code, "SENDER_ID_MISMATCH") ||
      s == 404) {
    *out = (struct pushrun_result){.outcome = PUSH_GONE, .why = "unregistered"};
  } else if (s == 401 || !strcmp(code, "UNAUTHENTICATED") ||
             !strcmp(code, "THIRD_PARTY_AUTH_ERROR")) {
    *out = (struct pushrun_result){.outcome = PUSH_RENEW, .why = "auth"};
  } else if (s == 429 || !strcmp(code, "QUOTA_EXCEEDED")) {
    out->retry_after_s = pushrun_retry_after(r);
    out->why = "throttled";
  } else if (s >= 500) {
    out->retry_after_s = pushrun_retry_after(r);
    out->why = "service-error";
  } else {
    *out = (struct pushrun_result){.outcome = PUSH_DROP, .why = "refused"};
  }
  arena_free(a);
}
