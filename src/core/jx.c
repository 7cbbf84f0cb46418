/* jx: json-c helpers. jx_parse accepts exactly one strict JSON value from an
 * untrusted buffer; jx_validate checks a request object against a declared
 * list of fields, so handlers never see undeclared input. */
#include "core/jx.h"

#include "core/arena.h"
#include "core/rc.h"
#include "core/str.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define JX_DEPTH 32

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* The code unit of the \uXXXX escape at s (s[0] == 'u'), -1 if malformed. */
static long escape_unit(const char *s, size_t left) {
  if (left < 5) return -1;
  long v = 0;
  for (int i = 1; i <= 4; i++) {
    int h = hexval(s[i]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

/* Checks json-c does not make on the raw text, even in strict mode: a \u0000
 * escape (json-c keeps the NUL in values and silently truncates keys at it,
 * which would let "role\u0000x" pass as "role"), lone UTF-16 surrogates
 * (turned into U+FFFD without a word), single-quoted strings, raw control
 * characters inside strings and a number ending in '.'. Returns NULL or the
 * reason. */
static const char *scan_raw(const char *buf, size_t len) {
  bool in_str = false;
  for (size_t i = 0; i < len; i++) {
    char c = buf[i];
    if (!in_str) {
      if (c == '"')
        in_str = true;
      else if (c == '\'')
        return "single-quoted string";
      else if (c == '.' &&
               (i + 1 >= len || buf[i + 1] < '0' || buf[i + 1] > '9'))
        return "malformed number"; /* json-c takes "1." */
      continue;
    }
    if (c == '"') {
      in_str = false;
      continue;
    }
    if ((unsigned char)c < 0x20) return "control character in string";
    if (c != '\\') continue;
    if (i + 1 >= len) return NULL; /* truncated; the tokener reports it */
    if (buf[i + 1] != 'u') {
      i++;
      continue;
    }
    long u = escape_unit(buf + i + 1, len - i - 1);
    if (u < 0) return NULL; /* malformed escape; the tokener reports it */
    if (u == 0) return "string contains \\u0000";
    if (u >= 0xDC00 && u <= 0xDFFF) return "lone UTF-16 surrogate in string";
    if (u >= 0xD800 && u <= 0xDBFF) {
      size_t j = i + 6;
      long lo = (j + 1 < len && buf[j] == '\\' && buf[j + 1] == 'u')
                    ? escape_unit(buf + j + 1, len - j - 1)
                    : -1;
      if (lo < 0xDC00 || lo > 0xDFFF) return "lone UTF-16 surrogate in string";
      i = j + 5;
      continue;
    }
    i += 5;
  }
  return NULL;
}

/* json-c accepts NaN and Infinity even in strict mode. */
static bool all_finite(json_object *o) {
  switch (json_object_get_type(o)) {
  case json_type_double:
    return isfinite(json_object_get_double(o));
  case json_type_array: {
    size_t n = json_object_array_length(o);
    for (size_t i = 0; i < n; i++)
      if (!all_finite(json_object_array_get_idx(o, i))) return false;
    return true;
  }
  case json_type_object: {
    json_object_object_foreach(o, k, v) {
      (void)k;
      if (!all_finite(v)) return false;
    }
    return true;
  }
  default:
    return true;
  }
}

static void jx_put(void *p) {
  json_object_put(p);
}

int jx_parse(struct arena *a, const char *buf, size_t len, json_object **out,
             const char **why) {
  const char *reason = NULL;
  json_object *obj = NULL;
  *out = NULL;
  if (len == 0 || !buf)
    reason = "empty body";
  else if (len > INT32_MAX)
    reason = "body too large";
  else if (memchr(buf, '\0', len))
    reason = "NUL byte in body";
  else if (!str_utf8_valid(buf, len))
    reason = "invalid UTF-8";
  else
    reason = scan_raw(buf, len);
  if (reason) goto fail;

  struct json_tokener *tok = json_tokener_new_ex(JX_DEPTH);
  if (!tok) return RC_NOMEM;
  json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
  obj = json_tokener_parse_ex(tok, buf, (int)len);
  enum json_tokener_error err = json_tokener_get_error(tok);
  size_t end = json_tokener_get_parse_end(tok);
  if (!obj && err == json_tokener_continue) {
    /* A bare scalar at the end of input ("12", "true") waits for a
     * delimiter; one blank ends it, and anything still open stays open. */
    obj = json_tokener_parse_ex(tok, " ", 1);
    err = json_tokener_get_error(tok);
    end = len;
  }
  json_tokener_free(tok);
  if (!obj && err != json_tokener_success) {
    if (err == json_tokener_continue)
      reason = "truncated JSON";
    else if (err == json_tokener_error_depth)
      reason = "JSON nested too deeply";
    else
      reason = json_tokener_error_desc(err);
    goto fail;
  }
  for (size_t i = end; i < len; i++) {
    char c = buf[i];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
      reason = "trailing data after JSON value";
      goto fail;
    }
  }
  if (!all_finite(obj)) {
    reason = "number is NaN, infinite or out of range";
    goto fail;
  }
  /* The literal null parses to NULL: success with *out NULL. */
  if (obj && arena_defer(a, jx_put, obj) != 0)
    return RC_NOMEM; /* obj already released */
  *out = obj;
  return 0;

fail:
  json_object_put(obj);
  if (why) *why = reason;
  return RC_BAD_JSON;
}

void jx_error_add(struct jx_errors *errs, const char *field,
                  const char *message) {
  if (errs->n >= JX_MAX_ERRORS) return;
  errs->e[errs->n].field = field;
  errs->e[errs->n].message = message;
  errs->n++;
}

/* A string value: valid UTF-8, no NUL, code points within [min, max]
 * (max <= 0: no upper bound). Returns NULL or the failure message. */
static const char *check_string(struct arena *a, json_object *v, long long min,
                                long long max, const char *type_msg) {
  if (!json_object_is_type(v, json_type_string)) return type_msg;
  const char *s = json_object_get_string(v);
  size_t n = (size_t)json_object_get_string_len(v);
  if (strlen(s) != n || !str_utf8_valid(s, n))
    return "must be valid UTF-8 text without NUL";
  long long cps = (long long)str_utf8_len(s, n);
  if (cps < min) {
    if (min == 1) return "must not be empty";
    return arena_printf(a, "must be at least %lld characters", min);
  }
  if (max > 0 && cps > max)
    return arena_printf(a, "must be at most %lld characters", max);
  return NULL;
}

/* json-c clamps integers beyond int64: what reads as INT64_MAX may have been
 * larger (then it is kept as a uint64), and INT64_MIN may have been smaller,
 * so INT64_MIN is refused outright. */
static bool int64_exact(json_object *v, long long *out) {
  int64_t x = json_object_get_int64(v);
  if (x == INT64_MIN) return false;
  if (x == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX)
    return false;
  *out = x;
  return true;
}

static const char *enum_message(struct arena *a, const char *const *enums) {
  struct sbuf b;
  sbuf_init(&b, a);
  sbuf_adds(&b, "must be one of: ");
  for (int i = 0; enums && enums[i]; i++) {
    if (i) sbuf_adds(&b, ", ");
    sbuf_adds(&b, enums[i]);
  }
  return b.oom ? "must be one of the allowed values" : b.s;
}

static void check_field(struct arena *a, const struct jx_field *f,
                        json_object *v, struct jx_errors *errs) {
  const char *msg = NULL;
  const char *field = f->name;
  switch (f->kind) {
  case JX_STRING:
    msg = check_string(a, v, f->min, f->max, "must be a string");
    break;
  case JX_INT: {
    long long x;
    if (!json_object_is_type(v, json_type_int))
      msg = "must be an integer";
    else if (!int64_exact(v, &x))
      msg = "is out of range";
    else if ((f->min != 0 || f->max != 0) && (x < f->min || x > f->max))
      msg = arena_printf(a, "must be between %lld and %lld", f->min, f->max);
    break;
  }
  case JX_BOOL:
    if (!json_object_is_type(v, json_type_boolean)) msg = "must be a boolean";
    break;
  case JX_ENUM: {
    msg = check_string(a, v, 0, 0, "must be a string");
    if (msg) break;
    const char *s = json_object_get_string(v);
    bool ok = false;
    for (int i = 0; f->enums && f->enums[i]; i++)
      if (strcmp(s, f->enums[i]) == 0) ok = true;
    if (!ok) msg = enum_message(a, f->enums);
    break;
  }
  case JX_STRING_ARRAY: {
    if (!json_object_is_type(v, json_type_array)) {
      msg = "must be an array of strings";
      break;
    }
    long long n = (long long)json_object_array_length(v);
    if (n < f->min)
      msg = arena_printf(a, "must have at least %lld items", f->min);
    else if (f->max > 0 && n > f->max)
      msg = arena_printf(a, "must have at most %lld items", f->max);
    if (msg) break;
    for (long long i = 0; i < n; i++) {
      json_object *item = json_object_array_get_idx(v, (size_t)i);
      const char *m = check_string(a, item, 1, f->item_max, "must be a string");
      if (m) {
        const char *name = arena_printf(a, "%s[%lld]", f->name, i);
        jx_error_add(errs, name ? name : f->name, m);
      }
    }
    return;
  }
  default:
    msg = "has an undeclared kind";
    break;
  }
  if (msg) jx_error_add(errs, field, msg);
}

int jx_validate(struct arena *a, json_object *obj,
                const struct jx_field *fields, int nfields,
                struct jx_errors *errs) {
  errs->n = 0;
  if (!json_object_is_type(obj, json_type_object)) {
    jx_error_add(errs, "", "must be a JSON object");
    return RC_INVALID;
  }
  for (int i = 0; i < nfields; i++) {
    const struct jx_field *f = &fields[i];
    json_object *v = NULL;
    if (!json_object_object_get_ex(obj, f->name, &v)) {
      if (f->required) jx_error_add(errs, f->name, "is required");
      continue;
    }
    if (!v) { /* JSON null */
      if (f->required && !f->nullable)
        jx_error_add(errs, f->name, "is required");
      else if (!f->nullable)
        jx_error_add(errs, f->name, "must not be null");
      continue;
    }
    check_field(a, f, v, errs);
  }
  json_object_object_foreach(obj, key, val) {
    (void)val;
    bool known = false;
    for (int i = 0; i < nfields && !known; i++)
      known = strcmp(key, fields[i].name) == 0;
    if (!known) {
      const char *k = arena_strdup(a, key);
      jx_error_add(errs, k ? k : "", "unknown field");
    }
  }
  return errs->n ? RC_INVALID : 0;
}

const char *jx_str(json_object *obj, const char *key) {
  json_object *v;
  if (!json_object_object_get_ex(obj, key, &v) ||
      !json_object_is_type(v, json_type_string))
    return NULL;
  return json_object_get_string(v);
}

long long jx_int(json_object *obj, const char *key, long long dflt) {
  json_object *v;
  if (!json_object_object_get_ex(obj, key, &v) ||
      !json_object_is_type(v, json_type_int))
    return dflt;
  return json_object_get_int64(v);
}

bool jx_bool(json_object *obj, const char *key, bool dflt) {
  json_object *v;
  if (!json_object_object_get_ex(obj, key, &v) ||
      !json_object_is_type(v, json_type_boolean))
    return dflt;
  return json_object_get_boolean(v);
}

bool jx_has(json_object *obj, const char *key) {
  json_object *v;
  return json_object_object_get_ex(obj, key, &v) && v != NULL;
}

void jx_add_str(json_object *obj, const char *key, const char *val) {
  json_object_object_add(obj, key, val ? json_object_new_string(val) : NULL);
}

void jx_add_int(json_object *obj, const char *key, long long val) {
  json_object_object_add(obj, key, json_object_new_int64(val));
}

void jx_add_bool(json_object *obj, const char *key, bool val) {
  json_object_object_add(obj, key, json_object_new_boolean(val));
}

void jx_add_time(json_object *obj, const char *key, long long unix_time) {
  char buf[32];
  struct tm tm;
  time_t t = (time_t)unix_time;
  if (unix_time == 0 || !gmtime_r(&t, &tm) ||
      strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
    json_object_object_add(obj, key, NULL);
    return;
  }
  json_object_object_add(obj, key, json_object_new_string(buf));
}

json_object *jx_own(struct arena *a, json_object *obj) {
  if (!obj) return NULL;
  if (arena_defer(a, jx_put, obj) != 0) return NULL; /* released already */
  return obj;
}

const char *jx_text(struct arena *a, json_object *obj, size_t *len) {
  size_t n = 0;
  /* The serialization is owned by obj and replaced at the next call: copy. */
  const char *s = json_object_to_json_string_length(
      obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
  char *d = s ? arena_strndup(a, s, n) : NULL;
  if (len) *len = d ? n : 0;
  return d;
}
