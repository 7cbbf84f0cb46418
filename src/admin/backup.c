/* backup: `encore-admin backup DIR` and `encore-admin restore DIR [--force]`.
 * A backup is a directory: database.sql (mariadb-dump --single-transaction,
 * one consistent snapshot of every InnoDB table, taken without locking the
 * API out), media/ (the media directory's files: content-addressed and never
 * rewritten, so a copy is a copy of them), and MANIFEST, written last, that
 * names the schema version and the dump's size and SHA-256. A directory
 * without a MANIFEST is not a backup (a run that died half-way). Restore
 * checks the manifest and the dump, refuses a database that holds data
 * without --force, loads the dump through the mariadb client, copies the
 * media back and migrates forward a backup older than this Encore. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "admin/admin.h"
#include "core/arena.h"
#include "core/cfg.h"
#include "core/db.h"

#define BACKUP_FORMAT "encore-backup 1"
#define MANIFEST "MANIFEST"
#define DUMP "database.sql"
#define MEDIA "media"

/* What a MANIFEST says. */
struct manifest {
  int schema_version;
  long long dump_bytes;
  char dump_sha256[65];
  long long media_files, media_bytes;
};

/* --- running the MariaDB tools ---------------------------------------- */

/* client_options: a private option file with the connection settings, so
 * that the password never shows in a command line; its path goes to out
 * (unlink it after use). */
static int client_options(const struct cfg *c, char out[64]) {
  const char *tmp = getenv("TMPDIR");
  snprintf(out, 64, "%s/encore-client-XXXXXX",
           tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
  int fd = mkstemp(out);
  if (fd < 0) {
    fprintf(stderr, "cannot make a temporary file: %s\n", strerror(errno));
    return 1;
  }
  FILE *f = fdopen(fd, "w");
  if (!f) {
    close(fd);
    unlink(out);
    return 1;
  }
  fprintf(f, "[client]\nuser=%s\npassword=\"", c->db_user);
  for (const char *p = c->db_password ? c->db_password : ""; *p; p++)
    fprintf(f, *p == '"' || *p == '\\' ? "\\%c" : "%c", *p);
  fprintf(f, "\"\n");
  if (c->db_socket && c->db_socket[0])
    fprintf(f, "socket=%s\n", c->db_socket);
  else
    fprintf(f, "host=%s\nport=%d\nprotocol=tcp\n", c->db_host, c->db_port);
  if (fclose(f) != 0) {
    unlink(out);
    return 1;
  }
  return 0;
}

/* run: argv with standard input from `in` and output to `out` (created,
 * mode 0600; NULL: inherited); its exit status, or -1. */
static int run(const char *const argv[], const char *in, const char *out) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (in) {
      int fd = open(in, O_RDONLY | O_CLOEXEC);
      if (fd < 0 || dup2(fd, 0) < 0) _exit(126);
    }
    if (out) {
      int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd < 0 || dup2(fd, 1) < 0) _exit(126);
    }
    char *v[16];
    int n = 0;
    while (argv[n] && n < 15) {
      v[n] = strdup(argv[n]); /* the child execs or exits: no leak */
      n++;
    }
    v[n] = NULL;
    execvp(v[0], v);
    _exit(127);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* tool: the MariaDB program of that name, or its MySQL name. */
static const char *tool(const char *mariadb, const char *mysql) {
  const char *path = getenv("PATH");
  char buf[4096];
  for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
    size_t n = strcspn(p, ":");
    snprintf(buf, sizeof buf, "%.*s/%s", (int)n, p, mariadb);
    if (access(buf, X_OK) == 0) return mariadb;
    p += n + (p[n] == ':');
  }
  return mysql;
}

/* copy_tree: the files of src that dst lacks (cp -R -n: content-addressed
 * names, so a file of the same name is the same file). */
static int copy_tree(struct arena *a, const char *src, const char *dst) {
  struct stat st;
  if (stat(src, &st) != 0) return errno == ENOENT ? 0 : 1;
  if (mkdir(dst, 0755) != 0 && errno != EEXIST) return 1;
  char *from = arena_printf(a, "%s/.", src);
  const char *argv[] = {"cp", "-R", "-n", "--preserve=timestamps",
                        from, dst,  NULL};
  return from && run(argv, NULL, NULL) == 0 ? 0 : 1;
}

static long long tree_files, tree_bytes;
static int count_one(const char *path, const struct stat *st, int kind,
                     struct FTW *ftw) {
  (void)path, (void)ftw;
  if (kind == FTW_F && S_ISREG(st->st_mode)) {
    tree_files++;
    tree_bytes += st->st_size;
  }
  return 0;
}

/* count_tree: the regular files under dir and their bytes. */
static void count_tree(const char *dir, long long *files, long long *bytes) {
  tree_files = tree_bytes = 0;
  struct stat st;
  if (stat(dir, &st) == 0) nftw(dir, count_one, 16, FTW_PHYS);
  *files = tree_files;
  *bytes = tree_bytes;
}

/* file_sha256: the file's digest in hex and its size; 1 when unreadable. */
static int file_sha256(const char *path, char hex[65], long long *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return 1;
  crypto_hash_sha256_state s;
  crypto_hash_sha256_init(&s);
  unsigned char buf[1 << 16], out[32];
  size_t n;
  *size = 0;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
    crypto_hash_sha256_update(&s, buf, n);
    *size += (long long)n;
  }
  int bad = ferror(f);
  fclose(f);
  crypto_hash_sha256_final(&s, out);
  for (int i = 0; i < 32; i++)
    snprintf(hex + 2 * i, 3, "%02x", out[i]);
  return bad;
}

/* --- the schema version -------------------------------------------------- */

static const char sql_schema[] = "SELECT MAX(version) FROM schema_migrations";

/* schema_version: the version the database is at (0: no schema). */
static int schema_version(struct ctx *x, int *version) {
  struct db_res res;
  if (db_exec(x->db, x->a, sql_schema, NULL, 0, DB_IDEMPOTENT, &res) ||
      res.nrows != 1) {
    fprintf(stderr, "cannot read the schema version (schema_migrations)\n");
    return 1;
  }
  *version = (int)db_i64(&res.rows[0], 0, 0);
  return 0;
}

/* --- the manifest ------------------------------------------------------ */

static int write_manifest(struct ctx *x, const char *dir,
                          const struct manifest *m) {
  char *tmp = arena_printf(x->a, "%s/.%s.tmp", dir, MANIFEST);
  char *path = arena_printf(x->a, "%s/%s", dir, MANIFEST);
  if (!tmp || !path) return 1;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (!f) {
    if (fd >= 0) close(fd);
    fprintf(stderr, "backup: cannot write %s: %s\n", tmp, strerror(errno));
    return 1;
  }
  char when[32];
  time_t now = time(NULL);
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
  fprintf(f,
          "# An Encore backup: encore-admin restore %s\n"
          "format = %s\n"
          "created_at = %s\n"
          "encore_version = %s\n"
          "database = %s\n"
          "schema_version = %d\n"
          "dump = %s\n"
          "dump_bytes = %lld\n"
          "dump_sha256 = %s\n"
          "media = %s\n"
          "media_files = %lld\n"
          "media_bytes = %lld\n",
          dir, BACKUP_FORMAT, when, PACKAGE_VERSION, x->cfg.db_name,
          m->schema_version, DUMP, m->dump_bytes, m->dump_sha256, MEDIA,
          m->media_files, m->media_bytes);
  if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0 ||
      rename(tmp, path) != 0) {
    fprintf(stderr, "backup: cannot write %s: %s\n", path, strerror(errno));
    return 1;
  }
  return 0;
}

/* manifest_value: the value of "key = value" in line, or NULL. */
static const char *manifest_value(char *line, const char *key) {
  size_t k = strlen(key);
  if (strncmp(line, key, k) != 0) return NULL;
  char *v = line + k;
  v += strspn(v, " \t");
  if (*v != '=') return NULL;
  v++;
  v += strspn(v, " \t");
  v[strcspn(v, "\r\n")] = '\0';
  return v;
}

/* read_manifest: DIR/MANIFEST, or 1 after saying why DIR is no backup. */
static int read_manifest(const char *dir, struct manifest *m) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, MANIFEST);
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr,
            "restore: %s is not an Encore backup: no %s (%s); a backup "
            "that did not finish has none\n",
            dir, MANIFEST, strerror(errno));
    return 1;
  }
  *m = (struct manifest){.schema_version = -1, .dump_bytes = -1};
  bool format = false;
  char line[512];
  const char *v;
  while (fgets(line, sizeof line, f)) {
    if ((v = manifest_value(line, "format")))
      format = strcmp(v, BACKUP_FORMAT) == 0;
    else if ((v = manifest_value(line, "schema_version")))
      m->schema_version = atoi(v);
    else if ((v = manifest_value(line, "dump_bytes")))
      m->dump_bytes = atoll(v);
    else if ((v = manifest_value(line, "dump_sha256")))
      snprintf(m->dump_sha256, sizeof m->dump_sha256, "%s", v);
    else if ((v = manifest_value(line, "media_files")))
      m->media_files = atoll(v);
  }
  fclose(f);
  if (!format || m->schema_version <= 0 || m->dump_bytes < 0 ||
      strlen(m->dump_sha256) != 64) {
    fprintf(stderr,
            "restore: %s is not an Encore backup: its %s lacks \"format = "
            "%s\", a schema_version or the dump's size and SHA-256\n",
            dir, MANIFEST, BACKUP_FORMAT);
    return 1;
  }
  return 0;
}

/* --- backup -------------------------------------------------------------- */

int admin_backup(struct ctx *x, int argc, char **argv) {
  int npos;
  const struct opt opts[] = {{.name = NULL}};
  int rc = admin_opts(argc, argv, opts, &npos);
  if (rc) return rc;
  if (npos != 1) return admin_usage("%s", "backup: give one directory");
  const char *dir = argv[0];
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
    fprintf(stderr, "backup: cannot make %s: %s\n", dir, strerror(errno));
    return 1;
  }
  char *manifest = arena_printf(x->a, "%s/%s", dir, MANIFEST);
  char *dump = arena_printf(x->a, "%s/%s", dir, DUMP);
  char *media = arena_printf(x->a, "%s/%s", dir, MEDIA);
  if (!manifest || !dump || !media) return 1;
  if (access(manifest, F_OK) == 0 || access(dump, F_OK) == 0) {
    fprintf(stderr, "backup: %s already holds a backup: give a new directory\n",
            dir);
    return 1;
  }
  struct manifest m = {0};
  if (admin_db(x, "backup") || schema_version(x, &m.schema_version)) return 1;
  if (m.schema_version == 0) {
    fprintf(stderr,
            "backup: the database %s has no schema: nothing to back "
            "up\n",
            x->cfg.db_name);
    return 1;
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);

  /* Media before and after the dump: a file the snapshot names was either
   * there before it began or written while it ran. */
  if (copy_tree(x->a, x->cfg.media_dir, media)) {
    fprintf(stderr, "backup: copying %s failed\n", x->cfg.media_dir);
    return 1;
  }
  char opt[64];
  if (client_options(&x->cfg, opt)) return 1;
  char *defaults = arena_printf(x->a, "--defaults-extra-file=%s", opt);
  const char *dump_argv[] = {tool("mariadb-dump", "mysqldump"),
                             defaults,
                             "--single-transaction",
                             "--quick",
                             "--hex-blob",
                             "--routines",
                             "--no-tablespaces",
                             "--default-character-set=utf8mb4",
                             x->cfg.db_name,
                             NULL};
  int st = defaults ? run(dump_argv, NULL, dump) : -1;
  unlink(opt);
  if (st != 0) {
    fprintf(stderr, "backup: %s failed (exit %d); %s is not a backup\n",
            dump_argv[0], st, dir);
    return 1;
  }
  if (copy_tree(x->a, x->cfg.media_dir, media)) {
    fprintf(stderr, "backup: copying %s failed\n", x->cfg.media_dir);
    return 1;
  }
  if (file_sha256(dump, m.dump_sha256, &m.dump_bytes)) {
    fprintf(stderr, "backup: cannot read back %s\n", dump);
    return 1;
  }
  count_tree(media, &m.media_files, &m.media_bytes);
  if (write_manifest(x, dir, &m)) return 1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("backup: %s: schema version %04d, database %.1f MB, %lld media "
         "files (%.1f MB), in %.1f s\n",
         dir, m.schema_version, m.dump_bytes / 1e6, m.media_files,
         m.media_bytes / 1e6,
         (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
  return 0;
}

/* --- restore ------------------------------------------------------------- */

/* The tables whose rows make a database one that holds data. */
static const struct {
  const char *table, *sql;
} data_tables[] = {
    {.table = "users", .sql = "SELECT EXISTS (SELECT 1 FROM users)"},
    {.table = "artists", .sql = "SELECT EXISTS (SELECT 1 FROM artists)"},
    {.table = "tracks", .sql = "SELECT EXISTS (SELECT 1 FROM tracks)"},
    {.table = "playlists", .sql = "SELECT EXISTS (SELECT 1 FROM playlists)"},
    {.table = "listens", .sql = "SELECT EXISTS (SELECT 1 FROM listens)"},
};

static const char sql_tables[] =
    "SELECT table_name FROM information_schema.tables "
    "WHERE table_schema = DATABASE()";

/* holds_data: the first table of data_tables with a row, or NULL. */
static int holds_data(struct ctx *x, const char **which) {
  struct db_res res;
  *which = NULL;
  if (db_exec(x->db, x->a, sql_tables, NULL, 0, DB_IDEMPOTENT, &res)) return 1;
  for (size_t i = 0; i < sizeof data_tables / sizeof data_tables[0]; i++) {
    bool there = false;
    for (int r = 0; r < res.nrows; r++) {
      const char *t = db_s(&res.rows[r], 0);
      there = there || (t && !strcmp(t, data_tables[i].table));
    }
    struct db_res one;
    if (!there) continue;
    if (db_exec(x->db, x->a, data_tables[i].sql, NULL, 0, DB_IDEMPOTENT,
                &one) ||
        one.nrows != 1)
      return 1;
    if (db_i64(&one.rows[0], 0, 0)) {
      *which = data_tables[i].table;
      return 0;
    }
  }
  return 0;
}

/* empty_database: the database dropped and made again, so that no table of
 * a newer or other schema outlives the restore. */
static int empty_database(struct ctx *x) {
  const char *name = x->cfg.db_name;
  if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                   "0123456789_") != strlen(name)) {
    fprintf(stderr, "restore: db_name may hold letters, digits and _ only\n");
    return 1;
  }
  char *drop = arena_printf(x->a, "DROP DATABASE IF EXISTS `%s`", name);
  char *make = arena_printf(x->a,
                            "CREATE DATABASE `%s` CHARACTER SET utf8mb4 "
                            "COLLATE utf8mb4_unicode_ci",
                            name);
  if (!drop || !make || db_query(x->db, drop, strlen(drop), NULL) ||
      db_query(x->db, make, strlen(make), NULL)) {
    fprintf(stderr, "restore: cannot empty the database %s\n", name);
    return 1;
  }
  db_close(x->db);
  x->db = NULL;
  return 0;
}

int admin_restore(struct ctx *x, int argc, char **argv) {
  bool force = false;
  int npos;
  const struct opt opts[] = {{.name = "force", .flag = &force}, {.name = NULL}};
  int rc = admin_opts(argc, argv, opts, &npos);
  if (rc) return rc;
  if (npos != 1) return admin_usage("%s", "restore: give one directory");
  const char *dir = argv[0];
  struct manifest m;
  if (read_manifest(dir, &m)) return 1;
  int known = admin_migrations_latest(x->cfg.migrations_dir);
  if (known < 0) {
    fprintf(stderr, "restore: cannot read the migrations in %s\n",
            x->cfg.migrations_dir);
    return 1;
  }
  if (m.schema_version > known) {
    fprintf(stderr,
            "restore: %s is of schema version %04d, newer than this Encore's "
            "(%04d): restore it with the version that made it, or upgrade "
            "first\n",
            dir, m.schema_version, known);
    return 1;
  }
  char *dump = arena_printf(x->a, "%s/%s", dir, DUMP);
  char *media = arena_printf(x->a, "%s/%s", dir, MEDIA);
  char sum[65];
  long long size;
  if (!dump || !media || file_sha256(dump, sum, &size) ||
      size != m.dump_bytes || strcmp(sum, m.dump_sha256) != 0) {
    fprintf(stderr,
            "restore: %s/%s is missing or damaged (its size or SHA-256 is "
            "not the manifest's)\n",
            dir, DUMP);
    return 1;
  }
  if (admin_db(x, "restore")) return 1;
  const char *which;
  if (holds_data(x, &which)) {
    fprintf(stderr, "restore: cannot read the database %s\n", x->cfg.db_name);
    return 1;
  }
  if (which && !force) {
    fprintf(stderr,
            "restore: the database %s already holds data (%s has rows); a "
            "restore replaces all of it: stop encore-api and encore-live "
            "and run again with --force\n",
            x->cfg.db_name, which);
    return 1;
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (empty_database(x)) return 1;
  char opt[64];
  if (client_options(&x->cfg, opt)) return 1;
  char *defaults = arena_printf(x->a, "--defaults-extra-file=%s", opt);
  const char *load_argv[] = {tool("mariadb", "mysql"), defaults,
                             "--default-character-set=utf8mb4", x->cfg.db_name,
                             NULL};
  int st = defaults ? run(load_argv, dump, NULL) : -1;
  unlink(opt);
  if (st != 0) {
    fprintf(stderr,
            "restore: loading %s failed (exit %d); the database is partly "
            "restored: run the restore again\n",
            dump, st);
    return 1;
  }
  if (copy_tree(x->a, media, x->cfg.media_dir)) {
    fprintf(stderr, "restore: copying the media into %s failed\n",
            x->cfg.media_dir);
    return 1;
  }
  if (m.schema_version < known && admin_migrate(x, 0, NULL)) return 1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("restore: %s: schema version %04d%s, %.1f MB of SQL, %lld media "
         "files, in %.1f s\n"
         "restore: restart memcached before starting encore-api: it may "
         "hold copies of what the database held before\n",
         dir, m.schema_version, m.schema_version < known ? " (migrated)" : "",
         m.dump_bytes / 1e6, m.media_files,
         (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
  return 0;
}
