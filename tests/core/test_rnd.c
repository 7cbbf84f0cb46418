/* test_rnd: tokens are 43 base64url characters and differ; random bytes
 * are not all zero and differ. */
#include "core/rc.h"
#include "core/rnd.h"

#include "t.h"

static int b64url_only(const char *s) {
  for (; *s; s++)
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
          (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
      return 0;
  return 1;
}

static void tokens_and_bytes(void) {
  char t1[44], t2[44];
  memset(t1, 'x', sizeof t1);
  rnd_token(t1);
  rnd_token(t2);
  CHECK_INT(strlen(t1), 43);
  CHECK_INT(strlen(t2), 43);
  CHECK(b64url_only(t1));
  CHECK(strcmp(t1, t2) != 0);

  unsigned char r1[32] = {0}, r2[32] = {0}, zero[32] = {0};
  rnd_bytes(r1, sizeof r1);
  rnd_bytes(r2, sizeof r2);
  CHECK(memcmp(r1, r2, 32) != 0);
  CHECK(memcmp(r1, zero, 32) != 0);
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  CHECK_INT(rnd_init(), 0);
  CHECK_INT(rnd_init(), 0); /* idempotent */

  T_CASE(tokens_and_bytes);
  T_DONE();
}
