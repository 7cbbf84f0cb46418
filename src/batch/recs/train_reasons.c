/* train_reasons.c: why each item of a user's list is recommended, from the
 * component contributing most to its blended score: an item of the user's
 * ("because you listened to"), on tracks their artist, a genre, a
 * followee, or popularity (enum recfmt_reason, src/model/recfmt.h). */
#include "batch/recs/train_internal.h"
#include "model/recfmt.h"

#include <math.h>
#include <stdlib.h>

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

void train_user_artists(const struct train_fit *f, struct train_ws *w, int u) {
  const struct csr *ui = f->ui;
  w->n_arts = 0;
  if (!w->arts) return;
  for (int64_t k = ui->ptr[u]; k < ui->ptr[u + 1]; k++)
    w->arts[w->n_arts++] = f->in->item_artist_ext[ui->idx[k]];
  qsort(w->arts, (size_t)w->n_arts, sizeof *w->arts, cmp_i64);
}

/* artist_plays: how many of the user's items are by artist a. */
static int artist_plays(const struct train_ws *w, int64_t a) {
  int lo = 0, hi = w->n_arts;
  while (lo < hi) { /* first position >= a */
    int mid = (lo + hi) / 2;
    if (w->arts[mid] < a)
      lo = mid + 1;
    else
      hi = mid;
  }
  int k = lo;
  while (k < w->n_arts && w->arts[k] == a)
    k++;
  return k - lo;
}

void train_reason(const struct train_fit *f, const struct train_ws *w,
                  const double *wt, int c, struct batch_entry *e) {
  const struct batch_input *in = f->in;
  int j = w->cand[c], best = TRAIN_POP;
  double bv = -INFINITY;
  for (int m = 0; m < TRAIN_NCOMP; m++)
    if (f->use[m] && wt[m] != 0 && wt[m] * w->z[m][c] > bv) {
      best = m;
      bv = wt[m] * w->z[m][c];
    }
  int g = f->use[TRAIN_GENRE] || f->use[TRAIN_CONTENT] ? train_genre_of(f, w, j)
                                                       : -1;
  int has_item = w->s[j].bestv > 0, has_social = w->s[j].socv > 0;
  int kind = best == TRAIN_SOCIAL && has_social ? RECFMT_R_SOCIAL
             : (best == TRAIN_CONTENT || best == TRAIN_GENRE) && g >= 0
                 ? RECFMT_R_GENRE
             : best == TRAIN_POP ? RECFMT_R_POPULAR
             : has_item          ? RECFMT_R_ITEM
             : has_social        ? RECFMT_R_SOCIAL
             : g >= 0            ? RECFMT_R_GENRE
                                 : RECFMT_R_POPULAR;
  e->reason = (uint8_t)kind;
  e->reason_id = 0;
  if (kind == RECFMT_R_ITEM) {
    e->reason_id = in->d.item_id[w->s[j].besti];
    if (in->level == BATCH_TRACK && w->arts &&
        w->s[j].bestv < train_params.artist_share * w->s[j].acc &&
        artist_plays(w, in->item_artist_ext[j]) >= train_params.artist_min) {
      e->reason = RECFMT_R_ARTIST;
      e->reason_id = in->item_artist_ext[j];
    }
  } else if (kind == RECFMT_R_SOCIAL) {
    e->reason_id = in->d.user_id[w->s[j].socf];
  } else if (kind == RECFMT_R_GENRE) {
    e->reason_id = in->genre_ext[g];
  }
}
