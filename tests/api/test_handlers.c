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
#include "core/db.h"
#include "core/inval.h"
#include "core/kv.h"
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
  CHECK(rp.status == 202, "%d %s", rp.status, rp.body);
  CHECK(strstr(rp.headers, "Location:") == NULL, "%s", rp.headers);
  rp = fake_call("POST", "/api/v1/auth/register", "application/json", NULL,
                 body);
  CHECK(rp.status == 409 && problem(&rp), "%d", rp.status);

  /* Pending until confirmed: the login fails as a wrong password would. */
  char login[256];
  snprintf(login, sizeof login,
           "{\"username\":\"%s\",\"password\":\"correct horse battery\"}",
           name);
  rp = fake_call("POST", "/api/v1/auth/login", "application/json", NULL, login);
  CHECK(rp.status == 401, "%d %s", rp.status, rp.body);
  /* The mailed token is read by the black-box tests; here the account is
   * confirmed as POST /auth/confirm does. */
  struct db_val n = DB_S(name);
  CHECK(db_exec(app.db, NULL,
                "UPDATE users SET confirm_by = NULL WHERE username = ?", &n, 1,
                0, NULL) == 0,
        "confirm");
  rp = fake_call("POST", "/api/v1/auth/login", "application/json", NULL, login);
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

/* new_account: a confirmed account named after `tag`; its password is
 * "correct horse battery". Returns the name (in fake_arena). */
static const char *new_account(const char *tag) {
  const char *name = arena_printf(fake_arena, "%s_%ld_%d", tag,
                                  (long)time(NULL), (int)getpid());
  char body[256];
  snprintf(body, sizeof body,
           "{\"username\":\"%s\",\"email\":\"%s@example.org\","
           "\"password\":\"correct horse battery\"}",
           name, name);
  struct fake_reply rp = fake_json("POST", "/api/v1/auth/register", NULL, body);
  CHECK(rp.status == 202, "%d %s", rp.status, rp.body);
  struct db_val n = DB_S(name);
  CHECK(db_exec(app.db, NULL,
                "UPDATE users SET confirm_by = NULL WHERE username = ?", &n, 1,
                0, NULL) == 0,
        "confirm");
  return name;
}

/* sid_of: the session id in a "Bearer <jwt>" header. */
static long long sid_of(const char *auth) {
  struct tok_claims c;
  const char *why;
  if (tok_verify(auth + 7, (long long)time(NULL), &c, &why)) return 0;
  return c.sid;
}

/* Revocation does not live in the cache: a logged-out token stays refused
 * when memcached loses the session's mark (eviction, a restart), and a
 * logout done while memcached was away is not undone by the live mark it
 * kept. */
static void test_revocation_survives_the_cache(void) {
  const char *name = new_account("revoke");
  char *auth = fake_login(name, "correct horse battery");
  CHECK(auth != NULL, "login");
  if (!auth) return;
  char mark[48];
  snprintf(mark, sizeof mark, "sess:%lld", sid_of(auth));

  struct fake_reply rp = fake_call("GET", "/api/v1/me", NULL, auth, NULL);
  CHECK(rp.status == 200, "%d", rp.status);
  rp = fake_call("POST", "/api/v1/auth/logout", NULL, auth, NULL);
  CHECK(rp.status == 204, "%d", rp.status);
  rp = fake_call("GET", "/api/v1/me", NULL, auth, NULL);
  CHECK(rp.status == 401, "after logout: %d", rp.status);
  /* the mark evicted, as by a restart of memcached */
  CHECK(kv_del(app.kv, mark) == 0, "kv_del");
  rp = fake_call("GET", "/api/v1/me", NULL, auth, NULL);
  CHECK(rp.status == 401, "after the mark was lost: %d", rp.status);

  /* a logout while memcached cannot be reached */
  auth = fake_login(name, "correct horse battery");
  CHECK(auth != NULL, "login");
  if (!auth) return;
  snprintf(mark, sizeof mark, "sess:%lld", sid_of(auth));
  rp = fake_call("GET", "/api/v1/me", NULL, auth, NULL);
  CHECK(rp.status == 200, "%d", rp.status); /* the live mark is cached */
  struct kv *up = app.kv, *down = NULL;
  CHECK(kv_open(&down, "/nonexistent/memcached.sock") == 0, "kv_open");
  inval_attach(down, app.db);
  app.kv = down;
  rp = fake_call("POST", "/api/v1/auth/logout", NULL, auth, NULL);
  CHECK(rp.status == 204, "logout with the cache away: %d", rp.status);
  rp = fake_call("GET", "/api/v1/me", NULL, auth, NULL);
  CHECK(rp.status == 401, "cache away: %d", rp.status);
  app.kv = up;
  kv_close(down);
  /* memcached is back with its old data; a worker replays what it missed
   * before its next request */
  CHECK(inval_replay_now(app.kv, app.db) >= 1, "nothing to replay");
  rp = fake_call("GET", "/api/v1/me", NULL, auth, NULL);
  CHECK(rp.status == 401, "cache back: %d", rp.status);
  char *v = NULL;
  CHECK(kv_get(app.kv, fake_arena, mark, &v, NULL) == 0 && v &&
            strcmp(v, "0") == 0,
        "the mark is %s", v ? v : "(none)");
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  int rc = fake_open("test_handlers", NULL, NULL);
  if (rc) return rc;
  T_CASE(test_router);
  arena_reset(fake_arena);
  T_CASE(test_tokens);
  arena_reset(fake_arena);
  T_CASE(test_account_flow);
  arena_reset(fake_arena);
  T_CASE(test_revocation_survives_the_cache);
  return fake_close();
}
