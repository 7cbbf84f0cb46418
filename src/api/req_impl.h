/* req_impl: the inside of struct req, shared by req.c, router.c, the FastCGI
 * adapter (fcgi.c) and the in-process tests. Handlers use req.h only. */
#ifndef ENCORE_REQ_IMPL_H
#define ENCORE_REQ_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "api/req.h"
#include "core/str.h"
#include "core/tok.h"

#define REQ_MAX_PARAMS 8
#define REQ_MAX_QPARAMS 16
#define REQ_MAX_AFTER 4
#define REQ_MAX_PAIRS 64

struct qparam;

/* A query parameter as the router read it (router.h, struct qparam). */
struct req_qval {
  bool given;
  long long i;   /* Q_INT (its default when absent), Q_NUMBER (millionths),
                    Q_BOOL, Q_WORD (index), Q_TIME (unix ms) */
  unsigned bits; /* Q_WORDS */
  const char *s; /* Q_TEXT, Q_CURSOR (decoded) */
};

/* A decoded name=value pair (query string, form body, path parameter). */
struct req_pair {
  const char *k, *v;
};

struct req {
  struct arena *a;
  /* Incoming: FastCGI parameters as "NAME=value" strings (not owned). */
  char **env;
  const char *method, *path;
  const char *body;
  size_t body_len;
  bool body_too_large;
  long long started_us;

  struct req_pair query[REQ_MAX_PAIRS];
  int nquery;
  struct req_pair form[REQ_MAX_PAIRS];
  int nform;
  struct req_pair params[REQ_MAX_PARAMS];
  int nparams;
  const struct qparam *qdecl; /* the matched route's query parameters */
  struct req_qval qv[REQ_MAX_QPARAMS];
  int nqv;

  struct tok_claims claims;
  bool authed;
  char *profile; /* the caller's cached profile, read with the auth check */
  size_t profile_len;
  const char *route; /* matched pattern, for the log */
  bool nolog;

  /* Outgoing. */
  int status;
  bool replied;
  bool head_request;   /* HEAD: the response goes without its body */
  struct sbuf headers; /* extra "Name: value\r\n" lines */
  const char *ctype;
  const char *resp;
  size_t resp_len;
  int retry_after;
  const char *error; /* short reason for the access log */

  struct {
    void (*fn)(struct req *, void *);
    void *arg;
  } after[REQ_MAX_AFTER];
  int nafter;
};

/* req_init: prepare r over arena a and a NULL-terminated env; reads METHOD,
 * DOCUMENT_URI (or the path part of REQUEST_URI) from env. The body is set
 * separately by the caller. */
void req_init(struct req *r, struct arena *a, char **env);
/* req_parse_query: decode QUERY_STRING into r->query; RC_BAD_REQUEST when
 * malformed (bad %-escape, invalid UTF-8, too many pairs). */
int req_parse_query(struct req *r);
/* req_run_after: run the registered after-response functions. */
void req_run_after(struct req *r);
/* req_response_head: the status line and headers of the response as CGI
 * text (Status:, Content-Type:, Content-Length:, extra headers, blank
 * line). */
const char *req_response_head(struct req *r, size_t *len);
/* req_parse_pairs: decode an application/x-www-form-urlencoded string into
 * out[0..max); returns the count or RC_BAD_REQUEST. */
int req_parse_pairs(struct arena *a, const char *s, size_t n,
                    struct req_pair *out, int max);

#endif
