/* hybrid.h: choosing the hybrid's blend weights on a validation split. */
#ifndef ENCORE_RECS_HYBRID_H
#define ENCORE_RECS_HYBRID_H

#include "batch/recs/recs.h"

/* recs_hybrid_tune: coordinate search of the weights w[0..h->n) of h's
 * fitted models (fitted on c, the validation training part) maximizing mean
 * NDCG@10 against val->test over users. Returns that NDCG, or -1 when out
 * of memory. */
double recs_hybrid_tune(double *w, const struct recs_hybrid *h,
                        const struct recs_ctx *c, const struct recs_split *val,
                        const int *users, int n_users);

/* A validation table: per user, candidate items with one standardized score
 * per model, and the user's relevant (held-out) items. Owns off, item, z. */
struct recs_cands {
  int n_users, n_models;
  int64_t *off; /* n_users + 1: user k's candidates are off[k]..off[k+1] */
  int *item;    /* candidate items */
  float *z;     /* off[n_users] x n_models, row-major per candidate */
  const struct recs_csr *test; /* relevant items: row users[k] */
  const int *users;
};

/* recs_blend_search: coordinate search of the weights w[0..n_models) that
 * maximize mean NDCG@10 of the blend sum_m w_m z_m over the table. Returns
 * that NDCG (0 for an empty table). */
double recs_blend_search(double *w, const struct recs_cands *cd);
/* recs_cands_free: release a table's arrays (it is left zeroed). */
void recs_cands_free(struct recs_cands *cd);

#endif
