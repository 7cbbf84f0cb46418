/* h_admin: administration of users (admin role only, checked by the
 * router). */
#include "api/handlers.h"

#include "api/app.h"
#include "api/req.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/rc.h"
#include "model/user.h"

static const char *const roles[] = {"user", "editor", "admin", NULL};

static const struct jx_field role_fields[] = {
    {.name = "role", .kind = JX_ENUM, .required = true, .enums = roles},
};

int h_admin_user_role(struct req *r) {
  json_object *body;
  int st;
  struct user u;
  struct arena *a = req_arena(r);
  if ((st = req_body_json(r, &body))) return st;
  if ((st = req_validate(r, body, role_fields, 1))) return st;
  const char *name = req_param(r, "username");
  int rc = user_name_valid(name) ? user_by_username(app.db, a, name, &u)
                                 : RC_NOT_FOUND;
  if (rc == RC_NOT_FOUND) return req_problem(r, rc, "no such user");
  if (rc == 0) rc = user_set_role(app.db, app.kv, u.id, jx_str(body, "role"));
  if (rc == 0) rc = user_get(app.db, a, u.id, &u);
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_json(r, 200, jx_own(a, user_json_private(&u)));
}
