/* router: match a request against the route table, enforce what the route
 * declares (authentication, role, body cap, path parameter kinds, query
 * parameters), then run its handler. */
#include "api/router.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/app.h"
#include "api/page.h"
#include "api/req_impl.h"
#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/str.h"
#include "core/timefmt.h"
#include "core/tok.h"
#include "model/session.h"
#include "model/user.h"

/* kind_fits: does the path segment s fit the kind written after the colon
 * of a pattern segment ("id", "username", "token" or "a|b|c")? */
static bool kind_fits(const char *kind, size_t klen, const char *s) {
  size_t n = strlen(s);
  if (klen == 2 && !strncmp(kind, "id", 2)) {
    long long v;
    return n <= 16 && s[0] != '0' &&
           str_parse_i64(s, 1, 9007199254740992LL, &v) == 0;
  }
  if (klen == 8 && !strncmp(kind, "username", 8)) {
    if (n < 3 || n > 32) return false;
    for (size_t i = 0; i < n; i++)
      if (!isalnum((unsigned char)s[i]) && s[i] != '_') return false;
    return true;
  }
  if (klen == 5 && !strncmp(kind, "token", 5)) {
    if (n < 1 || n > 128) return false;
    for (size_t i = 0; i < n; i++)
      if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
        return false;
    return true;
  }
  /* a|b|c: one of the words */
  for (const char *w = kind, *end = kind + klen; w < end;) {
    const char *bar = memchr(w, '|', (size_t)(end - w));
    size_t wl = (size_t)((bar ? bar : end) - w);
    if (wl == n && !strncmp(w, s, n)) return true;
    w += wl + 1;
  }
  return false;
}

/* match: does path fit pattern? Captures {name:kind} segments into
 * r->params. *bad is set when the shape fits but a parameter does not fit
 * its kind (the path can name no object). */
static bool match(struct req *r, const char *pattern, const char *path,
                  bool *bad) {
  int np = 0;
  bool fits = true;
  while (*pattern && *path) {
    if (*pattern != '/' || *path != '/') return false;
    pattern++;
    path++;
    size_t plen = strcspn(pattern, "/"), slen = strcspn(path, "/");
    if (pattern[0] == '{') {
      if (slen == 0 || np == REQ_MAX_PARAMS) return false;
      const char *colon = memchr(pattern, ':', plen);
      size_t nlen = colon ? (size_t)(colon - pattern - 1) : plen - 2;
      r->params[np].k = arena_strndup(r->a, pattern + 1, nlen);
      r->params[np].v = arena_strndup(r->a, path, slen);
      if (colon && !kind_fits(colon + 1, plen - nlen - 3, r->params[np].v))
        fits = false;
      np++;
    } else if (plen != slen || strncmp(pattern, path, plen) != 0) {
      return false;
    }
    pattern += plen;
    path += slen;
  }
  if (*pattern || *path) return false;
  r->nparams = np;
  if (!fits) *bad = true;
  return fits;
}

/* --- query parameters ----------------------------------------------------- */

/* word_index: the index of s in the NULL-terminated words, or -1; n is the
 * length of s. */
static int word_index(const char *const *words, const char *s, size_t n) {
  for (int i = 0; words && words[i]; i++)
    if (strlen(words[i]) == n && !strncmp(words[i], s, n)) return i;
  return -1;
}

/* words_list: "a, b or c" for messages. */
static const char *words_list(struct arena *a, const char *const *words) {
  struct sbuf b;
  sbuf_init(&b, a);
  for (int i = 0; words && words[i]; i++) {
    if (i) sbuf_adds(&b, words[i + 1] ? ", " : " or ");
    sbuf_adds(&b, words[i]);
  }
  return b.oom ? "" : b.s;
}

/* number: a decimal ("0", "0.25", "12.5") in [min, max] millionths; digits
 * past the sixth decimal are dropped. No sign, exponent or spaces. */
static bool number(const char *s, long long min, long long max,
                   long long *out) {
  long long v = 0;
  int decimals = -1;
  if (!*s || strlen(s) > 32) return false;
  for (const char *p = s; *p; p++) {
    if (*p == '.' && decimals < 0 && p != s && p[1]) {
      decimals = 0;
    } else if (*p >= '0' && *p <= '9') {
      if (decimals >= 6) continue;
      if (v > 1000000000000LL) return false;
      v = v * 10 + (*p - '0');
      if (decimals >= 0) decimals++;
    } else {
      return false;
    }
  }
  for (int d = decimals < 0 ? 0 : decimals; d < 6; d++)
    v *= 10;
  *out = v;
  return v >= min && v <= max;
}

/* qrule: the message for a value that broke rule q. */
static const char *qrule(struct arena *a, const struct qparam *q) {
  if (q->msg) return q->msg;
  switch (q->kind) {
  case Q_INT:
    return arena_printf(a, "must be an integer from %lld to %lld", q->min,
                        q->max);
  case Q_NUMBER:
    return arena_printf(a, "must be a number from %g to %g", q->min / 1e6,
                        q->max / 1e6);
  case Q_BOOL:
    return "must be true or false";
  case Q_WORD:
    return arena_printf(a, "must be %s", words_list(a, q->words));
  case Q_WORDS:
    return arena_printf(a, "must be a comma-separated list of %s",
                        words_list(a, q->words));
  case Q_TEXT:
    return q->max ? arena_printf(a, "must be %lld to %lld characters of UTF-8",
                                 q->min, q->max)
                  : "must be UTF-8 text";
  case Q_TIME:
    return "must be an RFC 3339 timestamp after 1970";
  default:
    return "is malformed";
  }
}

/* qparse: one present value v of q into *out; false when it breaks q. */
static bool qparse(const struct qparam *q, const char *v,
                   struct req_qval *out) {
  size_t n = strlen(v);
  switch (q->kind) {
  case Q_INT:
    return str_parse_i64(v, q->min, q->max, &out->i) == 0;
  case Q_NUMBER:
    return number(v, q->min, q->max, &out->i);
  case Q_BOOL:
    out->i = !strcmp(v, "true");
    return out->i || !strcmp(v, "false");
  case Q_WORD:
    out->i = word_index(q->words, v, n);
    return out->i >= 0;
  case Q_WORDS:
    for (const char *s = v;;) {
      size_t wl = strcspn(s, ",");
      int k = word_index(q->words, s, wl);
      if (k < 0) return false;
      out->bits |= 1u << k;
      if (!s[wl]) return true;
      s += wl + 1;
    }
  case Q_TEXT: {
    out->s = v;
    if (!str_utf8_valid(v, n)) return false;
    long long chars = (long long)str_utf8_len(v, n);
    return chars >= q->min && (!q->max || chars <= q->max);
  }
  case Q_TIME:
    return timefmt_parse(v, &out->i) == 0 && out->i > 0;
  case Q_CURSOR:
    return true; /* decoded after the other checks: a 400 of its own */
  }
  return false;
}

/* check_query: every parameter the route declares, into r->qv. Replies
 * itself (422 naming each bad parameter, 400 for a bad cursor) and returns
 * the status; 0 when all fit. */
static int check_query(struct req *r, const struct qparam *qs) {
  struct jx_errors errs = {0};
  const char *cursor = NULL;
  int i = 0;
  r->qdecl = qs;
  for (; qs && qs[i].name && i < REQ_MAX_QPARAMS; i++) {
    const struct qparam *q = &qs[i];
    struct req_qval *out = &r->qv[i];
    const char *v = req_query(r, q->name);
    *out = (struct req_qval){.i = q->kind == Q_INT ? q->dflt : 0};
    if (!v) continue;
    out->given = true;
    if (q->kind == Q_CURSOR) cursor = v;
    if (!qparse(q, v, out)) jx_error_add(&errs, q->name, qrule(r->a, q));
  }
  r->nqv = i;
  if (errs.n) return req_problem_fields(r, &errs);
  if (cursor) {
    const char *text = page_decode(r->a, cursor);
    if (!text) return page_bad_cursor(r);
    for (int k = 0; k < r->nqv; k++)
      if (qs[k].kind == Q_CURSOR) r->qv[k].s = text;
  }
  return 0;
}

/* bearer: the token of an "Authorization: Bearer <token>" header, or NULL. */
static const char *bearer(struct req *r) {
  const char *h = req_header(r, "Authorization");
  if (!h || strncasecmp(h, "Bearer ", 7) != 0) return NULL;
  h += 7;
  while (*h == ' ')
    h++;
  return *h ? h : NULL;
}

/* authenticate: verify the access token and that neither it nor its session
 * was revoked. Replies 401 itself; returns 0 when the caller is known. */
static int authenticate(struct req *r) {
  const char *why = NULL;
  const char *t = bearer(r);
  if (!t) {
    if (req_header(r, "Authorization"))
      return req_problem(r, RC_BAD_TOKEN,
                         "the Authorization header must be 'Bearer <token>'");
    return req_problem(r, RC_UNAUTHORIZED, "a bearer access token is required");
  }
  if (tok_verify(t, (long long)time(NULL), &r->claims, &why)) {
    r->error = why;
    return req_problem(r, RC_BAD_TOKEN,
                       "the access token is invalid or expired");
  }
  /* The caller's profile rides along: most authenticated handlers want it,
   * and a second memcached round trip costs more than the bytes. */
  char key[48];
  user_me_key(key, sizeof key, r->claims.sub);
  int rc = session_check(app.db, app.kv, r->a, &r->claims, key, &r->profile,
                         &r->profile_len);
  if (rc == RC_BAD_TOKEN) return req_problem(r, rc, "the token was revoked");
  if (rc) return req_problem(r, rc, NULL);
  r->authed = true;
  return 0;
}

/* check_role: the caller's current role (read fresh, so a demotion takes
 * effect at once) must be admin, or `also` ("editor", "moderator") when
 * given. */
static int check_role(struct req *r, const char *also) {
  const char *role = NULL;
  int rc = user_role(app.db, r->a, r->claims.sub, &role);
  if (rc == RC_NOT_FOUND) return req_problem(r, RC_BAD_TOKEN, NULL);
  if (rc) return req_problem(r, rc, NULL);
  if (strcmp(role, "admin") == 0 || (also && strcmp(role, also) == 0)) return 0;
  return req_problem(r, RC_FORBIDDEN,
                     also ? arena_printf(r->a, "this endpoint is for %ss", also)
                          : "this endpoint is for administrators");
}

int router_dispatch(struct req *r) {
  const struct route *hit = NULL;
  char allow[128] = "";
  size_t allow_len = 0;
  bool head = strcmp(r->method, "HEAD") == 0;

  bool bad_param = false;
  for (int i = 0; i < routes_count; i++) {
    const struct route *rt = &routes[i];
    if (!match(r, rt->pattern, r->path, &bad_param)) continue;
    if (strcmp(rt->method, r->method) == 0 ||
        (head && strcmp(rt->method, "GET") == 0)) {
      hit = rt;
      break;
    }
    if (!strstr(allow, rt->method) && allow_len + 16 < sizeof allow)
      allow_len += (size_t)snprintf(allow + allow_len, sizeof allow - allow_len,
                                    "%s%s", allow_len ? ", " : "", rt->method);
    if (strcmp(rt->method, "GET") == 0 && !strstr(allow, "HEAD") &&
        allow_len + 16 < sizeof allow)
      allow_len += (size_t)snprintf(allow + allow_len, sizeof allow - allow_len,
                                    ", HEAD");
  }
  if (!hit) {
    r->nparams = 0;
    if (allow_len) {
      req_set_header(r, "Allow", allow);
      return req_problem(r, RC_METHOD,
                         arena_printf(r->a, "allowed methods: %s", allow));
    }
    return req_problem(r, RC_NOT_FOUND,
                       bad_param ? "no such object" : "no such resource");
  }
  r->route = hit->pattern;
  r->nolog = (hit->flags & R_NOLOG) != 0;
  if (r->body_too_large)
    return req_problem(
        r, RC_TOO_LARGE,
        arena_printf(r->a, "the body is over %ld bytes", app.cfg.body_max));
  if (req_parse_query(r))
    return req_problem(r, RC_BAD_REQUEST, "the query string is malformed");
  int st;
  bool token = (hit->flags & R_OPTAUTH) && req_header(r, "Authorization");
  if ((token || (hit->flags & (R_AUTH | R_ADMIN | R_EDITOR | R_MODERATOR))) &&
      (st = authenticate(r)))
    return st;
  if ((hit->flags & R_ADMIN) && (st = check_role(r, NULL))) return st;
  if ((hit->flags & R_EDITOR) && (st = check_role(r, "editor"))) return st;
  if ((hit->flags & R_MODERATOR) && (st = check_role(r, "moderator")))
    return st;
  if ((st = check_query(r, hit->query))) return st;
  st = hit->handler(r);
  if (!r->replied) st = req_problem(r, RC_INTERNAL, NULL);
  return st;
}

const char *router_route_pattern(struct req *r) {
  if (!r->route) return "-";
  if (!strchr(r->route, ':')) return r->route;
  /* As the spec writes it: "{id}", not "{id:id}". */
  struct sbuf b;
  sbuf_init(&b, r->a);
  for (const char *p = r->route; *p;) {
    size_t n = strcspn(p, ":");
    sbuf_add(&b, p, n);
    p += n;
    if (*p == ':') p += strcspn(p, "}");
  }
  return b.oom ? r->route : b.s;
}

int router_route_index(const struct req *r) {
  if (!r->route) return -1;
  bool head = strcmp(r->method, "HEAD") == 0;
  for (int i = 0; i < routes_count; i++)
    if (routes[i].pattern == r->route &&
        (strcmp(routes[i].method, r->method) == 0 ||
         (head && strcmp(routes[i].method, "GET") == 0)))
      return i;
  return -1;
}

const char *router_spec_path(int i, char *buf, size_t n) {
  size_t k = 0;
  for (const char *p = routes[i].pattern; *p && k + 1 < n; p++) {
    if (*p == ':') p += strcspn(p, "}");
    if (!*p) break;
    buf[k++] = *p;
  }
  buf[k] = '\0';
  return buf;
}

/* --- the table as JSON ---------------------------------------------------- */

static const char *const kind_names[] = {
    [Q_INT] = "integer", [Q_NUMBER] = "number", [Q_BOOL] = "boolean",
    [Q_WORD] = "word",   [Q_WORDS] = "words",   [Q_TEXT] = "text",
    [Q_TIME] = "time",   [Q_CURSOR] = "cursor",
};

/* print_query: the declared query parameters of one route. */
static json_object *print_query(const struct qparam *qs) {
  json_object *list = json_object_new_array();
  for (int i = 0; qs && qs[i].name; i++) {
    const struct qparam *q = &qs[i];
    json_object *o = json_object_new_object();
    jx_add_str(o, "name", q->name);
    jx_add_str(o, "kind", kind_names[q->kind]);
    if (q->kind == Q_NUMBER) {
      json_object_object_add(o, "min", json_object_new_double(q->min / 1e6));
      json_object_object_add(o, "max", json_object_new_double(q->max / 1e6));
    } else if (q->kind == Q_INT || q->kind == Q_TEXT) {
      jx_add_int(o, "min", q->min);
      if (q->max) jx_add_int(o, "max", q->max);
    }
    if (q->kind == Q_INT && q->dflt) jx_add_int(o, "default", q->dflt);
    if (q->words) {
      json_object *w = json_object_new_array();
      for (int k = 0; q->words[k]; k++)
        json_object_array_add(w, json_object_new_string(q->words[k]));
      json_object_object_add(o, "enum", w);
    }
    json_object_array_add(list, o);
  }
  return list;
}

/* print_path: the pattern in OpenAPI form ({name}) and its parameters. */
static json_object *print_path(const char *pattern, json_object *params) {
  struct sbuf b;
  struct arena *a = arena_new(1024);
  sbuf_init(&b, a);
  for (const char *p = pattern; *p;) {
    if (*p != '{') {
      sbuf_add(&b, p, 1);
      p++;
      continue;
    }
    size_t len = strcspn(p, "}");
    const char *colon = memchr(p, ':', len);
    size_t nlen = colon ? (size_t)(colon - p - 1) : len - 1;
    json_object *o = json_object_new_object();
    jx_add_str(o, "name", arena_strndup(a, p + 1, nlen));
    jx_add_str(o, "kind",
               colon ? arena_strndup(a, colon + 1, len - nlen - 2) : "any");
    json_object_array_add(params, o);
    sbuf_add(&b, p, nlen + 1);
    sbuf_adds(&b, "}");
    p += len + 1;
  }
  json_object *path = json_object_new_string(b.oom ? "" : b.s);
  arena_free(a);
  return path;
}

void router_print(void) {
  json_object *all = json_object_new_array();
  for (int i = 0; i < routes_count; i++) {
    const struct route *rt = &routes[i];
    json_object *o = json_object_new_object(),
                *params = json_object_new_array();
    jx_add_str(o, "method", rt->method);
    json_object_object_add(o, "path", print_path(rt->pattern, params));
    json_object_object_add(o, "path_params", params);
    json_object_object_add(o, "query", print_query(rt->query));
    json_object *flags = json_object_new_array();
    static const struct {
      unsigned bit;
      const char *name;
    } names[] = {{R_AUTH, "R_AUTH"},       {R_ADMIN, "R_ADMIN"},
                 {R_NOLOG, "R_NOLOG"},     {R_EDITOR, "R_EDITOR"},
                 {R_OPTAUTH, "R_OPTAUTH"}, {R_MODERATOR, "R_MODERATOR"}};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
      if (rt->flags & names[k].bit)
        json_object_array_add(flags, json_object_new_string(names[k].name));
    json_object_object_add(o, "flags", flags);
    json_object_array_add(all, o);
  }
  puts(json_object_to_json_string_ext(all, JSON_C_TO_STRING_PRETTY |
                                               JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(all);
}
