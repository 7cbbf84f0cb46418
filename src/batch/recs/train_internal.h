/* train_internal.h: what the files of the production training share, and
 * nothing outside them uses (its API is train_run in batch.h):
 *
 *   train.c          train_run: the stages in order (tune, fit, lists),
 *                    each user's list and the run's stats
 *   train_params.h   every tuning constant, the hybrid's fixed weights
 *   train_fit.c      fit: popularity, item-KNN, ALS and EASE learned from
 *                    one users x items matrix
 *   train_score.c    score: a user's candidates and each component's
 *                    z-scores over them, the blend, users in parallel
 *   train_reasons.c  why an item is recommended
 *   train_tune.c     tune: the validation split, its table of candidates
 *                    and the blend weights chosen on it
 *
 * A million-item catalogue cannot be scored whole for 100,000 users, so each
 * user gets candidates first: the neighbours of their items, their
 * followees' items, the popular items of their genres and overall (a few
 * thousand); small catalogues (users x items up to dense_cells) rank every
 * item, exactly as the offline evaluation does. */
#ifndef ENCORE_BATCH_RECS_TRAIN_INTERNAL_H
#define ENCORE_BATCH_RECS_TRAIN_INTERNAL_H

#include "batch/recs/batch.h"
#include "batch/recs/hybrid.h"
#include "batch/recs/train_params.h"

#include <stdint.h>

/* --- fit (train_fit.c) --------------------------------------------------- */

/* What the models learned from one users x items matrix. */
struct train_fit {
  const struct batch_input *in;
  const struct csr *ui; /* borrowed: in->d.ui or the validation part */
  /* The content of ui's fit (borrowed; in's when NULL at train_fit_models):
   * items x content columns and items x genres, from ui's taggings only. */
  const struct csr *tags, *genres;
  struct csr cf, cf_t; /* ui without items of fewer than 2 users */
  struct algo_ctx ctx;
  int use[TRAIN_NCOMP], dense, knn_k, als_k, als_iters;
  int n_kept, n_ease; /* items of 2+ users, of ease_min_users+ users */
  void *knn, *als, *ease;
  const struct csr *sim;
  const float *ax, *ay;
  float *listeners; /* per item: users of ui */
  float *wsum;      /* per user: sum of log-scaled counts (social) */
  /* Popularity lists, the layout of struct batch_output. */
  int n_pop, *pop_n;
  int **pop;
  float **pop_score;
  double t_pop, t_knn, t_als, t_ease;
  int verbose; /* stage times on stderr as they end */
};

/* train_fit_models: everything learned from ui, with the content f->tags
 * and f->genres (in's when not set); f->verbose set before. light: no ALS,
 * no EASE. 0 or -1 (memory); f is freed by train_fit_free either way. */
int train_fit_models(struct train_fit *f, const struct batch_input *in,
                     const struct csr *ui, int light,
                     const struct train_opts *o, uint64_t seed);
/* train_fit_free: release what f owns (zeroed after). */
void train_fit_free(struct train_fit *f);
/* train_stage: report a stage's end on stderr when f->verbose. */
void train_stage(const struct train_fit *f, const char *what, double t0);

/* --- score (train_score.c) ----------------------------------------------- */

/* One item's scratch for one user, packed: touching an item of a
 * million-item catalogue costs one cache miss, not one per array. */
struct train_slot {
  float acc, bestv; /* item-KNN score, its largest single term */
  float soc, socv;  /* social score, its largest single term */
  int besti, socf;  /* the user's item, the followee of those terms */
  int mark;         /* excluded or candidate, stamped per user */
  int sel;          /* chosen for the validation table */
};

/* Per-thread scratch of the per-user scoring, n_items-sized arrays indexed
 * by item; each is reset over the items a user touched. */
struct train_ws {
  struct train_slot *s; /* per item */
  float *dense, *z[TRAIN_NCOMP], *gw, *prof, *bl;
  int *cand, *top;
  int64_t *arts;
  int nc, n_arts;
  int n_all; /* candidates before pruning: cand[nc..n_all) were dropped */
};

/* train_score_user: user u's candidates (w->cand, w->nc) and each active
 * component's z-scores over them (w->z[m][0..nc)), standardized over the
 * candidates (hybrid_zscore's over the unseen items when every item is one).
 * train_reset_user clears the scratch after. */
void train_score_user(const struct train_fit *f, struct train_ws *w, int u);
/* train_reset_user: clear the per-item scratch the last user touched. */
void train_reset_user(struct train_ws *w);
/* train_blend: w->bl[c] = sum_m wt_m z_m[c] over the candidates. */
void train_blend(struct train_ws *w, const double *wt);
/* train_genre_of: the genre column of item j the user leans to most (-1:
 * none of the user's genres), after train_score_user. */
int train_genre_of(const struct train_fit *f, const struct train_ws *w, int j);

/* train_each_user: fn(f, w, k, arg) for k in 0..n-1 in parallel, each
 * thread with its own scratch w. Returns 0, or -1 when scratch was short. */
typedef void (*train_user_fn)(const struct train_fit *f, struct train_ws *w,
                              int k, void *arg);
int train_each_user(const struct train_fit *f, int n, train_user_fn fn,
                    void *arg);

/* --- reasons (train_reasons.c) ------------------------------------------- */

/* train_user_artists: the sorted primary artists of u's items into w (track
 * level; nothing without w->arts). */
void train_user_artists(const struct train_fit *f, struct train_ws *w, int u);
/* train_reason: why candidate c of the user just scored (and blended with
 * wt) is recommended, into e->reason and e->reason_id. */
void train_reason(const struct train_fit *f, const struct train_ws *w,
                  const double *wt, int c, struct batch_entry *e);

/* --- tune (train_tune.c) ------------------------------------------------- */

/* Validation: the split, and the table the weight search runs on. */
struct train_val {
  struct csr train, test;
  int *users, n_users;
  int *cold;                  /* per validated user: held to cold_max */
  struct hybrid_cands tab[2]; /* [0] warm, [1] cold */
  int *tab_users[2];
  double ndcg[2];
  int64_t tags_held; /* taggings held out with the validation pairs */
};

/* train_tune: fit on a validation split of in (content included: the
 * held-out pairs' taggings are held out with them) and choose the warm and
 * cold weights (a table without users keeps the defaults given); *t_fit
 * the seconds of the fit. 0 or -1 (memory); v is freed by train_val_free
 * either way. */
int train_tune(const struct batch_input *in, const struct train_opts *o,
               uint64_t seed, double *warm, double *cold, struct train_val *v,
               double *t_fit);
/* train_val_free: release v (zeroed after). */
void train_val_free(struct train_val *v);

#endif
