/* test_live_proto: encore-live's client messages checked at the edge: each
 * type with its members, and what is refused — not JSON, not an object, an
 * unknown type, an undeclared member, a member of the wrong kind or out of
 * bounds, blank text or control characters in chat, a word for an
 * emoji — with the fault's code and the members it names. */
#include <string.h>

#include "core/arena.h"
#include "core/jx.h"
#include "core/rc.h"
#include "live/proto.h"
#include "t.h"

static struct arena *a;

static int parse(const char *text, struct proto_msg *m, struct proto_fault *f) {
  arena_reset(a);
  return proto_parse(a, text, strlen(text), m, f);
}

/* refused: text is refused with code, naming `field` when not NULL. */
static void refused(const char *text, const char *code, const char *field) {
  struct proto_msg m;
  struct proto_fault f;
  int rc = parse(text, &m, &f);
  CHECK_INT(rc, RC_INVALID);
  if (rc != RC_INVALID) {
    fprintf(stderr, "  accepted: %s\n", text);
    return;
  }
  CHECK_STR(f.code, code);
  if (field) {
    int hit = 0;
    for (int i = 0; i < f.errs.n; i++)
      hit |= !strcmp(f.errs.e[i].field, field);
    if (!hit) fprintf(stderr, "  %s: no error names %s\n", text, field);
    CHECK(hit);
  }
}

int main(void) {
  struct proto_msg m;
  struct proto_fault f;
  a = arena_new(0);

  CHECK_INT(parse("{\"type\":\"auth\",\"token\":\"abc.def.ghi\"}", &m, &f), 0);
  CHECK_INT(m.type, P_AUTH);
  CHECK_STR(m.token, "abc.def.ghi");
  CHECK_INT(parse("{\"type\":\"join\",\"party_id\":12,\"since\":40,"
                  "\"ref\":\"r1\"}",
                  &m, &f),
            0);
  CHECK_INT(m.party_id, 12);
  CHECK_INT(m.since, 40);
  CHECK_STR(m.ref, "r1");
  CHECK_INT(parse("{\"type\":\"join\",\"party_id\":12}", &m, &f), 0);
  CHECK_INT(m.since, -1);
  CHECK_INT(parse("{\"type\":\"chat\",\"text\":\"hi\\nthere\",\"reply_to\":3}",
                  &m, &f),
            0);
  CHECK_STR(m.text, "hi\nthere");
  CHECK_INT(m.reply_to, 3);
  CHECK_INT(parse("{\"type\":\"react\",\"message_id\":3,\"emoji\":\"\xf0\x9f"
                  "\x8e\xb7\",\"remove\":true}",
                  &m, &f),
            0);
  CHECK(m.remove);
  CHECK_INT(parse("{\"type\":\"playing\",\"playing\":true}", &m, &f), 0);
  CHECK(m.flag);
  CHECK_INT(parse("{\"type\":\"mute\",\"user_id\":7,\"muted\":false}", &m, &f),
            0);
  CHECK(!m.flag);
  CHECK_INT(
      parse("{\"type\":\"role\",\"user_id\":7,\"role\":\"co_host\"}", &m, &f),
      0);
  CHECK(m.co_host);
  CHECK_INT(parse("{\"type\":\"queue_add\",\"track_id\":9}", &m, &f), 0);
  CHECK_INT(m.position, -1);
  CHECK_INT(
      parse("{\"type\":\"queue_move\",\"item_id\":9,\"position\":0}", &m, &f),
      0);
  CHECK_INT(m.position, 0);
  const char *bare[] = {"leave", "typing", "pause", "skip", "end", "play"};
  for (size_t i = 0; i < sizeof bare / sizeof bare[0]; i++) {
    char text[64];
    snprintf(text, sizeof text, "{\"type\":\"%s\"}", bare[i]);
    CHECK_INT(parse(text, &m, &f), 0);
    CHECK_STR(m.name, bare[i]);
  }

  refused("not json", "bad-json", NULL);
  refused("{\"type\":\"chat\",\"text\":\"a\"} x", "bad-json", NULL);
  refused("[]", "bad-message", NULL);
  refused("{\"text\":\"no type\"}", "bad-message", NULL);
  refused("{\"type\":7}", "bad-message", NULL);
  refused("{\"type\":\"dance\"}", "unknown-type", NULL);
  refused("{\"type\":\"chat\",\"text\":\"x\",\"role\":\"admin\"}",
          "bad-message", "role");
  refused("{\"type\":\"chat\"}", "bad-message", "text");
  refused("{\"type\":\"chat\",\"text\":\"  \\t\"}", "bad-message", "text");
  refused("{\"type\":\"chat\",\"text\":\"ding\\u0007\"}", "bad-message",
          "text");
  refused("{\"type\":\"chat\",\"text\":null}", "bad-message", "text");
  refused("{\"type\":\"join\",\"party_id\":0}", "bad-message", "party_id");
  refused("{\"type\":\"join\",\"party_id\":9007199254740993}", "bad-message",
          "party_id");
  refused("{\"type\":\"join\",\"party_id\":1.5}", "bad-message", "party_id");
  refused("{\"type\":\"seek\",\"position_ms\":86400001}", "bad-message",
          "position_ms");
  refused("{\"type\":\"react\",\"message_id\":1,\"emoji\":\"ok\"}",
          "bad-message", "emoji");
  refused("{\"type\":\"react\",\"message_id\":1,\"emoji\":\"\"}", "bad-message",
          "emoji");
  refused("{\"type\":\"role\",\"user_id\":1,\"role\":\"host\"}", "bad-message",
          "role");
  refused("{\"type\":\"ping\"}", "bad-message", "t0");
  refused("{\"type\":\"auth\",\"token\":\"\"}", "bad-message", "token");
  refused("{\"type\":\"leave\",\"ref\":\"\"}", "bad-message", "ref");

  /* The error message the client gets. */
  struct jx_errors errs = {.n = 1, .e = {{"text", "is required"}}};
  json_object *e = proto_error("bad-message", "members", "r9", &errs);
  arena_reset(a);
  size_t len;
  CHECK_STR(jx_text(a, e, &len),
            "{\"type\":\"error\",\"code\":\"bad-message\",\"message\":"
            "\"members\",\"ref\":\"r9\",\"errors\":[{\"field\":\"text\","
            "\"message\":\"is required\"}]}");
  json_object_put(e);
  arena_free(a);
  T_DONE();
}
