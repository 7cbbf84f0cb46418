/* test_opts: the command-line options of Encore's programs (core/opts):
 * the forms of a value, flags, bounded numbers, positional arguments and
 * every complaint. */
#include "core/opts.h"

#include <stdio.h>
#include <string.h>

#include "t.h"

/* The table of an imaginary program; run() parses a fresh copy of args. */
static const char *conf, *name;
static long count;
static bool force;
static const struct opt table[] = {
    {.name = "c", .val = &conf},
    {.name = "name", .val = &name},
    {.name = "count", .num = &count, .lo = 1, .hi = 100},
    {.name = "force", .flag = &force},
    {.name = NULL}};

static char why[256];
static char store[16][64];
static char *argv_copy[16];
static int npos;

/* argv_of: a writable argv holding args[0..argc), as a program gets it. */
static char **argv_of(int argc, const char *const *args) {
  for (int i = 0; i < argc; i++) {
    snprintf(store[i], sizeof store[i], "%s", args[i]);
    argv_copy[i] = store[i];
  }
  return argv_copy;
}

static int run(int argc, const char *const *args) {
  conf = name = NULL;
  count = 7;
  force = false;
  why[0] = '\0';
  return opts_parse(argc, argv_of(argc, args), table, &npos, why, sizeof why);
}

static void values_in_every_form(void) {
  const char *a[] = {"--name", "ann", "-c", "x.conf", "--count=42", "--force"};
  CHECK_INT(run(6, a), 0);
  CHECK_STR(name, "ann");
  CHECK_STR(conf, "x.conf");
  CHECK_INT(count, 42);
  CHECK(force, "the flag is set");
  CHECK_INT(npos, 0);
  const char *b[] = {"--name="};
  CHECK_INT(run(1, b), 0);
  CHECK_STR(name, "");
  CHECK_INT(count, 7); /* untouched when absent */
  CHECK(!force, "the flag stays off");
}

static void positional_arguments_move_to_the_front(void) {
  const char *a[] = {"rebuild", "--name", "n", "user", "-x", "--", "--force"};
  CHECK_INT(run(7, a), 0);
  CHECK_INT(npos, 4);
  CHECK_STR(argv_copy[0], "rebuild");
  CHECK_STR(argv_copy[1], "user");
  CHECK_STR(argv_copy[2], "-x"); /* no such one-letter option: positional */
  CHECK_STR(argv_copy[3], "--force"); /* after "--": positional */
  CHECK(!force, "--force after -- is not the flag");
  CHECK_STR(name, "n");
}

static void numbers_are_whole_and_bounded(void) {
  const char *ok[] = {"--count", "100"};
  CHECK_INT(run(2, ok), 0);
  CHECK_INT(count, 100);
  const char *bad[][2] = {
      {"--count", "0"},  {"--count", "101"},
      {"--count", "5x"}, {"--count", ""},
      {"--count", "-3"}, {"--count", "99999999999999999999"}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK_INT(run(2, bad[i]), -1);
    CHECK_HAS(why, "--count wants a whole number from 1 to 100");
    CHECK_INT(count, 7);
  }
}

static void complaints_name_the_argument(void) {
  const char *unknown[] = {"--colour", "red"};
  CHECK_INT(run(2, unknown), -1);
  CHECK_STR(why, "unknown option --colour");
  const char *short_as_long[] = {"--c", "x"};
  CHECK_INT(run(2, short_as_long), -1);
  CHECK_STR(why, "unknown option --c");
  const char *flag_value[] = {"--force=yes"};
  CHECK_INT(run(1, flag_value), -1);
  CHECK_STR(why, "option --force takes no value");
  const char *missing[] = {"--name"};
  CHECK_INT(run(1, missing), -1);
  CHECK_STR(why, "option --name needs a value");
  const char *missing_short[] = {"-c"};
  CHECK_INT(run(1, missing_short), -1);
  CHECK_STR(why, "option -c needs a value");
}

static void a_program_refuses_what_it_does_not_take(void) {
  const char *ok[] = {"prog", "--count", "3"};
  CHECK_INT(opts_program("prog", "usage: prog\n", 3, argv_of(3, ok), table),
            -1);
  CHECK_INT(count, 3);
  const char *positional[] = {"prog", "extra"};
  CHECK_INT(
      opts_program("prog", "usage: prog\n", 2, argv_of(2, positional), table),
      2);
  const char *bad[] = {"prog", "--count", "0"};
  CHECK_INT(opts_program("prog", "usage: prog\n", 3, argv_of(3, bad), table),
            2);
  const char *help[] = {"prog", "--name", "n", "-h"};
  CHECK_INT(opts_program("prog", "usage: prog\n", 4, argv_of(4, help), table),
            0);
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  T_CASE(values_in_every_form);
  T_CASE(positional_arguments_move_to_the_front);
  T_CASE(numbers_are_whole_and_bounded);
  T_CASE(complaints_name_the_argument);
  T_CASE(a_program_refuses_what_it_does_not_take);
  T_DONE();
}
