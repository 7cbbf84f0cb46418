/* train.c: recs_train, the production training stage of encore-recs (see
 * batch.h): popularity overall and per genre, item-KNN neighbours, ALS,
 * EASE (small catalogues only), content, social and genre-preference
 * scores, blended per user with z-scores and weights chosen on a validation
 * split of the input, into a top-N list per user with a reason per item.
 *
 * A million-item catalogue cannot be scored whole for 100,000 users, so each
 * user gets candidates first: the neighbours of their items, their
 * followees' items, the popular items of their genres and overall (a few
 * thousand); small catalogues (users x items up to DENSE_CELLS) rank every
 * item, exactly as the offline evaluation does. */
#include "batch/recs/batch.h"
#include "batch/recs/fitted.h"
#include "batch/recs/hybrid.h"
#include "model/recfmt.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* The blended components, in the order of the weight vectors. */
enum { C_KNN, C_ALS, C_EASE, C_CONTENT, C_SOCIAL, C_POP, C_GENRE, NCOMP };
static const char *const comp_name[NCOMP] = {
    "itemknn", "als", "ease", "content", "social", "pop", "genre"};

/* Rank every item when users x items is at most this (HetRec's artists:
 * 1,892 x 17,632); above it, candidates (recs_train_opts.dense_cells). */
#define DENSE_CELLS 1e8
/* EASE's dense inverse is cubic in the items it keeps: those of
 * EASE_MIN_USERS or more users. On HetRec 3 rather than the evaluation's 2
 * keeps ~4,500 of ~7,000 artists, costs a third of the time and leaves the
 * validation NDCG@10 as it was (0.2432 against 0.2430). */
#define EASE_MAX_ITEMS 8000
#define EASE_MIN_USERS 3
/* Candidates from popularity: overall, and per each of the user's first
 * GENRE_TOP genres. */
#define POP_CANDS 300
#define GENRE_CANDS 200
#define GENRE_TOP 3
/* Candidates kept per user on a big catalogue (besides the popular ones):
 * the best by item-KNN and by social score. */
#define KNN_CANDS 1000
#define SOCIAL_CANDS 300
/* The collaborative models learn from at most this many items per user. */
#define CF_MAX_ITEMS 200
/* Users with at most this many training items get the cold weights. */
#define COLD_MAX 3
/* Validation: users with at least VAL_MIN items, at most VAL_USERS of them,
 * VAL_FRAC of each one's items held out; a VAL_COLD share keeps only
 * COLD_MAX training items (to tune the cold weights). */
#define VAL_MIN 5
#define VAL_USERS 4000
#define VAL_FRAC 0.2
#define VAL_COLD 0.25
/* On big inputs the validation models learn from a sample of the other
 * users, about VAL_FIT_NNZ interactions in all: the weights are chosen on
 * models a few times weaker than the final ones, but fitting the full
 * models twice would take most of the time budget. */
#define VAL_FIT_NNZ 2000000
/* Per validated user, the union of each component's top VAL_CAND
 * candidates enters the weight search (as in recs_hybrid_tune). */
#define VAL_CAND 50
/* Track level: "because you listen to artist X" replaces a weak item
 * reason (the best single item explains under half of the item-KNN score)
 * when at least ARTIST_MIN of the user's tracks are by the item's artist. */
#define ARTIST_MIN 3

/* Weights of users with no training items: what the people they follow
 * play and the popular items of their stated genres first, overall
 * popularity after. Light runs do not tune (a validation fit would double
 * their cost) and have no ALS or EASE: item-KNN leads their fixed blends,
 * content, social and popularity add to it, more so for cold users. */
static const double w_empty[NCOMP] = {0, 0, 0, 0, 4, 1, 4};
static const double w_light_warm[NCOMP] = {1, 0, 0, 0.25, 0.25, 0.1, 0.1};
static const double w_light_cold[NCOMP] = {1, 0, 0, 0.5, 0.5, 0.5, 0.5};

/* What the models learned from one users x items matrix. */
struct fit {
  const struct recs_input *in;
  const struct recs_csr *ui; /* borrowed: in->d.ui or the validation part */
  /* The content of ui's fit (borrowed; in's when NULL at fit_models): items
   * x content columns and items x genres, from ui's taggings only. */
  const struct recs_csr *tags, *genres;
  struct recs_csr cf, cf_t; /* ui without items of fewer than 2 users */
  struct recs_ctx ctx;
  int use[NCOMP], dense, knn_k, als_k, als_iters;
  int n_kept, n_ease; /* items of 2+ users, of EASE_MIN_USERS+ users */
  void *knn, *als, *ease;
  const struct recs_csr *sim;
  const float *ax, *ay;
  float *listeners; /* per item: users of ui */
  float *wsum;      /* per user: sum of log-scaled counts (social) */
  /* Popularity lists, the layout of struct recs_output. */
  int n_pop, *pop_n;
  int **pop;
  float **pop_score;
  double t_pop, t_knn, t_als, t_ease;
  int verbose; /* stage times on stderr as they end */
};

/* stage: report a stage's end when verbose. */
static void stage(const struct fit *f, const char *what, double t0) {
  if (f->verbose)
    fprintf(stderr, "encore-recs: train %s: %s %.2f s\n",
            f->in->level == RECS_TRACK ? "track" : "artist", what,
            recs_now() - t0);
}

static void fit_free(struct fit *f) {
  if (f->knn) recs_model_itemknn.release(f->knn);
  if (f->als) recs_model_als.release(f->als);
  if (f->ease) recs_model_ease.release(f->ease);
  recs_csr_free(&f->cf);
  recs_csr_free(&f->cf_t);
  free(f->listeners);
  free(f->wsum);
  for (int g = 0; g < f->n_pop; g++) {
    free(f->pop[g]);
    free(f->pop_score[g]);
  }
  free(f->pop);
  free(f->pop_score);
  free(f->pop_n);
  memset(f, 0, sizeof *f);
}

/* pop_list: the RECS_TOP_POP most-listened of items[0..n) into pop slot g. */
static int pop_list(struct fit *f, int g, const int *items, int n, float *tmp,
                    int *top) {
  for (int k = 0; k < n; k++) {
    float l = f->listeners[items ? items[k] : k];
    tmp[k] = l > 0 ? l : -INFINITY;
  }
  int m = recs_topk(tmp, n, RECS_TOP_POP, top);
  f->pop[g] = malloc((size_t)(m ? m : 1) * sizeof **f->pop);
  f->pop_score[g] = malloc((size_t)(m ? m : 1) * sizeof **f->pop_score);
  if (!f->pop[g] || !f->pop_score[g]) return -1;
  for (int k = 0; k < m; k++) {
    f->pop[g][k] = items ? items[top[k]] : top[k];
    f->pop_score[g][k] = tmp[top[k]];
  }
  f->pop_n[g] = m;
  return 0;
}

static int fit_pop(struct fit *f) {
  const struct recs_input *in = f->in;
  int n = f->ui->ncols, G = f->genres->ptr ? in->n_genres : 0;
  f->n_pop = G + 1;
  f->pop = calloc((size_t)f->n_pop, sizeof *f->pop);
  f->pop_score = calloc((size_t)f->n_pop, sizeof *f->pop_score);
  f->pop_n = calloc((size_t)f->n_pop, sizeof *f->pop_n);
  float *tmp = malloc((size_t)(n + 1) * sizeof *tmp);
  int *top = malloc(RECS_TOP_POP * sizeof *top);
  struct recs_csr gi = {0};
  int rc = -1;
  if (!f->pop || !f->pop_score || !f->pop_n || !tmp || !top) goto out;
  if (pop_list(f, 0, NULL, n, tmp, top)) goto out;
  if (G > 0) {
    if (recs_csr_transpose(&gi, f->genres)) goto out;
    for (int g = 0; g < G; g++)
      if (pop_list(f, g + 1, g < gi.nrows ? gi.idx + gi.ptr[g] : NULL,
                   g < gi.nrows ? (int)(gi.ptr[g + 1] - gi.ptr[g]) : 0, tmp,
                   top))
        goto out;
  }
  rc = 0;
out:
  recs_csr_free(&gi);
  free(tmp);
  free(top);
  return rc;
}

/* Most played first; ties: the lower item. */
static int cmp_most_played(const void *a, const void *b) {
  const struct recs_triplet *x = a, *y = b;
  if (x->val != y->val) return x->val > y->val ? -1 : 1;
  return x->col - y->col;
}

/* fit_models: everything learned from ui, with the content f->tags and
 * f->genres (in's when not set). light: no ALS, no EASE. */
static int fit_models(struct fit *f, const struct recs_input *in,
                      const struct recs_csr *ui, int light,
                      const struct recs_train_opts *o, uint64_t seed) {
  int nu = ui->nrows, n = ui->ncols;
  double t0 = recs_now();
  f->in = in;
  f->ui = ui;
  if (!f->tags) f->tags = &in->d.tags;
  if (!f->genres) f->genres = &in->item_genres;
  f->listeners = calloc((size_t)n + 1, sizeof *f->listeners);
  f->wsum = calloc((size_t)nu + 1, sizeof *f->wsum);
  struct recs_triplet *t = malloc((size_t)(ui->nnz + 1) * sizeof *t);
  if (!f->listeners || !f->wsum || !t) {
    free(t);
    return -1;
  }
  for (int64_t k = 0; k < ui->nnz; k++)
    f->listeners[ui->idx[k]] += 1;
  int64_t nt = 0;
  for (int u = 0; u < nu; u++) {
    int64_t first = nt;
    for (int64_t k = ui->ptr[u]; k < ui->ptr[u + 1]; k++) {
      f->wsum[u] += recs_logc(ui->val[k]);
      /* An item of one user links nothing to anything: most of a long
       * tail, and it would only cost the collaborative models time. */
      if (f->listeners[ui->idx[k]] >= 2)
        t[nt++] = (struct recs_triplet){u, ui->idx[k], ui->val[k]};
    }
    /* Item-KNN costs the sum of the squared row lengths: the few users
     * with thousands of tracks would cost more than everyone else. Their
     * most played CF_MAX_ITEMS items say what they like. */
    if (nt - first > CF_MAX_ITEMS) {
      qsort(t + first, (size_t)(nt - first), sizeof *t, cmp_most_played);
      nt = first + CF_MAX_ITEMS;
    }
  }
  int rc = recs_csr_build(&f->cf, nu, n, t, nt);
  free(t);
  if (rc || recs_csr_transpose(&f->cf_t, &f->cf)) return -1;
  for (int i = 0; i < n; i++) {
    int64_t len = f->cf_t.ptr[i + 1] - f->cf_t.ptr[i];
    f->n_kept += len > 0;
    f->n_ease += len >= EASE_MIN_USERS;
  }
  f->ctx = (struct recs_ctx){&f->cf, &f->cf_t, f->tags, &in->d.social, seed};
  if (fit_pop(f)) return -1;
  f->t_pop = recs_now() - t0;
  stage(f, "popularity", t0);

  /* HetRec-sized inputs get the offline evaluation's settings (400
   * neighbours, 64 factors, 12 iterations); the world's levels (millions
   * of interactions) fewer neighbours and iterations, and a million
   * tracks fewer factors, to stay within the time and memory budget. */
  int big = n > 100000 || ui->nnz > 1000000;
  f->dense = (double)nu * n <= (o->dense_cells ? o->dense_cells : DENSE_CELLS);
  f->knn_k = big ? 100 : 400;
  f->als_k = n > 100000 ? 32 : 64;
  f->als_iters = big ? 8 : 12;
  f->use[C_POP] = 1;
  f->use[C_KNN] = f->cf.nnz > 0;
  f->use[C_ALS] = !light && f->cf.nnz > 0;
  f->use[C_EASE] =
      !light && f->dense && f->n_ease > 0 && f->n_ease <= EASE_MAX_ITEMS;
  f->use[C_CONTENT] = f->tags->ptr && f->tags->nnz > 0;
  f->use[C_SOCIAL] = in->d.social.ptr && in->d.social.nnz > 0;
  f->use[C_GENRE] = f->n_pop > 1;

  t0 = recs_now();
  if (f->use[C_KNN]) {
    /* The offline evaluation's defaults (shrinkage 100); fewer neighbours
     * per item on a big catalogue keep the graph within memory. */
    double p[RECS_NPARAM] = {100, f->knn_k};
    if (!(f->knn = recs_model_itemknn.fit(&f->ctx, p))) return -1;
    f->sim = recs_itemknn_graph(f->knn);
  }
  f->t_knn = recs_now() - t0;
  stage(f, "item-KNN", t0);
  t0 = recs_now();
  if (f->use[C_ALS]) {
    double p[RECS_NPARAM] = {f->als_k, 1, 0.1, f->als_iters};
    if (!(f->als = recs_model_als.fit(&f->ctx, p))) return -1;
    f->als_k = recs_als_factors(f->als, &f->ax, &f->ay);
  }
  f->t_als = recs_now() - t0;
  if (f->als) stage(f, "ALS", t0);
  t0 = recs_now();
  if (f->use[C_EASE]) {
    double p[RECS_NPARAM] = {100, EASE_MIN_USERS};
    if (!(f->ease = recs_model_ease.fit(&f->ctx, p))) return -1;
  }
  f->t_ease = recs_now() - t0;
  if (f->ease) stage(f, "EASE", t0);
  return 0;
}

/* Per-thread scratch of the per-user scoring, n_items-sized arrays indexed
 * by item; each is reset over the items a user touched. */
/* One item's scratch for one user, packed: touching an item of a
 * million-item catalogue costs one cache miss, not one per array. */
struct slot {
  float acc, bestv; /* item-KNN score, its largest single term */
  float soc, socv;  /* social score, its largest single term */
  int besti, socf;  /* the user's item, the followee of those terms */
  int mark;         /* EXCL(u) or CAND(u) */
  int sel;          /* chosen for the validation table */
};

struct ws {
  struct slot *s; /* per item */
  float *dense, *z[NCOMP], *gw, *prof, *bl;
  int *cand, *top;
  int64_t *arts;
  int nc, n_arts;
  int n_all; /* candidates before pruning: cand[nc..n_all) were dropped */
};

static void ws_free(struct ws *w) {
  free(w->s);
  free(w->dense);
  for (int m = 0; m < NCOMP; m++)
    free(w->z[m]);
  free(w->gw);
  free(w->prof);
  free(w->bl);
  free(w->cand);
  free(w->top);
  free(w->arts);
}

static int ws_init(struct ws *w, const struct fit *f) {
  size_t n = (size_t)f->ui->ncols + 1;
  memset(w, 0, sizeof *w);
  int ok = (w->s = calloc(n, sizeof *w->s)) &&
           (w->dense = calloc(n, sizeof(float))) &&
           (w->gw = calloc((size_t)f->in->n_genres + 1, sizeof(float))) &&
           (w->prof = calloc((size_t)f->tags->ncols + 1, sizeof(float))) &&
           (w->bl = malloc(n * sizeof(float))) &&
           (w->cand = malloc(n * sizeof(int))) &&
           (w->top = malloc((RECS_TOP_N + NCOMP * VAL_CAND) * sizeof(int)));
  for (int m = 0; ok && m < NCOMP; m++)
    ok = (w->z[m] = malloc(n * sizeof(float))) != NULL;
  if (ok && f->in->item_artist_ext) {
    int64_t most = 1;
    for (int u = 0; u < f->ui->nrows; u++)
      if (f->ui->ptr[u + 1] - f->ui->ptr[u] > most)
        most = f->ui->ptr[u + 1] - f->ui->ptr[u];
    ok = (w->arts = malloc((size_t)most * sizeof *w->arts)) != NULL;
  }
  if (!ok) ws_free(w);
  return ok ? 0 : -1;
}

/* Stamps of slot.mark for user u: excluded (known, disliked) or candidate. */
#define EXCL(u) (2 * (u) + 1)
#define CAND(u) (2 * (u) + 2)

static void add_cand(struct ws *w, int u, int j) {
  if (w->s[j].mark == EXCL(u) || w->s[j].mark == CAND(u)) return;
  w->s[j].mark = CAND(u);
  w->cand[w->nc++] = j;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

/* genre_of: the genre column of item j the user leans to most (-1: none
 * of the user's genres). */
static int genre_of(const struct fit *f, const struct ws *w, int j) {
  const struct recs_csr *ig = f->genres;
  int best = -1;
  if (!ig->ptr || j >= ig->nrows) return -1;
  for (int64_t q = ig->ptr[j]; q < ig->ptr[j + 1]; q++) {
    int g = ig->idx[q];
    if (g < f->in->n_genres && w->gw[g] > 0 &&
        (best < 0 || w->gw[g] > w->gw[best]))
      best = g;
  }
  return best;
}

/* exclude: stamp the items user u has or disliked; in dense mode, every
 * other item becomes a candidate. */
static void exclude(const struct fit *f, struct ws *w, int u) {
  const struct recs_csr *ui = f->ui, *neg = &f->in->neg;
  int n = ui->ncols;
  w->nc = 0;
  for (int64_t k = ui->ptr[u]; k < ui->ptr[u + 1]; k++)
    w->s[ui->idx[k]].mark = EXCL(u);
  if (neg->ptr && u < neg->nrows)
    for (int64_t k = neg->ptr[u]; k < neg->ptr[u + 1]; k++)
      if (neg->idx[k] < n) w->s[neg->idx[k]].mark = EXCL(u);
  if (f->dense)
    for (int j = 0; j < n; j++)
      add_cand(w, u, j);
}

/* genre_weights: w->gw = the share of u's (log-weighted) plays in each
 * genre, plus one per stated favourite. */
static void genre_weights(const struct fit *f, struct ws *w, int u) {
  const struct recs_csr *ui = f->ui, *ig = f->genres, *pg = &f->in->pref_genres;
  int G = f->in->n_genres;
  double tot = 0;
  if (G <= 0) return;
  memset(w->gw, 0, (size_t)G * sizeof *w->gw);
  if (ig->ptr)
    for (int64_t k = ui->ptr[u]; k < ui->ptr[u + 1]; k++) {
      int i = ui->idx[k];
      float lw = recs_logc(ui->val[k]);
      if (i < ig->nrows)
        for (int64_t q = ig->ptr[i]; q < ig->ptr[i + 1]; q++)
          if (ig->idx[q] < G) {
            w->gw[ig->idx[q]] += lw;
            tot += lw;
          }
    }
  for (int g = 0; g < G; g++)
    w->gw[g] = tot > 0 ? (float)(w->gw[g] / tot) : 0;
  if (pg->ptr && u < pg->nrows)
    for (int64_t k = pg->ptr[u]; k < pg->ptr[u + 1]; k++)
      if (pg->idx[k] < G) w->gw[pg->idx[k]] += 1;
}

/* gather: for each (j, x) of a sparse row, add scale * x (item-KNN) or
 * scale * log(1 + x) (social) to j's score of that kind, keeping the
 * largest single term and its source src (what names the reason); each j
 * becomes a candidate. */
static void gather(struct ws *w, int u, const int *idx, const float *val,
                   int64_t n, float scale, int social, int src) {
  for (int64_t q = 0; q < n; q++) {
    int j = idx[q];
    struct slot *s = &w->s[j];
    if (s->mark == EXCL(u)) continue;
    if (social) {
      float c = scale * recs_logc(val[q]);
      s->soc += c;
      if (c > s->socv) {
        s->socv = c;
        s->socf = src;
      }
    } else {
      float c = scale * val[q];
      s->acc += c;
      if (c > s->bestv) {
        s->bestv = c;
        s->besti = src;
      }
    }
    add_cand(w, u, j);
  }
}

/* knn_gather: w->s[j].acc = sum over u's items i of w(x_ui) * sim(i, j),
 * the item of the largest term in slot.besti. */
static void knn_gather(const struct fit *f, struct ws *w, int u) {
  const struct recs_csr *ui = f->ui, *sim = f->sim;
  for (int64_t k = ui->ptr[u]; k < ui->ptr[u + 1]; k++) {
    int i = ui->idx[k];
    gather(w, u, sim->idx + sim->ptr[i], sim->val + sim->ptr[i],
           sim->ptr[i + 1] - sim->ptr[i], recs_logc(ui->val[k]), 0, i);
  }
}

/* social_gather: w->s[j].soc = each followee's log-scaled count of j,
 * normalized per followee (social.c), the followee of the largest term in
 * slot.socf. */
static void social_gather(const struct fit *f, struct ws *w, int u) {
  const struct recs_csr *ui = f->ui, *so = &f->in->d.social;
  if (u >= so->nrows) return;
  for (int64_t e = so->ptr[u]; e < so->ptr[u + 1]; e++) {
    int fo = so->idx[e];
    if (fo >= ui->nrows || f->wsum[fo] <= 0) continue;
    gather(w, u, ui->idx + ui->ptr[fo], ui->val + ui->ptr[fo],
           ui->ptr[fo + 1] - ui->ptr[fo], 1.0f / f->wsum[fo], 1, fo);
  }
}

/* pop_gather: the popular items overall and of u's GENRE_TOP strongest
 * genres become candidates. */
static void pop_gather(const struct fit *f, struct ws *w, int u) {
  int tg3[GENRE_TOP], nt = 0;
  for (int k = 0; k < f->pop_n[0] && k < POP_CANDS; k++)
    add_cand(w, u, f->pop[0][k]);
  for (int g = 0; g < f->in->n_genres && g + 1 < f->n_pop; g++) {
    if (w->gw[g] <= 0) continue;
    if (nt == GENRE_TOP && w->gw[g] <= w->gw[tg3[nt - 1]]) continue;
    int p = nt < GENRE_TOP ? nt++ : GENRE_TOP - 1;
    while (p > 0 && w->gw[tg3[p - 1]] < w->gw[g]) {
      tg3[p] = tg3[p - 1];
      p--;
    }
    tg3[p] = g;
  }
  for (int t = 0; t < nt; t++)
    for (int k = 0; k < f->pop_n[tg3[t] + 1] && k < GENRE_CANDS; k++)
      add_cand(w, u, f->pop[tg3[t] + 1][k]);
}

/* profile: add u's content profile (tag rows weighted by log-scaled
 * counts) to w->prof, or with add 0 clear what it touches. */
static void profile(const struct fit *f, struct ws *w, int u, int add) {
  const struct recs_csr *ui = f->ui, *tg = f->tags;
  for (int64_t k = ui->ptr[u]; k < ui->ptr[u + 1]; k++) {
    int i = ui->idx[k];
    float lw = recs_logc(ui->val[k]);
    if (i < tg->nrows)
      for (int64_t q = tg->ptr[i]; q < tg->ptr[i + 1]; q++)
        w->prof[tg->idx[q]] = add ? w->prof[tg->idx[q]] + lw * tg->val[q] : 0;
  }
}

/* als_dots: out[c] = x . y[cand[c]] over k factors. Every item when every
 * item is a candidate, so it is most of the scoring time there: compiled
 * for AVX2 as well where the compiler can, chosen when the CPU has it. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
static void
als_dots(const float *y, const float *x, int k, const int *cand, int nc,
         float *out) {
  for (int c = 0; c < nc; c++) {
    const float *yj = y + (size_t)cand[c] * k;
    float s = 0;
#pragma omp simd reduction(+ : s)
    for (int a = 0; a < k; a++)
      s += x[a] * yj[a];
    out[c] = s;
  }
}

/* raw_scores: w->z[m][c] = component m's score of candidate c. */
static void raw_scores(const struct fit *f, struct ws *w, int u) {
  const struct recs_csr *tg = f->tags;
  if (f->use[C_EASE]) recs_model_ease.score(f->ease, &f->ctx, u, w->dense);
  if (f->use[C_ALS])
    als_dots(f->ay, f->ax + (size_t)u * f->als_k, f->als_k, w->cand, w->nc,
             w->z[C_ALS]);
  else
    memset(w->z[C_ALS], 0, (size_t)w->nc * sizeof(float));
  if (f->use[C_CONTENT]) profile(f, w, u, 1);
  for (int c = 0; c < w->nc; c++) {
    int j = w->cand[c];
    w->z[C_KNN][c] = w->s[j].acc;
    w->z[C_SOCIAL][c] = w->s[j].soc;
    w->z[C_POP][c] = f->listeners[j];
    w->z[C_EASE][c] = f->use[C_EASE] ? w->dense[j] : 0;
    float s = 0;
    if (f->use[C_CONTENT] && j < tg->nrows)
      for (int64_t q = tg->ptr[j]; q < tg->ptr[j + 1]; q++)
        s += tg->val[q] * w->prof[tg->idx[q]];
    w->z[C_CONTENT][c] = s;
    s = 0;
    if (f->use[C_GENRE]) {
      int g = genre_of(f, w, j);
      if (g >= 0) s = w->gw[g] * recs_logc(f->listeners[j]);
    }
    w->z[C_GENRE][c] = s;
  }
  if (f->use[C_CONTENT]) profile(f, w, u, 0);
}

/* kth_largest: the k-th largest of a[0..n) (1 <= k <= n), a reordered. */
static float kth_largest(float *a, int n, int k) {
  int lo = 0, hi = n - 1, t = k - 1;
  while (lo < hi) {
    float pv = a[lo + (hi - lo) / 2];
    int i = lo, j = hi;
    while (i <= j) { /* Hoare partition, descending */
      while (a[i] > pv)
        i++;
      while (a[j] < pv)
        j--;
      if (i <= j) {
        float x = a[i];
        a[i++] = a[j];
        a[j--] = x;
      }
    }
    if (t <= j)
      hi = j;
    else if (t >= i)
      lo = i;
    else
      break;
  }
  return a[t];
}

/* keep_top: the threshold keeping the top k item-KNN (or social) scores
 * over cand[from..nc)
 * (-INFINITY when there are at most k). */
static float keep_top(struct ws *w, int from, int social, int k) {
  int n = 0;
  for (int c = from; c < w->nc; c++) {
    const struct slot *s = &w->s[w->cand[c]];
    float v = social ? s->soc : s->acc;
    if (v > 0) w->bl[n++] = v;
  }
  return n > k ? kth_largest(w->bl, n, k) : -INFINITY;
}

/* prune: on a big catalogue a user's neighbours reach thousands of items,
 * and scoring each costs a few cache misses per component; keep the
 * popular ones (cand[0..npop)), the KNN_CANDS best by item-KNN and the
 * SOCIAL_CANDS best by social score. The dropped ones move to
 * cand[nc..n_all) so that reset_user still clears them. */
static void prune(struct ws *w, int npop) {
  if (w->nc - npop <= KNN_CANDS) return;
  float tk = keep_top(w, npop, 0, KNN_CANDS);
  float ts = keep_top(w, npop, 1, SOCIAL_CANDS);
  int keep = npop;
  for (int c = npop; c < w->nc; c++) {
    int j = w->cand[c];
    /* (ties at a threshold are all kept: rare, and still deterministic) */
    if ((w->s[j].acc > 0 && w->s[j].acc >= tk) ||
        (w->s[j].soc > 0 && w->s[j].soc >= ts)) {
      w->cand[c] = w->cand[keep];
      w->cand[keep++] = j;
    }
  }
  w->nc = keep;
}

/* score_user: user u's candidates (w->cand, w->nc) and each active
 * component's z-scores over them (w->z[m][0..nc)), standardized over the
 * candidates (recs_zscore's over the unseen items when every item is one). */
static void score_user(const struct fit *f, struct ws *w, int u) {
  exclude(f, w, u);
  genre_weights(f, w, u);
  int npop = 0;
  if (!f->dense) {
    pop_gather(f, w, u);
    npop = w->nc;
  }
  if (f->use[C_KNN]) knn_gather(f, w, u);
  if (f->use[C_SOCIAL]) social_gather(f, w, u);
  w->n_all = w->nc;
  if (!f->dense) prune(w, npop);
  raw_scores(f, w, u);
  int nc = w->nc;
  for (int m = 0; m < NCOMP; m++) {
    float *z = w->z[m];
    double sum = 0, sq = 0;
    if (!f->use[m]) {
      memset(z, 0, (size_t)nc * sizeof *z);
      continue;
    }
    /* simd: the sums may be reassociated (vectorized); the order is still
     * fixed by the build, so results stay deterministic. */
#pragma omp simd reduction(+ : sum, sq)
    for (int c = 0; c < nc; c++) {
      sum += z[c];
      sq += (double)z[c] * z[c];
    }
    double mean = nc ? sum / nc : 0, var = nc ? sq / nc - mean * mean : 0;
    /* A component with no opinion (all equal) contributes zeros. */
    double inv = f->use[m] && var > 1e-12 ? 1.0 / sqrt(var) : 0;
    for (int c = 0; c < nc; c++)
      z[c] = (float)((z[c] - mean) * inv);
  }
}

/* reset_user: clear the per-item scratch the user touched (gather skips
 * the excluded items, so the candidates are all of it). */
static void reset_user(struct ws *w) {
  for (int c = 0; c < w->n_all; c++) {
    struct slot *s = &w->s[w->cand[c]];
    s->acc = s->bestv = s->soc = s->socv = 0;
  }
}

static const double *weights_for(const struct fit *f, int u, const double *warm,
                                 const double *cold) {
  int64_t len = f->ui->ptr[u + 1] - f->ui->ptr[u];
  return len == 0 ? w_empty : len <= COLD_MAX ? cold : warm;
}

/* blend: w->bl[c] = sum_m wt_m z_m[c] over the candidates. */
static void blend(struct ws *w, const double *wt) {
  for (int c = 0; c < w->nc; c++) {
    double s = 0;
    for (int m = 0; m < NCOMP; m++)
      if (wt[m] != 0) s += wt[m] * w->z[m][c];
    w->bl[c] = (float)s;
  }
}

/* user_artists: the sorted primary artists of u's items (track level). */
static void user_artists(const struct fit *f, struct ws *w, int u) {
  const struct recs_csr *ui = f->ui;
  w->n_arts = 0;
  if (!w->arts) return;
  for (int64_t k = ui->ptr[u]; k < ui->ptr[u + 1]; k++)
    w->arts[w->n_arts++] = f->in->item_artist_ext[ui->idx[k]];
  qsort(w->arts, (size_t)w->n_arts, sizeof *w->arts, cmp_i64);
}

/* artist_plays: how many of the user's items are by artist a. */
static int artist_plays(const struct ws *w, int64_t a) {
  int lo = 0, hi = w->n_arts;
  while (lo < hi) { /* first position >= a */
    int mid = (lo + hi) / 2;
    if (w->arts[mid] < a)
      lo = mid + 1;
    else
      hi = mid;
  }
  int k = lo;
  while (k < w->n_arts && w->arts[k] == a)
    k++;
  return k - lo;
}

/* reason: why candidate c is recommended. The component contributing most
 * decides the kind: the neighbourhood and latent models (item-KNN, ALS,
 * EASE) say "because you listened to X", X being the user's item with the
 * largest item-KNN similarity to it (ALS and EASE have no single cause of
 * their own, and what they find is co-listening too); content and genre
 * name the genre the item shares with the user's profile; social the
 * followee who played it most; popularity says popular. When the winning
 * kind has nothing to name for this item (no neighbour, no shared genre),
 * the next one that has does, in the order item, social, genre, popular. */
static void reason(const struct fit *f, const struct ws *w, const double *wt,
                   int c, struct recs_out_entry *e) {
  const struct recs_input *in = f->in;
  int j = w->cand[c], best = C_POP;
  double bv = -INFINITY;
  for (int m = 0; m < NCOMP; m++)
    if (f->use[m] && wt[m] != 0 && wt[m] * w->z[m][c] > bv) {
      best = m;
      bv = wt[m] * w->z[m][c];
    }
  int g = f->use[C_GENRE] || f->use[C_CONTENT] ? genre_of(f, w, j) : -1;
  int has_item = w->s[j].bestv > 0, has_social = w->s[j].socv > 0;
  int kind = best == C_SOCIAL && has_social ? RECFMT_R_SOCIAL
             : (best == C_CONTENT || best == C_GENRE) && g >= 0 ? RECFMT_R_GENRE
             : best == C_POP ? RECFMT_R_POPULAR
             : has_item      ? RECFMT_R_ITEM
             : has_social    ? RECFMT_R_SOCIAL
             : g >= 0        ? RECFMT_R_GENRE
                             : RECFMT_R_POPULAR;
  e->reason = (uint8_t)kind;
  e->reason_id = 0;
  if (kind == RECFMT_R_ITEM) {
    e->reason_id = in->d.item_id[w->s[j].besti];
    if (in->level == RECS_TRACK && w->arts &&
        w->s[j].bestv < 0.5f * w->s[j].acc &&
        artist_plays(w, in->item_artist_ext[j]) >= ARTIST_MIN) {
      e->reason = RECFMT_R_ARTIST;
      e->reason_id = in->item_artist_ext[j];
    }
  } else if (kind == RECFMT_R_SOCIAL) {
    e->reason_id = in->d.user_id[w->s[j].socf];
  } else if (kind == RECFMT_R_GENRE) {
    e->reason_id = in->genre_ext[g];
  }
}

/* Validation: the split, and the table the weight search runs on. */
struct val {
  struct recs_csr train, test;
  int *users, n_users;
  int *cold;                /* per validated user: held to COLD_MAX */
  struct recs_cands tab[2]; /* [0] warm, [1] cold */
  int *tab_users[2];
  double ndcg[2];
  int64_t tags_held; /* taggings held out with the validation pairs */
};

static void val_free(struct val *v) {
  recs_csr_free(&v->train);
  recs_csr_free(&v->test);
  free(v->users);
  free(v->cold);
  for (int k = 0; k < 2; k++) {
    recs_cands_free(&v->tab[k]);
    free(v->tab_users[k]);
  }
  memset(v, 0, sizeof *v);
}

/* val_split: pick up to VAL_USERS users with VAL_MIN or more items, hold out
 * VAL_FRAC of each one's items; every other user stays whole (or, on big
 * inputs, out of the sample). */
static int val_split(struct val *v, const struct recs_csr *ui, uint64_t seed) {
  int nu = ui->nrows, elig = 0;
  memset(v, 0, sizeof *v);
  for (int u = 0; u < nu; u++)
    elig += ui->ptr[u + 1] - ui->ptr[u] >= VAL_MIN;
  double p = elig > VAL_USERS ? (double)VAL_USERS / elig : 1;
  double q = ui->nnz > VAL_FIT_NNZ ? (double)VAL_FIT_NNZ / ui->nnz : 1;
  struct recs_triplet *tr = malloc((size_t)(ui->nnz + 1) * sizeof *tr);
  struct recs_triplet *te = malloc((size_t)(ui->nnz + 1) * sizeof *te);
  int64_t most = 1, ntr = 0, nte = 0;
  for (int u = 0; u < nu; u++)
    if (ui->ptr[u + 1] - ui->ptr[u] > most) most = ui->ptr[u + 1] - ui->ptr[u];
  int *perm = malloc((size_t)most * sizeof *perm);
  v->users = malloc((size_t)(elig + 1) * sizeof *v->users);
  v->cold = malloc((size_t)(elig + 1) * sizeof *v->cold);
  int rc = -1;
  if (!tr || !te || !perm || !v->users || !v->cold) goto out;
  for (int u = 0; u < nu; u++) {
    int64_t b = ui->ptr[u];
    int len = (int)(ui->ptr[u + 1] - b), nt = 0, keep = len;
    /* One stream per user, as in recs_split_holdout. */
    uint64_t st = seed * 0x100000001b3ULL + (uint64_t)u * 0x9e3779b97f4a7c15ULL;
    recs_rng_next(&st);
    if (len >= VAL_MIN && recs_rng_unit(&st) < p) {
      nt = (int)(VAL_FRAC * len);
      if (nt < 1) nt = 1;
      keep = len - nt;
      int cold = recs_rng_unit(&st) < VAL_COLD;
      if (cold) keep = COLD_MAX;
      v->cold[v->n_users] = cold;
      v->users[v->n_users++] = u;
    } else if (q < 1 && recs_rng_unit(&st) >= q) {
      keep = 0; /* not in the validation models' sample */
    }
    if (nt > 0) recs_rng_perm(perm, len, &st);
    for (int i = 0; i < len; i++) {
      int64_t k = b + (nt > 0 ? perm[i] : i);
      struct recs_triplet t = {u, ui->idx[k], ui->val[k]};
      if (i < nt)
        te[nte++] = t;
      else if (i < nt + keep)
        tr[ntr++] = t;
    }
  }
  if (!recs_csr_build(&v->train, nu, ui->ncols, tr, ntr) &&
      !recs_csr_build(&v->test, nu, ui->ncols, te, nte))
    rc = 0;
out:
  free(tr);
  free(te);
  free(perm);
  return rc;
}

/* each_user: fn(f, w, k, arg) for k in 0..n-1 in parallel, each thread
 * with its own scratch w. Returns 0, or -1 when scratch was short. */
typedef void (*user_fn)(const struct fit *f, struct ws *w, int k, void *arg);
static int each_user(const struct fit *f, int n, user_fn fn, void *arg) {
  int fail = 0;
#pragma omp parallel
  {
    struct ws w;
    int wok = !ws_init(&w, f);
    if (!wok) {
#pragma omp atomic write
      fail = 1;
    }
#pragma omp for schedule(dynamic, 32)
    for (int k = 0; k < n; k++)
      if (wok) fn(f, &w, k, arg);
    if (wok) ws_free(&w);
  }
  return fail ? -1 : 0;
}

/* The validation table of each_user, in fixed slots of cap per user. */
struct val_rows {
  const struct val *v;
  const int *act;
  int na, cap;
  int64_t *cnt;
  int *item;
  float *z;
};

/* val_row: validated user k's candidates that enter the weight search: the
 * union of each active component's top VAL_CAND, with their z-scores. */
static void val_row(const struct fit *f, struct ws *w, int k, void *arg) {
  struct val_rows *r = arg;
  int u = r->v->users[k], n = 0, na = r->na;
  int *it = r->item + (size_t)k * r->cap;
  float *zz = r->z + (size_t)k * r->cap * na;
  score_user(f, w, u);
  for (int a = 0; a < na; a++) {
    int t = recs_topk(w->z[r->act[a]], w->nc, VAL_CAND, w->top);
    for (int q = 0; q < t; q++)
      if (!w->s[w->top[q]].sel) {
        w->s[w->top[q]].sel = 1;
        it[n++] = w->top[q]; /* a candidate position for now */
      }
  }
  for (int q = 0; q < n; q++) {
    int c = it[q];
    for (int a = 0; a < na; a++)
      zz[(size_t)q * na + a] = w->z[r->act[a]][c];
    it[q] = w->cand[c];
    w->s[c].sel = 0;
  }
  r->cnt[k] = n;
  reset_user(w);
}

/* val_tables: score every validated user with f (fitted on v->train) into
 * the warm and the cold table. */
static int val_tables(struct val *v, const struct fit *f, const int *act,
                      int na) {
  struct val_rows r = {v, act, na, na * VAL_CAND, NULL, NULL, NULL};
  r.cnt = calloc((size_t)v->n_users + 1, sizeof *r.cnt);
  r.item = malloc((size_t)v->n_users * r.cap * sizeof *r.item + 1);
  r.z = malloc((size_t)v->n_users * r.cap * na * sizeof *r.z + 1);
  int fail = !r.cnt || !r.item || !r.z || each_user(f, v->n_users, val_row, &r);
  int64_t *cnt = r.cnt;
  int *item = r.item, cap = r.cap;
  float *z = r.z;
  /* Split into the two tables, rows in user order. */
  for (int t = 0; t < 2 && !fail; t++) {
    struct recs_cands *cd = &v->tab[t];
    int64_t tot = 0;
    int nu = 0;
    for (int k = 0; k < v->n_users; k++)
      if (v->cold[k] == t) {
        tot += cnt[k];
        nu++;
      }
    cd->n_models = na;
    cd->test = &v->test;
    cd->off = malloc(((size_t)nu + 1) * sizeof *cd->off);
    cd->item = malloc((size_t)(tot + 1) * sizeof *cd->item);
    cd->z = malloc((size_t)(tot + 1) * na * sizeof *cd->z);
    v->tab_users[t] = malloc(((size_t)nu + 1) * sizeof(int));
    if (!cd->off || !cd->item || !cd->z || !v->tab_users[t]) {
      fail = 1;
      break;
    }
    cd->users = v->tab_users[t];
    int64_t o = 0;
    for (int k = 0; k < v->n_users; k++) {
      if (v->cold[k] != t) continue;
      cd->off[cd->n_users] = o;
      v->tab_users[t][cd->n_users++] = v->users[k];
      memcpy(cd->item + o, item + (size_t)k * cap,
             (size_t)cnt[k] * sizeof *cd->item);
      memcpy(cd->z + o * na, z + (size_t)k * cap * na,
             (size_t)cnt[k] * na * sizeof *cd->z);
      o += cnt[k];
    }
    cd->off[cd->n_users] = o;
  }
  free(cnt);
  free(item);
  free(z);
  return fail ? -1 : 0;
}

/* tune: fit on a validation split of in (content included: the held-out
 * pairs' taggings are held out with them), choose warm and cold weights. */
static int tune(const struct recs_input *in, const struct recs_train_opts *o,
                uint64_t seed, double *warm, double *cold, struct val *v,
                double *t_fit) {
  struct recs_input_features vf = {0};
  struct fit f = {.verbose = o->verbose};
  int act[NCOMP], na = 0, rc = -1;
  if (val_split(v, &in->d.ui, seed) ||
      recs_input_features_init(&vf, in, &v->train))
    goto out;
  f.tags = vf.tags.tags;
  f.genres = vf.genres;
  v->tags_held = vf.tags.held;
  double t0 = recs_now();
  if (fit_models(&f, in, &v->train, 0, o, seed)) goto out;
  *t_fit = recs_now() - t0;
  for (int m = 0; m < NCOMP; m++)
    if (f.use[m]) act[na++] = m;
  t0 = recs_now();
  if (val_tables(v, &f, act, na)) goto out;
  stage(&f, "validation scoring", t0);
  for (int t = 0; t < 2; t++) {
    double wa[NCOMP] = {0}, *dst = t ? cold : warm;
    if (v->tab[t].n_users == 0) continue; /* keep the defaults */
    v->ndcg[t] = recs_blend_search(wa, &v->tab[t]);
    memset(dst, 0, NCOMP * sizeof *dst);
    for (int a = 0; a < na; a++)
      dst[act[a]] = wa[a];
  }
  rc = 0;
out:
  fit_free(&f);
  recs_input_features_free(&vf);
  return rc;
}

/* user_list: user u's top-N under fit f into e (RECS_TOP_N slots). */
static int user_list(const struct fit *f, struct ws *w, int u,
                     const double *warm, const double *cold,
                     struct recs_out_entry *e) {
  const double *wt = weights_for(f, u, warm, cold);
  score_user(f, w, u);
  blend(w, wt);
  int t = recs_topk(w->bl, w->nc, RECS_TOP_N, w->top);
  if (w->arts) user_artists(f, w, u);
  for (int k = 0; k < t; k++) {
    int c = w->top[k];
    e[k].item = w->cand[c];
    e[k].score = w->bl[c];
    reason(f, w, wt, c, &e[k]);
  }
  reset_user(w);
  return t;
}

/* Output neighbours: the first RECS_TOP_M of each item's graph row. */
static int take_neighbours(struct recs_output *out, const struct fit *f) {
  int n = out->n_items;
  out->nb_ptr = calloc((size_t)n + 1, sizeof *out->nb_ptr);
  if (!out->nb_ptr) return -1;
  for (int i = 0; i < n && f->sim; i++) {
    int64_t len = f->sim->ptr[i + 1] - f->sim->ptr[i];
    out->nb_ptr[i + 1] = out->nb_ptr[i] + (len < RECS_TOP_M ? len : RECS_TOP_M);
  }
  if (!f->sim)
    for (int i = 0; i < n; i++)
      out->nb_ptr[i + 1] = 0;
  int64_t tot = out->nb_ptr[n];
  out->nb_item = malloc((size_t)(tot + 1) * sizeof *out->nb_item);
  out->nb_score = malloc((size_t)(tot + 1) * sizeof *out->nb_score);
  if (!out->nb_item || !out->nb_score) return -1;
  for (int i = 0; i < n && f->sim; i++) {
    int64_t len = out->nb_ptr[i + 1] - out->nb_ptr[i];
    memcpy(out->nb_item + out->nb_ptr[i], f->sim->idx + f->sim->ptr[i],
           (size_t)len * sizeof *out->nb_item);
    memcpy(out->nb_score + out->nb_ptr[i], f->sim->val + f->sim->ptr[i],
           (size_t)len * sizeof *out->nb_score);
  }
  return 0;
}

/* The lists of each_user, in fixed slots of RECS_TOP_N per user. */
struct list_rows {
  struct recs_output *out;
  const unsigned char *changed;
  const double *warm, *cold;
  int *cnt;
};

static void list_row(const struct fit *f, struct ws *w, int u, void *arg) {
  struct list_rows *r = arg;
  if (r->changed && !r->changed[u]) return;
  r->cnt[u] = user_list(f, w, u, r->warm, r->cold,
                        r->out->list + (size_t)u * RECS_TOP_N);
}

/* All users' lists (light runs: changed users only). */
static int all_lists(struct recs_output *out, const struct fit *f,
                     const unsigned char *changed, const double *warm,
                     const double *cold) {
  int nu = out->n_users;
  int *cnt = calloc((size_t)nu + 1, sizeof *cnt);
  out->list_ptr = calloc((size_t)nu + 1, sizeof *out->list_ptr);
  out->list = malloc(((size_t)nu * RECS_TOP_N + 1) * sizeof *out->list);
  if (!cnt || !out->list_ptr || !out->list) {
    free(cnt);
    return -1;
  }
  struct list_rows r = {out, changed, warm, cold, cnt};
  int fail = each_user(f, nu, list_row, &r);
  int64_t o = 0;
  for (int u = 0; u < nu && !fail; u++) {
    out->list_ptr[u] = o;
    memmove(out->list + o, out->list + (size_t)u * RECS_TOP_N,
            (size_t)cnt[u] * sizeof *out->list);
    o += cnt[u];
  }
  out->list_ptr[nu] = fail ? 0 : o;
  free(cnt);
  if (fail) return -1;
  struct recs_out_entry *sh = realloc(out->list, (size_t)(o + 1) * sizeof *sh);
  if (sh) out->list = sh;
  return 0;
}

/* Stats text: a JSON object, appended to piecewise. */
struct sbuf {
  char *p;
  size_t len, cap;
};

static void sb_add(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void sb_add(struct sbuf *b, const char *fmt, ...) {
  if (!b->p) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
  va_end(ap);
  if (n > 0) b->len += (size_t)n < b->cap - b->len ? (size_t)n : 0;
}

static void sb_weights(struct sbuf *b, const char *name, const double *w) {
  sb_add(b, "\"%s\":{", name);
  for (int m = 0; m < NCOMP; m++)
    sb_add(b, "%s\"%s\":%g", m ? "," : "", comp_name[m], w[m]);
  sb_add(b, "}");
}

/* Peak resident memory (MB) and CPU seconds (user + system) so far: on a
 * shared machine CPU time says more about the cost than wall time. */
static void usage_now(double *rss_mb, double *cpu_s) {
  struct rusage r;
  *rss_mb = *cpu_s = -1;
  if (getrusage(RUSAGE_SELF, &r)) return;
  *rss_mb = r.ru_maxrss / 1024.0;
  *cpu_s = (double)r.ru_utime.tv_sec + r.ru_utime.tv_usec * 1e-6 +
           (double)r.ru_stime.tv_sec + r.ru_stime.tv_usec * 1e-6;
}

/* check_input: dimensions agree and the id maps reasons need are there. */
static int check_input(const struct recs_input *in) {
  const struct recs_csr *ui = &in->d.ui;
  if (in->d.n_users < 0 || in->d.n_items < 0 || in->n_genres < 0) return -1;
  if (ui->ptr && (ui->nrows != in->d.n_users || ui->ncols != in->d.n_items))
    return -1;
  if ((in->d.n_users > 0 && !in->d.user_id) ||
      (in->d.n_items > 0 && !in->d.item_id) ||
      (in->n_genres > 0 && !in->genre_ext))
    return -1;
  return 0;
}

int recs_train(struct recs_output *out, const struct recs_input *in,
               const struct recs_train_opts *o) {
  struct recs_train_opts def = {0};
  if (!o) o = &def;
  memset(out, 0, sizeof *out);
  if (check_input(in)) {
    fprintf(stderr, "encore-recs: train: inconsistent input dimensions\n");
    return -1;
  }
#ifdef _OPENMP
  if (o->threads > 0) omp_set_num_threads(o->threads);
#endif
  double t_start = recs_now();
  int light = o->kind == RECS_LIGHT || in->changed;
  uint64_t seed = o->seed ? o->seed : 1;
  out->level = in->level;
  out->n_users = in->d.n_users;
  out->n_items = in->d.n_items;

  /* An empty level still gets a well-formed, empty output. */
  struct recs_csr empty = {0};
  const struct recs_input *src = in;
  struct recs_input shaped;
  if (!in->d.ui.ptr) {
    empty.nrows = in->d.n_users;
    empty.ncols = in->d.n_items;
    if (!(empty.ptr = calloc((size_t)in->d.n_users + 1, sizeof *empty.ptr)))
      return -1;
    shaped = *in;
    shaped.d.ui = empty;
    src = &shaped;
  }

  double warm[NCOMP], cold[NCOMP], t_val = 0, t_val_fit = 0;
  memcpy(warm, w_light_warm, sizeof warm);
  memcpy(cold, w_light_cold, sizeof cold);
  struct val v = {0};
  struct fit f = {.verbose = o->verbose};
  int rc = -1;
  if (!light) {
    double t0 = recs_now();
    if (tune(src, o, seed, warm, cold, &v, &t_val_fit)) {
      fprintf(stderr, "encore-recs: train: validation failed (memory)\n");
      goto out;
    }
    t_val = recs_now() - t0;
  }
  if (fit_models(&f, src, &src->d.ui, light, o, seed)) {
    fprintf(stderr, "encore-recs: train: fitting failed (memory)\n");
    goto out;
  }
  double t0 = recs_now();
  if (all_lists(out, &f, in->changed, warm, cold)) {
    fprintf(stderr, "encore-recs: train: lists failed (memory)\n");
    goto out;
  }
  double t_lists = recs_now() - t0;
  stage(&f, "lists", t0);
  if (take_neighbours(out, &f)) goto out;
  out->n_pop = f.n_pop;
  out->pop = f.pop;
  out->pop_score = f.pop_score;
  out->pop_n = f.pop_n;
  f.pop = NULL;
  f.pop_score = NULL;
  f.pop_n = NULL;
  f.n_pop = 0;

  int64_t lists = 0;
  for (int u = 0; u < out->n_users; u++)
    lists += out->list_ptr[u + 1] > out->list_ptr[u];
  struct sbuf b = {malloc(4096), 0, 4096};
  sb_add(&b,
         "{\"level\":\"%s\",\"kind\":\"%s\",\"users\":%d,\"items\":%d,"
         "\"interactions\":%lld,\"taggings\":%lld,\"items_collaborative\":%d,"
         "\"items_ease\":%d,\"dense\":%s,"
         "\"lists\":%lld,\"list_entries\":%lld,\"neighbours\":%lld,",
         in->level == RECS_TRACK ? "track" : "artist", light ? "light" : "full",
         out->n_users, out->n_items, (long long)src->d.ui.nnz,
         (long long)src->d.n_tagged, f.n_kept, f.use[C_EASE] ? f.n_ease : 0,
         f.dense ? "true" : "false", (long long)lists,
         (long long)out->list_ptr[out->n_users],
         (long long)out->nb_ptr[out->n_items]);
  sb_add(&b, "\"params\":{\"knn_k\":%d,\"als_factors\":%d,\"als_iters\":%d},",
         f.knn_k, f.use[C_ALS] ? f.als_k : 0, f.use[C_ALS] ? f.als_iters : 0);
  sb_add(&b,
         "\"seconds\":{\"validation\":%.2f,\"validation_fit\":%.2f,"
         "\"pop\":%.2f,\"itemknn\":%.2f,\"als\":%.2f,\"ease\":%.2f,"
         "\"lists\":%.2f,\"total\":%.2f},",
         t_val, t_val_fit, f.t_pop, f.t_knn, f.t_als, f.t_ease, t_lists,
         recs_now() - t_start);
  sb_add(&b,
         "\"validation\":{\"users\":%d,\"warm_users\":%d,\"cold_users\":%d,"
         "\"taggings_held_out\":%lld,"
         "\"ndcg10_warm\":%.4f,\"ndcg10_cold\":%.4f},\"weights\":{",
         v.n_users, v.tab[0].n_users, v.tab[1].n_users, (long long)v.tags_held,
         v.ndcg[0], v.ndcg[1]);
  sb_weights(&b, "warm", warm);
  sb_add(&b, ",");
  sb_weights(&b, "cold", cold);
  sb_add(&b, ",");
  sb_weights(&b, "empty", w_empty);
  double rss, cpu;
  usage_now(&rss, &cpu);
  sb_add(&b, "},\"peak_rss_mb\":%.1f,\"cpu_seconds\":%.1f}", rss, cpu);
  out->stats = b.p;
  if (!out->stats) goto out;
  if (o->verbose) fprintf(stderr, "encore-recs: train: %s\n", out->stats);
  rc = 0;
out:
  val_free(&v);
  fit_free(&f);
  free(empty.ptr);
  if (rc) recs_output_free(out);
  return rc;
}

void recs_output_free(struct recs_output *out) {
  free(out->list_ptr);
  free(out->list);
  free(out->nb_ptr);
  free(out->nb_item);
  free(out->nb_score);
  for (int g = 0; g < out->n_pop; g++) {
    free(out->pop[g]);
    free(out->pop_score[g]);
  }
  free(out->pop);
  free(out->pop_score);
  free(out->pop_n);
  free(out->stats);
  memset(out, 0, sizeof *out);
}
