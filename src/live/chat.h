/* chat: a room's chat — messages with server ids (per party, from 1) and
 * times, replies, reactions, typing indicators — kept in a ring for
 * snapshots and resumes, and written to MariaDB after they are broadcast
 * (store.h). A reconnecting client names the last id it saw and receives
 * what it missed. */
#ifndef ENCORE_CHAT_H
#define ENCORE_CHAT_H

#include <json-c/json.h>
#include <stdbool.h>

struct conn;
struct proto_msg;
struct room;

/* chat_restore: r's next message id and its last messages. */
int chat_restore(struct room *r);
/* chat_message: c says something. */
void chat_message(struct conn *c, const struct proto_msg *m);
/* chat_react: c reacts to a message (or takes it back). */
void chat_react(struct conn *c, const struct proto_msg *m);
/* chat_typing: c is typing. */
void chat_typing(struct conn *c);
/* chat_history: the messages c is to receive on joining: after `since`
 * (-1: the last LIVE_SNAPSHOT_CHAT), those of members apart from c's user
 * left out, oldest first; *complete false when more were missed than a
 * resume sends (the rest are read over REST). */
json_object *chat_history(struct room *r, struct conn *c, long long since,
                          bool *complete);
/* chat_free: release r's ring. */
void chat_free(struct room *r);

#endif
