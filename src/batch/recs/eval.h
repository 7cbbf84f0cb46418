/* eval.h: encore-recs eval, the offline evaluation protocol on HetRec. */
#ifndef ENCORE_RECS_EVAL_H
#define ENCORE_RECS_EVAL_H

#include <stdint.h>

struct recs_eval_opts {
  const char *dir; /* HetRec directory */
  int seeds;       /* number of seeds, from seed0 */
  uint64_t seed0;
  const char *models; /* comma-separated names, NULL = all */
  int cold;           /* also run the cold-start protocol */
  int small;          /* test-suite size: defaults only, a quarter of users */
};

/* recs_eval_run: run the protocol and print the tables on stdout (progress
 * on stderr). Returns 0, or 1 on a usage error or failure. */
int recs_eval_run(const struct recs_eval_opts *o);

#endif
