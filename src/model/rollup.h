/* rollup: the listens of one bucket of time (a UTC day or month of one
 * user) summed per key, in five sections: per quarter hour of the bucket,
 * per track, artist, album and genre; and the blob they are stored as in
 * insight_rollups.data. Pure: no database, no clock.
 *
 * Blob: "IR1", a section count byte (5), then per section a varint count
 * and that many entries of three varints (LEB128): the key's difference
 * from the previous key of the section (the first key itself), listens,
 * milliseconds. Keys are increasing and unique within a section, listens
 * positive. */
#ifndef ENCORE_ROLLUP_H
#define ENCORE_ROLLUP_H

#include <stddef.h>
#include <stdint.h>

enum rollup_kind {
  ROLLUP_QUARTERS, /* key: quarter hours since the bucket's start */
  ROLLUP_TRACKS,
  ROLLUP_ARTISTS, /* primary artists */
  ROLLUP_ALBUMS,
  ROLLUP_GENRES,
  ROLLUP_KINDS
};

#define ROLLUP_QUARTER_MS (15 * 60 * 1000LL)

struct rollup_entry {
  int64_t key, listens, ms;
};

/* One section: entries in any order until rollup_normalize sorts them. */
struct rollup_map {
  struct rollup_entry *e;
  int n, cap;
};

struct rollup {
  struct rollup_map m[ROLLUP_KINDS];
};

/* rollup_put: append (key, listens, ms) to a section (repeats and negative
 * amounts are folded by rollup_normalize). 0, or -1 out of memory. */
int rollup_put(struct rollup_map *m, int64_t key, int64_t listens, int64_t ms);
/* rollup_normalize: sort every section by key, sum repeated keys, drop
 * keys left with no listens. */
void rollup_normalize(struct rollup *r);
/* rollup_totals: listens and ms of the quarter section (every listen is in
 * exactly one quarter). */
void rollup_totals(const struct rollup *r, int64_t *listens, int64_t *ms);
/* rollup_encoded_max: bytes enough for rollup_encode of r. */
size_t rollup_encoded_max(const struct rollup *r);
/* rollup_encode: r (normalized) as a blob in out; its length. */
size_t rollup_encode(const struct rollup *r, unsigned char *out);
/* rollup_decode: append the entries of a blob to r's sections. 0, or -1
 * when the blob is not one (or out of memory). */
int rollup_decode(struct rollup *r, const unsigned char *buf, size_t len);
/* rollup_clear: empty the sections, keeping their memory. */
void rollup_clear(struct rollup *r);
/* rollup_free: release r's memory (r is left empty). */
void rollup_free(struct rollup *r);

/* An accumulator of one section over many blobs: a hash of key -> sums. */
struct rollup_acc {
  struct rollup_entry *e; /* slots; key -1 marks an empty slot */
  int cap, n;
};

/* rollup_acc_add: add to key's sums (key >= 0). 0, or -1 out of memory. */
int rollup_acc_add(struct rollup_acc *a, int64_t key, int64_t listens,
                   int64_t ms);
/* rollup_acc_get: key's sums (zero when absent). */
struct rollup_entry rollup_acc_get(const struct rollup_acc *a, int64_t key);
/* rollup_acc_top: the k best entries (most listens, then most ms, then
 * lowest key) into out (room for k), with listens > 0; their number. */
int rollup_acc_top(const struct rollup_acc *a, int k, struct rollup_entry *out);
/* rollup_acc_count: keys with listens > 0. */
int rollup_acc_count(const struct rollup_acc *a);
/* rollup_acc_entropy: Shannon entropy in bits of the listens' distribution
 * over the keys (0 for none or one key). */
double rollup_acc_entropy(const struct rollup_acc *a);
void rollup_acc_free(struct rollup_acc *a);

#endif
