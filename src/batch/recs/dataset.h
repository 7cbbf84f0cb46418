/* dataset.h: the whole data set of one evaluation or batch run: users x
 * items, the items' tags, the users' taggings, the social graph. The
 * loaders fill it (hetrec.h; dbread.c, through struct batch_input);
 * nothing here knows where the data came from. */
#ifndef ENCORE_BATCH_RECS_DATASET_H
#define ENCORE_BATCH_RECS_DATASET_H

#include <stdint.h>

#include "batch/recs/csr.h"

/* One user's tag on an item (HetRec user_taggedartists, Encore's
 * user_artist_tags). user is -1 for a user without a row in the users x
 * items matrix (such a tagging is never held out). */
struct dataset_tagging {
  int user, item, tag;
};

/* The whole data set of one evaluation or batch run. */
struct dataset {
  int n_users, n_items, n_tags;
  int64_t *user_id; /* dense user index -> external id */
  int64_t *item_id; /* dense item index -> external id */
  struct csr ui;    /* users x items: play counts */
  /* items x tags: TF-IDF of base_tags and every tagging, rows
   * L2-normalized (features_build over the whole of ui). The features
   * of everything: a model fitted on a part of ui sees features_init's
   * instead. */
  struct csr tags;
  /* items x tags: raw counts no user's tagging produced (a catalogue's
   * genres, release eras, audio buckets); may have no rows, and is left
   * empty by a loader that has no taggings (tags is then all there is). */
  struct csr base_tags;
  struct dataset_tagging *tagged; /* the users' taggings, n_tagged of them */
  int64_t n_tagged;
  struct csr social; /* users x users: 1 for each friend (symmetric) */
};

/* dataset_free: release everything a loader allocated (zeroed after). */
void dataset_free(struct dataset *d);

#endif
