/* recs_cache: what the serving module caches in memcached and under which
 * keys: the serving version (RECS_SERVING_KEY, RECS_SERVING_TTL seconds;
 * encore-recs deletes it after a switch) and the answers, under a
 * namespace (the user's, or "recs:similar") with the version in the key,
 * so that a change of the user's taste or of the version is never hidden
 * by a cached answer. */
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/kv.h"
#include "model/recs.h"
#include "model/recs_internal.h"

/* serving_read: the serving version from `cached` (the text of
 * RECS_SERVING_KEY, "<version> <data_until>" or "0") when it reads well,
 * else from MariaDB, then cached for RECS_SERVING_TTL seconds. */
static int serving_read(struct db *d, struct kv *k, struct arena *a,
                        const char *cached, struct recs_serving *sv) {
  sv->version = 0;
  sv->until = NULL;
  if (cached) {
    char *sp;
    long long v = strtoll(cached, &sp, 10);
    if (v > 0 && *sp == ' ' && strlen(sp + 1) == 26) {
      sv->version = v;
      sv->until = sp + 1;
      return 0;
    }
    if (v == 0 && *sp == '\0') return 0;
  }
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT s.version, DATE_FORMAT(v.data_until, "
                   "'%Y-%m-%d %H:%i:%s.%f') FROM rec_serving s "
                   "JOIN rec_versions v ON v.id = s.version WHERE s.slot = 1",
                   NULL, 0, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows && db_s(&res.rows[0], 1)) {
    sv->version = db_i64(&res.rows[0], 0, 0);
    sv->until = db_s(&res.rows[0], 1);
  }
  if (k) {
    const char *val =
        sv->version ? arena_printf(a, "%lld %s", sv->version, sv->until) : "0";
    if (val) kv_set(k, RECS_SERVING_KEY, val, strlen(val), RECS_SERVING_TTL);
  }
  return 0;
}

int recs_serving_and_ns(struct db *d, struct kv *k, struct arena *a,
                        const char *ns, struct recs_serving *sv, char **nsver) {
  char *vals[2] = {NULL, NULL};
  size_t lens[2];
  *nsver = NULL;
  if (k) {
    const char *nskey = arena_printf(a, "ns:%s", ns);
    const char *const keys[] = {RECS_SERVING_KEY, nskey};
    if (nskey && kv_mget(k, a, keys, 2, vals, lens) == 0) *nsver = vals[1];
  }
  return serving_read(d, k, a, vals[0], sv);
}

const char *recs_cache_key(struct kv *k, struct arena *a, const char *ns,
                           const char *nsver, const char *suffix) {
  char *key = NULL;
  if (!k) return NULL;
  if (nsver) return arena_printf(a, "%s:%s:%s", ns, nsver, suffix);
  return kv_ns_key(k, a, ns, suffix, &key) ? NULL : key;
}
