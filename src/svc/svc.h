/* svc: the clients of the services Encore links to (Last.fm, ListenBrainz,
 * Spotify, Apple Music), shared by encore-api (linking, tokens) and the
 * batch programs (scrobbling out, imports). Every request goes through
 * core/fetch.h; base URLs and keys come from the configuration (so tests
 * point them at local fakes). This file: the settings and what the
 * clients share (forms, JSON answers). Each service has its file:
 * lastfm.h, listenbrainz.h, spotify.h, applemusic.h. */
#ifndef ENCORE_SVC_H
#define ENCORE_SVC_H

#include <json-c/json.h>
#include <stddef.h>

#include "core/fetch.h"
#include "core/str.h"

struct arena;
struct cfg;

/* svc_init: take the configuration (kept by pointer: it must outlive the
 * clients' use) and set up what it says: the seal key (core/seal.h) and
 * the outbound HTTP settings (core/fetch.h). 0, or RC_INVALID with a
 * reason in *why (a bad seal_key or fetch_allow). */
int svc_init(const struct cfg *c, const char **why);
/* svc_program_start: what every batch program that talks to the services
 * does first: libsodium, the configuration at path into *c, its log (as
 * `prog`, to stderr), then svc_init. 0, or 1 (the program's exit code)
 * after saying why; *c is freed on failure. */
int svc_program_start(const char *prog, const char *path, struct cfg *c);
/* svc_cfg: the configuration given to svc_init. */
const struct cfg *svc_cfg(void);

/* svc_escape: append s percent-encoded (everything but RFC 3986's
 * unreserved characters), fit for a path segment, a query or a form. */
void svc_escape(struct sbuf *b, const char *s);
/* svc_form: append name=value to an application/x-www-form-urlencoded
 * body (percent-encoding both; '&' between pairs). */
void svc_form(struct sbuf *b, const char *name, const char *value);
/* svc_url: base (without a trailing '/') joined with path (starting with
 * '/'), in the arena. */
const char *svc_url(struct arena *a, const char *base, const char *path);

/* What became of a request to a service. */
enum svc_outcome {
  SVC_OK,        /* a 2xx answer, body parsed */
  SVC_REFUSED,   /* the service refused the credentials (Last.fm 9, 401) */
  SVC_THROTTLED, /* 429 (retry_after seconds), Last.fm 29 */
  SVC_FAILED,    /* a 4xx or an error code: the request itself is wrong */
  SVC_DOUBT,     /* no answer, a 5xx, Last.fm 11 or 16: it may or may not
                    have been done */
};

/* The result of svc_json. */
struct svc_answer {
  enum svc_outcome outcome;
  int status;        /* HTTP status, 0 without an answer */
  int retry_after;   /* seconds, for SVC_THROTTLED (at least 1) */
  json_object *body; /* the parsed JSON body, or NULL (owned by the arena) */
  const char *error; /* a short reason (no secret), NULL on SVC_OK */
};

/* svc_json: send q and read a JSON answer into *ans, classifying the
 * status (2xx ok, 401/403 refused, 429 throttled with Retry-After,
 * 4xx failed, 5xx and no answer doubt; a 2xx that is not JSON is a doubt
 * too). A JSON body is parsed with depth <= 32 whatever the status.
 * Returns 0, or RC_NOMEM. */
int svc_json(struct arena *a, const struct fetch_req *q,
             struct svc_answer *ans);

/* svc_str / svc_int: a member of an object as a string (NULL when absent
 * or not a string) or integer (numbers or numeric strings; dflt else). */
const char *svc_str(json_object *o, const char *key);
long long svc_int(json_object *o, const char *key, long long dflt);
/* svc_path: the member at a path of keys ("a", "b", NULL), or NULL. */
json_object *svc_path(json_object *o, ...) __attribute__((sentinel));

#endif
