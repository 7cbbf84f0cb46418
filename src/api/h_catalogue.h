/* h_catalogue: input rules shared by the artist, album and track handlers:
 * validation of bodies with members jx_validate cannot describe (objects,
 * arrays of objects, numbers with fractions), dates, external ids, and the
 * list answer. */
#ifndef ENCORE_H_CATALOGUE_H
#define ENCORE_H_CATALOGUE_H

#include <json-c/json.h>
#include <stdbool.h>

#include "core/jx.h"
#include "model/catalogue.h"

struct req;
struct arena;

/* h_catalogue_validate: jx_validate `body` against fields[0..nf), where the
 * keys in `special` (NULL-terminated) are allowed but left to the caller.
 * Failures are appended to *errs (which the caller initialized). */
void h_catalogue_validate(struct arena *a, json_object *body,
                          const struct jx_field *fields, int nf,
                          const char *const *special, struct jx_errors *errs);
/* h_catalogue_date_ok: a real calendar date "YYYY-MM-DD" (years 1000..9999). */
bool h_catalogue_date_ok(const char *s);
/* h_catalogue_https_ok: an absolute https URL without spaces or control bytes.
 */
bool h_catalogue_https_ok(const char *s);
/* h_catalogue_ext_apply: apply body's "external_ids" (an object of musicbrainz,
 * spotify, apple_music, each a string or null) onto *e; members absent keep
 * their value. Failures go to *errs. */
void h_catalogue_ext_apply(json_object *body, struct cat_ext *e,
                           struct jx_errors *errs);
/* h_catalogue_null: is `key` present with the value JSON null? */
bool h_catalogue_null(json_object *body, const char *key);
/* h_catalogue_genre_filter: the ?genre= filter (h_catalogue_list_query) as a
 * genre id in *id (0: none). Returns 0, 1 when the genre does not exist (the
 * list is empty), or replies itself (a server error) and returns the status. */
int h_catalogue_genre_filter(struct req *r, long long *id);
/* h_catalogue_id_cursor: the id an id-ordered list continues after (0 on the
 * first page). Returns 0, or replies 400 itself and returns the status. */
int h_catalogue_id_cursor(struct req *r, const char *after, long long *id);
/* h_catalogue_write: POST (id 0) or PATCH of a catalogue object through once(r,
 * id), which answers and returns the status, or returns 0 when the row changed
 * between its read and its write (a PATCH reads the row, applies the body
 * and writes it back only if its updated_at is unchanged). h_catalogue_write
 * then starts again from a fresh read, so concurrent edits of different fields
 * never undo each other; after 5 lost races it answers 409. `what` names
 * the object in that answer. */
int h_catalogue_write(struct req *r, long long id,
                      int (*once)(struct req *r, long long id),
                      const char *what);
/* h_catalogue_reply_list: 200 {items, next_cursor}; items is owned by the call.
 */
int h_catalogue_reply_list(struct req *r, json_object *items,
                           const char *next_text);

#endif
