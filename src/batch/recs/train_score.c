/* train_score.c: score, the per-user step of the production training: a
 * user's candidates (every unseen item on a small catalogue; else the
 * popular items overall and of their genres, their items' neighbours and
 * their followees' items, pruned to the best), each component's raw score
 * of each candidate, standardized per user (z-scores), and their blend
 * with a weight per component; users in parallel, each thread with its own
 * scratch. */
#include "batch/recs/train_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void ws_free(struct train_ws *w) {
  free(w->s);
  free(w->dense);
  for (int m = 0; m < TRAIN_NCOMP; m++)
    free(w->z[m]);
  free(w->gw);
  free(w->prof);
  free(w->bl);
  free(w->cand);
  free(w->top);
  free(w->arts);
}

static int ws_init(struct train_ws *w, const struct train_fit *f) {
  size_t n = (size_t)f->ui->ncols + 1;
  memset(w, 0, sizeof *w);
  int ok = (w->s = calloc(n, sizeof *w->s)) &&
           (w->dense = calloc(n, sizeof(float))) &&
           (w->gw = calloc((size_t)f->in->n_genres + 1, sizeof(float))) &&
           (w->prof = calloc((size_t)f->tags->ncols + 1, sizeof(float))) &&
           (w->bl = malloc(n * sizeof(float))) &&
           (w->cand = malloc(n * sizeof(int))) &&
           (w->top = malloc((BATCH_TOP_N + TRAIN_NCOMP * HYBRID_CANDS) *
                            sizeof(int)));
  for (int m = 0; ok && m < TRAIN_NCOMP; m++)
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
static inline int excluded(int u) {
  return 2 * u + 1;
}
static inline int candidate(int u) {
  return 2 * u + 2;
}

static void add_cand(struct train_ws *w, int u, int j) {
  if (w->s[j].mark == excluded(u) || w->s[j].mark == candidate(u)) return;
  w->s[j].mark = candidate(u);
  w->cand[w->nc++] = j;
}

int train_genre_of(const struct train_fit *f, const struct train_ws *w, int j) {
  const struct csr *ig = f->genres;
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
static void exclude(const struct train_fit *f, struct train_ws *w, int u) {
  const struct csr *ui = f->ui, *neg = &f->in->neg;
  int n = ui->ncols;
  w->nc = 0;
  for (int64_t k = ui->ptr[u]; k < ui->ptr[u + 1]; k++)
    w->s[ui->idx[k]].mark = excluded(u);
  if (neg->ptr && u < neg->nrows)
    for (int64_t k = neg->ptr[u]; k < neg->ptr[u + 1]; k++)
      if (neg->idx[k] < n) w->s[neg->idx[k]].mark = excluded(u);
  if (f->dense)
    for (int j = 0; j < n; j++)
      add_cand(w, u, j);
}

/* genre_weights: w->gw = the share of u's (log-weighted) plays in each
 * genre, plus one per stated favourite. */
static void genre_weights(const struct train_fit *f, struct train_ws *w,
                          int u) {
  const struct csr *ui = f->ui, *ig = f->genres, *pg = &f->in->pref_genres;
  int G = f->in->n_genres;
  double tot = 0;
  if (G <= 0) return;
  memset(w->gw, 0, (size_t)G * sizeof *w->gw);
  if (ig->ptr)
    for (int64_t k = ui->ptr[u]; k < ui->ptr[u + 1]; k++) {
      int i = ui->idx[k];
      float lw = algo_logc(ui->val[k]);
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
static void gather(struct train_ws *w, int u, const int *idx, const float *val,
                   int64_t n, float scale, int social, int src) {
  for (int64_t q = 0; q < n; q++) {
    int j = idx[q];
    struct train_slot *s = &w->s[j];
    if (s->mark == excluded(u)) continue;
    if (social) {
      float c = scale * algo_logc(val[q]);
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
static void knn_gather(const struct train_fit *f, struct train_ws *w, int u) {
  const struct csr *ui = f->ui, *sim = f->sim;
  for (int64_t k = ui->ptr[u]; k < ui->ptr[u + 1]; k++) {
    int i = ui->idx[k];
    gather(w, u, sim->idx + sim->ptr[i], sim->val + sim->ptr[i],
           sim->ptr[i + 1] - sim->ptr[i], algo_logc(ui->val[k]), 0, i);
  }
}

/* social_gather: w->s[j].soc = each followee's log-scaled count of j,
 * normalized per followee (social.c), the followee of the largest term in
 * slot.socf. */
static void social_gather(const struct train_fit *f, struct train_ws *w,
                          int u) {
  const struct csr *ui = f->ui, *so = &f->in->d.social;
  if (u >= so->nrows) return;
  for (int64_t e = so->ptr[u]; e < so->ptr[u + 1]; e++) {
    int fo = so->idx[e];
    if (fo >= ui->nrows || f->wsum[fo] <= 0) continue;
    gather(w, u, ui->idx + ui->ptr[fo], ui->val + ui->ptr[fo],
           ui->ptr[fo + 1] - ui->ptr[fo], 1.0f / f->wsum[fo], 1, fo);
  }
}

/* pop_gather: the popular items overall and of u's genre_top strongest
 * genres become candidates. */
static void pop_gather(const struct train_fit *f, struct train_ws *w, int u) {
  int tg3[TRAIN_GENRE_TOP_MAX], nt = 0;
  for (int k = 0; k < f->pop_n[0] && k < train_params.pop_cands; k++)
    add_cand(w, u, f->pop[0][k]);
  for (int g = 0; g < f->in->n_genres && g + 1 < f->n_pop; g++) {
    if (w->gw[g] <= 0) continue;
    if (nt == train_params.genre_top && w->gw[g] <= w->gw[tg3[nt - 1]])
      continue;
    int p = nt < train_params.genre_top ? nt++ : train_params.genre_top - 1;
    while (p > 0 && w->gw[tg3[p - 1]] < w->gw[g]) {
      tg3[p] = tg3[p - 1];
      p--;
    }
    tg3[p] = g;
  }
  for (int t = 0; t < nt; t++)
    for (int k = 0; k < f->pop_n[tg3[t] + 1] && k < train_params.genre_cands;
         k++)
      add_cand(w, u, f->pop[tg3[t] + 1][k]);
}

/* profile: add u's content profile (tag rows weighted by log-scaled
 * counts) to w->prof, or with add 0 clear what it touches. */
static void profile(const struct train_fit *f, struct train_ws *w, int u,
                    int add) {
  const struct csr *ui = f->ui, *tg = f->tags;
  for (int64_t k = ui->ptr[u]; k < ui->ptr[u + 1]; k++) {
    int i = ui->idx[k];
    float lw = algo_logc(ui->val[k]);
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
static void raw_scores(const struct train_fit *f, struct train_ws *w, int u) {
  const struct csr *tg = f->tags;
  if (f->use[TRAIN_EASE]) algo_ease.score(f->ease, &f->ctx, u, w->dense);
  if (f->use[TRAIN_ALS])
    als_dots(f->ay, f->ax + (size_t)u * f->als_k, f->als_k, w->cand, w->nc,
             w->z[TRAIN_ALS]);
  else
    memset(w->z[TRAIN_ALS], 0, (size_t)w->nc * sizeof(float));
  if (f->use[TRAIN_CONTENT]) profile(f, w, u, 1);
  for (int c = 0; c < w->nc; c++) {
    int j = w->cand[c];
    w->z[TRAIN_KNN][c] = w->s[j].acc;
    w->z[TRAIN_SOCIAL][c] = w->s[j].soc;
    w->z[TRAIN_POP][c] = f->listeners[j];
    w->z[TRAIN_EASE][c] = f->use[TRAIN_EASE] ? w->dense[j] : 0;
    float s = 0;
    if (f->use[TRAIN_CONTENT] && j < tg->nrows)
      for (int64_t q = tg->ptr[j]; q < tg->ptr[j + 1]; q++)
        s += tg->val[q] * w->prof[tg->idx[q]];
    w->z[TRAIN_CONTENT][c] = s;
    s = 0;
    if (f->use[TRAIN_GENRE]) {
      int g = train_genre_of(f, w, j);
      if (g >= 0) s = w->gw[g] * algo_logc(f->listeners[j]);
    }
    w->z[TRAIN_GENRE][c] = s;
  }
  if (f->use[TRAIN_CONTENT]) profile(f, w, u, 0);
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
static float keep_top(struct train_ws *w, int from, int social, int k) {
  int n = 0;
  for (int c = from; c < w->nc; c++) {
    const struct train_slot *s = &w->s[w->cand[c]];
    float v = social ? s->soc : s->acc;
    if (v > 0) w->bl[n++] = v;
  }
  return n > k ? kth_largest(w->bl, n, k) : -INFINITY;
}

/* prune: on a big catalogue a user's neighbours reach thousands of items,
 * and scoring each costs a few cache misses per component; keep the
 * popular ones (cand[0..npop)), the knn_cands best by item-KNN and the
 * social_cands best by social score. The dropped ones move to
 * cand[nc..n_all) so that train_reset_user still clears them. */
static void prune(struct train_ws *w, int npop) {
  if (w->nc - npop <= train_params.knn_cands) return;
  float tk = keep_top(w, npop, 0, train_params.knn_cands);
  float ts = keep_top(w, npop, 1, train_params.social_cands);
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

void train_score_user(const struct train_fit *f, struct train_ws *w, int u) {
  exclude(f, w, u);
  genre_weights(f, w, u);
  int npop = 0;
  if (!f->dense) {
    pop_gather(f, w, u);
    npop = w->nc;
  }
  if (f->use[TRAIN_KNN]) knn_gather(f, w, u);
  if (f->use[TRAIN_SOCIAL]) social_gather(f, w, u);
  w->n_all = w->nc;
  if (!f->dense) prune(w, npop);
  raw_scores(f, w, u);
  int nc = w->nc;
  for (int m = 0; m < TRAIN_NCOMP; m++) {
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

void train_reset_user(struct train_ws *w) {
  for (int c = 0; c < w->n_all; c++) {
    struct train_slot *s = &w->s[w->cand[c]];
    s->acc = s->bestv = s->soc = s->socv = 0;
  }
}

void train_blend(struct train_ws *w, const double *wt) {
  for (int c = 0; c < w->nc; c++) {
    double s = 0;
    for (int m = 0; m < TRAIN_NCOMP; m++)
      if (wt[m] != 0) s += wt[m] * w->z[m][c];
    w->bl[c] = (float)s;
  }
}

int train_each_user(const struct train_fit *f, int n, train_user_fn fn,
                    void *arg) {
  int fail = 0;
#pragma omp parallel
  {
    struct train_ws w;
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
