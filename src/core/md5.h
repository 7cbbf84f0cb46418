/* md5: MD5 (RFC 1321), for the protocols that are defined with it: Last.fm's
 * request signatures (api_sig) and its authToken. Never for anything Encore
 * decides to protect itself. */
#ifndef ENCORE_MD5_H
#define ENCORE_MD5_H

#include <stddef.h>

/* md5_hex: the digest of in[0..n) as 32 lower-case hex digits and a NUL. */
void md5_hex(const void *in, size_t n, char out[33]);

/* Incremental use, for a message in pieces (a signature string). */
struct md5 {
  unsigned int h[4];
  unsigned long long len;
  unsigned char buf[64];
  size_t used;
};
void md5_init(struct md5 *m);
void md5_add(struct md5 *m, const void *in, size_t n);
/* md5_end_hex: finish m into 32 hex digits and a NUL. */
void md5_end_hex(struct md5 *m, char out[33]);

#endif
