/* catalogue: shared pieces of the artist, album and track models. */
#include "model/catalogue.h"

#include <stdio.h>

#include "core/arena.h"
#include "core/jx.h"
#include "core/kv.h"

json_object *cat_ext_json(const struct cat_ext *e) {
  json_object *o = json_object_new_object();
  jx_add_str(o, "musicbrainz", e->mbid);
  jx_add_str(o, "spotify", e->spotify);
  jx_add_str(o, "apple_music", e->apple);
  return o;
}

void cat_cache_get(struct kv *k, struct arena *a, const char *kind,
                   long long id, const char **text, size_t *len, char **key) {
  char ns[64];
  char *val = NULL;
  *text = NULL;
  *key = NULL;
  if (!k) return;
  snprintf(ns, sizeof ns, "%s:%lld", kind, id);
  if (kv_ns_key(k, a, ns, "json", key)) {
    *key = NULL;
    return;
  }
  if (kv_get(k, a, *key, &val, len) == 0) *text = val;
}

void cat_bump(struct kv *k, const char *kind, long long id) {
  char ns[64];
  if (!k) return;
  snprintf(ns, sizeof ns, "%s:%lld", kind, id);
  kv_ns_bump(k, ns);
}
