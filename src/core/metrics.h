/* metrics: the service's counters and histograms for Prometheus. The prefork
 * master maps one shared region before it forks; each worker owns one slot
 * of it and counts into that slot alone (a single writer: relaxed atomic
 * loads and stores, no lock and no shared cache line on the request path);
 * a scrape sums the slots in use. A process that never called
 * metrics_map (the batch programs, the tools, a test) counts nothing: every
 * recording function is then a no-op. */
#ifndef ENCORE_METRICS_H
#define ENCORE_METRICS_H

#include <stdbool.h>
#include <sys/types.h>

struct sbuf;

/* Slots: one per worker process the master can have at once. */
#define METRICS_SLOTS 512
/* Routes counted one by one; a route past these, and a request that
 * matched none, are counted under route="other". */
#define METRICS_ROUTES 320
/* Cache namespaces (the first word of a memcached key) counted one by one;
 * the rest under namespace="other". */
#define METRICS_NAMESPACES 48

/* The plain counters. */
enum metrics_counter {
  METRICS_LOGINS,          /* successful password logins */
  METRICS_LOGIN_FAILURES,  /* wrong user or password */
  METRICS_LOGIN_THROTTLED, /* login attempts refused by the throttle */
  METRICS_LISTENS,         /* listens stored */
  METRICS_COUNTERS
};

/* The timed dependencies. */
enum metrics_dep { METRICS_DB, METRICS_KV, METRICS_DEPS };

/* How a route is labelled. */
struct metrics_route {
  const char *method;
  const char *path; /* as the spec writes it: /api/v1/users/{username} */
};

/* metrics_map: map the shared region for `nroutes` routes (the table is
 * kept, not copied: static storage or never freed). Called once by the
 * master before it forks. Returns 0, or -1 (then nothing is counted). */
int metrics_map(const struct metrics_route *routes, int nroutes);
/* metrics_enabled: was the region mapped? */
bool metrics_enabled(void);
/* metrics_worker_start: the master's side of a fork: the child with pid
 * takes slot `slot`; counted as a start, and as a restart when `restart`
 * (a replacement for a worker that died). */
void metrics_worker_start(int slot, pid_t pid, bool restart);
/* metrics_worker_exit: the master's side of a reaped worker: a crash when
 * !clean. The slot's requests in flight are cleared (it died in one). */
void metrics_worker_exit(int slot, bool clean);
/* metrics_attach: in the worker after fork: count into slot `slot`. */
void metrics_attach(int slot);

/* metrics_request_begin: a request starts (in flight). */
void metrics_request_begin(void);
/* metrics_request_end: a request ended: its route index (-1: none),
 * status and duration in microseconds. */
void metrics_request_end(int route, int status, long long usec);
/* metrics_dep: one call of a dependency, failed or not, and its duration. */
void metrics_dep(enum metrics_dep dep, bool error, long long usec);
/* metrics_cache: one cache lookup of key (its namespace is the text before
 * the first ':'), a hit or a miss. */
void metrics_cache(const char *key, bool hit);
/* metrics_count: add n to a counter. */
void metrics_count(enum metrics_counter c, long long n);
/* metrics_now_us: a monotonic clock in microseconds, for durations. */
long long metrics_now_us(void);

/* metrics_render: the text exposition (format 0.0.4) of everything counted,
 * summed over the slots, appended to b. */
void metrics_render(struct sbuf *b);
/* metrics_label: append v to b as a label value (backslash, double quote
 * and newline escaped). */
void metrics_label(struct sbuf *b, const char *v);

#endif
