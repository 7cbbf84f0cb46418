/* events: the live_events read, the leases, the sweep; see events.h. */
#include "live/events.h"

#include <stdio.h>

#include "core/log.h"
#include "live/conn.h"
#include "live/live.h"
#include "live/room.h"
#include "live/ws.h"
#include "model/live_event.h"
#include "model/party_room.h"

/* Events read at once. */
#define EVENTS_BATCH 256
/* Parties a process checks it still holds after a renewal. */
#define HELD_MAX 65536

static struct {
  long long last_id;
  bool started;
  long long read_at, renew_at, sweep_at;
} ev;

int events_start(void) {
  int rc = live_event_last(live.db, live.arena, &ev.last_id);
  ev.started = rc == 0;
  return rc;
}

/* A revocation: the session (or every session of the user but one). */
struct revoked {
  long long sid;
  bool all_but;
};

static void revoke(struct conn *c, void *arg) {
  const struct revoked *r = arg;
  if (r->all_but ? c->sid != r->sid : c->sid == r->sid)
    conn_close(c, WS_CLOSE_AUTH, "the session was revoked");
}

/* A block between two users, seen from one of them. */
struct blocked {
  long long other;
};

static void apart(struct conn *c, void *arg) {
  const struct blocked *b = arg;
  if (c->room) room_apart(c->room, c->user, b->other);
}

static void apply(const struct live_event *e) {
  struct room *r = e->party ? room_find(e->party) : NULL;
  char id[24];
  snprintf(id, sizeof id, "%lld", e->id);
  log_msg(LOG_DEBUG, "live: an event", "id", id, NULL);
  switch (e->kind) {
  case LIVE_PARTY_ENDED:
    if (r) room_end(r, false, "the host ended the party");
    return;
  case LIVE_MEMBER_REMOVED:
    if (r) room_remove(r, e->user, "removed by the host");
    return;
  case LIVE_BLOCKED:
    conn_each_of_user(e->user, apart, &(struct blocked){.other = e->other});
    conn_each_of_user(e->other, apart, &(struct blocked){.other = e->user});
    return;
  case LIVE_SESSION_REVOKED:
    conn_each_of_user(e->user, revoke, &(struct revoked){.sid = e->other});
    return;
  case LIVE_SESSIONS_REVOKED:
    conn_each_of_user(e->user, revoke,
                      &(struct revoked){.sid = e->other, .all_but = true});
    return;
  }
}

/* read_events: everything written since the last read. */
static void read_events(void) {
  if (!ev.started && events_start()) return;
  struct live_event batch[EVENTS_BATCH];
  int n;
  do {
    if (live_event_read(live.db, live.arena, &ev.last_id, batch, EVENTS_BATCH,
                        &n))
      return;
    for (int i = 0; i < n; i++)
      apply(&batch[i]);
  } while (n == EVENTS_BATCH);
}

/* renew: the leases of the parties held here; rooms whose party another
 * process took (this one was cut off from MariaDB past its lease) go. A
 * party ended over REST is missing from the list too: its end was written
 * with its event in one transaction, so the events read after the list
 * end its room first (4410), and only a party truly taken over is told it
 * moved (1012). */
static void renew(void) {
  static long long held[HELD_MAX];
  int n;
  if (!live.rooms.n) return;
  if (party_room_renew(live.db, live.arena, live.node, LIVE_LEASE_S, held,
                       HELD_MAX, &n))
    return;
  read_events();
  room_held(held, n);
}

void events_tick(void) {
  if (live.now - ev.read_at >= 1000) {
    ev.read_at = live.now;
    read_events();
  }
  if (live.now - ev.renew_at >= LIVE_RENEW_MS) {
    ev.renew_at = live.now;
    renew();
  }
  if (live.now - ev.sweep_at >= 60000) {
    ev.sweep_at = live.now;
    if (party_room_sweep(live.db, LIVE_ABANDON_S) || live_event_prune(live.db))
      log_msg(LOG_WARN, "live: the sweep did not run", NULL);
  }
}
