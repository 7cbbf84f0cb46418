/* seal: secrets of third parties kept at rest (Last.fm session keys,
 * ListenBrainz, Spotify and Apple Music tokens, API secrets): each value is
 * sealed with libsodium's secretbox (XSalsa20-Poly1305) under the
 * installation's seal_key (the secrets file; generated on first run), and
 * only a process holding that key opens it again. A sealed value is a
 * version byte, a random 24-byte nonce and the box (16-byte tag + text). */
#ifndef ENCORE_SEAL_H
#define ENCORE_SEAL_H

#include <stddef.h>

struct arena;

/* Bytes a sealed value adds to its text. */
#define SEAL_OVERHEAD (1 + 24 + 16)
/* The longest text sealed (the columns hold 4096 bytes). */
#define SEAL_TEXT_MAX (4096 - SEAL_OVERHEAD)

/* seal_init: the key, base64url of 32 bytes (cfg seal_key). 0, or
 * RC_INVALID when it is not such a key (sealing then fails). */
int seal_init(const char *key_b64);
/* seal_ready: whether a key was given. */
int seal_ready(void);
/* seal_box: text (a C string of at most SEAL_TEXT_MAX bytes) sealed into
 * the arena: *out and *len. RC_INTERNAL without a key, RC_INVALID when too
 * long, RC_NOMEM. */
int seal_box(struct arena *a, const char *text, const unsigned char **out,
             size_t *len);
/* seal_open: the text of a sealed value, NUL-terminated in the arena.
 * RC_INVALID when it was not sealed under this key (or was altered),
 * RC_INTERNAL without a key. */
int seal_open(struct arena *a, const void *box, size_t len, char **text);
/* seal_new_key: a fresh key as base64url (43 characters and a NUL). */
void seal_new_key(char out[44]);

#endif
