/* rng.c: deterministic random numbers (splitmix64): a draw depends on the
 * state it is given alone, never on the thread that makes it. */
#include "batch/recs/rng.h"

uint64_t rng_next(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double rng_unit(uint64_t *state) {
  return (double)(rng_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

void rng_perm(int *perm, int n, uint64_t *state) {
  for (int i = 0; i < n; i++)
    perm[i] = i;
  for (int i = n - 1; i > 0; i--) {
    int j = (int)(rng_next(state) % (uint64_t)(i + 1));
    int x = perm[i];
    perm[i] = perm[j];
    perm[j] = x;
  }
}
