/* bulk: helpers of encore-admin's bulk loaders (import, generate) — a
 * growing buffer of multi-row INSERT text flushed through db_query, SQL
 * string escaping, and UTF-8 checks. */
#ifndef ENCORE_ADMIN_BULK_H
#define ENCORE_ADMIN_BULK_H

#include <stdbool.h>
#include <stddef.h>

struct db;

#define BULK_FLUSH_BYTES (1u << 20) /* text of one INSERT before it is sent */

/* One multi-row statement being built: `head` ("INSERT ... VALUES ") once,
 * then rows "(...)" joined by commas, then `tail` (e.g. an ON DUPLICATE KEY
 * clause). Counts of what the flushed statements did accumulate in
 * `rows` (sent), `fresh` (new rows: records - duplicates) and `affected`. */
struct bulk {
  struct db *db;
  const char *head, *tail;
  char *p;
  size_t len, cap;
  int pending; /* rows in the buffer */
  unsigned long long rows, fresh, affected;
  int failed; /* a flush failed: the statement error was logged */
};

/* bulk_init: an empty statement for d; head and tail are static strings. */
void bulk_init(struct bulk *b, struct db *d, const char *head,
               const char *tail);
/* bulk_row: start a row (writes "(" or ",(") — add values with bulk_*,
 * then call bulk_end. */
void bulk_row(struct bulk *b);
/* bulk_end: close the row; flushes when the text is past BULK_FLUSH_BYTES.
 * 0 or a db code. */
int bulk_end(struct bulk *b);
/* bulk_int, bulk_str, bulk_null, bulk_raw: one value (with a leading comma
 * unless it is the row's first). bulk_str escapes s (valid UTF-8 expected)
 * and NULL becomes SQL NULL; bulk_raw copies SQL text as it is. */
void bulk_int(struct bulk *b, long long v);
void bulk_str(struct bulk *b, const char *s, size_t n);
void bulk_null(struct bulk *b);
void bulk_raw(struct bulk *b, const char *sql);
/* bulk_flush: send the pending rows, if any. 0 or a db code. */
int bulk_flush(struct bulk *b);
/* bulk_free: release the buffer (pending rows are dropped). */
void bulk_free(struct bulk *b);

/* utf8_check: true when s[0..n) is valid UTF-8 (no overlongs, surrogates
 * or code points past U+10FFFF) without control characters (C0, DEL, C1);
 * *chars gets the number of code points. */
bool utf8_check(const char *s, size_t n, size_t *chars);
/* latin1_to_utf8: ISO-8859-1 bytes -> UTF-8 into out (room for 2n+1), NUL
 * terminated; false when a byte is a control character (C0, DEL, C1). */
bool latin1_to_utf8(const char *s, size_t n, char *out, size_t *outlen);

#endif
