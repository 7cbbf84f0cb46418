/* fitted.h: read access into fitted model states, for the production
 * trainer (train.c), which scores a few thousand candidates per user instead
 * of every item of a million-item catalogue. */
#ifndef ENCORE_BATCH_RECS_FITTED_H
#define ENCORE_BATCH_RECS_FITTED_H

#include "batch/recs/csr.h"

/* itemknn_graph: the neighbour graph of a algo_itemknn state
 * (items x items, each row best first, see neigh_build). Borrowed. */
const struct csr *itemknn_graph(const void *state);

/* als_factors: the factors of a algo_als state: *x users x k,
 * *y items x k, row-major. Returns k. Borrowed. */
int als_factors(const void *state, const float **x, const float **y);

#endif
