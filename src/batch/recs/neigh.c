/* neigh.c: top-K item-item graphs from a sparse product, and scoring
 * through them (see neigh.h). */
#include "batch/recs/neigh.h"
#include "batch/recs/algo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct cand {
  int j;
  float s;
};

static int cmp_cand(const void *x, const void *y) {
  const struct cand *a = x, *b = y;
  if (a->s != b->s) return a->s > b->s ? -1 : 1;
  return a->j - b->j;
}

/* select_best: reorder c[0..n) so that its k first entries are the k best
 * under cmp_cand (in any order): a quickselect, since a popular item
 * co-occurs with a large part of a big catalogue and sorting all of its
 * candidates to keep k of them dominates the build. cmp_cand is a total
 * order, so the k chosen are exactly those a full sort would keep. */
static void select_best(struct cand *c, int n, int k) {
  int lo = 0, hi = n - 1;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    /* median of three as the pivot, moved to hi */
    if (cmp_cand(&c[mid], &c[lo]) < 0) {
      struct cand t = c[mid];
      c[mid] = c[lo];
      c[lo] = t;
    }
    if (cmp_cand(&c[hi], &c[lo]) < 0) {
      struct cand t = c[hi];
      c[hi] = c[lo];
      c[lo] = t;
    }
    if (cmp_cand(&c[mid], &c[hi]) < 0) {
      struct cand t = c[mid];
      c[mid] = c[hi];
      c[hi] = t;
    }
    struct cand pv = c[hi];
    int st = lo;
    for (int i = lo; i < hi; i++)
      if (cmp_cand(&c[i], &pv) < 0) {
        struct cand t = c[i];
        c[i] = c[st];
        c[st++] = t;
      }
    c[hi] = c[st];
    c[st] = pv;
    if (st == k - 1 || st == k) return;
    if (st < k)
      lo = st + 1;
    else
      hi = st - 1;
  }
}

int neigh_build(struct csr *out, const struct csr *a, const struct csr *b,
                int k, neigh_sim_fn f, const void *arg, int normalize) {
  int n = a->nrows, m = b->ncols;
  memset(out, 0, sizeof *out);
  out->nrows = n;
  out->ncols = m;
  out->ptr = calloc((size_t)n + 1, sizeof *out->ptr);
  out->idx = malloc((size_t)n * (size_t)k * sizeof *out->idx);
  out->val = malloc((size_t)n * (size_t)k * sizeof *out->val);
  int *cnt = calloc((size_t)n + 1, sizeof *cnt);
  int fail = !out->ptr || !out->idx || !out->val || !cnt;
  if (!fail) {
#pragma omp parallel
    {
      float *acc = calloc((size_t)m, sizeof *acc);
      int *touched = malloc((size_t)m * sizeof *touched);
      struct cand *c = malloc((size_t)m * sizeof *c);
      if (!acc || !touched || !c) {
#pragma omp atomic write
        fail = 1;
      }
#pragma omp for schedule(dynamic, 64)
      for (int i = 0; i < n; i++) {
        if (!acc || !touched || !c) continue;
        int nt = 0;
        for (int64_t p = a->ptr[i]; p < a->ptr[i + 1]; p++) {
          int u = a->idx[p];
          float av = a->val[p];
          for (int64_t q = b->ptr[u]; q < b->ptr[u + 1]; q++) {
            int j = b->idx[q];
            if (acc[j] == 0) touched[nt++] = j;
            acc[j] += av * b->val[q];
          }
        }
        int nc = 0;
        for (int t = 0; t < nt; t++) {
          int j = touched[t];
          float s = j != i ? f(i, j, acc[j], arg) : 0;
          acc[j] = 0;
          if (s > 0) c[nc++] = (struct cand){j, s};
        }
        if (nc > k) {
          select_best(c, nc, k);
          nc = k;
        }
        qsort(c, (size_t)nc, sizeof *c, cmp_cand);
        double sum = 0;
        for (int t = 0; t < nc; t++)
          sum += c[t].s;
        int *oi = out->idx + (size_t)i * k;
        float *ov = out->val + (size_t)i * k;
        for (int t = 0; t < nc; t++) {
          oi[t] = c[t].j;
          ov[t] = normalize && sum > 0 ? (float)(c[t].s / sum) : c[t].s;
        }
        cnt[i] = nc;
      }
      free(acc);
      free(touched);
      free(c);
    }
  }
  if (fail) {
    free(cnt);
    csr_free(out);
    return -1;
  }
  /* Compact the fixed-size slots into CSR (order within a row: by score). */
  int64_t w = 0;
  for (int i = 0; i < n; i++) {
    out->ptr[i] = w;
    memmove(out->idx + w, out->idx + (size_t)i * k,
            (size_t)cnt[i] * sizeof(int));
    memmove(out->val + w, out->val + (size_t)i * k,
            (size_t)cnt[i] * sizeof(float));
    w += cnt[i];
  }
  out->ptr[n] = w;
  out->nnz = w;
  free(cnt);
  return 0;
}

void neigh_score(const struct csr *s, const struct csr *train, int u, int logw,
                 float *out) {
  memset(out, 0, (size_t)s->ncols * sizeof *out);
  for (int64_t p = train->ptr[u]; p < train->ptr[u + 1]; p++) {
    int i = train->idx[p];
    float w = logw ? algo_logc(train->val[p]) : 1.0f;
    for (int64_t q = s->ptr[i]; q < s->ptr[i + 1]; q++)
      out[s->idx[q]] += w * s->val[q];
  }
}
