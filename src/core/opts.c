/* opts: the command-line options of Encore's programs; see opts.h. */
#include "core/opts.h"

#include <stdio.h>
#include <string.h>

#include "core/str.h"

/* find: the entry named name[0..n), or NULL. */
static const struct opt *find(const struct opt *opts, const char *name,
                              size_t n) {
  for (const struct opt *o = opts; o->name; o++)
    if (strlen(o->name) == n && !strncmp(o->name, name, n)) return o;
  return NULL;
}

/* take: value v for option o (given as arg). */
static int take(const struct opt *o, const char *arg, const char *v, char *why,
                size_t len) {
  if (o->val) {
    *o->val = v;
    return 0;
  }
  long long x;
  if (str_parse_i64(v, o->lo, o->hi, &x)) {
    snprintf(why, len, "%s wants a whole number from %ld to %ld, not '%s'", arg,
             o->lo, o->hi, v);
    return -1;
  }
  *o->num = (long)x;
  return 0;
}

int opts_parse(int argc, char **argv, const struct opt *opts, int *npos,
               char *why, size_t len) {
  *npos = 0;
  for (int i = 0; i < argc; i++) {
    char *s = argv[i];
    const struct opt *o = NULL;
    const char *eq = NULL;
    if (!strcmp(s, "--")) {
      while (++i < argc)
        argv[(*npos)++] = argv[i];
      break;
    }
    if (!strncmp(s, "--", 2) && s[2]) {
      eq = strchr(s, '=');
      o = find(opts, s + 2, eq ? (size_t)(eq - s - 2) : strlen(s + 2));
      if (!o || strlen(o->name) == 1) {
        snprintf(why, len, "unknown option %s", s);
        return -1;
      }
    } else if (s[0] == '-' && s[1] && !s[2]) {
      o = find(opts, s + 1, 1);
    }
    if (!o) {
      argv[(*npos)++] = s;
      continue;
    }
    if (o->flag) {
      if (eq) {
        snprintf(why, len, "option %.*s takes no value", (int)(eq - s), s);
        return -1;
      }
      *o->flag = true;
    } else if (eq) {
      if (take(o, s, eq + 1, why, len)) return -1;
    } else if (i + 1 < argc) {
      if (take(o, s, argv[++i], why, len)) return -1;
    } else {
      snprintf(why, len, "option %s needs a value", s);
      return -1;
    }
  }
  return 0;
}

int opts_program(const char *prog, const char *usage, int argc, char **argv,
                 const struct opt *opts) {
  char why[256];
  int npos;
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      fputs(usage, stdout);
      return 0;
    }
  if (opts_parse(argc - 1, argv + 1, opts, &npos, why, sizeof why)) {
    fprintf(stderr, "%s: %s\n%s", prog, why, usage);
    return 2;
  }
  if (npos) {
    fprintf(stderr, "%s: unexpected argument '%s'\n%s", prog, argv[1], usage);
    return 2;
  }
  return -1;
}
