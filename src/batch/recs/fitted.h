/* fitted.h: read access into fitted model states, for the production
 * trainer (train.c), which scores a few thousand candidates per user instead
 * of every item of a million-item catalogue. */
#ifndef ENCORE_RECS_FITTED_H
#define ENCORE_RECS_FITTED_H

#include "batch/recs/recs.h"

/* recs_itemknn_graph: the neighbour graph of a recs_model_itemknn state
 * (items x items, each row best first, see recs_neigh_build). Borrowed. */
const struct recs_csr *recs_itemknn_graph(const void *state);

/* recs_als_factors: the factors of a recs_model_als state: *x users x k,
 * *y items x k, row-major. Returns k. Borrowed. */
int recs_als_factors(const void *state, const float **x, const float **y);

#endif
