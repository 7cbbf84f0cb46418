/* split.c: seeded hold-out splits of a users x items matrix (test, and the
 * validation split carved from a training part). */
#include "batch/recs/split.h"

#include "batch/recs/csr.h"
#include "batch/recs/rng.h"

#include <stdlib.h>
#include <string.h>

int split_holdout(struct split *s, const struct csr *ui, int min_items,
                  double frac, uint64_t seed, double cold_frac, int cold_keep) {
  memset(s, 0, sizeof *s);
  int64_t n = ui->nnz;
  struct csr_triplet *tr = malloc((size_t)(n ? n : 1) * sizeof *tr);
  struct csr_triplet *te = malloc((size_t)(n ? n : 1) * sizeof *te);
  int *perm = malloc((size_t)(ui->ncols ? ui->ncols : 1) * sizeof *perm);
  s->eval_users = malloc((size_t)(ui->nrows ? ui->nrows : 1) * sizeof(int));
  int64_t ntr = 0, nte = 0;
  if (!tr || !te || !perm || !s->eval_users) goto fail;
  for (int u = 0; u < ui->nrows; u++) {
    int64_t b = ui->ptr[u];
    int len = (int)(ui->ptr[u + 1] - b);
    /* One stream per user: the split of a user does not depend on the
     * others, so adding a user elsewhere does not reshuffle everyone. */
    uint64_t st = seed * 0x100000001b3ULL + (uint64_t)u * 0x9e3779b97f4a7c15ULL;
    rng_next(&st);
    int nt = 0, keep = len;
    if (len >= min_items) {
      nt = (int)(frac * len);
      if (nt < 1) nt = 1;
      keep = len - nt;
      if (cold_frac > 0) {
        if (rng_unit(&st) < cold_frac) {
          if (keep > cold_keep) keep = cold_keep;
        } else {
          nt = 0; /* evaluated only in the cold protocol */
          keep = len;
        }
      }
    }
    rng_perm(perm, len, &st);
    for (int i = 0; i < len; i++) {
      int64_t k = b + perm[i];
      struct csr_triplet t = {u, ui->idx[k], ui->val[k]};
      if (i < nt)
        te[nte++] = t;
      else if (i < nt + keep)
        tr[ntr++] = t;
    }
    if (nt > 0) s->eval_users[s->n_eval++] = u;
  }
  if (csr_build(&s->train, ui->nrows, ui->ncols, tr, ntr) ||
      csr_build(&s->test, ui->nrows, ui->ncols, te, nte))
    goto fail;
  free(tr);
  free(te);
  free(perm);
  return 0;
fail:
  free(tr);
  free(te);
  free(perm);
  split_free(s);
  return -1;
}

void split_free(struct split *s) {
  csr_free(&s->train);
  csr_free(&s->test);
  free(s->eval_users);
  memset(s, 0, sizeof *s);
}
