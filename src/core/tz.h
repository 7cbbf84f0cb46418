/* tz: IANA time zones from the system's tzdata, for bucketing instants into
 * local days and hours. Names are checked against the zones and links the
 * tzdata lists (tzdata.zi), then the zone's TZif file is read once per
 * process: its transitions, and the POSIX rule of its footer expanded to
 * the year 2100 (a "slim" file has no transitions past its last rule
 * change). Nothing here touches the process's own TZ or localtime. The
 * directory is $TZDIR, else /usr/share/zoneinfo. */
#ifndef ENCORE_TZ_H
#define ENCORE_TZ_H

#include <stdbool.h>

#define TZ_NAME_MAX 64
#define TZ_DAY 86400LL

struct tz;

/* tz_load: the zone `name` ("Europe/Berlin", "UTC"), loaded on first use and
 * kept for the life of the process (the number of zones is bounded by the
 * tzdata's list). Returns 0, RC_INVALID when name is not a zone or link of
 * the system's tzdata (or its file cannot be read as TZif), RC_NOMEM. */
int tz_load(const char *name, const struct tz **out);
/* tz_name: the name a zone was loaded by. */
const char *tz_name(const struct tz *z);
/* tz_offset: seconds east of UTC in zone z at the instant t (unix seconds). */
long tz_offset(const struct tz *z, long long t);
/* tz_local_day: the local calendar day of instant t, in days since
 * 1970-01-01 (negative before). */
long long tz_local_day(const struct tz *z, long long t);
/* tz_day_start: the first instant (unix seconds) of local day `day` (days
 * since 1970-01-01): local midnight, or the end of a gap that skips it. */
long long tz_day_start(const struct tz *z, long long day);
/* tz_quarter_aligned: whether every offset of z in the instants [from, to)
 * is a whole number of quarter hours (so that a quarter-hour bucket of UTC
 * falls in one local hour and day). */
bool tz_quarter_aligned(const struct tz *z, long long from, long long to);

/* tz_civil: the proleptic Gregorian date of day number `day`. */
void tz_civil(long long day, int *y, int *m, int *d);
/* tz_weekday: 0 Monday .. 6 Sunday of day number `day`. */
int tz_weekday(long long day);
/* tz_parse_date: "YYYY-MM-DD" (a real date, year 1..9999) as a day number.
 * 0 or RC_INVALID. */
int tz_parse_date(const char *s, long long *day);
/* tz_format_date: day as "YYYY-MM-DD" in buf (>= 16 bytes). */
void tz_format_date(char *buf, unsigned n, long long day);

#endif
