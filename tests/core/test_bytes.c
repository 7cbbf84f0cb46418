/* test_bytes: SHA-256 and hex against known digests, base64url against
 * RFC 4648's vectors in the URL-safe alphabet without padding. */
#include "core/bytes.h"

#include <string.h>

#include "t.h"

static void b64url(void) {
  /* RFC 4648 vectors, URL-safe alphabet, no padding. Buffers are exactly
   * 4*ceil(n/3)+1 as the contract allows. */
  char out[16];
  CHECK_INT(bytes_b64url("", 0, out), 0);
  CHECK_STR(out, "");
  char o2[5];
  CHECK_INT(bytes_b64url("f", 1, o2), 2);
  CHECK_STR(o2, "Zg");
  CHECK_INT(bytes_b64url("fo", 2, o2), 3);
  CHECK_STR(o2, "Zm8");
  CHECK_INT(bytes_b64url("foo", 3, o2), 4);
  CHECK_STR(o2, "Zm9v");
  char o9[9];
  CHECK_INT(bytes_b64url("foobar", 6, o9), 8);
  CHECK_STR(o9, "Zm9vYmFy");
  const unsigned char url[] = {0xfb, 0xff, 0xbf};
  CHECK_INT(bytes_b64url(url, 3, o2), 4);
  CHECK_STR(o2, "-_-_");
}

static void sha256_and_hex(void) {
  unsigned char d[32];
  char hex[65];
  bytes_sha256("abc", 3, d);
  bytes_hex(d, 32, hex);
  CHECK_STR(hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  bytes_sha256("", 0, d);
  bytes_hex(d, 32, hex);
  CHECK_STR(hex,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

  const unsigned char bytes[] = {0x00, 0x0f, 0xa5, 0xff};
  char h[9];
  bytes_hex(bytes, 4, h);
  CHECK_STR(h, "000fa5ff");
  bytes_hex(bytes, 0, h);
  CHECK_STR(h, "");
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  T_CASE(b64url);
  T_CASE(sha256_and_hex);
  T_DONE();
}
