/* test_recs_models.c: every encore-recs model, and the hybrid, on a tiny
 * world with an obvious answer: two taste clusters; user 0 knows three
 * artists of cluster A, and the fourth one (artist 3) is what everyone like
 * them, their friend and the tags point to. */
#include "batch/recs/algo.h"
#include "batch/recs/csr.h"
#include "batch/recs/dataset.h"
#include "batch/recs/features.h"
#include "batch/recs/hybrid.h"
#include "batch/recs/metrics.h"

#include <math.h>
#include <stdlib.h>

#include "t.h"

#define NU 12
#define NI 10

/* users 1..5: artists 0-3 (cluster A); users 6..11: artists 5-9 (cluster
 * B), and everyone in B also plays artist 4 a little (the most popular). */
static void world(struct dataset *d) {
  struct csr_triplet t[128], f[4], g[32];
  int n = 0, nf = 0, ng = 0;
  for (int i = 0; i < 3; i++)
    t[n++] = (struct csr_triplet){0, i, 10};
  for (int u = 1; u <= 5; u++)
    for (int i = 0; i < 4; i++)
      t[n++] = (struct csr_triplet){u, i, (float)(5 + u + i)};
  for (int u = 6; u < NU; u++) {
    for (int i = 5; i < NI; i++)
      t[n++] = (struct csr_triplet){u, i, (float)(u + i)};
    t[n++] = (struct csr_triplet){u, 4, 1};
  }
  f[nf++] = (struct csr_triplet){0, 1, 1};
  f[nf++] = (struct csr_triplet){1, 0, 1};
  for (int i = 0; i < 4; i++)
    g[ng++] = (struct csr_triplet){i, 0, 1}; /* tag "A" */
  for (int i = 4; i < NI; i++)
    g[ng++] = (struct csr_triplet){i, 1, 1}; /* tag "B" */
  CHECK_INT(csr_build(&d->ui, NU, NI, t, n), 0);
  CHECK_INT(csr_build(&d->social, NU, NU, f, nf), 0);
  CHECK_INT(csr_build(&d->tags, NI, 2, g, ng), 0);
  features_tfidf(&d->tags);
  d->n_users = NU;
  d->n_items = NI;
  d->n_tags = 2;
}

static int best_unseen(float *s, const struct csr *train, int u) {
  for (int64_t k = train->ptr[u]; k < train->ptr[u + 1]; k++)
    s[train->idx[k]] = -INFINITY;
  int top[1];
  return metrics_topk(s, NI, 1, top) == 1 ? top[0] : -1;
}

static void fit_and_rank(void) {
  struct dataset d = {0};
  struct csr tt;
  world(&d);
  CHECK_INT(csr_transpose(&tt, &d.ui), 0);
  struct algo_ctx c = {&d.ui, &tt, &d.tags, &d.social, 1};
  const struct algo *ms[] = {&algo_itemknn, &algo_als,     &algo_rp3,
                             &algo_userknn, &algo_content, &algo_social,
                             &algo_pop,     &algo_ease};
  struct hybrid h = {.n = 8, .cold_max = 3};
  float s[NI], tmp[NI];
  for (int m = 0; m < 8; m++) {
    double p[ALGO_NPARAM];
    for (int q = 0; q < ALGO_NPARAM; q++)
      p[q] = ms[m]->grid[0][q];
    if (ms[m] == &algo_als) p[0] = 4; /* 4 factors for 10 artists */
    h.m[m] = ms[m];
    h.state[m] = ms[m]->fit(&c, p);
    CHECK(h.state[m] != NULL);
    if (!h.state[m]) continue;
    ms[m]->score(h.state[m], &c, 0, s);
    int want = ms[m] == &algo_pop ? 4 : 3; /* pop: the most listeners */
    int got = best_unseen(s, &d.ui, 0);
    if (got != want)
      fprintf(stderr, "model %s recommends %d\n", ms[m]->name, got);
    CHECK_INT(got, want);
  }
  /* The hybrid: warm weights on item-KNN and popularity, cold weights (user
   * 0 has 3 artists) on content alone: content must win. */
  h.warm[0] = 1;
  h.warm[6] = 1;
  h.cold[4] = 1;
  hybrid_score(&h, &c, 0, s, tmp);
  CHECK(s[0] == -INFINITY && s[1] == -INFINITY && s[2] == -INFINITY);
  CHECK_INT(best_unseen(s, &d.ui, 0), 3);
  h.cold[4] = 0;
  h.cold[6] = 1; /* popularity alone */
  hybrid_score(&h, &c, 0, s, tmp);
  CHECK_INT(best_unseen(s, &d.ui, 0), 4);
  for (int m = 0; m < 8; m++)
    if (h.state[m]) ms[m]->release(h.state[m]);
  csr_free(&tt);
  csr_free(&d.ui);
  csr_free(&d.social);
  csr_free(&d.tags);
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  T_CASE(fit_and_rank);
  T_DONE();
}
