/* catalogue: shared pieces of the artist, album and track models; see
 * catalogue.h. */
#include "model/catalogue.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/kv.h"
#include "core/rc.h"

json_object *cat_ext_json(const struct cat_ext *e) {
  json_object *o = json_object_new_object();
  jx_add_str(o, "musicbrainz", e->mbid);
  jx_add_str(o, "spotify", e->spotify);
  jx_add_str(o, "apple_music", e->apple);
  return o;
}

/* current: whether the entry `val` was stored under the namespace version
 * `ver`; then its JSON in *text, *len. */
static bool current(const char *ver, size_t nv, const char *val, size_t len,
                    const char **text, size_t *tlen) {
  if (!ver || !val || len <= nv || memcmp(val, ver, nv) != 0 || val[nv] != '\n')
    return false;
  *text = val + nv + 1;
  *tlen = len - nv - 1;
  return true;
}

/* new_stamp: create the first version of namespace ns; NULL when the cache
 * is down. */
static char *new_stamp(struct kv *k, struct arena *a, const char *ns) {
  char *full;
  if (!ns || kv_ns_key(k, a, ns, "json", &full)) return NULL;
  size_t skip = strlen(ns) + 1;
  return arena_strndup(a, full + skip, strlen(full) - skip - 5);
}

/* The JSON of "<kind>:<id>" is stored under the plain key
 * "<kind>:<id>:json" as "<namespace version>\n<json>", and is valid while
 * that version is the namespace's current one. Reading the version (kv.c
 * keeps it at "ns:<namespace>") and the entry with one kv_mget makes a hit
 * one round trip instead of the two of kv_ns_key + kv_get; every writer
 * still invalidates with kv_ns_bump alone. */
static void cache_get(struct kv *k, struct arena *a, const char *kind,
                      long long id, const char **text, size_t *len,
                      char **stamp) {
  char ns[64], nskey[80], key[80];
  char *vals[2];
  size_t lens[2];
  *text = NULL;
  *stamp = NULL;
  if (!k) return;
  snprintf(ns, sizeof ns, "%s:%lld", kind, id);
  snprintf(nskey, sizeof nskey, "ns:%s", ns);
  snprintf(key, sizeof key, "%s:json", ns);
  const char *const keys[] = {nskey, key};
  if (kv_mget(k, a, keys, 2, vals, lens)) return; /* down: MariaDB only */
  if (current(vals[0], lens[0], vals[1], lens[1], text, len)) return;
  *stamp = vals[0] ? vals[0] : new_stamp(k, a, ns);
}

/* cache_put: store the JSON read under the namespace version of `stamp`
 * (read before MariaDB was, so a write in between leaves it unreachable);
 * no stamp: the cache was down, nothing is stored. */
static void cache_put(struct kv *k, struct arena *a, const char *kind,
                      long long id, const char *stamp, const char *text,
                      size_t len) {
  char key[80];
  if (!k || !stamp) return;
  snprintf(key, sizeof key, "%s:%lld:json", kind, id);
  size_t sl = strlen(stamp);
  char *val = arena_alloc(a, sl + 1 + len);
  if (!val) return;
  memcpy(val, stamp, sl);
  val[sl] = '\n';
  memcpy(val + sl + 1, text, len);
  kv_set_quiet(k, key, val, sl + 1 + len, CAT_TTL);
}

/* cache_mget: cache_get of n objects in one round trip; stamps[i] is
 * the namespace version of each miss (NULL when it has none yet). False
 * when the cache is unreachable. */
static bool cache_mget(struct kv *k, struct arena *a, const char *kind,
                       const long long *ids, int n, const char **texts,
                       size_t *lens, char **stamps) {
  for (int i = 0; i < n; i++)
    texts[i] = stamps[i] = NULL;
  if (!k || n <= 0) return false;
  const char **keys = arena_alloc(a, sizeof *keys * 2 * (size_t)n);
  char **vals = arena_alloc(a, sizeof *vals * 2 * (size_t)n);
  size_t *vl = arena_alloc(a, sizeof *vl * 2 * (size_t)n);
  if (!keys || !vals || !vl) return false;
  for (int i = 0; i < n; i++) {
    keys[2 * i] = arena_printf(a, "ns:%s:%lld", kind, ids[i]);
    keys[2 * i + 1] = arena_printf(a, "%s:%lld:json", kind, ids[i]);
    if (!keys[2 * i] || !keys[2 * i + 1]) return false;
  }
  if (kv_mget(k, a, keys, 2 * n, vals, vl)) return false;
  for (int i = 0; i < n; i++) {
    if (!current(vals[2 * i], vl[2 * i], vals[2 * i + 1], vl[2 * i + 1],
                 &texts[i], &lens[i])) {
      texts[i] = NULL;
      stamps[i] = vals[2 * i];
    }
  }
  return true;
}

/* batch_params: the parameters of a by_ids statement (ids as they are),
 * every text NULL. */
static void batch_params(const long long ids[CAT_BATCH], struct db_val *params,
                         const char **texts) {
  for (int i = 0; i < CAT_BATCH; i++) {
    params[i] = DB_I(ids[i]);
    texts[i] = NULL;
  }
}

/* batch_found: give the JSON read for object id to the slots naming it. */
static void batch_found(const long long ids[CAT_BATCH], long long id,
                        const char *text, size_t len, const char **texts,
                        size_t *lens) {
  for (int i = 0; i < CAT_BATCH; i++)
    if (ids[i] == id) {
      texts[i] = text;
      lens[i] = len;
    }
}

/* read_batch: the API JSON of the objects ids[0..CAT_BATCH) (0: an unused
 * slot) in texts[i], NULL for one that does not exist, with one statement
 * (kind->by_ids). */
static int read_batch(struct db *d, struct arena *a,
                      const struct cat_kind *kind,
                      const long long ids[CAT_BATCH], const char **texts,
                      size_t *lens) {
  struct db_val p[CAT_BATCH];
  struct db_res res;
  batch_params(ids, p, texts);
  int rc = db_exec(d, a, kind->by_ids, p, CAT_BATCH, DB_IDEMPOTENT, &res);
  for (int r = 0; !rc && r < res.nrows; r++) {
    long long id;
    size_t len;
    json_object *o = kind->row_json(a, &res.rows[r], NULL, &id);
    const char *text = jx_text(a, jx_own(a, o), &len);
    if (!text) return RC_NOMEM;
    batch_found(ids, id, text, len, texts, lens);
  }
  return rc;
}

int cat_texts(struct db *d, struct kv *k, struct arena *a,
              const struct cat_kind *kind, const long long *ids, int n,
              const char **texts, size_t *lens) {
  char **stamps = arena_alloc(a, sizeof *stamps * (size_t)(n + 1));
  int *miss = arena_alloc(a, sizeof *miss * (size_t)(n + 1));
  const char **fresh = arena_alloc(a, sizeof *fresh * (size_t)(n + 1));
  int *fi = arena_alloc(a, sizeof *fi * (size_t)(n + 1));
  char **vers = arena_alloc(a, sizeof *vers * (size_t)(n + 1));
  if (!stamps || !miss || !fresh || !fi || !vers) return RC_NOMEM;
  bool up = cache_mget(k, a, kind->name, ids, n, texts, lens, stamps);
  int nm = 0, nf = 0;
  for (int i = 0; i < n; i++) {
    if (texts[i]) continue;
    miss[nm++] = i;
    if (!stamps[i] && up) {
      fresh[nf] = arena_printf(a, "%s:%lld", kind->name, ids[i]);
      if (!fresh[nf]) return RC_NOMEM;
      fi[nf++] = i;
    }
  }
  /* the versions are made before MariaDB is read, as cat_text does,
   * all in one write; without one an object is read but not stored */
  if (nf && kv_ns_renew(k, a, fresh, nf, vers) == 0)
    for (int j = 0; j < nf; j++)
      stamps[fi[j]] = vers[j];
  for (int base = 0; base < nm; base += CAT_BATCH) {
    long long batch[CAT_BATCH];
    const char *t[CAT_BATCH];
    size_t l[CAT_BATCH];
    int m = nm - base < CAT_BATCH ? nm - base : CAT_BATCH;
    for (int j = 0; j < CAT_BATCH; j++)
      batch[j] = j < m ? ids[miss[base + j]] : 0;
    int rc = read_batch(d, a, kind, batch, t, l);
    if (rc) return rc;
    for (int j = 0; j < m; j++) {
      int i = miss[base + j];
      texts[i] = t[j];
      lens[i] = l[j];
      if (t[j]) cache_put(k, a, kind->name, batch[j], stamps[i], t[j], l[j]);
    }
  }
  return 0;
}

int cat_text(struct db *d, struct kv *k, struct arena *a,
             const struct cat_kind *kind, long long id, const void *ctx,
             const char **text, size_t *len) {
  char *stamp;
  struct db_res res;
  struct db_val p = DB_I(id);
  cache_get(k, a, kind->name, id, text, len, &stamp);
  if (*text) return 0;
  int rc = db_exec(d, a, kind->by_id, &p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_NOT_FOUND;
  long long got;
  json_object *o = kind->row_json(a, &res.rows[0], ctx, &got);
  *text = jx_text(a, jx_own(a, o), len);
  if (!*text) return RC_NOMEM;
  cache_put(k, a, kind->name, id, stamp, *text, *len);
  return 0;
}

int cat_list(struct db *d, struct arena *a, const struct cat_kind *kind,
             long long genre_id, long long after, int limit,
             struct db_res *res) {
  if (genre_id) {
    struct db_val p[] = {DB_I(genre_id), DB_I(after), DB_I(limit)};
    return db_exec(d, a, kind->list_genre, p, 3, DB_IDEMPOTENT, res);
  }
  struct db_val p[] = {DB_I(after), DB_I(limit)};
  return db_exec(d, a, kind->list, p, 2, DB_IDEMPOTENT, res);
}

void cat_bump(struct kv *k, const char *kind, long long id) {
  char ns[64];
  if (!k) return;
  snprintf(ns, sizeof ns, "%s:%lld", kind, id);
  kv_ns_bump(k, ns);
}
