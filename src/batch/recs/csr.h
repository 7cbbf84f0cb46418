/* csr.h: compressed sparse row matrices, the form of every users x items,
 * items x tags and users x users matrix of encore-recs. */
#ifndef ENCORE_BATCH_RECS_CSR_H
#define ENCORE_BATCH_RECS_CSR_H

#include <stdint.h>

/* Compressed sparse rows. Column indices are sorted and unique within a row.
 * A matrix owns its three arrays. */
struct csr {
  int nrows, ncols;
  int64_t nnz;
  int64_t *ptr; /* nrows + 1 */
  int *idx;     /* nnz */
  float *val;   /* nnz */
};

/* One (row, col, value) entry fed to csr_build. */
struct csr_triplet {
  int row, col;
  float val;
};

/* csr_build: build an nrows x ncols matrix from n triplets (reordered in
 * place). Duplicates of one (row, col) are summed. Returns 0, or -1 when out
 * of memory or an index is out of range (m is then empty). */
int csr_build(struct csr *m, int nrows, int ncols, struct csr_triplet *t,
              int64_t n);
/* csr_transpose: out = m^T (a new matrix). Returns 0 or -1 (memory). */
int csr_transpose(struct csr *out, const struct csr *m);
/* csr_free: release the arrays; m may be zeroed or already freed. */
void csr_free(struct csr *m);
/* csr_has: whether row r has column c (binary search). */
int csr_has(const struct csr *m, int r, int c);

#endif
