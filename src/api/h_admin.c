/* h_admin: role changes and the audit log (admin role only, checked by the
 * router), and what every administration handler shares (h_admin.h). */
#include "api/h_admin.h"

#include <string.h>

#include "api/app.h"
#include "api/handlers.h"
#include "api/page.h"
#include "api/req.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/rc.h"
#include "model/accounts.h"
#include "model/audit.h"
#include "model/user.h"

int h_admin_audit(struct req *r, const char *action, const char *object_type,
                  long long object_id, const char *reason, const char *detail) {
  return audit_add(app.db, &(struct audit_entry){
                               .actor_id = req_user_id(r),
                               .action = action,
                               .object_type = object_type,
                               .object_id = object_id,
                               .reason = reason,
                               .detail = detail,
                               .ip = req_client_ip(r),
                           });
}

int h_admin_target(struct req *r, struct user *u) {
  int rc = user_by_username(app.db, req_arena(r), req_param(r, "username"), u);
  if (rc == RC_NOT_FOUND) return req_problem(r, rc, "no such user");
  return rc ? req_problem(r, rc, NULL) : 0;
}

int h_admin_keep_admin(struct req *r, const struct user *u, const char *what) {
  if (u->id == req_user_id(r))
    return req_problem(r, RC_CONFLICT,
                       arena_printf(req_arena(r),
                                    "administrators cannot %s themselves",
                                    what));
  if (strcmp(u->role, "admin") != 0) return 0;
  long long admins;
  int rc = accounts_admins(app.db, req_arena(r), &admins);
  if (rc) return req_problem(r, rc, NULL);
  if (admins <= 1)
    return req_problem(r, RC_CONFLICT,
                       arena_printf(req_arena(r),
                                    "the last administrator cannot be %s",
                                    !strcmp(what, "demote")    ? "demoted"
                                    : !strcmp(what, "suspend") ? "suspended"
                                                               : "deleted"));
  return 0;
}

static const char *const roles[] = {"user", "editor", "moderator", "admin",
                                    NULL};

static const struct jx_field role_fields[] = {
    {.name = "role", .kind = JX_ENUM, .required = true, .enums = roles},
    H_ADMIN_REASON_FIELD(false),
};

int h_admin_user_role(struct req *r) {
  json_object *body;
  int st;
  struct user u;
  struct arena *a = req_arena(r);
  if ((st = req_body_json(r, &body))) return st;
  if ((st = req_validate(r, body, role_fields, 2))) return st;
  if ((st = h_admin_target(r, &u))) return st;
  const char *role = jx_str(body, "role");
  if (strcmp(role, "admin") != 0 && strcmp(u.role, role) != 0 &&
      (st = h_admin_keep_admin(r, &u, "demote")))
    return st;
  int rc = user_set_role(app.db, app.kv, u.id, role);
  if (!rc)
    rc = h_admin_audit(
        r, "user.role", "user", u.id, jx_str(body, "reason"),
        arena_printf(a, "{\"from\":\"%s\",\"to\":\"%s\"}", u.role, role));
  if (rc == 0) rc = user_get(app.db, a, u.id, &u);
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_json(r, 200, jx_own(a, user_json_private(&u)));
}

/* --- the audit log -------------------------------------------------------- */

static const char *const object_types[] = {"user", "comment", "playlist",
                                           "chat", "report",  NULL};

const struct qparam h_admin_audit_query[] = {
    Q_PAGE,
    {.name = "actor", .kind = Q_TEXT, .min = 3, .max = 32},
    {.name = "action", .kind = Q_TEXT, .min = 1, .max = 32},
    {.name = "object_type", .kind = Q_WORD, .words = object_types},
    {.name = "object_id", .kind = Q_INT, .min = 1, .max = 9007199254740992LL},
    {.name = "from", .kind = Q_TIME},
    {.name = "to", .kind = Q_TIME},
    Q_END,
};

int h_admin_audit_list(struct req *r) {
  struct page pg;
  struct arena *a = req_arena(r);
  page_get(r, &pg);
  struct audit_query q = {
      .action = req_qtext(r, "action"),
      .object_type = req_qtext(r, "object_type"),
      .object_id = req_qint(r, "object_id"),
      .from_ms = req_qint(r, "from"),
      .to_ms = req_qint(r, "to"),
      .limit = pg.limit,
  };
  int st = page_after_tagged(r, &pg, "audit", &q.before_id);
  if (st) return st;
  const char *actor = req_qtext(r, "actor");
  if (actor) {
    struct user u;
    int rc = user_name_valid(actor) ? user_by_username(app.db, a, actor, &u)
                                    : RC_NOT_FOUND;
    if (rc && rc != RC_NOT_FOUND) return req_problem(r, rc, NULL);
    /* An unknown actor has no entries (the id no account has). */
    q.actor_id = rc ? -1 : u.id;
  }
  json_object *items;
  long long next;
  int rc = audit_list(app.db, a, &q, &items, &next);
  if (rc) return req_problem(r, rc, NULL);
  return page_reply_tagged(r, jx_own(a, items), "audit", next);
}
