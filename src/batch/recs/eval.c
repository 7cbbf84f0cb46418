/* eval.c: the offline evaluation of issue 4: users with >= 5 artists, 20%
 * of each held out with a seed, hyper-parameters and blend weights tuned on
 * a validation split carved from the training part, every unseen artist
 * ranked; warm and cold-start (3 known artists) protocols, several seeds. */
#include "batch/recs/eval.h"

#include "batch/recs/hybrid.h"
#include "batch/recs/recs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct recs_model *const all_models[] = {
    &recs_model_pop,     &recs_model_itemknn, &recs_model_als,
    &recs_model_rp3,     &recs_model_ease,    &recs_model_userknn,
    &recs_model_content, &recs_model_social};
#define N_ALL (int)(sizeof all_models / sizeof *all_models)

#define MIN_ITEMS 5
#define TEST_FRAC 0.2
#define COLD_FRAC 0.2
#define COLD_KEEP 3
/* The validation split for the cold blend weights makes more users cold than
 * the test does: their weights are otherwise tuned on ~370 users, too few
 * for a stable choice. */
#define VAL_COLD_FRAC 0.5
#define MAXSEEDS 20

struct single_arg {
  const struct recs_model *m;
  const void *st;
  const struct recs_ctx *c;
};

static void single_fn(const void *arg, int u, float *out, float *tmp) {
  const struct single_arg *a = arg;
  (void)tmp;
  a->m->score(a->st, a->c, u, out);
}

struct hybrid_arg {
  const struct recs_hybrid *h;
  const struct recs_ctx *c;
};

static void hybrid_fn(const void *arg, int u, float *out, float *tmp) {
  const struct hybrid_arg *a = arg;
  recs_hybrid_score(a->h, a->c, u, out, tmp);
}

/* A split plus what the models fit on. */
struct fold {
  struct recs_split s;
  struct recs_csr t;
  struct recs_ctx c;
  int *users; /* evaluated users (a subset with --small) */
  int n_users;
};

static int fold_init(struct fold *f, const struct recs_csr *ui,
                     const struct recs_data *d, uint64_t seed, double cold,
                     int small) {
  memset(f, 0, sizeof *f);
  if (recs_split_holdout(&f->s, ui, MIN_ITEMS, TEST_FRAC, seed, cold,
                         COLD_KEEP) ||
      recs_csr_transpose(&f->t, &f->s.train))
    return -1;
  f->c = (struct recs_ctx){&f->s.train, &f->t, &d->tags, &d->social, seed};
  f->users = malloc((size_t)(f->s.n_eval + 1) * sizeof *f->users);
  if (!f->users) return -1;
  for (int k = 0; k < f->s.n_eval; k++)
    if (!small || k % 4 == 0) f->users[f->n_users++] = f->s.eval_users[k];
  return 0;
}

/* fold_free: release a fold; it is left zeroed, so freeing twice is safe. */
static void fold_free(struct fold *f) {
  recs_split_free(&f->s);
  recs_csr_free(&f->t);
  free(f->users);
  memset(f, 0, sizeof *f);
}

/* Results of one protocol: [model][seed]; the hybrid is the last model. */
struct table {
  struct recs_metrics r[RECS_MAXMODELS + 1][MAXSEEDS];
  double fit_s[RECS_MAXMODELS + 1][MAXSEEDS];
  double eval_s[RECS_MAXMODELS + 1][MAXSEEDS]; /* scoring + ranking all users */
};

static void print_table(const char *title, const struct table *t, int nm,
                        const char *const *names, int seeds) {
  printf("\n%s (mean ± std over %d seed%s; %d users evaluated per seed)\n\n",
         title, seeds, seeds == 1 ? "" : "s", t->r[0][0].users);
  printf("| model | P@10 | R@10 | R@20 | NDCG@10 | NDCG@20 | Cov@10 | Tail@10 "
         "| fit s | rank s |\n");
  printf("|---|---|---|---|---|---|---|---|---|---|\n");
  for (int m = 0; m < nm; m++) {
    double v[9][2];
    for (int q = 0; q < 9; q++) {
      double s = 0, s2 = 0;
      for (int k = 0; k < seeds; k++) {
        const struct recs_metrics *r = &t->r[m][k];
        double x = q == 0   ? r->prec10
                   : q == 1 ? r->rec10
                   : q == 2 ? r->rec20
                   : q == 3 ? r->ndcg10
                   : q == 4 ? r->ndcg20
                   : q == 5 ? r->coverage10
                   : q == 6 ? r->tail10
                   : q == 7 ? t->fit_s[m][k]
                            : t->eval_s[m][k];
        s += x;
        s2 += x * x;
      }
      v[q][0] = s / seeds;
      double var = seeds > 1 ? (s2 - s * s / seeds) / (seeds - 1) : 0;
      v[q][1] = var > 0 ? sqrt(var) : 0;
    }
    printf("| %s |", names[m]);
    for (int q = 0; q < 7; q++)
      printf(" %.4f ± %.4f |", v[q][0], v[q][1]);
    printf(" %.2f | %.2f |\n", v[7][0], v[8][0]);
  }
  fflush(stdout);
}

/* fit_all: fit each model with its chosen parameters; seconds per model in
 * secs. Returns 0, or -1 when a fit failed (states fitted so far are kept
 * for the caller to release). */
static int fit_all(void **st, const struct recs_model *const *ms, int nm,
                   double (*params)[RECS_NPARAM], const struct recs_ctx *c,
                   double *secs) {
  for (int m = 0; m < nm; m++) {
    double t0 = recs_now();
    st[m] = ms[m]->fit(c, params[m]);
    if (secs) secs[m] = recs_now() - t0;
    if (!st[m]) {
      fprintf(stderr, "encore-recs: fitting %s failed\n", ms[m]->name);
      return -1;
    }
  }
  return 0;
}

static void release_all(void **st, const struct recs_model *const *ms, int nm) {
  for (int m = 0; m < nm; m++)
    if (st[m]) ms[m]->release(st[m]);
  memset(st, 0, (size_t)nm * sizeof *st);
}

int recs_eval_run(const struct recs_eval_opts *o) {
  const struct recs_model *ms[RECS_MAXMODELS];
  const char *names[RECS_MAXMODELS + 1];
  double params[RECS_MAXMODELS][RECS_NPARAM];
  int nm = 0, rc = 1;
  struct recs_data d;
  if (o->seeds < 1 || o->seeds > MAXSEEDS) {
    fprintf(stderr, "encore-recs: --seeds must be 1..%d\n", MAXSEEDS);
    return 1;
  }
  /* Model selection: names from the list, in the list's order. */
  for (int k = 0; k < N_ALL; k++) {
    const char *want = o->models;
    int on = !want;
    while (want && *want) {
      size_t len = strcspn(want, ",");
      if (len == strlen(all_models[k]->name) &&
          !strncmp(want, all_models[k]->name, len))
        on = 1;
      want += len + (want[len] == ',');
    }
    if (on) ms[nm++] = all_models[k];
  }
  if (o->models) { /* every name given must exist */
    const char *want = o->models;
    while (*want) {
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
  }
  if (nm == 0) {
    fprintf(stderr, "encore-recs: no model selected\n");
    return 1;
  }
  for (int m = 0; m < nm; m++)
    names[m] = ms[m]->name;
  names[nm] = "hybrid";
  int with_h = nm > 1, nt = nm + with_h;

  double t0 = recs_now();
  if (recs_hetrec_load(&d, o->dir)) return 1;
  fprintf(stderr,
          "load: %d users, %d artists, %lld plays, %d tags, %lld friend "
          "links in %.2f s\n",
          d.n_users, d.n_items, (long long)d.ui.nnz, d.n_tags,
          (long long)d.social.nnz / 2, recs_now() - t0);

  struct table *warm = calloc(1, sizeof *warm), *cold = calloc(1, sizeof *cold);
  void *st[RECS_MAXMODELS] = {0};
  unsigned char *head = NULL;
  /* Zeroed here and after each use, so that every exit frees them. */
  struct fold test = {0}, val = {0}, cval = {0}, cf = {0};
  double tune_s = 0, fit_total = 0;
  if (!warm || !cold) goto out;
  for (int si = 0; si < o->seeds; si++) {
    uint64_t seed = o->seed0 + (uint64_t)si;
    double ts = recs_now();
    free(head);
    head = malloc((size_t)d.n_items);
    if (!head) goto out;
    if (fold_init(&test, &d.ui, &d, seed, 0, o->small) ||
        fold_init(&val, &test.s.train, &d, seed + 1000003, 0, o->small) ||
        fold_init(&cval, &test.s.train, &d, seed + 2000003, VAL_COLD_FRAC,
                  o->small)) {
      fprintf(stderr, "encore-recs: out of memory\n");
      goto out;
    }
    recs_head_items(head, &val.s.train);
    /* 1. Hyper-parameters per model on the validation split. */
    for (int m = 0; m < nm; m++) {
      double best = -1;
      int ng = o->small ? 1 : ms[m]->n_grid;
      for (int g = 0; g < ng; g++) {
        double p[RECS_NPARAM];
        memcpy(p, ms[m]->grid[g], sizeof p);
        if (o->small && ms[m] == &recs_model_als) p[3] = 6;
        void *s = ms[m]->fit(&val.c, p);
        if (!s) goto out;
        struct recs_metrics r;
        struct single_arg a = {ms[m], s, &val.c};
        recs_evaluate(&r, &val.s, val.users, val.n_users, head, single_fn, &a);
        ms[m]->release(s);
        if (r.ndcg10 > best) {
          best = r.ndcg10;
          memcpy(params[m], p, sizeof p);
        }
        if (ng > 1)
          fprintf(stderr, "seed %llu tune %s %g,%g,%g,%g: val NDCG@10 %.4f\n",
                  (unsigned long long)seed, ms[m]->name, p[0], p[1], p[2], p[3],
                  r.ndcg10);
      }
    }
    /* 2. Blend weights: warm users on val, cold users on cval. */
    struct recs_hybrid h = {.n = nm, .cold_max = COLD_KEEP};
    for (int m = 0; m < nm; m++)
      h.m[m] = ms[m];
    if (with_h) {
      if (fit_all(st, ms, nm, params, &val.c, NULL)) goto out;
      memcpy(h.state, st, sizeof st);
      double v =
          recs_hybrid_tune(h.warm, &h, &val.c, &val.s, val.users, val.n_users);
      release_all(st, ms, nm);
      if (fit_all(st, ms, nm, params, &cval.c, NULL)) goto out;
      memcpy(h.state, st, sizeof st);
      double cv = recs_hybrid_tune(h.cold, &h, &cval.c, &cval.s, cval.users,
                                   cval.n_users);
      release_all(st, ms, nm);
      fprintf(stderr, "seed %llu blend: warm", (unsigned long long)seed);
      for (int m = 0; m < nm; m++)
        fprintf(stderr, " %s=%g", names[m], h.warm[m]);
      fprintf(stderr, " (val NDCG@10 %.4f); cold", v);
      for (int m = 0; m < nm; m++)
        fprintf(stderr, " %s=%g", names[m], h.cold[m]);
      fprintf(stderr, " (val NDCG@10 %.4f)\n", cv);
    }
    tune_s += recs_now() - ts;
    fold_free(&val);
    fold_free(&cval);

    /* 3. The test: fit on the whole training part, rank, measure. */
    recs_head_items(head, &test.s.train);
    double secs[RECS_MAXMODELS];
    double tf = recs_now();
    if (fit_all(st, ms, nm, params, &test.c, secs)) goto out;
    fit_total += recs_now() - tf;
    for (int m = 0; m < nm; m++) {
      struct single_arg a = {ms[m], st[m], &test.c};
      double te = recs_now();
      recs_evaluate(&warm->r[m][si], &test.s, test.users, test.n_users, head,
                    single_fn, &a);
      warm->eval_s[m][si] = recs_now() - te;
      warm->fit_s[m][si] = secs[m];
      fprintf(stderr, "seed %llu %s: fit %.2f s, NDCG@10 %.4f\n",
              (unsigned long long)seed, names[m], secs[m],
              warm->r[m][si].ndcg10);
    }
    if (with_h) {
      memcpy(h.state, st, sizeof st);
      struct hybrid_arg a = {&h, &test.c};
      double te = recs_now();
      recs_evaluate(&warm->r[nm][si], &test.s, test.users, test.n_users, head,
                    hybrid_fn, &a);
      warm->eval_s[nm][si] = recs_now() - te;
      fprintf(stderr, "seed %llu hybrid: NDCG@10 %.4f\n",
              (unsigned long long)seed, warm->r[nm][si].ndcg10);
    }
    release_all(st, ms, nm);
    fold_free(&test);

    /* 4. Cold start: a fifth of the users keep 3 training artists. */
    if (o->cold) {
      if (fold_init(&cf, &d.ui, &d, seed, COLD_FRAC, o->small)) goto out;
      recs_head_items(head, &cf.s.train);
      if (fit_all(st, ms, nm, params, &cf.c, secs)) goto out;
      for (int m = 0; m < nm; m++) {
        struct single_arg a = {ms[m], st[m], &cf.c};
        double te = recs_now();
        recs_evaluate(&cold->r[m][si], &cf.s, cf.users, cf.n_users, head,
                      single_fn, &a);
        cold->eval_s[m][si] = recs_now() - te;
        cold->fit_s[m][si] = secs[m];
      }
      if (with_h) {
        memcpy(h.state, st, sizeof st);
        struct hybrid_arg a = {&h, &cf.c};
        double te = recs_now();
        recs_evaluate(&cold->r[nm][si], &cf.s, cf.users, cf.n_users, head,
                      hybrid_fn, &a);
        cold->eval_s[nm][si] = recs_now() - te;
      }
      fprintf(stderr, "seed %llu cold: hybrid NDCG@10 %.4f\n",
              (unsigned long long)seed, cold->r[with_h ? nm : 0][si].ndcg10);
      release_all(st, ms, nm);
      fold_free(&cf);
    }
  }
  print_table("Warm protocol", warm, nt, names, o->seeds);
  if (o->cold)
    print_table("Cold-start protocol (3 known artists)", cold, nt, names,
                o->seeds);
  printf("\nTiming per seed (mean): training all models %.2f s (per model in "
         "the 'fit s' column); tuning (grids and blend on the validation "
         "split) %.2f s\n",
         fit_total / o->seeds, tune_s / o->seeds);
  for (int m = 0; m < nm; m++) {
    printf("%s params:", names[m]);
    for (int q = 0; q < RECS_NPARAM && ms[m]->param_names[q]; q++)
      printf(" %s=%g", ms[m]->param_names[q], params[m][q]);
    printf(" (last seed)\n");
  }
  rc = 0;
out:
  release_all(st, ms, nm);
  fold_free(&test);
  fold_free(&val);
  fold_free(&cval);
  fold_free(&cf);
  free(head);
  free(warm);
  free(cold);
  recs_data_free(&d);
  return rc;
}
