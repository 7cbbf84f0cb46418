/* recs_read: the sources of an answer as ranked entries: read from the
 * serving version (a user's list, an item's neighbours, a popularity list,
 * each a recfmt blob) or, where the model has nothing, from the catalogue
 * (its popularity columns, an artist's top tracks), and what a user did
 * since the version was built (fresh listens) or stated (preferences). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"
#include "model/genre.h"
#include "model/recs.h"
#include "model/recs_internal.h"

#define POP_TAKE 500  /* popularity entries considered */
#define PREF_MAX 10   /* favourite genres and artists considered, each */
#define ARTIST_TOP 10 /* tracks of each favourite artist */

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

/* read_blob: the entries of the blob of kind that `sql` selects with its
 * three parameters p (one row of a model table, its only column); *n 0
 * without a row, -1 when the blob is corrupt; *found when the row exists. */
static int read_blob(struct db *d, struct arena *a, const char *sql,
                     const struct db_val *p, enum recfmt_kind kind,
                     struct recfmt_entry **e, long *n, bool *found) {
  struct db_res res;
  int rc = db_exec(d, a, sql, p, 3, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  *n = 0;
  *e = res.nrows ? decode(a, res.rows[0].v[0], res.rows[0].len[0], kind, n)
                 : NULL;
  *found = res.nrows > 0;
  return 0;
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

int recs_read_list(struct db *d, struct arena *a, long long version,
                   long long user, enum recs_type t, struct recfmt_entry **e,
                   long *n, bool *listed) {
  struct db_val p[] = {DB_I(version), DB_I(user), DB_S(recs_type_names[t])};
  return read_blob(d, a,
                   "SELECT items FROM rec_user_lists WHERE version = ? AND "
                   "user_id = ? AND item_type = ?",
                   p, RECFMT_LIST, e, n, listed);
}

int recs_read_neighbours(struct db *d, struct arena *a, long long version,
                         enum recs_type t, long long id,
                         struct recfmt_entry **e, long *n) {
  struct db_val p[] = {DB_I(version), DB_S(recs_type_names[t]), DB_I(id)};
  bool found;
  return read_blob(d, a,
                   "SELECT items FROM rec_neighbours WHERE version = ? AND "
                   "item_type = ? AND item_id = ?",
                   p, RECFMT_NEIGH, e, n, &found);
}

int recs_read_pop(struct db *d, struct arena *a, long long version,
                  enum recs_type t, long long genre_id, struct recfmt_entry **e,
                  long *n) {
  struct db_res res;
  int rc;
  *e = NULL;
  *n = 0;
  if (version) {
    struct db_val p[] = {DB_I(version), DB_S(recs_type_names[t]),
                         DB_I(genre_id)};
    bool found;
    rc = read_blob(d, a,
                   "SELECT items FROM rec_popular WHERE version = ? AND "
                   "item_type = ? AND genre_id = ?",
                   p, RECFMT_POP, e, n, &found);
    if (rc) return rc;
    if (*n > POP_TAKE) *n = POP_TAKE;
    /* an empty list: the model knows nothing popular there */
    if (*n >= 0 && found) return 0;
  }
  struct db_val g = DB_I(genre_id);
  if (t == RECS_TRACK && !genre_id)
    rc = db_exec(
        d, a,
        "SELECT id, popularity FROM tracks "
        "ORDER BY popularity DESC, id DESC LIMIT " RECS_STRINGIFY(POP_TAKE),
        NULL, 0, DB_IDEMPOTENT, &res);
  else if (t == RECS_TRACK)
    rc = db_exec(d, a,
                 "SELECT t.id, t.popularity FROM tracks t WHERE EXISTS "
                 "(SELECT 1 FROM track_genres g WHERE g.track_id = t.id AND "
                 "g.genre_id = ?) ORDER BY t.popularity DESC, t.id DESC "
                 "LIMIT " RECS_STRINGIFY(POP_TAKE),
                 &g, 1, DB_IDEMPOTENT, &res);
  else if (!genre_id)
    rc = db_exec(
        d, a,
        "SELECT id, popularity FROM artists "
        "ORDER BY popularity DESC, id DESC LIMIT " RECS_STRINGIFY(POP_TAKE),
        NULL, 0, DB_IDEMPOTENT, &res);
  else
    rc = db_exec(d, a,
                 "SELECT a.id, a.popularity FROM artists a WHERE EXISTS "
                 "(SELECT 1 FROM artist_genres g WHERE g.artist_id = a.id AND "
                 "g.genre_id = ?) ORDER BY a.popularity DESC, a.id DESC "
                 "LIMIT " RECS_STRINGIFY(POP_TAKE),
                 &g, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  *e = rows_entries(a, &res, n);
  return 0;
}

int recs_add_neighbours(struct db *d, struct arena *a, long long version,
                        enum recs_type t, const long long *ids, int n, double w,
                        double decay, bool fresh, int reason,
                        struct recs_srcs *ss) {
  for (int base = 0; base < n; base += RECS_IN_WIDTH) {
    struct db_val p[2 + RECS_IN_WIDTH];
    p[0] = DB_I(version);
    p[1] = DB_S(recs_type_names[t]);
    for (int j = 0; j < RECS_IN_WIDTH; j++)
      p[2 + j] = DB_I(base + j < n ? ids[base + j] : 0);
    struct db_res res;
    int rc = db_exec(d, a,
                     "SELECT item_id, items FROM rec_neighbours WHERE "
                     "version = ? AND item_type = ? AND item_id IN " RECS_IN16,
                     p, 2 + RECS_IN_WIDTH, DB_IDEMPOTENT, &res);
    if (rc) return rc;
    for (int j = base; j < n && j < base + RECS_IN_WIDTH; j++) {
      for (int r = 0; r < res.nrows; r++) {
        if (db_i64(&res.rows[r], 0, 0) != ids[j]) continue;
        long cnt;
        struct recfmt_entry *e =
            decode(a, res.rows[r].v[1], res.rows[r].len[1], RECFMT_NEIGH, &cnt);
        recs_src_add(ss, e, cnt, w * pow(decay, j), RECS_SCALE_TOP, reason,
                     ids[j]);
        if (cnt > 0) ss->s[ss->n - 1].fresh = fresh;
      }
    }
  }
  return 0;
}

int recs_fresh_items(struct db *d, struct arena *a, long long user,
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
                 ">= " RECS_STRINGIFY(
                     RECS_SKIP_MS) ") ORDER BY l.listened_at DESC "
                                   "LIMIT " RECS_STRINGIFY(RECS_FRESH_MAX),
                 p, 2, DB_IDEMPOTENT, &res);
  else
    rc = db_exec(d, a,
                 "SELECT (SELECT ta.artist_id FROM track_artists ta WHERE "
                 "ta.track_id = l.track_id ORDER BY ta.role = 'primary' DESC, "
                 "ta.position LIMIT 1) FROM listens l WHERE l.user_id = ? AND "
                 "l.listened_at > ? AND (l.ms_played IS NULL OR l.ms_played "
                 ">= " RECS_STRINGIFY(
                     RECS_SKIP_MS) ") ORDER BY l.listened_at DESC "
                                   "LIMIT " RECS_STRINGIFY(RECS_FRESH_MAX),
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

int recs_artist_top(struct db *d, struct arena *a, long long artist, int limit,
                    struct recfmt_entry **e, long *n) {
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

int recs_add_preferences(struct db *d, struct arena *a, long long version,
                         const struct recs_query *q, struct recs_srcs *ss,
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
      const char *name = json_object_get_string(it);
      long long id;
      if (col == 1) {
        struct db_val p = DB_S(name);
        struct db_res r;
        rc = db_exec(d, a,
                     "SELECT id FROM artists WHERE name = ? "
                     "ORDER BY popularity DESC, id LIMIT 1",
                     &p, 1, DB_IDEMPOTENT, &r);
        if (rc) return rc;
        if (r.nrows) artists[nartists++] = db_i64(&r.rows[0], 0, 0);
        continue;
      }
      rc = genre_id_by_name(d, a, name, &id);
      if (rc == RC_NOT_FOUND) continue;
      if (rc) return rc;
      struct recfmt_entry *e;
      long n;
      if ((rc = recs_read_pop(d, a, version, q->type, id, &e, &n))) return rc;
      recs_src_add(ss, e, n, recs_weights.pref_genre, RECS_SCALE_RANK,
                   RECFMT_R_GENRE, id);
    }
  }
  if (q->type == RECS_ARTIST) {
    rc = recs_add_neighbours(d, a, version, RECS_ARTIST, artists, nartists,
                             recs_weights.pref_artist, 1.0, false,
                             RECFMT_R_ARTIST, ss);
    if (rc) return rc;
  } else {
    for (int i = 0; i < nartists; i++) {
      struct recfmt_entry *e;
      long n;
      if ((rc = recs_artist_top(d, a, artists[i], ARTIST_TOP, &e, &n)))
        return rc;
      recs_src_add(ss, e, n, recs_weights.pref_artist, RECS_SCALE_RANK,
                   RECFMT_R_ARTIST, artists[i]);
    }
  }
  *any = ss->n > before;
  return 0;
}

int recs_read_seed(struct db *d, struct arena *a, enum recs_type t,
                   long long id, long long *artist, long long *genre) {
  struct db_val p = DB_I(id);
  struct db_res res;
  int rc;
  if (t == RECS_TRACK)
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
  *artist = db_i64(&res.rows[0], 0, 0);
  *genre = db_i64(&res.rows[0], 1, 0);
  return 0;
}
