/* gen_feed: the generated world's social life, the last step: a few
 * heavily followed users (the first followed by half the users, two by a
 * tenth, two by a fiftieth) and one who follows a thousand, the demo user's
 * follows of the liveliest listeners, every follow in time order (with the
 * users' follower and following counts), comments (gen_comments.c), and
 * what the last GEN_RECENT_DAYS made, written as model/activity.c and
 * model/notify.c would have written it as it happened:
 *
 *   activities    listening sessions (a gap over ACTIVITY_SESSION_GAP ends
 *                 one; count, span and the artist heard most), likes,
 *                 follows, public playlists made and filled, comments; ids
 *                 in the order the rows were made
 *   feed_items    each activity in the feeds of its actor's followers when
 *                 the actor has fewer than FEED_FANOUT_MAX (feeds merge the
 *                 others' when read): a follower since before it, or one
 *                 whose follow backfilled it (the FEED_BACKFILL latest)
 *   notifications new followers, likes of playlists and comments, replies,
 *                 mentions, comments on playlists; grouped while unread
 *                 (every user last read their inbox when the days began)
 *
 * Older activity is left out: a world's feeds are its last weeks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/gen.h"
#include "core/arena.h"
#include "core/db.h"
#include "model/activity.h"

/* The heavily followed: the share of the users following each. */
static const double star_shares[] = {0.5, 0.1, 0.1, 0.02, 0.02};
#define STARS (sizeof star_shares / sizeof star_shares[0])
/* Followees of the one who follows most (fewer in a small world). */
#define AVID_FOLLOWS 1000
/* The liveliest listeners the demo user follows besides. */
#define DEMO_FOLLOWS 12
/* Actors a notification group remembers (model/notify.c). */
#define GROUP_ACTORS 5

void gen_news_act(struct gen_news *n, const struct gen_act *a) {
  gen_grow((void **)&n->acts, &n->cap_acts, n->nacts, sizeof *n->acts);
  n->acts[n->nacts++] = *a;
}

void gen_news_tell(struct gen_news *n, const struct gen_tell *t) {
  gen_grow((void **)&n->tells, &n->cap_tells, n->ntells, sizeof *n->tells);
  n->tells[n->ntells++] = *t;
}

/* max_id: the one number `sql` answers, or -1. */
static long long max_id(struct gen_world *w, const char *sql) {
  struct arena *a = arena_new(1024);
  struct db_res res;
  long long v = -1;
  if (a && !db_exec(w->db, a, sql, NULL, 0, 0, &res) && res.nrows == 1)
    v = db_i64(&res.rows[0], 0, -1);
  arena_free(a);
  return v;
}

/* slot_of: the user slot of a user id of the world. */
static uint32_t slot_of(const struct gen_world *w, long long id) {
  return id == w->demo_id ? (uint32_t)w->o.users
                          : (uint32_t)(id - w->user0 - 1);
}

static void add_follow(struct gen_world *w, uint32_t from, uint32_t to,
                       long long at) {
  struct gen_log *g = &w->log;
  gen_grow((void **)&g->follows, &g->cap_follows, g->nfollows,
           sizeof *g->follows);
  g->follows[g->nfollows++] =
      (struct gen_follow){.from = from, .to = to, .at = at};
}

/* follow_many: k more follows between user slot `who` and slots not marked
 * (chosen uniformly, selection sampling), made within the year: of `who`
 * when `followers`, by `who` otherwise. mark: the slots to leave out,
 * nmarked of them. */
static void follow_many(struct gen_world *w, const uint8_t *mark, long nmarked,
                        long k, uint32_t who, bool followers) {
  struct gen_rng *r = &w->r;
  long left = w->slots - nmarked;
  long long start = w->o.end_ms - 365 * GEN_DAY_MS;
  for (long v = 0; v < w->slots && k > 0; v++) {
    if (mark[v]) continue;
    if ((long)gen_below(r, (uint32_t)left--) < k) {
      long long at = start + (long long)(gen_uniform(r) * 365 * GEN_DAY_MS);
      add_follow(w, followers ? (uint32_t)v : who,
                 followers ? who : (uint32_t)v, at);
      k--;
    }
  }
}

/* mark_related: mark `who` and the slots it follows (followers false) or
 * that follow it; their number. */
static long mark_related(struct gen_world *w, uint8_t *mark, uint32_t who,
                         bool followers) {
  long n = 1;
  memset(mark, 0, (size_t)w->slots);
  mark[who] = 1;
  for (size_t i = 0; i < w->log.nfollows; i++) {
    const struct gen_follow *f = &w->log.follows[i];
    uint32_t self = followers ? f->to : f->from;
    uint32_t other = followers ? f->from : f->to;
    if (self == who && !mark[other]) {
      mark[other] = 1;
      n++;
    }
  }
  return n;
}

/* draw_follows: the stars' followers, the avid follower's followees. */
static void draw_follows(struct gen_world *w) {
  struct gen_rng *r = &w->r;
  long users = w->o.users;
  if (users < 2) return;
  uint8_t *mark = gen_calloc((size_t)w->slots, 1);
  uint32_t stars[STARS];
  for (size_t s = 0; s < STARS; s++) {
    uint32_t star;
    bool taken;
    do { /* distinct stars, when there are users enough */
      star = gen_below(r, (uint32_t)users);
      taken = false;
      for (size_t j = 0; j < s; j++)
        taken = taken || stars[j] == star;
    } while (taken && users > (long)STARS);
    stars[s] = star;
    long marked = mark_related(w, mark, star, true);
    long want = (long)(star_shares[s] * (double)users + 0.5);
    if (want > marked - 1)
      follow_many(w, mark, marked, want - (marked - 1), star, true);
  }
  uint32_t avid = gen_below(r, (uint32_t)users);
  long marked = mark_related(w, mark, avid, false);
  long want = AVID_FOLLOWS < users / 2 ? AVID_FOLLOWS : users / 2;
  if (want > marked - 1)
    follow_many(w, mark, marked, want - (marked - 1), avid, false);
  free(mark);
}

/* demo_follows: the demo user follows the DEMO_FOLLOWS users who listened
 * most in the last days, since before those days (no draws). */
static void demo_follows(struct gen_world *w) {
  if (!w->demo_id || w->o.users < 1) return;
  long n = w->o.users;
  uint32_t demo = (uint32_t)n;
  uint8_t *mark = gen_calloc((size_t)w->slots, 1);
  long *heard = gen_calloc((size_t)w->slots, sizeof *heard);
  mark_related(w, mark, demo, false);
  for (size_t i = 0; i < w->log.nlistens; i++)
    heard[w->log.listens[i].user]++;
  long long at = w->o.end_ms - (GEN_RECENT_DAYS + 1) * GEN_DAY_MS;
  for (int k = 0; k < DEMO_FOLLOWS; k++) {
    long best = -1;
    for (long u = 0; u < n; u++)
      if (!mark[u] && heard[u] > 0 && (best < 0 || heard[u] > heard[best]))
        best = u;
    if (best < 0) break;
    mark[best] = 1;
    add_follow(w, demo, (uint32_t)best, at);
  }
  free(mark);
  free(heard);
}

static int cmp_follow(const void *x, const void *y) {
  const struct gen_follow *a = x, *b = y;
  if (a->at != b->at) return (a->at > b->at) - (a->at < b->at);
  if (a->from != b->from) return (a->from > b->from) - (a->from < b->from);
  return (a->to > b->to) - (a->to < b->to);
}

/* write_follows: every follow, oldest first (the ids' order), then each
 * user's counts from the rows. */
static int write_follows(struct gen_world *w) {
  struct gen_log *g = &w->log;
  struct gen_tsv t;
  qsort(g->follows, g->nfollows, sizeof *g->follows, cmp_follow);
  if (gen_tsv_open(w, &t, "follows")) return -1;
  for (size_t i = 0; i < g->nfollows; i++) {
    gen_tsv_int(&t, gen_user_id(w, g->follows[i].from));
    gen_tsv_int(&t, gen_user_id(w, g->follows[i].to));
    gen_tsv_time(&t, g->follows[i].at);
    gen_tsv_eol(&t);
  }
  if (gen_tsv_close(&t) ||
      gen_tsv_load(w, &t, "follows", "follower_id, followee_id, created_at",
                   GEN_CHECKS_OFF))
    return -1;
  struct db_val p[] = {DB_I(w->user0), DB_I(w->demo_id)};
  if (db_exec(w->db, NULL,
              "UPDATE users u SET follower_count = (SELECT COUNT(*) FROM "
              "follows f WHERE f.followee_id = u.id AND f.state = "
              "'accepted'), following_count = (SELECT COUNT(*) FROM follows "
              "f WHERE f.follower_id = u.id AND f.state = 'accepted') WHERE "
              "u.id > ? OR u.id = ?",
              p, 2, 0, NULL)) {
    fprintf(stderr, "generate: cannot count the follows\n");
    return -1;
  }
  return 0;
}

static int cmp_u32(const void *x, const void *y) {
  uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
  return (a > b) - (a < b);
}

/* session: one listening session of listens l[0..n) (one user's, in time
 * order), its artist the one heard most (the lowest id of a tie). */
static void session(struct gen_world *w, const struct gen_listen *l, size_t n,
                    uint32_t *buf, struct gen_news *news) {
  for (size_t i = 0; i < n; i++)
    buf[i] = w->album_artist[w->track_album[l[i].track]];
  qsort(buf, n, sizeof *buf, cmp_u32);
  size_t best = 0, best_n = 0;
  for (size_t i = 0, j; i < n; i = j) {
    for (j = i; j < n && buf[j] == buf[i]; j++)
      ;
    if (j - i > best_n) {
      best = i;
      best_n = j - i;
    }
  }
  gen_news_act(news, &(struct gen_act){.kind = "listened",
                                       .actor = l[0].user,
                                       .count = (uint32_t)n,
                                       .first = l[0].at,
                                       .last = l[n - 1].at,
                                       .artist = w->artist0 + buf[best] + 1,
                                       .artist_count = (long long)best_n});
}

/* sessions: the recent listens' sessions. */
static void sessions(struct gen_world *w, struct gen_news *news) {
  const struct gen_listen *l = w->log.listens;
  size_t n = w->log.nlistens;
  uint32_t *buf = gen_calloc(n, sizeof *buf);
  for (size_t i = 0, j; i < n; i = j) {
    for (j = i + 1; j < n && l[j].user == l[i].user &&
                    l[j].at - l[j - 1].at <= ACTIVITY_SESSION_GAP;
         j++)
      ;
    session(w, l + i, j - i, buf, news);
  }
  free(buf);
}

/* acts_of_log: the recent likes, follows and public playlists, and the
 * notifications of the likes of playlists and of the follows. */
static void acts_of_log(struct gen_world *w, struct gen_news *news) {
  const struct gen_log *g = &w->log;
  for (size_t i = 0; i < g->nlikes; i++) {
    const struct gen_like *k = &g->likes[i];
    gen_news_act(news, &(struct gen_act){.kind = "liked",
                                         .object_type = k->type,
                                         .actor = slot_of(w, k->user),
                                         .count = 1,
                                         .object = k->object,
                                         .first = k->at,
                                         .last = k->at});
    if (strcmp(k->type, "playlist")) continue;
    long long owner =
        gen_user_id(w, g->playlists[k->object - w->playlist0 - 1].owner);
    if (owner != k->user)
      gen_news_tell(news, &(struct gen_tell){.kind = "playlist_liked",
                                             .object_type = "playlist",
                                             .to = owner,
                                             .actor = k->user,
                                             .object = k->object,
                                             .at = k->at});
  }
  for (size_t i = 0; i < g->nfollows; i++) {
    const struct gen_follow *f = &g->follows[i];
    if (!gen_recent(w, f->at)) continue;
    long long to = gen_user_id(w, f->to);
    gen_news_act(news, &(struct gen_act){.kind = "followed",
                                         .object_type = "user",
                                         .actor = f->from,
                                         .count = 1,
                                         .object = to,
                                         .first = f->at,
                                         .last = f->at});
    gen_news_tell(news, &(struct gen_tell){.kind = "follower",
                                           .to = to,
                                           .actor = gen_user_id(w, f->from),
                                           .at = f->at});
  }
  for (size_t p = 0; p < g->nplaylists; p++) {
    const struct gen_playlist *pl = &g->playlists[p];
    if (!pl->shown || !gen_recent(w, pl->at)) continue;
    struct gen_act a = {.kind = "playlist_created",
                        .object_type = "playlist",
                        .actor = pl->owner,
                        .count = 1,
                        .object = w->playlist0 + (long long)p + 1,
                        .first = pl->at,
                        .last = pl->at};
    gen_news_act(news, &a);
    a.kind = "playlist_updated"; /* the tracks, one a minute: one run */
    a.count = pl->tracks;
    a.last = pl->at + (long long)(pl->tracks ? pl->tracks - 1 : 0) * 60000;
    if (pl->tracks) gen_news_act(news, &a);
  }
}

/* An activity's place in the order the rows were made: by first time,
 * then as recorded. */
struct made {
  long long first;
  uint32_t i;
};
static int cmp_made(const void *x, const void *y) {
  const struct made *a = x, *b = y;
  if (a->first != b->first)
    return (a->first > b->first) - (a->first < b->first);
  return (a->i > b->i) - (a->i < b->i);
}

/* write_acts: the activities in the order of `order`, ids after a0. */
static void write_acts(struct gen_world *w, struct gen_tsv *t,
                       const struct gen_news *news, const uint32_t *order,
                       long long a0) {
  for (size_t k = 0; k < news->nacts; k++) {
    const struct gen_act *a = &news->acts[order[k]];
    gen_tsv_int(t, a0 + (long long)k + 1);
    gen_tsv_int(t, gen_user_id(w, a->actor));
    gen_tsv_str(t, a->kind);
    if (a->object_type) {
      gen_tsv_str(t, a->object_type);
      gen_tsv_int(t, a->object);
    } else {
      gen_tsv_null(t);
      gen_tsv_null(t);
    }
    gen_tsv_int(t, a->count);
    gen_tsv_time(t, a->first);
    gen_tsv_time(t, a->last);
    char detail[96] = "{}"; /* as JSON_OBJECT writes it */
    if (!strcmp(a->kind, "listened"))
      snprintf(detail, sizeof detail,
               "{\"artist_id\": %lld, \"artist_count\": %lld}", a->artist,
               a->artist_count);
    gen_tsv_str(t, detail);
    gen_tsv_eol(t);
  }
}

/* write_feeds: each user's feed items, in key order. order: the sorted
 * activities (news->acts indexes), ids after a0. */
static void write_feeds(struct gen_world *w, struct gen_tsv *t,
                        const struct gen_news *news, const uint32_t *order,
                        long long a0) {
  size_t slots = (size_t)w->slots, nf = w->log.nfollows;
  const struct gen_follow *fs = w->log.follows;
  /* each actor's activities (ordinals, in id order) and followers */
  size_t *act_first = gen_calloc(slots + 1, sizeof *act_first);
  size_t *fol_first = gen_calloc(slots + 1, sizeof *fol_first);
  size_t *followers = gen_calloc(slots, sizeof *followers);
  for (size_t k = 0; k < news->nacts; k++)
    act_first[news->acts[order[k]].actor + 1]++;
  for (size_t i = 0; i < nf; i++) {
    fol_first[fs[i].from + 1]++;
    followers[fs[i].to]++;
  }
  for (size_t u = 0; u < slots; u++) {
    act_first[u + 1] += act_first[u];
    fol_first[u + 1] += fol_first[u];
  }
  uint32_t *acts = gen_calloc(news->nacts, sizeof *acts);
  size_t *fill = gen_calloc(slots, sizeof *fill);
  for (size_t k = 0; k < news->nacts; k++) {
    uint32_t u = news->acts[order[k]].actor;
    acts[act_first[u] + fill[u]++] = (uint32_t)k;
  }
  const struct gen_follow **following =
      gen_calloc(nf, sizeof *following); /* by follower */
  memset(fill, 0, slots * sizeof *fill);
  for (size_t i = 0; i < nf; i++)
    following[fol_first[fs[i].from] + fill[fs[i].from]++] = &fs[i];
  free(fill);
  uint32_t *feed = NULL;
  size_t cap = 0;
  for (size_t x = 0; x < slots; x++) {
    size_t n = 0;
    for (size_t i = fol_first[x]; i < fol_first[x + 1]; i++) {
      uint32_t y = following[i]->to;
      if (followers[y] >= FEED_FANOUT_MAX) continue; /* merged when read */
      /* fanned out after the follow; before it, backfilled: the latest */
      size_t lo = act_first[y], hi = act_first[y + 1], c = lo;
      while (c < hi && news->acts[order[acts[c]]].first < following[i]->at)
        c++;
      size_t from = c - lo > FEED_BACKFILL ? c - FEED_BACKFILL : lo;
      for (size_t j = from; j < hi; j++) {
        gen_grow((void **)&feed, &cap, n, sizeof *feed);
        feed[n++] = acts[j];
      }
    }
    qsort(feed, n, sizeof *feed, cmp_u32);
    long long uid = gen_user_id(w, (long)x);
    for (size_t j = 0; j < n; j++) {
      if (j && feed[j] == feed[j - 1]) continue;
      gen_tsv_int(t, uid);
      gen_tsv_int(t, a0 + feed[j] + 1);
      gen_tsv_eol(t);
    }
  }
  free(feed);
  free(following);
  free(acts);
  free(followers);
  free(fol_first);
  free(act_first);
}

/* One notification group, as notify.c's tell_once leaves it. */
struct group {
  const struct gen_tell *first; /* its kind, object and recipient */
  long long actor, count, created, updated;
  long long actors[GROUP_ACTORS]; /* the latest first */
  int nactors;
};

static int cmp_tell(const void *x, const void *y) {
  const struct gen_tell *a = x, *b = y;
  int c;
  if (a->to != b->to) return (a->to > b->to) - (a->to < b->to);
  if ((c = strcmp(a->kind, b->kind))) return c;
  if (a->object != b->object)
    return (a->object > b->object) - (a->object < b->object);
  return (a->at > b->at) - (a->at < b->at);
}

static int cmp_group(const void *x, const void *y) {
  const struct group *a = x, *b = y;
  if (a->created != b->created)
    return (a->created > b->created) - (a->created < b->created);
  return (a->first->to > b->first->to) - (a->first->to < b->first->to);
}

/* write_inboxes: the notifications, grouped while unread, in the order
 * their groups were opened. */
static void write_inboxes(struct gen_tsv *t, struct gen_news *news) {
  qsort(news->tells, news->ntells, sizeof *news->tells, cmp_tell);
  struct group *gs = gen_calloc(news->ntells, sizeof *gs);
  size_t ng = 0;
  for (size_t i = 0; i < news->ntells; i++) {
    const struct gen_tell *e = &news->tells[i];
    struct group *g = ng ? &gs[ng - 1] : NULL;
    if (!g || g->first->to != e->to || strcmp(g->first->kind, e->kind) ||
        g->first->object != e->object) {
      g = &gs[ng++];
      *g = (struct group){.first = e, .created = e->at};
    }
    bool known = false;
    for (int k = 0; k < g->nactors; k++)
      known = known || g->actors[k] == e->actor;
    if (!known) { /* counted, and first of the (cut) list */
      g->count++;
      if (g->nactors == GROUP_ACTORS) g->nactors--;
      memmove(g->actors + 1, g->actors, (size_t)g->nactors * sizeof *g->actors);
      g->actors[0] = e->actor;
      g->nactors++;
    }
    g->actor = e->actor;
    g->updated = e->at;
  }
  qsort(gs, ng, sizeof *gs, cmp_group);
  for (size_t i = 0; i < ng; i++) {
    const struct group *g = &gs[i];
    char key[64], actors[160];
    if (g->first->object_type)
      snprintf(key, sizeof key, "%s:%s:%lld", g->first->kind,
               g->first->object_type, g->first->object);
    else
      snprintf(key, sizeof key, "%s", g->first->kind);
    size_t n = (size_t)snprintf(actors, sizeof actors, "[");
    for (int k = 0; k < g->nactors; k++)
      n += (size_t)snprintf(actors + n, sizeof actors - n, "%s%lld",
                            k ? ", " : "", g->actors[k]);
    snprintf(actors + n, sizeof actors - n, "]");
    gen_tsv_int(t, g->first->to);
    gen_tsv_str(t, g->first->kind);
    gen_tsv_int(t, g->actor);
    if (g->first->object_type) {
      gen_tsv_str(t, g->first->object_type);
      gen_tsv_int(t, g->first->object);
    } else {
      gen_tsv_null(t);
      gen_tsv_null(t);
    }
    gen_tsv_str(t, key);
    gen_tsv_int(t, g->count);
    gen_tsv_str(t, actors);
    gen_tsv_time(t, g->created);
    gen_tsv_time(t, g->updated);
    gen_tsv_eol(t);
  }
  free(gs);
}

/* write_news: the activities, the feeds and the inboxes. */
static int write_news(struct gen_world *w, struct gen_news *news,
                      long long a0) {
  struct made *made = gen_calloc(news->nacts, sizeof *made);
  for (size_t k = 0; k < news->nacts; k++)
    made[k] = (struct made){.first = news->acts[k].first, .i = (uint32_t)k};
  qsort(made, news->nacts, sizeof *made, cmp_made);
  uint32_t *order = gen_calloc(news->nacts, sizeof *order);
  for (size_t k = 0; k < news->nacts; k++)
    order[k] = made[k].i;
  free(made);
  struct gen_tsv ta, tf, tn;
  double t0 = gen_now();
  if (gen_tsv_open(w, &ta, "activities") ||
      gen_tsv_open(w, &tf, "feed_items") ||
      gen_tsv_open(w, &tn, "notifications")) {
    free(order);
    return -1;
  }
  write_acts(w, &ta, news, order, a0);
  write_feeds(w, &tf, news, order, a0);
  write_inboxes(&tn, news);
  free(order);
  if (gen_tsv_close(&ta) || gen_tsv_close(&tf) || gen_tsv_close(&tn)) return -1;
  printf("  write activity        %10lld rows %7.2f s\n",
         ta.rows + tf.rows + tn.rows, gen_now() - t0);
  return gen_tsv_load(w, &ta, "activities",
                      "id, actor_id, kind, object_type, object_id, count, "
                      "first_at, last_at, detail",
                      GEN_CHECKS_OFF) ||
                 gen_tsv_load(w, &tf, "feed_items", "user_id, activity_id",
                              GEN_CHECKS_OFF) ||
                 gen_tsv_load(w, &tn, "notifications",
                              "user_id, kind, actor_id, object_type, "
                              "object_id, group_key, count, actors, "
                              "created_at, updated_at",
                              GEN_CHECKS_OFF)
             ? -1
             : 0;
}

int gen_feed(struct gen_world *w) {
  struct gen_news news = {0};
  long long c0 = max_id(w, "SELECT COALESCE(MAX(id), 0) FROM comments");
  long long a0 = max_id(w, "SELECT COALESCE(MAX(id), 0) FROM activities");
  if (c0 < 0 || a0 < 0) {
    fprintf(stderr, "generate: database error\n");
    return -1;
  }
  draw_follows(w);
  demo_follows(w);
  int rc = write_follows(w);
  if (!rc) rc = gen_comments(w, c0, &news);
  if (!rc) {
    sessions(w, &news);
    acts_of_log(w, &news);
    rc = write_news(w, &news, a0);
  }
  free(news.acts);
  free(news.tells);
  return rc;
}
