/* analytics: `encore-admin analytics rollup`, the service-wide daily
 * rollup that GET /api/v1/admin/analytics reads (model/stats.h), run by
 * cron every hour. Each run rolls up the days since the last one rolled
 * (at most STATS_RANGE_MAX back), the last two again (late listens), and
 * today so far; recomputes the recent signup cohorts; ends the suspensions
 * whose time is over; and records itself in batch_runs (job "analytics")
 * for monitoring. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/admin.h"
#include "core/arena.h"
#include "core/db.h"
#include "core/rc.h"
#include "core/str.h"
#include "model/batchrun.h"
#include "model/stats.h"

/* lift_expired: suspensions whose end has passed end for good, so their
 * owners' content shows again without waiting for a login. */
static int lift_expired(struct db *d) {
  return db_exec(d, NULL,
                 "UPDATE users SET status = 'active', suspended_until = NULL, "
                 "suspension_reason = '' WHERE status = 'suspended' AND "
                 "suspended_until <= UTC_TIMESTAMP(3)",
                 NULL, 0, DB_IDEMPOTENT, NULL);
}

static int rollup(struct ctx *x, int argc, char **argv) {
  const char *days_text = NULL;
  int npos, rc;
  const struct opt opts[] = {{.name = "days", .val = &days_text},
                             {.name = NULL}};
  if ((rc = admin_opts(argc, argv, opts, &npos))) return rc;
  if (npos) return admin_usage("%s", "analytics rollup: no arguments");
  long long back = -1;
  if (days_text && str_parse_i64(days_text, 1, STATS_RANGE_MAX, &back))
    return admin_usage("analytics rollup: --days must be 1 to %d",
                       STATS_RANGE_MAX);
  if (admin_db(x, "analytics rollup")) return 1;
  long long run, today = (long long)time(NULL) / 86400, last, from;
  batchrun_start(x->db, "analytics", &run);
  rc = stats_last_day(x->db, x->a, &last);
  if (!rc) {
    from = back > 0 ? today - back + 1 : last < 0 ? today - 29 : last - 1;
    if (from < today - STATS_RANGE_MAX + 1) from = today - STATS_RANGE_MAX + 1;
    for (long long day = from; !rc && day <= today; day++)
      rc = stats_rollup_day(x->db, x->a, day);
    if (!rc) rc = stats_rollup_cohorts(x->db, x->a, today);
    if (!rc) rc = lift_expired(x->db);
  }
  batchrun_end(x->db, run, rc == 0, rc ? 0 : today - from + 1);
  if (rc) {
    fprintf(stderr, "analytics rollup: failed (see the log)\n");
    return 1;
  }
  printf("analytics rollup: %lld days\n", today - from + 1);
  return 0;
}

int admin_analytics(struct ctx *x, int argc, char **argv) {
  if (argc < 1 || strcmp(argv[0], "rollup") != 0)
    return admin_usage("%s", "analytics: give rollup [--days N]");
  return rollup(x, argc - 1, argv + 1);
}
