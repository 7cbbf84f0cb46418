/* test_recs_models.c: every encore-recs model, and the hybrid, on a tiny
 * world with an obvious answer: two taste clusters; user 0 knows three
 * artists of cluster A, and the fourth one (artist 3) is what everyone like
 * them, their friend and the tags point to. One case per model (fitted with
 * its default parameters), two for the hybrid (user 0 is cold: its cold
 * weights decide); each builds the world afresh. */
#include "batch/recs/algo.h"
#include "batch/recs/csr.h"
#include "batch/recs/dataset.h"
#include "batch/recs/features.h"
#include "batch/recs/hybrid.h"
#include "batch/recs/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* The world with its transpose, and what the models fit on. */
struct fixture {
  struct dataset d;
  struct csr tt;
  struct algo_ctx c;
};

static void fixture_open(struct fixture *f) {
  memset(f, 0, sizeof *f);
  world(&f->d);
  CHECK_INT(csr_transpose(&f->tt, &f->d.ui), 0);
  f->c = (struct algo_ctx){&f->d.ui, &f->tt, &f->d.tags, &f->d.social, 1};
}

static void fixture_close(struct fixture *f) {
  csr_free(&f->tt);
  csr_free(&f->d.ui);
  csr_free(&f->d.social);
  csr_free(&f->d.tags);
}

/* fit: m with the first setting of its grid (ALS with 4 factors for the 10
 * artists); NULL when fitting failed. */
static void *fit(const struct algo *m, const struct algo_ctx *c) {
  double p[ALGO_NPARAM];
  for (int q = 0; q < ALGO_NPARAM; q++)
    p[q] = m->grid[0][q];
  if (m == &algo_als) p[0] = 4;
  void *state = m->fit(c, p);
  CHECK(state != NULL);
  return state;
}

/* recommends: model m, fitted on the world, ranks `want` first among the
 * artists user 0 does not know. */
static void recommends(const struct algo *m, int want) {
  struct fixture f;
  fixture_open(&f);
  void *state = fit(m, &f.c);
  if (state) {
    float s[NI];
    m->score(state, &f.c, 0, s);
    int got = best_unseen(s, &f.d.ui, 0);
    if (got != want) fprintf(stderr, "model %s recommends %d\n", m->name, got);
    CHECK_INT(got, want);
    m->release(state);
  }
  fixture_close(&f);
}

static void itemknn_recommends_the_missing_artist(void) {
  recommends(&algo_itemknn, 3);
}

static void als_recommends_the_missing_artist(void) {
  recommends(&algo_als, 3);
}

static void rp3_recommends_the_missing_artist(void) {
  recommends(&algo_rp3, 3);
}

static void userknn_recommends_the_missing_artist(void) {
  recommends(&algo_userknn, 3);
}

static void content_recommends_the_missing_artist(void) {
  recommends(&algo_content, 3);
}

static void social_recommends_the_missing_artist(void) {
  recommends(&algo_social, 3);
}

static void pop_recommends_the_most_listened_artist(void) {
  recommends(&algo_pop, 4); /* artist 4 has the most listeners */
}

static void ease_recommends_the_missing_artist(void) {
  recommends(&algo_ease, 3);
}

/* hybrid_pick: the hybrid of every model (fitted as above), with the warm
 * weights on item-KNN and popularity and the cold weight on model `cold`
 * alone; user 0 has 3 artists, so is cold. Returns its best unseen artist,
 * after checking that the artists user 0 knows are masked. */
static int hybrid_pick(int cold) {
  static const struct algo *const ms[] = {
      &algo_itemknn, &algo_als,    &algo_rp3, &algo_userknn,
      &algo_content, &algo_social, &algo_pop, &algo_ease};
  struct fixture f;
  fixture_open(&f);
  struct hybrid h = {.n = 8, .cold_max = 3};
  bool fitted = true;
  for (int m = 0; m < 8; m++) {
    h.m[m] = ms[m];
    h.state[m] = fit(ms[m], &f.c);
    fitted &= h.state[m] != NULL;
  }
  h.warm[0] = 1;
  h.warm[6] = 1;
  h.cold[cold] = 1;
  int got = -1;
  if (fitted) {
    float s[NI], tmp[NI];
    hybrid_score(&h, &f.c, 0, s, tmp);
    CHECK(s[0] == -INFINITY && s[1] == -INFINITY && s[2] == -INFINITY);
    got = best_unseen(s, &f.d.ui, 0);
  }
  for (int m = 0; m < 8; m++)
    if (h.state[m]) ms[m]->release(h.state[m]);
  fixture_close(&f);
  return got;
}

static void hybrid_cold_weight_on_content_picks_the_missing_artist(void) {
  CHECK_INT(hybrid_pick(4), 3);
}

static void hybrid_cold_weight_on_popularity_picks_the_popular_artist(void) {
  CHECK_INT(hybrid_pick(6), 4);
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  T_CASE(itemknn_recommends_the_missing_artist);
  T_CASE(als_recommends_the_missing_artist);
  T_CASE(rp3_recommends_the_missing_artist);
  T_CASE(userknn_recommends_the_missing_artist);
  T_CASE(content_recommends_the_missing_artist);
  T_CASE(social_recommends_the_missing_artist);
  T_CASE(pop_recommends_the_most_listened_artist);
  T_CASE(ease_recommends_the_missing_artist);
  T_CASE(hybrid_cold_weight_on_content_picks_the_missing_artist);
  T_CASE(hybrid_cold_weight_on_popularity_picks_the_popular_artist);
  T_DONE();
}
