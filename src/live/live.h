/* live: encore-live's shared state — the process (one event loop, its
 * database and cache connections), a connection, a party room and its
 * members — and the limits that bound what clients can make it hold.
 * ws.c is the WebSocket layer; conn.c the connections (authentication,
 * rate limits, dispatch); room.c the rooms (restore, join, members,
 * handover, broadcast); play.c the playback and the queue; chat.c the
 * chat; events.c what other processes and the REST side tell; main.c the
 * process. docs/asyncapi.yaml is the protocol. */
#ifndef ENCORE_LIVE_H
#define ENCORE_LIVE_H

#include <json-c/json.h>
#include <stdbool.h>

#include "core/cfg.h"
#include "live/idmap.h"

/* Connections one user holds in one process (more are closed with 4429). */
#define LIVE_USER_CONNS 16
/* Time a new connection has to authenticate. */
#define LIVE_AUTH_MS 10000
/* Chat messages a room keeps in memory for snapshots and resumes. */
#define LIVE_CHAT_RING 200
/* Chat messages a snapshot carries; messages a resume sends at most. */
#define LIVE_SNAPSHOT_CHAT 50
#define LIVE_RESUME_MAX 500
/* Every message of a connection: a bucket of LIVE_MSG_BURST, refilled
 * LIVE_MSG_RATE a second; an empty bucket closes with 1008. */
#define LIVE_MSG_BURST 60
#define LIVE_MSG_RATE 20
/* Chat and reactions: a bucket of LIVE_CHAT_BURST refilled LIVE_CHAT_RATE
 * a second; past it a message is dropped with a warning, and
 * LIVE_FLOOD_STRIKES more within LIVE_FLOOD_MS of the warning close the
 * connection with 1008. */
#define LIVE_CHAT_BURST 10
#define LIVE_CHAT_RATE 2
#define LIVE_FLOOD_STRIKES 5
#define LIVE_FLOOD_MS 10000
/* Typing indicators relayed per connection: one per this many ms. */
#define LIVE_TYPING_MS 2000
/* Chat writes are batched: written at least this often. */
#define LIVE_FLUSH_MS 100
/* Messages broadcast but not yet written that a process keeps while
 * MariaDB is away (the oldest are dropped past it). */
#define LIVE_PENDING_MAX 20000
/* A party's lease, renewed every LIVE_RENEW_MS. */
#define LIVE_LEASE_S 30
#define LIVE_RENEW_MS 10000
/* A live party nobody held for this long is ended (its host never came
 * back to any process). */
#define LIVE_ABANDON_S 600

/* Settings from the command line. */
struct live_options {
  const char *config;  /* encore.conf */
  const char *address; /* listen address */
  int port;
  const char *pid_file, *log_file;
  int ping_s, hangup_s; /* the ping and hang-up timers */
  int host_grace_s;     /* a party without its host ends after this */
};

/* The process. */
struct live {
  struct live_options opt;
  struct cfg cfg;
  struct db *db;
  struct kv *kv;
  struct arena *arena; /* reset after every message and tick */
  char node[64];       /* "address:port": who holds a party's lease */
  struct idmap rooms;  /* party id -> struct room */
  struct idmap users;  /* user id -> struct user_conns */
  bool draining;
  long long now; /* unix ms, read once per callback */
};

extern struct live live;

enum role { ROLE_MEMBER, ROLE_CO_HOST, ROLE_HOST };

/* One user as a room knows them. */
struct member {
  long long user;
  char *username, *display_name, *avatar_url;
  enum role role;
  bool muted, removed;
  int conns;   /* their connections in the room */
  int playing; /* of those, the ones playing along */
  /* What they heard of the current item: heard_ms before heard_since
   * (0: not hearing now), since first_heard; stored once counted. */
  long long heard_ms, heard_since, first_heard;
  bool heard_stored;
};

/* A queue item. */
struct item {
  long long id, track, added_by, duration_ms;
  char *title, *artist;
};

/* A reaction to a chat message. */
struct reaction {
  long long user;
  char emoji[40];
};

/* A chat message a room keeps. */
struct chat {
  long long id, user, reply_to, at_ms;
  char *text;
  struct reaction *reactions;
  int nreactions;
};

enum play_state { PLAY_IDLE, PLAY_PLAYING, PLAY_PAUSED };

struct conn;

/* A party held by this process. */
struct room {
  long long id, owner, host, created_ms;
  char *name;
  char visibility[12];
  struct member **members;
  int nmembers;
  struct conn *conns; /* the connections joined */
  int nconns;
  struct item *queue; /* queued, in order */
  int nqueue;
  struct item *suggested;
  int nsuggested;
  struct item current; /* current.id 0: none */
  enum play_state state;
  long long started_ms;  /* playing: server time of position 0 */
  long long position_ms; /* paused */
  long long next_msg;    /* the next chat message's id */
  struct chat ring[LIVE_CHAT_RING];
  int ring_head, ring_n;
  long long (*blocks)[2]; /* pairs of members apart by a block */
  int nblocks;
  long long host_gone_ms; /* when the host left with no co-host there */
};

/* One connection. */
struct conn {
  struct ws_conn *ws;
  bool authed, closing;
  long long user, sid, exp_ms;
  long long party_hint; /* the URL's ?party= (0: none) */
  long long opened_ms;
  struct room *room;
  struct member *member;
  struct conn *all_next, *all_prev; /* every connection of the process */
  struct conn *room_next, *room_prev;
  struct conn *user_next, *user_prev;
  bool playing;
  double msg_tokens, chat_tokens;
  long long msg_at, chat_at, warned_at, typing_at;
  int strikes;
  char client[64];
};

/* live_now: the server clock, unix ms. */
long long live_now(void);

#endif
