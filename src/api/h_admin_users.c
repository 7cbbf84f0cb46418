/* h_admin_users: the administration of accounts under
 * /api/v1/admin/users (admin role, checked by the router): the list and
 * search, one account's detail, suspension and reinstatement, a forced
 * password reset and deletion. Every change is audited. */
#include "api/handlers.h"

#include <string.h>
#include <time.h>

#include "api/app.h"
#include "api/h_admin.h"
#include "api/page.h"
#include "api/req.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/mail.h"
#include "core/rc.h"
#include "core/timefmt.h"
#include "model/accounts.h"
#include "model/mailtoken.h"
#include "model/session.h"
#include "model/user.h"

static const char *const role_words[] = {"user", "editor", "moderator", "admin",
                                         NULL};
static const char *const status_words[] = {"active", "suspended", NULL};
static const char *const sort_words[] = {"newest", "oldest", "username", NULL};

const struct qparam h_admin_users_query[] = {
    Q_PAGE,
    {.name = "q", .kind = Q_TEXT, .min = 1, .max = 64},
    {.name = "role", .kind = Q_WORD, .words = role_words},
    {.name = "status", .kind = Q_WORD, .words = status_words},
    {.name = "created_from", .kind = Q_TIME},
    {.name = "created_to", .kind = Q_TIME},
    {.name = "sort", .kind = Q_WORD, .words = sort_words},
    Q_END,
};

int h_admin_users_list(struct req *r) {
  struct page pg;
  struct arena *a = req_arena(r);
  page_get(r, &pg);
  long long sort = req_qint(r, "sort");
  struct accounts_query q = {
      .q = req_qtext(r, "q"),
      .role = req_qtext(r, "role"),
      .status = req_qtext(r, "status"),
      .from_ms = req_qint(r, "created_from"),
      .to_ms = req_qint(r, "created_to"),
      .sort = sort < 0 ? ACCOUNTS_NEWEST : (enum accounts_sort)sort,
      .after = pg.after,
      .limit = pg.limit,
  };
  json_object *items;
  const char *next;
  int rc = accounts_search(app.db, a, &q, &items, &next);
  if (rc == RC_INVALID) return page_bad_cursor(r);
  if (rc) return req_problem(r, rc, NULL);
  return page_reply(r, jx_own(a, items), next);
}

int h_admin_users_get(struct req *r) {
  struct user u;
  int st;
  json_object *o;
  if ((st = h_admin_target(r, &u))) return st;
  int rc = accounts_detail(app.db, req_arena(r), u.id, &o);
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_json(r, 200, jx_own(req_arena(r), o));
}

static const struct jx_field suspend_fields[] = {
    H_ADMIN_REASON_FIELD(true),
    {.name = "until", .kind = JX_STRING, .min = 1, .max = 64, .nullable = true},
};

/* h_admin_suspend: suspend u for reason until until_ms (0: until
 * reinstated), audited under `action`; shared with moderation's suspend.
 * Replies itself. */
int h_admin_suspend(struct req *r, const struct user *u, const char *reason,
                    long long until_ms, const char *action) {
  int st;
  if ((st = h_admin_keep_admin(r, u, "suspend"))) return st;
  struct arena *a = req_arena(r);
  int rc = accounts_suspend(app.db, app.kv, a, u->id, reason, until_ms);
  char until[32] = "";
  if (until_ms) timefmt_rfc3339(until, sizeof until, until_ms);
  if (!rc)
    rc = h_admin_audit(r, action, "user", u->id, reason,
                       until_ms ? arena_printf(a, "{\"until\":\"%s\"}", until)
                                : NULL);
  if (rc) return req_problem(r, rc, NULL);
  json_object *o;
  if ((rc = accounts_detail(app.db, a, u->id, &o)))
    return req_problem(r, rc, NULL);
  return req_reply_json(r, 200, jx_own(a, o));
}

int h_admin_users_suspend(struct req *r) {
  json_object *body;
  struct user u;
  int st;
  if ((st = req_body_json(r, &body))) return st;
  if ((st = req_validate(r, body, suspend_fields, 2))) return st;
  long long until = 0;
  const char *until_text = jx_str(body, "until");
  if (until_text && (timefmt_parse(until_text, &until) ||
                     until <= (long long)time(NULL) * 1000)) {
    struct jx_errors errs = {0};
    jx_error_add(&errs, "until", "must be an RFC 3339 time in the future");
    return req_problem_fields(r, &errs);
  }
  if ((st = h_admin_target(r, &u))) return st;
  return h_admin_suspend(r, &u, jx_str(body, "reason"), until, "user.suspend");
}

int h_admin_users_reinstate(struct req *r) {
  struct user u;
  int st;
  if ((st = h_admin_target(r, &u))) return st;
  int rc = accounts_reinstate(app.db, u.id);
  if (rc == RC_NOT_FOUND)
    return req_problem(r, rc, "the account is not suspended");
  if (!rc) rc = h_admin_audit(r, "user.reinstate", "user", u.id, NULL, NULL);
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_empty(r, 204);
}

/* --- forced password reset ------------------------------------------------ */

struct reset_mail {
  const char *to, *body;
};

static void send_reset(struct req *r, void *arg) {
  const struct reset_mail *m = arg;
  if (mail_send(&app.cfg, m->to, "Your Encore password was reset", m->body))
    log_msg(LOG_ERROR, "mail not sent", "request_id", req_request_id(r),
            "subject", "password reset by an administrator", NULL);
}

static const struct jx_field reason_fields[] = {H_ADMIN_REASON_FIELD(false)};

/* optional_reason: the body's reason, when a body was sent. Replies itself
 * for a bad body (returns the status). */
static int optional_reason(struct req *r, const char **reason) {
  const char *raw;
  size_t len;
  json_object *body;
  int st;
  *reason = NULL;
  req_body_raw(r, &raw, &len);
  if (!len) return 0;
  if ((st = req_body_json(r, &body))) return st;
  if ((st = req_validate(r, body, reason_fields, 1))) return st;
  *reason = jx_str(body, "reason");
  return 0;
}

int h_admin_users_reset(struct req *r) {
  struct user u;
  const char *reason;
  int st;
  struct arena *a = req_arena(r);
  if ((st = optional_reason(r, &reason))) return st;
  if ((st = h_admin_target(r, &u))) return st;
  /* The old password stops working now (no hash verifies "!"), every
   * session ends, and the owner gets a reset token by mail. */
  char token[44];
  int rc = user_set_password(app.db, app.kv, u.id, "!");
  if (!rc) rc = session_revoke_user(app.db, app.kv, a, u.id, 0);
  if (!rc)
    rc = mailtoken_create(app.db, u.id, MAILTOKEN_RESET, app.cfg.reset_ttl,
                          token);
  if (!rc)
    rc = h_admin_audit(r, "user.password_reset", "user", u.id, reason, NULL);
  if (rc) return req_problem(r, rc, NULL);
  struct reset_mail *m = arena_alloc(a, sizeof *m);
  if (!m) return req_problem(r, RC_NOMEM, NULL);
  *m = (struct reset_mail){
      .to = u.email,
      .body = arena_printf(
          a,
          "Hello %s,\r\n\r\nan Encore administrator reset the password of "
          "your account; your sessions were ended.\r\n"
          "Reset token (valid %d minutes, usable once):\r\n\r\n%s\r\n\r\n"
          "Or open %s/reset?token=%s\r\n",
          u.username, app.cfg.reset_ttl / 60, token, app.cfg.public_url, token),
  };
  if (!m->body) return req_problem(r, RC_NOMEM, NULL);
  req_after(r, send_reset, m);
  return req_reply_empty(r, 204);
}

int h_admin_users_delete(struct req *r) {
  struct user u;
  const char *reason;
  int st;
  if ((st = optional_reason(r, &reason))) return st;
  if ((st = h_admin_target(r, &u))) return st;
  if ((st = h_admin_keep_admin(r, &u, "delete"))) return st;
  /* The entry keeps the account's name and id after it is gone. */
  int rc =
      accounts_erase(app.db, app.kv, req_arena(r), app.cfg.media_dir, u.id);
  if (!rc)
    rc = h_admin_audit(
        r, "user.delete", "user", u.id, reason,
        arena_printf(req_arena(r), "{\"username\":\"%s\"}", u.username));
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_empty(r, 204);
}
