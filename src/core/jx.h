/* jx: json-c helpers: bounded parsing of untrusted bodies, declarative
 * validation of request objects, and small builders. json-c objects created
 * through jx_parse are owned by the arena given (released at reset). */
#ifndef ENCORE_JX_H
#define ENCORE_JX_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

struct arena;

/* jx_parse: parse exactly one JSON value from buf[0..len) with depth <= 32;
 * invalid UTF-8, a NUL byte, trailing garbage or truncation give RC_BAD_JSON
 * with a reason in *why (static string). On success *out is owned by the
 * arena. */
int jx_parse(struct arena *a, const char *buf, size_t len, json_object **out,
             const char **why);

/* Field kinds for validation. */
enum jx_kind { JX_STRING, JX_INT, JX_BOOL, JX_STRING_ARRAY, JX_ENUM };

/* One allowed field of a request object. */
struct jx_field {
  const char *name;
  enum jx_kind kind;
  bool required;
  long long min, max;       /* STRING: length in code points; INT: value;
                               STRING_ARRAY: number of items (items are strings
                               of 1..item_max code points) */
  long long item_max;       /* STRING_ARRAY only */
  const char *const *enums; /* JX_ENUM: NULL-terminated allowed strings */
  bool nullable;            /* JSON null accepted (stored as absent) */
};

/* One validation failure. */
struct jx_error {
  const char *field;
  const char *message;
};

#define JX_MAX_ERRORS 16

/* The outcome of a validation: errors in field order, unknown keys too. */
struct jx_errors {
  int n;
  struct jx_error e[JX_MAX_ERRORS];
};

/* jx_validate: check that `obj` is an object whose keys are all among
 * fields[0..nfields) and whose values have the declared kind and bounds;
 * strings must be valid UTF-8 without NUL. Returns 0, or RC_INVALID with the
 * failures in *errs (messages are arena or static strings). A non-object gives
 * RC_INVALID with field "" . */
int jx_validate(struct arena *a, json_object *obj,
                const struct jx_field *fields, int nfields,
                struct jx_errors *errs);

/* jx_error_add: append one failure (field and message static or in an
 * arena); past JX_MAX_ERRORS further failures are dropped. */
void jx_error_add(struct jx_errors *errs, const char *field,
                  const char *message);

/* Accessors that assume jx_validate passed: NULL / default when absent. */
const char *jx_str(json_object *obj, const char *key);
long long jx_int(json_object *obj, const char *key, long long dflt);
bool jx_bool(json_object *obj, const char *key, bool dflt);
bool jx_has(json_object *obj, const char *key);

/* jx_add_str / jx_add_int / ...: add to an object (NULL string -> JSON null).
 */
void jx_add_str(json_object *obj, const char *key, const char *val);
void jx_add_int(json_object *obj, const char *key, long long val);
void jx_add_bool(json_object *obj, const char *key, bool val);
/* jx_add_time: an RFC 3339 UTC timestamp ("2026-01-02T03:04:05Z") from a unix
 * time; 0 -> null. */
void jx_add_time(json_object *obj, const char *key, long long unix_time);

/* jx_own: register a json-c root for release at the arena's reset; returns obj.
 */
json_object *jx_own(struct arena *a, json_object *obj);
/* jx_text: the compact serialization of obj, valid until the arena resets. */
const char *jx_text(struct arena *a, json_object *obj, size_t *len);

#endif
