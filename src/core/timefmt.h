/* timefmt: instants as text: RFC 3339 in and out, MariaDB DATETIME(3)
 * literals out. An instant is unix milliseconds (UTC). */
#ifndef ENCORE_TIMEFMT_H
#define ENCORE_TIMEFMT_H

#include <stddef.h>

/* timefmt_parse: an RFC 3339 timestamp ("2026-01-02T03:04:05.678Z",
 * "...+02:00"; fractions past milliseconds are truncated) as unix ms.
 * Returns 0 or RC_INVALID. */
int timefmt_parse(const char *s, long long *ms);
/* timefmt_rfc3339: unix ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" in buf (>= 32
 * bytes). */
void timefmt_rfc3339(char *buf, size_t n, long long ms);
/* timefmt_sql: unix ms as a DATETIME(3) literal "YYYY-MM-DD HH:MM:SS.mmm"
 * (UTC) in buf (>= 32 bytes). */
void timefmt_sql(char *buf, size_t n, long long ms);
/* timefmt_days_from_civil: days since 1970-01-01 of a proleptic Gregorian
 * date. */
long long timefmt_days_from_civil(long long y, int m, int d);

#endif
