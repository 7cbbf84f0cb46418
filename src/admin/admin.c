/* encore-admin: the operator's command line — schema migrations (migrate.c),
 * accounts (users.c), the demo data of a private stack (demo.c), bulk loads
 * (import.c, generate.c) and the search index. Every command prints a
 * one-line summary on stdout and its errors on stderr; exit status 0 on
 * success, 1 on failure, 2 on a usage error. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/admin.h"
#include "admin/generate.h"
#include "admin/import.h"
#include "admin/insights.h"
#include "core/arena.h"
#include "core/cfg.h"
#include "core/db.h"
#include "core/inval.h"
#include "core/kv.h"
#include "core/log.h"
#include "core/rnd.h"
#include "model/search.h"

static const char usage_text[] =
    "usage: encore-admin [-c CONFIG] COMMAND ...\n"
    "\n"
    "commands:\n"
    "  migrate [--dir DIR]\n"
    "      apply the pending sql/migrations/NNNN_*.sql in order\n"
    "  user create --username U --email E [--password P] [--password-stdin]\n"
    "              [--display-name D] [--role user|editor|admin] [--admin]\n"
    "      create an account; without a password one is generated and printed\n"
    "  user ensure (the options of create) [--reset]\n"
    "      like create, but an existing username is not an error: it prints\n"
    "      \"exists\", or with --reset sets the email, role and password "
    "given\n"
    "  user ensure USERNAME EMAIL [ROLE]\n"
    "      the same with --reset, the password read from standard input\n"
    "  user list [--q PREFIX] [--role R] [--status active|suspended]\n"
    "  user show USERNAME\n"
    "  user suspend USERNAME --reason TEXT [--until RFC3339]\n"
    "  user reinstate USERNAME\n"
    "  user delete USERNAME --reason TEXT\n"
    "      the administration of accounts, as the admin API does it (audited)\n"
    "  analytics rollup [--days N]\n"
    "      the daily rollup of the admin analytics (cron: hourly)\n"
    "  user role USERNAME ROLE\n"
    "      change the role of an account\n"
    "  demo --credentials FILE [--world]\n"
    "      a private stack's accounts: FILE (made once, mode 0600) names the\n"
    "      admin and demo accounts and their passwords, which are made to\n"
    "      exist as written; --world also generates the small demo world\n"
    "      with the demo user among its listeners, once\n"
    "  import hetrec DIR\n"
    "      load the HetRec 2011 Last.fm 2K files of DIR (idempotent)\n"
    "  generate [--seed N] [--small] [--users N] [--artists N] [--albums N]\n"
    "           [--tracks N] [--listens N] [--playlists N] [--demo-user U]\n"
    "           [--heavy-listens N]\n"
    "      make a synthetic world from a seed (refused when one exists)\n"
    "  search rebuild\n"
    "      rebuild the search index from the catalogue tables\n"
    "  insights rebuild [--user USERNAME]\n"
    "      make the listening insights' rollups again from the listens\n"
    "  setup [--admin-user NAME] [--grant-host HOST] [--owner USER]\n"
    "      a host's secrets (generated once), database, database user and\n"
    "      schema, and media directory (idempotent); the administrator's\n"
    "      password, if any, from ENCORE_DB_ADMIN_PASSWORD\n"
    "  backup DIR\n"
    "      the database (one consistent snapshot) and the media into DIR,\n"
    "      with a MANIFEST naming the schema version\n"
    "  restore DIR [--force]\n"
    "      load the backup in DIR; a database that holds data is replaced\n"
    "      only with --force\n"
    "\n"
    "The password may also come from the ENCORE_NEW_PASSWORD environment\n"
    "variable, which keeps it off the command line. Without -c, settings come\n"
    "from the defaults and ENCORE_* environment variables.\n";

int admin_usage(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "encore-admin: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, " (encore-admin --help shows the usage)\n");
  va_end(ap);
  return EXIT_USAGE;
}

int admin_db(struct ctx *x, const char *cmd) {
  if (x->db) return 0;
  if (db_open(&x->db, &x->cfg) == 0) return 0;
  fprintf(stderr, "%s: cannot connect to the database %s as %s on %s\n", cmd,
          x->cfg.db_name, x->cfg.db_user,
          x->cfg.db_socket && x->cfg.db_socket[0] ? x->cfg.db_socket
                                                  : x->cfg.db_host);
  return 1;
}

void admin_kv(struct ctx *x) {
  if (!x->kv && x->cfg.kv_servers && x->cfg.kv_servers[0] &&
      kv_open(&x->kv, x->cfg.kv_servers) == 0 && x->db)
    inval_attach(x->kv, x->db);
}

/* --- options -------------------------------------------------------------- */

int admin_opts(int argc, char **argv, const struct opt *opts, int *npos) {
  char why[256];
  if (opts_parse(argc, argv, opts, npos, why, sizeof why))
    return admin_usage("%s", why);
  return 0;
}

/* search rebuild: refill the search index from the catalogue tables, for
 * rows written outside the API (SQL, restores) and after popularity batch
 * runs, whose figures the one- and two-letter index keeps. */
static int cmd_search(struct ctx *x, int argc, char **argv) {
  if (argc != 1 || strcmp(argv[0], "rebuild"))
    return admin_usage("%s", "search: the subcommand is rebuild");
  if (admin_db(x, "search")) return 1;
  admin_kv(x);
  search_cache(x->kv);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (search_rebuild(x->db)) {
    fprintf(stderr, "search rebuild: failed (see the log)\n");
    return 1;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("search rebuild: done in %.1f s\n",
         (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
  return 0;
}

/* --- main ----------------------------------------------------------------- */

/* import, generate: the bulk loaders (import.c, generate.c). */
static int cmd_import(struct ctx *x, int argc, char **argv) {
  if (admin_db(x, "import")) return 1;
  admin_kv(x);
  return admin_import(x->db, x->kv, x->a, argc, argv);
}

static int cmd_generate(struct ctx *x, int argc, char **argv) {
  if (admin_db(x, "generate")) return 1;
  admin_kv(x);
  return admin_generate(x->db, x->kv, x->a, argc, argv);
}

static const struct command {
  const char *name;
  int (*run)(struct ctx *x, int argc, char **argv);
} commands[] = {
    {"analytics", admin_analytics}, {"migrate", admin_migrate},
    {"user", admin_user},           {"demo", admin_demo},
    {"import", cmd_import},         {"generate", cmd_generate},
    {"search", cmd_search},         {"insights", admin_insights},
    {"setup", admin_setup},         {"backup", admin_backup},
    {"restore", admin_restore},
};

int main(int argc, char **argv) {
  const char *config = NULL;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    const char *s = argv[i];
    if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
      fputs(usage_text, stdout);
      return 0;
    }
    if (!strcmp(s, "-c") || !strcmp(s, "--config")) {
      if (++i == argc) return admin_usage("%s", "-c needs a file");
      config = argv[i];
    } else if (!strncmp(s, "--config=", 9)) {
      config = s + 9;
    } else {
      return admin_usage("unknown option %s", s);
    }
  }
  if (i == argc) {
    fputs(usage_text, stderr);
    return EXIT_USAGE;
  }
  const struct command *cmd = NULL;
  for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
    if (!strcmp(commands[k].name, argv[i])) cmd = &commands[k];
  if (!cmd) return admin_usage("unknown command %s", argv[i]);

  struct ctx x = {.config = config};
  char err[512];
  if (cfg_load(&x.cfg, config, false, err, sizeof err)) {
    fprintf(stderr, "encore-admin: %s\n", err);
    return 1;
  }
  /* Library errors (SQL, cache) go to stderr as JSON lines. */
  log_init("encore-admin", LOG_WARN, "-");
  if (rnd_init() || !(x.a = arena_new(0))) {
    fprintf(stderr, "encore-admin: cannot initialize\n");
    cfg_free(&x.cfg);
    return 1;
  }
  int rc = cmd->run(&x, argc - i - 1, argv + i + 1);
  fflush(stdout);
  arena_free(x.a);
  db_close(x.db);
  kv_close(x.kv);
  cfg_free(&x.cfg);
  return rc;
}
