/* userknn.c: user-based neighbours: the k users most similar to u (cosine
 * on log-scaled play counts, shrunk) vote for what they played. With only a
 * few known artists this leans on whole listening profiles of people who
 * share them, which item neighbours (one row per known artist) cannot. */
#include "batch/recs/algo.h"
#include "batch/recs/csr.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct uknn {
  float *norm; /* per user: L2 norm of the log-scaled row */
  double p[ALGO_NPARAM];
};

struct nb {
  int v;
  float s;
};

static int cmp_nb(const void *x, const void *y) {
  const struct nb *a = x, *b = y;
  if (a->s != b->s) return a->s > b->s ? -1 : 1;
  return a->v - b->v;
}

/* p: [0] shrinkage, [1] neighbours */
static void *uknn_fit(const struct algo_ctx *c, const double *p) {
  const struct csr *t = c->train;
  struct uknn *m = calloc(1, sizeof *m);
  if (!m || !(m->norm = calloc((size_t)t->nrows + 1, sizeof(float)))) {
    free(m);
    return NULL;
  }
  memcpy(m->p, p, sizeof m->p);
  for (int u = 0; u < t->nrows; u++) {
    double s = 0;
    for (int64_t k = t->ptr[u]; k < t->ptr[u + 1]; k++) {
      double w = algo_logc(t->val[k]);
      s += w * w;
    }
    m->norm[u] = (float)sqrt(s);
  }
  return m;
}

static void uknn_score(const void *st, const struct algo_ctx *c, int u,
                       float *out) {
  const struct uknn *m = st;
  const struct csr *t = c->train, *tt = c->train_t;
  int nu = t->nrows, k = (int)m->p[1];
  memset(out, 0, (size_t)t->ncols * sizeof *out);
  float *acc = calloc((size_t)nu, sizeof *acc);
  struct nb *nb = malloc((size_t)nu * sizeof *nb);
  if (!acc || !nb) goto out;
  for (int64_t q = t->ptr[u]; q < t->ptr[u + 1]; q++) {
    int i = t->idx[q];
    float w = algo_logc(t->val[q]);
    for (int64_t r = tt->ptr[i]; r < tt->ptr[i + 1]; r++)
      acc[tt->idx[r]] += w * algo_logc(tt->val[r]);
  }
  int n = 0;
  for (int v = 0; v < nu; v++)
    if (v != u && acc[v] > 0)
      nb[n++] =
          (struct nb){v, acc[v] / (m->norm[u] * m->norm[v] + (float)m->p[0])};
  qsort(nb, (size_t)n, sizeof *nb, cmp_nb);
  if (n > k) n = k;
  for (int j = 0; j < n; j++) {
    int v = nb[j].v;
    for (int64_t q = t->ptr[v]; q < t->ptr[v + 1]; q++)
      out[t->idx[q]] += nb[j].s * algo_logc(t->val[q]);
  }
out:
  free(acc);
  free(nb);
}

static void uknn_release(void *st) {
  struct uknn *m = st;
  if (!m) return;
  free(m->norm);
  free(m);
}

static const double uknn_grid[][ALGO_NPARAM] = {
    {10, 100}, {10, 50}, {10, 200}, {50, 100}};

const struct algo algo_userknn = {
    .name = "userknn",
    .param_names = {"shrink", "k"},
    .n_grid = 4,
    .grid = uknn_grid,
    .fit = uknn_fit,
    .score = uknn_score,
    .release = uknn_release,
};
