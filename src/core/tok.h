/* tok: JWT access tokens (HS256 pinned, through libjwt 1.x, used only here).
 * libjwt's decode checks no claim: every claim is checked here. */
#ifndef ENCORE_TOK_H
#define ENCORE_TOK_H

#include <stddef.h>

struct arena;

/* The claims of a valid access token. */
struct tok_claims {
  long long sub; /* user id */
  long long sid; /* session (refresh family) id */
  long long iat, nbf, exp;
  char jti[48];  /* random id, base64url */
  char role[16]; /* user | editor | moderator | admin */
};

/* tok_init: the HS256 key (the configured secret's bytes, at least 32), the
 * issuer and audience to issue and require, and the access lifetime. 0 or
 * RC_INVALID. */
int tok_init(const char *secret, const char *issuer, const char *audience,
             int access_ttl);
/* tok_issue: a signed access token for the user and session, typ "access",
 * valid from now for access_ttl seconds; the string lives in the arena.
 * claims, when not NULL, receives what was put in. 0 or RC_INTERNAL. */
int tok_issue(struct arena *a, long long now, long long sub, long long sid,
              const char *role, char **jwt, struct tok_claims *claims);
/* tok_verify: 0 and the claims when `jwt` is a well-formed HS256 token with a
 * valid signature, typ "access", the configured iss and aud, nbf <= now + 30,
 * exp > now, and integer sub/sid; RC_BAD_TOKEN otherwise (alg none, another
 * algorithm, bad base64, oversized input over 4096 bytes ...). *why gets a
 * static reason for logs. */
int tok_verify(const char *jwt, long long now, struct tok_claims *out,
               const char **why);

/* tok_es256: a compact JWS of the claims (a JSON object's text) signed
 * ES256 with a P-256 private key in PEM (PKCS#8 or SEC1), the header
 * {"alg":"ES256","kid":kid,"typ":"JWT"}; the signature in JWS form (raw
 * R||S, 64 bytes), whatever form the library produced. The token lives in
 * the arena. 0, RC_INVALID (not such a key, claims not an object) or
 * RC_INTERNAL. For third parties that take ES256 tokens (Apple Music's
 * developer token). */
int tok_es256(struct arena *a, const char *pem, size_t pem_len,
              const char *kid, const char *claims, char **jwt);

#endif
