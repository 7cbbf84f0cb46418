/* test_pw: argon2id hashes with the OWASP parameters, verification (right,
 * wrong, malformed and foreign hashes), the dummy verify, and the policy
 * (length in code points and bytes, UTF-8, common passwords, username and
 * email local part, case-insensitively). */
#include "core/pw.h"
#include "core/rc.h"
#include "core/rnd.h"

#include <time.h>

#include "t.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int policy(const char *pw, const char *user, const char *email,
                  const char **why) {
  *why = NULL;
  return pw_policy(pw, user, email, why);
}

static void hash_and_verify(void) {
  char h1[PW_HASH_MAX], h2[PW_HASH_MAX];
  CHECK_INT(pw_hash("correct horse battery", h1), 0);
  CHECK_INT(pw_hash("correct horse battery", h2), 0);
  CHECK(strncmp(h1, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
  CHECK(strcmp(h1, h2) != 0); /* fresh salt each time */
  CHECK(strlen(h1) < PW_HASH_MAX);

  CHECK_INT(pw_verify(h1, "correct horse battery"), 0);
  CHECK_INT(pw_verify(h2, "correct horse battery"), 0);
  CHECK_INT(pw_verify(h1, "correct horse batterY"), RC_UNAUTHORIZED);
  CHECK_INT(pw_verify(h1, ""), RC_UNAUTHORIZED);
  CHECK_INT(pw_verify(h1, NULL), RC_UNAUTHORIZED);
  CHECK_INT(pw_verify(NULL, "x"), RC_UNAUTHORIZED);
  CHECK_INT(pw_verify("", "x"), RC_UNAUTHORIZED);
  CHECK_INT(pw_verify("garbage", "x"), RC_UNAUTHORIZED);
  CHECK_INT(pw_verify("$argon2id$", "x"), RC_UNAUTHORIZED);
  /* A truncated hash. */
  char cut[PW_HASH_MAX];
  memcpy(cut, h1, sizeof cut);
  cut[strlen(cut) - 5] = '\0';
  CHECK_INT(pw_verify(cut, "correct horse battery"), RC_UNAUTHORIZED);
  /* A changed digest. */
  char changed[PW_HASH_MAX];
  memcpy(changed, h1, sizeof changed);
  size_t last = strlen(changed) - 2;
  changed[last] = changed[last] == 'A' ? 'B' : 'A';
  CHECK_INT(pw_verify(changed, "correct horse battery"), RC_UNAUTHORIZED);
  /* An argon2i hash (another algorithm) is not accepted. */
  char h2i[PW_HASH_MAX];
  memcpy(h2i, h1, sizeof h2i);
  memmove(h2i + 8, h2i + 9,
          strlen(h2i + 9) + 1); /* "$argon2id$" -> "$argon2i$" */
  CHECK_INT(pw_verify(h2i, "correct horse battery"), RC_UNAUTHORIZED);
  /* No NUL within PW_HASH_MAX bytes: refused without reading past. */
  char unterminated[PW_HASH_MAX];
  memset(unterminated, 'a', sizeof unterminated);
  memcpy(unterminated, "$argon2id$", 10);
  CHECK_INT(pw_verify(unterminated, "x"), RC_UNAUTHORIZED);
  /* Long and non-ASCII passwords hash and verify. */
  char longpw[1001];
  memset(longpw, 'z', 1000);
  longpw[1000] = '\0';
  CHECK_INT(pw_hash(longpw, h2), 0);
  CHECK_INT(pw_verify(h2, longpw), 0);
  CHECK_INT(pw_hash("m\xc3\xbcsik-passw\xc3\xb6rt", h2), 0);
  CHECK_INT(pw_verify(h2, "m\xc3\xbcsik-passw\xc3\xb6rt"), 0);
  CHECK_INT(pw_verify(h2, "musik-passwort"), RC_UNAUTHORIZED);

  /* The dummy verify costs about what a real one costs (the first call also
   * hashes, so it is timed on the second). */
  pw_dummy_verify("whatever");
  double dummy = 1e9, real = 1e9;
  for (int i = 0; i < 3; i++) { /* the best of three resists a busy machine */
    double t0 = now_s();
    pw_dummy_verify("whatever");
    double t1 = now_s();
    CHECK_INT(pw_verify(h1, "wrong password!"), RC_UNAUTHORIZED);
    double t2 = now_s();
    if (t1 - t0 < dummy) dummy = t1 - t0;
    if (t2 - t1 < real) real = t2 - t1;
  }
  CHECK(dummy > real / 4 && dummy < real * 4);
  pw_dummy_verify(NULL);
  pw_dummy_verify("");
}

static void password_policy(void) {
  /* Policy. */
  const char *why;
  CHECK_INT(policy("a-fine-long-passphrase", "bob", "bob@example.com", &why),
            0);
  CHECK(why == NULL);
  CHECK_INT(policy("Tr0ub4dor&3x", NULL, NULL, &why), 0);
  CHECK_INT(policy("123456789", NULL, NULL, &why), RC_INVALID); /* 9 */
  CHECK_STR(why, "must be at least 10 characters");
  CHECK_INT(policy("zq8#kd7!wq", NULL, NULL, &why), 0); /* exactly 10 */
  /* Code points, not bytes: nine 2-byte characters are 9 characters. */
  CHECK_INT(policy("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                   "\xc3\xa9\xc3\xa9",
                   NULL, NULL, &why),
            RC_INVALID);
  CHECK_STR(why, "must be at least 10 characters");
  CHECK_INT(policy("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                   "\xc3\xa9\xc3\xa9x",
                   NULL, NULL, &why),
            0);
  char p128[129], p129[130];
  for (int i = 0; i < 128; i++)
    p128[i] = (char)('a' + (i * 7) % 26);
  p128[128] = '\0';
  memcpy(p129, p128, 128);
  p129[128] = 'q';
  p129[129] = '\0';
  CHECK_INT(policy(p128, NULL, NULL, &why), 0);
  CHECK_INT(policy(p129, NULL, NULL, &why), RC_INVALID);
  CHECK_STR(why, "must be at most 128 bytes");
  /* 43 three-byte characters: 129 bytes though only 43 characters. */
  char euros[130];
  for (int i = 0; i < 43; i++)
    memcpy(euros + 3 * i, "\xe2\x82\xac", 3);
  euros[129] = '\0';
  CHECK_INT(policy(euros, NULL, NULL, &why), RC_INVALID);
  CHECK_STR(why, "must be at most 128 bytes");
  CHECK_INT(policy("abcdefghij\xff", NULL, NULL, &why), RC_INVALID);
  CHECK_STR(why, "must be valid UTF-8");
  CHECK_INT(policy("abcdefghij\xed\xa0\x80", NULL, NULL, &why), RC_INVALID);
  CHECK_INT(policy(NULL, NULL, NULL, &why), RC_INVALID);
  /* Common passwords, whatever the case. */
  CHECK_INT(policy("password123", NULL, NULL, &why), RC_INVALID);
  CHECK_STR(why, "is too common");
  CHECK_INT(policy("PassWord123", NULL, NULL, &why), RC_INVALID);
  CHECK_INT(policy("1234567890", NULL, NULL, &why), RC_INVALID);
  CHECK_INT(policy("QWERTYUIOP", NULL, NULL, &why), RC_INVALID);
  CHECK_INT(policy("password1234x", NULL, NULL, &why), 0); /* not in the list */
  /* Username and email local part, case-insensitive. */
  CHECK_INT(policy("my-Alice_99-secret", "alice_99", NULL, &why), RC_INVALID);
  CHECK_STR(why, "must not contain the username");
  CHECK_INT(policy("xxALICE_99xx", "alice_99", NULL, &why), RC_INVALID);
  CHECK_INT(policy("my-alic-secret", "alice_99", NULL, &why), 0);
  CHECK_INT(policy("secret-J.Doe-2024", "someone", "j.doe@example.com", &why),
            RC_INVALID);
  CHECK_STR(why, "must not contain the email address");
  CHECK_INT(policy("secret-example-com", "someone", "j.doe@example.com", &why),
            0);
  CHECK_INT(policy("a-fine-long-passphrase", "", "", &why), 0);
  CHECK_INT(policy("a-fine-long-passphrase", NULL, "no-at-sign", &why), 0);
  CHECK_INT(policy("a-fine-long-passphrase", NULL, "@example.com", &why), 0);
  /* One- and two-letter local parts would forbid half the alphabet. */
  CHECK_INT(policy("just-a-long-passphrase", NULL, "j@x.com", &why), 0);
  CHECK_INT(policy("xx-jo-passphrase", NULL, "jo@x.com", &why), 0);
  CHECK_INT(policy("xx-joe-passphrase", NULL, "joe@x.com", &why), RC_INVALID);
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  CHECK_INT(rnd_init(), 0);
  T_CASE(hash_and_verify);
  T_CASE(password_policy);
  T_DONE();
}
