/* rc: the result-code table of rc.def, mapped to HTTP statuses and problem
 * slugs, titles and symbolic names. */
#include "core/rc.h"

#include <stddef.h>

struct rc_entry {
  int rc;
  int http;
  const char *slug;
  const char *title;
  const char *name;
};

static const struct rc_entry rc_table[] = {
#define X(name, value, http, slug, title) {value, http, slug, title, #name},
#include "core/rc.def"
#undef X
};

static const struct rc_entry *rc_find(int rc) {
  for (size_t i = 0; i < sizeof rc_table / sizeof rc_table[0]; i++)
    if (rc_table[i].rc == rc) return &rc_table[i];
  return NULL;
}

int rc_http(int rc) {
  const struct rc_entry *e = rc_find(rc);
  return e ? e->http : 500;
}

const char *rc_slug(int rc) {
  const struct rc_entry *e = rc_find(rc);
  return e ? e->slug : "internal";
}

const char *rc_title(int rc) {
  const struct rc_entry *e = rc_find(rc);
  return e ? e->title : "Internal error";
}

const char *rc_name(int rc) {
  const struct rc_entry *e = rc_find(rc);
  return e ? e->name : "RC_UNKNOWN";
}
