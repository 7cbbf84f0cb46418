/* catalogue: shared pieces of the artist, album and track models. */
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
void cat_cache_get(struct kv *k, struct arena *a, const char *kind,
                   long long id, const char **text, size_t *len, char **stamp) {
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

/* cache_mget: cat_cache_get of n objects in one round trip; stamps[i] is
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

void cat_batch_params(const long long ids[CAT_BATCH], struct db_val *params,
                      const char **texts) {
  for (int i = 0; i < CAT_BATCH; i++) {
    params[i] = DB_I(ids[i]);
    texts[i] = NULL;
  }
}

void cat_batch_found(const long long ids[CAT_BATCH], long long id,
                     const char *text, size_t len, const char **texts,
                     size_t *lens) {
  for (int i = 0; i < CAT_BATCH; i++)
    if (ids[i] == id) {
      texts[i] = text;
      lens[i] = len;
    }
}

int cat_texts(struct db *d, struct kv *k, struct arena *a, const char *kind,
              cat_read_fn fetch, const long long *ids, int n,
              const char **texts, size_t *lens) {
  char **stamps = arena_alloc(a, sizeof *stamps * (size_t)(n + 1));
  int *miss = arena_alloc(a, sizeof *miss * (size_t)(n + 1));
  const char **fresh = arena_alloc(a, sizeof *fresh * (size_t)(n + 1));
  int *fi = arena_alloc(a, sizeof *fi * (size_t)(n + 1));
  char **vers = arena_alloc(a, sizeof *vers * (size_t)(n + 1));
  if (!stamps || !miss || !fresh || !fi || !vers) return RC_NOMEM;
  bool up = cache_mget(k, a, kind, ids, n, texts, lens, stamps);
  int nm = 0, nf = 0;
  for (int i = 0; i < n; i++) {
    if (texts[i]) continue;
    miss[nm++] = i;
    if (!stamps[i] && up) {
      fresh[nf] = arena_printf(a, "%s:%lld", kind, ids[i]);
      if (!fresh[nf]) return RC_NOMEM;
      fi[nf++] = i;
    }
  }
  /* the versions are made before MariaDB is read, as cat_cache_get does,
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
    int rc = fetch(d, a, batch, t, l);
    if (rc) return rc;
    for (int j = 0; j < m; j++) {
      int i = miss[base + j];
      texts[i] = t[j];
      lens[i] = l[j];
      if (t[j]) cat_cache_put(k, a, kind, batch[j], stamps[i], t[j], l[j]);
    }
  }
  return 0;
}

void cat_cache_put(struct kv *k, struct arena *a, const char *kind,
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

void cat_bump(struct kv *k, const char *kind, long long id) {
  char ns[64];
  if (!k) return;
  snprintf(ns, sizeof ns, "%s:%lld", kind, id);
  kv_ns_bump(k, ns);
}
