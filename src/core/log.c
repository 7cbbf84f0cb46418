/* log: JSON-lines logging. Each line is built in memory and written with one
 * write(2) on a descriptor opened with O_APPEND, so lines of concurrent
 * workers never interleave. Every string is JSON-escaped; invalid UTF-8 is
 * replaced by U+FFFD so a line is always valid JSON. */
#include "core/log.h"

#include "core/rc.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_fd = 2;
static enum log_level log_min = LOG_INFO;
static char log_prog[64] = "encore";

static const char *const level_names[] = {"debug", "info", "warn", "error"};

int log_init(const char *prog, enum log_level min, const char *path) {
  if (prog) snprintf(log_prog, sizeof log_prog, "%s", prog);
  if ((int)min >= LOG_DEBUG && min <= LOG_ERROR) log_min = min;
  int fd = 2;
  if (path && path[0] && strcmp(path, "-") != 0) {
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) return RC_IO;
  }
  int old = log_fd;
  log_fd = fd;
  if (old != 2 && old != fd) close(old);
  return 0;
}

int log_level_parse(const char *s) {
  if (!s) return -1;
  for (int i = 0; i < 4; i++)
    if (strcmp(s, level_names[i]) == 0) return i;
  return -1;
}

/* A line under construction: malloc'd, grown by doubling; a failed growth
 * drops the line. */
struct line {
  char *s;
  size_t len, cap;
  bool oom;
};

static void line_add(struct line *l, const char *s, size_t n) {
  if (l->oom) return;
  if (l->cap - l->len < n + 1) {
    size_t cap = l->cap ? l->cap : 512;
    while (cap - l->len < n + 1) {
      if (cap > ((size_t)1 << 40)) {
        l->oom = true;
        return;
      }
      cap *= 2;
    }
    char *p = realloc(l->s, cap);
    if (!p) {
      l->oom = true;
      return;
    }
    l->s = p;
    l->cap = cap;
  }
  memcpy(l->s + l->len, s, n);
  l->len += n;
  l->s[l->len] = '\0';
}

static void line_adds(struct line *l, const char *s) {
  line_add(l, s, strlen(s));
}

/* Length of a well-formed UTF-8 sequence of 2..4 bytes at s, 0 if malformed. */
static size_t utf8_multi(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  size_t k;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF)
    k = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    k = 3;
    if (c == 0xE0)
      lo = 0xA0;
    else if (c == 0xED)
      hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    k = 4;
    if (c == 0xF0)
      lo = 0x90;
    else if (c == 0xF4)
      hi = 0x8F;
  } else
    return 0;
  if (n < k || s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < k; i++)
    if ((s[i] & 0xC0) != 0x80) return 0;
  return k;
}

/* Append s as a JSON string literal, quotes included. */
static void line_str(struct line *l, const char *str) {
  static const char hexd[] = "0123456789abcdef";
  const unsigned char *s = (const unsigned char *)str;
  size_t n = strlen(str);
  line_add(l, "\"", 1);
  size_t i = 0;
  while (i < n) {
    size_t run = i;
    while (run < n && s[run] >= 0x20 && s[run] < 0x7F && s[run] != '"' &&
           s[run] != '\\')
      run++;
    if (run > i) {
      line_add(l, (const char *)s + i, run - i);
      i = run;
      continue;
    }
    unsigned char c = s[i];
    char esc[8];
    switch (c) {
    case '"':
      line_add(l, "\\\"", 2);
      i++;
      continue;
    case '\\':
      line_add(l, "\\\\", 2);
      i++;
      continue;
    case '\n':
      line_add(l, "\\n", 2);
      i++;
      continue;
    case '\r':
      line_add(l, "\\r", 2);
      i++;
      continue;
    case '\t':
      line_add(l, "\\t", 2);
      i++;
      continue;
    default:
      break;
    }
    if (c < 0x20 || c == 0x7F) {
      memcpy(esc, "\\u00", 4);
      esc[4] = hexd[c >> 4];
      esc[5] = hexd[c & 15];
      line_add(l, esc, 6);
      i++;
      continue;
    }
    size_t k = utf8_multi(s + i, n - i);
    if (k == 0) {
      line_add(l, "\\ufffd", 6);
      i++;
      continue;
    }
    line_add(l, (const char *)s + i, k);
    i += k;
  }
  line_add(l, "\"", 1);
}

static void line_field(struct line *l, const char *key, const char *val) {
  line_add(l, ",", 1);
  line_str(l, key);
  line_add(l, ":", 1);
  if (val)
    line_str(l, val);
  else
    line_add(l, "null", 4);
}

static void line_start(struct line *l, enum log_level lvl, const char *msg) {
  struct timespec ts;
  struct tm tm;
  char buf[64];
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(buf, sizeof buf, "{\"ts\":\"%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + n, sizeof buf - n, ".%03ldZ\"", ts.tv_nsec / 1000000);
  line_adds(l, buf);
  line_field(l, "level", level_names[lvl]);
  line_field(l, "msg", msg ? msg : "");
  line_field(l, "prog", log_prog);
}

static void line_write(struct line *l) {
  line_add(l, "}\n", 2);
  if (!l->oom) {
    const char *p = l->s;
    size_t left = l->len;
    while (left > 0) {
      ssize_t w = write(log_fd, p, left);
      if (w < 0) {
        if (errno == EINTR) continue;
        break;
      }
      p += w;
      left -= (size_t)w;
    }
  }
  free(l->s);
}

void log_msg(enum log_level lvl, const char *msg, ...) {
  if ((int)lvl < LOG_DEBUG || lvl > LOG_ERROR) lvl = LOG_ERROR;
  if (lvl < log_min) return;
  int saved = errno;
  struct line l = {0};
  line_start(&l, lvl, msg);
  va_list ap;
  va_start(ap, msg);
  for (;;) {
    const char *key = va_arg(ap, const char *);
    if (!key) break;
    const char *val = va_arg(ap, const char *);
    line_field(&l, key, val);
    /* A NULL value cannot be told from the terminator: it ends the list. */
    if (!val) break;
  }
  va_end(ap);
  line_write(&l);
  errno = saved;
}

void log_fields(enum log_level lvl, const char *msg, const struct log_field *f,
                int n) {
  if ((int)lvl < LOG_DEBUG || lvl > LOG_ERROR) lvl = LOG_ERROR;
  if (lvl < log_min) return;
  int saved = errno;
  struct line l = {0};
  char num[64];
  line_start(&l, lvl, msg);
  for (int i = 0; i < n; i++) {
    if (f[i].s) {
      line_field(&l, f[i].key, f[i].s);
      continue;
    }
    line_add(&l, ",", 1);
    line_str(&l, f[i].key);
    int d = f[i].decimals < 0 ? 0 : f[i].decimals > 9 ? 9 : f[i].decimals;
    if (isfinite(f[i].num))
      snprintf(num, sizeof num, ":%.*f", d, f[i].num);
    else
      snprintf(num, sizeof num, ":null");
    line_adds(&l, num);
  }
  line_write(&l);
  errno = saved;
}

void log_request(const char *request_id, const char *method, const char *route,
                 int status, long long duration_us, long long user_id,
                 const char *error) {
  if (LOG_INFO < log_min) return;
  int saved = errno;
  struct line l = {0};
  char num[32];
  line_start(&l, LOG_INFO, "request");
  line_field(&l, "request_id", request_id ? request_id : "");
  line_field(&l, "method", method ? method : "");
  line_field(&l, "route", route ? route : "");
  snprintf(num, sizeof num, ",\"status\":%d", status);
  line_adds(&l, num);
  snprintf(num, sizeof num, ",\"duration_us\":%lld", duration_us);
  line_adds(&l, num);
  if (user_id)
    snprintf(num, sizeof num, ",\"user_id\":%lld", user_id);
  else
    snprintf(num, sizeof num, ",\"user_id\":null");
  line_adds(&l, num);
  if (error) line_field(&l, "error", error);
  line_write(&l);
  errno = saved;
}
