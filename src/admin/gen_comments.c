/* gen_comments: the generated comments: one for each user over the year,
 * in time order; a quarter are replies (one level deep, to a recent
 * top-level comment, often naming its author), the rest on a track of the
 * author's taste, its album, or a public playlist (the first ones more
 * often); a few name another user. Likes of comments fall off steeply (most
 * get none, a few many), within a week of the comment. The recent ones
 * make activity and notifications as model/notify.c decides: a reply tells
 * the parent's author, a mention whom it names, a comment on a playlist its
 * owner, each person once; a like tells the comment's author. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "admin/gen.h"

/* Likes of one comment, at most. */
#define COMMENT_LIKES_MAX 200

/* One comment as drawn; the object is an id of object_type. */
struct comment {
  const char *object_type;
  long long object, at;
  uint32_t author;
  int64_t parent;        /* index of the parent, -1 for a top-level one */
  int64_t mention;       /* the slot named, -1 for none */
  long long playlist_by; /* a playlist's owner (id), else 0 */
  uint32_t likes, replies;
};

static int cmp_ll(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return (x > y) - (x < y);
}

/* username: user slot u's name into out. */
static void username(const struct gen_world *w, uint32_t u, char *out,
                     size_t n) {
  if (u == (uint32_t)w->o.users)
    snprintf(out, n, "%s", w->o.demo_user);
  else
    snprintf(out, n, "%s_%u", w->log.handle[u], u + 1);
}

/* body: the comment's text, naming c->mention first when there is one. */
static void body(struct gen_world *w, const struct comment *c, char *out,
                 size_t n) {
  struct gen_rng *r = &w->r;
  char at[64] = "";
  if (c->mention >= 0) {
    char name[48];
    username(w, (uint32_t)c->mention, name, sizeof name);
    snprintf(at, sizeof at, "@%s ", name);
  }
  const char *adjective = gen_pick(r, &gen_adjectives);
  const char *noun = gen_pick(r, &gen_nouns);
  switch (gen_below(r, 5)) {
  case 0:
    snprintf(out, n, "%sWhat a %s %s.", at, adjective, noun);
    break;
  case 1:
    snprintf(out, n, "%sThe %s in this one is so %s!", at, noun, adjective);
    break;
  case 2:
    snprintf(out, n, "%sSounds like a %s %s to me.", at, adjective, noun);
    break;
  case 3:
    snprintf(out, n, "%sOn repeat all week. %s %s, %s.", at, adjective, noun,
             gen_pick(r, &gen_verbs));
    break;
  default:
    snprintf(out, n, "%sReminds me of %s %s, years ago.", at, adjective, noun);
  }
}

/* draw: comment i at time at (the tops so far in tops[0..*ntops)). */
static void draw(struct gen_world *w, struct comment *cs, long i, long long at,
                 uint32_t *tops, uint32_t *ntops, const uint32_t *pub,
                 uint32_t npub) {
  struct gen_rng *r = &w->r;
  struct comment *c = &cs[i];
  *c = (struct comment){.at = at, .parent = -1, .mention = -1};
  c->author = gen_below(r, (uint32_t)w->slots);
  if (*ntops && gen_uniform(r) < 0.25) {
    const struct comment *p = &cs[tops[*ntops - 1 - gen_zipf(r, *ntops)]];
    c->parent = p - cs;
    c->object_type = p->object_type;
    c->object = p->object;
    c->playlist_by = p->playlist_by;
    if (gen_uniform(r) < 0.5 && p->author != c->author) c->mention = p->author;
    return;
  }
  tops[(*ntops)++] = (uint32_t)i;
  double u = gen_uniform(r);
  if (u < 0.3 && npub) {
    uint32_t p = pub[gen_zipf(r, npub)];
    c->object_type = "playlist";
    c->object = w->playlist0 + p + 1;
    c->playlist_by = gen_user_id(w, (long)w->log.playlists[p].owner);
  } else {
    uint32_t t = gen_pick_track(w, c->author);
    c->object_type = u < 0.8 ? "track" : "album";
    c->object = u < 0.8 ? w->track0 + t + 1 : w->album0 + w->track_album[t] + 1;
  }
  if (gen_uniform(r) < 0.05) {
    uint32_t m = gen_below(r, (uint32_t)w->slots);
    if (m != c->author) c->mention = m;
  }
}

/* tell: one notification of comment id's, unless to the actor. */
static void tell(struct gen_news *news, const char *kind, const char *type,
                 long long to, long long actor, long long object,
                 long long at) {
  if (!to || to == actor) return;
  gen_news_tell(news, &(struct gen_tell){.kind = kind,
                                         .object_type = type,
                                         .to = to,
                                         .actor = actor,
                                         .object = object,
                                         .at = at});
}

/* news_of: comment id's activity and notifications (notify_comment). */
static void news_of(struct gen_world *w, const struct comment *cs,
                    const struct comment *c, long long id,
                    struct gen_news *news) {
  long long author = gen_user_id(w, c->author);
  long long parent_author =
      c->parent >= 0 ? gen_user_id(w, cs[c->parent].author) : 0;
  long long mentioned = c->mention >= 0 ? gen_user_id(w, c->mention) : 0;
  gen_news_act(news, &(struct gen_act){.kind = "commented",
                                       .object_type = "comment",
                                       .actor = c->author,
                                       .count = 1,
                                       .object = id,
                                       .first = c->at,
                                       .last = c->at});
  tell(news, "reply", "comment", parent_author, author, id, c->at);
  if (mentioned != parent_author)
    tell(news, "mention", "comment", mentioned, author, id, c->at);
  if (c->playlist_by && c->playlist_by != parent_author &&
      c->playlist_by != mentioned)
    tell(news, "comment", "playlist", c->playlist_by, author, c->object, c->at);
}

/* write_likes: comment id's likes (distinct users, within a week), their
 * notifications when recent; their number. */
static uint32_t write_likes(struct gen_world *w, struct gen_tsv *t,
                            const struct comment *c, long long id,
                            struct gen_news *news) {
  struct gen_rng *r = &w->r;
  uint32_t who[COMMENT_LIKES_MAX];
  double x = exp(1.3 * gen_normal(r)) - 1.0;
  size_t k = x <= 0                   ? 0
             : x >= COMMENT_LIKES_MAX ? COMMENT_LIKES_MAX
                                      : (size_t)x;
  for (size_t i = 0; i < k; i++)
    who[i] = gen_below(r, (uint32_t)w->slots);
  k = gen_dedup(who, k);
  long long room = w->o.end_ms - c->at, week = 7 * GEN_DAY_MS;
  for (size_t i = 0; i < k; i++) {
    long long at =
        c->at + 1 +
        (long long)(gen_uniform(r) * (double)(room < week ? room - 1 : week));
    long long liker = gen_user_id(w, (long)who[i]);
    gen_tsv_int(t, id);
    gen_tsv_int(t, liker);
    gen_tsv_time(t, at);
    gen_tsv_eol(t);
    if (gen_recent(w, at))
      tell(news, "comment_liked", "comment", gen_user_id(w, c->author), liker,
           id, at);
  }
  return (uint32_t)k;
}

int gen_comments(struct gen_world *w, long long c0, struct gen_news *news) {
  const struct gen_opts *o = &w->o;
  long n = o->users && o->tracks ? o->users : 0;
  long long start = o->end_ms - 365 * GEN_DAY_MS;
  if (!n) return 0;
  double t0 = gen_now();
  struct comment *cs = gen_calloc((size_t)n, sizeof *cs);
  long long *times = gen_calloc((size_t)n, sizeof *times);
  uint32_t *tops = gen_calloc((size_t)n, sizeof *tops), ntops = 0;
  uint32_t *pub = gen_calloc(w->log.nplaylists, sizeof *pub), npub = 0;
  for (size_t p = 0; p < w->log.nplaylists; p++)
    if (w->log.playlists[p].shown) pub[npub++] = (uint32_t)p;
  for (long i = 0; i < n; i++)
    times[i] = start +
               (long long)(gen_uniform(&w->r) * (double)(365 * GEN_DAY_MS - 1));
  qsort(times, (size_t)n, sizeof *times, cmp_ll);
  for (long i = 0; i < n; i++)
    draw(w, cs, i, times[i], tops, &ntops, pub, npub);
  free(times);
  free(tops);
  free(pub);

  struct gen_tsv tc, tl, tm;
  if (gen_tsv_open(w, &tc, "comments") ||
      gen_tsv_open(w, &tl, "comment_likes") ||
      gen_tsv_open(w, &tm, "comment_mentions")) {
    free(cs);
    return -1;
  }
  for (long i = 0; i < n; i++) {
    struct comment *c = &cs[i];
    long long id = c0 + i + 1;
    c->likes = write_likes(w, &tl, c, id, news);
    if (c->parent >= 0) cs[c->parent].replies++;
    if (c->mention >= 0) {
      gen_tsv_int(&tm, id);
      gen_tsv_int(&tm, gen_user_id(w, c->mention));
      gen_tsv_eol(&tm);
    }
    if (gen_recent(w, c->at)) news_of(w, cs, c, id, news);
  }
  for (long i = 0; i < n; i++) { /* replies are counted by now */
    const struct comment *c = &cs[i];
    char text[256];
    body(w, c, text, sizeof text);
    gen_tsv_int(&tc, c0 + i + 1);
    gen_tsv_str(&tc, c->object_type);
    gen_tsv_int(&tc, c->object);
    gen_tsv_int(&tc, gen_user_id(w, c->author));
    if (c->parent >= 0)
      gen_tsv_int(&tc, c0 + c->parent + 1);
    else
      gen_tsv_null(&tc);
    gen_tsv_str(&tc, text);
    gen_tsv_int(&tc, c->likes);
    gen_tsv_int(&tc, c->replies);
    gen_tsv_time(&tc, c->at);
    gen_tsv_eol(&tc);
  }
  free(cs);
  if (gen_tsv_close(&tc) || gen_tsv_close(&tl) || gen_tsv_close(&tm)) return -1;
  printf("  write comments        %10lld rows %7.2f s\n",
         tc.rows + tl.rows + tm.rows, gen_now() - t0);
  return gen_tsv_load(w, &tc, "comments",
                      "id, object_type, object_id, author_id, parent_id, "
                      "body, like_count, reply_count, created_at",
                      GEN_CHECKS_OFF) ||
                 gen_tsv_load(w, &tl, "comment_likes",
                              "comment_id, user_id, created_at",
                              GEN_CHECKS_OFF) ||
                 gen_tsv_load(w, &tm, "comment_mentions", "comment_id, user_id",
                              GEN_CHECKS_OFF)
             ? -1
             : 0;
}
