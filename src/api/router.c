/* router: match a request against the route table, enforce the route's flags
 * (authentication, admin role, body cap), then run its handler. */
#include "api/router.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/app.h"
#include "api/req_impl.h"
#include "core/arena.h"
#include "core/db.h"
#include "core/rc.h"
#include "core/tok.h"
#include "model/session.h"
#include "model/user.h"

/* match: does path fit pattern? Captures {name} segments into r->params. */
static bool match(struct req *r, const char *pattern, const char *path) {
  int np = 0;
  while (*pattern && *path) {
    if (*pattern != '/' || *path != '/') return false;
    pattern++;
    path++;
    size_t plen = strcspn(pattern, "/"), slen = strcspn(path, "/");
    if (pattern[0] == '{') {
      if (slen == 0 || np == REQ_MAX_PARAMS) return false;
      r->params[np].k = arena_strndup(r->a, pattern + 1, plen - 2);
      r->params[np].v = arena_strndup(r->a, path, slen);
      np++;
    } else if (plen != slen || strncmp(pattern, path, plen) != 0) {
      return false;
    }
    pattern += plen;
    path += slen;
  }
  if (*pattern || *path) return false;
  r->nparams = np;
  return true;
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
 * effect at once) must be admin, or editor when editor_ok. */
static int check_role(struct req *r, bool editor_ok) {
  const char *role = NULL;
  int rc = user_role(app.db, r->a, r->claims.sub, &role);
  if (rc == RC_NOT_FOUND) return req_problem(r, RC_BAD_TOKEN, NULL);
  if (rc) return req_problem(r, rc, NULL);
  if (strcmp(role, "admin") == 0 || (editor_ok && strcmp(role, "editor") == 0))
    return 0;
  return req_problem(r, RC_FORBIDDEN,
                     editor_ok ? "this endpoint is for editors"
                               : "this endpoint is for administrators");
}

int router_dispatch(struct req *r) {
  const struct route *hit = NULL;
  char allow[128] = "";
  size_t allow_len = 0;
  bool head = strcmp(r->method, "HEAD") == 0;

  for (int i = 0; i < routes_count; i++) {
    const struct route *rt = &routes[i];
    if (!match(r, rt->pattern, r->path)) continue;
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
    return req_problem(r, RC_NOT_FOUND, "no such resource");
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
  if ((token || (hit->flags & (R_AUTH | R_ADMIN | R_EDITOR))) &&
      (st = authenticate(r)))
    return st;
  if ((hit->flags & R_ADMIN) && (st = check_role(r, false))) return st;
  if ((hit->flags & R_EDITOR) && (st = check_role(r, true))) return st;
  st = hit->handler(r);
  if (!r->replied) st = req_problem(r, RC_INTERNAL, NULL);
  return st;
}

const char *router_route_pattern(struct req *r) {
  return r->route ? r->route : "-";
}
