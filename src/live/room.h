/* room: the parties this process holds. A room is restored from MariaDB
 * when its first member joins (after taking the party's lease), holds the
 * members and their connections, passes the party to a co-host when the
 * host leaves (or ends it after the grace period), and sends what happens
 * to everyone in it — except that of two members apart by a block, neither
 * receives what the other says. */
#ifndef ENCORE_ROOM_H
#define ENCORE_ROOM_H

#include <json-c/json.h>
#include <stdbool.h>

struct conn;
struct member;
struct proto_msg;
struct room;

/* room_join: c joins the party m names (m->since: resume the chat after
 * that message): a snapshot to c, presence to the others. An error to c
 * when it may not (one answer, "not-found", for a party that does not
 * exist, ended, or is not visible to c's user). */
void room_join(struct conn *c, const struct proto_msg *m);
/* room_leave: c leaves its room (a leave message, or its close). */
void room_leave(struct conn *c);
/* room_member_act: the host's (or a co-host's) acts on members: role,
 * mute, remove, and ending the party. */
void room_member_act(struct conn *c, const struct proto_msg *m);
/* room_tick: the rooms' timers (playback, the host's grace period). */
void room_tick(void);

/* room_find: the room of party id held here, or NULL. */
struct room *room_find(long long id);
/* room_end: the party ended (`write`: record it; else it was already):
 * everyone is told and closed with 4410, and the room freed. */
void room_end(struct room *r, bool write, const char *why);
/* room_remove: user is out of the party (removed by the host, or a block
 * with its host): their connections are told and closed with 4403. */
void room_remove(struct room *r, long long user, const char *why);
/* room_apart: members a and b blocked one another: from now on neither
 * receives what the other sends; a block with the host (or owner)
 * removes the other from the party. */
void room_apart(struct room *r, long long a, long long b);
/* room_checkpoint: write the room's host and playback. */
void room_checkpoint(struct room *r);
/* room_unload_all: checkpoint every room and release its lease (the
 * drain). */
void room_unload_all(void);
/* room_held: ids[0..n) are the parties this process still holds: rooms
 * not among them were taken over elsewhere and are dropped. */
void room_held(const long long *ids, int n);

/* room_broadcast: send msg (released here) to every connection of r but
 * those of members apart from `about` (the member the message is from or
 * about; 0: none). */
void room_broadcast(struct room *r, json_object *msg, long long about);
/* room_hidden: whether a and b are apart by a block. */
bool room_hidden(const struct room *r, long long a, long long b);
/* room_member: r's member `user`, or NULL. */
struct member *room_member(const struct room *r, long long user);
/* room_user_json: {id, username, display_name, avatar_url} of m. */
json_object *room_user_json(const struct member *m);
/* room_can_control: whether c's user is the host or a co-host; if not, an
 * error "forbidden" to c. */
bool room_can_control(struct conn *c, const char *ref);

#endif
