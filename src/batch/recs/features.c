/* features.c: the item features a model may see, built from its training
 * part only. An item's tag row counts the tags no user gave it (base_tags:
 * a catalogue's genres, eras, audio buckets) and the users' taggings; a
 * user's tagging of an item they interacted with is part of that
 * interaction, so it counts only where the interaction is in the training
 * part. Without that, a pair held out for testing or validation reaches the
 * content model (and every blend through it) through the tags the user put
 * on the very item held out: a fifth of HetRec's pairs carry such tags.
 * The production trainer's item genres follow the same rule
 * (features_input_init): on HetRec data they are those taggings. */
#include "batch/recs/batch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void features_tfidf(struct csr *m) {
  float *df = calloc((size_t)m->ncols + 1, sizeof *df);
  if (!df) return;
  int rows = 0;
  for (int r = 0; r < m->nrows; r++)
    rows += m->ptr[r + 1] > m->ptr[r];
  for (int64_t k = 0; k < m->nnz; k++)
    df[m->idx[k]] += 1;
  for (int r = 0; r < m->nrows; r++) {
    double norm = 0;
    for (int64_t k = m->ptr[r]; k < m->ptr[r + 1]; k++) {
      double w = log1p(m->val[k]) * log((double)rows / df[m->idx[k]]);
      m->val[k] = (float)w;
      norm += w * w;
    }
    norm = norm > 0 ? 1.0 / sqrt(norm) : 0;
    for (int64_t k = m->ptr[r]; k < m->ptr[r + 1]; k++)
      m->val[k] = (float)(m->val[k] * norm);
  }
  free(df);
}

/* held_out: whether tagging g goes with an interaction of d->ui that train
 * does not have. */
static int held_out(const struct dataset *d, const struct csr *train,
                    const struct dataset_tagging *g) {
  const struct csr *ui = &d->ui;
  if (!train || g->user < 0 || g->user >= ui->nrows || !ui->ptr) return 0;
  if (!csr_has(ui, g->user, g->item)) return 0;
  return g->user >= train->nrows || !csr_has(train, g->user, g->item);
}

int features_build(struct csr *out, const struct dataset *d,
                   const struct csr *train) {
  const struct csr *b = &d->base_tags;
  int64_t nb = b->ptr ? b->nnz : 0, n = 0;
  struct csr_triplet *t = malloc((size_t)(nb + d->n_tagged + 1) * sizeof *t);
  memset(out, 0, sizeof *out);
  if (!t) return -1;
  for (int r = 0; b->ptr && r < b->nrows; r++)
    for (int64_t k = b->ptr[r]; k < b->ptr[r + 1]; k++)
      t[n++] = (struct csr_triplet){r, b->idx[k], b->val[k]};
  for (int64_t k = 0; k < d->n_tagged; k++) {
    const struct dataset_tagging *g = &d->tagged[k];
    if (!held_out(d, train, g))
      t[n++] = (struct csr_triplet){g->item, g->tag, 1};
  }
  int rc = csr_build(out, d->n_items, d->n_tags, t, n);
  free(t);
  if (!rc) features_tfidf(out);
  return rc;
}

int features_init(struct features *f, const struct dataset *d,
                  const struct csr *train) {
  memset(f, 0, sizeof *f);
  int64_t held = 0;
  for (int64_t k = 0; k < d->n_tagged; k++)
    held += held_out(d, train, &d->tagged[k]);
  if (held == 0) {
    f->tags = &d->tags;
    return 0;
  }
  if (features_build(&f->own, d, train)) return -1;
  f->tags = &f->own;
  f->held = held;
  return 0;
}

void features_free(struct features *f) {
  csr_free(&f->own);
  memset(f, 0, sizeof *f);
}

/* keep_genres: out = the entries (i, g) of genres that tags holds. */
static int keep_genres(struct csr *out, const struct csr *genres,
                       const struct csr *tags) {
  memset(out, 0, sizeof *out);
  out->nrows = genres->nrows;
  out->ncols = genres->ncols;
  out->ptr = calloc((size_t)genres->nrows + 1, sizeof *out->ptr);
  out->idx = malloc((size_t)(genres->nnz + 1) * sizeof *out->idx);
  out->val = malloc((size_t)(genres->nnz + 1) * sizeof *out->val);
  if (!out->ptr || !out->idx || !out->val) {
    csr_free(out);
    return -1;
  }
  int64_t n = 0;
  for (int i = 0; i < genres->nrows; i++) {
    for (int64_t k = genres->ptr[i]; k < genres->ptr[i + 1]; k++) {
      int g = genres->idx[k];
      if (i < tags->nrows && g < tags->ncols && csr_has(tags, i, g)) {
        out->idx[n] = g;
        out->val[n++] = genres->val[k];
      }
    }
    out->ptr[i + 1] = n;
  }
  out->nnz = n;
  return 0;
}

int features_input_init(struct features_input *f, const struct batch_input *in,
                        const struct csr *train) {
  memset(f, 0, sizeof *f);
  if (features_init(&f->tags, &in->d, train)) return -1;
  f->genres = &in->item_genres;
  if (f->tags.tags == &in->d.tags || !in->item_genres.ptr) return 0;
  if (keep_genres(&f->own_genres, &in->item_genres, f->tags.tags)) {
    features_input_free(f);
    return -1;
  }
  f->genres = &f->own_genres;
  return 0;
}

void features_input_free(struct features_input *f) {
  features_free(&f->tags);
  csr_free(&f->own_genres);
  memset(f, 0, sizeof *f);
}
