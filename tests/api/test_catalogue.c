/* test_catalogue: catalogue reads and writes in-process while memcached is
 * unreachable (the cache is configured at a socket nobody listens on):
 * every read still answers from MariaDB, and follows every write; and a
 * rename made while the cache was away is not served stale once it is back
 * (the invalidation it missed is replayed). Skips (77) without
 * ENCORE_STACK_DIR. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/app.h"
#include "core/arena.h"
#include "core/inval.h"
#include "core/kv.h"
#include "fake.h"

static void test_without_cache(void) {
  char body[512], tag[64];
  snprintf(tag, sizeof tag, "nocache_%ld_%d", (long)time(NULL), (int)getpid());
  char *auth = fake_admin();
  CHECK(auth, "no admin in stack.env, or its login failed with the cache down");
  if (!auth) return;
  struct fake_reply rp;

  snprintf(body, sizeof body, "{\"name\":\"A %s\"}", tag);
  rp = fake_json("POST", "/api/v1/artists", auth, body);
  CHECK(rp.status == 201, "%d %s", rp.status, rp.body);
  long long artist = fake_id(&rp);
  snprintf(body, sizeof body, "{\"title\":\"B %s\",\"artist_id\":%lld}", tag,
           artist);
  rp = fake_json("POST", "/api/v1/albums", auth, body);
  CHECK(rp.status == 201, "%d %s", rp.status, rp.body);
  long long album = fake_id(&rp);
  snprintf(body, sizeof body,
           "{\"title\":\"T %s\",\"artists\":[{\"id\":%lld}],\"album_id\":%lld,"
           "\"duration_ms\":1000}",
           tag, artist, album);
  rp = fake_json("POST", "/api/v1/tracks", auth, body);
  CHECK(rp.status == 201, "%d %s", rp.status, rp.body);
  long long track = fake_id(&rp);

  const char *tp = arena_printf(fake_arena, "/api/v1/tracks/%lld", track);
  const char *ap = arena_printf(fake_arena, "/api/v1/artists/%lld", artist);
  const char *bp = arena_printf(fake_arena, "/api/v1/albums/%lld", album);
  for (int i = 0; i < 2; i++) {
    rp = fake_json("GET", tp, NULL, NULL);
    CHECK(rp.status == 200 && strstr(rp.body, tag), "%d %s", rp.status,
          rp.body);
    rp = fake_json("GET", bp, NULL, NULL);
    CHECK(rp.status == 200 && strstr(rp.body, "\"track_count\":1"), "%d %s",
          rp.status, rp.body);
  }
  rp = fake_json("PATCH", ap, auth, "{\"name\":\"Renamed without cache\"}");
  CHECK(rp.status == 200, "%d %s", rp.status, rp.body);
  rp = fake_json("GET", tp, NULL, NULL);
  CHECK(rp.status == 200 && strstr(rp.body, "Renamed without cache"), "%d %s",
        rp.status, rp.body);
  rp = fake_json("GET",
                 arena_printf(fake_arena, "/api/v1/albums/%lld/tracks", album),
                 NULL, NULL);
  CHECK(rp.status == 200 && strstr(rp.body, tag), "%d %s", rp.status, rp.body);
  rp = fake_json("DELETE", tp, auth, NULL);
  CHECK(rp.status == 204, "%d %s", rp.status, rp.body);
  rp = fake_json("GET", tp, NULL, NULL);
  CHECK(rp.status == 404, "%d %s", rp.status, rp.body);
  CHECK(fake_json("DELETE", bp, auth, NULL).status == 204, "album delete");
  CHECK(fake_json("DELETE", ap, auth, NULL).status == 204, "artist delete");
}

/* A track cached through the real memcached, renamed while this worker
 * cannot reach it, then read through it again: the bump the rename could
 * not send was recorded, and the replay every worker runs before its next
 * request delivers it. */
static void test_repair_after_cache_outage(struct kv *live) {
  char body[512], tag[64];
  snprintf(tag, sizeof tag, "repair_%ld_%d", (long)time(NULL), (int)getpid());
  char *auth = fake_admin();
  CHECK(auth, "admin login");
  if (!auth) return;
  struct kv *dead = app.kv;
  app.kv = live;
  snprintf(body, sizeof body, "{\"name\":\"A %s\"}", tag);
  struct fake_reply rp = fake_json("POST", "/api/v1/artists", auth, body);
  long long artist = fake_id(&rp);
  snprintf(body, sizeof body,
           "{\"title\":\"Old %s\",\"artists\":[{\"id\":%lld}],"
           "\"duration_ms\":1000}",
           tag, artist);
  rp = fake_json("POST", "/api/v1/tracks", auth, body);
  CHECK(rp.status == 201, "%d %s", rp.status, rp.body);
  const char *tp =
      arena_printf(fake_arena, "/api/v1/tracks/%lld", fake_id(&rp));
  for (int i = 0; i < 2; i++) /* cached by the first read */
    CHECK(strstr(fake_json("GET", tp, NULL, NULL).body, "Old "), "old title");

  app.kv = dead;
  snprintf(body, sizeof body, "{\"title\":\"New %s\"}", tag);
  rp = fake_json("PATCH", tp, auth, body);
  CHECK(rp.status == 200 && strstr(rp.body, "New "), "%d %s", rp.status,
        rp.body);
  app.kv = live;
  CHECK(inval_replay_now(live, app.db) >= 0, "replay");
  rp = fake_json("GET", tp, NULL, NULL);
  CHECK(rp.status == 200 && strstr(rp.body, "New ") && !strstr(rp.body, "Old "),
        "stale after the cache came back: %s", rp.body);
  CHECK(fake_json("DELETE", tp, auth, NULL).status == 204, "track delete");
  CHECK(fake_json("DELETE",
                  arena_printf(fake_arena, "/api/v1/artists/%lld", artist),
                  auth, NULL)
                .status == 204,
        "artist delete");
  app.kv = dead;
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  const char *dir = getenv("ENCORE_STACK_DIR");
  /* memcached "down": a socket path where nothing listens. */
  char dead[4200];
  snprintf(dead, sizeof dead, "%s/no-memcached.sock", dir ? dir : ".");
  int rc = fake_open("test_catalogue", dead, NULL);
  if (rc) return rc;
  T_CASE(test_without_cache);
  struct kv *live = NULL;
  if (kv_open(&live, app.cfg.kv_servers) == 0) {
    inval_attach(live, app.db);
    T_CASE(test_repair_after_cache_outage, live);
    kv_close(live);
  }
  return fake_close();
}
