/* pw: password hashing (argon2id through libsodium, OWASP parameters: 19 MiB,
 * t=2, p=1) and the password policy. */
#ifndef ENCORE_PW_H
#define ENCORE_PW_H

#include <stddef.h>

#define PW_HASH_MAX 128 /* crypto_pwhash_STRBYTES */
#define PW_MIN_CHARS 10
#define PW_MAX_BYTES 128
#define PW_NAME_MIN 3 /* shortest username or email local part checked */

/* pw_hash: encoded argon2id hash of pw into out. 0 or RC_NOMEM. */
int pw_hash(const char *pw, char out[PW_HASH_MAX]);
/* pw_verify: 0 when pw matches, RC_UNAUTHORIZED when not (also for a
 * malformed hash). */
int pw_verify(const char *hash, const char *pw);
/* pw_dummy_verify: spend the same time as a verify, for unknown accounts. */
void pw_dummy_verify(const char *pw);
/* pw_policy: 0 when pw is acceptable for this user, else RC_INVALID with a
 * static message: fewer than PW_MIN_CHARS code points, more than PW_MAX_BYTES
 * bytes, invalid UTF-8, a common password, or containing the username or the
 * local part of the email (case-insensitive; names of PW_NAME_MIN or more).
 * username/email may be NULL. */
int pw_policy(const char *pw, const char *username, const char *email,
              const char **why);

#endif
