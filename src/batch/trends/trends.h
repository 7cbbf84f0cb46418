/* trends.h: encore-trends, the hourly batch of trending lists and charts,
 * in stages with one structure between them:
 *
 *   trends_read   (read.c)   MariaDB -> struct trends_world: the catalogue
 *                            and every item's counts of plays, likes and
 *                            playlist additions in the windows
 *   trends_rank   (score.c)  the counts -> each list's items, best first
 *   trends_store  (store.c)  the lists -> a new version, switched to in one
 *                            transaction with the charts it computed
 *   trends_check  (check.c)  each user's months of listens against the
 *                            insights' rollups; a month that disagrees is
 *                            made again (model/insight.h)
 *
 * docs/architecture.md ("Insights and trends") gives the formula. */
#ifndef ENCORE_TRENDS_H
#define ENCORE_TRENDS_H

#include <stdint.h>

struct db;

enum trends_kind {
  TRENDS_TRACKS,
  TRENDS_ARTISTS,
  TRENDS_ALBUMS,
  TRENDS_PLAYLISTS,
  TRENDS_KINDS
};
enum trends_win { TRENDS_DAY, TRENDS_WEEK, TRENDS_WINS };
/* The chart periods a run computes: the current and previous week (from
 * Monday, UTC) and month. */
enum trends_period {
  TRENDS_WEEK_NOW,
  TRENDS_WEEK_BEFORE,
  TRENDS_MONTH_NOW,
  TRENDS_MONTH_BEFORE,
  TRENDS_PERIODS
};

#define TRENDS_HOUR_MS 3600000LL
#define TRENDS_DAY_MS 86400000LL
/* The windows and their baselines, in hours before the end of the data. */
#define TRENDS_DAY_HOURS 24
#define TRENDS_DAY_BASE_HOURS (7 * 24) /* the 7 days before the day */
#define TRENDS_WEEK_HOURS (7 * 24)
#define TRENDS_WEEK_BASE_HOURS (28 * 24) /* the 4 weeks before the week */
/* Weights of the events; plays count at most TRENDS_PLAYS_CAP a listener,
 * track and day. */
#define TRENDS_W_PLAY 1.0
#define TRENDS_W_LIKE 3.0
#define TRENDS_W_ADD 2.0
#define TRENDS_PLAYS_CAP 3
/* The prior of the score (events at the item's own rate, see score.c), the
 * least rise listed (events beyond the expected, and score), the boost of
 * a new release and how long a release is new. */
#define TRENDS_PRIOR 20.0
#define TRENDS_MIN_RISE 3.0
#define TRENDS_MIN_SCORE 0.05
#define TRENDS_NEW_BOOST 0.5
#define TRENDS_NEW_DAYS 28
/* Items per list, and genres with lists (the most active). */
#define TRENDS_LIST_MAX 100
#define TRENDS_GENRES_MAX 500

/* One item's counts. */
struct trends_counts {
  float recent[TRENDS_WINS], base[TRENDS_WINS]; /* weighted events */
  uint32_t plays[TRENDS_WINS];                  /* plays in the window */
  uint32_t chart[TRENDS_PERIODS];               /* plays of each period */
};

/* The items of one kind, sorted by id. */
struct trends_items {
  int n;
  int64_t *id;
  struct trends_counts *c;
  int32_t *release; /* day of release (days since 1970), INT32_MIN: unknown */
  int64_t *gptr;    /* [n + 1]: genres of item i are genre[gptr[i]..] */
  int32_t *genre;   /* genre ids */
  /* id -> index: dense[id] when ids are dense enough, else a search */
  int32_t *dense;
  int64_t dense_n;
};

/* Everything a run reads. */
struct trends_world {
  long long until_ms; /* the end of every window: the run's hour */
  long long from_ms;  /* the earliest activity read */
  long long period_ms[TRENDS_PERIODS + 1]; /* starts; [..._BEFORE + 1] ends */
  struct trends_items items[TRENDS_KINDS];
  int32_t *track_album, *track_artist; /* per track: indexes, -1 none */
  /* figures of the run */
  long long listens_read, events, capped;
};

/* trends_find: the index of id among the items, -1 when absent. */
int trends_find(const struct trends_items *it, int64_t id);

/* trends_read: the catalogue, then the activity of [from_ms, until_ms)
 * (w->until_ms and the periods set by trends_world_init). Listens are
 * also handed to check (may be NULL) for trends_check. 0 or -1 (said). */
struct trends_check;
int trends_read(struct db *d, struct trends_world *w, struct trends_check *chk);
/* trends_world_init: the windows and periods of a run whose data ends at
 * until_ms. */
void trends_world_init(struct trends_world *w, long long until_ms);
void trends_world_free(struct trends_world *w);

/* trends_score: how much an item rises in a window: the log of its events
 * there against its own baseline scaled to the window's length, both with
 * TRENDS_PRIOR events added, boosted while new (release_age_days in
 * [0, TRENDS_NEW_DAYS); < 0: unknown or not new). 0 for an item that does
 * not rise enough to be listed. */
double trends_score(double recent, double base, double win_hours,
                    double base_hours, int release_age_days);

/* One entry of a ranked list. */
struct trends_entry {
  int item;
  float score;
};

/* A list: overall (genre 0) or of a genre. */
struct trends_list {
  enum trends_kind kind;
  enum trends_win win;
  int64_t genre;
  int n;
  struct trends_entry e[TRENDS_LIST_MAX];
};

/* trends_rank: every trending list of the world (overall, and per genre
 * for tracks, artists and albums): *lists (malloc'd) of *n. 0 or -1. */
int trends_rank(const struct trends_world *w, struct trends_list **lists,
                int *n);
/* trends_chart: the most played items of kind in period p, at most
 * TRENDS_LIST_MAX, into idx (plays descending, then id). Their number. */
int trends_chart(const struct trends_world *w, enum trends_kind kind,
                 enum trends_period p, int *idx);

/* trends_store: write the lists and charts as a new version and switch to
 * it (the store's steps in store.c). stats is the run's JSON object text.
 * 0 or -1 (the version marked failed, the serving one unchanged). */
int trends_store(struct db *d, const struct trends_world *w,
                 const struct trends_list *lists, int n, const char *stats,
                 unsigned *version);

/* The check of the insights' rollups (check.c). */
struct trends_check *trends_check_new(void);
/* trends_check_listen: one listen of user at ms. */
void trends_check_listen(struct trends_check *c, int64_t user, long long ms);
/* trends_check_run: compare with the month rows and make the months that
 * disagree again; their number in *repaired. 0 or -1. */
int trends_check_run(struct db *d, struct trends_check *c, long long *months,
                     long long *repaired);
void trends_check_free(struct trends_check *c);

#endif
