/* test_recs: recommendations in-process while memcached is unreachable (the
 * cache is configured at a socket nobody listens on): the routes still
 * answer from MariaDB, validate their input and find missing items. With
 * the argument "empty" it runs the model on the database ENCORE_DB_NAME
 * names instead, which tests/integration/test_recs.py makes empty: every
 * answer is a 200-shaped body with no items and the fallback said. Skips
 * (77) without ENCORE_STACK_DIR. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "core/arena.h"
#include "core/rc.h"
#include "fake.h"
#include "model/recs.h"

static void test_without_cache(void) {
  char *auth = fake_admin();
  CHECK(auth, "no admin in stack.env, or its login failed with the cache down");
  if (!auth) return;
  struct fake_reply rp;
  const char *types[] = {"track", "artist"};
  for (int i = 0; i < 2; i++) {
    rp = fake_json("GET",
                   arena_printf(fake_arena,
                                "/api/v1/me/recommendations?type=%s&limit=3&"
                                "diversity=0.5",
                                types[i]),
                   auth, NULL);
    CHECK(rp.status == 200 && strstr(rp.body, "{\"items\":[") &&
              strstr(rp.body, "\"model\":{\"version\":"),
          "%d %s", rp.status, rp.body);
  }
  rp = fake_json("GET", "/api/v1/me/recommendations", NULL, NULL);
  CHECK(rp.status == 401, "%d %s", rp.status, rp.body);
  rp = fake_json("GET",
                 "/api/v1/me/recommendations?limit=101&type=album&"
                 "diversity=-1&exclude_known=maybe",
                 auth, NULL);
  CHECK(rp.status == 422 && strstr(rp.body, "\"field\":\"limit\"") &&
            strstr(rp.body, "\"field\":\"type\"") &&
            strstr(rp.body, "\"field\":\"diversity\"") &&
            strstr(rp.body, "\"field\":\"exclude_known\""),
        "%d %s", rp.status, rp.body);
  rp = fake_json("GET", "/api/v1/tracks/9007199254740992/similar", NULL, NULL);
  CHECK(rp.status == 404, "%d %s", rp.status, rp.body);
  rp = fake_json("GET", "/api/v1/artists/0/similar", NULL, NULL);
  CHECK(rp.status == 404, "%d %s", rp.status, rp.body);
  rp = fake_json("GET", "/api/v1/tracks/1/similar?limit=0", NULL, NULL);
  CHECK(rp.status == 422, "%d %s", rp.status, rp.body);
}

/* On an empty database: no model, no catalogue, no user rows. */
static void test_empty(void) {
  struct recs_query q = {.user_id = 1, .limit = 20, .exclude_known = true};
  const char *text;
  size_t len;
  for (int t = RECS_TRACK; t <= RECS_ARTIST; t++) {
    q.type = (enum recs_type)t;
    q.diversity = t == RECS_ARTIST ? 1.0 : 0;
    int rc = recs_for_user(app.db, app.kv, fake_arena, &q, &text, &len);
    CHECK(rc == 0 && !strcmp(text, "{\"items\":[],\"model\":{\"version\":null,"
                                   "\"data_until\":null,\"fallback\":"
                                   "\"popularity\",\"reason\":\"no_model\","
                                   "\"fresh_listens\":0}}"),
          "%d %s", rc, rc ? "" : text);
  }
  q.genre = "rock";
  CHECK(recs_for_user(app.db, app.kv, fake_arena, &q, &text, &len) == 0 &&
            strstr(text, "{\"items\":[]"),
        "genre filter on an empty database");
  CHECK(recs_similar(app.db, app.kv, fake_arena, RECS_TRACK, 1, 10, &text,
                     &len) == RC_NOT_FOUND,
        "similar of a missing track");
  CHECK(recs_similar(app.db, app.kv, fake_arena, RECS_ARTIST, 1, 10, &text,
                     &len) == RC_NOT_FOUND,
        "similar of a missing artist");
}

int main(int argc, char **argv) {
  const char *dir = getenv("ENCORE_STACK_DIR");
  bool empty = argc > 1 && !strcmp(argv[1], "empty");
  /* memcached "down": a socket path where nothing listens. */
  char dead[4200];
  snprintf(dead, sizeof dead, "%s/no-memcached.sock", dir ? dir : ".");
  int rc = fake_open("test_recs", dead, NULL);
  if (rc) return rc;
  if (empty) { /* a mode of its own, on another database */
    test_empty();
  } else {
    T_INIT(argc, argv);
    T_CASE(test_without_cache);
  }
  return fake_close();
}
