/* itemknn.c: item-based neighbours: cosine similarity of log-scaled play
 * counts with shrinkage, top-K neighbours per artist. */
#include "batch/recs/algo.h"
#include "batch/recs/fitted.h"
#include "batch/recs/neigh.h"

#include <math.h>
#include <stdlib.h>

struct knn {
  struct csr sim;
};

struct knn_arg {
  const float *norm;
  float shrink;
};

static float knn_sim(int i, int j, float c, const void *arg) {
  const struct knn_arg *a = arg;
  /* Shrinkage damps similarities resting on one or two shared listeners. */
  return c / (a->norm[i] * a->norm[j] + a->shrink + 1e-9f);
}

/* p: [0] shrinkage, [1] neighbours kept per item */
static void *knn_fit(const struct algo_ctx *c, const double *p) {
  struct csr a = {0}, b = {0};
  struct knn *m = calloc(1, sizeof *m);
  float *norm = calloc((size_t)c->train->ncols, sizeof *norm);
  /* b: items x users, a: users x items (b transposed back, so a is in the
   * same order as train) */
  int ok = m && norm && !csr_transpose(&b, c->train) && !csr_transpose(&a, &b);
  if (ok) {
    /* b: items x users, a: users x items, both log-scaled */
    for (int64_t k = 0; k < a.nnz; k++)
      a.val[k] = algo_logc(a.val[k]);
    for (int64_t k = 0; k < b.nnz; k++) {
      b.val[k] = algo_logc(b.val[k]);
    }
    for (int i = 0; i < b.nrows; i++) {
      double s = 0;
      for (int64_t k = b.ptr[i]; k < b.ptr[i + 1]; k++)
        s += (double)b.val[k] * b.val[k];
      norm[i] = (float)sqrt(s);
    }
    struct knn_arg arg = {norm, (float)p[0]};
    ok = !neigh_build(&m->sim, &b, &a, (int)p[1], knn_sim, &arg, 0);
  }
  csr_free(&a);
  csr_free(&b);
  free(norm);
  if (!ok) {
    free(m);
    return NULL;
  }
  return m;
}

static void knn_score(const void *st, const struct algo_ctx *c, int u,
                      float *out) {
  const struct knn *m = st;
  neigh_score(&m->sim, c->train, u, 1, out);
}

const struct csr *itemknn_graph(const void *state) {
  const struct knn *m = state;
  return &m->sim;
}

static void knn_release(void *st) {
  struct knn *m = st;
  if (!m) return;
  csr_free(&m->sim);
  free(m);
}

static const double knn_grid[][ALGO_NPARAM] = {
    {100, 400}, {200, 400}, {50, 400}, {100, 1000}};

const struct algo algo_itemknn = {
    .name = "itemknn",
    .param_names = {"shrink", "k"},
    .n_grid = 4,
    .grid = knn_grid,
    .fit = knn_fit,
    .score = knn_score,
    .release = knn_release,
};
