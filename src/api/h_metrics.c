/* h_metrics: GET /metrics, the Prometheus text exposition (format 0.0.4) of
 * the workers' counters (core/metrics.h) and of the batch programs' last
 * runs (model/batchrun.h). nginx lets only loopback and the configured
 * scrapers reach it; the route needs no token. */
#include "api/handlers.h"

#include "api/app.h"
#include "api/req.h"
#include "core/arena.h"
#include "core/metrics.h"
#include "core/rc.h"
#include "core/str.h"
#include "model/batchrun.h"

int h_metrics(struct req *r) {
  if (!metrics_enabled())
    return req_problem(r, RC_NOT_FOUND, "metrics are switched off");
  struct sbuf b;
  sbuf_init(&b, req_arena(r));
  metrics_render(&b);
  /* The batch families come from MariaDB: without it the workers' own
   * families are still worth a scrape (and say MariaDB fails). */
  batchrun_render(app.db, req_arena(r), &b);
  if (b.oom) return req_problem(r, RC_NOMEM, NULL);
  req_set_header(r, "Cache-Control", "no-store");
  return req_reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", b.s,
                        b.len);
}
