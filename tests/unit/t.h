/* t.h: the unit-test harness: CHECK macros print file:line and the failed
 * expression, and T_DONE() makes main return 1 when any check failed. */
#ifndef ENCORE_T_H
#define ENCORE_T_H

#include <stdio.h>
#include <string.h>

static int t_checks, t_failures;

#define CHECK(cond)                                                            \
  do {                                                                         \
    t_checks++;                                                                \
    if (!(cond)) {                                                             \
      t_failures++;                                                            \
      fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
    }                                                                          \
  } while (0)

#define CHECK_INT(a, b)                                                        \
  do {                                                                         \
    long long t_a_ = (long long)(a), t_b_ = (long long)(b);                    \
    t_checks++;                                                                \
    if (t_a_ != t_b_) {                                                        \
      t_failures++;                                                            \
      fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__,    \
              __LINE__, #a, t_a_, #b, t_b_);                                   \
    }                                                                          \
  } while (0)

#define CHECK_STR(a, b)                                                        \
  do {                                                                         \
    const char *t_a_ = (a), *t_b_ = (b);                                       \
    t_checks++;                                                                \
    if (!t_a_ || !t_b_ || strcmp(t_a_, t_b_) != 0) {                           \
      t_failures++;                                                            \
      fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__,      \
              __LINE__, #a, t_a_ ? t_a_ : "(null)", t_b_ ? t_b_ : "(null)");   \
    }                                                                          \
  } while (0)

/* CHECK_HAS: haystack a contains needle b. */
#define CHECK_HAS(a, b)                                                        \
  do {                                                                         \
    const char *t_a_ = (a), *t_b_ = (b);                                       \
    t_checks++;                                                                \
    if (!t_a_ || !strstr(t_a_, t_b_)) {                                        \
      t_failures++;                                                            \
      fprintf(stderr, "%s:%d: %s == \"%s\" lacks \"%s\"\n", __FILE__,          \
              __LINE__, #a, t_a_ ? t_a_ : "(null)", t_b_);                     \
    }                                                                          \
  } while (0)

#define T_DONE()                                                               \
  do {                                                                         \
    fprintf(stderr, "%s: %d checks, %d failed\n", __FILE__, t_checks,          \
            t_failures);                                                       \
    return t_failures ? 1 : 0;                                                 \
  } while (0)

#endif
