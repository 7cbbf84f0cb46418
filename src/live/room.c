/* room: the parties this process holds; see room.h. */
#include "live/room.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/rc.h"
#include "core/timefmt.h"
#include "live/chat.h"
#include "live/conn.h"
#include "live/live.h"
#include "live/play.h"
#include "live/proto.h"
#include "live/store.h"
#include "live/ws.h"
#include "model/party_room.h"

static const char *const role_names[] = {
    [ROLE_MEMBER] = "member", [ROLE_CO_HOST] = "co_host", [ROLE_HOST] = "host"};

static enum role role_of(const char *s) {
  if (s && !strcmp(s, "host")) return ROLE_HOST;
  if (s && !strcmp(s, "co_host")) return ROLE_CO_HOST;
  return ROLE_MEMBER;
}

/* copy: a heap copy of s ("" for NULL when `empty`, else NULL). */
static char *copy(const char *s, bool empty) {
  return s ? strdup(s) : empty ? strdup("") : NULL;
}

struct room *room_find(long long id) {
  return idmap_get(&live.rooms, id);
}

struct member *room_member(const struct room *r, long long user) {
  for (int i = 0; i < r->nmembers; i++)
    if (r->members[i]->user == user) return r->members[i];
  return NULL;
}

bool room_hidden(const struct room *r, long long a, long long b) {
  for (int i = 0; i < r->nblocks; i++)
    if ((r->blocks[i][0] == a && r->blocks[i][1] == b) ||
        (r->blocks[i][0] == b && r->blocks[i][1] == a))
      return true;
  return false;
}

json_object *room_user_json(const struct member *m) {
  json_object *o = json_object_new_object();
  jx_add_int(o, "id", m->user);
  jx_add_str(o, "username", m->username);
  jx_add_str(o, "display_name", m->display_name);
  jx_add_str(o, "avatar_url", m->avatar_url);
  return o;
}

/* member_json: a member as the room shows it. */
static json_object *member_json(const struct member *m) {
  json_object *o = json_object_new_object();
  json_object_object_add(o, "user", room_user_json(m));
  jx_add_str(o, "role", role_names[m->role]);
  jx_add_bool(o, "muted", m->muted);
  jx_add_bool(o, "online", m->conns > 0);
  jx_add_bool(o, "playing", m->playing > 0);
  return o;
}

void room_broadcast(struct room *r, json_object *msg, long long about) {
  size_t len;
  const char *text = jx_text(live.arena, msg, &len);
  struct ws_msg *m = text ? ws_msg_new(text, len) : NULL;
  json_object_put(msg);
  if (!m) return;
  for (struct conn *c = r->conns; c; c = c->room_next)
    if (!c->closing &&
        (!about || !r->nblocks || !room_hidden(r, about, c->user)))
      ws_send(c->ws, m);
  ws_msg_unref(m);
}

/* typed: a new message of the type. */
static json_object *typed(const char *type) {
  json_object *o = json_object_new_object();
  jx_add_str(o, "type", type);
  return o;
}

/* member_update: everyone hears of m's new standing. */
static void member_update(struct room *r, const struct member *m) {
  json_object *o = typed("member");
  json_object *mj = member_json(m);
  jx_add_bool(mj, "removed", m->removed);
  json_object_object_add(o, "member", mj);
  room_broadcast(r, o, 0);
}

void room_checkpoint(struct room *r) {
  static const char *const states[] = {[PLAY_IDLE] = "idle",
                                       [PLAY_PLAYING] = "playing",
                                       [PLAY_PAUSED] = "paused"};
  const struct party_row row = {.id = r->id,
                                .host = r->host,
                                .play_state = states[r->state],
                                .play_item = r->current.id,
                                .started_ms = r->started_ms,
                                .position_ms = r->position_ms};
  if (party_room_checkpoint(live.db, &row))
    log_msg(LOG_WARN, "live: a checkpoint was not written", NULL);
}

/* --- restoring and freeing ------------------------------------------------ */

static struct member *member_new(const struct party_member_row *row) {
  struct member *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  *m = (struct member){.user = row->user,
                       .username = copy(row->username, true),
                       .display_name = copy(row->display_name, true),
                       .avatar_url = copy(row->avatar_url, false),
                       .role = role_of(row->role),
                       .muted = row->muted,
                       .removed = row->removed};
  if (!m->username || !m->display_name) {
    free(m->username);
    free(m->display_name);
    free(m->avatar_url);
    free(m);
    return NULL;
  }
  return m;
}

static void member_free(struct member *m) {
  free(m->username);
  free(m->display_name);
  free(m->avatar_url);
  free(m);
}

/* member_add: m among r's members; false when out of memory. */
static bool member_add(struct room *r, struct member *m) {
  struct member **ms =
      realloc(r->members, sizeof *ms * (size_t)(r->nmembers + 1));
  if (!ms) return false;
  r->members = ms;
  r->members[r->nmembers++] = m;
  return true;
}

static void room_free(struct room *r) {
  for (int i = 0; i < r->nmembers; i++)
    member_free(r->members[i]);
  free(r->members);
  free(r->blocks);
  free(r->name);
  play_free(r);
  chat_free(r);
  free(r);
}

/* restore: the room of party id from MariaDB, its lease taken. */
static int restore(long long id, struct room **out) {
  struct party_row row;
  int rc =
      party_room_claim(live.db, live.arena, id, live.node, LIVE_LEASE_S, &row);
  if (rc) return rc;
  struct room *r = calloc(1, sizeof *r);
  if (!r) return RC_NOMEM;
  *r = (struct room){.id = id,
                     .owner = row.owner,
                     .host = row.host,
                     .created_ms = row.created_ms,
                     .name = copy(row.name, true),
                     .host_gone_ms = live.now};
  snprintf(r->visibility, sizeof r->visibility, "%s", row.visibility);
  struct party_member_row *ms;
  int n;
  rc =
      r->name ? party_room_members(live.db, live.arena, id, &ms, &n) : RC_NOMEM;
  for (int i = 0; !rc && i < n; i++) {
    struct member *m = member_new(&ms[i]);
    if (!m || !member_add(r, m)) {
      if (m) member_free(m);
      rc = RC_NOMEM;
    }
  }
  if (!rc) rc = play_restore(r, &row);
  if (!rc) rc = chat_restore(r);
  if (!rc) rc = idmap_put(&live.rooms, id, r);
  if (rc) {
    room_free(r);
    party_room_release(live.db, live.node, id);
    return rc;
  }
  *out = r;
  return 0;
}

/* detach: c is no longer in r (its member's count kept by the caller). */
static void detach(struct room *r, struct conn *c) {
  if (c->room_prev) c->room_prev->room_next = c->room_next;
  if (c->room_next) c->room_next->room_prev = c->room_prev;
  if (r->conns == c) r->conns = c->room_next;
  c->room_next = c->room_prev = NULL;
  c->room = NULL;
  c->member = NULL;
  r->nconns--;
}

/* forget: drop r from the registry and free it; its connections are told
 * with `msg` (released here, may be NULL) and closed with code. */
static void forget(struct room *r, json_object *msg, int code,
                   const char *why) {
  size_t len;
  const char *text = msg ? jx_text(live.arena, msg, &len) : NULL;
  while (r->conns) {
    struct conn *c = r->conns;
    if (text && !c->closing) ws_send_text(c->ws, text, len);
    detach(r, c);
    conn_close(c, code, why);
  }
  if (msg) json_object_put(msg);
  idmap_del(&live.rooms, r->id);
  room_free(r);
}

void room_end(struct room *r, bool write, const char *why) {
  if (write && party_room_end(live.db, r->id))
    log_msg(LOG_WARN, "live: a party's end was not written", NULL);
  json_object *o = typed("ended");
  jx_add_int(o, "party_id", r->id);
  jx_add_str(o, "reason", why);
  forget(r, o, WS_CLOSE_ENDED, "the party ended");
}

void room_unload_all(void) {
  for (size_t i = 0; i < live.rooms.cap;) {
    struct room *r = live.rooms.slots[i].val;
    if (!live.rooms.slots[i].id) {
      i++;
      continue;
    }
    room_checkpoint(r);
    forget(r, NULL, WS_CLOSE_RESTART, "the server is restarting");
  }
  party_room_release(live.db, live.node, 0);
  idmap_free(&live.rooms);
}

void room_held(const long long *ids, int n) {
  long long lost[64];
  int nlost = 0;
  for (size_t i = 0; i < live.rooms.cap && nlost < 64; i++) {
    long long id = live.rooms.slots[i].id;
    bool held = false;
    for (int j = 0; j < n && !held; j++)
      held = ids[j] == id;
    if (id && !held) lost[nlost++] = id;
  }
  for (int i = 0; i < nlost; i++) {
    struct room *r = room_find(lost[i]);
    log_msg(LOG_WARN, "live: a party was taken over elsewhere", NULL);
    forget(r, NULL, WS_CLOSE_RESTART, "the party moved: reconnect");
  }
}

/* --- the host ------------------------------------------------------------- */

/* host_check: after a member left or came: with the host away, the party
 * passes to a co-host who is there, or the grace period starts. */
static void host_check(struct room *r) {
  struct member *h = room_member(r, r->host);
  if (h && h->conns > 0) {
    r->host_gone_ms = 0;
    return;
  }
  for (int i = 0; i < r->nmembers; i++) {
    struct member *m = r->members[i];
    if (m->role != ROLE_CO_HOST || m->conns == 0 || m->removed) continue;
    if (h) {
      h->role = ROLE_CO_HOST;
      store_member(r, h);
    }
    m->role = ROLE_HOST;
    r->host = m->user;
    r->host_gone_ms = 0;
    store_member(r, m);
    room_checkpoint(r);
    json_object *o = typed("host");
    json_object_object_add(o, "host", room_user_json(m));
    jx_add_int(o, "previous_host_id", h ? h->user : 0);
    room_broadcast(r, o, 0);
    return;
  }
  if (!r->host_gone_ms) r->host_gone_ms = live.now;
}

bool room_can_control(struct conn *c, const char *ref) {
  if (c->member && c->member->role != ROLE_MEMBER) return true;
  conn_error(c, "forbidden", "only the host and co-hosts do this", ref);
  return false;
}

void room_tick(void) {
  long long ended[64];
  int n = 0;
  for (size_t i = 0; i < live.rooms.cap; i++) {
    struct room *r = live.rooms.slots[i].val;
    if (!live.rooms.slots[i].id) continue;
    play_tick(r);
    if (r->host_gone_ms && n < 64 &&
        live.now - r->host_gone_ms >= live.opt.host_grace_s * 1000LL)
      ended[n++] = r->id;
  }
  for (int i = 0; i < n; i++)
    room_end(room_find(ended[i]), true, "the host left");
}

/* --- joining and leaving -------------------------------------------------- */

/* snapshot: all c needs to show the room, and the chat after `since`. */
static void snapshot(struct room *r, struct conn *c, long long since,
                     const char *ref) {
  json_object *o = typed("snapshot");
  if (ref) jx_add_str(o, "ref", ref);
  jx_add_int(o, "server_time", live.now);
  json_object *p = json_object_new_object();
  jx_add_int(p, "id", r->id);
  jx_add_str(p, "name", r->name);
  jx_add_str(p, "visibility", r->visibility);
  jx_add_int(p, "owner_id", r->owner);
  jx_add_int(p, "host_id", r->host);
  char at[32];
  timefmt_rfc3339(at, sizeof at, r->created_ms);
  jx_add_str(p, "created_at", at);
  json_object_object_add(o, "party", p);
  json_object *you = json_object_new_object();
  jx_add_int(you, "user_id", c->user);
  jx_add_str(you, "role", role_names[c->member->role]);
  jx_add_bool(you, "muted", c->member->muted);
  json_object_object_add(o, "you", you);
  json_object *members = json_object_new_array();
  for (int i = 0; i < r->nmembers; i++)
    if (r->members[i]->conns > 0)
      json_object_array_add(members, member_json(r->members[i]));
  json_object_object_add(o, "members", members);
  json_object_object_add(o, "playback", play_json(r));
  play_queue_json(r, o);
  bool complete = true;
  json_object_object_add(o, "chat", chat_history(r, c, since, &complete));
  jx_add_bool(o, "chat_complete", complete);
  conn_send(c, o);
}

/* presence: the others hear that m came or went. */
static void presence(struct room *r, const struct member *m, bool joined) {
  json_object *o = typed("presence");
  jx_add_str(o, "event", joined ? "joined" : "left");
  json_object_object_add(o, "user", room_user_json(m));
  int online = 0;
  for (int i = 0; i < r->nmembers; i++)
    online += r->members[i]->conns > 0;
  jx_add_int(o, "online", online);
  room_broadcast(r, o, 0);
}

/* enter: c's user (as `row` shows them) as a member of r (added when
 * new); NULL with an error sent when they cannot be. */
static struct member *enter(struct room *r, struct conn *c,
                            struct party_member_row *row, const char *ref) {
  struct member *m = room_member(r, c->user);
  if (m) return m;
  if (r->nmembers >= PARTY_MEMBERS_MAX) {
    conn_error(c, "limit-reached", "the party is full", ref);
    return NULL;
  }
  row->role = c->user == r->host ? "host" : "member";
  m = member_new(row);
  if (!m || !member_add(r, m)) {
    if (m) member_free(m);
    conn_error(c, "unavailable", "the party cannot be joined now", ref);
    return NULL;
  }
  store_member(r, m);
  return m;
}

/* apart_from: the members c's user is apart from by a block (the user's
 * blocks both ways, ids[0..n), kept for those who are members). */
static void apart_from(struct room *r, struct conn *c, const long long *ids,
                       int n) {
  for (int i = 0; i < n; i++)
    if (room_member(r, ids[i]) && !room_hidden(r, c->user, ids[i])) {
      long long(*b)[2] =
          realloc(r->blocks, sizeof *b * (size_t)(r->nblocks + 1));
      if (!b) return;
      r->blocks = b;
      r->blocks[r->nblocks][0] = c->user;
      r->blocks[r->nblocks][1] = ids[i];
      r->nblocks++;
    }
}

void room_join(struct conn *c, const struct proto_msg *m) {
  if (c->room && c->room->id == m->party_id) {
    snapshot(c->room, c, m->since, m->ref); /* a resync */
    return;
  }
  if (c->room) {
    conn_error(c, "already-joined", "leave the party first", m->ref);
    return;
  }
  if (c->party_hint != m->party_id) {
    conn_error(c, "wrong-party",
               "connect to /api/v1/live?party=<party_id> to join a party",
               m->ref);
    return;
  }
  struct party_admit ad;
  int rc = party_room_admit(live.db, live.arena, m->party_id, c->user, &ad);
  if (rc) {
    conn_error(c, "unavailable", "the party cannot be joined now", m->ref);
    return;
  }
  if (!ad.ok) {
    conn_error(c, "not-found", "no such party", m->ref);
    return;
  }
  struct room *r = room_find(m->party_id);
  if (!r && (rc = restore(m->party_id, &r))) {
    if (rc == RC_NOT_FOUND)
      conn_error(c, "not-found", "no such party", m->ref);
    else if (rc == RC_CONFLICT)
      conn_close(c, 1013, "the party is held elsewhere: reconnect");
    else
      conn_error(c, "unavailable", "the party cannot be joined now", m->ref);
    return;
  }
  /* The blocks between the user and the room's members, all of them:
   * without them the room could not keep apart who must be. */
  long long *ids =
      arena_alloc(live.arena, sizeof *ids * (size_t)(r->nmembers + 1));
  long long *blocks = NULL;
  int n = 0, nblocks = 0;
  for (int i = 0; ids && i < r->nmembers; i++)
    if (r->members[i]->user != c->user) ids[n++] = r->members[i]->user;
  if (!ids || party_room_blocks(live.db, live.arena, c->user, ids, n, &blocks,
                                &nblocks)) {
    conn_error(c, "unavailable", "the party cannot be joined now", m->ref);
    return;
  }
  struct member *mem = enter(r, c, &ad.user, m->ref);
  if (!mem) return;
  if (mem->conns == 0) presence(r, mem, true);
  apart_from(r, c, blocks, nblocks);
  c->room = r;
  c->member = mem;
  c->room_next = r->conns;
  if (r->conns) r->conns->room_prev = c;
  r->conns = c;
  r->nconns++;
  mem->conns++;
  host_check(r);
  snapshot(r, c, m->since, m->ref);
}

void room_leave(struct conn *c) {
  struct room *r = c->room;
  struct member *m = c->member;
  if (!r) return;
  play_conn_gone(r, c);
  detach(r, c);
  if (--m->conns == 0) presence(r, m, false);
  host_check(r);
}

void room_remove(struct room *r, long long user, const char *why) {
  struct member *m = room_member(r, user);
  if (!m) return;
  m->removed = true;
  m->muted = false;
  m->role = ROLE_MEMBER;
  for (struct conn *c = r->conns, *next; c; c = next) {
    next = c->room_next;
    if (c->user != user) continue;
    json_object *o = typed("removed");
    jx_add_int(o, "party_id", r->id);
    jx_add_str(o, "reason", why);
    conn_send(c, o);
    room_leave(c);
    conn_close(c, WS_CLOSE_GONE, why);
  }
  member_update(r, m);
}

void room_apart(struct room *r, long long a, long long b) {
  if (!room_hidden(r, a, b)) {
    long long(*p)[2] = realloc(r->blocks, sizeof *p * (size_t)(r->nblocks + 1));
    if (p) {
      r->blocks = p;
      r->blocks[r->nblocks][0] = a;
      r->blocks[r->nblocks][1] = b;
      r->nblocks++;
    }
  }
  /* A block with the party's host or owner: the other may no longer see
   * the party (PARTY_SEES). */
  if (a == r->host || a == r->owner)
    room_remove(r, b, "a block with the host");
  else if (b == r->host || b == r->owner)
    room_remove(r, a, "a block with the host");
}

/* --- the host's acts on members ------------------------------------------- */

void room_member_act(struct conn *c, const struct proto_msg *m) {
  struct room *r = c->room;
  bool host = c->member->role == ROLE_HOST;
  if (m->type == P_END) {
    if (!host) {
      conn_error(c, "forbidden", "only the host ends the party", m->ref);
      return;
    }
    room_end(r, true, "the host ended the party");
    return;
  }
  if (!room_can_control(c, m->ref)) return;
  struct member *t = room_member(r, m->user_id);
  if (!t || t->removed) {
    conn_error(c, "not-found", "no such member", m->ref);
    return;
  }
  if (t->user == c->user || t->role == ROLE_HOST ||
      (t->role == ROLE_CO_HOST && !host) || (m->type == P_ROLE && !host)) {
    conn_error(c, "forbidden",
               m->type == P_ROLE ? "only the host names co-hosts"
                                 : "not over the host, a co-host or yourself",
               m->ref);
    return;
  }
  if (m->type == P_REMOVE) {
    t->removed = true;
    t->role = ROLE_MEMBER;
    store_member(r, t);
    store_flush(true); /* the REST side must know it at once */
    room_remove(r, t->user, "removed by the host");
    return;
  }
  if (m->type == P_ROLE)
    t->role = m->co_host ? ROLE_CO_HOST : ROLE_MEMBER;
  else
    t->muted = m->flag;
  store_member(r, t);
  store_flush(true); /* a co-host's powers hold over REST at once */
  member_update(r, t);
  host_check(r);
}
