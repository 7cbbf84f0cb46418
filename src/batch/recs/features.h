/* features.h: the items' content features (tag and genre TF-IDF rows), as a
 * fit on one training part may see them. */
#ifndef ENCORE_BATCH_RECS_FEATURES_H
#define ENCORE_BATCH_RECS_FEATURES_H

#include <stdint.h>

#include "batch/recs/csr.h"
#include "batch/recs/dataset.h"

/* Item features (features.c). A user's tagging of an item they interacted
 * with belongs to that interaction: it is known only where the interaction
 * is, so a model never learns from the tags of the very pair held out from
 * it. */

/* features_tfidf: turn raw tag counts (items x tags) into TF-IDF rows
 * (log-scaled tf, idf over items) normalized to unit length, in place. */
void features_tfidf(struct csr *m);
/* features_build: out = the TF-IDF rows (n_items x n_tags) of
 * d->base_tags plus d's taggings, leaving out each tagging (u, i, t) whose
 * (u, i) is in d->ui but not in train (held out with that interaction).
 * train: users x items in d's numbering, a part of d->ui; NULL keeps every
 * tagging. Returns 0, or -1 when out of memory (out is then empty). */
int features_build(struct csr *out, const struct dataset *d,
                   const struct csr *train);

/* The features a model fitted on one training part may see. */
struct features {
  const struct csr *tags; /* items x tags: &d->tags or &own */
  struct csr own;         /* built when train holds some tagging back */
  int64_t held;           /* taggings held back */
};
/* features_init: f->tags = features_build(d, train), borrowed
 * as d->tags itself when train holds back none of d's taggings (d->tags
 * must then be features_build(d, NULL), as the loaders make it; keep d
 * alive while f is used); f->held counts the taggings left out. Returns 0,
 * or -1 when out of memory (f is then empty). */
int features_init(struct features *f, const struct dataset *d,
                  const struct csr *train);
/* features_free: release f (zeroed after; freeing twice is safe). */
void features_free(struct features *f);

#endif
