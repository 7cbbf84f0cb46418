/* test_recs_features.c: features from the training part only. A synthetic
 * data set where each user tags some of their own artists with a tag no
 * one else uses, so that any held-out tagging reaching a feature matrix
 * shows as that tag in the artist's row: the evaluation's folds (warm and
 * cold start, test and validation), the production trainer's validation
 * content (tags and genres), and the cold-start protocol's validation
 * split, which must hold none of its test pairs. */
#include "batch/recs/batch.h"
#include "batch/recs/csr.h"
#include "batch/recs/dataset.h"
#include "batch/recs/eval.h"
#include "batch/recs/features.h"
#include "batch/recs/split.h"

#include <stdlib.h>
#include <string.h>

#include "t.h"

#define NU 200
#define NI 60
#define PER_USER 10
#define SHARED_TAG 0 /* put on every tagged artist: no leak by itself */

/* What the test knows of each tagging besides dataset_tagging. */
struct world {
  struct dataset d;
  int own_item[NI]; /* artists with a base (non-user) count in column 1 */
};

/* make_world: user u plays PER_USER artists (u*7 + k*3) % NI; every other
 * one of them gets a tag of its own (column 2 + n) and the shared tag;
 * each user also tags one artist they never played, and one tagging has no
 * user row (-1). Artists divisible by 5 have a base count in column 1. */
static void make_world(struct world *w) {
  struct dataset *d = &w->d;
  struct csr_triplet t[NU * PER_USER], b[NI];
  int nt = 0, nb = 0;
  memset(w, 0, sizeof *w);
  d->tagged = calloc(3 * NU * PER_USER + 1, sizeof *d->tagged);
  CHECK(d->tagged != NULL);
  int tag = 2;
  for (int u = 0; u < NU; u++) {
    int played[NI] = {0};
    for (int k = 0; k < PER_USER; k++) {
      int i = (u * 7 + k * 3) % NI;
      played[i] = 1;
      t[nt++] = (struct csr_triplet){u, i, (float)(1 + k)};
      if (k % 2 == 0) {
        d->tagged[d->n_tagged++] =
            (struct dataset_tagging){.user = u, .item = i, .tag = tag++};
        d->tagged[d->n_tagged++] =
            (struct dataset_tagging){.user = u, .item = i, .tag = SHARED_TAG};
      }
    }
    int other = (u * 11 + 1) % NI;
    while (played[other])
      other = (other + 1) % NI;
    d->tagged[d->n_tagged++] =
        (struct dataset_tagging){.user = u, .item = other, .tag = tag++};
  }
  d->tagged[d->n_tagged++] =
      (struct dataset_tagging){.user = -1, .item = 3, .tag = tag++};
  for (int i = 0; i < NI; i += 5) {
    b[nb++] = (struct csr_triplet){i, 1, 2};
    w->own_item[i] = 1;
  }
  d->n_users = NU;
  d->n_items = NI;
  d->n_tags = tag;
  CHECK_INT(csr_build(&d->ui, NU, NI, t, nt), 0);
  CHECK_INT(csr_build(&d->base_tags, NI, d->n_tags, b, nb), 0);
  CHECK_INT(features_build(&d->tags, d, NULL), 0);
}

static void world_free(struct world *w) {
  csr_free(&w->d.ui);
  csr_free(&w->d.tags);
  csr_free(&w->d.base_tags);
  free(w->d.tagged);
}

/* check_fold: every tagging is in tags exactly when its pair is in train or
 * is no interaction at all; held counts those left out. */
static void check_fold(const struct dataset *d, const struct csr *train,
                       const struct csr *tags, int *held) {
  *held = 0;
  for (int64_t k = 0; k < d->n_tagged; k++) {
    const struct dataset_tagging *g = &d->tagged[k];
    if (g->tag == SHARED_TAG) continue;
    int interaction = g->user >= 0 && csr_has(&d->ui, g->user, g->item);
    int kept = !interaction || csr_has(train, g->user, g->item);
    CHECK_INT(csr_has(tags, g->item, g->tag), kept);
    *held += !kept;
  }
}

/* A plain hold-out: the held-out pairs' taggings are absent, the others and
 * the base counts present; with nothing held out, d->tags is lent. */
static void test_holdout(void) {
  struct world w;
  struct split s;
  struct features f;
  int held;
  make_world(&w);
  CHECK_INT(w.d.n_tagged, NU * (PER_USER + 1) + 1);
  CHECK_INT(split_holdout(&s, &w.d.ui, 5, 0.2, 11, 0, 0), 0);
  CHECK_INT(features_init(&f, &w.d, &s.train), 0);
  CHECK(f.tags != &w.d.tags);
  CHECK_INT(f.tags->nrows, NI);
  CHECK_INT(f.tags->ncols, w.d.n_tags);
  check_fold(&w.d, &s.train, f.tags, &held);
  CHECK(held > 0);
  CHECK_INT(f.held, 2 * held); /* each with the shared tag */
  for (int i = 0; i < NI; i++)
    CHECK_INT(csr_has(f.tags, i, 1), w.own_item[i]);
  features_free(&f);
  features_free(&f); /* twice is safe */
  CHECK_INT(features_init(&f, &w.d, &w.d.ui), 0);
  CHECK(f.tags == &w.d.tags);
  CHECK_INT(f.held, 0);
  check_fold(&w.d, &w.d.ui, f.tags, &held);
  CHECK_INT(held, 0);
  features_free(&f);
  split_free(&s);
  world_free(&w);
}

/* pairs_disjoint: no (user, item) of a is in b. */
static int pairs_disjoint(const struct csr *a, const struct csr *b) {
  for (int u = 0; u < a->nrows; u++)
    for (int64_t k = a->ptr[u]; k < a->ptr[u + 1]; k++)
      if (csr_has(b, u, a->idx[k])) return 0;
  return 1;
}

/* Both protocols: the test fold's features lack its test pairs' taggings,
 * the validation fold's lack the validation and the test pairs' ones. */
static void test_protocol_folds(void) {
  struct world w;
  make_world(&w);
  for (int p = EVAL_WARM; p <= EVAL_COLD; p++) {
    struct eval_split es;
    struct features ft, fv;
    int held_t, held_v;
    CHECK_INT(eval_split(&es, &w.d.ui, p, 3, 5), 0);
    CHECK_INT(features_init(&ft, &w.d, &es.test.train), 0);
    CHECK_INT(features_init(&fv, &w.d, &es.val.train), 0);
    check_fold(&w.d, &es.test.train, ft.tags, &held_t);
    check_fold(&w.d, &es.val.train, fv.tags, &held_v);
    CHECK(held_t > 0 && held_v > held_t);
    for (int64_t k = 0; k < w.d.n_tagged; k++) {
      const struct dataset_tagging *g = &w.d.tagged[k];
      if (g->user < 0 || g->tag == SHARED_TAG) continue;
      if (csr_has(&es.test.test, g->user, g->item) ||
          csr_has(&es.val.test, g->user, g->item)) {
        CHECK(!csr_has(fv.tags, g->item, g->tag));
      }
    }
    features_free(&ft);
    features_free(&fv);
    eval_split_free(&es);
  }
  world_free(&w);
}

/* The cold-start protocol's validation split comes from its own training
 * part: none of its pairs (trained on or held out) is a test pair, its
 * evaluated users are not the test's (who keep fewer artists than a
 * validation user needs), and both cut their cold users to `known`. */
static void test_cold_validation(void) {
  struct world w;
  make_world(&w);
  for (int known = 1; known <= 4; known++) {
    struct eval_split es;
    CHECK_INT(eval_split(&es, &w.d.ui, EVAL_COLD, known, 9), 0);
    CHECK(es.test.n_eval > 0 && es.val.n_eval > 0);
    CHECK(es.test.n_eval < NU / 2);
    CHECK(pairs_disjoint(&es.test.test, &es.val.train));
    CHECK(pairs_disjoint(&es.test.test, &es.val.test));
    CHECK(pairs_disjoint(&es.val.test, &es.val.train));
    unsigned char tested[NU] = {0};
    for (int k = 0; k < es.test.n_eval; k++) {
      int u = es.test.eval_users[k];
      tested[u] = 1;
      CHECK(es.test.train.ptr[u + 1] - es.test.train.ptr[u] <= known);
    }
    for (int k = 0; k < es.val.n_eval; k++) {
      int u = es.val.eval_users[k];
      CHECK(!tested[u]);
      CHECK(es.val.train.ptr[u + 1] - es.val.train.ptr[u] <= known);
    }
    eval_split_free(&es);
  }
  world_free(&w);
}

/* The production trainer's validation content: an artist keeps a genre
 * while its base count or a kept tagging gives it that genre. */
static void test_input_features(void) {
  struct world w;
  struct batch_input in = {.level = BATCH_ARTIST};
  struct split s;
  struct features_input f;
  int held;
  make_world(&w);
  in.d = w.d;
  /* Every tag column is a genre here; an artist has each genre its row
   * holds in d.tags. */
  in.n_genres = w.d.n_tags;
  struct csr *all = &in.d.tags;
  struct csr_triplet *g = malloc((size_t)(all->nnz + 1) * sizeof *g);
  CHECK(g != NULL);
  for (int i = 0; i < NI; i++)
    for (int64_t k = all->ptr[i]; k < all->ptr[i + 1]; k++)
      g[k] = (struct csr_triplet){i, all->idx[k], 1};
  CHECK_INT(csr_build(&in.item_genres, NI, in.n_genres, g, all->nnz), 0);
  free(g);
  CHECK_INT(split_holdout(&s, &in.d.ui, 5, 0.2, 3, 0, 0), 0);
  CHECK_INT(features_input_init(&f, &in, &s.train), 0);
  check_fold(&in.d, &s.train, f.tags.tags, &held);
  CHECK(held > 0);
  check_fold(&in.d, &s.train, f.genres, &held);
  CHECK(held > 0);
  for (int i = 0; i < NI; i++) {
    CHECK_INT(csr_has(f.genres, i, 1), w.own_item[i]);
    CHECK(csr_has(f.genres, i, SHARED_TAG) ==
          csr_has(f.tags.tags, i, SHARED_TAG));
  }
  features_input_free(&f);
  CHECK_INT(features_input_init(&f, &in, &in.d.ui), 0);
  CHECK(f.tags.tags == &in.d.tags && f.genres == &in.item_genres);
  features_input_free(&f);
  split_free(&s);
  csr_free(&in.item_genres);
  world_free(&w);
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  T_CASE(test_holdout);
  T_CASE(test_protocol_folds);
  T_CASE(test_cold_validation);
  T_CASE(test_input_features);
  T_DONE();
}
