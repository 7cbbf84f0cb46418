/* h_feed: the activity feed (what the people the caller follows did), one
 * user's activity, and the notification inbox. Privacy is applied by the
 * model when reading (model/feed.h, model/notify.h). */
#include "api/handlers.h"

#include "api/app.h"
#include "api/page.h"
#include "api/req.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/rc.h"
#include "model/block.h"
#include "model/feed.h"
#include "model/notify.h"
#include "model/user.h"

/* reply_feed: a page of q. Its cursors name the feed's reader, or the
 * actor whose activity it is. */
static int reply_feed(struct req *r, struct feed_q *q) {
  struct page pg;
  json_object *items;
  long long next;
  const char *name = q->actor
                         ? arena_printf(req_arena(r), "activity:%lld", q->actor)
                         : arena_printf(req_arena(r), "feed:%lld", q->viewer);
  int st;
  page_get(r, &pg);
  if (!name) return req_problem(r, RC_NOMEM, NULL);
  if ((st = page_after_tagged(r, &pg, name, &q->after))) return st;
  q->limit = pg.limit;
  int rc = feed_read(app.db, req_arena(r), q, &items, &next);
  if (rc) return req_problem(r, rc, NULL);
  return page_reply_tagged(r, items, name, next);
}

int h_feed_me(struct req *r) {
  struct feed_q q = {.viewer = req_user_id(r)};
  return reply_feed(r, &q);
}

int h_feed_user(struct req *r) {
  struct user u;
  bool hidden = false;
  int rc = user_by_username(app.db, req_arena(r), req_param(r, "username"), &u);
  if (!rc)
    rc = block_hides(app.db, req_arena(r), u.id, req_user_id(r), &hidden);
  if (!rc && hidden) rc = RC_NOT_FOUND;
  if (rc == RC_NOT_FOUND) return req_problem(r, rc, "no such user");
  if (rc) return req_problem(r, rc, NULL);
  struct feed_q q = {.viewer = req_user_id(r), .actor = u.id};
  return reply_feed(r, &q);
}

/* --- the inbox ------------------------------------------------------------ */

const struct qparam h_notifications_query[] = {
    Q_PAGE,
    {.name = "unread", .kind = Q_BOOL},
    Q_END,
};

int h_notifications_list(struct req *r) {
  struct page pg;
  json_object *items;
  const char *next;
  long long unread;
  page_get(r, &pg);
  const struct notify_q q = {.user = req_user_id(r),
                             .unread_only = req_qbool(r, "unread", false),
                             .after = pg.after,
                             .limit = pg.limit};
  int rc = notify_list(app.db, req_arena(r), &q, &items, &next, &unread);
  if (rc == RC_BAD_REQUEST) return page_bad_cursor(r);
  if (rc) return req_problem(r, rc, NULL);
  struct arena *a = req_arena(r);
  json_object *o = jx_own(a, json_object_new_object());
  json_object_object_add(o, "items", json_object_get(items));
  jx_add_str(o, "next_cursor", page_cursor(a, next));
  jx_add_int(o, "unread_count", unread);
  return req_reply_json(r, 200, o);
}

int h_notifications_read(struct req *r) {
  int rc = notify_read(app.db, req_user_id(r), req_id(r, "id"));
  if (rc == RC_NOT_FOUND) return req_problem(r, rc, "no such notification");
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_empty(r, 204);
}

int h_notifications_read_all(struct req *r) {
  int rc = notify_read_all(app.db, req_user_id(r));
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_empty(r, 204);
}
