/* h_catalogue: what the artist, album, track and genre handlers share: the
 * input rules (bodies with members jx_validate cannot describe: objects,
 * arrays of objects, numbers with fractions; dates, external ids), the
 * pages of id-ordered lists, and the answers about one object (404, 200
 * with its ETag, 201 with its Location). */
#ifndef ENCORE_H_CATALOGUE_H
#define ENCORE_H_CATALOGUE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/jx.h"
#include "model/catalogue.h"

struct req;
struct arena;

/* Input. */
/* h_catalogue_validate: jx_validate `body` against fields[0..nf), where the
 * keys in `special` (NULL-terminated) are allowed but left to the caller.
 * Failures are appended to *errs (which the caller initialized). */
void h_catalogue_validate(struct arena *a, json_object *body,
                          const struct jx_field *fields, int nf,
                          const char *const *special, struct jx_errors *errs);
/* h_catalogue_date_ok: a real calendar date "YYYY-MM-DD" (years
 * 1000..9999). */
bool h_catalogue_date_ok(const char *s);
/* h_catalogue_https_ok: an absolute https URL without spaces or control
 * bytes. */
bool h_catalogue_https_ok(const char *s);
/* h_catalogue_ext_apply: apply body's "external_ids" (an object of
 * musicbrainz, spotify, apple_music, each a string or null) onto *e;
 * members absent keep their value. Failures go to *errs. */
void h_catalogue_ext_apply(json_object *body, struct cat_ext *e,
                           struct jx_errors *errs);
/* h_catalogue_null: is `key` present with the value JSON null? */
bool h_catalogue_null(json_object *body, const char *key);

/* Lists. */
/* A page of an id-ordered catalogue list: what the route's Q_PAGE and, on
 * the lists of h_catalogue_list_query, ?genre ask for. */
struct h_catalogue_page {
  int limit;
  long long after; /* the id the page continues after; 0 on the first */
  long long genre; /* the ?genre filter as a genre id; 0: none */
  bool empty;      /* ?genre names no genre: nothing is of it */
};
/* h_catalogue_page: the page the request asks for. Returns 0, or replies
 * itself (400 for a cursor that is no id, or a server error) and returns
 * the status. */
int h_catalogue_page(struct req *r, struct h_catalogue_page *pg);
/* h_catalogue_id_cursor: the id an id-ordered list continues after (0 on
 * the first page). Returns 0, or replies 400 itself and returns the
 * status. */
int h_catalogue_id_cursor(struct req *r, const char *after, long long *id);
/* h_catalogue_reply_list: 200 {items, next_cursor}, next_cursor the cursor
 * of next_text (NULL: null, the last page); items is owned by the call. */
int h_catalogue_reply_list(struct req *r, json_object *items,
                           const char *next_text);
/* h_catalogue_reply_ids: h_catalogue_reply_list of a page of an id-ordered
 * list that holds n objects of `limit`, the last one's id `last`: a full
 * page continues after that id (more may follow), a shorter one is the
 * last. */
int h_catalogue_reply_ids(struct req *r, json_object *items, int n, int limit,
                          long long last);

/* One object. */
/* h_catalogue_fail: the answer to a model's error about the object the
 * request names: RC_NOT_FOUND with `missing` ("no such artist") as the
 * detail, any other code with its own. */
int h_catalogue_fail(struct req *r, int rc, const char *missing);
/* h_catalogue_reply_text: the JSON text of the object `id` as its model
 * read it: 200 with its ETag (a conditional GET may answer 304), or 201
 * with Location <base>/<id> ("/api/v1/artists"). */
int h_catalogue_reply_text(struct req *r, int status, const char *base,
                           long long id, const char *text, size_t len);
/* h_catalogue_write: POST (id 0) or PATCH of a catalogue object through
 * once(r, id), which answers and returns the status, or returns 0 when the
 * row changed between its read and its write (a PATCH reads the row,
 * applies the body and writes it back only if its updated_at is
 * unchanged). h_catalogue_write then starts again from a fresh read, so
 * concurrent edits of different fields never undo each other; after 5 lost
 * races it answers 409. `what` names the object in that answer. */
int h_catalogue_write(struct req *r, long long id,
                      int (*once)(struct req *r, long long id),
                      const char *what);

#endif
