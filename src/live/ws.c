/* ws: encore-live's WebSocket server over libwebsockets 4.1; see ws.h.
 *
 * Each connection's per-session data is a struct ws_conn: the daemon's
 * state for it, a ring of messages waiting to be written (grown on demand
 * up to WS_QUEUE_MAX, released when it empties, so an idle connection
 * holds none) and the message being reassembled (held only while its
 * fragments arrive). Outgoing messages are shared between the connections
 * they go to, with their LWS_PRE headroom in front: lws_write writes the
 * frame header there, the same header for every connection, and copies
 * what the socket did not take. */
#include "live/ws.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/rc.h"

/* An outgoing message: LWS_PRE bytes of headroom, then the text. */
struct ws_msg {
  int refs;
  size_t len;
  unsigned char buf[]; /* LWS_PRE + len + 1 */
};

struct ws_conn {
  struct lws *wsi;
  void *owner; /* the daemon's state, NULL before open and after close */
  struct ws_msg **ring;
  int cap, head, n;
  size_t bytes;
  char *rx; /* the message being reassembled */
  size_t rx_len;
  int close_code;
  bool shut; /* the library is closing it: nothing more in or out */
  unsigned char reason_len;
  char reason[123];
};

static struct {
  struct lws_context *ctx;
  struct lws_vhost *vhost;
  struct ws_hooks hooks;
  lws_retry_bo_t retry;
  lws_sorted_usec_list_t tick;
  int count;
} ws;

/* The first ring allocated, in entries; it doubles up to WS_QUEUE_MAX. */
#define RING_FIRST 8

/* rx_reset: forget the message being reassembled. */
static void rx_reset(struct ws_conn *c) {
  free(c->rx);
  c->rx = NULL;
  c->rx_len = 0;
}

/* ring_clear: drop every queued message and the ring itself. */
static void ring_clear(struct ws_conn *c) {
  for (int i = 0; i < c->n; i++)
    ws_msg_unref(c->ring[(c->head + i) % c->cap]);
  free(c->ring);
  c->ring = NULL;
  c->cap = c->head = c->n = 0;
  c->bytes = 0;
}

/* ring_push: append m (a reference already taken); false when the ring is
 * at WS_QUEUE_MAX or cannot grow. */
static bool ring_push(struct ws_conn *c, struct ws_msg *m) {
  if (c->n == c->cap) {
    int cap = c->cap ? c->cap * 2 : RING_FIRST;
    if (cap > WS_QUEUE_MAX) return false;
    struct ws_msg **r = malloc(sizeof *r * (size_t)cap);
    if (!r) return false;
    for (int i = 0; i < c->n; i++)
      r[i] = c->ring[(c->head + i) % c->cap];
    free(c->ring);
    c->ring = r;
    c->cap = cap;
    c->head = 0;
  }
  c->ring[(c->head + c->n) % c->cap] = m;
  c->n++;
  c->bytes += m->len;
  return true;
}

/* cut: drop a connection at once (its peer does not read: no close frame
 * could reach it). */
static void cut(struct ws_conn *c) {
  if (!c->wsi || c->close_code == -1) return;
  c->close_code = -1;
  ring_clear(c);
  lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/* close_now: from a callback of c: set the close frame's code and reason
 * and return -1 (the library then closes). */
static int close_now(struct ws_conn *c, int code, const char *reason) {
  size_t n = strlen(reason);
  c->shut = true;
  lws_close_reason(c->wsi, (enum lws_close_status)code,
                   (unsigned char *)(uintptr_t)reason, n > 120 ? 120 : n);
  return -1;
}

/* writable: one message out, or the close once the queue is empty. */
static int writable(struct ws_conn *c) {
  if (c->shut) return 0;
  if (c->close_code == -1) return -1;
  if (c->n == 0) {
    if (c->close_code) {
      c->reason[c->reason_len] = '\0';
      return close_now(c, c->close_code, c->reason);
    }
    return 0;
  }
  struct ws_msg *m = c->ring[c->head];
  c->head = (c->head + 1) % c->cap;
  c->n--;
  c->bytes -= m->len;
  size_t len = m->len;
  int w = lws_write(c->wsi, m->buf + LWS_PRE, len, LWS_WRITE_TEXT);
  ws_msg_unref(m);
  if (w < (int)len) return -1;
  if (c->n == 0 && c->cap > RING_FIRST) {
    /* An idle connection keeps no ring of any size. */
    free(c->ring);
    c->ring = NULL;
    c->cap = c->head = 0;
  }
  if (c->n || c->close_code) lws_callback_on_writable(c->wsi);
  return 0;
}

/* receive: one piece of a message. */
static int receive(struct ws_conn *c, const char *in, size_t len) {
  if (!c->owner || c->close_code || c->shut) return 0;
  /* Refused messages close the connection the polite way (a close frame
   * from the writable callback, the rest of what the peer sends read and
   * dropped meanwhile): closing from here, with the rest of a big frame
   * still arriving, would drop the connection without its close frame. */
  if (lws_frame_is_binary(c->wsi)) {
    rx_reset(c);
    ws_close(c, WS_CLOSE_UNSUPPORTED, "binary messages are refused");
    return 0;
  }
  size_t remaining = lws_remaining_packet_payload(c->wsi);
  if (c->rx_len + len + remaining > WS_MESSAGE_MAX) {
    rx_reset(c);
    ws_close(c, WS_CLOSE_TOO_BIG, "a message is at most 65536 bytes");
    return 0;
  }
  bool last = lws_is_final_fragment(c->wsi) && remaining == 0;
  if (last && !c->rx) {
    /* The whole message in one piece, as most are: no copy. */
    ws.hooks.message(c->owner, in, len);
    return 0;
  }
  char *rx = realloc(c->rx, c->rx_len + len + 1);
  if (!rx) {
    rx_reset(c);
    return close_now(c, WS_CLOSE_INTERNAL, "out of memory");
  }
  c->rx = rx;
  memcpy(c->rx + c->rx_len, in, len);
  c->rx_len += len;
  if (last) {
    char *text = c->rx;
    size_t n = c->rx_len;
    c->rx = NULL;
    c->rx_len = 0;
    if (c->owner) ws.hooks.message(c->owner, text, n);
    free(text);
  }
  return 0;
}

/* established: a connection upgraded; what its request said goes to the
 * open hook. */
static int established(struct lws *wsi, struct ws_conn *c) {
  char auth[4096], party[32], client[64];
  const char *party_arg = NULL;
  *c = (struct ws_conn){.wsi = wsi};
  struct ws_upgrade u = {0};
  if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION) > 0 &&
      lws_hdr_copy(wsi, auth, sizeof auth, WSI_TOKEN_HTTP_AUTHORIZATION) > 0)
    u.authorization = auth;
  party_arg = lws_get_urlarg_by_name(wsi, "party=", party, sizeof party);
  u.party = party_arg;
  if (lws_hdr_copy(wsi, client, sizeof client, WSI_TOKEN_X_FORWARDED_FOR) > 0)
    u.client = client;
  else
    u.client = lws_get_peer_simple(wsi, client, sizeof client);
  ws.count++;
  c->owner = ws.hooks.open(c, &u);
  memset(auth, 0, sizeof auth);
  return c->owner ? 0 : -1;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
                    void *user, void *in, size_t len) {
  struct ws_conn *c = user;
  switch (reason) {
  case LWS_CALLBACK_ESTABLISHED:
    return established(wsi, c);
  case LWS_CALLBACK_RECEIVE:
    return receive(c, in, len);
  case LWS_CALLBACK_SERVER_WRITEABLE:
    return writable(c);
  case LWS_CALLBACK_CLOSED:
    if (c->owner) {
      void *owner = c->owner;
      c->owner = NULL;
      ws.hooks.closed(owner);
    }
    ws.count--;
    ring_clear(c);
    rx_reset(c);
    c->wsi = NULL;
    return 0;
  default:
    return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
}

static const struct lws_protocols protocols[] = {
    /* The first protocol is also the one of an upgrade that names none. */
    {.name = "encore-live",
     .callback = callback,
     .per_session_data_size = sizeof(struct ws_conn),
     /* The library's own receive buffer per connection: small, since the
      * messages are reassembled here. */
     .rx_buffer_size = 1024,
     .tx_packet_size = 16384},
    {.name = NULL},
};

static void tick(lws_sorted_usec_list_t *sul) {
  ws.hooks.tick();
  lws_sul_schedule(ws.ctx, 0, sul, tick, WS_TICK_MS * LWS_US_PER_MS);
}

/* lws_log: the library's warnings and errors, into the daemon's log. */
static void lws_log(int level, const char *line) {
  char text[256];
  size_t n = strlen(line);
  if (n >= sizeof text) n = sizeof text - 1;
  memcpy(text, line, n);
  while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
    n--;
  text[n] = '\0';
  log_msg(level == LLL_ERR ? LOG_ERROR : LOG_WARN, "libwebsockets", "line",
          text, NULL);
}

int ws_start(const struct ws_options *o, const struct ws_hooks *h) {
  ws.hooks = *h;
  ws.retry = (lws_retry_bo_t){
      .secs_since_valid_ping = (uint16_t)o->ping_s,
      .secs_since_valid_hangup = (uint16_t)o->hangup_s,
  };
  lws_set_log_level(LLL_ERR | LLL_WARN, lws_log);
  struct lws_context_creation_info info;
  memset(&info, 0, sizeof info);
  info.iface = o->address;
  info.port = o->port;
  info.protocols = protocols;
  info.vhost_name = "encore-live";
  info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 |
                 LWS_SERVER_OPTION_DISABLE_IPV6 |
                 LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE;
  info.retry_and_idle_policy = &ws.retry;
  info.fd_limit_per_thread = (unsigned)o->max_fds;
  info.max_http_header_data = 4096;
  info.timeout_secs = 10;
  /* no TLS here: nginx terminates it */
  ws.ctx = lws_create_context(&info);
  if (!ws.ctx) return RC_INTERNAL;
  ws.vhost = lws_get_vhost_by_name(ws.ctx, "encore-live");
  if (!ws.vhost || lws_get_vhost_listen_port(ws.vhost) <= 0) {
    lws_context_destroy(ws.ctx);
    ws.ctx = NULL;
    return RC_IO;
  }
  lws_sul_schedule(ws.ctx, 0, &ws.tick, tick, WS_TICK_MS * LWS_US_PER_MS);
  return 0;
}

int ws_service(void) {
  return lws_service(ws.ctx, 0);
}

int ws_count(void) {
  return ws.count;
}

void ws_finish(void) {
  if (!ws.ctx) return;
  lws_sul_cancel(&ws.tick);
  lws_context_destroy(ws.ctx);
  ws.ctx = NULL;
}

struct ws_msg *ws_msg_new(const char *text, size_t len) {
  struct ws_msg *m = malloc(sizeof *m + LWS_PRE + len + 1);
  if (!m) return NULL;
  m->refs = 1;
  m->len = len;
  memcpy(m->buf + LWS_PRE, text, len);
  m->buf[LWS_PRE + len] = '\0';
  return m;
}

void ws_msg_unref(struct ws_msg *m) {
  if (m && --m->refs == 0) free(m);
}

bool ws_send(struct ws_conn *c, struct ws_msg *m) {
  if (!c->wsi || c->close_code || c->shut) return c->close_code != -1;
  if (c->bytes + m->len > WS_QUEUE_BYTES || !ring_push(c, m)) {
    log_msg(LOG_INFO, "a client that does not read was cut off", NULL);
    cut(c);
    return false;
  }
  m->refs++;
  lws_callback_on_writable(c->wsi);
  return true;
}

bool ws_send_text(struct ws_conn *c, const char *text, size_t len) {
  struct ws_msg *m = ws_msg_new(text, len);
  if (!m) return false;
  bool ok = ws_send(c, m);
  ws_msg_unref(m);
  return ok;
}

void ws_close(struct ws_conn *c, int code, const char *reason) {
  if (!c->wsi || c->close_code || c->shut) return;
  size_t n = strlen(reason);
  if (n > sizeof c->reason - 1) n = sizeof c->reason - 1;
  memcpy(c->reason, reason, n);
  c->reason_len = (unsigned char)n;
  c->close_code = code;
  lws_callback_on_writable(c->wsi);
}

int ws_pending(const struct ws_conn *c) {
  return c->n;
}
