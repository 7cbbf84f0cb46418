/* h_likes: the caller's likes of tracks, albums and playlists, and dislikes
 * ("not for me") of tracks and artists: the same routes over two tables. */
#include "api/handlers.h"

#include "api/app.h"
#include "api/page.h"
#include "api/req.h"
#include "api/social.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/rc.h"
#include "model/cap.h"
#include "model/dislike.h"
#include "model/like.h"

/* path_type: the {type} of the path (one of the route's words) and its
 * {id} into *id. */
static const char *path_type(struct req *r, long long *id) {
  *id = req_id(r, "id");
  return req_param(r, "type");
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

static const char *const like_words[] = {"track", "album", "playlist", NULL};
static const char *const dislike_words[] = {"track", "artist", NULL};

const struct qparam h_likes_list_query[] = {
    Q_PAGE,
    {.name = "type",
     .kind = Q_WORD,
     .words = like_words,
     .msg = "must be one of track, album, playlist"},
    Q_END,
};
const struct qparam h_dislikes_list_query[] = {
    Q_PAGE,
    {.name = "type",
     .kind = Q_WORD,
     .words = dislike_words,
     .msg = "must be one of track, artist"},
    Q_END,
};

/* The query of a list: the page, ?type= and the cursor
 * "<ms>|<type>|<id>" (after_type 0 on the first page). */
struct list_query {
  struct page pg;
  const char *type; /* the word, NULL for every type */
  int after_type;
  long long after_ms, after_id;
};

/* list_query: read q with cursor types up to max_type. Returns 0 or the
 * status of the reply already sent. */
static int list_query(struct req *r, struct list_query *q, int max_type) {
  q->after_type = 0;
  q->after_ms = q->after_id = 0;
  page_get(r, &q->pg);
  q->type = req_qtext(r, "type");
  if (q->pg.after && like_parse_cursor(q->pg.after, max_type, &q->after_ms,
                                       &q->after_type, &q->after_id))
    return page_bad_cursor(r);
  return 0;
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
  bool added;
  const char *type = path_type(r, &id);
  if (!type || like_type_parse(type, 1, &t)) return no_object(r);
  int rc = like_put(app.db, app.kv, req_arena(r), req_user_id(r), t, id,
                    &added);
  if (!rc && added)
    social_after(r,
                 t == LIKE_TRACK   ? SOCIAL_LIKED_TRACK
                 : t == LIKE_ALBUM ? SOCIAL_LIKED_ALBUM
                                   : SOCIAL_LIKED_PLAYLIST,
                 req_user_id(r), id, 0);
  return written(r, rc, "likes", CAP_USER_LIKES);
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
  if (q.type) like_type_parse(q.type, 0, &t); /* one of the route's words */
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
  if (q.type) dislike_type_parse(q.type, 0, &t);
  int rc = dislike_list(app.db, req_arena(r), req_user_id(r), t, q.after_ms,
                        q.after_type, q.after_id, q.pg.limit, &items, &next);
  return listed(r, rc, items, next);
}
