/* bytes: SHA-256 of bytes, and bytes as text (lowercase hex, base64url
 * without padding). */
#ifndef ENCORE_BYTES_H
#define ENCORE_BYTES_H

#include <stddef.h>

/* bytes_sha256: the digest of in[0..n). */
void bytes_sha256(const void *in, size_t n, unsigned char out[32]);
/* bytes_hex: 2n lowercase hex digits + NUL into out. */
void bytes_hex(const void *in, size_t n, char *out);
/* bytes_b64url: base64url without padding, NUL-terminated; out must hold
 * 4*ceil(n/3)+1 bytes; the length written. */
size_t bytes_b64url(const void *in, size_t n, char *out);

#endif
