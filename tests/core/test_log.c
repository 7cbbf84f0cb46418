/* test_log: every line is one valid JSON object with ts/level/msg/prog,
 * hostile bytes are escaped (control characters, quotes, invalid UTF-8 ->
 * U+FFFD), levels filter, log_request's fields, reopening (and a failed
 * reopen that keeps the old file), and lines written by concurrent processes
 * never interleave. Cases that write work in a scratch directory of their
 * own, put the log back on stderr and remove the directory. */
#include "core/log.h"
#include "core/rc.h"

#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t.h"

#define DIR_TEMPLATE "/tmp/encore-test-log-XXXXXX"

static char dir[sizeof DIR_TEMPLATE];

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

/* path_in: the path of `name` inside the scratch directory, into out. */
static void path_in(char *out, size_t cap, const char *name) {
  snprintf(out, cap, "%s/%s", dir, name);
}

static void scratch_begin(void) {
  snprintf(dir, sizeof dir, "%s", DIR_TEMPLATE);
  CHECK(mkdtemp(dir) != NULL);
}

/* scratch_end: the log back on stderr, the files and directory gone. */
static void scratch_end(void) {
  CHECK_INT(log_init("encore-test", LOG_INFO, NULL), 0);
  const char *files[] = {"a.log", "b.log", "c.log"};
  char p[256];
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    path_in(p, sizeof p, files[i]);
    unlink(p);
  }
  CHECK(rmdir(dir) == 0);
}

/* log_to: log_init with the file `name` of the scratch directory. */
static void log_to(const char *prog, enum log_level min, const char *name) {
  char p[256];
  path_in(p, sizeof p, name);
  CHECK_INT(log_init(prog, min, p), 0);
}

/* log_lines: the lines of file `name`, each parsed into l (-1 and less as
 * lines() says when one is not a JSON object); checks too that no raw
 * control byte besides the line ends reached the file. */
static int log_lines(const char *name, json_object **l, int max) {
  char p[256];
  path_in(p, sizeof p, name);
  char *text = slurp(p);
  CHECK(text != NULL);
  if (!text) return -1;
  int raw_ctl = 0;
  for (const char *c = text; *c; c++)
    if ((unsigned char)*c < 0x20 && *c != '\n') raw_ctl = 1;
  CHECK(!raw_ctl);
  int n = lines(text, l, max);
  free(text);
  return n;
}

static void level_names_parse(void) {
  CHECK_INT(log_level_parse("debug"), LOG_DEBUG);
  CHECK_INT(log_level_parse("info"), LOG_INFO);
  CHECK_INT(log_level_parse("warn"), LOG_WARN);
  CHECK_INT(log_level_parse("error"), LOG_ERROR);
  CHECK_INT(log_level_parse("INFO"), -1);
  CHECK_INT(log_level_parse(""), -1);
  CHECK_INT(log_level_parse(NULL), -1);
}

static void line_has_ts_level_msg_prog_and_fields(void) {
  scratch_begin();
  log_to("prog\"x", LOG_INFO, "a.log");
  log_msg(LOG_INFO, "plain", "k", "v", NULL);
  json_object *l[4];
  int n = log_lines("a.log", l, 4);
  CHECK_INT(n, 1);
  if (n == 1) {
    CHECK_STR(field(l[0], "msg"), "plain");
    CHECK_STR(field(l[0], "level"), "info");
    CHECK_STR(field(l[0], "prog"), "prog\"x");
    CHECK_STR(field(l[0], "k"), "v");
    CHECK(ts_ok(field(l[0], "ts")));
  }
  free_lines(l, n > 0 ? n : 0);
  scratch_end();
}

static void debug_is_filtered_at_info(void) {
  scratch_begin();
  log_to("prog", LOG_INFO, "a.log");
  log_msg(LOG_DEBUG, "hidden", NULL);
  log_msg(LOG_INFO, "plain", NULL);
  json_object *l[4];
  int n = log_lines("a.log", l, 4);
  CHECK_INT(n, 1);
  if (n == 1) CHECK_STR(field(l[0], "msg"), "plain");
  free_lines(l, n > 0 ? n : 0);
  scratch_end();
}

static void quotes_line_ends_and_control_characters_are_escaped(void) {
  scratch_begin();
  log_to("prog", LOG_INFO, "a.log");
  log_msg(LOG_WARN, "quote\" back\\ nl\n cr\r tab\t", "ctl", "\x01\x1f\x7f",
          "utf8", "caf\xc3\xa9 \xf0\x9f\x8e\xb5", NULL);
  json_object *l[4];
  int n = log_lines("a.log", l, 4);
  CHECK_INT(n, 1);
  if (n == 1) {
    CHECK_STR(field(l[0], "level"), "warn");
    CHECK_STR(field(l[0], "msg"), "quote\" back\\ nl\n cr\r tab\t");
    CHECK_STR(field(l[0], "ctl"), "\x01\x1f\x7f");
    CHECK_STR(field(l[0], "utf8"), "caf\xc3\xa9 \xf0\x9f\x8e\xb5");
  }
  free_lines(l, n > 0 ? n : 0);
  scratch_end();
}

static void each_invalid_utf8_byte_becomes_u_fffd(void) {
  scratch_begin();
  log_to("prog", LOG_INFO, "a.log");
  log_msg(LOG_ERROR, "bad utf8", "v",
          "a\xff"
          "b\xc3(\xed\xa0\x80z\xc0\x80",
          NULL);
  json_object *l[4];
  int n = log_lines("a.log", l, 4);
  CHECK_INT(n, 1);
  if (n == 1) /* U+FFFD is EF BF BD */
    CHECK_STR(field(l[0], "v"), "a\xef\xbf\xbd"
                                "b\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd"
                                "\xef\xbf\xbdz\xef\xbf\xbd\xef\xbf\xbd");
  free_lines(l, n > 0 ? n : 0);
  scratch_end();
}

static void null_value_ends_the_fields(void) {
  scratch_begin();
  log_to("prog", LOG_INFO, "a.log");
  log_msg(LOG_INFO, "null value ends", "a", NULL, "never", "read", NULL);
  json_object *l[4];
  int n = log_lines("a.log", l, 4);
  CHECK_INT(n, 1);
  if (n == 1) {
    json_object *v;
    CHECK(json_object_object_get_ex(l[0], "a", &v) && v == NULL);
    CHECK(!json_object_object_get_ex(l[0], "never", &v));
  }
  free_lines(l, n > 0 ? n : 0);
  scratch_end();
}

static void keys_are_escaped(void) {
  scratch_begin();
  log_to("prog", LOG_INFO, "a.log");
  log_msg(LOG_INFO, "key\"escaped", "k\n", "v", NULL);
  json_object *l[4];
  int n = log_lines("a.log", l, 4);
  CHECK_INT(n, 1);
  if (n == 1) {
    CHECK_STR(field(l[0], "msg"), "key\"escaped");
    CHECK_STR(field(l[0], "k\n"), "v");
  }
  free_lines(l, n > 0 ? n : 0);
  scratch_end();
}

static void request_line_without_user_or_error(void) {
  scratch_begin();
  log_to("prog", LOG_INFO, "a.log");
  log_request("req-1", "GET", "/api/v1/me", 200, 1234, 0, NULL);
  json_object *l[4];
  int n = log_lines("a.log", l, 4);
  CHECK_INT(n, 1);
  if (n == 1) {
    json_object *v;
    CHECK_STR(field(l[0], "msg"), "request");
    CHECK_STR(field(l[0], "level"), "info");
    CHECK_STR(field(l[0], "request_id"), "req-1");
    CHECK_STR(field(l[0], "method"), "GET");
    CHECK_STR(field(l[0], "route"), "/api/v1/me");
    CHECK(json_object_object_get_ex(l[0], "status", &v) &&
          json_object_is_type(v, json_type_int) &&
          json_object_get_int(v) == 200);
    CHECK(json_object_object_get_ex(l[0], "duration_us", &v) &&
          json_object_get_int64(v) == 1234);
    CHECK(json_object_object_get_ex(l[0], "user_id", &v) && v == NULL);
    CHECK(!json_object_object_get_ex(l[0], "error", &v));
  }
  free_lines(l, n > 0 ? n : 0);
  scratch_end();
}

static void request_line_with_user_and_error(void) {
  scratch_begin();
  log_to("prog", LOG_INFO, "a.log");
  log_request("req-2", "POST", "/api/v1/auth/login", 401, 99, 42,
              "bad \"password\"");
  json_object *l[4];
  int n = log_lines("a.log", l, 4);
  CHECK_INT(n, 1);
  if (n == 1) {
    json_object *v;
    CHECK(json_object_object_get_ex(l[0], "user_id", &v) &&
          json_object_is_type(v, json_type_int) &&
          json_object_get_int64(v) == 42);
    CHECK_STR(field(l[0], "error"), "bad \"password\"");
    CHECK(json_object_object_get_ex(l[0], "status", &v) &&
          json_object_get_int(v) == 401);
  }
  free_lines(l, n > 0 ? n : 0);
  scratch_end();
}

static void summary_fields_are_numbers_and_strings(void) {
  scratch_begin();
  log_to("prog", LOG_INFO, "c.log");
  const struct log_field f[] = {
      {.key = "sent", .num = 1234567890123.0},
      {.key = "seconds", .num = 2.25, .decimals = 1},
      {.key = "crypto_seconds", .num = 0.01261, .decimals = 3},
      {.key = "fcm", .s = "off (\"no key\")"},
      {.key = "broken", .num = NAN},
      {.key = "we\"ird", .num = -3}};
  log_fields(LOG_INFO, "run done", f, (int)(sizeof f / sizeof f[0]));
  log_fields(LOG_DEBUG, "filtered", f, 1);
  json_object *l[4];
  int n = log_lines("c.log", l, 4);
  CHECK_INT(n, 1);
  if (n == 1) {
    json_object *v;
    CHECK_STR(field(l[0], "msg"), "run done");
    CHECK(json_object_object_get_ex(l[0], "sent", &v) &&
          json_object_is_type(v, json_type_int) &&
          json_object_get_int64(v) == 1234567890123LL);
    CHECK(json_object_object_get_ex(l[0], "seconds", &v) &&
          json_object_is_type(v, json_type_double) &&
          json_object_get_double(v) == 2.2); /* %.1f rounds to even */
    CHECK(json_object_object_get_ex(l[0], "crypto_seconds", &v) &&
          json_object_get_double(v) == 0.013);
    CHECK_STR(field(l[0], "fcm"), "off (\"no key\")");
    CHECK(json_object_object_get_ex(l[0], "broken", &v) && v == NULL);
    CHECK(json_object_object_get_ex(l[0], "we\"ird", &v) &&
          json_object_get_int(v) == -3);
  }
  free_lines(l, n > 0 ? n : 0);
  scratch_end();
}

static void error_level_filters_warnings_and_requests(void) {
  scratch_begin();
  log_to("encore-test", LOG_ERROR, "b.log");
  log_msg(LOG_WARN, "filtered", NULL);
  log_request("r", "GET", "/", 200, 1, 1, NULL);
  log_msg(LOG_ERROR, "kept", NULL);
  json_object *l[4];
  int n = log_lines("b.log", l, 4);
  CHECK_INT(n, 1);
  if (n == 1) {
    CHECK_STR(field(l[0], "msg"), "kept");
    CHECK_STR(field(l[0], "prog"), "encore-test");
  }
  free_lines(l, n > 0 ? n : 0);
  scratch_end();
}

static void reopening_elsewhere_leaves_the_first_file_alone(void) {
  scratch_begin();
  log_to("prog", LOG_INFO, "a.log");
  log_msg(LOG_INFO, "first", NULL);
  log_to("prog", LOG_INFO, "b.log");
  log_msg(LOG_INFO, "second", NULL);
  json_object *l[4];
  int n = log_lines("a.log", l, 4);
  CHECK_INT(n, 1);
  if (n == 1) CHECK_STR(field(l[0], "msg"), "first");
  free_lines(l, n > 0 ? n : 0);
  n = log_lines("b.log", l, 4);
  CHECK_INT(n, 1);
  if (n == 1) CHECK_STR(field(l[0], "msg"), "second");
  free_lines(l, n > 0 ? n : 0);
  scratch_end();
}

static void unwritable_path_fails_and_logging_stays_usable(void) {
  scratch_begin();
  log_to("prog", LOG_INFO, "a.log");
  CHECK_INT(log_init("x", LOG_INFO, "/nonexistent-dir/x.log"), RC_IO);
  log_msg(LOG_INFO, "still here", NULL);
  json_object *l[4];
  int n = log_lines("a.log", l, 4);
  CHECK_INT(n, 1);
  if (n == 1) CHECK_STR(field(l[0], "msg"), "still here");
  free_lines(l, n > 0 ? n : 0);
  scratch_end();
}

static void concurrent_writers_never_interleave(void) {
  scratch_begin();
  /* Four processes, 300 lines of ~5 KB each; every line must come out
   * whole. */
  log_to("w", LOG_INFO, "c.log");
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
  char path3[256];
  path_in(path3, sizeof path3, "c.log");
  char *text = slurp(path3);
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
  scratch_end();
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  T_CASE(level_names_parse);
  T_CASE(line_has_ts_level_msg_prog_and_fields);
  T_CASE(debug_is_filtered_at_info);
  T_CASE(quotes_line_ends_and_control_characters_are_escaped);
  T_CASE(each_invalid_utf8_byte_becomes_u_fffd);
  T_CASE(null_value_ends_the_fields);
  T_CASE(keys_are_escaped);
  T_CASE(request_line_without_user_or_error);
  T_CASE(request_line_with_user_and_error);
  T_CASE(summary_fields_are_numbers_and_strings);
  T_CASE(error_level_filters_warnings_and_requests);
  T_CASE(reopening_elsewhere_leaves_the_first_file_alone);
  T_CASE(unwritable_path_fails_and_logging_stays_usable);
  T_CASE(concurrent_writers_never_interleave);
  T_DONE();
}
