/* inval: recorded cache invalidations; see inval.h. */
#include "core/inval.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/kv.h"
#include "core/log.h"
#include "core/rc.h"

/* Rows read per replay: a cache outage under write load records one row per
 * write; a second's replay of this many bumps is well under a millisecond
 * of memcached's time. */
#define INVAL_BATCH 500

static void record(void *arg, enum kv_lost op, const char *key) {
  struct db *d = arg;
  struct db_val p[] = {DB_S(op == KV_LOST_BUMP ? "bump" : "del"), DB_S(key)};
  if (strlen(key) > 255 ||
      db_exec(d, NULL,
              "INSERT INTO cache_repairs (op, cache_key) VALUES (?, ?)", p, 2,
              0, NULL))
    log_msg(LOG_ERROR, "inval: a cache invalidation was lost", "key", key,
            NULL);
}

void inval_attach(struct kv *k, struct db *d) {
  kv_on_lost(k, record, d);
}

int inval_replay_now(struct kv *k, struct db *d) {
  struct arena *a = arena_new(16 * 1024);
  if (!a) return RC_NOMEM;
  struct db_res res;
  struct db_val lim = DB_I(INVAL_BATCH);
  int rc = db_exec(d, a,
                   "SELECT id, op, cache_key FROM cache_repairs ORDER BY id "
                   "LIMIT ?",
                   &lim, 1, DB_IDEMPOTENT, &res);
  int done = 0;
  /* The hook must not record again what is being replayed: a replay that
   * fails leaves its row in place instead. */
  kv_on_lost(k, NULL, NULL);
  for (int i = 0; !rc && i < res.nrows; i++) {
    const struct db_row *row = &res.rows[i];
    const char *key = db_s(row, 2);
    rc =
        strcmp(db_s(row, 1), "bump") == 0 ? kv_ns_bump(k, key) : kv_del(k, key);
    if (rc) break; /* the cache is still away: try again later */
    struct db_val id = DB_I(db_i64(row, 0, 0));
    rc = db_exec(d, NULL, "DELETE FROM cache_repairs WHERE id = ?", &id, 1,
                 DB_IDEMPOTENT, NULL);
    if (!rc) done++;
  }
  inval_attach(k, d);
  arena_free(a);
  return rc && !done ? rc : done;
}

int inval_replay(struct kv *k, struct db *d) {
  static time_t last;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  if (last && ts.tv_sec - last < 1) return 0;
  last = ts.tv_sec;
  return inval_replay_now(k, d);
}
