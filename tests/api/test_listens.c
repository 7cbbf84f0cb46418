/* test_listens: listens, history and likes in-process while memcached is
 * unreachable (the cache is configured at a socket nobody listens on):
 * ingestion, history, likes (whose namespace bumps then fail) and deletes
 * all still work from MariaDB. Skips (77) without ENCORE_STACK_DIR. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/app.h"
#include "api/req_impl.h"
#include "api/router.h"
#include "core/arena.h"
#include "core/cfg.h"
#include "core/db.h"
#include "core/kv.h"
#include "core/log.h"
#include "core/rnd.h"
#include "core/tok.h"

struct app app;

static int failures, checks;

#define CHECK(cond, ...)                                                    \
  do {                                                                      \
    checks++;                                                               \
    if (!(cond)) {                                                          \
      failures++;                                                           \
      fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__,      \
              #cond);                                                       \
      fprintf(stderr, __VA_ARGS__);                                         \
      fputc('\n', stderr);                                                  \
    }                                                                       \
  } while (0)

struct reply {
  int status;
  char body[16384];
};

static struct arena *arena;

static struct reply call(const char *method, const char *path,
                         const char *auth, const char *body) {
  struct reply out = {0};
  char *env[16];
  int n = 0;
  const char *q = strchr(path, '?');
  env[n++] = arena_printf(arena, "REQUEST_METHOD=%s", method);
  env[n++] = arena_printf(arena, "DOCUMENT_URI=%.*s",
                          (int)(q ? (size_t)(q - path) : strlen(path)), path);
  env[n++] = arena_printf(arena, "QUERY_STRING=%s", q ? q + 1 : "");
  env[n++] = "REMOTE_ADDR=127.0.0.9";
  env[n++] = "REQUEST_ID=test";
  if (body) env[n++] = "CONTENT_TYPE=application/json";
  if (auth) env[n++] = arena_printf(arena, "HTTP_AUTHORIZATION=%s", auth);
  env[n] = NULL;
  struct req r;
  req_init(&r, arena, env);
  req_parse_query(&r);
  if (body) {
    r.body = body;
    r.body_len = strlen(body);
  }
  out.status = router_dispatch(&r);
  snprintf(out.body, sizeof out.body, "%.*s", (int)r.resp_len,
           r.resp ? r.resp : "");
  req_run_after(&r);
  return out;
}

/* env_value: KEY=value from the stack's stack.env. */
static char *env_value(const char *dir, const char *key) {
  char path[4096], line[4096];
  static char val[1024];
  snprintf(path, sizeof path, "%s/stack.env", dir);
  FILE *f = fopen(path, "r");
  if (!f) return NULL;
  size_t n = strlen(key);
  char *out = NULL;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, key, n) == 0 && line[n] == '=') {
      snprintf(val, sizeof val, "%s", line + n + 1);
      val[strcspn(val, "\n")] = '\0';
      out = val;
    }
  fclose(f);
  return out;
}

/* id_of: the first "id": number of a reply. */
static long long id_of(const struct reply *rp) {
  const char *p = strstr(rp->body, "\"id\":");
  return p ? atoll(p + 5) : 0;
}

static void test_without_cache(const char *dir) {
  char body[1024], tag[64];
  snprintf(tag, sizeof tag, "lnocache_%ld_%d", (long)time(NULL), (int)getpid());
  const char *user = env_value(dir, "ENCORE_ADMIN_USER");
  char *u = user ? arena_strdup(arena, user) : NULL;
  const char *pw = env_value(dir, "ENCORE_ADMIN_PASSWORD");
  CHECK(u && pw, "no admin in stack.env");
  if (!u || !pw) return;
  snprintf(body, sizeof body, "{\"username\":\"%s\",\"password\":\"%s\"}", u,
           pw);
  struct reply rp = call("POST", "/api/v1/auth/login", NULL, body);
  CHECK(rp.status == 200, "login with the cache down: %d %s", rp.status,
        rp.body);
  const char *at = strstr(rp.body, "\"access_token\":\"");
  if (!at) return;
  at += 16;
  char *auth = arena_printf(arena, "Bearer %.*s", (int)strcspn(at, "\""), at);

  snprintf(body, sizeof body, "{\"name\":\"Artist %s\"}", tag);
  rp = call("POST", "/api/v1/artists", auth, body);
  CHECK(rp.status == 201, "%d %s", rp.status, rp.body);
  long long artist = id_of(&rp);
  snprintf(body, sizeof body,
           "{\"title\":\"Song %s\",\"artists\":[{\"id\":%lld}],"
           "\"duration_ms\":1000}",
           tag, artist);
  rp = call("POST", "/api/v1/tracks", auth, body);
  CHECK(rp.status == 201, "%d %s", rp.status, rp.body);
  long long track = id_of(&rp);

  /* A batch: by id, by text (other case), a repeat, an unknown track. A
   * year far back keeps these apart from the admin's other listens. */
  snprintf(body, sizeof body,
           "{\"listens\":["
           "{\"track_id\":%lld,\"listened_at\":\"2001-01-01T00:00:00Z\"},"
           "{\"artist\":\"ARTIST %s\",\"title\":\"song %s\","
           "\"listened_at\":\"2001-01-01T00:00:01.5Z\",\"ms_played\":5},"
           "{\"track_id\":%lld,\"listened_at\":\"2001-01-01T00:00:00Z\"},"
           "{\"track_id\":9007199254740992,"
           "\"listened_at\":\"2001-01-01T00:00:02Z\"}]}",
           track, tag, tag, track);
  rp = call("POST", "/api/v1/me/listens", auth, body);
  CHECK(rp.status == 200 && strstr(rp.body, "\"stored\":2,\"duplicates\":1,"
                                            "\"rejected\":1"),
        "%d %s", rp.status, rp.body);
  rp = call("GET",
            "/api/v1/me/history?to=2001-01-02T00:00:00Z&from=2001-01-01T00:00:00Z",
            auth, NULL);
  CHECK(rp.status == 200 && strstr(rp.body, "2001-01-01T00:00:01.500Z") &&
            strstr(rp.body, tag),
        "%d %s", rp.status, rp.body);

  const char *lp = arena_printf(arena, "/api/v1/me/likes/tracks/%lld", track);
  CHECK(call("PUT", lp, auth, NULL).status == 204, "like without cache");
  CHECK(call("PUT", lp, auth, NULL).status == 204, "like again");
  rp = call("GET", "/api/v1/me/likes?type=track&limit=1", auth, NULL);
  CHECK(rp.status == 200 && strstr(rp.body, tag), "%d %s", rp.status,
        rp.body);
  rp = call("GET", arena_printf(arena, "/api/v1/tracks/%lld", track), NULL,
            NULL);
  CHECK(rp.status == 200 && strstr(rp.body, "\"like_count\":1"), "%d %s",
        rp.status, rp.body);
  CHECK(call("DELETE", lp, auth, NULL).status == 204, "unlike without cache");
  rp = call("GET", arena_printf(arena, "/api/v1/tracks/%lld", track), NULL,
            NULL);
  CHECK(rp.status == 200 && strstr(rp.body, "\"like_count\":0"), "%d %s",
        rp.status, rp.body);

  rp = call("DELETE",
            "/api/v1/me/history?from=2001-01-01T00:00:00Z&to=2001-01-02T00:00:00Z",
            auth, NULL);
  CHECK(rp.status == 200 && strstr(rp.body, "{\"deleted\":2}"), "%d %s",
        rp.status, rp.body);
  CHECK(call("DELETE", arena_printf(arena, "/api/v1/tracks/%lld", track), auth,
             NULL).status == 204,
        "track delete");
  CHECK(call("DELETE", arena_printf(arena, "/api/v1/artists/%lld", artist),
             auth, NULL).status == 204,
        "artist delete");
}

int main(void) {
  const char *dir = getenv("ENCORE_STACK_DIR");
  char path[4096], err[256];
  if (!dir) {
    fprintf(stderr, "ENCORE_STACK_DIR unset: skipped\n");
    return 77;
  }
  snprintf(path, sizeof path, "%s/encore.conf", dir);
  if (rnd_init() || cfg_load(&app.cfg, path, false, err, sizeof err)) {
    fprintf(stderr, "config: %s\n", err);
    return 1;
  }
  log_init("test_listens", LOG_ERROR, "-");
  tok_init(app.cfg.jwt_secret, app.cfg.jwt_issuer, app.cfg.jwt_audience,
           app.cfg.access_ttl);
  /* memcached "down": a socket path where nothing listens. */
  char dead[4200];
  snprintf(dead, sizeof dead, "%s/no-memcached.sock", dir);
  if (db_open(&app.db, &app.cfg) || kv_open(&app.kv, dead)) {
    fprintf(stderr, "cannot open the stack's MariaDB\n");
    return 1;
  }
  arena = arena_new(0);
  test_without_cache(dir);
  arena_free(arena);
  db_close(app.db);
  kv_close(app.kv);
  cfg_free(&app.cfg);
  printf("%d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
