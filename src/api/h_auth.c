/* h_auth: /api/v1/auth/... — register, login, the OAuth2 token endpoint,
 * refresh, logout, password change and reset. */
#include "api/handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/app.h"
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
#include "model/session.h"
#include "model/user.h"

/* Passwords are bounded again by pw_policy; this cap only keeps absurd
 * strings out of the validator's messages. */
#define PW_FIELD_MAX 4096
/* Reset mails per address per hour. */
#define FORGOT_MAX 3

/* --- login throttling ----------------------------------------------------
 * Failures are counted in fixed windows in memcached, per account (by user
 * id, or by the login string for unknown accounts) and per client IP. */

struct throttle {
  char account[160], ip[96];
  int retry; /* seconds to the end of the window */
};

static void throttle_keys(struct req *r, const char *login, long long uid,
                          struct throttle *t) {
  long long now = (long long)time(NULL), w = app.cfg.login_window;
  long long win = now / w;
  t->retry = (int)((win + 1) * w - now);
  if (uid)
    snprintf(t->account, sizeof t->account, "lf:u:%lld:%lld", uid, win);
  else
    snprintf(t->account, sizeof t->account, "lf:l:%s:%lld", login, win);
  snprintf(t->ip, sizeof t->ip, "lf:i:%s:%lld", req_client_ip(r), win);
}

/* throttled: true when either counter reached its limit. A down cache
 * throttles nothing (nginx still limits per IP). */
static bool throttled(struct req *r, const struct throttle *t) {
  const char *keys[] = {t->account, t->ip};
  char *vals[2];
  size_t lens[2];
  if (kv_mget(app.kv, req_arena(r), keys, 2, vals, lens)) return false;
  return (vals[0] && atoll(vals[0]) >= app.cfg.login_max_account) ||
         (vals[1] && atoll(vals[1]) >= app.cfg.login_max_ip);
}

static void throttle_fail(const struct throttle *t) {
  unsigned long long n;
  kv_incr(app.kv, t->account, app.cfg.login_window, &n);
  kv_incr(app.kv, t->ip, app.cfg.login_window, &n);
}

/* check_login: the user whose username or email and password match.
 * Returns 0, RC_THROTTLED (*retry set), RC_UNAUTHORIZED, or a server code. */
static int check_login(struct req *r, const char *login, const char *password,
                       struct user *u, int *retry) {
  struct throttle t;
  char *lower = arena_strdup(req_arena(r), login);
  if (!lower) return RC_NOMEM;
  str_lower_ascii(lower);
  int rc = user_by_login(app.db, req_arena(r), login, u);
  if (rc && rc != RC_NOT_FOUND) return rc;
  throttle_keys(r, lower, rc ? 0 : u->id, &t);
  *retry = t.retry;
  if (throttled(r, &t)) return RC_THROTTLED;
  if (rc == RC_NOT_FOUND || strlen(password) > PW_MAX_BYTES) {
    pw_dummy_verify(password);
    throttle_fail(&t);
    return RC_UNAUTHORIZED;
  }
  if (pw_verify(u->password_hash, password)) {
    throttle_fail(&t);
    return RC_UNAUTHORIZED;
  }
  return 0;
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
  int rc = session_create(app.db, u->id, req_header(r, "User-Agent"),
                          req_client_ip(r), app.cfg.refresh_ttl, &sid, refresh);
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

int h_auth_register(struct req *r) {
  json_object *body;
  int st;
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

  char hash[PW_HASH_MAX];
  if (pw_hash(password, hash)) return req_problem(r, RC_NOMEM, NULL);
  long long id;
  const char *which = NULL;
  int rc = user_create(app.db, a, username, email, hash,
                       display ? display : username, "user", &id, &which);
  if (rc == RC_CONFLICT)
    return req_problem(r, rc,
                       strcmp(which, "username") == 0
                           ? "this username is taken"
                           : "this email address is already registered");
  struct user u;
  if (rc || (rc = user_get(app.db, a, id, &u))) return req_problem(r, rc, NULL);
  req_set_header(r, "Location",
                 arena_printf(a, "/api/v1/users/%s", u.username));
  return req_reply_json(r, 201, jx_own(a, user_json_private(&u)));
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
  int rc = check_login(r, jx_str(body, "username"), jx_str(body, "password"),
                       &u, &retry);
  if (rc == RC_THROTTLED) {
    req_retry_after(r, retry);
    return req_problem(r, rc, "too many failed logins; try again later");
  }
  if (rc == RC_UNAUTHORIZED)
    return req_problem(r, rc, "the username or password is wrong");
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
    int rc = check_login(r, user, pw, &u, &retry);
    if (rc == RC_THROTTLED) {
      char s[16];
      snprintf(s, sizeof s, "%d", retry);
      req_set_header(r, "Retry-After", s);
      return oauth_error(r, 429, "invalid_request",
                         "too many failed logins; try again later");
    }
    if (rc == RC_UNAUTHORIZED)
      return oauth_error(r, 400, "invalid_grant",
                         "the username or password is wrong");
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
  session_deny_jti(app.kv, c->jti, c->exp);
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_empty(r, 204);
}

int h_auth_logout_all(struct req *r) {
  const struct tok_claims *c = req_auth(r);
  int rc = session_revoke_user(app.db, app.kv, req_arena(r), c->sub, 0);
  session_deny_jti(app.kv, c->jti, c->exp);
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
  int st;
  struct user u;
  const struct tok_claims *c = req_auth(r);
  if ((st = req_body_json(r, &body))) return st;
  if ((st = req_validate(r, body, password_fields, 2))) return st;
  int rc = user_get(app.db, req_arena(r), c->sub, &u);
  if (rc) return req_problem(r, rc == RC_NOT_FOUND ? RC_BAD_TOKEN : rc, NULL);
  if (pw_verify(u.password_hash, jx_str(body, "current_password")))
    return req_problem(r, RC_FORBIDDEN, "the current password is wrong");
  if ((st = set_password(r, &u, "new_password", jx_str(body, "new_password"),
                         c->sid)))
    return st;
  return req_reply_empty(r, 204);
}

/* A reset mail waiting for the response to be sent. */
struct reset_mail {
  const char *to, *username;
  char token[44];
};

static void send_reset_mail(struct req *r, void *arg) {
  struct reset_mail *m = arg;
  const char *body = arena_printf(
      req_arena(r),
      "Hello %s,\r\n\r\n"
      "a password reset was asked for your Encore account.\r\n"
      "Reset token (valid %d minutes, usable once):\r\n\r\n%s\r\n\r\n"
      "Or open %s/reset?token=%s\r\n\r\n"
      "If you did not ask for it, ignore this mail; your password stays as "
      "it is.\r\n",
      m->username, app.cfg.reset_ttl / 60, m->token, app.cfg.public_url,
      m->token);
  if (mail_send(&app.cfg, m->to, "Reset your Encore password", body))
    log_msg(LOG_ERROR, "reset mail not sent", "request_id", req_request_id(r),
            NULL);
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
  int st;
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
  /* Known or not, the answer is the same; only a known address gets mail,
   * at most FORGOT_MAX an hour. */
  int rc = user_by_email(app.db, a, email, &u);
  if (rc && rc != RC_NOT_FOUND) return req_problem(r, rc, NULL);
  if (rc == 0) {
    unsigned long long sent = 0;
    char key[96];
    snprintf(key, sizeof key, "fp:%lld:%lld", u.id,
             (long long)time(NULL) / 3600);
    kv_incr(app.kv, key, 3600, &sent);
    struct reset_mail *m = arena_alloc(a, sizeof *m);
    if (!m) return req_problem(r, RC_NOMEM, NULL);
    if (sent <= FORGOT_MAX &&
        reset_create(app.db, u.id, app.cfg.reset_ttl, m->token) == 0) {
      m->to = u.email;
      m->username = u.username;
      req_after(r, send_reset_mail, m);
    }
  }
  json_object *o = jx_own(a, json_object_new_object());
  jx_add_str(o, "status", "accepted");
  return req_reply_json(r, 202, o);
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
  int rc = reset_lookup(app.db, a, token, &uid);
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
  rc = reset_consume(app.db, a, token, &uid);
  if (rc == RC_BAD_TOKEN)
    return req_problem(r, RC_BAD_REQUEST,
                       "the reset token is invalid, used or expired");
  if (rc) return req_problem(r, rc, NULL);
  if ((st = set_password(r, &u, "new_password", pw, 0))) return st;
  return req_reply_empty(r, 204);
}
