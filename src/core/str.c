/* str: a growable NUL-terminated byte buffer over an arena, UTF-8 checks, a
 * constant-time comparison and strict integer parsing. */
#include "core/str.h"

#include "core/arena.h"
#include "core/rc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The buffer of an sbuf whose first allocation failed: an empty string that
 * appends never touch (oom is set). */
static char sbuf_empty[1];

void sbuf_init(struct sbuf *b, struct arena *a) {
  b->a = a;
  b->len = 0;
  b->oom = false;
  b->cap = 64;
  b->s = arena_alloc(a, b->cap);
  if (!b->s) {
    b->s = sbuf_empty;
    b->cap = 0;
    b->oom = true;
  }
}

/* Make room for n more bytes plus the NUL. The old bytes stay in the arena
 * (released at reset). */
static bool sbuf_grow(struct sbuf *b, size_t n) {
  if (b->oom) return false;
  if (n < b->cap - b->len) return true;
  if (n > SIZE_MAX / 2 - b->len) {
    b->oom = true;
    return false;
  }
  size_t need = b->len + n + 1;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need)
    cap *= 2;
  char *s = arena_alloc(b->a, cap);
  if (!s) {
    b->oom = true;
    return false;
  }
  memcpy(s, b->s, b->len + 1);
  b->s = s;
  b->cap = cap;
  return true;
}

void sbuf_add(struct sbuf *b, const char *s, size_t n) {
  if (!sbuf_grow(b, n)) return;
  if (n) memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

void sbuf_adds(struct sbuf *b, const char *s) {
  sbuf_add(b, s, strlen(s));
}

void sbuf_addc(struct sbuf *b, char c) {
  sbuf_add(b, &c, 1);
}

void sbuf_printf(struct sbuf *b, const char *fmt, ...) {
  if (b->oom) return;
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  size_t room = b->cap - b->len;
  int n = vsnprintf(b->s + b->len, room, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->s[b->len] = '\0';
    va_end(ap2);
    return;
  }
  if ((size_t)n >= room) {
    b->s[b->len] = '\0';
    if (sbuf_grow(b, (size_t)n))
      vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap2);
    else {
      va_end(ap2);
      return;
    }
  }
  va_end(ap2);
  b->len += (size_t)n;
}

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), 0 when it
 * is malformed or a NUL byte. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  if (c == 0) return 0;
  if (c < 0x80) return 1;
  if (c < 0xC2 || c > 0xF4) /* continuation, overlong 2-byte lead, > U+10FFFF */
    return 0;
  if (c < 0xE0) {
    if (n < 2 || (s[1] & 0xC0) != 0x80) return 0;
    return 2;
  }
  if (c < 0xF0) {
    if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
    if (c == 0xE0 && s[1] < 0xA0) /* overlong */
      return 0;
    if (c == 0xED && s[1] > 0x9F) /* surrogates U+D800..U+DFFF */
      return 0;
    return 3;
  }
  if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
      (s[3] & 0xC0) != 0x80)
    return 0;
  if (c == 0xF0 && s[1] < 0x90) /* overlong */
    return 0;
  if (c == 0xF4 && s[1] > 0x8F) /* above U+10FFFF */
    return 0;
  return 4;
}

bool str_utf8_valid(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    size_t k = utf8_seq(p + i, n - i);
    if (k == 0) return false;
    i += k;
  }
  return true;
}

size_t str_utf8_clip(char *dst, size_t cap, const char *src) {
  const unsigned char *p = (const unsigned char *)src;
  size_t n = strlen(src), i = 0, o = 0;
  if (cap == 0) return 0;
  while (i < n) {
    size_t k = utf8_seq(p + i, n - i);
    const char *piece = k ? src + i : "?";
    size_t len = k ? k : 1;
    if (o + len > cap - 1) break;
    memcpy(dst + o, piece, len);
    o += len;
    i += k ? k : 1;
  }
  dst[o] = '\0';
  return o;
}

size_t str_utf8_len(const char *s, size_t n) {
  size_t count = 0;
  for (size_t i = 0; i < n; i++)
    if (((unsigned char)s[i] & 0xC0) != 0x80) count++;
  return count;
}

bool str_eq_ct(const void *a, const void *b, size_t n) {
  const volatile unsigned char *x = a;
  const volatile unsigned char *y = b;
  unsigned char d = 0;
  for (size_t i = 0; i < n; i++)
    d |= (unsigned char)(x[i] ^ y[i]);
  return d == 0;
}

void str_lower_ascii(char *s) {
  for (; *s; s++)
    if (*s >= 'A' && *s <= 'Z') *s = (char)(*s - 'A' + 'a');
}

int str_parse_i64(const char *s, long long min, long long max, long long *out) {
  if (!s) return RC_INVALID;
  const char *p = s[0] == '-' ? s + 1 : s;
  if (*p < '0' || *p > '9') /* empty, sign only, whitespace, '+' */
    return RC_INVALID;
  for (const char *q = p; *q; q++)
    if (*q < '0' || *q > '9') return RC_INVALID;
  errno = 0;
  char *end;
  long long v = strtoll(s, &end, 10);
  if (errno || *end || v < min || v > max) return RC_INVALID;
  *out = v;
  return 0;
}

int str_hostport(char *s, unsigned dflt, char **host, unsigned *port) {
  char *h = s, *ps = NULL;
  if (s[0] == '[') {
    char *rb = strchr(s, ']');
    if (!rb || rb == s + 1 || (rb[1] && rb[1] != ':')) return RC_INVALID;
    *rb = '\0';
    h = s + 1;
    if (rb[1] == ':') ps = rb + 2;
  } else {
    char *colon = strchr(s, ':');
    if (colon && strchr(colon + 1, ':')) return RC_INVALID; /* bare IPv6 */
    if (colon) {
      *colon = '\0';
      ps = colon + 1;
    }
  }
  long long v = dflt;
  if (!*h || (ps && str_parse_i64(ps, 1, 65535, &v))) return RC_INVALID;
  *host = h;
  *port = (unsigned)v;
  return 0;
}
