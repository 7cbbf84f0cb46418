/* page: list parameters shared by every list route: `limit` (default 20,
 * max 100) and an opaque keyset `cursor`. A cursor is base64url of a short
 * printable text whose format belongs to the route (for example
 * "1732400000123|42": sort key and id of the last item served). */
#ifndef ENCORE_PAGE_H
#define ENCORE_PAGE_H

#include <json-c/json.h>

#include "api/router.h"

struct arena;
struct req;

#define PAGE_DEFAULT 20
#define PAGE_MAX 100

/* The query parameters of every list route (router.h): limit and cursor. */
#define Q_PAGE                                                                 \
  Q_LIMIT, {                                                                   \
    .name = "cursor", .kind = Q_CURSOR                                         \
  }
/* `limit` alone, for lists without pages. */
#define Q_LIMIT                                                                \
  {                                                                            \
    .name = "limit", .kind = Q_INT, .min = 1, .max = PAGE_MAX,                 \
    .dflt = PAGE_DEFAULT, .msg = "must be an integer from 1 to 100"            \
  }
/* bytes of decoded cursor text: search's title cursor carries a title of
 * up to 255 characters (1,020 bytes) in hex */
#define PAGE_CURSOR_MAX 2112

struct page {
  int limit;
  const char *after; /* decoded cursor text, NULL on the first page */
};

/* page_get: the page a list route asks for: its `limit` and decoded
 * `cursor`, declared on the route with Q_PAGE (router.h) and checked by
 * the router. */
void page_get(struct req *r, struct page *p);
/* page_decode: the text of an opaque cursor (base64url without padding of
 * printable ASCII), in the arena; NULL when it is not one. */
const char *page_decode(struct arena *a, const char *cursor);
/* page_cursor: the opaque cursor for `text` (printable ASCII), in the
 * arena; NULL when text is NULL. */
const char *page_cursor(struct arena *a, const char *text);
/* page_after_id: the id an id-ordered page continues after: 0 on the first
 * page; replies 400 itself (returning the status) for a cursor that is no
 * id. */
int page_after_id(struct req *r, const struct page *p, long long *after);
/* page_after_tagged: as page_after_id for a cursor that names the list it
 * continues ("<tag>:<id>", the tag saying which list and whose:
 * "followers:42"), so that a cursor of any other list is a 400. */
int page_after_tagged(struct req *r, const struct page *p, const char *tag,
                      long long *after);
/* page_reply: 200 {items, next_cursor}; items (owned by the arena, or
 * NULL: none) gets a reference taken; next_text NULL on the last page. */
int page_reply(struct req *r, json_object *items, const char *next_text);
/* page_reply_tagged: page_reply with the cursor of page_after_tagged for
 * `tag`, continuing after the id `next` (0: the last page). */
int page_reply_tagged(struct req *r, json_object *items, const char *tag,
                      long long next);
/* page_bad_cursor: reply 400 for a cursor whose text the route cannot read
 * (its own format check failed). */
int page_bad_cursor(struct req *r);

#endif
