/* content.c: content-based scoring: a user's profile is the sum of the
 * TF-IDF tag vectors of the artists they played, weighted by log-scaled
 * play counts; artists are scored by cosine against it. */
#include "batch/recs/algo.h"
#include "batch/recs/csr.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void *content_fit(const struct algo_ctx *c, const double *p) {
  (void)c;
  (void)p;
  /* Nothing to learn: the tag vectors are fixed. The state only needs to be
   * non-NULL. */
  return calloc(1, 1);
}

static void content_score(const void *st, const struct algo_ctx *c, int u,
                          float *out) {
  (void)st;
  const struct csr *t = c->train, *g = c->tags;
  memset(out, 0, (size_t)t->ncols * sizeof *out);
  if (!g->ptr || g->ncols == 0) return;
  float *prof = calloc((size_t)g->ncols, sizeof *prof);
  if (!prof) return;
  for (int64_t k = t->ptr[u]; k < t->ptr[u + 1]; k++) {
    int i = t->idx[k];
    float w = algo_logc(t->val[k]);
    for (int64_t q = g->ptr[i]; q < g->ptr[i + 1]; q++)
      prof[g->idx[q]] += w * g->val[q];
  }
  double n2 = 0;
  for (int j = 0; j < g->ncols; j++)
    n2 += (double)prof[j] * prof[j];
  float inv = n2 > 0 ? (float)(1.0 / sqrt(n2)) : 0;
  for (int i = 0; i < g->nrows && i < t->ncols; i++) {
    float s = 0;
    for (int64_t q = g->ptr[i]; q < g->ptr[i + 1]; q++)
      s += g->val[q] * prof[g->idx[q]];
    out[i] = s * inv;
  }
  free(prof);
}

static const double content_grid[][ALGO_NPARAM] = {{0}};

const struct algo algo_content = {
    .name = "content",
    .n_grid = 1,
    .grid = content_grid,
    .fit = content_fit,
    .score = content_score,
    .release = free,
};
