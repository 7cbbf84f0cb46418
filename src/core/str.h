/* str: a growable byte buffer over an arena, and small string helpers. */
#ifndef ENCORE_STR_H
#define ENCORE_STR_H

#include <stdbool.h>
#include <stddef.h>

struct arena;

/* A buffer whose bytes live in an arena; always NUL-terminated. */
struct sbuf {
  struct arena *a;
  char *s;
  size_t len, cap;
  bool oom; /* set once an append failed; later appends are no-ops */
};

void sbuf_init(struct sbuf *b, struct arena *a);
void sbuf_add(struct sbuf *b, const char *s, size_t n);
void sbuf_adds(struct sbuf *b, const char *s);
void sbuf_addc(struct sbuf *b, char c);
void sbuf_printf(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* str_utf8_valid: true when s[0..n) is well-formed UTF-8 (no overlongs, no
 * surrogates, nothing above U+10FFFF) and holds no NUL byte. */
bool str_utf8_valid(const char *s, size_t n);
/* str_utf8_clip: copy the C string src into dst[0..cap) as valid UTF-8:
 * each invalid byte becomes '?', and the copy ends on a character boundary.
 * Returns the bytes written (without the NUL). */
size_t str_utf8_clip(char *dst, size_t cap, const char *src);
/* str_utf8_len: number of code points of valid UTF-8. */
size_t str_utf8_len(const char *s, size_t n);
/* str_eq_ct: constant-time comparison of two equal-length byte strings. */
bool str_eq_ct(const void *a, const void *b, size_t n);
/* str_lower_ascii: lowercase ASCII letters in place. */
void str_lower_ascii(char *s);
/* str_parse_i64: the whole of s as a decimal integer within [min, max].
 * Returns 0 or RC_INVALID (empty, trailing junk, out of range). */
int str_parse_i64(const char *s, long long min, long long max, long long *out);
/* str_hostport: split "host", "host:port", "[v6]" or "[v6]:port" in place.
 * *host points into s (without brackets); *port is the given port, or dflt.
 * Returns 0 or RC_INVALID (empty host, a bare IPv6 address, anything after
 * ']' but ":port", a port outside 1..65535). */
int str_hostport(char *s, unsigned dflt, char **host, unsigned *port);

#endif
