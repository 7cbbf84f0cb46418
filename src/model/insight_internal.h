/* insight_internal: what the insight files share (insight.h is their
 * API): listens as facts (a listen with what its track was credited with),
 * the UTC buckets, and the rollup of facts. */
#ifndef ENCORE_INSIGHT_INTERNAL_H
#define ENCORE_INSIGHT_INTERNAL_H

#include <stdbool.h>

#include "model/insight.h"
#include "model/rollup.h"

struct arena;
struct db;

#define INSIGHT_DAY_MS 86400000LL

/* Spans of insight_rollups rows. */
enum insight_span { INSIGHT_SPAN_DAY = 1, INSIGHT_SPAN_MONTH = 2 };

/* A track's credits (for listens being stored). */
struct insight_track {
  long long id, album, duration;
  int na, ng;
  long long *artists, *genres;
};

/* insight_read_facts: the listens of user in [from_ms, to_ms), oldest
 * first, in the arena; with lock, read with shared locks (the maintenance
 * reads the latest committed rows, whatever its transaction's snapshot). */
int insight_read_facts(struct db *d, struct arena *a, long long user,
                       long long from_ms, long long to_ms, bool lock,
                       struct insight_fact **out, int *n);
/* insight_tracks: the credits of tracks ids[0..n) that exist, sorted by id
 * (for insight_track_find). */
int insight_tracks(struct db *d, struct arena *a, const long long *ids, int n,
                   struct insight_track **out, int *nout);
const struct insight_track *insight_track_find(const struct insight_track *t,
                                               int n, long long id);

/* insight_month_of: the first day of the UTC month of day number `day`;
 * insight_month_next: the first day of the month after. */
long long insight_month_of(long long day);
long long insight_month_next(long long month);
/* insight_floor_day: the day number of instant ms (UTC). */
long long insight_floor_day(long long ms);

/* insight_roll: add the facts f[0..n) to r, quarter hours counted from
 * start_ms (facts before it are skipped). 0 or -1 out of memory. */
int insight_roll(struct rollup *r, const struct insight_fact *f, int n,
                 long long start_ms);

/* insight_row_write: write (or, for an empty r, delete) the row of user's
 * bucket (span, start) with r (normalized) and its `days` flag. */
int insight_row_write(struct db *d, struct arena *a, long long user,
                      enum insight_span span, long long start, int days,
                      const struct rollup *r);

/* --- a period being read (insight_read.c) --------------------------------- */

struct tz;
struct json_object;

/* The listens of the local days [from_day, to_day] of zone, summed. */
struct insight_period {
  const struct tz *zone;
  long long from_day, to_day;
  long long from_ms, to_ms; /* the instants [from, to) of those days */
  long long listens, ms, discoveries;
  struct rollup_acc items[ROLLUP_KINDS]; /* [ROLLUP_QUARTERS] unused */
  struct rollup_acc daily;               /* key: local day - from_day */
  long long heat[7][24];                 /* weekday (Monday 0) x hour */
};

/* insight_period_read: sum user's listens of the period p (zone, from_day
 * and to_day set; the rest zeroed) from the rollups and the listens. Free
 * with insight_period_free. */
int insight_period_read(struct db *d, struct arena *a, long long user,
                        struct insight_period *p);
void insight_period_free(struct insight_period *p);

/* The names of the items of top lists, read once for several lists. */
struct insight_names {
  struct json_object *rows[ROLLUP_KINDS]; /* id -> item JSON, per kind */
};

/* insight_names_read: the catalogue's names of the top `limit` items of
 * each kind of periods p[0..np). */
int insight_names_read(struct db *d, struct arena *a,
                       const struct insight_period *p, int np, int limit,
                       struct insight_names *names);
/* insight_top_json: the top `limit` of kind in p as a JSON array, each
 * item {rank, <names>, listens, ms_played}; items gone from the catalogue
 * are left out. */
struct json_object *insight_top_json(const struct insight_period *p,
                                     enum rollup_kind kind, int limit,
                                     const struct insight_names *names);

#endif
