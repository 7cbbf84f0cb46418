/* encore-admin: the operator's command line — schema migrations and
 * accounts. Every command prints a one-line summary on stdout and its errors
 * on stderr; exit status 0 on success, 1 on failure, 2 on a usage error.
 *
 * Migrations are sql/migrations/NNNN_<what>.sql, applied in numeric order,
 * each as one multi-statement script (plain SQL; no DELIMITER lines), and
 * recorded in schema_migrations with the SHA-256 of the file. They are
 * forward-only: an applied file must never change, and a new file must sort
 * after every applied one. MariaDB commits DDL implicitly, so a migration
 * that fails half-way stays half-applied and unrecorded: fix it forward. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin/generate.h"
#include "admin/import.h"
#include "core/arena.h"
#include "core/cfg.h"
#include "core/db.h"
#include "core/inval.h"
#include "core/kv.h"
#include "core/log.h"
#include "core/pw.h"
#include "core/rc.h"
#include "core/rnd.h"
#include "core/str.h"
#include "model/search.h"
#include "model/session.h"
#include "model/user.h"

#define EXIT_USAGE 2
#define MIGRATION_MAX (16 << 20) /* bytes of one migration file */
#define LOCK_WAIT 30             /* seconds to wait for another migrate */

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
    "  user role USERNAME ROLE\n"
    "      change the role of an account\n"
    "  import hetrec DIR\n"
    "      load the HetRec 2011 Last.fm 2K files of DIR (idempotent)\n"
    "  generate [--seed N] [--small] [--users N] [--artists N] [--albums N]\n"
    "           [--tracks N] [--listens N] [--playlists N] [--demo-user U]\n"
    "      make a synthetic world from a seed (refused when one exists)\n"
    "  search rebuild\n"
    "      rebuild the search index from the catalogue tables\n"
    "\n"
    "The password may also come from the ENCORE_NEW_PASSWORD environment\n"
    "variable, which keeps it off the command line. Without -c, settings come\n"
    "from the defaults and ENCORE_* environment variables.\n";

/* What every command gets. The connections open on first use. */
struct ctx {
  struct cfg cfg;
  struct arena *a;
  struct db *db;
  struct kv *kv;
};

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* usage_error: the complaint and where to read more; EXIT_USAGE. */
static int usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "encore-admin: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, " (encore-admin --help shows the usage)\n");
  va_end(ap);
  return EXIT_USAGE;
}

static int open_db(struct ctx *x, const char *cmd) {
  if (x->db) return 0;
  if (db_open(&x->db, &x->cfg) == 0) return 0;
  fprintf(stderr, "%s: cannot connect to the database %s as %s on %s\n", cmd,
          x->cfg.db_name, x->cfg.db_user,
          x->cfg.db_socket && x->cfg.db_socket[0] ? x->cfg.db_socket
                                                  : x->cfg.db_host);
  return 1;
}

/* open_kv: the cache, only to drop copies of what a command changed. Not
 * having one is no failure; a drop it cannot deliver is recorded for the
 * API workers to replay (inval.h). */
static void open_kv(struct ctx *x) {
  if (!x->kv && x->cfg.kv_servers && x->cfg.kv_servers[0] &&
      kv_open(&x->kv, x->cfg.kv_servers) == 0 && x->db)
    inval_attach(x->kv, x->db);
}

/* --- options -------------------------------------------------------------- */

/* An option "--name VALUE" (or "--name=VALUE"), or a flag "--name". */
struct opt {
  const char *name;
  const char **val; /* NULL for a flag */
  bool *flag;
};

/* parse_opts: fill opts from argv[0..argc); positional arguments are moved
 * to the front of argv and counted in *npos. 0 or EXIT_USAGE. */
static int parse_opts(int argc, char **argv, const struct opt *opts,
                      int *npos) {
  *npos = 0;
  for (int i = 0; i < argc; i++) {
    char *s = argv[i];
    if (strncmp(s, "--", 2) != 0 || s[2] == '\0') {
      if (strcmp(s, "--") == 0) {
        while (++i < argc)
          argv[(*npos)++] = argv[i];
        break;
      }
      argv[(*npos)++] = s;
      continue;
    }
    const char *eq = strchr(s, '=');
    size_t n = eq ? (size_t)(eq - s) : strlen(s);
    const struct opt *o = opts;
    while (o->name &&
           !(strlen(o->name) == n - 2 && !strncmp(o->name, s + 2, n - 2)))
      o++;
    if (!o->name) return usage_error("unknown option %s", s);
    if (!o->val) {
      if (eq) return usage_error("option %s takes no value", s);
      *o->flag = true;
    } else if (eq) {
      *o->val = eq + 1;
    } else if (i + 1 < argc) {
      *o->val = argv[++i];
    } else {
      return usage_error("option %s needs a value", s);
    }
  }
  return 0;
}

/* --- migrate -------------------------------------------------------------- */

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
    sha256(m[i].text, len, digest);
    hex_encode(digest, sizeof digest, m[i].sum);
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
  open_kv(x);
  search_cache(x->kv);
  if (search_upgrade(x->db, &rebuilt)) {
    fprintf(stderr, "migrate: rebuilding the search index failed (see the "
                    "log); run encore-admin search rebuild\n");
    return 1;
  }
  if (rebuilt) printf("migrate: search index rebuilt for its new layout\n");
  return 0;
}

static int cmd_migrate(struct ctx *x, int argc, char **argv) {
  const char *dir = NULL;
  int npos;
  const struct opt opts[] = {{"dir", &dir, NULL}, {NULL, NULL, NULL}};
  int rc = parse_opts(argc, argv, opts, &npos);
  if (rc) return rc;
  if (npos) return usage_error("migrate: unexpected argument %s", argv[0]);
  if (!dir) dir = x->cfg.migrations_dir;
  if (!dir || !dir[0])
    return usage_error("%s", "migrate: no --dir and no migrations_dir");

  struct migration *m = NULL;
  int n = 0;
  if (load_migrations(x->a, dir, &m, &n)) return 1;
  if (n == 0) {
    fprintf(stderr, "migrate: no NNNN_*.sql files in %s\n", dir);
    return 1;
  }
  if (open_db(x, "migrate")) return 1;
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

/* --- user ----------------------------------------------------------------- */

static bool role_valid(const char *r) {
  return r &&
         (!strcmp(r, "user") || !strcmp(r, "editor") || !strcmp(r, "admin"));
}

/* read_stdin_line: the first line of standard input, without its end. */
static char *read_stdin_line(struct arena *a) {
  char buf[PW_MAX_BYTES * 4 + 2];
  if (!fgets(buf, sizeof buf, stdin)) return NULL;
  buf[strcspn(buf, "\r\n")] = '\0';
  return arena_strdup(a, buf);
}

/* generate_password: a random password that passes the policy. */
static char *generate_password(struct arena *a, const char *user,
                               const char *email) {
  for (;;) {
    char tok[44];
    rnd_token(tok);
    tok[20] = '\0'; /* 20 base64url characters: 120 bits */
    if (pw_policy(tok, user, email, NULL) == 0) return arena_strdup(a, tok);
  }
}

struct user_args {
  const char *username, *email, *password, *display, *role;
  bool admin, reset, pw_stdin;
  bool generated; /* the password was generated here */
};

/* user_args_parse: options or positionals (USERNAME EMAIL [ROLE]), then
 * the password source, then every field rule of the API. */
static int user_args_parse(struct ctx *x, const char *cmd, int argc,
                           char **argv, struct user_args *u) {
  int npos, rc;
  const struct opt opts[] = {{"username", &u->username, NULL},
                             {"email", &u->email, NULL},
                             {"password", &u->password, NULL},
                             {"display-name", &u->display, NULL},
                             {"role", &u->role, NULL},
                             {"admin", NULL, &u->admin},
                             {"reset", NULL, &u->reset},
                             {"password-stdin", NULL, &u->pw_stdin},
                             {NULL, NULL, NULL}};
  if ((rc = parse_opts(argc, argv, opts, &npos))) return rc;
  if (npos > 0) {
    /* The positional form, as scripts use it: USERNAME EMAIL [ROLE] with
     * the password on standard input. */
    if (npos > 3 || u->username || u->email || (npos == 3 && u->role))
      return usage_error("user %s: give USERNAME EMAIL [ROLE] or options, "
                         "not both",
                         cmd);
    u->username = argv[0];
    if (npos > 1) u->email = argv[1];
    if (npos > 2) u->role = argv[2];
    if (!strcmp(cmd, "ensure")) u->reset = true;
    if (!isatty(STDIN_FILENO)) u->pw_stdin = true;
  }
  if (!u->username || !u->email)
    return usage_error("user %s: --username and --email are required", cmd);
  if (u->reset && strcmp(cmd, "ensure") != 0)
    return usage_error("user %s: --reset applies to ensure only", cmd);
  if (u->admin) {
    if (u->role && strcmp(u->role, "admin") != 0)
      return usage_error("user %s: --admin contradicts --role", cmd);
    u->role = "admin";
  }
  if (!u->role) u->role = "user";

  char *email = arena_strdup(x->a, u->email);
  if (!email) return 1;
  str_lower_ascii(email); /* stored lower-cased, as the API does */
  u->email = email;
  const char *bad = NULL;
  if (!user_name_valid(u->username))
    bad = "username: must be 3 to 32 letters, digits or _";
  else if (!user_email_valid(u->email))
    bad = "email: must be an email address";
  else if (!role_valid(u->role))
    bad = "role: must be user, editor or admin";
  else if (u->display && (!str_utf8_valid(u->display, strlen(u->display)) ||
                          str_utf8_len(u->display, strlen(u->display)) < 1 ||
                          str_utf8_len(u->display, strlen(u->display)) > 64))
    bad = "display name: must be 1 to 64 characters of UTF-8";
  if (bad) {
    fprintf(stderr, "user %s: invalid %s\n", cmd, bad);
    return 1;
  }

  if (!u->password) u->password = getenv("ENCORE_NEW_PASSWORD");
  if (!u->password && u->pw_stdin) {
    u->password = read_stdin_line(x->a);
    if (u->password && !u->password[0]) u->password = NULL;
  }
  if (u->password) {
    const char *why;
    if (pw_policy(u->password, u->username, u->email, &why)) {
      fprintf(stderr, "user %s: invalid password: %s\n", cmd, why);
      return 1;
    }
  }
  return 0;
}

/* user_reset: give an existing account the email, role and (when one was
 * given) password of u. A new password revokes the account's sessions. */
static int user_reset(struct ctx *x, const struct user *cur,
                      const struct user_args *u) {
  static const char sql_email[] = "UPDATE users SET email = ? WHERE id = ?";
  bool changed = false;
  open_kv(x);
  if (strcmp(cur->email, u->email) != 0) {
    struct db_val p[] = {DB_S(u->email), DB_I(cur->id)};
    int rc = db_exec(x->db, NULL, sql_email, p, 2, DB_IDEMPOTENT, NULL);
    if (rc == RC_CONFLICT) {
      fprintf(stderr, "user ensure: email %s belongs to another account\n",
              u->email);
      return 1;
    }
    if (rc) goto fail;
    changed = true;
  }
  if (strcmp(cur->role, u->role) != 0) {
    if (user_set_role(x->db, x->kv, cur->id, u->role)) goto fail;
    changed = true;
  }
  if (u->password && pw_verify(cur->password_hash, u->password) != 0) {
    char hash[PW_HASH_MAX];
    if (pw_hash(u->password, hash) ||
        user_set_password(x->db, x->kv, cur->id, hash) ||
        session_revoke_user(x->db, x->kv, x->a, cur->id, 0))
      goto fail;
    changed = true;
  }
  if (changed && x->kv) {
    /* The email change went around the model: drop the cached profile. */
    kv_del(x->kv, arena_printf(x->a, "u:%lld:me", cur->id));
  }
  printf("user ensure: %s %s (id %lld, role %s)\n",
         changed ? "updated" : "unchanged", cur->username, cur->id, u->role);
  return 0;
fail:
  fprintf(stderr, "user ensure: cannot update %s (see the log)\n",
          cur->username);
  return 1;
}

/* user_create_cmd: create, and for ensure accept an existing username. */
static int user_create_cmd(struct ctx *x, const char *cmd, int argc,
                           char **argv) {
  struct user_args u = {0};
  bool ensure = !strcmp(cmd, "ensure");
  int rc = user_args_parse(x, cmd, argc, argv, &u);
  if (rc) return rc;
  if (open_db(x, ensure ? "user ensure" : "user create")) return 1;

  struct user cur;
  if (ensure) {
    rc = user_by_username(x->db, x->a, u.username, &cur);
    if (rc == 0) {
      if (u.reset) return user_reset(x, &cur, &u);
      printf("user ensure: exists %s (id %lld, role %s)\n", cur.username,
             cur.id, cur.role);
      return 0;
    }
    if (rc != RC_NOT_FOUND) {
      fprintf(stderr, "user ensure: cannot look up %s\n", u.username);
      return 1;
    }
  }

  if (!u.password) {
    u.password = generate_password(x->a, u.username, u.email);
    u.generated = true;
  }
  char hash[PW_HASH_MAX];
  if (!u.password || pw_hash(u.password, hash)) {
    fprintf(stderr, "user %s: out of memory\n", cmd);
    return 1;
  }
  long long id = 0;
  const char *which = NULL;
  struct user_new fresh = {.username = u.username,
                           .email = u.email,
                           .pw_hash = hash,
                           .display_name = u.display ? u.display : u.username,
                           .role = u.role};
  rc = user_create(x->db, x->a, &fresh, &id, &which);
  if (rc == RC_CONFLICT && ensure && which && !strcmp(which, "username")) {
    /* Created meanwhile by someone else: that is what ensure wants. */
    printf("user ensure: exists %s\n", u.username);
    return 0;
  }
  if (rc == RC_CONFLICT) {
    if (which && !strcmp(which, "username"))
      fprintf(stderr, "user %s: username %s is taken\n", cmd, u.username);
    else
      fprintf(stderr, "user %s: email %s is already registered\n", cmd,
              u.email);
    return 1;
  }
  if (rc) {
    fprintf(stderr, "user %s: cannot create %s (see the log)\n", cmd,
            u.username);
    return 1;
  }
  if (u.generated)
    printf("user %s: created %s (id %lld, role %s), password: %s\n", cmd,
           u.username, id, u.role, u.password);
  else
    printf("user %s: created %s (id %lld, role %s)\n", cmd, u.username, id,
           u.role);
  return 0;
}

static int user_role_cmd(struct ctx *x, int argc, char **argv) {
  int npos, rc;
  const struct opt opts[] = {{NULL, NULL, NULL}};
  if ((rc = parse_opts(argc, argv, opts, &npos))) return rc;
  if (npos != 2) return usage_error("%s", "user role: give USERNAME ROLE");
  const char *name = argv[0], *role = argv[1];
  if (!role_valid(role)) {
    fprintf(stderr,
            "user role: invalid role %s: must be user, editor or "
            "admin\n",
            role);
    return 1;
  }
  if (open_db(x, "user role")) return 1;
  struct user cur;
  rc = user_by_username(x->db, x->a, name, &cur);
  if (rc == RC_NOT_FOUND) {
    fprintf(stderr, "user role: no such user %s\n", name);
    return 1;
  }
  open_kv(x);
  if (rc || user_set_role(x->db, x->kv, cur.id, role)) {
    fprintf(stderr, "user role: cannot update %s (see the log)\n", name);
    return 1;
  }
  printf("user role: %s is now %s (was %s)\n", cur.username, role, cur.role);
  return 0;
}

static int cmd_user(struct ctx *x, int argc, char **argv) {
  if (argc < 1) return usage_error("%s", "user: missing subcommand");
  const char *sub = argv[0];
  if (!strcmp(sub, "create") || !strcmp(sub, "ensure"))
    return user_create_cmd(x, sub, argc - 1, argv + 1);
  if (!strcmp(sub, "role")) return user_role_cmd(x, argc - 1, argv + 1);
  return usage_error("user: unknown subcommand %s", sub);
}

/* search rebuild: refill the search index from the catalogue tables, for
 * rows written outside the API (SQL, restores) and after popularity batch
 * runs, whose figures the one- and two-letter index keeps. */
static int cmd_search(struct ctx *x, int argc, char **argv) {
  if (argc != 1 || strcmp(argv[0], "rebuild"))
    return usage_error("%s", "search: the subcommand is rebuild");
  if (open_db(x, "search")) return 1;
  open_kv(x);
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
  if (open_db(x, "import")) return 1;
  open_kv(x);
  return admin_import(x->db, x->kv, x->a, argc, argv);
}

static int cmd_generate(struct ctx *x, int argc, char **argv) {
  if (open_db(x, "generate")) return 1;
  open_kv(x);
  return admin_generate(x->db, x->kv, x->a, argc, argv);
}

static const struct command {
  const char *name;
  int (*run)(struct ctx *x, int argc, char **argv);
} commands[] = {
    {"migrate", cmd_migrate},   {"user", cmd_user},     {"import", cmd_import},
    {"generate", cmd_generate}, {"search", cmd_search},
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
      if (++i == argc) return usage_error("%s", "-c needs a file");
      config = argv[i];
    } else if (!strncmp(s, "--config=", 9)) {
      config = s + 9;
    } else {
      return usage_error("unknown option %s", s);
    }
  }
  if (i == argc) {
    fputs(usage_text, stderr);
    return EXIT_USAGE;
  }
  const struct command *cmd = NULL;
  for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
    if (!strcmp(commands[k].name, argv[i])) cmd = &commands[k];
  if (!cmd) return usage_error("unknown command %s", argv[i]);

  struct ctx x = {0};
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
