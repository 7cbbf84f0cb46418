/* test_recs_metrics.c: encore-recs ranking metrics on hand-made rankings:
 * top-k selection, hits, NDCG, z-scores and the evaluation loop. */
#include "batch/recs/csr.h"
#include "batch/recs/hybrid.h"
#include "batch/recs/metrics.h"
#include "batch/recs/split.h"

#include <math.h>
#include <stdlib.h>

#include "t.h"

#define NEAR(a, b) (fabs((double)(a) - (double)(b)) < 1e-6)

static void test_topk(void) {
  float s[] = {0.5f, 2.0f, -INFINITY, 2.0f, 1.0f, NAN, 3.0f};
  int top[4];
  int m = metrics_topk(s, 7, 4, top);
  CHECK_INT(m, 4);
  CHECK_INT(top[0], 6);
  CHECK_INT(top[1], 1); /* ties: the lower index first */
  CHECK_INT(top[2], 3);
  CHECK_INT(top[3], 4);
  float few[] = {-INFINITY, 1.0f};
  CHECK_INT(metrics_topk(few, 2, 4, top), 1); /* never a masked item */
  CHECK_INT(top[0], 1);
  CHECK_INT(metrics_topk(few, 0, 4, top), 0);
}

static void test_ndcg(void) {
  int rank[] = {3, 1, 2};
  int rel[] = {1, 5};
  /* one hit at position 2: (1/log2 3) / (1 + 1/log2 3) */
  double want = (1 / log2(3.0)) / (1 + 1 / log2(3.0));
  CHECK(NEAR(metrics_ndcg(rank, 3, rel, 2, 10), want));
  CHECK_INT(metrics_hits(rank, 3, rel, 2, 10), 1);
  CHECK_INT(metrics_hits(rank, 3, rel, 2, 1), 0);
  int perfect[] = {1, 5, 7};
  CHECK(NEAR(metrics_ndcg(perfect, 3, rel, 2, 10), 1.0));
  /* ideal DCG over min(|rel|, k): 3 relevant, k = 2, both slots hit */
  int rel3[] = {1, 5, 9};
  CHECK(NEAR(metrics_ndcg(perfect, 3, rel3, 3, 2), 1.0));
  CHECK(NEAR(metrics_ndcg(rank, 3, rel3, 0, 10), 0.0)); /* nothing relevant */
  int miss[] = {2, 3, 4};
  CHECK(NEAR(metrics_ndcg(miss, 3, rel, 2, 10), 0.0));
}

static void test_zscore(void) {
  struct csr_triplet t[] = {{0, 0, 5}};
  struct csr m;
  CHECK_INT(csr_build(&m, 1, 4, t, 1), 0);
  float s[] = {100, 1, 2, 3};
  hybrid_zscore(s, &m, 0);
  CHECK(s[0] == -INFINITY); /* seen in training */
  CHECK(NEAR(s[1] + s[2] + s[3], 0));
  CHECK(NEAR(s[3], sqrt(1.5)));
  float flat[] = {0, 7, 7, 7};
  hybrid_zscore(flat, &m, 0);
  CHECK(flat[1] == 0 && flat[2] == 0); /* no opinion: zeros, not NaN */
  csr_free(&m);
}

/* Scores item i as -i: the ranking is 0, 1, 2, ... minus training items. */
static void fixed_scores(const void *arg, int u, float *out, float *tmp) {
  (void)arg;
  (void)u;
  (void)tmp;
  for (int i = 0; i < 30; i++)
    out[i] = (float)-i;
}

static void test_evaluate(void) {
  /* user 0: trained on item 0, test {1, 15, 25}: top-10 = 1..10 -> 1 hit at
   * rank 1, top-20 = 1..20 -> 2 hits. user 1: trained on 5, test {0}. */
  struct csr_triplet tr[] = {{0, 0, 1}, {1, 5, 1}};
  struct csr_triplet te[] = {{0, 1, 1}, {0, 15, 1}, {0, 25, 1}, {1, 0, 1}};
  struct split s = {0};
  int users[] = {0, 1};
  CHECK_INT(csr_build(&s.train, 2, 30, tr, 2), 0);
  CHECK_INT(csr_build(&s.test, 2, 30, te, 4), 0);
  unsigned char head[30] = {0};
  head[0] = head[1] = 1;
  struct metrics r;
  metrics_evaluate(&r, &s, users, 2, head, fixed_scores, NULL);
  CHECK_INT(r.users, 2);
  CHECK(NEAR(r.prec10, (0.1 + 0.1) / 2));
  CHECK(NEAR(r.rec10, (1.0 / 3 + 1.0) / 2));
  CHECK(NEAR(r.rec20, (2.0 / 3 + 1.0) / 2));
  double ideal3 = 1 + 1 / log2(3.0) + 0.5;
  CHECK(NEAR(r.ndcg10, (1 / ideal3 + 1) / 2));
  /* top-10s: 1..10 and {0..4, 6..10}: 11 distinct of 30 */
  CHECK(NEAR(r.coverage10, 11.0 / 30));
  /* head items 0 and 1 appear twice in the 20 recommendations */
  CHECK(NEAR(r.tail10, 17.0 / 20));
  csr_free(&s.train);
  csr_free(&s.test);
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  T_CASE(test_topk);
  T_CASE(test_ndcg);
  T_CASE(test_zscore);
  T_CASE(test_evaluate);
  T_DONE();
}
