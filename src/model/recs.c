/* recs: recommendations served from the batch's model versions (see
 * recs.h; how the module's files divide the work: recs_internal.h). The
 * two entry points read in turn the cache, the sources, the exclusions,
 * then merge, choose and answer. */
#include "model/recs.h"

#include <stdbool.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/kv.h"
#include "core/rc.h"
#include "model/genre.h"
#include "model/recs_internal.h"
#include "model/user.h"

#define SIM_TOP 50 /* tracks of the same artist for /similar fallback */
#define SIM_TTL 60 /* seconds a /similar answer stays cached */

const char *const recs_type_names[] = {
    [RECS_TRACK] = "track", [RECS_ARTIST] = "artist"};

int recs_for_user(struct db *d, struct kv *k, struct arena *a,
                  const struct recs_query *q, const char **text, size_t *len) {
  char ns[32], *nsver, *cached;
  struct recs_model_info mi = {.fresh = 0};
  user_recs_ns(ns, sizeof ns, q->user_id);
  int rc = recs_serving_and_ns(d, k, a, ns, &mi.sv, &nsver);
  if (rc) return rc;
  const char *suffix = arena_printf(
      a, "%lld:%s:%d:%d:%.6g:%s", mi.sv.version, recs_type_names[q->type],
      q->limit, q->exclude_known, q->diversity, q->genre ? q->genre : "");
  const char *key = suffix ? recs_cache_key(k, a, ns, nsver, suffix) : NULL;
  if (key && kv_get(k, a, key, &cached, len) == 0) {
    *text = cached;
    return 0;
  }

  struct recs_pick pk = {
      .type = q->type, .limit = q->limit, .diversity = q->diversity};
  long long genre_id = 0;
  if (q->genre) {
    rc = genre_id_by_name(d, a, q->genre, &genre_id);
    if (rc == RC_NOT_FOUND) { /* no such genre: nothing is of it */
      struct recs_cand *none = NULL;
      return recs_answer(d, a, q->type, &none, 0, &mi, text, len);
    }
    if (rc) return rc;
    pk.genre = genre_id;
  }

  struct recs_srcs *ss = recs_srcs_new(a);
  if (!ss) return RC_NOMEM;
  long long v = mi.sv.version;
  if (!v) {
    mi.fallback = "popularity";
    mi.why = "no_model";
  } else {
    struct recfmt_entry *e;
    long n;
    bool listed;
    if ((rc = recs_read_list(d, a, v, q->user_id, q->type, &e, &n, &listed)))
      return rc;
    recs_src_add(ss, e, n, recs_weights.list, RECS_SCALE_MINMAX,
                 RECS_REASON_OWN, 0);
    long long fresh[RECS_FRESH_MAX];
    int nfresh;
    if ((rc = recs_fresh_items(d, a, q->user_id, q->type, mi.sv.until, fresh,
                               &nfresh)) ||
        (rc = recs_add_neighbours(d, a, v, q->type, fresh, nfresh,
                                  recs_weights.fresh, recs_weights.fresh_decay,
                                  true, RECFMT_R_ITEM, ss)))
      return rc;
    mi.fresh = nfresh;
    bool prefs = false;
    if (n < 0) {
      mi.fallback = "popularity";
      mi.why = "corrupt_model";
    } else if (!listed) {
      if ((rc = recs_add_preferences(d, a, v, q, ss, &prefs))) return rc;
      mi.fallback = prefs || ss->n ? "cold_start" : "popularity";
      mi.why = "no_history";
    }
  }
  struct recfmt_entry *pop;
  long npop;
  if ((rc = recs_read_pop(d, a, v, q->type, genre_id, &pop, &npop))) return rc;
  recs_src_add(ss, pop, npop, recs_weights.popular, RECS_SCALE_RANK,
               RECFMT_R_POPULAR, genre_id);

  struct recs_idmap ex;
  struct recs_cand *c, **sel;
  int n, nsel;
  if ((rc = recs_read_excluded(d, a, q, &ex, &pk.clean, &pk.artists)) ||
      (rc = recs_merge(a, ss, &c, &n)))
    return rc;
  pk.excluded = &ex;
  if ((rc = recs_choose(d, k, a, &pk, c, n, &sel, &nsel)) ||
      (rc = recs_answer(d, a, q->type, sel, nsel, &mi, text, len)))
    return rc;
  if (key) kv_set(k, key, *text, *len, RECS_TTL);
  return 0;
}

/* similar_fallback: the same artist's popular tracks (tracks) and the most
 * popular items of the item's main genre. */
static int similar_fallback(struct db *d, struct arena *a, long long version,
                            enum recs_type t, long long artist, long long genre,
                            struct recs_srcs *ss) {
  struct recfmt_entry *e;
  long n;
  int rc;
  if (t == RECS_TRACK && artist) {
    if ((rc = recs_artist_top(d, a, artist, SIM_TOP, &e, &n))) return rc;
    recs_src_add(ss, e, n, recs_weights.similar_artist, RECS_SCALE_RANK,
                 RECFMT_R_ARTIST, artist);
  }
  if (genre) {
    if ((rc = recs_read_pop(d, a, version, t, genre, &e, &n))) return rc;
    recs_src_add(ss, e, n, recs_weights.similar_genre, RECS_SCALE_RANK,
                 RECFMT_R_POPULAR, genre);
  }
  return 0;
}

int recs_similar(struct db *d, struct kv *k, struct arena *a,
                 enum recs_type type, long long id, int limit,
                 const char **text, size_t *len) {
  struct recs_model_info mi = {.fresh = -1};
  char *nsver, *cached;
  int rc = recs_serving_and_ns(d, k, a, "recs:similar", &mi.sv, &nsver);
  if (rc) return rc;
  const char *suffix = arena_printf(a, "%lld:%s:%lld:%d", mi.sv.version,
                                    recs_type_names[type], id, limit);
  const char *key =
      suffix ? recs_cache_key(k, a, "recs:similar", nsver, suffix) : NULL;
  if (key && kv_get(k, a, key, &cached, len) == 0) {
    *text = cached;
    return 0;
  }

  long long artist, genre;
  if ((rc = recs_read_seed(d, a, type, id, &artist, &genre))) return rc;

  struct recs_srcs *ss = recs_srcs_new(a);
  if (!ss) return RC_NOMEM;
  if (mi.sv.version) {
    struct recfmt_entry *e;
    long n;
    if ((rc = recs_read_neighbours(d, a, mi.sv.version, type, id, &e, &n)))
      return rc;
    recs_src_add(ss, e, n, recs_weights.similar, RECS_SCALE_RAW,
                 RECS_REASON_OWN, 0);
    if (n <= 0) {
      mi.fallback = "popularity";
      mi.why = n < 0 ? "corrupt_model" : "no_neighbours";
    }
  } else {
    mi.fallback = "popularity";
    mi.why = "no_model";
  }
  if (mi.fallback &&
      (rc = similar_fallback(d, a, mi.sv.version, type, artist, genre, ss)))
    return rc;

  struct recs_pick pk = {.type = type, .limit = limit, .skip = id};
  struct recs_cand *c, **sel;
  int n, nsel;
  if ((rc = recs_merge(a, ss, &c, &n)) ||
      (rc = recs_choose(d, k, a, &pk, c, n, &sel, &nsel)) ||
      (rc = recs_answer(d, a, type, sel, nsel, &mi, text, len)))
    return rc;
  if (key) kv_set(k, key, *text, *len, SIM_TTL);
  return 0;
}
