/* test_jx: jx_parse refuses everything a hostile body can try (NUL, invalid
 * UTF-8, \u0000 in keys and values, lone surrogates, trailing data,
 * truncation, depth > 32, NaN); jx_validate enforces the declared fields
 * (unknown keys, kinds, bounds in code points, enums, nullable, int64 range);
 * builders and ownership through the arena. */
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

static void parse_validate_build(void) {
  a = arena_new(0);

  /* --- parsing: accepted ---------------------------------------------- */
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

  json_object *o;
  const char *why;
  CHECK_INT(jx_parse(a, "null", 4, &o, &why), 0);
  CHECK(o == NULL);
  /* Only len bytes are read: the buffer need not be NUL-terminated. */
  CHECK_INT(jx_parse(a, "{}garbage", 2, &o, &why), 0);
  CHECK(json_object_is_type(o, json_type_object));
  /* Values decode as expected. */
  o = parse("{\"s\":\"\\ud83c\\udfb5\",\"n\":-7}");
  CHECK_STR(jx_str(o, "s"), "\xf0\x9f\x8e\xb5");
  CHECK_INT(jx_int(o, "n", 0), -7);

  /* --- parsing: refused ----------------------------------------------- */
  BAD("");
  BAD("   ");
  BAD("{\"a\":1}\0");      /* raw NUL after the value */
  BAD("{\"a\":\"x\0y\"}"); /* raw NUL inside a string */
  BAD("\0{}");
  BAD("{\"a\":\"\xff\"}");             /* invalid UTF-8 */
  BAD("{\"a\":\"\xc0\x80\"}");         /* overlong NUL */
  BAD("{\"a\":\"\xed\xa0\x80\"}");     /* encoded surrogate */
  BAD("{\"\xff\":1}");                 /* invalid UTF-8 in a key */
  BAD("{\"a\":\"\\u0000\"}");          /* \u0000 in a value */
  BAD("{\"role\\u0000x\":\"admin\"}"); /* \u0000 in a key (json-c truncates) */
  BAD("[\"a\\u0000\"]");
  BAD("\"\\ud800\""); /* lone high surrogate */
  BAD("\"\\ud800x\"");
  BAD("\"\\ud800\\u0041\""); /* high then not low */
  BAD("\"\\udc00\"");        /* lone low surrogate */
  BAD("{} x");               /* trailing garbage */
  BAD("{}{}");
  BAD("{},");
  BAD("1 2");
  BAD("[1] //c");
  BAD("{\"a\":1"); /* truncated */
  BAD("{\"a\":");
  BAD("{\"a\"");
  BAD("[1,2");
  BAD("\"abc");
  BAD("\"abc\\");
  BAD("tru");
  BAD("{\"a\":tru");
  BAD("{'a':1}"); /* not JSON */
  BAD("{a:1}");
  BAD("[1,]");
  BAD("{\"a\":1,}");
  BAD("/*c*/{}");
  BAD("01");
  BAD("0x10");
  BAD("NaN");
  BAD("[Infinity]");
  BAD("{\"a\":-Infinity}");
  BAD("{\"a\":nan}");
  BAD("\"tab\there\""); /* raw control character in a string */
  BAD("1.");
  BAD("[1.,2]");
  BAD("1E400");          /* overflows to infinity */
  BAD("\xef\xbb\xbf{}"); /* byte order mark */
  BAD("\"\\x\"");        /* unknown escape */
  BAD("\"\\u12\"");

  /* Depth: 32 levels accepted, 33 refused. */
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
  /* Many siblings are not depth. */
  char wide[4000];
  k = 0;
  wide[k++] = '[';
  for (int i = 0; i < 500; i++)
    k += (size_t)sprintf(wide + k, "%s[1]", i ? "," : "");
  wide[k++] = ']';
  CHECK_INT(jx_parse(a, wide, k, &o, &why), 0);

  /* --- validation -------------------------------------------------------- */
  struct jx_errors e;
  CHECK_INT(val("{\"name\":\"bob\"}", &e), 0);
  CHECK_INT(e.n, 0);
  CHECK_INT(val("{\"name\":\"bob\",\"age\":150,\"big\":9223372036854775807,"
                "\"flag\":false,\"tags\":[\"a\","
                "\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"],"
                "\"vis\":\"followers\",\"bio\":null}",
                &e),
            0);
  /* Length counts code points: five 2-byte characters fit max 5. */
  CHECK_INT(val("{\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}", &e),
            0);
  ONE_ERR("{\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}",
          "name", "must be at most 5 characters");
  ONE_ERR("{\"name\":\"\"}", "name", "must not be empty");
  ONE_ERR("{}", "name", "is required");
  ONE_ERR("{\"name\":null}", "name", "is required");
  ONE_ERR("{\"name\":5}", "name", "must be a string");
  ONE_ERR("{\"name\":[\"x\"]}", "name", "must be a string");
  /* Mass assignment: an undeclared key is refused by name. */
  ONE_ERR("{\"name\":\"bob\",\"role\":\"admin\"}", "role", "unknown field");
  ONE_ERR("{\"name\":\"bob\",\"age\":\"12\"}", "age", "must be an integer");
  ONE_ERR("{\"name\":\"bob\",\"age\":12.0}", "age", "must be an integer");
  ONE_ERR("{\"name\":\"bob\",\"age\":1e2}", "age", "must be an integer");
  ONE_ERR("{\"name\":\"bob\",\"age\":true}", "age", "must be an integer");
  ONE_ERR("{\"name\":\"bob\",\"age\":151}", "age", "must be between 0 and 150");
  ONE_ERR("{\"name\":\"bob\",\"age\":-1}", "age", "must be between 0 and 150");
  ONE_ERR("{\"name\":\"bob\",\"age\":null}", "age", "must not be null");
  ONE_ERR("{\"name\":\"bob\",\"big\":9223372036854775808}", "big",
          "is out of range");
  ONE_ERR("{\"name\":\"bob\",\"big\":99999999999999999999999}", "big",
          "is out of range");
  ONE_ERR("{\"name\":\"bob\",\"big\":-9223372036854775809}", "big",
          "is out of range");
  ONE_ERR("{\"name\":\"bob\",\"big\":-99999999999999999999}", "big",
          "is out of range");
  CHECK_INT(val("{\"name\":\"bob\",\"big\":-9223372036854775807}", &e), 0);
  ONE_ERR("{\"name\":\"bob\",\"flag\":1}", "flag", "must be a boolean");
  ONE_ERR("{\"name\":\"bob\",\"flag\":\"true\"}", "flag", "must be a boolean");
  ONE_ERR("{\"name\":\"bob\",\"vis\":\"secret\"}", "vis",
          "must be one of: public, followers, private");
  ONE_ERR("{\"name\":\"bob\",\"vis\":\"Public\"}", "vis",
          "must be one of: public, followers, private");
  ONE_ERR("{\"name\":\"bob\",\"vis\":1}", "vis", "must be a string");
  ONE_ERR("{\"name\":\"bob\",\"tags\":\"a\"}", "tags",
          "must be an array of strings");
  ONE_ERR("{\"name\":\"bob\",\"tags\":[\"a\",\"b\",\"c\",\"d\"]}", "tags",
          "must have at most 3 items");
  ONE_ERR("{\"name\":\"bob\",\"tags\":[\"a\",1]}", "tags[1]",
          "must be a string");
  ONE_ERR("{\"name\":\"bob\",\"tags\":[\"\"]}", "tags[0]", "must not be empty");
  ONE_ERR("{\"name\":\"bob\",\"tags\":[\"abcde\"]}", "tags[0]",
          "must be at most 4 characters");
  ONE_ERR("{\"name\":\"bob\",\"bio\":\"01234567890\"}", "bio",
          "must be at most 10 characters");
  /* Null on a nullable field is accepted and reads as absent. */
  o = parse("{\"name\":\"bob\",\"bio\":null}");
  CHECK_INT(jx_validate(a, o, fields, NF, &e), 0);
  CHECK(!jx_has(o, "bio"));
  CHECK(jx_str(o, "bio") == NULL);
  CHECK(jx_has(o, "name"));

  /* Several failures: declared fields in order, then unknown keys. */
  CHECK_INT(val("{\"zz\":1,\"age\":\"x\",\"flag\":2}", &e), RC_INVALID);
  CHECK_INT(e.n, 4);
  if (e.n == 4) {
    CHECK_STR(e.e[0].field, "name");
    CHECK_STR(e.e[1].field, "age");
    CHECK_STR(e.e[2].field, "flag");
    CHECK_STR(e.e[3].field, "zz");
    CHECK_STR(e.e[3].message, "unknown field");
  }
  /* The error list is bounded. */
  char many[2000];
  k = (size_t)sprintf(many, "{\"name\":\"bob\"");
  for (int i = 0; i < 40; i++)
    k += (size_t)sprintf(many + k, ",\"k%d\":1", i);
  sprintf(many + k, "}");
  CHECK_INT(val(many, &e), RC_INVALID);
  CHECK_INT(e.n, JX_MAX_ERRORS);

  /* Not an object. */
  ONE_ERR("[]", "", "must be a JSON object");
  ONE_ERR("\"x\"", "", "must be a JSON object");
  ONE_ERR("null", "", "must be a JSON object");

  /* Objects not from jx_parse: a string holding NUL is refused. */
  json_object *built = jx_own(a, json_object_new_object());
  json_object_object_add(built, "name", json_object_new_string_len("a\0b", 3));
  CHECK_INT(jx_validate(a, built, fields, NF, &e), RC_INVALID);
  CHECK_INT(e.n, 1);
  json_object *built2 = jx_own(a, json_object_new_object());
  json_object_object_add(built2, "name", json_object_new_string("\xff\xfe"));
  CHECK_INT(jx_validate(a, built2, fields, NF, &e), RC_INVALID);

  /* Accessors and their defaults. */
  o = parse("{\"s\":\"v\",\"i\":5,\"b\":true,\"n\":null}");
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

  /* Builders and serialization. */
  json_object *out = jx_own(a, json_object_new_object());
  jx_add_str(out, "s", "a/b \"q\" \xc3\xa9");
  jx_add_str(out, "null", NULL);
  jx_add_int(out, "i", -9223372036854775807LL);
  jx_add_bool(out, "t", true);
  jx_add_time(out, "at", 1767323045);
  jx_add_time(out, "never", 0);
  size_t len = 0;
  const char *txt = jx_text(a, out, &len);
  CHECK_STR(txt, "{\"s\":\"a/b \\\"q\\\" \xc3\xa9\",\"null\":null,"
                 "\"i\":-9223372036854775807,\"t\":true,"
                 "\"at\":\"2026-01-02T03:04:05Z\",\"never\":null}");
  CHECK_INT(len, strlen(txt));
  /* The text is the arena's copy: changing obj does not change it. */
  jx_add_int(out, "later", 1);
  CHECK(strstr(txt, "later") == NULL);

  /* Round trip of what we produce. */
  json_object *back = parse(txt);
  CHECK_STR(jx_str(back, "at"), "2026-01-02T03:04:05Z");
  CHECK_INT(jx_int(back, "i", 0), -9223372036854775807LL);

  /* Everything parsed or owned is released at reset (ASan checks leaks). */
  arena_reset(a);
  CHECK(jx_own(a, NULL) == NULL);
  o = parse("{\"x\":[1,2,3]}");
  CHECK(o != NULL);
  arena_free(a);
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  T_CASE(parse_validate_build);
  T_DONE();
}
