/* play: a room's playback, its queue, and the listens of those who play
 * along; see play.h. */
#include "live/play.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/rc.h"
#include "live/conn.h"
#include "live/live.h"
#include "live/proto.h"
#include "live/room.h"
#include "model/party.h"
#include "model/party_room.h"

/* A listen counts after half the track or this much of it. */
#define PLAY_LISTEN_MAX_MS 240000LL

static const char *const state_names[] = {
    [PLAY_IDLE] = "idle", [PLAY_PLAYING] = "playing", [PLAY_PAUSED] = "paused"};

/* --- items ---------------------------------------------------------------- */

static void item_free(struct item *it) {
  free(it->title);
  free(it->artist);
  *it = (struct item){0};
}

/* item_of: an item from a row; false when out of memory. */
static bool item_of(struct item *it, const struct party_item_row *row) {
  *it = (struct item){.id = row->id,
                      .track = row->track,
                      .added_by = row->added_by,
                      .duration_ms = row->duration_ms,
                      .title = strdup(row->title ? row->title : ""),
                      .artist = row->artist ? strdup(row->artist) : NULL};
  if (!it->title || (row->artist && !it->artist)) {
    item_free(it);
    return false;
  }
  return true;
}

/* list_insert: it at position pos (clamped) of a list; false when out of
 * memory. */
static bool list_insert(struct item **list, int *n, int pos,
                        const struct item *it) {
  struct item *l = realloc(*list, sizeof *l * (size_t)(*n + 1));
  if (!l) return false;
  *list = l;
  if (pos < 0 || pos > *n) pos = *n;
  memmove(l + pos + 1, l + pos, sizeof *l * (size_t)(*n - pos));
  l[pos] = *it;
  (*n)++;
  return true;
}

/* list_take: remove item id from a list into *out; false when absent. */
static bool list_take(struct item *list, int *n, long long id,
                      struct item *out) {
  for (int i = 0; i < *n; i++) {
    if (list[i].id != id) continue;
    *out = list[i];
    memmove(list + i, list + i + 1, sizeof *list * (size_t)(*n - i - 1));
    (*n)--;
    return true;
  }
  return false;
}

static json_object *item_json(const struct item *it) {
  json_object *o = json_object_new_object();
  jx_add_int(o, "id", it->id);
  json_object *t = json_object_new_object();
  jx_add_int(t, "id", it->track);
  jx_add_str(t, "title", it->title);
  jx_add_str(t, "artist", it->artist);
  jx_add_int(t, "duration_ms", it->duration_ms);
  json_object_object_add(o, "track", t);
  jx_add_int(o, "added_by", it->added_by);
  return o;
}

static json_object *list_json(const struct item *list, int n) {
  json_object *arr = json_object_new_array();
  for (int i = 0; i < n; i++)
    json_object_array_add(arr, item_json(&list[i]));
  return arr;
}

void play_queue_json(const struct room *r, json_object *o) {
  json_object_object_add(o, "queue", list_json(r->queue, r->nqueue));
  json_object_object_add(o, "suggestions",
                         list_json(r->suggested, r->nsuggested));
}

/* position: where the current item is now. */
static long long position(const struct room *r) {
  long long p =
      r->state == PLAY_PLAYING ? live.now - r->started_ms : r->position_ms;
  if (p < 0) p = 0;
  if (r->current.id && p > r->current.duration_ms) p = r->current.duration_ms;
  return r->state == PLAY_IDLE ? 0 : p;
}

json_object *play_json(const struct room *r) {
  json_object *o = json_object_new_object();
  jx_add_str(o, "state", state_names[r->state]);
  json_object_object_add(o, "item",
                         r->current.id ? item_json(&r->current) : NULL);
  if (r->state == PLAY_PLAYING)
    jx_add_int(o, "started_at_ms", r->started_ms);
  else
    json_object_object_add(o, "started_at_ms", NULL);
  jx_add_int(o, "position_ms", position(r));
  jx_add_int(o, "rate", r->state == PLAY_PLAYING ? 1 : 0);
  jx_add_int(o, "server_time", live.now);
  return o;
}

void play_free(struct room *r) {
  for (int i = 0; i < r->nqueue; i++)
    item_free(&r->queue[i]);
  for (int i = 0; i < r->nsuggested; i++)
    item_free(&r->suggested[i]);
  free(r->queue);
  free(r->suggested);
  item_free(&r->current);
  r->queue = r->suggested = NULL;
  r->nqueue = r->nsuggested = 0;
}

int play_restore(struct room *r, const struct party_row *row) {
  struct party_item_row *items;
  int n;
  int rc = party_room_queue(live.db, live.arena, r->id, &items, &n);
  for (int i = 0; !rc && i < n; i++) {
    struct item it;
    if (!item_of(&it, &items[i])) return RC_NOMEM;
    bool ok = true;
    if (!strcmp(items[i].state, "current") && !r->current.id)
      r->current = it;
    else if (!strcmp(items[i].state, "suggested"))
      ok = list_insert(&r->suggested, &r->nsuggested, -1, &it);
    else
      ok = list_insert(&r->queue, &r->nqueue, -1, &it);
    if (!ok) {
      item_free(&it);
      return RC_NOMEM;
    }
  }
  if (rc) return rc;
  if (r->current.id && row->play_item == r->current.id &&
      !strcmp(row->play_state, "playing")) {
    r->state = PLAY_PLAYING;
    r->started_ms = row->started_ms;
  } else if (r->current.id && row->play_item == r->current.id &&
             !strcmp(row->play_state, "paused")) {
    r->state = PLAY_PAUSED;
    r->position_ms = row->position_ms;
  } else if (r->current.id) {
    r->state = PLAY_PAUSED;
    r->position_ms = 0;
  }
  return 0;
}

/* --- listens -------------------------------------------------------------- */

/* heard: what m heard of the current item so far. */
static long long heard(const struct member *m) {
  return m->heard_ms + (m->heard_since ? live.now - m->heard_since : 0);
}

/* count: m's listen of the current item, once they heard enough. */
static void count(struct room *r, struct member *m) {
  if (m->heard_stored || !r->current.id) return;
  long long need = r->current.duration_ms / 2;
  if (need > PLAY_LISTEN_MAX_MS) need = PLAY_LISTEN_MAX_MS;
  if (need < 1) need = 1;
  long long h = heard(m);
  if (h < need) return;
  m->heard_stored = true; /* once, whatever the write's fate */
  const struct party_play p = {.party = r->id,
                               .item = r->current.id,
                               .user = m->user,
                               .track = r->current.track,
                               .at_ms = m->first_heard,
                               .played_ms = h};
  bool stored;
  if (party_room_play(live.db, live.kv, live.arena, &p, &stored))
    log_msg(LOG_WARN, "live: a party listen was not stored", NULL);
}

static void hear_start(struct room *r, struct member *m) {
  if (r->state != PLAY_PLAYING || !r->current.id || m->heard_since) return;
  m->heard_since = live.now;
  if (!m->first_heard) m->first_heard = live.now;
}

static void hear_stop(struct room *r, struct member *m) {
  if (!m->heard_since) return;
  m->heard_ms += live.now - m->heard_since;
  m->heard_since = 0;
  count(r, m);
}

/* hear_all: after a change of the state: everyone playing along hears, or
 * nobody does. */
static void hear_all(struct room *r) {
  for (int i = 0; i < r->nmembers; i++) {
    struct member *m = r->members[i];
    if (r->state == PLAY_PLAYING && m->playing > 0)
      hear_start(r, m);
    else
      hear_stop(r, m);
  }
}

void play_hearing(struct conn *c, bool playing) {
  struct member *m = c->member;
  if (c->playing == playing) return;
  c->playing = playing;
  m->playing += playing ? 1 : -1;
  if (playing && m->playing == 1) hear_start(c->room, m);
  if (!playing && m->playing == 0) hear_stop(c->room, m);
}

void play_conn_gone(struct room *r, struct conn *c) {
  (void)r;
  if (c->playing) play_hearing(c, false);
}

/* --- changes -------------------------------------------------------------- */

/* changed: everyone hears the new playback (and queue); checkpointed. */
static void changed(struct room *r, long long by, bool queue) {
  json_object *o = json_object_new_object();
  jx_add_str(o, "type", "playback");
  json_object_object_add(o, "playback", play_json(r));
  jx_add_int(o, "by", by);
  room_broadcast(r, o, 0);
  if (queue) {
    json_object *q = json_object_new_object();
    jx_add_str(q, "type", "queue");
    play_queue_json(r, q);
    room_broadcast(r, q, 0);
  }
  room_checkpoint(r);
}

static void queue_changed(struct room *r) {
  json_object *q = json_object_new_object();
  jx_add_str(q, "type", "queue");
  play_queue_json(r, q);
  room_broadcast(r, q, 0);
}

/* become: item `it` (taken off the queue) is current, playing from 0 (the
 * one before dropped). */
static void become(struct room *r, struct item *it) {
  for (int i = 0; i < r->nmembers; i++) {
    struct member *m = r->members[i];
    hear_stop(r, m);
    m->heard_ms = m->first_heard = 0;
    m->heard_stored = false;
  }
  if (r->current.id && party_room_item_delete(live.db, r->current.id))
    log_msg(LOG_WARN, "live: a played item was not deleted", NULL);
  item_free(&r->current);
  if (it) {
    r->current = *it;
    if (party_room_item_state(live.db, it->id, "current"))
      log_msg(LOG_WARN, "live: the current item was not written", NULL);
    r->state = PLAY_PLAYING;
    r->started_ms = live.now;
  } else {
    r->state = PLAY_IDLE;
    r->started_ms = r->position_ms = 0;
  }
  hear_all(r);
}

/* advance: the next queued item, or idle. */
static void advance(struct room *r, long long by) {
  struct item next;
  if (r->nqueue && list_take(r->queue, &r->nqueue, r->queue[0].id, &next))
    become(r, &next);
  else
    become(r, NULL);
  changed(r, by, true);
}

void play_tick(struct room *r) {
  if (r->state == PLAY_PLAYING && r->current.id &&
      live.now - r->started_ms >= r->current.duration_ms) {
    advance(r, 0);
    return;
  }
  if (r->state != PLAY_PLAYING) return;
  for (int i = 0; i < r->nmembers; i++)
    if (r->members[i]->heard_since) count(r, r->members[i]);
}

/* order: write the queue's order. */
static void order(struct room *r) {
  json_object *ids = json_object_new_array();
  for (int i = 0; i < r->nqueue; i++)
    json_object_array_add(ids, json_object_new_int64(r->queue[i].id));
  size_t len;
  const char *text = jx_text(live.arena, ids, &len);
  if (!text || party_room_order(live.db, r->id, text))
    log_msg(LOG_WARN, "live: the queue's order was not written", NULL);
  json_object_put(ids);
}

/* add: a track to the queue (or the suggestions). */
static void add(struct conn *c, const struct proto_msg *m, bool suggest) {
  struct room *r = c->room;
  if (r->nqueue + r->nsuggested >= PARTY_QUEUE_MAX) {
    conn_error(c, "limit-reached", "the queue is full", m->ref);
    return;
  }
  struct party_item_row row;
  int rc = party_room_track(live.db, live.arena, m->track_id, &row);
  if (rc == RC_NOT_FOUND) {
    conn_error(c, "not-found", "no such track", m->ref);
    return;
  }
  const char *state = suggest ? "suggested" : "queued";
  if (!rc)
    rc = party_room_item_add(live.db, r->id, m->track_id, state, c->user,
                             &row.id);
  row.added_by = c->user;
  struct item it;
  if (rc || !item_of(&it, &row)) {
    conn_error(c, "unavailable", "the queue cannot change now", m->ref);
    return;
  }
  bool ok = suggest ? list_insert(&r->suggested, &r->nsuggested, -1, &it)
                    : list_insert(&r->queue, &r->nqueue, (int)m->position, &it);
  if (!ok) {
    item_free(&it);
    return;
  }
  if (!suggest && m->position >= 0 && m->position < r->nqueue - 1) order(r);
  queue_changed(r);
}

/* find: the index of item id in a list, or -1. */
static int find(const struct item *list, int n, long long id) {
  for (int i = 0; i < n; i++)
    if (list[i].id == id) return i;
  return -1;
}

/* queue_edit: remove, move, accept or reject an item. */
static void queue_edit(struct conn *c, const struct proto_msg *m) {
  struct room *r = c->room;
  bool queued = find(r->queue, r->nqueue, m->item_id) >= 0;
  bool suggested = find(r->suggested, r->nsuggested, m->item_id) >= 0;
  bool about_suggestion =
      m->type == P_SUGGESTION_ACCEPT || m->type == P_SUGGESTION_REJECT;
  if (about_suggestion ? !suggested
                       : !queued && !(m->type == P_QUEUE_REMOVE && suggested)) {
    conn_error(c, "not-found",
               about_suggestion ? "no such suggestion"
                                : "no such item in the queue",
               m->ref);
    return;
  }
  struct item it;
  if (queued)
    list_take(r->queue, &r->nqueue, m->item_id, &it);
  else
    list_take(r->suggested, &r->nsuggested, m->item_id, &it);
  if (m->type == P_QUEUE_REMOVE || m->type == P_SUGGESTION_REJECT) {
    if (party_room_item_delete(live.db, it.id))
      log_msg(LOG_WARN, "live: a queue item was not deleted", NULL);
    item_free(&it);
  } else {
    if (!list_insert(&r->queue, &r->nqueue, (int)m->position, &it))
      item_free(&it);
    order(r);
  }
  queue_changed(r);
}

void play_control(struct conn *c, const struct proto_msg *m) {
  struct room *r = c->room;
  if (m->type == P_SUGGEST) {
    if (c->member->muted)
      conn_error(c, "muted", "the host muted you", m->ref);
    else if (conn_chat_allowed(c, m->ref))
      add(c, m, c->member->role == ROLE_MEMBER);
    return;
  }
  if (!room_can_control(c, m->ref)) return;
  switch (m->type) {
  case P_QUEUE_ADD:
    add(c, m, false);
    return;
  case P_QUEUE_REMOVE:
  case P_QUEUE_MOVE:
  case P_SUGGESTION_ACCEPT:
  case P_SUGGESTION_REJECT:
    queue_edit(c, m);
    return;
  case P_SKIP:
    advance(r, c->user);
    return;
  case P_PLAY:
    if (m->item_id) {
      struct item it;
      if (!list_take(r->queue, &r->nqueue, m->item_id, &it)) {
        conn_error(c, "not-found", "no such item in the queue", m->ref);
        return;
      }
      become(r, &it);
      changed(r, c->user, true);
      return;
    }
    if (r->state == PLAY_IDLE) {
      advance(r, c->user);
      return;
    }
    if (r->state == PLAY_PAUSED) {
      r->state = PLAY_PLAYING;
      r->started_ms = live.now - r->position_ms;
      hear_all(r);
    }
    changed(r, c->user, false);
    return;
  case P_PAUSE:
    if (r->state == PLAY_PLAYING) {
      r->position_ms = position(r);
      r->state = PLAY_PAUSED;
      hear_all(r);
    }
    changed(r, c->user, false);
    return;
  case P_SEEK:
    if (r->state == PLAY_IDLE) {
      conn_error(c, "nothing-playing", "nothing to seek in", m->ref);
      return;
    }
    {
      long long p = m->position_ms > r->current.duration_ms
                        ? r->current.duration_ms
                        : m->position_ms;
      if (r->state == PLAY_PLAYING)
        r->started_ms = live.now - p;
      else
        r->position_ms = p;
    }
    changed(r, c->user, false);
    return;
  default:
    return;
  }
}
