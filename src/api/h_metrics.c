/* h_metrics: GET /metrics, the Prometheus text exposition (format 0.0.4) of
 * the workers' counters (core/metrics.h) and of the batch programs' last
 * runs (model/batchrun.h). nginx lets only loopback and the configured
 * scrapers reach it; the route needs no token. */
#include "api/handlers.h"

#include "api/app.h"
#include "api/req.h"
#include "core/arena.h"
#include "core/db.h"
#include "core/kv.h"
#include "core/metrics.h"
#include "core/rc.h"
#include "core/str.h"
#include "model/batchrun.h"
#include "model/gauges.h"

int h_metrics(struct req *r) {
  if (!metrics_enabled())
    return req_problem(r, RC_NOT_FOUND, "metrics are switched off");
  struct sbuf b;
  sbuf_init(&b, req_arena(r));
  metrics_render(&b);
  /* Whether this worker reaches its backends now: what the MariaDB and
   * memcached alerts read (the exporters say the same from outside). */
  bool db = db_ping(app.db) == 0, kv = kv_ping(app.kv) == 0;
  sbuf_printf(&b,
              "# HELP encore_backend_up Whether the scraped worker reaches the "
              "backend now.\n# TYPE encore_backend_up gauge\n"
              "encore_backend_up{backend=\"mariadb\"} %d\n"
              "encore_backend_up{backend=\"memcached\"} %d\n",
              db, kv);
  /* The families read from MariaDB: without it the workers' own families
   * are still worth a scrape. */
  if (db) {
    batchrun_render(app.db, req_arena(r), &b);
    gauges_render(app.db, req_arena(r), &b);
  }
  if (b.oom) return req_problem(r, RC_NOMEM, NULL);
  req_set_header(r, "Cache-Control", "no-store");
  return req_reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", b.s,
                        b.len);
}
