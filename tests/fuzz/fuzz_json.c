/* fuzz_json: untrusted JSON bodies through jx_parse and jx_validate, as
 * every JSON route sees them. */
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/jx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const kinds[] = {"public", "followers", "private", NULL};
static const struct jx_field fields[] = {
    {.name = "username",
     .kind = JX_STRING,
     .required = true,
     .min = 1,
     .max = 64},
    {.name = "n", .kind = JX_INT, .min = -5, .max = 1000},
    {.name = "b", .kind = JX_BOOL},
    {.name = "tags", .kind = JX_STRING_ARRAY, .max = 50, .item_max = 64},
    {.name = "v", .kind = JX_ENUM, .enums = kinds, .nullable = true},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct arena *a = arena_new(0);
  json_object *o = NULL;
  const char *why = NULL;
  if (jx_parse(a, (const char *)data, size, &o, &why) == 0) {
    struct jx_errors errs;
    jx_validate(a, o, fields, 5, &errs);
    size_t len;
    jx_text(a, o, &len);
  }
  arena_free(a);
  return 0;
}
