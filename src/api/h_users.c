/* h_users: public profiles by username, with their follow counts; a user
 * who blocked the caller answers 404. */
#include "api/handlers.h"

#include "api/app.h"
#include "api/req.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/rc.h"
#include "model/block.h"
#include "model/user.h"

int h_users_get(struct req *r) {
  struct user u;
  const char *name = req_param(r, "username");
  if (!user_name_valid(name))
    return req_problem(r, RC_NOT_FOUND, "no such user");
  bool hidden = false;
  int rc = user_by_username(app.db, req_arena(r), name, &u);
  /* To one the user has blocked, the user does not exist. */
  if (!rc)
    rc = block_hides(app.db, req_arena(r), u.id, req_user_id(r), &hidden);
  if (!rc && hidden) rc = RC_NOT_FOUND;
  if (rc == RC_NOT_FOUND) return req_problem(r, rc, "no such user");
  if (rc) return req_problem(r, rc, NULL);
  size_t len;
  const char *text =
      jx_text(req_arena(r), jx_own(req_arena(r), user_json_public(&u)), &len);
  if (!text) return req_problem(r, RC_NOMEM, NULL);
  return req_reply_etag(r, text, len);
}
