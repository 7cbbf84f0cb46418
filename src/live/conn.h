/* conn: encore-live's connections — their authentication (a first
 * message {"type": "auth"} or the upgrade's Authorization header, checked
 * as the API checks an access token, session included), the cap on each
 * user's connections, the rate limit of every message, and the dispatch
 * of each checked message to the room code. Also the sending side every
 * other file uses. */
#ifndef ENCORE_CONN_H
#define ENCORE_CONN_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "live/ws.h"

struct conn;
struct ws_conn;
struct ws_upgrade;

/* The hooks ws.c calls (struct ws_hooks). */
void *conn_open(struct ws_conn *ws, const struct ws_upgrade *u);
void conn_message(void *conn, const char *text, size_t len);
void conn_closed(void *conn);
void conn_tick(void);

/* conn_send: send msg (a json-c object, released here) to c. */
void conn_send(struct conn *c, json_object *msg);
/* conn_error: an error message to c: code, message, the client's ref. */
void conn_error(struct conn *c, const char *code, const char *message,
                const char *ref);
/* conn_close: close c with code and reason after what is queued. */
void conn_close(struct conn *c, int code, const char *reason);

/* conn_chat_allowed: whether c may send one more chat message or reaction
 * now (a bucket per connection). Past it the message is dropped: the
 * first time with a warning (an error "flood"), and LIVE_FLOOD_STRIKES
 * more within LIVE_FLOOD_MS close the connection with 1008. */
bool conn_chat_allowed(struct conn *c, const char *ref);

/* conn_each_of_user: call fn(c, arg) for every connection of user (fn may
 * close them, not free them). */
void conn_each_of_user(long long user, void (*fn)(struct conn *, void *),
                       void *arg);
/* conn_close_all: close every connection (the drain). */
void conn_close_all(int code, const char *reason);

#endif
