/* chat: a room's chat, its ring and its batched writes; see chat.h. */
#include "live/chat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/rc.h"
#include "core/timefmt.h"
#include "live/conn.h"
#include "live/live.h"
#include "live/proto.h"
#include "live/room.h"
#include "live/store.h"
#include "model/party_room.h"

/* --- the ring ------------------------------------------------------------- */

/* at: the i-th message of r's ring, oldest first. */
static struct chat *at(struct room *r, int i) {
  return &r->ring[(r->ring_head + i) % LIVE_CHAT_RING];
}

static void chat_clear(struct chat *m) {
  free(m->text);
  free(m->reactions);
  *m = (struct chat){0};
}

/* push: a copy of m at the ring's end (the oldest dropped when full);
 * false when out of memory. */
static struct chat *push(struct room *r, const struct party_message_row *m) {
  char *text = strdup(m->text ? m->text : "");
  if (!text) return NULL;
  struct chat *slot;
  if (r->ring_n == LIVE_CHAT_RING) {
    slot = at(r, 0);
    chat_clear(slot);
    r->ring_head = (r->ring_head + 1) % LIVE_CHAT_RING;
    r->ring_n--;
  }
  slot = at(r, r->ring_n++);
  *slot = (struct chat){.id = m->id,
                        .user = m->user,
                        .reply_to = m->reply_to,
                        .at_ms = m->at_ms,
                        .text = text};
  return slot;
}

/* find: message id in the ring, or NULL. */
static struct chat *find(struct room *r, long long id) {
  if (!r->ring_n || id < at(r, 0)->id) return NULL;
  for (int i = 0; i < r->ring_n; i++)
    if (at(r, i)->id == id) return at(r, i);
  return NULL;
}

/* react_apply: add or drop one reaction of a ring message. */
static void react_apply(struct chat *m, long long user, const char *emoji,
                        bool remove) {
  for (int i = 0; i < m->nreactions; i++) {
    if (m->reactions[i].user != user || strcmp(m->reactions[i].emoji, emoji))
      continue;
    if (remove) m->reactions[i] = m->reactions[--m->nreactions];
    return;
  }
  if (remove) return;
  struct reaction *rs =
      realloc(m->reactions, sizeof *rs * (size_t)(m->nreactions + 1));
  if (!rs) return;
  m->reactions = rs;
  rs[m->nreactions].user = user;
  snprintf(rs[m->nreactions].emoji, sizeof rs->emoji, "%s", emoji);
  m->nreactions++;
}

void chat_free(struct room *r) {
  for (int i = 0; i < r->ring_n; i++)
    chat_clear(at(r, i));
  r->ring_n = r->ring_head = 0;
}

int chat_restore(struct room *r) {
  struct party_message_row *rows;
  struct party_reaction_row *re;
  int n, nre;
  int rc = party_chat_next(live.db, live.arena, r->id, &r->next_msg);
  if (!rc)
    rc = party_chat_after(live.db, live.arena, r->id, -1, LIVE_CHAT_RING, &rows,
                          &n);
  for (int i = 0; !rc && i < n; i++)
    if (!push(r, &rows[i])) rc = RC_NOMEM;
  if (!rc && n)
    rc = party_chat_reactions(live.db, live.arena, r->id, rows[0].id,
                              rows[n - 1].id, &re, &nre);
  for (int i = 0; !rc && n && i < nre; i++) {
    struct chat *m = find(r, re[i].message);
    if (m) react_apply(m, re[i].user, re[i].emoji, false);
  }
  return rc;
}

/* --- JSON ----------------------------------------------------------------- */

/* chat_json: message m as `viewer` sees it (0: anyone; reactions of those
 * apart from the viewer left out). */
static json_object *chat_json(struct room *r, const struct chat *m,
                              long long viewer) {
  json_object *o = json_object_new_object();
  jx_add_int(o, "id", m->id);
  struct member *u = room_member(r, m->user);
  if (u) {
    json_object_object_add(o, "user", room_user_json(u));
  } else {
    json_object *id = json_object_new_object();
    jx_add_int(id, "id", m->user);
    json_object_object_add(o, "user", id);
  }
  jx_add_str(o, "text", m->text);
  if (m->reply_to)
    jx_add_int(o, "reply_to", m->reply_to);
  else
    json_object_object_add(o, "reply_to", NULL);
  char when[32];
  timefmt_rfc3339(when, sizeof when, m->at_ms);
  jx_add_str(o, "created_at", when);
  json_object *arr = json_object_new_array();
  for (int i = 0; i < m->nreactions; i++) {
    const struct reaction *x = &m->reactions[i];
    if (viewer && r->nblocks && room_hidden(r, viewer, x->user)) continue;
    json_object *group = NULL;
    for (size_t j = 0; j < json_object_array_length(arr) && !group; j++) {
      json_object *g = json_object_array_get_idx(arr, j);
      if (!strcmp(jx_str(g, "emoji"), x->emoji)) group = g;
    }
    if (!group) {
      group = json_object_new_object();
      jx_add_str(group, "emoji", x->emoji);
      json_object_object_add(group, "users", json_object_new_array());
      json_object_array_add(arr, group);
    }
    json_object *users;
    json_object_object_get_ex(group, "users", &users);
    json_object_array_add(users, json_object_new_int64(x->user));
  }
  json_object_object_add(o, "reactions", arr);
  return o;
}

json_object *chat_history(struct room *r, struct conn *c, long long since,
                          bool *complete) {
  json_object *arr = json_object_new_array();
  *complete = true;
  bool in_ring = since < 0 || !r->ring_n || at(r, 0)->id <= since + 1 ||
                 since + 1 >= r->next_msg;
  if (in_ring) {
    int from = 0;
    if (since < 0) {
      /* the last LIVE_SNAPSHOT_CHAT this viewer may see */
      int seen = 0;
      for (from = r->ring_n; from > 0 && seen < LIVE_SNAPSHOT_CHAT; from--)
        seen += !room_hidden(r, c->user, at(r, from - 1)->user);
    }
    for (int i = from; i < r->ring_n; i++) {
      const struct chat *m = at(r, i);
      if (m->id > since && !room_hidden(r, c->user, m->user))
        json_object_array_add(arr, chat_json(r, m, c->user));
    }
    return arr;
  }
  /* Older than the ring: MariaDB, once what is pending is written. */
  store_flush(true);
  struct party_message_row *rows;
  int n;
  if (party_chat_after(live.db, live.arena, r->id, since, LIVE_RESUME_MAX + 1,
                       &rows, &n)) {
    *complete = false;
    return arr;
  }
  if (n > LIVE_RESUME_MAX) {
    n = LIVE_RESUME_MAX;
    *complete = false;
  }
  struct party_reaction_row *re = NULL;
  int nre = 0;
  if (n)
    party_chat_reactions(live.db, live.arena, r->id, rows[0].id, rows[n - 1].id,
                         &re, &nre);
  for (int i = 0; i < n; i++) {
    if (room_hidden(r, c->user, rows[i].user)) continue;
    struct chat m = {.id = rows[i].id,
                     .user = rows[i].user,
                     .reply_to = rows[i].reply_to,
                     .at_ms = rows[i].at_ms,
                     .text = (char *)(uintptr_t)rows[i].text};
    struct reaction own[PARTY_REACTIONS_MAX * 4];
    m.reactions = own;
    for (int j = 0; j < nre && m.nreactions < PARTY_REACTIONS_MAX * 4; j++)
      if (re[j].message == m.id) {
        own[m.nreactions].user = re[j].user;
        snprintf(own[m.nreactions].emoji, sizeof own->emoji, "%s", re[j].emoji);
        m.nreactions++;
      }
    json_object_array_add(arr, chat_json(r, &m, c->user));
  }
  return arr;
}

/* --- messages ------------------------------------------------------------- */

/* may_speak: c is not muted and not flooding. */
static bool may_speak(struct conn *c, const char *ref) {
  if (c->member->muted) {
    conn_error(c, "muted", "the host muted you", ref);
    return false;
  }
  return conn_chat_allowed(c, ref);
}

void chat_message(struct conn *c, const struct proto_msg *m) {
  struct room *r = c->room;
  if (!may_speak(c, m->ref)) return;
  if (r->next_msg > PARTY_MESSAGES_MAX) {
    conn_error(c, "limit-reached", "the party's chat is full", m->ref);
    return;
  }
  if (m->reply_to >= r->next_msg) {
    conn_error(c, "not-found", "no such message to reply to", m->ref);
    return;
  }
  const struct party_message_row row = {.id = r->next_msg,
                                        .user = c->user,
                                        .reply_to = m->reply_to,
                                        .at_ms = live.now,
                                        .text = m->text};
  struct chat *msg = push(r, &row);
  if (!msg) {
    conn_error(c, "unavailable", "the message was not sent", m->ref);
    return;
  }
  r->next_msg++;
  store_chat(r, msg);
  json_object *o = json_object_new_object();
  jx_add_str(o, "type", "chat");
  json_object_object_add(o, "message", chat_json(r, msg, 0));
  if (m->ref) jx_add_str(o, "ref", m->ref);
  room_broadcast(r, o, c->user);
}

void chat_react(struct conn *c, const struct proto_msg *m) {
  struct room *r = c->room;
  if (!may_speak(c, m->ref)) return;
  if (m->message_id >= r->next_msg) {
    conn_error(c, "not-found", "no such message", m->ref);
    return;
  }
  const struct party_reaction_row row = {
      .message = m->message_id, .user = c->user, .emoji = m->emoji};
  bool changed;
  int rc =
      party_chat_react(live.db, live.arena, &row, r->id, m->remove, &changed);
  if (rc == RC_LIMIT) {
    conn_error(c, "limit-reached", "at most 8 reactions to one message",
               m->ref);
    return;
  }
  if (rc) {
    conn_error(c, "unavailable", "the reaction was not kept", m->ref);
    return;
  }
  if (!changed) return;
  struct chat *msg = find(r, m->message_id);
  if (msg) react_apply(msg, c->user, m->emoji, m->remove);
  json_object *o = json_object_new_object();
  jx_add_str(o, "type", "reaction");
  jx_add_int(o, "message_id", m->message_id);
  jx_add_int(o, "user_id", c->user);
  jx_add_str(o, "emoji", m->emoji);
  jx_add_bool(o, "removed", m->remove);
  if (m->ref) jx_add_str(o, "ref", m->ref);
  room_broadcast(r, o, c->user);
}

void chat_typing(struct conn *c) {
  if (c->member->muted || live.now - c->typing_at < LIVE_TYPING_MS) return;
  c->typing_at = live.now;
  json_object *o = json_object_new_object();
  jx_add_str(o, "type", "typing");
  jx_add_int(o, "user_id", c->user);
  room_broadcast(c->room, o, c->user);
}
