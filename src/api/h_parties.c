/* h_parties: listening parties over REST — start one, list the live ones
 * the caller may join, read one, invite, remove a member, end it, and read
 * its chat. What happens inside a party (playback, the queue, chat) goes
 * over WebSocket to encore-live (src/live/). A party the caller may not see
 * answers 404 on every route, as one that does not exist. */
#include "api/handlers.h"

#include <string.h>

#include "api/app.h"
#include "api/page.h"
#include "api/req.h"
#include "api/social.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/rc.h"
#include "model/block.h"
#include "model/cap.h"
#include "model/notify.h"
#include "model/party.h"
#include "model/user.h"

static const char *const visibilities[] = {"public", "followers", "invite",
                                           NULL};

static const struct jx_field create_fields[] = {
    {.name = "name",
     .kind = JX_STRING,
     .required = true,
     .min = 1,
     .max = PARTY_NAME_MAX},
    {.name = "visibility", .kind = JX_ENUM, .enums = visibilities},
    {.name = "playlist_id",
     .kind = JX_INT,
     .min = 1,
     .max = 9007199254740992LL},
};

/* not_found: the one answer for a party the caller may not see. */
static int not_found(struct req *r) {
  return req_problem(r, RC_NOT_FOUND, "no such party");
}

/* reply_party: 200 (or 201) with the party as the caller sees it. */
static int reply_party(struct req *r, int status, long long id) {
  json_object *o;
  int rc = party_get(app.db, req_arena(r), id, req_user_id(r), &o);
  if (rc == RC_NOT_FOUND) return not_found(r);
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_json(r, status, o);
}

int h_parties_create(struct req *r) {
  json_object *body;
  int st;
  if ((st = req_body_json(r, &body)) ||
      (st = req_validate(r, body, create_fields,
                         sizeof create_fields / sizeof create_fields[0])))
    return st;
  const char *vis = jx_str(body, "visibility");
  const struct party_new n = {.owner = req_user_id(r),
                              .name = jx_str(body, "name"),
                              .visibility = vis ? vis : "followers",
                              .playlist_id = jx_int(body, "playlist_id", 0)};
  long long id = 0;
  int rc = party_create(app.db, req_arena(r), &n, &id);
  if (rc == RC_NOT_FOUND) {
    struct jx_errors e = {.n = 1, .e = {{"playlist_id", "no such playlist"}}};
    return req_problem_fields(r, &e);
  }
  if (rc == RC_LIMIT)
    return req_problem(
        r, rc,
        arena_printf(req_arena(r),
                     "an account hosts at most %d live parties at once and "
                     "starts at most %d",
                     PARTY_LIVE_MAX, CAP_USER_PARTIES));
  if (rc) return req_problem(r, rc, NULL);
  social_after(r, SOCIAL_PARTY_STARTED, n.owner, id, 1);
  req_set_header(r, "Location",
                 arena_printf(req_arena(r), "/api/v1/parties/%lld", id));
  return reply_party(r, 201, id);
}

int h_parties_get(struct req *r) {
  return reply_party(r, 200, req_id(r, "id"));
}

int h_parties_list(struct req *r) {
  struct page pg;
  long long after = 0, next;
  int st;
  page_get(r, &pg);
  if ((st = page_after_id(r, &pg, &after))) return st;
  json_object *items;
  int rc = party_list(app.db, req_arena(r), req_user_id(r), after, pg.limit,
                      &items, &next);
  if (rc) return req_problem(r, rc, NULL);
  return page_reply(r, items,
                    next ? arena_printf(req_arena(r), "%lld", next) : NULL);
}

/* named_user: the user {username} names: 0, or the status of the 404
 * sent. With `apart`, a user who blocked the caller or whom the caller
 * blocked is no user either: no invitation crosses a block. */
static int named_user(struct req *r, bool apart, long long *id) {
  struct user u;
  bool blocked = false;
  int rc = user_by_username(app.db, req_arena(r), req_param(r, "username"), &u);
  if (!rc && apart)
    rc = block_between(app.db, req_arena(r), u.id, req_user_id(r), &blocked);
  if (!rc && blocked) rc = RC_NOT_FOUND;
  if (rc == RC_NOT_FOUND) return req_problem(r, rc, "no such user");
  if (rc) return req_problem(r, rc, NULL);
  *id = u.id;
  return 0;
}

/* act_problem: the answer to a host's act that was refused. */
static int act_problem(struct req *r, int rc, const char *forbidden) {
  if (rc == RC_NOT_FOUND) return not_found(r);
  if (rc == RC_FORBIDDEN) return req_problem(r, rc, forbidden);
  return req_problem(r, rc, NULL);
}

/* An invitation to tell, after the response. */
struct invited {
  long long party, by, who;
};

static void tell_invited(struct req *r, void *arg) {
  const struct invited *i = arg;
  if (notify_party_invite(app.db, req_arena(r), i->by, i->who, i->party))
    log_msg(LOG_WARN, "parties: an invitation was not told", "request_id",
            req_request_id(r), NULL);
}

int h_parties_invite(struct req *r) {
  struct party_act x = {.party = req_id(r, "id"), .by = req_user_id(r)};
  int st = named_user(r, true, &x.who);
  if (st) return st;
  if (x.who == x.by) {
    struct jx_errors e = {.n = 1,
                          .e = {{"username", "you cannot invite yourself"}}};
    return req_problem_fields(r, &e);
  }
  bool created;
  int rc = party_invite(app.db, req_arena(r), &x, &created);
  if (rc == RC_LIMIT)
    return req_problem(r, rc,
                       arena_printf(req_arena(r),
                                    "a party invites at most %d users",
                                    CAP_PARTY_INVITES));
  if (rc) return act_problem(r, rc, "only the host and co-hosts invite");
  if (created) {
    struct invited *i = arena_alloc(req_arena(r), sizeof *i);
    if (i) {
      *i = (struct invited){.party = x.party, .by = x.by, .who = x.who};
      req_after(r, tell_invited, i);
    }
  }
  return req_reply_empty(r, 204);
}

int h_parties_remove(struct req *r) {
  struct party_act x = {.party = req_id(r, "id"), .by = req_user_id(r)};
  int st = named_user(r, false, &x.who);
  if (st) return st;
  int rc = party_remove(app.db, req_arena(r), &x);
  return rc ? act_problem(r, rc,
                          "only the host removes co-hosts, and nobody the "
                          "host")
            : req_reply_empty(r, 204);
}

int h_parties_end(struct req *r) {
  int rc = party_end(app.db, req_arena(r), req_id(r, "id"), req_user_id(r));
  return rc ? act_problem(r, rc, "only the host ends the party")
            : req_reply_empty(r, 204);
}

int h_parties_messages(struct req *r) {
  struct page pg;
  long long before = 0, next;
  int st;
  page_get(r, &pg);
  if ((st = page_after_id(r, &pg, &before))) return st;
  const struct party_chat_q q = {.party = req_id(r, "id"),
                                 .viewer = req_user_id(r),
                                 .before = before,
                                 .limit = pg.limit};
  json_object *items;
  int rc = party_chat_page(app.db, req_arena(r), &q, &items, &next);
  if (rc == RC_NOT_FOUND) return not_found(r);
  if (rc) return req_problem(r, rc, NULL);
  return page_reply(r, items,
                    next ? arena_printf(req_arena(r), "%lld", next) : NULL);
}
