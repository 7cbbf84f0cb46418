/* page: limit and cursor handling for list routes; see page.h. */
#include "api/page.h"

#include <stdint.h>
#include <string.h>

#include "api/handlers.h"
#include "api/req.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/bytes.h"
#include "core/str.h"

static int b64val(int c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

const char *page_decode(struct arena *a, const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > (PAGE_CURSOR_MAX * 4 + 2) / 3 || n % 4 == 1) return NULL;
  char *out = arena_alloc(a, n * 3 / 4 + 1), *o = out;
  if (!out) return NULL;
  unsigned acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    int v = b64val((unsigned char)s[i]);
    if (v < 0) return NULL;
    acc = (acc << 6) | (unsigned)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      char c = (char)((acc >> bits) & 0xff);
      if (c < 0x20 || c > 0x7e) return NULL;
      *o++ = c;
    }
  }
  if (acc & ((1u << bits) - 1)) return NULL; /* non-canonical tail bits */
  *o = '\0';
  return out;
}

const struct qparam page_query[] = {Q_PAGE, Q_END};
const struct qparam page_limit_query[] = {Q_LIMIT, Q_END};

void page_get(struct req *r, struct page *p) {
  p->limit = (int)req_qint(r, "limit");
  p->after = req_qtext(r, "cursor");
}

const char *page_cursor(struct arena *a, const char *text) {
  if (!text) return NULL;
  size_t n = strlen(text);
  char *out = arena_alloc(a, 4 * ((n + 2) / 3) + 1);
  if (!out) return NULL;
  bytes_b64url(text, n, out);
  return out;
}

int page_bad_cursor(struct req *r) {
  return req_problem(r, RC_BAD_REQUEST, "the cursor is malformed");
}

int page_after_id(struct req *r, const struct page *p, long long *after) {
  *after = 0;
  if (!p->after) return 0;
  if (str_parse_i64(p->after, 1, INT64_MAX, after) || p->after[0] == '0')
    return page_bad_cursor(r);
  return 0;
}

int page_after_tagged(struct req *r, const struct page *p, const char *tag,
                      long long *after) {
  size_t n = strlen(tag);
  *after = 0;
  if (!p->after) return 0;
  /* The tag compared first: p->after[n] exists when it matched. */
  if (strncmp(p->after, tag, n) || p->after[n] != ':' ||
      str_parse_i64(p->after + n + 1, 1, INT64_MAX, after) ||
      p->after[n + 1] == '0')
    return page_bad_cursor(r);
  return 0;
}

int page_reply(struct req *r, json_object *items, const char *next_text) {
  struct arena *a = req_arena(r);
  json_object *o = jx_own(a, json_object_new_object());
  json_object_object_add(
      o, "items", items ? json_object_get(items) : json_object_new_array());
  jx_add_str(o, "next_cursor", page_cursor(a, next_text));
  return req_reply_json(r, 200, o);
}

int page_reply_tagged(struct req *r, json_object *items, const char *tag,
                      long long next) {
  return page_reply(
      r, items, next ? arena_printf(req_arena(r), "%s:%lld", tag, next) : NULL);
}
