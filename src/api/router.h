/* router: the one route table and its dispatch. Flags are checked centrally
 * before a handler runs: auth, admin role, body type. */
#ifndef ENCORE_ROUTER_H
#define ENCORE_ROUTER_H

struct req;

enum route_flag {
  R_AUTH = 1 << 0,    /* valid access token required (401 otherwise) */
  R_ADMIN = 1 << 1,   /* role admin required (403), implies R_AUTH */
  R_NOLOG = 1 << 2,   /* no access line (health probes) */
  R_EDITOR = 1 << 3,  /* role editor or admin required (403), implies R_AUTH */
  R_OPTAUTH = 1 << 4, /* a token is optional; when given it must be valid */
};

/* One route: pattern segments in braces capture a path parameter. */
struct route {
  const char *method;
  const char *pattern; /* "/api/v1/users/{username}" */
  int (*handler)(struct req *r);
  unsigned flags;
};

extern const struct route routes[];
extern const int routes_count;

/* router_dispatch: match, check flags, run the handler; 404 for no path,
 * 405 with Allow for a path without that method. Returns the status. */
int router_dispatch(struct req *r);
/* router_route_pattern: the pattern matched by the last dispatch of r (for
 * the access log); "-" when none. */
const char *router_route_pattern(struct req *r);

#endif
