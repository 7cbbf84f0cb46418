/* mailtoken: single-use tokens that travel by mail: a password reset, and
 * the confirmation of a new account's email address. Random 256-bit values
 * (43 characters of base64url); only their SHA-256 is stored, with the
 * user, the purpose and an expiry. */
#ifndef ENCORE_MAILTOKEN_H
#define ENCORE_MAILTOKEN_H

struct arena;
struct db;

enum mailtoken_purpose { MAILTOKEN_RESET, MAILTOKEN_CONFIRM };

/* mailtoken_create: a token for the user's purpose valid ttl seconds (43
 * chars + NUL into token). */
int mailtoken_create(struct db *d, long long user_id,
                     enum mailtoken_purpose purpose, int ttl, char token[44]);
/* mailtoken_lookup: the user of a live (unused, unexpired) token of that
 * purpose, without using it; RC_BAD_TOKEN otherwise. */
int mailtoken_lookup(struct db *d, struct arena *a, const char *token,
                     enum mailtoken_purpose purpose, long long *user_id);
/* mailtoken_consume: mark a live token of that purpose used and give its
 * user; the user's other live tokens of the purpose die with it.
 * RC_BAD_TOKEN when unknown, used, expired or of another purpose; of two
 * racing consumers only one succeeds. */
int mailtoken_consume(struct db *d, struct arena *a, const char *token,
                      enum mailtoken_purpose purpose, long long *user_id);

#endif
