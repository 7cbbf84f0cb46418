/* cfg: settings from defaults, a `key = value` file, a secrets file of mode
 * 0600 (generated on first run), then ENCORE_<KEY> environment variables.
 *
 * File syntax: one `key = value` per line; blank lines and lines starting
 * with '#' are ignored; whitespace around keys and values is trimmed; a value
 * may be double-quoted ("...", with \" and \\ escapes) to keep spaces or '#';
 * in an unquoted value, a '#' after whitespace starts a comment. An unknown
 * key is an error naming file:line.
 *
 * Relative paths: path settings read from a file (socket, pid_file, log_file,
 * secrets_file, migrations_dir, media_dir, db_socket, fetch_ca_file,
 * apple_music_key_file, fcm_service_account_file, apns_key_file, and
 * kv_servers when it starts with '.') are taken
 * relative to that file's directory, as are the
 * default secrets_file and media_dir when a config file is given. Values
 * from the environment are used as given (relative to the working
 * directory). */
#include "core/cfg.h"

#include "core/log.h"
#include "core/rc.h"
#include "core/rnd.h"
#include "core/str.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef ENCORE_DATADIR
#define CFG_MIGRATIONS_DIR ENCORE_DATADIR "/migrations"
#else
#define CFG_MIGRATIONS_DIR "sql/migrations"
#endif

enum ckind { K_STR, K_INT, K_OCTAL, K_LONG };
enum cpath { P_NO, P_YES, P_DOT }; /* P_DOT: only when it starts with '.' */

struct ckey {
  const char *name;
  enum ckind kind;
  size_t off;
  long long min, max;
  enum cpath path;
};

#define S(f, p)                                                                \
  { #f, K_STR, offsetof(struct cfg, f), 0, 0, p }
#define I(f, lo, hi)                                                           \
  { #f, K_INT, offsetof(struct cfg, f), lo, hi, P_NO }

static const struct ckey cfg_keys[] = {
    S(socket, P_YES),
    {"socket_mode", K_OCTAL, offsetof(struct cfg, socket_mode), 0, 0777, P_NO},
    I(workers, 1, 1024),
    S(pid_file, P_YES),
    S(log_file, P_YES),
    S(log_level, P_NO),
    S(db_socket, P_YES),
    S(db_host, P_NO),
    S(db_hosts, P_NO),
    I(db_port, 1, 65535),
    S(db_name, P_NO),
    S(db_user, P_NO),
    S(db_password, P_NO),
    S(kv_servers, P_DOT),
    S(secrets_file, P_YES),
    S(jwt_secret, P_NO),
    S(jwt_issuer, P_NO),
    S(jwt_audience, P_NO),
    I(access_ttl, 1, INT_MAX),
    I(refresh_ttl, 1, INT_MAX),
    I(reset_ttl, 1, INT_MAX),
    {"body_max", K_LONG, offsetof(struct cfg, body_max), 1, LONG_MAX, P_NO},
    S(public_url, P_NO),
    S(smtp_url, P_NO),
    S(smtp_user, P_NO),
    S(smtp_password, P_NO),
    S(mail_from, P_NO),
    S(mail_spool, P_YES),
    I(confirm_ttl, 60, INT_MAX),
    I(login_free, 1, 1000000),
    I(login_free_address, 1, 1000000),
    I(login_free_account, 1, 1000000),
    I(register_free, 1, 1000000),
    I(metrics, 0, 1),
    I(report_threshold, 1, 1000),
    S(migrations_dir, P_YES),
    S(media_dir, P_YES),
    S(media_url, P_NO),
    S(seal_key, P_NO),
    S(fetch_ca_file, P_YES),
    S(fetch_allow, P_NO),
    I(fetch_timeout, 1, 600),
    S(lastfm_api_url, P_NO),
    S(lastfm_auth_url, P_NO),
    S(lastfm_api_key, P_NO),
    S(lastfm_api_secret, P_NO),
    S(listenbrainz_api_url, P_NO),
    S(spotify_accounts_url, P_NO),
    S(spotify_api_url, P_NO),
    S(spotify_client_id, P_NO),
    S(apple_music_api_url, P_NO),
    S(apple_music_team_id, P_NO),
    S(apple_music_key_id, P_NO),
    S(apple_music_key_file, P_YES),
    I(apple_music_token_ttl, 3600, 15552000),
    S(vapid_private_key, P_NO),
    S(vapid_subject, P_NO),
    S(fcm_service_account_file, P_YES),
    S(fcm_api_url, P_NO),
    S(apns_key_file, P_YES),
    S(apns_key_id, P_NO),
    S(apns_team_id, P_NO),
    S(apns_topic, P_NO),
    S(apns_url, P_NO),
    S(apns_sandbox_url, P_NO),
};

#undef S
#undef I

#define NKEYS (sizeof cfg_keys / sizeof cfg_keys[0])

static void set_err(char *err, unsigned errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, unsigned errlen, const char *fmt, ...) {
  if (!err || errlen == 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

static char **str_field(struct cfg *c, const struct ckey *k) {
  return (char **)(void *)((char *)c + k->off);
}

static const struct ckey *find_key(const char *name) {
  for (size_t i = 0; i < NKEYS; i++)
    if (strcmp(cfg_keys[i].name, name) == 0) return &cfg_keys[i];
  return NULL;
}

/* Replace a string field with a copy of v (or dir/v for a relative path). */
static int set_str(struct cfg *c, const struct ckey *k, const char *v,
                   const char *dir) {
  char *copy;
  bool resolve = dir && v[0] && v[0] != '/' &&
                 ((k->path == P_YES && strcmp(v, "-") != 0) ||
                  (k->path == P_DOT && v[0] == '.'));
  if (resolve) {
    if (asprintf(&copy, "%s/%s", dir, v) < 0) copy = NULL;
  } else
    copy = strdup(v);
  if (!copy) return RC_NOMEM;
  char **f = str_field(c, k);
  free(*f);
  *f = copy;
  return 0;
}

static int parse_octal(const char *s, long long max, long long *out) {
  if (!s[0]) return RC_INVALID;
  long long v = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '7') return RC_INVALID;
    v = v * 8 + (*p - '0');
    if (v > max) return RC_INVALID;
  }
  *out = v;
  return 0;
}

/* Set key k from the text v; `where` names the origin for messages. */
static int set_value(struct cfg *c, const struct ckey *k, const char *v,
                     const char *dir, const char *where, char *err,
                     unsigned errlen) {
  long long x;
  switch (k->kind) {
  case K_STR:
    if (set_str(c, k, v, dir) != 0) {
      set_err(err, errlen, "%s: out of memory", where);
      return RC_INVALID;
    }
    return 0;
  case K_OCTAL:
    if (parse_octal(v, k->max, &x) != 0) {
      set_err(err, errlen, "%s: %s must be an octal mode like 0660, not '%s'",
              where, k->name, v);
      return RC_INVALID;
    }
    *(int *)(void *)((char *)c + k->off) = (int)x;
    return 0;
  case K_INT:
  case K_LONG:
    if (str_parse_i64(v, k->min, k->max, &x) != 0) {
      set_err(err, errlen,
              "%s: %s must be an integer in [%lld, %lld], not '%s'", where,
              k->name, k->min, k->max, v);
      return RC_INVALID;
    }
    if (k->kind == K_INT)
      *(int *)(void *)((char *)c + k->off) = (int)x;
    else
      *(long *)(void *)((char *)c + k->off) = (long)x;
    return 0;
  }
  return RC_INVALID;
}

static bool is_blank(char ch) {
  return ch == ' ' || ch == '\t';
}

/* Split one line into key and value in place. Returns 0 (*key NULL for a
 * blank or comment line) or RC_INVALID with a reason. */
static int parse_line(char *s, char **key, char **val, const char **why) {
  *key = *val = NULL;
  while (is_blank(*s))
    s++;
  if (!*s || *s == '#') return 0;
  char *k = s;
  while ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')
    s++;
  char *kend = s;
  while (is_blank(*s))
    s++;
  if (kend == k || *s != '=') {
    *why = "expected key = value";
    return RC_INVALID;
  }
  *kend = '\0';
  s++;
  while (is_blank(*s))
    s++;
  char *v = s;
  if (*s == '"') {
    char *w = v;
    s++;
    for (;;) {
      if (!*s) {
        *why = "unterminated quoted value";
        return RC_INVALID;
      }
      if (*s == '"') break;
      if (*s == '\\' && (s[1] == '"' || s[1] == '\\')) s++;
      *w++ = *s++;
    }
    s++;
    *w = '\0';
    while (is_blank(*s))
      s++;
    if (*s && *s != '#') {
      *why = "text after the closing quote";
      return RC_INVALID;
    }
  } else {
    char *end = s;
    for (char *p = s; *p; p++) {
      if (*p == '#' && p > s && is_blank(p[-1])) break;
      if (!is_blank(*p)) end = p + 1;
    }
    *end = '\0';
  }
  *key = k;
  *val = v;
  return 0;
}

/* Read settings from an open stream. `dir` resolves relative paths. */
static int parse_stream(struct cfg *c, FILE *f, const char *path,
                        const char *dir, bool secrets, char *err,
                        unsigned errlen) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  int lineno = 0, rc = 0;
  while ((n = getline(&line, &cap, f)) >= 0) {
    lineno++;
    if (memchr(line, '\0', (size_t)n)) {
      set_err(err, errlen, "%s:%d: NUL byte", path, lineno);
      rc = RC_INVALID;
      break;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
      line[--n] = '\0';
    char *key, *val;
    const char *why = NULL;
    if (parse_line(line, &key, &val, &why) != 0) {
      set_err(err, errlen, "%s:%d: %s", path, lineno, why);
      rc = RC_INVALID;
      break;
    }
    if (!key) continue;
    const struct ckey *k = find_key(key);
    if (!k || (secrets && strcmp(key, "secrets_file") == 0)) {
      set_err(err, errlen, "%s:%d: unknown key '%s'", path, lineno, key);
      rc = RC_INVALID;
      break;
    }
    char where[PATH_MAX + 32];
    snprintf(where, sizeof where, "%s:%d", path, lineno);
    if ((rc = set_value(c, k, val, dir, where, err, errlen)) != 0) break;
  }
  if (rc == 0 && ferror(f)) {
    set_err(err, errlen, "%s: read error", path);
    rc = RC_INVALID;
  }
  free(line);
  return rc;
}

/* The absolute directory of a file path, malloc'd. */
static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  char *d;
  if (!slash)
    d = strdup(".");
  else if (slash == path)
    d = strdup("/");
  else
    d = strndup(path, (size_t)(slash - path));
  if (!d) return NULL;
  char *abs = realpath(d, NULL);
  if (abs) {
    free(d);
    return abs;
  }
  return d;
}

/* Create the secrets file with a fresh jwt_secret and seal_key; EEXIST
 * when another process made it first. */
static int generate_secrets(const char *path) {
  char tok[44], seal[44], vapid[44];
  char buf[288];
  if (rnd_init() != 0) return EIO;
  int fd =
      open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return errno;
  rnd_token(tok);
  rnd_token(seal);
  rnd_token(vapid); /* a P-256 scalar but with odds of 2^-32 */
  int n = snprintf(buf, sizeof buf,
                   "# Encore secrets, generated on first run. Keep mode 0600.\n"
                   "jwt_secret = %s\nseal_key = %s\nvapid_private_key = %s\n",
                   tok, seal, vapid);
  int e = 0;
  if (fchmod(fd, 0600) != 0 || write(fd, buf, (size_t)n) != n || fsync(fd) != 0)
    e = errno ? errno : EIO;
  if (close(fd) != 0 && !e) e = errno;
  explicit_bzero(buf, sizeof buf);
  explicit_bzero(tok, sizeof tok);
  explicit_bzero(seal, sizeof seal);
  explicit_bzero(vapid, sizeof vapid);
  if (e) unlink(path);
  return e;
}

/* add_secret: append a fresh secret `name` (seal_key, vapid_private_key)
 * to a secrets file made before there was one (under an exclusive lock,
 * once: a process that finds the line there after taking the lock adds
 * nothing). */
static int add_secret(const char *path, const char *name) {
  char tok[44], line[80];
  int fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return errno;
  int e = 0;
  if (flock(fd, LOCK_EX) != 0) {
    e = errno;
    close(fd);
    return e;
  }
  FILE *f = fdopen(dup(fd), "r");
  bool have = false;
  char *l = NULL;
  size_t cap = 0;
  while (f && getline(&l, &cap, f) >= 0) {
    const char *p = l;
    while (is_blank(*p))
      p++;
    size_t nl = strlen(name);
    if (!strncmp(p, name, nl) && (is_blank(p[nl]) || p[nl] == '=')) have = true;
  }
  free(l);
  if (f) fclose(f);
  if (!have) {
    rnd_token(tok);
    int n = snprintf(line, sizeof line, "%s = %s\n", name, tok);
    if (write(fd, line, (size_t)n) != n || fsync(fd) != 0)
      e = errno ? errno : EIO;
    explicit_bzero(line, sizeof line);
    explicit_bzero(tok, sizeof tok);
  }
  close(fd);
  return e;
}

static int load_secrets(struct cfg *c, bool generate, char *err,
                        unsigned errlen) {
  const char *path = c->secrets_file;
  if (!path || !path[0]) return 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && generate) {
    int e = generate_secrets(path);
    if (e && e != EEXIST) {
      set_err(err, errlen, "%s: cannot create the secrets file: %s", path,
              strerror(e));
      return RC_INVALID;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
  }
  if (fd < 0) {
    if (errno == ENOENT)
      return 0; /* secrets may come from the config file or environment */
    set_err(err, errlen, "%s: %s", path, strerror(errno));
    return RC_INVALID;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    set_err(err, errlen, "%s: not a regular file", path);
    close(fd);
    return RC_INVALID;
  }
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    set_err(
        err, errlen,
        "%s: the secrets file is accessible to group or others (mode %04o); "
        "chmod 600 it",
        path, (unsigned)(st.st_mode & 07777));
    close(fd);
    return RC_INVALID;
  }
  FILE *f = fdopen(fd, "r");
  if (!f) {
    close(fd);
    set_err(err, errlen, "%s: %s", path, strerror(errno));
    return RC_INVALID;
  }
  char *dir = dir_of(path);
  int rc = dir ? parse_stream(c, f, path, dir, true, err, errlen) : RC_NOMEM;
  free(dir);
  fclose(f);
  /* A secrets file from before seal_key or vapid_private_key gets one,
   * once. */
  bool seal = !c->seal_key[0] && !getenv("ENCORE_SEAL_KEY");
  bool vapid = !c->vapid_private_key[0] && !getenv("ENCORE_VAPID_PRIVATE_KEY");
  if (!rc && generate && (seal || vapid)) {
    const char *name = seal ? "seal_key" : "vapid_private_key";
    int e = add_secret(path, name);
    if (!e && seal && vapid) e = add_secret(path, name = "vapid_private_key");
    if (e) {
      set_err(err, errlen, "%s: cannot add a %s: %s", path, name, strerror(e));
      return RC_INVALID;
    }
    return load_secrets(c, false, err, errlen);
  }
  return rc;
}

static int apply_env(struct cfg *c, const struct ckey *k, char *err,
                     unsigned errlen) {
  char name[64];
  int n = snprintf(name, sizeof name, "ENCORE_%s", k->name);
  for (int i = 7; i < n; i++)
    if (name[i] >= 'a' && name[i] <= 'z') name[i] = (char)(name[i] - 'a' + 'A');
  const char *v = getenv(name);
  if (!v) return 0;
  return set_value(c, k, v, NULL, name, err, errlen);
}

static int set_defaults(struct cfg *c) {
  static const struct {
    const char *key, *val;
  } defs[] = {
      {"socket", "run/encore-api.sock"},
      {"pid_file", ""},
      {"log_file", "-"},
      {"log_level", "info"},
      {"db_socket", ""},
      {"db_host", "127.0.0.1"},
      {"db_hosts", ""},
      {"db_name", "encore"},
      {"db_user", "encore"},
      {"db_password", ""},
      {"kv_servers", "127.0.0.1:11211"},
      {"secrets_file", "secrets.conf"},
      {"jwt_secret", ""},
      {"jwt_issuer", "encore"},
      {"jwt_audience", "encore-api"},
      {"public_url", "https://localhost:8443"},
      {"smtp_url", ""},
      {"smtp_user", ""},
      {"smtp_password", ""},
      {"mail_from", "Encore <no-reply@localhost>"},
      {"mail_spool", ""},
      {"migrations_dir", CFG_MIGRATIONS_DIR},
      {"media_dir", "media"},
      {"media_url", "/media"},
      {"seal_key", ""},
      {"fetch_ca_file", ""},
      {"fetch_allow", ""},
      {"lastfm_api_url", "https://ws.audioscrobbler.com/2.0/"},
      {"lastfm_auth_url", "https://www.last.fm/api/auth/"},
      {"lastfm_api_key", ""},
      {"lastfm_api_secret", ""},
      {"listenbrainz_api_url", "https://api.listenbrainz.org"},
      {"spotify_accounts_url", "https://accounts.spotify.com"},
      {"spotify_api_url", "https://api.spotify.com"},
      {"spotify_client_id", ""},
      {"apple_music_api_url", "https://api.music.apple.com"},
      {"apple_music_team_id", ""},
      {"apple_music_key_id", ""},
      {"apple_music_key_file", ""},
      {"vapid_private_key", ""},
      {"vapid_subject", ""},
      {"fcm_service_account_file", ""},
      {"fcm_api_url", "https://fcm.googleapis.com"},
      {"apns_key_file", ""},
      {"apns_key_id", ""},
      {"apns_team_id", ""},
      {"apns_topic", ""},
      {"apns_url", "https://api.push.apple.com"},
      {"apns_sandbox_url", "https://api.sandbox.push.apple.com"},
  };
  memset(c, 0, sizeof *c);
  c->socket_mode = 0660;
  c->workers = 4;
  c->db_port = 3306;
  c->access_ttl = 900;
  c->refresh_ttl = 2592000;
  c->reset_ttl = 1800;
  c->body_max = 1048576;
  c->confirm_ttl = 86400;
  c->login_free = 5;
  c->login_free_address = 30;
  c->login_free_account = 100;
  c->register_free = 10;
  c->metrics = 1;
  c->report_threshold = 3;
  c->fetch_timeout = 20;
  c->apple_music_token_ttl = 12960000;
  for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++)
    if (set_str(c, find_key(defs[i].key), defs[i].val, NULL) != 0)
      return RC_NOMEM;
  return 0;
}

int cfg_load(struct cfg *c, const char *path, bool generate, char *err,
             unsigned errlen) {
  char *dir = NULL;
  int rc = RC_INVALID;
  if (err && errlen) err[0] = '\0';
  if (set_defaults(c) != 0) {
    set_err(err, errlen, "out of memory");
    goto fail;
  }
  if (path) {
    FILE *f = fopen(path, "re");
    if (!f) {
      set_err(err, errlen, "%s: %s", path, strerror(errno));
      goto fail;
    }
    dir = dir_of(path);
    if (!dir ||
        set_str(c, find_key("secrets_file"), c->secrets_file, dir) != 0 ||
        set_str(c, find_key("media_dir"), c->media_dir, dir) != 0) {
      fclose(f);
      set_err(err, errlen, "out of memory");
      goto fail;
    }
    rc = parse_stream(c, f, path, dir, false, err, errlen);
    fclose(f);
    if (rc != 0) goto fail;
  }
  /* The environment may name another secrets file: take it first. */
  if ((rc = apply_env(c, find_key("secrets_file"), err, errlen)) != 0)
    goto fail;
  if ((rc = load_secrets(c, generate, err, errlen)) != 0) goto fail;
  for (size_t i = 0; i < NKEYS; i++)
    if ((rc = apply_env(c, &cfg_keys[i], err, errlen)) != 0) goto fail;

  rc = RC_INVALID;
  if (log_level_parse(c->log_level) < 0) {
    set_err(err, errlen,
            "log_level must be debug, info, warn or error, not '%s'",
            c->log_level);
    goto fail;
  }
  size_t sk = strlen(c->jwt_secret);
  if ((sk > 0 || generate) && sk < 32) {
    set_err(err, errlen,
            sk ? "jwt_secret must be at least 32 bytes"
               : "jwt_secret is not set (secrets_file or ENCORE_JWT_SECRET)");
    goto fail;
  }
  free(dir);
  return 0;

fail:
  free(dir);
  cfg_free(c);
  return rc ? rc : RC_INVALID;
}

void cfg_free(struct cfg *c) {
  if (!c) return;
  for (size_t i = 0; i < NKEYS; i++) {
    if (cfg_keys[i].kind != K_STR) continue;
    char **f = str_field(c, &cfg_keys[i]);
    if (*f && (cfg_keys[i].off == offsetof(struct cfg, jwt_secret) ||
               cfg_keys[i].off == offsetof(struct cfg, db_password) ||
               cfg_keys[i].off == offsetof(struct cfg, smtp_password) ||
               cfg_keys[i].off == offsetof(struct cfg, seal_key) ||
               cfg_keys[i].off == offsetof(struct cfg, vapid_private_key) ||
               cfg_keys[i].off == offsetof(struct cfg, lastfm_api_secret)))
      explicit_bzero(*f, strlen(*f));
    free(*f);
    *f = NULL;
  }
}
