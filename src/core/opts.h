/* opts: the command-line options of Encore's programs, read from a table.
 *
 * "--name VALUE", "--name=VALUE" and "--name" (a flag) for the long names;
 * a one-letter name also matches "-x VALUE". Arguments that are not
 * options (and everything after "--") are positional. A number option
 * takes a whole decimal number within its bounds, nothing else. */
#ifndef ENCORE_CORE_OPTS_H
#define ENCORE_CORE_OPTS_H

#include <stdbool.h>
#include <stddef.h>

/* One option: exactly one of val, num and flag is set. The table ends
 * with an entry whose name is NULL. */
struct opt {
  const char *name; /* without dashes: "for", "c" */
  const char **val; /* the value as given */
  long *num;        /* a whole number in [lo, hi] */
  long lo, hi;
  bool *flag; /* set when the option is present; takes no value */
};

/* opts_parse: fill the table's outputs from argv[0..argc); positional
 * arguments are moved to the front of argv and counted in *npos. 0, or -1
 * with the complaint (naming the argument) in why[0..len). */
int opts_parse(int argc, char **argv, const struct opt *opts, int *npos,
               char *why, size_t len);

/* opts_program: a program's options, none positional, with -h and --help
 * printing usage to stdout. -1 when the program goes on; otherwise its
 * exit status: 0 after the help, 2 after "PROG: complaint" and the usage
 * on stderr. */
int opts_program(const char *prog, const char *usage, int argc, char **argv,
                 const struct opt *opts);

#endif
