/* h_comments: comments on tracks, albums and playlists, one comment, its
 * replies, its likes and reports. Plain text in and out; at most 10
 * comments a minute per user (guard.h). Who may see and remove what is the
 * model's (model/comment.h). */
#include "api/handlers.h"

#include <string.h>

#include "api/app.h"
#include "api/guard.h"
#include "api/page.h"
#include "api/req.h"
#include "api/social.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/rc.h"
#include "model/comment.h"
#include "model/user.h"

static const char *const sorts[] = {"newest", "oldest", "top", NULL};

const struct qparam h_comments_list_query[] = {
    Q_PAGE,
    {.name = "sort", .kind = Q_WORD, .words = sorts},
    Q_END,
};

static const struct jx_field text_fields[] = {
    {.name = "text",
     .kind = JX_STRING,
     .required = true,
     .min = 1,
     .max = COMMENT_TEXT_MAX * 4 + 64},
};

/* read_text: the body's checked text and its mentions; 0, or the status of
 * a 4xx already sent. */
static int read_text(struct req *r, const char **text, const char ***names,
                     int *n) {
  json_object *body;
  int st;
  if ((st = req_body_json(r, &body))) return st;
  if ((st = req_validate(r, body, text_fields, 1))) return st;
  const char *why =
      comment_text_check(req_arena(r), jx_str(body, "text"), text);
  if (!why) {
    *n = comment_mentions(req_arena(r), *text, names, COMMENT_MENTIONS_MAX);
    if (*n > COMMENT_MENTIONS_MAX) why = "may mention at most 10 users";
  }
  if (why) {
    struct jx_errors e = {.n = 1, .e = {{"text", why}}};
    return req_problem_fields(r, &e);
  }
  return 0;
}

/* create: a comment by the caller on (type, id), replying to parent (0:
 * none). */
static int create(struct req *r, const char *type, long long id,
                  long long parent) {
  long long me = req_user_id(r), cid;
  const char *text, **names;
  int n, retry, st;
  if ((st = read_text(r, &text, &names, &n))) return st;
  int rc = guard_event(r, GUARD_COMMENT, me, &retry);
  if (rc == RC_THROTTLED) {
    req_retry_after(r, retry);
    return req_problem(r, rc, "at most 10 comments a minute");
  }
  if (rc) return req_problem(r, rc, NULL);
  const struct comment_new c = {.object_type = type,
                                .object_id = id,
                                .author = me,
                                .parent = parent,
                                .text = text,
                                .mentions = names,
                                .nmentions = n};
  rc = comment_create(app.db, req_arena(r), &c, &cid);
  if (rc == RC_NOT_FOUND)
    return req_problem(r, rc, parent ? "no such comment" : "no such object");
  if (rc == RC_INVALID) {
    struct jx_errors e = {.n = 1,
                          .e = {{"", "replies are one level deep: reply to "
                                     "the comment replied to"}}};
    return req_problem_fields(r, &e);
  }
  json_object *out = NULL;
  if (!rc) rc = comment_get(app.db, req_arena(r), cid, me, &out);
  if (rc) return req_problem(r, rc, NULL);
  social_after(r, SOCIAL_COMMENTED, me, cid, 0);
  req_set_header(r, "Location",
                 arena_printf(req_arena(r), "/api/v1/comments/%lld", cid));
  return req_reply_json(r, 201, jx_own(req_arena(r), out));
}

/* list: a page of the comments on (type, id), or of a comment's replies. */
static int list(struct req *r, const char *type, long long id,
                long long parent) {
  struct page pg;
  json_object *items;
  const char *next;
  page_get(r, &pg);
  long long sort = req_qint(r, "sort");
  const struct comment_q q = {.object_type = type,
                              .object_id = id,
                              .parent = parent,
                              .viewer = req_user_id(r),
                              .sort = sort < 0 ? COMMENT_NEWEST
                                               : (enum comment_sort)sort,
                              .after = pg.after,
                              .limit = pg.limit};
  int rc = comment_list(app.db, req_arena(r), &q, &items, &next);
  if (rc == RC_BAD_REQUEST) return page_bad_cursor(r);
  if (rc == RC_NOT_FOUND)
    return req_problem(r, rc, parent ? "no such comment" : "no such object");
  if (rc) return req_problem(r, rc, NULL);
  return page_reply(r, items, next);
}

int h_comments_tracks_list(struct req *r) {
  return list(r, "track", req_id(r, "id"), 0);
}
int h_comments_albums_list(struct req *r) {
  return list(r, "album", req_id(r, "id"), 0);
}
int h_comments_playlists_list(struct req *r) {
  return list(r, "playlist", req_id(r, "id"), 0);
}
int h_comments_tracks_create(struct req *r) {
  return create(r, "track", req_id(r, "id"), 0);
}
int h_comments_albums_create(struct req *r) {
  return create(r, "album", req_id(r, "id"), 0);
}
int h_comments_playlists_create(struct req *r) {
  return create(r, "playlist", req_id(r, "id"), 0);
}

/* parent_of: what the comment of the path is on (for its replies); 0 or
 * the status of a 404 sent. */
static int parent_of(struct req *r, struct comment_about *ab) {
  json_object *seen;
  long long id = req_id(r, "id");
  int rc = comment_get(app.db, req_arena(r), id, req_user_id(r), &seen);
  if (!rc) {
    json_object_put(seen);
    rc = comment_about(app.db, req_arena(r), id, ab);
  }
  if (rc == RC_NOT_FOUND) return req_problem(r, rc, "no such comment");
  if (rc) return req_problem(r, rc, NULL);
  return 0;
}

int h_comments_replies(struct req *r) {
  struct comment_about ab;
  int st = parent_of(r, &ab);
  return st ? st : list(r, ab.object_type, ab.object_id, req_id(r, "id"));
}

int h_comments_reply(struct req *r) {
  struct comment_about ab;
  int st = parent_of(r, &ab);
  return st ? st : create(r, ab.object_type, ab.object_id, req_id(r, "id"));
}

int h_comments_get(struct req *r) {
  json_object *out;
  int rc =
      comment_get(app.db, req_arena(r), req_id(r, "id"), req_user_id(r), &out);
  if (rc == RC_NOT_FOUND) return req_problem(r, rc, "no such comment");
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_json(r, 200, jx_own(req_arena(r), out));
}

int h_comments_edit(struct req *r) {
  long long id = req_id(r, "id"), me = req_user_id(r);
  const char *text, **names;
  int n, st;
  if ((st = read_text(r, &text, &names, &n))) return st;
  int rc = comment_edit(app.db, req_arena(r), id, me, text, names, n);
  if (rc == RC_NOT_FOUND) return req_problem(r, rc, "no such comment");
  if (rc) return req_problem(r, rc, NULL);
  return h_comments_get(r);
}

int h_comments_delete(struct req *r) {
  long long id = req_id(r, "id"), me = req_user_id(r);
  const char *role = "user";
  int rc = user_role(app.db, req_arena(r), me, &role);
  bool moderator =
      !rc && (!strcmp(role, "admin") || !strcmp(role, "moderator"));
  if (!rc) rc = comment_delete(app.db, req_arena(r), id, me, moderator);
  if (rc == RC_NOT_FOUND) return req_problem(r, rc, "no such comment");
  if (rc) return req_problem(r, rc, NULL);
  social_after(r, SOCIAL_COMMENT_GONE, me, id, 0);
  return req_reply_empty(r, 204);
}

static int like(struct req *r, bool on) {
  long long id = req_id(r, "id"), me = req_user_id(r);
  bool added;
  int rc = comment_like(app.db, req_arena(r), id, me, on, &added);
  if (rc == RC_NOT_FOUND) return req_problem(r, rc, "no such comment");
  if (rc) return req_problem(r, rc, NULL);
  if (added) social_after(r, SOCIAL_LIKED_COMMENT, me, id, 0);
  return req_reply_empty(r, 204);
}

int h_comments_like(struct req *r) {
  return like(r, true);
}
int h_comments_unlike(struct req *r) {
  return like(r, false);
}

int h_comments_report(struct req *r) {
  json_object *body, *seen;
  long long id = req_id(r, "id");
  int st;
  if ((st = req_body_json(r, &body))) return st;
  if ((st = req_validate(r, body, h_moderation_report_fields, 2))) return st;
  int rc = comment_get(app.db, req_arena(r), id, req_user_id(r), &seen);
  if (rc == RC_NOT_FOUND) return req_problem(r, rc, "no such comment");
  if (rc) return req_problem(r, rc, NULL);
  json_object_put(seen);
  return h_moderation_report(r, body, "comment", id);
}
