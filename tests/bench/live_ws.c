/* live_ws.c: the WebSocket side of the live benchmark's load generator
 * (live_client.h): each connection's upgrade, frames in and out, and what
 * encore-live's messages mean to the benchmark (joined, a chat receipt, a
 * refusal). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "live_client.h"

/* --- buffers -------------------------------------------------------------- */

static bool buf_add(struct buf *b, const void *d, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n)
      cap *= 2;
    unsigned char *p = realloc(b->p, cap);
    if (!p) return false;
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, d, n);
  b->len += n;
  return true;
}

void buf_free(struct buf *b) {
  free(b->p);
  *b = (struct buf){0};
}

/* buf_drop: the first n bytes gone; an emptied buffer is released (most
 * connections hold none between reads). */
static void buf_drop(struct buf *b, size_t n) {
  if (n >= b->len) {
    buf_free(b);
    return;
  }
  memmove(b->p, b->p + n, b->len - n);
  b->len -= n;
}

/* --- connections ---------------------------------------------------------- */

static long long party_id(const struct conn *c) {
  return bench.parties[c->party].id;
}

/* conn_end: c failed (before its snapshot) or was lost (after): its socket
 * closed, its buffers released, counted, and the first few told. */
static void conn_end(struct conn *c, const char *what, const char *detail) {
  if (c->state == S_DONE) return;
  bool was_joined = c->state == S_JOINED;
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
  buf_free(&c->rx);
  buf_free(&c->tx);
  buf_free(&c->frag);
  c->state = S_DONE;
  int *notes = was_joined ? &bench.notes_lost : &bench.notes_failed;
  if (was_joined) {
    bench.parties[c->party].open--;
    bench.lost++;
  } else {
    bench.failed++;
    bench.pending--;
  }
  if ((*notes)++ < NOTES)
    fprintf(stderr, "live_client: connection %d (party %lld) %s: %s%s\n",
            (int)(c - bench.conns), party_id(c),
            was_joined ? "lost after its join" : "did not join", what, detail);
}

/* watch: epoll watches c for what it waits for: writability while it
 * connects or has output queued, input once connected. */
static void watch(struct conn *c) {
  uint32_t want = c->state == S_CONNECTING
                      ? EPOLLOUT
                      : EPOLLIN | (c->tx.len ? EPOLLOUT : 0);
  if (want == c->events) return;
  struct epoll_event ev = {.events = want, .data.ptr = c};
  if (epoll_ctl(bench.ep, c->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd,
                &ev))
    c->err = errno;
  else
    c->events = want;
}

/* settle: after sends to c, its failure if one failed, else its watch;
 * false when c ended. */
bool settle(struct conn *c) {
  if (c->state == S_DONE) return false;
  if (!c->err) watch(c);
  if (!c->err) return true;
  conn_end(c, "send: ", strerror(c->err));
  return false;
}

/* conn_send: n bytes to c: what the socket does not take now waits in
 * c->tx for writability. A failure is left in c->err for settle. */
static void conn_send(struct conn *c, const void *d, size_t n) {
  if (c->err) return;
  size_t done = 0;
  if (!c->tx.len) {
    ssize_t w = send(c->fd, d, n, MSG_NOSIGNAL);
    if (w >= 0) {
      done = (size_t)w;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      c->err = errno;
      return;
    }
  }
  if (done < n && !buf_add(&c->tx, (const unsigned char *)d + done, n - done))
    c->err = ENOMEM;
}

/* flush: what waits in c->tx, as far as the socket takes it. */
static void flush(struct conn *c) {
  if (!c->tx.len || c->err) return;
  ssize_t w = send(c->fd, c->tx.p, c->tx.len, MSG_NOSIGNAL);
  if (w >= 0)
    buf_drop(&c->tx, (size_t)w);
  else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
    c->err = errno;
}

/* frame_out: one final frame to c, masked as a client's must be. Our
 * frames are short: a payload over 1,024 bytes is a bug. */
void frame_out(struct conn *c, int op, const void *payload, size_t n) {
  unsigned char f[8 + 1024];
  size_t h = 0;
  if (n > 1024) abort();
  f[h++] = (unsigned char)(0x80 | op);
  if (n < 126) {
    f[h++] = (unsigned char)(0x80 | n);
  } else {
    f[h++] = 0x80 | 126;
    f[h++] = (unsigned char)(n >> 8);
    f[h++] = (unsigned char)n;
  }
  uint64_t mask = rnd();
  memcpy(f + h, &mask, 4);
  const unsigned char *p = payload;
  for (size_t i = 0; i < n; i++)
    f[h + 4 + i] = p[i] ^ f[h + (i & 3)];
  conn_send(c, f, h + 4 + n);
}

static void base64(const unsigned char *in, size_t n, char *out) {
  static const char abc[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t o = 0;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16;
    if (i + 1 < n) v |= (uint32_t)in[i + 1] << 8;
    if (i + 2 < n) v |= in[i + 2];
    out[o++] = abc[v >> 18 & 63];
    out[o++] = abc[v >> 12 & 63];
    out[o++] = i + 1 < n ? abc[v >> 6 & 63] : '=';
    out[o++] = i + 2 < n ? abc[v & 63] : '=';
  }
  out[o] = '\0';
}

/* conn_start: connection i's connect, from its source address. */
void conn_start(struct conn *c, int i, long long now) {
  bench.pending++;
  c->started = c->tokens_at = now;
  c->tokens = CHAT_BURST;
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) {
    conn_end(c, "socket: ", strerror(errno));
    return;
  }
  c->state = S_CONNECTING;
  int one = 1;
  /* Chat frames are small and timed: no Nagle delay. The source port is
   * chosen at the connect, for the pair of addresses, not at the bind. */
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  unsigned s = (unsigned)(i % bench.opt.sources);
  struct sockaddr_in src = {.sin_family = AF_INET};
  src.sin_addr.s_addr =
      htonl(127u << 24 | 10u << 16 | (1 + s / 100) << 8 | (1 + s % 100));
  struct sockaddr_in dst = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)bench.opt.port),
                            .sin_addr = bench.opt.host};
  if (bind(c->fd, (struct sockaddr *)&src, sizeof src)) {
    conn_end(c, "bind: ", strerror(errno));
    return;
  }
  if (connect(c->fd, (struct sockaddr *)&dst, sizeof dst) &&
      errno != EINPROGRESS) {
    conn_end(c, "connect: ", strerror(errno));
    return;
  }
  settle(c);
}

/* upgrade: c connected: its upgrade request. Host is the name nginx's
 * server answers to. */
static void upgrade(struct conn *c) {
  unsigned char key[16];
  uint64_t r[2] = {rnd(), rnd()};
  memcpy(key, r, sizeof key);
  char key64[32];
  base64(key, sizeof key, key64);
  char req[TOKEN_MAX + 512];
  int n = snprintf(req, sizeof req,
                   "GET /api/v1/live?party=%lld HTTP/1.1\r\n"
                   "Host: localhost\r\n"
                   "Upgrade: websocket\r\n"
                   "Connection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\n"
                   "Sec-WebSocket-Version: 13\r\n"
                   "Sec-WebSocket-Protocol: encore-live, bearer.%s\r\n"
                   "\r\n",
                   party_id(c), key64, c->token);
  c->state = S_UPGRADING;
  conn_send(c, req, (size_t)n);
}

/* --- messages ------------------------------------------------------------- */

/* is_type: text is a message of the type. encore-live writes the type
 * first, always, so its prefix tells without parsing the rest. */
static bool is_type(const unsigned char *text, size_t n, const char *type) {
  static const char head[] = "{\"type\":\"";
  size_t h = sizeof head - 1, t = strlen(type);
  return n > h + t && !memcmp(text, head, h) && !memcmp(text + h, type, t) &&
         text[h + t] == '"';
}

/* error_code: the `code` of an error message, in out. */
static void error_code(const unsigned char *text, size_t n, char *out,
                       size_t cap) {
  static const char key[] = "\"code\":\"";
  const unsigned char *p = memmem(text, n, key, sizeof key - 1);
  size_t o = 0;
  if (p)
    for (p += sizeof key - 1; p < text + n && *p != '"' && o + 1 < cap; p++)
      out[o++] = (char)*p;
  out[o] = '\0';
}

/* receipt: a chat message received at now: its key's latest receipt. */
static void receipt(const unsigned char *text, size_t n, long long now) {
  static const char mark[] = "\"text\":\"b ";
  const unsigned char *p = memmem(text, n, mark, sizeof mark - 1);
  const unsigned char *end = text + n;
  if (!p) return; /* not ours */
  p += sizeof mark - 1;
  while (p < end && *p >= '0' && *p <= '9')
    p++;
  if (p == end || *p++ != ' ') return;
  long long k = 0;
  int digits = 0;
  for (; p < end && *p >= '0' && *p <= '9' && digits < 18; p++, digits++)
    k = k * 10 + (*p - '0');
  if (!digits || p == end || *p != '"' || k >= bench.nsent) return;
  struct sent *m = &bench.sent[k];
  m->got++;
  if (now > m->last) m->last = now;
}

/* joined: c's snapshot came at now. */
static void joined(struct conn *c, long long now) {
  c->state = S_JOINED;
  bench.pending--;
  bench.join_ns[bench.joined++] = now - c->started;
  bench.parties[c->party].open++;
}

/* message: a whole text or binary message of c; false when c ended. */
static bool message(struct conn *c, int op, const unsigned char *text, size_t n,
                    long long now) {
  if (op != 1) return true;
  char code[40];
  switch (c->state) {
  case S_READY:
    if (is_type(text, n, "ready")) {
      char join[64];
      int k = snprintf(join, sizeof join,
                       "{\"type\":\"join\",\"party_id\":%lld}", party_id(c));
      c->state = S_SNAPSHOT;
      frame_out(c, 1, join, (size_t)k);
    }
    return true;
  case S_SNAPSHOT:
    if (is_type(text, n, "snapshot")) {
      joined(c, now);
    } else if (is_type(text, n, "error")) {
      error_code(text, n, code, sizeof code);
      conn_end(c, "the join was refused: ", code);
      return false;
    }
    return true;
  case S_JOINED:
    if (is_type(text, n, "chat")) {
      receipt(text, n, now);
    } else if (is_type(text, n, "error")) {
      error_code(text, n, code, sizeof code);
      if (!strcmp(code, "flood"))
        bench.refused++;
      else if (bench.errors++ < NOTES)
        fprintf(stderr, "live_client: connection %d: an error: %.*s\n",
                (int)(c - bench.conns), (int)(n > 200 ? 200 : n),
                (const char *)text);
    }
    return true;
  default:
    return true;
  }
}

/* frame: one frame of c; false when c ended. */
static bool frame(struct conn *c, bool fin, int op, const unsigned char *p,
                  size_t n, long long now) {
  switch (op) {
  case 8: { /* close: answered with its code, then the socket closed */
    char why[160];
    unsigned code = n >= 2 ? (unsigned)p[0] << 8 | p[1] : 1005;
    snprintf(why, sizeof why, "%u %.*s", code, (int)(n > 2 ? n - 2 : 0),
             n > 2 ? (const char *)p + 2 : "");
    if (n >= 2) frame_out(c, 8, p, 2);
    conn_end(c, "closed by the server: ", why);
    return false;
  }
  case 9: /* ping */
    if (n > 125) break;
    frame_out(c, 10, p, n);
    return true;
  case 10:
    return true;
  case 1:
  case 2:
    if (c->frag_op) break;
    if (fin) return message(c, op, p, n, now);
    c->frag_op = op;
    if (!buf_add(&c->frag, p, n)) break;
    return true;
  case 0: {
    if (!c->frag_op || !buf_add(&c->frag, p, n) || c->frag.len > MSG_MAX) break;
    if (!fin) return true;
    struct buf whole = c->frag;
    int whole_op = c->frag_op;
    c->frag = (struct buf){0};
    c->frag_op = 0;
    bool alive = message(c, whole_op, whole.p, whole.len, now);
    free(whole.p);
    return alive;
  }
  default:
    break;
  }
  char what[16];
  snprintf(what, sizeof what, "%d", op);
  conn_end(c, "a frame out of place, or too long: opcode ", what);
  return false;
}

/* input: the bytes received for c, d[0..n): the upgrade's answer, then
 * frames. Returns the bytes used (a frame short of its end stays for the
 * next read), or -1 when c ended. Masked frames are unmasked in place. */
static long input(struct conn *c, unsigned char *d, size_t n, long long now) {
  size_t off = 0;
  if (c->state == S_UPGRADING) {
    const unsigned char *end = memmem(d, n, "\r\n\r\n", 4);
    if (!end) {
      if (n <= HEAD_MAX) return 0;
      conn_end(c, "the upgrade's answer is too long", "");
      return -1;
    }
    if (n < 13 || memcmp(d, "HTTP/1.1 101 ", 13)) {
      char line[100];
      size_t k;
      for (k = 0; k < n && k + 1 < sizeof line && d[k] != '\r'; k++)
        line[k] = (char)d[k];
      line[k] = '\0';
      conn_end(c, "the upgrade was refused: ", line);
      return -1;
    }
    c->state = S_READY;
    off = (size_t)(end - d) + 4;
  }
  while (n - off >= 2) {
    unsigned char *p = d + off;
    size_t avail = n - off, head = 2;
    uint64_t len = p[1] & 0x7f;
    if (len == 126) {
      if (avail < 4) break;
      len = (uint64_t)p[2] << 8 | p[3];
      head = 4;
    } else if (len == 127) {
      if (avail < 10) break;
      len = 0;
      for (int i = 0; i < 8; i++)
        len = len << 8 | p[2 + i];
      head = 10;
    }
    bool masked = p[1] & 0x80;
    if (masked) head += 4;
    if (len > MSG_MAX || (p[0] & 0x70)) {
      conn_end(c, "a frame too long, or with reserved bits", "");
      return -1;
    }
    if (avail < head || avail - head < len) break;
    unsigned char *payload = p + head;
    if (masked)
      for (size_t i = 0; i < len; i++)
        payload[i] ^= p[head - 4 + (i & 3)];
    off += head + (size_t)len;
    if (!frame(c, p[0] & 0x80, p[0] & 0x0f, payload, (size_t)len, now))
      return -1;
  }
  return (long)off;
}

/* conn_read: one read of c, and the frames it completes. Most reads hold
 * whole frames and are parsed where they were read; only the rest of a
 * frame is kept in c->rx until the next read completes it. What the frames
 * sent is settled by the caller. */
static void conn_read(struct conn *c) {
  static unsigned char chunk[CHUNK];
  ssize_t r = recv(c->fd, chunk, sizeof chunk, 0);
  if (r == 0) {
    conn_end(c, "the server closed the connection", "");
    return;
  }
  if (r < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      conn_end(c, "read: ", strerror(errno));
    return;
  }
  long long now = now_ns();
  unsigned char *d = chunk;
  size_t n = (size_t)r;
  bool kept = c->rx.len > 0;
  if (kept) {
    if (!buf_add(&c->rx, chunk, n)) {
      conn_end(c, "out of memory", "");
      return;
    }
    d = c->rx.p;
    n = c->rx.len;
  }
  long used = input(c, d, n, now);
  if (used < 0) return;
  if (kept) {
    buf_drop(&c->rx, (size_t)used);
  } else if ((size_t)used < n && !buf_add(&c->rx, d + used, n - (size_t)used)) {
    conn_end(c, "out of memory", "");
  }
}

/* conn_event: what epoll reported for c. */
void conn_event(struct conn *c, uint32_t events) {
  if (c->state == S_DONE) return;
  if (c->state == S_CONNECTING) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len)) err = errno;
    if (err) {
      conn_end(c, "connect: ", strerror(err));
      return;
    }
    upgrade(c);
    settle(c);
    return;
  }
  if (events & EPOLLOUT) flush(c);
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) conn_read(c);
  settle(c);
}

/* sweep: connections still joining after --join-timeout fail. */
void sweep(long long now) {
  long long limit = (long long)(bench.opt.join_timeout * NS);
  for (int i = 0; i < bench.next_join; i++) {
    struct conn *c = &bench.conns[i];
    if (c->state >= S_CONNECTING && c->state < S_JOINED &&
        now - c->started > limit)
      conn_end(c, "no snapshot in time", "");
  }
}
