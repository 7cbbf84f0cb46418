/* recs_internal: what the files of the recommendations' serving module
 * share, and nothing outside the module uses (its API is recs.h):
 *
 *   recs.c          the two entry points: an answer's sources, in order,
 *                   then its candidates, its choice and its cache
 *   recs_cache.c    the serving version (cached a few seconds) and the keys
 *                   the answers are cached under
 *   recs_read.c     the sources read from the serving version (a user's
 *                   list, neighbours, popularity) and from the catalogue
 *                   (fresh listens, preferences, an artist's top tracks)
 *   recs_blend.c    the weights of the sources, their scaling and merge
 *                   into one candidate per item, and the MMR re-ranking
 *   recs_filter.c   what is never served (dislikes, known items, explicit
 *                   tracks, other genres, deleted items): the choice of the
 *                   items served, their JSON read
 *   recs_reasons.c  the reasons' names and the answer's JSON
 *
 * A response is built from sources, each a ranked list of (item, score,
 * reason) decoded from a recfmt blob or read from the catalogue: the user's
 * list, the neighbours of each item listened to since the run, the
 * popularity lists of favourite genres and the neighbours (or top tracks) of
 * favourite artists, and a popularity list that fills what the others leave
 * short. Every source's scores are scaled (enum recs_scaling) and weighted
 * (struct recs_weights), a candidate's score is the sum over the sources
 * naming it, and its reasons are the strongest fresh listen and the
 * strongest other cause. Then exclusions, the genre filter, deleted items,
 * and with diversity an MMR re-ranking over artists and genres. */
#ifndef ENCORE_RECS_INTERNAL_H
#define ENCORE_RECS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/db.h"
#include "model/genre.h"
#include "model/recfmt.h"
#include "model/recs.h"

struct arena;
struct kv;

#define RECS_STRINGIFY_(x) #x
/* RECS_STRINGIFY: a numeric constant as a literal piece of SQL. */
#define RECS_STRINGIFY(x) RECS_STRINGIFY_(x)

#define RECS_IN_WIDTH 16 /* ids per statement (RECS_IN16 placeholders) */
#define RECS_IN16 "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
#define RECS_SOURCES_MAX 96 /* list, fresh listens, preferences, filler */
#define RECS_REASON_OWN                                                        \
  (-1) /* a source whose entries carry their own reason                        \
        */

/* The item_type column of the model's tables and the "type" of an item. */
extern const char *const recs_type_names[];

/* --- id maps (recs_blend.c) ---------------------------------------------- */

/* Open addressing over ids (> 0), sized once. */
struct recs_idmap {
  long long *keys;
  int *vals;
  unsigned mask;
};

/* recs_map_init: an empty map with room for `want` keys, in the arena. 0 or
 * RC_NOMEM. */
int recs_map_init(struct arena *a, struct recs_idmap *m, size_t want);
/* recs_map_slot: the value slot of key, or NULL when absent and !insert (a
 * new slot's value is -1). */
int *recs_map_slot(struct recs_idmap *m, long long key, bool insert);

/* --- sources (recs_blend.c, recs_read.c) --------------------------------- */

/* The weights of the sources an answer blends (recs_blend.c). */
struct recs_weights {
  double list;           /* the user's list in the serving version */
  double fresh;          /* the newest fresh listen's neighbours */
  double fresh_decay;    /* each older fresh listen: this times the newer */
  double pref_artist;    /* a favourite artist's neighbours or top tracks */
  double pref_genre;     /* a favourite genre's popularity list */
  double popular;        /* the popularity filler */
  double similar;        /* /similar: the item's neighbours (as stored) */
  double similar_artist; /* /similar: the same artist's popular tracks */
  double similar_genre;  /* /similar: the genre's popular items */
};
extern const struct recs_weights recs_weights;

/* How a source's scores become comparable with the others'. */
enum recs_scaling {
  RECS_SCALE_TOP,    /* the share of the best entry (similarities) */
  RECS_SCALE_RANK,   /* by rank, from 1 down to 0.5 (popularity: counts are
                      * too skewed for shares to mean much) */
  RECS_SCALE_MINMAX, /* into [0.5, 1] between the worst and best entry (a
                      * user's list, whatever the scale of the model that
                      * made it) */
  RECS_SCALE_RAW,    /* as stored (the similarities /similar shows) */
};

/* One ranked list of an answer. */
struct recs_src {
  struct recfmt_entry *e;
  long n;
  double w;
  enum recs_scaling sc;
  bool fresh; /* "because you listened to reason_id" */
  int reason; /* RECS_REASON_OWN or a RECFMT_R_* for every entry */
  long long reason_id;
  double lo, hi;
};

struct recs_srcs {
  struct recs_src s[RECS_SOURCES_MAX];
  int n;
};

/* recs_srcs_new: an empty set of sources in the arena, or NULL. */
struct recs_srcs *recs_srcs_new(struct arena *a);
/* recs_src_add: a source of the n entries e (nothing when n <= 0 or the set
 * is full), weighted w, scaled sc, every entry's reason `reason` with
 * reason_id (RECS_REASON_OWN: the entries' own). */
void recs_src_add(struct recs_srcs *ss, struct recfmt_entry *e, long n,
                  double w, enum recs_scaling sc, int reason,
                  long long reason_id);

/* --- candidates (recs_blend.c) ------------------------------------------- */

/* One item named by any source. */
struct recs_cand {
  long long item, artist;
  double score, main, fresh;
  long long main_id, fresh_id;
  int main_reason;
  bool explicit_;
  const char *text; /* the item's API JSON once read */
  size_t len;
  long long genres[GENRE_PER_OBJECT];
  int ngenres;
};

/* recs_merge: one candidate per item named by any source of ss, its score
 * the sum of the sources' weighted, scaled scores, its reasons the
 * strongest fresh listen and the strongest other source; *out in the arena.
 * 0 or RC_NOMEM. */
int recs_merge(struct arena *a, struct recs_srcs *ss, struct recs_cand **out,
               int *nout);
/* recs_has_genre: whether candidate c (its genres read) has genre. */
bool recs_has_genre(const struct recs_cand *c, long long genre);
/* recs_mmr: reorder pool[0..n) so its first `limit` entries maximize
 * (1 - diversity) * score / best - diversity * max similarity to those
 * already chosen (a shared artist, overlapping genres). */
void recs_mmr(struct arena *a, enum recs_type t, struct recs_cand **pool, int n,
              int limit, double diversity);

/* --- the serving version and the cache (recs_cache.c) -------------------- */

struct recs_serving {
  long long version; /* 0: none */
  const char *until; /* data_until as "YYYY-MM-DD HH:MM:SS.ffffff" */
};

/* recs_serving_and_ns: the serving version, and *nsver the version of
 * namespace `ns` (NULL when the cache is down or does not know it), in one
 * round trip when both are known to memcached. 0 or a db code. */
int recs_serving_and_ns(struct db *d, struct kv *k, struct arena *a,
                        const char *ns, struct recs_serving *sv, char **nsver);
/* recs_cache_key: the key under which namespace `ns` (at version nsver when
 * known) caches `suffix`; NULL without a cache. */
const char *recs_cache_key(struct kv *k, struct arena *a, const char *ns,
                           const char *nsver, const char *suffix);

/* --- reading the sources (recs_read.c) ----------------------------------- */

/* Each reader gives *e (arena) and *n entries, 0 for none, -1 for a blob
 * that fails recfmt_count; scores that are not finite count as 0. Each
 * returns 0 or a db code. */

/* recs_read_list: the user's list of items of type t in the version;
 * *listed when the version has one (possibly empty). */
int recs_read_list(struct db *d, struct arena *a, long long version,
                   long long user, enum recs_type t, struct recfmt_entry **e,
                   long *n, bool *listed);
/* recs_read_neighbours: the neighbours of item id in the version. */
int recs_read_neighbours(struct db *d, struct arena *a, long long version,
                         enum recs_type t, long long id,
                         struct recfmt_entry **e, long *n);
/* recs_read_pop: the popularity list of genre_id (0: overall) for type,
 * from the serving version, else (none, absent or corrupt) from the
 * catalogue's popularity columns. 0 or a db code. */
int recs_read_pop(struct db *d, struct arena *a, long long version,
                  enum recs_type t, long long genre_id, struct recfmt_entry **e,
                  long *n);
/* recs_add_neighbours: a source per item of ids[0..n) with neighbours in
 * the version, weighted w * decay^rank, its reason (reason, ids[i]); fresh
 * marks them as fresh listens' ("because you listened to"). 0 or a db
 * code. */
int recs_add_neighbours(struct db *d, struct arena *a, long long version,
                        enum recs_type t, const long long *ids, int n, double w,
                        double decay, bool fresh, int reason,
                        struct recs_srcs *ss);
/* recs_fresh_items: the distinct items (tracks, or their primary artists)
 * of the user's listens after `until`, newest first, at most RECS_FRESH_MAX
 * into ids. 0 or a db code. */
int recs_fresh_items(struct db *d, struct arena *a, long long user,
                     enum recs_type t, const char *until, long long *ids,
                     int *n);
/* recs_artist_top: the `limit` most popular tracks whose primary artist is
 * `artist`. 0 or a db code. */
int recs_artist_top(struct db *d, struct arena *a, long long artist, int limit,
                    struct recfmt_entry **e, long *n);
/* recs_read_seed: what /similar falls back on for item id: its primary
 * artist (tracks; 0 for artists) and its main genre (0: none). RC_NOT_FOUND
 * when the item does not exist, else 0 or a db code. */
int recs_read_seed(struct db *d, struct arena *a, enum recs_type t,
                   long long id, long long *artist, long long *genre);
/* recs_add_preferences: sources from the user's favourite genres (their
 * popularity lists) and artists (their neighbours; for tracks, their own
 * most popular tracks). *any when one gave something. 0 or a db code. */
int recs_add_preferences(struct db *d, struct arena *a, long long version,
                         const struct recs_query *q, struct recs_srcs *ss,
                         bool *any);

/* --- choosing what is served (recs_filter.c) ----------------------------- */

/* The filters of a selection. */
struct recs_pick {
  enum recs_type type;
  int limit;
  long long genre; /* the genre id to keep, or 0 */
  double diversity;
  struct recs_idmap *excluded; /* or NULL */
  bool clean;                  /* no explicit tracks */
  bool artists;                /* tracks of the artists in excluded (as -id) */
  long long skip;              /* an item never served (the seed of /similar) */
};

/* recs_read_excluded: dislikes, and unless !q->exclude_known the recent
 * listens and liked tracks, into ex; for tracks, *clean when the user's
 * preferences refuse explicit content, and the disliked artists, whose
 * tracks are refused too, under their negated id, *artists telling whether
 * there are any. 0 or a db code. */
int recs_read_excluded(struct db *d, struct arena *a,
                       const struct recs_query *q, struct recs_idmap *ex,
                       bool *clean, bool *artists);
/* recs_choose: the best candidates of c[0..n) passing pk's filters whose
 * items still exist, their JSON read; *out (arena) gets up to pk->limit of
 * them in answer order (c is sorted by score). 0, RC_NOMEM or a db code. */
int recs_choose(struct db *d, struct kv *k, struct arena *a,
                const struct recs_pick *pk, struct recs_cand *c, int n,
                struct recs_cand ***out, int *nout);

/* --- the answer (recs_reasons.c) ----------------------------------------- */

/* The model part of an answer. */
struct recs_model_info {
  struct recs_serving sv;
  const char *fallback, *why; /* NULL: served from the model */
  int fresh;                  /* fresh listens blended; -1: not shown */
};

/* recs_answer: the body {items, model} for the chosen candidates
 * sel[0..n), each with its reasons named, as JSON text in the arena. 0,
 * RC_NOMEM or a db code. */
int recs_answer(struct db *d, struct arena *a, enum recs_type t,
                struct recs_cand **sel, int n, const struct recs_model_info *mi,
                const char **text, size_t *len);

#endif
