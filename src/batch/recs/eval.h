/* eval.h: encore-recs eval, the offline evaluation protocol on HetRec. */
#ifndef ENCORE_BATCH_RECS_EVAL_H
#define ENCORE_BATCH_RECS_EVAL_H

#include "batch/recs/csr.h"
#include "batch/recs/split.h"

#include <stdint.h>

/* Cold-start users keep this many training artists unless told otherwise. */
#define EVAL_KNOWN 3
#define EVAL_KNOWN_MAX 50

struct eval_opts {
  const char *dir; /* HetRec directory */
  int seeds;       /* number of seeds, from seed0 */
  uint64_t seed0;
  const char *models; /* comma-separated names, NULL = all */
  int cold;           /* also run the cold-start protocol */
  int known;          /* artists a cold-start user keeps (0: EVAL_KNOWN) */
  int small;          /* test-suite size: defaults only, a quarter of users */
};

/* eval_run: run the protocol and print the tables on stdout (progress
 * on stderr). Returns 0, or 1 on a usage error or failure. */
int eval_run(const struct eval_opts *o);

/* The two protocols: warm (every user with 5+ artists keeps 80% of them) and
 * cold start (only a fifth of those users are evaluated, each keeping at
 * most `known` of their training artists; the other users stay whole). */
enum eval_protocol { EVAL_WARM = 0, EVAL_COLD = 1 };

/* One protocol's splits for one seed: test from the data, and val carved
 * from test.train the same way (cold start: half of its users cut to
 * `known` artists), so nothing val holds or trains on is a test pair. Each
 * model is tuned on val, then fitted on test.train and measured on test. */
struct eval_split {
  struct split test, val;
};

/* eval_split: the splits of protocol p for seed over ui (users x
 * items). known: artists a cold user keeps (ignored for EVAL_WARM).
 * Returns 0 or -1 (memory; s is then empty). */
int eval_split(struct eval_split *s, const struct csr *ui, enum eval_protocol p,
               int known, uint64_t seed);
/* eval_split_free: release both splits (zeroed after). */
void eval_split_free(struct eval_split *s);

#endif
