/* fake: the in-process test harness; see fake.h. */
#include "fake.h"

#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/req_impl.h"
#include "api/router.h"
#include "core/arena.h"
#include "core/cfg.h"
#include "core/db.h"
#include "core/inval.h"
#include "core/kv.h"
#include "core/log.h"
#include "core/rnd.h"
#include "core/tok.h"

struct app app;
struct arena *fake_arena;
static const char *stack_dir;

int fake_open(const char *prog, const char *kv_servers, const char **dir) {
  char path[4096], err[256];
  stack_dir = getenv("ENCORE_STACK_DIR");
  if (!stack_dir) {
    fprintf(stderr, "ENCORE_STACK_DIR unset: skipped\n");
    return 77;
  }
  snprintf(path, sizeof path, "%s/encore.conf", stack_dir);
  if (rnd_init() || cfg_load(&app.cfg, path, false, err, sizeof err)) {
    fprintf(stderr, "config: %s\n", err);
    return 1;
  }
  log_init(prog, LOG_ERROR, "-");
  if (tok_init(app.cfg.jwt_secret, app.cfg.jwt_issuer, app.cfg.jwt_audience,
               app.cfg.access_ttl) ||
      db_open(&app.db, &app.cfg) ||
      kv_open(&app.kv, kv_servers ? kv_servers : app.cfg.kv_servers) ||
      !(fake_arena = arena_new(0))) {
    fprintf(stderr, "cannot reach the stack's MariaDB or memcached\n");
    return 1;
  }
  inval_attach(app.kv, app.db); /* as a worker does */
  if (dir) *dir = stack_dir;
  return 0;
}

int fake_close(void) {
  arena_free(fake_arena);
  db_close(app.db);
  kv_close(app.kv);
  cfg_free(&app.cfg);
  return t_status("fake");
}

struct fake_reply fake_call(const char *method, const char *path,
                            const char *ctype, const char *auth,
                            const char *body) {
  struct arena *a = fake_arena;
  struct fake_reply out = {0};
  char *env[16];
  int n = 0;
  const char *q = strchr(path, '?');
  env[n++] = arena_printf(a, "REQUEST_METHOD=%s", method);
  env[n++] = arena_printf(a, "DOCUMENT_URI=%.*s",
                          (int)(q ? (size_t)(q - path) : strlen(path)), path);
  env[n++] = arena_printf(a, "QUERY_STRING=%s", q ? q + 1 : "");
  env[n++] = "REMOTE_ADDR=127.0.0.9";
  env[n++] = "REQUEST_ID=test";
  if (ctype) env[n++] = arena_printf(a, "CONTENT_TYPE=%s", ctype);
  if (auth) env[n++] = arena_printf(a, "HTTP_AUTHORIZATION=%s", auth);
  env[n] = NULL;

  struct req r;
  req_init(&r, a, env);
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

struct fake_reply fake_json(const char *method, const char *path,
                            const char *auth, const char *body) {
  return fake_call(method, path, body ? "application/json" : NULL, auth, body);
}

char *fake_login(const char *username, const char *password) {
  char *body =
      arena_printf(fake_arena, "{\"username\":\"%s\",\"password\":\"%s\"}",
                   username, password);
  struct fake_reply rp = fake_json("POST", "/api/v1/auth/login", NULL, body);
  const char *at = rp.status == 200 ? fake_field(&rp, "access_token") : NULL;
  return at ? arena_printf(fake_arena, "Bearer %s", at) : NULL;
}

char *fake_admin(void) {
  const char *user = fake_stack_env("ENCORE_ADMIN_USER");
  const char *pw = fake_stack_env("ENCORE_ADMIN_PASSWORD");
  return user && pw ? fake_login(user, pw) : NULL;
}

const char *fake_stack_env(const char *key) {
  char path[4096], line[4096];
  const char *out = NULL;
  size_t n = strlen(key);
  snprintf(path, sizeof path, "%s/stack.env", stack_dir);
  FILE *f = fopen(path, "r");
  if (!f) return NULL;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, key, n) == 0 && line[n] == '=')
      out =
          arena_strndup(fake_arena, line + n + 1, strcspn(line + n + 1, "\n"));
  fclose(f);
  return out;
}

const char *fake_field(const struct fake_reply *rp, const char *key) {
  char *pat = arena_printf(fake_arena, "\"%s\":\"", key);
  const char *p = strstr(rp->body, pat);
  if (!p) return NULL;
  p += strlen(pat);
  return arena_strndup(fake_arena, p, strcspn(p, "\""));
}

long long fake_id(const struct fake_reply *rp) {
  const char *p = strstr(rp->body, "\"id\":");
  return p ? atoll(p + 5) : 0;
}
