/* compose: what a push notification says, and its payload within the
 * services' size limits; see pushrun.h. */
#include <json-c/json.h>
#include <string.h>

#include "batch/push/pushrun.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/str.h"

void pushtext_compose(struct arena *a, enum push_kind kind, long long count,
                      const char *actor, const char *detail,
                      struct pushtext *t) {
  const char *who = actor && *actor ? actor : "Someone";
  long long others = count - 1;
  const char *and_others = others > 0
                               ? arena_printf(a, "%s and %lld other%s", who,
                                              others, others == 1 ? "" : "s")
                               : who;
  if (!and_others) and_others = who;
  *t = (struct pushtext){.urgency = "normal"};
  switch (kind) {
  case PUSH_FOLLOWER:
    t->title = count > 1 ? arena_printf(a, "%lld new followers", count)
                         : "New follower";
    t->body = arena_printf(a, "%s followed you", and_others);
    break;
  case PUSH_FOLLOW_REQUEST:
    t->title = count > 1 ? arena_printf(a, "%lld follow requests", count)
                         : "Follow request";
    t->body = arena_printf(a, "%s asked to follow you", and_others);
    break;
  case PUSH_COMMENT:
    t->title =
        count > 1 ? arena_printf(a, "%lld new comments", count) : "New comment";
    t->body = arena_printf(a, "%s commented on your playlist", and_others);
    break;
  case PUSH_REPLY:
    t->title = "New reply";
    t->body = arena_printf(a, "%s replied to your comment", and_others);
    break;
  case PUSH_MENTION:
    t->title = "You were mentioned";
    t->body = arena_printf(a, "%s mentioned you in a comment", and_others);
    break;
  case PUSH_PARTY_STARTED:
    t->title = "Listening party";
    t->body = arena_printf(a, "%s started a listening party", and_others);
    t->urgency = "high";
    break;
  case PUSH_PARTY_INVITE:
    t->title = "Party invitation";
    t->body = arena_printf(a, "%s invited you to a listening party", who);
    t->urgency = "high";
    break;
  case PUSH_DIGEST:
    t->title = "Your weekly picks";
    t->body = detail && *detail ? detail : "New recommendations are waiting";
    t->urgency = "low";
    break;
  case PUSH_NEW_RELEASE:
    t->title =
        count > 1 ? arena_printf(a, "%lld new releases", count) : "New release";
    t->body = detail && *detail ? detail : "An artist you like released music";
    break;
  default:
    t->title = "Encore";
    t->body = "";
  }
  if (!t->title) t->title = "Encore";
  if (!t->body) t->body = "";
}

/* clip: s cut to at most n bytes at a character boundary, with "…" when
 * cut (n >= 3). */
static const char *clip(struct arena *a, const char *s, size_t n) {
  size_t len = strlen(s);
  if (len <= n) return s;
  char *out = arena_alloc(a, n + 1);
  if (!out) return "";
  size_t keep = n >= 3 ? n - 3 : 0;
  /* step back over continuation bytes */
  while (keep > 0 && ((unsigned char)s[keep] & 0xc0) == 0x80)
    keep--;
  memcpy(out, s, keep);
  if (n >= 3) memcpy(out + keep, "\xe2\x80\xa6", 3), keep += 3;
  out[keep] = '\0';
  return out;
}

void pushtext_fit(struct arena *a, const char *title, const char *body,
                  size_t overhead, size_t max, const char **t, const char **b) {
  size_t tl = strlen(title), bl = strlen(body);
  *t = title;
  *b = body;
  if (overhead + tl + bl <= max) return;
  size_t room = max > overhead ? max - overhead : 0;
  /* the title keeps up to half of the room, the body what is left */
  size_t tmax = tl < room / 2 ? tl : room / 2;
  *t = clip(a, title, tmax);
  size_t left = room - strlen(*t);
  *b = clip(a, body, left);
}

/* payload: the JSON text of it with title and body. */
static const char *payload(struct arena *a, const struct pushrun_item *it,
                           const char *title, const char *body) {
  json_object *o = jx_own(a, json_object_new_object());
  jx_add_int(o, "id", it->message_id);
  jx_add_str(o, "kind", it->kind);
  jx_add_str(o, "title", title);
  jx_add_str(o, "body", body);
  jx_add_int(o, "count", it->count);
  if (it->object_type) {
    json_object *ob = json_object_new_object();
    jx_add_str(ob, "type", it->object_type);
    jx_add_int(ob, "id", it->object_id);
    json_object_object_add(o, "object", ob);
  } else {
    json_object_object_add(o, "object", NULL);
  }
  jx_add_str(o, "tag", pushrun_collapse(a, it->message_id));
  return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                               JSON_C_TO_STRING_NOSLASHESCAPE);
}

const char *pushtext_payload(struct arena *a, const struct pushrun_item *it,
                             size_t max) {
  const char *s = payload(a, it, it->title, it->body);
  size_t n = s ? strlen(s) : 0;
  if (!s || n <= max) return s;
  /* JSON escapes make the text longer than its strings: what is not the
   * title and body is the overhead; cut, and cut again if escapes of what
   * is left still pass. */
  size_t overhead = n - strlen(it->title) - strlen(it->body);
  for (int i = 0; i < 4 && n > max; i++) {
    const char *t, *b;
    pushtext_fit(a, it->title, it->body, overhead, max, &t, &b);
    s = payload(a, it, t, b);
    n = s ? strlen(s) : 0;
    overhead += n > max ? n - max : 0;
  }
  return s && n <= max ? s : NULL;
}

const char *pushrun_collapse(struct arena *a, long long message_id) {
  return arena_printf(a, "m%lld", message_id);
}
