/* pop.c: the popularity baseline: artists ranked by how many users played
 * them in training. */
#include "batch/recs/recs.h"

#include <stdlib.h>
#include <string.h>

static void *pop_fit(const struct recs_ctx *c, const double *p) {
  (void)p;
  float *cnt = calloc((size_t)c->train->ncols + 1, sizeof *cnt);
  if (!cnt) return NULL;
  for (int64_t k = 0; k < c->train->nnz; k++)
    cnt[c->train->idx[k]] += 1;
  return cnt;
}

static void pop_score(const void *st, const struct recs_ctx *c, int u,
                      float *out) {
  (void)u;
  memcpy(out, st, (size_t)c->train->ncols * sizeof *out);
}

static const double pop_grid[][RECS_NPARAM] = {{0}};

const struct recs_model recs_model_pop = {"pop",   {0},       1,   pop_grid,
                                          pop_fit, pop_score, free};
