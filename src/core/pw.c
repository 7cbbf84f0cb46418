/* pw: argon2id password hashing through libsodium with the OWASP parameters
 * (t=2, m=19 MiB, p=1), a dummy verification for unknown accounts, and the
 * password policy. */
#include "core/pw.h"

#include "core/rc.h"
#include "core/str.h"

#include <sodium.h>
#include <stdbool.h>
#include <string.h>

#define PW_OPSLIMIT 2ULL
#define PW_MEMLIMIT (19u * 1024u * 1024u)

int pw_hash(const char *pw, char out[PW_HASH_MAX]) {
  _Static_assert(PW_HASH_MAX == crypto_pwhash_STRBYTES, "PW_HASH_MAX");
  if (crypto_pwhash_str_alg(out, pw, strlen(pw), PW_OPSLIMIT, PW_MEMLIMIT,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    return RC_NOMEM;
  return 0;
}

int pw_verify(const char *hash, const char *pw) {
  if (!hash || !pw) return RC_UNAUTHORIZED;
  /* libsodium reads the encoded hash as a C string of at most STRBYTES. */
  if (strnlen(hash, PW_HASH_MAX) >= PW_HASH_MAX) return RC_UNAUTHORIZED;
  if (strncmp(hash, "$argon2id$", 10) != 0) return RC_UNAUTHORIZED;
  if (crypto_pwhash_str_verify(hash, pw, strlen(pw)) != 0)
    return RC_UNAUTHORIZED;
  return 0;
}

void pw_dummy_verify(const char *pw) {
  /* Hashed once per process with the real parameters, so a verify against it
   * costs what a verify against a stored hash costs. The password hashed is
   * random: nothing can match it. */
  static char dummy[PW_HASH_MAX];
  if (!dummy[0]) {
    char secret[44];
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(secret, sizeof secret, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    if (pw_hash(secret, dummy) != 0) dummy[0] = '\0';
  }
  if (dummy[0]) {
    int r = crypto_pwhash_str_verify(dummy, pw ? pw : "", pw ? strlen(pw) : 0);
    (void)r;
  }
}

/* Frequent passwords from public breach lists, lower-case. Entries shorter
 * than PW_MIN_CHARS are already refused by length; they stay so the list
 * still holds if the minimum changes. */
static const char *const pw_common[] = {
    "123456",       "password",     "12345678",     "qwerty",
    "123456789",    "12345",        "1234",         "111111",
    "1234567",      "dragon",       "123123",       "baseball",
    "abc123",       "football",     "monkey",       "letmein",
    "shadow",       "master",       "696969",       "mustang",
    "michael",      "superman",     "batman",       "trustno1",
    "iloveyou",     "sunshine",     "princess",     "welcome",
    "admin",        "login",        "passw0rd",     "1234567890",
    "0123456789",   "0987654321",   "9876543210",   "1111111111",
    "0000000000",   "1212121212",   "1122334455",   "1234512345",
    "1231231234",   "123456789a",   "a123456789",   "12345678910",
    "123456789q",   "q123456789",   "qwertyuiop",   "qwerty1234",
    "qwerty12345",  "1q2w3e4r5t",   "1q2w3e4r5t6y", "1qaz2wsx3edc",
    "1qazxsw23edc", "zaq12wsxcde3", "asdfghjkl1",   "asdfghjkl;",
    "zxcvbnm123",   "qazwsxedcrfv", "password1",    "password12",
    "password123",  "password1234", "password!",    "password1!",
    "passw0rd1",    "passw0rd123",  "p@ssw0rd123",  "p@ssword123",
    "iloveyou12",   "iloveyou123",  "iloveyou1234", "football123",
    "baseball123",  "basketball",   "basketball1",  "superman123",
    "batman12345",  "princess123",  "sunshine123",  "welcome123",
    "welcome1234",  "letmein123",   "letmein1234",  "monkey12345",
    "dragon12345",  "master12345",  "trustno1234",  "whatever123",
    "starwars123",  "computer123",  "changeme123",  "administrator",
    "admin12345",   "admin123456",  "abcdefghij",   "abcd123456",
    "abcdef123456", "abc1234567",   "aaaaaaaaaa",   "qqqqqqqqqq",
    "iloveyou!!",   "michael123",   "jennifer123",  "charlie123",
    "liverpool1",   "chelsea123",   "arsenal123",   "manchester",
    "pokemon123",   "minecraft1",   "minecraft123", "fortnite123",
    "samsung123",   "google1234",   "12qwaszx12",   "qwerty123456",
    "zxcvbnm,./",   "q1w2e3r4t5",   "q1w2e3r4t5y6",
};

/* Case-insensitive (ASCII) substring search; the needle is non-empty. */
static bool contains_ci(const char *hay, const char *needle, size_t nlen) {
  size_t hlen = strlen(hay);
  for (size_t i = 0; i + nlen <= hlen; i++) {
    size_t j = 0;
    while (j < nlen) {
      char a = hay[i + j], b = needle[j];
      if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
      if (b >= 'A' && b <= 'Z') b = (char)(b - 'A' + 'a');
      if (a != b) break;
      j++;
    }
    if (j == nlen) return true;
  }
  return false;
}

int pw_policy(const char *pw, const char *username, const char *email,
              const char **why) {
  const char *msg = NULL;
  size_t n = pw ? strlen(pw) : 0;
  if (!pw)
    msg = "is required";
  else if (n > PW_MAX_BYTES)
    msg = "must be at most 128 bytes";
  else if (!str_utf8_valid(pw, n))
    msg = "must be valid UTF-8";
  else if (str_utf8_len(pw, n) < PW_MIN_CHARS)
    msg = "must be at least 10 characters";
  if (!msg) {
    for (size_t i = 0; i < sizeof pw_common / sizeof pw_common[0]; i++) {
      size_t k = strlen(pw_common[i]);
      if (k == n && contains_ci(pw, pw_common[i], k)) {
        msg = "is too common";
        break;
      }
    }
  }
  /* Names shorter than PW_NAME_MIN would forbid too many passwords. */
  if (!msg && username && strlen(username) >= PW_NAME_MIN &&
      contains_ci(pw, username, strlen(username)))
    msg = "must not contain the username";
  if (!msg && email) {
    const char *at = strchr(email, '@');
    size_t k = at ? (size_t)(at - email) : 0;
    if (k >= PW_NAME_MIN) {
      char local[256];
      if (k >= sizeof local) k = sizeof local - 1;
      memcpy(local, email, k);
      local[k] = '\0';
      if (contains_ci(pw, local, k)) msg = "must not contain the email address";
    }
  }
  if (why) *why = msg;
  return msg ? RC_INVALID : 0;
}
