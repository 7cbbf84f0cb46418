/* ease.c: EASE, a closed-form item-item model: B = I - P diagMat(1/diag(P))
 * with P = (X^T X + lambda I)^-1 over binary plays, diagonal zero. Artists
 * with fewer than min_listeners listeners in training are left out (and
 * score 0): they are most of the catalogue here and the inverse is cubic in
 * the number of artists kept. The inverse comes from LAPACK (Cholesky). */
#include "batch/recs/algo.h"
#include "batch/recs/csr.h"

#include <lapacke.h>
#include <stdlib.h>
#include <string.h>

struct ease {
  int n;     /* artists kept */
  int *map;  /* artist -> kept index, or -1 */
  int *back; /* kept index -> artist */
  float *b;  /* n x n weights, row j: what artist j says about the others */
};

static void ease_release(void *st) {
  struct ease *m = st;
  if (!m) return;
  free(m->map);
  free(m->back);
  free(m->b);
  free(m);
}

/* p: [0] lambda, [1] minimum listeners */
static void *ease_fit(const struct algo_ctx *c, const double *p) {
  const struct csr *t = c->train, *tt = c->train_t;
  struct ease *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->map = malloc((size_t)t->ncols * sizeof *m->map);
  m->back = malloc((size_t)t->ncols * sizeof *m->back);
  if (!m->map || !m->back) goto fail;
  for (int i = 0; i < t->ncols; i++) {
    m->map[i] = -1;
    if (tt->ptr[i + 1] - tt->ptr[i] >= (int64_t)p[1]) {
      m->map[i] = m->n;
      m->back[m->n++] = i;
    }
  }
  size_t n = (size_t)m->n;
  if (n == 0) return m;
  m->b = calloc(n * n, sizeof *m->b);
  if (!m->b) goto fail;
  /* Gram matrix from each user's kept artists: ~n_u^2 updates per user,
   * far cheaper than a dense product with the mostly empty X. */
  int *row = malloc((size_t)t->ncols * sizeof *row);
  if (!row) goto fail;
  for (int u = 0; u < t->nrows; u++) {
    int k = 0;
    for (int64_t q = t->ptr[u]; q < t->ptr[u + 1]; q++)
      if (m->map[t->idx[q]] >= 0) row[k++] = m->map[t->idx[q]];
    for (int a = 0; a < k; a++)
      for (int b = 0; b < k; b++)
        m->b[(size_t)row[a] * n + row[b]] += 1;
  }
  free(row);
  for (size_t i = 0; i < n; i++)
    m->b[i * n + i] += (float)p[0];
  if (LAPACKE_spotrf(LAPACK_ROW_MAJOR, 'U', (lapack_int)n, m->b,
                     (lapack_int)n) ||
      LAPACKE_spotri(LAPACK_ROW_MAJOR, 'U', (lapack_int)n, m->b, (lapack_int)n))
    goto fail;
  for (size_t i = 0; i < n; i++) /* mirror the upper triangle */
    for (size_t j = i + 1; j < n; j++)
      m->b[j * n + i] = m->b[i * n + j];
  /* B[i][j] = -P[i][j] / P[j][j]: row i is what playing i says about j. */
  float *inv = malloc(n * sizeof *inv);
  if (!inv) goto fail;
  for (size_t j = 0; j < n; j++)
    inv[j] = 1.0f / m->b[j * n + j];
  for (size_t i = 0; i < n; i++) {
    float *r = m->b + i * n;
    for (size_t j = 0; j < n; j++)
      r[j] = -r[j] * inv[j];
    r[i] = 0;
  }
  free(inv);
  return m;
fail:
  ease_release(m);
  return NULL;
}

static void ease_score(const void *st, const struct algo_ctx *c, int u,
                       float *out) {
  const struct ease *m = st;
  const struct csr *t = c->train;
  size_t n = (size_t)m->n;
  memset(out, 0, (size_t)t->ncols * sizeof *out);
  if (!n) return;
  float *acc = calloc(n, sizeof *acc);
  if (!acc) return;
  for (int64_t q = t->ptr[u]; q < t->ptr[u + 1]; q++) {
    int j = m->map[t->idx[q]];
    if (j < 0) continue;
    const float *r = m->b + (size_t)j * n;
    for (size_t i = 0; i < n; i++)
      acc[i] += r[i];
  }
  for (size_t i = 0; i < n; i++)
    out[m->back[i]] = acc[i];
  free(acc);
}

static const double ease_grid[][ALGO_NPARAM] = {{100, 2}, {30, 2}, {300, 2}};

const struct algo algo_ease = {
    .name = "ease",
    .param_names = {"lambda", "min_listeners"},
    .n_grid = 3,
    .grid = ease_grid,
    .fit = ease_fit,
    .score = ease_score,
    .release = ease_release,
};
