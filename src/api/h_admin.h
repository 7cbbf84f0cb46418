/* h_admin: what the administration and moderation handlers share: the
 * audit entry of an action taken through the API, and the refusals that
 * keep an instance administrable. */
#ifndef ENCORE_H_ADMIN_H
#define ENCORE_H_ADMIN_H

#include <stdbool.h>

struct req;
struct user;

/* The `reason` field of every action's body. */
#define H_ADMIN_REASON_FIELD(req)                                              \
  {                                                                            \
    .name = "reason", .kind = JX_STRING, .required = (req), .min = 1,          \
    .max = ACCOUNTS_REASON_MAX                                                 \
  }

/* h_admin_audit: append the caller's action to the audit log (actor, the
 * client address). detail: JSON object text or NULL. */
int h_admin_audit(struct req *r, const char *action, const char *object_type,
                  long long object_id, const char *reason, const char *detail);
/* h_admin_target: the account named by the route's {username}, into *u;
 * replies 404 itself (returns the status) when there is none. */
int h_admin_target(struct req *r, struct user *u);
/* h_admin_keep_admin: refuse (409, replied; returns the status) an action
 * that would take u's administration away when u is the caller or the last
 * admin; 0 when it may go on. `what` names the action ("suspend"). */
int h_admin_keep_admin(struct req *r, const struct user *u, const char *what);

#endif
