/* rnd: random bytes and tokens (libsodium). */
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

#endif
