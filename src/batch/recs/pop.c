/* pop.c: the popularity baseline: artists ranked by how many users played
 * them in training. */
#include "batch/recs/algo.h"

#include <stdlib.h>
#include <string.h>

static void *pop_fit(const struct algo_ctx *c, const double *p) {
  (void)p;
  float *cnt = calloc((size_t)c->train->ncols + 1, sizeof *cnt);
  if (!cnt) return NULL;
  for (int64_t k = 0; k < c->train->nnz; k++)
    cnt[c->train->idx[k]] += 1;
  return cnt;
}

static void pop_score(const void *st, const struct algo_ctx *c, int u,
                      float *out) {
  (void)u;
  memcpy(out, st, (size_t)c->train->ncols * sizeof *out);
}

static const double pop_grid[][ALGO_NPARAM] = {{0}};

const struct algo algo_pop = {
    .name = "pop",
    .n_grid = 1,
    .grid = pop_grid,
    .fit = pop_fit,
    .score = pop_score,
    .release = free,
};
