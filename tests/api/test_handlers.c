/* test_handlers: the router and handlers in-process, through fake requests
 * (no socket, no nginx), against the test stack's MariaDB and memcached.
 * Skips (77) without ENCORE_STACK_DIR. */
#include <stdarg.h>
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

/* A finished fake request: status, headers and body text. */
struct reply {
  int status;
  char headers[2048];
  char body[8192];
  char ctype[64];
};

static struct arena *arena;

/* call: build env from method, path, optional content type, authorization
 * and body, dispatch, and capture the reply. */
static struct reply call(const char *method, const char *path,
                         const char *ctype, const char *auth,
                         const char *body) {
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
  if (ctype) env[n++] = arena_printf(arena, "CONTENT_TYPE=%s", ctype);
  if (auth) env[n++] = arena_printf(arena, "HTTP_AUTHORIZATION=%s", auth);
  env[n] = NULL;

  struct req r;
  req_init(&r, arena, env);
  if (body) {
    r.body = body;
    r.body_len = strlen(body);
    r.body_too_large = (long)r.body_len > app.cfg.body_max;
  }
  out.status = router_dispatch(&r);
  snprintf(out.headers, sizeof out.headers, "%s",
           r.headers.s ? r.headers.s : "");
  snprintf(out.ctype, sizeof out.ctype, "%s", r.ctype ? r.ctype : "");
  snprintf(out.body, sizeof out.body, "%.*s", (int)r.resp_len,
           r.resp ? r.resp : "");
  req_run_after(&r);
  return out;
}

/* field: the string value of "key" in a flat JSON reply (tests only). */
static const char *field(const struct reply *rp, const char *key) {
  static char val[2048];
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\":\"", key);
  const char *p = strstr(rp->body, pat);
  if (!p) return NULL;
  p += strlen(pat);
  size_t n = strcspn(p, "\"");
  snprintf(val, sizeof val, "%.*s", (int)n, p);
  return val;
}

static bool problem(const struct reply *rp) {
  return strcmp(rp->ctype, "application/problem+json") == 0 &&
         strstr(rp->body, "\"type\":\"urn:encore:problem:") != NULL;
}

static void test_router(void) {
  struct reply rp = call("GET", "/api/v1/nowhere", NULL, NULL, NULL);
  CHECK(rp.status == 404 && problem(&rp), "%d %s", rp.status, rp.body);

  rp = call("DELETE", "/api/v1/auth/login", NULL, NULL, NULL);
  CHECK(rp.status == 405, "%d", rp.status);
  CHECK(strstr(rp.headers, "Allow: POST") != NULL, "%s", rp.headers);

  rp = call("GET", "/healthz", NULL, NULL, NULL);
  CHECK(rp.status == 200, "%d", rp.status);
  rp = call("HEAD", "/healthz", NULL, NULL, NULL);
  CHECK(rp.status == 200, "%d", rp.status);

  rp = call("POST", "/api/v1/auth/login", "text/plain", NULL, "{}");
  CHECK(rp.status == 415 && problem(&rp), "%d", rp.status);
  rp = call("POST", "/api/v1/auth/login", NULL, NULL, "{}");
  CHECK(rp.status == 415, "%d", rp.status);
  rp = call("POST", "/api/v1/auth/login", "application/json", NULL, "{\"a\":");
  CHECK(rp.status == 400 && problem(&rp), "%d", rp.status);
  rp = call("POST", "/api/v1/auth/login", "application/json; charset=utf-8",
            NULL, "{\"username\":\"x\",\"password\":\"y\",\"role\":\"admin\"}");
  CHECK(rp.status == 422 && strstr(rp.body, "\"field\":\"role\""), "%d %s",
        rp.status, rp.body);
  rp = call("POST", "/api/v1/auth/login", "application/json", NULL, "[1]");
  CHECK(rp.status == 422, "%d", rp.status);

  char *big = malloc((size_t)app.cfg.body_max + 2);
  memset(big, 'a', (size_t)app.cfg.body_max + 1);
  big[app.cfg.body_max + 1] = '\0';
  rp = call("POST", "/api/v1/auth/login", "application/json", NULL, big);
  CHECK(rp.status == 413 && problem(&rp), "%d", rp.status);
  free(big);

  rp = call("GET", "/api/v1/me?a=%zz", NULL, NULL, NULL);
  CHECK(rp.status == 400, "%d", rp.status);
}

static void test_tokens(void) {
  struct reply rp = call("GET", "/api/v1/me", NULL, NULL, NULL);
  CHECK(rp.status == 401 && strstr(rp.headers, "WWW-Authenticate: Bearer"),
        "%d %s", rp.status, rp.headers);
  rp = call("GET", "/api/v1/me", NULL, "Basic abc", NULL);
  CHECK(rp.status == 401, "%d", rp.status);
  rp = call("GET", "/api/v1/me", NULL, "Bearer not.a.token", NULL);
  CHECK(rp.status == 401 && strstr(rp.headers, "invalid_token"), "%d %s",
        rp.status, rp.headers);

  /* A token for a session that never existed is refused. */
  char *jwt;
  struct tok_claims c;
  tok_issue(arena, (long long)time(NULL), 999999999, 999999999, "user", &jwt,
            &c);
  char *auth = arena_printf(arena, "Bearer %s", jwt);
  rp = call("GET", "/api/v1/me", NULL, auth, NULL);
  CHECK(rp.status == 401, "%d", rp.status);
}

static void test_account_flow(void) {
  char name[40], body[512];
  snprintf(name, sizeof name, "inproc_%ld_%d", (long)time(NULL),
           (int)getpid());
  snprintf(body, sizeof body,
           "{\"username\":\"%s\",\"email\":\"%s@example.org\","
           "\"password\":\"correct horse battery\"}",
           name, name);
  struct reply rp =
      call("POST", "/api/v1/auth/register", "application/json", NULL, body);
  CHECK(rp.status == 201, "%d %s", rp.status, rp.body);
  CHECK(strstr(rp.headers, "Location: /api/v1/users/") != NULL, "%s",
        rp.headers);
  rp = call("POST", "/api/v1/auth/register", "application/json", NULL, body);
  CHECK(rp.status == 409 && problem(&rp), "%d", rp.status);

  snprintf(body, sizeof body,
           "{\"username\":\"%s\",\"password\":\"correct horse battery\"}",
           name);
  rp = call("POST", "/api/v1/auth/login", "application/json", NULL, body);
  CHECK(rp.status == 200, "%d %s", rp.status, rp.body);
  const char *at = field(&rp, "access_token");
  CHECK(at != NULL, "%s", rp.body);
  if (!at) return;
  char *auth = arena_printf(arena, "Bearer %s", at);
  char *refresh = arena_strdup(arena, field(&rp, "refresh_token"));

  rp = call("GET", "/api/v1/me", NULL, auth, NULL);
  CHECK(rp.status == 200 && field(&rp, "email"), "%d %s", rp.status, rp.body);
  rp = call("PATCH", "/api/v1/me", "application/json", auth,
            "{\"is_admin\":true}");
  CHECK(rp.status == 422 && strstr(rp.body, "is_admin"), "%d", rp.status);
  rp = call("PATCH", "/api/v1/me", "application/json", auth,
            "{\"bio\":\"hello\"}");
  CHECK(rp.status == 200 && strstr(rp.body, "\"bio\":\"hello\""), "%d %s",
        rp.status, rp.body);
  /* The cached profile follows the write. */
  rp = call("GET", "/api/v1/me", NULL, auth, NULL);
  CHECK(strstr(rp.body, "\"bio\":\"hello\"") != NULL, "%s", rp.body);

  snprintf(body, sizeof body, "{\"refresh_token\":\"%s\"}", refresh);
  rp = call("POST", "/api/v1/auth/refresh", "application/json", NULL, body);
  CHECK(rp.status == 200, "%d %s", rp.status, rp.body);
  rp = call("POST", "/api/v1/auth/refresh", "application/json", NULL, body);
  CHECK(rp.status == 401, "reuse: %d", rp.status);
  /* The reuse revoked the session: the access token is dead too. */
  rp = call("GET", "/api/v1/me", NULL, auth, NULL);
  CHECK(rp.status == 401, "%d", rp.status);

  rp = call("GET", arena_printf(arena, "/api/v1/users/%s", name), NULL, NULL,
            NULL);
  CHECK(rp.status == 200 && !field(&rp, "email"), "%d %s", rp.status,
        rp.body);
  rp = call("PUT", arena_printf(arena, "/api/v1/admin/users/%s/role", name),
            "application/json", NULL, "{\"role\":\"admin\"}");
  CHECK(rp.status == 401, "%d", rp.status);
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
  log_init("test_handlers", LOG_ERROR, "-");
  tok_init(app.cfg.jwt_secret, app.cfg.jwt_issuer, app.cfg.jwt_audience,
           app.cfg.access_ttl);
  if (db_open(&app.db, &app.cfg) || kv_open(&app.kv, app.cfg.kv_servers)) {
    fprintf(stderr, "cannot reach the stack's MariaDB or memcached\n");
    return 1;
  }
  arena = arena_new(0);
  test_router();
  arena_reset(arena);
  test_tokens();
  arena_reset(arena);
  test_account_flow();
  arena_free(arena);
  db_close(app.db);
  kv_close(app.kv);
  cfg_free(&app.cfg);
  printf("%d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
