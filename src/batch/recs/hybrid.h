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

#endif
