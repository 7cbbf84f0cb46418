/* session: login sessions (refresh-token families), rotation with reuse
 * detection, revocation (MariaDB, mirrored in memcached for the per-request
 * check) and password-reset tokens. Tokens are random 256-bit values; only
 * their SHA-256 is stored. */
#ifndef ENCORE_SESSION_H
#define ENCORE_SESSION_H

#include <stddef.h>

struct arena;
struct db;
struct kv;
struct tok_claims;

/* session_create: a new session for the user with its first refresh token
 * (43 chars + NUL into refresh). */
int session_create(struct db *d, long long user_id, const char *user_agent,
                   const char *ip, int ttl, long long *sid, char refresh[44]);
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
 * (0: all). */
int session_revoke_user(struct db *d, struct kv *k, struct arena *a,
                        long long user_id, long long keep_sid);
/* session_deny_jti: keep a logged-out access token's jti refused until exp. */
void session_deny_jti(struct kv *k, const char *jti, long long exp);
/* session_check: 0 when the access token's jti and session are not revoked;
 * RC_BAD_TOKEN when they are. memcached first, MariaDB when it is down.
 * `extra`, when not NULL, is one more memcached key read in the same round
 * trip (the caller's cached profile): its value, or NULL, lands in *val. */
int session_check(struct db *d, struct kv *k, struct arena *a,
                  const struct tok_claims *c, const char *extra, char **val,
                  size_t *len);

/* reset_create: a single-use reset token for the user valid ttl seconds. */
int reset_create(struct db *d, long long user_id, int ttl, char token[44]);
/* reset_lookup: the user of a live (unused, unexpired) reset token, without
 * using it; RC_BAD_TOKEN otherwise. */
int reset_lookup(struct db *d, struct arena *a, const char *token,
                 long long *user_id);
/* reset_consume: mark the token used and give its user; RC_BAD_TOKEN when
 * unknown, used or expired. */
int reset_consume(struct db *d, struct arena *a, const char *token,
                  long long *user_id);

#endif
