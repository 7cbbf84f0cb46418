/* h_moderation: reports of playlists and users (comments have theirs in
 * h_comments.c), and the moderators' queue and actions under
 * /api/v1/moderation (role moderator or admin, checked by the router).
 * Every action is audited; the author hears of a warning, every reporter of
 * the outcome. */
#include "api/handlers.h"

#include <string.h>
#include <time.h>

#include "api/app.h"
#include "api/h_admin.h"
#include "api/page.h"
#include "api/req.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/timefmt.h"
#include "model/accounts.h"
#include "model/block.h"
#include "model/comment.h"
#include "model/media.h"
#include "model/moderation.h"
#include "model/notify.h"
#include "model/playlist.h"
#include "model/user.h"

/* --- reporting ------------------------------------------------------------ */

const struct jx_field h_moderation_report_fields[] = {
    {.name = "reason",
     .kind = JX_ENUM,
     .required = true,
     .enums = report_reasons},
    {.name = "note", .kind = JX_STRING, .min = 0, .max = 500},
};

int h_moderation_report(struct req *r, json_object *body, const char *type,
                        long long id) {
  int rc = report_create(app.db, req_user_id(r), type, id,
                         jx_str(body, "reason"), jx_str(body, "note"));
  if (!rc)
    rc = moderation_reported(app.db, req_arena(r), type, id,
                             app.cfg.report_threshold);
  if (rc) return req_problem(r, rc, NULL);
  json_object *o = jx_own(req_arena(r), json_object_new_object());
  jx_add_str(o, "status", "accepted");
  return req_reply_json(r, 202, o);
}

int h_moderation_report_playlist(struct req *r) {
  json_object *body;
  struct playlist p;
  int st;
  if ((st = req_body_json(r, &body))) return st;
  if ((st = req_validate(r, body, h_moderation_report_fields, 2))) return st;
  /* Only what the caller can see can be reported by them. */
  int rc =
      playlist_get(app.db, req_arena(r), req_id(r, "id"), req_user_id(r), &p);
  if (rc == RC_NOT_FOUND) return req_problem(r, rc, "no such playlist");
  if (rc) return req_problem(r, rc, NULL);
  if (p.owner_id == req_user_id(r))
    return req_problem(r, RC_CONFLICT, "you cannot report your own playlist");
  return h_moderation_report(r, body, "playlist", p.id);
}

int h_moderation_report_user(struct req *r) {
  json_object *body;
  struct user u;
  int st;
  bool hidden;
  if ((st = req_body_json(r, &body))) return st;
  if ((st = req_validate(r, body, h_moderation_report_fields, 2))) return st;
  int rc = user_by_username(app.db, req_arena(r), req_param(r, "username"), &u);
  /* One who blocked the caller is as absent to them as elsewhere. */
  if (!rc)
    rc = block_hides(app.db, req_arena(r), u.id, req_user_id(r), &hidden);
  if (!rc && hidden) rc = RC_NOT_FOUND;
  if (rc == RC_NOT_FOUND) return req_problem(r, rc, "no such user");
  if (rc) return req_problem(r, rc, NULL);
  if (u.id == req_user_id(r))
    return req_problem(r, RC_CONFLICT, "you cannot report yourself");
  return h_moderation_report(r, body, "user", u.id);
}

/* --- the queue ------------------------------------------------------------ */

int h_moderation_queue(struct req *r) {
  struct page pg;
  json_object *items;
  const char *next;
  page_get(r, &pg);
  int rc =
      moderation_queue(app.db, req_arena(r), pg.after, pg.limit, &items, &next);
  if (rc == RC_INVALID) return page_bad_cursor(r);
  if (rc) return req_problem(r, rc, NULL);
  return page_reply(r, jx_own(req_arena(r), items), next);
}

/* --- actions -------------------------------------------------------------- */

static const char *const actions[] = {"dismiss", "hide",    "delete",
                                      "warn",    "suspend", NULL};

static const struct jx_field action_fields[] = {
    {.name = "action", .kind = JX_ENUM, .required = true, .enums = actions},
    H_ADMIN_REASON_FIELD(true),
    {.name = "until", .kind = JX_STRING, .min = 1, .max = 64, .nullable = true},
};

/* The reports.outcome of each action, in the order of actions[]. */
static const char *const outcomes[] = {"dismissed", "hidden", "deleted",
                                       "warned", "suspended"};

/* unavailable: 409 for an action the object's type does not take. */
static int unavailable(struct req *r, const char *action, const char *type) {
  return req_problem(r, RC_CONFLICT,
                     arena_printf(req_arena(r), "a %s cannot be %s", type,
                                  !strcmp(action, "hide")     ? "hidden"
                                  : !strcmp(action, "delete") ? "deleted"
                                  : !strcmp(action, "warn")   ? "warned about"
                                                              : "suspended"));
}

/* delete_object: remove a reported comment or playlist. */
static int delete_object(struct req *r, const char *type, long long id,
                         long long owner) {
  struct arena *a = req_arena(r);
  if (!strcmp(type, "comment"))
    return comment_delete(app.db, a, id, req_user_id(r), true);
  const char *orphan = NULL;
  long long snap;
  int rc = media_lock(app.db, a);
  if (rc) return rc;
  rc = playlist_delete(app.db, app.kv, a, id, owner, 0, &snap, &orphan);
  if (!rc) media_unlink(a, app.cfg.media_dir, orphan);
  media_unlock(app.db, a);
  return rc;
}

/* staff_only_by_admin: refuse (403, replied; returns the status) when u is
 * a moderator or an administrator and the caller is not an administrator,
 * so a moderator cannot act on staff; 0 when the action may go on. */
static int staff_only_by_admin(struct req *r, const struct user *u) {
  if (strcmp(u->role, "moderator") != 0 && strcmp(u->role, "admin") != 0)
    return 0;
  const char *role = NULL;
  int rc = user_role(app.db, req_arena(r), req_user_id(r), &role);
  if (rc) return req_problem(r, rc, NULL);
  if (strcmp(role, "admin") != 0)
    return req_problem(r, RC_FORBIDDEN,
                       "only an administrator can suspend a moderator or an "
                       "administrator");
  return 0;
}

int h_moderation_act(struct req *r) {
  json_object *body;
  int st;
  struct arena *a = req_arena(r);
  if ((st = req_body_json(r, &body))) return st;
  if ((st = req_validate(r, body, action_fields, 3))) return st;
  const char *type = req_param(r, "type"), *action = jx_str(body, "action"),
             *reason = jx_str(body, "reason");
  long long id = req_id(r, "id"), until = 0, author = 0;
  int k = 0;
  while (strcmp(actions[k], action))
    k++;
  const char *until_text = jx_str(body, "until");
  if (until_text &&
      (strcmp(action, "suspend") || timefmt_parse(until_text, &until) ||
       until <= (long long)time(NULL) * 1000)) {
    struct jx_errors errs = {0};
    jx_error_add(&errs, "until",
                 "a suspension's end, an RFC 3339 time in the future");
    return req_problem_fields(r, &errs);
  }
  int rc = 0;
  if (strcmp(action, "dismiss") != 0) {
    rc = moderation_author(app.db, a, type, id, &author);
    if (rc == RC_NOT_FOUND && !strcmp(type, "chat"))
      return unavailable(r, action, "chat message");
    if (rc == RC_NOT_FOUND) return req_problem(r, rc, "no such object");
    if (rc) return req_problem(r, rc, NULL);
  }
  if (!strcmp(type, "user") &&
      (!strcmp(action, "hide") || !strcmp(action, "delete")))
    return unavailable(r, action, "user");
  if (!strcmp(action, "suspend")) {
    struct user u;
    if ((rc = user_get(app.db, a, author, &u))) return req_problem(r, rc, NULL);
    if ((st = h_admin_keep_admin(r, &u, "suspend"))) return st;
    if ((st = staff_only_by_admin(r, &u))) return st;
    rc = accounts_suspend(app.db, app.kv, a, author, reason, until);
  } else if (!strcmp(action, "hide")) {
    rc = moderation_set(app.db, type, id, "hidden");
  } else if (!strcmp(action, "delete")) {
    rc = delete_object(r, type, id, author);
  } else if (!strcmp(action, "warn")) {
    rc = notify_moderation(app.db, a, author, req_user_id(r),
                           "moderation_warning",
                           !strcmp(type, "chat") ? NULL : type, id);
  } else {
    /* Dismissed: what was held for review comes back. */
    rc = moderation_set(app.db, type, id, "visible");
    if (rc == RC_NOT_FOUND) rc = 0;
  }
  if (rc) return req_problem(r, rc, NULL);
  long long *reporters;
  int n;
  rc = moderation_resolve(app.db, a, type, id, outcomes[k], req_user_id(r),
                          &reporters, &n);
  if (rc == RC_NOT_FOUND) n = 0, rc = 0; /* acted on without open reports */
  const char *told =
      !strcmp(action, "dismiss") ? "report_dismissed" : "report_actioned";
  /* A deleted object has nothing left to point at. */
  const char *otype =
      !strcmp(type, "chat") || !strcmp(action, "delete") ? NULL : type;
  for (int i = 0; !rc && i < n; i++)
    rc = notify_moderation(app.db, a, reporters[i], req_user_id(r), told, otype,
                           id);
  if (!rc)
    rc = h_admin_audit(
        r, arena_printf(a, "report.%s", action), type, id, reason,
        author ? arena_printf(a, "{\"author_id\":%lld}", author) : NULL);
  if (rc) return req_problem(r, rc, NULL);
  json_object *o = jx_own(a, json_object_new_object());
  jx_add_str(o, "object_type", type);
  jx_add_int(o, "object_id", id);
  jx_add_str(o, "outcome", outcomes[k]);
  jx_add_int(o, "reports_resolved", n);
  return req_reply_json(r, 200, o);
}
