/* router: the one route table and its dispatch. Everything a route declares
 * is checked here, before its handler runs: authentication and role (flags),
 * the body cap, the kind of each path parameter and every query parameter
 * the route takes. A handler reads only values that passed: path
 * parameters with req_param / req_id, query parameters with req_q*. */
#ifndef ENCORE_ROUTER_H
#define ENCORE_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

struct req;

enum route_flag {
  R_AUTH = 1 << 0,    /* valid access token required (401 otherwise) */
  R_ADMIN = 1 << 1,   /* role admin required (403), implies R_AUTH */
  R_NOLOG = 1 << 2,   /* no access line (health probes) */
  R_EDITOR = 1 << 3,  /* role editor or admin required (403), implies R_AUTH */
  R_OPTAUTH = 1 << 4, /* a token is optional; when given it must be valid */
  R_MODERATOR = 1 << 5, /* role moderator or admin required (403), implies
                           R_AUTH */
};

/* The kinds of a query parameter. A value that does not fit its kind is a
 * 422 naming the parameter (every bad parameter of the request at once);
 * a cursor that cannot be decoded is a 400. Parameters a route does not
 * declare are ignored. */
enum qkind {
  Q_INT,    /* a decimal integer in [min, max]; `dflt` when absent */
  Q_NUMBER, /* a decimal number in [min, max] (at most 6 decimals) */
  Q_BOOL,   /* true or false */
  Q_WORD,   /* one of `words` */
  Q_WORDS,  /* a comma-separated list of `words`, as a bit set */
  Q_TEXT,   /* UTF-8 text of `min` to `max` characters (max 0: any) */
  Q_TIME,   /* an RFC 3339 timestamp after 1970, as unix milliseconds */
  Q_CURSOR, /* an opaque page cursor (page.h): its decoded text */
};

/* One query parameter of a route. */
struct qparam {
  const char *name;
  enum qkind kind;
  long long min, max;       /* Q_INT, Q_NUMBER (Q_NUMBER: in millionths);
                               Q_TEXT: characters */
  long long dflt;           /* Q_INT: the value when absent */
  const char *const *words; /* Q_WORD, Q_WORDS: NULL-terminated */
  const char *msg;          /* the 422 message; NULL: one made from the rule */
};

/* The end of a qparam list. */
#define Q_END                                                                  \
  { .name = NULL }

/* One route. Path parameters are declared in the pattern with their kind:
 *   {name:id}        an object id: 1..2^53 in decimal, no sign or leading 0
 *   {name:username}  3 to 32 of [A-Za-z0-9_]
 *   {name:token}     1 to 128 of [A-Za-z0-9_-]
 *   {name:a|b|c}     one of these words
 * A path whose parameter does not fit its kind names no object: 404. */
struct route {
  const char *method;
  const char *pattern; /* "/api/v1/users/{username:username}" */
  int (*handler)(struct req *r);
  unsigned flags;
  const struct qparam *query; /* NULL: none; else ends with Q_END */
};

extern const struct route routes[];
extern const int routes_count;

/* router_dispatch: match, check what the route declares, run the handler;
 * 404 for no path, 405 with Allow for a path without that method. Returns
 * the status. */
int router_dispatch(struct req *r);
/* router_route_pattern: the pattern matched by the last dispatch of r (for
 * the access log); "-" when none. */
const char *router_route_pattern(struct req *r);
/* router_route_index: the index in routes[] of the route the last dispatch
 * of r matched; -1 when none. */
int router_route_index(const struct req *r);
/* router_spec_path: the pattern of routes[i] as the spec writes it
 * ("{id}", not "{id:id}"), in buf of n bytes. */
const char *router_spec_path(int i, char *buf, size_t n);
/* router_print: the route table as JSON on stdout (method, path in OpenAPI
 * form, flags, path and query parameters with their rules), for the test
 * that holds it against docs/openapi.yaml. */
void router_print(void);

#endif
