/* eval.h: encore-recs eval, the offline evaluation protocol on HetRec. */
#ifndef ENCORE_RECS_EVAL_H
#define ENCORE_RECS_EVAL_H

#include "batch/recs/recs.h"

#include <stdint.h>

/* Cold-start users keep this many training artists unless told otherwise. */
#define RECS_EVAL_KNOWN 3
#define RECS_EVAL_KNOWN_MAX 50

struct recs_eval_opts {
  const char *dir; /* HetRec directory */
  int seeds;       /* number of seeds, from seed0 */
  uint64_t seed0;
  const char *models; /* comma-separated names, NULL = all */
  int cold;           /* also run the cold-start protocol */
  int known;          /* artists a cold-start user keeps (0: RECS_EVAL_KNOWN) */
  int small;          /* test-suite size: defaults only, a quarter of users */
};

/* recs_eval_run: run the protocol and print the tables on stdout (progress
 * on stderr). Returns 0, or 1 on a usage error or failure. */
int recs_eval_run(const struct recs_eval_opts *o);

/* The two protocols: warm (every user with 5+ artists keeps 80% of them) and
 * cold start (only a fifth of those users are evaluated, each keeping at
 * most `known` of their training artists; the other users stay whole). */
enum recs_protocol { RECS_WARM = 0, RECS_COLD = 1 };

/* One protocol's splits for one seed: test from the data, and val carved
 * from test.train the same way (cold start: half of its users cut to
 * `known` artists), so nothing val holds or trains on is a test pair. Each
 * model is tuned on val, then fitted on test.train and measured on test. */
struct recs_eval_split {
  struct recs_split test, val;
};

/* recs_eval_split: the splits of protocol p for seed over ui (users x
 * items). known: artists a cold user keeps (ignored for RECS_WARM).
 * Returns 0 or -1 (memory; s is then empty). */
int recs_eval_split(struct recs_eval_split *s, const struct recs_csr *ui,
                    enum recs_protocol p, int known, uint64_t seed);
/* recs_eval_split_free: release both splits (zeroed after). */
void recs_eval_split_free(struct recs_eval_split *s);

#endif
