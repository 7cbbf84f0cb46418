/* test_seal: sealed values open again under their key only; an altered
 * box, a truncated one, another key, or no key at all never open; MD5
 * (Last.fm's signatures) matches RFC 1321's test suite, whole or in
 * pieces. */
#include <string.h>

#include "core/arena.h"
#include "core/md5.h"
#include "core/rc.h"
#include "core/rnd.h"
#include "core/seal.h"

#include "t.h"

static void md5_vectors(void) {
  static const struct {
    const char *in, *out;
  } v[] = {
      {"", "d41d8cd98f00b204e9800998ecf8427e"},
      {"a", "0cc175b9c0f1b6a831c399e269772661"},
      {"abc", "900150983cd24fb0d6963f7d28e17f72"},
      {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
      {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
      {"12345678901234567890123456789012345678901234567890123456789012345678"
       "901234567890",
       "57edf4a22be3c955ac49da2e2107b67a"},
  };
  char hex[33];
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    md5_hex(v[i].in, strlen(v[i].in), hex);
    CHECK_STR(hex, v[i].out);
  }
  /* pieces of every length give the same digest as the whole */
  const char *s = v[5].in;
  for (size_t cut = 0; cut <= strlen(s); cut += 7) {
    struct md5 m;
    md5_init(&m);
    md5_add(&m, s, cut);
    md5_add(&m, s + cut, strlen(s) - cut);
    md5_end_hex(&m, hex);
    CHECK_STR(hex, v[5].out);
  }
}

static void sealing(struct arena *a) {
  const unsigned char *box;
  size_t len;
  char *text, key[44], other[44];
  CHECK_INT(seal_box(a, "secret", &box, &len), RC_INTERNAL); /* no key */
  CHECK_INT(seal_init("not a key"), RC_INVALID);
  CHECK_INT(seal_init("c2hvcnQ"), RC_INVALID); /* 5 bytes */
  seal_new_key(key);
  seal_new_key(other);
  CHECK_INT(strlen(key), 43);
  CHECK_INT(seal_init(key), 0);
  CHECK(seal_ready());
  CHECK_INT(seal_box(a, "a Last.fm session key", &box, &len), 0);
  CHECK_INT(len, strlen("a Last.fm session key") + SEAL_OVERHEAD);
  CHECK(memmem(box, len, "session", 7) == NULL); /* not in clear */
  CHECK_INT(seal_open(a, box, len, &text), 0);
  CHECK_STR(text, "a Last.fm session key");
  /* two seals of one text differ (a fresh nonce each) */
  const unsigned char *box2;
  size_t len2;
  CHECK_INT(seal_box(a, "a Last.fm session key", &box2, &len2), 0);
  CHECK(len == len2 && memcmp(box, box2, len) != 0);
  /* altered anywhere: refused */
  for (size_t i = 0; i < len; i++) {
    unsigned char *bad = arena_alloc(a, len);
    memcpy(bad, box, len);
    bad[i] ^= 0x40;
    CHECK_INT(seal_open(a, bad, len, &text), RC_INVALID);
  }
  CHECK_INT(seal_open(a, box, len - 1, &text), RC_INVALID);
  CHECK_INT(seal_open(a, box, 3, &text), RC_INVALID);
  CHECK_INT(seal_open(a, NULL, 0, &text), RC_INVALID);
  /* another key opens nothing */
  CHECK_INT(seal_init(other), 0);
  CHECK_INT(seal_open(a, box, len, &text), RC_INVALID);
  /* the empty text and the longest */
  CHECK_INT(seal_box(a, "", &box, &len), 0);
  CHECK_INT(seal_open(a, box, len, &text), 0);
  CHECK_STR(text, "");
  char *big = arena_alloc(a, SEAL_TEXT_MAX + 2);
  memset(big, 'x', SEAL_TEXT_MAX + 1);
  CHECK_INT(seal_box(a, big, &box, &len), RC_INVALID);
  big[SEAL_TEXT_MAX] = '\0';
  CHECK_INT(seal_box(a, big, &box, &len), 0);
  CHECK_INT(len, 4096);
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  struct arena *a = arena_new(0);
  CHECK(rnd_init() == 0);
  T_CASE(md5_vectors);
  T_CASE(sealing, a);
  arena_free(a);
  T_DONE();
}
