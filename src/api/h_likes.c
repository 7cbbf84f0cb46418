/* h_likes: the caller's likes of tracks, albums and playlists. */
#include "api/handlers.h"

#include "api/app.h"
#include "api/page.h"
#include "api/req.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/rc.h"
#include "model/like.h"

/* target: the {type} and {id} of the path; 404 for anything that cannot
 * name an object. */
static int target(struct req *r, enum like_type *t, long long *id) {
  const char *type = req_param(r, "type");
  if (!type || like_type_parse(type, 1, t) || req_param_id(r, "id", id))
    return req_problem(r, RC_NOT_FOUND, "no such object");
  return 0;
}

int h_likes_put(struct req *r) {
  enum like_type t;
  long long id;
  int st;
  if ((st = target(r, &t, &id))) return st;
  int rc = like_put(app.db, app.kv, req_arena(r), req_user_id(r), t, id);
  if (rc == RC_NOT_FOUND) return req_problem(r, rc, "no such object");
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_empty(r, 204);
}

int h_likes_delete(struct req *r) {
  enum like_type t;
  long long id;
  int st;
  if ((st = target(r, &t, &id))) return st;
  int rc = like_delete(app.db, app.kv, req_arena(r), req_user_id(r), t, id);
  if (rc == RC_NOT_FOUND) return req_problem(r, rc, "no such object");
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_empty(r, 204);
}

int h_likes_list(struct req *r) {
  struct page pg;
  enum like_type t = LIKE_ANY;
  int st, after_type = 0;
  long long after_ms = 0, after_id = 0;
  if ((st = page_parse(r, &pg))) return st;
  const char *type = req_query(r, "type");
  if (type && like_type_parse(type, 0, &t)) {
    struct jx_errors errs = {
        .n = 1, .e = {{"type", "must be one of track, album, playlist"}}};
    return req_problem_fields(r, &errs);
  }
  if (pg.after &&
      like_parse_cursor(pg.after, &after_ms, &after_type, &after_id))
    return page_bad_cursor(r);
  json_object *items;
  const char *next;
  int rc = like_list(app.db, req_arena(r), req_user_id(r), t, after_ms,
                     after_type, after_id, pg.limit, &items, &next);
  if (rc) return req_problem(r, rc, NULL);
  json_object *out = jx_own(req_arena(r), json_object_new_object());
  json_object_object_add(out, "items", items);
  jx_add_str(out, "next_cursor", page_cursor(req_arena(r), next));
  return req_reply_json(r, 200, out);
}
