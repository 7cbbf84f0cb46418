/* test_db_nodes: the database node list (db_hosts) is read as written,
 * and every malformed list is refused before any connection is tried. */
#include "core/db.h"
#include "core/rc.h"

#include <stdio.h>
#include <string.h>

#include "t.h"

/* collect: the nodes as "host port;" text. */
struct seen {
  char text[512];
};

static void collect(void *ctx, const char *host, unsigned port) {
  struct seen *s = ctx;
  size_t n = strlen(s->text);
  snprintf(s->text + n, sizeof s->text - n, "%s %u;", host, port);
}

static const char *nodes(const char *list, int *n) {
  static struct seen s;
  s.text[0] = '\0';
  *n = db_parse_nodes(list, 3306, collect, &s);
  return s.text;
}

static void good_lists(void) {
  int n;
  CHECK_STR(nodes("10.0.0.1:3306,10.0.0.2:3307,db3", &n),
            "10.0.0.1 3306;10.0.0.2 3307;db3 3306;");
  CHECK_INT(n, 3);
  CHECK_STR(nodes(" a:1 ,\tb:2 ,", &n),
            "a 1;b 2;"); /* blanks, a trailing comma */
  CHECK_INT(n, 2);
  CHECK_STR(nodes("[::1]:3306,[fd00::5]", &n), "::1 3306;fd00::5 3306;");
  CHECK_INT(n, 2);
  CHECK_STR(nodes("localhost", &n), "localhost 3306;");
  CHECK_INT(n, 1);
}

static void bad_lists(void) {
  const char *bad[] = {
      "",        ",",      "a,,b",     "::1:3306", "a:0",
      "a:65536", "a:",     "a:12x",    ":3306",    "[::1",
      "[]:3306", "[::1]x", "a/b:3306", "a:-1",     "a:99999999999999999999",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int n;
    nodes(bad[i], &n);
    CHECK(n == RC_INVALID, "'%s' accepted (%d)", bad[i], n);
  }
  /* At most 16 nodes. */
  char many[400] = "";
  for (int i = 0; i < 17; i++)
    snprintf(many + strlen(many), sizeof many - strlen(many), "%sh%d",
             i ? "," : "", i);
  int n;
  nodes(many, &n);
  CHECK_INT(n, RC_INVALID);
  /* A host longer than any name. */
  char longname[400];
  memset(longname, 'a', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  nodes(longname, &n);
  CHECK_INT(n, RC_INVALID);
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  T_CASE(good_lists);
  T_CASE(bad_lists);
  T_DONE();
}
