/* train_fit.c: fit, the first step of the production training: what the
 * models learn from one users x items matrix (the whole input, or the
 * validation split's training part): popularity overall and per genre, the
 * collaborative matrix (items of 2+ users, each user's most played items),
 * item-KNN neighbours, ALS factors and EASE (small catalogues only), with
 * the settings of train_params.h. */
#include "batch/recs/fitted.h"
#include "batch/recs/metrics.h"
#include "batch/recs/timing.h"
#include "batch/recs/train_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void train_stage(const struct train_fit *f, const char *what, double t0) {
  if (f->verbose)
    fprintf(stderr, "encore-recs: train %s: %s %.2f s\n",
            f->in->level == BATCH_TRACK ? "track" : "artist", what,
            timing_now() - t0);
}

void train_fit_free(struct train_fit *f) {
  if (f->knn) algo_itemknn.release(f->knn);
  if (f->als) algo_als.release(f->als);
  if (f->ease) algo_ease.release(f->ease);
  csr_free(&f->cf);
  csr_free(&f->cf_t);
  free(f->listeners);
  free(f->wsum);
  batch_pop_free(f->n_pop, f->pop, f->pop_score, f->pop_n);
  memset(f, 0, sizeof *f);
}

/* pop_list: the BATCH_TOP_POP most-listened of items[0..n) into pop slot g. */
static int pop_list(struct train_fit *f, int g, const int *items, int n,
                    float *tmp, int *top) {
  for (int k = 0; k < n; k++) {
    float l = f->listeners[items ? items[k] : k];
    tmp[k] = l > 0 ? l : -INFINITY;
  }
  int m = metrics_topk(tmp, n, BATCH_TOP_POP, top);
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

static int fit_pop(struct train_fit *f) {
  const struct batch_input *in = f->in;
  int n = f->ui->ncols, G = f->genres->ptr ? in->n_genres : 0;
  f->n_pop = G + 1;
  f->pop = calloc((size_t)f->n_pop, sizeof *f->pop);
  f->pop_score = calloc((size_t)f->n_pop, sizeof *f->pop_score);
  f->pop_n = calloc((size_t)f->n_pop, sizeof *f->pop_n);
  float *tmp = malloc((size_t)(n + 1) * sizeof *tmp);
  int *top = malloc(BATCH_TOP_POP * sizeof *top);
  struct csr gi = {0};
  int rc = -1;
  if (!f->pop || !f->pop_score || !f->pop_n || !tmp || !top) goto out;
  if (pop_list(f, 0, NULL, n, tmp, top)) goto out;
  if (G > 0) {
    if (csr_transpose(&gi, f->genres)) goto out;
    for (int g = 0; g < G; g++)
      if (pop_list(f, g + 1, g < gi.nrows ? gi.idx + gi.ptr[g] : NULL,
                   g < gi.nrows ? (int)(gi.ptr[g + 1] - gi.ptr[g]) : 0, tmp,
                   top))
        goto out;
  }
  rc = 0;
out:
  csr_free(&gi);
  free(tmp);
  free(top);
  return rc;
}

/* Most played first; ties: the lower item. */
static int cmp_most_played(const void *a, const void *b) {
  const struct csr_triplet *x = a, *y = b;
  if (x->val != y->val) return x->val > y->val ? -1 : 1;
  return x->col - y->col;
}

int train_fit_models(struct train_fit *f, const struct batch_input *in,
                     const struct csr *ui, int light,
                     const struct train_opts *o, uint64_t seed) {
  int nu = ui->nrows, n = ui->ncols;
  double t0 = timing_now();
  f->in = in;
  f->ui = ui;
  if (!f->tags) f->tags = &in->d.tags;
  if (!f->genres) f->genres = &in->item_genres;
  f->listeners = calloc((size_t)n + 1, sizeof *f->listeners);
  f->wsum = calloc((size_t)nu + 1, sizeof *f->wsum);
  struct csr_triplet *t = malloc((size_t)(ui->nnz + 1) * sizeof *t);
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
      f->wsum[u] += algo_logc(ui->val[k]);
      /* An item of one user links nothing to anything: most of a long
       * tail, and it would only cost the collaborative models time. */
      if (f->listeners[ui->idx[k]] >= 2)
        t[nt++] = (struct csr_triplet){u, ui->idx[k], ui->val[k]};
    }
    /* The few users with thousands of tracks: their most played items say
     * what they like. */
    if (nt - first > train_params.cf_max_items) {
      qsort(t + first, (size_t)(nt - first), sizeof *t, cmp_most_played);
      nt = first + train_params.cf_max_items;
    }
  }
  int rc = csr_build(&f->cf, nu, n, t, nt);
  free(t);
  if (rc || csr_transpose(&f->cf_t, &f->cf)) return -1;
  for (int i = 0; i < n; i++) {
    int64_t len = f->cf_t.ptr[i + 1] - f->cf_t.ptr[i];
    f->n_kept += len > 0;
    f->n_ease += len >= train_params.ease_min_users;
  }
  f->ctx = (struct algo_ctx){.train = &f->cf,
                             .train_t = &f->cf_t,
                             .tags = f->tags,
                             .social = &in->d.social,
                             .seed = seed};
  if (fit_pop(f)) return -1;
  f->t_pop = timing_now() - t0;
  train_stage(f, "popularity", t0);

  /* HetRec-sized inputs get the offline evaluation's settings; big ones
   * fewer neighbours, factors and iterations (train_params.h). */
  const struct train_params *tp = &train_params;
  int wide = n > tp->big_items, big = wide || ui->nnz > tp->big_interactions;
  f->dense =
      (double)nu * n <= (o->dense_cells ? o->dense_cells : tp->dense_cells);
  f->knn_k = big ? tp->knn_k_big : tp->knn_k;
  f->als_k = wide ? tp->als_factors_big : tp->als_factors;
  f->als_iters = big ? tp->als_iters_big : tp->als_iters;
  f->use[TRAIN_POP] = 1;
  f->use[TRAIN_KNN] = f->cf.nnz > 0;
  f->use[TRAIN_ALS] = !light && f->cf.nnz > 0;
  f->use[TRAIN_EASE] = !light && f->dense && f->n_ease > 0 &&
                       f->n_ease <= train_params.ease_max_items;
  f->use[TRAIN_CONTENT] = f->tags->ptr && f->tags->nnz > 0;
  f->use[TRAIN_SOCIAL] = in->d.social.ptr && in->d.social.nnz > 0;
  f->use[TRAIN_GENRE] = f->n_pop > 1;

  t0 = timing_now();
  if (f->use[TRAIN_KNN]) {
    double p[ALGO_NPARAM] = {tp->knn_shrink, f->knn_k};
    if (!(f->knn = algo_itemknn.fit(&f->ctx, p))) return -1;
    f->sim = itemknn_graph(f->knn);
  }
  f->t_knn = timing_now() - t0;
  train_stage(f, "item-KNN", t0);
  t0 = timing_now();
  if (f->use[TRAIN_ALS]) {
    double p[ALGO_NPARAM] = {f->als_k, tp->als_alpha, tp->als_reg,
                             f->als_iters};
    if (!(f->als = algo_als.fit(&f->ctx, p))) return -1;
    f->als_k = als_factors(f->als, &f->ax, &f->ay);
  }
  f->t_als = timing_now() - t0;
  if (f->als) train_stage(f, "ALS", t0);
  t0 = timing_now();
  if (f->use[TRAIN_EASE]) {
    double p[ALGO_NPARAM] = {tp->ease_lambda, tp->ease_min_users};
    if (!(f->ease = algo_ease.fit(&f->ctx, p))) return -1;
  }
  f->t_ease = timing_now() - t0;
  if (f->ease) train_stage(f, "EASE", t0);
  return 0;
}
