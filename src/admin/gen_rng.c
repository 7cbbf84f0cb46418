/* gen_rng: the generator's one random stream, splitmix64 from the seed,
 * and the draws made from it. Each draw consumes a fixed number of values,
 * so the same seed and the same sequence of draws give the same world. */
#include <math.h>
#include <stdint.h>

#include "admin/gen.h"

uint64_t gen_next(struct gen_rng *r) {
  uint64_t z = (r->state += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

double gen_uniform(struct gen_rng *r) {
  return (double)(gen_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

uint32_t gen_below(struct gen_rng *r, uint32_t n) {
  return (uint32_t)(((gen_next(r) >> 32) * (uint64_t)n) >> 32);
}

double gen_normal(struct gen_rng *r) {
  double u = gen_uniform(r), v = gen_uniform(r);
  if (u < 1e-300) u = 1e-300;
  return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

uint32_t gen_zipf(struct gen_rng *r, uint32_t n) {
  uint32_t k = (uint32_t)(exp(gen_uniform(r) * log((double)n + 1.0)) - 1.0);
  return k < n ? k : n - 1;
}

double gen_clamp01(double x) {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
