/* rp3.c: RP3beta, a three-step random walk user -> item -> user -> item
 * whose landing probabilities are divided by item popularity^beta, so the
 * walk does not end on the same few famous artists. */
#include "batch/recs/algo.h"
#include "batch/recs/neigh.h"

#include <math.h>
#include <stdlib.h>

struct rp3 {
  struct csr sim;
};

struct rp3_arg {
  const float *pop;
  float beta;
};

static float rp3_sim(int i, int j, float c, const void *arg) {
  const struct rp3_arg *a = arg;
  (void)i;
  return c / powf(a->pop[j], a->beta);
}

/* Row-normalize m after raising each entry to alpha. */
static void row_stochastic(struct csr *m, float alpha) {
  for (int r = 0; r < m->nrows; r++) {
    double s = 0;
    for (int64_t k = m->ptr[r]; k < m->ptr[r + 1]; k++)
      s += m->val[k];
    for (int64_t k = m->ptr[r]; k < m->ptr[r + 1]; k++)
      m->val[k] = s > 0 ? powf((float)(m->val[k] / s), alpha) : 0;
  }
}

/* p: [0] alpha, [1] beta, [2] neighbours kept per item */
static void *rp3_fit(const struct algo_ctx *c, const double *p) {
  struct csr a = {0}, b = {0};
  struct rp3 *m = calloc(1, sizeof *m);
  float *pop = calloc((size_t)c->train->ncols, sizeof *pop);
  int ok = m && pop && !csr_transpose(&b, c->train) && !csr_transpose(&a, &b);
  if (ok) {
    /* Transition weights from log-scaled counts: a handful of very heavy
     * listeners would otherwise dominate every walk. */
    for (int64_t k = 0; k < a.nnz; k++)
      a.val[k] = algo_logc(a.val[k]);
    for (int64_t k = 0; k < b.nnz; k++)
      b.val[k] = algo_logc(b.val[k]);
    for (int i = 0; i < b.nrows; i++)
      pop[i] = (float)(b.ptr[i + 1] - b.ptr[i]) + 1.0f;
    row_stochastic(&a, (float)p[0]); /* user -> item */
    row_stochastic(&b, (float)p[0]); /* item -> user */
    struct rp3_arg arg = {pop, (float)p[1]};
    ok = !neigh_build(&m->sim, &b, &a, (int)p[2], rp3_sim, &arg, 1);
  }
  csr_free(&a);
  csr_free(&b);
  free(pop);
  if (!ok) {
    free(m);
    return NULL;
  }
  return m;
}

static void rp3_score(const void *st, const struct algo_ctx *c, int u,
                      float *out) {
  const struct rp3 *m = st;
  neigh_score(&m->sim, c->train, u, 1, out);
}

static void rp3_release(void *st) {
  struct rp3 *m = st;
  if (!m) return;
  csr_free(&m->sim);
  free(m);
}

static const double rp3_grid[][ALGO_NPARAM] = {
    {0.8, 0.4, 400}, {0.8, 0.3, 400}, {1.0, 0.4, 400}, {0.6, 0.4, 400}};

const struct algo algo_rp3 = {
    .name = "rp3beta",
    .param_names = {"alpha", "beta", "k"},
    .n_grid = 4,
    .grid = rp3_grid,
    .fit = rp3_fit,
    .score = rp3_score,
    .release = rp3_release,
};
