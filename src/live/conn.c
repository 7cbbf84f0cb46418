/* conn: connections, authentication, limits and dispatch; see conn.h. */
#include "live/conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/rc.h"
#include "core/str.h"
#include "core/timefmt.h"
#include "core/tok.h"
#include "live/chat.h"
#include "live/events.h"
#include "live/live.h"
#include "live/play.h"
#include "live/proto.h"
#include "live/room.h"
#include "live/store.h"
#include "model/session.h"

/* A user's connections in this process. */
struct user_conns {
  struct conn *head;
  int n;
};

/* Every connection, for the timers (authentication, token expiry). */
static struct conn *all;
/* When the timers were last looked at. */
static long long last_timers;

void conn_send(struct conn *c, json_object *msg) {
  size_t len;
  const char *text = jx_text(live.arena, msg, &len);
  if (text && !c->closing) ws_send_text(c->ws, text, len);
  json_object_put(msg);
}

void conn_error(struct conn *c, const char *code, const char *message,
                const char *ref) {
  conn_send(c, proto_error(code, message, ref, NULL));
}

void conn_close(struct conn *c, int code, const char *reason) {
  if (c->closing) return;
  c->closing = true;
  ws_close(c->ws, code, reason);
}

/* --- the users' registry -------------------------------------------------- */

/* user_add: c (authenticated) among its user's connections; RC_LIMIT when
 * they hold LIVE_USER_CONNS already. */
static int user_add(struct conn *c) {
  struct user_conns *u = idmap_get(&live.users, c->user);
  if (!u) {
    u = calloc(1, sizeof *u);
    if (!u || idmap_put(&live.users, c->user, u)) {
      free(u);
      return RC_NOMEM;
    }
  }
  if (u->n >= LIVE_USER_CONNS) return RC_LIMIT;
  c->user_next = u->head;
  if (u->head) u->head->user_prev = c;
  u->head = c;
  u->n++;
  return 0;
}

static void user_remove(struct conn *c) {
  struct user_conns *u = idmap_get(&live.users, c->user);
  if (!u) return;
  if (c->user_prev) c->user_prev->user_next = c->user_next;
  if (c->user_next) c->user_next->user_prev = c->user_prev;
  if (u->head == c) u->head = c->user_next;
  c->user_next = c->user_prev = NULL;
  if (--u->n == 0) {
    idmap_del(&live.users, c->user);
    free(u);
  }
}

void conn_each_of_user(long long user, void (*fn)(struct conn *, void *),
                       void *arg) {
  struct user_conns *u = idmap_get(&live.users, user);
  for (struct conn *c = u ? u->head : NULL, *next; c; c = next) {
    next = c->user_next;
    fn(c, arg);
  }
}

void conn_close_all(int code, const char *reason) {
  for (struct conn *c = all; c; c = c->all_next)
    conn_close(c, code, reason);
}

/* --- authentication ------------------------------------------------------- */

/* authenticate: check token as the API does (signature, claims, the
 * session not revoked). A first success makes c its user's; a later one
 * (a fresh token before the last expires) must be the same user's. On
 * failure c is closed. */
static void authenticate(struct conn *c, const char *token, const char *ref) {
  struct tok_claims claims;
  const char *why = NULL;
  if (tok_verify(token, live.now / 1000, &claims, &why)) {
    conn_close(c, WS_CLOSE_AUTH, "the access token is invalid or expired");
    return;
  }
  int rc =
      session_check(live.db, live.kv, live.arena, &claims, NULL, NULL, NULL);
  if (rc == RC_BAD_TOKEN) {
    conn_close(c, WS_CLOSE_AUTH, "the token was revoked");
    return;
  }
  if (rc) {
    conn_close(c, WS_CLOSE_INTERNAL, "the service cannot check tokens now");
    return;
  }
  if (c->authed && claims.sub != c->user) {
    conn_close(c, WS_CLOSE_AUTH, "a connection belongs to one user");
    return;
  }
  if (!c->authed) {
    c->user = claims.sub;
    rc = user_add(c);
    if (rc == RC_LIMIT) {
      c->user = 0;
      conn_close(c, WS_CLOSE_TOO_MANY, "too many connections of this user");
      return;
    }
    if (rc) {
      c->user = 0;
      conn_close(c, WS_CLOSE_INTERNAL, "out of memory");
      return;
    }
    c->authed = true;
  }
  c->sid = claims.sid;
  c->exp_ms = claims.exp * 1000;
  char exp[32];
  timefmt_rfc3339(exp, sizeof exp, c->exp_ms);
  json_object *o = json_object_new_object();
  jx_add_str(o, "type", "ready");
  jx_add_int(o, "user_id", c->user);
  jx_add_int(o, "server_time", live_now());
  jx_add_str(o, "expires_at", exp);
  if (ref) jx_add_str(o, "ref", ref);
  conn_send(c, o);
}

/* --- opening and closing -------------------------------------------------- */

void *conn_open(struct ws_conn *ws, const struct ws_upgrade *u) {
  struct conn *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  live.now = live_now();
  *c = (struct conn){.ws = ws,
                     .opened_ms = live.now,
                     .msg_tokens = LIVE_MSG_BURST,
                     .chat_tokens = LIVE_CHAT_BURST,
                     .msg_at = live.now,
                     .chat_at = live.now,
                     .all_next = all};
  if (all) all->all_prev = c;
  all = c;
  snprintf(c->client, sizeof c->client, "%s", u->client ? u->client : "-");
  if (u->party &&
      str_parse_i64(u->party, 1, 9007199254740992LL, &c->party_hint))
    c->party_hint = 0;
  if (live.draining)
    conn_close(c, WS_CLOSE_RESTART, "the server is restarting");
  else if (u->authorization && strncasecmp(u->authorization, "Bearer ", 7))
    conn_close(c, WS_CLOSE_AUTH,
               "the Authorization header must be 'Bearer <token>'");
  else if (u->authorization)
    authenticate(c, u->authorization + 7, NULL);
  arena_reset(live.arena);
  return c;
}

void conn_closed(void *p) {
  struct conn *c = p;
  live.now = live_now();
  if (c->room) room_leave(c);
  if (c->authed) user_remove(c);
  if (c->all_prev) c->all_prev->all_next = c->all_next;
  if (c->all_next) c->all_next->all_prev = c->all_prev;
  if (all == c) all = c->all_next;
  arena_reset(live.arena);
  free(c);
}

/* --- limits --------------------------------------------------------------- */

/* take: one token from a bucket of `burst` refilled `rate` a second. */
static bool take(double *tokens, long long *at, int burst, int rate) {
  *tokens += (double)(live.now - *at) * rate / 1000.0;
  if (*tokens > burst) *tokens = burst;
  *at = live.now;
  if (*tokens < 1) return false;
  *tokens -= 1;
  return true;
}

bool conn_chat_allowed(struct conn *c, const char *ref) {
  if (take(&c->chat_tokens, &c->chat_at, LIVE_CHAT_BURST, LIVE_CHAT_RATE)) {
    if (c->warned_at && live.now - c->warned_at > LIVE_FLOOD_MS) {
      c->warned_at = 0;
      c->strikes = 0;
    }
    return true;
  }
  if (!c->warned_at || live.now - c->warned_at > LIVE_FLOOD_MS) {
    c->warned_at = live.now;
    c->strikes = 0;
    conn_error(c, "flood",
               "too many chat messages: slow down, or the connection closes",
               ref);
  } else if (++c->strikes >= LIVE_FLOOD_STRIKES) {
    conn_close(c, WS_CLOSE_POLICY, "chat flood");
  }
  return false;
}

/* --- messages ------------------------------------------------------------- */

/* dispatch: a checked message of an authenticated connection. */
static void dispatch(struct conn *c, const struct proto_msg *m) {
  switch (m->type) {
  case P_AUTH:
    authenticate(c, m->token, m->ref);
    return;
  case P_JOIN:
    room_join(c, m);
    return;
  case P_PING: {
    json_object *o = json_object_new_object();
    jx_add_str(o, "type", "pong");
    jx_add_int(o, "t0", m->t0);
    jx_add_int(o, "t1", live.now);
    jx_add_int(o, "t2", live_now());
    if (m->ref) jx_add_str(o, "ref", m->ref);
    conn_send(c, o);
    return;
  }
  default:
    break;
  }
  if (!c->room) {
    conn_error(c, "not-joined", "join a party first", m->ref);
    return;
  }
  switch (m->type) {
  case P_LEAVE:
    room_leave(c);
    return;
  case P_CHAT:
    chat_message(c, m);
    return;
  case P_REACT:
    chat_react(c, m);
    return;
  case P_TYPING:
    chat_typing(c);
    return;
  case P_PLAYING:
    play_hearing(c, m->flag);
    return;
  case P_ROLE:
  case P_MUTE:
  case P_REMOVE:
  case P_END:
    room_member_act(c, m);
    return;
  default:
    play_control(c, m);
    return;
  }
}

void conn_message(void *p, const char *text, size_t len) {
  struct conn *c = p;
  if (c->closing) return;
  live.now = live_now();
  if (!take(&c->msg_tokens, &c->msg_at, LIVE_MSG_BURST, LIVE_MSG_RATE)) {
    conn_close(c, WS_CLOSE_POLICY, "too many messages");
    return;
  }
  struct proto_msg m;
  struct proto_fault f;
  int rc = proto_parse(live.arena, text, len, &m, &f);
  if (!c->authed && (rc || m.type != P_AUTH)) {
    conn_close(c, WS_CLOSE_AUTH, "authenticate first: {\"type\": \"auth\"}");
  } else if (rc) {
    conn_send(c, proto_error(f.code, f.message, NULL, &f.errs));
  } else {
    dispatch(c, &m);
  }
  arena_reset(live.arena);
}

/* timers: connections that did not authenticate in time, and those whose
 * token ran out without a fresh one. */
static void timers(void) {
  for (struct conn *c = all; c; c = c->all_next) {
    if (c->closing) continue;
    if (!c->authed && live.now - c->opened_ms > LIVE_AUTH_MS)
      conn_close(c, WS_CLOSE_AUTH, "no token in time");
    else if (c->authed && live.now > c->exp_ms)
      conn_close(c, WS_CLOSE_AUTH, "the access token expired");
  }
}

void conn_tick(void) {
  live.now = live_now();
  if (live.now - last_timers >= 1000) {
    last_timers = live.now;
    timers();
  }
  room_tick();
  store_flush(false);
  events_tick();
  arena_reset(live.arena);
}
