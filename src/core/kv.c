/* kv: memcached through libmemcached, ASCII protocol.
 *
 * Timeouts are short (a local cache answers in well under a millisecond) so
 * that a down server costs a request little, and a server that failed is left
 * alone for a few seconds instead of being retried by every request. Failed
 * servers are never ejected from the ketama ring: keys that lived on them
 * would move to other servers, where older copies of them may still live.
 * Errors instead reach the caller as RC_KV, and callers fall back to MariaDB;
 * an invalidation that fails is reported to the kv_on_lost hook. */
#include "core/kv.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmemcached/memcached.h>

#include "core/arena.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/rc.h"
#include "core/bytes.h"
#include "core/rnd.h"
#include "core/str.h"

#define KV_CONNECT_MS 200  /* connect timeout */
#define KV_POLL_MS 200     /* wait for any reply */
#define KV_RETRY_S 2       /* a failed server is left alone this long */
#define KV_FAILURES 3      /* consecutive failures before the longer pause */
#define KV_DEAD_S 10       /* ... of this many seconds */
#define KV_KEY_MAX 200     /* longer keys are hashed */
#define KV_TTL_REL 2592000 /* memcached reads larger TTLs as a unix time */

struct kv {
  memcached_st *mc;
  time_t last_report; /* rate limit of the "cache unreachable" log line */
  kv_lost_fn lost;    /* told of invalidations that failed */
  void *lost_arg;
  bool in_lost; /* inside the hook: no recursion */
};

/* A key as sent: the caller's, or "h:" + hex SHA-256 of it. */
struct kkey {
  const char *p;
  size_t n;
  char hashed[2 + 64 + 1];
};

static void key_make(struct kkey *k, const char *key) {
  size_t n = strlen(key);
  bool ok = n > 0 && n <= KV_KEY_MAX;
  for (size_t i = 0; ok && i < n; i++) {
    unsigned char c = (unsigned char)key[i];
    if (c <= 0x20 || c == 0x7f) ok = false;
  }
  if (ok) {
    k->p = key;
    k->n = n;
    return;
  }
  unsigned char d[32];
  bytes_sha256(key, n, d);
  k->hashed[0] = 'h';
  k->hashed[1] = ':';
  bytes_hex(d, sizeof d, k->hashed + 2);
  k->p = k->hashed;
  k->n = 2 + 64;
}

static time_t ttl_of(int ttl) {
  if (ttl <= 0) return 0;
  if (ttl > KV_TTL_REL) return time(NULL) + ttl;
  return ttl;
}

/* fail: log (at most every few seconds) and answer RC_KV. */
static int fail(struct kv *k, const char *op, memcached_return_t r) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  if (!k->last_report || ts.tv_sec - k->last_report >= 10) {
    log_msg(LOG_WARN, "kv: cache operation failed", "op", op, "err",
            memcached_last_error_message(k->mc)
                ? memcached_last_error_message(k->mc)
                : memcached_strerror(k->mc, r),
            NULL);
    k->last_report = ts.tv_sec ? ts.tv_sec : 1;
  }
  return RC_KV;
}

/* add_server: one "host[:port]", "[v6]:port" or "/path/to.sock" entry. */
static int add_server(memcached_st *mc, char *s) {
  /* A path (absolute, or relative as a config may leave it) is a socket. */
  if (s[0] == '/' || s[0] == '.' || strchr(s, '/'))
    return memcached_server_add_unix_socket(mc, s) == MEMCACHED_SUCCESS
               ? 0
               : RC_INVALID;
  char *host;
  unsigned port;
  if (str_hostport(s, 11211, &host, &port)) return RC_INVALID;
  return memcached_server_add(mc, host, (in_port_t)port) == MEMCACHED_SUCCESS
             ? 0
             : RC_INVALID;
}

int kv_open(struct kv **out, const char *servers) {
  *out = NULL;
  if (!servers) return RC_INVALID;
  struct kv *k = calloc(1, sizeof *k);
  char *list = strdup(servers);
  if (!k || !list || !(k->mc = memcached_create(NULL))) {
    free(k);
    free(list);
    return RC_NOMEM;
  }
  int rc = 0, n = 0;
  char *save = NULL;
  for (char *s = strtok_r(list, ",", &save); s && !rc;
       s = strtok_r(NULL, ",", &save)) {
    while (*s == ' ' || *s == '\t')
      s++;
    size_t len = strlen(s);
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
      s[--len] = '\0';
    if (!len) continue;
    rc = add_server(k->mc, s);
    n++;
  }
  free(list);
  if (!rc && n == 0) rc = RC_INVALID;
  if (rc) {
    log_msg(LOG_ERROR, "kv: bad server list", "servers", servers, NULL);
    kv_close(k);
    return rc;
  }
  memcached_st *mc = k->mc;
  memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_NO_BLOCK, 0);
  memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
  memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, KV_CONNECT_MS);
  memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_POLL_TIMEOUT, KV_POLL_MS);
  memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, KV_RETRY_S);
  memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_SERVER_FAILURE_LIMIT,
                         KV_FAILURES);
  memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_DEAD_TIMEOUT, KV_DEAD_S);
  if (n > 1) {
    memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_DISTRIBUTION,
                           MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA);
    memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_KETAMA_HASH,
                           MEMCACHED_HASH_MD5);
  }
  *out = k;
  return 0;
}

void kv_close(struct kv *k) {
  if (!k) return;
  if (k->mc) memcached_free(k->mc);
  free(k);
}

int kv_ping(struct kv *k) {
  /* memcached_version skips servers whose version it already knows and
   * answers success without a word to them: "stats" asks every server. */
  memcached_return_t r;
  memcached_stat_st *st = memcached_stat(k->mc, NULL, &r);
  if (st) memcached_stat_free(k->mc, st);
  return r == MEMCACHED_SUCCESS ? 0 : fail(k, "stats", r);
}

int kv_get(struct kv *k, struct arena *a, const char *key, char **val,
           size_t *len) {
  struct kkey kk;
  size_t n = 0;
  uint32_t flags;
  memcached_return_t r;
  *val = NULL;
  if (len) *len = 0;
  key_make(&kk, key);
  long long t0 = metrics_now_us();
  char *v = memcached_get(k->mc, kk.p, kk.n, &n, &flags, &r);
  bool answered = r == MEMCACHED_SUCCESS || r == MEMCACHED_NOTFOUND;
  metrics_dep(METRICS_KV, !answered, metrics_now_us() - t0);
  if (answered) metrics_cache(key, r == MEMCACHED_SUCCESS);
  if (r == MEMCACHED_NOTFOUND) return RC_MISS;
  if (r != MEMCACHED_SUCCESS) {
    free(v);
    return fail(k, "get", r);
  }
  if (!v) n = 0; /* an empty value may come back as NULL */
  char *copy = arena_strndup(a, v ? v : "", n);
  free(v);
  if (!copy) return RC_NOMEM;
  *val = copy;
  if (len) *len = n;
  return 0;
}

/* mget_round: one multi-get of keys[idx[0..m)], routed by the first of them
 * (all of them live on one server when m < n), with the replies matched back
 * to every position of the request. 0, RC_KV or RC_NOMEM. */
static int mget_round(struct kv *k, struct arena *a, const struct kkey *kk,
                      const int *idx, int m, int n, const char **gk, size_t *gn,
                      char **vals, size_t *lens) {
  memcached_return_t r;
  for (int j = 0; j < m; j++) {
    gk[j] = kk[idx[j]].p;
    gn[j] = kk[idx[j]].n;
  }
  if (m < n)
    r = memcached_mget_by_key(k->mc, gk[0], gn[0], gk, gn, (size_t)m);
  else
    r = memcached_mget(k->mc, gk, gn, (size_t)m);
  if (r != MEMCACHED_SUCCESS) {
    /* Drain whatever a server sent anyway, to keep the connection in step
     * for the next command. */
    memcached_result_st *res;
    memcached_return_t r2;
    while ((res = memcached_fetch_result(k->mc, NULL, &r2)))
      memcached_result_free(res);
    return fail(k, "mget", r);
  }
  memcached_result_st result, *res;
  if (!memcached_result_create(k->mc, &result)) return RC_NOMEM;
  int rc = 0;
  while ((res = memcached_fetch_result(k->mc, &result, &r))) {
    const char *rk = memcached_result_key_value(res);
    size_t rkn = memcached_result_key_length(res);
    size_t vn = memcached_result_length(res);
    const char *vv = memcached_result_value(res);
    if (!vv) vn = 0;
    /* A key asked twice gets the value at both positions. */
    for (int i = 0; i < n && !rc; i++) {
      if (vals[i] || kk[i].n != rkn || memcmp(kk[i].p, rk, rkn) != 0) continue;
      if (!(vals[i] = arena_strndup(a, vv ? vv : "", vn))) rc = RC_NOMEM;
      if (lens) lens[i] = vn;
    }
  }
  memcached_result_free(&result);
  if (!rc && r != MEMCACHED_END && r != MEMCACHED_SUCCESS &&
      r != MEMCACHED_NOTFOUND)
    rc = fail(k, "mget", r);
  return rc;
}

int kv_mget(struct kv *k, struct arena *a, const char *const *keys, int n,
            char **vals, size_t *lens) {
  if (n <= 0) return 0;
  for (int i = 0; i < n; i++) {
    vals[i] = NULL;
    if (lens) lens[i] = 0;
  }
  struct kkey *kk = malloc(sizeof *kk * (size_t)n);
  const memcached_instance_st **srv = malloc(sizeof *srv * (size_t)n);
  int *idx = malloc(sizeof *idx * (size_t)n);
  const char **gk = malloc(sizeof *gk * (size_t)n);
  size_t *gn = malloc(sizeof *gn * (size_t)n);
  int rc = 0;
  long long t0 = 0;
  if (!kk || !srv || !idx || !gk || !gn) {
    rc = RC_NOMEM;
    goto out;
  }
  for (int i = 0; i < n; i++)
    key_make(&kk[i], keys[i]);
  t0 = metrics_now_us();
  if (memcached_server_count(k->mc) <= 1) {
    for (int i = 0; i < n; i++)
      idx[i] = i;
    rc = mget_round(k, a, kk, idx, n, n, gk, gn, vals, lens);
    goto out;
  }
  /* Several servers: libmemcached's mget silently skips the keys of a
   * server it cannot reach, which would read as misses. One round per
   * server instead, so that such a failure is seen. */
  for (int i = 0; i < n; i++) {
    memcached_return_t r;
    srv[i] = memcached_server_by_key(k->mc, kk[i].p, kk[i].n, &r);
    if (!srv[i]) {
      rc = fail(k, "mget", r);
      goto out;
    }
  }
  for (int i = 0; i < n && !rc; i++) {
    if (!srv[i]) continue; /* already asked */
    int m = 0;
    const memcached_instance_st *s = srv[i];
    for (int j = i; j < n; j++)
      if (srv[j] == s) {
        idx[m++] = j;
        srv[j] = NULL;
      }
    rc = mget_round(k, a, kk, idx, m, n, gk, gn, vals, lens);
  }
out:
  if (t0) {
    metrics_dep(METRICS_KV, rc != 0, metrics_now_us() - t0);
    for (int i = 0; i < n && !rc; i++)
      metrics_cache(keys[i], vals[i] != NULL);
  }
  if (rc)
    for (int i = 0; i < n; i++) {
      vals[i] = NULL;
      if (lens) lens[i] = 0;
    }
  free(kk);
  free(srv);
  free(idx);
  free(gk);
  free(gn);
  return rc;
}

int kv_set(struct kv *k, const char *key, const void *val, size_t len,
           int ttl) {
  struct kkey kk;
  key_make(&kk, key);
  long long t0 = metrics_now_us();
  memcached_return_t r =
      memcached_set(k->mc, kk.p, kk.n, val, len, ttl_of(ttl), 0);
  metrics_dep(METRICS_KV, r != MEMCACHED_SUCCESS, metrics_now_us() - t0);
  return r == MEMCACHED_SUCCESS ? 0 : fail(k, "set", r);
}

int kv_add(struct kv *k, const char *key, const void *val, size_t len,
           int ttl) {
  struct kkey kk;
  key_make(&kk, key);
  memcached_return_t r =
      memcached_add(k->mc, kk.p, kk.n, val, len, ttl_of(ttl), 0);
  if (r == MEMCACHED_SUCCESS) return 0;
  if (r == MEMCACHED_NOTSTORED || r == MEMCACHED_DATA_EXISTS)
    return RC_CONFLICT;
  return fail(k, "add", r);
}

void kv_on_lost(struct kv *k, kv_lost_fn fn, void *arg) {
  k->lost = fn;
  k->lost_arg = arg;
}

/* lost: tell the hook that an invalidation of key did not reach the cache. */
static void lost(struct kv *k, enum kv_lost op, const char *key) {
  if (!k->lost || k->in_lost) return;
  k->in_lost = true;
  k->lost(k->lost_arg, op, key);
  k->in_lost = false;
}

int kv_del(struct kv *k, const char *key) {
  struct kkey kk;
  key_make(&kk, key);
  memcached_return_t r = memcached_delete(k->mc, kk.p, kk.n, 0);
  if (r == MEMCACHED_SUCCESS || r == MEMCACHED_NOTFOUND) return 0;
  lost(k, KV_LOST_DEL, key);
  return fail(k, "delete", r);
}

int kv_incr(struct kv *k, const char *key, int ttl, unsigned long long *out) {
  struct kkey kk;
  uint64_t v = 0;
  key_make(&kk, key);
  /* increment_with_initial needs the binary protocol; in ASCII: incr, else
   * add "1", and when another client added it first, incr after all. */
  memcached_return_t r = memcached_increment(k->mc, kk.p, kk.n, 1, &v);
  if (r == MEMCACHED_NOTFOUND) {
    r = memcached_add(k->mc, kk.p, kk.n, "1", 1, ttl_of(ttl), 0);
    if (r == MEMCACHED_SUCCESS) {
      *out = 1;
      return 0;
    }
    if (r == MEMCACHED_NOTSTORED || r == MEMCACHED_DATA_EXISTS)
      r = memcached_increment(k->mc, kk.p, kk.n, 1, &v);
  }
  if (r != MEMCACHED_SUCCESS) return fail(k, "incr", r);
  *out = v;
  return 0;
}

static void ns_name(char *buf, size_t n, const char *ns) {
  snprintf(buf, n, "ns:%s", ns);
}

static unsigned long long fresh_version(void) {
  unsigned long long v;
  rnd_bytes(&v, sizeof v);
  return v >> 1; /* printable as a signed value too */
}

int kv_ns_key(struct kv *k, struct arena *a, const char *ns, const char *suffix,
              char **key) {
  char name[256], *val = NULL;
  size_t len;
  unsigned long long ver = 0;
  ns_name(name, sizeof name, ns);
  int rc = kv_get(k, a, name, &val, &len);
  if (rc == RC_MISS) {
    char buf[32];
    ver = fresh_version();
    snprintf(buf, sizeof buf, "%llu", ver);
    rc = kv_add(k, name, buf, strlen(buf), 0);
    if (rc == RC_CONFLICT)
      rc = kv_get(k, a, name, &val, &len);
    else if (rc == 0)
      val = NULL;
  }
  if (rc) return rc == RC_MISS ? RC_KV : rc;
  if (val) ver = strtoull(val, NULL, 10);
  *key = arena_printf(a, "%s:%llu:%s", ns, ver, suffix);
  return *key ? 0 : RC_NOMEM;
}

int kv_ns_bump(struct kv *k, const char *ns) {
  char name[256], buf[32];
  ns_name(name, sizeof name, ns);
  snprintf(buf, sizeof buf, "%llu", fresh_version());
  int rc = kv_set(k, name, buf, strlen(buf), 0);
  if (rc) lost(k, KV_LOST_BUMP, ns);
  return rc;
}

/* store_quiet: a set or add sent with noreply: written at once, its answer
 * never awaited (memcached sends none). */
static int store_quiet(struct kv *k, bool add, const char *key, const void *val,
                       size_t len, int ttl) {
  struct kkey kk;
  key_make(&kk, key);
  memcached_behavior_set(k->mc, MEMCACHED_BEHAVIOR_NOREPLY, 1);
  memcached_return_t r =
      add ? memcached_add(k->mc, kk.p, kk.n, val, len, ttl_of(ttl), 0)
          : memcached_set(k->mc, kk.p, kk.n, val, len, ttl_of(ttl), 0);
  memcached_behavior_set(k->mc, MEMCACHED_BEHAVIOR_NOREPLY, 0);
  return memcached_success(r) ? 0 : fail(k, add ? "add" : "set", r);
}

int kv_set_quiet(struct kv *k, const char *key, const void *val, size_t len,
                 int ttl) {
  return store_quiet(k, false, key, val, len, ttl);
}

int kv_ns_renew(struct kv *k, struct arena *a, const char *const *ns, int n,
                char **vers) {
  for (int i = 0; i < n; i++)
    vers[i] = NULL;
  if (n <= 0) return 0;
  unsigned long long *v = arena_alloc(a, sizeof *v * (size_t)n);
  if (!v) return RC_NOMEM;
  rnd_bytes(v, sizeof *v * (size_t)n);
  /* unanswered sets (buffering them would make libmemcached reconnect) */
  int rc = 0;
  for (int i = 0; i < n && !rc; i++) {
    char name[256], buf[32];
    ns_name(name, sizeof name, ns[i]);
    snprintf(buf, sizeof buf, "%llu", v[i] >> 1);
    if (!(vers[i] = arena_strdup(a, buf)))
      rc = RC_NOMEM;
    else
      rc = store_quiet(k, false, name, buf, strlen(buf), 0);
  }
  if (rc)
    for (int i = 0; i < n; i++) {
      vers[i] = NULL;
      lost(k, KV_LOST_BUMP, ns[i]);
    }
  return rc;
}
