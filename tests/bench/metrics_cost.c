/* metrics_cost: what the metrics add to one request, in-process: the
 * counting calls a request makes (one request begin and end, ten MariaDB
 * statements and four memcached gets timed, four cache lookups, a login),
 * timed over many iterations with the counters mapped, against the same
 * calls unmapped (every call returns at once). Prints nanoseconds per
 * request for each.
 *   tests/bench/metrics_cost [ITERATIONS]   (default 2,000,000) */
#include <stdio.h>
#include <stdlib.h>

#include "core/metrics.h"

static const struct metrics_route table[] = {
    {.method = "GET", .path = "/api/v1/me"},
};

/* one_request: the calls of a typical request. */
static void one_request(int i) {
  static const char *const keys[] = {"u:1:me", "sess:9", "ns:recs:1",
                                     "track:5:json"};
  metrics_request_begin();
  for (int k = 0; k < 10; k++) {
    long long t0 = metrics_now_us();
    metrics_dep(METRICS_DB, false, metrics_now_us() - t0);
  }
  for (int k = 0; k < 4; k++) {
    long long t0 = metrics_now_us();
    metrics_dep(METRICS_KV, false, metrics_now_us() - t0);
    metrics_cache(keys[k], (i + k) & 1);
  }
  metrics_count(METRICS_LOGINS, 1);
  metrics_request_end(0, 200, 1500 + i % 1000);
}

static double run(long n) {
  long long t0 = metrics_now_us();
  for (long i = 0; i < n; i++)
    one_request((int)i);
  return (double)(metrics_now_us() - t0) * 1000.0 / (double)n;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 2000000;
  if (n < 1) n = 1;
  double off = run(n);
  if (metrics_map(table, 1)) return 1;
  metrics_worker_start(0, 1, false);
  metrics_attach(0);
  run(n / 10); /* the slot's pages touched */
  double on = run(n);
  printf("metrics off: %.0f ns a request; on: %.0f ns a request "
         "(%ld requests, each 1 begin/end, 14 timed calls, 4 cache lookups, "
         "1 counter)\n",
         off, on, n);
  return 0;
}
