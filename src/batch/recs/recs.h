/* recs.h: the in-memory interface of encore-recs: sparse user x item
 * matrices, item tag vectors, the social graph, models that fit on a training
 * matrix and score every item for a user, and the offline evaluation. The
 * batch that reads MariaDB fills the same structures; nothing here knows
 * where the data came from. */
#ifndef ENCORE_RECS_H
#define ENCORE_RECS_H

#include <stdint.h>

/* Compressed sparse rows. Column indices are sorted and unique within a row.
 * A matrix owns its three arrays. */
struct recs_csr {
  int nrows, ncols;
  int64_t nnz;
  int64_t *ptr; /* nrows + 1 */
  int *idx;     /* nnz */
  float *val;   /* nnz */
};

/* One (row, col, value) entry fed to recs_csr_build. */
struct recs_triplet {
  int row, col;
  float val;
};

/* recs_csr_build: build an nrows x ncols matrix from n triplets (reordered in
 * place). Duplicates of one (row, col) are summed. Returns 0, or -1 when out
 * of memory or an index is out of range (m is then empty). */
int recs_csr_build(struct recs_csr *m, int nrows, int ncols,
                   struct recs_triplet *t, int64_t n);
/* recs_csr_transpose: out = m^T (a new matrix). Returns 0 or -1 (memory). */
int recs_csr_transpose(struct recs_csr *out, const struct recs_csr *m);
/* recs_csr_free: release the arrays; m may be zeroed or already freed. */
void recs_csr_free(struct recs_csr *m);
/* recs_csr_has: whether row r has column c (binary search). */
int recs_csr_has(const struct recs_csr *m, int r, int c);

/* One user's tag on an item (HetRec user_taggedartists, Encore's
 * user_artist_tags). user is -1 for a user without a row in the users x
 * items matrix (such a tagging is never held out). */
struct recs_tagging {
  int user, item, tag;
};

/* The whole data set of one evaluation or batch run. */
struct recs_data {
  int n_users, n_items, n_tags;
  int64_t *user_id;   /* dense user index -> external id */
  int64_t *item_id;   /* dense item index -> external id */
  struct recs_csr ui; /* users x items: play counts */
  /* items x tags: TF-IDF of base_tags and every tagging, rows
   * L2-normalized (recs_features_build over the whole of ui). The features
   * of everything: a model fitted on a part of ui sees recs_features_init's
   * instead. */
  struct recs_csr tags;
  /* items x tags: raw counts no user's tagging produced (a catalogue's
   * genres, release eras, audio buckets); may have no rows, and is left
   * empty by a loader that has no taggings (tags is then all there is). */
  struct recs_csr base_tags;
  struct recs_tagging *tagged; /* the users' taggings, n_tagged of them */
  int64_t n_tagged;
  struct recs_csr social; /* users x users: 1 for each friend (symmetric) */
};

/* recs_hetrec_load: read the HetRec 2011 Last.fm 2K files under dir.
 * Malformed lines are reported on stderr with file:line and skipped; a
 * missing user_artists.dat is an error, missing tag or friend files leave
 * those parts empty. Returns 0 or -1 (message on stderr). */
int recs_hetrec_load(struct recs_data *d, const char *dir);
/* recs_data_free: release everything recs_hetrec_load allocated. */
void recs_data_free(struct recs_data *d);

/* Item features (features.c). A user's tagging of an item they interacted
 * with belongs to that interaction: it is known only where the interaction
 * is, so a model never learns from the tags of the very pair held out from
 * it. */

/* recs_tfidf: turn raw tag counts (items x tags) into TF-IDF rows
 * (log-scaled tf, idf over items) normalized to unit length, in place. */
void recs_tfidf(struct recs_csr *m);
/* recs_features_build: out = the TF-IDF rows (n_items x n_tags) of
 * d->base_tags plus d's taggings, leaving out each tagging (u, i, t) whose
 * (u, i) is in d->ui but not in train (held out with that interaction).
 * train: users x items in d's numbering, a part of d->ui; NULL keeps every
 * tagging. Returns 0, or -1 when out of memory (out is then empty). */
int recs_features_build(struct recs_csr *out, const struct recs_data *d,
                        const struct recs_csr *train);

/* The features a model fitted on one training part may see. */
struct recs_features {
  const struct recs_csr *tags; /* items x tags: &d->tags or &own */
  struct recs_csr own;         /* built when train holds some tagging back */
  int64_t held;                /* taggings held back */
};
/* recs_features_init: f->tags = recs_features_build(d, train), borrowed
 * as d->tags itself when train holds back none of d's taggings (d->tags
 * must then be recs_features_build(d, NULL), as the loaders make it; keep d
 * alive while f is used); f->held counts the taggings left out. Returns 0,
 * or -1 when out of memory (f is then empty). */
int recs_features_init(struct recs_features *f, const struct recs_data *d,
                       const struct recs_csr *train);
/* recs_features_free: release f (zeroed after; freeing twice is safe). */
void recs_features_free(struct recs_features *f);

/* Deterministic random numbers (splitmix64), independent of the thread that
 * draws them. */
uint64_t recs_rng_next(uint64_t *state);
/* recs_rng_unit: a double uniform in [0, 1). */
double recs_rng_unit(uint64_t *state);
/* recs_rng_perm: perm = a random permutation of 0..n-1 (Fisher-Yates). */
void recs_rng_perm(int *perm, int n, uint64_t *state);

/* A hold-out split of a users x items matrix. */
struct recs_split {
  struct recs_csr train; /* what the models see */
  struct recs_csr test;  /* held out: the relevant items */
  int *eval_users;       /* users with a non-empty test row */
  int n_eval;
};

/* recs_split_holdout: for every user with at least min_items items, hold
 * out frac of them (at least one) chosen at random with seed; other users
 * stay whole in train. cold_frac > 0 also picks that share of the evaluated
 * users and keeps only cold_keep of their training items ("cold" users, and
 * then only they are evaluated). Returns 0 or -1 (memory). */
int recs_split_holdout(struct recs_split *s, const struct recs_csr *ui,
                       int min_items, double frac, uint64_t seed,
                       double cold_frac, int cold_keep);
/* recs_split_free: release a split. */
void recs_split_free(struct recs_split *s);

/* What a model fits on. Borrowed pointers: the caller keeps them alive for
 * as long as the fitted model is used. */
struct recs_ctx {
  const struct recs_csr *train;   /* users x items, play counts */
  const struct recs_csr *train_t; /* items x users */
  const struct recs_csr *tags;    /* items x tags (may have no rows) */
  const struct recs_csr *social;  /* users x users (may be empty) */
  uint64_t seed;
};

#define RECS_NPARAM 4

/* One model: fit returns an opaque state (NULL on failure), score writes
 * one score per item for user u into out (higher is better; items seen in
 * training may get any value, the caller masks them). score must be safe to
 * call from several threads at once. */
struct recs_model {
  const char *name;
  const char *param_names[RECS_NPARAM];
  int n_grid;                        /* hyper-parameter settings to try */
  const double (*grid)[RECS_NPARAM]; /* n_grid settings; [0] is the default */
  void *(*fit)(const struct recs_ctx *c, const double *p);
  void (*score)(const void *state, const struct recs_ctx *c, int u, float *out);
  void (*release)(void *state);
};

extern const struct recs_model recs_model_pop, recs_model_itemknn,
    recs_model_als, recs_model_content, recs_model_social, recs_model_rp3,
    recs_model_userknn, recs_model_ease;

/* recs_log1p_counts: the log-scaled confidence used by several models:
 * log(1 + count). */
static inline float recs_logc(float count) {
  return count > 0 ? __builtin_logf(1.0f + count) : 0.0f;
}

/* A hybrid: per-user z-scored scores of fitted models, blended. "warm"
 * weights serve users with more than cold_max training items, "cold" weights
 * the others. The hybrid borrows the sub-model states. */
#define RECS_MAXMODELS 8
struct recs_hybrid {
  int n;
  const struct recs_model *m[RECS_MAXMODELS];
  void *state[RECS_MAXMODELS];
  double warm[RECS_MAXMODELS], cold[RECS_MAXMODELS];
  int cold_max;
};
/* recs_hybrid_score: out = sum_k w_k * z_k(u), with z over the items u has
 * not seen in training (seen items get -inf). tmp holds n_items floats. */
void recs_hybrid_score(const struct recs_hybrid *h, const struct recs_ctx *c,
                       int u, float *out, float *tmp);
/* recs_zscore: standardize out over the items not in row u of train; items
 * in it are set to -INFINITY. */
void recs_zscore(float *out, const struct recs_csr *train, int u);

/* Per-user ranking metrics at k = 10 and 20. */
struct recs_metrics {
  double prec10, rec10, rec20, ndcg10, ndcg20;
  double coverage10; /* distinct items in all top-10 lists / catalogue */
  double tail10;     /* share of top-10 items outside the most-played 20% */
  int users;
};
#define RECS_TOPK 20

/* recs_topk: the k best items of scores (ties: lower index first) into top,
 * best first; items with -INFINITY are never chosen. Returns how many were
 * written (<= k). */
int recs_topk(const float *scores, int n, int k, int *top);
/* recs_ndcg: binary-relevance NDCG@k of a ranking against the sorted
 * relevant items rel[0..nrel); ideal DCG over min(nrel, k). */
double recs_ndcg(const int *rank, int nrank, const int *rel, int nrel, int k);
/* recs_hits: how many of rank[0..min(k,nrank)) are in sorted rel. */
int recs_hits(const int *rank, int nrank, const int *rel, int nrel, int k);

/* recs_evaluate: rank every unseen item for each user of s->eval_users with
 * score_fn and fill *out with the averaged metrics. head marks the most
 * played items (for tail10). Runs users in parallel. */
typedef void (*recs_score_fn)(const void *arg, int u, float *out, float *tmp);
void recs_evaluate(struct recs_metrics *out, const struct recs_split *s,
                   const int *users, int n_users, const unsigned char *head,
                   recs_score_fn fn, const void *arg);
/* recs_head_items: mark the 20% most-played items of train (by total play
 * count) in head (n_items bytes). */
void recs_head_items(unsigned char *head, const struct recs_csr *train);

/* recs_now: monotonic seconds. */
double recs_now(void);

#endif
