/* insights: the insights' rollups made again from the listens, for one
 * user (through the model, one transaction) or for everyone in bulk: the
 * tracks' credits are read once into memory, then the listens a chunk of
 * users at a time, and each chunk's rows replace the old ones in one
 * transaction of multi-row INSERTs (blobs as hex literals). A listen
 * stored through the API while its user's chunk is being made may be
 * missed; encore-trends' check of every month repairs it within the hour.
 */
#include "admin/insights.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/admin.h"
#include "admin/bulk.h"
#include "core/arena.h"
#include "core/db.h"
#include "model/insight.h"
#include "model/rollup.h"
#include "model/user.h"

#define CHUNK_USERS 2000 /* user ids per transaction */

/* Every track's credits, by id: artists and genres in CSR form. */
struct track {
  long long id, album, duration;
};
struct credits {
  struct track *t;
  long n;
  long *art_ptr, *gen_ptr; /* [n + 1] */
  long long *art, *gen;
  long na, ng;
};

static void *grow(void *p, long *cap, long need, size_t size) {
  if (need <= *cap) return p;
  long nc = *cap ? *cap : 1024;
  while (nc < need)
    nc *= 2;
  void *q = realloc(p, (size_t)nc * size);
  if (!q) {
    fputs("encore-admin: out of memory\n", stderr);
    exit(1);
  }
  *cap = nc;
  return q;
}

struct load {
  struct credits *c;
  long cap, cap2;
  int which; /* 0 tracks, 1 artists, 2 genres */
};

static long find_track(const struct credits *c, long long id) {
  long lo = 0, hi = c->n;
  while (lo < hi) {
    long mid = lo + (hi - lo) / 2;
    if (c->t[mid].id == id) return mid;
    if (c->t[mid].id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -1;
}

static int load_row(void *ctx, const struct db_row *row, int ncols) {
  struct load *l = ctx;
  struct credits *c = l->c;
  (void)ncols;
  if (l->which == 0) {
    c->t = grow(c->t, &l->cap, c->n + 1, sizeof *c->t);
    c->t[c->n++] = (struct track){.id = db_i64(row, 0, 0),
                                  .album = db_i64(row, 1, 0),
                                  .duration = db_i64(row, 2, 0)};
    return 0;
  }
  /* (track, value) pairs by track: a count per track, values in order */
  long t = find_track(c, db_i64(row, 0, 0));
  if (t < 0) return 0;
  long *ptr = l->which == 1 ? c->art_ptr : c->gen_ptr;
  long long **vals = l->which == 1 ? &c->art : &c->gen;
  long *nv = l->which == 1 ? &c->na : &c->ng;
  *vals = grow(*vals, &l->cap2, *nv + 1, sizeof **vals);
  (*vals)[(*nv)++] = db_i64(row, 1, 0);
  ptr[t + 1]++;
  return 0;
}

static int load_credits(struct db *d, struct credits *c) {
  static const char tracks[] =
      "SELECT id, COALESCE(album_id, 0), duration_ms FROM tracks ORDER BY id";
  static const char artists[] =
      "SELECT track_id, artist_id FROM track_artists WHERE role = 'primary' "
      "ORDER BY track_id, position, artist_id";
  static const char genres[] =
      "SELECT track_id, genre_id FROM track_genres ORDER BY track_id, "
      "genre_id";
  struct load l = {.c = c};
  memset(c, 0, sizeof *c);
  if (db_stream(d, tracks, sizeof tracks - 1, load_row, &l)) return -1;
  c->art_ptr = calloc((size_t)c->n + 1, sizeof *c->art_ptr);
  c->gen_ptr = calloc((size_t)c->n + 1, sizeof *c->gen_ptr);
  if (!c->art_ptr || !c->gen_ptr) return -1;
  l.which = 1;
  l.cap2 = 0;
  if (db_stream(d, artists, sizeof artists - 1, load_row, &l)) return -1;
  l.which = 2;
  l.cap2 = 0;
  if (db_stream(d, genres, sizeof genres - 1, load_row, &l)) return -1;
  for (long i = 0; i < c->n; i++) { /* counts into offsets */
    c->art_ptr[i + 1] += c->art_ptr[i];
    c->gen_ptr[i + 1] += c->gen_ptr[i];
  }
  return 0;
}

static void credits_free(struct credits *c) {
  free(c->t);
  free(c->art_ptr);
  free(c->gen_ptr);
  free(c->art);
  free(c->gen);
}

/* One chunk of users' listens. */
struct listen_row {
  long long user, at, ms;
  long track; /* index in the credits */
};

struct chunk {
  const struct credits *c;
  struct listen_row *r;
  long n, cap;
};

static int chunk_row(void *ctx, const struct db_row *row, int ncols) {
  struct chunk *k = ctx;
  (void)ncols;
  long t = find_track(k->c, db_i64(row, 1, 0));
  if (t < 0) return 0;
  k->r = grow(k->r, &k->cap, k->n + 1, sizeof *k->r);
  long long ms = db_i64(row, 3, -1);
  k->r[k->n++] = (struct listen_row){.user = db_i64(row, 0, 0),
                                     .at = db_i64(row, 2, 0),
                                     .ms = ms >= 0 ? ms : k->c->t[t].duration,
                                     .track = t};
  return 0;
}

static int cmp_row(const void *x, const void *y) {
  const struct listen_row *a = x, *b = y;
  if (a->user != b->user) return a->user > b->user ? 1 : -1;
  return (a->at > b->at) - (a->at < b->at);
}

/* Where one user's rows go: the chunk's INSERTs. */
struct sink {
  struct bulk *rows;
  long long user;
  char *hex;
  size_t hex_cap;
  long long written;
};

static int emit(void *ctx, int span, long long start, int days,
                const struct rollup *r) {
  struct sink *s = ctx;
  int64_t listens, ms;
  rollup_totals(r, &listens, &ms);
  if (listens <= 0) return 0;
  size_t max = rollup_encoded_max(r), need = 2 * max + 4;
  unsigned char *blob = malloc(max);
  if (!blob) return -1;
  if (need > s->hex_cap) {
    char *h = realloc(s->hex, need);
    if (!h) {
      free(blob);
      return -1;
    }
    s->hex = h;
    s->hex_cap = need;
  }
  size_t len = rollup_encode(r, blob);
  static const char digits[] = "0123456789abcdef";
  char *p = s->hex;
  *p++ = 'X';
  *p++ = '\'';
  for (size_t i = 0; i < len; i++) {
    *p++ = digits[blob[i] >> 4];
    *p++ = digits[blob[i] & 15];
  }
  *p++ = '\'';
  *p = '\0';
  free(blob);
  bulk_row(s->rows);
  bulk_int(s->rows, s->user);
  bulk_int(s->rows, span);
  bulk_int(s->rows, start);
  bulk_int(s->rows, days);
  bulk_int(s->rows, listens);
  bulk_int(s->rows, ms);
  bulk_raw(s->rows, s->hex);
  s->written++;
  return bulk_end(s->rows) ? 1 : 0;
}

/* chunk_write: the rows of users [lo, hi) from k's listens, replacing
 * theirs, in one transaction. */
static int chunk_write(struct db *d, struct chunk *k, long long lo,
                       long long hi, long long *rows, long long *firsts) {
  struct bulk br, bf;
  struct sink s = {.rows = &br};
  char sql[160];
  int rc = 0;
  bulk_init(&br, d,
            "INSERT INTO insight_rollups (user_id, span, start, days, "
            "listens, ms, data) VALUES ",
            NULL);
  bulk_init(&bf, d,
            "INSERT INTO insight_firsts (user_id, artist_id, first_ms) VALUES ",
            NULL);
  if (db_begin(d)) return -1;
  for (int t = 0; t < 2 && !rc; t++) {
    int n = snprintf(sql, sizeof sql,
                     "DELETE FROM %s WHERE user_id >= %lld AND user_id < %lld",
                     t ? "insight_firsts" : "insight_rollups", lo, hi);
    rc = db_query(d, sql, (size_t)n, NULL);
  }
  qsort(k->r, (size_t)k->n, sizeof *k->r, cmp_row);
  struct insight_fact *f = malloc(sizeof *f * (size_t)(k->n + 1));
  if (!f) rc = -1;
  const struct credits *c = k->c;
  for (long i = 0; !rc && i < k->n;) {
    long j = i;
    while (j < k->n && k->r[j].user == k->r[i].user)
      j++;
    for (long x = i; x < j; x++) {
      long t = k->r[x].track;
      f[x - i] =
          (struct insight_fact){.at_ms = k->r[x].at,
                                .ms = k->r[x].ms,
                                .track = c->t[t].id,
                                .album = c->t[t].album,
                                .na = (int)(c->art_ptr[t + 1] - c->art_ptr[t]),
                                .ng = (int)(c->gen_ptr[t + 1] - c->gen_ptr[t]),
                                .artists = c->art + c->art_ptr[t],
                                .genres = c->gen + c->gen_ptr[t]};
    }
    s.user = k->r[i].user;
    rc = insight_user_rows(f, (int)(j - i), emit, &s);
    long long *pairs = NULL;
    int m = 0;
    if (!rc && insight_first_listens(f, (int)(j - i), &pairs, &m)) rc = -1;
    for (int p = 0; !rc && p < m; p++) {
      bulk_row(&bf);
      bulk_int(&bf, s.user);
      bulk_int(&bf, pairs[2 * p]);
      bulk_int(&bf, pairs[2 * p + 1]);
      if (bulk_end(&bf)) rc = -1;
    }
    if (!rc) *firsts += m;
    free(pairs);
    i = j;
  }
  if (!rc && (bulk_flush(&br) || bulk_flush(&bf))) rc = -1;
  if (rc)
    db_rollback(d);
  else if (db_commit(d))
    rc = -1;
  *rows += s.written;
  free(f);
  free(s.hex);
  bulk_free(&br);
  bulk_free(&bf);
  return rc ? -1 : 0;
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int admin_insights_rebuild_all(struct db *d) {
  struct credits c = {0};
  struct chunk k = {.c = &c};
  double t0 = now_s();
  long long rows = 0, firsts = 0, listens = 0;
  int rc = 1;
  struct db_res res;
  struct arena *a = arena_new(0);
  if (!a || load_credits(d, &c)) {
    fprintf(stderr, "insights rebuild: cannot read the tracks\n");
    goto out;
  }
  if (db_exec(d, a,
              "SELECT COALESCE(MIN(id), 0), COALESCE(MAX(id), 0) "
              "FROM users",
              NULL, 0, 0, &res) ||
      res.nrows != 1) {
    fprintf(stderr, "insights rebuild: database error\n");
    goto out;
  }
  long long first = db_i64(&res.rows[0], 0, 0),
            last = db_i64(&res.rows[0], 1, 0);
  for (long long lo = first; first && lo <= last; lo += CHUNK_USERS) {
    char sql[256];
    int n = snprintf(sql, sizeof sql,
                     "SELECT user_id, track_id, CAST(UNIX_TIMESTAMP("
                     "listened_at) * 1000 AS SIGNED), ms_played FROM listens "
                     "WHERE user_id >= %lld AND user_id < %lld",
                     lo, lo + CHUNK_USERS);
    k.n = 0;
    if (db_stream(d, sql, (size_t)n, chunk_row, &k) ||
        chunk_write(d, &k, lo, lo + CHUNK_USERS, &rows, &firsts)) {
      fprintf(stderr, "insights rebuild: failed at users %lld..%lld\n", lo,
              lo + CHUNK_USERS - 1);
      goto out;
    }
    listens += k.n;
  }
  printf("  insights rebuild      %10lld rows %7.2f s (%lld listens, %lld "
         "discoveries)\n",
         rows, now_s() - t0, listens, firsts);
  rc = 0;
out:
  credits_free(&c);
  free(k.r);
  arena_free(a);
  return rc;
}

int admin_insights(struct ctx *x, int argc, char **argv) {
  const char *user = NULL;
  int npos;
  const struct opt opts[] = {{.name = "user", .val = &user}, {.name = NULL}};
  if (admin_opts(argc, argv, opts, &npos)) return EXIT_USAGE;
  if (npos != 1 || strcmp(argv[0], "rebuild"))
    return admin_usage("%s", "insights: the subcommand is rebuild");
  if (admin_db(x, "insights")) return 1;
  if (!user) return admin_insights_rebuild_all(x->db);
  struct user u;
  if (user_by_username(x->db, x->a, user, &u)) {
    fprintf(stderr, "insights rebuild: no user %s\n", user);
    return 1;
  }
  if (insight_rebuild_user(x->db, x->a, u.id)) {
    fprintf(stderr, "insights rebuild: failed (see the log)\n");
    return 1;
  }
  printf("insights rebuild: %s done\n", user);
  return 0;
}
