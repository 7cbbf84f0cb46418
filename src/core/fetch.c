/* fetch: outbound HTTPS through libcurl, every address checked and pinned;
 * see fetch.h.
 *
 * One easy handle per process is kept between requests, so that its
 * connection cache keeps a service's connection open across the pages of
 * an import or the batches of a delivery run. Each request resets it and
 * sets everything again; the pin (CURLOPT_RESOLVE) first removes whatever
 * an earlier request pinned for that host and port. */
#include "core/fetch.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "core/arena.h"
#include "core/rc.h"
#include "core/str.h"

#define FETCH_ALLOW_MAX 16
#define FETCH_HEADERS_MAX 64

static struct {
  char *ca_file;
  struct sockaddr_storage allow[FETCH_ALLOW_MAX];
  int nallow;
  int connect_ms, total_ms;
  size_t body_max;
} conf = {.connect_ms = 5000, .total_ms = 20000, .body_max = 8u << 20};

static CURL *handle;
static CURLM *multi; /* fetch_many's, kept for its connections */

/* --- addresses ------------------------------------------------------------ */

/* v4_public: a host-order IPv4 address outside every special range. */
static bool v4_public(uint32_t a) {
  static const struct {
    uint32_t net;
    int bits;
  } nets[] = {
      {0x00000000, 8},  /* this network */
      {0x0a000000, 8},  /* private */
      {0x64400000, 10}, /* shared (carrier-grade NAT) */
      {0x7f000000, 8},  /* loopback */
      {0xa9fe0000, 16}, /* link-local (cloud metadata) */
      {0xac100000, 12}, /* private */
      {0xc0000000, 24}, /* IETF protocol assignments */
      {0xc0000200, 24}, /* documentation */
      {0xc0586300, 24}, /* 6to4 relay anycast */
      {0xc0a80000, 16}, /* private */
      {0xc6120000, 15}, /* benchmarking */
      {0xc6336400, 24}, /* documentation */
      {0xcb007100, 24}, /* documentation */
      {0xe0000000, 4},  /* multicast */
      {0xf0000000, 4},  /* reserved, broadcast */
  };
  for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++)
    if ((a >> (32 - nets[i].bits)) == (nets[i].net >> (32 - nets[i].bits)))
      return false;
  return true;
}

bool fetch_addr_public(const struct sockaddr *sa) {
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *s = (const struct sockaddr_in *)(const void *)sa;
    return v4_public(ntohl(s->sin_addr.s_addr));
  }
  if (sa->sa_family != AF_INET6) return false;
  const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)(const void *)sa;
  const unsigned char *b = s->sin6_addr.s6_addr;
  static const unsigned char zero[16];
  uint32_t v4 = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
                (uint32_t)b[14] << 8 | b[15];
  /* ::/128, ::1, and the deprecated IPv4-compatible ::a.b.c.d */
  if (!memcmp(b, zero, 12)) return false;
  /* ::ffff:a.b.c.d (mapped) and 64:ff9b::a.b.c.d (NAT64): the IPv4 rules */
  if (!memcmp(b, zero, 10) && b[10] == 0xff && b[11] == 0xff)
    return v4_public(v4);
  static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b};
  if (!memcmp(b, nat64, 12)) return v4_public(v4);
  if ((b[0] & 0xfe) == 0xfc) return false;                 /* fc00::/7 */
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return false; /* fe80::/10 */
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return false; /* fec0::/10 */
  if (b[0] == 0xff) return false;                          /* multicast */
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
    return false; /* 2001:db8::/32 documentation */
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00)
    return false; /* 2001::/32 Teredo: hides an IPv4 peer */
  if (b[0] == 0x20 && b[1] == 0x02) return false; /* 6to4: hides IPv4 */
  if (b[0] == 0x01 && !memcmp(b + 1, zero, 7)) return false; /* 100::/64 */
  return true;
}

/* same_addr: equal address and port. */
static bool same_addr(const struct sockaddr *x, const struct sockaddr *y) {
  if (x->sa_family != y->sa_family) return false;
  if (x->sa_family == AF_INET) {
    const struct sockaddr_in *a = (const void *)x, *b = (const void *)y;
    return a->sin_port == b->sin_port &&
           a->sin_addr.s_addr == b->sin_addr.s_addr;
  }
  if (x->sa_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const void *)x, *b = (const void *)y;
    return a->sin6_port == b->sin6_port &&
           !memcmp(&a->sin6_addr, &b->sin6_addr, sizeof a->sin6_addr);
  }
  return false;
}

/* reachable: public, or one of the configured exceptions (address and
 * port both). */
static bool reachable(const struct sockaddr *sa) {
  if (fetch_addr_public(sa)) return true;
  for (int i = 0; i < conf.nallow; i++)
    if (same_addr(sa, (const struct sockaddr *)&conf.allow[i])) return true;
  return false;
}

/* parse_hostport: "1.2.3.4:443" or "[::1]:443" into *out. */
static int parse_hostport(const char *s, size_t n,
                          struct sockaddr_storage *out) {
  char buf[80];
  if (n == 0 || n >= sizeof buf) return RC_INVALID;
  memcpy(buf, s, n);
  buf[n] = '\0';
  char *colon = strrchr(buf, ':');
  if (!colon || colon == buf) return RC_INVALID;
  *colon = '\0';
  long long port;
  if (str_parse_i64(colon + 1, 1, 65535, &port)) return RC_INVALID;
  char *host = buf;
  size_t hl = strlen(host);
  if (host[0] == '[') {
    if (host[hl - 1] != ']') return RC_INVALID;
    host[hl - 1] = '\0';
    host++;
  }
  memset(out, 0, sizeof *out);
  struct sockaddr_in *v4 = (struct sockaddr_in *)(void *)out;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)(void *)out;
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    return 0;
  }
  if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    return 0;
  }
  return RC_INVALID;
}

int fetch_configure(const struct fetch_conf *c) {
  free(conf.ca_file);
  conf.ca_file = c->ca_file && *c->ca_file ? strdup(c->ca_file) : NULL;
  conf.connect_ms = c->connect_timeout_ms > 0 ? c->connect_timeout_ms : 5000;
  conf.total_ms = c->timeout_ms > 0 ? c->timeout_ms : 20000;
  conf.body_max = c->body_max ? c->body_max : 8u << 20;
  conf.nallow = 0;
  for (const char *p = c->allow; p && *p;) {
    size_t n = strcspn(p, ", ");
    if (n) {
      if (conf.nallow == FETCH_ALLOW_MAX ||
          parse_hostport(p, n, &conf.allow[conf.nallow]))
        return RC_INVALID;
      conf.nallow++;
    }
    p += n;
    while (*p == ',' || *p == ' ')
      p++;
  }
  return 0;
}

/* --- one exchange --------------------------------------------------------- */

/* What the callbacks of one exchange share. */
struct xfer {
  struct arena *a;
  struct sbuf body;
  size_t cap;
  bool too_large;
  struct fetch_header *h;
  int nh;
  struct sockaddr_storage pin; /* the address checked */
  bool refused;                /* curl wanted another address */
};

static size_t on_body(char *p, size_t size, size_t n, void *arg) {
  struct xfer *x = arg;
  size_t len = size * n;
  if (x->body.len + len > x->cap) {
    x->too_large = true;
    return 0;
  }
  sbuf_add(&x->body, p, len);
  return x->body.oom ? 0 : len;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg) {
  struct xfer *x = arg;
  size_t len = size * n;
  if (len >= 5 && !strncmp(p, "HTTP/", 5)) { /* a new response (100, ...) */
    x->nh = 0;
    return len;
  }
  const char *colon = memchr(p, ':', len);
  if (!colon || x->nh == FETCH_HEADERS_MAX) return len;
  size_t kl = (size_t)(colon - p);
  const char *v = colon + 1, *end = p + len;
  while (v < end && (*v == ' ' || *v == '\t'))
    v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
    end--;
  x->h[x->nh].name = arena_strndup(x->a, p, kl);
  x->h[x->nh].value = arena_strndup(x->a, v, (size_t)(end - v));
  if (x->h[x->nh].name && x->h[x->nh].value) x->nh++;
  return len;
}

/* on_open: the socket curl is about to connect must go to the address
 * that was checked. */
static curl_socket_t on_open(void *arg, curlsocktype purpose,
                             struct curl_sockaddr *addr) {
  struct xfer *x = arg;
  (void)purpose;
  if (!same_addr(&addr->addr, (const struct sockaddr *)&x->pin) ||
      !reachable(&addr->addr)) {
    x->refused = true;
    return CURL_SOCKET_BAD;
  }
  return socket(addr->family, addr->socktype, addr->protocol);
}

/* pin: resolve host, require every address to be reachable, keep the first
 * in x->pin and the CURLOPT_RESOLVE lines for it in *list. */
static int pin(struct arena *a, const char *host, long port, struct xfer *x,
               struct curl_slist **list, const char **why) {
  char bare[256], ports[8], addr[INET6_ADDRSTRLEN];
  size_t hl = strlen(host);
  if (hl >= sizeof bare) return RC_INVALID;
  if (host[0] == '[' && host[hl - 1] == ']') {
    memcpy(bare, host + 1, hl - 2);
    bare[hl - 2] = '\0';
  } else {
    memcpy(bare, host, hl + 1);
  }
  snprintf(ports, sizeof ports, "%ld", port);
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
  if (getaddrinfo(bare, ports, &hints, &res) != 0 || !res) {
    *why = "the host name does not resolve";
    return RC_UNAVAILABLE;
  }
  int rc = 0;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
    if (!reachable(ai->ai_addr)) {
      *why = "the host resolves to an address that is not public";
      rc = RC_FORBIDDEN;
    }
  if (!rc) {
    memset(&x->pin, 0, sizeof x->pin);
    memcpy(&x->pin, res->ai_addr, res->ai_addrlen);
    const void *src =
        res->ai_family == AF_INET
            ? (const void *)&((struct sockaddr_in *)(void *)res->ai_addr)
                  ->sin_addr
            : (const void *)&((struct sockaddr_in6 *)(void *)res->ai_addr)
                  ->sin6_addr;
    inet_ntop(res->ai_family, src, addr, sizeof addr);
    const char *drop = arena_printf(a, "-%s:%ld", bare, port);
    const char *add = arena_printf(
        a, res->ai_family == AF_INET6 ? "%s:%ld:[%s]" : "%s:%ld:%s", bare, port,
        addr);
    struct curl_slist *l1 = drop ? curl_slist_append(*list, drop) : NULL;
    struct curl_slist *l2 = l1 && add ? curl_slist_append(l1, add) : NULL;
    if (!l2) {
      if (l1) *list = l1;
      rc = RC_NOMEM;
    } else {
      *list = l2;
    }
  }
  freeaddrinfo(res);
  return rc;
}

/* target: scheme, host and port of url (parsed by curl's own URL parser,
 * so that what is checked is what curl will connect to). */
static int target(CURLU *u, const char *url, char **host, long *port,
                  const char **why) {
  char *scheme = NULL, *p = NULL;
  *host = NULL;
  if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
    *why = "the URL is malformed";
    return RC_INVALID;
  }
  int rc = 0;
  if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
      strcasecmp(scheme, "https") != 0) {
    *why = "only https URLs are fetched";
    rc = RC_FORBIDDEN;
  } else if (curl_url_get(u, CURLUPART_HOST, host, 0) != CURLUE_OK || !**host) {
    *why = "the URL has no host";
    rc = RC_INVALID;
  } else {
    *port = 443;
    if (curl_url_get(u, CURLUPART_PORT, &p, 0) == CURLUE_OK)
      *port = strtol(p, NULL, 10);
  }
  curl_free(scheme);
  curl_free(p);
  if (rc) {
    curl_free(*host);
    *host = NULL;
  }
  return rc;
}

static int curl_ready(void) {
  static bool inited;
  if (!inited) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return RC_INTERNAL;
    inited = true;
  }
  if (!handle && !(handle = curl_easy_init())) return RC_NOMEM;
  return 0;
}

/* header_list: q's headers as curl's list (*out); RC_NOMEM. */
static int header_list(const struct fetch_req *q, struct curl_slist **out) {
  struct curl_slist *hdrs = NULL;
  for (const char *const *h = q->headers; h && *h; h++) {
    struct curl_slist *n = curl_slist_append(hdrs, *h);
    if (!n) {
      curl_slist_free_all(hdrs);
      return RC_NOMEM;
    }
    hdrs = n;
  }
  *out = hdrs;
  return 0;
}

/* set_options: everything a request to url (checked and pinned in x) sets
 * on its easy handle. */
static void set_options(CURL *h, const struct fetch_req *q, const char *url,
                        const char *method, bool send_body,
                        struct curl_slist *resolve, struct curl_slist *hdrs,
                        struct xfer *x) {
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_PROXY, "");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_RESOLVE, resolve);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, on_open);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, x);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (conf.ca_file) curl_easy_setopt(h, CURLOPT_CAINFO, conf.ca_file);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)conf.connect_ms);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                   (long)(q->timeout_ms > 0 ? q->timeout_ms : conf.total_ms));
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->cap);
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION,
                   q->http2 ? (long)CURL_HTTP_VERSION_2TLS
                            : (long)CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "Encore");
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
  if (send_body) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, q->body ? q->body : "");
  }
  if (strcmp(method, send_body ? "POST" : "GET") != 0)
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
}

/* failure: the result code and reason of a transfer that ended in res. */
static int failure(CURLcode res, const struct xfer *x, struct fetch_resp *r) {
  int rc;
  if (x->too_large || res == CURLE_FILESIZE_EXCEEDED) {
    r->error = "the answer is larger than allowed";
    rc = RC_TOO_LARGE;
  } else if (x->refused) {
    r->error = "the connection would reach an address that is not public";
    rc = RC_FORBIDDEN;
  } else if (res == CURLE_OPERATION_TIMEDOUT) {
    r->error = "the service did not answer in time";
    rc = RC_UNAVAILABLE;
  } else if (res == CURLE_PEER_FAILED_VERIFICATION ||
             res == CURLE_SSL_CONNECT_ERROR) {
    r->error = "the TLS handshake failed";
    rc = RC_UNAVAILABLE;
  } else if (x->body.oom) {
    rc = RC_NOMEM;
  } else {
    r->error = "the service could not be reached";
    rc = RC_UNAVAILABLE;
  }
  return rc;
}

/* exchange: one request to url (already checked and pinned in x). */
static int exchange(const struct fetch_req *q, const char *url,
                    const char *method, bool send_body,
                    struct curl_slist *resolve, struct xfer *x,
                    struct fetch_resp *r) {
  struct curl_slist *hdrs = NULL;
  int rc = header_list(q, &hdrs);
  if (rc) return rc;
  curl_easy_reset(handle);
  set_options(handle, q, url, method, send_body, resolve, hdrs, x);
  CURLcode res = curl_easy_perform(handle);
  curl_slist_free_all(hdrs);
  curl_easy_setopt(handle, CURLOPT_RESOLVE, NULL);
  if (res != CURLE_OK) return failure(res, x, r);
  long status = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  r->status = (int)status;
  return 0;
}

int fetch(struct arena *a, const struct fetch_req *q, struct fetch_resp *r) {
  *r = (struct fetch_resp){.body = ""};
  int rc = curl_ready();
  if (rc) return rc;
  CURLU *u = curl_url();
  if (!u) return RC_NOMEM;
  struct fetch_header *hdr = arena_alloc(a, sizeof *hdr * FETCH_HEADERS_MAX);
  if (!hdr) {
    curl_url_cleanup(u);
    return RC_NOMEM;
  }
  bool send_body = q->body != NULL;
  const char *method = q->method ? q->method : send_body ? "POST" : "GET";
  const char *url = q->url;
  for (int hop = 0;; hop++) {
    char *host = NULL;
    long port = 443;
    struct curl_slist *resolve = NULL;
    struct xfer x = {
        .a = a, .cap = q->body_max ? q->body_max : conf.body_max, .h = hdr};
    sbuf_init(&x.body, a);
    rc = target(u, url, &host, &port, &r->error);
    if (!rc) rc = pin(a, host, port, &x, &resolve, &r->error);
    char *full = NULL;
    if (!rc && curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK)
      rc = RC_INVALID;
    if (!rc) {
      r->url = arena_strdup(a, full);
      rc = exchange(q, full, method, send_body, resolve, &x, r);
    }
    curl_free(full);
    curl_free(host);
    curl_slist_free_all(resolve);
    if (rc) break;
    r->headers = hdr;
    r->nheaders = x.nh;
    r->body = x.body.s ? x.body.s : "";
    r->len = x.body.len;
    const char *loc = fetch_header(r, "Location");
    bool moved = r->status == 301 || r->status == 302 || r->status == 303 ||
                 r->status == 307 || r->status == 308;
    if (!moved || !loc || hop >= q->redirects) break;
    /* The next hop, resolved against this one by curl's parser (which
     * still holds this URL), checked again from the start. */
    if (curl_url_set(u, CURLUPART_URL, loc, 0) != CURLUE_OK) {
      r->error = "a redirect's Location is malformed";
      rc = RC_INVALID;
      break;
    }
    char *next = NULL;
    if (curl_url_get(u, CURLUPART_URL, &next, 0) != CURLUE_OK) {
      rc = RC_INVALID;
      break;
    }
    url = arena_strdup(a, next);
    curl_free(next);
    if (!url) {
      rc = RC_NOMEM;
      break;
    }
    if (r->status == 303 ||
        ((r->status == 301 || r->status == 302) && send_body)) {
      send_body = false;
      method = "GET";
    }
  }
  curl_url_cleanup(u);
  if (rc) {
    r->status = 0;
    r->body = "";
    r->len = 0;
    r->nheaders = 0;
  }
  return rc;
}

const char *fetch_header(const struct fetch_resp *r, const char *name) {
  for (int i = 0; i < r->nheaders; i++)
    if (!strcasecmp(r->headers[i].name, name)) return r->headers[i].value;
  return NULL;
}

void fetch_close(void) {
  if (handle) curl_easy_cleanup(handle);
  handle = NULL;
  if (multi) curl_multi_cleanup(multi);
  multi = NULL;
  free(conf.ca_file);
  conf.ca_file = NULL;
}

/* --- many at once (push delivery) ---------------------------------------- */

/* A request of fetch_many in flight. */
struct flight {
  CURL *h;
  int i; /* its index in q[] */
  struct xfer x;
  struct curl_slist *hdrs;
};

/* A host pinned once per call of fetch_many. */
struct pinned {
  char *host;
  long port;
  struct sockaddr_storage pin;
  struct curl_slist *resolve;
  int rc;
  const char *why;
};

/* pin_once: the pin of host:port, resolved and checked the first time. */
static struct pinned *pin_once(struct arena *a, struct pinned *p, int *np,
                               int max, char *host, long port) {
  for (int i = 0; i < *np; i++)
    if (p[i].port == port && !strcmp(p[i].host, host)) {
      curl_free(host);
      return &p[i];
    }
  if (*np == max) {
    curl_free(host);
    return NULL;
  }
  struct pinned *n = &p[(*np)++];
  struct xfer x = {0};
  *n = (struct pinned){.host = host, .port = port};
  n->rc = pin(a, host, port, &x, &n->resolve, &n->why);
  n->pin = x.pin;
  return n;
}

/* start: q's easy handle, added to the multi handle; rc otherwise. */
static int start(struct arena *a, const struct fetch_req *q, int i,
                 struct pinned *p, const char *url, struct flight *f,
                 struct fetch_resp *r) {
  bool send_body = q->body != NULL;
  const char *method = q->method ? q->method : send_body ? "POST" : "GET";
  *f = (struct flight){.i = i,
                       .x = {.a = a,
                             .cap = q->body_max ? q->body_max : conf.body_max,
                             .h = arena_alloc(a, sizeof(struct fetch_header) *
                                                     FETCH_HEADERS_MAX),
                             .pin = p->pin}};
  sbuf_init(&f->x.body, a);
  r->url = arena_strdup(a, url);
  if (!f->x.h || !r->url || header_list(q, &f->hdrs)) return RC_NOMEM;
  if (!(f->h = curl_easy_init())) {
    curl_slist_free_all(f->hdrs);
    return RC_NOMEM;
  }
  set_options(f->h, q, url, method, send_body, p->resolve, f->hdrs, &f->x);
  if (q->http2) curl_easy_setopt(f->h, CURLOPT_PIPEWAIT, 1L);
  curl_easy_setopt(f->h, CURLOPT_PRIVATE, f);
  if (curl_multi_add_handle(multi, f->h) != CURLM_OK) {
    curl_easy_cleanup(f->h);
    curl_slist_free_all(f->hdrs);
    return RC_INTERNAL;
  }
  return 0;
}

/* finish: the answer of a transfer that ended with res, into r and rc. */
static void finish(struct flight *f, CURLcode res, struct fetch_resp *r,
                   int *rc) {
  if (res != CURLE_OK) {
    *rc = failure(res, &f->x, r);
  } else {
    long status = 0;
    curl_easy_getinfo(f->h, CURLINFO_RESPONSE_CODE, &status);
    r->status = (int)status;
    r->headers = f->x.h;
    r->nheaders = f->x.nh;
    r->body = f->x.body.s ? f->x.body.s : "";
    r->len = f->x.body.len;
    *rc = 0;
  }
  curl_multi_remove_handle(multi, f->h);
  curl_easy_cleanup(f->h);
  curl_slist_free_all(f->hdrs);
  f->h = NULL;
}

int fetch_many(struct arena *a, const struct fetch_req *q, struct fetch_resp *r,
               int *rc, int n, int parallel) {
  int err = curl_ready();
  if (err) return err;
  if (!multi) {
    if (!(multi = curl_multi_init())) return RC_NOMEM;
    curl_multi_setopt(multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
  }
  if (parallel < 1) parallel = 1;
  if (parallel > n) parallel = n;
  enum { PINS = 64 };
  struct flight *fl = arena_alloc(a, sizeof *fl * (size_t)(parallel + 1));
  struct pinned *pins = arena_alloc(a, sizeof *pins * PINS);
  CURLU *u = curl_url();
  int npins = 0, next = 0, active = 0;
  if (!fl || !pins || !u) {
    curl_url_cleanup(u);
    return RC_NOMEM;
  }
  for (int k = 0; k < parallel; k++)
    fl[k].h = NULL;
  err = 0;
  while (!err && (next < n || active)) {
    /* Fill the free slots. */
    for (int k = 0; k < parallel && next < n; k++) {
      if (fl[k].h) continue;
      int i = next++;
      char *host = NULL, *full = NULL;
      long port = 443;
      r[i] = (struct fetch_resp){.body = ""};
      rc[i] = target(u, q[i].url, &host, &port, &r[i].error);
      struct pinned *p =
          rc[i] ? NULL : pin_once(a, pins, &npins, PINS, host, port);
      if (!rc[i] && !p) rc[i] = RC_NOMEM;
      if (!rc[i] && p->rc) {
        rc[i] = p->rc;
        r[i].error = p->why;
      }
      if (!rc[i] && curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK)
        rc[i] = RC_INVALID;
      if (!rc[i]) rc[i] = start(a, &q[i], i, p, full, &fl[k], &r[i]);
      curl_free(full);
      if (!rc[i]) active++;
    }
    int still = 0;
    if (curl_multi_perform(multi, &still) != CURLM_OK ||
        curl_multi_poll(multi, NULL, 0, 200, NULL) != CURLM_OK) {
      err = RC_INTERNAL;
      break;
    }
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(multi, &left))) {
      if (m->msg != CURLMSG_DONE) continue;
      struct flight *f = NULL;
      curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&f);
      if (!f) continue;
      finish(f, m->data.result, &r[f->i], &rc[f->i]);
      active--;
    }
  }
  /* Only on an internal failure: what is still in flight is abandoned. */
  for (int k = 0; k < parallel; k++)
    if (fl[k].h) {
      r[fl[k].i].error = "the transfer was abandoned";
      rc[fl[k].i] = RC_UNAVAILABLE;
      curl_multi_remove_handle(multi, fl[k].h);
      curl_easy_cleanup(fl[k].h);
      curl_slist_free_all(fl[k].hdrs);
    }
  for (int k = 0; k < npins; k++) {
    curl_free(pins[k].host);
    curl_slist_free_all(pins[k].resolve);
  }
  curl_url_cleanup(u);
  return err;
}

bool fetch_addr_allowed(const struct sockaddr *sa) {
  return reachable(sa);
}

int fetch_url_allowed(const char *url, const char **why) {
  CURLU *u = curl_url();
  char *host = NULL;
  long port = 443;
  if (!u) return RC_NOMEM;
  int rc = target(u, url, &host, &port, why);
  if (!rc) {
    struct sockaddr_storage ss;
    char hp[300];
    bool v6 = strchr(host, ':') != NULL && host[0] != '[';
    snprintf(hp, sizeof hp, v6 ? "[%s]:%ld" : "%s:%ld", host, port);
    size_t hl = strlen(host);
    if (!parse_hostport(hp, strlen(hp), &ss)) {
      if (!reachable((const struct sockaddr *)&ss)) {
        *why = "the address is not public";
        rc = RC_FORBIDDEN;
      }
    } else if (!strcasecmp(host, "localhost") ||
               (hl > 10 && !strcasecmp(host + hl - 10, ".localhost")) ||
               !strchr(host, '.')) {
      *why = "the host is not a public name";
      rc = RC_FORBIDDEN;
    }
  }
  curl_free(host);
  curl_url_cleanup(u);
  return rc;
}
