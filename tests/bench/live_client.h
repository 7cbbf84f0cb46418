/* live_client.h: what the two halves of the live benchmark's load
 * generator share: live_client.c runs the benchmark (the plan, the
 * schedule of joins and chat, the results), live_ws.c speaks WebSocket
 * (connections, frames, the messages of encore-live's protocol). */
#ifndef ENCORE_BENCH_LIVE_CLIENT_H
#define ENCORE_BENCH_LIVE_CLIENT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

/* encore-live's chat limit per connection (LIVE_CHAT_BURST, LIVE_CHAT_RATE
 * in src/live/live.h). CHAT_SPARE tokens stay in hand for sends that reach
 * the server closer together than they left. */
#define CHAT_BURST 10.0
#define CHAT_RATE 2.0
#define CHAT_SPARE 1.0

#define NS 1000000000LL
#define MSG_MAX (16u << 20) /* the longest message accepted */
#define HEAD_MAX 16384      /* the longest upgrade answer */
#define TOKEN_MAX 4096
#define CHUNK (256u << 10) /* one read */
#define NOTES 5            /* failures told on stderr, of each kind */
#define PARTY_MAX 9007199254740991LL

/* Bytes: len at p, cap allocated. */
struct buf {
  unsigned char *p;
  size_t len, cap;
};

enum state {
  S_IDLE,       /* not started yet */
  S_CONNECTING, /* the TCP connect under way */
  S_UPGRADING,  /* the upgrade sent, its answer awaited */
  S_READY,      /* upgraded, `ready` awaited */
  S_SNAPSHOT,   /* `join` sent, `snapshot` awaited */
  S_JOINED,
  S_DONE /* failed or lost: its socket closed */
};

struct conn {
  int fd;
  enum state state;
  int party;         /* index in bench.parties */
  const char *token; /* in bench.plan */
  long long started; /* the connect */
  struct buf rx;     /* received, short of a whole frame */
  struct buf tx;     /* not yet taken by the socket */
  struct buf frag;   /* a fragmented message so far */
  int frag_op;       /* its opcode; 0: none */
  uint32_t events;   /* what epoll watches for it; 0: not added */
  int err;           /* a send failed with this errno */
  double tokens;     /* encore-live's chat bucket for it, mirrored */
  long long tokens_at;
};

struct party {
  long long id;
  int open; /* connections joined and open */
};

/* A chat message sent. */
struct sent {
  long long due, at, last; /* its schedule, its send, its last receipt */
  int expect, got;         /* members joined at its send; receipts */
};

struct options {
  struct in_addr host;
  int port, sources;
  double join_rate, chat_rate, seconds, rest, drain, join_timeout;
};

enum phase { P_JOIN, P_REST, P_CHAT, P_DRAIN, P_END };

struct bench {
  struct options opt;
  char *plan; /* standard input, cut into the tokens */
  struct conn *conns;
  int n;
  struct party *parties;
  int nparties;
  int ep, timer;
  long long armed; /* the timer's deadline; -1: to set */
  enum phase phase;
  long long t0, sweep_at, chat_start, chat_end, drain_end;
  int next_join;
  int pending; /* started, neither joined nor failed */
  long long *join_ns;
  int joined, failed, lost;
  long long start_lag_max;
  struct conn **order; /* the joined connections at the chat, shuffled */
  int norder, turn;
  struct sent *sent;
  long long nsent, capsent, next_chat;
  long long refused, errors, held;
  struct rusage chat_ru0, chat_ru1;
  long long chat_wall;
  int notes_failed, notes_lost;
  uint64_t rng;
};

/* The run: one, in live_client.c. */
extern struct bench bench;

/* now_ns: CLOCK_MONOTONIC in nanoseconds. */
long long now_ns(void);
/* rnd: the next of a splitmix64 sequence (keys and masks, not secrets). */
uint64_t rnd(void);

/* --- live_ws.c ------------------------------------------------------------ */

void buf_free(struct buf *b);
/* settle: after sends to c, its failure if one failed, else its watch;
 * false when c ended. */
bool settle(struct conn *c);
/* frame_out: one final frame to c, masked as a client's must be. Our
 * frames are short: a payload over 1,024 bytes is a bug. */
void frame_out(struct conn *c, int op, const void *payload, size_t n);
/* conn_start: connection i's connect, from its source address. */
void conn_start(struct conn *c, int i, long long now);
/* conn_event: what epoll reported for c. */
void conn_event(struct conn *c, uint32_t events);
/* sweep: connections still joining after --join-timeout fail. */
void sweep(long long now);

#endif
