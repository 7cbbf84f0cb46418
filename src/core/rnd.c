/* rnd: random bytes and tokens, from libsodium. */
#include "core/rnd.h"

#include "core/bytes.h"
#include "core/rc.h"

#include <sodium.h>
#include <string.h>

int rnd_init(void) {
  /* 0: initialized now, 1: already initialized, -1: failure. */
  return sodium_init() < 0 ? RC_INTERNAL : 0;
}

void rnd_bytes(void *buf, size_t n) {
  randombytes_buf(buf, n);
}

void rnd_token(char out[44]) {
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  bytes_b64url(raw, sizeof raw, out);
  sodium_memzero(raw, sizeof raw);
}

