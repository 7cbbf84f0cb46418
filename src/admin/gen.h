/* gen: what the files of `encore-admin generate` share, and nothing else
 * uses (the command's entry is generate.h):
 *
 *   gen_rng.c        the random stream (splitmix64) and its draws
 *   gen_vocab.c      the fixed vocabularies: genres and their families'
 *                    sound, the words of names, labels, countries
 *   gen_tsv.c        TSV output, and its loading with LOAD DATA
 *   gen_plan.c       the world in memory: the shape of the catalogue, the
 *                    users' tastes, a listener's pick of a track
 *   gen_catalogue.c  artists, albums, tracks and their genres
 *   gen_users.c      users and their preferences
 *   gen_activity.c   listens and likes, follows, playlists and their likes
 *   gen_heavy.c      the heavy listener (--heavy-listens)
 *   gen_feed.c       the few heavily followed, every follow, and the
 *                    activity, feeds and inboxes of the last weeks
 *   gen_comments.c   comments, replies, their likes and mentions
 *   generate.c       the command: options, ids, the order of the steps
 *
 * Everything random comes from one stream in a fixed order, so that a seed
 * makes one world: a step that draws more, or draws in another order,
 * changes every world made after it. */
#ifndef ENCORE_ADMIN_GEN_H
#define ENCORE_ADMIN_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct db;

#define GEN_DAY_MS 86400000LL
#define GEN_NO_GENRE 255 /* an artist without a second genre */

/* --- the random stream (gen_rng.c) ---------------------------------------- */

struct gen_rng {
  uint64_t state;
};

/* gen_next: the next 64 bits of the stream. */
uint64_t gen_next(struct gen_rng *r);
/* gen_uniform: uniform in [0, 1). */
double gen_uniform(struct gen_rng *r);
/* gen_below: uniform in [0, n); n > 0. */
uint32_t gen_below(struct gen_rng *r, uint32_t n);
/* gen_normal: standard normal (Box-Muller, two draws). */
double gen_normal(struct gen_rng *r);
/* gen_zipf: a rank in [0, n) with P(k) ~ 1/(k+1). */
uint32_t gen_zipf(struct gen_rng *r, uint32_t n);
/* gen_clamp01: x within [0, 1]. */
double gen_clamp01(double x);

/* --- the fixed vocabularies (gen_vocab.c) --------------------------------- */

/* The families of genres, which share a sound. */
enum gen_family {
  GEN_ROCK,
  GEN_POP,
  GEN_ELECTRONIC,
  GEN_HIP_HOP,
  GEN_JAZZ_BLUES,
  GEN_CLASSICAL,
  GEN_FOLK_COUNTRY,
  GEN_METAL,
  GEN_LATIN_WORLD,
  GEN_RNB_SOUL,
};

/* A family's sound: the means of its tracks' audio features, its share of
 * explicit tracks, its mean duration in seconds. */
struct gen_sound {
  double tempo, energy, valence, dance, acoustic, instrumental, explicit_p;
  int secs;
};
extern const struct gen_sound gen_sounds[]; /* by enum gen_family */

struct gen_genre {
  const char *name;
  enum gen_family family;
};
/* The genres, by family; their index is their identity in a world. */
#define GEN_GENRES 66
extern const struct gen_genre gen_genres[GEN_GENRES];

enum gen_album_type { GEN_ALBUM, GEN_SINGLE, GEN_EP, GEN_COMPILATION };
extern const char *const gen_album_types[]; /* albums.type, by the enum */

/* A list of words to draw from. */
struct gen_words {
  const char *const *words;
  uint32_t n;
};
extern const struct gen_words gen_adjectives, gen_nouns, gen_verbs,
    gen_first_names, gen_last_names, gen_handles, gen_labels, gen_countries,
    gen_sources, gen_lyric_lines;

/* gen_pick: one word of the list, uniformly (one draw). */
const char *gen_pick(struct gen_rng *r, const struct gen_words *list);

/* --- the world in memory (gen_plan.c) ------------------------------------- */

struct gen_opts {
  unsigned long long seed;
  long users, artists, albums, tracks, listens, playlists;
  const char *demo_user;
  long long end_ms; /* listens end here (ms since the epoch) */
  long heavy;       /* listens of the heavy listener (gen_heavy.c); 0: none */
};

/* What the steps before gen_feed did that activity and the inbox hear of,
 * kept as it is drawn (keeping draws nothing): every follow and playlist,
 * and the listens and likes of the last GEN_RECENT_DAYS. Only those days
 * have activity and notifications: a world's feeds are its last weeks. */
#define GEN_RECENT_DAYS 14
struct gen_follow {
  uint32_t from, to; /* user slots */
  long long at;
};
struct gen_listen {
  uint32_t user, track; /* user slot, track index */
  long long at;
};
struct gen_like {
  long long user, object, at; /* ids */
  const char *type;           /* likes.object_type */
};
struct gen_playlist {
  uint32_t owner, tracks; /* user slot, tracks added at one a minute */
  long long at;           /* made */
  bool shown;             /* public */
};
struct gen_log {
  struct gen_follow *follows;
  struct gen_listen *listens; /* a user's together, in time order */
  struct gen_like *likes;
  struct gen_playlist *playlists; /* by index */
  size_t nfollows, nlistens, nlikes, nplaylists;
  size_t cap_follows, cap_listens, cap_likes;
  const char **handle; /* a generated user's username is handle_<slot+1> */
};

/* The world as planned, indexes from 0; a row's id is its table's base
 * plus index plus 1. */
struct gen_world {
  struct db *db;
  struct gen_opts o;
  struct gen_rng r;
  long long genre_id[GEN_GENRES];                      /* genres.id */
  long long artist0, album0, track0, user0, playlist0; /* the bases */
  /* artists */
  uint8_t *artist_genre1, *artist_genre2; /* 2: may be GEN_NO_GENRE */
  /* albums */
  uint32_t *album_artist;
  uint8_t *album_type; /* enum gen_album_type */
  uint16_t *album_year;
  uint8_t *album_month, *album_day;
  uint32_t *album_first; /* first track of album i; [albums] = tracks */
  /* tracks */
  uint8_t *track_genre;               /* primary genre */
  uint32_t *track_ms;                 /* duration */
  uint32_t *track_album;              /* album index */
  uint32_t *track_plays;              /* generated listens */
  uint32_t *genre_tracks[GEN_GENRES]; /* a genre's tracks by appeal */
  uint32_t genre_count[GEN_GENRES];   /* tracks per genre */
  /* users: generated ones, then the demo user when there is one */
  long slots;
  long long demo_id;
  uint8_t (*taste)[3]; /* up to 3 genres a slot, the first its cluster */
  uint8_t *tastes;     /* genres in taste[u] */
  uint32_t *cluster[GEN_GENRES]; /* users by first taste */
  uint32_t cluster_count[GEN_GENRES];
  struct gen_log log;
  /* temporary files */
  char dir[256];
  long long rows; /* loaded so far */
};

/* gen_calloc: zeroed memory; out of memory ends the program. */
void *gen_calloc(size_t n, size_t size);
/* gen_now: seconds of the monotonic clock, for the progress lines. */
double gen_now(void);
/* gen_user_id: the id of user slot `slot` (the last is the demo user). */
long long gen_user_id(const struct gen_world *w, long slot);
/* gen_related: another genre of g's family (or g itself when alone). */
uint8_t gen_related(struct gen_rng *r, uint8_t g);
/* gen_plan: draw the catalogue's shape and the users' tastes into w (the
 * first draws of the stream). */
void gen_plan(struct gen_world *w);
/* gen_pick_track: a track for user slot u: mostly of their taste, by
 * appeal. */
uint32_t gen_pick_track(struct gen_world *w, long u);
/* gen_dedup: sort v[0..n) and drop repeats; the new n. */
size_t gen_dedup(uint32_t *v, size_t n);
/* gen_grow: room in array *v of *cap elements of size bytes for element
 * n (doubling); out of memory ends the program. */
void gen_grow(void **v, size_t *cap, size_t n, size_t size);
/* gen_recent: whether time `at` is within the last GEN_RECENT_DAYS. */
bool gen_recent(const struct gen_world *w, long long at);
/* gen_free: release w's memory and its temporary files. */
void gen_free(struct gen_world *w);

/* --- TSV output and loading (gen_tsv.c) ----------------------------------- */

/* A TSV file being written in the world's directory. */
struct gen_tsv {
  FILE *f;
  char path[300];
  long long rows;
  bool first; /* no field yet on this line */
};

/* gen_tsv_open: create w->dir/name.tsv. 0, or -1 after saying why. */
int gen_tsv_open(struct gen_world *w, struct gen_tsv *t, const char *name);
/* The fields of a line, in order; gen_tsv_eol ends it. gen_tsv_str writes
 * LOAD DATA's escapes; gen_tsv_time writes "YYYY-MM-DD hh:mm:ss.mmm" UTC
 * of ms >= 0. */
void gen_tsv_int(struct gen_tsv *t, long long v);
void gen_tsv_null(struct gen_tsv *t);
void gen_tsv_num(struct gen_tsv *t, double v, int prec);
void gen_tsv_str(struct gen_tsv *t, const char *s);
void gen_tsv_time(struct gen_tsv *t, long long ms);
void gen_tsv_eol(struct gen_tsv *t);
/* gen_tsv_close: 0, or -1 after saying the file could not be written. */
int gen_tsv_close(struct gen_tsv *t);

/* Whether a load keeps the table's unique checks. */
enum gen_checks { GEN_CHECKS_OFF, GEN_CHECKS_UNIQUE };

/* gen_tsv_load: LOAD DATA the closed file into `table` (columns `cols`)
 * in one transaction, print its figures, then delete the file. 0, or -1
 * after saying why. */
int gen_tsv_load(struct gen_world *w, struct gen_tsv *t, const char *table,
                 const char *cols, enum gen_checks checks);

/* --- the steps: each writes and loads its tables; 0 or -1 ------------------
 */

/* gen_users (gen_users.c): users and user_preferences; hash is the one
 * password hash every generated user gets. */
int gen_users(struct gen_world *w, const char *hash);
/* gen_listens (gen_activity.c): listens, and likes of tracks and albums. */
int gen_listens(struct gen_world *w);
/* gen_social (gen_activity.c): follows (kept in w->log: gen_feed writes
 * them), playlists, their tracks and their likes. */
int gen_social(struct gen_world *w);
/* gen_heavy (gen_heavy.c): the heavy listener and their listens, when
 * asked for (o.heavy). */
int gen_heavy(struct gen_world *w, const char *hash);
/* gen_feed (gen_feed.c): the heavily followed and their followers, the
 * demo user's follows of the liveliest, every follow (with the users'
 * counts), comments (gen_comments), and the activities, feed items and
 * notifications of the last GEN_RECENT_DAYS, as model/activity.c and
 * model/notify.c would have written them. The last step. */
int gen_feed(struct gen_world *w);

/* --- the news of the last weeks (gen_feed.c, gen_comments.c) ------------ */

/* An activities row to be (model/activity.h): its actor a user slot, the
 * rest ids; artist 0 when a session names none. */
struct gen_act {
  const char *kind, *object_type; /* the ENUMs' names; type NULL: none */
  uint32_t actor, count;
  long long object, first, last, artist, artist_count;
};
/* A notification to be (model/notify.c's tell): ids. */
struct gen_tell {
  const char *kind, *object_type; /* type NULL: none */
  long long to, actor, object, at;
};
struct gen_news {
  struct gen_act *acts;
  struct gen_tell *tells;
  size_t nacts, ntells, cap_acts, cap_tells;
};
/* gen_news_act, gen_news_tell: add one to news. */
void gen_news_act(struct gen_news *n, const struct gen_act *a);
void gen_news_tell(struct gen_news *n, const struct gen_tell *t);
/* gen_comments (gen_comments.c): comments over the year (one for each
 * user) with ids after c0, a quarter of them replies, with likes and
 * mentions; the activity and notifications of the recent ones into news. */
int gen_comments(struct gen_world *w, long long c0, struct gen_news *news);
/* gen_catalogue (gen_catalogue.c): artists, albums, tracks, their genres
 * and artists; popularity from the listens drawn before. */
int gen_catalogue(struct gen_world *w);

#endif
