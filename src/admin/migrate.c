/* migrate: `encore-admin migrate`. Migrations are
 * sql/migrations/NNNN_<what>.sql, applied in numeric order, each as one
 * multi-statement script (plain SQL; no DELIMITER lines), and recorded in
 * schema_migrations with the SHA-256 of the file. They are forward-only: an
 * applied file must never change, and a new file must sort after every
 * applied one. MariaDB commits DDL implicitly, so a migration that fails
 * half-way stays half-applied and unrecorded: fix it forward. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "admin/admin.h"
#include "core/arena.h"
#include "core/bytes.h"
#include "core/db.h"
#include "model/search.h"

#define MIGRATION_MAX (16 << 20) /* bytes of one migration file */
#define LOCK_WAIT 30             /* seconds to wait for another migrate */

struct migration {
  int version;
  char *file; /* "0001_accounts.sql" */
  char *text;
  char sum[65];
};

static int by_version(const void *pa, const void *pb) {
  const struct migration *a = pa, *b = pb;
  return (a->version > b->version) - (a->version < b->version);
}

/* migration_name: "NNNN_<what>.sql" -> version; -1 for any other name. */
static int migration_version(const char *name) {
  size_t n = strlen(name), digits = strspn(name, "0123456789");
  if (digits == 0 || digits > 9 || name[digits] != '_' || n < digits + 5 ||
      strcmp(name + n - 4, ".sql") != 0)
    return -1;
  return atoi(name);
}

int admin_migrations_latest(const char *dir) {
  DIR *d = dir ? opendir(dir) : NULL;
  if (!d) return -1;
  int latest = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    int v = migration_version(e->d_name);
    if (v > latest) latest = v;
  }
  closedir(d);
  return latest;
}

static char *read_file(struct arena *a, const char *path, size_t *len,
                       const char **why) {
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  *why = NULL;
  if (!f) {
    *why = strerror(errno);
    return NULL;
  }
  struct stat st;
  if (fstat(fileno(f), &st) || st.st_size > MIGRATION_MAX) {
    *why = "too large or unreadable";
  } else if (!(buf = arena_alloc(a, (size_t)st.st_size + 1))) {
    *why = "out of memory";
  } else {
    *len = fread(buf, 1, (size_t)st.st_size, f);
    if (ferror(f) || *len != (size_t)st.st_size) {
      *why = "read error";
      buf = NULL;
    } else {
      buf[*len] = '\0';
      if (memchr(buf, '\0', *len)) {
        *why = "contains a NUL byte";
        buf = NULL;
      }
    }
  }
  fclose(f);
  return buf;
}

/* load_migrations: every NNNN_*.sql of dir, sorted by version. */
static int load_migrations(struct arena *a, const char *dir,
                           struct migration **out, int *count) {
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "migrate: cannot open %s: %s\n", dir, strerror(errno));
    return 1;
  }
  int n = 0, cap = 0, rc = 0;
  struct migration *m = NULL;
  struct dirent *e;
  while ((e = readdir(d))) {
    int v = migration_version(e->d_name);
    if (v < 0) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      struct migration *nm = arena_alloc(a, sizeof *nm * (size_t)cap);
      if (!nm) {
        rc = 1;
        break;
      }
      if (n) memcpy(nm, m, sizeof *m * (size_t)n);
      m = nm;
    }
    m[n].version = v;
    m[n].file = arena_strdup(a, e->d_name);
    n++;
  }
  closedir(d);
  if (rc) {
    fprintf(stderr, "migrate: out of memory\n");
    return 1;
  }
  if (n) qsort(m, (size_t)n, sizeof *m, by_version);
  for (int i = 0; i < n; i++) {
    if (i > 0 && m[i].version == m[i - 1].version) {
      fprintf(stderr, "migrate: %s and %s have the same version %d\n",
              m[i - 1].file, m[i].file, m[i].version);
      return 1;
    }
    char *path = arena_printf(a, "%s/%s", dir, m[i].file);
    const char *why;
    size_t len = 0;
    unsigned char digest[32];
    if (!path || !(m[i].text = read_file(a, path, &len, &why))) {
      fprintf(stderr, "migrate: cannot read %s: %s\n", path ? path : m[i].file,
              path ? why : "out of memory");
      return 1;
    }
    bytes_sha256(m[i].text, len, digest);
    bytes_hex(digest, sizeof digest, m[i].sum);
  }
  *out = m;
  *count = n;
  return 0;
}

static bool blank_sql(const char *s) {
  /* Only whitespace and "--" comment lines: nothing to send. */
  while (*s) {
    if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
      s++;
    } else if (s[0] == '-' && s[1] == '-') {
      s += strcspn(s, "\n");
    } else {
      return false;
    }
  }
  return true;
}

static const char sql_lock[] = "SELECT GET_LOCK('encore_migrate', ?)";
static const char sql_unlock[] = "SELECT RELEASE_LOCK('encore_migrate')";
static const char sql_applied[] =
    "SELECT version, name, checksum FROM schema_migrations ORDER BY version";
static const char sql_record[] =
    "INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)";
static const char sql_create_table[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations (\n"
    "  version    INT NOT NULL,\n"
    "  name       VARCHAR(255) NOT NULL,\n"
    "  checksum   CHAR(64) NOT NULL,\n"
    "  applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),\n"
    "  PRIMARY KEY (version)\n"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci";

/* migrate_locked: the work of migrate, under the lock. */
static int migrate_locked(struct ctx *x, const char *dir, struct migration *m,
                          int n) {
  char err[1024];
  struct db_res res;
  if (db_script(x->db, sql_create_table, err, sizeof err)) {
    fprintf(stderr, "migrate: cannot create schema_migrations: %s\n", err);
    return 1;
  }
  if (db_exec(x->db, x->a, sql_applied, NULL, 0, DB_IDEMPOTENT, &res)) {
    fprintf(stderr, "migrate: cannot read schema_migrations\n");
    return 1;
  }

  /* Check everything before changing anything. */
  int failures = 0, latest = 0;
  bool *done = arena_alloc(x->a, sizeof *done * (size_t)(n ? n : 1));
  if (!done) return 1;
  for (int r = 0; r < res.nrows; r++) {
    long long v = db_i64(&res.rows[r], 0, -1);
    const char *name = db_s(&res.rows[r], 1), *sum = db_s(&res.rows[r], 2);
    int i = 0;
    while (i < n && m[i].version != v)
      i++;
    if (v > latest) latest = (int)v;
    if (i == n) {
      fprintf(stderr,
              "migrate: warning: applied migration %04lld (%s) is not in %s\n",
              v, name ? name : "?", dir);
      continue;
    }
    done[i] = true;
    if (!sum || strcmp(sum, m[i].sum) != 0) {
      fprintf(stderr,
              "migrate: %s was changed after it was applied (checksum %s, "
              "recorded %s); migrations are forward-only: revert the file "
              "and add a new migration\n",
              m[i].file, m[i].sum, sum ? sum : "none");
      failures++;
    }
  }
  for (int i = 0; i < n; i++) {
    if (!done[i] && m[i].version < latest) {
      fprintf(stderr,
              "migrate: %s is older than the applied version %04d; "
              "migrations are forward-only: renumber it after %04d\n",
              m[i].file, latest, latest);
      failures++;
    }
  }
  if (failures) return 1;

  int applied = 0;
  for (int i = 0; i < n; i++) {
    if (done[i]) continue;
    if (!blank_sql(m[i].text) && db_script(x->db, m[i].text, err, sizeof err)) {
      fprintf(stderr,
              "migrate: %s failed: %s\n"
              "migrate: statements before the failing one stay applied "
              "(MariaDB commits DDL at once); fix forward and run again\n",
              m[i].file, err);
      return 1;
    }
    struct db_val p[] = {DB_I(m[i].version), DB_S(m[i].file), DB_S(m[i].sum)};
    if (db_exec(x->db, NULL, sql_record, p, 3, 0, NULL)) {
      fprintf(stderr, "migrate: %s was applied but could not be recorded\n",
              m[i].file);
      return 1;
    }
    printf("migrate: applied %s\n", m[i].file);
    fflush(stdout);
    applied++;
    latest = m[i].version;
  }
  if (applied)
    printf("migrate: applied %d migration%s, now at version %04d\n", applied,
           applied == 1 ? "" : "s", latest);
  else
    printf("migrate: up to date (version %04d)\n", latest);
  return 0;
}

/* search_layout: a migration may change what search entries carry; the
 * index is then rebuilt once, in the migrate that brings the change. */
static int search_layout(struct ctx *x) {
  bool rebuilt;
  admin_kv(x);
  search_cache(x->kv);
  if (search_upgrade(x->db, &rebuilt)) {
    fprintf(stderr, "migrate: rebuilding the search index failed (see the "
                    "log); run encore-admin search rebuild\n");
    return 1;
  }
  if (rebuilt) printf("migrate: search index rebuilt for its new layout\n");
  return 0;
}

int admin_migrate(struct ctx *x, int argc, char **argv) {
  const char *dir = NULL;
  int npos;
  const struct opt opts[] = {{.name = "dir", .val = &dir}, {.name = NULL}};
  int rc = admin_opts(argc, argv, opts, &npos);
  if (rc) return rc;
  if (npos) return admin_usage("migrate: unexpected argument %s", argv[0]);
  if (!dir) dir = x->cfg.migrations_dir;
  if (!dir || !dir[0])
    return admin_usage("%s", "migrate: no --dir and no migrations_dir");

  struct migration *m = NULL;
  int n = 0;
  if (load_migrations(x->a, dir, &m, &n)) return 1;
  if (n == 0) {
    fprintf(stderr, "migrate: no NNNN_*.sql files in %s\n", dir);
    return 1;
  }
  if (admin_db(x, "migrate")) return 1;
  /* A migration may rewrite a big table (0009 fills new columns of every
   * search entry): the bulk loaders' long I/O timeout, not the API's 30 s. */
  if (db_local_infile(x->db)) {
    fprintf(stderr, "migrate: cannot reconnect to the database\n");
    return 1;
  }

  /* One migrate at a time, across hosts: a server-side named lock, held by
   * this connection until released or disconnected. */
  struct db_res res;
  struct db_val wait = DB_I(LOCK_WAIT);
  if (db_exec(x->db, x->a, sql_lock, &wait, 1, DB_IDEMPOTENT, &res) ||
      res.nrows != 1 || db_i64(&res.rows[0], 0, 0) != 1) {
    fprintf(stderr,
            "migrate: another migrate is running (lock encore_migrate not "
            "granted within %d s)\n",
            LOCK_WAIT);
    return 1;
  }
  rc = migrate_locked(x, dir, m, n);
  if (!rc) rc = search_layout(x);
  db_exec(x->db, x->a, sql_unlock, NULL, 0, 0, &res);
  return rc;
}
