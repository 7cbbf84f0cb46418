/* test_str: sbuf growth and NUL termination, UTF-8 validation of hostile
 * sequences, code-point counting, constant-time compare, strict integers,
 * host[:port] splitting. */
#include "core/arena.h"
#include "core/rc.h"
#include "core/str.h"

#include <limits.h>

#include "t.h"

#define V(lit) str_utf8_valid(lit, sizeof(lit) - 1)

static void sbuf(void) {
  struct arena *a = arena_new(0);
  struct sbuf b;
  sbuf_init(&b, a);
  CHECK_STR(b.s, "");
  CHECK_INT(b.len, 0);
  sbuf_adds(&b, "hello");
  sbuf_addc(&b, ' ');
  sbuf_add(&b, "world!!", 5);
  CHECK_STR(b.s, "hello world");
  CHECK_INT(b.len, 11);
  sbuf_printf(&b, " %d/%s", 42, "x");
  CHECK_STR(b.s, "hello world 42/x");
  /* Growth far past the initial capacity, through every entry point. */
  for (int i = 0; i < 5000; i++)
    sbuf_addc(&b, 'a');
  CHECK_INT(b.len, 16 + 5000);
  CHECK(b.s[b.len] == '\0');
  sbuf_printf(&b, "%0*d", 70000, 1);
  CHECK_INT(b.len, 16 + 5000 + 70000);
  CHECK(b.s[b.len - 1] == '1' && b.s[b.len] == '\0');
  CHECK(!b.oom);
  /* Embedded NUL bytes are kept (length-counted). */
  struct sbuf z;
  sbuf_init(&z, a);
  sbuf_add(&z, "a\0b", 3);
  CHECK_INT(z.len, 3);
  CHECK(z.s[1] == '\0' && z.s[2] == 'b' && z.s[3] == '\0');
  /* An oom buffer ignores appends but stays a valid string. */
  struct sbuf o;
  sbuf_init(&o, a);
  sbuf_adds(&o, "kept");
  o.oom = true;
  sbuf_adds(&o, "dropped");
  sbuf_printf(&o, "%s", "dropped");
  CHECK_STR(o.s, "kept");
  arena_free(a);
}

static void utf8_valid(void) {
  /* UTF-8: valid forms. */
  CHECK(V(""));
  CHECK(V("plain ascii"));
  CHECK(V("caf\xc3\xa9"));      /* é */
  CHECK(V("\xe2\x82\xac"));     /* € */
  CHECK(V("\xf0\x9f\x8e\xb5")); /* 🎵 */
  CHECK(V("\xed\x9f\xbf"));     /* U+D7FF, just below surrogates */
  CHECK(V("\xee\x80\x80"));     /* U+E000, just above */
  CHECK(V("\xf4\x8f\xbf\xbf")); /* U+10FFFF */
  CHECK(V("\xc2\x80"));         /* U+0080 */
  /* Hostile forms. */
  CHECK(!V("a\0b"));             /* NUL */
  CHECK(!V("\xc0\x80"));         /* overlong NUL */
  CHECK(!V("\xc1\xbf"));         /* overlong */
  CHECK(!V("\xe0\x80\xaf"));     /* overlong '/' */
  CHECK(!V("\xf0\x80\x80\xaf")); /* overlong '/' */
  CHECK(!V("\xed\xa0\x80"));     /* U+D800 */
  CHECK(!V("\xed\xbf\xbf"));     /* U+DFFF */
  CHECK(!V("\xf4\x90\x80\x80")); /* U+110000 */
  CHECK(!V("\xf5\x80\x80\x80"));
  CHECK(!V("\xff"));
  CHECK(!V("\xfe"));
  CHECK(!V("\x80")); /* lone continuation */
  CHECK(!V("a\xbf"));
  CHECK(!V("\xc3")); /* truncated */
  CHECK(!V("\xe2\x82"));
  CHECK(!V("\xf0\x9f\x8e"));
  CHECK(!V("\xc3\x28")); /* bad continuation */
  CHECK(!V("\xe2\x28\xa1"));
  CHECK(!V("\xf0\x9f\x8e\x28"));
  /* The length bound is honoured: a sequence cut by n is invalid. */
  CHECK(!str_utf8_valid("caf\xc3\xa9", 4));
  CHECK(str_utf8_valid("caf\xc3\xa9", 3));
}

static void utf8_len_compare_lower(void) {
  CHECK_INT(str_utf8_len("", 0), 0);
  CHECK_INT(str_utf8_len("abc", 3), 3);
  CHECK_INT(str_utf8_len("caf\xc3\xa9", 5), 4);
  CHECK_INT(str_utf8_len("\xf0\x9f\x8e\xb5\xe2\x82\xac", 7), 2);

  CHECK(str_eq_ct("abcdef", "abcdef", 6));
  CHECK(!str_eq_ct("abcdef", "abcdeg", 6));
  CHECK(!str_eq_ct("xbcdef", "abcdef", 6));
  CHECK(str_eq_ct("a", "b", 0));

  char lower[] = "MiXeD Case 123 \xc3\x89";
  str_lower_ascii(lower);
  CHECK_STR(lower, "mixed case 123 \xc3\x89");
}

static void parse_i64(void) {
  long long v = -1;
  CHECK_INT(str_parse_i64("0", 0, 10, &v), 0);
  CHECK_INT(v, 0);
  CHECK_INT(str_parse_i64("42", 0, 100, &v), 0);
  CHECK_INT(v, 42);
  CHECK_INT(str_parse_i64("-5", -10, 10, &v), 0);
  CHECK_INT(v, -5);
  CHECK_INT(str_parse_i64("007", 0, 10, &v), 0);
  CHECK_INT(v, 7);
  CHECK_INT(str_parse_i64("9223372036854775807", LLONG_MIN, LLONG_MAX, &v), 0);
  CHECK_INT(v, LLONG_MAX);
  CHECK_INT(str_parse_i64("-9223372036854775808", LLONG_MIN, LLONG_MAX, &v), 0);
  CHECK_INT(v, LLONG_MIN);
  v = 99;
  const char *bad[] = {"",
                       "-",
                       "+1",
                       " 1",
                       "1 ",
                       "1x",
                       "x1",
                       "0x10",
                       "1.0",
                       "1e3",
                       "--1",
                       "9223372036854775808",
                       "-9223372036854775809",
                       "99999999999999999999999",
                       "\t7"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int rc = str_parse_i64(bad[i], LLONG_MIN, LLONG_MAX, &v);
    if (rc != RC_INVALID) fprintf(stderr, "accepted '%s'\n", bad[i]);
    CHECK_INT(rc, RC_INVALID);
  }
  CHECK_INT(v, 99); /* untouched on failure */
  CHECK_INT(str_parse_i64("11", 0, 10, &v), RC_INVALID);
  CHECK_INT(str_parse_i64("-1", 0, 10, &v), RC_INVALID);
  CHECK_INT(str_parse_i64(NULL, 0, 10, &v), RC_INVALID);
}

static void utf8_clip(void) {
  /* Clipping keeps whole characters and replaces invalid bytes. */
  char clip[6];
  CHECK_INT((long long)str_utf8_clip(clip, sizeof clip, "ab\xc3\xa9\xc3\xa9"),
            4);
  CHECK_STR(clip, "ab\xc3\xa9");
  CHECK_INT((long long)str_utf8_clip(clip, sizeof clip,
                                     "a\xff\xfe"
                                     "b"),
            4);
  CHECK_STR(clip, "a??b");
  CHECK(str_utf8_valid(clip, strlen(clip)));
  CHECK_INT((long long)str_utf8_clip(clip, 1, "abc"), 0);
  CHECK_STR(clip, "");
}

/* hp: str_hostport over a copy of s, as "host port" or "invalid". */
static const char *hp(const char *s, unsigned dflt) {
  static char buf[128], out[160];
  snprintf(buf, sizeof buf, "%s", s);
  char *host;
  unsigned port = 7;
  if (str_hostport(buf, dflt, &host, &port)) {
    CHECK_INT(port, 7); /* untouched on failure */
    return "invalid";
  }
  snprintf(out, sizeof out, "%s %u", host, port);
  return out;
}

static void hostport(void) {
  CHECK_STR(hp("db1", 3306), "db1 3306");
  CHECK_STR(hp("db1:3307", 3306), "db1 3307");
  CHECK_STR(hp("10.0.0.1:1", 3306), "10.0.0.1 1");
  CHECK_STR(hp("[::1]", 11211), "::1 11211");
  CHECK_STR(hp("[fd00::5]:65535", 11211), "fd00::5 65535");
  const char *bad[] = {"",
                       ":3306",
                       "[]",
                       "[]:1",
                       "[::1",
                       "[::1]x",
                       "[::1]:",
                       "::1",
                       "fd00::5:1",
                       "a:",
                       "a:0",
                       "a:65536",
                       "a:-1",
                       "a:+1",
                       "a: 1",
                       "a:1x",
                       "a:99999999999999999999"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    const char *r = hp(bad[i], 3306);
    if (strcmp(r, "invalid"))
      fprintf(stderr, "accepted '%s' as %s\n", bad[i], r);
    CHECK_STR(r, "invalid");
  }
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  T_CASE(sbuf);
  T_CASE(utf8_valid);
  T_CASE(utf8_len_compare_lower);
  T_CASE(parse_i64);
  T_CASE(utf8_clip);
  T_CASE(hostport);
  T_DONE();
}
