/* rnd: random bytes, base64url and SHA-256 (libsodium). */
#ifndef ENCORE_RND_H
#define ENCORE_RND_H

#include <stddef.h>

/* rnd_init: initialize libsodium; 0 or RC_INTERNAL. Call once per process. */
int rnd_init(void);
/* rnd_bytes: n cryptographically random bytes. */
void rnd_bytes(void *buf, size_t n);
/* rnd_token: a random 256-bit token as base64url without padding (43 chars +
 * NUL); out must hold 44 bytes. */
void rnd_token(char out[44]);
/* b64url_encode: base64url without padding; out must hold 4*ceil(n/3)+1. */
size_t b64url_encode(const void *in, size_t n, char *out);
/* sha256: digest of in[0..n). */
void sha256(const void *in, size_t n, unsigned char out[32]);
/* hex_encode: 2n lowercase hex digits + NUL into out. */
void hex_encode(const void *in, size_t n, char *out);

#endif
