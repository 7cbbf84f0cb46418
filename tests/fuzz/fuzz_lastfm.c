/* fuzz_lastfm: a Last.fm form body (req_parse_pairs, as /2.0/ reads one)
 * and the track.scrobble batch read from its pairs (lfm_batch_parse):
 * whatever the bytes, no crash, and every scrobble read is PENDING or
 * IGNORED with valid UTF-8 names. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/lfm.h"
#include "api/req_impl.h"
#include "core/arena.h"
#include "core/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct arena *a = arena_new(0);
  struct req_pair p[640];
  struct req_kv kv[640];
  struct lfm_batch *b = arena_alloc(a, sizeof *b);
  int n = req_parse_pairs(a, (const char *)data, size, p, 640);
  for (int i = 0; i < n; i++)
    kv[i] = (struct req_kv){p[i].k, p[i].v};
  const char *why;
  if (n >= 0 && b && lfm_batch_parse(a, kv, n, 1767323045LL, b, &why) == 0)
    for (int i = 0; i < b->n; i++) {
      const struct scrobble *s = &b->s[i];
      if (s->status != SCROBBLE_PENDING && s->status != SCROBBLE_IGNORED)
        abort();
      if (s->status == SCROBBLE_PENDING &&
          (!str_utf8_valid(s->artist, strlen(s->artist)) ||
           !str_utf8_valid(s->title, strlen(s->title))))
        abort();
    }
  arena_free(a);
  return 0;
}
