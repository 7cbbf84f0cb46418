/* neigh.h: sparse item-item neighbour graphs shared by the neighbourhood
 * models (item-KNN, RP3beta): build the top-K of A x B per item, score a user
 * by summing the neighbour rows of the items they played. */
#ifndef ENCORE_BATCH_RECS_NEIGH_H
#define ENCORE_BATCH_RECS_NEIGH_H

#include "batch/recs/csr.h"

/* f(i, j, c, arg): the similarity of items i and j from their raw product
 * c = (A B)[i][j]; return <= 0 to drop the pair. */
typedef float (*neigh_sim_fn)(int i, int j, float c, const void *arg);

/* neigh_build: out (items x items) keeps, per row i, the k largest
 * f(i, j, (A B)[i][j]) for j != i, best first (so, unlike other csr
 * matrices, not sorted by column: csr_has does not apply). a is items x
 * users, b users x items. Rows are normalized to sum 1 when normalize is set.
 * Returns 0 or -1. */
int neigh_build(struct csr *out, const struct csr *a, const struct csr *b,
                int k, neigh_sim_fn f, const void *arg, int normalize);

/* neigh_score: out[j] = sum over items i of user u in train of
 * w(x_ui) * S[i][j], with w = log(1 + x) when logw, else 1. */
void neigh_score(const struct csr *s, const struct csr *train, int u, int logw,
                 float *out);

#endif
