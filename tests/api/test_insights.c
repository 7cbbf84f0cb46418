/* test_insights: insights and trends in-process while memcached is
 * unreachable (the cache configured at a socket nobody listens on): a
 * listen stored and deleted shows in the report at once, the year in
 * review and its card are made, and the trending and chart routes answer
 * from MariaDB. Skips (77) without ENCORE_STACK_DIR. */
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
  snprintf(tag, sizeof tag, "insnocache_%ld_%d", (long)time(NULL),
           (int)getpid());
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
           "\"duration_ms\":60000}",
           tag, artist);
  rp = fake_json("POST", "/api/v1/tracks", auth, body);
  CHECK(rp.status == 201, "%d %s", rp.status, rp.body);
  long long track = fake_id(&rp);

  /* 2002, a year of the admin's own: two listens across Kolkata's
   * midnight, one without ms_played (the track's minute counts) */
  snprintf(body, sizeof body,
           "{\"listens\":["
           "{\"track_id\":%lld,\"listened_at\":\"2002-03-01T18:29:00Z\","
           "\"ms_played\":30000},"
           "{\"track_id\":%lld,\"listened_at\":\"2002-03-01T18:31:00Z\"}]}",
           track, track);
  rp = fake_json("POST", "/api/v1/me/listens", auth, body);
  CHECK(rp.status == 200 && strstr(rp.body, "\"stored\":2"), "%d %s", rp.status,
        rp.body);
  rp = fake_json("GET",
                 "/api/v1/me/insights?from=2002-03-02&to=2002-03-02&tz=Asia/"
                 "Kolkata&limit=1",
                 auth, NULL);
  CHECK(rp.status == 200 && strstr(rp.body, "\"listens\":1,") &&
            strstr(rp.body, "\"ms_played\":60000,") &&
            strstr(rp.body, "\"time_zone\":\"Asia/Kolkata\""),
        "%d %.300s", rp.status, rp.body);
  rp = fake_json("GET", "/api/v1/me/insights/year/2002?tz=UTC", auth, NULL);
  CHECK(rp.status == 200 && strstr(rp.body, "\"listens\":2,") &&
            strstr(rp.body, "\"ms_played\":90000,") && strstr(rp.body, tag),
        "%d %.300s", rp.status, rp.body);
  rp = fake_call("GET", "/api/v1/me/insights/year/2002/card.svg", NULL, auth,
                 NULL);
  CHECK(rp.status == 200 && strstr(rp.ctype, "image/svg+xml") &&
            !strncmp(rp.body, "<?xml", 5) && strstr(rp.body, "</svg>"),
        "%d %s %.200s", rp.status, rp.ctype, rp.body);

  /* deleted: gone from the report at once */
  rp = fake_json("DELETE",
                 "/api/v1/me/history?from=2002-03-01T18:30:00Z&to=2002-03-02T"
                 "00:00:00Z",
                 auth, NULL);
  CHECK(rp.status == 200 && strstr(rp.body, "{\"deleted\":1}"), "%d %s",
        rp.status, rp.body);
  rp = fake_json("GET", "/api/v1/me/insights/year/2002", auth, NULL);
  CHECK(rp.status == 200 && strstr(rp.body, "\"listens\":1,"), "%d %.300s",
        rp.status, rp.body);
  rp = fake_json("DELETE",
                 "/api/v1/me/history?from=2002-01-01T00:00:00Z&to=2003-01-01T"
                 "00:00:00Z",
                 auth, NULL);
  CHECK(rp.status == 200, "%d %s", rp.status, rp.body);

  /* bad input answers 422 before anything is read */
  const char *bad[] = {
      "/api/v1/me/insights?from=2002-02-01&to=2002-01-01",
      "/api/v1/me/insights?tz=Mars/Olympus",
      "/api/v1/me/insights?from=1969-12-31",
      "/api/v1/me/insights?from=2002-02-30",
      "/api/v1/me/insights/year/1969",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    rp = fake_json("GET", bad[i], auth, NULL);
    CHECK(rp.status == 422, "%s: %d %s", bad[i], rp.status, rp.body);
  }

  /* trends from MariaDB */
  rp = fake_json("GET", "/api/v1/trending/tracks?window=week&limit=5", NULL,
                 NULL);
  CHECK(rp.status == 200 && strstr(rp.body, "\"items\":["), "%d %s", rp.status,
        rp.body);
  rp = fake_json("GET", "/api/v1/charts/artists?period=month", NULL, NULL);
  CHECK(rp.status == 200 && strstr(rp.body, "\"period\":\"month\""), "%d %s",
        rp.status, rp.body);
}

int main(void) {
  const char *dir = getenv("ENCORE_STACK_DIR");
  /* memcached "down": a socket path where nothing listens. */
  char dead[4200];
  snprintf(dead, sizeof dead, "%s/no-memcached.sock", dir ? dir : ".");
  int rc = fake_open("test_insights", dead, NULL);
  if (rc) return rc;
  test_without_cache();
  return fake_close();
}
