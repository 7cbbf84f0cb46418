/* t.h: the one harness of Encore's C tests (tests/unit, tests/api).
 *
 * Checks: CHECK(cond) or CHECK(cond, "format", ...) with a message;
 * CHECK_INT, CHECK_STR and CHECK_HAS compare and print both sides. Each
 * prints file:line and what failed, and counts; the program goes on.
 *
 * Named cases: main calls T_INIT(argc, argv) and runs each case through
 * T_CASE(fn, args...), which calls fn(args...) when the case is selected:
 *   test_x                 every case
 *   test_x name [name...]  those cases only (a name that is no case fails)
 *   test_x --list          the names, one a line, nothing run
 * T_DONE() ends main: 0 when every check held, 1 when one failed, 2 when a
 * named case does not exist. */
#ifndef ENCORE_T_H
#define ENCORE_T_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* One set per program, however many of its files include this header. */
__attribute__((weak)) int t_checks, t_failures;
__attribute__((weak)) struct t_selection {
  bool list;             /* --list: print the names, run nothing */
  int n;                 /* names asked for; 0: every case */
  char **names;          /* argv's */
  unsigned long long hit; /* bit i: names[i] named a case */
} t_sel;

static inline void t_check(bool ok, const char *file, int line,
                           const char *expr, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static inline void t_check(bool ok, const char *file, int line,
                           const char *expr, const char *fmt, ...) {
  t_checks++;
  if (ok) return;
  t_failures++;
  fprintf(stderr, "%s:%d: CHECK(%s) failed", file, line, expr);
  if (fmt[2]) { /* ": " and a message */
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
  }
  fputc('\n', stderr);
}

/* The message, when given, must be a string literal (it is joined to
 * ": "). */
#define CHECK(cond, ...)                                                       \
  t_check((cond) != 0, __FILE__, __LINE__, #cond, ": " __VA_ARGS__)

#define CHECK_INT(a, b)                                                        \
  do {                                                                         \
    long long t_a_ = (long long)(a), t_b_ = (long long)(b);                    \
    t_check(t_a_ == t_b_, __FILE__, __LINE__, #a " == " #b,                    \
            ": %lld, expected %lld", t_a_, t_b_);                                \
  } while (0)

#define CHECK_STR(a, b)                                                        \
  do {                                                                         \
    const char *t_a_ = (a), *t_b_ = (b);                                       \
    t_check(t_a_ && t_b_ && strcmp(t_a_, t_b_) == 0, __FILE__, __LINE__,       \
            #a " == " #b, ": \"%s\", expected \"%s\"", t_a_ ? t_a_ : "(null)",   \
            t_b_ ? t_b_ : "(null)");                                           \
  } while (0)

/* CHECK_HAS: haystack a contains needle b. */
#define CHECK_HAS(a, b)                                                        \
  do {                                                                         \
    const char *t_a_ = (a), *t_b_ = (b);                                       \
    t_check(t_a_ && strstr(t_a_, t_b_), __FILE__, __LINE__,                    \
            #a " contains " #b, ": \"%s\" lacks \"%s\"",                         \
            t_a_ ? t_a_ : "(null)", t_b_);                                     \
  } while (0)

static inline void t_init(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--list") == 0) {
    t_sel.list = true;
    return;
  }
  t_sel.n = argc > 65 ? 64 : argc - 1;
  t_sel.names = argv + 1;
}
#define T_INIT(argc, argv) t_init((argc), (argv))

/* t_wanted: whether the case `name` runs now (and, under --list, print
 * it). */
static inline bool t_wanted(const char *name) {
  if (t_sel.list) {
    puts(name);
    return false;
  }
  if (t_sel.n == 0) return true;
  for (int i = 0; i < t_sel.n; i++)
    if (strcmp(t_sel.names[i], name) == 0) {
      t_sel.hit |= 1ull << i;
      return true;
    }
  return false;
}

#define T_CASE(fn, ...)                                                        \
  do {                                                                         \
    if (t_wanted(#fn)) {                                                       \
      fprintf(stderr, "-- %s\n", #fn);                                         \
      fn(__VA_ARGS__);                                                         \
    }                                                                          \
  } while (0)

/* t_status: what the program answers, after printing the counts. */
static inline int t_status(const char *prog) {
  int st = t_failures ? 1 : 0;
  if (t_sel.list) return 0;
  for (int i = 0; i < t_sel.n; i++)
    if (!(t_sel.hit & (1ull << i))) {
      fprintf(stderr, "%s: no case named %s\n", prog, t_sel.names[i]);
      st = 2;
    }
  fprintf(stderr, "%s: %d checks, %d failed\n", prog, t_checks, t_failures);
  return st;
}

#define T_DONE() return t_status(__FILE__)

#endif
