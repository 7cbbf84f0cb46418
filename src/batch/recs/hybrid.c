/* hybrid.c: the hybrid model: per-user z-scored scores of several fitted
 * models blended with weights, and the coordinate search that picks those
 * weights on a validation split. */
#include "batch/recs/hybrid.h"
#include "batch/recs/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void hybrid_zscore(float *out, const struct csr *train, int u) {
  int n = train->ncols;
  for (int64_t i = train->ptr[u]; i < train->ptr[u + 1]; i++)
    out[train->idx[i]] = -INFINITY;
  double sum = 0, sq = 0;
  int cnt = 0;
  for (int i = 0; i < n; i++)
    if (out[i] != -INFINITY) {
      sum += out[i];
      sq += (double)out[i] * out[i];
      cnt++;
    }
  if (cnt == 0) return;
  double mean = sum / cnt, var = sq / cnt - mean * mean;
  /* A model with no opinion (all equal) contributes zeros, not NaN. */
  double inv = var > 1e-12 ? 1.0 / sqrt(var) : 0;
  for (int i = 0; i < n; i++)
    if (out[i] != -INFINITY) out[i] = (float)((out[i] - mean) * inv);
}

void hybrid_score(const struct hybrid *h, const struct algo_ctx *c, int u,
                  float *out, float *tmp) {
  int n = c->train->ncols;
  int cold = c->train->ptr[u + 1] - c->train->ptr[u] <= h->cold_max;
  const double *w = cold ? h->cold : h->warm;
  memset(out, 0, (size_t)n * sizeof *out);
  for (int k = 0; k < h->n; k++) {
    if (w[k] == 0) continue;
    h->m[k]->score(h->state[k], c, u, tmp);
    hybrid_zscore(tmp, c->train, u);
    for (int i = 0; i < n; i++)
      out[i] += (float)w[k] * tmp[i];
  }
  for (int64_t p = c->train->ptr[u]; p < c->train->ptr[u + 1]; p++)
    out[c->train->idx[p]] = -INFINITY;
}

static int build_cands(struct hybrid_cands *cd, const struct hybrid *h,
                       const struct algo_ctx *c, const struct split *val,
                       const int *users, int n_users) {
  int n = c->train->ncols, M = h->n, cap = M * HYBRID_CANDS;
  memset(cd, 0, sizeof *cd);
  cd->n_users = n_users;
  cd->n_models = M;
  cd->test = &val->test;
  cd->users = users;
  cd->off = calloc((size_t)n_users + 1, sizeof *cd->off);
  cd->item = malloc((size_t)n_users * cap * sizeof *cd->item);
  cd->z = malloc((size_t)n_users * cap * M * sizeof *cd->z);
  int *cnt = calloc((size_t)n_users + 1, sizeof *cnt);
  if (!cd->off || !cd->item || !cd->z || !cnt) {
    free(cnt);
    return -1;
  }
#pragma omp parallel
  {
    float *all = malloc((size_t)M * n * sizeof *all);
    int *mark = malloc((size_t)n * sizeof *mark);
    int top[HYBRID_CANDS];
    if (mark)
      for (int i = 0; i < n; i++)
        mark[i] = -1;
#pragma omp for schedule(dynamic, 16)
    for (int k = 0; k < n_users; k++) {
      if (!all || !mark) continue;
      int u = users[k], nc = 0;
      int *it = cd->item + (size_t)k * cap;
      float *z = cd->z + (size_t)k * cap * M;
      for (int m = 0; m < M; m++) {
        float *s = all + (size_t)m * n;
        h->m[m]->score(h->state[m], c, u, s);
        hybrid_zscore(s, c->train, u);
        int t = metrics_topk(s, n, HYBRID_CANDS, top);
        for (int j = 0; j < t; j++)
          if (mark[top[j]] != k) {
            mark[top[j]] = k;
            it[nc++] = top[j];
          }
      }
      for (int j = 0; j < nc; j++)
        for (int m = 0; m < M; m++)
          z[(size_t)j * M + m] = all[(size_t)m * n + it[j]];
      cnt[k] = nc;
    }
    free(all);
    free(mark);
  }
  /* Compact the fixed-size slots (cap per user) into consecutive rows. */
  int64_t w = 0;
  for (int k = 0; k < n_users; k++) {
    cd->off[k] = w;
    memmove(cd->item + w, cd->item + (size_t)k * cap,
            (size_t)cnt[k] * sizeof *cd->item);
    memmove(cd->z + w * M, cd->z + (size_t)k * cap * M,
            (size_t)cnt[k] * M * sizeof *cd->z);
    w += cnt[k];
  }
  cd->off[n_users] = w;
  free(cnt);
  return 0;
}

void hybrid_cands_free(struct hybrid_cands *cd) {
  free(cd->off);
  free(cd->item);
  free(cd->z);
  memset(cd, 0, sizeof *cd);
}

/* Mean NDCG@10 of the blend w over the candidate tables. */
static double cand_ndcg(const struct hybrid_cands *cd, const double *w) {
  int M = cd->n_models, cap = 1;
  for (int k = 0; k < cd->n_users; k++)
    if (cd->off[k + 1] - cd->off[k] > cap)
      cap = (int)(cd->off[k + 1] - cd->off[k]);
  double sum = 0;
#pragma omp parallel reduction(+ : sum)
  {
    float *s = malloc((size_t)cap * sizeof *s);
#pragma omp for schedule(static)
    for (int k = 0; k < cd->n_users; k++) {
      if (!s) continue;
      int nc = (int)(cd->off[k + 1] - cd->off[k]), top[10], rank[10];
      const float *z = cd->z + cd->off[k] * M;
      const int *it = cd->item + cd->off[k];
      for (int j = 0; j < nc; j++) {
        double v = 0;
        for (int m = 0; m < M; m++)
          v += w[m] * z[(size_t)j * M + m];
        s[j] = (float)v;
      }
      int t = metrics_topk(s, nc, 10, top);
      for (int j = 0; j < t; j++)
        rank[j] = it[top[j]];
      int u = cd->users[k];
      const struct csr *te = cd->test;
      sum += metrics_ndcg(rank, t, te->idx + te->ptr[u],
                          (int)(te->ptr[u + 1] - te->ptr[u]), 10);
    }
    free(s);
  }
  return cd->n_users ? sum / cd->n_users : 0;
}

double hybrid_tune(double *w, const struct hybrid *h, const struct algo_ctx *c,
                   const struct split *val, const int *users, int n_users) {
  struct hybrid_cands cd;
  if (build_cands(&cd, h, c, val, users, n_users)) {
    hybrid_cands_free(&cd);
    return -1;
  }
  double best = hybrid_blend_search(w, &cd);
  hybrid_cands_free(&cd);
  return best;
}

double hybrid_blend_search(double *w, const struct hybrid_cands *cd) {
  /* The values each weight may take. */
  static const double steps[] = {0, 0.1, 0.25, 0.5, 1, 2, 4};
  int M = cd->n_models;
  /* Two starts, the best single model and the uniform blend, each improved
   * one weight at a time; the search is cheap and the surface has local
   * optima (a model can look useless until another one is in). */
  double best = -1, w0[HYBRID_MAXMODELS];
  int bm = 0;
  for (int m = 0; m < M; m++) {
    for (int j = 0; j < M; j++)
      w0[j] = j == m;
    double v = cand_ndcg(cd, w0);
    if (v > best) {
      best = v;
      bm = m;
    }
  }
  best = -1;
  for (int start = 0; start < 2; start++) {
    for (int j = 0; j < M; j++)
      w0[j] = start ? 1 : j == bm;
    double cur = cand_ndcg(cd, w0);
    for (int pass = 0; pass < 4; pass++) {
      int changed = 0;
      for (int m = 0; m < M; m++) {
        double keep = w0[m];
        for (size_t s = 0; s < sizeof steps / sizeof *steps; s++) {
          if (steps[s] == keep) continue;
          w0[m] = steps[s];
          double v = cand_ndcg(cd, w0);
          if (v > cur + 1e-6) {
            cur = v;
            keep = steps[s];
            changed = 1;
          }
        }
        w0[m] = keep;
      }
      if (!changed) break;
    }
    if (cur > best) {
      best = cur;
      memcpy(w, w0, (size_t)M * sizeof *w);
    }
  }
  return best;
}
