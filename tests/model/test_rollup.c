/* test_rollup: the rollup blob round trip (random maps, every section),
 * its normalization (repeats summed, emptied keys dropped), corrupt blobs
 * refused, and the accumulator's sums, top lists and entropy. */
#include "model/rollup.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"

static uint64_t rng = 42;
static uint64_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static void round_trip(void) {
  for (int round = 0; round < 200; round++) {
    struct rollup r = {0}, back = {0};
    for (int k = 0; k < ROLLUP_KINDS; k++) {
      int n = (int)(next() % 300);
      for (int i = 0; i < n; i++) {
        int64_t key = k == ROLLUP_QUARTERS ? (int64_t)(next() % 2976)
                                           : (int64_t)(next() % (1ULL << 53));
        CHECK_INT(rollup_put(&r.m[k], key, 1 + (int64_t)(next() % 9),
                             (int64_t)(next() % 400000000000LL)),
                  0);
      }
    }
    rollup_normalize(&r);
    unsigned char *buf = malloc(rollup_encoded_max(&r));
    size_t len = rollup_encode(&r, buf);
    CHECK(len <= rollup_encoded_max(&r));
    CHECK_INT(rollup_decode(&back, buf, len), 0);
    for (int k = 0; k < ROLLUP_KINDS; k++) {
      CHECK_INT(back.m[k].n, r.m[k].n);
      for (int i = 0; i < r.m[k].n && i < back.m[k].n; i++)
        CHECK(!memcmp(&back.m[k].e[i], &r.m[k].e[i], sizeof r.m[k].e[i]));
    }
    /* every truncation is refused, never read past its end */
    for (size_t cut = 0; cut < len; cut += 1 + len / 50) {
      struct rollup t = {0};
      CHECK_INT(rollup_decode(&t, buf, cut), -1);
      rollup_free(&t);
    }
    free(buf);
    rollup_free(&r);
    rollup_free(&back);
  }
}

static void normalize(void) {
  struct rollup r = {0};
  rollup_put(&r.m[ROLLUP_TRACKS], 7, 2, 100);
  rollup_put(&r.m[ROLLUP_TRACKS], 3, 1, 50);
  rollup_put(&r.m[ROLLUP_TRACKS], 7, 1, 20);
  rollup_put(&r.m[ROLLUP_TRACKS], 3, -1, -50); /* a listen taken away */
  rollup_put(&r.m[ROLLUP_QUARTERS], 5, 3, 120);
  rollup_normalize(&r);
  CHECK_INT(r.m[ROLLUP_TRACKS].n, 1);
  CHECK_INT(r.m[ROLLUP_TRACKS].e[0].key, 7);
  CHECK_INT(r.m[ROLLUP_TRACKS].e[0].listens, 3);
  CHECK_INT(r.m[ROLLUP_TRACKS].e[0].ms, 120);
  int64_t l, ms;
  rollup_totals(&r, &l, &ms);
  CHECK(l == 3 && ms == 120);
  rollup_clear(&r);
  rollup_totals(&r, &l, &ms);
  CHECK(l == 0 && ms == 0);
  rollup_free(&r);
}

static void corrupt(void) {
  struct rollup r = {0};
  const unsigned char wrong_magic[] = "XR1\x05\0\0\0\0\0";
  const unsigned char trailing[] = "IR1\x05\0\0\0\0\0\x01";
  const unsigned char long_varint[] = "IR1\x05\xff\xff\xff\xff\xff\xff\xff"
                                      "\xff\xff\xff\x01";
  const unsigned char empty[] = "IR1\x05\0\0\0\0\0";
  CHECK_INT(rollup_decode(&r, wrong_magic, 9), -1);
  CHECK_INT(rollup_decode(&r, trailing, 10), -1);
  CHECK_INT(rollup_decode(&r, long_varint, 15), -1);
  rollup_free(&r);
  CHECK_INT(rollup_decode(&r, empty, 9), 0);
  rollup_free(&r);
}

static void accumulate(void) {
  struct rollup_acc a = {0};
  struct rollup_entry top[5];
  CHECK_INT(rollup_acc_top(&a, 5, top), 0);
  CHECK_INT(rollup_acc_count(&a), 0);
  CHECK(rollup_acc_entropy(&a) == 0);
  for (int64_t k = 0; k < 1000; k++)
    rollup_acc_add(&a, k, 1, k);
  rollup_acc_add(&a, 500, 9, 0); /* 10 listens */
  rollup_acc_add(&a, 20, 9, 0);  /* 10, less time: after 500 */
  rollup_acc_add(&a, 900, 4, 0); /* 5 */
  rollup_acc_add(&a, 901, 4, 0); /* 5, ties broken by ... time */
  CHECK_INT(rollup_acc_count(&a), 1000);
  CHECK_INT(rollup_acc_get(&a, 500).listens, 10);
  CHECK_INT(rollup_acc_get(&a, 5000).listens, 0);
  int n = rollup_acc_top(&a, 5, top);
  CHECK_INT(n, 5);
  CHECK_INT(top[0].key, 500);
  CHECK_INT(top[1].key, 20);
  CHECK_INT(top[2].key, 901);
  CHECK_INT(top[3].key, 900);
  CHECK_INT(top[4].key, 999); /* among the ones, the most time */
  rollup_acc_free(&a);
  /* entropy: four keys heard alike are 2 bits */
  for (int64_t k = 0; k < 4; k++)
    rollup_acc_add(&a, k, 3, 0);
  CHECK(fabs(rollup_acc_entropy(&a) - 2.0) < 1e-9);
  rollup_acc_free(&a);
}

int main(void) {
  round_trip();
  normalize();
  corrupt();
  accumulate();
  T_DONE();
}
