/* tok: HS256 access tokens, and ES256 tokens for third parties. libjwt 1.x
 * is used here and nowhere else; its jwt_decode verifies the signature of
 * whatever algorithm the token names and checks no claim, so the algorithm
 * is pinned before and after decoding, and every claim is checked here. */
#include "core/tok.h"

#include "core/arena.h"
#include "core/rc.h"
#include "core/bytes.h"
#include "core/rnd.h"

#include <json-c/json.h>
#include <jwt.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOK_MAX_LEN 4096
#define TOK_LEEWAY 30

/* Tokens already verified by this process. A client presents the same
 * access token on every request for its 15 minutes, and its signature and
 * claims cannot change: only the time checks depend on the moment, and they
 * are made again on every hit. Revocation is not the business of this
 * module (the caller checks it on every request). Direct-mapped by a keyed
 * hash of the whole token; a hit compares every byte. */
#define TOK_CACHE_SLOTS 512

static struct tok_cached {
  char *jwt; /* malloc'd copy; NULL when empty */
  size_t len;
  struct tok_claims c;
} tok_cache[TOK_CACHE_SLOTS];
static unsigned char tok_cache_key[crypto_shorthash_KEYBYTES];

static void tok_cache_clear(void) {
  for (int i = 0; i < TOK_CACHE_SLOTS; i++) {
    free(tok_cache[i].jwt);
    tok_cache[i].jwt = NULL;
  }
  randombytes_buf(tok_cache_key, sizeof tok_cache_key);
}

static struct tok_cached *tok_cache_slot(const char *jwt, size_t len) {
  unsigned char h[crypto_shorthash_BYTES];
  unsigned long long v = 0;
  crypto_shorthash(h, (const unsigned char *)jwt, len, tok_cache_key);
  memcpy(&v, h, sizeof v < sizeof h ? sizeof v : sizeof h);
  return &tok_cache[v % TOK_CACHE_SLOTS];
}

static struct {
  unsigned char key[512];
  size_t key_len;
  char iss[256];
  char aud[256];
  int ttl;
  bool ready;
} tok_conf;

int tok_init(const char *secret, const char *issuer, const char *audience,
             int access_ttl) {
  if (!secret || !issuer || !audience || access_ttl <= 0) return RC_INVALID;
  size_t k = strlen(secret);
  if (k < 32 || k > sizeof tok_conf.key || !issuer[0] || !audience[0] ||
      strlen(issuer) >= sizeof tok_conf.iss ||
      strlen(audience) >= sizeof tok_conf.aud)
    return RC_INVALID;
  memcpy(tok_conf.key, secret, k);
  tok_conf.key_len = k;
  strcpy(tok_conf.iss, issuer);
  strcpy(tok_conf.aud, audience);
  tok_conf.ttl = access_ttl;
  tok_conf.ready = true;
  tok_cache_clear(); /* tokens verified under the old settings */
  return 0;
}

static bool role_valid(const char *r) {
  return r && (strcmp(r, "user") == 0 || strcmp(r, "editor") == 0 ||
               strcmp(r, "moderator") == 0 || strcmp(r, "admin") == 0);
}

int tok_issue(struct arena *a, long long now, long long sub, long long sid,
              const char *role, char **jwt, struct tok_claims *claims) {
  if (!tok_conf.ready || sub <= 0 || sid <= 0 || !role_valid(role))
    return RC_INTERNAL;
  struct tok_claims c = {0};
  unsigned char raw[16];
  rnd_bytes(raw, sizeof raw);
  bytes_b64url(raw, sizeof raw, c.jti);
  c.sub = sub;
  c.sid = sid;
  c.iat = now;
  c.nbf = now;
  c.exp = now + tok_conf.ttl;
  strcpy(c.role, role);

  char subs[24];
  snprintf(subs, sizeof subs, "%lld", sub);
  int rc = RC_INTERNAL;
  char *enc = NULL;
  jwt_t *j = NULL;
  if (jwt_new(&j) != 0) return RC_INTERNAL;
  /* jwt_add_grant_int takes a long: 64 bits on the LP64 targets Encore
   * supports. */
  _Static_assert(sizeof(long) == 8, "long must be 64-bit");
  if (jwt_add_grant(j, "iss", tok_conf.iss) ||
      jwt_add_grant(j, "aud", tok_conf.aud) || jwt_add_grant(j, "sub", subs) ||
      jwt_add_grant_int(j, "sid", (long)sid) ||
      jwt_add_grant(j, "jti", c.jti) ||
      jwt_add_grant_int(j, "iat", (long)c.iat) ||
      jwt_add_grant_int(j, "nbf", (long)c.nbf) ||
      jwt_add_grant_int(j, "exp", (long)c.exp) ||
      jwt_add_grant(j, "typ", "access") || jwt_add_grant(j, "role", role))
    goto out;
  if (jwt_set_alg(j, JWT_ALG_HS256, tok_conf.key, (int)tok_conf.key_len))
    goto out;
  enc = jwt_encode_str(j); /* malloc'd */
  if (!enc) goto out;
  *jwt = arena_strdup(a, enc);
  if (!*jwt) goto out;
  if (claims) *claims = c;
  rc = 0;
out:
  free(enc);
  jwt_free(j);
  return rc;
}

static bool b64url_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Parse a small JSON text strictly; NULL when it is not a JSON object. */
static json_object *parse_object(const char *s, size_t n) {
  struct json_tokener *t = json_tokener_new_ex(8);
  if (!t) return NULL;
  json_tokener_set_flags(t, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
  json_object *o = json_tokener_parse_ex(t, s, (int)n);
  bool ok = o && json_tokener_get_error(t) == json_tokener_success &&
            json_tokener_get_parse_end(t) == n &&
            json_object_is_type(o, json_type_object);
  json_tokener_free(t);
  if (!ok) {
    json_object_put(o);
    return NULL;
  }
  return o;
}

/* The JOSE header, decoded here so that libjwt never sees a token that does
 * not claim HS256. */
static bool header_is_hs256(const char *b64, size_t n) {
  char bin[512];
  size_t bin_len;
  const char *end;
  if (n > 680 ||
      sodium_base642bin((unsigned char *)bin, sizeof bin - 1, b64, n, NULL,
                        &bin_len, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != b64 + n)
    return false;
  if (memchr(bin, '\0', bin_len)) return false;
  bin[bin_len] = '\0';
  json_object *h = parse_object(bin, bin_len);
  if (!h) return false;
  json_object *alg = NULL, *typ = NULL;
  bool ok = json_object_object_get_ex(h, "alg", &alg) &&
            json_object_is_type(alg, json_type_string) &&
            strcmp(json_object_get_string(alg), "HS256") == 0;
  if (ok && json_object_object_get_ex(h, "typ", &typ))
    ok = json_object_is_type(typ, json_type_string) &&
         strcmp(json_object_get_string(typ), "JWT") == 0;
  if (ok && json_object_object_get_ex(h, "crit", NULL))
    ok = false; /* no extension is understood */
  json_object_put(h);
  return ok;
}

static const char *claim_str(json_object *g, const char *key) {
  json_object *v;
  if (!json_object_object_get_ex(g, key, &v) ||
      !json_object_is_type(v, json_type_string))
    return NULL;
  return json_object_get_string(v);
}

static bool claim_int(json_object *g, const char *key, long long *out) {
  json_object *v;
  if (!json_object_object_get_ex(g, key, &v) ||
      !json_object_is_type(v, json_type_int))
    return false;
  int64_t x = json_object_get_int64(v);
  if (x == INT64_MIN || x == INT64_MAX) return false; /* possibly clamped */
  *out = x;
  return true;
}

static bool aud_ok(json_object *g) {
  json_object *v;
  if (!json_object_object_get_ex(g, "aud", &v)) return false;
  if (json_object_is_type(v, json_type_string))
    return strcmp(json_object_get_string(v), tok_conf.aud) == 0;
  if (!json_object_is_type(v, json_type_array)) return false;
  size_t n = json_object_array_length(v);
  for (size_t i = 0; i < n; i++) {
    json_object *e = json_object_array_get_idx(v, i);
    if (json_object_is_type(e, json_type_string) &&
        strcmp(json_object_get_string(e), tok_conf.aud) == 0)
      return true;
  }
  return false;
}

/* sub: the decimal form of a positive int64, no sign, no leading zero. */
static bool parse_sub(const char *s, long long *out) {
  if (!s || s[0] < '1' || s[0] > '9') return false;
  unsigned long long v = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9') return false;
    unsigned d = (unsigned)(*p - '0');
    if (v > (unsigned long long)(INT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = (long long)v;
  return true;
}

/* Check the claims of a decoded token; NULL or the reason. */
static const char *check_claims(json_object *g, long long now,
                                struct tok_claims *c) {
  const char *s;
  if (!(s = claim_str(g, "typ")) || strcmp(s, "access") != 0)
    return "typ is not access";
  if (!(s = claim_str(g, "iss")) || strcmp(s, tok_conf.iss) != 0)
    return "wrong issuer";
  if (!aud_ok(g)) return "wrong audience";
  if (!claim_int(g, "exp", &c->exp)) return "exp missing";
  if (!claim_int(g, "nbf", &c->nbf)) return "nbf missing";
  if (!claim_int(g, "iat", &c->iat)) return "iat missing";
  if (c->exp <= now) return "expired";
  if (c->nbf > now + TOK_LEEWAY) return "not yet valid";
  if (c->iat > now + TOK_LEEWAY) return "issued in the future";
  if (!parse_sub(claim_str(g, "sub"), &c->sub)) return "bad sub";
  if (!claim_int(g, "sid", &c->sid) || c->sid <= 0) return "bad sid";
  s = claim_str(g, "jti");
  size_t n = s ? strlen(s) : 0;
  if (n == 0 || n >= sizeof c->jti) return "bad jti";
  for (size_t i = 0; i < n; i++)
    if (!b64url_char(s[i])) return "bad jti";
  memcpy(c->jti, s, n + 1);
  s = claim_str(g, "role");
  if (!role_valid(s)) return "bad role";
  strcpy(c->role, s);
  return NULL;
}

int tok_verify(const char *jwt, long long now, struct tok_claims *out,
               const char **why) {
  const char *reason = NULL;
  jwt_t *j = NULL;
  char *grants = NULL;
  json_object *g = NULL;
  struct tok_claims c = {0};

  if (!tok_conf.ready) {
    reason = "tok_init not called";
    goto out;
  }
  if (!jwt || !jwt[0]) {
    reason = "empty token";
    goto out;
  }
  size_t len = strnlen(jwt, TOK_MAX_LEN + 1);
  if (len > TOK_MAX_LEN) {
    reason = "token too long";
    goto out;
  }
  struct tok_cached *slot = tok_cache_slot(jwt, len);
  if (slot->jwt && slot->len == len && memcmp(slot->jwt, jwt, len) == 0) {
    c = slot->c;
    if (c.exp <= now)
      reason = "expired";
    else if (c.nbf > now + TOK_LEEWAY)
      reason = "not yet valid";
    else if (c.iat > now + TOK_LEEWAY)
      reason = "issued in the future";
    goto out;
  }
  /* Exactly three non-empty base64url parts. */
  size_t dots[2], nd = 0;
  for (size_t i = 0; i < len; i++) {
    if (jwt[i] == '.') {
      if (nd == 2) {
        reason = "malformed token";
        goto out;
      }
      dots[nd++] = i;
    } else if (!b64url_char(jwt[i])) {
      reason = "malformed token";
      goto out;
    }
  }
  if (nd != 2 || dots[0] == 0 || dots[1] == dots[0] + 1 || dots[1] == len - 1) {
    reason = "malformed token";
    goto out;
  }
  size_t plen[3] = {dots[0], dots[1] - dots[0] - 1, len - dots[1] - 1};
  for (int i = 0; i < 3; i++)
    if (plen[i] % 4 == 1) {
      reason = "malformed token";
      goto out;
    }
  if (!header_is_hs256(jwt, dots[0])) {
    reason = "algorithm is not HS256";
    goto out;
  }
  if (jwt_decode(&j, jwt, tok_conf.key, (int)tok_conf.key_len) != 0 || !j) {
    reason = "bad signature or encoding";
    goto out;
  }
  if (jwt_get_alg(j) != JWT_ALG_HS256) {
    reason = "algorithm is not HS256";
    goto out;
  }
  grants = jwt_get_grants_json(j, NULL); /* malloc'd */
  if (!grants || !(g = parse_object(grants, strlen(grants)))) {
    reason = "claims are not an object";
    goto out;
  }
  reason = check_claims(g, now, &c);
  if (!reason) {
    char *copy = malloc(len);
    if (copy) {
      memcpy(copy, jwt, len);
      free(slot->jwt);
      *slot = (struct tok_cached){copy, len, c};
    }
  }

out:
  json_object_put(g);
  free(grants);
  if (j) jwt_free(j);
  if (why) *why = reason;
  if (reason) return RC_BAD_TOKEN;
  if (out) *out = c;
  return 0;
}

/* --- ES256 for third parties ---------------------------------------------- */

/* der_int: the next DER INTEGER of p[0..n) as 32 big-endian bytes into out
 * (leading zeros dropped or added); the bytes it took, or 0. */
static size_t der_int(const unsigned char *p, size_t n, unsigned char out[32]) {
  if (n < 2 || p[0] != 0x02 || p[1] > n - 2 || p[1] == 0) return 0;
  size_t len = p[1];
  const unsigned char *v = p + 2;
  while (len > 32 && *v == 0)
    v++, len--;
  if (len > 32) return 0;
  memset(out, 0, 32 - len);
  memcpy(out + 32 - len, v, len);
  return (size_t)(v - p) + len;
}

/* jws_raw: an ECDSA signature as JWS wants it. libjwt 1.10 (OpenSSL) writes
 * R||S already; a DER SEQUENCE of two INTEGERs (what OpenSSL itself makes,
 * and older libjwt passed on) is converted. 0 or RC_INTERNAL. */
static int jws_raw(const unsigned char *sig, size_t n, unsigned char raw[64]) {
  if (n == 64) {
    memcpy(raw, sig, 64);
    return 0;
  }
  if (n < 8 || sig[0] != 0x30 || sig[1] != n - 2) return RC_INTERNAL;
  size_t k = der_int(sig + 2, n - 2, raw);
  if (!k || !der_int(sig + 2 + k, n - 2 - k, raw + 32)) return RC_INTERNAL;
  return 0;
}

int tok_es256(struct arena *a, const char *pem, size_t pem_len, const char *kid,
              const char *claims, char **jwt) {
  jwt_t *j = NULL;
  char *enc = NULL;
  int rc = RC_INVALID;
  *jwt = NULL;
  if (!pem || !pem_len || pem_len > 8192 || !kid || !*kid || !claims)
    return RC_INVALID;
  json_object *c = parse_object(claims, strlen(claims));
  if (!c) return RC_INVALID;
  json_object_put(c);
  if (jwt_new(&j) != 0) return RC_INTERNAL;
  if (jwt_add_grants_json(j, claims) || jwt_add_header(j, "kid", kid) ||
      jwt_set_alg(j, JWT_ALG_ES256, (const unsigned char *)pem, (int)pem_len))
    goto out;
  /* libjwt reads the key only when signing: a key it cannot use fails
   * here. */
  if (!(enc = jwt_encode_str(j))) goto out;
  rc = RC_INTERNAL;
  const char *dot = strrchr(enc, '.');
  unsigned char sig[160], raw[64];
  size_t n;
  if (!dot ||
      sodium_base642bin(sig, sizeof sig, dot + 1, strlen(dot + 1), NULL, &n,
                        NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
      jws_raw(sig, n, raw))
    goto out;
  char b64[90];
  bytes_b64url(raw, sizeof raw, b64);
  *jwt = arena_printf(a, "%.*s.%s", (int)(dot - enc), enc, b64);
  rc = *jwt ? 0 : RC_NOMEM;
out:
  free(enc);
  jwt_free(j);
  return rc;
}
