/* test_tok: access tokens issued here verify; crafted tokens that must not:
 * alg none (with and without a signature), other algorithms (HS512 from
 * libjwt, RS256/ES256/HS384 headers), wrong signature or key, wrong iss/aud,
 * expired, not yet valid, typ other than access, malformed sub/sid/jti/role,
 * oversized or malformed input; the cache of verified tokens. Tokens are built
 * by hand (base64url JSON with an HMAC-SHA256 from libsodium) and with libjwt.
 * Cases that issue or verify start from setup(): an arena of their own and
 * tok_init with SECRET. nothing_is_issued_before_init needs a process where
 * tok_init has not yet succeeded, so main runs it first. */
#include "core/arena.h"
#include "core/bytes.h"
#include "core/rc.h"
#include "core/rnd.h"
#include "core/tok.h"

#include <jwt.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>

#include "t.h"

#define SECRET "test-secret-test-secret-0123456789abcdef"
#define NOW 1767323045LL

static struct arena *a;

static char *b64u(const void *in, size_t n) {
  char *out = arena_alloc(a, 4 * (n / 3 + 1) + 1);
  bytes_b64url(in, n, out);
  return out;
}

/* header.payload.signature with HMAC-SHA256 over key (NULL: no signature,
 * "" as the third part). */
static char *craft(const char *header, const char *payload, const char *key) {
  char *h = b64u(header, strlen(header));
  char *p = b64u(payload, strlen(payload));
  char *signing = arena_printf(a, "%s.%s", h, p);
  if (!key) return arena_printf(a, "%s.", signing);
  unsigned char mac[32];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, (const unsigned char *)key, strlen(key));
  crypto_auth_hmacsha256_update(&st, (const unsigned char *)signing,
                                strlen(signing));
  crypto_auth_hmacsha256_final(&st, mac);
  return arena_printf(a, "%s.%s", signing, b64u(mac, 32));
}

#define HS256 "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

/* A valid payload with one claim replaced (or removed when val is NULL) or
 * added. `val` is raw JSON. */
static char *payload_with(const char *name, const char *val) {
  static const char *const names[] = {"iss", "aud", "sub", "sid", "jti",
                                      "iat", "nbf", "exp", "typ", "role"};
  char vals[10][64];
  snprintf(vals[0], 64, "\"encore\"");
  snprintf(vals[1], 64, "\"encore-api\"");
  snprintf(vals[2], 64, "\"42\"");
  snprintf(vals[3], 64, "7");
  snprintf(vals[4], 64, "\"AAAAAAAAAAAAAAAAAAAAAA\"");
  snprintf(vals[5], 64, "%lld", NOW);
  snprintf(vals[6], 64, "%lld", NOW);
  snprintf(vals[7], 64, "%lld", NOW + 900);
  snprintf(vals[8], 64, "\"access\"");
  snprintf(vals[9], 64, "\"user\"");
  char *out = arena_strdup(a, "{");
  bool found = false;
  for (int i = 0; i < 10; i++) {
    const char *v = vals[i];
    if (name && strcmp(name, names[i]) == 0) {
      found = true;
      if (!val) continue;
      v = val;
    }
    out = arena_printf(a, "%s%s\"%s\":%s", out, out[1] ? "," : "", names[i], v);
  }
  if (name && !found && val)
    out = arena_printf(a, "%s,\"%s\":%s", out, name, val);
  return arena_printf(a, "%s}", out);
}

static const char *last_why;

static int verify(const char *jwt, long long now) {
  struct tok_claims c;
  last_why = NULL;
  return tok_verify(jwt, now, &c, &last_why);
}

/* The token must be refused, for the reason given. */
#define REFUSED(jwt, now, reason)                                              \
  do {                                                                         \
    CHECK_INT(verify(jwt, now), RC_BAD_TOKEN);                                 \
    CHECK_STR(last_why, reason);                                               \
  } while (0)

#define CLAIM_REFUSED(name, val, reason)                                       \
  REFUSED(craft(HS256, payload_with(name, val), SECRET), NOW, reason)

#define CLAIM_OK(name, val)                                                    \
  do {                                                                         \
    const char *v_ = (val);                                                    \
    int r_ = verify(craft(HS256, payload_with(name, v_), SECRET), NOW);        \
    if (r_)                                                                    \
      fprintf(stderr, "%s=%s refused: %s\n", name, v_ ? v_ : "-", last_why);   \
    CHECK_INT(r_, 0);                                                          \
  } while (0)

/* A token from libjwt itself with the given algorithm and key. */
static char *libjwt_token(jwt_alg_t alg, const char *key) {
  jwt_t *j = NULL;
  jwt_new(&j);
  jwt_add_grants_json(j, payload_with(NULL, NULL));
  jwt_set_alg(j, alg, (const unsigned char *)key, key ? (int)strlen(key) : 0);
  char *s = jwt_encode_str(j);
  char *copy = arena_strdup(a, s);
  free(s);
  jwt_free(j);
  return copy;
}

/* setup: an arena and the module keyed with SECRET (which also empties the
 * cache of verified tokens). */
static void setup(void) {
  a = arena_new(0);
  CHECK_INT(rnd_init(), 0);
  CHECK_INT(tok_init(SECRET, "encore", "encore-api", 900), 0);
}

/* editor_token: a token issued now for user 42, session 7, role editor. */
static char *editor_token(struct tok_claims *issued) {
  char *jwt = NULL;
  CHECK_INT(tok_issue(a, NOW, 42, 7, "editor", &jwt, issued), 0);
  CHECK(jwt != NULL);
  return jwt;
}

/* Runs first (main's order): tok keeps its key once set, so this holds only
 * before any tok_init has succeeded. */
static void nothing_is_issued_before_init(void) {
  a = arena_new(0);
  CHECK_INT(rnd_init(), 0);
  char *jwt = NULL;
  CHECK_INT(tok_issue(a, NOW, 1, 1, "user", &jwt, NULL), RC_INTERNAL);
  arena_free(a);
}

static void init_refuses_weak_or_incomplete_settings(void) {
  CHECK_INT(tok_init("short", "encore", "encore-api", 900), RC_INVALID);
  CHECK_INT(
      tok_init("0123456789012345678901234567890", "encore", "encore-api", 900),
      RC_INVALID); /* 31 bytes */
  CHECK_INT(tok_init(SECRET, "", "encore-api", 900), RC_INVALID);
  CHECK_INT(tok_init(SECRET, "encore", "", 900), RC_INVALID);
  CHECK_INT(tok_init(SECRET, "encore", "encore-api", 0), RC_INVALID);
  CHECK_INT(tok_init(NULL, "encore", "encore-api", 900), RC_INVALID);
  CHECK_INT(tok_init(SECRET, "encore", "encore-api", 900), 0);
}

static void issued_token_verifies_with_its_claims(void) {
  setup();
  struct tok_claims issued, c;
  const char *why;
  char *jwt = editor_token(&issued);
  CHECK_INT(issued.sub, 42);
  CHECK_INT(issued.sid, 7);
  CHECK_INT(issued.iat, NOW);
  CHECK_INT(issued.nbf, NOW);
  CHECK_INT(issued.exp, NOW + 900);
  CHECK_STR(issued.role, "editor");
  CHECK_INT(strlen(issued.jti), 22); /* 16 bytes base64url */
  memset(&c, 0, sizeof c);
  CHECK_INT(tok_verify(jwt, NOW, &c, &why), 0);
  CHECK_INT(c.sub, 42);
  CHECK_INT(c.sid, 7);
  CHECK_INT(c.exp, NOW + 900);
  CHECK_INT(c.iat, NOW);
  CHECK_STR(c.jti, issued.jti);
  CHECK_STR(c.role, "editor");
  arena_free(a);
}

static void token_is_valid_from_30s_before_nbf_until_exp(void) {
  setup();
  struct tok_claims c;
  const char *why;
  char *jwt = editor_token(NULL);
  CHECK_INT(tok_verify(jwt, NOW + 899, &c, &why), 0);
  REFUSED(jwt, NOW + 900, "expired");
  REFUSED(jwt, NOW - 31, "not yet valid");
  CHECK_INT(verify(jwt, NOW - 30), 0);
  arena_free(a);
}

static void two_tokens_never_share_a_jti(void) {
  setup();
  struct tok_claims issued, issued2;
  editor_token(&issued);
  char *jwt2;
  CHECK_INT(tok_issue(a, NOW, 42, 7, "editor", &jwt2, &issued2), 0);
  CHECK(strcmp(issued.jti, issued2.jti) != 0);
  arena_free(a);
}

static void issue_refuses_bad_roles_and_ids(void) {
  setup();
  char *jwt2;
  CHECK_INT(tok_issue(a, NOW, 1, 1, "root", &jwt2, NULL), RC_INTERNAL);
  CHECK_INT(tok_issue(a, NOW, 0, 1, "user", &jwt2, NULL), RC_INTERNAL);
  CHECK_INT(tok_issue(a, NOW, 1, 0, "user", &jwt2, NULL), RC_INTERNAL);
  CHECK_INT(tok_issue(a, NOW, 1, 1, NULL, &jwt2, NULL), RC_INTERNAL);
  arena_free(a);
}

static void claims_are_left_alone_on_failure(void) {
  setup();
  struct tok_claims c;
  const char *why;
  char *jwt = editor_token(NULL);
  memset(&c, 0x5A, sizeof c);
  CHECK_INT(tok_verify(jwt, NOW + 10000, &c, &why), RC_BAD_TOKEN);
  CHECK_INT(c.sub, 0x5A5A5A5A5A5A5A5ALL);
  arena_free(a);
}

static void hand_built_reference_token_verifies(void) {
  setup();
  /* The crafting is right, so the refusals below are for their reason. */
  CHECK_INT(verify(craft(HS256, payload_with(NULL, NULL), SECRET), NOW), 0);
  CHECK_INT(
      verify(craft("{\"alg\":\"HS256\"}", payload_with(NULL, NULL), SECRET),
             NOW),
      0);
  arena_free(a);
}

static void alg_none_is_refused(void) {
  setup();
  /* With no signature or with one. */
  REFUSED(craft("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload_with(NULL, NULL),
                NULL),
          NOW, "malformed token");
  REFUSED(craft("{\"alg\":\"none\"}", payload_with(NULL, NULL), SECRET), NOW,
          "algorithm is not HS256");
  REFUSED(craft("{\"alg\":\"None\"}", payload_with(NULL, NULL), SECRET), NOW,
          "algorithm is not HS256");
  REFUSED(craft("{\"alg\":\"NONE\"}", payload_with(NULL, NULL), SECRET), NOW,
          "algorithm is not HS256");
  REFUSED(libjwt_token(JWT_ALG_NONE, NULL), NOW, "malformed token");
  /* An unsigned token with the signature part dropped altogether. */
  char *none2 = craft("{\"alg\":\"none\"}", payload_with(NULL, NULL), NULL);
  none2[strlen(none2) - 1] = '\0';
  REFUSED(none2, NOW, "malformed token");
  arena_free(a);
}

static void other_algorithms_are_refused_even_with_our_key(void) {
  setup();
  REFUSED(libjwt_token(JWT_ALG_HS512, SECRET), NOW, "algorithm is not HS256");
  REFUSED(libjwt_token(JWT_ALG_HS384, SECRET), NOW, "algorithm is not HS256");
  REFUSED(craft("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", payload_with(NULL, NULL),
                SECRET),
          NOW, "algorithm is not HS256");
  REFUSED(craft("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", payload_with(NULL, NULL),
                SECRET),
          NOW, "algorithm is not HS256");
  REFUSED(craft("{\"alg\":\"ES256\"}", payload_with(NULL, NULL), SECRET), NOW,
          "algorithm is not HS256");
  REFUSED(craft("{\"alg\":\"hs256\"}", payload_with(NULL, NULL), SECRET), NOW,
          "algorithm is not HS256");
  REFUSED(craft("{\"typ\":\"JWT\"}", payload_with(NULL, NULL), SECRET), NOW,
          "algorithm is not HS256");
  REFUSED(craft("{\"alg\":256}", payload_with(NULL, NULL), SECRET), NOW,
          "algorithm is not HS256");
  REFUSED(craft("[\"HS256\"]", payload_with(NULL, NULL), SECRET), NOW,
          "algorithm is not HS256");
  REFUSED(craft("not json", payload_with(NULL, NULL), SECRET), NOW,
          "algorithm is not HS256");
  REFUSED(craft("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}",
                payload_with(NULL, NULL), SECRET),
          NOW, "algorithm is not HS256");
  REFUSED(craft("{\"alg\":\"HS256\",\"typ\":\"refresh\"}",
                payload_with(NULL, NULL), SECRET),
          NOW, "algorithm is not HS256");
  arena_free(a);
}

static void wrong_signature_is_refused(void) {
  setup();
  char *jwt = editor_token(NULL);
  /* Another key, a changed byte, a signature moved over from another token,
   * a truncated signature. */
  REFUSED(craft(HS256, payload_with(NULL, NULL),
                "another-secret-another-secret-0123456"),
          NOW, "bad signature or encoding");
  char *flip = arena_strdup(a, jwt);
  char *sig = strrchr(flip, '.') + 1;
  sig[0] = sig[0] == 'A' ? 'B' : 'A';
  REFUSED(flip, NOW, "bad signature or encoding");
  char *tampered = craft(HS256, payload_with("role", "\"admin\""), SECRET);
  char *swapped =
      arena_printf(a, "%.*s%s", (int)(strrchr(tampered, '.') - tampered),
                   tampered, strrchr(jwt, '.'));
  REFUSED(swapped, NOW, "bad signature or encoding");
  char *cut = arena_strdup(a, jwt);
  cut[strlen(cut) - 4] = '\0';
  REFUSED(cut, NOW, "bad signature or encoding");
  arena_free(a);
}

static void wrong_issuer_is_refused(void) {
  setup();
  CLAIM_REFUSED("iss", "\"evil\"", "wrong issuer");
  CLAIM_REFUSED("iss", NULL, "wrong issuer");
  CLAIM_REFUSED("iss", "[\"encore\"]", "wrong issuer");
  arena_free(a);
}

static void audience_must_include_ours(void) {
  setup();
  CLAIM_REFUSED("aud", "\"other-api\"", "wrong audience");
  CLAIM_REFUSED("aud", NULL, "wrong audience");
  CLAIM_REFUSED("aud", "[\"a\",\"b\"]", "wrong audience");
  CLAIM_REFUSED("aud", "[]", "wrong audience");
  CLAIM_REFUSED("aud", "1", "wrong audience");
  CLAIM_OK("aud", "[\"other\",\"encore-api\"]");
  arena_free(a);
}

static void typ_other_than_access_is_refused(void) {
  setup();
  CLAIM_REFUSED("typ", "\"refresh\"", "typ is not access");
  CLAIM_REFUSED("typ", "\"ACCESS\"", "typ is not access");
  CLAIM_REFUSED("typ", NULL, "typ is not access");
  CLAIM_REFUSED("typ", "1", "typ is not access");
  arena_free(a);
}

static void expired_or_missing_exp_is_refused(void) {
  setup();
  char num[64];
  snprintf(num, sizeof num, "%lld", NOW);
  CLAIM_REFUSED("exp", num, "expired");
  snprintf(num, sizeof num, "%lld", NOW - 1000);
  CLAIM_REFUSED("exp", num, "expired");
  snprintf(num, sizeof num, "%lld", NOW + 1);
  CLAIM_OK("exp", num);
  CLAIM_REFUSED("exp", NULL, "exp missing");
  snprintf(num, sizeof num, "\"%lld\"", NOW + 900);
  CLAIM_REFUSED("exp", num, "exp missing");
  snprintf(num, sizeof num, "%lld.5", NOW + 900);
  CLAIM_REFUSED("exp", num, "exp missing");
  arena_free(a);
}

static void nbf_beyond_the_leeway_or_missing_is_refused(void) {
  setup();
  char num[64];
  snprintf(num, sizeof num, "%lld", NOW + 31);
  CLAIM_REFUSED("nbf", num, "not yet valid");
  snprintf(num, sizeof num, "%lld", NOW + 30);
  CLAIM_OK("nbf", num);
  CLAIM_REFUSED("nbf", NULL, "nbf missing");
  arena_free(a);
}

static void iat_in_the_future_or_missing_is_refused(void) {
  setup();
  char num[64];
  snprintf(num, sizeof num, "%lld", NOW + 31);
  CLAIM_REFUSED("iat", num, "issued in the future");
  CLAIM_REFUSED("iat", NULL, "iat missing");
  arena_free(a);
}

static void sub_must_be_a_positive_decimal_string(void) {
  setup();
  CLAIM_REFUSED("sub", "42", "bad sub"); /* a number, not a string */
  CLAIM_REFUSED("sub", "\"0\"", "bad sub");
  CLAIM_REFUSED("sub", "\"-1\"", "bad sub");
  CLAIM_REFUSED("sub", "\"+1\"", "bad sub");
  CLAIM_REFUSED("sub", "\"042\"", "bad sub");
  CLAIM_REFUSED("sub", "\"42a\"", "bad sub");
  CLAIM_REFUSED("sub", "\" 42\"", "bad sub");
  CLAIM_REFUSED("sub", "\"\"", "bad sub");
  CLAIM_REFUSED("sub", "\"9223372036854775808\"", "bad sub");
  CLAIM_REFUSED("sub", NULL, "bad sub");
  CLAIM_OK("sub", "\"9223372036854775807\"");
  arena_free(a);
}

static void sid_must_be_a_positive_integer(void) {
  setup();
  CLAIM_REFUSED("sid", "\"7\"", "bad sid");
  CLAIM_REFUSED("sid", "0", "bad sid");
  CLAIM_REFUSED("sid", "-3", "bad sid");
  CLAIM_REFUSED("sid", "7.0", "bad sid");
  CLAIM_REFUSED("sid", NULL, "bad sid");
  arena_free(a);
}

static void jti_must_be_short_base64url(void) {
  setup();
  CLAIM_REFUSED("jti", NULL, "bad jti");
  CLAIM_REFUSED("jti", "\"\"", "bad jti");
  CLAIM_REFUSED("jti", "5", "bad jti");
  CLAIM_REFUSED("jti", "\"a b\"", "bad jti");
  CLAIM_REFUSED("jti", "\"a/b\"", "bad jti");
  CLAIM_REFUSED("jti", "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"",
                "bad jti");
  CLAIM_OK("jti",
           "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\""); /* 47 */
  arena_free(a);
}

static void role_must_be_a_known_one(void) {
  setup();
  CLAIM_REFUSED("role", "\"root\"", "bad role");
  CLAIM_REFUSED("role", "\"Admin\"", "bad role");
  CLAIM_REFUSED("role", NULL, "bad role");
  CLAIM_REFUSED("role", "[\"admin\"]", "bad role");
  CLAIM_OK("role", "\"admin\"");
  arena_free(a);
}

static void unknown_claims_are_ignored(void) {
  setup();
  CLAIM_OK("extra", "{\"nested\":[1,2,3]}");
  arena_free(a);
}

static void payload_that_is_not_an_object_is_refused(void) {
  setup();
  CHECK_INT(verify(craft(HS256, "[1,2]", SECRET), NOW), RC_BAD_TOKEN);
  CHECK_INT(verify(craft(HS256, "\"str\"", SECRET), NOW), RC_BAD_TOKEN);
  CHECK_INT(verify(craft(HS256, "{", SECRET), NOW), RC_BAD_TOKEN);
  arena_free(a);
}

static void malformed_input_is_refused_before_libjwt(void) {
  setup();
  char *jwt = editor_token(NULL);
  REFUSED("", NOW, "empty token");
  REFUSED(NULL, NOW, "empty token");
  REFUSED("abc", NOW, "malformed token");
  REFUSED("a.b", NOW, "malformed token");
  REFUSED("a.b.c.d", NOW, "malformed token");
  REFUSED("..", NOW, "malformed token");
  REFUSED(".b.c", NOW, "malformed token");
  REFUSED("a..c", NOW, "malformed token");
  char *withpad = arena_printf(a, "%s=", jwt);
  REFUSED(withpad, NOW, "malformed token");
  char *withspace = arena_printf(a, " %s", jwt);
  REFUSED(withspace, NOW, "malformed token");
  char *withnl = arena_printf(a, "%s\n", jwt);
  REFUSED(withnl, NOW, "malformed token");
  char *plus = arena_strdup(a, jwt);
  plus[3] = '+';
  REFUSED(plus, NOW, "malformed token");
  char *five = arena_printf(a, "%s.%s", "aaaaa", strchr(jwt, '.') + 1);
  REFUSED(five, NOW, "malformed token"); /* a base64 length of 4k+1 */
  arena_free(a);
}

static void token_of_4096_bytes_verifies_and_longer_is_refused(void) {
  setup();
  int seen_4096 = 0, seen_over = 0;
  for (int i = 0; i < 4 * 400 && !(seen_4096 && seen_over); i++) {
    /* Payload sizes grow by 1 or 2 base64 characters per byte; a header kid
     * of 0..3 bytes fills the gaps. */
    int pad = 2800 + i / 4, kid = i % 4;
    char *filler = arena_alloc(a, (size_t)pad + 3);
    filler[0] = '"';
    memset(filler + 1, 'x', (size_t)pad);
    filler[pad + 1] = '"';
    char *hdr =
        arena_printf(a, "{\"alg\":\"HS256\",\"kid\":\"%.*s\"}", kid, "kkk");
    char *t = craft(hdr, payload_with("pad", filler), SECRET);
    size_t n = strlen(t);
    if (n == 4096 && !seen_4096) {
      seen_4096 = 1;
      CHECK_INT(verify(t, NOW), 0);
    } else if (n > 4096 && !seen_over) {
      seen_over = 1;
      REFUSED(t, NOW, "token too long");
    }
  }
  CHECK(seen_4096 && seen_over);
  char *huge = arena_alloc(a, 100001);
  memset(huge, 'A', 100000);
  huge[10] = '.';
  huge[20] = '.';
  REFUSED(huge, NOW, "token too long");
  arena_free(a);
}

static void cached_tokens_are_checked_again_and_forgotten_on_a_new_key(void) {
  setup();
  /* A hit still checks time, a token one byte away from a cached one is
   * verified afresh, and a new key forgets every token verified under the
   * old one. */
  char *jwt = NULL;
  CHECK_INT(tok_issue(a, NOW, 5, 6, "user", &jwt, NULL), 0);
  CHECK_INT(verify(jwt, NOW), 0);
  CHECK_INT(verify(jwt, NOW), 0);
  REFUSED(jwt, NOW + 900, "expired");
  char *flipped = arena_strdup(a, jwt);
  size_t tl = strlen(flipped);
  flipped[tl - 2] = flipped[tl - 2] == 'A' ? 'B' : 'A';
  CHECK_INT(verify(flipped, NOW), RC_BAD_TOKEN);
  CHECK_INT(tok_init("another-secret-of-thirty-two-bytes-or-more", "encore",
                     "encore-api", 900),
            0);
  CHECK_INT(verify(jwt, NOW), RC_BAD_TOKEN);
  arena_free(a);
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  T_CASE(nothing_is_issued_before_init); /* first: see there */
  T_CASE(init_refuses_weak_or_incomplete_settings);
  T_CASE(issued_token_verifies_with_its_claims);
  T_CASE(token_is_valid_from_30s_before_nbf_until_exp);
  T_CASE(two_tokens_never_share_a_jti);
  T_CASE(issue_refuses_bad_roles_and_ids);
  T_CASE(claims_are_left_alone_on_failure);
  T_CASE(hand_built_reference_token_verifies);
  T_CASE(alg_none_is_refused);
  T_CASE(other_algorithms_are_refused_even_with_our_key);
  T_CASE(wrong_signature_is_refused);
  T_CASE(wrong_issuer_is_refused);
  T_CASE(audience_must_include_ours);
  T_CASE(typ_other_than_access_is_refused);
  T_CASE(expired_or_missing_exp_is_refused);
  T_CASE(nbf_beyond_the_leeway_or_missing_is_refused);
  T_CASE(iat_in_the_future_or_missing_is_refused);
  T_CASE(sub_must_be_a_positive_decimal_string);
  T_CASE(sid_must_be_a_positive_integer);
  T_CASE(jti_must_be_short_base64url);
  T_CASE(role_must_be_a_known_one);
  T_CASE(unknown_claims_are_ignored);
  T_CASE(payload_that_is_not_an_object_is_refused);
  T_CASE(malformed_input_is_refused_before_libjwt);
  T_CASE(token_of_4096_bytes_verifies_and_longer_is_refused);
  T_CASE(cached_tokens_are_checked_again_and_forgotten_on_a_new_key);
  T_DONE();
}
