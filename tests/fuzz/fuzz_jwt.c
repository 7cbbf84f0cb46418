/* fuzz_jwt: bearer tokens through tok_verify. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/rnd.h"
#include "core/tok.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int ready;
  if (!ready) {
    rnd_init();
    tok_init("fuzzing-secret-fuzzing-secret-0123456789", "encore", "encore-api",
             900);
    ready = 1;
  }
  char *s = malloc(size + 1);
  if (!s) return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  struct tok_claims c;
  const char *why;
  tok_verify(s, 1700000000, &c, &why);
  free(s);
  return 0;
}
