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
  char role[16]; /* user | editor | admin */
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

#endif
