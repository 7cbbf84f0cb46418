/* pushcrypto: P-256, RFC 8291 encryption and JWS signatures through
 * OpenSSL 3's EVP interface; see pushcrypto.h. */
#include "core/pushcrypto.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/rc.h"
#include "core/bytes.h"
#include "core/rnd.h"

struct pushkey {
  EVP_PKEY *pkey;
  int ec;
};

static EC_GROUP *p256(void) {
  return EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
}

int pushcrypto_point_ok(const unsigned char p[PUSHCRYPTO_POINT]) {
  EC_GROUP *g = p256();
  EC_POINT *pt = g ? EC_POINT_new(g) : NULL;
  int ok = p[0] == 0x04 && pt &&
           EC_POINT_oct2point(g, pt, p, PUSHCRYPTO_POINT, NULL) == 1 &&
           EC_POINT_is_on_curve(g, pt, NULL) == 1 &&
           !EC_POINT_is_at_infinity(g, pt);
  EC_POINT_free(pt);
  EC_GROUP_free(g);
  return ok;
}

/* ec_pkey: an EVP_PKEY of P-256 from a private scalar (d may be NULL) and
 * an uncompressed public point. */
static EVP_PKEY *ec_pkey(const BIGNUM *d, const unsigned char *pub) {
  OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
  OSSL_PARAM *params = NULL;
  EVP_PKEY_CTX *ctx = NULL;
  EVP_PKEY *k = NULL;
  if (!b ||
      !OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME,
                                       "prime256v1", 0) ||
      !OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pub,
                                        PUSHCRYPTO_POINT) ||
      (d && !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, d)) ||
      !(params = OSSL_PARAM_BLD_to_param(b)) ||
      !(ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) ||
      EVP_PKEY_fromdata_init(ctx) <= 0 ||
      EVP_PKEY_fromdata(ctx, &k, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                        params) <= 0)
    k = NULL;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(b);
  return k;
}

/* raw_pkey: the key pair of scalar d[0..32). */
static EVP_PKEY *raw_pkey(const unsigned char d[32]) {
  EC_GROUP *g = p256();
  BIGNUM *bn = BN_bin2bn(d, 32, NULL);
  EC_POINT *pt = g ? EC_POINT_new(g) : NULL;
  unsigned char pub[PUSHCRYPTO_POINT];
  EVP_PKEY *k = NULL;
  if (g && bn && pt && !BN_is_zero(bn) &&
      BN_cmp(bn, EC_GROUP_get0_order(g)) < 0 &&
      EC_POINT_mul(g, pt, bn, NULL, NULL, NULL) == 1 &&
      EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, pub, sizeof pub,
                         NULL) == sizeof pub)
    k = ec_pkey(bn, pub);
  EC_POINT_free(pt);
  BN_clear_free(bn);
  EC_GROUP_free(g);
  return k;
}

int pushcrypto_key_raw(const unsigned char d[32], struct pushkey **out) {
  *out = NULL;
  struct pushkey *k = calloc(1, sizeof *k);
  if (!k) return RC_NOMEM;
  if (!(k->pkey = raw_pkey(d))) {
    free(k);
    return RC_INVALID;
  }
  k->ec = 1;
  *out = k;
  return 0;
}

int pushcrypto_key_pem(const char *pem, size_t len, struct pushkey **out) {
  *out = NULL;
  BIO *bio = BIO_new_mem_buf(pem, (int)len);
  EVP_PKEY *p = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
  BIO_free(bio);
  if (!p) return RC_INVALID;
  int ec = EVP_PKEY_is_a(p, "EC");
  char group[32] = "";
  size_t gl;
  if ((ec && (!EVP_PKEY_get_utf8_string_param(p, OSSL_PKEY_PARAM_GROUP_NAME,
                                              group, sizeof group, &gl) ||
              strcmp(group, "prime256v1"))) ||
      (!ec && !EVP_PKEY_is_a(p, "RSA"))) {
    EVP_PKEY_free(p);
    return RC_INVALID;
  }
  struct pushkey *k = calloc(1, sizeof *k);
  if (!k) {
    EVP_PKEY_free(p);
    return RC_NOMEM;
  }
  *k = (struct pushkey){.pkey = p, .ec = ec};
  *out = k;
  return 0;
}

void pushcrypto_key_free(struct pushkey *k) {
  if (!k) return;
  EVP_PKEY_free(k->pkey);
  free(k);
}

int pushcrypto_key_is_ec(const struct pushkey *k) {
  return k->ec;
}

int pushcrypto_key_public(const struct pushkey *k,
                          unsigned char out[PUSHCRYPTO_POINT]) {
  size_t n = 0;
  if (!k->ec ||
      !EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_PUB_KEY, out,
                                       PUSHCRYPTO_POINT, &n) ||
      n != PUSHCRYPTO_POINT)
    return RC_INVALID;
  return 0;
}

/* --- JWS ------------------------------------------------------------------ */

/* b64url: base64url of in[0..n) in the arena. */
static char *b64url(struct arena *a, const void *in, size_t n) {
  char *s = arena_alloc(a, 4 * ((n + 2) / 3) + 1);
  if (s) bytes_b64url(in, n, s);
  return s;
}

/* sign: SHA-256 signature of msg by k; for EC the DER signature becomes
 * R||S of 32 bytes each. */
static int sign(const struct pushkey *k, const void *msg, size_t n,
                unsigned char *sig, size_t *siglen) {
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  unsigned char der[80];
  size_t dl = sizeof der;
  int rc = RC_INTERNAL;
  if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k->pkey) != 1)
    goto out;
  if (!k->ec) {
    if (EVP_DigestSign(md, NULL, siglen, msg, n) == 1 && *siglen <= 512 &&
        EVP_DigestSign(md, sig, siglen, msg, n) == 1)
      rc = 0;
    goto out;
  }
  if (EVP_DigestSign(md, der, &dl, msg, n) != 1) goto out;
  const unsigned char *p = der;
  ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)dl);
  if (es) {
    const BIGNUM *r, *s;
    ECDSA_SIG_get0(es, &r, &s);
    if (BN_bn2binpad(r, sig, 32) == 32 && BN_bn2binpad(s, sig + 32, 32) == 32) {
      *siglen = 64;
      rc = 0;
    }
    ECDSA_SIG_free(es);
  }
out:
  EVP_MD_CTX_free(md);
  return rc;
}

int pushcrypto_jwt(struct arena *a, const struct pushkey *k, const char *header,
                   const char *claims, const char **jwt) {
  char *h = b64url(a, header, strlen(header));
  char *c = b64url(a, claims, strlen(claims));
  const char *input = h && c ? arena_printf(a, "%s.%s", h, c) : NULL;
  unsigned char sig[512];
  size_t sl = sizeof sig;
  if (!input) return RC_NOMEM;
  int rc = sign(k, input, strlen(input), sig, &sl);
  if (rc) return rc;
  char *s = b64url(a, sig, sl);
  *jwt = s ? arena_printf(a, "%s.%s", input, s) : NULL;
  return *jwt ? 0 : RC_NOMEM;
}

/* --- RFC 8291 ------------------------------------------------------------- */

/* hmac: HMAC-SHA-256(key, a || b || c), any of them empty. */
static void hmac(const unsigned char *key, size_t kl, const void *a, size_t al,
                 const void *b, size_t bl, const void *c, size_t cl,
                 unsigned char out[32]) {
  unsigned char buf[256];
  size_t n = 0;
  memcpy(buf, a, al);
  n += al;
  if (bl) memcpy(buf + n, b, bl);
  n += bl;
  if (cl) memcpy(buf + n, c, cl);
  n += cl;
  unsigned int ol = 32;
  HMAC(EVP_sha256(), key, (int)kl, buf, n, out, &ol);
  OPENSSL_cleanse(buf, sizeof buf);
}

/* ecdh: the shared secret of our key and the peer's point. */
static int ecdh(EVP_PKEY *ours, EVP_PKEY *peer, unsigned char out[32]) {
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(ours, NULL);
  size_t n = 32;
  int ok = ctx && EVP_PKEY_derive_init(ctx) == 1 &&
           EVP_PKEY_derive_set_peer(ctx, peer) == 1 &&
           EVP_PKEY_derive(ctx, out, &n) == 1 && n == 32;
  EVP_PKEY_CTX_free(ctx);
  return ok ? 0 : RC_INTERNAL;
}

/* seal_record: AES-128-GCM of in[0..n) into out (n bytes and the tag). */
static int seal_record(const unsigned char cek[16], const unsigned char iv[12],
                       const unsigned char *in, size_t n, unsigned char *out) {
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  int l1 = 0, l2 = 0;
  int ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, cek, iv) == 1 &&
           EVP_EncryptUpdate(c, out, &l1, in, (int)n) == 1 &&
           EVP_EncryptFinal_ex(c, out + l1, &l2) == 1 &&
           (size_t)(l1 + l2) == n &&
           EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + n) == 1;
  EVP_CIPHER_CTX_free(c);
  return ok ? 0 : RC_INTERNAL;
}

int pushcrypto_encrypt(struct arena *a,
                       const unsigned char ua_public[PUSHCRYPTO_POINT],
                       const unsigned char auth[PUSHCRYPTO_AUTH],
                       const void *plain, size_t n,
                       const struct pushcrypto_fixed *fixed,
                       unsigned char **out, size_t *outlen) {
  if (n > PUSHCRYPTO_PLAIN_MAX) return RC_TOO_LARGE;
  if (!pushcrypto_point_ok(ua_public)) return RC_INVALID;
  unsigned char salt[PUSHCRYPTO_SALT], as_public[PUSHCRYPTO_POINT];
  unsigned char secret[32], prk[32], ikm[32], key[32], nonce[32];
  size_t pl = 0;
  int rc = RC_INTERNAL;
  EVP_PKEY *peer = ec_pkey(NULL, ua_public);
  EVP_PKEY *ours = fixed ? raw_pkey(fixed->as_private)
                         : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
  unsigned char *body = arena_alloc(a, PUSHCRYPTO_HEADER + n + 1 + 16);
  if (!body) {
    rc = RC_NOMEM;
    goto out;
  }
  if (!peer || !ours ||
      !EVP_PKEY_get_octet_string_param(ours, OSSL_PKEY_PARAM_PUB_KEY, as_public,
                                       sizeof as_public, &pl) ||
      pl != sizeof as_public || ecdh(ours, peer, secret))
    goto out;
  if (fixed)
    memcpy(salt, fixed->salt, sizeof salt);
  else
    rnd_bytes(salt, sizeof salt);
  /* IKM = HKDF(auth, ecdh, "WebPush: info\0" || ua_public || as_public) */
  static const char winfo[] = "WebPush: info";
  unsigned char info[sizeof winfo + 2 * PUSHCRYPTO_POINT + 1];
  memcpy(info, winfo, sizeof winfo); /* with its NUL */
  memcpy(info + sizeof winfo, ua_public, PUSHCRYPTO_POINT);
  memcpy(info + sizeof winfo + PUSHCRYPTO_POINT, as_public, PUSHCRYPTO_POINT);
  info[sizeof info - 1] = 0x01;
  hmac(auth, PUSHCRYPTO_AUTH, secret, 32, NULL, 0, NULL, 0, prk);
  hmac(prk, 32, info, sizeof info, NULL, 0, NULL, 0, ikm);
  /* PRK = HKDF-Extract(salt, IKM); CEK and nonce expanded from it */
  static const char cinfo[] = "Content-Encoding: aes128gcm";
  static const char ninfo[] = "Content-Encoding: nonce";
  static const unsigned char one = 0x01;
  hmac(salt, sizeof salt, ikm, 32, NULL, 0, NULL, 0, prk);
  hmac(prk, 32, cinfo, sizeof cinfo, &one, 1, NULL, 0, key);
  hmac(prk, 32, ninfo, sizeof ninfo, &one, 1, NULL, 0, nonce);
  /* header: salt || rs || idlen || keyid; one record, the last, padded
   * with its delimiter 0x02 */
  unsigned char *p = body;
  memcpy(p, salt, sizeof salt);
  p += sizeof salt;
  *p++ = (PUSHCRYPTO_RS >> 24) & 0xff;
  *p++ = (PUSHCRYPTO_RS >> 16) & 0xff;
  *p++ = (PUSHCRYPTO_RS >> 8) & 0xff;
  *p++ = PUSHCRYPTO_RS & 0xff;
  *p++ = PUSHCRYPTO_POINT;
  memcpy(p, as_public, PUSHCRYPTO_POINT);
  p += PUSHCRYPTO_POINT;
  unsigned char *rec = arena_alloc(a, n + 1);
  if (!rec) {
    rc = RC_NOMEM;
    goto out;
  }
  if (n) memcpy(rec, plain, n);
  rec[n] = 0x02;
  if ((rc = seal_record(key, nonce, rec, n + 1, p))) goto out;
  *out = body;
  *outlen = PUSHCRYPTO_HEADER + n + 1 + 16;
  OPENSSL_cleanse(rec, n + 1);
out:
  OPENSSL_cleanse(secret, sizeof secret);
  OPENSSL_cleanse(prk, sizeof prk);
  OPENSSL_cleanse(ikm, sizeof ikm);
  OPENSSL_cleanse(key, sizeof key);
  EVP_PKEY_free(peer);
  EVP_PKEY_free(ours);
  return rc;
}

long pushcrypto_b64url_decode(const char *s, size_t n, unsigned char *out,
                              size_t cap) {
  size_t len = 0;
  const char *end = NULL;
  while (n && s[n - 1] == '=')
    n--;
  if (sodium_base642bin(out, cap, s, n, NULL, &len, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != s + n)
    return -1;
  return (long)len;
}
