/* h_auth: /api/v1/auth/... — register and confirm, login, the OAuth2 token
 * endpoint, refresh, logout, password change and reset. Every password
 * check and every mail goes through guard.h's throttles. */
#include "api/handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/app.h"
#include "api/guard.h"
#include "api/req.h"
#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/kv.h"
#include "core/log.h"
#include "core/mail.h"
#include "core/pw.h"
#include "core/rc.h"
#include "core/str.h"
#include "core/tok.h"
#include "model/mailtoken.h"
#include "model/session.h"
#include "model/user.h"

/* Passwords are bounded again by pw_policy; this cap only keeps absurd
 * strings out of the validator's messages. */
#define PW_FIELD_MAX 4096
/* The one answer to a failed login: an unknown account, a wrong password and
 * an address not yet confirmed are not told apart. */
#define LOGIN_WRONG                                                            \
  "the username or password is wrong, or the account's email address is "      \
  "not confirmed yet"

/* throttled: the 429 of a guard, with Retry-After. */
static int throttled(struct req *r, int retry, const char *detail) {
  req_retry_after(r, retry);
  return req_problem(r, RC_THROTTLED, detail);
}

/* --- token responses --- */

/* reply_tokens: an access token for the session plus its refresh token, in
 * the RFC 6749 shape. */
static int reply_tokens(struct req *r, long long uid, const char *role,
                        long long sid, const char *refresh) {
  char *jwt = NULL;
  if (tok_issue(req_arena(r), (long long)time(NULL), uid, sid, role, &jwt,
                NULL))
    return req_problem(r, RC_INTERNAL, NULL);
  json_object *o = jx_own(req_arena(r), json_object_new_object());
  jx_add_str(o, "access_token", jwt);
  jx_add_str(o, "token_type", "Bearer");
  jx_add_int(o, "expires_in", app.cfg.access_ttl);
  jx_add_str(o, "refresh_token", refresh);
  jx_add_str(o, "scope", "");
  req_set_header(r, "Cache-Control", "no-store");
  return req_reply_json(r, 200, o);
}

/* start_session: a new session for u answered with its tokens. */
static int start_session(struct req *r, const struct user *u) {
  long long sid;
  char refresh[44];
  struct session_start s = {.user_id = u->id,
                            .user_agent = req_header(r, "User-Agent"),
                            .ip = req_client_ip(r),
                            .ttl = app.cfg.refresh_ttl};
  int rc = session_create(app.db, app.kv, req_arena(r), &s, &sid, refresh);
  if (rc) return req_problem(r, rc, NULL);
  return reply_tokens(r, u->id, u->role, sid, refresh);
}

/* rotate: exchange a refresh token; RC_BAD_TOKEN or a server code on
 * failure, having replied nothing. */
static int rotate(struct req *r, const char *refresh, int *status) {
  long long sid, uid;
  char next[44];
  const char *role = NULL;
  int rc = session_rotate(app.db, app.kv, req_arena(r), refresh,
                          app.cfg.refresh_ttl, &sid, &uid, next);
  if (rc == 0) rc = user_role(app.db, req_arena(r), uid, &role);
  if (rc == RC_NOT_FOUND) rc = RC_BAD_TOKEN;
  if (rc) return rc;
  *status = reply_tokens(r, uid, role, sid, next);
  return 0;
}

/* --- register --- */

static const struct jx_field register_fields[] = {
    {.name = "username",
     .kind = JX_STRING,
     .required = true,
     .min = 1,
     .max = 64},
    {.name = "email",
     .kind = JX_STRING,
     .required = true,
     .min = 1,
     .max = 254},
    {.name = "password",
     .kind = JX_STRING,
     .required = true,
     .min = 1,
     .max = PW_FIELD_MAX},
    {.name = "display_name",
     .kind = JX_STRING,
     .min = 1,
     .max = 64,
     .nullable = true},
};

/* --- mail ---------------------------------------------------------------
 * Mail is composed during the request and sent after the response (SMTP may
 * take seconds); a token in it never reaches a log line. */

struct outmail {
  const char *to, *subject, *body;
};

static void send_mail(struct req *r, void *arg) {
  const struct outmail *m = arg;
  if (mail_send(&app.cfg, m->to, m->subject, m->body))
    log_msg(LOG_ERROR, "mail not sent", "request_id", req_request_id(r),
            "subject", m->subject, NULL);
}

/* mail_later: send a mail to u's address after the response, unless the
 * account had its share of mails lately (then nothing is sent, and the
 * answer stays the same). */
static int mail_later(struct req *r, const struct user *u, const char *subject,
                      const char *body) {
  int retry, rc = guard_event(r, GUARD_MAIL, u->id, &retry);
  if (rc == RC_THROTTLED) return 0;
  if (rc) return rc;
  struct outmail *m = arena_alloc(req_arena(r), sizeof *m);
  if (!m || !body) return RC_NOMEM;
  *m = (struct outmail){.to = u->email, .subject = subject, .body = body};
  req_after(r, send_mail, m);
  return 0;
}

/* accepted: the one answer of a registration, a reset request and a
 * confirmation resend, whatever the address. */
static int accepted(struct req *r) {
  json_object *o = jx_own(req_arena(r), json_object_new_object());
  jx_add_str(o, "status", "accepted");
  return req_reply_json(r, 202, o);
}

/* mail_confirm: a confirmation token for the pending account u, mailed. */
static int mail_confirm(struct req *r, const struct user *u) {
  char token[44];
  int rc = mailtoken_create(app.db, u->id, MAILTOKEN_CONFIRM,
                            app.cfg.confirm_ttl, token);
  if (rc) return rc;
  return mail_later(
      r, u, "Confirm your Encore account",
      arena_printf(req_arena(r),
                   "Hello %s,\r\n\r\n"
                   "an Encore account was registered with this address.\r\n"
                   "Confirmation token (valid %d hours, usable once):\r\n\r\n"
                   "%s\r\n\r\nOr open %s/confirm?token=%s\r\n\r\n"
                   "If it was not you, ignore this mail: the account is "
                   "deleted unless confirmed.\r\n",
                   u->username, app.cfg.confirm_ttl / 3600, token,
                   app.cfg.public_url, token));
}

/* mail_taken: tell the owner of an address that someone tried to register
 * it again (perhaps they forgot they have an account, or someone else
 * registered their address and it waits for a confirmation). */
static int mail_taken(struct req *r, const struct user *u) {
  struct arena *a = req_arena(r);
  const char *next =
      u->confirmed
          ? arena_printf(a,
                         "If it was you, log in, or ask for a password reset "
                         "at %s/forgot.",
                         app.cfg.public_url)
          : arena_printf(a,
                         "That account is not confirmed yet. If you did not "
                         "make it, ignore it: it is deleted unless confirmed. "
                         "To take it over, ask for a password reset at "
                         "%s/forgot.",
                         app.cfg.public_url);
  return mail_later(
      r, u, "Your Encore account",
      arena_printf(a,
                   "Hello,\r\n\r\n"
                   "someone tried to register a new Encore account with this "
                   "address, which already has one, named %s.\r\n%s\r\n"
                   "Nothing else has changed.\r\n",
                   u->username, next ? next : ""));
}

/* --- register and confirm --- */

/* register_account: create the pending account and mail its token, or, when
 * the address is taken, mail its owner. The caller answers the same in
 * both cases; only a taken username (public anyway) is told. */
static int register_account(struct req *r, const struct user_new *n) {
  struct arena *a = req_arena(r);
  long long id;
  const char *which = NULL;
  struct user u;
  int rc = user_drop_expired_pending(app.db, n->username, n->email);
  if (!rc) rc = user_create(app.db, a, n, &id, &which);
  if (rc == RC_CONFLICT && strcmp(which, "email") == 0) {
    if ((rc = user_by_email(app.db, a, n->email, &u))) return rc;
    return mail_taken(r, &u);
  }
  if (rc) return rc;
  if ((rc = user_get(app.db, a, id, &u))) return rc;
  return mail_confirm(r, &u);
}

int h_auth_register(struct req *r) {
  json_object *body;
  int st, retry;
  if ((st = req_body_json(r, &body))) return st;
  if ((st = req_validate(r, body, register_fields, 4))) return st;

  struct arena *a = req_arena(r);
  const char *username = jx_str(body, "username");
  char *email = arena_strdup(a, jx_str(body, "email"));
  const char *password = jx_str(body, "password");
  const char *display = jx_str(body, "display_name");
  const char *why = NULL;
  struct jx_errors errs = {0};
  str_lower_ascii(email);
  if (!user_name_valid(username))
    jx_error_add(&errs, "username", "must be 3 to 32 letters, digits or _");
  if (!user_email_valid(email))
    jx_error_add(&errs, "email", "must be an email address");
  if (pw_policy(password, username, email, &why))
    jx_error_add(&errs, "password", why);
  if (errs.n) return req_problem_fields(r, &errs);

  int rc = guard_event(r, GUARD_REGISTER, 0, &retry);
  if (rc == RC_THROTTLED)
    return throttled(r, retry, "too many registrations; try again later");
  if (rc) return req_problem(r, rc, NULL);
  /* Hashed whether or not the account will be made: the answer takes as
   * long either way. */
  char hash[PW_HASH_MAX];
  if (pw_hash(password, hash)) return req_problem(r, RC_NOMEM, NULL);
  struct user_new n = {.username = username,
                       .email = email,
                       .pw_hash = hash,
                       .display_name = display ? display : username,
                       .confirm_ttl = app.cfg.confirm_ttl};
  rc = register_account(r, &n);
  if (rc == RC_CONFLICT) return req_problem(r, rc, "this username is taken");
  if (rc) return req_problem(r, rc, NULL);
  return accepted(r);
}

static const struct jx_field token_fields[] = {
    {.name = "token",
     .kind = JX_STRING,
     .required = true,
     .min = 1,
     .max = 128},
};

int h_auth_confirm(struct req *r) {
  json_object *body;
  int st;
  long long uid;
  if ((st = req_body_json(r, &body))) return st;
  if ((st = req_validate(r, body, token_fields, 1))) return st;
  int rc = mailtoken_consume(app.db, req_arena(r), jx_str(body, "token"),
                             MAILTOKEN_CONFIRM, &uid);
  if (rc == RC_BAD_TOKEN)
    return req_problem(r, RC_BAD_REQUEST,
                       "the confirmation token is invalid, used or expired");
  if (!rc) rc = user_confirm(app.db, app.kv, uid);
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_empty(r, 204);
}

/* --- login and the token endpoint --- */

static const struct jx_field login_fields[] = {
    {.name = "username",
     .kind = JX_STRING,
     .required = true,
     .min = 1,
     .max = 254},
    {.name = "password",
     .kind = JX_STRING,
     .required = true,
     .min = 1,
     .max = PW_FIELD_MAX},
};

int h_auth_login(struct req *r) {
  json_object *body;
  int st, retry = 0;
  struct user u;
  if ((st = req_body_json(r, &body))) return st;
  if ((st = req_validate(r, body, login_fields, 2))) return st;
  int rc = guard_login(r, jx_str(body, "username"), jx_str(body, "password"),
                       &u, &retry);
  if (rc == RC_THROTTLED)
    return throttled(r, retry, "too many failed logins; try again later");
  if (rc == RC_UNAUTHORIZED) return req_problem(r, rc, LOGIN_WRONG);
  if (rc == RC_SUSPENDED)
    return req_problem(r, rc, guard_suspended_detail(r, u.id));
  if (rc) return req_problem(r, rc, NULL);
  return start_session(r, &u);
}

/* oauth_error: an RFC 6749 section 5.2 error body. */
static int oauth_error(struct req *r, int status, const char *error,
                       const char *description) {
  json_object *o = jx_own(req_arena(r), json_object_new_object());
  jx_add_str(o, "error", error);
  jx_add_str(o, "error_description", description);
  req_set_header(r, "Cache-Control", "no-store");
  req_set_error(r, error);
  return req_reply_json(r, status, o);
}

static bool text_ok(const char *s, size_t max) {
  return s && *s && strlen(s) <= max;
}

int h_auth_token(struct req *r) {
  int st, retry = 0;
  if ((st = req_body_form(r))) return st;
  const char *grant = req_form(r, "grant_type");
  if (!grant)
    return oauth_error(r, 400, "invalid_request", "grant_type is required");

  if (strcmp(grant, "password") == 0) {
    const char *user = req_form(r, "username"), *pw = req_form(r, "password");
    struct user u;
    if (!text_ok(user, 254) || !text_ok(pw, PW_FIELD_MAX))
      return oauth_error(r, 400, "invalid_request",
                         "username and password are required");
    int rc = guard_login(r, user, pw, &u, &retry);
    if (rc == RC_THROTTLED) {
      char s[16];
      snprintf(s, sizeof s, "%d", retry);
      req_set_header(r, "Retry-After", s);
      return oauth_error(r, 429, "invalid_request",
                         "too many failed logins; try again later");
    }
    if (rc == RC_UNAUTHORIZED)
      return oauth_error(r, 400, "invalid_grant", LOGIN_WRONG);
    if (rc == RC_SUSPENDED)
      return oauth_error(r, 400, "invalid_grant",
                         guard_suspended_detail(r, u.id));
    if (rc) return req_problem(r, rc, NULL);
    return start_session(r, &u);
  }
  if (strcmp(grant, "refresh_token") == 0) {
    const char *refresh = req_form(r, "refresh_token");
    if (!text_ok(refresh, 128))
      return oauth_error(r, 400, "invalid_request",
                         "refresh_token is required");
    int rc = rotate(r, refresh, &st);
    if (rc == RC_BAD_TOKEN)
      return oauth_error(r, 400, "invalid_grant",
                         "the refresh token is invalid, expired or revoked");
    if (rc) return req_problem(r, rc, NULL);
    return st;
  }
  return oauth_error(r, 400, "unsupported_grant_type",
                     "grant_type must be password or refresh_token");
}

static const struct jx_field refresh_fields[] = {
    {.name = "refresh_token",
     .kind = JX_STRING,
     .required = true,
     .min = 1,
     .max = 128},
};

int h_auth_refresh(struct req *r) {
  json_object *body;
  int st;
  if ((st = req_body_json(r, &body))) return st;
  if ((st = req_validate(r, body, refresh_fields, 1))) return st;
  int rc = rotate(r, jx_str(body, "refresh_token"), &st);
  if (rc == RC_BAD_TOKEN)
    return req_problem(r, rc,
                       "the refresh token is invalid, expired or revoked");
  if (rc) return req_problem(r, rc, NULL);
  return st;
}

/* --- logout --- */

int h_auth_logout(struct req *r) {
  const struct tok_claims *c = req_auth(r);
  int rc = session_revoke(app.db, app.kv, c->sid);
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_empty(r, 204);
}

int h_auth_logout_all(struct req *r) {
  const struct tok_claims *c = req_auth(r);
  int rc = session_revoke_user(app.db, app.kv, req_arena(r), c->sub, 0);
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_empty(r, 204);
}

/* --- password change and reset --- */

/* set_password: check the policy for u, store the new hash and revoke the
 * user's sessions but keep_sid. Replies on failure (returns the status). */
static int set_password(struct req *r, const struct user *u, const char *field,
                        const char *password, long long keep_sid) {
  const char *why = NULL;
  if (pw_policy(password, u->username, u->email, &why)) {
    struct jx_errors errs = {.n = 1, .e = {{field, why}}};
    return req_problem_fields(r, &errs);
  }
  char hash[PW_HASH_MAX];
  if (pw_hash(password, hash)) return req_problem(r, RC_NOMEM, NULL);
  int rc = user_set_password(app.db, app.kv, u->id, hash);
  if (!rc)
    rc = session_revoke_user(app.db, app.kv, req_arena(r), u->id, keep_sid);
  /* A reset came through the mailbox: the address is confirmed. */
  if (!rc && !u->confirmed) rc = user_confirm(app.db, app.kv, u->id);
  if (rc) return req_problem(r, rc, NULL);
  return 0;
}

static const struct jx_field password_fields[] = {
    {.name = "current_password",
     .kind = JX_STRING,
     .required = true,
     .min = 1,
     .max = PW_FIELD_MAX},
    {.name = "new_password",
     .kind = JX_STRING,
     .required = true,
     .min = 1,
     .max = PW_FIELD_MAX},
};

int h_auth_password(struct req *r) {
  json_object *body;
  int st, retry;
  struct user u;
  const struct tok_claims *c = req_auth(r);
  if ((st = req_body_json(r, &body))) return st;
  if ((st = req_validate(r, body, password_fields, 2))) return st;
  int rc = user_get(app.db, req_arena(r), c->sub, &u);
  if (rc) return req_problem(r, rc == RC_NOT_FOUND ? RC_BAD_TOKEN : rc, NULL);
  rc = guard_password(r, &u, jx_str(body, "current_password"), &retry);
  if (rc == RC_THROTTLED)
    return throttled(r, retry, "too many wrong passwords; try again later");
  if (rc == RC_UNAUTHORIZED)
    return req_problem(r, RC_FORBIDDEN, "the current password is wrong");
  if (rc) return req_problem(r, rc, NULL);
  if ((st = set_password(r, &u, "new_password", jx_str(body, "new_password"),
                         c->sid)))
    return st;
  return req_reply_empty(r, 204);
}

/* mail_reset: a reset token for u, mailed. */
static int mail_reset(struct req *r, const struct user *u) {
  char token[44];
  int rc = mailtoken_create(app.db, u->id, MAILTOKEN_RESET, app.cfg.reset_ttl,
                            token);
  if (rc) return rc;
  return mail_later(
      r, u, "Reset your Encore password",
      arena_printf(req_arena(r),
                   "Hello %s,\r\n\r\n"
                   "a password reset was asked for your Encore account.\r\n"
                   "Reset token (valid %d minutes, usable once):\r\n\r\n%s"
                   "\r\n\r\nOr open %s/reset?token=%s\r\n\r\n"
                   "If you did not ask for it, ignore this mail; your "
                   "password stays as it is.\r\n",
                   u->username, app.cfg.reset_ttl / 60, token,
                   app.cfg.public_url, token));
}

static const struct jx_field forgot_fields[] = {
    {.name = "email",
     .kind = JX_STRING,
     .required = true,
     .min = 1,
     .max = 254},
};

int h_auth_forgot(struct req *r) {
  json_object *body;
  int st, retry;
  struct user u;
  struct arena *a = req_arena(r);
  if ((st = req_body_json(r, &body))) return st;
  if ((st = req_validate(r, body, forgot_fields, 1))) return st;
  char *email = arena_strdup(a, jx_str(body, "email"));
  str_lower_ascii(email);
  if (!user_email_valid(email)) {
    struct jx_errors errs = {.n = 1,
                             .e = {{"email", "must be an email address"}}};
    return req_problem_fields(r, &errs);
  }
  int rc = guard_event(r, GUARD_FORGOT, 0, &retry);
  if (rc == RC_THROTTLED)
    return throttled(r, retry, "too many reset requests; try again later");
  if (rc) return req_problem(r, rc, NULL);
  /* Known or not, the answer is the same; only a known address gets mail
   * (mail_later's limit per account). */
  rc = user_by_email(app.db, a, email, &u);
  if (rc == 0) rc = mail_reset(r, &u);
  if (rc && rc != RC_NOT_FOUND) return req_problem(r, rc, NULL);
  return accepted(r);
}

static const struct jx_field reset_fields[] = {
    {.name = "token",
     .kind = JX_STRING,
     .required = true,
     .min = 1,
     .max = 128},
    {.name = "new_password",
     .kind = JX_STRING,
     .required = true,
     .min = 1,
     .max = PW_FIELD_MAX},
};

int h_auth_reset(struct req *r) {
  json_object *body;
  int st;
  long long uid = 0;
  struct user u;
  struct arena *a = req_arena(r);
  if ((st = req_body_json(r, &body))) return st;
  if ((st = req_validate(r, body, reset_fields, 2))) return st;
  const char *token = jx_str(body, "token");
  int rc = mailtoken_lookup(app.db, a, token, MAILTOKEN_RESET, &uid);
  if (rc == 0) rc = user_get(app.db, a, uid, &u);
  if (rc == RC_BAD_TOKEN || rc == RC_NOT_FOUND)
    return req_problem(r, RC_BAD_REQUEST,
                       "the reset token is invalid, used or expired");
  if (rc) return req_problem(r, rc, NULL);
  const char *why = NULL;
  const char *pw = jx_str(body, "new_password");
  if (pw_policy(pw, u.username, u.email, &why)) {
    struct jx_errors errs = {.n = 1, .e = {{"new_password", why}}};
    return req_problem_fields(r, &errs);
  }
  /* Use the token for real now: of two racing resets only one passes. */
  rc = mailtoken_consume(app.db, a, token, MAILTOKEN_RESET, &uid);
  if (rc == RC_BAD_TOKEN)
    return req_problem(r, RC_BAD_REQUEST,
                       "the reset token is invalid, used or expired");
  if (rc) return req_problem(r, rc, NULL);
  if ((st = set_password(r, &u, "new_password", pw, 0))) return st;
  return req_reply_empty(r, 204);
}
