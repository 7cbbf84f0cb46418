/* play: a room's playback and queue. The server is the clock: the state
 * is "item I started at server time S (so at position now - S, rate 1)",
 * "paused at position P", or idle; clients sync their clocks with pings
 * and place themselves. The host and co-hosts play, pause, seek, skip and
 * edit the queue; members suggest, the host accepts or rejects. An item
 * played out is followed by the next one. Members who report that they
 * play along get each item in their listening history once they heard
 * half of it (or 4 minutes). Every change is checkpointed. */
#ifndef ENCORE_PLAY_H
#define ENCORE_PLAY_H

#include <json-c/json.h>
#include <stdbool.h>

struct conn;
struct member;
struct party_row;
struct proto_msg;
struct room;

/* play_restore: r's queue and playback from MariaDB (row: the party's
 * checkpoint). */
int play_restore(struct room *r, const struct party_row *row);
/* play_control: a playback or queue message of c. */
void play_control(struct conn *c, const struct proto_msg *m);
/* play_hearing: c plays along (or stops). */
void play_hearing(struct conn *c, bool playing);
/* play_member_gone: one of m's connections that played along left. */
void play_conn_gone(struct room *r, struct conn *c);
/* play_tick: the end of the current item, and listens to count. */
void play_tick(struct room *r);
/* play_json: the playback state {state, item, started_at_ms,
 * position_ms, rate, server_time} (a new object). */
json_object *play_json(const struct room *r);
/* play_queue_json: {queue, suggestions} items (adds both to o). */
void play_queue_json(const struct room *r, json_object *o);
/* play_free: release r's queue. */
void play_free(struct room *r);

#endif
