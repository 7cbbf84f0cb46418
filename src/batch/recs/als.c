/* als.c: implicit-feedback matrix factorization (alternating least squares
 * with confidence c = 1 + alpha * log(1 + count / eps)), each row solved by
 * a few warm-started conjugate-gradient steps; the Gram matrices come from
 * OpenBLAS, rows are solved in parallel with OpenMP. */
#include "batch/recs/algo.h"
#include "batch/recs/fitted.h"
#include "batch/recs/rng.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct als {
  int k, n_items;
  float *x; /* users x k */
  float *y; /* items x k */
};

#define CG_STEPS 3

static float dot(const float *a, const float *b, int k) {
  float s = 0;
  /* simd: lets the compiler reassociate the sum (vectorize) without
   * -ffast-math; the order is still fixed, so results stay deterministic. */
#pragma omp simd reduction(+ : s)
  for (int i = 0; i < k; i++)
    s += a[i] * b[i];
  return s;
}

/* A v = (G + sum_i (c_i - 1) y_i y_i^T) v, G = Y^T Y + reg I. */
static void apply(const float *g, const struct csr *r, int row, const float *y,
                  const float *conf, int k, const float *v, float *out) {
  for (int a = 0; a < k; a++)
    out[a] = dot(g + (size_t)a * k, v, k);
  for (int64_t p = r->ptr[row]; p < r->ptr[row + 1]; p++) {
    const float *yi = y + (size_t)r->idx[p] * k;
    float w = (conf[p] - 1) * dot(yi, v, k);
    for (int a = 0; a < k; a++)
      out[a] += w * yi[a];
  }
}

/* One half-step: solve every row of x against fixed factors y. */
static void solve_side(float *x, const float *y, int n_y, const struct csr *r,
                       const float *conf, int k, float reg) {
  float *g = malloc((size_t)k * k * sizeof *g);
  if (!g) return;
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, k, n_y, 1.0f, y, k, y,
              k, 0.0f, g, k);
  for (int a = 0; a < k; a++)
    g[(size_t)a * k + a] += reg;
#pragma omp parallel
  {
    float *res = malloc(4 * (size_t)k * sizeof *res);
#pragma omp for schedule(dynamic, 32)
    for (int u = 0; u < r->nrows; u++) {
      if (!res) continue;
      float *xu = x + (size_t)u * k, *rr = res, *pp = res + k,
            *ap = res + 2 * k;
      if (r->ptr[u] == r->ptr[u + 1]) {
        memset(xu, 0, (size_t)k * sizeof *xu);
        continue;
      }
      /* rr = b - A x, with b = sum_i c_i y_i */
      apply(g, r, u, y, conf, k, xu, ap);
      for (int a = 0; a < k; a++)
        rr[a] = -ap[a];
      for (int64_t p = r->ptr[u]; p < r->ptr[u + 1]; p++) {
        const float *yi = y + (size_t)r->idx[p] * k;
        for (int a = 0; a < k; a++)
          rr[a] += conf[p] * yi[a];
      }
      memcpy(pp, rr, (size_t)k * sizeof *pp);
      float rs = dot(rr, rr, k);
      for (int it = 0; it < CG_STEPS && rs > 1e-20f; it++) {
        apply(g, r, u, y, conf, k, pp, ap);
        float pap = dot(pp, ap, k);
        if (pap <= 0) break;
        float al = rs / pap;
        for (int a = 0; a < k; a++) {
          xu[a] += al * pp[a];
          rr[a] -= al * ap[a];
        }
        float rn = dot(rr, rr, k);
        for (int a = 0; a < k; a++)
          pp[a] = rr[a] + (rn / rs) * pp[a];
        rs = rn;
      }
    }
    free(res);
  }
  free(g);
}

/* p: [0] factors, [1] alpha, [2] regularization, [3] iterations */
static void *als_fit(const struct algo_ctx *c, const double *p) {
  const float eps = 1.0f;
  int k = (int)p[0], iters = (int)p[3];
  float alpha = (float)p[1], reg = (float)p[2];
  const struct csr *r = c->train, *rt = c->train_t;
  struct als *m = calloc(1, sizeof *m);
  float *cu = malloc((size_t)(r->nnz + 1) * sizeof *cu);
  float *ci = malloc((size_t)(rt->nnz + 1) * sizeof *ci);
  if (m) {
    m->k = k;
    m->n_items = r->ncols;
    m->x = calloc((size_t)r->nrows * k, sizeof *m->x);
    m->y = malloc((size_t)r->ncols * k * sizeof *m->y);
  }
  if (!m || !m->x || !m->y || !cu || !ci) {
    if (m) {
      free(m->x);
      free(m->y);
    }
    free(m);
    free(cu);
    free(ci);
    return NULL;
  }
  for (int64_t q = 0; q < r->nnz; q++)
    cu[q] = 1 + alpha * logf(1 + r->val[q] / eps);
  for (int64_t q = 0; q < rt->nnz; q++)
    ci[q] = 1 + alpha * logf(1 + rt->val[q] / eps);
  uint64_t st = c->seed ^ 0xa15a15a15ULL;
  for (size_t q = 0; q < (size_t)r->ncols * k; q++)
    m->y[q] = (float)((rng_unit(&st) - 0.5) * 0.02);
  for (int it = 0; it < iters; it++) {
    solve_side(m->x, m->y, r->ncols, r, cu, k, reg);
    solve_side(m->y, m->x, r->nrows, rt, ci, k, reg);
  }
  free(cu);
  free(ci);
  return m;
}

static void als_score(const void *st, const struct algo_ctx *c, int u,
                      float *out) {
  const struct als *m = st;
  (void)c;
  /* Plain loops, not sgemv: this runs inside the evaluation's OpenMP
   * threads, where OpenBLAS's own threads would oversubscribe the cores. */
  const float *xu = m->x + (size_t)u * m->k;
  for (int i = 0; i < m->n_items; i++)
    out[i] = dot(m->y + (size_t)i * m->k, xu, m->k);
}

int als_factors(const void *state, const float **x, const float **y) {
  const struct als *m = state;
  *x = m->x;
  *y = m->y;
  return m->k;
}

static void als_release(void *st) {
  struct als *m = st;
  if (!m) return;
  free(m->x);
  free(m->y);
  free(m);
}

static const double als_grid[][ALGO_NPARAM] = {
    {64, 1, 0.1, 12}, {64, 2, 0.1, 12}, {64, 1, 2, 12}, {64, 0.5, 0.1, 12}};

const struct algo algo_als = {
    .name = "als",
    .param_names = {"factors", "alpha", "reg", "iters"},
    .n_grid = 4,
    .grid = als_grid,
    .fit = als_fit,
    .score = als_score,
    .release = als_release,
};
