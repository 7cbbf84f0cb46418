/* stats: the service-wide analytics: a daily rollup (stats_days, the most
 * played of each day in stats_top, signup cohorts in stats_cohorts) written
 * by `encore-admin analytics rollup` from the raw tables, and the report
 * of any range of days read from it alone, so that a year costs 365 rows
 * where a week costs 7. Days are UTC days since 1970-01-01. */
#ifndef ENCORE_STATS_H
#define ENCORE_STATS_H

#include <json-c/json.h>

struct arena;
struct db;

/* The longest range a report covers (days): two years and a leap day. */
#define STATS_RANGE_MAX 731
/* The signup weeks whose retention each rollup recomputes. */
#define STATS_COHORT_WEEKS 12
/* The listens' context that marks a listen that came from
 * recommendations. */
#define STATS_REC_CONTEXT "recommendation"

/* stats_rollup_day: compute the rollup rows of one finished (or current)
 * day from the raw tables, replacing what was there. */
int stats_rollup_day(struct db *d, struct arena *a, long long day);
/* stats_rollup_cohorts: retention of the signup weeks (Mondays) of the
 * last STATS_COHORT_WEEKS before `today`, for every week after each. */
int stats_rollup_cohorts(struct db *d, struct arena *a, long long today);
/* stats_last_day: the last day rolled up (-1: none yet). */
int stats_last_day(struct db *d, struct arena *a, long long *day);

/* stats_report: the report of days [from, to]: per day active users
 * (daily; weekly and monthly ending that day), signups, listens and
 * listening time, the share of listens from recommendations; the most
 * played tracks and artists of the range (from each day's first 100);
 * retention of the signup weeks starting in the range. *out is a new
 * object owned by the caller. */
int stats_report(struct db *d, struct arena *a, long long from, long long to,
                 json_object **out);

#endif
