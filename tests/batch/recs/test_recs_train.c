/* test_recs_train.c: train_run on a small world with known structure: two
 * taste clusters of 20 items (genres 0-1 and 2-3), a user with only stated
 * genres, a user with nothing, a cold user who follows someone, dislikes;
 * then the properties every output must have, a light run, an empty input
 * and a malformed one. */
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

/* full_run: a full run with o (every item ranked, or candidates) and what
 * its lists must say about this world. */
static void full_run(const struct batch_input *in, const struct train_opts *o) {
  struct batch_output out, again;
  CHECK_INT(train_run(&out, in, o), 0);
  check_output(in, &out);
  CHECK_HAS(out.stats, "\"peak_rss_mb\":");
  CHECK_HAS(out.stats, "\"weights\":{\"warm\":{\"itemknn\":");
  CHECK_HAS(out.stats, "\"ndcg10_warm\":");
  CHECK_HAS(out.stats,
            o->dense_cells < 0 ? "\"dense\":false" : "\"dense\":true");
  CHECK(out.stats && out.stats[0] == '{' &&
        out.stats[strlen(out.stats) - 1] == '}');

  /* Everyone with history is recommended their own cluster first. */
  for (int u = 0; u < 40; u++) {
    int64_t b = out.list_ptr[u];
    CHECK(out.list_ptr[u + 1] - b >= 10);
    for (int k = 0; k < 5; k++)
      CHECK_INT(cluster(out.list[b + k].item), u >= 20);
  }
  /* Item neighbours stay within their cluster. */
  for (int i = 0; i < NI; i++) {
    CHECK(out.nb_ptr[i + 1] > out.nb_ptr[i]);
    CHECK_INT(cluster(out.nb_item[out.nb_ptr[i]]), cluster(i));
  }
  /* Stated genres only: the popular items of genre 3, saying so. */
  {
    int64_t b = out.list_ptr[U_PREF];
    CHECK(out.list_ptr[U_PREF + 1] - b >= 10);
    for (int k = 0; k < 10; k++) {
      CHECK_INT(out.list[b + k].item / 10, 3);
      CHECK_INT(out.list[b + k].reason, RECFMT_R_GENRE);
      CHECK_INT(out.list[b + k].reason_id, genre_ext[3]);
    }
  }
  /* Nothing at all: overall popularity, in the popular list's order. */
  {
    int64_t b = out.list_ptr[U_NONE];
    CHECK(out.list_ptr[U_NONE + 1] - b >= 5);
    for (int k = 0; k < 5; k++) {
      CHECK_INT(out.list[b + k].item, out.pop[0][k]);
      CHECK_INT(out.list[b + k].reason, RECFMT_R_POPULAR);
    }
  }
  /* The user with one item of cluster B who follows user 25: some of user
   * 25's items are recommended because of that follow. */
  {
    int social = 0;
    for (int64_t k = out.list_ptr[U_SOCIAL]; k < out.list_ptr[U_SOCIAL + 1];
         k++)
      social += out.list[k].reason == RECFMT_R_SOCIAL &&
                out.list[k].reason_id == user_ext[25] &&
                csr_has(&in->d.ui, 25, out.list[k].item);
    CHECK(social > 0);
  }
  /* The disliked item is a cluster A item the user does not have. */
  CHECK(!csr_has(&in->d.ui, NEG_USER, NEG_ITEM));

  /* Deterministic for a seed. */
  CHECK_INT(train_run(&again, in, o), 0);
  CHECK_INT(again.list_ptr[NU], out.list_ptr[NU]);
  if (again.list_ptr[NU] == out.list_ptr[NU])
    for (int64_t k = 0; k < out.list_ptr[NU]; k++) {
      CHECK_INT(again.list[k].item, out.list[k].item);
      CHECK(again.list[k].score == out.list[k].score);
    }
  batch_output_free(&again);
  batch_output_free(&out);
}

/* big_run: a catalogue wide enough that a user's neighbours reach more
 * items than the candidate cap (the pruning of the big-catalogue path): 150
 * users with 60 of 2,000 items each. Lists are full, sorted, without known
 * items or repeats, and the same from run to run. */
#define BU 150
#define BI 2000
static void big_run(void) {
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

static void train_runs(void) {
  struct batch_input in;
  struct batch_output out;
  struct train_opts o = {.seed = 7, .threads = 2};
  world(&in);
  full_run(&in, &o);
  o.dense_cells = -1; /* the big-catalogue path: candidates per user */
  full_run(&in, &o);

  /* Light run: only the changed users get lists; neighbours and
   * popularity are all there. */
  unsigned char changed[NU] = {0};
  changed[3] = changed[U_PREF] = 1;
  in.changed = changed;
  o.kind = BATCH_LIGHT;
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
  in.changed = NULL;
  o.kind = BATCH_FULL;

  /* A malformed input (matrix narrower than the item count) fails. */
  in.d.n_items = NI + 1;
  CHECK_INT(train_run(&out, &in, &o), -1);
  CHECK(out.list == NULL && out.stats == NULL);
  in.d.n_items = NI;
  world_free(&in);
  big_run();

  /* An empty level: nothing to learn, a well-formed empty output. */
  struct batch_input e = {0};
  CHECK_INT(train_run(&out, &e, &o), 0);
  CHECK_INT(out.n_users, 0);
  CHECK(out.list_ptr != NULL && out.list_ptr[0] == 0);
  CHECK(out.nb_ptr != NULL && out.nb_ptr[0] == 0);
  CHECK_INT(out.n_pop, 1);
  CHECK_INT(out.pop_n[0], 0);
  batch_output_free(&out);
  /* Users but no interactions at all: everyone gets nothing to rank. */
  e.d.n_users = 3;
  e.d.user_id = user_ext;
  CHECK_INT(train_run(&out, &e, &o), 0);
  CHECK_INT(out.list_ptr[3], 0);
  batch_output_free(&out);
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  T_CASE(train_runs);
  T_DONE();
}
