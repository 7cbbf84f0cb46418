/* ws: the WebSocket server of encore-live, the one user of libwebsockets.
 * One event loop on one listening socket. The rest of the daemon sees
 * connections (struct ws_conn), complete text messages in, shared
 * outgoing messages queued per connection, and a tick. What the library
 * asks of its users is kept here: every write happens in the connection's
 * writable callback, one lws_write each, with LWS_PRE bytes of headroom;
 * fragmented messages are reassembled (at most WS_MESSAGE_MAX bytes: a
 * bigger one closes with 1009); binary messages close with 1003, text that
 * is not UTF-8 with 1007 (the library checks); pings and the hang-up of a
 * peer that stops answering them come from the context's retry policy. */
#ifndef ENCORE_WS_H
#define ENCORE_WS_H

#include <stdbool.h>
#include <stddef.h>

/* The largest message a client may send, in bytes. */
#define WS_MESSAGE_MAX 65536
/* Messages waiting to be sent to one connection, and their bytes: past
 * either, the connection is cut off (a client that does not read). */
#define WS_QUEUE_MAX 1024
#define WS_QUEUE_BYTES (1024 * 1024)
/* How often the tick hook runs, in milliseconds. */
#define WS_TICK_MS 50

/* Close codes of the WebSocket protocol (RFC 6455) and encore-live's own
 * (4000-4999; docs/asyncapi.yaml). */
enum ws_close {
  WS_CLOSE_NORMAL = 1000,
  WS_CLOSE_UNSUPPORTED = 1003, /* a binary message */
  WS_CLOSE_BAD_DATA = 1007,    /* text that is not UTF-8 */
  WS_CLOSE_POLICY = 1008,      /* a flood */
  WS_CLOSE_TOO_BIG = 1009,     /* a message over WS_MESSAGE_MAX */
  WS_CLOSE_INTERNAL = 1011,
  WS_CLOSE_RESTART = 1012,  /* the daemon stops: come back */
  WS_CLOSE_AUTH = 4401,     /* no token, or a bad or revoked one */
  WS_CLOSE_GONE = 4403,     /* removed from the party, or a block */
  WS_CLOSE_ENDED = 4410,    /* the party ended */
  WS_CLOSE_TOO_MANY = 4429, /* the user's connections are at the cap */
};

struct ws_conn;
struct ws_msg;

/* What the upgrade request said. Strings live until the open hook
 * returns. */
struct ws_upgrade {
  const char *authorization; /* the Authorization header, or NULL */
  const char *party;         /* the URL's ?party= value, or NULL */
  const char *client;        /* X-Forwarded-For, else the peer address */
};

/* The daemon's side. */
struct ws_hooks {
  /* open: a new connection; returns the daemon's state for it (NULL:
   * refuse it). */
  void *(*open)(struct ws_conn *c, const struct ws_upgrade *u);
  /* message: one complete text message of valid UTF-8, text[0..len)
   * (not NUL-terminated; valid during the call). */
  void (*message)(void *conn, const char *text, size_t len);
  /* closed: the connection is gone; its ws_conn is no longer valid. */
  void (*closed)(void *conn);
  /* tick: every WS_TICK_MS. */
  void (*tick)(void);
};

/* How to serve. */
struct ws_options {
  const char *address; /* the interface to listen on ("127.0.0.1") */
  int port;
  int ping_s;   /* a ping after this many seconds without a pong */
  int hangup_s; /* the connection dropped after this many (> ping_s) */
  int max_fds;  /* connections the loop is sized for */
};

/* ws_start: listen and get ready to serve. 0, or RC_IO when the address
 * cannot be bound, RC_INTERNAL when the library fails. */
int ws_start(const struct ws_options *o, const struct ws_hooks *h);
/* ws_service: run the loop once (waits for activity or the next tick).
 * Negative when the loop cannot go on. */
int ws_service(void);
/* ws_count: the open connections. */
int ws_count(void);
/* ws_finish: close what is left and release the library. */
void ws_finish(void);

/* ws_msg_new: a message of text[0..len), with one reference (the
 * caller's); NULL when out of memory. */
struct ws_msg *ws_msg_new(const char *text, size_t len);
/* ws_msg_unref: drop one reference. */
void ws_msg_unref(struct ws_msg *m);
/* ws_send: queue m for c (taking a reference of its own). When c's queue
 * is past WS_QUEUE_MAX or WS_QUEUE_BYTES, c is cut off instead and false
 * returned. */
bool ws_send(struct ws_conn *c, struct ws_msg *m);
/* ws_send_text: ws_send of a message made of text[0..len). */
bool ws_send_text(struct ws_conn *c, const char *text, size_t len);
/* ws_close: close c with code and reason (at most 120 bytes) once what is
 * queued for it has been sent. */
void ws_close(struct ws_conn *c, int code, const char *reason);
/* ws_pending: the messages queued for c. */
int ws_pending(const struct ws_conn *c);

#endif
