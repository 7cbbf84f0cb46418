/* dbread.c: dbread_input, the first stage of `encore-recs train`: one item
 * level's interactions, content features, follows and stated preferences,
 * from MariaDB into struct batch_input (batch.h).
 *
 * The big tables (listens: ten million rows in the generated world) are
 * streamed row by row (db_stream) and aggregated here into triplets, then
 * into sparse rows with csr_build: nothing holds a result set, and a
 * row costs 12 bytes until its (user, item) pair is merged. Dense indices
 * are the order of the external ids (users, items and genres all read
 * ORDER BY id), looked up through open-addressing hash maps. */
#include "batch/recs/batch.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "model/recs.h"

/* Interaction weights, in units of one full play heard today (a listen
 * weighs 0.5^(age / BATCH_HALF_LIFE_DAYS)):
 * - a like is a deliberate, lasting statement: worth a few recent plays,
 *   and not decayed (it stands until it is taken back);
 * - adding a track to a playlist is a milder, also lasting, endorsement;
 * - an early skip (under RECS_SKIP_MS, the API's skip too) counts against
 *   the pair with W_SKIP per decayed skip once skips outweigh the
 *   positives;
 * - HetRec play counts (artist level) span 1 to several 100,000 plays per
 *   pair with no dates: log(1 + plays) * W_HETREC brings them to 0.7..13,
 *   the range a decayed listening history of a few months reaches, so that
 *   neither source drowns the other. */
#define W_LIKE 4.0f
#define W_PLAYLIST 2.0f
#define W_SKIP 0.5f
#define W_HETREC 1.0f

/* Track content columns after the genres: release decades (before 1950,
 * the 1950s ... the 2020s and later) and three levels of each audio
 * feature (tempo in BPM: under 90, under 130, faster; the others are
 * 0..1: thirds). Unknown values have no column. */
#define ERA_FIRST 1950
#define N_ERA 9
#define N_AUDIO 6
#define N_TRACK_EXTRA (N_ERA + 3 * N_AUDIO)

/* --- id maps -------------------------------------------------------------- */

/* External id -> dense index (insertion order), open addressing. */
struct idmap {
  int64_t *key;
  int *val; /* -1: empty slot */
  size_t cap;
  int n;
  int64_t *ids; /* dense -> external, n used of idcap */
  size_t idcap;
};

static size_t idmap_slot(const struct idmap *m, int64_t k) {
  uint64_t h = (uint64_t)k * UINT64_C(0x9E3779B97F4A7C15);
  return (size_t)(h >> 17) & (m->cap - 1);
}

static int idmap_grow(struct idmap *m) {
  size_t ncap = m->cap ? m->cap * 2 : 1024;
  int64_t *nk = malloc(ncap * sizeof *nk);
  int *nv = malloc(ncap * sizeof *nv);
  if (!nk || !nv) {
    free(nk);
    free(nv);
    return -1;
  }
  memset(nv, 0xff, ncap * sizeof *nv);
  struct idmap t = {.key = nk, .val = nv, .cap = ncap};
  for (size_t i = 0; i < m->cap; i++) {
    if (m->val[i] < 0) continue;
    size_t j = idmap_slot(&t, m->key[i]);
    while (nv[j] >= 0)
      j = (j + 1) & (ncap - 1);
    nk[j] = m->key[i];
    nv[j] = m->val[i];
  }
  free(m->key);
  free(m->val);
  m->key = nk;
  m->val = nv;
  m->cap = ncap;
  return 0;
}

/* idmap_get: the dense index of k, or -1. */
static int idmap_get(const struct idmap *m, int64_t k) {
  if (!m->cap) return -1;
  for (size_t i = idmap_slot(m, k);; i = (i + 1) & (m->cap - 1)) {
    if (m->val[i] < 0) return -1;
    if (m->key[i] == k) return m->val[i];
  }
}

/* idmap_put: the dense index of k, adding it when new; -1 when out of
 * memory. */
static int idmap_put(struct idmap *m, int64_t k) {
  int v = idmap_get(m, k);
  if (v >= 0) return v;
  if (((size_t)m->n + 1) * 2 > m->cap && idmap_grow(m)) return -1;
  if ((size_t)m->n == m->idcap) {
    size_t nc = m->idcap ? m->idcap * 2 : 1024;
    int64_t *ni = realloc(m->ids, nc * sizeof *ni);
    if (!ni) return -1;
    m->ids = ni;
    m->idcap = nc;
  }
  size_t i = idmap_slot(m, k);
  while (m->val[i] >= 0)
    i = (i + 1) & (m->cap - 1);
  m->key[i] = k;
  m->val[i] = m->n;
  m->ids[m->n] = k;
  return m->n++;
}

static void idmap_free(struct idmap *m) {
  free(m->key);
  free(m->val);
  free(m->ids);
  memset(m, 0, sizeof *m);
}

/* idmap_take: the dense -> external array (at least one element), owned by
 * the caller; the map keeps no copy. */
static int64_t *idmap_take(struct idmap *m) {
  int64_t *ids = m->ids ? m->ids : calloc(1, sizeof *ids);
  m->ids = NULL;
  m->idcap = 0;
  return ids;
}

/* --- triplets ------------------------------------------------------------- */

struct tvec {
  struct csr_triplet *t;
  int64_t n, cap;
};

static int tpush(struct tvec *v, int row, int col, float val) {
  if (v->n == v->cap) {
    int64_t nc = v->cap ? v->cap * 2 : 4096;
    struct csr_triplet *nt = realloc(v->t, (size_t)nc * sizeof *nt);
    if (!nt) return -1;
    v->t = nt;
    v->cap = nc;
  }
  v->t[v->n++] = (struct csr_triplet){row, col, val};
  return 0;
}

/* tbuild: m from the triplets of v (released). -1 when out of memory. */
static int tbuild(struct csr *m, int nrows, int ncols, struct tvec *v) {
  int rc = csr_build(m, nrows, ncols, v->t, v->n);
  free(v->t);
  memset(v, 0, sizeof *v);
  return rc;
}

/* binary: every stored value becomes 1 (duplicates were summed). */
static void binary(struct csr *m) {
  for (int64_t k = 0; k < m->nnz; k++)
    m->val[k] = 1;
}

/* --- the read ------------------------------------------------------------- */

struct rd {
  struct batch_input *in;
  enum batch_level level;
  long long until_ms, prev_ms; /* prev_ms < 0: no light run */
  struct idmap users, items, genres;
  /* Artist level: tracks -> t2a[k], the primary artist's dense index. */
  struct idmap tracks;
  int *t2a;
  size_t t2acap;
  struct tvec pos, skip, dis, tags, igen, pref, social;
  struct dataset_tagging *tg; /* users' taggings of artists, ntg of tgcap */
  int64_t ntg, tgcap;
  unsigned char *changed; /* users.n bytes once the users are read */
  int oom;
};

/* num: a non-negative decimal integer column; -1 for NULL or junk. */
static int64_t num(const struct db_row *r, int c) {
  const char *s = r->v[c];
  if (!s || !*s) return -1;
  int64_t v = 0;
  for (; *s >= '0' && *s <= '9'; s++)
    v = v * 10 + (*s - '0');
  return *s && *s != '.' ? -1 : v;
}

/* ms: a UNIX_TIMESTAMP() column ("1763942409.154") in ms; -1 for NULL. */
static long long ms(const struct db_row *r, int c) {
  const char *s = r->v[c];
  if (!s || !*s) return -1;
  long long v = 0;
  for (; *s >= '0' && *s <= '9'; s++)
    v = v * 10 + (*s - '0');
  int frac = 0;
  if (*s == '.')
    for (s++; frac < 3 && *s >= '0' && *s <= '9'; s++, frac++)
      v = v * 10 + (*s - '0');
  for (; frac < 3; frac++)
    v *= 10;
  return v;
}

/* real: a FLOAT column; NAN for NULL. */
static double real(const struct db_row *r, int c) {
  return r->v[c] ? strtod(r->v[c], NULL) : NAN;
}

/* user: the dense user of column c, marking it changed when the event at
 * t_ms is newer than the serving version; -1 when unknown. */
static int user(struct rd *x, const struct db_row *r, int c, long long t_ms) {
  int u = idmap_get(&x->users, num(r, c));
  if (u >= 0 && x->changed && t_ms > x->prev_ms) x->changed[u] = 1;
  return u;
}

/* item_of_track: the dense item a track counts for at this level, or -1. */
static int item_of_track(const struct rd *x, int64_t track) {
  if (x->level == BATCH_TRACK) return idmap_get(&x->items, track);
  int k = idmap_get(&x->tracks, track);
  return k < 0 ? -1 : x->t2a[k];
}

/* decay: the weight of an event at t_ms, seen at the cut-off. */
static float decay(const struct rd *x, long long t_ms) {
  double age_days = (double)(x->until_ms - t_ms) / 86400000.0;
  return age_days <= 0 ? 1.0f
                       : (float)exp2(-age_days / (double)BATCH_HALF_LIFE_DAYS);
}

static int on_user(void *ctx, const struct db_row *r, int n) {
  (void)n;
  struct rd *x = ctx;
  return idmap_put(&x->users, num(r, 0)) < 0 ? (x->oom = 1) : 0;
}

static int on_genre(void *ctx, const struct db_row *r, int n) {
  (void)n;
  struct rd *x = ctx;
  return idmap_put(&x->genres, num(r, 0)) < 0 ? (x->oom = 1) : 0;
}

static int on_artist(void *ctx, const struct db_row *r, int n) {
  (void)n;
  struct rd *x = ctx;
  return idmap_put(&x->items, num(r, 0)) < 0 ? (x->oom = 1) : 0;
}

/* audio_level: 0, 1 or 2 for a feature value, -1 when unknown. */
static int audio_level(int feature, double v) {
  if (isnan(v) || v < 0) return -1;
  if (feature == 0) return v < 90 ? 0 : v < 130 ? 1 : 2; /* tempo, BPM */
  return v < 1.0 / 3 ? 0 : v < 2.0 / 3 ? 1 : 2;
}

/* on_track: id, release year, tempo and the five 0..1 audio features. */
static int on_track(void *ctx, const struct db_row *r, int n) {
  (void)n;
  struct rd *x = ctx;
  int i = idmap_put(&x->items, num(r, 0));
  if (i < 0) return x->oom = 1;
  int base = x->genres.n;
  int64_t year = num(r, 1);
  if (year > 0) {
    int64_t e = (year - (ERA_FIRST - 10)) / 10;
    e = e < 0 ? 0 : e >= N_ERA ? N_ERA - 1 : e;
    if (tpush(&x->tags, i, base + (int)e, 1)) return x->oom = 1;
  }
  for (int f = 0; f < N_AUDIO; f++) {
    int l = audio_level(f, real(r, 2 + f));
    if (l >= 0 && tpush(&x->tags, i, base + N_ERA + 3 * f + l, 1))
      return x->oom = 1;
  }
  return 0;
}

/* on_primary: (track, artist) of role 'primary', best position first. */
static int on_primary(void *ctx, const struct db_row *r, int n) {
  (void)n;
  struct rd *x = ctx;
  int64_t track = num(r, 0), artist = num(r, 1);
  if (x->level == BATCH_TRACK) {
    int i = idmap_get(&x->items, track);
    if (i >= 0 && !x->in->item_artist_ext[i])
      x->in->item_artist_ext[i] = artist;
    return 0;
  }
  int a = idmap_get(&x->items, artist);
  if (a < 0 || idmap_get(&x->tracks, track) >= 0) return 0;
  int k = idmap_put(&x->tracks, track);
  if (k < 0) return x->oom = 1;
  if ((size_t)k >= x->t2acap) {
    size_t nc = x->t2acap ? x->t2acap * 2 : 4096;
    int *nt = realloc(x->t2a, nc * sizeof *nt);
    if (!nt) return x->oom = 1;
    x->t2a = nt;
    x->t2acap = nc;
  }
  x->t2a[k] = a;
  return 0;
}

/* on_item_genre: (item, genre[, weight, taggers]): one of the item's
 * genres, and a content column counting what no user's tagging explains.
 * An artist's genre weight counts taggings, of which user_artist_tags holds
 * the users' own (they enter as taggings, on_user_tag): the column counts
 * the rest, or the weight (at least 1) when no user put that tag there. */
static int on_item_genre(void *ctx, const struct db_row *r, int n) {
  struct rd *x = ctx;
  int i = idmap_get(&x->items, num(r, 0)), g = idmap_get(&x->genres, num(r, 1));
  if (i < 0 || g < 0) return 0;
  int64_t w = n > 2 ? num(r, 2) : 1, taggers = n > 3 ? num(r, 3) : 0;
  int64_t own = taggers > 0 ? w - taggers : w > 0 ? w : 1;
  if ((own > 0 && tpush(&x->tags, i, g, (float)own)) ||
      tpush(&x->igen, i, g, 1))
    return x->oom = 1;
  return 0;
}

/* on_user_tag: (user, artist, tag): one user's tagging, content only
 * (users' words are no genre of the catalogue), kept per user so that a
 * validation fit leaves out those of the pairs it holds out. */
static int on_user_tag(void *ctx, const struct db_row *r, int n) {
  (void)n;
  struct rd *x = ctx;
  int i = idmap_get(&x->items, num(r, 1)), g = idmap_get(&x->genres, num(r, 2));
  if (i < 0 || g < 0) return 0;
  if (x->ntg == x->tgcap) {
    int64_t nc = x->tgcap ? x->tgcap * 2 : 4096;
    struct dataset_tagging *nt = realloc(x->tg, (size_t)nc * sizeof *nt);
    if (!nt) return x->oom = 1;
    x->tg = nt;
    x->tgcap = nc;
  }
  x->tg[x->ntg++] = (struct dataset_tagging){
      .user = idmap_get(&x->users, num(r, 0)), .item = i, .tag = g};
  return 0;
}

/* on_listen: user, track, UNIX_TIMESTAMP(listened_at), ms_played. */
static int on_listen(void *ctx, const struct db_row *r, int n) {
  (void)n;
  struct rd *x = ctx;
  long long t = ms(r, 2);
  int u = user(x, r, 0, t), i = item_of_track(x, num(r, 1));
  if (u < 0 || i < 0) return 0;
  int64_t played = num(r, 3);
  struct tvec *v = played < 0 || played >= RECS_SKIP_MS ? &x->pos : &x->skip;
  return tpush(v, u, i, decay(x, t)) ? (x->oom = 1) : 0;
}

/* event: one (user, item) event of a row "user, object, time": weight w
 * into v, the user marked changed when the event is new. */
static int event(struct rd *x, const struct db_row *r, int item, struct tvec *v,
                 float w) {
  int u = user(x, r, 0, ms(r, 2));
  if (u < 0 || item < 0) return 0;
  return tpush(v, u, item, w) ? (x->oom = 1) : 0;
}

/* on_like_track / on_playlist_add: user, track, time. */
static int on_like_track(void *ctx, const struct db_row *r, int n) {
  (void)n;
  struct rd *x = ctx;
  return event(x, r, item_of_track(x, num(r, 1)), &x->pos, W_LIKE);
}

static int on_playlist_add(void *ctx, const struct db_row *r, int n) {
  (void)n;
  struct rd *x = ctx;
  return event(x, r, item_of_track(x, num(r, 1)), &x->pos, W_PLAYLIST);
}

/* on_like_album: user, the album's artist, time (artist level). */
static int on_like_album(void *ctx, const struct db_row *r, int n) {
  (void)n;
  struct rd *x = ctx;
  return event(x, r, idmap_get(&x->items, num(r, 1)), &x->pos, W_LIKE);
}

/* on_dislike: user, item, time. */
static int on_dislike(void *ctx, const struct db_row *r, int n) {
  (void)n;
  struct rd *x = ctx;
  return event(x, r, idmap_get(&x->items, num(r, 1)), &x->dis, 1);
}

/* on_dislike_track: user, track, time: a track of a disliked artist
 * (track level), disliked as the track itself would be. */
static int on_dislike_track(void *ctx, const struct db_row *r, int n) {
  (void)n;
  struct rd *x = ctx;
  return event(x, r, item_of_track(x, num(r, 1)), &x->dis, 1);
}

/* on_follow: follower, followee, time. */
static int on_follow(void *ctx, const struct db_row *r, int n) {
  (void)n;
  struct rd *x = ctx;
  int v = idmap_get(&x->users, num(r, 1));
  return v == idmap_get(&x->users, num(r, 0)) ? 0
                                              : event(x, r, v, &x->social, 1);
}

/* on_plays: user, artist, HetRec play count (artist level). */
static int on_plays(void *ctx, const struct db_row *r, int n) {
  (void)n;
  struct rd *x = ctx;
  int u = idmap_get(&x->users, num(r, 0)), i = idmap_get(&x->items, num(r, 1));
  int64_t plays = num(r, 2);
  if (u < 0 || i < 0 || plays <= 0) return 0;
  float w = W_HETREC * (float)log1p((double)plays);
  return tpush(&x->pos, u, i, w) ? (x->oom = 1) : 0;
}

/* on_pref: user, genre id (a favourite genre's name matched). */
static int on_pref(void *ctx, const struct db_row *r, int n) {
  (void)n;
  struct rd *x = ctx;
  int u = idmap_get(&x->users, num(r, 0)), g = idmap_get(&x->genres, num(r, 1));
  if (u < 0 || g < 0) return 0;
  return tpush(&x->pref, u, g, 1) ? (x->oom = 1) : 0;
}

/* on_pref_changed: users whose preferences changed since the serving
 * version (light runs). */
static int on_pref_changed(void *ctx, const struct db_row *r, int n) {
  (void)n;
  user(ctx, r, 0, ms(r, 1));
  return 0;
}

/* step: stream one query (printf-style text with the cut-off and the
 * previous run's time) into cb. -1 with a message on failure. */
static int step(struct rd *x, const char *what, db_row_fn cb, struct db *d,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int step(struct rd *x, const char *what, db_row_fn cb, struct db *d,
                const char *fmt, ...) {
  char sql[1024];
  va_list ap;
  va_start(ap, fmt);
  int len = vsnprintf(sql, sizeof sql, fmt, ap);
  va_end(ap);
  if (len < 0 || (size_t)len >= sizeof sql) {
    fprintf(stderr, "encore-recs: reading %s: query too long\n", what);
    return -1;
  }
  int rc = db_stream(d, sql, (size_t)len, cb, x);
  if (x->oom) {
    fprintf(stderr, "encore-recs: reading %s: out of memory\n", what);
    return -1;
  }
  if (rc) {
    fprintf(stderr, "encore-recs: reading %s from the database failed\n", what);
    return -1;
  }
  return 0;
}

/* separate: ui and neg from the positives P, skips S and dislikes D (all
 * users x items): a disliked pair is a negative of 1 and nothing else; a
 * pair whose decayed skips outweigh its positives is a negative of
 * W_SKIP * (skips - positives), at most 1; any other pair with positives
 * is in ui. */
static int separate(struct csr *ui, struct csr *neg, const struct csr *P,
                    const struct csr *S, const struct csr *D) {
  int nr = P->nrows, nc = P->ncols;
  memset(ui, 0, sizeof *ui);
  memset(neg, 0, sizeof *neg);
  ui->nrows = neg->nrows = nr;
  ui->ncols = neg->ncols = nc;
  int64_t cap_u = P->nnz ? P->nnz : 1, cap_n = S->nnz + D->nnz + 1;
  ui->ptr = calloc((size_t)nr + 1, sizeof *ui->ptr);
  neg->ptr = calloc((size_t)nr + 1, sizeof *neg->ptr);
  ui->idx = malloc((size_t)cap_u * sizeof *ui->idx);
  ui->val = malloc((size_t)cap_u * sizeof *ui->val);
  neg->idx = malloc((size_t)cap_n * sizeof *neg->idx);
  neg->val = malloc((size_t)cap_n * sizeof *neg->val);
  if (!ui->ptr || !neg->ptr || !ui->idx || !ui->val || !neg->idx || !neg->val) {
    csr_free(ui);
    csr_free(neg);
    return -1;
  }
  int64_t nu = 0, nn = 0;
  for (int r = 0; r < nr; r++) {
    int64_t p = P->ptr[r], pe = P->ptr[r + 1], s = S->ptr[r],
            se = S->ptr[r + 1], q = D->ptr[r], qe = D->ptr[r + 1];
    while (p < pe || s < se || q < qe) {
      int c = nc;
      if (p < pe && P->idx[p] < c) c = P->idx[p];
      if (s < se && S->idx[s] < c) c = S->idx[s];
      if (q < qe && D->idx[q] < c) c = D->idx[q];
      float pv = p < pe && P->idx[p] == c ? P->val[p++] : 0;
      float sv = s < se && S->idx[s] == c ? S->val[s++] : 0;
      int disliked = q < qe && D->idx[q] == c ? (q++, 1) : 0;
      if (disliked || sv > pv) {
        float w = disliked ? 1.0f : W_SKIP * (sv - pv);
        neg->idx[nn] = c;
        neg->val[nn++] = w > 1 ? 1 : w;
      } else if (pv > 0) {
        ui->idx[nu] = c;
        ui->val[nu++] = pv;
      }
    }
    ui->ptr[r + 1] = nu;
    neg->ptr[r + 1] = nn;
  }
  ui->nnz = nu;
  neg->nnz = nn;
  return 0;
}

long long dbread_now(struct db *d) {
  struct arena *a = arena_new(0);
  struct db_res res;
  long long v = -1;
  if (a &&
      !db_exec(d, a, "SELECT ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000)", NULL, 0,
               DB_IDEMPOTENT, &res) &&
      res.nrows == 1)
    v = db_i64(&res.rows[0], 0, -1);
  arena_free(a);
  return v;
}

/* Each artist genre with the number of users' taggings its weight counts.
 * The taggings are counted per (artist, tag) before the join: joined row by
 * row, the planner walks every tagging of a tag (thousands for a popular
 * one) for each artist having it, 30 times slower on HetRec. */
#define ARTIST_GENRES                                                          \
  "SELECT ag.artist_id, ag.genre_id, ag.weight, COALESCE(t.n, 0) "             \
  "FROM artist_genres ag LEFT JOIN (SELECT artist_id, genre_id, "              \
  "COUNT(*) AS n FROM user_artist_tags GROUP BY artist_id, genre_id) t "       \
  "ON t.artist_id = ag.artist_id AND t.genre_id = ag.genre_id"

/* The cut-off and the previous run's time in the SQL text. */
#define TS "FROM_UNIXTIME(%lld.%03lld)"
#define TSV(t) (t) / 1000, (t) % 1000

static int read_all(struct rd *x, struct db *d) {
  struct batch_input *in = x->in;
  long long u = x->until_ms;
  int track = x->level == BATCH_TRACK;

  if (step(x, "users", on_user, d, "SELECT id FROM users ORDER BY id") ||
      step(x, "genres", on_genre, d, "SELECT id FROM genres ORDER BY id"))
    return -1;
  if (x->prev_ms >= 0 && x->users.n &&
      !(x->changed = calloc((size_t)x->users.n, 1)))
    goto oom;
  if (track ? step(x, "tracks", on_track, d,
                   "SELECT t.id, YEAR(COALESCE(t.release_date, "
                   "al.release_date)), t.tempo, t.energy, t.valence, "
                   "t.danceability, t.acousticness, t.instrumentalness "
                   "FROM tracks t LEFT JOIN albums al ON al.id = t.album_id "
                   "ORDER BY t.id")
            : step(x, "artists", on_artist, d,
                   "SELECT id FROM artists ORDER BY id"))
    return -1;
  if (!(in->item_artist_ext =
            calloc((size_t)(x->items.n ? x->items.n : 1), sizeof(int64_t))))
    goto oom;
  if (!track)
    for (int i = 0; i < x->items.n; i++)
      in->item_artist_ext[i] = x->items.ids[i];
  if (step(x, "primary artists", on_primary, d,
           "SELECT track_id, artist_id FROM track_artists "
           "WHERE role = 'primary' ORDER BY track_id, position, artist_id"))
    return -1;
  if (track ? step(x, "track genres", on_item_genre, d,
                   "SELECT track_id, genre_id FROM track_genres")
            : step(x, "artist genres", on_item_genre, d, ARTIST_GENRES) ||
                  step(x, "user tags", on_user_tag, d,
                       "SELECT user_id, artist_id, genre_id "
                       "FROM user_artist_tags"))
    return -1;
  if (step(x, "listens", on_listen, d,
           "SELECT user_id, track_id, UNIX_TIMESTAMP(listened_at), ms_played "
           "FROM listens WHERE listened_at <= " TS,
           TSV(u)) ||
      step(x, "track likes", on_like_track, d,
           "SELECT user_id, object_id, UNIX_TIMESTAMP(created_at) FROM likes "
           "WHERE object_type = 'track' AND created_at <= " TS,
           TSV(u)) ||
      step(x, "playlist additions", on_playlist_add, d,
           "SELECT COALESCE(pt.added_by, p.owner_id), pt.track_id, "
           "UNIX_TIMESTAMP(pt.added_at) FROM playlist_tracks pt "
           "JOIN playlists p ON p.id = pt.playlist_id "
           "WHERE pt.added_at <= " TS,
           TSV(u)) ||
      step(x, "dislikes", on_dislike, d,
           "SELECT user_id, object_id, UNIX_TIMESTAMP(created_at) "
           "FROM dislikes WHERE object_type = '%s' AND created_at <= " TS,
           track ? "track" : "artist", TSV(u)) ||
      /* the few artists users dislike, expanded to their primary tracks
       * through the artist index: rows in proportion to those dislikes */
      (track &&
       step(x, "disliked artists' tracks", on_dislike_track, d,
            "SELECT d.user_id, ta.track_id, UNIX_TIMESTAMP(d.created_at) "
            "FROM dislikes d JOIN track_artists ta ON ta.artist_id = "
            "d.object_id AND ta.role = 'primary' WHERE d.object_type = "
            "'artist' AND d.created_at <= " TS,
            TSV(u))) ||
      step(x, "follows", on_follow, d,
           "SELECT follower_id, followee_id, UNIX_TIMESTAMP(created_at) "
           "FROM follows WHERE created_at <= " TS,
           TSV(u)) ||
      step(x, "favourite genres", on_pref, d,
           "SELECT p.user_id, g.id FROM user_preferences p, "
           "JSON_TABLE(p.favourite_genres, '$[*]' COLUMNS "
           "(name VARCHAR(255) PATH '$')) AS j JOIN genres g ON g.name = "
           "j.name"))
    return -1;
  if (!track &&
      (step(x, "album likes", on_like_album, d,
            "SELECT l.user_id, al.artist_id, UNIX_TIMESTAMP(l.created_at) "
            "FROM likes l JOIN albums al ON al.id = l.object_id "
            "WHERE l.object_type = 'album' AND l.created_at <= " TS,
            TSV(u)) ||
       step(x, "play counts", on_plays, d,
            "SELECT user_id, artist_id, plays FROM user_artist_plays")))
    return -1;
  if (x->changed &&
      step(x, "changed preferences", on_pref_changed, d,
           "SELECT user_id, UNIX_TIMESTAMP(updated_at) FROM user_preferences "
           "WHERE updated_at > " TS,
           TSV(x->prev_ms)))
    return -1;
  return 0;
oom:
  fprintf(stderr, "encore-recs: reading: out of memory\n");
  return -1;
}

/* assemble: the matrices of in from the triplets of x. */
static int assemble(struct rd *x) {
  struct batch_input *in = x->in;
  struct dataset *dt = &in->d;
  int nu = x->users.n, ni = x->items.n, ng = x->genres.n;
  int ntags = ng + (x->level == BATCH_TRACK ? N_TRACK_EXTRA : 0);
  struct csr P = {0}, S = {0}, D = {0};
  int rc = -1;
  if (tbuild(&P, nu, ni, &x->pos) || tbuild(&S, nu, ni, &x->skip) ||
      tbuild(&D, nu, ni, &x->dis) || separate(&dt->ui, &in->neg, &P, &S, &D))
    goto out;
  csr_free(&P);
  csr_free(&S);
  csr_free(&D);
  if (tbuild(&dt->base_tags, ni, ntags, &x->tags) ||
      tbuild(&in->item_genres, ni, ng, &x->igen) ||
      tbuild(&in->pref_genres, nu, ng, &x->pref) ||
      tbuild(&dt->social, nu, nu, &x->social))
    goto out;
  binary(&in->item_genres);
  binary(&in->pref_genres);
  binary(&dt->social);
  dt->n_users = nu;
  dt->n_items = ni;
  dt->n_tags = ntags;
  in->n_genres = ng;
  dt->tagged = x->tg;
  dt->n_tagged = x->ntg;
  x->tg = NULL;
  if (dt->n_tagged == 0) {
    /* Nothing to hold out (every track level): the base is the content,
     * kept once (a million tracks' rows). */
    dt->tags = dt->base_tags;
    memset(&dt->base_tags, 0, sizeof dt->base_tags);
    features_tfidf(&dt->tags);
  } else if (features_build(&dt->tags, dt, NULL)) {
    goto out;
  }
  if (!(dt->user_id = idmap_take(&x->users)) ||
      !(dt->item_id = idmap_take(&x->items)) ||
      !(in->genre_ext = idmap_take(&x->genres)))
    goto out;
  in->changed = x->changed;
  x->changed = NULL;
  rc = 0;
out:
  csr_free(&P);
  csr_free(&S);
  csr_free(&D);
  if (rc)
    fprintf(stderr, "encore-recs: building the matrices: out of memory\n");
  return rc;
}

int dbread_input(struct batch_input *in, struct db *d, enum batch_level level,
                 enum batch_kind kind, long long prev_until_ms) {
  long long until = in->data_until_ms;
  memset(in, 0, sizeof *in);
  in->level = level;
  if (until <= 0 && (until = dbread_now(d)) < 0) {
    fprintf(stderr, "encore-recs: cannot read the database's clock\n");
    return -1;
  }
  in->data_until_ms = until;
  struct rd x = {.in = in,
                 .level = level,
                 .until_ms = until,
                 .prev_ms = kind == BATCH_LIGHT ? prev_until_ms : -1};
  int rc = read_all(&x, d);
  if (!rc) rc = assemble(&x);
  idmap_free(&x.users);
  idmap_free(&x.items);
  idmap_free(&x.genres);
  idmap_free(&x.tracks);
  free(x.t2a);
  free(x.tg);
  free(x.changed);
  struct tvec *v[] = {&x.pos,  &x.skip, &x.dis,   &x.tags,
                      &x.igen, &x.pref, &x.social};
  for (size_t k = 0; k < sizeof v / sizeof v[0]; k++)
    free(v[k]->t);
  if (rc) {
    batch_input_free(in);
    in->data_until_ms = until;
  }
  return rc;
}
