/* gen_plan: the generated world in memory, planned before any row is
 * written: genres of artists, albums (artist, type, size, release date),
 * tracks (album, genre, duration), each genre's tracks in the order of
 * their appeal, and the users' tastes and taste clusters. Listeners pick
 * tracks from this plan (gen_pick_track): a genre of their taste, then a
 * track of it with probability ~ 1/rank (log-uniform ranks: Zipf with
 * s = 1), so a few tracks of each genre get most plays; 15% of picks
 * wander anywhere. */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "admin/gen.h"

void *gen_calloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  if (!p) {
    fputs("encore-admin: out of memory\n", stderr);
    exit(1);
  }
  return p;
}

double gen_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

long long gen_user_id(const struct gen_world *w, long slot) {
  return slot == w->o.users ? w->demo_id : w->user0 + slot + 1;
}

uint8_t gen_related(struct gen_rng *r, uint8_t g) {
  uint8_t c[GEN_GENRES];
  int n = 0;
  for (int i = 0; i < GEN_GENRES; i++)
    if (gen_genres[i].family == gen_genres[g].family && i != g)
      c[n++] = (uint8_t)i;
  return n ? c[gen_below(r, (uint32_t)n)] : g;
}

/* any_genre: a genre, popular ones more often (rank ~ Zipf over a fixed
 * permutation). */
static uint8_t any_genre(struct gen_rng *r) {
  return (uint8_t)((gen_zipf(r, GEN_GENRES) * 7) % GEN_GENRES);
}

/* The tracks of an album by its type: at least `least`, up to
 * least + spread - 1 (before scaling to the number of tracks). */
struct album_size {
  int least, spread;
};
static const struct album_size album_sizes[] = {
    [GEN_ALBUM] = {.least = 8, .spread = 9},
    [GEN_SINGLE] = {.least = 1, .spread = 3},
    [GEN_EP] = {.least = 4, .spread = 3},
    [GEN_COMPILATION] = {.least = 14, .spread = 10},
};

static void plan_artists(struct gen_world *w) {
  struct gen_rng *r = &w->r;
  const struct gen_opts *o = &w->o;
  w->artist_genre1 = gen_calloc((size_t)o->artists, 1);
  w->artist_genre2 = gen_calloc((size_t)o->artists, 1);
  for (long i = 0; i < o->artists; i++) {
    w->artist_genre1[i] = any_genre(r);
    w->artist_genre2[i] = gen_uniform(r) < 0.6
                              ? gen_related(r, w->artist_genre1[i])
                              : GEN_NO_GENRE;
    if (w->artist_genre2[i] == w->artist_genre1[i])
      w->artist_genre2[i] = GEN_NO_GENRE;
  }
}

/* plan_albums: every artist has one album, then more for a popular few;
 * sizes by type, scaled so that they add up to the number of tracks. */
static void plan_albums(struct gen_world *w) {
  struct gen_rng *r = &w->r;
  const struct gen_opts *o = &w->o;
  w->album_artist = gen_calloc((size_t)o->albums, sizeof *w->album_artist);
  w->album_type = gen_calloc((size_t)o->albums, 1);
  w->album_year = gen_calloc((size_t)o->albums, sizeof *w->album_year);
  w->album_month = gen_calloc((size_t)o->albums, 1);
  w->album_day = gen_calloc((size_t)o->albums, 1);
  w->album_first = gen_calloc((size_t)o->albums + 1, sizeof *w->album_first);
  double *size = gen_calloc((size_t)o->albums, sizeof *size), total = 0;
  for (long i = 0; i < o->albums; i++) {
    w->album_artist[i] =
        i < o->artists ? (uint32_t)i : gen_zipf(r, (uint32_t)o->artists);
    double u = gen_uniform(r);
    enum gen_album_type type = u < 0.55   ? GEN_ALBUM
                               : u < 0.80 ? GEN_SINGLE
                               : u < 0.95 ? GEN_EP
                                          : GEN_COMPILATION;
    w->album_type[i] = (uint8_t)type;
    size[i] = album_sizes[type].least +
              gen_below(r, (uint32_t)album_sizes[type].spread);
    total += size[i];
    /* decades from the 1960s, more recent ones more often */
    w->album_year[i] = (uint16_t)(2025 - (int)(65 * pow(gen_uniform(r), 2.0)));
    w->album_month[i] = (uint8_t)(1 + gen_below(r, 12));
    w->album_day[i] = (uint8_t)(1 + gen_below(r, 28));
  }
  double cum = 0;
  for (long i = 0; i < o->albums; i++) {
    w->album_first[i] = (uint32_t)((double)o->tracks * cum / total);
    cum += size[i];
  }
  w->album_first[o->albums] = (uint32_t)o->tracks;
  free(size);
}

/* plan_tracks: each album's tracks, of its artist's genres; then per genre
 * the tracks in a random order: the order of their appeal. */
static void plan_tracks(struct gen_world *w) {
  struct gen_rng *r = &w->r;
  const struct gen_opts *o = &w->o;
  w->track_genre = gen_calloc((size_t)o->tracks, 1);
  w->track_ms = gen_calloc((size_t)o->tracks, sizeof *w->track_ms);
  w->track_album = gen_calloc((size_t)o->tracks, sizeof *w->track_album);
  w->track_plays = gen_calloc((size_t)o->tracks, sizeof *w->track_plays);
  for (long al = 0; al < o->albums; al++) {
    uint32_t ar = w->album_artist[al];
    for (uint32_t t = w->album_first[al]; t < w->album_first[al + 1]; t++) {
      w->track_album[t] = (uint32_t)al;
      w->track_genre[t] =
          w->artist_genre2[ar] != GEN_NO_GENRE && gen_uniform(r) < 0.3
              ? w->artist_genre2[ar]
              : w->artist_genre1[ar];
      double secs = gen_sounds[gen_genres[w->track_genre[t]].family].secs *
                    exp(0.25 * gen_normal(r));
      if (secs < 45) secs = 45;
      if (secs > 1800) secs = 1800;
      w->track_ms[t] = (uint32_t)(secs * 1000) + gen_below(r, 1000);
      w->genre_count[w->track_genre[t]]++;
    }
  }
  uint32_t fill[GEN_GENRES] = {0};
  for (int g = 0; g < GEN_GENRES; g++)
    w->genre_tracks[g] = gen_calloc(w->genre_count[g], sizeof(uint32_t));
  for (long t = 0; t < o->tracks; t++)
    w->genre_tracks[w->track_genre[t]][fill[w->track_genre[t]]++] = (uint32_t)t;
  for (int g = 0; g < GEN_GENRES; g++)
    for (uint32_t i = w->genre_count[g]; i > 1; i--) {
      uint32_t j = gen_below(r, i), tmp = w->genre_tracks[g][i - 1];
      w->genre_tracks[g][i - 1] = w->genre_tracks[g][j];
      w->genre_tracks[g][j] = tmp;
    }
}

/* plan_tastes: a first genre, then 0-2 more, mostly of the same family;
 * users cluster by their first genre. */
static void plan_tastes(struct gen_world *w) {
  struct gen_rng *r = &w->r;
  const struct gen_opts *o = &w->o;
  w->slots = o->users + (w->demo_id ? 1 : 0);
  w->taste = gen_calloc((size_t)w->slots, sizeof *w->taste);
  w->tastes = gen_calloc((size_t)w->slots, 1);
  for (long u = 0; u < w->slots; u++) {
    uint8_t g;
    do
      g = any_genre(r);
    while (!w->genre_count[g] && o->tracks);
    w->taste[u][0] = g;
    int n = 1 + (int)gen_below(r, 3);
    for (int k = 1; k < n; k++)
      w->taste[u][k] = gen_uniform(r) < 0.7 ? gen_related(r, g) : any_genre(r);
    w->tastes[u] = (uint8_t)n;
    w->cluster_count[g]++;
  }
  uint32_t fill[GEN_GENRES] = {0};
  for (int g = 0; g < GEN_GENRES; g++)
    w->cluster[g] = gen_calloc(w->cluster_count[g], sizeof(uint32_t));
  for (long u = 0; u < w->slots; u++)
    w->cluster[w->taste[u][0]][fill[w->taste[u][0]]++] = (uint32_t)u;
}

void gen_plan(struct gen_world *w) {
  plan_artists(w);
  plan_albums(w);
  plan_tracks(w);
  plan_tastes(w);
}

uint32_t gen_pick_track(struct gen_world *w, long u) {
  struct gen_rng *r = &w->r;
  if (gen_uniform(r) >= 0.15) {
    uint8_t g = w->taste[u][gen_below(r, w->tastes[u])];
    if (w->genre_count[g])
      return w->genre_tracks[g][gen_zipf(r, w->genre_count[g])];
  }
  /* anywhere: still Zipf over a random genre */
  uint8_t g = (uint8_t)gen_below(r, GEN_GENRES);
  if (w->genre_count[g])
    return w->genre_tracks[g][gen_zipf(r, w->genre_count[g])];
  return gen_below(r, (uint32_t)w->o.tracks);
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

size_t gen_dedup(uint32_t *v, size_t n) {
  if (n < 2) return n;
  qsort(v, n, sizeof *v, cmp_u32);
  size_t k = 1;
  for (size_t i = 1; i < n; i++)
    if (v[i] != v[k - 1]) v[k++] = v[i];
  return k;
}

void gen_grow(void **v, size_t *cap, size_t n, size_t size) {
  if (n < *cap) return;
  size_t c = *cap ? *cap * 2 : 1024;
  void *p = realloc(*v, c * size);
  if (!p) {
    fputs("encore-admin: out of memory\n", stderr);
    exit(1);
  }
  *v = p;
  *cap = c;
}

bool gen_recent(const struct gen_world *w, long long at) {
  return at >= w->o.end_ms - GEN_RECENT_DAYS * GEN_DAY_MS;
}

void gen_free(struct gen_world *w) {
  free(w->artist_genre1);
  free(w->artist_genre2);
  free(w->album_artist);
  free(w->album_type);
  free(w->album_year);
  free(w->album_month);
  free(w->album_day);
  free(w->album_first);
  free(w->track_genre);
  free(w->track_ms);
  free(w->track_album);
  free(w->track_plays);
  for (int g = 0; g < GEN_GENRES; g++) {
    free(w->genre_tracks[g]);
    free(w->cluster[g]);
  }
  free(w->taste);
  free(w->tastes);
  free(w->log.follows);
  free(w->log.listens);
  free(w->log.likes);
  free(w->log.playlists);
  free(w->log.handle);
  /* after a failure, files not loaded yet are still there */
  DIR *dir = w->dir[0] ? opendir(w->dir) : NULL;
  if (dir) {
    struct dirent *e;
    while ((e = readdir(dir)))
      if (e->d_name[0] != '.') unlinkat(dirfd(dir), e->d_name, 0);
    closedir(dir);
  }
  if (w->dir[0]) rmdir(w->dir);
}
