/* h_follows: following (follow, unfollow, requests and their answers,
 * removing a follower, the lists with the viewer's relation to each) and
 * blocks and mutes. A user who blocked the caller is, to the caller, a user
 * who does not exist (404). */
#include "api/handlers.h"

#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/page.h"
#include "api/req.h"
#include "api/social.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/rc.h"
#include "model/block.h"
#include "model/cap.h"
#include "model/follow.h"
#include "model/user.h"

/* lookup: the user {username} names and whether they blocked the caller;
 * 0, or the status of a problem already sent (404: no such user). */
static int lookup(struct req *r, long long *id, bool *hidden) {
  struct user u;
  *hidden = false;
  int rc = user_by_username(app.db, req_arena(r), req_param(r, "username"), &u);
  if (!rc) rc = block_hides(app.db, req_arena(r), u.id, req_user_id(r), hidden);
  if (rc == RC_NOT_FOUND) return req_problem(r, rc, "no such user");
  if (rc) return req_problem(r, rc, NULL);
  *id = u.id;
  return 0;
}

/* path_user: the user {username} names, as the caller may see them: 0, or
 * the status of a 404 already sent (no such user, or one who blocked the
 * caller: the same answer). */
static int path_user(struct req *r, long long *id) {
  bool hidden;
  int st = lookup(r, id, &hidden);
  if (!st && hidden) return req_problem(r, RC_NOT_FOUND, "no such user");
  return st;
}

/* not_self: 422 when the path names the caller. */
static int not_self(struct req *r, long long id, const char *what) {
  if (id != req_user_id(r)) return 0;
  struct jx_errors e = {.n = 1, .e = {{"username", what}}};
  return req_problem_fields(r, &e);
}

/* capped: the answer at a cap. */
static int capped(struct req *r, const char *what, int cap) {
  return req_problem(
      r, RC_LIMIT,
      arena_printf(req_arena(r), "an account %s at most %d users", what, cap));
}

/* not_followable: the answer to a follow that a block refused. The user
 * has not blocked the caller (path_user saw to that), so the block is the
 * caller's own, which the caller may be told of; otherwise the account went
 * (or blocked the caller) meanwhile: no such user. */
static int not_followable(struct req *r, long long id) {
  bool mine = false;
  int rc = block_hides(app.db, req_arena(r), req_user_id(r), id, &mine);
  if (rc) return req_problem(r, rc, NULL);
  if (mine)
    return req_problem(r, RC_CONFLICT,
                       "you have blocked this user: unblock them first");
  return req_problem(r, RC_NOT_FOUND, "no such user");
}

/* counts_changed: the follow counts of x and y may have moved; their cached
 * private views (GET /me) hold them. */
static void counts_changed(long long x, long long y) {
  user_me_drop(app.kv, x);
  user_me_drop(app.kv, y);
}

int h_follows_put(struct req *r) {
  long long me = req_user_id(r), id;
  int st;
  if ((st = path_user(r, &id)) || (st = not_self(r, id,
                                                 "you cannot follow "
                                                 "yourself")))
    return st;
  enum follow_state state;
  bool created;
  int rc = follow_put(app.db, req_arena(r), me, id, &state, &created);
  if (rc == RC_NOT_FOUND) return not_followable(r, id);
  if (rc == RC_LIMIT) return capped(r, "follows", CAP_USER_FOLLOWING);
  if (rc) return req_problem(r, rc, NULL);
  if (created) counts_changed(me, id);
  if (created)
    social_after(r,
                 state == FOLLOW_ACCEPTED ? SOCIAL_FOLLOWED : SOCIAL_REQUESTED,
                 me, id, 1);
  json_object *o = jx_own(req_arena(r), json_object_new_object());
  jx_add_str(o, "state", follow_state_name(state));
  return req_reply_json(r, 200, o);
}

int h_follows_delete(struct req *r) {
  long long me = req_user_id(r), id;
  enum follow_state was;
  int st;
  if ((st = path_user(r, &id))) return st;
  int rc = follow_delete(app.db, req_arena(r), me, id, &was);
  if (rc) return req_problem(r, rc, NULL);
  if (was != FOLLOW_NONE) counts_changed(me, id);
  if (was != FOLLOW_NONE) social_after(r, SOCIAL_UNFOLLOWED, me, id, 0);
  return req_reply_empty(r, 204);
}

int h_follows_remove_follower(struct req *r) {
  long long me = req_user_id(r), id;
  enum follow_state was;
  int st;
  if ((st = path_user(r, &id))) return st;
  int rc = follow_delete(app.db, req_arena(r), id, me, &was);
  if (rc) return req_problem(r, rc, NULL);
  if (was != FOLLOW_NONE) counts_changed(me, id);
  if (was != FOLLOW_NONE) social_after(r, SOCIAL_UNFOLLOWED, id, me, 0);
  return req_reply_empty(r, 204);
}

/* answer: accept or decline the request of {username}. */
static int answer(struct req *r, bool accept) {
  long long me = req_user_id(r), id;
  int st;
  if ((st = path_user(r, &id))) return st;
  int rc = follow_answer(app.db, req_arena(r), me, id, accept);
  if (rc == RC_NOT_FOUND)
    return req_problem(r, rc, "no follow request from this user");
  if (rc) return req_problem(r, rc, NULL);
  if (accept) counts_changed(me, id);
  if (accept) social_after(r, SOCIAL_ACCEPTED, id, me, 0);
  return req_reply_empty(r, 204);
}

int h_follows_accept(struct req *r) {
  return answer(r, true);
}
int h_follows_decline(struct req *r) {
  return answer(r, false);
}

/* The names of the lists in their cursors. */
static const char *const list_names[] = {
    [FOLLOW_FOLLOWERS] = "followers",
    [FOLLOW_FOLLOWING] = "following",
    [FOLLOW_REQUESTS] = "requests",
};

/* list: one of the follow lists of user as the caller sees it. */
static int list(struct req *r, enum follow_list_kind kind, long long user) {
  struct page pg;
  long long after = 0, next;
  const char *name =
      arena_printf(req_arena(r), "%s:%lld", list_names[kind], user);
  int st;
  page_get(r, &pg);
  if (!name) return req_problem(r, RC_NOMEM, NULL);
  if ((st = page_after_tagged(r, &pg, name, &after))) return st;
  const struct follow_list_q q = {.kind = kind,
                                  .user = user,
                                  .viewer = req_user_id(r),
                                  .after = after,
                                  .limit = pg.limit};
  json_object *items;
  int rc = follow_list(app.db, req_arena(r), &q, &items, &next);
  if (rc) return req_problem(r, rc, NULL);
  return page_reply_tagged(r, items, name, next);
}

int h_follows_followers(struct req *r) {
  long long id;
  int st = path_user(r, &id);
  return st ? st : list(r, FOLLOW_FOLLOWERS, id);
}

int h_follows_following(struct req *r) {
  long long id;
  int st = path_user(r, &id);
  return st ? st : list(r, FOLLOW_FOLLOWING, id);
}

int h_follows_requests(struct req *r) {
  return list(r, FOLLOW_REQUESTS, req_user_id(r));
}

/* --- blocks and mutes ----------------------------------------------------- */

static int relation_put(struct req *r, enum block_kind kind) {
  long long me = req_user_id(r), id;
  bool created;
  int st;
  if ((st = path_user(r, &id)) ||
      (st = not_self(r, id,
                     kind == BLOCK_BLOCK ? "you cannot block yourself"
                                         : "you cannot mute yourself")))
    return st;
  int rc = block_put(app.db, req_arena(r), kind, me, id, &created);
  if (rc == RC_LIMIT)
    return capped(r, kind == BLOCK_BLOCK ? "blocks" : "mutes",
                  kind == BLOCK_BLOCK ? CAP_USER_BLOCKS : CAP_USER_MUTES);
  if (rc) return req_problem(r, rc, NULL);
  if (created && kind == BLOCK_BLOCK) {
    counts_changed(me, id);
    social_after(r, SOCIAL_BLOCKED, me, id, 0);
  }
  return req_reply_empty(r, 204);
}

/* relation_delete: lift the caller's block or mute of {username}. A user
 * who blocked the caller is one the caller may still unblock or unmute
 * (their own relation tells them the user exists); with nothing to lift,
 * such a user is one who does not exist, as everywhere. */
static int relation_delete(struct req *r, enum block_kind kind) {
  long long id;
  bool hidden, had = true;
  int st = lookup(r, &id, &hidden);
  if (st) return st;
  int rc = block_delete(app.db, kind, req_user_id(r), id, &had);
  if (rc) return req_problem(r, rc, NULL);
  if (hidden && !had) return req_problem(r, RC_NOT_FOUND, "no such user");
  return req_reply_empty(r, 204);
}

static int relation_list(struct req *r, enum block_kind kind) {
  struct page pg;
  long long after = 0, next;
  const char *name =
      arena_printf(req_arena(r), "%s:%lld",
                   kind == BLOCK_BLOCK ? "blocks" : "mutes", req_user_id(r));
  int st;
  page_get(r, &pg);
  if (!name) return req_problem(r, RC_NOMEM, NULL);
  if ((st = page_after_tagged(r, &pg, name, &after))) return st;
  json_object *items;
  int rc = block_list(app.db, req_arena(r), kind, req_user_id(r), after,
                      pg.limit, &items, &next);
  if (rc) return req_problem(r, rc, NULL);
  return page_reply_tagged(r, items, name, next);
}

int h_blocks_put(struct req *r) {
  return relation_put(r, BLOCK_BLOCK);
}
int h_blocks_delete(struct req *r) {
  return relation_delete(r, BLOCK_BLOCK);
}
int h_blocks_list(struct req *r) {
  return relation_list(r, BLOCK_BLOCK);
}
int h_mutes_put(struct req *r) {
  return relation_put(r, BLOCK_MUTE);
}
int h_mutes_delete(struct req *r) {
  return relation_delete(r, BLOCK_MUTE);
}
int h_mutes_list(struct req *r) {
  return relation_list(r, BLOCK_MUTE);
}
