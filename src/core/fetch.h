/* fetch: every outbound HTTP request of Encore (third-party APIs, album art,
 * push services) goes through here, the one user of libcurl for HTTP
 * (mail.c keeps its SMTP). What a URL may reach is decided here, not by
 * callers:
 *
 *   - HTTPS only, with the peer's certificate verified;
 *   - the host is resolved first and every address it has must be public
 *     (no loopback, private, link-local, carrier-grade NAT, multicast or
 *     reserved range, IPv4 or IPv6, mapped addresses included); the
 *     connection is pinned to the address checked (CURLOPT_RESOLVE) and
 *     the socket refused if curl tries another, so a name that resolves
 *     differently the second time cannot reach a private address;
 *   - redirects are followed only when the caller asks, each hop checked
 *     like the first;
 *   - connect and total timeouts, and a cap on the body read;
 *   - no proxy from the environment.
 *
 * The one exception is for tests: cfg fetch_allow lists address:port pairs
 * (the local fakes of Spotify, Last.fm ...) that may be reached although
 * they are loopback. It comes from configuration only, never from a
 * request. */
#ifndef ENCORE_FETCH_H
#define ENCORE_FETCH_H

#include <stdbool.h>
#include <stddef.h>

struct arena;
struct sockaddr;

/* Process-wide settings (cfg fetch_*). */
struct fetch_conf {
  const char *ca_file;    /* CA bundle to trust; NULL or "": the system's */
  const char *allow;      /* "127.0.0.1:4443,[::1]:4443": exceptions, or NULL */
  int connect_timeout_ms; /* 0: 5,000 */
  int timeout_ms;         /* 0: 20,000 */
  size_t body_max;        /* 0: 8 MiB */
};

/* fetch_configure: take c (strings are copied). 0, or RC_INVALID for an
 * allow list that is not address:port pairs. */
int fetch_configure(const struct fetch_conf *c);

/* One request. */
struct fetch_req {
  const char *method;         /* NULL: GET, or POST when there is a body */
  const char *url;            /* https://... */
  const char *const *headers; /* "Name: value" lines, NULL-terminated */
  const char *body;           /* NULL: none */
  size_t body_len;
  bool http2;      /* ask for HTTP/2 (ALPN; HTTP/1.1 if the peer refuses) */
  int redirects;   /* redirects to follow (0: a 3xx is the answer) */
  int timeout_ms;  /* 0: the configured one */
  size_t body_max; /* 0: the configured one */
};

/* A response header. */
struct fetch_header {
  const char *name, *value;
};

/* The answer: any HTTP status, including errors. */
struct fetch_resp {
  int status;
  const char *body; /* NUL-terminated, in the arena ("" when none) */
  size_t len;
  const char *url; /* the URL that answered (after redirects) */
  struct fetch_header *headers;
  int nheaders;
  const char *error; /* a static reason when fetch returned non-zero */
};

/* fetch: send q and read its answer into r (strings in the arena). 0 when
 * a response came (whatever its status); RC_FORBIDDEN when the URL or a
 * redirect is not HTTPS or reaches an address that is not public;
 * RC_INVALID for a malformed URL; RC_TOO_LARGE when the body passes the
 * cap; RC_UNAVAILABLE when the peer cannot be reached, TLS fails or the
 * time runs out; RC_NOMEM. r->error says why. */
int fetch(struct arena *a, const struct fetch_req *q, struct fetch_resp *r);

/* fetch_header: the value of response header `name` (any case), or NULL. */
const char *fetch_header(const struct fetch_resp *r, const char *name);

/* fetch_addr_public: whether an IPv4 or IPv6 address may be reached from
 * here: false for unspecified, loopback, private (RFC 1918, ULA),
 * shared (100.64/10), link-local, multicast, documentation, benchmarking
 * and reserved ranges, and for IPv4 addresses mapped or translated into
 * IPv6 that are any of those. */
bool fetch_addr_public(const struct sockaddr *sa);

/* fetch_many: send q[0..n) with up to `parallel` requests in flight through
 * one curl multi handle (HTTP/2 streams share one connection when
 * q[i].http2 and the peer agrees), each checked and pinned as fetch does
 * (a host resolved once per call; no redirect followed). r[i] and rc[i]
 * are what fetch would give for q[i]. The connections stay open for the
 * next call. 0, or RC_NOMEM / RC_INTERNAL when the batch could not run
 * (then rc[] of what was not answered is RC_UNAVAILABLE). */
int fetch_many(struct arena *a, const struct fetch_req *q, struct fetch_resp *r,
               int *rc, int n, int parallel);

/* fetch_addr_allowed: whether fetch may connect to sa: a public address,
 * or one of the configured exceptions (address and port). */
bool fetch_addr_allowed(const struct sockaddr *sa);

/* fetch_url_allowed: whether url may be given to fetch later, without
 * resolving it: an https URL whose host is an allowed address literal or a
 * public-looking name (not localhost, at least one dot; what the name
 * resolves to is checked when it is fetched). 0, RC_FORBIDDEN or
 * RC_INVALID with *why. */
int fetch_url_allowed(const char *url, const char **why);

/* fetch_close: release the connection cache (at exit). */
void fetch_close(void);

#endif
