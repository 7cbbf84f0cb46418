/* test_recs_train.c: train_run on a small world with known structure: two
 * taste clusters of 20 items (genres 0-1 and 2-3), a user with only stated
 * genres, a user with nothing, a cold user who follows someone, dislikes.
 * What a full run must say about that world is checked on both of its paths
 * (every item ranked, and candidates per user as for a big catalogue), each
 * case training afresh; then a light run, a malformed input, a catalogue
 * wider than the candidate cap, an empty input and users without
 * interactions. */
#include "batch/recs/batch.h"
#include "batch/recs/csr.h"
#include "batch/recs/features.h"
#include "model/recfmt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"

#define NI 40 /* item i has genre i / 10 */
#define NG 4
#define NU 44
#define U_PREF 40   /* stated genre 3 only */
#define U_NONE 41   /* nothing at all */
#define U_COLD 42   /* two items of cluster A, follows user 0 */
#define U_SOCIAL 43 /* one item of cluster B, follows user 25 */
#define NEG_USER 1
#define NEG_ITEM 7

static int64_t user_ext[NU], item_ext[NI], genre_ext[NG], artist_ext[NI];

/* Users 0..19 play cluster A (items 0..19), users 20..39 cluster B; each
 * plays 8 items of their cluster, the first items of a cluster more
 * often (so popularity has an order). */
static void world(struct batch_input *in) {
  struct csr_triplet t[512], g[NI], s[4], p[2], n[2];
  int nt = 0, ns = 0;
  memset(in, 0, sizeof *in);
  for (int u = 0; u < 40; u++) {
    int base = u < 20 ? 0 : 20;
    for (int k = 0; k < 8; k++) {
      int i = base + (u * 3 + k * 7) % 20;
      t[nt++] = (struct csr_triplet){u, i, (float)(1 + (20 - (i - base)))};
    }
  }
  t[nt++] = (struct csr_triplet){U_COLD, 0, 5};
  t[nt++] = (struct csr_triplet){U_COLD, 1, 3};
  t[nt++] = (struct csr_triplet){U_SOCIAL, 20, 2};
  s[ns++] = (struct csr_triplet){U_COLD, 0, 1};
  s[ns++] = (struct csr_triplet){U_SOCIAL, 25, 1};
  for (int i = 0; i < NI; i++)
    g[i] = (struct csr_triplet){i, i / 10, 1};
  p[0] = (struct csr_triplet){U_PREF, 3, 1};
  n[0] = (struct csr_triplet){NEG_USER, NEG_ITEM, 1};
  for (int u = 0; u < NU; u++)
    user_ext[u] = 500 + u;
  for (int i = 0; i < NI; i++) {
    item_ext[i] = 1000 + i;
    artist_ext[i] = 7000 + i / 5;
  }
  for (int k = 0; k < NG; k++)
    genre_ext[k] = 90 + k;
  in->level = BATCH_ARTIST;
  in->d.n_users = NU;
  in->d.n_items = NI;
  in->d.n_tags = NG;
  in->d.user_id = user_ext;
  in->d.item_id = item_ext;
  in->n_genres = NG;
  in->genre_ext = genre_ext;
  in->item_artist_ext = artist_ext;
  CHECK_INT(csr_build(&in->d.ui, NU, NI, t, nt), 0);
  CHECK_INT(csr_build(&in->d.social, NU, NU, s, ns), 0);
  CHECK_INT(csr_build(&in->item_genres, NI, NG, g, NI), 0);
  for (int i = 0; i < NI; i++)
    g[i] = (struct csr_triplet){i, i / 10, 1};
  CHECK_INT(csr_build(&in->d.tags, NI, NG, g, NI), 0);
  features_tfidf(&in->d.tags);
  CHECK_INT(csr_build(&in->pref_genres, NU, NG, p, 1), 0);
  CHECK_INT(csr_build(&in->neg, NU, NI, n, 1), 0);
}

static void world_free(struct batch_input *in) {
  csr_free(&in->d.ui);
  csr_free(&in->d.social);
  csr_free(&in->d.tags);
  csr_free(&in->item_genres);
  csr_free(&in->pref_genres);
  csr_free(&in->neg);
}

static int has_genre(const struct batch_input *in, int i, int64_t gext) {
  for (int64_t q = in->item_genres.ptr[i]; q < in->item_genres.ptr[i + 1]; q++)
    if (genre_ext[in->item_genres.idx[q]] == gext) return 1;
  return 0;
}

/* The properties of every list, every neighbour row, every popular list. */
static void check_output(const struct batch_input *in,
                         const struct batch_output *out) {
  CHECK_INT(out->n_users, NU);
  CHECK_INT(out->n_items, NI);
  for (int u = 0; u < NU; u++) {
    int64_t b = out->list_ptr[u], e = out->list_ptr[u + 1];
    CHECK(e >= b && e - b <= BATCH_TOP_N);
    unsigned char seen[NI] = {0};
    for (int64_t k = b; k < e; k++) {
      const struct batch_entry *x = &out->list[k];
      CHECK(x->item >= 0 && x->item < NI);
      if (x->item < 0 || x->item >= NI) continue;
      CHECK(!seen[x->item]);
      seen[x->item] = 1;
      CHECK(!csr_has(&in->d.ui, u, x->item));
      CHECK(!csr_has(&in->neg, u, x->item));
      if (k > b) CHECK(out->list[k - 1].score >= x->score);
      CHECK(x->reason >= RECFMT_R_NONE && x->reason <= RECFMT_R_POPULAR);
      if (x->reason == RECFMT_R_ITEM) {
        /* the reason is an item this user actually has */
        int mine = 0;
        for (int64_t q = in->d.ui.ptr[u]; q < in->d.ui.ptr[u + 1]; q++)
          mine |= item_ext[in->d.ui.idx[q]] == x->reason_id;
        CHECK(mine);
      } else if (x->reason == RECFMT_R_SOCIAL) {
        int followee = 0;
        for (int64_t q = in->d.social.ptr[u]; q < in->d.social.ptr[u + 1]; q++)
          followee |= user_ext[in->d.social.idx[q]] == x->reason_id;
        CHECK(followee);
      } else if (x->reason == RECFMT_R_GENRE) {
        CHECK(has_genre(in, x->item, x->reason_id));
      } else if (x->reason == RECFMT_R_POPULAR) {
        CHECK_INT(x->reason_id, 0);
      }
    }
  }
  for (int i = 0; i < NI; i++) {
    int64_t b = out->nb_ptr[i], e = out->nb_ptr[i + 1];
    CHECK(e >= b && e - b <= BATCH_TOP_M);
    for (int64_t k = b; k < e; k++) {
      int j = out->nb_item[k];
      CHECK(j != i && j >= 0 && j < NI);
      CHECK(out->nb_score[k] > 0);
      if (k > b) CHECK(out->nb_score[k - 1] >= out->nb_score[k]);
      /* cosine is symmetric: when i lists j and j lists i, same score */
      for (int64_t q = out->nb_ptr[j]; q < out->nb_ptr[j + 1]; q++)
        if (out->nb_item[q] == i)
          CHECK(fabsf(out->nb_score[q] - out->nb_score[k]) < 1e-5f);
    }
  }
  CHECK_INT(out->n_pop, NG + 1);
  for (int g = 0; g < out->n_pop; g++)
    for (int k = 0; k < out->pop_n[g]; k++) {
      if (k > 0) CHECK(out->pop_score[g][k - 1] >= out->pop_score[g][k]);
      if (g > 0) CHECK_INT(out->pop[g][k] / 10, g - 1);
    }
}

/* cluster: 0 for items 0..19, 1 for 20..39 */
static int cluster(int i) {
  return i >= 20;
}

/* on_both_paths: build the world, train it in full with every item ranked
 * and again with candidates per user (the big-catalogue path), and hand
 * each output to check. */
static void on_both_paths(void (*check)(const struct batch_input *in,
                                        const struct batch_output *out,
                                        const struct train_opts *o)) {
  static const struct train_opts paths[] = {
      {.seed = 7, .threads = 2},
      {.seed = 7, .threads = 2, .dense_cells = -1},
  };
  struct batch_input in;
  world(&in);
  for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++) {
    struct batch_output out;
    int rc = train_run(&out, &in, &paths[p]);
    CHECK_INT(rc, 0);
    if (rc != 0) continue;
    check(&in, &out, &paths[p]);
    batch_output_free(&out);
  }
  world_free(&in);
}

static void check_well_formed(const struct batch_input *in,
                              const struct batch_output *out,
                              const struct train_opts *o) {
  (void)o;
  check_output(in, out);
}

static void every_list_and_neighbour_row_is_well_formed(void) {
  on_both_paths(check_well_formed);
}

static void check_stats(const struct batch_input *in,
                        const struct batch_output *out,
                        const struct train_opts *o) {
  (void)in;
  CHECK_HAS(out->stats, "\"peak_rss_mb\":");
  CHECK_HAS(out->stats, "\"weights\":{\"warm\":{\"itemknn\":");
  CHECK_HAS(out->stats, "\"ndcg10_warm\":");
  CHECK_HAS(out->stats,
            o->dense_cells < 0 ? "\"dense\":false" : "\"dense\":true");
  CHECK(out->stats && out->stats[0] == '{' &&
        out->stats[strlen(out->stats) - 1] == '}');
}

static void stats_are_an_object_with_weights_quality_and_path(void) {
  on_both_paths(check_stats);
}

static void check_own_cluster_first(const struct batch_input *in,
                                    const struct batch_output *out,
                                    const struct train_opts *o) {
  (void)in;
  (void)o;
  for (int u = 0; u < 40; u++) {
    int64_t b = out->list_ptr[u];
    CHECK(out->list_ptr[u + 1] - b >= 10);
    for (int k = 0; k < 5; k++)
      CHECK_INT(cluster(out->list[b + k].item), u >= 20);
  }
}

static void users_with_history_get_their_own_cluster_first(void) {
  on_both_paths(check_own_cluster_first);
}

static void check_neighbours_in_cluster(const struct batch_input *in,
                                        const struct batch_output *out,
                                        const struct train_opts *o) {
  (void)in;
  (void)o;
  for (int i = 0; i < NI; i++) {
    CHECK(out->nb_ptr[i + 1] > out->nb_ptr[i]);
    CHECK_INT(cluster(out->nb_item[out->nb_ptr[i]]), cluster(i));
  }
}

static void item_neighbours_stay_within_their_cluster(void) {
  on_both_paths(check_neighbours_in_cluster);
}

static void check_stated_genres(const struct batch_input *in,
                                const struct batch_output *out,
                                const struct train_opts *o) {
  (void)in;
  (void)o;
  int64_t b = out->list_ptr[U_PREF];
  CHECK(out->list_ptr[U_PREF + 1] - b >= 10);
  for (int k = 0; k < 10; k++) {
    CHECK_INT(out->list[b + k].item / 10, 3);
    CHECK_INT(out->list[b + k].reason, RECFMT_R_GENRE);
    CHECK_INT(out->list[b + k].reason_id, genre_ext[3]);
  }
}

static void stated_genres_alone_give_that_genres_popular_items(void) {
  on_both_paths(check_stated_genres);
}

static void check_nothing_at_all(const struct batch_input *in,
                                 const struct batch_output *out,
                                 const struct train_opts *o) {
  (void)in;
  (void)o;
  int64_t b = out->list_ptr[U_NONE];
  CHECK(out->list_ptr[U_NONE + 1] - b >= 5);
  for (int k = 0; k < 5; k++) {
    CHECK_INT(out->list[b + k].item, out->pop[0][k]);
    CHECK_INT(out->list[b + k].reason, RECFMT_R_POPULAR);
  }
}

static void user_with_nothing_gets_overall_popularity_in_order(void) {
  on_both_paths(check_nothing_at_all);
}

static void check_follow(const struct batch_input *in,
                         const struct batch_output *out,
                         const struct train_opts *o) {
  (void)o;
  int social = 0;
  for (int64_t k = out->list_ptr[U_SOCIAL]; k < out->list_ptr[U_SOCIAL + 1];
       k++)
    social += out->list[k].reason == RECFMT_R_SOCIAL &&
              out->list[k].reason_id == user_ext[25] &&
              csr_has(&in->d.ui, 25, out->list[k].item);
  CHECK(social > 0);
}

static void followees_items_are_recommended_for_the_follow(void) {
  /* The user with one item of cluster B who follows user 25. */
  on_both_paths(check_follow);
}

static void check_dislike(const struct batch_input *in,
                          const struct batch_output *out,
                          const struct train_opts *o) {
  (void)o;
  /* The disliked item is a cluster A item the user does not have: only the
   * dislike keeps it out. */
  CHECK(!csr_has(&in->d.ui, NEG_USER, NEG_ITEM));
  for (int64_t k = out->list_ptr[NEG_USER]; k < out->list_ptr[NEG_USER + 1];
       k++)
    CHECK(out->list[k].item != NEG_ITEM);
}

static void disliked_item_is_never_recommended(void) {
  on_both_paths(check_dislike);
}

static void check_deterministic(const struct batch_input *in,
                                const struct batch_output *out,
                                const struct train_opts *o) {
  struct batch_output again;
  int rc = train_run(&again, in, o);
  CHECK_INT(rc, 0);
  if (rc != 0) return;
  CHECK_INT(again.list_ptr[NU], out->list_ptr[NU]);
  if (again.list_ptr[NU] == out->list_ptr[NU])
    for (int64_t k = 0; k < out->list_ptr[NU]; k++) {
      CHECK_INT(again.list[k].item, out->list[k].item);
      CHECK(again.list[k].score == out->list[k].score);
    }
  batch_output_free(&again);
}

static void same_seed_gives_the_same_lists(void) {
  on_both_paths(check_deterministic);
}

static void light_run_lists_only_changed_users(void) {
  /* Neighbours and popularity are all there. */
  struct batch_input in;
  struct batch_output out;
  struct train_opts o = {
      .seed = 7, .threads = 2, .dense_cells = -1, .kind = BATCH_LIGHT};
  world(&in);
  unsigned char changed[NU] = {0};
  changed[3] = changed[U_PREF] = 1;
  in.changed = changed;
  CHECK_INT(train_run(&out, &in, &o), 0);
  check_output(&in, &out);
  CHECK_HAS(out.stats, "\"kind\":\"light\"");
  for (int u = 0; u < NU; u++)
    if (changed[u])
      CHECK(out.list_ptr[u + 1] - out.list_ptr[u] >= 10);
    else
      CHECK_INT(out.list_ptr[u + 1] - out.list_ptr[u], 0);
  CHECK(out.nb_ptr[NI] > 0);
  CHECK(out.pop_n[0] > 0);
  batch_output_free(&out);
  world_free(&in);
}

static void matrix_narrower_than_the_item_count_fails(void) {
  struct batch_input in;
  struct batch_output out;
  struct train_opts o = {.seed = 7, .threads = 2, .dense_cells = -1};
  world(&in);
  in.d.n_items = NI + 1;
  CHECK_INT(train_run(&out, &in, &o), -1);
  CHECK(out.list == NULL && out.stats == NULL);
  in.d.n_items = NI;
  world_free(&in);
}

/* A catalogue wide enough that a user's neighbours reach more items than
 * the candidate cap (the pruning of the big-catalogue path): 150 users with
 * 60 of 2,000 items each. */
#define BU 150
#define BI 2000
static void big_catalogue_lists_are_full_sorted_and_repeatable(void) {
  /* Lists are full, sorted, without known items or repeats, and the same
   * from run to run. */
  static struct csr_triplet t[BU * 60];
  static int64_t uext[BU], iext[BI];
  struct batch_input in = {.level = BATCH_TRACK};
  struct train_opts o = {.seed = 3, .threads = 2, .dense_cells = -1};
  struct batch_output out, again;
  int n = 0;
  uint32_t x = 1;
  for (int u = 0; u < BU; u++) {
    uext[u] = 1 + u;
    for (int k = 0; k < 60; k++) { /* spread at random: duplicates add up */
      x = x * 1103515245u + 12345u;
      t[n++] = (struct csr_triplet){u, (int)((x >> 8) % BI), 1.0f + k % 5};
    }
  }
  for (int i = 0; i < BI; i++)
    iext[i] = 10000 + i;
  in.d.n_users = BU;
  in.d.n_items = BI;
  in.d.user_id = uext;
  in.d.item_id = iext;
  CHECK_INT(csr_build(&in.d.ui, BU, BI, t, n), 0);
  CHECK_INT(train_run(&out, &in, &o), 0);
  CHECK_INT(train_run(&again, &in, &o), 0);
  CHECK_HAS(out.stats, "\"dense\":false");
  for (int u = 0; u < BU; u++) {
    int64_t b = out.list_ptr[u], e = out.list_ptr[u + 1];
    CHECK_INT(e - b, BATCH_TOP_N);
    CHECK_INT(again.list_ptr[u + 1] - again.list_ptr[u], e - b);
    unsigned char seen[BI] = {0};
    for (int64_t k = b; k < e; k++) {
      int i = out.list[k].item;
      CHECK(i >= 0 && i < BI && !seen[i] && !csr_has(&in.d.ui, u, i));
      if (i >= 0 && i < BI) seen[i] = 1;
      if (k > b) CHECK(out.list[k - 1].score >= out.list[k].score);
      if (out.list[k].reason == RECFMT_R_ITEM)
        CHECK(csr_has(&in.d.ui, u, (int)(out.list[k].reason_id - 10000)));
      if (k - b < again.list_ptr[u + 1] - again.list_ptr[u])
        CHECK_INT(again.list[again.list_ptr[u] + (k - b)].item, i);
    }
  }
  batch_output_free(&again);
  batch_output_free(&out);
  csr_free(&in.d.ui);
}

static void empty_level_gives_a_well_formed_empty_output(void) {
  /* Nothing to learn. */
  struct batch_input e = {0};
  struct batch_output out;
  struct train_opts o = {.seed = 7, .threads = 2, .dense_cells = -1};
  CHECK_INT(train_run(&out, &e, &o), 0);
  CHECK_INT(out.n_users, 0);
  CHECK(out.list_ptr != NULL && out.list_ptr[0] == 0);
  CHECK(out.nb_ptr != NULL && out.nb_ptr[0] == 0);
  CHECK_INT(out.n_pop, 1);
  CHECK_INT(out.pop_n[0], 0);
  batch_output_free(&out);
}

static void users_without_interactions_get_nothing_to_rank(void) {
  static int64_t ids[3] = {500, 501, 502};
  struct batch_input e = {0};
  struct batch_output out;
  struct train_opts o = {.seed = 7, .threads = 2, .dense_cells = -1};
  e.d.n_users = 3;
  e.d.user_id = ids;
  CHECK_INT(train_run(&out, &e, &o), 0);
  CHECK_INT(out.list_ptr[3], 0);
  batch_output_free(&out);
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  T_CASE(every_list_and_neighbour_row_is_well_formed);
  T_CASE(stats_are_an_object_with_weights_quality_and_path);
  T_CASE(users_with_history_get_their_own_cluster_first);
  T_CASE(item_neighbours_stay_within_their_cluster);
  T_CASE(stated_genres_alone_give_that_genres_popular_items);
  T_CASE(user_with_nothing_gets_overall_popularity_in_order);
  T_CASE(followees_items_are_recommended_for_the_follow);
  T_CASE(disliked_item_is_never_recommended);
  T_CASE(same_seed_gives_the_same_lists);
  T_CASE(light_run_lists_only_changed_users);
  T_CASE(matrix_narrower_than_the_item_count_fails);
  T_CASE(big_catalogue_lists_are_full_sorted_and_repeatable);
  T_CASE(empty_level_gives_a_well_formed_empty_output);
  T_CASE(users_without_interactions_get_nothing_to_rank);
  T_DONE();
}
