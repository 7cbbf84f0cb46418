/* train.c: train_run, the production training stage of encore-recs (see
 * batch.h): the weights tuned on a validation split (train_tune.c), the
 * models fitted on the whole input (train_fit.c), then every user's top-N
 * list with a reason per item (train_score.c, train_reasons.c), the
 * neighbour and popularity lists, and the run's stats. How the files
 * divide the work: train_internal.h; every tuning constant and the
 * hybrid's fixed weights: train_params.h. */
#include "batch/recs/metrics.h"
#include "batch/recs/timing.h"
#include "batch/recs/train_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* weights_for: the blend weights of user u: with no training items the
 * fixed ones of users without history, with at most cold_max the cold
 * ones, else the warm ones. */
static const double *weights_for(const struct train_fit *f, int u,
                                 const double *warm, const double *cold) {
  int64_t len = f->ui->ptr[u + 1] - f->ui->ptr[u];
  return len == 0                       ? train_params.weights_empty
         : len <= train_params.cold_max ? cold
                                        : warm;
}

/* user_list: user u's top-N under fit f into e (BATCH_TOP_N slots). */
static int user_list(const struct train_fit *f, struct train_ws *w, int u,
                     const double *warm, const double *cold,
                     struct batch_entry *e) {
  const double *wt = weights_for(f, u, warm, cold);
  train_score_user(f, w, u);
  train_blend(w, wt);
  int t = metrics_topk(w->bl, w->nc, BATCH_TOP_N, w->top);
  if (w->arts) train_user_artists(f, w, u);
  for (int k = 0; k < t; k++) {
    int c = w->top[k];
    e[k].item = w->cand[c];
    e[k].score = w->bl[c];
    train_reason(f, w, wt, c, &e[k]);
  }
  train_reset_user(w);
  return t;
}

/* Output neighbours: the first BATCH_TOP_M of each item's graph row. */
static int take_neighbours(struct batch_output *out,
                           const struct train_fit *f) {
  int n = out->n_items;
  out->nb_ptr = calloc((size_t)n + 1, sizeof *out->nb_ptr);
  if (!out->nb_ptr) return -1;
  for (int i = 0; i < n && f->sim; i++) {
    int64_t len = f->sim->ptr[i + 1] - f->sim->ptr[i];
    out->nb_ptr[i + 1] =
        out->nb_ptr[i] + (len < BATCH_TOP_M ? len : BATCH_TOP_M);
  }
  if (!f->sim)
    for (int i = 0; i < n; i++)
      out->nb_ptr[i + 1] = 0;
  int64_t tot = out->nb_ptr[n];
  out->nb_item = malloc((size_t)(tot + 1) * sizeof *out->nb_item);
  out->nb_score = malloc((size_t)(tot + 1) * sizeof *out->nb_score);
  if (!out->nb_item || !out->nb_score) return -1;
  for (int i = 0; i < n && f->sim; i++) {
    int64_t len = out->nb_ptr[i + 1] - out->nb_ptr[i];
    memcpy(out->nb_item + out->nb_ptr[i], f->sim->idx + f->sim->ptr[i],
           (size_t)len * sizeof *out->nb_item);
    memcpy(out->nb_score + out->nb_ptr[i], f->sim->val + f->sim->ptr[i],
           (size_t)len * sizeof *out->nb_score);
  }
  return 0;
}

/* The lists of each_user, in fixed slots of BATCH_TOP_N per user. */
struct list_rows {
  struct batch_output *out;
  const unsigned char *changed;
  const double *warm, *cold;
  int *cnt;
};

static void list_row(const struct train_fit *f, struct train_ws *w, int u,
                     void *arg) {
  struct list_rows *r = arg;
  if (r->changed && !r->changed[u]) return;
  r->cnt[u] = user_list(f, w, u, r->warm, r->cold,
                        r->out->list + (size_t)u * BATCH_TOP_N);
}

/* All users' lists (light runs: changed users only). */
static int all_lists(struct batch_output *out, const struct train_fit *f,
                     const unsigned char *changed, const double *warm,
                     const double *cold) {
  int nu = out->n_users;
  int *cnt = calloc((size_t)nu + 1, sizeof *cnt);
  out->list_ptr = calloc((size_t)nu + 1, sizeof *out->list_ptr);
  out->list = malloc(((size_t)nu * BATCH_TOP_N + 1) * sizeof *out->list);
  if (!cnt || !out->list_ptr || !out->list) {
    free(cnt);
    return -1;
  }
  struct list_rows r = {
      .out = out, .changed = changed, .warm = warm, .cold = cold, .cnt = cnt};
  int fail = train_each_user(f, nu, list_row, &r);
  int64_t o = 0;
  for (int u = 0; u < nu && !fail; u++) {
    out->list_ptr[u] = o;
    memmove(out->list + o, out->list + (size_t)u * BATCH_TOP_N,
            (size_t)cnt[u] * sizeof *out->list);
    o += cnt[u];
  }
  out->list_ptr[nu] = fail ? 0 : o;
  free(cnt);
  if (fail) return -1;
  struct batch_entry *sh = realloc(out->list, (size_t)(o + 1) * sizeof *sh);
  if (sh) out->list = sh;
  return 0;
}

/* Stats text: a JSON object, appended to piecewise. */
struct stats {
  char *p;
  size_t len, cap;
};

static void stats_add(struct stats *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void stats_add(struct stats *b, const char *fmt, ...) {
  if (!b->p) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
  va_end(ap);
  if (n > 0) b->len += (size_t)n < b->cap - b->len ? (size_t)n : 0;
}

static void stats_weights(struct stats *b, const char *name, const double *w) {
  stats_add(b, "\"%s\":{", name);
  for (int m = 0; m < TRAIN_NCOMP; m++)
    stats_add(b, "%s\"%s\":%g", m ? "," : "", train_comp_names[m], w[m]);
  stats_add(b, "}");
}

/* Peak resident memory (MB) and CPU seconds (user + system) so far: on a
 * shared machine CPU time says more about the cost than wall time. */
static void usage_now(double *rss_mb, double *cpu_s) {
  struct rusage r;
  *rss_mb = *cpu_s = -1;
  if (getrusage(RUSAGE_SELF, &r)) return;
  *rss_mb = r.ru_maxrss / 1024.0;
  *cpu_s = (double)r.ru_utime.tv_sec + r.ru_utime.tv_usec * 1e-6 +
           (double)r.ru_stime.tv_sec + r.ru_stime.tv_usec * 1e-6;
}

/* check_input: dimensions agree and the id maps reasons need are there. */
static int check_input(const struct batch_input *in) {
  const struct csr *ui = &in->d.ui;
  if (in->d.n_users < 0 || in->d.n_items < 0 || in->n_genres < 0) return -1;
  if (ui->ptr && (ui->nrows != in->d.n_users || ui->ncols != in->d.n_items))
    return -1;
  if ((in->d.n_users > 0 && !in->d.user_id) ||
      (in->d.n_items > 0 && !in->d.item_id) ||
      (in->n_genres > 0 && !in->genre_ext))
    return -1;
  return 0;
}

int train_run(struct batch_output *out, const struct batch_input *in,
              const struct train_opts *o) {
  struct train_opts def = {0};
  if (!o) o = &def;
  memset(out, 0, sizeof *out);
  if (check_input(in)) {
    fprintf(stderr, "encore-recs: train: inconsistent input dimensions\n");
    return -1;
  }
#ifdef _OPENMP
  if (o->threads > 0) omp_set_num_threads(o->threads);
#endif
  double t_start = timing_now();
  int light = o->kind == BATCH_LIGHT || in->changed;
  uint64_t seed = o->seed ? o->seed : 1;
  out->level = in->level;
  out->n_users = in->d.n_users;
  out->n_items = in->d.n_items;

  /* An empty level still gets a well-formed, empty output. */
  struct csr empty = {0};
  const struct batch_input *src = in;
  struct batch_input shaped;
  if (!in->d.ui.ptr) {
    empty.nrows = in->d.n_users;
    empty.ncols = in->d.n_items;
    if (!(empty.ptr = calloc((size_t)in->d.n_users + 1, sizeof *empty.ptr)))
      return -1;
    shaped = *in;
    shaped.d.ui = empty;
    src = &shaped;
  }

  double warm[TRAIN_NCOMP], cold[TRAIN_NCOMP], t_val = 0, t_val_fit = 0;
  memcpy(warm, train_params.weights_light_warm, sizeof warm);
  memcpy(cold, train_params.weights_light_cold, sizeof cold);
  struct train_val v = {0};
  struct train_fit f = {.verbose = o->verbose};
  int rc = -1;
  if (!light) {
    double t0 = timing_now();
    if (train_tune(src, o, seed, warm, cold, &v, &t_val_fit)) {
      fprintf(stderr, "encore-recs: train: validation failed (memory)\n");
      goto out;
    }
    t_val = timing_now() - t0;
  }
  if (train_fit_models(&f, src, &src->d.ui, light, o, seed)) {
    fprintf(stderr, "encore-recs: train: fitting failed (memory)\n");
    goto out;
  }
  double t0 = timing_now();
  if (all_lists(out, &f, in->changed, warm, cold)) {
    fprintf(stderr, "encore-recs: train: lists failed (memory)\n");
    goto out;
  }
  double t_lists = timing_now() - t0;
  train_stage(&f, "lists", t0);
  if (take_neighbours(out, &f)) goto out;
  out->n_pop = f.n_pop;
  out->pop = f.pop;
  out->pop_score = f.pop_score;
  out->pop_n = f.pop_n;
  f.pop = NULL;
  f.pop_score = NULL;
  f.pop_n = NULL;
  f.n_pop = 0;

  int64_t lists = 0;
  for (int u = 0; u < out->n_users; u++)
    lists += out->list_ptr[u + 1] > out->list_ptr[u];
  struct stats b = {.p = malloc(4096), .len = 0, .cap = 4096};
  stats_add(
      &b,
      "{\"level\":\"%s\",\"kind\":\"%s\",\"users\":%d,\"items\":%d,"
      "\"interactions\":%lld,\"taggings\":%lld,\"items_collaborative\":%d,"
      "\"items_ease\":%d,\"dense\":%s,"
      "\"lists\":%lld,\"list_entries\":%lld,\"neighbours\":%lld,",
      in->level == BATCH_TRACK ? "track" : "artist", light ? "light" : "full",
      out->n_users, out->n_items, (long long)src->d.ui.nnz,
      (long long)src->d.n_tagged, f.n_kept, f.use[TRAIN_EASE] ? f.n_ease : 0,
      f.dense ? "true" : "false", (long long)lists,
      (long long)out->list_ptr[out->n_users],
      (long long)out->nb_ptr[out->n_items]);
  stats_add(&b,
            "\"params\":{\"knn_k\":%d,\"als_factors\":%d,\"als_iters\":%d},",
            f.knn_k, f.use[TRAIN_ALS] ? f.als_k : 0,
            f.use[TRAIN_ALS] ? f.als_iters : 0);
  stats_add(&b,
            "\"seconds\":{\"validation\":%.2f,\"validation_fit\":%.2f,"
            "\"pop\":%.2f,\"itemknn\":%.2f,\"als\":%.2f,\"ease\":%.2f,"
            "\"lists\":%.2f,\"total\":%.2f},",
            t_val, t_val_fit, f.t_pop, f.t_knn, f.t_als, f.t_ease, t_lists,
            timing_now() - t_start);
  stats_add(&b,
            "\"validation\":{\"users\":%d,\"warm_users\":%d,\"cold_users\":%d,"
            "\"taggings_held_out\":%lld,"
            "\"ndcg10_warm\":%.4f,\"ndcg10_cold\":%.4f},\"weights\":{",
            v.n_users, v.tab[0].n_users, v.tab[1].n_users,
            (long long)v.tags_held, v.ndcg[0], v.ndcg[1]);
  stats_weights(&b, "warm", warm);
  stats_add(&b, ",");
  stats_weights(&b, "cold", cold);
  stats_add(&b, ",");
  stats_weights(&b, "empty", train_params.weights_empty);
  double rss, cpu;
  usage_now(&rss, &cpu);
  stats_add(&b, "},\"peak_rss_mb\":%.1f,\"cpu_seconds\":%.1f}", rss, cpu);
  out->stats = b.p;
  if (!out->stats) goto out;
  if (o->verbose) fprintf(stderr, "encore-recs: train: %s\n", out->stats);
  rc = 0;
out:
  train_val_free(&v);
  train_fit_free(&f);
  free(empty.ptr);
  if (rc) batch_output_free(out);
  return rc;
}
