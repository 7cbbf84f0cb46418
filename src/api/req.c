/* req: request accessors and response builders; see req.h. Nothing here
 * knows about FastCGI: fcgi.c turns the finished response into bytes. */
#include "api/req_impl.h"

#include "api/router.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/bytes.h"

void req_init(struct req *r, struct arena *a, char **env) {
  memset(r, 0, sizeof *r);
  r->a = a;
  r->env = env;
  r->status = 500;
  sbuf_init(&r->headers, a);
  r->method = req_env(r, "REQUEST_METHOD");
  if (!r->method) r->method = "GET";
  r->path = req_env(r, "DOCUMENT_URI");
  if (!r->path) {
    const char *uri = req_env(r, "REQUEST_URI");
    if (!uri) uri = "/";
    r->path = arena_strndup(a, uri, strcspn(uri, "?"));
  }
  r->head_request = strcmp(r->method, "HEAD") == 0;
}

struct arena *req_arena(struct req *r) {
  return r->a;
}
const char *req_method(struct req *r) {
  return r->method;
}
const char *req_path(struct req *r) {
  return r->path;
}

const char *req_env(struct req *r, const char *name) {
  size_t n = strlen(name);
  for (char **e = r->env; e && *e; e++)
    if (strncmp(*e, name, n) == 0 && (*e)[n] == '=') return *e + n + 1;
  return NULL;
}

const char *req_header(struct req *r, const char *name) {
  char key[128];
  size_t i = 0;
  bool cgi = strcasecmp(name, "Content-Type") == 0 ||
             strcasecmp(name, "Content-Length") == 0;
  if (!cgi) {
    memcpy(key, "HTTP_", 5);
    i = 5;
  }
  for (const char *p = name; *p && i < sizeof key - 1; p++)
    key[i++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
  key[i] = '\0';
  return req_env(r, key);
}

static const char *pair_get(const struct req_pair *p, int n, const char *k) {
  for (int i = 0; i < n; i++)
    if (strcmp(p[i].k, k) == 0) return p[i].v;
  return NULL;
}

const char *req_param(struct req *r, const char *name) {
  return pair_get(r->params, r->nparams, name);
}
long long req_id(struct req *r, const char *name) {
  const char *s = req_param(r, name);
  long long v = 0;
  if (s) str_parse_i64(s, 1, 9007199254740992LL, &v);
  return v;
}

/* qval: the router's reading of a declared query parameter, or NULL. */
static const struct req_qval *qval(struct req *r, const char *name,
                                   const struct qparam **decl) {
  for (int i = 0; i < r->nqv; i++)
    if (!strcmp(r->qdecl[i].name, name)) {
      if (decl) *decl = &r->qdecl[i];
      return &r->qv[i];
    }
  return NULL;
}

bool req_qgiven(struct req *r, const char *name) {
  const struct req_qval *v = qval(r, name, NULL);
  return v && v->given;
}

long long req_qint(struct req *r, const char *name) {
  const struct qparam *q;
  const struct req_qval *v = qval(r, name, &q);
  if (!v) return 0;
  if (q->kind == Q_WORD && !v->given) return -1;
  return v->i;
}

double req_qnumber(struct req *r, const char *name, double dflt) {
  const struct req_qval *v = qval(r, name, NULL);
  return v && v->given ? (double)v->i / 1e6 : dflt;
}

bool req_qbool(struct req *r, const char *name, bool dflt) {
  const struct req_qval *v = qval(r, name, NULL);
  return v && v->given ? v->i != 0 : dflt;
}

unsigned req_qwords(struct req *r, const char *name) {
  const struct req_qval *v = qval(r, name, NULL);
  return v ? v->bits : 0;
}

const char *req_qtext(struct req *r, const char *name) {
  const struct qparam *q;
  const struct req_qval *v = qval(r, name, &q);
  if (!v || !v->given) return NULL;
  return q->kind == Q_WORD ? q->words[v->i] : v->s;
}

const char *req_query(struct req *r, const char *name) {
  return pair_get(r->query, r->nquery, name);
}
const char *req_form(struct req *r, const char *name) {
  return pair_get(r->form, r->nform, name);
}

const char *req_client_ip(struct req *r) {
  const char *ip = req_env(r, "REMOTE_ADDR");
  return ip ? ip : "-";
}

const char *req_request_id(struct req *r) {
  const char *id = req_env(r, "REQUEST_ID");
  return id ? id : "-";
}

const struct tok_claims *req_auth(struct req *r) {
  return r->authed ? &r->claims : NULL;
}
long long req_user_id(struct req *r) {
  return r->authed ? r->claims.sub : 0;
}

const char *req_auth_profile(struct req *r, size_t *len) {
  *len = r->profile_len;
  return r->authed ? r->profile : NULL;
}

void req_body_raw(struct req *r, const char **buf, size_t *len) {
  *buf = r->body ? r->body : "";
  *len = r->body_len;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = tolower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* Decode one form component (+ is space, %XX); NULL when malformed. */
static char *form_decode(struct arena *a, const char *s, size_t n) {
  char *out = arena_alloc(a, n + 1), *o = out;
  if (!out) return NULL;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '+') {
      *o++ = ' ';
    } else if (s[i] == '%') {
      int h, l;
      if (i + 2 >= n) return NULL;
      h = hexval((unsigned char)s[i + 1]);
      l = hexval((unsigned char)s[i + 2]);
      if (h < 0 || l < 0) return NULL;
      *o++ = (char)(h * 16 + l);
      i += 2;
    } else {
      *o++ = s[i];
    }
  }
  *o = '\0';
  if (!str_utf8_valid(out, (size_t)(o - out))) return NULL;
  return out;
}

int req_parse_pairs(struct arena *a, const char *s, size_t n,
                    struct req_pair *out, int max) {
  int count = 0;
  size_t i = 0;
  while (i < n) {
    size_t end = i;
    while (end < n && s[end] != '&')
      end++;
    if (end > i) {
      size_t eq = i;
      while (eq < end && s[eq] != '=')
        eq++;
      if (count == max) return RC_BAD_REQUEST;
      char *k = form_decode(a, s + i, eq - i);
      char *v = eq < end ? form_decode(a, s + eq + 1, end - eq - 1)
                         : arena_strdup(a, "");
      if (!k || !v) return RC_BAD_REQUEST;
      out[count].k = k;
      out[count].v = v;
      count++;
    }
    i = end + 1;
  }
  return count;
}

int req_parse_query(struct req *r) {
  const char *qs = req_env(r, "QUERY_STRING");
  if (!qs || !*qs) return 0;
  int n = req_parse_pairs(r->a, qs, strlen(qs), r->query, REQ_MAX_PAIRS);
  if (n < 0) return n;
  r->nquery = n;
  return 0;
}

/* media_is: does the Content-Type header name this media type (parameters
 * such as charset allowed)? */
static bool media_is(struct req *r, const char *type) {
  const char *ct = req_header(r, "Content-Type");
  size_t n = strlen(type);
  if (!ct) return false;
  while (*ct == ' ')
    ct++;
  if (strncasecmp(ct, type, n) != 0) return false;
  ct += n;
  while (*ct == ' ')
    ct++;
  return *ct == '\0' || *ct == ';';
}

int req_body_json(struct req *r, json_object **out) {
  const char *why = NULL;
  if (!media_is(r, "application/json"))
    return req_problem(r, RC_MEDIA_TYPE,
                       "this endpoint takes Content-Type: application/json");
  int rc = jx_parse(r->a, r->body ? r->body : "", r->body_len, out, &why);
  if (rc) return req_problem(r, rc, why ? why : "the body is not valid JSON");
  return 0;
}

int req_body_form(struct req *r) {
  if (!media_is(r, "application/x-www-form-urlencoded"))
    return req_problem(
        r, RC_MEDIA_TYPE,
        "this endpoint takes Content-Type: application/x-www-form-urlencoded");
  int n = req_parse_pairs(r->a, r->body ? r->body : "", r->body_len, r->form,
                          REQ_MAX_PAIRS);
  if (n < 0)
    return req_problem(r, RC_BAD_REQUEST, "the form body is malformed");
  r->nform = n;
  return 0;
}

int req_pairs(struct req *r, int max, const struct req_kv **out, int *n) {
  struct req_pair *p = arena_alloc(r->a, sizeof *p * (size_t)(max + 1));
  struct req_kv *kv = arena_alloc(r->a, sizeof *kv * (size_t)(max + 1));
  int k = 0;
  *out = NULL;
  *n = 0;
  if (!p || !kv) return RC_NOMEM;
  for (int i = 0; i < r->nquery && k < max; i++)
    kv[k++] = (struct req_kv){r->query[i].k, r->query[i].v};
  if (r->nquery > max) return RC_BAD_REQUEST;
  if (r->body_len && media_is(r, "application/x-www-form-urlencoded")) {
    int m = req_parse_pairs(r->a, r->body, r->body_len, p, max - k);
    if (m < 0) return RC_BAD_REQUEST;
    for (int i = 0; i < m; i++)
      kv[k++] = (struct req_kv){p[i].k, p[i].v};
  }
  *out = kv;
  *n = k;
  return 0;
}

void req_set_header(struct req *r, const char *name, const char *value) {
  sbuf_printf(&r->headers, "%s: %s\r\n", name, value);
}

void req_retry_after(struct req *r, int seconds) {
  r->retry_after = seconds > 0 ? seconds : 1;
}

void req_set_error(struct req *r, const char *why) {
  r->error = why;
}

void req_after(struct req *r, void (*fn)(struct req *, void *), void *arg) {
  if (r->nafter == REQ_MAX_AFTER) return;
  r->after[r->nafter].fn = fn;
  r->after[r->nafter].arg = arg;
  r->nafter++;
}

void req_run_after(struct req *r) {
  for (int i = 0; i < r->nafter; i++)
    r->after[i].fn(r, r->after[i].arg);
  r->nafter = 0;
}

int req_reply_text(struct req *r, int status, const char *ctype,
                   const char *body, size_t len) {
  r->status = status;
  r->ctype = ctype;
  r->resp = body;
  r->resp_len = len;
  r->replied = true;
  return status;
}

int req_reply_json(struct req *r, int status, json_object *body) {
  size_t len = 0;
  const char *text = jx_text(r->a, body, &len);
  if (!text) return req_problem(r, RC_NOMEM, NULL);
  return req_reply_text(r, status, "application/json", text, len);
}

int req_reply_empty(struct req *r, int status) {
  return req_reply_text(r, status, NULL, NULL, 0);
}

/* problem: the RFC 9457 body for rc, with errors[] when given. */
static int problem(struct req *r, int rc, const char *detail,
                   const struct jx_errors *errs, const char *key,
                   json_object *val) {
  int status = rc_http(rc);
  json_object *o = jx_own(r->a, json_object_new_object());
  if (!o) return req_reply_text(r, 500, NULL, NULL, 0);
  jx_add_str(o, "type",
             arena_printf(r->a, "urn:encore:problem:%s", rc_slug(rc)));
  jx_add_str(o, "title", rc_title(rc));
  jx_add_int(o, "status", status);
  if (detail) jx_add_str(o, "detail", detail);
  if (errs) {
    json_object *arr = json_object_new_array();
    for (int i = 0; i < errs->n; i++) {
      json_object *e = json_object_new_object();
      jx_add_str(e, "field", errs->e[i].field);
      jx_add_str(e, "message", errs->e[i].message);
      json_object_array_add(arr, e);
    }
    json_object_object_add(o, "errors", arr);
  }
  if (key) json_object_object_add(o, key, json_object_get(val));
  if (status == 401) {
    const char *auth = req_header(r, "Authorization");
    req_set_header(r, "WWW-Authenticate",
                   auth ? "Bearer realm=\"encore\", error=\"invalid_token\""
                        : "Bearer realm=\"encore\"");
  }
  if (status == 429 || status == 503) {
    char s[16];
    snprintf(s, sizeof s, "%d", r->retry_after > 0 ? r->retry_after : 1);
    /* The database away (every node down, or a deadlock lost five times)
     * is worth another try in a second or two. */
    if (status == 429 || r->retry_after > 0 || rc == RC_DB || rc == RC_DEADLOCK)
      req_set_header(r, "Retry-After",
                     status == 429 || r->retry_after > 0 ? s : "2");
  }
  if (status >= 500 && !r->error) r->error = rc_name(rc);
  size_t len = 0;
  const char *text = jx_text(r->a, o, &len);
  return req_reply_text(r, status, "application/problem+json", text, len);
}

int req_problem(struct req *r, int rc, const char *detail) {
  if (!r->error) r->error = detail ? detail : rc_slug(rc);
  return problem(r, rc, detail, NULL, NULL, NULL);
}

int req_problem_ext(struct req *r, int rc, const char *detail, const char *key,
                    json_object *val) {
  if (!r->error) r->error = detail ? detail : rc_slug(rc);
  return problem(r, rc, detail, NULL, key, val);
}

int req_reply_etag(struct req *r, const char *json, size_t len) {
  unsigned char d[32];
  char hex[65], tag[72];
  bytes_sha256(json, len, d);
  bytes_hex(d, 12, hex);
  snprintf(tag, sizeof tag, "\"%s\"", hex);
  req_set_header(r, "ETag", arena_strdup(r->a, tag));
  const char *inm = req_header(r, "If-None-Match");
  if (inm && (strstr(inm, tag) || strcmp(inm, "*") == 0))
    return req_reply_text(r, 304, NULL, NULL, 0);
  return req_reply_text(r, 200, "application/json", json, len);
}

int req_problem_fields(struct req *r, const struct jx_errors *errs) {
  r->error = "validation";
  return problem(r, RC_INVALID, "one or more fields are invalid", errs, NULL,
                 NULL);
}

int req_validate(struct req *r, json_object *obj, const struct jx_field *f,
                 int nf) {
  struct jx_errors errs = {0};
  if (jx_validate(r->a, obj, f, nf, &errs) == 0) return 0;
  return req_problem_fields(r, &errs);
}

static const char *reason(int status) {
  switch (status) {
  case 200:
    return "OK";
  case 201:
    return "Created";
  case 202:
    return "Accepted";
  case 204:
    return "No Content";
  case 304:
    return "Not Modified";
  case 400:
    return "Bad Request";
  case 401:
    return "Unauthorized";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 409:
    return "Conflict";
  case 412:
    return "Precondition Failed";
  case 413:
    return "Content Too Large";
  case 415:
    return "Unsupported Media Type";
  case 422:
    return "Unprocessable Content";
  case 429:
    return "Too Many Requests";
  case 502:
    return "Bad Gateway";
  case 503:
    return "Service Unavailable";
  default:
    return status >= 500 ? "Internal Server Error" : "Status";
  }
}

const char *req_response_head(struct req *r, size_t *len) {
  struct sbuf b;
  sbuf_init(&b, r->a);
  sbuf_printf(&b, "Status: %d %s\r\n", r->status, reason(r->status));
  if (r->ctype) sbuf_printf(&b, "Content-Type: %s\r\n", r->ctype);
  if (r->status != 204 && r->status != 304)
    sbuf_printf(&b, "Content-Length: %zu\r\n", r->resp_len);
  sbuf_add(&b, r->headers.s ? r->headers.s : "", r->headers.len);
  sbuf_adds(&b, "\r\n");
  *len = b.len;
  return b.oom ? NULL : b.s;
}
