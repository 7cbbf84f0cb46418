/* split.h: hold-out splits of a users x items matrix, for the offline
 * evaluation (the test set) and the weights' validation. */
#ifndef ENCORE_BATCH_RECS_SPLIT_H
#define ENCORE_BATCH_RECS_SPLIT_H

#include <stdint.h>

#include "batch/recs/csr.h"

/* A hold-out split of a users x items matrix. */
struct split {
  struct csr train; /* what the models see */
  struct csr test;  /* held out: the relevant items */
  int *eval_users;  /* users with a non-empty test row */
  int n_eval;
};

/* split_holdout: for every user with at least min_items items, hold
 * out frac of them (at least one) chosen at random with seed; other users
 * stay whole in train. cold_frac > 0 also picks that share of the evaluated
 * users and keeps only cold_keep of their training items ("cold" users, and
 * then only they are evaluated). Returns 0 or -1 (memory). */
int split_holdout(struct split *s, const struct csr *ui, int min_items,
                  double frac, uint64_t seed, double cold_frac, int cold_keep);
/* split_free: release a split. */
void split_free(struct split *s);

#endif
