/* csr.c: compressed sparse row matrices for encore-recs. */

#include "batch/recs/csr.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static int cmp_triplet(const void *a, const void *b) {
  const struct csr_triplet *x = a, *y = b;
  if (x->row != y->row) return x->row < y->row ? -1 : 1;
  if (x->col != y->col) return x->col < y->col ? -1 : 1;
  return 0;
}

int csr_build(struct csr *m, int nrows, int ncols, struct csr_triplet *t,
              int64_t n) {
  memset(m, 0, sizeof *m);
  for (int64_t i = 0; i < n; i++)
    if (t[i].row < 0 || t[i].row >= nrows || t[i].col < 0 || t[i].col >= ncols)
      return -1;
  if (n > 0) qsort(t, (size_t)n, sizeof *t, cmp_triplet);
  /* Merge duplicates in place so the arrays are sized exactly. */
  int64_t k = 0;
  for (int64_t i = 0; i < n; i++) {
    if (k > 0 && t[k - 1].row == t[i].row && t[k - 1].col == t[i].col)
      t[k - 1].val += t[i].val;
    else
      t[k++] = t[i];
  }
  m->nrows = nrows;
  m->ncols = ncols;
  m->nnz = k;
  m->ptr = calloc((size_t)nrows + 1, sizeof *m->ptr);
  m->idx = malloc((size_t)(k ? k : 1) * sizeof *m->idx);
  m->val = malloc((size_t)(k ? k : 1) * sizeof *m->val);
  if (!m->ptr || !m->idx || !m->val) {
    csr_free(m);
    return -1;
  }
  for (int64_t i = 0; i < k; i++) {
    m->ptr[t[i].row + 1]++;
    m->idx[i] = t[i].col;
    m->val[i] = t[i].val;
  }
  for (int r = 0; r < nrows; r++)
    m->ptr[r + 1] += m->ptr[r];
  return 0;
}

int csr_transpose(struct csr *out, const struct csr *m) {
  memset(out, 0, sizeof *out);
  out->nrows = m->ncols;
  out->ncols = m->nrows;
  out->nnz = m->nnz;
  out->ptr = calloc((size_t)m->ncols + 1, sizeof *out->ptr);
  out->idx = malloc((size_t)(m->nnz ? m->nnz : 1) * sizeof *out->idx);
  out->val = malloc((size_t)(m->nnz ? m->nnz : 1) * sizeof *out->val);
  int64_t *fill = calloc((size_t)m->ncols + 1, sizeof *fill);
  if (!out->ptr || !out->idx || !out->val || !fill) {
    free(fill);
    csr_free(out);
    return -1;
  }
  for (int64_t i = 0; i < m->nnz; i++)
    out->ptr[m->idx[i] + 1]++;
  for (int c = 0; c < m->ncols; c++)
    out->ptr[c + 1] += out->ptr[c];
  memcpy(fill, out->ptr, ((size_t)m->ncols + 1) * sizeof *fill);
  /* Rows are visited in order, so each output row comes out sorted. */
  for (int r = 0; r < m->nrows; r++)
    for (int64_t i = m->ptr[r]; i < m->ptr[r + 1]; i++) {
      int64_t o = fill[m->idx[i]]++;
      out->idx[o] = r;
      out->val[o] = m->val[i];
    }
  free(fill);
  return 0;
}

void csr_free(struct csr *m) {
  free(m->ptr);
  free(m->idx);
  free(m->val);
  memset(m, 0, sizeof *m);
}

int csr_has(const struct csr *m, int r, int c) {
  int64_t lo = m->ptr[r], hi = m->ptr[r + 1];
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (m->idx[mid] == c) return 1;
    if (m->idx[mid] < c)
      lo = mid + 1;
    else
      hi = mid;
  }
  return 0;
}
