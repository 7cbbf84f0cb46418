/* rng.h: the deterministic random numbers the splits and models draw
 * from: every draw comes from a seed, so a run is the same for a seed. */
#ifndef ENCORE_BATCH_RECS_RNG_H
#define ENCORE_BATCH_RECS_RNG_H

#include <stdint.h>

/* Deterministic random numbers (splitmix64), independent of the thread that
 * draws them. */
uint64_t rng_next(uint64_t *state);
/* rng_unit: a double uniform in [0, 1). */
double rng_unit(uint64_t *state);
/* rng_perm: perm = a random permutation of 0..n-1 (Fisher-Yates). */
void rng_perm(int *perm, int n, uint64_t *state);

#endif
