/* metrics: per-worker slots in one shared mapping, summed into the
 * Prometheus text format at scrape time; see metrics.h. */
#include "core/metrics.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "core/str.h"

/* Upper bounds of the histograms' buckets, in microseconds (+Inf is the
 * count). One set for requests and dependency calls alike. */
static const long long bucket_us[] = {
    100,   250,    500,    1000,   2500,    5000,    10000,   25000,
    50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
};
#define NBUCKETS ((int)(sizeof bucket_us / sizeof bucket_us[0]))

/* The statuses counted one by one; any other under the last index. */
static const int status_codes[] = {
    200, 201, 202, 204, 206, 301, 302, 303, 304, 400, 401, 403, 404, 405, 406,
    409, 410, 412, 413, 415, 416, 422, 426, 428, 429, 500, 501, 502, 503, 504,
};
#define NCODES ((int)(sizeof status_codes / sizeof status_codes[0]) + 1)

/* Index METRICS_ROUTES counts "other". */
#define NROUTES (METRICS_ROUTES + 1)

struct histogram {
  uint64_t bucket[NBUCKETS]; /* not cumulative here: summed when rendered */
  uint64_t sum_us;
  uint64_t count;
};

/* One worker's counters; only that worker writes them (the master only
 * clears in_flight of a dead worker's slot). */
struct slot {
  uint64_t used; /* ever taken: its counters are part of every sum */
  uint64_t pid;
  uint64_t in_flight;
  uint64_t requests[NROUTES][NCODES];
  struct histogram latency[NROUTES];
  uint64_t dep_errors[METRICS_DEPS];
  struct histogram dep[METRICS_DEPS];
  uint64_t cache[METRICS_NAMESPACES + 1][2]; /* [ns][hit] */
  uint64_t counters[METRICS_COUNTERS];
};

/* A namespace name is claimed once by whichever process sees it first. */
struct ns_name {
  uint32_t state; /* 0 free, 1 being written, 2 ready */
  char name[28];
};

/* The master's counters, then the namespace names, then the slots. */
struct region {
  uint64_t starts, restarts, crashes;
  struct ns_name ns[METRICS_NAMESPACES];
  struct slot slots[METRICS_SLOTS];
};

static struct region *region;
static struct slot *mine; /* this worker's slot, or NULL */
static const struct metrics_route *route_table;
static int route_count;

/* Single-writer counters: a relaxed load and store, never torn on the
 * 64-bit targets Encore runs on, and no locked instruction. */
static inline void add(uint64_t *p, uint64_t n) {
  __atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + n,
                   __ATOMIC_RELAXED);
}

static inline uint64_t get(const uint64_t *p) {
  return __atomic_load_n(p, __ATOMIC_RELAXED);
}

int metrics_map(const struct metrics_route *routes, int nroutes) {
  void *p = mmap(NULL, sizeof *region, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return -1;
  region = p; /* zero-filled: pages are touched only by the slots in use */
  route_table = routes;
  route_count = nroutes < METRICS_ROUTES ? nroutes : METRICS_ROUTES;
  return 0;
}

bool metrics_enabled(void) {
  return region != NULL;
}

void metrics_worker_start(int slot, pid_t pid, bool restart) {
  if (!region || slot < 0 || slot >= METRICS_SLOTS) return;
  add(&region->slots[slot].used, get(&region->slots[slot].used) ? 0 : 1);
  __atomic_store_n(&region->slots[slot].pid, (uint64_t)pid, __ATOMIC_RELAXED);
  add(&region->starts, 1);
  if (restart) add(&region->restarts, 1);
}

void metrics_worker_exit(int slot, bool clean) {
  if (!region || slot < 0 || slot >= METRICS_SLOTS) return;
  __atomic_store_n(&region->slots[slot].in_flight, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&region->slots[slot].pid, 0, __ATOMIC_RELAXED);
  if (!clean) add(&region->crashes, 1);
}

void metrics_attach(int slot) {
  mine =
      region && slot >= 0 && slot < METRICS_SLOTS ? &region->slots[slot] : NULL;
}

long long metrics_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void observe(struct histogram *h, long long usec) {
  if (usec < 0) usec = 0;
  int i = 0;
  while (i < NBUCKETS && usec > bucket_us[i])
    i++;
  if (i < NBUCKETS) add(&h->bucket[i], 1);
  add(&h->sum_us, (uint64_t)usec);
  add(&h->count, 1);
}

static int code_index(int status) {
  for (int i = 0; i < NCODES - 1; i++)
    if (status_codes[i] == status) return i;
  return NCODES - 1;
}

void metrics_request_begin(void) {
  if (mine) add(&mine->in_flight, 1);
}

void metrics_request_end(int route, int status, long long usec) {
  if (!mine) return;
  if (route < 0 || route >= route_count) route = METRICS_ROUTES;
  __atomic_store_n(&mine->in_flight, get(&mine->in_flight) - 1,
                   __ATOMIC_RELAXED);
  add(&mine->requests[route][code_index(status)], 1);
  observe(&mine->latency[route], usec);
}

void metrics_dep(enum metrics_dep dep, bool error, long long usec) {
  if (!mine) return;
  if (error) add(&mine->dep_errors[dep], 1);
  observe(&mine->dep[dep], usec);
}

/* ns_index: the namespace slot of the first word of key, claiming a free
 * one for a word not seen before; METRICS_NAMESPACES when full. */
static int ns_index(const char *key) {
  size_t n = strcspn(key, ":");
  if (n == 0 || n >= sizeof region->ns[0].name || !key[n])
    return METRICS_NAMESPACES;
  for (int i = 0; i < METRICS_NAMESPACES; i++) {
    struct ns_name *e = &region->ns[i];
    uint32_t st = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE);
    if (st == 0) {
      uint32_t free_state = 0;
      if (__atomic_compare_exchange_n(&e->state, &free_state, 1, false,
                                      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        memcpy(e->name, key, n);
        e->name[n] = '\0';
        __atomic_store_n(&e->state, 2, __ATOMIC_RELEASE);
        return i;
      }
      st = free_state;
    }
    if (st == 1) return METRICS_NAMESPACES; /* being named: rare, once */
    if (strncmp(e->name, key, n) == 0 && e->name[n] == '\0') return i;
  }
  return METRICS_NAMESPACES;
}

void metrics_cache(const char *key, bool hit) {
  if (!mine || !key) return;
  add(&mine->cache[ns_index(key)][hit ? 1 : 0], 1);
}

void metrics_count(enum metrics_counter c, long long n) {
  if (mine && n > 0) add(&mine->counters[c], (uint64_t)n);
}

/* --- exposition ----------------------------------------------------------- */

void metrics_label(struct sbuf *b, const char *v) {
  for (const char *p = v; *p; p++) {
    if (*p == '\\')
      sbuf_adds(b, "\\\\");
    else if (*p == '"')
      sbuf_adds(b, "\\\"");
    else if (*p == '\n')
      sbuf_adds(b, "\\n");
    else
      sbuf_addc(b, *p);
  }
}

static void head(struct sbuf *b, const char *name, const char *type,
                 const char *help) {
  sbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* route_labels: method="..",route=".." of route index i. */
static void route_labels(struct sbuf *b, int i) {
  sbuf_adds(b, "method=\"");
  metrics_label(b, i < route_count ? route_table[i].method : "other");
  sbuf_adds(b, "\",route=\"");
  metrics_label(b, i < route_count ? route_table[i].path : "other");
  sbuf_addc(b, '"');
}

/* The sums over the slots in use. */
struct totals {
  uint64_t in_flight, workers;
  uint64_t requests[NROUTES][NCODES];
  struct histogram latency[NROUTES];
  uint64_t dep_errors[METRICS_DEPS];
  struct histogram dep[METRICS_DEPS];
  uint64_t cache[METRICS_NAMESPACES + 1][2];
  uint64_t counters[METRICS_COUNTERS];
};

static void sum_histogram(struct histogram *to, const struct histogram *h) {
  for (int k = 0; k < NBUCKETS; k++)
    to->bucket[k] += get(&h->bucket[k]);
  to->sum_us += get(&h->sum_us);
  to->count += get(&h->count);
}

static void sum(struct totals *t) {
  for (int s = 0; s < METRICS_SLOTS; s++) {
    const struct slot *sl = &region->slots[s];
    if (!get(&sl->used)) continue;
    t->in_flight += get(&sl->in_flight);
    t->workers += get(&sl->pid) != 0;
    for (int i = 0; i <= route_count; i++) {
      int r = i < route_count ? i : METRICS_ROUTES;
      for (int c = 0; c < NCODES; c++)
        t->requests[r][c] += get(&sl->requests[r][c]);
      sum_histogram(&t->latency[r], &sl->latency[r]);
    }
    for (int d = 0; d < METRICS_DEPS; d++) {
      t->dep_errors[d] += get(&sl->dep_errors[d]);
      sum_histogram(&t->dep[d], &sl->dep[d]);
    }
    for (int n = 0; n <= METRICS_NAMESPACES; n++)
      for (int h = 0; h < 2; h++)
        t->cache[n][h] += get(&sl->cache[n][h]);
    for (int c = 0; c < METRICS_COUNTERS; c++)
      t->counters[c] += get(&sl->counters[c]);
  }
}

/* histogram_lines: the _bucket (cumulative), _sum and _count lines of h
 * under name, with `labels` (already written into a label list, may be
 * empty) first. */
static void histogram_lines(struct sbuf *b, const char *name,
                            const char *labels, const struct histogram *h) {
  uint64_t cum = 0;
  const char *sep = *labels ? "," : "";
  for (int k = 0; k < NBUCKETS; k++) {
    cum += h->bucket[k];
    sbuf_printf(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep,
                bucket_us[k] / 1e6, (unsigned long long)cum);
  }
  sbuf_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
              (unsigned long long)h->count);
  const char *open = *labels ? "{" : "", *close = *labels ? "}" : "";
  sbuf_printf(b, "%s_sum%s%s%s %.6f\n", name, open, labels, close,
              h->sum_us / 1e6);
  sbuf_printf(b, "%s_count%s%s%s %llu\n", name, open, labels, close,
              (unsigned long long)h->count);
}

static void render_requests(struct sbuf *b, const struct totals *t) {
  head(b, "encore_http_requests_total", "counter",
       "Requests answered by the API workers, by route and status.");
  uint64_t throttled = 0;
  for (int i = 0; i <= route_count; i++) {
    int r = i < route_count ? i : METRICS_ROUTES;
    for (int c = 0; c < NCODES; c++) {
      if (!t->requests[r][c]) continue;
      if (c < NCODES - 1 && status_codes[c] == 429)
        throttled += t->requests[r][c];
      sbuf_adds(b, "encore_http_requests_total{");
      route_labels(b, i);
      if (c < NCODES - 1)
        sbuf_printf(b, ",code=\"%d\"} %llu\n", status_codes[c],
                    (unsigned long long)t->requests[r][c]);
      else
        sbuf_printf(b, ",code=\"other\"} %llu\n",
                    (unsigned long long)t->requests[r][c]);
    }
  }
  head(b, "encore_http_request_duration_seconds", "histogram",
       "Time from the request's arrival at a worker to its response sent.");
  for (int i = 0; i <= route_count; i++) {
    int r = i < route_count ? i : METRICS_ROUTES;
    if (!t->latency[r].count) continue;
    struct sbuf l;
    sbuf_init(&l, b->a);
    route_labels(&l, i);
    histogram_lines(b, "encore_http_request_duration_seconds", l.oom ? "" : l.s,
                    &t->latency[r]);
  }
  head(b, "encore_http_throttled_total", "counter",
       "Requests the API answered 429 (its own throttles and caps).");
  sbuf_printf(b, "encore_http_throttled_total %llu\n",
              (unsigned long long)throttled);
  head(b, "encore_http_requests_in_flight", "gauge",
       "Requests being handled by the workers now.");
  sbuf_printf(b, "encore_http_requests_in_flight %llu\n",
              (unsigned long long)t->in_flight);
}

static void render_workers(struct sbuf *b, const struct totals *t) {
  static const struct {
    const char *name, *help;
    size_t off;
  } rows[] = {
      {"encore_worker_starts_total", "Worker processes forked by the master.",
       offsetof(struct region, starts)},
      {"encore_worker_restarts_total",
       "Workers forked to replace one that died.",
       offsetof(struct region, restarts)},
      {"encore_worker_crashes_total",
       "Workers that died by a signal or a non-zero exit.",
       offsetof(struct region, crashes)},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    head(b, rows[i].name, "counter", rows[i].help);
    sbuf_printf(b, "%s %llu\n", rows[i].name,
                (unsigned long long)get(
                    (const uint64_t *)((const char *)region + rows[i].off)));
  }
  head(b, "encore_workers", "gauge", "Worker processes alive.");
  sbuf_printf(b, "encore_workers %llu\n", (unsigned long long)t->workers);
}

static void render_backends(struct sbuf *b, const struct totals *t) {
  static const char *const names[METRICS_DEPS] = {
      [METRICS_DB] = "mariadb",
      [METRICS_KV] = "memcached",
  };
  head(b, "encore_backend_calls_total", "counter",
       "Calls to MariaDB (statements) and memcached (commands).");
  for (int d = 0; d < METRICS_DEPS; d++)
    sbuf_printf(b, "encore_backend_calls_total{backend=\"%s\"} %llu\n",
                names[d], (unsigned long long)t->dep[d].count);
  head(b, "encore_backend_errors_total", "counter",
       "Calls to MariaDB or memcached that failed.");
  for (int d = 0; d < METRICS_DEPS; d++)
    sbuf_printf(b, "encore_backend_errors_total{backend=\"%s\"} %llu\n",
                names[d], (unsigned long long)t->dep_errors[d]);
  head(b, "encore_backend_call_duration_seconds", "histogram",
       "Duration of the calls to MariaDB and memcached.");
  for (int d = 0; d < METRICS_DEPS; d++) {
    char l[32];
    snprintf(l, sizeof l, "backend=\"%s\"", names[d]);
    histogram_lines(b, "encore_backend_call_duration_seconds", l, &t->dep[d]);
  }
  head(b, "encore_cache_requests_total", "counter",
       "Cache lookups by namespace (a key's first word) and result.");
  for (int n = 0; n <= METRICS_NAMESPACES; n++) {
    const char *name = "other";
    if (n < METRICS_NAMESPACES) {
      if (__atomic_load_n(&region->ns[n].state, __ATOMIC_ACQUIRE) != 2)
        continue;
      name = region->ns[n].name;
    }
    for (int h = 0; h < 2; h++) {
      if (!t->cache[n][h]) continue;
      sbuf_adds(b, "encore_cache_requests_total{namespace=\"");
      metrics_label(b, name);
      sbuf_printf(b, "\",result=\"%s\"} %llu\n", h ? "hit" : "miss",
                  (unsigned long long)t->cache[n][h]);
    }
  }
}

static void render_counters(struct sbuf *b, const struct totals *t) {
  static const struct {
    const char *name, *help;
  } rows[METRICS_COUNTERS] = {
      [METRICS_LOGINS] = {"encore_logins_total", "Successful logins."},
      [METRICS_LOGIN_FAILURES] = {"encore_login_failures_total",
                                  "Logins refused for a wrong account or "
                                  "password."},
      [METRICS_LOGIN_THROTTLED] = {"encore_login_throttled_total",
                                   "Login attempts refused by the throttle."},
      [METRICS_LISTENS] = {"encore_listens_ingested_total",
                           "Listens stored, from every route that takes "
                           "them."},
  };
  for (int c = 0; c < METRICS_COUNTERS; c++) {
    head(b, rows[c].name, "counter", rows[c].help);
    sbuf_printf(b, "%s %llu\n", rows[c].name,
                (unsigned long long)t->counters[c]);
  }
}

void metrics_render(struct sbuf *b) {
  if (!region) return;
  static struct totals t; /* large: not on the stack; one scrape at a time */
  memset(&t, 0, sizeof t);
  sum(&t);
  render_requests(b, &t);
  render_workers(b, &t);
  render_backends(b, &t);
  render_counters(b, &t);
}
