/* fuzz_form: query strings and form bodies through req_parse_pairs. */
#include <stddef.h>
#include <stdint.h>

#include "api/req_impl.h"
#include "core/arena.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct arena *a = arena_new(0);
  struct req_pair pairs[REQ_MAX_PAIRS];
  req_parse_pairs(a, (const char *)data, size, pairs, REQ_MAX_PAIRS);
  arena_free(a);
  return 0;
}
