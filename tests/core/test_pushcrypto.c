/* test_pushcrypto: RFC 8291's worked example byte for byte, fresh keys and
 * salts per message, points off the curve refused, the plaintext limit,
 * and ES256 JWTs whose signature is the raw R||S (checked by OpenSSL after
 * converting it back to DER). */
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <stdlib.h>

#include "core/arena.h"
#include "core/pushcrypto.h"
#include "core/rc.h"
#include "core/rnd.h"
#include "t.h"

static size_t dec(const char *s, unsigned char *out, size_t cap) {
  long n = pushcrypto_b64url_decode(s, strlen(s), out, cap);
  CHECK(n >= 0);
  return n < 0 ? 0 : (size_t)n;
}

static void rfc8291(struct arena *a) {
  unsigned char as_priv[32], ua_pub[65], auth[16], salt[16], want[256];
  dec("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw", as_priv, sizeof as_priv);
  dec("BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZ"
      "GH6SRpkNtoIAiw4",
      ua_pub, sizeof ua_pub);
  dec("BTBZMqHH6r4Tts7J_aSIgg", auth, sizeof auth);
  dec("DGv6ra1nlYgDCS1FRnbzlw", salt, sizeof salt);
  size_t wl = dec(
      "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIg"
      "Dll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_"
      "yl95bQpu6cVPTpK4Mqgkf1CXztLVBS"
      "t2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN",
      want, sizeof want);
  const char *plain = "When I grow up, I want to be a watermelon";
  struct pushcrypto_fixed f = {.as_private = as_priv, .salt = salt};
  unsigned char *out = NULL;
  size_t ol = 0;
  CHECK_INT(
      pushcrypto_encrypt(a, ua_pub, auth, plain, strlen(plain), &f, &out, &ol),
      0);
  CHECK_INT(ol, wl);
  CHECK(out && !memcmp(out, want, wl));

  /* The sender's public key from its scalar, as the RFC lists it. */
  struct pushkey *k;
  unsigned char pub[65], as_pub[65];
  dec("BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8w"
      "EqKK6PBru3jl7A8",
      as_pub, sizeof as_pub);
  CHECK_INT(pushcrypto_key_raw(as_priv, &k), 0);
  CHECK_INT(pushcrypto_key_public(k, pub), 0);
  CHECK(!memcmp(pub, as_pub, 65));
  pushcrypto_key_free(k);

  /* Fresh key pair and salt each time: two bodies of one text differ in
   * both, and have the same length. */
  unsigned char *o1, *o2;
  size_t l1, l2;
  CHECK_INT(
      pushcrypto_encrypt(a, ua_pub, auth, plain, strlen(plain), NULL, &o1, &l1),
      0);
  CHECK_INT(
      pushcrypto_encrypt(a, ua_pub, auth, plain, strlen(plain), NULL, &o2, &l2),
      0);
  CHECK_INT(l1, wl);
  CHECK(memcmp(o1, o2, 16) != 0);
  CHECK(memcmp(o1 + 21, o2 + 21, 65) != 0);

  /* Off the curve: one bit of Y flipped; compressed; all zero. */
  unsigned char bad[65];
  memcpy(bad, ua_pub, 65);
  bad[64] ^= 1;
  CHECK(!pushcrypto_point_ok(bad));
  CHECK(pushcrypto_point_ok(ua_pub));
  CHECK_INT(pushcrypto_encrypt(a, bad, auth, "x", 1, NULL, &o1, &l1),
            RC_INVALID);
  memcpy(bad, ua_pub, 65);
  bad[0] = 0x02;
  CHECK(!pushcrypto_point_ok(bad));
  memset(bad, 0, 65);
  bad[0] = 0x04;
  CHECK(!pushcrypto_point_ok(bad));

  /* The plaintext limit keeps the body within 4096 bytes. */
  static char big[PUSHCRYPTO_PLAIN_MAX + 1];
  memset(big, 'x', sizeof big);
  CHECK_INT(pushcrypto_encrypt(a, ua_pub, auth, big, PUSHCRYPTO_PLAIN_MAX, NULL,
                               &o1, &l1),
            0);
  CHECK_INT(l1, PUSHCRYPTO_BODY_MAX);
  CHECK_INT(
      pushcrypto_encrypt(a, ua_pub, auth, big, sizeof big, NULL, &o1, &l1),
      RC_TOO_LARGE);
}

/* es256: a JWT whose 64-byte signature verifies as R||S. */
static void es256(struct arena *a) {
  unsigned char d[32];
  struct pushkey *k = NULL;
  do
    rnd_bytes(d, sizeof d);
  while (pushcrypto_key_raw(d, &k));
  const char *jwt;
  CHECK_INT(pushcrypto_jwt(a, k, "{\"typ\":\"JWT\",\"alg\":\"ES256\"}",
                           "{\"aud\":\"https://push.example.net\"}", &jwt),
            0);
  const char *dot = strrchr(jwt, '.');
  unsigned char sig[128], pub[65];
  CHECK(dot != NULL);
  long sl = pushcrypto_b64url_decode(dot + 1, strlen(dot + 1), sig, sizeof sig);
  CHECK_INT(sl, 64);
  CHECK_INT(pushcrypto_key_public(k, pub), 0);
  /* back to DER, verified with the public point alone */
  ECDSA_SIG *es = ECDSA_SIG_new();
  ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
  unsigned char *der = NULL;
  int dl = i2d_ECDSA_SIG(es, &der);
  ECDSA_SIG_free(es);
  EVP_PKEY *vk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
  CHECK(EVP_PKEY_set1_encoded_public_key(vk, pub, 65) == 1);
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  CHECK(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, vk) == 1);
  CHECK(EVP_DigestVerify(md, der, (size_t)dl, (const unsigned char *)jwt,
                         (size_t)(dot - jwt)) == 1);
  EVP_MD_CTX_free(md);
  EVP_PKEY_free(vk);
  OPENSSL_free(der);
  pushcrypto_key_free(k);
  /* A scalar of zero is no key; PEM garbage is no key. */
  memset(d, 0, sizeof d);
  CHECK_INT(pushcrypto_key_raw(d, &k), RC_INVALID);
  CHECK_INT(pushcrypto_key_pem("-----BEGIN", 10, &k), RC_INVALID);
}

int main(void) {
  CHECK_INT(rnd_init(), 0);
  struct arena *a = arena_new(0);
  rfc8291(a);
  es256(a);
  arena_free(a);
  T_DONE();
}
