/* guard: throttles of password checks, registrations and mails; see
 * guard.h.
 *
 * A password guess is counted three ways. Per account and client address,
 * a few free failures, then waits that double: the one who types a password
 * wrong waits seconds, a guesser from one address soon waits 15 minutes a
 * try. Per address, across accounts, a higher ceiling (one address spraying
 * many accounts). Per account, across addresses, a much higher ceiling
 * (guessing from many addresses), which does not apply to an address that
 * has opened a session of the account before: a stranger can make a login
 * slower, never lock the owner out. Unknown accounts are counted under the
 * login name given, so their answers cannot be told apart. */
#include "api/guard.h"

#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/req.h"
#include "core/arena.h"
#include "core/metrics.h"
#include "core/pw.h"
#include "core/rc.h"
#include "core/str.h"
#include "model/accounts.h"
#include "model/scrobble.h"
#include "model/session.h"
#include "model/throttle.h"
#include "model/user.h"

/* The policy. Every `quiet` is longer than its `cap`, so that waiting out
 * the longest wait does not also reset the count. The free events of the
 * login and registration rules are settings (cfg.h: login_free,
 * login_free_address, login_free_account, register_free). */
#define LOGIN_RULE(name)                                                       \
  { .scope = name, .base = 1, .cap = 900, .quiet = 3600 }
static const struct throttle_rule register_address = {
    .scope = "register_a", .base = 60, .cap = 3600, .quiet = 7200};
static const struct throttle_rule forgot_address = {
    .scope = "forgot_a", .free = 10, .base = 60, .cap = 3600, .quiet = 7200};
/* At most 10 comments a minute (a window, not a doubling wait). */
static const struct throttle_rule comment_account = {
    .scope = "comment_u", .free = 10, .window = 60};
static const struct throttle_rule mail_account = {
    .scope = "mail_u", .free = 3, .base = 3600, .cap = 3600, .quiet = 7200};

/* check: the three-way throttled password check behind guard_login and
 * guard_password. u is NULL for an unknown login (whose name is `login`).
 * With `token` set, `password` is Last.fm's authToken for the account
 * (model/scrobble.h), checked against its verifier instead. */
static int check(struct req *r, const char *login, const struct user *u,
                 const char *password, bool token, int *retry) {
  struct arena *a = req_arena(r);
  const char *ip = req_client_ip(r);
  const char *account =
      u ? arena_printf(a, "u:%lld", u->id) : arena_printf(a, "l:%s", login);
  if (!account) return RC_NOMEM;
  struct throttle_rule login_account_address = LOGIN_RULE("login_ua"),
                       login_address = LOGIN_RULE("login_a"),
                       login_account = LOGIN_RULE("login_u");
  login_account_address.free = app.cfg.login_free;
  login_address.free = app.cfg.login_free_address;
  login_account.free = app.cfg.login_free_account;
  struct throttle_key keys[] = {
      {&login_account_address, arena_printf(a, "%s|%s", account, ip)},
      {&login_address, ip},
      {&login_account, account},
  };
  if (!keys[0].subject) return RC_NOMEM;
  int wait, waits[3];
  int rc = throttle_wait(app.db, a, keys, 3, &wait, waits);
  if (rc) return rc;
  *retry = waits[0] > waits[1] ? waits[0] : waits[1];
  if (!*retry && waits[2]) {
    bool known = false;
    if (u && (rc = session_known_address(app.db, a, u->id, ip, &known)))
      return rc;
    if (!known) *retry = waits[2];
  }
  if (*retry) return RC_THROTTLED;

  bool ok;
  if (!u || strlen(password) > PW_MAX_BYTES) {
    pw_dummy_verify(password);
    ok = false;
  } else {
    /* A pending account answers as a wrong password would, and counts as
     * one: otherwise registering an address and logging in would tell
     * whether it was taken. */
    ok = (token ? scrobble_verifier_check(app.db, a, u->id, password)
                : pw_verify(u->password_hash, password)) == 0 &&
         u->confirmed;
  }
  if (!ok) {
    if ((rc = throttle_hit(app.db, keys, 3))) return rc;
    return RC_UNAUTHORIZED;
  }
  /* The password proven: Last.fm clients may now sign in with the
   * authToken made from it (a no-op while it is current). */
  if (!token)
    scrobble_verifier_note(app.db, a, u->id, u->username, password,
                           u->password_hash);
  return throttle_clear(app.db, &keys[0]);
}

int guard_login(struct req *r, const char *login, const char *password,
                struct user *u, int *retry) {
  char *lower = arena_strdup(req_arena(r), login);
  if (!lower) return RC_NOMEM;
  str_lower_ascii(lower);
  int rc = user_by_login(app.db, req_arena(r), login, u);
  if (rc && rc != RC_NOT_FOUND) return rc;
  rc = check(r, lower, rc ? NULL : u, password, false, retry);
  /* Only the one who knows the password learns of a suspension. */
  if (rc == 0) rc = guard_suspended(r, u->id);
  if (rc == 0)
    metrics_count(METRICS_LOGINS, 1);
  else if (rc == RC_THROTTLED)
    metrics_count(METRICS_LOGIN_THROTTLED, 1);
  else if (rc == RC_UNAUTHORIZED)
    metrics_count(METRICS_LOGIN_FAILURES, 1);
  return rc;
}

int guard_suspended(struct req *r, long long user_id) {
  struct suspension s;
  int rc = accounts_suspension(app.db, req_arena(r), user_id, &s);
  if (rc == RC_NOT_FOUND) return 0;
  return rc ? rc : RC_SUSPENDED;
}

const char *guard_suspended_detail(struct req *r, long long user_id) {
  struct suspension s;
  struct arena *a = req_arena(r);
  if (accounts_suspension(app.db, a, user_id, &s)) return "";
  return arena_printf(a, "the account is suspended%s%s: %s",
                      s.until ? " until " : "", s.until ? s.until : "",
                      s.reason);
}

int guard_password(struct req *r, const struct user *u, const char *password,
                   int *retry) {
  return check(r, NULL, u, password, false, retry);
}

int guard_auth_token(struct req *r, const char *username,
                     const char *auth_token, struct user *u, int *retry) {
  char *lower = arena_strdup(req_arena(r), username);
  if (!lower) return RC_NOMEM;
  str_lower_ascii(lower);
  int rc = user_by_username(app.db, req_arena(r), username, u);
  if (rc && rc != RC_NOT_FOUND) return rc;
  rc = check(r, lower, rc ? NULL : u, auth_token, true, retry);
  /* As guard_login: only the one who knows the password learns of it. */
  return rc ? rc : guard_suspended(r, u->id);
}

int guard_event(struct req *r, enum guard_event ev, long long user_id,
                int *retry) {
  struct arena *a = req_arena(r);
  struct throttle_key k;
  struct throttle_rule reg = register_address;
  reg.free = app.cfg.register_free;
  switch (ev) {
  case GUARD_REGISTER:
    k = (struct throttle_key){&reg, req_client_ip(r)};
    break;
  case GUARD_FORGOT:
    k = (struct throttle_key){&forgot_address, req_client_ip(r)};
    break;
  case GUARD_COMMENT:
    k = (struct throttle_key){&comment_account,
                              arena_printf(a, "u:%lld", user_id)};
    break;
  default:
    k = (struct throttle_key){&mail_account,
                              arena_printf(a, "u:%lld", user_id)};
    break;
  }
  if (!k.subject) return RC_NOMEM;
  int rc = throttle_wait(app.db, a, &k, 1, retry, NULL);
  if (rc) return rc;
  if (*retry) return RC_THROTTLED;
  return throttle_hit(app.db, &k, 1);
}
