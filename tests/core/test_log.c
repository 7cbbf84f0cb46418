/* test_log: every line is one valid JSON object with ts/level/msg/prog,
 * hostile bytes are escaped (control characters, quotes, invalid UTF-8 ->
 * U+FFFD), levels filter, log_request's fields, reopening, and lines written
 * by concurrent processes never interleave. */
#include "core/log.h"
#include "core/rc.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t.h"

static char dir[] = "/tmp/encore-test-log-XXXXXX";

/* The whole file, malloc'd and NUL-terminated. */
static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  size_t got = fread(s, 1, (size_t)n, f);
  s[got] = '\0';
  fclose(f);
  return s;
}

/* Parse one line strictly; NULL when it is not one JSON object. */
static json_object *parse_line(const char *line, size_t n) {
  struct json_tokener *t = json_tokener_new();
  json_tokener_set_flags(t, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
  json_object *o = json_tokener_parse_ex(t, line, (int)n);
  int ok = o && json_tokener_get_parse_end(t) == n &&
           json_object_is_type(o, json_type_object);
  json_tokener_free(t);
  if (!ok) {
    json_object_put(o);
    return NULL;
  }
  return o;
}

static const char *field(json_object *o, const char *k) {
  json_object *v;
  if (!json_object_object_get_ex(o, k, &v)) return NULL;
  return json_object_get_string(v);
}

static int ts_ok(const char *ts) {
  /* 2026-01-02T03:04:05.678Z */
  const char *pat = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (!ts || strlen(ts) != strlen(pat)) return 0;
  for (size_t i = 0; pat[i]; i++)
    if (pat[i] == 'd' ? (ts[i] < '0' || ts[i] > '9') : ts[i] != pat[i])
      return 0;
  return 1;
}

/* Split the file into lines; returns how many, with every line parsed. */
static int lines(const char *text, json_object **out, int max) {
  int n = 0;
  const char *p = text;
  while (*p && n < max) {
    const char *nl = strchr(p, '\n');
    if (!nl) return -1; /* a line without its newline */
    out[n] = parse_line(p, (size_t)(nl - p));
    if (!out[n]) return -1 - n;
    n++;
    p = nl + 1;
  }
  return n;
}

static void free_lines(json_object **l, int n) {
  for (int i = 0; i < n; i++)
    json_object_put(l[i]);
}

static void lines_levels_reopen(void) {
  CHECK(mkdtemp(dir) != NULL);
  char path[256], path2[256];
  snprintf(path, sizeof path, "%s/a.log", dir);
  snprintf(path2, sizeof path2, "%s/b.log", dir);

  CHECK_INT(log_level_parse("debug"), LOG_DEBUG);
  CHECK_INT(log_level_parse("info"), LOG_INFO);
  CHECK_INT(log_level_parse("warn"), LOG_WARN);
  CHECK_INT(log_level_parse("error"), LOG_ERROR);
  CHECK_INT(log_level_parse("INFO"), -1);
  CHECK_INT(log_level_parse(""), -1);
  CHECK_INT(log_level_parse(NULL), -1);

  CHECK_INT(log_init("prog\"x", LOG_INFO, path), 0);
  log_msg(LOG_DEBUG, "hidden", NULL);
  log_msg(LOG_INFO, "plain", "k", "v", NULL);
  log_msg(LOG_WARN, "quote\" back\\ nl\n cr\r tab\t", "ctl", "\x01\x1f\x7f",
          "utf8", "caf\xc3\xa9 \xf0\x9f\x8e\xb5", NULL);
  log_msg(LOG_ERROR, "bad utf8", "v",
          "a\xff"
          "b\xc3(\xed\xa0\x80z\xc0\x80",
          NULL);
  log_msg(LOG_INFO, "null value ends", "a", NULL, "never", "read", NULL);
  log_msg(LOG_INFO, "key\"escaped", "k\n", "v", NULL);
  log_request("req-1", "GET", "/api/v1/me", 200, 1234, 0, NULL);
  log_request("req-2", "POST", "/api/v1/auth/login", 401, 99, 42,
              "bad \"password\"");

  char *text = slurp(path);
  CHECK(text != NULL);
  json_object *l[16];
  int n = lines(text, l, 16);
  CHECK_INT(n, 7);
  if (n == 7) {
    CHECK_STR(field(l[0], "msg"), "plain");
    CHECK_STR(field(l[0], "level"), "info");
    CHECK_STR(field(l[0], "prog"), "prog\"x");
    CHECK_STR(field(l[0], "k"), "v");
    CHECK(ts_ok(field(l[0], "ts")));

    CHECK_STR(field(l[1], "level"), "warn");
    CHECK_STR(field(l[1], "msg"), "quote\" back\\ nl\n cr\r tab\t");
    CHECK_STR(field(l[1], "ctl"), "\x01\x1f\x7f");
    CHECK_STR(field(l[1], "utf8"), "caf\xc3\xa9 \xf0\x9f\x8e\xb5");

    /* Each invalid byte becomes U+FFFD (EF BF BD). */
    CHECK_STR(field(l[2], "v"), "a\xef\xbf\xbd"
                                "b\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd"
                                "\xef\xbf\xbdz\xef\xbf\xbd\xef\xbf\xbd");

    json_object *v;
    CHECK(json_object_object_get_ex(l[3], "a", &v) && v == NULL);
    CHECK(!json_object_object_get_ex(l[3], "never", &v));

    CHECK_STR(field(l[4], "msg"), "key\"escaped");
    CHECK_STR(field(l[4], "k\n"), "v");

    CHECK_STR(field(l[5], "msg"), "request");
    CHECK_STR(field(l[5], "level"), "info");
    CHECK_STR(field(l[5], "request_id"), "req-1");
    CHECK_STR(field(l[5], "method"), "GET");
    CHECK_STR(field(l[5], "route"), "/api/v1/me");
    CHECK(json_object_object_get_ex(l[5], "status", &v) &&
          json_object_is_type(v, json_type_int) &&
          json_object_get_int(v) == 200);
    CHECK(json_object_object_get_ex(l[5], "duration_us", &v) &&
          json_object_get_int64(v) == 1234);
    CHECK(json_object_object_get_ex(l[5], "user_id", &v) && v == NULL);
    CHECK(!json_object_object_get_ex(l[5], "error", &v));

    CHECK(json_object_object_get_ex(l[6], "user_id", &v) &&
          json_object_is_type(v, json_type_int) &&
          json_object_get_int64(v) == 42);
    CHECK_STR(field(l[6], "error"), "bad \"password\"");
    CHECK(json_object_object_get_ex(l[6], "status", &v) &&
          json_object_get_int(v) == 401);
  }
  free_lines(l, n > 0 ? n : 0);
  /* No raw control byte (besides the line ends) reached the file. */
  int raw_ctl = 0;
  for (const char *p = text; *p; p++)
    if ((unsigned char)*p < 0x20 && *p != '\n') raw_ctl = 1;
  CHECK(!raw_ctl);
  free(text);

  /* Errors only: info and request lines are filtered. Reopen elsewhere. */
  CHECK_INT(log_init("encore-test", LOG_ERROR, path2), 0);
  log_msg(LOG_WARN, "filtered", NULL);
  log_request("r", "GET", "/", 200, 1, 1, NULL);
  log_msg(LOG_ERROR, "kept", NULL);
  text = slurp(path2);
  n = lines(text, l, 16);
  CHECK_INT(n, 1);
  if (n == 1) {
    CHECK_STR(field(l[0], "msg"), "kept");
    CHECK_STR(field(l[0], "prog"), "encore-test");
  }
  free_lines(l, n > 0 ? n : 0);
  free(text);
  /* The first file got nothing more. */
  text = slurp(path);
  n = lines(text, l, 16);
  CHECK_INT(n, 7);
  free_lines(l, n > 0 ? n : 0);
  free(text);

  /* An unwritable path fails with RC_IO and leaves logging usable. */
  CHECK_INT(log_init("x", LOG_INFO, "/nonexistent-dir/x.log"), RC_IO);

  /* Concurrent writers: four processes, 300 lines of ~5 KB each; every line
   * must come out whole. */
  char path3[256];
  snprintf(path3, sizeof path3, "%s/c.log", dir);
  CHECK_INT(log_init("w", LOG_INFO, path3), 0);
  char big[5000];
  for (int w = 0; w < 4; w++) {
    pid_t pid = fork();
    if (pid == 0) {
      memset(big, 'a' + w, sizeof big - 1);
      big[sizeof big - 1] = '\0';
      for (int i = 0; i < 300; i++)
        log_msg(LOG_INFO, "burst", "payload", big, NULL);
      _exit(0);
    }
  }
  int status, all_ok = 1;
  for (int w = 0; w < 4; w++) {
    wait(&status);
    all_ok &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  CHECK(all_ok);
  text = slurp(path3);
  int count = 0, whole = 1;
  for (const char *p = text; p && *p;) {
    const char *nl = strchr(p, '\n');
    if (!nl) {
      whole = 0;
      break;
    }
    json_object *o = parse_line(p, (size_t)(nl - p));
    const char *pl = o ? field(o, "payload") : NULL;
    if (!pl || strlen(pl) != sizeof big - 1 ||
        strspn(pl, pl[0] == 'a'   ? "a"
                   : pl[0] == 'b' ? "b"
                   : pl[0] == 'c' ? "c"
                                  : "d") != sizeof big - 1)
      whole = 0;
    json_object_put(o);
    count++;
    p = nl + 1;
  }
  CHECK(whole);
  CHECK_INT(count, 1200);
  free(text);

  CHECK_INT(log_init("encore-test", LOG_INFO, NULL), 0); /* back to stderr */
  unlink(path);
  unlink(path2);
  unlink(path3);
  rmdir(dir);
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  T_CASE(lines_levels_reopen);
  T_DONE();
}
