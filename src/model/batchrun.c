/* batchrun: recording the batch programs' runs and exposing the last of
 * each job to Prometheus; see batchrun.h. */
#include "model/batchrun.h"

#include "core/arena.h"
#include "core/db.h"
#include "core/metrics.h"
#include "core/rc.h"
#include "core/str.h"

int batchrun_start(struct db *d, const char *job, long long *id) {
  struct db_res res;
  struct db_val p[] = {DB_S(job)};
  *id = 0;
  int rc = db_exec(d, NULL,
                   "INSERT INTO batch_runs (job, started_at) "
                   "VALUES (?, UTC_TIMESTAMP(3))",
                   p, 1, 0, &res);
  if (rc == 0) *id = (long long)res.insert_id;
  return rc;
}

int batchrun_end(struct db *d, long long id, bool ok, long long items) {
  if (!id) return 0;
  struct db_val p[] = {DB_S(ok ? "success" : "failure"),
                       DB_I(items < 0 ? 0 : items), DB_I(id)};
  return db_exec(d, NULL,
                 "UPDATE batch_runs SET ended_at = UTC_TIMESTAMP(3), "
                 "outcome = ?, items = ? WHERE id = ?",
                 p, 3, DB_IDEMPOTENT, NULL);
}

/* One family: its name, type, help, and the result column it shows. */
struct family {
  const char *name, *type, *help;
  int col;
};

/* The last run of each job (finished or not), its last success, and
 * whether one is running now (started in the last day and not ended). */
static const char last_sql[] =
    "SELECT j.job, UNIX_TIMESTAMP(l.started_at), "
    "UNIX_TIMESTAMP(s.ended_at), l.outcome = 'success', "
    "IF(l.ended_at IS NULL, NULL, "
    "TIMESTAMPDIFF(MICROSECOND, l.started_at, l.ended_at) / 1e6), "
    "l.items, l.outcome = 'running' AND l.started_at > "
    "UTC_TIMESTAMP(3) - INTERVAL 1 DAY, "
    "UNIX_TIMESTAMP(f.ended_at) "
    "FROM (SELECT job, MAX(id) AS last, "
    "MAX(IF(outcome = 'success', id, NULL)) AS ok, "
    "MAX(IF(outcome <> 'running', id, NULL)) AS fin "
    "FROM batch_runs GROUP BY job) j "
    "JOIN batch_runs l ON l.id = j.last "
    "LEFT JOIN batch_runs s ON s.id = j.ok "
    "LEFT JOIN batch_runs f ON f.id = j.fin ORDER BY j.job";

int batchrun_render(struct db *d, struct arena *a, struct sbuf *b) {
  static const struct family fams[] = {
      {.name = "encore_batch_last_start_timestamp_seconds",
       .type = "gauge",
       .help = "When the last run of the job started.",
       .col = 1},
      {.name = "encore_batch_last_success_timestamp_seconds",
       .type = "gauge",
       .help = "When the last successful run of the job ended.",
       .col = 2},
      {.name = "encore_batch_last_run_success",
       .type = "gauge",
       .help = "1 when the last run of the job succeeded, else 0.",
       .col = 3},
      {.name = "encore_batch_last_duration_seconds",
       .type = "gauge",
       .help = "How long the last finished run of the job took.",
       .col = 4},
      {.name = "encore_batch_last_items",
       .type = "gauge",
       .help = "Items the last run of the job handled.",
       .col = 5},
      {.name = "encore_batch_running",
       .type = "gauge",
       .help = "1 while a run of the job is under way.",
       .col = 6},
      {.name = "encore_batch_last_end_timestamp_seconds",
       .type = "gauge",
       .help = "When the last finished run of the job ended.",
       .col = 7},
  };
  struct db_res res;
  int rc = db_exec(d, a, last_sql, NULL, 0, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  for (size_t f = 0; f < sizeof fams / sizeof fams[0]; f++) {
    sbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", fams[f].name, fams[f].help,
                fams[f].name, fams[f].type);
    for (int i = 0; i < res.nrows; i++) {
      const char *v = db_s(&res.rows[i], fams[f].col);
      if (!v) continue;
      sbuf_printf(b, "%s{job=\"", fams[f].name);
      metrics_label(b, db_s(&res.rows[i], 0));
      sbuf_printf(b, "\"} %s\n", v);
    }
  }
  return 0;
}
