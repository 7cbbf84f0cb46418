/* social.c: what a user's friends play: each friend's log-scaled play
 * counts, normalized per friend so one heavy listener does not speak for
 * the whole circle. */
#include "batch/recs/algo.h"
#include "batch/recs/csr.h"

#include <stdlib.h>
#include <string.h>

struct social {
  float *wsum; /* per user: sum of log-scaled counts */
};

static void *social_fit(const struct algo_ctx *c, const double *p) {
  (void)p;
  struct social *m = calloc(1, sizeof *m);
  if (!m || !(m->wsum = calloc((size_t)c->train->nrows + 1, sizeof(float)))) {
    free(m);
    return NULL;
  }
  for (int u = 0; u < c->train->nrows; u++)
    for (int64_t k = c->train->ptr[u]; k < c->train->ptr[u + 1]; k++)
      m->wsum[u] += algo_logc(c->train->val[k]);
  return m;
}

static void social_score(const void *st, const struct algo_ctx *c, int u,
                         float *out) {
  const struct social *m = st;
  const struct csr *t = c->train, *g = c->social;
  memset(out, 0, (size_t)t->ncols * sizeof *out);
  if (!g->ptr || u >= g->nrows) return;
  for (int64_t e = g->ptr[u]; e < g->ptr[u + 1]; e++) {
    int f = g->idx[e];
    if (m->wsum[f] <= 0) continue;
    float inv = 1.0f / m->wsum[f];
    for (int64_t k = t->ptr[f]; k < t->ptr[f + 1]; k++)
      out[t->idx[k]] += algo_logc(t->val[k]) * inv;
  }
}

static void social_release(void *st) {
  struct social *m = st;
  if (!m) return;
  free(m->wsum);
  free(m);
}

static const double social_grid[][ALGO_NPARAM] = {{0}};

const struct algo algo_social = {
    .name = "social",
    .n_grid = 1,
    .grid = social_grid,
    .fit = social_fit,
    .score = social_score,
    .release = social_release,
};
