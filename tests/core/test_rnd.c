/* test_rnd: tokens are 43 base64url characters and differ; base64url, SHA-256
 * and hex against known vectors. */
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

static void b64url(void) {
  /* RFC 4648 vectors, URL-safe alphabet, no padding. Buffers are exactly
   * 4*ceil(n/3)+1 as the contract allows. */
  char out[16];
  CHECK_INT(b64url_encode("", 0, out), 0);
  CHECK_STR(out, "");
  char o2[5];
  CHECK_INT(b64url_encode("f", 1, o2), 2);
  CHECK_STR(o2, "Zg");
  CHECK_INT(b64url_encode("fo", 2, o2), 3);
  CHECK_STR(o2, "Zm8");
  CHECK_INT(b64url_encode("foo", 3, o2), 4);
  CHECK_STR(o2, "Zm9v");
  char o9[9];
  CHECK_INT(b64url_encode("foobar", 6, o9), 8);
  CHECK_STR(o9, "Zm9vYmFy");
  const unsigned char url[] = {0xfb, 0xff, 0xbf};
  CHECK_INT(b64url_encode(url, 3, o2), 4);
  CHECK_STR(o2, "-_-_");
}

static void sha256_and_hex(void) {
  unsigned char d[32];
  char hex[65];
  sha256("abc", 3, d);
  hex_encode(d, 32, hex);
  CHECK_STR(hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  sha256("", 0, d);
  hex_encode(d, 32, hex);
  CHECK_STR(hex,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

  const unsigned char bytes[] = {0x00, 0x0f, 0xa5, 0xff};
  char h[9];
  hex_encode(bytes, 4, h);
  CHECK_STR(h, "000fa5ff");
  hex_encode(bytes, 0, h);
  CHECK_STR(h, "");
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  CHECK_INT(rnd_init(), 0);
  CHECK_INT(rnd_init(), 0); /* idempotent */

  T_CASE(tokens_and_bytes);
  T_CASE(b64url);
  T_CASE(sha256_and_hex);
  T_DONE();
}
