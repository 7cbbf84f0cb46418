/* rp3.c: RP3beta, a three-step random walk user -> item -> user -> item
 * whose landing probabilities are divided by item popularity^beta, so the
 * walk does not end on the same few famous artists. */
#include "batch/recs/neigh.h"

#include <math.h>
#include <stdlib.h>

struct rp3 {
  struct recs_csr sim;
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
static void row_stochastic(struct recs_csr *m, float alpha) {
  for (int r = 0; r < m->nrows; r++) {
    double s = 0;
    for (int64_t k = m->ptr[r]; k < m->ptr[r + 1]; k++)
      s += m->val[k];
    for (int64_t k = m->ptr[r]; k < m->ptr[r + 1]; k++)
      m->val[k] = s > 0 ? powf((float)(m->val[k] / s), alpha) : 0;
  }
}

/* p: [0] alpha, [1] beta, [2] neighbours kept per item */
static void *rp3_fit(const struct recs_ctx *c, const double *p) {
  struct recs_csr a = {0}, b = {0};
  struct rp3 *m = calloc(1, sizeof *m);
  float *pop = calloc((size_t)c->train->ncols, sizeof *pop);
  int ok = m && pop && !recs_csr_transpose(&b, c->train) &&
           !recs_csr_transpose(&a, &b);
  if (ok) {
    /* Transition weights from log-scaled counts: a handful of very heavy
     * listeners would otherwise dominate every walk. */
    for (int64_t k = 0; k < a.nnz; k++)
      a.val[k] = recs_logc(a.val[k]);
    for (int64_t k = 0; k < b.nnz; k++)
      b.val[k] = recs_logc(b.val[k]);
    for (int i = 0; i < b.nrows; i++)
      pop[i] = (float)(b.ptr[i + 1] - b.ptr[i]) + 1.0f;
    row_stochastic(&a, (float)p[0]); /* user -> item */
    row_stochastic(&b, (float)p[0]); /* item -> user */
    struct rp3_arg arg = {pop, (float)p[1]};
    ok = !recs_neigh_build(&m->sim, &b, &a, (int)p[2], rp3_sim, &arg, 1);
  }
  recs_csr_free(&a);
  recs_csr_free(&b);
  free(pop);
  if (!ok) {
    free(m);
    return NULL;
  }
  return m;
}

static void rp3_score(const void *st, const struct recs_ctx *c, int u,
                      float *out) {
  const struct rp3 *m = st;
  recs_neigh_score(&m->sim, c->train, u, 1, out);
}

static void rp3_release(void *st) {
  struct rp3 *m = st;
  if (!m) return;
  recs_csr_free(&m->sim);
  free(m);
}

static const double rp3_grid[][RECS_NPARAM] = {
    {0.8, 0.4, 400}, {0.8, 0.3, 400}, {1.0, 0.4, 400}, {0.6, 0.4, 400}};

const struct recs_model recs_model_rp3 = {
    "rp3beta",  {"alpha", "beta", "k"}, 4, rp3_grid, rp3_fit, rp3_score,
    rp3_release};
