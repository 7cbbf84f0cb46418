/* world_get: GET answers of the API, in-process, from the database that
 * ENCORE_DB_NAME names (a scratch database that holds a generated world:
 * tests/integration/test_generate_social.py), with memcached "down" so that
 * nothing cached from the stack's own database is read. Usage:
 *
 *   world_get USERNAME PASSWORD PATH...
 *
 * logs in as USERNAME and prints, for each PATH, one line "STATUS BODY".
 * Exit 0 when every call was made, 1 when the login or the stack fails, 77
 * without ENCORE_STACK_DIR. */
#include <stdio.h>
#include <stdlib.h>

#include "fake.h"

int main(int argc, char **argv) {
  if (argc < 4) {
    fputs("usage: world_get USERNAME PASSWORD PATH...\n", stderr);
    return 2;
  }
  const char *dir = getenv("ENCORE_STACK_DIR");
  char dead[4200];
  snprintf(dead, sizeof dead, "%s/no-memcached.sock", dir ? dir : ".");
  int rc = fake_open("world_get", dead, NULL);
  if (rc) return rc;
  char *auth = fake_login(argv[1], argv[2]);
  CHECK(auth, "the login of %s failed", argv[1]);
  for (int i = 3; auth && i < argc; i++) {
    struct fake_reply rp = fake_json("GET", argv[i], auth, NULL);
    printf("%d %s\n", rp.status, rp.body);
  }
  fflush(stdout);
  return fake_close();
}
