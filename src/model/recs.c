/* recs: recommendations served from the batch's model versions; see
 * recs.h.
 *
 * A response is built from sources, each a ranked list of (item, score,
 * reason) decoded from a recfmt blob or read from the catalogue: the user's
 * list, the neighbours of each item listened to since the run, the
 * popularity lists of favourite genres and the neighbours (or top tracks) of
 * favourite artists, and a popularity list that fills what the others leave
 * short. Every source's scores are scaled (enum scaling) and weighted (W_*
 * below), a candidate's score is the sum over the sources naming it,
 * and its reasons are the strongest fresh listen and the strongest other
 * cause. Then exclusions, the genre filter, deleted items, and with
 * diversity an MMR re-ranking over artists and genres. */
#include "model/recs.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/kv.h"
#include "core/rc.h"
#include "core/str.h"
#include "model/artist.h"
#include "model/catalogue.h"
#include "model/genre.h"
#include "model/recfmt.h"
#include "model/track.h"
#include "model/user.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* Weights. The user's list is scaled into [0.5, 1] (its worst entry still
 * outranks the filler); the newest fresh listen's closest neighbour gains
 * W_FRESH, more than the list's best entry, so one listen visibly changes
 * the answer; older fresh listens a little less each. Preferences stand in
 * for a list a new user lacks. */
#define W_FRESH 1.25
#define FRESH_DECAY 0.95
#define W_PREF_ARTIST 0.8
#define W_PREF_GENRE 0.6
#define W_POP 0.2
#define W_SIM_ARTIST 1.0 /* similar: the same artist's popular tracks */
#define W_SIM_GENRE 0.5  /* similar: the genre's popular items */

#define POP_TAKE 500   /* popularity entries considered */
#define PREF_MAX 10    /* favourite genres and artists considered, each */
#define ARTIST_TOP 10  /* tracks of each favourite artist */
#define SIM_TOP 50     /* tracks of the same artist for /similar fallback */
#define KNOWN_MAX 5000 /* recent listens read for the exclusions */
#define IN_WIDTH 16    /* ids per statement (IN16 placeholders) */
#define IN16 "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
#define POOL_FACTOR 3   /* with diversity, MMR picks from limit * 3 */
#define SOURCES_MAX 96  /* list, fresh listens, preferences, filler */
#define REASON_OWN (-1) /* a source whose entries carry their own reason */
#define SIM_TTL 60      /* seconds a /similar answer stays cached */

static const char *const type_names[] = {"track", "artist"};

/* ------------------------------------------------------------------------
 * Id maps: open addressing over ids (> 0), sized once. */

struct idmap {
  long long *keys;
  int *vals;
  unsigned mask;
};

static int map_init(struct arena *a, struct idmap *m, size_t want) {
  size_t cap = 16;
  while (cap < 2 * want + 1)
    cap <<= 1;
  m->keys = arena_alloc(a, sizeof *m->keys * cap);
  m->vals = arena_alloc(a, sizeof *m->vals * cap);
  if (!m->keys || !m->vals) return RC_NOMEM;
  memset(m->keys, 0, sizeof *m->keys * cap);
  m->mask = (unsigned)cap - 1;
  return 0;
}

/* map_slot: the value slot of key, or NULL when absent and !insert (a new
 * slot's value is -1). */
static int *map_slot(struct idmap *m, long long key, bool insert) {
  unsigned h =
      (unsigned)(((unsigned long long)key * 0x9E3779B97F4A7C15ULL) >> 32) &
      m->mask;
  while (m->keys[h]) {
    if (m->keys[h] == key) return &m->vals[h];
    h = (h + 1) & m->mask;
  }
  if (!insert) return NULL;
  m->keys[h] = key;
  m->vals[h] = -1;
  return &m->vals[h];
}

/* ------------------------------------------------------------------------
 * Sources. */

/* How a source's scores become comparable with the others'. */
enum scaling {
  SC_TOP,    /* the share of the best entry (similarities) */
  SC_RANK,   /* by rank, from 1 down to 0.5 (popularity: counts are too
              * skewed for shares to mean much) */
  SC_MINMAX, /* into [0.5, 1] between the worst and best entry (a user's
              * list, whatever the scale of the model that made it) */
  SC_RAW,    /* as stored (the similarities /similar shows) */
};

struct src {
  struct recfmt_entry *e;
  long n;
  double w;
  enum scaling sc;
  bool fresh; /* "because you listened to reason_id" */
  int reason; /* REASON_OWN or a RECFMT_R_* for every entry */
  long long reason_id;
  double lo, hi;
};

struct srcs {
  struct src s[SOURCES_MAX];
  int n;
};

static void src_add(struct srcs *ss, struct recfmt_entry *e, long n, double w,
                    enum scaling sc, int reason, long long reason_id) {
  if (n <= 0 || ss->n == SOURCES_MAX) return;
  struct src *s = &ss->s[ss->n++];
  memset(s, 0, sizeof *s);
  s->e = e;
  s->n = n;
  s->w = w;
  s->sc = sc;
  s->reason = reason;
  s->reason_id = reason_id;
}

/* decode: the entries of a blob of kind; *n -1 when it is corrupt. Scores
 * that are not finite count as 0. */
static struct recfmt_entry *decode(struct arena *a, const char *blob,
                                   size_t len, enum recfmt_kind kind, long *n) {
  *n = recfmt_count(blob, len, kind);
  if (*n <= 0) return NULL;
  struct recfmt_entry *e = arena_alloc(a, sizeof *e * (size_t)*n);
  if (!e) {
    *n = 0;
    return NULL;
  }
  for (long k = 0; k < *n; k++) {
    e[k] = recfmt_at(blob, (size_t)k);
    if (!isfinite(e[k].score)) e[k].score = 0;
  }
  return e;
}

/* row_blob: the entries of the blob in column col of res's first row; *n 0
 * without a row, -1 when the blob is corrupt. */
static struct recfmt_entry *row_blob(struct arena *a, const struct db_res *res,
                                     int col, enum recfmt_kind kind, long *n) {
  *n = 0;
  if (!res->nrows) return NULL;
  return decode(a, res->rows[0].v[col], res->rows[0].len[col], kind, n);
}

static struct srcs *srcs_new(struct arena *a) {
  struct srcs *ss = arena_alloc(a, sizeof *ss);
  if (ss) ss->n = 0;
  return ss;
}

/* rows_entries: rows (id, score) as entries without a reason. */
static struct recfmt_entry *rows_entries(struct arena *a,
                                         const struct db_res *res, long *n) {
  *n = 0;
  if (res->nrows == 0) return NULL;
  struct recfmt_entry *e = arena_alloc(a, sizeof *e * (size_t)res->nrows);
  if (!e) return NULL;
  for (int i = 0; i < res->nrows; i++) {
    e[i].item = (uint64_t)db_i64(&res->rows[i], 0, 0);
    e[i].score = (float)db_i64(&res->rows[i], 1, 0);
    e[i].reason_id = 0;
    e[i].reason = RECFMT_R_NONE;
  }
  *n = res->nrows;
  return e;
}

/* scale: the share of its source's best entry that entry k is worth. */
static double scale(const struct src *s, long k) {
  double v = s->e[k].score;
  switch (s->sc) {
  case SC_RAW:
    return v;
  case SC_MINMAX:
    return s->hi > s->lo ? 0.5 + 0.5 * (v - s->lo) / (s->hi - s->lo) : 1.0;
  case SC_TOP:
    if (s->hi > 0 && v >= 0) return v / s->hi;
    break; /* no usable scores: by rank */
  case SC_RANK:
    break;
  }
  return 1.0 - 0.5 * (double)k / (double)s->n;
}

/* ------------------------------------------------------------------------
 * Candidates. */

struct cand {
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

/* merge: one candidate per item named by any source. */
static int merge(struct arena *a, struct srcs *ss, struct cand **out,
                 int *nout) {
  size_t total = 0;
  for (int i = 0; i < ss->n; i++)
    total += (size_t)ss->s[i].n;
  struct idmap m;
  struct cand *c = arena_alloc(a, sizeof *c * (total + 1));
  if (!c || map_init(a, &m, total)) return RC_NOMEM;
  int n = 0;
  for (int i = 0; i < ss->n; i++) {
    struct src *s = &ss->s[i];
    s->lo = s->hi = s->e[0].score;
    for (long k = 1; k < s->n; k++) {
      if (s->e[k].score < s->lo) s->lo = s->e[k].score;
      if (s->e[k].score > s->hi) s->hi = s->e[k].score;
    }
    for (long k = 0; k < s->n; k++) {
      const struct recfmt_entry *e = &s->e[k];
      if (e->item < 1 || e->item > 9007199254740992ULL) continue;
      int *slot = map_slot(&m, (long long)e->item, true);
      if (*slot < 0) {
        *slot = n;
        memset(&c[n], 0, sizeof c[n]);
        c[n++].item = (long long)e->item;
      }
      struct cand *x = &c[*slot];
      double v = s->w * scale(s, k);
      x->score += v;
      if (s->fresh) {
        if (v > x->fresh) {
          x->fresh = v;
          x->fresh_id = s->reason_id;
        }
      } else if (v > x->main || !x->main_reason) {
        x->main = v;
        x->main_reason = s->reason == REASON_OWN ? e->reason : s->reason;
        x->main_id =
            s->reason == REASON_OWN ? (long long)e->reason_id : s->reason_id;
      }
    }
  }
  *out = c;
  *nout = n;
  return 0;
}

static int cmp_cand(const void *x, const void *y) {
  const struct cand *p = x, *q = y;
  if (p->score != q->score) return p->score > q->score ? -1 : 1;
  return p->item < q->item ? -1 : p->item > q->item;
}

/* ------------------------------------------------------------------------
 * Reading the model. */

struct serving {
  long long version; /* 0: none */
  const char *until; /* data_until as "YYYY-MM-DD HH:MM:SS.ffffff" */
};

/* serving_read: the serving version from `cached` (the text of
 * RECS_SERVING_KEY, "<version> <data_until>" or "0") when it reads well,
 * else from MariaDB, then cached for RECS_SERVING_TTL seconds. */
static int serving_read(struct db *d, struct kv *k, struct arena *a,
                        const char *cached, struct serving *sv) {
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

/* read_pop: the popularity list of genre_id (0: overall) for type, from the
 * serving version, else (none, absent or corrupt) from the catalogue's
 * popularity columns. */
static int read_pop(struct db *d, struct arena *a, long long version,
                    enum recs_type t, long long genre_id,
                    struct recfmt_entry **e, long *n) {
  struct db_res res;
  int rc;
  *e = NULL;
  *n = 0;
  if (version) {
    struct db_val p[] = {DB_I(version), DB_S(type_names[t]), DB_I(genre_id)};
    rc = db_exec(d, a,
                 "SELECT items FROM rec_popular WHERE version = ? AND "
                 "item_type = ? AND genre_id = ?",
                 p, 3, DB_IDEMPOTENT, &res);
    if (rc) return rc;
    *e = row_blob(a, &res, 0, RECFMT_POP, n);
    if (*n > POP_TAKE) *n = POP_TAKE;
    /* an empty list: the model knows nothing popular there */
    if (*n >= 0 && res.nrows) return 0;
  }
  struct db_val g = DB_I(genre_id);
  if (t == RECS_TRACK && !genre_id)
    rc = db_exec(d, a,
                 "SELECT id, popularity FROM tracks "
                 "ORDER BY popularity DESC, id DESC LIMIT " STR(POP_TAKE),
                 NULL, 0, DB_IDEMPOTENT, &res);
  else if (t == RECS_TRACK)
    rc = db_exec(d, a,
                 "SELECT t.id, t.popularity FROM tracks t WHERE EXISTS "
                 "(SELECT 1 FROM track_genres g WHERE g.track_id = t.id AND "
                 "g.genre_id = ?) ORDER BY t.popularity DESC, t.id DESC "
                 "LIMIT " STR(POP_TAKE),
                 &g, 1, DB_IDEMPOTENT, &res);
  else if (!genre_id)
    rc = db_exec(d, a,
                 "SELECT id, popularity FROM artists "
                 "ORDER BY popularity DESC, id DESC LIMIT " STR(POP_TAKE),
                 NULL, 0, DB_IDEMPOTENT, &res);
  else
    rc = db_exec(d, a,
                 "SELECT a.id, a.popularity FROM artists a WHERE EXISTS "
                 "(SELECT 1 FROM artist_genres g WHERE g.artist_id = a.id AND "
                 "g.genre_id = ?) ORDER BY a.popularity DESC, a.id DESC "
                 "LIMIT " STR(POP_TAKE),
                 &g, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  *e = rows_entries(a, &res, n);
  return 0;
}

/* add_neighbours: a source per item of ids[0..n) with neighbours in the
 * version, weighted w * decay^rank, its reason (reason, ids[i]). */
static int add_neighbours(struct db *d, struct arena *a, long long version,
                          enum recs_type t, const long long *ids, int n,
                          double w, double decay, bool fresh, int reason,
                          struct srcs *ss) {
  for (int base = 0; base < n; base += IN_WIDTH) {
    struct db_val p[2 + IN_WIDTH];
    p[0] = DB_I(version);
    p[1] = DB_S(type_names[t]);
    for (int j = 0; j < IN_WIDTH; j++)
      p[2 + j] = DB_I(base + j < n ? ids[base + j] : 0);
    struct db_res res;
    int rc = db_exec(d, a,
                     "SELECT item_id, items FROM rec_neighbours WHERE "
                     "version = ? AND item_type = ? AND item_id IN " IN16,
                     p, 2 + IN_WIDTH, DB_IDEMPOTENT, &res);
    if (rc) return rc;
    for (int j = base; j < n && j < base + IN_WIDTH; j++) {
      for (int r = 0; r < res.nrows; r++) {
        if (db_i64(&res.rows[r], 0, 0) != ids[j]) continue;
        long cnt;
        struct recfmt_entry *e =
            decode(a, res.rows[r].v[1], res.rows[r].len[1], RECFMT_NEIGH, &cnt);
        src_add(ss, e, cnt, w * pow(decay, j), SC_TOP, reason, ids[j]);
        if (cnt > 0) ss->s[ss->n - 1].fresh = fresh;
      }
    }
  }
  return 0;
}

/* fresh_items: the distinct items (tracks, or their primary artists) of the
 * user's listens after `until`, newest first. */
static int fresh_items(struct db *d, struct arena *a, long long user,
                       enum recs_type t, const char *until, long long *ids,
                       int *n) {
  struct db_val p[] = {DB_I(user), DB_S(until)};
  struct db_res res;
  int rc;
  *n = 0;
  if (t == RECS_TRACK)
    rc = db_exec(d, a,
                 "SELECT l.track_id FROM listens l WHERE l.user_id = ? AND "
                 "l.listened_at > ? AND (l.ms_played IS NULL OR l.ms_played "
                 ">= " STR(RECS_FRESH_MIN_MS) ") ORDER BY l.listened_at DESC "
                                              "LIMIT " STR(RECS_FRESH_MAX),
                 p, 2, DB_IDEMPOTENT, &res);
  else
    rc = db_exec(d, a,
                 "SELECT (SELECT ta.artist_id FROM track_artists ta WHERE "
                 "ta.track_id = l.track_id ORDER BY ta.role = 'primary' DESC, "
                 "ta.position LIMIT 1) FROM listens l WHERE l.user_id = ? AND "
                 "l.listened_at > ? AND (l.ms_played IS NULL OR l.ms_played "
                 ">= " STR(RECS_FRESH_MIN_MS) ") ORDER BY l.listened_at DESC "
                                              "LIMIT " STR(RECS_FRESH_MAX),
                 p, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  for (int i = 0; i < res.nrows; i++) {
    long long id = db_i64(&res.rows[i], 0, 0);
    bool seen = id <= 0;
    for (int j = 0; j < *n && !seen; j++)
      seen = ids[j] == id;
    if (!seen) ids[(*n)++] = id;
  }
  return 0;
}

/* artist_top: the most popular tracks whose primary artist is `artist`. */
static int artist_top(struct db *d, struct arena *a, long long artist,
                      int limit, struct recfmt_entry **e, long *n) {
  struct db_val p[] = {DB_I(artist), DB_I(limit)};
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT ta.track_id, t.popularity FROM track_artists ta "
                   "JOIN tracks t ON t.id = ta.track_id WHERE ta.artist_id = ? "
                   "AND ta.role = 'primary' ORDER BY t.popularity DESC, t.id "
                   "DESC LIMIT ?",
                   p, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  *e = rows_entries(a, &res, n);
  return 0;
}

/* add_preferences: sources from the user's favourite genres (their
 * popularity lists) and artists (their neighbours; for tracks, their own
 * most popular tracks). *any when one gave something. */
static int add_preferences(struct db *d, struct arena *a, long long version,
                           const struct recs_query *q, struct srcs *ss,
                           bool *any) {
  struct db_val u = DB_I(q->user_id);
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT favourite_genres, favourite_artists FROM "
                   "user_preferences WHERE user_id = ?",
                   &u, 1, DB_IDEMPOTENT, &res);
  if (rc || res.nrows == 0) return rc;
  int before = ss->n;
  long long artists[PREF_MAX];
  int nartists = 0;
  for (int col = 0; col < 2; col++) {
    const char *s = db_s(&res.rows[0], col), *why;
    json_object *arr;
    if (!s || jx_parse(a, s, strlen(s), &arr, &why) ||
        !json_object_is_type(arr, json_type_array))
      continue;
    size_t len = json_object_array_length(arr);
    for (size_t i = 0; i < len && i < PREF_MAX; i++) {
      json_object *it = json_object_array_get_idx(arr, i);
      if (!json_object_is_type(it, json_type_string)) continue;
      struct db_val name = DB_S(json_object_get_string(it));
      struct db_res r;
      if (col == 0)
        rc = db_exec(d, a, "SELECT id FROM genres WHERE name = ?", &name, 1,
                     DB_IDEMPOTENT, &r);
      else
        rc = db_exec(d, a,
                     "SELECT id FROM artists WHERE name = ? "
                     "ORDER BY popularity DESC, id LIMIT 1",
                     &name, 1, DB_IDEMPOTENT, &r);
      if (rc) return rc;
      if (r.nrows == 0) continue;
      long long id = db_i64(&r.rows[0], 0, 0);
      if (col == 1) {
        artists[nartists++] = id;
        continue;
      }
      struct recfmt_entry *e;
      long n;
      if ((rc = read_pop(d, a, version, q->type, id, &e, &n))) return rc;
      src_add(ss, e, n, W_PREF_GENRE, SC_RANK, RECFMT_R_GENRE, id);
    }
  }
  if (q->type == RECS_ARTIST) {
    rc = add_neighbours(d, a, version, RECS_ARTIST, artists, nartists,
                        W_PREF_ARTIST, 1.0, false, RECFMT_R_ARTIST, ss);
    if (rc) return rc;
  } else {
    for (int i = 0; i < nartists; i++) {
      struct recfmt_entry *e;
      long n;
      if ((rc = artist_top(d, a, artists[i], ARTIST_TOP, &e, &n))) return rc;
      src_add(ss, e, n, W_PREF_ARTIST, SC_RANK, RECFMT_R_ARTIST, artists[i]);
    }
  }
  *any = ss->n > before;
  return 0;
}

/* read_excluded: dislikes, and unless !known the recent listens and liked
 * tracks, into ex; for tracks, *clean when the user's preferences refuse
 * explicit content (the row 0 of the statements says so), and the disliked
 * artists, whose tracks are refused too, under their negated id (rows < 0),
 * *artists telling whether there are any. */
static int read_excluded(struct db *d, struct arena *a,
                         const struct recs_query *q, struct idmap *ex,
                         bool *clean, bool *artists) {
  struct db_val p[] = {DB_I(q->user_id), DB_I(q->user_id), DB_I(q->user_id),
                       DB_I(q->user_id), DB_I(q->user_id)};
  struct db_res res;
  int rc;
  if (q->type == RECS_TRACK && q->exclude_known)
    rc = db_exec(d, a,
                 "SELECT object_id FROM dislikes WHERE user_id = ? AND "
                 "object_type = 'track' UNION ALL SELECT -object_id FROM "
                 "dislikes WHERE user_id = ? AND object_type = 'artist' "
                 "UNION ALL SELECT object_id FROM likes WHERE user_id = ? AND "
                 "object_type = 'track' UNION ALL SELECT 0 FROM "
                 "user_preferences WHERE user_id = ? AND explicit_content = 0 "
                 "UNION ALL (SELECT track_id FROM listens WHERE user_id = ? "
                 "AND listened_at >= UTC_TIMESTAMP(3) - INTERVAL " STR(
                     RECS_KNOWN_DAYS) " DAY ORDER BY listened_at DESC "
                                      "LIMIT " STR(KNOWN_MAX) ")",
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
                 "l.listened_at >= UTC_TIMESTAMP(3) - INTERVAL " STR(
                     RECS_KNOWN_DAYS) " DAY ORDER BY l.listened_at DESC "
                                      "LIMIT " STR(KNOWN_MAX) ")",
                 p, 2, DB_IDEMPOTENT, &res);
  else
    rc = db_exec(d, a,
                 "SELECT object_id FROM dislikes WHERE user_id = ? AND "
                 "object_type = 'artist'",
                 p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if ((rc = map_init(a, ex, (size_t)res.nrows))) return rc;
  *clean = *artists = false;
  for (int i = 0; i < res.nrows; i++) {
    long long id = db_i64(&res.rows[i], 0, 0);
    if (id)
      *map_slot(ex, id, true) = 1;
    else
      *clean = true;
    if (id < 0) *artists = true;
  }
  return 0;
}

/* ------------------------------------------------------------------------
 * Items' JSON and the answer. */

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
                     struct cand **x, int n, bool *found) {
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
        struct cand *c = x[j];
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

static bool has_genre(const struct cand *c, long long genre) {
  for (int i = 0; i < c->ngenres; i++)
    if (c->genres[i] == genre) return true;
  return false;
}

/* similarity: of two items for MMR: a shared artist (tracks) and the
 * Jaccard overlap of their genres. */
static double similarity(enum recs_type t, const struct cand *x,
                         const struct cand *y) {
  int common = 0;
  for (int i = 0; i < x->ngenres; i++)
    common += has_genre(y, x->genres[i]);
  int all = x->ngenres + y->ngenres - common;
  double jac = all ? (double)common / all : 0;
  if (t == RECS_ARTIST) return jac;
  return 0.5 * (x->artist && x->artist == y->artist) + 0.5 * jac;
}

/* mmr: reorder pool[0..n) so its first `limit` entries maximize
 * (1 - diversity) * score / best - diversity * max similarity to those
 * already chosen. */
static void mmr(struct arena *a, enum recs_type t, struct cand **pool, int n,
                int limit, double diversity) {
  double best = pool[0]->score > 0 ? pool[0]->score : 1;
  double *maxsim = arena_alloc(a, sizeof *maxsim * (size_t)n);
  if (!maxsim) return; /* keep score order */
  for (int i = 0; i < n; i++)
    maxsim[i] = 0;
  for (int k = 0; k < limit && k < n; k++) {
    int pick = k;
    double pv = -INFINITY;
    for (int i = k; i < n; i++) {
      double v =
          (1 - diversity) * pool[i]->score / best - diversity * maxsim[i];
      if (v > pv) {
        pv = v;
        pick = i;
      }
    }
    struct cand *c = pool[pick];
    double ms = maxsim[pick];
    pool[pick] = pool[k];
    maxsim[pick] = maxsim[k];
    pool[k] = c;
    maxsim[k] = ms;
    for (int i = k + 1; i < n; i++) {
      double s = similarity(t, pool[i], c);
      if (s > maxsim[i]) maxsim[i] = s;
    }
  }
}

/* The filters of a selection. */
struct pick {
  enum recs_type type;
  int limit;
  long long genre; /* the genre id to keep, or 0 */
  double diversity;
  struct idmap *excluded; /* or NULL */
  bool clean;             /* no explicit tracks */
  bool artists;           /* tracks of the artists in excluded (as -id) */
  long long skip;         /* an item never served (the seed of /similar) */
};

/* choose: the best candidates passing the filters whose items still exist,
 * their JSON read; *out (arena) gets up to limit of them in answer order.
 * With filters or diversity the candidates are judged on read_meta, and
 * only those served have their JSON read. */
static int choose(struct db *d, struct kv *k, struct arena *a,
                  const struct pick *pk, struct cand *c, int n,
                  struct cand ***out, int *nout) {
  bool need_meta = pk->genre || pk->diversity > 0 || pk->clean || pk->artists;
  int want = pk->diversity > 0 ? pk->limit * POOL_FACTOR : pk->limit;
  int cap = want * 2 + 8; /* candidates looked at per round */
  struct cand **pool = arena_alloc(a, sizeof *pool * (size_t)(want + 1));
  struct cand **look = arena_alloc(a, sizeof *look * (size_t)cap);
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
          (pk->excluded && map_slot(pk->excluded, c[i].item, false)))
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
      struct cand *x = look[j];
      if (!need_meta) {
        x->text = texts[j];
        x->len = lens[j];
      }
      if (need_meta ? !found[j] : !x->text) continue; /* deleted */
      if ((pk->genre && !has_genre(x, pk->genre)) ||
          (pk->clean && x->explicit_) ||
          (pk->artists && x->artist &&
           map_slot(pk->excluded, -x->artist, false)))
        continue;
      pool[have++] = x;
    }
  }
  if (pk->diversity > 0 && have > 1)
    mmr(a, pk->type, pool, have, pk->limit, pk->diversity);
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

/* A thing a reason names, and its name once resolved. */
struct ref {
  char kind; /* 't' track, 'a' artist, 'g' genre, 'u' user */
  long long id;
  const char *name;
};

struct refs {
  struct ref *r;
  int n;
};

static void ref_add(struct refs *rs, char kind, long long id) {
  if (id <= 0) return;
  for (int i = 0; i < rs->n; i++)
    if (rs->r[i].kind == kind && rs->r[i].id == id) return;
  rs->r[rs->n++] = (struct ref){kind, id, NULL};
}

static const char *ref_name(const struct refs *rs, char kind, long long id) {
  for (int i = 0; i < rs->n; i++)
    if (rs->r[i].kind == kind && rs->r[i].id == id) return rs->r[i].name;
  return NULL;
}

/* item_kind: the ref kind of the items of type t ("listened to" names one). */
static char item_kind(enum recs_type t) {
  return t == RECS_TRACK ? 't' : 'a';
}

static char reason_kind(enum recs_type t, int reason) {
  switch (reason) {
  case RECFMT_R_ITEM:
    return item_kind(t);
  case RECFMT_R_ARTIST:
    return 'a';
  case RECFMT_R_GENRE:
  case RECFMT_R_POPULAR:
    return 'g';
  case RECFMT_R_SOCIAL:
    return 'u';
  default:
    return 0;
  }
}

/* resolve_names: the names of the refs of kind 't' (track titles), 'a'
 * (artist names), 'g' (genre names) or 'u' (usernames), IN_WIDTH per
 * statement; a ref whose row is gone keeps a NULL name. */
static int resolve_names(struct db *d, struct arena *a, struct refs *rs,
                         char kind) {
  for (int i = 0; i < rs->n;) {
    struct db_val p[IN_WIDTH];
    struct db_res res;
    int m = 0, rc;
    for (; i < rs->n && m < IN_WIDTH; i++)
      if (rs->r[i].kind == kind) p[m++] = DB_I(rs->r[i].id);
    if (m == 0) break;
    for (int j = m; j < IN_WIDTH; j++)
      p[j] = DB_I(0);
    if (kind == 't')
      rc = db_exec(d, a, "SELECT id, title FROM tracks WHERE id IN " IN16, p,
                   IN_WIDTH, DB_IDEMPOTENT, &res);
    else if (kind == 'a')
      rc = db_exec(d, a, "SELECT id, name FROM artists WHERE id IN " IN16, p,
                   IN_WIDTH, DB_IDEMPOTENT, &res);
    else if (kind == 'g')
      rc = db_exec(d, a, "SELECT id, name FROM genres WHERE id IN " IN16, p,
                   IN_WIDTH, DB_IDEMPOTENT, &res);
    else
      rc = db_exec(d, a, "SELECT id, username FROM users WHERE id IN " IN16, p,
                   IN_WIDTH, DB_IDEMPOTENT, &res);
    if (rc) return rc;
    for (int r = 0; r < res.nrows; r++)
      for (int j = 0; j < rs->n; j++)
        if (rs->r[j].kind == kind && rs->r[j].id == db_i64(&res.rows[r], 0, 0))
          rs->r[j].name = db_s(&res.rows[r], 1);
  }
  return 0;
}

/* resolve_refs: the titles, names and usernames the reasons show. */
static int resolve_refs(struct db *d, struct arena *a, struct refs *rs) {
  static const char kinds[] = {'t', 'a', 'g', 'u'};
  for (int i = 0; i < 4; i++) {
    int rc = resolve_names(d, a, rs, kinds[i]);
    if (rc) return rc;
  }
  return 0;
}

/* reason_json: one reason object, or NULL when what it names is gone. */
static json_object *reason_json(enum recs_type t, const struct refs *rs,
                                int reason, long long id) {
  const char *name = ref_name(rs, reason_kind(t, reason), id);
  json_object *o, *x;
  switch (reason) {
  case RECFMT_R_ITEM:
  case RECFMT_R_ARTIST: {
    if (!name) return NULL;
    bool track = reason == RECFMT_R_ITEM && t == RECS_TRACK;
    o = json_object_new_object();
    jx_add_str(o, "type", reason == RECFMT_R_ITEM ? "listened" : "artist");
    x = json_object_new_object();
    jx_add_int(x, "id", id);
    jx_add_str(x, track ? "title" : "name", name);
    json_object_object_add(o, track ? "track" : "artist", x);
    return o;
  }
  case RECFMT_R_GENRE:
    if (!name) return NULL;
    o = json_object_new_object();
    jx_add_str(o, "type", "genre");
    jx_add_str(o, "genre", name);
    return o;
  case RECFMT_R_SOCIAL:
    if (!name) return NULL;
    o = json_object_new_object();
    jx_add_str(o, "type", "followed");
    x = json_object_new_object();
    jx_add_str(x, "username", name);
    json_object_object_add(o, "user", x);
    return o;
  case RECFMT_R_POPULAR:
    o = json_object_new_object();
    jx_add_str(o, "type", "popular");
    if (name) jx_add_str(o, "genre", name);
    return o;
  default:
    return NULL;
  }
}

/* The model part of an answer. */
struct model_info {
  struct serving sv;
  const char *fallback, *why; /* NULL: served from the model */
  int fresh;                  /* fresh listens blended; -1: not shown */
};

static json_object *model_json(struct arena *a, const struct model_info *mi) {
  json_object *o = json_object_new_object();
  if (mi->sv.version) {
    jx_add_int(o, "version", mi->sv.version);
    jx_add_str(
        o, "data_until",
        arena_printf(a, "%.10sT%.12sZ", mi->sv.until, mi->sv.until + 11));
  } else {
    json_object_object_add(o, "version", NULL);
    json_object_object_add(o, "data_until", NULL);
  }
  jx_add_str(o, "fallback", mi->fallback);
  jx_add_str(o, "reason", mi->why);
  if (mi->fresh >= 0) jx_add_int(o, "fresh_listens", mi->fresh);
  return o;
}

/* answer: {items, model} for the chosen candidates. */
static int answer(struct db *d, struct arena *a, enum recs_type t,
                  struct cand **sel, int n, const struct model_info *mi,
                  const char **text, size_t *len) {
  struct refs rs = {arena_alloc(a, sizeof *rs.r * (size_t)(2 * n + 1)), 0};
  if (!rs.r) return RC_NOMEM;
  for (int i = 0; i < n; i++) {
    if (sel[i]->fresh > 0) ref_add(&rs, item_kind(t), sel[i]->fresh_id);
    char kind = reason_kind(t, sel[i]->main_reason);
    if (kind) ref_add(&rs, kind, sel[i]->main_id);
  }
  int rc = resolve_refs(d, a, &rs);
  if (rc) return rc;
  struct sbuf b;
  sbuf_init(&b, a);
  sbuf_adds(&b, "{\"items\":[");
  for (int i = 0; i < n; i++) {
    const struct cand *c = sel[i];
    json_object *reasons = jx_own(a, json_object_new_array());
    json_object *fr =
        c->fresh > 0 ? reason_json(t, &rs, RECFMT_R_ITEM, c->fresh_id) : NULL;
    json_object *mr = NULL;
    /* "popular" says nothing once a listen explains the item */
    if (!(fr && c->main_reason == RECFMT_R_POPULAR))
      mr = reason_json(t, &rs, c->main_reason, c->main_id);
    if (fr && mr && c->main > c->fresh) {
      json_object_array_add(reasons, mr);
      json_object_array_add(reasons, fr);
    } else {
      if (fr) json_object_array_add(reasons, fr);
      if (mr) json_object_array_add(reasons, mr);
    }
    size_t rl;
    const char *rt = jx_text(a, reasons, &rl);
    if (!rt) return RC_NOMEM;
    sbuf_printf(&b,
                "%s{\"type\":\"%s\",\"id\":%lld,\"score\":%.4f,"
                "\"reasons\":",
                i ? "," : "", type_names[t], c->item, c->score);
    sbuf_add(&b, rt, rl);
    sbuf_printf(&b, ",\"%s\":", type_names[t]);
    sbuf_add(&b, c->text, c->len);
    sbuf_addc(&b, '}');
  }
  size_t ml;
  const char *mt = jx_text(a, jx_own(a, model_json(a, mi)), &ml);
  if (!mt) return RC_NOMEM;
  sbuf_adds(&b, "],\"model\":");
  sbuf_add(&b, mt, ml);
  sbuf_addc(&b, '}');
  if (b.oom) return RC_NOMEM;
  *text = b.s;
  *len = b.len;
  return 0;
}

/* ------------------------------------------------------------------------
 * The two entry points. */

/* serving_and_ns: the serving version and the key under which namespace
 * `ns` caches `suffix` (NULL when the cache is down), in one round trip
 * when both are known to memcached. */
static int serving_and_ns(struct db *d, struct kv *k, struct arena *a,
                          const char *ns, struct serving *sv, char **nsver) {
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

static const char *cache_key(struct kv *k, struct arena *a, const char *ns,
                             const char *nsver, const char *suffix) {
  char *key = NULL;
  if (!k) return NULL;
  if (nsver) return arena_printf(a, "%s:%s:%s", ns, nsver, suffix);
  return kv_ns_key(k, a, ns, suffix, &key) ? NULL : key;
}

int recs_for_user(struct db *d, struct kv *k, struct arena *a,
                  const struct recs_query *q, const char **text, size_t *len) {
  char ns[32], *nsver, *cached;
  struct model_info mi = {.fresh = 0};
  user_recs_ns(ns, sizeof ns, q->user_id);
  int rc = serving_and_ns(d, k, a, ns, &mi.sv, &nsver);
  if (rc) return rc;
  const char *suffix = arena_printf(
      a, "%lld:%s:%d:%d:%.6g:%s", mi.sv.version, type_names[q->type], q->limit,
      q->exclude_known, q->diversity, q->genre ? q->genre : "");
  const char *key = suffix ? cache_key(k, a, ns, nsver, suffix) : NULL;
  if (key && kv_get(k, a, key, &cached, len) == 0) {
    *text = cached;
    return 0;
  }

  struct pick pk = {
      .type = q->type, .limit = q->limit, .diversity = q->diversity};
  long long genre_id = 0;
  if (q->genre) {
    struct db_val g = DB_S(q->genre);
    struct db_res res;
    if ((rc = db_exec(d, a, "SELECT id, name FROM genres WHERE name = ?", &g, 1,
                      DB_IDEMPOTENT, &res)))
      return rc;
    if (res.nrows == 0) { /* no such genre: nothing is of it */
      struct cand *none = NULL;
      return answer(d, a, q->type, &none, 0, &mi, text, len);
    }
    genre_id = pk.genre = db_i64(&res.rows[0], 0, 0);
  }

  struct srcs *ss = srcs_new(a);
  if (!ss) return RC_NOMEM;
  long long v = mi.sv.version;
  if (!v) {
    mi.fallback = "popularity";
    mi.why = "no_model";
  } else {
    struct db_val p[] = {DB_I(v), DB_I(q->user_id), DB_S(type_names[q->type])};
    struct db_res res;
    rc = db_exec(d, a,
                 "SELECT items FROM rec_user_lists WHERE version = ? AND "
                 "user_id = ? AND item_type = ?",
                 p, 3, DB_IDEMPOTENT, &res);
    if (rc) return rc;
    long n;
    struct recfmt_entry *e = row_blob(a, &res, 0, RECFMT_LIST, &n);
    src_add(ss, e, n, 1.0, SC_MINMAX, REASON_OWN, 0);
    long long fresh[RECS_FRESH_MAX];
    int nfresh;
    if ((rc = fresh_items(d, a, q->user_id, q->type, mi.sv.until, fresh,
                          &nfresh)) ||
        (rc = add_neighbours(d, a, v, q->type, fresh, nfresh, W_FRESH,
                             FRESH_DECAY, true, RECFMT_R_ITEM, ss)))
      return rc;
    mi.fresh = nfresh;
    bool prefs = false;
    if (n < 0) {
      mi.fallback = "popularity";
      mi.why = "corrupt_model";
    } else if (!res.nrows) {
      if ((rc = add_preferences(d, a, v, q, ss, &prefs))) return rc;
      mi.fallback = prefs || ss->n ? "cold_start" : "popularity";
      mi.why = "no_history";
    }
  }
  struct recfmt_entry *pop;
  long npop;
  if ((rc = read_pop(d, a, v, q->type, genre_id, &pop, &npop))) return rc;
  src_add(ss, pop, npop, W_POP, SC_RANK, RECFMT_R_POPULAR, genre_id);

  struct idmap ex;
  struct cand *c, **sel;
  int n, nsel;
  if ((rc = read_excluded(d, a, q, &ex, &pk.clean, &pk.artists)) ||
      (rc = merge(a, ss, &c, &n)))
    return rc;
  pk.excluded = &ex;
  if ((rc = choose(d, k, a, &pk, c, n, &sel, &nsel)) ||
      (rc = answer(d, a, q->type, sel, nsel, &mi, text, len)))
    return rc;
  if (key) kv_set(k, key, *text, *len, RECS_TTL);
  return 0;
}

/* similar_fallback: the same artist's popular tracks (tracks) and the most
 * popular items of the item's main genre. */
static int similar_fallback(struct db *d, struct arena *a, long long version,
                            enum recs_type t, long long artist, long long genre,
                            struct srcs *ss) {
  struct recfmt_entry *e;
  long n;
  int rc;
  if (t == RECS_TRACK && artist) {
    if ((rc = artist_top(d, a, artist, SIM_TOP, &e, &n))) return rc;
    src_add(ss, e, n, W_SIM_ARTIST, SC_RANK, RECFMT_R_ARTIST, artist);
  }
  if (genre) {
    if ((rc = read_pop(d, a, version, t, genre, &e, &n))) return rc;
    src_add(ss, e, n, W_SIM_GENRE, SC_RANK, RECFMT_R_POPULAR, genre);
  }
  return 0;
}

int recs_similar(struct db *d, struct kv *k, struct arena *a,
                 enum recs_type type, long long id, int limit,
                 const char **text, size_t *len) {
  struct model_info mi = {.fresh = -1};
  char *nsver, *cached;
  int rc = serving_and_ns(d, k, a, "recs:similar", &mi.sv, &nsver);
  if (rc) return rc;
  const char *suffix = arena_printf(a, "%lld:%s:%lld:%d", mi.sv.version,
                                    type_names[type], id, limit);
  const char *key =
      suffix ? cache_key(k, a, "recs:similar", nsver, suffix) : NULL;
  if (key && kv_get(k, a, key, &cached, len) == 0) {
    *text = cached;
    return 0;
  }

  struct db_val p = DB_I(id);
  struct db_res res;
  if (type == RECS_TRACK)
    rc = db_exec(d, a,
                 "SELECT (SELECT ta.artist_id FROM track_artists ta WHERE "
                 "ta.track_id = t.id ORDER BY ta.role = 'primary' DESC, "
                 "ta.position LIMIT 1), (SELECT MIN(g.genre_id) FROM "
                 "track_genres g WHERE g.track_id = t.id) FROM tracks t "
                 "WHERE t.id = ?",
                 &p, 1, DB_IDEMPOTENT, &res);
  else
    rc = db_exec(d, a,
                 "SELECT 0, (SELECT g.genre_id FROM artist_genres g WHERE "
                 "g.artist_id = ar.id ORDER BY g.weight DESC, g.genre_id "
                 "LIMIT 1) FROM artists ar WHERE ar.id = ?",
                 &p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_NOT_FOUND;
  long long artist = db_i64(&res.rows[0], 0, 0),
            genre = db_i64(&res.rows[0], 1, 0);

  struct srcs *ss = srcs_new(a);
  if (!ss) return RC_NOMEM;
  if (mi.sv.version) {
    struct db_val q[] = {DB_I(mi.sv.version), DB_S(type_names[type]), DB_I(id)};
    rc = db_exec(d, a,
                 "SELECT items FROM rec_neighbours WHERE version = ? AND "
                 "item_type = ? AND item_id = ?",
                 q, 3, DB_IDEMPOTENT, &res);
    if (rc) return rc;
    long n;
    struct recfmt_entry *e = row_blob(a, &res, 0, RECFMT_NEIGH, &n);
    src_add(ss, e, n, 1.0, SC_RAW, REASON_OWN, 0);
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

  struct pick pk = {.type = type, .limit = limit, .skip = id};
  struct cand *c, **sel;
  int n, nsel;
  if ((rc = merge(a, ss, &c, &n)) ||
      (rc = choose(d, k, a, &pk, c, n, &sel, &nsel)) ||
      (rc = answer(d, a, type, sel, nsel, &mi, text, len)))
    return rc;
  if (key) kv_set(k, key, *text, *len, SIM_TTL);
  return 0;
}
