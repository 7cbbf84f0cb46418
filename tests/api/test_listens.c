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
#include "core/arena.h"
#include "fake.h"

static void test_without_cache(void) {
  char body[1024], tag[64];
  snprintf(tag, sizeof tag, "lnocache_%ld_%d", (long)time(NULL), (int)getpid());
  char *auth = fake_admin();
  CHECK(auth, "no admin in stack.env, or its login failed with the cache down");
  if (!auth) return;
  struct fake_reply rp;

  snprintf(body, sizeof body, "{\"name\":\"Artist %s\"}", tag);
  rp = fake_json("POST", "/api/v1/artists", auth, body);
  CHECK(rp.status == 201, "%d %s", rp.status, rp.body);
  long long artist = fake_id(&rp);
  snprintf(body, sizeof body,
           "{\"title\":\"Song %s\",\"artists\":[{\"id\":%lld}],"
           "\"duration_ms\":1000}",
           tag, artist);
  rp = fake_json("POST", "/api/v1/tracks", auth, body);
  CHECK(rp.status == 201, "%d %s", rp.status, rp.body);
  long long track = fake_id(&rp);

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
  rp = fake_json("POST", "/api/v1/me/listens", auth, body);
  CHECK(rp.status == 200 && strstr(rp.body, "\"stored\":2,\"duplicates\":1,"
                                            "\"rejected\":1"),
        "%d %s", rp.status, rp.body);
  rp = fake_json(
      "GET",
      "/api/v1/me/history?to=2001-01-02T00:00:00Z&from=2001-01-01T00:00:00Z",
      auth, NULL);
  CHECK(rp.status == 200 && strstr(rp.body, "2001-01-01T00:00:01.500Z") &&
            strstr(rp.body, tag),
        "%d %s", rp.status, rp.body);

  const char *lp =
      arena_printf(fake_arena, "/api/v1/me/likes/tracks/%lld", track);
  CHECK(fake_json("PUT", lp, auth, NULL).status == 204, "like without cache");
  CHECK(fake_json("PUT", lp, auth, NULL).status == 204, "like again");
  rp = fake_json("GET", "/api/v1/me/likes?type=track&limit=1", auth, NULL);
  CHECK(rp.status == 200 && strstr(rp.body, tag), "%d %s", rp.status, rp.body);
  rp = fake_json("GET", arena_printf(fake_arena, "/api/v1/tracks/%lld", track),
                 NULL, NULL);
  CHECK(rp.status == 200 && strstr(rp.body, "\"like_count\":1"), "%d %s",
        rp.status, rp.body);
  CHECK(fake_json("DELETE", lp, auth, NULL).status == 204,
        "unlike without cache");
  rp = fake_json("GET", arena_printf(fake_arena, "/api/v1/tracks/%lld", track),
                 NULL, NULL);
  CHECK(rp.status == 200 && strstr(rp.body, "\"like_count\":0"), "%d %s",
        rp.status, rp.body);

  rp = fake_json(
      "DELETE",
      "/api/v1/me/history?from=2001-01-01T00:00:00Z&to=2001-01-02T00:00:00Z",
      auth, NULL);
  CHECK(rp.status == 200 && strstr(rp.body, "{\"deleted\":2}"), "%d %s",
        rp.status, rp.body);
  CHECK(fake_json("DELETE",
                  arena_printf(fake_arena, "/api/v1/tracks/%lld", track), auth,
                  NULL)
                .status == 204,
        "track delete");
  CHECK(fake_json("DELETE",
                  arena_printf(fake_arena, "/api/v1/artists/%lld", artist),
                  auth, NULL)
                .status == 204,
        "artist delete");
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  const char *dir = getenv("ENCORE_STACK_DIR");
  /* memcached "down": a socket path where nothing listens. */
  char dead[4200];
  snprintf(dead, sizeof dead, "%s/no-memcached.sock", dir ? dir : ".");
  int rc = fake_open("test_listens", dead, NULL);
  if (rc) return rc;
  T_CASE(test_without_cache);
  return fake_close();
}
