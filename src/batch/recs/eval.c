/* eval.c: the offline evaluation of issue 4: users with >= 5 artists, 20%
 * of each held out with a seed, every unseen artist ranked, several seeds;
 * a warm and a cold-start protocol (cold users keep 3 training artists, or
 * --cold-known N). Each protocol tunes its hyper-parameters and blend
 * weights on a validation split carved from its own training part, and
 * every fold's models see tag features built from that fold's training part
 * only (features.c), so no held-out pair reaches a model. */
#include "batch/recs/eval.h"

#include "batch/recs/algo.h"
#include "batch/recs/csr.h"
#include "batch/recs/dataset.h"
#include "batch/recs/features.h"
#include "batch/recs/hetrec.h"
#include "batch/recs/hybrid.h"
#include "batch/recs/metrics.h"
#include "batch/recs/split.h"
#include "batch/recs/timing.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct algo *const all_models[] = {
    &algo_pop,  &algo_itemknn, &algo_als,     &algo_rp3,
    &algo_ease, &algo_userknn, &algo_content, &algo_social};
#define N_ALL (int)(sizeof all_models / sizeof *all_models)

#define MIN_ITEMS 5
#define TEST_FRAC 0.2
#define COLD_FRAC 0.2
/* The cold protocol's validation split makes more users cold than its test
 * does: its weights are otherwise tuned on ~300 users, too few for a stable
 * choice. */
#define VAL_COLD_FRAC 0.5
/* Seed offsets of the validation splits (one stream per protocol). */
#define VAL_SEED_WARM 1000003
#define VAL_SEED_COLD 2000003
#define MAXSEEDS 20

static uint64_t val_seed(enum eval_protocol p, uint64_t seed) {
  return seed + (p == EVAL_COLD ? VAL_SEED_COLD : VAL_SEED_WARM);
}

int eval_split(struct eval_split *s, const struct csr *ui, enum eval_protocol p,
               int known, uint64_t seed) {
  double cold = p == EVAL_COLD ? COLD_FRAC : 0;
  double val_cold = p == EVAL_COLD ? VAL_COLD_FRAC : 0;
  memset(s, 0, sizeof *s);
  if (split_holdout(&s->test, ui, MIN_ITEMS, TEST_FRAC, seed, cold, known) ||
      split_holdout(&s->val, &s->test.train, MIN_ITEMS, TEST_FRAC,
                    val_seed(p, seed), val_cold, known)) {
    eval_split_free(s);
    return -1;
  }
  return 0;
}

void eval_split_free(struct eval_split *s) {
  split_free(&s->test);
  split_free(&s->val);
}

struct single_arg {
  const struct algo *m;
  const void *st;
  const struct algo_ctx *c;
};

static void single_fn(const void *arg, int u, float *out, float *tmp) {
  const struct single_arg *a = arg;
  (void)tmp;
  a->m->score(a->st, a->c, u, out);
}

struct blend_arg {
  const struct hybrid *h;
  const struct algo_ctx *c;
};

static void blend_fn(const void *arg, int u, float *out, float *tmp) {
  const struct blend_arg *a = arg;
  hybrid_score(a->h, a->c, u, out, tmp);
}

/* A split plus what the models fit on: its transpose and the features of
 * its training part. */
struct fold {
  struct split s;
  struct csr t;
  struct features feat;
  struct algo_ctx c;
  int *users; /* evaluated users (a subset with --small) */
  int n_users;
};

/* fold_init: take split s over (s is left zeroed) and prepare what the
 * models fit on. Returns 0 or -1 (memory). */
static int fold_init(struct fold *f, struct split *s, const struct dataset *d,
                     uint64_t seed, int small) {
  memset(f, 0, sizeof *f);
  f->s = *s;
  memset(s, 0, sizeof *s);
  if (csr_transpose(&f->t, &f->s.train) ||
      features_init(&f->feat, d, &f->s.train))
    return -1;
  f->c = (struct algo_ctx){&f->s.train, &f->t, f->feat.tags, &d->social, seed};
  f->users = malloc((size_t)(f->s.n_eval + 1) * sizeof *f->users);
  if (!f->users) return -1;
  for (int k = 0; k < f->s.n_eval; k++)
    if (!small || k % 4 == 0) f->users[f->n_users++] = f->s.eval_users[k];
  return 0;
}

/* fold_free: release a fold; it is left zeroed, so freeing twice is safe. */
static void fold_free(struct fold *f) {
  split_free(&f->s);
  csr_free(&f->t);
  features_free(&f->feat);
  free(f->users);
  memset(f, 0, sizeof *f);
}

/* Results of one protocol: [model][seed]; the hybrid is the last model. */
struct table {
  struct metrics r[HYBRID_MAXMODELS + 1][MAXSEEDS];
  double fit_s[HYBRID_MAXMODELS + 1][MAXSEEDS];
  double eval_s[HYBRID_MAXMODELS + 1]
               [MAXSEEDS]; /* scoring + ranking all users */
};

/* The columns of a table, in print order. */
enum col {
  C_P10,
  C_R10,
  C_R20,
  C_N10,
  C_N20,
  C_COV,
  C_TAIL,
  C_FIT,
  C_RANK,
  NCOL
};

static double cell(const struct table *t, int m, int k, enum col q) {
  const struct metrics *r = &t->r[m][k];
  switch (q) {
  case C_P10:
    return r->prec10;
  case C_R10:
    return r->rec10;
  case C_R20:
    return r->rec20;
  case C_N10:
    return r->ndcg10;
  case C_N20:
    return r->ndcg20;
  case C_COV:
    return r->coverage10;
  case C_TAIL:
    return r->tail10;
  case C_FIT:
    return t->fit_s[m][k];
  default:
    return t->eval_s[m][k];
  }
}

static void print_table(const char *title, const struct table *t, int nm,
                        const char *const *names, int seeds) {
  printf("\n%s (mean ± std over %d seed%s; %d users evaluated per seed)\n\n",
         title, seeds, seeds == 1 ? "" : "s", t->r[0][0].users);
  printf("| model | P@10 | R@10 | R@20 | NDCG@10 | NDCG@20 | Cov@10 | Tail@10 "
         "| fit s | rank s |\n");
  printf("|---|---|---|---|---|---|---|---|---|---|\n");
  for (int m = 0; m < nm; m++) {
    double v[NCOL][2];
    for (int q = 0; q < NCOL; q++) {
      double s = 0, s2 = 0;
      for (int k = 0; k < seeds; k++) {
        double x = cell(t, m, k, (enum col)q);
        s += x;
        s2 += x * x;
      }
      v[q][0] = s / seeds;
      double var = seeds > 1 ? (s2 - s * s / seeds) / (seeds - 1) : 0;
      v[q][1] = var > 0 ? sqrt(var) : 0;
    }
    printf("| %s |", names[m]);
    for (int q = 0; q < C_FIT; q++)
      printf(" %.4f ± %.4f |", v[q][0], v[q][1]);
    printf(" %.2f | %.2f |\n", v[C_FIT][0], v[C_RANK][0]);
  }
  fflush(stdout);
}

/* What every protocol of a run shares. */
struct run {
  const struct eval_opts *o;
  const struct dataset *d;
  const struct algo *ms[HYBRID_MAXMODELS];
  const char *names[HYBRID_MAXMODELS + 1]; /* the models', then "hybrid" */
  int nm, with_h, known;
  unsigned char *head; /* n_items: the most played of the current fold */
};

/* One protocol's results over the seeds. */
struct proto {
  enum eval_protocol p;
  const char *name; /* in progress lines */
  struct table t;
  double params[HYBRID_MAXMODELS][ALGO_NPARAM]; /* chosen on the last seed */
  double fit_s, tune_s;                         /* sums over the seeds */
};

/* fit_all: fit each model with the protocol's parameters; seconds per model
 * in secs. Returns 0, or -1 when a fit failed (states fitted so far are
 * kept for the caller to release). */
static int fit_all(void **st, const struct run *r, const struct proto *pr,
                   const struct algo_ctx *c, double *secs) {
  for (int m = 0; m < r->nm; m++) {
    double t0 = timing_now();
    st[m] = r->ms[m]->fit(c, pr->params[m]);
    if (secs) secs[m] = timing_now() - t0;
    if (!st[m]) {
      fprintf(stderr, "encore-recs: fitting %s failed\n", r->ms[m]->name);
      return -1;
    }
  }
  return 0;
}

static void release_all(void **st, const struct run *r) {
  for (int m = 0; m < r->nm; m++)
    if (st[m]) r->ms[m]->release(st[m]);
  memset(st, 0, (size_t)r->nm * sizeof *st);
}

/* tune_params: each model's hyper-parameters: the grid setting with the
 * best NDCG@10 on val (--small: the default only). */
static int tune_params(struct run *r, struct proto *pr, const struct fold *val,
                       uint64_t seed) {
  metrics_head_items(r->head, &val->s.train);
  for (int m = 0; m < r->nm; m++) {
    const struct algo *md = r->ms[m];
    double best = -1;
    int ng = r->o->small ? 1 : md->n_grid;
    for (int g = 0; g < ng; g++) {
      double p[ALGO_NPARAM];
      memcpy(p, md->grid[g], sizeof p);
      if (r->o->small && md == &algo_als) p[3] = 6;
      void *s = md->fit(&val->c, p);
      if (!s) return -1;
      struct metrics res;
      struct single_arg a = {md, s, &val->c};
      metrics_evaluate(&res, &val->s, val->users, val->n_users, r->head,
                       single_fn, &a);
      md->release(s);
      if (res.ndcg10 > best) {
        best = res.ndcg10;
        memcpy(pr->params[m], p, sizeof p);
      }
      if (ng > 1)
        fprintf(stderr, "seed %llu %s tune %s %g,%g,%g,%g: val NDCG@10 %.4f\n",
                (unsigned long long)seed, pr->name, md->name, p[0], p[1], p[2],
                p[3], res.ndcg10);
    }
  }
  return 0;
}

/* tune_blend: the hybrid's weights for the users the protocol evaluates
 * (warm: h->warm; cold start: h->cold), searched on val. */
static int tune_blend(struct run *r, struct proto *pr, struct hybrid *h,
                      const struct fold *val, uint64_t seed) {
  void *st[HYBRID_MAXMODELS] = {0};
  double *w = pr->p == EVAL_COLD ? h->cold : h->warm;
  if (fit_all(st, r, pr, &val->c, NULL)) {
    release_all(st, r);
    return -1;
  }
  memcpy(h->state, st, sizeof st);
  double v = hybrid_tune(w, h, &val->c, &val->s, val->users, val->n_users);
  release_all(st, r);
  memset(h->state, 0, sizeof h->state);
  if (v < 0) return -1;
  fprintf(stderr, "seed %llu %s blend:", (unsigned long long)seed, pr->name);
  for (int m = 0; m < r->nm; m++)
    fprintf(stderr, " %s=%g", r->names[m], w[m]);
  fprintf(stderr, " (val NDCG@10 %.4f)\n", v);
  return 0;
}

/* measure: fit every model on test's training part, rank, and record seed
 * si's metrics (the hybrid's with h). */
static int measure(struct run *r, struct proto *pr, struct hybrid *h,
                   const struct fold *test, int si, uint64_t seed) {
  void *st[HYBRID_MAXMODELS] = {0};
  double secs[HYBRID_MAXMODELS];
  struct table *t = &pr->t;
  int nm = r->nm, rc = -1;
  metrics_head_items(r->head, &test->s.train);
  double tf = timing_now();
  if (fit_all(st, r, pr, &test->c, secs)) goto out;
  pr->fit_s += timing_now() - tf;
  for (int m = 0; m < nm; m++) {
    struct single_arg a = {r->ms[m], st[m], &test->c};
    double te = timing_now();
    metrics_evaluate(&t->r[m][si], &test->s, test->users, test->n_users,
                     r->head, single_fn, &a);
    t->eval_s[m][si] = timing_now() - te;
    t->fit_s[m][si] = secs[m];
    fprintf(stderr, "seed %llu %s %s: fit %.2f s, NDCG@10 %.4f\n",
            (unsigned long long)seed, pr->name, r->names[m], secs[m],
            t->r[m][si].ndcg10);
  }
  if (r->with_h) {
    memcpy(h->state, st, sizeof st);
    struct blend_arg a = {.h = h, .c = &test->c};
    double te = timing_now();
    metrics_evaluate(&t->r[nm][si], &test->s, test->users, test->n_users,
                     r->head, blend_fn, &a);
    t->eval_s[nm][si] = timing_now() - te;
    memset(h->state, 0, sizeof h->state);
    fprintf(stderr, "seed %llu %s hybrid: NDCG@10 %.4f\n",
            (unsigned long long)seed, pr->name, t->r[nm][si].ndcg10);
  }
  rc = 0;
out:
  release_all(st, r);
  return rc;
}

/* run_seed: protocol pr for seed number si: its splits, tuning on its own
 * validation split, then the test. Returns 0 or -1 (said why). */
static int run_seed(struct run *r, struct proto *pr, int si) {
  uint64_t seed = r->o->seed0 + (uint64_t)si;
  struct eval_split sp;
  struct fold test = {0}, val = {0};
  /* Warm users have 4 or more training artists: cold_max 0 gives every
   * evaluated user the warm weights; in the cold protocol every evaluated
   * user has at most `known` and gets the cold ones. */
  struct hybrid h = {.n = r->nm, .cold_max = pr->p == EVAL_COLD ? r->known : 0};
  int rc = -1;
  for (int m = 0; m < r->nm; m++)
    h.m[m] = r->ms[m];
  double t0 = timing_now();
  if (eval_split(&sp, &r->d->ui, pr->p, r->known, seed) ||
      fold_init(&test, &sp.test, r->d, seed, r->o->small) ||
      fold_init(&val, &sp.val, r->d, val_seed(pr->p, seed), r->o->small)) {
    fprintf(stderr, "encore-recs: out of memory\n");
    goto out;
  }
  if (tune_params(r, pr, &val, seed) ||
      (r->with_h && tune_blend(r, pr, &h, &val, seed)))
    goto out;
  fold_free(&val);
  pr->tune_s += timing_now() - t0;
  if (measure(r, pr, &h, &test, si, seed)) goto out;
  rc = 0;
out:
  eval_split_free(&sp);
  fold_free(&test);
  fold_free(&val);
  return rc;
}

/* select_models: the models named in o->models (all when NULL), in the
 * order of all_models. Returns 0, or 1 (usage error, said why). */
static int select_models(struct run *r) {
  const char *list = r->o->models;
  for (int k = 0; k < N_ALL; k++) {
    const char *want = list;
    int on = !want;
    while (want && *want) {
      size_t len = strcspn(want, ",");
      if (len == strlen(all_models[k]->name) &&
          !strncmp(want, all_models[k]->name, len))
        on = 1;
      want += len + (want[len] == ',');
    }
    if (on) r->ms[r->nm++] = all_models[k];
  }
  for (const char *want = list; want && *want;) { /* every name must exist */
    size_t len = strcspn(want, ",");
    int found = 0;
    for (int k = 0; k < N_ALL; k++)
      found |= len == strlen(all_models[k]->name) &&
               !strncmp(want, all_models[k]->name, len);
    if (!found) {
      fprintf(stderr,
              "encore-recs: unknown model '%.*s' (known: pop, "
              "itemknn, als, rp3beta, ease, userknn, content, social)\n",
              (int)len, want);
      return 1;
    }
    want += len + (want[len] == ',');
  }
  if (r->nm == 0) {
    fprintf(stderr, "encore-recs: no model selected\n");
    return 1;
  }
  for (int m = 0; m < r->nm; m++)
    r->names[m] = r->ms[m]->name;
  r->names[r->nm] = "hybrid";
  r->with_h = r->nm > 1;
  return 0;
}

static void print_params(const struct run *r, const struct proto *pr) {
  for (int m = 0; m < r->nm; m++) {
    printf("%s %s params:", pr->name, r->names[m]);
    for (int q = 0; q < ALGO_NPARAM && r->ms[m]->param_names[q]; q++)
      printf(" %s=%g", r->ms[m]->param_names[q], pr->params[m][q]);
    printf(" (last seed)\n");
  }
}

int eval_run(const struct eval_opts *o) {
  struct run r = {.o = o, .known = o->known ? o->known : EVAL_KNOWN};
  struct dataset d;
  if (o->seeds < 1 || o->seeds > MAXSEEDS) {
    fprintf(stderr, "encore-recs: --seeds must be 1..%d\n", MAXSEEDS);
    return 1;
  }
  if (r.known < 1 || r.known > EVAL_KNOWN_MAX) {
    fprintf(stderr, "encore-recs: --cold-known must be 1..%d\n",
            EVAL_KNOWN_MAX);
    return 1;
  }
  if (select_models(&r)) return 1;
  int nt = r.nm + r.with_h;

  double t0 = timing_now();
  if (hetrec_load(&d, o->dir)) return 1;
  r.d = &d;
  fprintf(stderr,
          "load: %d users, %d artists, %lld plays, %d tags (%lld taggings), "
          "%lld friend links in %.2f s\n",
          d.n_users, d.n_items, (long long)d.ui.nnz, d.n_tags,
          (long long)d.n_tagged, (long long)d.social.nnz / 2,
          timing_now() - t0);

  struct proto *pr = calloc(2, sizeof *pr);
  int np = o->cold ? 2 : 1, rc = 1;
  r.head = malloc((size_t)d.n_items + 1);
  if (!pr || !r.head) {
    fprintf(stderr, "encore-recs: out of memory\n");
    goto out;
  }
  pr[0].p = EVAL_WARM;
  pr[0].name = "warm";
  pr[1].p = EVAL_COLD;
  pr[1].name = "cold";
  for (int si = 0; si < o->seeds; si++)
    for (int k = 0; k < np; k++)
      if (run_seed(&r, &pr[k], si)) goto out;
  print_table("Warm protocol", &pr[0].t, nt, r.names, o->seeds);
  if (o->cold) {
    char title[64];
    snprintf(title, sizeof title, "Cold-start protocol (%d known artist%s)",
             r.known, r.known == 1 ? "" : "s");
    print_table(title, &pr[1].t, nt, r.names, o->seeds);
  }
  printf("\nTiming per seed (mean): training all models %.2f s (per model in "
         "the 'fit s' column); tuning (grids and blend on the validation "
         "split) %.2f s",
         pr[0].fit_s / o->seeds, pr[0].tune_s / o->seeds);
  if (o->cold)
    printf("; cold start: training %.2f s, tuning %.2f s",
           pr[1].fit_s / o->seeds, pr[1].tune_s / o->seeds);
  printf("\n");
  for (int k = 0; k < np; k++)
    print_params(&r, &pr[k]);
  rc = 0;
out:
  free(pr);
  free(r.head);
  dataset_free(&d);
  return rc;
}
