/* algo.h: the recommendation algorithms of encore-recs, each behind one
 * interface: fit on a training matrix, score every item for a user
 * (pop.c, itemknn.c, als.c, rp3.c, ease.c, userknn.c, content.c,
 * social.c). */
#ifndef ENCORE_BATCH_RECS_ALGO_H
#define ENCORE_BATCH_RECS_ALGO_H

#include <stdint.h>

#include "batch/recs/csr.h"

/* What a model fits on. Borrowed pointers: the caller keeps them alive for
 * as long as the fitted model is used. */
struct algo_ctx {
  const struct csr *train;   /* users x items, play counts */
  const struct csr *train_t; /* items x users */
  const struct csr *tags;    /* items x tags (may have no rows) */
  const struct csr *social;  /* users x users (may be empty) */
  uint64_t seed;
};

#define ALGO_NPARAM 4

/* One model: fit returns an opaque state (NULL on failure), score writes
 * one score per item for user u into out (higher is better; items seen in
 * training may get any value, the caller masks them). score must be safe to
 * call from several threads at once. */
struct algo {
  const char *name;
  const char *param_names[ALGO_NPARAM];
  int n_grid;                        /* hyper-parameter settings to try */
  const double (*grid)[ALGO_NPARAM]; /* n_grid settings; [0] is the default */
  void *(*fit)(const struct algo_ctx *c, const double *p);
  void (*score)(const void *state, const struct algo_ctx *c, int u, float *out);
  void (*release)(void *state);
};

extern const struct algo algo_pop, algo_itemknn, algo_als, algo_content,
    algo_social, algo_rp3, algo_userknn, algo_ease;

/* algo_logc: the log-scaled confidence used by several models:
 * log(1 + count). */
static inline float algo_logc(float count) {
  return count > 0 ? __builtin_logf(1.0f + count) : 0.0f;
}

#endif
