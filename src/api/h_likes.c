/* h_likes: the caller's likes of tracks, albums and playlists, and dislikes
 * ("not for me") of tracks and artists: the same routes over two tables. */
#include "api/handlers.h"

#include "api/app.h"
#include "api/page.h"
#include "api/req.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/rc.h"
#include "model/cap.h"
#include "model/dislike.h"
#include "model/like.h"

/* path_type: the {type} of the path when {id} names an object id (into
 * *id), else NULL; the caller parses the type and answers no_object(). */
static const char *path_type(struct req *r, long long *id) {
  const char *type = req_param(r, "type");
  return type && !req_param_id(r, "id", id) ? type : NULL;
}

static int no_object(struct req *r) {
  return req_problem(r, RC_NOT_FOUND, "no such object");
}

/* written: the answer to a like or dislike write whose model result is rc;
 * at the cap (RC_LIMIT) the detail names the `cap` of `what`. */
static int written(struct req *r, int rc, const char *what, int cap) {
  if (rc == RC_NOT_FOUND) return no_object(r);
  if (rc == RC_LIMIT)
    return req_problem(r, rc,
                       arena_printf(req_arena(r),
                                    "an account holds at most %d %s: remove "
                                    "one first",
                                    cap, what));
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_empty(r, 204);
}

/* The query of a list: the page, the raw ?type= (the caller parses it) and
 * the cursor "<ms>|<type>|<id>" (after_type 0 on the first page). */
struct list_query {
  struct page pg;
  const char *type;
  int after_type;
  long long after_ms, after_id;
};

/* list_query: read q with cursor types up to max_type. Returns 0 or the
 * status of the reply already sent. */
static int list_query(struct req *r, struct list_query *q, int max_type) {
  int st;
  q->after_type = 0;
  q->after_ms = q->after_id = 0;
  if ((st = page_parse(r, &q->pg))) return st;
  q->type = req_query(r, "type");
  if (q->pg.after && like_parse_cursor(q->pg.after, max_type, &q->after_ms,
                                       &q->after_type, &q->after_id))
    return page_bad_cursor(r);
  return 0;
}

static int bad_type(struct req *r, const char *message) {
  struct jx_errors errs = {.n = 1, .e = {{"type", message}}};
  return req_problem_fields(r, &errs);
}

/* listed: the page of a list whose model result is rc. */
static int listed(struct req *r, int rc, json_object *items, const char *next) {
  if (rc) return req_problem(r, rc, NULL);
  json_object *out = jx_own(req_arena(r), json_object_new_object());
  json_object_object_add(out, "items", items);
  jx_add_str(out, "next_cursor", page_cursor(req_arena(r), next));
  return req_reply_json(r, 200, out);
}

int h_likes_put(struct req *r) {
  enum like_type t;
  long long id;
  const char *type = path_type(r, &id);
  if (!type || like_type_parse(type, 1, &t)) return no_object(r);
  return written(r,
                 like_put(app.db, app.kv, req_arena(r), req_user_id(r), t, id),
                 "likes", CAP_USER_LIKES);
}

int h_likes_delete(struct req *r) {
  enum like_type t;
  long long id;
  const char *type = path_type(r, &id);
  if (!type || like_type_parse(type, 1, &t)) return no_object(r);
  return written(
      r, like_delete(app.db, app.kv, req_arena(r), req_user_id(r), t, id), NULL,
      0);
}

int h_likes_list(struct req *r) {
  struct list_query q;
  enum like_type t = LIKE_ANY;
  json_object *items = NULL;
  const char *next = NULL;
  int st;
  if ((st = list_query(r, &q, LIKE_PLAYLIST))) return st;
  if (q.type && like_type_parse(q.type, 0, &t))
    return bad_type(r, "must be one of track, album, playlist");
  int rc = like_list(app.db, req_arena(r), req_user_id(r), t, q.after_ms,
                     q.after_type, q.after_id, q.pg.limit, &items, &next);
  return listed(r, rc, items, next);
}

int h_dislikes_put(struct req *r) {
  enum dislike_type t;
  long long id;
  const char *type = path_type(r, &id);
  if (!type || dislike_type_parse(type, 1, &t)) return no_object(r);
  return written(
      r, dislike_put(app.db, app.kv, req_arena(r), req_user_id(r), t, id),
      "dislikes", CAP_USER_DISLIKES);
}

int h_dislikes_delete(struct req *r) {
  enum dislike_type t;
  long long id;
  const char *type = path_type(r, &id);
  if (!type || dislike_type_parse(type, 1, &t)) return no_object(r);
  return written(
      r, dislike_delete(app.db, app.kv, req_arena(r), req_user_id(r), t, id),
      NULL, 0);
}

int h_dislikes_list(struct req *r) {
  struct list_query q;
  enum dislike_type t = DISLIKE_ANY;
  json_object *items = NULL;
  const char *next = NULL;
  int st;
  if ((st = list_query(r, &q, DISLIKE_ARTIST))) return st;
  if (q.type && dislike_type_parse(q.type, 0, &t))
    return bad_type(r, "must be one of track, artist");
  int rc = dislike_list(app.db, req_arena(r), req_user_id(r), t, q.after_ms,
                        q.after_type, q.after_id, q.pg.limit, &items, &next);
  return listed(r, rc, items, next);
}

/* The list's parameters: the page, and ?type= (its words depend on the list:
 * list_query's caller checks them). */
const struct qparam h_likes_list_query[] = {
    Q_PAGE,
    {.name = "type", .kind = Q_TEXT},
    Q_END,
};
