/* admin: what encore-admin's commands share: the context every command
 * gets, option parsing and usage errors, and the connections opened on
 * first use. One file per command family: admin.c (main, dispatch, search),
 * migrate.c, users.c, demo.c, import.c, generate.c (its parts gen_*.c,
 * gen.h). */
#ifndef ENCORE_ADMIN_H
#define ENCORE_ADMIN_H

#include <stdbool.h>

#include "core/cfg.h"
#include "core/opts.h"

struct arena;
struct db;
struct kv;

#define EXIT_USAGE 2

/* What every command gets. The connections open on first use. */
struct ctx {
  const char *config; /* the -c file, NULL for none */
  struct cfg cfg;
  struct arena *a;
  struct db *db;
  struct kv *kv;
};

/* admin_opts: fill opts (core/opts.h) from argv[0..argc); positional
 * arguments are moved to the front of argv and counted in *npos. 0 or
 * EXIT_USAGE, after saying why. */
int admin_opts(int argc, char **argv, const struct opt *opts, int *npos);
/* admin_usage: print the complaint and where to read more; EXIT_USAGE. */
int admin_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* admin_db: connect x->db unless connected; 1 (after saying why) when the
 * database cannot be reached, for the command named cmd. */
int admin_db(struct ctx *x, const char *cmd);
/* admin_kv: the cache, only to drop copies of what a command changed. Not
 * having one is no failure; a drop it cannot deliver is recorded for the API
 * workers to replay (inval.h). */
void admin_kv(struct ctx *x);

/* The commands: each returns the exit status. */
int admin_migrate(struct ctx *x, int argc, char **argv);
/* setup.c: the secrets, database, user, schema and media of a host;
 * backup.c: a backup of the database and media, and its restore. */
int admin_setup(struct ctx *x, int argc, char **argv);
int admin_backup(struct ctx *x, int argc, char **argv);
int admin_restore(struct ctx *x, int argc, char **argv);
/* admin_migrations_latest: the highest version among the NNNN_*.sql files
 * of dir (0 when none), or -1 when dir cannot be read. */
int admin_migrations_latest(const char *dir);
int admin_user(struct ctx *x, int argc, char **argv);
int admin_demo(struct ctx *x, int argc, char **argv);
/* analytics.c: the daily rollup of the admin analytics. */
int admin_analytics(struct ctx *x, int argc, char **argv);

/* admin_password: a random password (120 bits) that passes the policy for
 * the account named user with that email; in the arena. */
char *admin_password(struct arena *a, const char *user, const char *email);
/* admin_user_ensure: the account `username` exists with this email, role
 * and password (created, or brought in line: a new password revokes its
 * sessions). 0, or 1 after saying why on stderr. */
int admin_user_ensure(struct ctx *x, const char *username, const char *email,
                      const char *role, const char *password);

#endif
