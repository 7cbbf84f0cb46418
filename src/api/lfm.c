/* lfm: Last.fm's XML and JSON answers from one tree; see lfm.h. */
#include "api/lfm.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "api/req.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/str.h"

struct lfm_attr {
  const char *name, *value;
  struct lfm_attr *next;
};

struct lfm_node {
  struct arena *a;
  const char *name, *text;
  bool leaf, list;
  struct lfm_attr *attrs, *attrs_last;
  struct lfm_node *kids, *kids_last, *next;
};

struct lfm_node *lfm_root(struct arena *a) {
  struct lfm_node *n = arena_alloc(a, sizeof *n);
  if (!n) return NULL;
  *n = (struct lfm_node){.a = a, .name = "lfm"};
  lfm_attr(n, "status", "ok");
  return n;
}

static struct lfm_node *child(struct lfm_node *p, const char *name, bool leaf,
                              bool list, const char *text) {
  if (!p) return NULL;
  struct lfm_node *n = arena_alloc(p->a, sizeof *n);
  if (!n) return NULL;
  *n = (struct lfm_node){
      .a = p->a, .name = name, .leaf = leaf, .list = list, .text = text};
  if (p->kids_last)
    p->kids_last->next = n;
  else
    p->kids = n;
  p->kids_last = n;
  return n;
}

struct lfm_node *lfm_el(struct lfm_node *parent, const char *name) {
  return child(parent, name, false, false, NULL);
}

struct lfm_node *lfm_item(struct lfm_node *parent, const char *name) {
  return child(parent, name, false, true, NULL);
}

struct lfm_node *lfm_leaf(struct lfm_node *parent, const char *name,
                          const char *text) {
  return child(parent, name, true, false, text ? text : "");
}

struct lfm_node *lfm_leaf_int(struct lfm_node *parent, const char *name,
                              long long v) {
  return parent ? lfm_leaf(parent, name, arena_printf(parent->a, "%lld", v))
                : NULL;
}

void lfm_attr(struct lfm_node *n, const char *name, const char *value) {
  if (!n) return;
  struct lfm_attr *at = arena_alloc(n->a, sizeof *at);
  if (!at) return;
  *at = (struct lfm_attr){.name = name, .value = value ? value : ""};
  if (n->attrs_last)
    n->attrs_last->next = at;
  else
    n->attrs = at;
  n->attrs_last = at;
}

void lfm_attr_int(struct lfm_node *n, const char *name, long long v) {
  if (n) lfm_attr(n, name, arena_printf(n->a, "%lld", v));
}

/* --- XML ------------------------------------------------------------------ */

void lfm_escape(struct sbuf *b, const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
    case '&':
      sbuf_adds(b, "&amp;");
      break;
    case '<':
      sbuf_adds(b, "&lt;");
      break;
    case '>':
      sbuf_adds(b, "&gt;");
      break;
    case '"':
      sbuf_adds(b, "&quot;");
      break;
    case '\'':
      sbuf_adds(b, "&#39;");
      break;
    default:
      if (*p >= 0x20 || *p == '\t' || *p == '\n' || *p == '\r')
        sbuf_addc(b, (char)*p);
    }
  }
}

static void xml_node(struct sbuf *b, const struct lfm_node *n) {
  sbuf_printf(b, "<%s", n->name);
  for (const struct lfm_attr *at = n->attrs; at; at = at->next) {
    sbuf_printf(b, " %s=\"", at->name);
    lfm_escape(b, at->value);
    sbuf_addc(b, '"');
  }
  sbuf_addc(b, '>');
  if (n->leaf)
    lfm_escape(b, n->text);
  else
    for (const struct lfm_node *k = n->kids; k; k = k->next)
      xml_node(b, k);
  sbuf_printf(b, "</%s>", n->name);
}

/* --- JSON ----------------------------------------------------------------- */

static json_object *json_node(const struct lfm_node *n);

/* json_attrs: the attributes as an object. */
static json_object *json_attrs(const struct lfm_node *n) {
  json_object *o = json_object_new_object();
  for (const struct lfm_attr *at = n->attrs; at; at = at->next)
    jx_add_str(o, at->name, at->value);
  return o;
}

static json_object *json_node(const struct lfm_node *n) {
  if (n->leaf) {
    if (!n->attrs) return json_object_new_string(n->text);
    json_object *o = json_attrs(n);
    jx_add_str(o, "#text", n->text);
    return o;
  }
  json_object *o = json_object_new_object();
  for (const struct lfm_node *k = n->kids; k; k = k->next) {
    json_object *have = NULL;
    if (json_object_object_get_ex(o, k->name, &have)) {
      if (json_object_is_type(have, json_type_array) && k->list) {
        json_object_array_add(have, json_node(k));
        continue;
      }
      /* a name repeated without being a list: an array all the same */
      json_object *arr = json_object_new_array();
      json_object_array_add(arr, json_object_get(have));
      json_object_array_add(arr, json_node(k));
      json_object_object_add(o, k->name, arr);
      continue;
    }
    if (k->list) {
      json_object *arr = json_object_new_array();
      json_object_array_add(arr, json_node(k));
      json_object_object_add(o, k->name, arr);
    } else {
      json_object_object_add(o, k->name, json_node(k));
    }
  }
  if (n->attrs) json_object_object_add(o, "@attr", json_attrs(n));
  return o;
}

int lfm_reply(struct req *r, struct lfm_node *root, bool json) {
  struct arena *a = req_arena(r);
  if (!root) return req_reply_text(r, 500, NULL, NULL, 0);
  if (json) {
    /* The JSON has no root element: its children are the object. */
    json_object *o = jx_own(a, json_object_new_object());
    for (const struct lfm_node *k = root->kids; o && k; k = k->next)
      json_object_object_add(o, k->name, json_node(k));
    size_t len;
    const char *text = o ? jx_text(a, o, &len) : NULL;
    if (!text) return req_reply_text(r, 500, NULL, NULL, 0);
    return req_reply_text(r, 200, "application/json", text, len);
  }
  struct sbuf b;
  sbuf_init(&b, a);
  sbuf_adds(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  xml_node(&b, root);
  sbuf_addc(&b, '\n');
  if (b.oom) return req_reply_text(r, 500, NULL, NULL, 0);
  return req_reply_text(r, 200, "application/xml; charset=utf-8", b.s, b.len);
}

/* status_of: the HTTP status Last.fm answers an error with. */
static int status_of(enum lfm_error code) {
  switch (code) {
  case LFM_INVALID_METHOD:
  case LFM_INVALID_FORMAT:
  case LFM_INVALID_PARAMS:
    return 400;
  case LFM_RATE_LIMITED:
    return 429;
  case LFM_OPERATION_FAILED:
  case LFM_OFFLINE:
  case LFM_TEMPORARY:
    return 503;
  default:
    return 403;
  }
}

int lfm_fail(struct req *r, enum lfm_error code, const char *message,
             bool json) {
  struct arena *a = req_arena(r);
  int status = status_of(code);
  if (!message || !*message) message = "Invalid request";
  req_set_error(r, arena_printf(a, "lastfm error %d", (int)code));
  /* A 429's Retry-After is the caller's (it knows the wait). */
  if (status == 503) req_set_header(r, "Retry-After", "5");
  if (json) {
    json_object *o = jx_own(a, json_object_new_object());
    size_t len;
    jx_add_int(o, "error", code);
    jx_add_str(o, "message", message);
    const char *text = jx_text(a, o, &len);
    return req_reply_text(r, status, "application/json", text, len);
  }
  struct sbuf b;
  sbuf_init(&b, a);
  sbuf_printf(&b,
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<lfm status=\"failed\"><error code=\"%d\">",
              (int)code);
  lfm_escape(&b, message);
  sbuf_adds(&b, "</error></lfm>\n");
  return req_reply_text(r, status, "application/xml; charset=utf-8", b.s,
                        b.len);
}
