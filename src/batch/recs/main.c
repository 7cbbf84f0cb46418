/* main.c: encore-recs, the recommendations batch program. For now one
 * command: `eval`, the offline evaluation on the HetRec Last.fm data. */
#include "batch/recs/eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(FILE *f) {
  fprintf(
      f,
      "usage: encore-recs eval --hetrec DIR [--seeds N] [--seed0 S]\n"
      "                        [--models "
      "pop,itemknn,als,rp3beta,ease,userknn,content,social]\n"
      "                        [--cold-start] [--small]\n"
      "  --small: one seed by default, defaults instead of grids, a quarter\n"
      "           of the users evaluated, fewer ALS iterations (the test "
      "suite)\n");
  return f == stderr ? 2 : 0;
}

/* parse_num: a whole decimal number in [lo, hi]. */
static int parse_num(const char *s, long lo, long hi, long *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (!*s || *end || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return usage(stderr);
  if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
    return usage(stdout);
  if (strcmp(argv[1], "eval")) {
    fprintf(stderr, "encore-recs: unknown command '%s'\n", argv[1]);
    return usage(stderr);
  }
  struct recs_eval_opts o = {.seeds = 0, .seed0 = 1};
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    long v;
    if (!strcmp(a, "--hetrec") && i + 1 < argc) {
      o.dir = argv[++i];
    } else if (!strcmp(a, "--seeds") && i + 1 < argc) {
      if (parse_num(argv[++i], 1, 20, &v)) {
        fprintf(stderr, "encore-recs: --seeds takes 1..20\n");
        return 2;
      }
      o.seeds = (int)v;
    } else if (!strcmp(a, "--seed0") && i + 1 < argc) {
      if (parse_num(argv[++i], 0, 1000000000L, &v)) {
        fprintf(stderr, "encore-recs: --seed0 takes 0..1000000000\n");
        return 2;
      }
      o.seed0 = (uint64_t)v;
    } else if (!strcmp(a, "--models") && i + 1 < argc) {
      o.models = argv[++i];
    } else if (!strcmp(a, "--cold-start")) {
      o.cold = 1;
    } else if (!strcmp(a, "--small")) {
      o.small = 1;
    } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      return usage(stdout);
    } else {
      fprintf(stderr, "encore-recs: unknown or incomplete option '%s'\n", a);
      return usage(stderr);
    }
  }
  if (!o.dir) {
    fprintf(stderr, "encore-recs: --hetrec DIR is required\n");
    return usage(stderr);
  }
  if (!o.seeds) o.seeds = o.small ? 1 : 5;
  return recs_eval_run(&o);
}
