/* test_fetch: what an outbound request may reach, without the network:
 * every special IPv4 and IPv6 range is refused as not public (mapped and
 * NAT64 forms of them too), ordinary addresses pass; URLs that are not
 * https, or whose host is loopback or private, are refused before any
 * connection; an address:port of fetch_allow is reached (and refuses the
 * connection here: nothing listens), the same address on another port is
 * not; a malformed allow list is refused; ES256 tokens carry a 64-byte
 * JWS signature that verifies with the key's public half. */
#include <arpa/inet.h>
#include <jwt.h>
#include <netinet/in.h>
#include <sodium.h>
#include <string.h>
#include <sys/socket.h>

#include "core/arena.h"
#include "core/fetch.h"
#include "core/rc.h"
#include "core/rnd.h"
#include "core/tok.h"

#include "t.h"

static bool pub4(const char *ip) {
  struct sockaddr_in s = {.sin_family = AF_INET};
  inet_pton(AF_INET, ip, &s.sin_addr);
  return fetch_addr_public((struct sockaddr *)&s);
}

static bool pub6(const char *ip) {
  struct sockaddr_in6 s = {.sin6_family = AF_INET6};
  inet_pton(AF_INET6, ip, &s.sin6_addr);
  return fetch_addr_public((struct sockaddr *)&s);
}

static void addresses(void) {
  static const char *const private4[] = {
      "0.0.0.0",        "10.1.2.3",        "100.64.0.1",  "127.0.0.1",
      "127.9.9.9",      "169.254.169.254", "172.16.0.1",  "172.31.255.255",
      "192.0.0.8",      "192.0.2.1",       "192.168.1.1", "198.18.0.1",
      "198.51.100.7",   "203.0.113.9",     "224.0.0.1",   "240.0.0.1",
      "255.255.255.255"};
  for (size_t i = 0; i < sizeof private4 / sizeof private4[0]; i++)
    CHECK(!pub4(private4[i]));
  CHECK(pub4("8.8.8.8"));
  CHECK(pub4("151.101.1.1"));
  CHECK(pub4("172.32.0.1"));
  CHECK(pub4("100.128.0.1"));
  static const char *const private6[] = {"::",
                                         "::1",
                                         "fc00::1",
                                         "fd12::1",
                                         "fe80::1",
                                         "fec0::1",
                                         "ff02::1",
                                         "2001:db8::1",
                                         "::ffff:127.0.0.1",
                                         "::ffff:10.0.0.1",
                                         "64:ff9b::a9fe:a9fe",
                                         "::127.0.0.1",
                                         "2002:7f00:1::1",
                                         "2001:0:4136:e378::1",
                                         "100::1"};
  for (size_t i = 0; i < sizeof private6 / sizeof private6[0]; i++)
    CHECK(!pub6(private6[i]));
  CHECK(pub6("2606:4700::1111"));
  CHECK(pub6("::ffff:8.8.8.8"));
}

static void urls(struct arena *a) {
  struct fetch_resp r;
  const struct fetch_req http = {.url = "http://example.org/"};
  CHECK_INT(fetch(a, &http, &r), RC_FORBIDDEN);
  CHECK(r.error != NULL);
  const struct fetch_req ftp = {.url = "ftp://127.0.0.1/"};
  CHECK_INT(fetch(a, &ftp, &r), RC_FORBIDDEN);
  const struct fetch_req lo = {.url = "https://127.0.0.1:1/x"};
  CHECK_INT(fetch(a, &lo, &r), RC_FORBIDDEN);
  const struct fetch_req local = {.url = "https://localhost:1/x"};
  CHECK_INT(fetch(a, &local, &r), RC_FORBIDDEN);
  const struct fetch_req meta = {.url = "https://169.254.169.254/latest"};
  CHECK_INT(fetch(a, &meta, &r), RC_FORBIDDEN);
  const struct fetch_req v6 = {.url = "https://[::1]:1/"};
  CHECK_INT(fetch(a, &v6, &r), RC_FORBIDDEN);
  const struct fetch_req bad = {.url = "https://"};
  CHECK(fetch(a, &bad, &r) != 0);
  /* the test exception: that address and port only */
  const struct fetch_conf c = {.allow = "127.0.0.1:9,[::1]:9",
                               .connect_timeout_ms = 1000,
                               .timeout_ms = 2000};
  CHECK_INT(fetch_configure(&c), 0);
  const struct fetch_req allowed = {.url = "https://127.0.0.1:9/x"};
  CHECK_INT(fetch(a, &allowed, &r), RC_UNAVAILABLE); /* nothing listens */
  const struct fetch_req other = {.url = "https://127.0.0.1:10/x"};
  CHECK_INT(fetch(a, &other, &r), RC_FORBIDDEN);
  const struct fetch_conf bad_allow = {.allow = "localhost:9"};
  CHECK_INT(fetch_configure(&bad_allow), RC_INVALID);
  const struct fetch_conf no_port = {.allow = "127.0.0.1"};
  CHECK_INT(fetch_configure(&no_port), RC_INVALID);
  fetch_close();
}

/* A P-256 key made for this test only. */
static const char test_key[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgiTC25QdMjN24Uyvp\n"
    "QRhM4QbSHX6neDJ0p/00KLWPVMChRANCAATzEghHfpDuggqBKkrPDkmkHWu4A50X\n"
    "n34y1Mwc0TYNJ1PGvouyF4oyTPUJ6l5ZdHmfO2QYiUuz7bubLsPBl/jW\n"
    "-----END PRIVATE KEY-----\n";
static const char test_pub[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE8xIIR36Q7oIKgSpKzw5JpB1ruAOd\n"
    "F59+MtTMHNE2DSdTxr6LsheKMkz1CepeWXR5nztkGIlLs+27my7DwZf41g==\n"
    "-----END PUBLIC KEY-----\n";

static void es256(struct arena *a) {
  char *jwt = NULL;
  CHECK_INT(tok_es256(a, test_key, strlen(test_key), "ABC123DEFG",
                      "{\"iss\":\"TEAM123456\",\"iat\":1767323045,"
                      "\"exp\":1782875045}",
                      &jwt),
            0);
  CHECK(jwt != NULL);
  const char *dot = jwt ? strrchr(jwt, '.') : NULL;
  unsigned char sig[128];
  size_t n = 0;
  CHECK(dot &&
        sodium_base642bin(sig, sizeof sig, dot + 1, strlen(dot + 1), NULL, &n,
                          NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0);
  CHECK_INT(n, 64); /* JWS: raw R||S, not DER */
  jwt_t *j = NULL;
  CHECK(jwt && jwt_decode(&j, jwt, (const unsigned char *)test_pub,
                          (int)strlen(test_pub)) == 0);
  if (j) {
    CHECK_STR(jwt_get_header(j, "kid"), "ABC123DEFG");
    CHECK_STR(jwt_get_grant(j, "iss"), "TEAM123456");
    CHECK_INT(jwt_get_alg(j), JWT_ALG_ES256);
    jwt_free(j);
  }
  CHECK_INT(tok_es256(a, "not a key", 9, "K", "{}", &jwt), RC_INVALID);
  CHECK_INT(tok_es256(a, test_key, strlen(test_key), "K", "[1]", &jwt),
            RC_INVALID);
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  struct arena *a = arena_new(0);
  CHECK(rnd_init() == 0);
  T_CASE(addresses);
  T_CASE(urls, a);
  T_CASE(es256, a);
  arena_free(a);
  T_DONE();
}
