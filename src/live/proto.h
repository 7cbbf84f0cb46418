/* proto: encore-live's wire protocol at the edge — every client message
 * parsed and checked against its declaration (its members, their kinds
 * and bounds; no member undeclared) before anything acts on it, and the
 * error messages sent back. The protocol, both ways, is
 * docs/asyncapi.yaml. */
#ifndef ENCORE_PROTO_H
#define ENCORE_PROTO_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/jx.h"

struct arena;

/* The client's messages. */
enum proto_type {
  P_AUTH,
  P_JOIN,
  P_LEAVE,
  P_PING,
  P_CHAT,
  P_REACT,
  P_TYPING,
  P_PLAYING,
  P_PLAY,
  P_PAUSE,
  P_SEEK,
  P_SKIP,
  P_QUEUE_ADD,
  P_QUEUE_REMOVE,
  P_QUEUE_MOVE,
  P_SUGGEST,
  P_SUGGESTION_ACCEPT,
  P_SUGGESTION_REJECT,
  P_ROLE,
  P_MUTE,
  P_REMOVE,
  P_END,
};

/* Emoji of a reaction: 1 to 8 characters. */
#define PROTO_EMOJI_MAX 8
/* A client's own reference for a message (echoed in errors): 1 to 64. */
#define PROTO_REF_MAX 64

/* One message, as checked. Members the type does not take are 0 / NULL;
 * strings live in the arena given to proto_parse. */
struct proto_msg {
  enum proto_type type;
  const char *name; /* the type's name */
  const char *ref;
  const char *token;           /* auth */
  long long party_id, since;   /* join (since: -1 when absent) */
  long long t0;                /* ping: the client's clock */
  const char *text;            /* chat */
  long long reply_to;          /* chat (0: none) */
  long long message_id;        /* react */
  const char *emoji;           /* react */
  bool remove;                 /* react: take it back */
  bool flag;                   /* playing: playing; mute: muted */
  long long item_id, track_id; /* play, queue_*, suggest*, */
  long long position;          /* queue_add, queue_move (-1: the end) */
  long long position_ms;       /* seek */
  long long user_id;           /* role, mute, remove */
  bool co_host;                /* role */
};

/* Why a message was refused. */
struct proto_fault {
  const char *code;    /* bad-json, unknown-type, bad-message */
  const char *message; /* for people */
  struct jx_errors errs;
};

/* proto_parse: text[0..len) as one client message into *m. 0, or
 * RC_INVALID with *f saying why (f->errs names each bad member). */
int proto_parse(struct arena *a, const char *text, size_t len,
                struct proto_msg *m, struct proto_fault *f);

/* proto_error: the server's error message {type: "error", code, message,
 * ref?, errors?} (a new object). */
json_object *proto_error(const char *code, const char *message, const char *ref,
                         const struct jx_errors *errs);

#endif
