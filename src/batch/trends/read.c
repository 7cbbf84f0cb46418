/* read.c: what encore-trends reads (trends.h): the catalogue (tracks with
 * their album, primary artist, genres and release day; artists and albums
 * with their genres; public playlists), then the activity of the windows:
 * every listen (the table is read whole: the insights' check wants every
 * user's months, and listens have no index on time alone), the likes and
 * the playlist additions since the earliest window. Everything streams
 * (db_stream): memory is the catalogue's and the counters'. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch/trends/trends.h"
#include "core/db.h"
#include "core/timefmt.h"
#include "core/tz.h"

/* --- the catalogue -------------------------------------------------------- */

static void *grow(void *p, int64_t *cap, int64_t need, size_t size) {
  if (need <= *cap) return p;
  int64_t nc = *cap ? *cap : 1024;
  while (nc < need)
    nc *= 2;
  void *q = realloc(p, (size_t)nc * size);
  if (!q) {
    fputs("encore-trends: out of memory\n", stderr);
    exit(1);
  }
  *cap = nc;
  return q;
}

int trends_find(const struct trends_items *it, int64_t id) {
  if (it->dense) return id >= 0 && id < it->dense_n ? it->dense[id] : -1;
  int lo = 0, hi = it->n;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if (it->id[mid] == id) return mid;
    if (it->id[mid] < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -1;
}

/* index_items: the id -> index map, dense when the ids leave few holes. */
static void index_items(struct trends_items *it) {
  int64_t max = it->n ? it->id[it->n - 1] : 0;
  it->c = calloc((size_t)it->n + 1, sizeof *it->c);
  if (!it->c) {
    fputs("encore-trends: out of memory\n", stderr);
    exit(1);
  }
  if (max > 8 * (int64_t)it->n + 1024) return;
  it->dense_n = max + 1;
  it->dense = malloc(sizeof *it->dense * (size_t)it->dense_n);
  if (!it->dense) return; /* the search instead */
  for (int64_t i = 0; i < it->dense_n; i++)
    it->dense[i] = -1;
  for (int i = 0; i < it->n; i++)
    it->dense[it->id[i]] = i;
}

/* Rows of (id[, release day]) into items. */
struct id_load {
  struct trends_items *it;
  int64_t cap;
  int with_release;
};

static int id_row(void *ctx, const struct db_row *row, int ncols) {
  struct id_load *l = ctx;
  struct trends_items *it = l->it;
  (void)ncols;
  int64_t cap = l->cap;
  it->id = grow(it->id, &cap, it->n + 1, sizeof *it->id);
  if (l->with_release) {
    cap = l->cap;
    it->release = grow(it->release, &cap, it->n + 1, sizeof *it->release);
    it->release[it->n] = row->v[1] ? (int32_t)db_i64(row, 1, 0) : INT32_MIN;
  }
  l->cap = cap;
  it->id[it->n++] = db_i64(row, 0, 0);
  return 0;
}

/* Rows of (item id, genre id) by item into the items' genre lists. */
struct genre_load {
  struct trends_items *it;
  int64_t cap, last;
  int per_item, max_per_item;
};

static int genre_row(void *ctx, const struct db_row *row, int ncols) {
  struct genre_load *l = ctx;
  struct trends_items *it = l->it;
  (void)ncols;
  int64_t id = db_i64(row, 0, 0);
  int i = trends_find(it, id);
  if (i < 0) return 0;
  if (id != l->last) l->per_item = 0;
  l->last = id;
  if (l->per_item++ >= l->max_per_item) return 0;
  int64_t n = it->gptr[it->n + 1]; /* the running total */
  it->genre = grow(it->genre, &l->cap, n + 1, sizeof *it->genre);
  it->genre[n] = (int32_t)db_i64(row, 1, 0);
  it->gptr[it->n + 1]++;
  it->gptr[i + 1]++; /* counts now, offsets below */
  return 0;
}

/* load_genres: sql gives (item, genre) ordered by item; at most max per
 * item. gptr[n + 1] counts the total while loading. */
static int load_genres(struct db *d, struct trends_items *it, const char *sql,
                       int max) {
  struct genre_load l = {.it = it, .last = -1, .max_per_item = max};
  it->gptr = calloc((size_t)it->n + 2, sizeof *it->gptr);
  if (!it->gptr) return -1;
  int rc = db_stream(d, sql, strlen(sql), genre_row, &l);
  for (int i = 0; i < it->n; i++)
    it->gptr[i + 1] += it->gptr[i];
  return rc ? -1 : 0;
}

static int load_ids(struct db *d, struct trends_items *it, const char *sql,
                    int with_release) {
  struct id_load l = {.it = it, .with_release = with_release};
  if (db_stream(d, sql, strlen(sql), id_row, &l)) return -1;
  index_items(it);
  return 0;
}

/* Per track: its album and first primary artist. */
struct track_load {
  struct trends_world *w;
  int64_t last;
};

static int track_row(void *ctx, const struct db_row *row, int ncols) {
  struct track_load *l = ctx;
  struct trends_world *w = l->w;
  (void)ncols;
  int t = trends_find(&w->items[TRENDS_TRACKS], db_i64(row, 0, 0));
  if (t < 0) return 0;
  if (ncols == 2) { /* (track, artist) by track, first primary first */
    if (w->track_artist[t] < 0)
      w->track_artist[t] =
          trends_find(&w->items[TRENDS_ARTISTS], db_i64(row, 1, 0));
  } else { /* (track, album) */
    w->track_album[t] =
        trends_find(&w->items[TRENDS_ALBUMS], db_i64(row, 1, 0));
  }
  return 0;
}

static int load_catalogue(struct db *d, struct trends_world *w) {
  struct trends_items *tr = &w->items[TRENDS_TRACKS],
                      *ar = &w->items[TRENDS_ARTISTS],
                      *al = &w->items[TRENDS_ALBUMS],
                      *pl = &w->items[TRENDS_PLAYLISTS];
  if (load_ids(d, ar, "SELECT id FROM artists ORDER BY id", 0) ||
      load_ids(d, al,
               "SELECT id, TO_DAYS(release_date) - 719528 FROM albums "
               "ORDER BY id",
               1) ||
      load_ids(d, tr,
               "SELECT t.id, TO_DAYS(COALESCE(t.release_date, "
               "al.release_date)) - 719528 FROM tracks t LEFT JOIN albums al "
               "ON al.id = t.album_id ORDER BY t.id",
               1) ||
      load_ids(d, pl,
               "SELECT p.id FROM playlists p JOIN users o ON o.id = "
               "p.owner_id WHERE p.visibility = 'public' AND p.moderation = "
               "'visible' AND o.status = 'active' ORDER BY p.id",
               0))
    return -1;
  w->track_album = malloc(sizeof *w->track_album * ((size_t)tr->n + 1));
  w->track_artist = malloc(sizeof *w->track_artist * ((size_t)tr->n + 1));
  if (!w->track_album || !w->track_artist) return -1;
  for (int i = 0; i < tr->n; i++)
    w->track_album[i] = w->track_artist[i] = -1;
  struct track_load l = {.w = w};
  static const char albums[] =
      "SELECT id, album_id FROM tracks WHERE album_id IS NOT NULL";
  static const char artists[] =
      "SELECT track_id, artist_id FROM track_artists WHERE role = 'primary' "
      "ORDER BY track_id, position, artist_id";
  if (db_stream(d, albums, sizeof albums - 1, track_row, &l) ||
      db_stream(d, artists, sizeof artists - 1, track_row, &l))
    return -1;
  /* genres: a track's own, an album's, an artist's three heaviest */
  if (load_genres(d, tr,
                  "SELECT track_id, genre_id FROM track_genres ORDER BY "
                  "track_id, genre_id",
                  8) ||
      load_genres(d, al,
                  "SELECT album_id, genre_id FROM album_genres ORDER BY "
                  "album_id, genre_id",
                  8) ||
      load_genres(d, ar,
                  "SELECT artist_id, genre_id FROM artist_genres ORDER BY "
                  "artist_id, weight DESC, genre_id",
                  3))
    return -1;
  pl->gptr = calloc((size_t)pl->n + 2, sizeof *pl->gptr);
  return pl->gptr ? 0 : -1;
}

/* --- the windows ---------------------------------------------------------- */

void trends_world_init(struct trends_world *w, long long until_ms) {
  memset(w, 0, sizeof *w);
  w->until_ms = until_ms;
  /* the period holding the last instant of the data */
  long long last = (until_ms - 1) / TRENDS_DAY_MS;
  long long monday = last - tz_weekday(last);
  int y, m, dd;
  tz_civil(last, &y, &m, &dd);
  long long month = timefmt_days_from_civil(y, m, 1);
  long long before = m == 1 ? timefmt_days_from_civil(y - 1, 12, 1)
                            : timefmt_days_from_civil(y, m - 1, 1);
  w->period_ms[TRENDS_WEEK_NOW] = monday * TRENDS_DAY_MS;
  w->period_ms[TRENDS_WEEK_BEFORE] = (monday - 7) * TRENDS_DAY_MS;
  w->period_ms[TRENDS_MONTH_NOW] = month * TRENDS_DAY_MS;
  w->period_ms[TRENDS_MONTH_BEFORE] = before * TRENDS_DAY_MS;
  w->from_ms =
      until_ms - (TRENDS_WEEK_HOURS + TRENDS_WEEK_BASE_HOURS) * TRENDS_HOUR_MS;
  if (w->period_ms[TRENDS_WEEK_BEFORE] < w->from_ms)
    w->from_ms = w->period_ms[TRENDS_WEEK_BEFORE];
  if (w->period_ms[TRENDS_MONTH_BEFORE] < w->from_ms)
    w->from_ms = w->period_ms[TRENDS_MONTH_BEFORE];
}

/* period_end: where period p ends (the "now" periods at the data's end). */
static long long period_end(const struct trends_world *w, int p) {
  if (p == TRENDS_WEEK_BEFORE) return w->period_ms[TRENDS_WEEK_NOW];
  if (p == TRENDS_MONTH_BEFORE) return w->period_ms[TRENDS_MONTH_NOW];
  return w->until_ms;
}

/* add: an event of weight wgt at `at` to item i of kind k; plays also
 * count in the plays and the charts. */
static void add(struct trends_world *w, enum trends_kind k, int i, long long at,
                double wgt, int play) {
  if (i < 0) return;
  struct trends_counts *c = &w->items[k].c[i];
  long long h = (w->until_ms - at) / TRENDS_HOUR_MS;
  if (h < TRENDS_DAY_HOURS) {
    c->recent[TRENDS_DAY] += (float)wgt;
    c->plays[TRENDS_DAY] += (uint32_t)play;
  } else if (h < TRENDS_DAY_HOURS + TRENDS_DAY_BASE_HOURS) {
    c->base[TRENDS_DAY] += (float)wgt;
  }
  if (h < TRENDS_WEEK_HOURS) {
    c->recent[TRENDS_WEEK] += (float)wgt;
    c->plays[TRENDS_WEEK] += (uint32_t)play;
  } else if (h < TRENDS_WEEK_HOURS + TRENDS_WEEK_BASE_HOURS) {
    c->base[TRENDS_WEEK] += (float)wgt;
  }
  for (int p = 0; play && p < TRENDS_PERIODS; p++)
    if (at >= w->period_ms[p] && at < period_end(w, p)) c->chart[p]++;
}

/* add_track: a track's event counts for its artist and album too. */
static void add_track(struct trends_world *w, int t, long long at, double wgt,
                      int play) {
  add(w, TRENDS_TRACKS, t, at, wgt, play);
  add(w, TRENDS_ARTISTS, w->track_artist[t], at, wgt, play);
  add(w, TRENDS_ALBUMS, w->track_album[t], at, wgt, play);
}

/* The plays of a listener, track and day so far: the cap. */
struct cap_key {
  int64_t user;
  int32_t track, day;
  uint32_t plays;
};

struct caps {
  struct cap_key *slot;
  int64_t cap, n;
};

static uint32_t *cap_count(struct caps *c, int64_t user, int32_t track,
                           int32_t day) {
  if ((c->n + 1) * 2 > c->cap) {
    int64_t nc = c->cap ? c->cap * 2 : 1 << 16;
    struct cap_key *ns = calloc((size_t)nc, sizeof *ns);
    if (!ns) {
      fputs("encore-trends: out of memory\n", stderr);
      exit(1);
    }
    for (int64_t i = 0; i < c->cap; i++) {
      if (!c->slot[i].plays) continue;
      uint64_t h = ((uint64_t)c->slot[i].user * 0x9e3779b97f4a7c15ULL) ^
                   ((uint64_t)c->slot[i].track << 20) ^
                   (uint64_t)c->slot[i].day;
      int64_t s = (int64_t)(h % (uint64_t)nc);
      while (ns[s].plays)
        s = (s + 1) % nc;
      ns[s] = c->slot[i];
    }
    free(c->slot);
    c->slot = ns;
    c->cap = nc;
  }
  uint64_t h = ((uint64_t)user * 0x9e3779b97f4a7c15ULL) ^
               ((uint64_t)track << 20) ^ (uint64_t)day;
  int64_t s = (int64_t)(h % (uint64_t)c->cap);
  while (c->slot[s].plays &&
         (c->slot[s].user != user || c->slot[s].track != track ||
          c->slot[s].day != day))
    s = (s + 1) % c->cap;
  if (!c->slot[s].plays) {
    c->slot[s] = (struct cap_key){.user = user, .track = track, .day = day};
    c->n++;
  }
  return &c->slot[s].plays;
}

struct events {
  struct trends_world *w;
  struct trends_check *chk;
  struct caps caps;
};

static int listen_row(void *ctx, const struct db_row *row, int ncols) {
  struct events *e = ctx;
  struct trends_world *w = e->w;
  (void)ncols;
  int64_t user = db_i64(row, 0, 0);
  long long at = db_i64(row, 2, 0);
  w->listens_read++;
  if (e->chk) trends_check_listen(e->chk, user, at);
  if (at < w->from_ms || at >= w->until_ms) return 0;
  int t = trends_find(&w->items[TRENDS_TRACKS], db_i64(row, 1, 0));
  if (t < 0) return 0;
  uint32_t *plays = cap_count(&e->caps, user, t,
                              (int32_t)((at - w->from_ms) / TRENDS_DAY_MS));
  if ((*plays)++ >= TRENDS_PLAYS_CAP) {
    w->capped++;
    return 0;
  }
  w->events++;
  add_track(w, t, at, TRENDS_W_PLAY, 1);
  return 0;
}

static int like_row(void *ctx, const struct db_row *row, int ncols) {
  struct events *e = ctx;
  struct trends_world *w = e->w;
  (void)ncols;
  const char *type = db_s(row, 0);
  int64_t id = db_i64(row, 1, 0);
  long long at = db_i64(row, 2, 0);
  if (!type || at >= w->until_ms) return 0;
  w->events++;
  if (!strcmp(type, "track")) {
    int t = trends_find(&w->items[TRENDS_TRACKS], id);
    if (t >= 0) add_track(w, t, at, TRENDS_W_LIKE, 0);
  } else if (!strcmp(type, "album")) {
    add(w, TRENDS_ALBUMS, trends_find(&w->items[TRENDS_ALBUMS], id), at,
        TRENDS_W_LIKE, 0);
  } else if (!strcmp(type, "playlist")) {
    add(w, TRENDS_PLAYLISTS, trends_find(&w->items[TRENDS_PLAYLISTS], id), at,
        TRENDS_W_LIKE, 0);
  }
  return 0;
}

static int add_row(void *ctx, const struct db_row *row, int ncols) {
  struct events *e = ctx;
  struct trends_world *w = e->w;
  (void)ncols;
  long long at = db_i64(row, 1, 0);
  int t = trends_find(&w->items[TRENDS_TRACKS], db_i64(row, 0, 0));
  if (t < 0 || at >= w->until_ms) return 0;
  w->events++;
  add_track(w, t, at, TRENDS_W_ADD, 0);
  return 0;
}

int trends_read(struct db *d, struct trends_world *w,
                struct trends_check *chk) {
  struct events e = {.w = w, .chk = chk};
  char from[40], sql[400];
  int n, rc = -1;
  if (load_catalogue(d, w)) {
    fprintf(stderr, "encore-trends: reading the catalogue failed\n");
    goto out;
  }
  static const char listens[] =
      "SELECT user_id, track_id, CAST(UNIX_TIMESTAMP(listened_at) * 1000 AS "
      "SIGNED) FROM listens";
  if (db_stream(d, listens, sizeof listens - 1, listen_row, &e)) {
    fprintf(stderr, "encore-trends: reading the listens failed\n");
    goto out;
  }
  /* the likes and the playlist additions of the windows */
  static const struct {
    const char *what, *head; /* the statement but the time */
    db_row_fn row;
  } since[] = {
      {"likes",
       "SELECT object_type, object_id, CAST(UNIX_TIMESTAMP(created_at) * "
       "1000 AS SIGNED) FROM likes WHERE created_at >= ",
       like_row},
      {"playlist additions",
       "SELECT track_id, CAST(UNIX_TIMESTAMP(added_at) * 1000 AS SIGNED) "
       "FROM playlist_tracks WHERE added_at >= ",
       add_row},
  };
  timefmt_sql(from, sizeof from, w->from_ms);
  for (size_t i = 0; i < sizeof since / sizeof since[0]; i++) {
    n = snprintf(sql, sizeof sql, "%s'%s'", since[i].head, from);
    if (db_stream(d, sql, (size_t)n, since[i].row, &e)) {
      fprintf(stderr, "encore-trends: reading the %s failed\n", since[i].what);
      goto out;
    }
  }
  rc = 0;
out:
  free(e.caps.slot);
  return rc;
}

void trends_world_free(struct trends_world *w) {
  for (int k = 0; k < TRENDS_KINDS; k++) {
    struct trends_items *it = &w->items[k];
    free(it->id);
    free(it->c);
    free(it->release);
    free(it->gptr);
    free(it->genre);
    free(it->dense);
  }
  free(w->track_album);
  free(w->track_artist);
  memset(w, 0, sizeof *w);
}
