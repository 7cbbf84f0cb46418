/* test_metrics: the shared counters summed over worker slots and rendered
 * in the Prometheus text format 0.0.4: HELP before TYPE, cumulative buckets
 * ending in +Inf equal to _count, escaped label values, and nothing
 * counted by a process that never attached a slot. */
#include "core/metrics.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/str.h"
#include "t.h"

static const struct metrics_route table[] = {
    {.method = "GET", .path = "/api/v1/me"},
    {.method = "POST", .path = "/api/v1/a\"b\\c"},
};

/* render: the exposition as a NUL-terminated string in a. */
static const char *render(struct arena *a) {
  struct sbuf b;
  sbuf_init(&b, a);
  metrics_render(&b);
  return b.oom ? "" : b.s;
}

/* value: the number after the sample line that starts with `line `. */
static double value(const char *text, const char *line) {
  size_t n = strlen(line);
  for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
    if (!strncmp(p, line, n) && p[n] == ' ') return atof(p + n + 1);
  return -1;
}

static void unmapped_counts_nothing(void) {
  CHECK(!metrics_enabled());
  metrics_request_begin();
  metrics_request_end(0, 200, 10);
  metrics_count(METRICS_LOGINS, 1);
  metrics_cache("u:1:me", true);
}

static void slots_sum(void) {
  struct arena *a = arena_new(1 << 16);
  CHECK(metrics_map(table, 2) == 0);
  CHECK(metrics_enabled());
  metrics_worker_start(0, 100, false);
  metrics_worker_start(1, 101, false);
  /* Two workers, each in its slot. */
  metrics_attach(0);
  metrics_request_begin();
  metrics_request_end(0, 200, 800); /* 0.8 ms */
  metrics_request_begin();
  metrics_request_end(0, 200, 3000000); /* 3 s */
  metrics_count(METRICS_LOGINS, 2);
  metrics_cache("u:1:me", true);
  metrics_cache("u:2:me", false);
  metrics_dep(METRICS_DB, false, 150);
  metrics_attach(1);
  metrics_request_begin();
  metrics_request_end(0, 429, 100);
  metrics_request_end(1, 599, 100);  /* an odd status: "other" */
  metrics_request_end(-1, 404, 100); /* no route */
  metrics_count(METRICS_LOGINS, 1);
  metrics_dep(METRICS_KV, true, 50);
  metrics_worker_exit(1, false); /* a crash */
  metrics_worker_start(1, 102, true);
  const char *t = render(a);
  CHECK_HAS(t, "# HELP encore_http_requests_total ");
  CHECK_HAS(t, "# TYPE encore_http_requests_total counter\n");
  CHECK(value(t, "encore_http_requests_total{method=\"GET\",route=\"/api/v1/"
                 "me\",code=\"200\"}") == 2);
  CHECK(value(t, "encore_http_requests_total{method=\"GET\",route=\"/api/v1/"
                 "me\",code=\"429\"}") == 1);
  CHECK_HAS(t, "route=\"/api/v1/a\\\"b\\\\c\",code=\"other\"} 1\n");
  CHECK_HAS(t, "route=\"other\",code=\"404\"} 1\n");
  CHECK(value(t, "encore_http_throttled_total") == 1);
  CHECK(value(t, "encore_logins_total") == 3);
  CHECK(value(t, "encore_worker_starts_total") == 3);
  CHECK(value(t, "encore_worker_restarts_total") == 1);
  CHECK(value(t, "encore_worker_crashes_total") == 1);
  CHECK(value(t, "encore_workers") == 2);
  CHECK(value(t, "encore_backend_errors_total{backend=\"memcached\"}") == 1);
  CHECK(
      value(t, "encore_cache_requests_total{namespace=\"u\",result=\"hit\"}") ==
      1);
  /* Cumulative buckets: 0.1 ms (the 429) falls in le=0.0001, 0.8 ms in
   * le=0.001, 3 s in le=5; +Inf holds all three and equals _count. */
  const char *h = "encore_http_request_duration_seconds";
  char line[256];
  snprintf(line, sizeof line,
           "%s_bucket{method=\"GET\",route=\"/api/v1/me\",le=\"0.0005\"}", h);
  CHECK(value(t, line) == 1);
  snprintf(line, sizeof line,
           "%s_bucket{method=\"GET\",route=\"/api/v1/me\",le=\"0.001\"}", h);
  CHECK(value(t, line) == 2);
  snprintf(line, sizeof line,
           "%s_bucket{method=\"GET\",route=\"/api/v1/me\",le=\"5\"}", h);
  CHECK(value(t, line) == 3);
  snprintf(line, sizeof line,
           "%s_bucket{method=\"GET\",route=\"/api/v1/me\",le=\"+Inf\"}", h);
  CHECK(value(t, line) == 3);
  snprintf(line, sizeof line, "%s_count{method=\"GET\",route=\"/api/v1/me\"}",
           h);
  CHECK(value(t, line) == 3);
  /* The crash cleared the dead worker's request in flight. */
  CHECK(value(t, "encore_http_requests_in_flight") == 0);
  arena_free(a);
}

static void labels_escaped(void) {
  struct arena *a = arena_new(256);
  struct sbuf b;
  sbuf_init(&b, a);
  metrics_label(&b, "a\"b\\c\nd");
  CHECK_STR(b.s, "a\\\"b\\\\c\\nd");
  arena_free(a);
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  T_CASE(unmapped_counts_nothing);
  T_CASE(slots_sum);
  T_CASE(labels_escaped);
  T_DONE();
}
