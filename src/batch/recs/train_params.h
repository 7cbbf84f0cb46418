/* train_params.h: every tuning constant of the production training
 * (train*.c) in one place: the components the hybrid blends and its fixed
 * weights, the sizes that decide between ranking every item and scoring
 * candidates, the candidates themselves, the validation split the blend
 * weights are tuned on, and the models' settings. The tuned weights
 * themselves are chosen per run (train_tune.c, through hybrid.h's search,
 * its HYBRID_CANDS candidates per component) and recorded in the version's
 * stats; hybrid.h says where every weight of the hybrid is decided. Nothing
 * reads these but train*.c; changing one changes the lists every user is
 * served. */
#ifndef ENCORE_BATCH_RECS_TRAIN_PARAMS_H
#define ENCORE_BATCH_RECS_TRAIN_PARAMS_H

#include <stdint.h>

/* The blended components, the indices of the weight vectors. */
enum train_comp {
  TRAIN_KNN,     /* item-KNN */
  TRAIN_ALS,     /* implicit ALS */
  TRAIN_EASE,    /* EASE (small catalogues) */
  TRAIN_CONTENT, /* the user's tag/genre profile against the item's */
  TRAIN_SOCIAL,  /* what the people the user follows play */
  TRAIN_POP,     /* popularity overall */
  TRAIN_GENRE,   /* popularity within the user's genres */
  TRAIN_NCOMP
};

/* The components' names in the stats. */
static const char *const train_comp_names[TRAIN_NCOMP] = {
    [TRAIN_KNN] = "itemknn",   [TRAIN_ALS] = "als",
    [TRAIN_EASE] = "ease",     [TRAIN_CONTENT] = "content",
    [TRAIN_SOCIAL] = "social", [TRAIN_POP] = "pop",
    [TRAIN_GENRE] = "genre"};

/* train_params.genre_top is at most this (an array's size). */
#define TRAIN_GENRE_TOP_MAX 8

struct train_params {
  /* The hybrid's fixed weights, per component: users with no training
   * items, and in light runs (which tune nothing) warm and cold users. */
  double weights_empty[TRAIN_NCOMP];
  double weights_light_warm[TRAIN_NCOMP];
  double weights_light_cold[TRAIN_NCOMP];
  /* Users with at most this many training items get the cold weights. */
  int cold_max;

  /* Rank every item while users x items is at most this; above it, score
   * candidates (train_opts.dense_cells overrides it). */
  double dense_cells;
  /* A big input: more items than this, or more interactions. */
  int big_items;
  int64_t big_interactions;

  /* Candidates on a big catalogue: the popular items overall and of each
   * of the user's genre_top strongest genres, then, of what the user's
   * items' neighbours and followees reach, the best by item-KNN and by
   * social score. */
  int pop_cands, genre_cands, genre_top;
  int knn_cands, social_cands;

  /* The collaborative models learn from at most this many items a user. */
  int cf_max_items;
  /* Item-KNN: shrinkage, neighbours per item (on a big input: knn_k_big). */
  double knn_shrink;
  int knn_k, knn_k_big;
  /* ALS: factors (on a big catalogue: als_factors_big), confidence alpha,
   * regularization, iterations (on a big input: als_iters_big). */
  int als_factors, als_factors_big;
  double als_alpha, als_reg;
  int als_iters, als_iters_big;
  /* EASE: only when every item is ranked and at most ease_max_items items
   * have ease_min_users users or more; its regularization. */
  int ease_max_items, ease_min_users;
  double ease_lambda;

  /* The validation split the weights are tuned on: users with at least
   * val_min items, at most val_users of them, val_frac of each one's items
   * held out, a val_cold share of them cut to cold_max training items. */
  int val_min, val_users;
  double val_frac, val_cold;
  /* On bigger inputs the validation models learn from a sample of about
   * this many interactions. */
  int64_t val_fit_nnz;

  /* Track level: "because you listen to artist X" replaces a weak item
   * reason (the best single item explains under artist_share of the
   * item-KNN score) when at least artist_min of the user's tracks are by
   * the item's artist. */
  int artist_min;
  float artist_share;
};

static const struct train_params train_params = {
    /* Users with no history: what the people they follow play and the
     * popular items of their stated genres first, overall popularity
     * after. Light runs do not tune (a validation fit would double their
     * cost) and have no ALS or EASE: item-KNN leads their fixed blends,
     * content, social and popularity add to it, more so for cold users. */
    .weights_empty = {[TRAIN_SOCIAL] = 4, [TRAIN_POP] = 1, [TRAIN_GENRE] = 4},
    .weights_light_warm = {[TRAIN_KNN] = 1,
                           [TRAIN_CONTENT] = 0.25,
                           [TRAIN_SOCIAL] = 0.25,
                           [TRAIN_POP] = 0.1,
                           [TRAIN_GENRE] = 0.1},
    .weights_light_cold = {[TRAIN_KNN] = 1,
                           [TRAIN_CONTENT] = 0.5,
                           [TRAIN_SOCIAL] = 0.5,
                           [TRAIN_POP] = 0.5,
                           [TRAIN_GENRE] = 0.5},
    .cold_max = 3,

    /* HetRec's artists: 1,892 x 17,632 = 3.3e7 cells, every item ranked as
     * the offline evaluation does. */
    .dense_cells = 1e8,
    .big_items = 100000,
    .big_interactions = 1000000,

    .pop_cands = 300,
    .genre_cands = 200,
    .genre_top = 3,
    .knn_cands = 1000,
    .social_cands = 300,

    /* Item-KNN costs the sum of the squared row lengths: the few users
     * with thousands of tracks would cost more than everyone else. */
    .cf_max_items = 200,
    /* HetRec-sized inputs get the offline evaluation's settings (the
     * defaults of itemknn.c's, als.c's and ease.c's grids); the world's
     * levels (millions of interactions) fewer neighbours and iterations,
     * and a million tracks fewer factors, to stay within the time and
     * memory budget (fewer neighbours also keep the graph in memory). */
    .knn_shrink = 100,
    .knn_k = 400,
    .knn_k_big = 100,
    .als_factors = 64,
    .als_factors_big = 32,
    .als_alpha = 1,
    .als_reg = 0.1,
    .als_iters = 12,
    .als_iters_big = 8,
    /* EASE's dense inverse is cubic in the items it keeps. On HetRec 3
     * users rather than the evaluation's 2 keeps ~4,500 of ~7,000 artists,
     * costs a third of the time and leaves the validation NDCG@10 as it
     * was (0.2432 against 0.2430). */
    .ease_max_items = 8000,
    .ease_min_users = 3,
    .ease_lambda = 100,

    .val_min = 5,
    .val_users = 4000,
    .val_frac = 0.2,
    .val_cold = 0.25,
    /* The weights are then chosen on models a few times weaker than the
     * final ones, but fitting the full models twice would take most of the
     * time budget. */
    .val_fit_nnz = 2000000,

    .artist_min = 3,
    .artist_share = 0.5f,
};

#endif
