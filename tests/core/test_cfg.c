/* test_cfg: defaults, the file syntax (comments, blanks, quotes, inline
 * comments), errors with file:line, strict integers and octal modes, relative
 * paths resolved against the file's directory, the secrets file (generated
 * with mode 0600 once, refused when group/others can read it), and
 * ENCORE_<KEY> overrides. Each case runs in a scratch directory of its own,
 * with no ENCORE_ variable set, and removes it. */
#include "core/cfg.h"
#include "core/rc.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "t.h"

extern char **environ;

#define DIR_TEMPLATE "/tmp/encore-test-cfg-XXXXXX"

static char dir[sizeof DIR_TEMPLATE];
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

/* scratch_begin: a fresh empty directory, made the working directory so
 * that relative defaults land in it, and an environment without ENCORE_
 * variables. */
static void scratch_begin(void) {
  clear_env();
  snprintf(dir, sizeof dir, "%s", DIR_TEMPLATE);
  CHECK(mkdtemp(dir) != NULL);
  CHECK(chdir(dir) == 0);
}

/* scratch_end: the files a case may write, the directory (rmdir fails
 * when a case left anything else) and the variables it set go. */
static void scratch_end(void) {
  clear_env();
  const char *files[] = {"encore.conf", "secrets.conf", "nul.conf",
                         "other-secrets.conf"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
    unlink(path_in(files[i]));
  CHECK(chdir("/") == 0);
  CHECK(rmdir(dir) == 0);
}

/* first_run: let cfg_load generate secrets.conf next to encore.conf, as a
 * program's first run does. */
static void first_run(void) {
  struct cfg c;
  CHECK_INT(load_text(&c, "workers = 2\n", true), 0);
  cfg_free(&c);
}

#define SECRET43 "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

static void defaults_apply_without_a_file(void) {
  struct cfg c;
  scratch_begin();
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
  scratch_end();
}

static void file_syntax_is_read_and_the_last_value_wins(void) {
  struct cfg c;
  scratch_begin();
  /* Comments, blanks, spacing, quotes, inline comments. */
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
  scratch_end();
}

static void relative_kv_socket_and_log_file_are_resolved(void) {
  struct cfg c;
  scratch_begin();
  CHECK_INT(load_text(&c,
                      "kv_servers = ./mc.sock\nlog_file = log/api.log\n"
                      "secrets_file = /nonexistent/s\n",
                      false),
            0);
  CHECK_STR(c.kv_servers, path_in("./mc.sock"));
  CHECK_STR(c.log_file, path_in("log/api.log"));
  cfg_free(&c);
  scratch_end();
}

static void syntax_errors_name_the_file_and_line(void) {
  struct cfg c;
  scratch_begin();
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
  scratch_end();
}

static void integers_and_modes_are_strict(void) {
  struct cfg c;
  scratch_begin();
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
  scratch_end();
}

static void socket_mode_is_octal_and_secrets_file_may_be_empty(void) {
  struct cfg c;
  scratch_begin();
  CHECK_INT(load_text(&c, "socket_mode = 660\nsecrets_file=\n", false), 0);
  CHECK_INT(c.socket_mode, 0660);
  CHECK_STR(c.secrets_file, "");
  cfg_free(&c);
  scratch_end();
}

static void unknown_log_level_is_refused(void) {
  struct cfg c;
  scratch_begin();
  CHECK_INT(load_text(&c, "log_level = verbose\n", false), RC_INVALID);
  CHECK_HAS(err, "log_level");
  scratch_end();
}

static void short_jwt_secret_is_refused(void) {
  struct cfg c;
  scratch_begin();
  CHECK_INT(load_text(&c, "jwt_secret = tooshort\n", false), RC_INVALID);
  CHECK_HAS(err, "at least 32 bytes");
  scratch_end();
}

static void nul_byte_in_the_file_is_refused(void) {
  struct cfg c;
  scratch_begin();
  write_file("nul.conf", "", 0644);
  FILE *nf = fopen(path_in("nul.conf"), "w");
  fwrite("workers = 4\0x\n", 1, 14, nf);
  fclose(nf);
  CHECK_INT(cfg_load(&c, path_in("nul.conf"), false, err, sizeof err),
            RC_INVALID);
  scratch_end();
}

static void missing_file_given_explicitly_is_an_error(void) {
  struct cfg c;
  scratch_begin();
  CHECK_INT(cfg_load(&c, path_in("missing.conf"), false, err, sizeof err),
            RC_INVALID);
  CHECK_HAS(err, "missing.conf");
  /* err may be NULL. */
  CHECK_INT(cfg_load(&c, path_in("missing.conf"), false, NULL, 0), RC_INVALID);
  scratch_end();
}

static void secrets_are_generated_once_with_mode_0600(void) {
  struct cfg c;
  scratch_begin();
  /* Next to the config file. */
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
  scratch_end();
}

static void secrets_readable_by_group_or_others_are_refused(void) {
  struct cfg c;
  scratch_begin();
  first_run();
  char sp[PATH_MAX];
  snprintf(sp, sizeof sp, "%s", path_in("secrets.conf"));
  chmod(sp, 0640);
  CHECK_INT(load_text(&c, "workers = 2\n", true), RC_INVALID);
  CHECK_HAS(err, "group or others");
  chmod(sp, 0604);
  CHECK_INT(load_text(&c, "workers = 2\n", false), RC_INVALID);
  scratch_end();
}

static void secrets_file_errors_name_the_secrets_file(void) {
  struct cfg c;
  scratch_begin();
  write_file("secrets.conf", "jwt_secret = " SECRET43 "\nbogus = 1\n", 0600);
  CHECK_INT(load_text(&c, "workers = 2\n", false), RC_INVALID);
  CHECK_HAS(err, "secrets.conf:2: unknown key 'bogus'");
  write_file("secrets.conf", "jwt_secret = short\n", 0600);
  CHECK_INT(load_text(&c, "workers = 2\n", false), RC_INVALID);
  scratch_end();
}

static void secrets_file_overrides_the_config_file(void) {
  struct cfg c;
  scratch_begin();
  write_file("secrets.conf",
             "# secrets\njwt_secret = \"" SECRET43 "\"\ndb_password = s3cret\n"
             "smtp_password = \"mail pw\"\n",
             0600);
  CHECK_INT(load_text(&c, "db_password = from-config\n", false), 0);
  CHECK_STR(c.db_password, "s3cret");
  CHECK_STR(c.smtp_password, "mail pw");
  cfg_free(&c);
  scratch_end();
}

static void secrets_generation_fails_cleanly_without_its_directory(void) {
  struct cfg c;
  scratch_begin();
  CHECK_INT(load_text(&c, "secrets_file = nodir/secrets.conf\n", true),
            RC_INVALID);
  CHECK_HAS(err, "cannot create");
  scratch_end();
}

static void absent_secrets_file_without_generate_leaves_the_secret_empty(void) {
  struct cfg c;
  scratch_begin();
  CHECK_INT(load_text(&c, "secrets_file = nodir/secrets.conf\n", false), 0);
  CHECK_STR(c.jwt_secret, "");
  cfg_free(&c);
  scratch_end();
}

static void generate_without_a_secrets_file_needs_a_jwt_secret(void) {
  struct cfg c;
  scratch_begin();
  CHECK_INT(load_text(&c, "secrets_file =\n", true), RC_INVALID);
  CHECK_HAS(err, "jwt_secret");
  scratch_end();
}

static void environment_overrides_the_file_and_the_secrets_file(void) {
  struct cfg c;
  scratch_begin();
  write_file("secrets.conf",
             "jwt_secret = " SECRET43 "\ndb_password = s3cret\n", 0600);
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
  scratch_end();
}

static void bad_environment_values_are_refused(void) {
  struct cfg c;
  scratch_begin();
  setenv("ENCORE_DB_PORT", "abc", 1);
  CHECK_INT(load_text(&c, "workers = 2\n", false), RC_INVALID);
  CHECK_HAS(err, "ENCORE_DB_PORT");
  unsetenv("ENCORE_DB_PORT");
  setenv("ENCORE_JWT_SECRET", "short", 1);
  CHECK_INT(load_text(&c, "workers = 2\n", false), RC_INVALID);
  scratch_end();
}

static void environment_picks_the_secrets_file(void) {
  struct cfg c;
  scratch_begin();
  write_file("secrets.conf", "jwt_secret = " SECRET43 "\n", 0600);
  write_file("other-secrets.conf",
             "jwt_secret = ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvu\n", 0600);
  setenv("ENCORE_SECRETS_FILE", path_in("other-secrets.conf"), 1);
  CHECK_INT(load_text(&c, "workers = 2\n", false), 0);
  CHECK_STR(c.jwt_secret, "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvu");
  cfg_free(&c);
  scratch_end();
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  T_CASE(defaults_apply_without_a_file);
  T_CASE(file_syntax_is_read_and_the_last_value_wins);
  T_CASE(relative_kv_socket_and_log_file_are_resolved);
  T_CASE(syntax_errors_name_the_file_and_line);
  T_CASE(integers_and_modes_are_strict);
  T_CASE(socket_mode_is_octal_and_secrets_file_may_be_empty);
  T_CASE(unknown_log_level_is_refused);
  T_CASE(short_jwt_secret_is_refused);
  T_CASE(nul_byte_in_the_file_is_refused);
  T_CASE(missing_file_given_explicitly_is_an_error);
  T_CASE(secrets_are_generated_once_with_mode_0600);
  T_CASE(secrets_readable_by_group_or_others_are_refused);
  T_CASE(secrets_file_errors_name_the_secrets_file);
  T_CASE(secrets_file_overrides_the_config_file);
  T_CASE(secrets_generation_fails_cleanly_without_its_directory);
  T_CASE(absent_secrets_file_without_generate_leaves_the_secret_empty);
  T_CASE(generate_without_a_secrets_file_needs_a_jwt_secret);
  T_CASE(environment_overrides_the_file_and_the_secrets_file);
  T_CASE(bad_environment_values_are_refused);
  T_CASE(environment_picks_the_secrets_file);
  T_DONE();
}
