/* test_tz: time zones from the system's tzdata: names (listed ones only,
 * nothing outside the directory), offsets before, across and long after
 * the transitions a file lists (the footer's rule), local days and their
 * first instants (a midnight skipped by a DST change), the calendar, and
 * that every listed zone keeps to whole quarter hours from 1980 on (which
 * the insights' quarter-hour rollups rely on). Skipped without tzdata. */
#include "core/rc.h"
#include "core/timefmt.h"
#include "core/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"

static long long at(const char *s) {
  long long ms = 0;
  timefmt_parse(s, &ms);
  return ms / 1000;
}

static const struct tz *zone(const char *name) {
  const struct tz *z = NULL;
  CHECK_INT(tz_load(name, &z), 0);
  return z;
}

static void names(void) {
  const struct tz *z;
  const char *bad[] = {
      "",
      "Europe/Nowhere",
      "europe/berlin",
      "../../etc/passwd",
      "/etc/localtime",
      "Europe//Berlin",
      "Europe/Berlin/",
      "posix/Europe/Berlin",
      "right/UTC",
      "Factory",
      "zone.tab",
      "tzdata.zi",
      "Europe/Berlin\n",
      "Europe/Ber lin",
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    CHECK_INT(tz_load(bad[i], &z), RC_INVALID);
  CHECK_INT(tz_load(NULL, &z), RC_INVALID);
  const char *good[] = {"UTC",
                        "Etc/GMT+5",
                        "Europe/Berlin",
                        "Asia/Kolkata",
                        "America/Argentina/Buenos_Aires",
                        "US/Pacific"};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    CHECK_INT(tz_load(good[i], &z), 0);
  const struct tz *again;
  tz_load("Europe/Berlin", &again);
  CHECK(again == zone("Europe/Berlin")); /* loaded once */
  CHECK_STR(tz_name(again), "Europe/Berlin");
}

static void offsets(void) {
  const struct tz *berlin = zone("Europe/Berlin");
  CHECK_INT(tz_offset(berlin, at("2024-01-15T12:00:00Z")), 3600);
  CHECK_INT(tz_offset(berlin, at("2024-03-31T00:59:59Z")), 3600);
  CHECK_INT(tz_offset(berlin, at("2024-03-31T01:00:00Z")), 7200);
  CHECK_INT(tz_offset(berlin, at("2024-10-27T00:59:59Z")), 7200);
  CHECK_INT(tz_offset(berlin, at("2024-10-27T01:00:00Z")), 3600);
  /* past the transitions of the file: its footer's rule */
  CHECK_INT(tz_offset(berlin, at("2090-07-01T00:00:00Z")), 7200);
  CHECK_INT(tz_offset(berlin, at("2090-12-01T00:00:00Z")), 3600);
  CHECK_INT(tz_offset(zone("UTC"), at("2024-06-01T00:00:00Z")), 0);
  CHECK_INT(tz_offset(zone("Etc/GMT+5"), 0), -5 * 3600);
  CHECK_INT(tz_offset(zone("Asia/Kolkata"), at("2024-06-01T00:00:00Z")),
            5 * 3600 + 1800);
  CHECK_INT(tz_offset(zone("Asia/Kathmandu"), at("2024-06-01T00:00:00Z")),
            5 * 3600 + 2700);
  /* southern hemisphere: daylight time across the new year */
  const struct tz *syd = zone("Australia/Sydney");
  CHECK_INT(tz_offset(syd, at("2024-01-15T00:00:00Z")), 11 * 3600);
  CHECK_INT(tz_offset(syd, at("2024-07-15T00:00:00Z")), 10 * 3600);
  CHECK_INT(tz_offset(syd, at("2080-01-15T00:00:00Z")), 11 * 3600);
  /* half an hour of daylight saving */
  const struct tz *lh = zone("Australia/Lord_Howe");
  CHECK_INT(tz_offset(lh, at("2024-01-15T00:00:00Z")), 11 * 3600);
  CHECK_INT(tz_offset(lh, at("2024-07-15T00:00:00Z")), 10 * 3600 + 1800);
  const struct tz *ny = zone("America/New_York");
  CHECK_INT(tz_offset(ny, at("2024-03-10T06:59:59Z")), -5 * 3600);
  CHECK_INT(tz_offset(ny, at("2024-03-10T07:00:00Z")), -4 * 3600);
}

static void days(void) {
  const struct tz *berlin = zone("Europe/Berlin");
  long long d = timefmt_days_from_civil(2024, 3, 31);
  CHECK_INT(tz_local_day(berlin, at("2024-03-30T22:59:59Z")), d - 1);
  CHECK_INT(tz_local_day(berlin, at("2024-03-30T23:00:00Z")), d);
  CHECK_INT(tz_day_start(berlin, d), at("2024-03-30T23:00:00Z"));
  CHECK_INT(tz_day_start(berlin, d + 1), at("2024-03-31T22:00:00Z"));
  CHECK_INT(tz_day_start(zone("UTC"), d), d * 86400);
  CHECK_INT(tz_day_start(zone("Asia/Kolkata"), d), at("2024-03-30T18:30:00Z"));
  /* Havana skips midnight into daylight time: the day starts at 01:00 */
  long long h = timefmt_days_from_civil(2024, 3, 10);
  CHECK_INT(tz_day_start(zone("America/Havana"), h),
            at("2024-03-10T05:00:00Z"));
  /* before the epoch */
  CHECK_INT(tz_local_day(zone("UTC"), -1), -1);
  CHECK_INT(tz_local_day(zone("Etc/GMT-3"), -1), 0);
}

static void calendar(void) {
  int y, m, d;
  long long day;
  tz_civil(0, &y, &m, &d);
  CHECK(y == 1970 && m == 1 && d == 1);
  tz_civil(timefmt_days_from_civil(2000, 2, 29), &y, &m, &d);
  CHECK(y == 2000 && m == 2 && d == 29);
  tz_civil(-1, &y, &m, &d);
  CHECK(y == 1969 && m == 12 && d == 31);
  CHECK_INT(tz_weekday(0), 3); /* a Thursday */
  CHECK_INT(tz_weekday(timefmt_days_from_civil(2024, 6, 3)), 0);
  CHECK_INT(tz_weekday(-1), 2);
  CHECK_INT(tz_parse_date("2024-02-29", &day), 0);
  CHECK_INT(day, timefmt_days_from_civil(2024, 2, 29));
  const char *bad[] = {"2023-02-29",  "2024-13-01", "2024-00-10", "2024-1-01",
                       "24-01-01",    "2024/01/01", "2024-01-32", "0000-01-01",
                       "2024-01-01x", "",           "abcd-ef-gh"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    CHECK_INT(tz_parse_date(bad[i], &day), RC_INVALID);
  char buf[16];
  tz_format_date(buf, sizeof buf, timefmt_days_from_civil(1999, 12, 31));
  CHECK_STR(buf, "1999-12-31");
}

/* every_zone_quarters: each zone and link of tzdata.zi loads, and keeps to
 * quarter hours from 1980 to 2100. */
static void every_zone_quarters(void) {
  const char *dir = getenv("TZDIR");
  char path[300], line[512];
  snprintf(path, sizeof path, "%s/tzdata.zi",
           dir && *dir ? dir : "/usr/share/zoneinfo");
  FILE *f = fopen(path, "r");
  int n = 0;
  if (!f) return;
  while (fgets(line, sizeof line, f)) {
    char *name = NULL;
    if (!strncmp(line, "Z ", 2)) {
      name = line + 2;
    } else if (!strncmp(line, "L ", 2)) {
      name = strchr(line + 2, ' ');
      if (name) name++;
    }
    if (!name) continue;
    name[strcspn(name, " \t\n")] = '\0';
    const struct tz *z;
    if (!strcmp(name, "Factory")) continue;
    if (tz_load(name, &z)) {
      fprintf(stderr, "cannot load %s\n", name);
      CHECK(0);
      continue;
    }
    if (!tz_quarter_aligned(z, at("1980-01-01T00:00:00Z"),
                            at("2100-01-01T00:00:00Z"))) {
      fprintf(stderr, "%s has an offset of no whole quarter hours\n", name);
      CHECK(0);
    }
    n++;
  }
  fclose(f);
  CHECK(n > 300);
}

int main(void) {
  const struct tz *z;
  if (tz_load("UTC", &z)) {
    fprintf(stderr, "SKIP: no tzdata\n");
    return 77;
  }
  names();
  offsets();
  days();
  calendar();
  every_zone_quarters();
  T_DONE();
}
