/* session: login sessions (refresh-token families), rotation with reuse
 * detection, and revocation (MariaDB, mirrored in memcached for the
 * per-request check). Tokens are random 256-bit values; only their SHA-256
 * is stored. */
#ifndef ENCORE_SESSION_H
#define ENCORE_SESSION_H

#include <stdbool.h>
#include <stddef.h>

struct arena;
struct db;
struct kv;
struct tok_claims;

/* Live sessions a user may hold: a login past this revokes the oldest. */
#define SESSION_MAX 100

/* What a new session records. */
struct session_start {
  long long user_id;
  const char *user_agent; /* clipped to 255 bytes of UTF-8; NULL: none */
  const char *ip;         /* the client address */
  int ttl;                /* seconds of refresh-token life */
};

/* session_create: a new session with its first refresh token (43 chars +
 * NUL into refresh); the user's live sessions past SESSION_MAX, oldest
 * first, are revoked. */
int session_create(struct db *d, struct kv *k, struct arena *a,
                   const struct session_start *s, long long *sid,
                   char refresh[44]);
/* session_rotate: exchange a refresh token for a new one in the same
 * session. RC_BAD_TOKEN when unknown, expired or revoked; when the token was
 * already used, the whole session is revoked and RC_BAD_TOKEN returned. */
int session_rotate(struct db *d, struct kv *k, struct arena *a,
                   const char *refresh, int ttl, long long *sid,
                   long long *user_id, char next[44]);
/* session_revoke: revoke one session (refresh tokens die; access tokens of
 * the session are refused from now on). */
int session_revoke(struct db *d, struct kv *k, long long sid);
/* session_revoke_user: revoke every session of the user but `keep_sid`
 * (0: all), and delete the user's scrobbling credentials (Last.fm session
 * keys, the ListenBrainz token). */
int session_revoke_user(struct db *d, struct kv *k, struct arena *a,
                        long long user_id, long long keep_sid);
/* session_check: 0 when the access token's session is live (not revoked,
 * and the token's user's); RC_BAD_TOKEN when not. One memcached round trip
 * when the session's mark is cached; otherwise one read of the session row
 * (also when memcached is down), whose answer is cached. `extra`, when not
 * NULL, is one more memcached key read in the same round trip (the caller's
 * cached profile): its value, or NULL, lands in *val. Returns RC_DB when
 * neither can be read. */
int session_check(struct db *d, struct kv *k, struct arena *a,
                  const struct tok_claims *c, const char *extra, char **val,
                  size_t *len);
/* session_known_address: whether a session of the user was ever opened
 * from this client address. */
int session_known_address(struct db *d, struct arena *a, long long user_id,
                          const char *ip, bool *known);

#endif
