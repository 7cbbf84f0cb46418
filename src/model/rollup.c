/* rollup: sums of listens per key, their blob and their accumulation; see
 * rollup.h. */
#include "model/rollup.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "IR1"

int rollup_put(struct rollup_map *m, int64_t key, int64_t listens, int64_t ms) {
  if (m->n == m->cap) {
    int nc = m->cap ? m->cap * 2 : 16;
    struct rollup_entry *ne = realloc(m->e, sizeof *ne * (size_t)nc);
    if (!ne) return -1;
    m->e = ne;
    m->cap = nc;
  }
  m->e[m->n++] =
      (struct rollup_entry){.key = key, .listens = listens, .ms = ms};
  return 0;
}

static int cmp_key(const void *a, const void *b) {
  int64_t x = ((const struct rollup_entry *)a)->key,
          y = ((const struct rollup_entry *)b)->key;
  return (x > y) - (x < y);
}

static void normalize(struct rollup_map *m) {
  if (m->n > 1) qsort(m->e, (size_t)m->n, sizeof *m->e, cmp_key);
  int w = 0;
  for (int i = 0; i < m->n; i++) {
    if (w > 0 && m->e[w - 1].key == m->e[i].key) {
      m->e[w - 1].listens += m->e[i].listens;
      m->e[w - 1].ms += m->e[i].ms;
    } else {
      m->e[w++] = m->e[i];
    }
  }
  int k = 0;
  for (int i = 0; i < w; i++)
    if (m->e[i].listens > 0) {
      if (m->e[i].ms < 0) m->e[i].ms = 0;
      m->e[k++] = m->e[i];
    }
  m->n = k;
}

void rollup_normalize(struct rollup *r) {
  for (int k = 0; k < ROLLUP_KINDS; k++)
    normalize(&r->m[k]);
}

void rollup_totals(const struct rollup *r, int64_t *listens, int64_t *ms) {
  const struct rollup_map *q = &r->m[ROLLUP_QUARTERS];
  *listens = *ms = 0;
  for (int i = 0; i < q->n; i++) {
    *listens += q->e[i].listens;
    *ms += q->e[i].ms;
  }
}

size_t rollup_encoded_max(const struct rollup *r) {
  size_t n = 4;
  for (int k = 0; k < ROLLUP_KINDS; k++)
    n += 10 + (size_t)r->m[k].n * 30;
  return n;
}

static unsigned char *put_varint(unsigned char *p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = (unsigned char)(v | 0x80);
    v >>= 7;
  }
  *p++ = (unsigned char)v;
  return p;
}

size_t rollup_encode(const struct rollup *r, unsigned char *out) {
  unsigned char *p = out;
  memcpy(p, MAGIC, 3);
  p[3] = ROLLUP_KINDS;
  p += 4;
  for (int k = 0; k < ROLLUP_KINDS; k++) {
    const struct rollup_map *m = &r->m[k];
    p = put_varint(p, (uint64_t)m->n);
    int64_t prev = 0;
    for (int i = 0; i < m->n; i++) {
      p = put_varint(p, (uint64_t)(m->e[i].key - prev));
      p = put_varint(p, (uint64_t)m->e[i].listens);
      p = put_varint(p, (uint64_t)m->e[i].ms);
      prev = m->e[i].key;
    }
  }
  return (size_t)(p - out);
}

/* get_varint: one varint of at most 9 bytes (63 bits); NULL past the end
 * or when too long. */
static const unsigned char *get_varint(const unsigned char *p,
                                       const unsigned char *end, uint64_t *v) {
  uint64_t x = 0;
  for (int shift = 0; shift < 63; shift += 7) {
    if (p >= end) return NULL;
    unsigned char c = *p++;
    x |= (uint64_t)(c & 0x7f) << shift;
    if (!(c & 0x80)) {
      if (x > (uint64_t)INT64_MAX) return NULL;
      *v = x;
      return p;
    }
  }
  return NULL;
}

int rollup_decode(struct rollup *r, const unsigned char *buf, size_t len) {
  const unsigned char *p = buf, *end = buf + len;
  if (len < 4 || memcmp(p, MAGIC, 3) || p[3] != ROLLUP_KINDS) return -1;
  p += 4;
  for (int k = 0; k < ROLLUP_KINDS; k++) {
    uint64_t n, d, l, ms;
    if (!(p = get_varint(p, end, &n)) || n > len) return -1;
    int64_t key = 0;
    for (uint64_t i = 0; i < n; i++) {
      if (!(p = get_varint(p, end, &d)) || !(p = get_varint(p, end, &l)) ||
          !(p = get_varint(p, end, &ms)))
        return -1;
      if (d > (uint64_t)(INT64_MAX - key)) return -1;
      key += (int64_t)d;
      if (rollup_put(&r->m[k], key, (int64_t)l, (int64_t)ms)) return -1;
    }
  }
  return p == end ? 0 : -1;
}

void rollup_clear(struct rollup *r) {
  for (int k = 0; k < ROLLUP_KINDS; k++)
    r->m[k].n = 0;
}

void rollup_free(struct rollup *r) {
  for (int k = 0; k < ROLLUP_KINDS; k++)
    free(r->m[k].e);
  memset(r, 0, sizeof *r);
}

/* --- the accumulator ------------------------------------------------------ */

static uint64_t mix(int64_t key) {
  uint64_t x = (uint64_t)key * 0x9e3779b97f4a7c15ULL;
  return x ^ (x >> 29);
}

static int grow(struct rollup_acc *a) {
  int nc = a->cap ? a->cap * 2 : 256;
  struct rollup_entry *ne = malloc(sizeof *ne * (size_t)nc);
  if (!ne) return -1;
  for (int i = 0; i < nc; i++)
    ne[i].key = -1;
  for (int i = 0; i < a->cap; i++) {
    if (a->e[i].key < 0) continue;
    size_t s = mix(a->e[i].key) & (size_t)(nc - 1);
    while (ne[s].key >= 0)
      s = (s + 1) & (size_t)(nc - 1);
    ne[s] = a->e[i];
  }
  free(a->e);
  a->e = ne;
  a->cap = nc;
  return 0;
}

int rollup_acc_add(struct rollup_acc *a, int64_t key, int64_t listens,
                   int64_t ms) {
  if (key < 0) return 0;
  if ((a->n + 1) * 2 > a->cap && grow(a)) return -1;
  size_t s = mix(key) & (size_t)(a->cap - 1);
  while (a->e[s].key >= 0 && a->e[s].key != key)
    s = (s + 1) & (size_t)(a->cap - 1);
  if (a->e[s].key < 0) {
    a->e[s] = (struct rollup_entry){.key = key};
    a->n++;
  }
  a->e[s].listens += listens;
  a->e[s].ms += ms;
  return 0;
}

struct rollup_entry rollup_acc_get(const struct rollup_acc *a, int64_t key) {
  if (a->cap == 0 || key < 0) return (struct rollup_entry){.key = key};
  size_t s = mix(key) & (size_t)(a->cap - 1);
  while (a->e[s].key >= 0) {
    if (a->e[s].key == key) return a->e[s];
    s = (s + 1) & (size_t)(a->cap - 1);
  }
  return (struct rollup_entry){.key = key};
}

/* better: a ranks before b. */
static int better(const struct rollup_entry *a, const struct rollup_entry *b) {
  if (a->listens != b->listens) return a->listens > b->listens;
  if (a->ms != b->ms) return a->ms > b->ms;
  return a->key < b->key;
}

int rollup_acc_top(const struct rollup_acc *a, int k,
                   struct rollup_entry *out) {
  int n = 0;
  for (int i = 0; i < a->cap && k > 0; i++) {
    const struct rollup_entry *e = &a->e[i];
    if (e->key < 0 || e->listens <= 0) continue;
    if (n == k && !better(e, &out[n - 1])) continue;
    int j = n < k ? n++ : n - 1; /* insertion into the sorted top */
    while (j > 0 && better(e, &out[j - 1])) {
      out[j] = out[j - 1];
      j--;
    }
    out[j] = *e;
  }
  return n;
}

int rollup_acc_count(const struct rollup_acc *a) {
  int n = 0;
  for (int i = 0; i < a->cap; i++)
    n += a->e[i].key >= 0 && a->e[i].listens > 0;
  return n;
}

double rollup_acc_entropy(const struct rollup_acc *a) {
  double total = 0, h = 0;
  for (int i = 0; i < a->cap; i++)
    if (a->e[i].key >= 0 && a->e[i].listens > 0)
      total += (double)a->e[i].listens;
  if (total <= 0) return 0;
  for (int i = 0; i < a->cap; i++)
    if (a->e[i].key >= 0 && a->e[i].listens > 0) {
      double p = (double)a->e[i].listens / total;
      h -= p * log2(p);
    }
  return h;
}

void rollup_acc_free(struct rollup_acc *a) {
  free(a->e);
  memset(a, 0, sizeof *a);
}
