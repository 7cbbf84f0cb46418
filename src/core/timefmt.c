/* timefmt: instants as text. Encore keeps times as unix milliseconds;
 * this module reads RFC 3339 timestamps into them and writes them back as
 * RFC 3339 and as MariaDB DATETIME(3) literals (UTC). */
#include "core/timefmt.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/rc.h"

/* days_from_civil: days since 1970-01-01 of a proleptic Gregorian date. */
long long timefmt_days_from_civil(long long y, int m, int d) {
  y -= m <= 2;
  long long era = (y >= 0 ? y : y - 399) / 400;
  long long yoe = y - era * 400;
  long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int digits(const char **p, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    char c = (*p)[i];
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  *p += n;
  *out = v;
  return 0;
}

static int expect_char(const char **p, const char *allowed) {
  if (!**p || !strchr(allowed, **p)) return -1;
  (*p)++;
  return 0;
}

int timefmt_parse(const char *s, long long *ms) {
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int y, mo, d, h, mi, sec, frac = 0;
  const char *p = s;
  if (digits(&p, 4, &y) || expect_char(&p, "-") || digits(&p, 2, &mo) ||
      expect_char(&p, "-") || digits(&p, 2, &d) || expect_char(&p, "Tt") ||
      digits(&p, 2, &h) || expect_char(&p, ":") || digits(&p, 2, &mi) ||
      expect_char(&p, ":") || digits(&p, 2, &sec))
    return RC_INVALID;
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59)
    return RC_INVALID;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d > mdays[mo - 1] + (mo == 2 && leap)) return RC_INVALID;
  if (*p == '.') {
    p++;
    int n = 0;
    for (; *p >= '0' && *p <= '9'; p++, n++)
      if (n < 3) frac = frac * 10 + (*p - '0');
    if (n == 0) return RC_INVALID;
    for (; n < 3; n++)
      frac *= 10;
  }
  long long off = 0;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int sign = *p++ == '-' ? -1 : 1, oh, om;
    if (digits(&p, 2, &oh) || expect_char(&p, ":") || digits(&p, 2, &om) ||
        oh > 23 || om > 59)
      return RC_INVALID;
    off = sign * (oh * 3600LL + om * 60LL);
  } else {
    return RC_INVALID;
  }
  if (*p) return RC_INVALID;
  long long secs = timefmt_days_from_civil(y, mo, d) * 86400LL + h * 3600LL +
                   mi * 60LL + sec - off;
  *ms = secs * 1000 + frac;
  return 0;
}

void timefmt_rfc3339(char *buf, size_t n, long long ms) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
           (int)(ms % 1000));
}

void timefmt_sql(char *buf, size_t n, long long ms) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  snprintf(buf, n, "%04d-%02d-%02d %02d:%02d:%02d.%03d", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
           (int)(ms % 1000));
}
