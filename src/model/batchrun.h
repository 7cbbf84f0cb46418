/* batchrun: the runs of the batch programs (encore-recs, encore-trends, the
 * analytics rollup...), one row each in batch_runs: started, then ended with
 * an outcome and a count of items, so that monitoring can tell a job that
 * stopped succeeding or stopped running. */
#ifndef ENCORE_BATCHRUN_H
#define ENCORE_BATCHRUN_H

#include <stdbool.h>

struct arena;
struct db;
struct sbuf;

/* batchrun_start: record that `job` (a short name, [a-z_]) starts now;
 * *id names the run for batchrun_end. Returns 0 or an RC_ code; a job goes
 * on when this fails (monitoring then sees it stale). */
int batchrun_start(struct db *d, const char *job, long long *id);
/* batchrun_end: the run ended now, a success or not, with `items` done. */
int batchrun_end(struct db *d, long long id, bool ok, long long items);

/* batchrun_render: the Prometheus families of the last runs of every job
 * (last start, last success, last outcome, duration and items, running),
 * appended to b. Returns 0 or an RC_ code (nothing appended). */
int batchrun_render(struct db *d, struct arena *a, struct sbuf *b);

#endif
