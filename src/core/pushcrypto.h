/* pushcrypto: the cryptography of push delivery, the one user of OpenSSL's
 * libcrypto: P-256 points checked and derived, Web Push message encryption
 * (RFC 8291 over RFC 8188's aes128gcm: per message a fresh ECDH key pair
 * and a 16-byte salt, HKDF-SHA-256, one record padded with the delimiter
 * 0x02) and the signed JWTs the push services take (ES256 for VAPID and
 * APNs, with the raw R||S signature JWS requires, not DER; RS256 for FCM's
 * service account). */
#ifndef ENCORE_PUSHCRYPTO_H
#define ENCORE_PUSHCRYPTO_H

#include <stddef.h>

struct arena;

/* An uncompressed P-256 point (0x04 || X || Y), and a subscription's
 * authentication secret. */
#define PUSHCRYPTO_POINT 65
#define PUSHCRYPTO_AUTH 16
#define PUSHCRYPTO_SALT 16
/* The record size written in the header, and the header's length (salt,
 * rs, idlen, the sender's public key). */
#define PUSHCRYPTO_RS 4096
#define PUSHCRYPTO_HEADER (PUSHCRYPTO_SALT + 4 + 1 + PUSHCRYPTO_POINT)
/* The largest body push services take, and so the longest plaintext: the
 * header, the delimiter and the tag come on top. */
#define PUSHCRYPTO_BODY_MAX 4096
#define PUSHCRYPTO_PLAIN_MAX (PUSHCRYPTO_BODY_MAX - PUSHCRYPTO_HEADER - 1 - 16)

/* A signing key (opaque; EC P-256 or RSA). */
struct pushkey;

/* pushcrypto_point_ok: whether p is an uncompressed point on P-256. */
int pushcrypto_point_ok(const unsigned char p[PUSHCRYPTO_POINT]);

/* pushcrypto_key_raw: the P-256 key of the 32-byte private scalar d (the
 * VAPID key of the secrets file). 0, or RC_INVALID when d is not a valid
 * scalar. Free with pushcrypto_key_free. */
int pushcrypto_key_raw(const unsigned char d[32], struct pushkey **out);
/* pushcrypto_key_pem: the key of a PEM private key text (PKCS#8 or
 * traditional; an APNs .p8 file, an FCM service account's private_key).
 * 0 or RC_INVALID. */
int pushcrypto_key_pem(const char *pem, size_t len, struct pushkey **out);
void pushcrypto_key_free(struct pushkey *k);
/* pushcrypto_key_public: the public point of an EC key; RC_INVALID for an
 * RSA key. */
int pushcrypto_key_public(const struct pushkey *k,
                          unsigned char out[PUSHCRYPTO_POINT]);
/* pushcrypto_key_is_ec: 1 for an EC P-256 key, 0 otherwise. */
int pushcrypto_key_is_ec(const struct pushkey *k);

/* pushcrypto_jwt: the compact JWS of header and claims (JSON texts),
 * signed ES256 (an EC key: raw R||S) or RS256 (an RSA key), in the
 * arena. 0, RC_INTERNAL or RC_NOMEM. */
int pushcrypto_jwt(struct arena *a, const struct pushkey *k, const char *header,
                   const char *claims, const char **jwt);

/* Test vectors only: the sender's key and the salt, instead of fresh ones. */
struct pushcrypto_fixed {
  const unsigned char *as_private; /* 32 bytes */
  const unsigned char *salt;       /* 16 bytes */
};

/* pushcrypto_encrypt: plain[0..n) encrypted for the subscription (ua_public,
 * auth) as one aes128gcm record with rs PUSHCRYPTO_RS: the body of a Web
 * Push request, in the arena (*out, *outlen). fixed is NULL but in tests.
 * RC_TOO_LARGE past PUSHCRYPTO_PLAIN_MAX, RC_INVALID for a key not on the
 * curve, RC_INTERNAL, RC_NOMEM. */
int pushcrypto_encrypt(struct arena *a,
                       const unsigned char ua_public[PUSHCRYPTO_POINT],
                       const unsigned char auth[PUSHCRYPTO_AUTH],
                       const void *plain, size_t n,
                       const struct pushcrypto_fixed *fixed,
                       unsigned char **out, size_t *outlen);

/* pushcrypto_b64url_decode: base64url (padding allowed but not needed) into
 * out (at most cap bytes); the length, or -1 when s is not base64url or
 * does not fit. */
long pushcrypto_b64url_decode(const char *s, size_t n, unsigned char *out,
                              size_t cap);

#endif
