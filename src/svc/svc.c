/* svc: settings and shared helpers of the service clients; see svc.h. */
#include "svc/svc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/cfg.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/rc.h"
#include "core/rnd.h"
#include "core/seal.h"
#include "core/str.h"

static const struct cfg *conf;

int svc_init(const struct cfg *c, const char **why) {
  conf = c;
  *why = NULL;
  if (c->seal_key[0] && seal_init(c->seal_key)) {
    *why = "seal_key must be base64url of 32 bytes";
    return RC_INVALID;
  }
  const struct fetch_conf f = {.ca_file = c->fetch_ca_file,
                               .allow = c->fetch_allow,
                               .timeout_ms = c->fetch_timeout * 1000};
  if (fetch_configure(&f)) {
    *why = "fetch_allow must list address:port pairs";
    return RC_INVALID;
  }
  return 0;
}

const struct cfg *svc_cfg(void) {
  return conf;
}

void svc_escape(struct sbuf *b, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
        (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' ||
        *p == '~') {
      sbuf_addc(b, (char)*p);
    } else {
      char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
      sbuf_add(b, e, 3);
    }
  }
}

void svc_form(struct sbuf *b, const char *name, const char *value) {
  if (b->len) sbuf_addc(b, '&');
  svc_escape(b, name);
  sbuf_addc(b, '=');
  svc_escape(b, value ? value : "");
}

const char *svc_url(struct arena *a, const char *base, const char *path) {
  size_t n = strlen(base);
  while (n && base[n - 1] == '/')
    n--;
  return arena_printf(a, "%.*s%s", (int)n, base, path);
}

int svc_json(struct arena *a, const struct fetch_req *q,
             struct svc_answer *ans) {
  struct fetch_resp r;
  *ans = (struct svc_answer){.outcome = SVC_DOUBT};
  int rc = fetch(a, q, &r);
  if (rc == RC_NOMEM) return rc;
  if (rc) {
    /* Refused before sending (not https, a private address) is the
     * request's fault; anything else may have reached the service. */
    ans->outcome = rc == RC_FORBIDDEN || rc == RC_INVALID ? SVC_FAILED
                   : rc == RC_TOO_LARGE                   ? SVC_FAILED
                                                          : SVC_DOUBT;
    ans->error = r.error ? r.error : "the request failed";
    return 0;
  }
  ans->status = r.status;
  const char *why = NULL;
  if (r.len) jx_parse(a, r.body, r.len, &ans->body, &why);
  if (r.status >= 200 && r.status < 300) {
    ans->outcome = ans->body ? SVC_OK : SVC_DOUBT;
    if (!ans->body) ans->error = "the answer is not JSON";
  } else if (r.status == 401 || r.status == 403) {
    ans->outcome = SVC_REFUSED;
    ans->error = "the service refused the credentials";
  } else if (r.status == 429) {
    const char *ra = fetch_header(&r, "Retry-After");
    long long s = 0;
    if (!ra || str_parse_i64(ra, 1, 86400, &s)) s = 1;
    ans->outcome = SVC_THROTTLED;
    ans->retry_after = (int)s;
    ans->error = "the service asks to slow down (429)";
  } else if (r.status >= 400 && r.status < 500) {
    ans->outcome = SVC_FAILED;
    ans->error = arena_printf(a, "the service answered %d", r.status);
  } else {
    ans->outcome = SVC_DOUBT;
    ans->error = arena_printf(a, "the service answered %d", r.status);
  }
  return 0;
}

const char *svc_str(json_object *o, const char *key) {
  json_object *v;
  if (!json_object_is_type(o, json_type_object) ||
      !json_object_object_get_ex(o, key, &v) ||
      !json_object_is_type(v, json_type_string))
    return NULL;
  return json_object_get_string(v);
}

long long svc_int(json_object *o, const char *key, long long dflt) {
  json_object *v;
  long long x;
  if (!json_object_is_type(o, json_type_object) ||
      !json_object_object_get_ex(o, key, &v))
    return dflt;
  if (json_object_is_type(v, json_type_int)) return json_object_get_int64(v);
  if (json_object_is_type(v, json_type_string) &&
      !str_parse_i64(json_object_get_string(v), -(1LL << 62), 1LL << 62, &x))
    return x;
  return dflt;
}

json_object *svc_path(json_object *o, ...) {
  va_list ap;
  va_start(ap, o);
  for (const char *k; o && (k = va_arg(ap, const char *));) {
    json_object *v = NULL;
    if (!json_object_is_type(o, json_type_object) ||
        !json_object_object_get_ex(o, k, &v))
      v = NULL;
    o = v;
  }
  va_end(ap);
  return o;
}

int svc_program_start(const char *prog, const char *path, struct cfg *c) {
  char err[256] = "libsodium could not be initialized";
  const char *why;
  if (rnd_init() || cfg_load(c, path, false, err, sizeof err)) {
    fprintf(stderr, "%s: %s\n", prog, err);
    return 1;
  }
  int lvl = log_level_parse(c->log_level);
  log_init(prog, lvl < 0 ? LOG_INFO : (enum log_level)lvl, "-");
  if (svc_init(c, &why)) {
    log_msg(LOG_ERROR, "bad configuration", "why", why, NULL);
    cfg_free(c);
    return 1;
  }
  return 0;
}
