/* tz: IANA time zones read from the system's TZif files (RFC 8536); see
 * tz.h. Each zone becomes one sorted table of transitions (instant, offset
 * after it) and the offset before the first; the footer's POSIX TZ rule is
 * expanded into that table up to TZ_RULE_END_YEAR, so a lookup is one
 * binary search whatever the file's flavour (fat or slim). */
#include "core/tz.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rc.h"
#include "core/timefmt.h"

#define TZ_FILE_MAX (1 << 20) /* bytes of one TZif file */
#define TZ_RULE_END_YEAR 2100 /* the footer's rule is expanded to here */
#define TZ_LIST_MAX (1 << 21) /* bytes of tzdata.zi */

struct tz {
  char name[TZ_NAME_MAX + 1];
  long off0;     /* before the first transition */
  int n;         /* transitions */
  long long *at; /* unix seconds, increasing */
  long *off;     /* seconds east of UTC from at[i] on */
};

/* --- calendar ------------------------------------------------------------- */

void tz_civil(long long day, int *y, int *m, int *d) {
  /* days_from_civil inverted (H. Hinnant's algorithm). */
  long long z = day + 719468;
  long long era = (z >= 0 ? z : z - 146096) / 146097;
  long long doe = z - era * 146097;
  long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long long mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = (int)(yoe + era * 400 + (*m <= 2));
}

int tz_weekday(long long day) {
  long long w = (day + 3) % 7; /* 1970-01-01 was a Thursday */
  return (int)(w < 0 ? w + 7 : w);
}

static bool leap(long long y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(long long y, int m) {
  static const int n[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : n[m - 1];
}

int tz_parse_date(const char *s, long long *day) {
  if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return RC_INVALID;
  for (int i = 0; i < 10; i++)
    if (i != 4 && i != 7 && !isdigit((unsigned char)s[i])) return RC_INVALID;
  int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > month_days(y, m))
    return RC_INVALID;
  *day = timefmt_days_from_civil(y, m, d);
  return 0;
}

void tz_format_date(char *buf, unsigned n, long long day) {
  int y, m, d;
  tz_civil(day, &y, &m, &d);
  snprintf(buf, n, "%04d-%02d-%02d", y, m, d);
}

/* --- the list of names ---------------------------------------------------- */

static const char *tz_dir(void) {
  const char *d = getenv("TZDIR");
  return d && *d == '/' && strlen(d) < 200 ? d : "/usr/share/zoneinfo";
}

/* name_shape: what a zone name may look like: segments of [A-Za-z0-9_+-]
 * (never "." or ".."), separated by single slashes. */
static bool name_shape(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > TZ_NAME_MAX || s[0] == '/' || s[n - 1] == '/') return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '/') {
      if (s[i + 1] == '/') return false;
    } else if (!isalnum(c) && c != '_' && c != '+' && c != '-') {
      return false;
    }
  }
  return true;
}

static char **names; /* sorted; NULL until read (or when unreadable) */
static int n_names;
static bool names_read;

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* read_file: the whole file (at most max bytes, NUL added); NULL when it
 * cannot be read. */
static char *read_file(const char *path, size_t max, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = malloc(max + 1);
  size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
  fclose(f);
  if (!buf || n > max) {
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

/* read_names: the zones ("Z name ...") and links ("L target name") of
 * tzdata.zi. Without the file (another system's tzdata) names stay NULL
 * and any name of the right shape whose file is TZif is taken. */
static void read_names(void) {
  char path[256];
  size_t len;
  names_read = true;
  snprintf(path, sizeof path, "%s/tzdata.zi", tz_dir());
  char *text = read_file(path, TZ_LIST_MAX, &len);
  if (!text) return;
  int cap = 0;
  for (char *line = text, *next; line && *line; line = next) {
    next = strchr(line, '\n');
    if (next) *next++ = '\0';
    const char *name = NULL;
    if (line[0] == 'Z' && line[1] == ' ') {
      name = line + 2;
    } else if (line[0] == 'L' && line[1] == ' ') {
      name = strchr(line + 2, ' ');
      if (name) name++;
    }
    if (!name) continue;
    size_t k = strcspn(name, " \t");
    char *copy = strndup(name, k);
    if (!copy || !name_shape(copy) || !strcmp(copy, "Factory")) {
      free(copy);
      continue;
    }
    if (n_names == cap) {
      cap = cap ? cap * 2 : 1024;
      char **grown = realloc(names, sizeof *names * (size_t)cap);
      if (!grown) {
        free(copy);
        break;
      }
      names = grown;
    }
    names[n_names++] = copy;
  }
  free(text);
  if (names) qsort(names, (size_t)n_names, sizeof *names, cmp_str);
}

static bool listed(const char *name) {
  if (!names_read) read_names();
  if (!names) /* no list: the file decides */
    return strncmp(name, "posix/", 6) && strncmp(name, "right/", 6) &&
           strcmp(name, "posixrules") && strcmp(name, "Factory");
  return bsearch(&name, names, (size_t)n_names, sizeof *names, cmp_str);
}

/* --- the POSIX TZ rule of the footer -------------------------------------- */

/* One transition date of a rule: Jn (kind 'J'), n ('D'), Mm.w.d ('M'),
 * and the local time of day it happens at. */
struct rule_date {
  char kind;
  int a, b, c;
  long secs;
};

struct rule {
  long std, dst; /* seconds east */
  bool has_dst;
  struct rule_date start, end;
};

static const char *parse_abbr(const char *p) {
  if (*p == '<') {
    while (*p && *p != '>')
      p++;
    return *p ? p + 1 : NULL;
  }
  const char *s = p;
  while (isalpha((unsigned char)*p))
    p++;
  return p - s >= 3 ? p : NULL;
}

/* parse_hms: [+-]h[h][:mm[:ss]] in seconds (hours up to 167). */
static const char *parse_hms(const char *p, long *out) {
  int sign = 1;
  if (*p == '+' || *p == '-') sign = *p++ == '-' ? -1 : 1;
  if (!isdigit((unsigned char)*p)) return NULL;
  long h = 0, m = 0, s = 0;
  while (isdigit((unsigned char)*p) && h <= 167)
    h = h * 10 + (*p++ - '0');
  if (*p == ':') {
    p++;
    if (!isdigit((unsigned char)*p)) return NULL;
    while (isdigit((unsigned char)*p) && m < 60)
      m = m * 10 + (*p++ - '0');
    if (*p == ':') {
      p++;
      if (!isdigit((unsigned char)*p)) return NULL;
      while (isdigit((unsigned char)*p) && s < 60)
        s = s * 10 + (*p++ - '0');
    }
  }
  if (h > 167 || m > 59 || s > 59) return NULL;
  *out = sign * (h * 3600 + m * 60 + s);
  return p;
}

static const char *parse_num(const char *p, int lo, int hi, int *out) {
  if (!isdigit((unsigned char)*p)) return NULL;
  int v = 0;
  while (isdigit((unsigned char)*p) && v <= hi)
    v = v * 10 + (*p++ - '0');
  if (v < lo || v > hi) return NULL;
  *out = v;
  return p;
}

static const char *parse_date_rule(const char *p, struct rule_date *r) {
  r->secs = 7200;
  if (*p == 'J') {
    r->kind = 'J';
    p = parse_num(p + 1, 1, 365, &r->a);
  } else if (*p == 'M') {
    r->kind = 'M';
    p = parse_num(p + 1, 1, 12, &r->a);
    if (p && *p == '.')
      p = parse_num(p + 1, 1, 5, &r->b);
    else
      p = NULL;
    if (p && *p == '.')
      p = parse_num(p + 1, 0, 6, &r->c);
    else
      p = NULL;
  } else {
    r->kind = 'D';
    p = parse_num(p, 0, 365, &r->a);
  }
  if (p && *p == '/') p = parse_hms(p + 1, &r->secs);
  return p;
}

/* parse_rule: a POSIX TZ string such as "CET-1CEST,M3.5.0,M10.5.0/3".
 * Offsets in it count west, ours east. 0 or -1. */
static int parse_rule(const char *p, struct rule *r) {
  long w;
  memset(r, 0, sizeof *r);
  if (!(p = parse_abbr(p)) || !(p = parse_hms(p, &w))) return -1;
  r->std = -w;
  if (!*p) return 0;
  if (!(p = parse_abbr(p))) return -1;
  r->has_dst = true;
  r->dst = r->std + 3600;
  if (*p && *p != ',') {
    if (!(p = parse_hms(p, &w))) return -1;
    r->dst = -w;
  }
  if (!*p) { /* no dates: the US rules of POSIX */
    r->start = (struct rule_date){.kind = 'M', .a = 3, .b = 2, .secs = 7200};
    r->end = (struct rule_date){.kind = 'M', .a = 11, .b = 1, .secs = 7200};
    return 0;
  }
  if (*p != ',' || !(p = parse_date_rule(p + 1, &r->start)) || *p != ',' ||
      !(p = parse_date_rule(p + 1, &r->end)))
    return -1;
  return *p ? -1 : 0;
}

/* rule_day: the day number of a rule date in year y. */
static long long rule_day(const struct rule_date *r, long long y) {
  long long jan1 = timefmt_days_from_civil(y, 1, 1);
  if (r->kind == 'J') /* 1..365, February 29 never counted */
    return jan1 + r->a - 1 + (leap(y) && r->a > 59);
  if (r->kind == 'D') return jan1 + r->a;
  long long first = timefmt_days_from_civil(y, r->a, 1);
  int wd0 = (tz_weekday(first) + 1) % 7; /* 0 = Sunday */
  long long d = first + (r->c - wd0 + 7) % 7 + 7 * (r->b - 1);
  while (d >= first + month_days(y, r->a))
    d -= 7;
  return d;
}

/* --- loading -------------------------------------------------------------- */

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

static int64_t be64(const unsigned char *p) {
  return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* push: append a transition (at, off), dropping it when it changes
 * nothing. -1 when out of memory. */
static int push(struct tz *z, int *cap, long long at, long off) {
  long before = z->n ? z->off[z->n - 1] : z->off0;
  if (off == before) return 0;
  if (z->n && at <= z->at[z->n - 1]) return 0;
  if (z->n == *cap) {
    *cap = *cap ? *cap * 2 : 64;
    long long *na = realloc(z->at, sizeof *na * (size_t)*cap);
    if (!na) return -1;
    z->at = na;
    long *no = realloc(z->off, sizeof *no * (size_t)*cap);
    if (!no) return -1;
    z->off = no;
  }
  z->at[z->n] = at;
  z->off[z->n++] = off;
  return 0;
}

/* expand: the footer's rule for every year after the last transition. */
static int expand(struct tz *z, int *cap, const struct rule *r) {
  long long last = z->n ? z->at[z->n - 1] : -(1LL << 40);
  if (!r->has_dst) return push(z, cap, last + 1, r->std);
  int y0, m, d;
  tz_civil(z->n ? z->at[z->n - 1] / TZ_DAY : 0, &y0, &m, &d);
  for (long long y = y0; y <= TZ_RULE_END_YEAR; y++) {
    /* local times of the rule: the start in standard time, the end in
     * daylight time */
    long long s = rule_day(&r->start, y) * TZ_DAY + r->start.secs - r->std;
    long long e = rule_day(&r->end, y) * TZ_DAY + r->end.secs - r->dst;
    long long t1 = s < e ? s : e, t2 = s < e ? e : s;
    long o1 = s < e ? r->dst : r->std, o2 = s < e ? r->std : r->dst;
    if (t1 > last && push(z, cap, t1, o1)) return -1;
    if (t2 > last && push(z, cap, t2, o2)) return -1;
  }
  return 0;
}

/* parse_tzif: the version 2+ data block (64-bit times) and the footer. */
static int parse_tzif(struct tz *z, const unsigned char *b, size_t len) {
  if (len < 44 || memcmp(b, "TZif", 4) || b[4] < '2') return -1;
  /* skip the version 1 block */
  uint32_t c[6];
  for (int i = 0; i < 6; i++)
    c[i] = be32(b + 20 + 4 * i);
  size_t v1 = 44 + (size_t)c[3] * 5 + (size_t)c[4] * 6 + c[5] +
              (size_t)c[2] * 8 + c[1] + c[0];
  if (v1 + 44 > len || memcmp(b + v1, "TZif", 4)) return -1;
  const unsigned char *h = b + v1;
  for (int i = 0; i < 6; i++)
    c[i] = be32(h + 20 + 4 * i);
  uint32_t isut = c[0], isstd = c[1], leapn = c[2], timen = c[3], typen = c[4],
           charn = c[5];
  if (typen == 0 || typen > 256 || timen > 100000) return -1;
  size_t need = 44 + (size_t)timen * 9 + (size_t)typen * 6 + charn +
                (size_t)leapn * 12 + isstd + isut;
  if (v1 + need > len) return -1;
  const unsigned char *times = h + 44, *idx = times + (size_t)timen * 8,
                      *types = idx + timen;
  long type_off[256];
  for (uint32_t i = 0; i < typen; i++)
    type_off[i] = (long)(int32_t)be32(types + 6 * i);
  z->off0 = type_off[0];
  int cap = 0;
  for (uint32_t i = 0; i < timen; i++) {
    if (idx[i] >= typen) return -1;
    if (push(z, &cap, be64(times + 8 * i), type_off[idx[i]])) return -1;
  }
  /* the footer: "\n<POSIX TZ>\n" */
  const char *f = (const char *)b + v1 + need;
  size_t flen = len - v1 - need;
  if (flen >= 2 && f[0] == '\n') {
    char rule_text[128];
    const char *end = memchr(f + 1, '\n', flen - 1);
    size_t k = end ? (size_t)(end - f - 1) : 0;
    if (k > 0 && k < sizeof rule_text) {
      struct rule r;
      memcpy(rule_text, f + 1, k);
      rule_text[k] = '\0';
      if (parse_rule(rule_text, &r) == 0 && expand(z, &cap, &r)) return -1;
    }
  }
  return 0;
}

static void tz_free(struct tz *z) {
  if (!z) return;
  free(z->at);
  free(z->off);
  free(z);
}

/* The zones loaded so far (at most one per listed name). */
static struct tz **loaded;
static int n_loaded, cap_loaded;

int tz_load(const char *name, const struct tz **out) {
  if (!name || !name_shape(name) || !listed(name)) return RC_INVALID;
  for (int i = 0; i < n_loaded; i++)
    if (!strcmp(loaded[i]->name, name)) {
      *out = loaded[i];
      return 0;
    }
  char path[300];
  size_t len;
  snprintf(path, sizeof path, "%s/%s", tz_dir(), name);
  unsigned char *buf = (unsigned char *)read_file(path, TZ_FILE_MAX, &len);
  if (!buf) return RC_INVALID;
  struct tz *z = calloc(1, sizeof *z);
  if (!z) {
    free(buf);
    return RC_NOMEM;
  }
  snprintf(z->name, sizeof z->name, "%s", name);
  int bad = parse_tzif(z, buf, len);
  free(buf);
  if (bad) {
    tz_free(z);
    return RC_INVALID;
  }
  if (n_loaded == cap_loaded) {
    int nc = cap_loaded ? cap_loaded * 2 : 8;
    struct tz **grown = realloc(loaded, sizeof *grown * (size_t)nc);
    if (!grown) {
      tz_free(z);
      return RC_NOMEM;
    }
    loaded = grown;
    cap_loaded = nc;
  }
  loaded[n_loaded++] = z;
  *out = z;
  return 0;
}

const char *tz_name(const struct tz *z) {
  return z->name;
}

/* --- lookups -------------------------------------------------------------- */

/* find: the index of the last transition at or before t, -1 for none. */
static int find(const struct tz *z, long long t) {
  int lo = 0, hi = z->n;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if (z->at[mid] <= t)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo - 1;
}

long tz_offset(const struct tz *z, long long t) {
  int i = find(z, t);
  return i < 0 ? z->off0 : z->off[i];
}

static long long floor_div(long long a, long long b) {
  long long q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

long long tz_local_day(const struct tz *z, long long t) {
  return floor_div(t + tz_offset(z, t), TZ_DAY);
}

long long tz_day_start(const struct tz *z, long long day) {
  /* The first instant whose local day is `day` or later, searched within
   * two days of local midnight read as UTC (offsets stay within 26 h). */
  long long lo = day * TZ_DAY - 2 * TZ_DAY, hi = day * TZ_DAY + 2 * TZ_DAY;
  while (lo < hi) {
    long long mid = lo + (hi - lo) / 2;
    if (tz_local_day(z, mid) >= day)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

bool tz_quarter_aligned(const struct tz *z, long long from, long long to) {
  int i = find(z, from);
  if ((i < 0 ? z->off0 : z->off[i]) % 900) return false;
  for (i++; i < z->n && z->at[i] < to; i++)
    if (z->off[i] % 900) return false;
  return true;
}
