/* setup: `encore-admin setup`, what a fresh host needs before encore-api
 * starts: the secrets (generated once into secrets_file, kept after), the
 * database and its user (made through an administrator's connection: root
 * over the unix socket unless told otherwise), the schema (the migrations)
 * and the media directory. Every step is idempotent, so setup runs again
 * after an upgrade or to repair a half-done install. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/admin.h"
#include "core/arena.h"
#include "core/bytes.h"
#include "core/cfg.h"
#include "core/db.h"
#include "core/rnd.h"

/* The secrets setup adds (32 random bytes, base64url) when neither the
 * secrets file, the environment (env) nor the configuration file gives
 * one. Those the services generate themselves (jwt_secret and the others
 * cfg_load makes with generate) are made first, by cfg_load: on a host the
 * services cannot, since /etc is read-only to them. */
struct secret {
  const char *key, *env;
  const char *(*value)(const struct cfg *c);
};

static const char *jwt_secret(const struct cfg *c) {
  return c->jwt_secret;
}
static const char *db_password(const struct cfg *c) {
  return c->db_password;
}

static const struct secret secrets[] = {
    {.key = "db_password", .env = "ENCORE_DB_PASSWORD", .value = db_password},
    {.key = "jwt_secret", .env = "ENCORE_JWT_SECRET", .value = jwt_secret},
};

/* in_file: whether the secrets file at path sets key. */
static bool in_file(const char *path, const char *key) {
  FILE *f = fopen(path, "r");
  if (!f) return false;
  char line[1024];
  size_t k = strlen(key);
  bool found = false;
  while (!found && fgets(line, sizeof line, f)) {
    const char *s = line + strspn(line, " \t");
    found = !strncmp(s, key, k) && s[k + strspn(s + k, " \t")] == '=';
  }
  fclose(f);
  return found;
}

/* identifier: an SQL name setup may write into a statement's text. */
static bool identifier(const char *s, size_t max) {
  size_t n = strlen(s);
  return n > 0 && n <= max &&
         strspn(s, "abcdefghijklmnopqrstuvwxyz"
                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                   "0123456789_") == n;
}

static bool host_name(const char *s) {
  size_t n = strlen(s);
  return n > 0 && n <= 255 &&
         strspn(s, "abcdefghijklmnopqrstuvwxyz"
                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                   "0123456789.-_%:") == n;
}

/* owner_of: the service user's ids; false (after saying why) when named
 * but unknown. Without a name and not root: nobody to hand files to. */
static bool owner_of(const char *name, uid_t *uid, gid_t *gid, bool *chown) {
  *chown = false;
  if (geteuid() != 0) return true;
  const char *who = name ? name : "encore";
  struct passwd *pw = getpwnam(who);
  if (!pw) {
    if (!name) return true; /* no encore user (yet): files stay root's */
    fprintf(stderr, "setup: no user %s (--owner)\n", name);
    return false;
  }
  *uid = pw->pw_uid;
  *gid = pw->pw_gid;
  *chown = true;
  return true;
}

/* ensure_secrets: append to the secrets file (created with mode 0600) each
 * secret that neither it nor the environment gives. *made counts them. */
static int ensure_secrets(struct ctx *x, uid_t uid, gid_t gid, bool give,
                          int *made) {
  const char *path = x->cfg.secrets_file;
  *made = 0;
  if (!path || !path[0]) {
    fprintf(stderr, "setup: no secrets_file in the configuration\n");
    return 1;
  }
  int fd =
      open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    fprintf(stderr, "setup: cannot open %s: %s\n", path, strerror(errno));
    if (fd >= 0) close(fd);
    return 1;
  }
  int rc = 0;
  if (st.st_size == 0) {
    static const char head[] = "# Encore's secrets, made by encore-admin "
                               "setup. Keep mode 0600, owned by the "
                               "service user.\n";
    if (write(fd, head, sizeof head - 1) != (ssize_t)(sizeof head - 1)) rc = 1;
  }
  for (size_t i = 0; !rc && i < sizeof secrets / sizeof secrets[0]; i++) {
    const struct secret *sc = &secrets[i];
    const char *have = sc->value(&x->cfg);
    const char *env = getenv(sc->env);
    if ((have && have[0]) || (env && env[0]) || in_file(path, sc->key))
      continue;
    unsigned char raw[32];
    char b64[48], line[96];
    rnd_bytes(raw, sizeof raw);
    bytes_b64url(raw, sizeof raw, b64);
    int n = snprintf(line, sizeof line, "%s = %s\n", secrets[i].key, b64);
    if (write(fd, line, (size_t)n) != n) rc = 1;
    (*made)++;
  }
  if (!rc && (fchmod(fd, 0600) != 0 || (give && fchown(fd, uid, gid) != 0) ||
              fsync(fd) != 0))
    rc = 1;
  if (rc)
    fprintf(stderr, "setup: cannot write %s: %s\n", path, strerror(errno));
  close(fd);
  return rc;
}

/* reload: the configuration again, with the secrets just written; with
 * generate, the services' own secrets are made first (cfg.h). */
static int reload(struct ctx *x, bool generate) {
  struct cfg fresh;
  char err[512];
  if (cfg_load(&fresh, x->config, generate, err, sizeof err)) {
    fprintf(stderr, "setup: %s\n", err);
    return 1;
  }
  cfg_free(&x->cfg);
  x->cfg = fresh;
  return 0;
}

/* query: one statement of setup's own text (names checked, no secret in
 * it: db_query logs the text of a failing one). */
static int query(struct db *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int query(struct db *d, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char buf[512];
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof buf) return 1;
  return db_query(d, buf, (size_t)n, NULL) ? 1 : 0;
}

static const char sql_hash[] = "SELECT PASSWORD(?)";

/* database_and_user: as the administrator, the database, its user with the
 * configured password (brought in line when it exists) and its grant. */
static int database_and_user(struct ctx *x, const char *admin,
                             const char *host) {
  const struct cfg *c = &x->cfg;
  if (!identifier(c->db_name, 64) || !identifier(c->db_user, 80)) {
    fprintf(stderr, "setup: db_name and db_user may hold letters, digits and "
                    "_ only\n");
    return 1;
  }
  struct cfg as_admin = *c;
  const char *pw = getenv("ENCORE_DB_ADMIN_PASSWORD");
  as_admin.db_user = arena_strdup(x->a, admin);
  as_admin.db_password = arena_strdup(x->a, pw ? pw : "");
  as_admin.db_name = arena_strdup(x->a, "");
  struct db *d = NULL;
  struct db_res res;
  struct db_val p = DB_S(c->db_password);
  if (db_open(&d, &as_admin) ||
      db_exec(d, x->a, sql_hash, &p, 1, DB_IDEMPOTENT, &res) ||
      res.nrows != 1 || !db_s(&res.rows[0], 0)) {
    fprintf(stderr,
            "setup: cannot connect to MariaDB as %s on %s (run setup as "
            "root for the unix socket's authentication, or give "
            "--admin-user and ENCORE_DB_ADMIN_PASSWORD)\n",
            admin, c->db_socket && c->db_socket[0] ? c->db_socket : c->db_host);
    db_close(d);
    return 1;
  }
  const char *hash = db_s(&res.rows[0], 0);
  int rc = query(d,
                 "CREATE DATABASE IF NOT EXISTS `%s` CHARACTER SET utf8mb4 "
                 "COLLATE utf8mb4_unicode_ci",
                 c->db_name) ||
           query(d,
                 "CREATE USER IF NOT EXISTS '%s'@'%s' IDENTIFIED BY "
                 "PASSWORD '%s'",
                 c->db_user, host, hash) ||
           query(d, "ALTER USER '%s'@'%s' IDENTIFIED BY PASSWORD '%s'",
                 c->db_user, host, hash) ||
           query(d, "GRANT ALL PRIVILEGES ON `%s`.* TO '%s'@'%s'", c->db_name,
                 c->db_user, host);
  db_close(d);
  if (rc) {
    fprintf(stderr, "setup: creating the database or its user failed (see "
                    "the log line above)\n");
    return 1;
  }
  printf("setup: database %s and user %s@%s ready\n", c->db_name, c->db_user,
         host);
  return 0;
}

/* media_dir: made when missing and then handed to the service user; one
 * that exists (tmpfiles.d makes it, group www-data) is left as it is. */
static int media_dir(struct ctx *x, uid_t uid, gid_t gid, bool give) {
  const char *dir = x->cfg.media_dir;
  if (!dir || !dir[0]) return 0;
  if (mkdir(dir, 0755) == 0) {
    if (give && chown(dir, uid, gid) != 0) {
      fprintf(stderr, "setup: cannot hand %s over: %s\n", dir, strerror(errno));
      return 1;
    }
  } else if (errno != EEXIST) {
    fprintf(stderr, "setup: cannot make %s: %s\n", dir, strerror(errno));
    return 1;
  }
  printf("setup: media directory %s ready\n", dir);
  return 0;
}

int admin_setup(struct ctx *x, int argc, char **argv) {
  const char *admin = "root", *host = "localhost", *owner = NULL;
  int npos;
  const struct opt opts[] = {{.name = "admin-user", .val = &admin},
                             {.name = "grant-host", .val = &host},
                             {.name = "owner", .val = &owner},
                             {.name = NULL}};
  int rc = admin_opts(argc, argv, opts, &npos);
  if (rc) return rc;
  if (npos) return admin_usage("setup: unexpected argument %s", argv[0]);
  if (!identifier(admin, 80))
    return admin_usage("%s", "setup: bad --admin-user");
  if (!host_name(host)) return admin_usage("%s", "setup: bad --grant-host");

  uid_t uid = 0;
  gid_t gid = 0;
  bool give;
  int made;
  bool existed = access(x->cfg.secrets_file, F_OK) == 0;
  if (!owner_of(owner, &uid, &gid, &give) || reload(x, true) ||
      ensure_secrets(x, uid, gid, give, &made) || reload(x, false))
    return 1;
  if (!existed)
    printf("setup: secrets generated into %s\n", x->cfg.secrets_file);
  else if (made)
    printf("setup: %d secret%s added to %s\n", made, made == 1 ? "" : "s",
           x->cfg.secrets_file);
  else
    printf("setup: secrets kept in %s\n", x->cfg.secrets_file);

  if (database_and_user(x, admin, host)) return 1;
  db_close(x->db);
  x->db = NULL;
  if (admin_migrate(x, 0, NULL)) return 1;
  if (media_dir(x, uid, gid, give)) return 1;
  printf("setup: done\n");
  return 0;
}
