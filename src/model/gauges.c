/* gauges: the parties and live events for Prometheus; see gauges.h. */
#include "model/gauges.h"

#include "core/arena.h"
#include "core/db.h"
#include "core/rc.h"
#include "core/str.h"

int gauges_render(struct db *d, struct arena *a, struct sbuf *b) {
  static const struct {
    const char *name, *help;
  } rows[] = {
      {"encore_parties_live", "Listening parties not ended."},
      {"encore_parties_held",
       "Live parties an encore-live process holds now (its lease)."},
      {"encore_party_members", "Members of the live parties."},
      {"encore_live_events_recent",
       "Events for encore-live written in the last hour."},
  };
  struct db_res res;
  int rc =
      db_exec(d, a,
              "SELECT (SELECT COUNT(*) FROM parties WHERE ended_at IS NULL), "
              "(SELECT COUNT(*) FROM parties WHERE ended_at IS NULL AND "
              "live_until > UTC_TIMESTAMP(3)), "
              "(SELECT COUNT(*) FROM party_members m JOIN parties p ON p.id = "
              "m.party_id WHERE p.ended_at IS NULL AND m.removed = 0), "
              "(SELECT COUNT(*) FROM live_events WHERE created_at > "
              "UTC_TIMESTAMP(3) - INTERVAL 1 HOUR)",
              NULL, 0, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (!res.nrows) return RC_DB;
  for (int i = 0; i < 4; i++)
    sbuf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", rows[i].name,
                rows[i].help, rows[i].name, rows[i].name,
                db_i64(&res.rows[0], i, 0));
  return 0;
}
