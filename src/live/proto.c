/* proto: client messages checked at the edge; see proto.h. */
#include "live/proto.h"

#include <string.h>

#include "core/arena.h"
#include "core/jx.h"
#include "core/rc.h"
#include "model/party.h"
#include "model/party_room.h"

/* The largest id a client may name (JSON numbers stay exact up to it). */
#define ID_MAX 9007199254740992LL

/* Members every message may have. */
#define F_TYPE                                                                 \
  { .name = "type", .kind = JX_STRING, .required = true, .max = 32 }
#define F_REF                                                                  \
  { .name = "ref", .kind = JX_STRING, .min = 1, .max = PROTO_REF_MAX }
/* An id member. */
#define F_ID(n, req)                                                           \
  { .name = n, .kind = JX_INT, .required = req, .min = 1, .max = ID_MAX }

static const struct jx_field f_none[] = {F_TYPE, F_REF};
static const struct jx_field f_auth[] = {F_TYPE,
                                         F_REF,
                                         {.name = "token",
                                          .kind = JX_STRING,
                                          .required = true,
                                          .min = 1,
                                          .max = 4096}};
static const struct jx_field f_join[] = {
    F_TYPE,
    F_REF,
    F_ID("party_id", true),
    {.name = "since", .kind = JX_INT, .min = 0, .max = ID_MAX}};
static const struct jx_field f_ping[] = {
    F_TYPE,
    F_REF,
    {.name = "t0", .kind = JX_INT, .required = true, .min = 0, .max = ID_MAX}};
static const struct jx_field f_chat[] = {F_TYPE,
                                         F_REF,
                                         {.name = "text",
                                          .kind = JX_STRING,
                                          .required = true,
                                          .min = 1,
                                          .max = PARTY_TEXT_MAX},
                                         F_ID("reply_to", false)};
static const struct jx_field f_react[] = {F_TYPE,
                                          F_REF,
                                          F_ID("message_id", true),
                                          {.name = "emoji",
                                           .kind = JX_STRING,
                                           .required = true,
                                           .min = 1,
                                           .max = PROTO_EMOJI_MAX},
                                          {.name = "remove", .kind = JX_BOOL}};
static const struct jx_field f_playing[] = {
    F_TYPE, F_REF, {.name = "playing", .kind = JX_BOOL, .required = true}};
static const struct jx_field f_play[] = {F_TYPE, F_REF, F_ID("item_id", false)};
static const struct jx_field f_seek[] = {F_TYPE,
                                         F_REF,
                                         {.name = "position_ms",
                                          .kind = JX_INT,
                                          .required = true,
                                          .min = 0,
                                          .max = 86400000}};
static const struct jx_field f_track[] = {F_TYPE, F_REF,
                                          F_ID("track_id", true)};
static const struct jx_field f_add[] = {
    F_TYPE,
    F_REF,
    F_ID("track_id", true),
    {.name = "position", .kind = JX_INT, .min = 0, .max = PARTY_QUEUE_MAX}};
static const struct jx_field f_item[] = {F_TYPE, F_REF, F_ID("item_id", true)};
static const struct jx_field f_move[] = {F_TYPE,
                                         F_REF,
                                         F_ID("item_id", true),
                                         {.name = "position",
                                          .kind = JX_INT,
                                          .required = true,
                                          .min = 0,
                                          .max = PARTY_QUEUE_MAX}};
static const struct jx_field f_accept[] = {
    F_TYPE,
    F_REF,
    F_ID("item_id", true),
    {.name = "position", .kind = JX_INT, .min = 0, .max = PARTY_QUEUE_MAX}};
static const char *const roles[] = {"co_host", "member", NULL};
static const struct jx_field f_role[] = {
    F_TYPE,
    F_REF,
    F_ID("user_id", true),
    {.name = "role", .kind = JX_ENUM, .required = true, .enums = roles}};
static const struct jx_field f_mute[] = {
    F_TYPE,
    F_REF,
    F_ID("user_id", true),
    {.name = "muted", .kind = JX_BOOL, .required = true}};
static const struct jx_field f_user[] = {F_TYPE, F_REF, F_ID("user_id", true)};

/* Each type: its name and its members. */
struct proto_decl {
  const char *name;
  const struct jx_field *fields;
  int nfields;
};

#define DECL(t, n, f)                                                          \
  [t] = {.name = n, .fields = f, .nfields = sizeof f / sizeof f[0]}

static const struct proto_decl decls[] = {
    DECL(P_AUTH, "auth", f_auth),
    DECL(P_JOIN, "join", f_join),
    DECL(P_LEAVE, "leave", f_none),
    DECL(P_PING, "ping", f_ping),
    DECL(P_CHAT, "chat", f_chat),
    DECL(P_REACT, "react", f_react),
    DECL(P_TYPING, "typing", f_none),
    DECL(P_PLAYING, "playing", f_playing),
    DECL(P_PLAY, "play", f_play),
    DECL(P_PAUSE, "pause", f_none),
    DECL(P_SEEK, "seek", f_seek),
    DECL(P_SKIP, "skip", f_none),
    DECL(P_QUEUE_ADD, "queue_add", f_add),
    DECL(P_QUEUE_REMOVE, "queue_remove", f_item),
    DECL(P_QUEUE_MOVE, "queue_move", f_move),
    DECL(P_SUGGEST, "suggest", f_track),
    DECL(P_SUGGESTION_ACCEPT, "suggestion_accept", f_accept),
    DECL(P_SUGGESTION_REJECT, "suggestion_reject", f_item),
    DECL(P_ROLE, "role", f_role),
    DECL(P_MUTE, "mute", f_mute),
    DECL(P_REMOVE, "remove", f_user),
    DECL(P_END, "end", f_none),
};

/* plain_text: chat text has something besides spaces, and no control
 * character but newlines and tabs. */
static const char *plain_text(const char *s) {
  bool seen = false;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
      return "must not hold control characters";
    if (*p != ' ' && *p != '\n' && *p != '\t') seen = true;
  }
  return seen ? NULL : "must not be blank";
}

/* symbol: a reaction is no word: no ASCII letter, space or control
 * character. */
static bool symbol(const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if (*p <= 0x20 || *p == 0x7f || (*p >= 'A' && *p <= 'Z') ||
        (*p >= 'a' && *p <= 'z'))
      return false;
  return true;
}

int proto_parse(struct arena *a, const char *text, size_t len,
                struct proto_msg *m, struct proto_fault *f) {
  json_object *o;
  const char *why = NULL;
  *f = (struct proto_fault){0};
  if (jx_parse(a, text, len, &o, &why)) {
    *f = (struct proto_fault){.code = "bad-json", .message = why};
    return RC_INVALID;
  }
  const char *type =
      json_object_is_type(o, json_type_object) ? jx_str(o, "type") : NULL;
  if (!json_object_is_type(o, json_type_object) || !type) {
    *f = (struct proto_fault){.code = "bad-message",
                              .message = "a message is a JSON object with a "
                                         "string member \"type\""};
    return RC_INVALID;
  }
  int t = -1;
  for (int i = 0; i < (int)(sizeof decls / sizeof decls[0]); i++)
    if (!strcmp(type, decls[i].name)) t = i;
  if (t < 0) {
    *f = (struct proto_fault){.code = "unknown-type",
                              .message = "no such message type"};
    return RC_INVALID;
  }
  const struct proto_decl *d = &decls[t];
  if (jx_validate(a, o, d->fields, d->nfields, &f->errs)) {
    f->code = "bad-message";
    f->message = "the message's members are not as its type declares";
    return RC_INVALID;
  }
  *m = (struct proto_msg){
      .type = (enum proto_type)t,
      .name = d->name,
      .ref = jx_str(o, "ref"),
      .token = jx_str(o, "token"),
      .party_id = jx_int(o, "party_id", 0),
      .since = jx_int(o, "since", -1),
      .t0 = jx_int(o, "t0", 0),
      .text = jx_str(o, "text"),
      .reply_to = jx_int(o, "reply_to", 0),
      .message_id = jx_int(o, "message_id", 0),
      .emoji = jx_str(o, "emoji"),
      .remove = jx_bool(o, "remove", false),
      .flag = jx_bool(o, "playing", false) || jx_bool(o, "muted", false),
      .item_id = jx_int(o, "item_id", 0),
      .track_id = jx_int(o, "track_id", 0),
      .position = jx_int(o, "position", -1),
      .position_ms = jx_int(o, "position_ms", 0),
      .user_id = jx_int(o, "user_id", 0),
  };
  const char *role = jx_str(o, "role");
  m->co_host = role && !strcmp(role, "co_host");
  const char *bad = m->text ? plain_text(m->text) : NULL;
  if (bad) jx_error_add(&f->errs, "text", bad);
  if (m->emoji && !symbol(m->emoji))
    jx_error_add(&f->errs, "emoji",
                 "must be a symbol: no letters, spaces or control characters");
  if (f->errs.n) {
    f->code = "bad-message";
    f->message = "the message's members are not as its type declares";
    return RC_INVALID;
  }
  return 0;
}

json_object *proto_error(const char *code, const char *message, const char *ref,
                         const struct jx_errors *errs) {
  json_object *o = json_object_new_object();
  jx_add_str(o, "type", "error");
  jx_add_str(o, "code", code);
  jx_add_str(o, "message", message ? message : code);
  if (ref) jx_add_str(o, "ref", ref);
  if (errs && errs->n) {
    json_object *arr = json_object_new_array();
    for (int i = 0; i < errs->n; i++) {
      json_object *e = json_object_new_object();
      jx_add_str(e, "field", errs->e[i].field);
      jx_add_str(e, "message", errs->e[i].message);
      json_object_array_add(arr, e);
    }
    json_object_object_add(o, "errors", arr);
  }
  return o;
}
