/* test_push: what encore-push's messages say and how a payload too large
 * for the services is cut (at a character boundary, within the limit),
 * quiet hours across midnight, and the checks of device credentials
 * (https and public endpoints, keys on the curve, token formats). */
#include <stdlib.h>

#include "batch/push/pushrun.h"
#include "core/arena.h"
#include "core/fetch.h"
#include "core/pushcrypto.h"
#include "core/rc.h"
#include "core/rnd.h"
#include "core/str.h"
#include "t.h"

static void texts(struct arena *a) {
  struct pushtext t;
  pushtext_compose(a, PUSH_FOLLOWER, 3, "Ana", NULL, &t);
  CHECK_STR(t.title, "3 new followers");
  CHECK_STR(t.body, "Ana and 2 others followed you");
  pushtext_compose(a, PUSH_FOLLOWER, 1, "Ana", NULL, &t);
  CHECK_STR(t.title, "New follower");
  CHECK_STR(t.body, "Ana followed you");
  pushtext_compose(a, PUSH_PARTY_INVITE, 1, NULL, NULL, &t);
  CHECK_STR(t.urgency, "high");
  pushtext_compose(a, PUSH_DIGEST, 1, NULL, "12 new picks", &t);
  CHECK_STR(t.body, "12 new picks");
  CHECK_STR(t.urgency, "low");
}

/* A payload of 4-byte characters far past the limit: cut to fit, valid
 * UTF-8, ending in an ellipsis, and small ones untouched. */
static void payloads(struct arena *a) {
  struct sbuf b;
  sbuf_init(&b, a);
  for (int i = 0; i < 3000; i++)
    sbuf_adds(&b, "\xf0\x9f\x8e\xb5"); /* U+1F3B5 */
  struct pushrun_item it = {.message_id = 42,
                            .kind = "new_release",
                            .title = b.s,
                            .body = b.s,
                            .count = 1};
  const char *p = pushtext_payload(a, &it, PUSHCRYPTO_PLAIN_MAX);
  CHECK(p != NULL);
  CHECK(p && strlen(p) <= PUSHCRYPTO_PLAIN_MAX);
  CHECK(p && strlen(p) > PUSHCRYPTO_PLAIN_MAX - 200);
  CHECK(p && str_utf8_valid(p, strlen(p)));
  CHECK_HAS(p, "\xe2\x80\xa6\"");
  CHECK_HAS(p, "\"tag\":\"m42\"");
  it.title = "New release";
  it.body = "Lena — Night Drive";
  p = pushtext_payload(a, &it, PUSHCRYPTO_PLAIN_MAX);
  CHECK_HAS(p, "\"body\":\"Lena — Night Drive\"");
  /* and it encrypts within 4096 bytes */
  unsigned char d[32], pub[65], auth[16], *out;
  size_t ol;
  struct pushkey *k = NULL;
  do
    rnd_bytes(d, sizeof d);
  while (pushcrypto_key_raw(d, &k));
  pushcrypto_key_public(k, pub);
  pushcrypto_key_free(k);
  rnd_bytes(auth, sizeof auth);
  it.title = it.body = b.s;
  p = pushtext_payload(a, &it, PUSHCRYPTO_PLAIN_MAX);
  CHECK_INT(pushcrypto_encrypt(a, pub, auth, p, strlen(p), NULL, &out, &ol), 0);
  CHECK(ol <= 4096);
}

static void quiet(void) {
  CHECK(push_quiet(22 * 60, 7 * 60, 23 * 60));
  CHECK(push_quiet(22 * 60, 7 * 60, 3 * 60));
  CHECK(!push_quiet(22 * 60, 7 * 60, 7 * 60));
  CHECK(!push_quiet(22 * 60, 7 * 60, 12 * 60));
  CHECK(push_quiet(9 * 60, 17 * 60, 12 * 60));
  CHECK(!push_quiet(-1, -1, 12 * 60));
}

static int check(const char *type, const char *endpoint, const char *p256dh,
                 const char *auth, const char *token, const char **field) {
  const char *why;
  struct push_device_in in = {.type = type,
                              .endpoint = endpoint,
                              .p256dh = p256dh,
                              .auth = auth,
                              .token = token};
  return push_device_check(&in, field, &why);
}

static void devices(void) {
  const char *f;
  const char *pub = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBH"
                    "m4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
  const char *off = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBH"
                    "m4bjyPjs7Vd8pZGH6SRpkNtoIAiw5";
  const char *auth = "BTBZMqHH6r4Tts7J_aSIgg";
  CHECK_INT(
      check("webpush", "https://push.example.net/s/1", pub, auth, NULL, &f), 0);
  CHECK_INT(
      check("webpush", "http://push.example.net/s/1", pub, auth, NULL, &f),
      RC_INVALID);
  CHECK_STR(f, "endpoint");
  static const char *const private[] = {
      "https://127.0.0.1/x",         "https://10.1.2.3/x",
      "https://[::1]:8443/x",        "https://169.254.169.254/latest",
      "https://localhost/x",         "https://192.168.0.1:443/x",
      "https://[fe80::1]/x",         "https://metadata/x",
      "https://[::ffff:127.0.0.1]/x"};
  for (size_t i = 0; i < sizeof private / sizeof *private; i++) {
    CHECK_INT(check("webpush", private[i], pub, auth, NULL, &f), RC_INVALID);
    CHECK_STR(f, "endpoint");
  }
  CHECK_INT(check("webpush", "https://push.example.net/s", off, auth, NULL, &f),
            RC_INVALID);
  CHECK_STR(f, "keys.p256dh");
  CHECK_INT(
      check("webpush", "https://push.example.net/s", "BCVx", auth, NULL, &f),
      RC_INVALID);
  CHECK_INT(check("webpush", "https://push.example.net/s", pub, "BTBZMqHH6r4Tt",
                  NULL, &f),
            RC_INVALID);
  CHECK_STR(f, "keys.auth");
  char fcm[200];
  memset(fcm, 'a', 160);
  fcm[160] = '\0';
  memcpy(fcm, "dX1:APA91b", 10);
  CHECK_INT(check("fcm", NULL, NULL, NULL, fcm, &f), 0);
  CHECK_INT(check("fcm", NULL, NULL, NULL, "short", &f), RC_INVALID);
  fcm[20] = ' ';
  CHECK_INT(check("fcm", NULL, NULL, NULL, fcm, &f), RC_INVALID);
  CHECK_INT(
      check("apns", NULL, NULL, NULL,
            "0f4a9c1e2b3d4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c",
            &f),
      0);
  CHECK_INT(check("apns", NULL, NULL, NULL, "0f4a9c1e2b3d", &f), RC_INVALID);
  CHECK_INT(
      check("apns", NULL, NULL, NULL,
            "zz4a9c1e2b3d4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c",
            &f),
      RC_INVALID);
  CHECK_INT(check("sms", NULL, NULL, NULL, "x", &f), RC_INVALID);
  CHECK_STR(f, "type");
  /* an address the configuration lets through (the tests' fakes) */
  CHECK_INT(fetch_configure(&(struct fetch_conf){.allow = "127.0.0.1:4443"}),
            0);
  CHECK_INT(
      check("webpush", "https://127.0.0.1:4443/wp/1", pub, auth, NULL, &f), 0);
  CHECK_INT(
      check("webpush", "https://127.0.0.1:4444/wp/1", pub, auth, NULL, &f),
      RC_INVALID);
}

int main(void) {
  CHECK_INT(rnd_init(), 0);
  struct arena *a = arena_new(0);
  texts(a);
  payloads(a);
  quiet();
  devices();
  arena_free(a);
  fetch_close();
  T_DONE();
}
