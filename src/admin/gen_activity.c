/* gen_activity: what the generated users do: a year of listens (counts per
 * user log-normal, tracks picked by taste and appeal, see gen_plan.c),
 * likes of tracks listened to and of their albums, follows (mostly within
 * the same taste), playlists of tracks of the owner's taste, and likes of
 * public playlists. What gen_feed needs of them is kept in w->log: every
 * follow (it writes them) and playlist, the recent listens and likes. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/gen.h"
#include "model/playlist.h"

static int cmp_ll(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return (x > y) - (x < y);
}

/* in_year: a time within the year before w's end, from the stream. */
static long long in_year(struct gen_world *w, long long start) {
  return start + (long long)(gen_uniform(&w->r) * (double)(365 * GEN_DAY_MS));
}

/* write_like: one row of likes, made within the year from start (logged
 * when recent). */
static void write_like(struct gen_world *w, struct gen_tsv *t, long long uid,
                       const char *type, long long id, long long start) {
  long long at = in_year(w, start);
  gen_tsv_int(t, uid);
  gen_tsv_str(t, type);
  gen_tsv_int(t, id);
  gen_tsv_time(t, at);
  gen_tsv_eol(t);
  if (gen_recent(w, at)) {
    struct gen_log *g = &w->log;
    gen_grow((void **)&g->likes, &g->cap_likes, g->nlikes, sizeof *g->likes);
    g->likes[g->nlikes++] =
        (struct gen_like){.user = uid, .object = id, .at = at, .type = type};
  }
}

/* log_listen: keep a recent listen for gen_feed's listening sessions. */
static void log_listen(struct gen_world *w, long u, uint32_t t, long long at) {
  struct gen_log *g = &w->log;
  if (!gen_recent(w, at)) return;
  gen_grow((void **)&g->listens, &g->cap_listens, g->nlistens,
           sizeof *g->listens);
  g->listens[g->nlistens++] =
      (struct gen_listen){.user = (uint32_t)u, .track = t, .at = at};
}

/* log_follow: keep a follow for gen_feed, which writes them all. */
static void log_follow(struct gen_world *w, long u, uint32_t v, long long at) {
  struct gen_log *g = &w->log;
  gen_grow((void **)&g->follows, &g->cap_follows, g->nfollows,
           sizeof *g->follows);
  g->follows[g->nfollows++] =
      (struct gen_follow){.from = (uint32_t)u, .to = v, .at = at};
}

/* listen_counts: each user slot's number of listens: log-normal shares of
 * the total, scaled to add up exactly, and a fixed share for the demo
 * user; *most the largest. An array of w->slots, to free. */
static long long *listen_counts(struct gen_world *w, long long *most) {
  struct gen_rng *r = &w->r;
  const struct gen_opts *o = &w->o;
  double *share = gen_calloc((size_t)o->users, sizeof *share), total = 0;
  for (long u = 0; u < o->users; u++)
    total += share[u] = exp(1.1 * gen_normal(r));
  long long cum_prev = 0, maxn = 0;
  double cum = 0;
  long long *count = gen_calloc((size_t)w->slots, sizeof *count);
  for (long u = 0; u < o->users; u++) {
    cum += share[u];
    long long c = (long long)((double)o->listens * cum / total);
    if (u == o->users - 1) c = o->listens;
    count[u] = c - cum_prev;
    cum_prev = c;
    if (count[u] > maxn) maxn = count[u];
  }
  free(share);
  if (w->demo_id && o->tracks) {
    long long avg = o->users ? o->listens / o->users : 0;
    count[o->users] = avg * 3 < 300 ? 300 : avg * 3 > 3000 ? 3000 : avg * 3;
    if (count[o->users] > maxn) maxn = count[o->users];
  }
  if (!o->tracks) memset(count, 0, (size_t)w->slots * sizeof *count);
  *most = maxn;
  return count;
}

int gen_listens(struct gen_world *w) {
  struct gen_rng *r = &w->r;
  const struct gen_opts *o = &w->o;
  struct gen_tsv tl, tk;
  if (gen_tsv_open(w, &tl, "listens") || gen_tsv_open(w, &tk, "likes"))
    return -1;
  double t0 = gen_now();
  long long start = o->end_ms - 365 * GEN_DAY_MS, maxn;
  long long *count = listen_counts(w, &maxn);
  long long *times = gen_calloc((size_t)maxn, sizeof *times);
  uint32_t *picks = gen_calloc((size_t)maxn, sizeof *picks);
  uint32_t *liked = gen_calloc((size_t)maxn + 1, sizeof *liked);
  for (long u = 0; u < w->slots; u++) {
    long long n = count[u], uid = gen_user_id(w, u);
    for (long long i = 0; i < n; i++)
      times[i] = in_year(w, start);
    qsort(times, (size_t)n, sizeof *times, cmp_ll);
    for (long long i = 1; i < n; i++) /* distinct times: the key is unique */
      if (times[i] <= times[i - 1]) times[i] = times[i - 1] + 1;
    for (long long i = 0; i < n; i++) {
      uint32_t t = gen_pick_track(w, u);
      picks[i] = t;
      w->track_plays[t]++;
      log_listen(w, u, t, times[i]);
      gen_tsv_int(&tl, uid);
      gen_tsv_int(&tl, w->track0 + t + 1);
      gen_tsv_time(&tl, times[i]);
      gen_tsv_int(&tl, gen_uniform(r) < 0.75
                           ? (long long)w->track_ms[t]
                           : (long long)(w->track_ms[t] *
                                         (0.1 + 0.9 * gen_uniform(r))));
      gen_tsv_str(&tl, gen_pick(r, &gen_sources));
      gen_tsv_eol(&tl);
    }
    /* likes: some of the tracks listened to, and a few of their albums */
    if (!n) continue;
    size_t k = (size_t)(2 + n / 25);
    if (k > 300) k = 300;
    for (size_t i = 0; i < k; i++)
      liked[i] = picks[gen_below(r, (uint32_t)n)];
    k = gen_dedup(liked, k);
    for (size_t i = 0; i < k; i++)
      write_like(w, &tk, uid, "track", w->track0 + liked[i] + 1, start);
    size_t ka = 1 + k / 8;
    for (size_t i = 0; i < ka; i++)
      liked[i] = w->track_album[liked[gen_below(r, (uint32_t)k)]];
    ka = gen_dedup(liked, ka);
    for (size_t i = 0; i < ka; i++)
      write_like(w, &tk, uid, "album", w->album0 + liked[i] + 1, start);
  }
  free(times);
  free(picks);
  free(liked);
  free(count);
  if (gen_tsv_close(&tl) || gen_tsv_close(&tk)) return -1;
  printf("  write listens, likes  %10lld rows %7.2f s\n", tl.rows + tk.rows,
         gen_now() - t0);
  return gen_tsv_load(w, &tl, "listens",
                      "user_id, track_id, listened_at, ms_played, source",
                      GEN_CHECKS_OFF) ||
                 gen_tsv_load(w, &tk, "likes",
                              "user_id, object_type, object_id, created_at",
                              GEN_CHECKS_OFF)
             ? -1
             : 0;
}

/* draw_follows: 3-12 followees a user, 70% of them of the same first
 * taste; generated users never pick the demo user here: its followers are
 * added after them, so no pair is drawn twice. Into w->log. */
static void draw_follows(struct gen_world *w, long long start) {
  struct gen_rng *r = &w->r;
  const struct gen_opts *o = &w->o;
  uint32_t to[64];
  for (long u = 0; o->users > 1 && u < w->slots; u++) {
    size_t k = 3 + gen_below(r, 10), n = 0;
    uint8_t g = w->taste[u][0];
    for (size_t i = 0; i < k; i++) {
      uint32_t v = gen_uniform(r) < 0.7 && w->cluster_count[g] > 1
                       ? w->cluster[g][gen_below(r, w->cluster_count[g])]
                       : gen_below(r, (uint32_t)o->users);
      if (v != (uint32_t)u && v < (uint32_t)o->users) to[n++] = v;
    }
    n = gen_dedup(to, n);
    for (size_t i = 0; i < n; i++)
      log_follow(w, u, to[i], in_year(w, start));
  }
  if (w->demo_id && o->users) {
    size_t n = 0;
    for (int i = 0; i < 20; i++)
      to[n++] = gen_below(r, (uint32_t)o->users);
    n = gen_dedup(to, n);
    for (size_t i = 0; i < n; i++)
      log_follow(w, (long)to[i], (uint32_t)o->users, in_year(w, start));
  }
}

/* playlist_name: a name after genre g. Words are drawn last one first, as
 * they always were (C leaves the order of a call's arguments open; the
 * first worlds were made by a compiler that drew the last first). */
static void playlist_name(struct gen_rng *r, const char *genre, char *out,
                          size_t n) {
  switch (gen_below(r, 4)) {
  case 0:
    snprintf(out, n, "%s %ss", genre, gen_pick(r, &gen_nouns));
    break;
  case 1: {
    const char *noun = gen_pick(r, &gen_nouns);
    const char *adjective = gen_pick(r, &gen_adjectives);
    snprintf(out, n, "%s %s", adjective, noun);
    break;
  }
  case 2: {
    const char *noun = gen_pick(r, &gen_nouns);
    const char *adjective = gen_pick(r, &gen_adjectives);
    snprintf(out, n, "%s for a %s %s", genre, adjective, noun);
    break;
  }
  default:
    snprintf(out, n, "%s Mix %u", genre, 1 + gen_below(r, 20));
  }
}

/* write_playlists: o->playlists playlists of random owners (and three of
 * the demo user's), 60% public, 10% unlisted, 10-50 tracks of the owner's
 * taste; the public ones' indexes into pub, their number into *npub. */
static void write_playlists(struct gen_world *w, struct gen_tsv *tp,
                            struct gen_tsv *tt, long total, long long start,
                            uint32_t *pub, uint32_t *npub) {
  struct gen_rng *r = &w->r;
  const struct gen_opts *o = &w->o;
  long demo_lists = w->demo_id && o->tracks ? 3 : 0;
  for (long p = 0; p < total; p++) {
    long owner = p >= total - demo_lists
                     ? o->users
                     : (long)gen_below(r, (uint32_t)o->users);
    long long id = w->playlist0 + p + 1, uid = gen_user_id(w, owner);
    long long created =
        start + (long long)(gen_uniform(r) * (double)(300 * GEN_DAY_MS));
    uint32_t n = 10 + gen_below(r, 41);
    uint8_t g = w->taste[owner][gen_below(r, w->tastes[owner])];
    char name[128], desc[256];
    playlist_name(r, gen_genres[g].name, name, sizeof name);
    snprintf(desc, sizeof desc, "%s, %s and more.", gen_genres[g].name,
             gen_genres[gen_related(r, g)].name);
    double u = gen_uniform(r);
    if (u < 0.6) pub[(*npub)++] = (uint32_t)p;
    w->log.playlists[w->log.nplaylists++] = (struct gen_playlist){
        .owner = (uint32_t)owner, .tracks = n, .at = created, .shown = u < 0.6};
    gen_tsv_int(tp, id);
    gen_tsv_int(tp, uid);
    gen_tsv_str(tp, name);
    gen_tsv_str(tp, desc);
    gen_tsv_str(tp, u < 0.6 ? "public" : u < 0.7 ? "unlisted" : "private");
    if (u >= 0.6 && u < 0.7) { /* from the CSPRNG: seeds are no secret */
      char key[PLAYLIST_KEY_LEN + 1];
      playlist_new_key(key);
      gen_tsv_str(tp, key);
    } else {
      gen_tsv_null(tp);
    }
    gen_tsv_int(tp, gen_uniform(r) < 0.05);
    gen_tsv_int(tp, n);
    gen_tsv_time(tp, created);
    gen_tsv_time(tp, created + (long long)n * 60000);
    gen_tsv_eol(tp);
    for (uint32_t i = 0; i < n; i++) {
      gen_tsv_int(tt, id);
      gen_tsv_int(tt, i);
      gen_tsv_int(tt, w->track0 + gen_pick_track(w, owner) + 1);
      gen_tsv_int(tt, uid);
      gen_tsv_time(tt, created + (long long)i * 60000);
      gen_tsv_eol(tt);
    }
  }
}

/* write_playlist_likes: 0-2 public playlists a user, the first ones more
 * often. */
static void write_playlist_likes(struct gen_world *w, struct gen_tsv *tl,
                                 long long start, const uint32_t *pub,
                                 uint32_t npub) {
  struct gen_rng *r = &w->r;
  uint32_t to[64];
  for (long u = 0; npub && u < w->slots; u++) {
    uint32_t k = gen_below(r, 3), n = 0;
    for (uint32_t i = 0; i < k; i++)
      to[n++] = pub[gen_zipf(r, npub)];
    n = (uint32_t)gen_dedup(to, n);
    for (uint32_t i = 0; i < n; i++)
      write_like(w, tl, gen_user_id(w, u), "playlist", w->playlist0 + to[i] + 1,
                 start);
  }
}

int gen_social(struct gen_world *w) {
  const struct gen_opts *o = &w->o;
  struct gen_tsv tp, tt, tl;
  double t0 = gen_now();
  long long start = o->end_ms - 365 * GEN_DAY_MS;
  draw_follows(w, start);

  if (gen_tsv_open(w, &tp, "playlists") ||
      gen_tsv_open(w, &tt, "playlist_tracks"))
    return -1;
  long total = o->users && o->tracks ? o->playlists : 0;
  if (w->demo_id && o->tracks) total += 3;
  uint32_t *pub = gen_calloc((size_t)total, sizeof *pub), npub = 0;
  w->log.playlists = gen_calloc((size_t)total, sizeof *w->log.playlists);
  write_playlists(w, &tp, &tt, total, start, pub, &npub);
  if (gen_tsv_open(w, &tl, "playlist_likes")) {
    free(pub);
    return -1;
  }
  write_playlist_likes(w, &tl, start, pub, npub);
  free(pub);
  if (gen_tsv_close(&tp) || gen_tsv_close(&tt) || gen_tsv_close(&tl)) return -1;
  printf("  write social          %10lld rows %7.2f s\n",
         tp.rows + tt.rows + tl.rows, gen_now() - t0);
  if (gen_tsv_load(w, &tp, "playlists",
                   "id, owner_id, name, description, visibility, "
                   "unlisted_key, collaborative, track_count, created_at, "
                   "updated_at",
                   GEN_CHECKS_OFF) ||
      gen_tsv_load(w, &tt, "playlist_tracks",
                   "playlist_id, position, track_id, added_by, added_at",
                   GEN_CHECKS_OFF) ||
      gen_tsv_load(w, &tl, "likes",
                   "user_id, object_type, object_id, created_at",
                   GEN_CHECKS_OFF))
    return -1;
  return 0;
}
