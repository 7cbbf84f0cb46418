/* test_handlers: the router and handlers in-process, through fake requests
 * (no socket, no nginx), against the test stack's MariaDB and memcached.
 * Skips (77) without ENCORE_STACK_DIR. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/app.h"
#include "core/arena.h"
#include "core/tok.h"
#include "fake.h"

static bool problem(const struct fake_reply *rp) {
  return strcmp(rp->ctype, "application/problem+json") == 0 &&
         strstr(rp->body, "\"type\":\"urn:encore:problem:") != NULL;
}

static void test_router(void) {
  struct fake_reply rp = fake_call("GET", "/api/v1/nowhere", NULL, NULL, NULL);
  CHECK(rp.status == 404 && problem(&rp), "%d %s", rp.status, rp.body);

  rp = fake_call("DELETE", "/api/v1/auth/login", NULL, NULL, NULL);
  CHECK(rp.status == 405, "%d", rp.status);
  CHECK(strstr(rp.headers, "Allow: POST") != NULL, "%s", rp.headers);

  rp = fake_call("GET", "/healthz", NULL, NULL, NULL);
  CHECK(rp.status == 200, "%d", rp.status);
  rp = fake_call("HEAD", "/healthz", NULL, NULL, NULL);
  CHECK(rp.status == 200, "%d", rp.status);

  rp = fake_call("POST", "/api/v1/auth/login", "text/plain", NULL, "{}");
  CHECK(rp.status == 415 && problem(&rp), "%d", rp.status);
  rp = fake_call("POST", "/api/v1/auth/login", NULL, NULL, "{}");
  CHECK(rp.status == 415, "%d", rp.status);
  rp = fake_call("POST", "/api/v1/auth/login", "application/json", NULL,
                 "{\"a\":");
  CHECK(rp.status == 400 && problem(&rp), "%d", rp.status);
  rp = fake_call("POST", "/api/v1/auth/login",
                 "application/json; charset=utf-8", NULL,
                 "{\"username\":\"x\",\"password\":\"y\",\"role\":\"admin\"}");
  CHECK(rp.status == 422 && strstr(rp.body, "\"field\":\"role\""), "%d %s",
        rp.status, rp.body);
  rp = fake_call("POST", "/api/v1/auth/login", "application/json", NULL, "[1]");
  CHECK(rp.status == 422, "%d", rp.status);

  char *big = malloc((size_t)app.cfg.body_max + 2);
  memset(big, 'a', (size_t)app.cfg.body_max + 1);
  big[app.cfg.body_max + 1] = '\0';
  rp = fake_call("POST", "/api/v1/auth/login", "application/json", NULL, big);
  CHECK(rp.status == 413 && problem(&rp), "%d", rp.status);
  free(big);

  rp = fake_call("GET", "/api/v1/me?a=%zz", NULL, NULL, NULL);
  CHECK(rp.status == 400, "%d", rp.status);
}

static void test_tokens(void) {
  struct fake_reply rp = fake_call("GET", "/api/v1/me", NULL, NULL, NULL);
  CHECK(rp.status == 401 && strstr(rp.headers, "WWW-Authenticate: Bearer"),
        "%d %s", rp.status, rp.headers);
  rp = fake_call("GET", "/api/v1/me", NULL, "Basic abc", NULL);
  CHECK(rp.status == 401, "%d", rp.status);
  rp = fake_call("GET", "/api/v1/me", NULL, "Bearer not.a.token", NULL);
  CHECK(rp.status == 401 && strstr(rp.headers, "invalid_token"), "%d %s",
        rp.status, rp.headers);

  /* A token for a session that never existed is refused. */
  char *jwt;
  struct tok_claims c;
  tok_issue(fake_arena, (long long)time(NULL), 999999999, 999999999, "user",
            &jwt, &c);
  char *auth = arena_printf(fake_arena, "Bearer %s", jwt);
  rp = fake_call("GET", "/api/v1/me", NULL, auth, NULL);
  CHECK(rp.status == 401, "%d", rp.status);
}

static void test_account_flow(void) {
  char name[40], body[512];
  snprintf(name, sizeof name, "inproc_%ld_%d", (long)time(NULL), (int)getpid());
  snprintf(body, sizeof body,
           "{\"username\":\"%s\",\"email\":\"%s@example.org\","
           "\"password\":\"correct horse battery\"}",
           name, name);
  struct fake_reply rp = fake_call("POST", "/api/v1/auth/register",
                                   "application/json", NULL, body);
  CHECK(rp.status == 201, "%d %s", rp.status, rp.body);
  CHECK(strstr(rp.headers, "Location: /api/v1/users/") != NULL, "%s",
        rp.headers);
  rp = fake_call("POST", "/api/v1/auth/register", "application/json", NULL,
                 body);
  CHECK(rp.status == 409 && problem(&rp), "%d", rp.status);

  snprintf(body, sizeof body,
           "{\"username\":\"%s\",\"password\":\"correct horse battery\"}",
           name);
  rp = fake_call("POST", "/api/v1/auth/login", "application/json", NULL, body);
  CHECK(rp.status == 200, "%d %s", rp.status, rp.body);
  const char *at = fake_field(&rp, "access_token");
  CHECK(at != NULL, "%s", rp.body);
  if (!at) return;
  char *auth = arena_printf(fake_arena, "Bearer %s", at);
  char *refresh = arena_strdup(fake_arena, fake_field(&rp, "refresh_token"));

  rp = fake_call("GET", "/api/v1/me", NULL, auth, NULL);
  CHECK(rp.status == 200 && fake_field(&rp, "email"), "%d %s", rp.status,
        rp.body);
  rp = fake_call("PATCH", "/api/v1/me", "application/json", auth,
                 "{\"is_admin\":true}");
  CHECK(rp.status == 422 && strstr(rp.body, "is_admin"), "%d", rp.status);
  rp = fake_call("PATCH", "/api/v1/me", "application/json", auth,
                 "{\"bio\":\"hello\"}");
  CHECK(rp.status == 200 && strstr(rp.body, "\"bio\":\"hello\""), "%d %s",
        rp.status, rp.body);
  /* The cached profile follows the write. */
  rp = fake_call("GET", "/api/v1/me", NULL, auth, NULL);
  CHECK(strstr(rp.body, "\"bio\":\"hello\"") != NULL, "%s", rp.body);

  snprintf(body, sizeof body, "{\"refresh_token\":\"%s\"}", refresh);
  rp =
      fake_call("POST", "/api/v1/auth/refresh", "application/json", NULL, body);
  CHECK(rp.status == 200, "%d %s", rp.status, rp.body);
  rp =
      fake_call("POST", "/api/v1/auth/refresh", "application/json", NULL, body);
  CHECK(rp.status == 401, "reuse: %d", rp.status);
  /* The reuse revoked the session: the access token is dead too. */
  rp = fake_call("GET", "/api/v1/me", NULL, auth, NULL);
  CHECK(rp.status == 401, "%d", rp.status);

  rp = fake_call("GET", arena_printf(fake_arena, "/api/v1/users/%s", name),
                 NULL, NULL, NULL);
  CHECK(rp.status == 200 && !fake_field(&rp, "email"), "%d %s", rp.status,
        rp.body);
  rp = fake_call("PUT",
                 arena_printf(fake_arena, "/api/v1/admin/users/%s/role", name),
                 "application/json", NULL, "{\"role\":\"admin\"}");
  CHECK(rp.status == 401, "%d", rp.status);
}

int main(void) {
  int rc = fake_open("test_handlers", NULL, NULL);
  if (rc) return rc;
  test_router();
  arena_reset(fake_arena);
  test_tokens();
  arena_reset(fake_arena);
  test_account_flow();
  return fake_close();
}
