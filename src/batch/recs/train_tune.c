/* train_tune.c: tune, how the production training chooses the hybrid's
 * warm and cold weights: a validation split of the input (held-out items
 * of sampled users, a share of them cut to cold users, whose tags on those
 * items are held out with them), the models fitted on its training part,
 * each validated user's candidates scored into a table, and the weight
 * search of hybrid.h on it. */
#include "batch/recs/metrics.h"
#include "batch/recs/rng.h"
#include "batch/recs/timing.h"
#include "batch/recs/train_internal.h"

#include <stdlib.h>
#include <string.h>

void train_val_free(struct train_val *v) {
  csr_free(&v->train);
  csr_free(&v->test);
  free(v->users);
  free(v->cold);
  for (int k = 0; k < 2; k++) {
    hybrid_cands_free(&v->tab[k]);
    free(v->tab_users[k]);
  }
  memset(v, 0, sizeof *v);
}

/* val_split: pick up to val_users users with val_min or more items, hold
 * out val_frac of each one's items; every other user stays whole (or, on
 * big inputs, out of the sample). */
static int val_split(struct train_val *v, const struct csr *ui, uint64_t seed) {
  int nu = ui->nrows, elig = 0;
  memset(v, 0, sizeof *v);
  for (int u = 0; u < nu; u++)
    elig += ui->ptr[u + 1] - ui->ptr[u] >= train_params.val_min;
  double p =
      elig > train_params.val_users ? (double)train_params.val_users / elig : 1;
  double q = ui->nnz > train_params.val_fit_nnz
                 ? (double)train_params.val_fit_nnz / ui->nnz
                 : 1;
  struct csr_triplet *tr = malloc((size_t)(ui->nnz + 1) * sizeof *tr);
  struct csr_triplet *te = malloc((size_t)(ui->nnz + 1) * sizeof *te);
  int64_t most = 1, ntr = 0, nte = 0;
  for (int u = 0; u < nu; u++)
    if (ui->ptr[u + 1] - ui->ptr[u] > most) most = ui->ptr[u + 1] - ui->ptr[u];
  int *perm = malloc((size_t)most * sizeof *perm);
  v->users = malloc((size_t)(elig + 1) * sizeof *v->users);
  v->cold = malloc((size_t)(elig + 1) * sizeof *v->cold);
  int rc = -1;
  if (!tr || !te || !perm || !v->users || !v->cold) goto out;
  for (int u = 0; u < nu; u++) {
    int64_t b = ui->ptr[u];
    int len = (int)(ui->ptr[u + 1] - b), nt = 0, keep = len;
    /* One stream per user, as in split_holdout. */
    uint64_t st = seed * 0x100000001b3ULL + (uint64_t)u * 0x9e3779b97f4a7c15ULL;
    rng_next(&st);
    if (len >= train_params.val_min && rng_unit(&st) < p) {
      nt = (int)(train_params.val_frac * len);
      if (nt < 1) nt = 1;
      keep = len - nt;
      int cold = rng_unit(&st) < train_params.val_cold;
      if (cold) keep = train_params.cold_max;
      v->cold[v->n_users] = cold;
      v->users[v->n_users++] = u;
    } else if (q < 1 && rng_unit(&st) >= q) {
      keep = 0; /* not in the validation models' sample */
    }
    if (nt > 0) rng_perm(perm, len, &st);
    for (int i = 0; i < len; i++) {
      int64_t k = b + (nt > 0 ? perm[i] : i);
      struct csr_triplet t = {u, ui->idx[k], ui->val[k]};
      if (i < nt)
        te[nte++] = t;
      else if (i < nt + keep)
        tr[ntr++] = t;
    }
  }
  if (!csr_build(&v->train, nu, ui->ncols, tr, ntr) &&
      !csr_build(&v->test, nu, ui->ncols, te, nte))
    rc = 0;
out:
  free(tr);
  free(te);
  free(perm);
  return rc;
}

/* The validation table of each_user, in fixed slots of cap per user. */
struct val_rows {
  const struct train_val *v;
  const int *act;
  int na, cap;
  int64_t *cnt;
  int *item;
  float *z;
};

/* val_row: validated user k's candidates that enter the weight search:
 * the union of each active component's top HYBRID_CANDS, with their
 * z-scores. */
static void val_row(const struct train_fit *f, struct train_ws *w, int k,
                    void *arg) {
  struct val_rows *r = arg;
  int u = r->v->users[k], n = 0, na = r->na;
  int *it = r->item + (size_t)k * r->cap;
  float *zz = r->z + (size_t)k * r->cap * na;
  train_score_user(f, w, u);
  for (int a = 0; a < na; a++) {
    int t = metrics_topk(w->z[r->act[a]], w->nc, HYBRID_CANDS, w->top);
    for (int q = 0; q < t; q++)
      if (!w->s[w->top[q]].sel) {
        w->s[w->top[q]].sel = 1;
        it[n++] = w->top[q]; /* a candidate position for now */
      }
  }
  for (int q = 0; q < n; q++) {
    int c = it[q];
    for (int a = 0; a < na; a++)
      zz[(size_t)q * na + a] = w->z[r->act[a]][c];
    it[q] = w->cand[c];
    w->s[c].sel = 0;
  }
  r->cnt[k] = n;
  train_reset_user(w);
}

/* val_tables: score every validated user with f (fitted on v->train) into
 * the warm and the cold table. */
static int val_tables(struct train_val *v, const struct train_fit *f,
                      const int *act, int na) {
  struct val_rows r = {.v = v, .act = act, .na = na, .cap = na * HYBRID_CANDS};
  r.cnt = calloc((size_t)v->n_users + 1, sizeof *r.cnt);
  r.item = malloc((size_t)v->n_users * r.cap * sizeof *r.item + 1);
  r.z = malloc((size_t)v->n_users * r.cap * na * sizeof *r.z + 1);
  int fail =
      !r.cnt || !r.item || !r.z || train_each_user(f, v->n_users, val_row, &r);
  int64_t *cnt = r.cnt;
  int *item = r.item, cap = r.cap;
  float *z = r.z;
  /* Split into the two tables, rows in user order. */
  for (int t = 0; t < 2 && !fail; t++) {
    struct hybrid_cands *cd = &v->tab[t];
    int64_t tot = 0;
    int nu = 0;
    for (int k = 0; k < v->n_users; k++)
      if (v->cold[k] == t) {
        tot += cnt[k];
        nu++;
      }
    cd->n_models = na;
    cd->test = &v->test;
    cd->off = malloc(((size_t)nu + 1) * sizeof *cd->off);
    cd->item = malloc((size_t)(tot + 1) * sizeof *cd->item);
    cd->z = malloc((size_t)(tot + 1) * na * sizeof *cd->z);
    v->tab_users[t] = malloc(((size_t)nu + 1) * sizeof(int));
    if (!cd->off || !cd->item || !cd->z || !v->tab_users[t]) {
      fail = 1;
      break;
    }
    cd->users = v->tab_users[t];
    int64_t o = 0;
    for (int k = 0; k < v->n_users; k++) {
      if (v->cold[k] != t) continue;
      cd->off[cd->n_users] = o;
      v->tab_users[t][cd->n_users++] = v->users[k];
      memcpy(cd->item + o, item + (size_t)k * cap,
             (size_t)cnt[k] * sizeof *cd->item);
      memcpy(cd->z + o * na, z + (size_t)k * cap * na,
             (size_t)cnt[k] * na * sizeof *cd->z);
      o += cnt[k];
    }
    cd->off[cd->n_users] = o;
  }
  free(cnt);
  free(item);
  free(z);
  return fail ? -1 : 0;
}

int train_tune(const struct batch_input *in, const struct train_opts *o,
               uint64_t seed, double *warm, double *cold, struct train_val *v,
               double *t_fit) {
  struct features_input vf = {0};
  struct train_fit f = {.verbose = o->verbose};
  int act[TRAIN_NCOMP], na = 0, rc = -1;
  if (val_split(v, &in->d.ui, seed) || features_input_init(&vf, in, &v->train))
    goto out;
  f.tags = vf.tags.tags;
  f.genres = vf.genres;
  v->tags_held = vf.tags.held;
  double t0 = timing_now();
  if (train_fit_models(&f, in, &v->train, 0, o, seed)) goto out;
  *t_fit = timing_now() - t0;
  for (int m = 0; m < TRAIN_NCOMP; m++)
    if (f.use[m]) act[na++] = m;
  t0 = timing_now();
  if (val_tables(v, &f, act, na)) goto out;
  train_stage(&f, "validation scoring", t0);
  for (int t = 0; t < 2; t++) {
    double wa[TRAIN_NCOMP] = {0}, *dst = t ? cold : warm;
    if (v->tab[t].n_users == 0) continue; /* keep the defaults */
    v->ndcg[t] = hybrid_blend_search(wa, &v->tab[t]);
    memset(dst, 0, TRAIN_NCOMP * sizeof *dst);
    for (int a = 0; a < na; a++)
      dst[act[a]] = wa[a];
  }
  rc = 0;
out:
  train_fit_free(&f);
  features_input_free(&vf);
  return rc;
}
