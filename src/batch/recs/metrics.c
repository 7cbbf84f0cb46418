/* metrics.c: ranking metrics (precision, recall, NDCG at 10 and 20,
 * catalogue coverage, long-tail share) and the loop that ranks every unseen
 * item for each evaluated user. */
#include "batch/recs/metrics.h"

#include "batch/recs/csr.h"
#include "batch/recs/split.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int metrics_topk(const float *scores, int n, int k, int *top) {
  /* A sorted insertion list: k is 20, so this beats a heap. */
  int m = 0;
  for (int i = 0; i < n; i++) {
    float s = scores[i];
    if (s == -INFINITY || s != s) continue;
    if (m == k && s <= scores[top[k - 1]]) continue;
    int j = m < k ? m++ : k - 1;
    while (j > 0 && scores[top[j - 1]] < s) {
      top[j] = top[j - 1];
      j--;
    }
    top[j] = i;
  }
  return m;
}

static int in_sorted(const int *a, int n, int x) {
  int lo = 0, hi = n;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (a[mid] == x) return 1;
    if (a[mid] < x)
      lo = mid + 1;
    else
      hi = mid;
  }
  return 0;
}

int metrics_hits(const int *rank, int nrank, const int *rel, int nrel, int k) {
  int h = 0;
  for (int i = 0; i < nrank && i < k; i++)
    h += in_sorted(rel, nrel, rank[i]);
  return h;
}

double metrics_ndcg(const int *rank, int nrank, const int *rel, int nrel,
                    int k) {
  double dcg = 0, idcg = 0;
  for (int i = 0; i < nrank && i < k; i++)
    if (in_sorted(rel, nrel, rank[i])) dcg += 1.0 / log2(i + 2.0);
  for (int i = 0; i < nrel && i < k; i++)
    idcg += 1.0 / log2(i + 2.0);
  return idcg > 0 ? dcg / idcg : 0;
}

struct rank_item {
  int item;
  float plays;
};

static int cmp_plays_desc(const void *a, const void *b) {
  const struct rank_item *x = a, *y = b;
  if (x->plays != y->plays) return x->plays > y->plays ? -1 : 1;
  return x->item - y->item;
}

void metrics_head_items(unsigned char *head, const struct csr *train) {
  int n = train->ncols;
  struct rank_item *r = calloc((size_t)n, sizeof *r);
  memset(head, 0, (size_t)n);
  if (!r) return;
  for (int i = 0; i < n; i++)
    r[i].item = i;
  for (int64_t k = 0; k < train->nnz; k++)
    r[train->idx[k]].plays += train->val[k];
  qsort(r, (size_t)n, sizeof *r, cmp_plays_desc);
  for (int i = 0; i < n / 5; i++)
    head[r[i].item] = 1;
  free(r);
}

void metrics_evaluate(struct metrics *out, const struct split *s,
                      const int *users, int n_users, const unsigned char *head,
                      metrics_score_fn fn, const void *arg) {
  int n = s->train.ncols;
  memset(out, 0, sizeof *out);
  int *tops = malloc((size_t)(n_users ? n_users : 1) * 10 * sizeof *tops);
  if (!tops) return;
  double p10 = 0, r10 = 0, r20 = 0, n10 = 0, n20 = 0, tail = 0;
  long ntop = 0;
#pragma omp parallel reduction(+ : p10, r10, r20, n10, n20, tail, ntop)
  {
    float *sc = malloc((size_t)n * sizeof *sc);
    float *tmp = malloc((size_t)n * sizeof *tmp);
#pragma omp for schedule(dynamic, 16)
    for (int k = 0; k < n_users; k++) {
      int u = users[k], top[METRICS_TOPK];
      int *t10 = tops + (size_t)k * 10;
      for (int j = 0; j < 10; j++)
        t10[j] = -1;
      if (!sc || !tmp) continue;
      fn(arg, u, sc, tmp);
      for (int64_t i = s->train.ptr[u]; i < s->train.ptr[u + 1]; i++)
        sc[s->train.idx[i]] = -INFINITY;
      int m = metrics_topk(sc, n, METRICS_TOPK, top);
      const int *rel = s->test.idx + s->test.ptr[u];
      int nrel = (int)(s->test.ptr[u + 1] - s->test.ptr[u]);
      int h10 = metrics_hits(top, m, rel, nrel, 10);
      int h20 = metrics_hits(top, m, rel, nrel, 20);
      p10 += h10 / 10.0;
      r10 += nrel ? (double)h10 / nrel : 0;
      r20 += nrel ? (double)h20 / nrel : 0;
      n10 += metrics_ndcg(top, m, rel, nrel, 10);
      n20 += metrics_ndcg(top, m, rel, nrel, 20);
      for (int j = 0; j < m && j < 10; j++) {
        t10[j] = top[j];
        tail += !head[top[j]];
        ntop++;
      }
    }
    free(sc);
    free(tmp);
  }
  unsigned char *seen = calloc((size_t)n, 1);
  int distinct = 0;
  for (long k = 0; seen && k < (long)n_users * 10; k++)
    if (tops[k] >= 0 && !seen[tops[k]]) {
      seen[tops[k]] = 1;
      distinct++;
    }
  free(seen);
  free(tops);
  if (n_users == 0) return;
  out->users = n_users;
  out->prec10 = p10 / n_users;
  out->rec10 = r10 / n_users;
  out->rec20 = r20 / n_users;
  out->ndcg10 = n10 / n_users;
  out->ndcg20 = n20 / n_users;
  out->coverage10 = n ? (double)distinct / n : 0;
  out->tail10 = ntop ? tail / ntop : 0;
}
