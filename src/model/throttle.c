/* throttle: event counters with doubling waits; see throttle.h. */
#include "model/throttle.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "core/db.h"
#include "core/rc.h"
#include "core/bytes.h"
#include "core/rnd.h"

/* Rows quiet this long are deleted now and then (every rule's `quiet` is
 * shorter). */
#define THROTTLE_KEEP_S (24 * 3600)

/* The reads of one, two and three keys: literal texts, the statement
 * cache's keys. */
#define WAIT_COLS                                                              \
  "SELECT scope, subject, hits, UNIX_TIMESTAMP(last_at), "                     \
  "UNIX_TIMESTAMP(first_at) FROM throttles WHERE (scope, subject) IN "
static const char *const wait_sql[THROTTLE_KEYS_MAX] = {
    WAIT_COLS "((?, ?))",
    WAIT_COLS "((?, ?), (?, ?))",
    WAIT_COLS "((?, ?), (?, ?), (?, ?))",
};

/* delay: the wait that `hits` events, the first at `first` and the last at
 * `last`, impose at `now`. */
static int delay(const struct throttle_rule *r, long long hits, long long first,
                 long long last, long long now) {
  if (r->window > 0) {
    if (now - first >= r->window || hits < r->free) return 0;
    long long left = first + r->window - now;
    return left > 0 ? (int)left : 1;
  }
  if (now - last >= r->quiet || hits < r->free) return 0;
  long long over = hits - r->free, d = r->base;
  while (over-- > 0 && d < r->cap)
    d *= 2;
  if (d > r->cap) d = r->cap;
  long long left = last + d - now;
  return left > 0 ? (int)left : 0;
}

int throttle_wait(struct db *d, struct arena *a, const struct throttle_key *k,
                  int n, int *wait, int *waits) {
  unsigned char h[THROTTLE_KEYS_MAX][32];
  struct db_val p[2 * THROTTLE_KEYS_MAX];
  *wait = 0;
  if (n < 1 || n > THROTTLE_KEYS_MAX) return RC_INVALID;
  for (int i = 0; i < n; i++) {
    if (waits) waits[i] = 0;
    bytes_sha256(k[i].subject, strlen(k[i].subject), h[i]);
    p[2 * i] = DB_S(k[i].rule->scope);
    p[2 * i + 1] = DB_B(h[i], 32);
  }
  struct db_res res;
  int rc = db_exec(d, a, wait_sql[n - 1], p, 2 * n, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  long long now = (long long)time(NULL);
  for (int r = 0; r < res.nrows; r++) {
    const struct db_row *row = &res.rows[r];
    for (int i = 0; i < n; i++) {
      if (strcmp(db_s(row, 0), k[i].rule->scope) != 0 || row->len[1] != 32 ||
          memcmp(row->v[1], h[i], 32) != 0)
        continue;
      int w = delay(k[i].rule, db_i64(row, 2, 0), db_i64(row, 4, 0),
                    db_i64(row, 3, 0), now);
      if (waits) waits[i] = w;
      if (w > *wait) *wait = w;
    }
  }
  return 0;
}

/* prune: now and then, drop rows nobody has been counted in for a day. */
static void prune(struct db *d) {
  unsigned char r;
  rnd_bytes(&r, 1);
  if (r % 64) return;
  struct db_val keep = DB_I(THROTTLE_KEEP_S);
  db_exec(d, NULL,
          "DELETE FROM throttles WHERE last_at < UTC_TIMESTAMP(3) - "
          "INTERVAL ? SECOND LIMIT 500",
          &keep, 1, DB_IDEMPOTENT, NULL);
}

/* The count of an event: a new row, or one more hit unless the count
 * starts again (after a quiet spell, or past a window). Assignments run
 * left to right: hits and first_at still see the old values. */
#define HIT_SQL(reset)                                                         \
  "INSERT INTO throttles (scope, subject, hits, first_at, last_at) "           \
  "VALUES (?, ?, 1, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3)) "                      \
  "ON DUPLICATE KEY UPDATE hits = IF(" reset ", 1, hits + 1), "                \
  "first_at = IF(" reset ", UTC_TIMESTAMP(3), first_at), "                     \
  "last_at = UTC_TIMESTAMP(3)"
static const char hit_quiet[] =
    HIT_SQL("last_at < UTC_TIMESTAMP(3) - INTERVAL ? SECOND");
static const char hit_window[] =
    HIT_SQL("first_at < UTC_TIMESTAMP(3) - INTERVAL ? SECOND");

int throttle_hit(struct db *d, const struct throttle_key *k, int n) {
  for (int i = 0; i < n; i++) {
    const struct throttle_rule *r = k[i].rule;
    unsigned char h[32];
    bytes_sha256(k[i].subject, strlen(k[i].subject), h);
    long long span = r->window > 0 ? r->window : r->quiet;
    struct db_val p[] = {DB_S(r->scope), DB_B(h, 32), DB_I(span), DB_I(span)};
    int rc, tries = 0;
    do
      rc = db_exec(d, NULL, r->window > 0 ? hit_window : hit_quiet, p, 4, 0,
                   NULL);
    while (db_retry(rc, &tries));
    if (rc) return rc;
  }
  prune(d);
  return 0;
}

int throttle_take(struct db *d, struct arena *a, const struct throttle_key *k,
                  int *hits, int *reset_in) {
  unsigned char h[32];
  *hits = 0;
  *reset_in = k->rule->window;
  int rc = throttle_hit(d, k, 1);
  if (rc) return rc;
  bytes_sha256(k->subject, strlen(k->subject), h);
  struct db_val p[] = {DB_S(k->rule->scope), DB_B(h, 32)};
  struct db_res res;
  rc = db_exec(d, a,
               "SELECT hits, UNIX_TIMESTAMP(first_at) FROM throttles WHERE "
               "scope = ? AND subject = ?",
               p, 2, 0, &res);
  if (rc || !res.nrows) return rc;
  long long left =
      db_i64(&res.rows[0], 1, 0) + k->rule->window - (long long)time(NULL);
  *hits = (int)db_i64(&res.rows[0], 0, 0);
  *reset_in = left > 0 ? (int)left : 1;
  return 0;
}

int throttle_clear(struct db *d, const struct throttle_key *k) {
  unsigned char h[32];
  bytes_sha256(k->subject, strlen(k->subject), h);
  struct db_val p[] = {DB_S(k->rule->scope), DB_B(h, 32)};
  return db_exec(d, NULL,
                 "DELETE FROM throttles WHERE scope = ? AND subject = ?", p, 2,
                 DB_IDEMPOTENT, NULL);
}
