/* req: the request as handlers see it, independent of libfcgi. fcgi.c fills
 * one from FastCGI; the in-process tests build one with req_init
 * (tests/api/fake.c). A handler reads params, query, headers and body through
 * these calls and answers with exactly one req_reply_* / req_problem* call,
 * whose return value (the HTTP status) it returns. Everything allocated for the
 * request lives in req_arena(). */
#ifndef ENCORE_REQ_H
#define ENCORE_REQ_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/jx.h"
#include "core/tok.h"

struct arena;
struct req;

/* Accessors of the incoming request. Strings live in the arena. */
struct arena *req_arena(struct req *r);
const char *req_method(struct req *r);
/* req_path: the decoded path without the query string. */
const char *req_path(struct req *r);
/* req_env: a raw FastCGI parameter (REMOTE_ADDR, HTTP_USER_AGENT ...). */
const char *req_env(struct req *r, const char *name);
/* req_header: a request header by its HTTP name ("Authorization"). */
const char *req_header(struct req *r, const char *name);
/* req_param: a path parameter captured by the router ({username:...}),
 * already of its declared kind (router.h). */
const char *req_param(struct req *r, const char *name);
/* req_id: a path parameter declared {name:id}, as the number it is. */
long long req_id(struct req *r, const char *name);
/* req_query: a raw decoded query-string value; NULL when absent. Handlers
 * read the parameters their route declares through req_q* instead. */
const char *req_query(struct req *r, const char *name);

/* Query parameters the route declares (router.h, struct qparam), as the
 * router checked them. Reading one the route does not declare is a bug of
 * the route table: it reads as absent. */
/* req_qgiven: whether the request gave the parameter. */
bool req_qgiven(struct req *r, const char *name);
/* req_qint: Q_INT (its default when absent), Q_TIME (unix ms, 0 when
 * absent), Q_WORD (the word's index, -1 when absent). */
long long req_qint(struct req *r, const char *name);
/* req_qnumber: Q_NUMBER, dflt when absent. */
double req_qnumber(struct req *r, const char *name, double dflt);
/* req_qbool: Q_BOOL, dflt when absent. */
bool req_qbool(struct req *r, const char *name, bool dflt);
/* req_qwords: Q_WORDS: bit i for the declaration's words[i]; 0 when
 * absent. */
unsigned req_qwords(struct req *r, const char *name);
/* req_qtext: Q_TEXT, the word of a Q_WORD, or Q_CURSOR's decoded text;
 * NULL when absent. */
const char *req_qtext(struct req *r, const char *name);
const char *req_client_ip(struct req *r);
const char *req_request_id(struct req *r);

/* req_body_json: the body parsed as JSON. Returns 0, or replies itself and
 * returns the status: 415 when Content-Type is not application/json, 400 on
 * malformed JSON. Use as: if ((st = req_body_json(r, &o))) return st; */
int req_body_json(struct req *r, json_object **out);
/* req_body_form: an application/x-www-form-urlencoded body; 415 otherwise,
 * 400 when malformed. Values through req_form. */
int req_body_form(struct req *r);
const char *req_form(struct req *r, const char *name);
/* One name=value pair of a query string or form. */
struct req_kv {
  const char *name, *value;
};
/* req_pairs: every pair of the query string, then, when the body is
 * application/x-www-form-urlencoded, every pair of the body (at most max
 * in all; the body is decoded here), in the order sent: for protocols
 * whose parameters may come either way and are all signed (Last.fm's).
 * 0, or RC_BAD_REQUEST when the body is malformed (a bad %-escape,
 * invalid UTF-8, a NUL) or holds more pairs. */
int req_pairs(struct req *r, int max, const struct req_kv **out, int *n);
/* req_body_raw: the raw body (capped by body_max). */
void req_body_raw(struct req *r, const char **buf, size_t *len);

/* The authenticated caller (set by the router for R_AUTH routes). */
const struct tok_claims *req_auth(struct req *r);
long long req_user_id(struct req *r); /* 0 when anonymous */
/* req_auth_profile: the caller's private profile as cached JSON text, read
 * in the same memcached round trip as the token check; NULL when it was not
 * cached. */
const char *req_auth_profile(struct req *r, size_t *len);

/* Responses. Each returns the HTTP status written. */
void req_set_header(struct req *r, const char *name, const char *value);
int req_reply_json(struct req *r, int status, json_object *body);
int req_reply_text(struct req *r, int status, const char *ctype,
                   const char *body, size_t len);
int req_reply_empty(struct req *r, int status);
/* req_problem: an RFC 9457 problem+json for rc with an optional detail. 401s
 * get WWW-Authenticate, 429s get Retry-After when set with req_retry_after. */
int req_problem(struct req *r, int rc, const char *detail);
/* req_problem_ext: a problem with one extension member `key` (a new
 * reference to val is taken). */
int req_problem_ext(struct req *r, int rc, const char *detail, const char *key,
                    json_object *val);
/* req_reply_etag: 200 with a JSON text and a strong ETag derived from it;
 * 304 when If-None-Match names that ETag. */
int req_reply_etag(struct req *r, const char *json, size_t len);
/* req_problem_fields: 422 with errors[] from a failed validation. */
int req_problem_fields(struct req *r, const struct jx_errors *errs);
/* req_validate: jx_validate on obj, replying 422 on failure (returns 0 when
 * valid). */
int req_validate(struct req *r, json_object *obj, const struct jx_field *f,
                 int nf);
void req_retry_after(struct req *r, int seconds);
/* req_set_error: a short reason for the access log line. */
void req_set_error(struct req *r, const char *why);
/* req_after: run fn(r, arg) after the response has been sent (slow side work
 * such as mail); the arena is still alive then. */
void req_after(struct req *r, void (*fn)(struct req *, void *), void *arg);

#endif
