/* hybrid.h: the hybrid: per-user z-scored scores of fitted models blended
 * with weights, and the search that chooses those weights on a validation
 * split.
 *
 * The hybrid's weights, and where each is decided:
 * - tuned: hybrid_blend_search (hybrid.c: its steps and its two starts)
 *   chooses them on a validation split, per protocol in the offline
 *   evaluation (eval.c, through hybrid_tune) and per run and level in the
 *   production training (train_tune.c), which records the chosen warm and
 *   cold weights in the model version's stats (rec_versions.stats: each
 *   level's train.weights, with the fixed ones);
 * - fixed: the weights of users without history and of light runs, which
 *   tune nothing, are train_params.h's weights_empty, weights_light_warm
 *   and weights_light_cold;
 * - served: the API blends a user's stored list (the hybrid's output, its
 *   weights already applied) with the neighbours of listens made since
 *   the run, stated preferences and popularity, with weights of its own
 *   (struct recs_weights, src/model/recs_blend.c); it never reads the
 *   hybrid's. */
#ifndef ENCORE_BATCH_RECS_HYBRID_H
#define ENCORE_BATCH_RECS_HYBRID_H

#include <stdint.h>

#include "batch/recs/algo.h"
#include "batch/recs/csr.h"
#include "batch/recs/split.h"

/* A hybrid: per-user z-scored scores of fitted models, blended. "warm"
 * weights serve users with more than cold_max training items, "cold" weights
 * the others. The hybrid borrows the sub-model states. */
#define HYBRID_MAXMODELS 8
struct hybrid {
  int n;
  const struct algo *m[HYBRID_MAXMODELS];
  void *state[HYBRID_MAXMODELS];
  double warm[HYBRID_MAXMODELS], cold[HYBRID_MAXMODELS];
  int cold_max;
};
/* hybrid_score: out = sum_k w_k * z_k(u), with z over the items u has
 * not seen in training (seen items get -inf). tmp holds n_items floats. */
void hybrid_score(const struct hybrid *h, const struct algo_ctx *c, int u,
                  float *out, float *tmp);
/* hybrid_zscore: standardize out over the items not in row u of train; items
 * in it are set to -INFINITY. */
void hybrid_zscore(float *out, const struct csr *train, int u);

/* hybrid_tune: coordinate search of the weights w[0..h->n) of h's
 * fitted models (fitted on c, the validation training part) maximizing mean
 * NDCG@10 against val->test over users. Returns that NDCG, or -1 when out
 * of memory. */
double hybrid_tune(double *w, const struct hybrid *h, const struct algo_ctx *c,
                   const struct split *val, const int *users, int n_users);

/* Per user, the union of each model's best HYBRID_CANDS items enters the
 * weight search, in the offline evaluation's table (hybrid_tune) and the
 * production training's (train_tune.c) alike: a blend rarely ranks an item
 * in its top 10 that no single model put in its top 50, and this keeps the
 * search to a few megabytes. */
#define HYBRID_CANDS 50

/* A validation table: per user, candidate items with one standardized score
 * per model, and the user's relevant (held-out) items. Owns off, item, z. */
struct hybrid_cands {
  int n_users, n_models;
  int64_t *off; /* n_users + 1: user k's candidates are off[k]..off[k+1] */
  int *item;    /* candidate items */
  float *z;     /* off[n_users] x n_models, row-major per candidate */
  const struct csr *test; /* relevant items: row users[k] */
  const int *users;
};

/* hybrid_blend_search: coordinate search of the weights w[0..n_models) that
 * maximize mean NDCG@10 of the blend sum_m w_m z_m over the table. Returns
 * that NDCG (0 for an empty table). */
double hybrid_blend_search(double *w, const struct hybrid_cands *cd);
/* hybrid_cands_free: release a table's arrays (it is left zeroed). */
void hybrid_cands_free(struct hybrid_cands *cd);

#endif
