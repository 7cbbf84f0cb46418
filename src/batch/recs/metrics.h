/* metrics.h: the ranking metrics of the offline evaluation and the weight
 * search, the top-k selection they share, and the evaluation of a scorer
 * over a split's users. */
#ifndef ENCORE_BATCH_RECS_METRICS_H
#define ENCORE_BATCH_RECS_METRICS_H

#include "batch/recs/csr.h"
#include "batch/recs/split.h"

/* Per-user ranking metrics at k = 10 and 20. */
struct metrics {
  double prec10, rec10, rec20, ndcg10, ndcg20;
  double coverage10; /* distinct items in all top-10 lists / catalogue */
  double tail10;     /* share of top-10 items outside the most-played 20% */
  int users;
};
#define METRICS_TOPK 20

/* metrics_topk: the k best items of scores (ties: lower index first) into top,
 * best first; items with -INFINITY are never chosen. Returns how many were
 * written (<= k). */
int metrics_topk(const float *scores, int n, int k, int *top);
/* metrics_ndcg: binary-relevance NDCG@k of a ranking against the sorted
 * relevant items rel[0..nrel); ideal DCG over min(nrel, k). */
double metrics_ndcg(const int *rank, int nrank, const int *rel, int nrel,
                    int k);
/* metrics_hits: how many of rank[0..min(k,nrank)) are in sorted rel. */
int metrics_hits(const int *rank, int nrank, const int *rel, int nrel, int k);

/* metrics_evaluate: rank every unseen item for each user of s->eval_users with
 * score_fn and fill *out with the averaged metrics. head marks the most
 * played items (for tail10). Runs users in parallel. */
typedef void (*metrics_score_fn)(const void *arg, int u, float *out,
                                 float *tmp);
void metrics_evaluate(struct metrics *out, const struct split *s,
                      const int *users, int n_users, const unsigned char *head,
                      metrics_score_fn fn, const void *arg);
/* metrics_head_items: mark the 20% most-played items of train (by total play
 * count) in head (n_items bytes). */
void metrics_head_items(unsigned char *head, const struct csr *train);

#endif
