/* seal: secretbox at rest; see seal.h. */
#include "core/seal.h"

#include <sodium.h>
#include <string.h>

#include "core/arena.h"
#include "core/rc.h"
#include "core/bytes.h"

#define SEAL_VERSION 1

static unsigned char seal_key[crypto_secretbox_KEYBYTES];
static int seal_have;

int seal_init(const char *key_b64) {
  unsigned char k[crypto_secretbox_KEYBYTES + 8];
  size_t n = 0;
  sodium_memzero(seal_key, sizeof seal_key);
  seal_have = 0;
  if (!key_b64 || !*key_b64) return RC_INVALID;
  if (sodium_base642bin(k, sizeof k, key_b64, strlen(key_b64), NULL, &n, NULL,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      n != crypto_secretbox_KEYBYTES) {
    sodium_memzero(k, sizeof k);
    return RC_INVALID;
  }
  memcpy(seal_key, k, sizeof seal_key);
  sodium_memzero(k, sizeof k);
  seal_have = 1;
  return 0;
}

int seal_ready(void) {
  return seal_have;
}

int seal_box(struct arena *a, const char *text, const unsigned char **out,
             size_t *len) {
  size_t n = strlen(text);
  *out = NULL;
  *len = 0;
  if (!seal_have) return RC_INTERNAL;
  if (n > SEAL_TEXT_MAX) return RC_INVALID;
  unsigned char *b = arena_alloc(a, n + SEAL_OVERHEAD);
  if (!b) return RC_NOMEM;
  b[0] = SEAL_VERSION;
  randombytes_buf(b + 1, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(b + 1 + crypto_secretbox_NONCEBYTES,
                        (const unsigned char *)text, n, b + 1, seal_key);
  *out = b;
  *len = n + SEAL_OVERHEAD;
  return 0;
}

int seal_open(struct arena *a, const void *box, size_t len, char **text) {
  const unsigned char *b = box;
  *text = NULL;
  if (!seal_have) return RC_INTERNAL;
  if (!b || len < SEAL_OVERHEAD || b[0] != SEAL_VERSION) return RC_INVALID;
  size_t n = len - SEAL_OVERHEAD;
  char *t = arena_alloc(a, n + 1);
  if (!t) return RC_NOMEM;
  if (crypto_secretbox_open_easy(
          (unsigned char *)t, b + 1 + crypto_secretbox_NONCEBYTES,
          len - 1 - crypto_secretbox_NONCEBYTES, b + 1, seal_key) != 0)
    return RC_INVALID;
  t[n] = '\0';
  if (strlen(t) != n) return RC_INVALID; /* a NUL inside: not ours */
  *text = t;
  return 0;
}

void seal_new_key(char out[44]) {
  unsigned char k[crypto_secretbox_KEYBYTES];
  randombytes_buf(k, sizeof k);
  bytes_b64url(k, sizeof k, out);
  sodium_memzero(k, sizeof k);
}
