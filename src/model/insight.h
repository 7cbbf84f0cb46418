/* insight: a user's listening insights for any range of local days: the
 * rollups they are read from (insight_rollups, insight_firsts: migration
 * 0022), kept in the transaction of every listen stored or deleted
 * (insight_store.c), the report of a range and of a year (insight_read.c,
 * insight_year.c), and the year's shareable card (insight_card.c).
 *
 * Rollups are per UTC month, and per UTC day for the months a user listened
 * to INSIGHT_DAYS_MIN times or more; each holds the listens and time per
 * quarter hour, track, primary artist, album and genre. A range in any time
 * zone is the months it covers whole, the UTC days it covers whole in the
 * other months (of busy months: their day rows; else the listens), and
 * the listens of the pieces of UTC days at its ends: exact in every zone,
 * and about as costly for five years as for a week. Local days and hours
 * come from the quarter hours, exact for zones whose offsets are whole
 * quarter hours (every zone since 1979; tz_quarter_aligned). */
#ifndef ENCORE_INSIGHT_H
#define ENCORE_INSIGHT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

struct arena;
struct db;
struct listen_in;
struct tz;

/* Listens in a UTC month from which the month keeps day rows. */
#define INSIGHT_DAYS_MIN 256
/* Entries of each top list of a report: default and most. */
#define INSIGHT_TOP_DEFAULT 10
#define INSIGHT_TOP_MAX 50
/* The first day a range may start on (1970-01-01) and the longest range. */
#define INSIGHT_DAY_MIN 0
#define INSIGHT_RANGE_MAX_DAYS (100 * 366)

/* --- rollups made from listens (insight_facts.c) ------------------------- */

/* One listen and its track's credits as they are now. */
struct insight_fact {
  long long at_ms;
  long long ms;           /* ms_played, else the track's duration */
  long long track, album; /* album 0: none */
  int na, ng;
  const long long *artists, *genres; /* primary artists; genres */
};

/* One rollup row as insight_user_rows makes it: span 1 a UTC day, 2 a UTC
 * month starting on day `start`; r is normalized. */
struct rollup;
typedef int (*insight_row_fn)(void *ctx, int span, long long start, int days,
                              const struct rollup *r);

/* insight_user_rows: the rows of one user's facts f[0..n) (sorted by time):
 * a month row per month with listens, and day rows for the months of
 * INSIGHT_DAYS_MIN listens or more, each handed to emit (which returns 0
 * to go on). 0, -1 out of memory, or what emit returned. */
int insight_user_rows(const struct insight_fact *f, int n, insight_row_fn emit,
                      void *ctx);
/* insight_first_listens: each artist's earliest listen among f[0..n), as
 * pairs (artist, ms) in *pairs (malloc'd, 2 * *m values, by artist). 0 or
 * -1 out of memory. */
int insight_first_listens(const struct insight_fact *f, int n,
                          long long **pairs, int *m);

/* --- keeping the rollups (insight_store.c) -------------------------------- */

/* insight_listens_stored: add the items of u[0..n) marked LISTEN_STORED to
 * user_id's rollups and discoveries, inside the caller's transaction (the
 * one that stored them). 0 or a db code (the caller rolls back). */
int insight_listens_stored(struct db *d, struct arena *a, long long user_id,
                           struct listen_in *const *u, int n);
/* insight_listens_deleted: listens of user_id in [from_ms, to_ms) (0: no
 * bound on that side) were deleted: the rollups of the UTC months held in
 * that span are made again from the listens left, and the discoveries
 * made in it read again; from = to = 0: the whole history went. Inside
 * the caller's transaction (the one that deleted them). */
int insight_listens_deleted(struct db *d, struct arena *a, long long user_id,
                            long long from_ms, long long to_ms);
/* insight_rebuild_user: every rollup and discovery of user_id made again
 * from the listens, in one transaction of its own. */
int insight_rebuild_user(struct db *d, struct arena *a, long long user_id);
/* insight_rebuild_month: the rollups of user_id's UTC month that starts on
 * day `month` made again from its listens, in a transaction of its own:
 * the repair of a month whose listens changed other than through these
 * functions (encore-trends compares every month's count with its
 * listens). */
int insight_rebuild_month(struct db *d, struct arena *a, long long user_id,
                          long long month);

/* --- reading (insight_read.c, insight_year.c) ----------------------------- */

/* What a report is asked for: the local days [from_day, to_day] of zone. */
struct insight_query {
  long long user_id;
  const struct tz *zone;
  long long from_day, to_day; /* days since 1970-01-01, from <= to */
  int limit;                  /* entries per top list */
};

/* insight_report: the figures of the range and of the period of equal
 * length before it ("previous"), as the InsightReport JSON (a new object,
 * the caller's). */
int insight_report(struct db *d, struct arena *a, const struct insight_query *q,
                   json_object **out);

/* A year in review, as read (insight_year.c). */
struct insight_year {
  int year;
  const char *name; /* the user's display name */
  long long listens, ms;
  json_object *top; /* {tracks, artists, albums, genres}: 5 each */
  long long month_ms[12];
  int best_month;          /* 1..12, 0 without listens */
  json_object *new_artist; /* the year's most heard discovery, or NULL */
  long long discoveries;
};

/* insight_year_read: the year `year` of zone for user_id. The JSON members
 * are owned by the arena. */
int insight_year_read(struct db *d, struct arena *a, long long user_id,
                      const struct tz *zone, int year, struct insight_year *y);
/* insight_year_json: the YearInReview JSON of y (a new object). */
json_object *insight_year_json(const struct insight_year *y, const char *zone);
/* insight_card_svg: y as an SVG image of INSIGHT_CARD_W x INSIGHT_CARD_H,
 * in the arena; NULL out of memory. */
#define INSIGHT_CARD_W 1080
#define INSIGHT_CARD_H 1350
const char *insight_card_svg(struct arena *a, const struct insight_year *y,
                             size_t *len);

/* insight_zone_of: the user's time_zone preference, loaded (the default
 * zone when unset or no longer in the tzdata). */
int insight_zone_of(struct db *d, struct arena *a, long long user_id,
                    const struct tz **zone);

#endif
