/* test_jx: jx_parse refuses everything a hostile body can try (NUL, invalid
 * UTF-8, \u0000 in keys and values, lone surrogates, trailing data,
 * truncation, depth > 32, NaN); jx_validate enforces the declared fields
 * (unknown keys, kinds, bounds in code points, enums, nullable, int64 range);
 * accessors, builders and ownership through the arena. Each case has an arena
 * of its own, freed at its end. */
#include "core/arena.h"
#include "core/jx.h"
#include "core/rc.h"

#include <stdlib.h>

#include "t.h"

static struct arena *a;

/* Parse a C string literal whose length is given (may hold NUL). */
static int parse_n(const char *s, size_t n, json_object **o, const char **why) {
  *why = NULL;
  return jx_parse(a, s, n, o, why);
}

#define OK(lit)                                                                \
  do {                                                                         \
    json_object *o_;                                                           \
    const char *w_;                                                            \
    int rc_ = parse_n(lit, sizeof(lit) - 1, &o_, &w_);                         \
    if (rc_ != 0) fprintf(stderr, "rejected %s: %s\n", #lit, w_ ? w_ : "?");   \
    CHECK_INT(rc_, 0);                                                         \
  } while (0)

#define BAD(lit)                                                               \
  do {                                                                         \
    json_object *o_ = (json_object *)1;                                        \
    const char *w_;                                                            \
    int rc_ = parse_n(lit, sizeof(lit) - 1, &o_, &w_);                         \
    if (rc_ != RC_BAD_JSON) fprintf(stderr, "accepted %s\n", #lit);            \
    CHECK_INT(rc_, RC_BAD_JSON);                                               \
    CHECK(w_ != NULL && w_[0] != '\0');                                        \
    CHECK(o_ == NULL);                                                         \
  } while (0)

static json_object *parse(const char *s) {
  json_object *o = NULL;
  const char *why;
  if (jx_parse(a, s, strlen(s), &o, &why) != 0) {
    fprintf(stderr, "parse failed: %s: %s\n", s, why);
    return NULL;
  }
  return o;
}

static const char *const visibilities[] = {"public", "followers", "private",
                                           NULL};

static const struct jx_field fields[] = {
    {.name = "name", .kind = JX_STRING, .required = true, .min = 1, .max = 5},
    {.name = "age", .kind = JX_INT, .min = 0, .max = 150},
    {.name = "big", .kind = JX_INT},
    {.name = "flag", .kind = JX_BOOL},
    {.name = "tags",
     .kind = JX_STRING_ARRAY,
     .min = 0,
     .max = 3,
     .item_max = 4},
    {.name = "vis", .kind = JX_ENUM, .enums = visibilities},
    {.name = "bio", .kind = JX_STRING, .max = 10, .nullable = true},
};
#define NF ((int)(sizeof fields / sizeof fields[0]))

/* Validate text against fields; returns the rc and fills errs. */
static int val(const char *text, struct jx_errors *errs) {
  json_object *o = parse(text);
  if (!o && strcmp(text, "null") != 0) {
    errs->n = -1;
    return -100;
  }
  return jx_validate(a, o, fields, NF, errs);
}

/* Exactly one error, on field f, with message m. */
#define ONE_ERR(text, f, m)                                                    \
  do {                                                                         \
    struct jx_errors e_;                                                       \
    CHECK_INT(val(text, &e_), RC_INVALID);                                     \
    CHECK_INT(e_.n, 1);                                                        \
    if (e_.n >= 1) {                                                           \
      CHECK_STR(e_.e[0].field, f);                                             \
      CHECK_STR(e_.e[0].message, m);                                           \
    }                                                                          \
  } while (0)

/* --- parsing: accepted ------------------------------------------------- */

static void parse_accepts_json_values(void) {
  a = arena_new(0);
  OK("{}");
  OK("{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}");
  OK("  {\"a\":1}  \n\t\r ");
  OK("[]");
  OK("12");
  OK("-0");
  OK("1.5e3");
  OK("true");
  OK("\"str\"");
  OK("\"caf\xc3\xa9 \\u00e9 \\ud83c\\udfb5\"");
  OK("\"\\\\u0000\""); /* an escaped backslash then the text u0000 */
  OK("{\"a\":\"\\\"\\\\u0000\"}");
  arena_free(a);
}

static void parse_of_null_gives_no_object(void) {
  a = arena_new(0);
  json_object *o;
  const char *why;
  CHECK_INT(jx_parse(a, "null", 4, &o, &why), 0);
  CHECK(o == NULL);
  arena_free(a);
}

static void parse_reads_only_len_bytes(void) {
  a = arena_new(0);
  json_object *o;
  const char *why;
  /* The buffer need not be NUL-terminated. */
  CHECK_INT(jx_parse(a, "{}garbage", 2, &o, &why), 0);
  CHECK(json_object_is_type(o, json_type_object));
  arena_free(a);
}

static void parse_decodes_surrogate_pairs_and_numbers(void) {
  a = arena_new(0);
  json_object *o = parse("{\"s\":\"\\ud83c\\udfb5\",\"n\":-7}");
  CHECK_STR(jx_str(o, "s"), "\xf0\x9f\x8e\xb5");
  CHECK_INT(jx_int(o, "n", 0), -7);
  arena_free(a);
}

/* --- parsing: refused -------------------------------------------------- */

static void parse_refuses_empty_input(void) {
  a = arena_new(0);
  BAD("");
  BAD("   ");
  arena_free(a);
}

static void parse_refuses_raw_nul(void) {
  a = arena_new(0);
  BAD("{\"a\":1}\0");      /* raw NUL after the value */
  BAD("{\"a\":\"x\0y\"}"); /* raw NUL inside a string */
  BAD("\0{}");
  arena_free(a);
}

static void parse_refuses_invalid_utf8(void) {
  a = arena_new(0);
  BAD("{\"a\":\"\xff\"}");         /* invalid UTF-8 */
  BAD("{\"a\":\"\xc0\x80\"}");     /* overlong NUL */
  BAD("{\"a\":\"\xed\xa0\x80\"}"); /* encoded surrogate */
  BAD("{\"\xff\":1}");             /* invalid UTF-8 in a key */
  arena_free(a);
}

static void parse_refuses_escaped_nul_in_keys_and_values(void) {
  a = arena_new(0);
  BAD("{\"a\":\"\\u0000\"}");          /* \u0000 in a value */
  BAD("{\"role\\u0000x\":\"admin\"}"); /* \u0000 in a key (json-c truncates) */
  BAD("[\"a\\u0000\"]");
  arena_free(a);
}

static void parse_refuses_lone_surrogates(void) {
  a = arena_new(0);
  BAD("\"\\ud800\""); /* lone high surrogate */
  BAD("\"\\ud800x\"");
  BAD("\"\\ud800\\u0041\""); /* high then not low */
  BAD("\"\\udc00\"");        /* lone low surrogate */
  arena_free(a);
}

static void parse_refuses_trailing_data(void) {
  a = arena_new(0);
  BAD("{} x"); /* trailing garbage */
  BAD("{}{}");
  BAD("{},");
  BAD("1 2");
  BAD("[1] //c");
  arena_free(a);
}

static void parse_refuses_truncated_input(void) {
  a = arena_new(0);
  BAD("{\"a\":1");
  BAD("{\"a\":");
  BAD("{\"a\"");
  BAD("[1,2");
  BAD("\"abc");
  BAD("\"abc\\");
  BAD("tru");
  BAD("{\"a\":tru");
  arena_free(a);
}

static void parse_refuses_what_is_not_json(void) {
  a = arena_new(0);
  BAD("{'a':1}");
  BAD("{a:1}");
  BAD("[1,]");
  BAD("{\"a\":1,}");
  BAD("/*c*/{}");
  BAD("\"tab\there\"");  /* raw control character in a string */
  BAD("\xef\xbb\xbf{}"); /* byte order mark */
  BAD("\"\\x\"");        /* unknown escape */
  BAD("\"\\u12\"");
  arena_free(a);
}

static void parse_refuses_numbers_outside_json(void) {
  a = arena_new(0);
  BAD("01");
  BAD("0x10");
  BAD("NaN");
  BAD("[Infinity]");
  BAD("{\"a\":-Infinity}");
  BAD("{\"a\":nan}");
  BAD("1.");
  BAD("[1.,2]");
  BAD("1E400"); /* overflows to infinity */
  arena_free(a);
}

static void parse_accepts_depth_32_and_refuses_33(void) {
  a = arena_new(0);
  json_object *o;
  const char *why;
  char deep[200];
  memset(deep, '[', 32);
  memset(deep + 32, ']', 32);
  CHECK_INT(jx_parse(a, deep, 64, &o, &why), 0);
  memset(deep, '[', 33);
  memset(deep + 33, ']', 33);
  CHECK_INT(jx_parse(a, deep, 66, &o, &why), RC_BAD_JSON);
  char deepobj[400];
  size_t k = 0;
  for (int i = 0; i < 40; i++)
    k += (size_t)sprintf(deepobj + k, "{\"a\":");
  k += (size_t)sprintf(deepobj + k, "1");
  for (int i = 0; i < 40; i++)
    deepobj[k++] = '}';
  CHECK_INT(jx_parse(a, deepobj, k, &o, &why), RC_BAD_JSON);
  arena_free(a);
}

static void parse_counts_siblings_apart_from_depth(void) {
  a = arena_new(0);
  json_object *o;
  const char *why;
  char wide[4000];
  size_t k = 0;
  wide[k++] = '[';
  for (int i = 0; i < 500; i++)
    k += (size_t)sprintf(wide + k, "%s[1]", i ? "," : "");
  wide[k++] = ']';
  CHECK_INT(jx_parse(a, wide, k, &o, &why), 0);
  arena_free(a);
}

/* --- validation -------------------------------------------------------- */

static void validate_accepts_every_declared_field(void) {
  a = arena_new(0);
  struct jx_errors e;
  CHECK_INT(val("{\"name\":\"bob\"}", &e), 0);
  CHECK_INT(e.n, 0);
  CHECK_INT(val("{\"name\":\"bob\",\"age\":150,\"big\":9223372036854775807,"
                "\"flag\":false,\"tags\":[\"a\","
                "\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"],"
                "\"vis\":\"followers\",\"bio\":null}",
                &e),
            0);
  arena_free(a);
}

static void validate_counts_length_in_code_points(void) {
  a = arena_new(0);
  struct jx_errors e;
  /* Five 2-byte characters fit max 5; six do not. */
  CHECK_INT(val("{\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}", &e),
            0);
  ONE_ERR("{\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}",
          "name", "must be at most 5 characters");
  arena_free(a);
}

static void validate_requires_a_nonempty_string(void) {
  a = arena_new(0);
  ONE_ERR("{\"name\":\"\"}", "name", "must not be empty");
  ONE_ERR("{}", "name", "is required");
  ONE_ERR("{\"name\":null}", "name", "is required");
  ONE_ERR("{\"name\":5}", "name", "must be a string");
  ONE_ERR("{\"name\":[\"x\"]}", "name", "must be a string");
  arena_free(a);
}

static void validate_refuses_undeclared_keys_by_name(void) {
  a = arena_new(0);
  /* Mass assignment. */
  ONE_ERR("{\"name\":\"bob\",\"role\":\"admin\"}", "role", "unknown field");
  arena_free(a);
}

static void validate_checks_integer_kind_and_bounds(void) {
  a = arena_new(0);
  ONE_ERR("{\"name\":\"bob\",\"age\":\"12\"}", "age", "must be an integer");
  ONE_ERR("{\"name\":\"bob\",\"age\":12.0}", "age", "must be an integer");
  ONE_ERR("{\"name\":\"bob\",\"age\":1e2}", "age", "must be an integer");
  ONE_ERR("{\"name\":\"bob\",\"age\":true}", "age", "must be an integer");
  ONE_ERR("{\"name\":\"bob\",\"age\":151}", "age", "must be between 0 and 150");
  ONE_ERR("{\"name\":\"bob\",\"age\":-1}", "age", "must be between 0 and 150");
  ONE_ERR("{\"name\":\"bob\",\"age\":null}", "age", "must not be null");
  arena_free(a);
}

static void validate_keeps_integers_in_int64_range(void) {
  a = arena_new(0);
  struct jx_errors e;
  ONE_ERR("{\"name\":\"bob\",\"big\":9223372036854775808}", "big",
          "is out of range");
  ONE_ERR("{\"name\":\"bob\",\"big\":99999999999999999999999}", "big",
          "is out of range");
  ONE_ERR("{\"name\":\"bob\",\"big\":-9223372036854775809}", "big",
          "is out of range");
  ONE_ERR("{\"name\":\"bob\",\"big\":-99999999999999999999}", "big",
          "is out of range");
  CHECK_INT(val("{\"name\":\"bob\",\"big\":-9223372036854775807}", &e), 0);
  arena_free(a);
}

static void validate_checks_booleans(void) {
  a = arena_new(0);
  ONE_ERR("{\"name\":\"bob\",\"flag\":1}", "flag", "must be a boolean");
  ONE_ERR("{\"name\":\"bob\",\"flag\":\"true\"}", "flag", "must be a boolean");
  arena_free(a);
}

static void validate_checks_enums_exactly(void) {
  a = arena_new(0);
  ONE_ERR("{\"name\":\"bob\",\"vis\":\"secret\"}", "vis",
          "must be one of: public, followers, private");
  ONE_ERR("{\"name\":\"bob\",\"vis\":\"Public\"}", "vis",
          "must be one of: public, followers, private");
  ONE_ERR("{\"name\":\"bob\",\"vis\":1}", "vis", "must be a string");
  arena_free(a);
}

static void validate_checks_string_arrays_and_their_items(void) {
  a = arena_new(0);
  ONE_ERR("{\"name\":\"bob\",\"tags\":\"a\"}", "tags",
          "must be an array of strings");
  ONE_ERR("{\"name\":\"bob\",\"tags\":[\"a\",\"b\",\"c\",\"d\"]}", "tags",
          "must have at most 3 items");
  ONE_ERR("{\"name\":\"bob\",\"tags\":[\"a\",1]}", "tags[1]",
          "must be a string");
  ONE_ERR("{\"name\":\"bob\",\"tags\":[\"\"]}", "tags[0]", "must not be empty");
  ONE_ERR("{\"name\":\"bob\",\"tags\":[\"abcde\"]}", "tags[0]",
          "must be at most 4 characters");
  arena_free(a);
}

static void validate_reads_null_on_a_nullable_field_as_absent(void) {
  a = arena_new(0);
  struct jx_errors e;
  ONE_ERR("{\"name\":\"bob\",\"bio\":\"01234567890\"}", "bio",
          "must be at most 10 characters");
  json_object *o = parse("{\"name\":\"bob\",\"bio\":null}");
  CHECK_INT(jx_validate(a, o, fields, NF, &e), 0);
  CHECK(!jx_has(o, "bio"));
  CHECK(jx_str(o, "bio") == NULL);
  CHECK(jx_has(o, "name"));
  arena_free(a);
}

static void validate_lists_declared_fields_then_unknown_keys(void) {
  a = arena_new(0);
  struct jx_errors e;
  CHECK_INT(val("{\"zz\":1,\"age\":\"x\",\"flag\":2}", &e), RC_INVALID);
  CHECK_INT(e.n, 4);
  if (e.n == 4) {
    CHECK_STR(e.e[0].field, "name");
    CHECK_STR(e.e[1].field, "age");
    CHECK_STR(e.e[2].field, "flag");
    CHECK_STR(e.e[3].field, "zz");
    CHECK_STR(e.e[3].message, "unknown field");
  }
  arena_free(a);
}

static void validate_bounds_the_error_list(void) {
  a = arena_new(0);
  struct jx_errors e;
  char many[2000];
  size_t k = (size_t)sprintf(many, "{\"name\":\"bob\"");
  for (int i = 0; i < 40; i++)
    k += (size_t)sprintf(many + k, ",\"k%d\":1", i);
  sprintf(many + k, "}");
  CHECK_INT(val(many, &e), RC_INVALID);
  CHECK_INT(e.n, JX_MAX_ERRORS);
  arena_free(a);
}

static void validate_refuses_what_is_not_an_object(void) {
  a = arena_new(0);
  ONE_ERR("[]", "", "must be a JSON object");
  ONE_ERR("\"x\"", "", "must be a JSON object");
  ONE_ERR("null", "", "must be a JSON object");
  arena_free(a);
}

static void validate_refuses_bad_strings_in_built_objects(void) {
  a = arena_new(0);
  struct jx_errors e;
  /* Objects not from jx_parse: a string holding NUL, invalid UTF-8. */
  json_object *built = jx_own(a, json_object_new_object());
  json_object_object_add(built, "name", json_object_new_string_len("a\0b", 3));
  CHECK_INT(jx_validate(a, built, fields, NF, &e), RC_INVALID);
  CHECK_INT(e.n, 1);
  json_object *built2 = jx_own(a, json_object_new_object());
  json_object_object_add(built2, "name", json_object_new_string("\xff\xfe"));
  CHECK_INT(jx_validate(a, built2, fields, NF, &e), RC_INVALID);
  arena_free(a);
}

/* --- accessors, builders, ownership ------------------------------------ */

static void accessors_fall_back_to_their_defaults(void) {
  a = arena_new(0);
  json_object *o = parse("{\"s\":\"v\",\"i\":5,\"b\":true,\"n\":null}");
  CHECK_STR(jx_str(o, "s"), "v");
  CHECK(jx_str(o, "i") == NULL);
  CHECK(jx_str(o, "missing") == NULL);
  CHECK_INT(jx_int(o, "i", 9), 5);
  CHECK_INT(jx_int(o, "s", 9), 9);
  CHECK_INT(jx_int(o, "missing", -1), -1);
  CHECK(jx_bool(o, "b", false) == true);
  CHECK(jx_bool(o, "missing", true) == true);
  CHECK(jx_bool(o, "i", false) == false);
  CHECK(jx_has(o, "s"));
  CHECK(!jx_has(o, "n"));
  CHECK(!jx_has(o, "missing"));
  arena_free(a);
}

/* built: an object made with every builder, in the arena. */
static json_object *built(void) {
  json_object *out = jx_own(a, json_object_new_object());
  jx_add_str(out, "s", "a/b \"q\" \xc3\xa9");
  jx_add_str(out, "null", NULL);
  jx_add_int(out, "i", -9223372036854775807LL);
  jx_add_bool(out, "t", true);
  jx_add_time(out, "at", 1767323045);
  jx_add_time(out, "never", 0);
  return out;
}

static void builders_serialize_to_the_arenas_text(void) {
  a = arena_new(0);
  json_object *out = built();
  size_t len = 0;
  const char *txt = jx_text(a, out, &len);
  CHECK_STR(txt, "{\"s\":\"a/b \\\"q\\\" \xc3\xa9\",\"null\":null,"
                 "\"i\":-9223372036854775807,\"t\":true,"
                 "\"at\":\"2026-01-02T03:04:05Z\",\"never\":null}");
  CHECK_INT(len, strlen(txt));
  /* The text is the arena's copy: changing obj does not change it. */
  jx_add_int(out, "later", 1);
  CHECK(strstr(txt, "later") == NULL);
  arena_free(a);
}

static void built_text_parses_back(void) {
  a = arena_new(0);
  size_t len = 0;
  json_object *back = parse(jx_text(a, built(), &len));
  CHECK_STR(jx_str(back, "at"), "2026-01-02T03:04:05Z");
  CHECK_INT(jx_int(back, "i", 0), -9223372036854775807LL);
  arena_free(a);
}

static void arena_reset_releases_everything(void) {
  a = arena_new(0);
  /* Parsed and owned objects go at reset (ASan checks leaks). */
  json_object *o = parse("{\"a\":[\"b\"]}");
  CHECK(o != NULL);
  CHECK(jx_own(a, json_object_new_object()) != NULL);
  arena_reset(a);
  CHECK(jx_own(a, NULL) == NULL);
  o = parse("{\"x\":[1,2,3]}");
  CHECK(o != NULL);
  arena_free(a);
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  T_CASE(parse_accepts_json_values);
  T_CASE(parse_of_null_gives_no_object);
  T_CASE(parse_reads_only_len_bytes);
  T_CASE(parse_decodes_surrogate_pairs_and_numbers);
  T_CASE(parse_refuses_empty_input);
  T_CASE(parse_refuses_raw_nul);
  T_CASE(parse_refuses_invalid_utf8);
  T_CASE(parse_refuses_escaped_nul_in_keys_and_values);
  T_CASE(parse_refuses_lone_surrogates);
  T_CASE(parse_refuses_trailing_data);
  T_CASE(parse_refuses_truncated_input);
  T_CASE(parse_refuses_what_is_not_json);
  T_CASE(parse_refuses_numbers_outside_json);
  T_CASE(parse_accepts_depth_32_and_refuses_33);
  T_CASE(parse_counts_siblings_apart_from_depth);
  T_CASE(validate_accepts_every_declared_field);
  T_CASE(validate_counts_length_in_code_points);
  T_CASE(validate_requires_a_nonempty_string);
  T_CASE(validate_refuses_undeclared_keys_by_name);
  T_CASE(validate_checks_integer_kind_and_bounds);
  T_CASE(validate_keeps_integers_in_int64_range);
  T_CASE(validate_checks_booleans);
  T_CASE(validate_checks_enums_exactly);
  T_CASE(validate_checks_string_arrays_and_their_items);
  T_CASE(validate_reads_null_on_a_nullable_field_as_absent);
  T_CASE(validate_lists_declared_fields_then_unknown_keys);
  T_CASE(validate_bounds_the_error_list);
  T_CASE(validate_refuses_what_is_not_an_object);
  T_CASE(validate_refuses_bad_strings_in_built_objects);
  T_CASE(accessors_fall_back_to_their_defaults);
  T_CASE(builders_serialize_to_the_arenas_text);
  T_CASE(built_text_parses_back);
  T_CASE(arena_reset_releases_everything);
  T_DONE();
}
