/* recfmt: the packed lists of the recommendation tables (sql/migrations/
 * 0008_recs.sql), written by encore-recs and read by the API. One format,
 * little-endian whatever the host, so the writer and the reader cannot
 * disagree:
 *
 *   header  8 bytes: magic "ER" '1' kind, u32 count
 *   entry  24 bytes: u64 item id, u64 reason id, f32 score, u8 reason,
 *                    3 zero bytes
 *
 * kind is 'L' for a user's list (rec_user_lists), 'N' for an item's
 * neighbours (rec_neighbours, score = similarity), 'P' for a popularity
 * list (rec_popular). Entries are in rank order, best first. A blob whose
 * length is not 8 + 24 * count, or whose magic differs, is corrupt: readers
 * treat it as absent (and the API falls back, saying so). */
#ifndef ENCORE_RECFMT_H
#define ENCORE_RECFMT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define RECFMT_HEAD 8
#define RECFMT_ENTRY 24
/* Longest list a reader accepts (encore-recs writes at most 200 a user, 50
 * neighbours an item and 500 a popularity list: BATCH_TOP_N, BATCH_TOP_M
 * and BATCH_TOP_POP in src/batch/recs/batch.h). */
#define RECFMT_MAX 4096

enum recfmt_kind { RECFMT_LIST = 'L', RECFMT_NEIGH = 'N', RECFMT_POP = 'P' };

/* Why an item is recommended; reason_id names the thing. */
enum recfmt_reason {
  RECFMT_R_NONE = 0,    /* no single cause (reason_id 0) */
  RECFMT_R_ITEM = 1,    /* because you listened to item reason_id (same type) */
  RECFMT_R_ARTIST = 2,  /* because you listen to artist reason_id */
  RECFMT_R_GENRE = 3,   /* because you like genre reason_id */
  RECFMT_R_SOCIAL = 4,  /* played by user reason_id, whom you follow */
  RECFMT_R_POPULAR = 5, /* popular (in genre reason_id, 0 = overall) */
};

struct recfmt_entry {
  uint64_t item, reason_id;
  float score;
  uint8_t reason;
};

static inline void recfmt_put64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static inline uint64_t recfmt_get64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

/* recfmt_size: bytes of a blob of n entries. */
static inline size_t recfmt_size(size_t n) {
  return RECFMT_HEAD + RECFMT_ENTRY * n;
}

/* recfmt_write: encode n entries of kind into buf (recfmt_size(n) bytes). */
static inline void recfmt_write(unsigned char *buf, enum recfmt_kind kind,
                                const struct recfmt_entry *e, size_t n) {
  memcpy(buf, "ER1", 3);
  buf[3] = (unsigned char)kind;
  for (int i = 0; i < 4; i++) buf[4 + i] = (unsigned char)(n >> (8 * i));
  for (size_t k = 0; k < n; k++) {
    unsigned char *p = buf + RECFMT_HEAD + RECFMT_ENTRY * k;
    uint32_t bits;
    memcpy(&bits, &e[k].score, 4);
    recfmt_put64(p, e[k].item);
    recfmt_put64(p + 8, e[k].reason_id);
    for (int i = 0; i < 4; i++) p[16 + i] = (unsigned char)(bits >> (8 * i));
    p[20] = e[k].reason;
    p[21] = p[22] = p[23] = 0;
  }
}

/* recfmt_count: the number of entries of a well-formed blob of kind, or -1
 * when it is corrupt (bad magic, kind, length, or over RECFMT_MAX). */
static inline long recfmt_count(const void *blob, size_t len,
                                enum recfmt_kind kind) {
  const unsigned char *b = blob;
  if (!b || len < RECFMT_HEAD || memcmp(b, "ER1", 3) || b[3] != kind)
    return -1;
  uint32_t n = (uint32_t)b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 |
               (uint32_t)b[7] << 24;
  if (n > RECFMT_MAX || len != recfmt_size(n)) return -1;
  return (long)n;
}

/* recfmt_at: decode entry k of a blob already checked by recfmt_count. */
static inline struct recfmt_entry recfmt_at(const void *blob, size_t k) {
  const unsigned char *p =
      (const unsigned char *)blob + RECFMT_HEAD + RECFMT_ENTRY * k;
  struct recfmt_entry e;
  uint32_t bits = (uint32_t)p[16] | (uint32_t)p[17] << 8 |
                  (uint32_t)p[18] << 16 | (uint32_t)p[19] << 24;
  e.item = recfmt_get64(p);
  e.reason_id = recfmt_get64(p + 8);
  memcpy(&e.score, &bits, 4);
  e.reason = p[20];
  return e;
}

#endif
