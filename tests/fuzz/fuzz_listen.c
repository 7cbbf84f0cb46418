/* fuzz_listen: the text parsers of listening and likes: RFC 3339 times
 * (a parsed time must format and parse back to itself), history and likes
 * cursors, like and dislike types. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/dislike.h"
#include "model/like.h"
#include "core/timefmt.h"
#include "model/listen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1), buf[40];
  if (!s) return 0;
  memcpy(s, data, size);
  s[size] = '\0'; /* the API hands these parsers NUL-free strings */
  long long ms, back, id;
  int type;
  enum like_type t;
  enum dislike_type dt;
  if (timefmt_parse(s, &ms) == 0 && ms >= 0 && ms < 253402300800000LL) {
    timefmt_rfc3339(buf, sizeof buf, ms);
    if (timefmt_parse(buf, &back) != 0 || back != ms) abort();
  }
  listen_parse_cursor(s, &ms, &id);
  like_parse_cursor(s, LIKE_PLAYLIST, &ms, &type, &id);
  like_type_parse(s, 0, &t);
  like_type_parse(s, 1, &t);
  dislike_type_parse(s, 1, &dt);
  free(s);
  return 0;
}
