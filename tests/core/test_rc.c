/* test_rc: the result-code table maps codes to HTTP statuses, slugs, titles
 * and names, with safe answers for unknown codes. */
#include "core/rc.h"

#include "t.h"

static void known_codes(void) {
  CHECK_INT(rc_http(RC_OK), 200);
  CHECK_INT(rc_http(RC_BAD_JSON), 400);
  CHECK_INT(rc_http(RC_INVALID), 422);
  CHECK_INT(rc_http(RC_BAD_TOKEN), 401);
  CHECK_INT(rc_http(RC_THROTTLED), 429);
  CHECK_INT(rc_http(RC_DB), 503);
  CHECK_INT(rc_http(RC_NOMEM), 500);
  CHECK_STR(rc_slug(RC_INVALID), "validation");
  CHECK_STR(rc_slug(RC_BAD_JSON), "malformed-json");
  CHECK_STR(rc_title(RC_NOT_FOUND), "Not found");
  CHECK_STR(rc_name(RC_INVALID), "RC_INVALID");
  CHECK_STR(rc_name(RC_UNAVAILABLE), "RC_UNAVAILABLE");
}

static void unknown_codes(void) {
  /* Unknown codes are internal errors, never a crash or NULL. */
  CHECK_INT(rc_http(-999), 500);
  CHECK_INT(rc_http(12345), 500);
  CHECK_STR(rc_slug(-999), "internal");
  CHECK_STR(rc_title(-999), "Internal error");
  CHECK_STR(rc_name(-999), "RC_UNKNOWN");
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  T_CASE(known_codes);
  T_CASE(unknown_codes);
  T_DONE();
}
