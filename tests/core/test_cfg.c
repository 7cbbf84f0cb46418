/* test_cfg: defaults, the file syntax (comments, blanks, quotes, inline
 * comments), errors with file:line, strict integers and octal modes, relative
 * paths resolved against the file's directory, the secrets file (generated
 * with mode 0600 once, refused when group/others can read it), and
 * ENCORE_<KEY> overrides. */
#include "core/cfg.h"
#include "core/rc.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "t.h"

extern char **environ;

static char dir[] = "/tmp/encore-test-cfg-XXXXXX";
static char err[512];

static char *path_in(const char *name) {
  static char buf[4][PATH_MAX];
  static int k;
  char *p = buf[k++ % 4];
  snprintf(p, PATH_MAX, "%s/%s", dir, name);
  return p;
}

static void write_file(const char *name, const char *text, mode_t mode) {
  const char *p = path_in(name);
  unlink(p);
  FILE *f = fopen(p, "w");
  fputs(text, f);
  fclose(f);
  chmod(p, mode);
}

/* Load `text` as the config file; returns cfg_load's result. */
static int load_text(struct cfg *c, const char *text, bool generate) {
  write_file("encore.conf", text, 0644);
  err[0] = '\0';
  return cfg_load(c, path_in("encore.conf"), generate, err, sizeof err);
}

static void clear_env(void) {
  char names[64][128];
  int n = 0;
  for (char **e = environ; *e && n < 64; e++)
    if (strncmp(*e, "ENCORE_", 7) == 0) {
      size_t k = strcspn(*e, "=");
      if (k < sizeof names[0]) {
        memcpy(names[n], *e, k);
        names[n++][k] = '\0';
      }
    }
  for (int i = 0; i < n; i++)
    unsetenv(names[i]);
}

#define SECRET43 "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

static void load_and_secrets(void) {
  struct cfg c;
  clear_env();
  CHECK(mkdtemp(dir) != NULL);
  CHECK(chdir(dir) == 0); /* relative defaults land in the scratch dir */

  /* Defaults, no file, nothing generated. */
  CHECK_INT(cfg_load(&c, NULL, false, err, sizeof err), 0);
  CHECK_STR(c.socket, "run/encore-api.sock");
  CHECK_INT(c.socket_mode, 0660);
  CHECK_INT(c.workers, 4);
  CHECK_STR(c.pid_file, "");
  CHECK_STR(c.log_file, "-");
  CHECK_STR(c.log_level, "info");
  CHECK_STR(c.db_host, "127.0.0.1");
  CHECK_INT(c.db_port, 3306);
  CHECK_STR(c.db_name, "encore");
  CHECK_STR(c.db_user, "encore");
  CHECK_STR(c.db_password, "");
  CHECK_STR(c.secrets_file, "secrets.conf");
  CHECK_STR(c.jwt_secret, "");
  CHECK_STR(c.jwt_issuer, "encore");
  CHECK_STR(c.jwt_audience, "encore-api");
  CHECK_INT(c.access_ttl, 900);
  CHECK_INT(c.refresh_ttl, 2592000);
  CHECK_INT(c.reset_ttl, 1800);
  CHECK_INT(c.body_max, 1048576);
  CHECK_STR(c.smtp_url, "");
  CHECK_STR(c.mail_from, "Encore <no-reply@localhost>");
  CHECK_INT(c.login_free, 5);
  CHECK_INT(c.login_free_address, 30);
  CHECK_INT(c.login_free_account, 100);
  CHECK_INT(c.confirm_ttl, 86400);
#ifdef ENCORE_DATADIR
  CHECK_STR(c.migrations_dir, ENCORE_DATADIR "/migrations");
#else
  CHECK_STR(c.migrations_dir, "sql/migrations");
#endif
  CHECK(access("secrets.conf", F_OK) != 0); /* not generated */
  cfg_free(&c);
  CHECK(c.socket == NULL && c.jwt_secret == NULL);
  cfg_free(&c); /* twice is harmless */

  /* A full file: comments, blanks, spacing, quotes, inline comments. */
  char text[2048];
  snprintf(text, sizeof text,
           "# Encore test configuration\n"
           "\n"
           "   workers   =   8   \n"
           "socket_mode = 0600\n"
           "socket = api.sock\n"
           "pid_file = /run/encore.pid\n"
           "log_file = -\n"
           "log_level = debug # inline comment\n"
           "\t# indented comment\n"
           "db_password = \"p#ss word \\\"q\\\" \\\\\"\n"
           "db_name = enc#ore\n"
           "kv_servers = 10.0.0.1:11211,10.0.0.2:11211\r\n"
           "db_socket = ../mysql.sock\n"
           "migrations_dir = sql\n"
           "secrets_file = /nonexistent/secrets.conf\n"
           "jwt_secret = %s\n"
           "body_max = 2048\n"
           "mail_from = \"Encore Team <team@example.com>\"\n"
           "smtp_url = smtp://127.0.0.1:2525\n"
           "workers = 9\n",
           SECRET43);
  CHECK_INT(load_text(&c, text, false), 0);
  if (err[0]) fprintf(stderr, "err: %s\n", err);
  CHECK_INT(c.workers, 9); /* the last one wins */
  CHECK_INT(c.socket_mode, 0600);
  CHECK_STR(c.socket, path_in("api.sock"));
  CHECK_STR(c.pid_file, "/run/encore.pid");
  CHECK_STR(c.log_file, "-");
  CHECK_STR(c.log_level, "debug");
  CHECK_STR(c.db_password, "p#ss word \"q\" \\");
  CHECK_STR(c.db_name, "enc#ore");
  CHECK_STR(c.kv_servers, "10.0.0.1:11211,10.0.0.2:11211");
  CHECK_STR(c.db_socket, path_in("../mysql.sock"));
  CHECK_STR(c.migrations_dir, path_in("sql"));
  CHECK_STR(c.jwt_secret, SECRET43);
  CHECK_INT(c.body_max, 2048);
  CHECK_STR(c.mail_from, "Encore Team <team@example.com>");
  CHECK_STR(c.smtp_url, "smtp://127.0.0.1:2525");
  cfg_free(&c);

  /* kv_servers as a relative socket path is resolved; a file path too. */
  CHECK_INT(load_text(&c,
                      "kv_servers = ./mc.sock\nlog_file = log/api.log\n"
                      "secrets_file = /nonexistent/s\n",
                      false),
            0);
  CHECK_STR(c.kv_servers, path_in("./mc.sock"));
  CHECK_STR(c.log_file, path_in("log/api.log"));
  cfg_free(&c);

  /* Errors name the file and line. */
  CHECK_INT(load_text(&c, "workers = 2\n# c\nnope = 1\n", false), RC_INVALID);
  char expect[PATH_MAX + 64];
  snprintf(expect, sizeof expect, "%s:3: unknown key 'nope'",
           path_in("encore.conf"));
  CHECK_STR(err, expect);
  CHECK(c.socket == NULL); /* released on failure */
  cfg_free(&c);
  CHECK_INT(load_text(&c, "workers 2\n", false), RC_INVALID);
  CHECK_HAS(err, ":1: expected key = value");
  CHECK_INT(load_text(&c, "= 2\n", false), RC_INVALID);
  CHECK_INT(load_text(&c, "Workers = 2\n", false), RC_INVALID);
  CHECK_INT(load_text(&c, "db_name = \"open\n", false), RC_INVALID);
  CHECK_HAS(err, "unterminated quoted value");
  CHECK_INT(load_text(&c, "db_name = \"a\" b\n", false), RC_INVALID);
  CHECK_HAS(err, "text after the closing quote");

  /* Strict integers. */
  const char *bad_ints[] = {"workers = 4x\n",
                            "workers = \n",
                            "workers = 0\n",
                            "workers = -1\n",
                            "workers = 0x10\n",
                            "workers = 1.5\n",
                            "db_port = 70000\n",
                            "db_port = 99999999999999999999\n",
                            "access_ttl = 2147483648\n",
                            "body_max = 0\n",
                            "socket_mode = 0968\n",
                            "socket_mode = 01000\n",
                            "socket_mode = rw\n",
                            "socket_mode = \n"};
  for (size_t i = 0; i < sizeof bad_ints / sizeof bad_ints[0]; i++) {
    int rc = load_text(&c, bad_ints[i], false);
    if (rc != RC_INVALID) fprintf(stderr, "accepted: %s", bad_ints[i]);
    CHECK_INT(rc, RC_INVALID);
    CHECK_HAS(err, ":1: ");
  }
  CHECK_INT(load_text(&c, "socket_mode = 660\nsecrets_file=\n", false), 0);
  CHECK_INT(c.socket_mode, 0660);
  CHECK_STR(c.secrets_file, "");
  cfg_free(&c);
  CHECK_INT(load_text(&c, "log_level = verbose\n", false), RC_INVALID);
  CHECK_HAS(err, "log_level");
  CHECK_INT(load_text(&c, "jwt_secret = tooshort\n", false), RC_INVALID);
  CHECK_HAS(err, "at least 32 bytes");
  /* A NUL byte in the file. */
  write_file("nul.conf", "", 0644);
  FILE *nf = fopen(path_in("nul.conf"), "w");
  fwrite("workers = 4\0x\n", 1, 14, nf);
  fclose(nf);
  CHECK_INT(cfg_load(&c, path_in("nul.conf"), false, err, sizeof err),
            RC_INVALID);
  /* A missing file given explicitly is an error. */
  CHECK_INT(cfg_load(&c, path_in("missing.conf"), false, err, sizeof err),
            RC_INVALID);
  CHECK_HAS(err, "missing.conf");
  /* err may be NULL. */
  CHECK_INT(cfg_load(&c, path_in("missing.conf"), false, NULL, 0), RC_INVALID);

  /* Secrets: generated once, mode 0600, next to the config file. */
  CHECK_INT(load_text(&c, "workers = 2\n", true), 0);
  char sp[PATH_MAX];
  snprintf(sp, sizeof sp, "%s", path_in("secrets.conf"));
  CHECK_STR(c.secrets_file, sp);
  struct stat st;
  CHECK(stat(sp, &st) == 0);
  CHECK_INT(st.st_mode & 07777, 0600);
  CHECK_INT(strlen(c.jwt_secret), 43);
  char first_secret[64];
  snprintf(first_secret, sizeof first_secret, "%s", c.jwt_secret);
  cfg_free(&c);
  CHECK_INT(load_text(&c, "workers = 2\n", true), 0);
  CHECK_STR(c.jwt_secret, first_secret); /* read back, not regenerated */
  cfg_free(&c);
  /* Without generate, an existing secrets file is still read. */
  CHECK_INT(load_text(&c, "workers = 2\n", false), 0);
  CHECK_STR(c.jwt_secret, first_secret);
  cfg_free(&c);

  /* Readable by group or others: refused. */
  chmod(sp, 0640);
  CHECK_INT(load_text(&c, "workers = 2\n", true), RC_INVALID);
  CHECK_HAS(err, "group or others");
  chmod(sp, 0604);
  CHECK_INT(load_text(&c, "workers = 2\n", false), RC_INVALID);
  chmod(sp, 0600);

  /* Secrets file syntax errors and unknown keys name the secrets file. */
  write_file("secrets.conf", "jwt_secret = " SECRET43 "\nbogus = 1\n", 0600);
  CHECK_INT(load_text(&c, "workers = 2\n", false), RC_INVALID);
  CHECK_HAS(err, "secrets.conf:2: unknown key 'bogus'");
  write_file("secrets.conf", "jwt_secret = short\n", 0600);
  CHECK_INT(load_text(&c, "workers = 2\n", false), RC_INVALID);
  write_file("secrets.conf",
             "# secrets\njwt_secret = \"" SECRET43 "\"\ndb_password = s3cret\n"
             "smtp_password = \"mail pw\"\n",
             0600);
  /* The secrets file overrides the config file. */
  CHECK_INT(load_text(&c, "db_password = from-config\n", false), 0);
  CHECK_STR(c.db_password, "s3cret");
  CHECK_STR(c.smtp_password, "mail pw");
  cfg_free(&c);

  /* Generation fails cleanly when the directory does not exist. */
  CHECK_INT(load_text(&c, "secrets_file = nodir/secrets.conf\n", true),
            RC_INVALID);
  CHECK_HAS(err, "cannot create");
  /* Without generate, an absent secrets file is fine and the secret empty. */
  CHECK_INT(load_text(&c, "secrets_file = nodir/secrets.conf\n", false), 0);
  CHECK_STR(c.jwt_secret, "");
  cfg_free(&c);
  /* With generate and no secrets file at all, the missing secret is an
   * error. */
  CHECK_INT(load_text(&c, "secrets_file =\n", true), RC_INVALID);
  CHECK_HAS(err, "jwt_secret");

  /* Environment overrides the file and the secrets file. */
  setenv("ENCORE_WORKERS", "7", 1);
  setenv("ENCORE_JWT_ISSUER", "env-issuer", 1);
  setenv("ENCORE_DB_PASSWORD", "from-env", 1);
  setenv("ENCORE_SOCKET", "rel/env.sock", 1);
  setenv("ENCORE_SMTP_URL", "", 1);
  CHECK_INT(load_text(&c,
                      "workers = 2\njwt_issuer = file\nsmtp_url = smtp://x\n",
                      false),
            0);
  CHECK_INT(c.workers, 7);
  CHECK_STR(c.jwt_issuer, "env-issuer");
  CHECK_STR(c.db_password, "from-env");
  CHECK_STR(c.socket, "rel/env.sock"); /* used as given */
  CHECK_STR(c.smtp_url, "");
  cfg_free(&c);
  setenv("ENCORE_DB_PORT", "abc", 1);
  CHECK_INT(load_text(&c, "workers = 2\n", false), RC_INVALID);
  CHECK_HAS(err, "ENCORE_DB_PORT");
  unsetenv("ENCORE_DB_PORT");
  setenv("ENCORE_JWT_SECRET", "short", 1);
  CHECK_INT(load_text(&c, "workers = 2\n", false), RC_INVALID);
  unsetenv("ENCORE_JWT_SECRET");
  /* ENCORE_SECRETS_FILE picks the secrets file that is read. */
  write_file("other-secrets.conf",
             "jwt_secret = ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvu\n", 0600);
  setenv("ENCORE_SECRETS_FILE", path_in("other-secrets.conf"), 1);
  CHECK_INT(load_text(&c, "workers = 2\n", false), 0);
  CHECK_STR(c.jwt_secret, "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvu");
  cfg_free(&c);
  clear_env();

  /* Clean up the scratch directory. */
  const char *files[] = {"encore.conf", "secrets.conf", "nul.conf",
                         "other-secrets.conf"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
    unlink(path_in(files[i]));
  CHECK(chdir("/") == 0);
  CHECK(rmdir(dir) == 0);
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  T_CASE(load_and_secrets);
  T_DONE();
}
