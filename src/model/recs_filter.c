/* recs_filter: what is never served and the choice of what is: dislikes
 * always (a disliked artist's tracks too), unless asked otherwise the
 * recent listens and liked tracks, explicit tracks for users who refuse
 * them, other genres than a filter's, deleted items; candidates are judged
 * on light statements and only those served have their JSON read. */
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/rc.h"
#include "model/artist.h"
#include "model/catalogue.h"
#include "model/recs.h"
#include "model/recs_internal.h"
#include "model/track.h"

#define KNOWN_MAX 5000 /* recent listens read for the exclusions */
#define POOL_FACTOR 3  /* with diversity, MMR picks from limit * 3 */

int recs_read_excluded(struct db *d, struct arena *a,
                       const struct recs_query *q, struct recs_idmap *ex,
                       bool *clean, bool *artists) {
  struct db_val p[] = {DB_I(q->user_id), DB_I(q->user_id), DB_I(q->user_id),
                       DB_I(q->user_id), DB_I(q->user_id)};
  struct db_res res;
  int rc;
  if (q->type == RECS_TRACK && q->exclude_known)
    rc = db_exec(
        d, a,
        "SELECT object_id FROM dislikes WHERE user_id = ? AND "
        "object_type = 'track' UNION ALL SELECT -object_id FROM "
        "dislikes WHERE user_id = ? AND object_type = 'artist' "
        "UNION ALL SELECT object_id FROM likes WHERE user_id = ? AND "
        "object_type = 'track' UNION ALL SELECT 0 FROM "
        "user_preferences WHERE user_id = ? AND explicit_content = 0 "
        "UNION ALL (SELECT track_id FROM listens WHERE user_id = ? "
        "AND listened_at >= UTC_TIMESTAMP(3) - INTERVAL " RECS_STRINGIFY(
            RECS_KNOWN_DAYS) " DAY ORDER BY listened_at DESC "
                             "LIMIT " RECS_STRINGIFY(KNOWN_MAX) ")",
        p, 5, DB_IDEMPOTENT, &res);
  else if (q->type == RECS_TRACK)
    rc = db_exec(d, a,
                 "SELECT object_id FROM dislikes WHERE user_id = ? AND "
                 "object_type = 'track' UNION ALL SELECT 0 FROM "
                 "user_preferences WHERE user_id = ? AND explicit_content = 0 "
                 "UNION ALL SELECT -object_id FROM dislikes WHERE user_id = ? "
                 "AND object_type = 'artist'",
                 p, 3, DB_IDEMPOTENT, &res);
  else if (q->type == RECS_ARTIST && q->exclude_known)
    rc = db_exec(d, a,
                 "SELECT object_id FROM dislikes WHERE user_id = ? AND "
                 "object_type = 'artist' UNION ALL (SELECT ta.artist_id FROM "
                 "listens l JOIN track_artists ta ON ta.track_id = l.track_id "
                 "AND ta.role = 'primary' WHERE l.user_id = ? AND "
                 "l.listened_at >= UTC_TIMESTAMP(3) - INTERVAL " RECS_STRINGIFY(
                     RECS_KNOWN_DAYS) " DAY ORDER BY l.listened_at DESC "
                                      "LIMIT " RECS_STRINGIFY(KNOWN_MAX) ")",
                 p, 2, DB_IDEMPOTENT, &res);
  else
    rc = db_exec(d, a,
                 "SELECT object_id FROM dislikes WHERE user_id = ? AND "
                 "object_type = 'artist'",
                 p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if ((rc = recs_map_init(a, ex, (size_t)res.nrows))) return rc;
  *clean = *artists = false;
  for (int i = 0; i < res.nrows; i++) {
    long long id = db_i64(&res.rows[i], 0, 0);
    if (id)
      *recs_map_slot(ex, id, true) = 1;
    else
      *clean = true;
    if (id < 0) *artists = true;
  }
  return 0;
}

/* fetch_texts: the API JSON of n items of type t (texts[i] NULL for one that
 * no longer exists): one memcached round trip, MariaDB for the misses. */
static int fetch_texts(struct db *d, struct kv *k, struct arena *a,
                       enum recs_type t, const long long *ids, int n,
                       const char **texts, size_t *lens) {
  return t == RECS_TRACK ? track_texts(d, k, a, ids, n, texts, lens)
                         : artist_texts(d, k, a, ids, n, texts, lens);
}

/* read_meta: what the filters and MMR need of the candidates x[0..n):
 * existence (found[i]), the explicit flag, the artist (tracks: the first
 * primary one) and the genre ids, CAT_BATCH per light statement (no JSON:
 * an MMR pool is limit * POOL_FACTOR candidates, and a statement's fixed
 * cost is that of many rows). */
static int read_meta(struct db *d, struct arena *a, enum recs_type t,
                     struct recs_cand **x, int n, bool *found) {
  for (int base = 0; base < n; base += CAT_BATCH) {
    struct db_val p[CAT_BATCH];
    struct db_res res;
    int rc;
    for (int j = 0; j < CAT_BATCH; j++)
      p[j] = DB_I(base + j < n ? x[base + j]->item : 0);
    if (t == RECS_TRACK)
      rc = db_exec(d, a,
                   "SELECT t.id, t.explicit, (SELECT ta.artist_id FROM "
                   "track_artists ta WHERE ta.track_id = t.id ORDER BY "
                   "ta.role = 'primary' DESC, ta.position LIMIT 1), "
                   "(SELECT GROUP_CONCAT(g.genre_id) FROM track_genres g "
                   "WHERE g.track_id = t.id) FROM tracks t "
                   "WHERE t.id IN " CAT_IN,
                   p, CAT_BATCH, DB_IDEMPOTENT, &res);
    else
      rc = db_exec(d, a,
                   "SELECT ar.id, 0, 0, (SELECT GROUP_CONCAT(g.genre_id) FROM "
                   "artist_genres g WHERE g.artist_id = ar.id) FROM artists ar "
                   "WHERE ar.id IN " CAT_IN,
                   p, CAT_BATCH, DB_IDEMPOTENT, &res);
    if (rc) return rc;
    for (int j = base; j < n && j < base + CAT_BATCH; j++)
      found[j] = false;
    for (int r = 0; r < res.nrows; r++) {
      const struct db_row *row = &res.rows[r];
      for (int j = base; j < n && j < base + CAT_BATCH; j++) {
        struct recs_cand *c = x[j];
        if (c->item != db_i64(row, 0, 0)) continue;
        found[j] = true;
        c->explicit_ = db_i64(row, 1, 0) != 0;
        c->artist = db_i64(row, 2, 0);
        const char *g = db_s(row, 3);
        for (char *e; g && *g && c->ngenres < GENRE_PER_OBJECT; g = e + 1) {
          c->genres[c->ngenres++] = strtoll(g, &e, 10);
          if (*e != ',') break;
        }
      }
    }
  }
  return 0;
}

static int cmp_cand(const void *x, const void *y) {
  const struct recs_cand *p = x, *q = y;
  if (p->score != q->score) return p->score > q->score ? -1 : 1;
  return p->item < q->item ? -1 : p->item > q->item;
}

int recs_choose(struct db *d, struct kv *k, struct arena *a,
                const struct recs_pick *pk, struct recs_cand *c, int n,
                struct recs_cand ***out, int *nout) {
  bool need_meta = pk->genre || pk->diversity > 0 || pk->clean || pk->artists;
  int want = pk->diversity > 0 ? pk->limit * POOL_FACTOR : pk->limit;
  int cap = want * 2 + 8; /* candidates looked at per round */
  struct recs_cand **pool = arena_alloc(a, sizeof *pool * (size_t)(want + 1));
  struct recs_cand **look = arena_alloc(a, sizeof *look * (size_t)cap);
  long long *ids = arena_alloc(a, sizeof *ids * (size_t)cap);
  const char **texts = arena_alloc(a, sizeof *texts * (size_t)cap);
  size_t *lens = arena_alloc(a, sizeof *lens * (size_t)cap);
  bool *found = arena_alloc(a, sizeof *found * (size_t)cap);
  if (!pool || !look || !ids || !texts || !lens || !found) return RC_NOMEM;
  qsort(c, (size_t)n, sizeof *c, cmp_cand);
  int have = 0, i = 0, rc;
  while (have < want && i < n) {
    /* a genre filter drops many: look at twice what is missing; the light
     * statements of read_meta can afford a few more, whereas a JSON read
     * of an item nobody asked for before is the dearest step of all */
    int batch = (want - have) * (pk->genre ? 2 : 1) + (need_meta ? 8 : 0),
        m = 0;
    if (batch > cap) batch = cap;
    for (; i < n && m < batch; i++) {
      if (c[i].item == pk->skip ||
          (pk->excluded && recs_map_slot(pk->excluded, c[i].item, false)))
        continue;
      look[m] = &c[i];
      ids[m++] = c[i].item;
    }
    if (need_meta)
      rc = read_meta(d, a, pk->type, look, m, found);
    else
      rc = fetch_texts(d, k, a, pk->type, ids, m, texts, lens);
    if (rc) return rc;
    for (int j = 0; j < m && have < want; j++) {
      struct recs_cand *x = look[j];
      if (!need_meta) {
        x->text = texts[j];
        x->len = lens[j];
      }
      if (need_meta ? !found[j] : !x->text) continue; /* deleted */
      if ((pk->genre && !recs_has_genre(x, pk->genre)) ||
          (pk->clean && x->explicit_) ||
          (pk->artists && x->artist &&
           recs_map_slot(pk->excluded, -x->artist, false)))
        continue;
      pool[have++] = x;
    }
  }
  if (pk->diversity > 0 && have > 1)
    recs_mmr(a, pk->type, pool, have, pk->limit, pk->diversity);
  *out = pool;
  *nout = have < pk->limit ? have : pk->limit;
  if (!need_meta) return 0;
  for (int j = 0; j < *nout; j++)
    ids[j] = pool[j]->item;
  if ((rc = fetch_texts(d, k, a, pk->type, ids, *nout, texts, lens))) return rc;
  int kept = 0;
  for (int j = 0; j < *nout; j++) {
    if (!texts[j]) continue; /* deleted since read_meta */
    pool[j]->text = texts[j];
    pool[j]->len = lens[j];
    pool[kept++] = pool[j];
  }
  *nout = kept;
  return 0;
}
