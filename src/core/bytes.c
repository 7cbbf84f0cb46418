/* bytes: see bytes.h. */
#include "core/bytes.h"

#include <sodium.h>
#include <string.h>

void bytes_sha256(const void *in, size_t n, unsigned char out[32]) {
  crypto_hash_sha256(out, in, n);
}

void bytes_hex(const void *in, size_t n, char *out) {
  static const char hexd[] = "0123456789abcdef";
  const unsigned char *p = in;
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = hexd[p[i] >> 4];
    out[2 * i + 1] = hexd[p[i] & 15];
  }
  out[2 * n] = '\0';
}

size_t bytes_b64url(const void *in, size_t n, char *out) {
  /* sodium_bin2base64 aborts when out is too small; what it needs for this
   * variant (4*floor(n/3), plus n%3+1 when n%3 != 0, plus the NUL) never
   * exceeds the 4*ceil(n/3)+1 the contract asks of callers. */
  size_t cap =
      sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_bin2base64(out, cap, in, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return strlen(out);
}
