/* test_db_kv: core/db and core/kv against a real MariaDB and memcached.
 *
 * Either ENCORE_TEST_DB_SOCKET (a MariaDB unix socket; user
 * ENCORE_TEST_DB_USER, default root, password ENCORE_TEST_DB_PASSWORD; the
 * database ENCORE_TEST_DB_NAME, default encore_test, is created) and
 * ENCORE_TEST_KV (a memcached server list), or ENCORE_STACK_DIR (a private
 * stack whose encore.conf names both). Exits 77 when neither is given.
 * Works in a table of its own, test_db_kv, dropped at the end. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/cfg.h"
#include "core/db.h"
#include "core/kv.h"
#include "core/log.h"
#include "core/rc.h"
#include "core/rnd.h"
#include "t.h"

static struct arena *A;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---------------------------------------------------------------- db */

static const char SQL_INSERT[] =
    "INSERT INTO test_db_kv (name, note, data, n) VALUES (?, ?, ?, ?)";
static const char SQL_BY_NAME[] =
    "SELECT id, name, note, data, n, t FROM test_db_kv WHERE name = ?";
static const char SQL_COUNT[] = "SELECT COUNT(*) FROM test_db_kv";
static const char SQL_CONN_ID[] = "SELECT CONNECTION_ID()";
static const char SQL_PREPARES[] =
    "SHOW SESSION STATUS LIKE 'Com_stmt_prepare'";

static long long count_rows(struct db *d) {
  struct db_res res;
  if (db_exec(d, A, SQL_COUNT, NULL, 0, DB_IDEMPOTENT, &res) || !res.nrows)
    return -1;
  return db_i64(&res.rows[0], 0, -1);
}

static long long conn_id(struct db *d) {
  struct db_res res;
  if (db_exec(d, A, SQL_CONN_ID, NULL, 0, DB_IDEMPOTENT, &res) || !res.nrows)
    return -1;
  return db_i64(&res.rows[0], 0, -1);
}

static long long prepares(struct db *d) {
  struct db_res res;
  if (db_exec(d, A, SQL_PREPARES, NULL, 0, DB_IDEMPOTENT, &res) || !res.nrows)
    return -1;
  return db_i64(&res.rows[0], 1, -1);
}

/* kill: end d's connection from another one, and wait until it is gone. */
static void kill_conn(struct db *d, struct db *other) {
  static const char gone[] =
      "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ?";
  char sql[64], err[256];
  long long id = conn_id(d);
  snprintf(sql, sizeof sql, "KILL CONNECTION %lld", id);
  CHECK_INT(db_script(other, sql, err, sizeof err), 0);
  for (int i = 0; i < 100; i++) {
    struct db_res res;
    struct db_val p = DB_I(id);
    if (db_exec(other, A, gone, &p, 1, DB_IDEMPOTENT, &res) == 0 && res.nrows &&
        db_i64(&res.rows[0], 0, 1) == 0)
      return;
    usleep(10000);
  }
  CHECK(!"killed connection still listed");
}

static void test_script(struct db *d) {
  char err[512];
  CHECK_INT(
      db_script(d,
                "DROP TABLE IF EXISTS test_db_kv;\n"
                "CREATE TABLE test_db_kv (\n"
                "  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,\n"
                "  name VARCHAR(64) NOT NULL UNIQUE,\n"
                "  note MEDIUMTEXT NULL,\n"
                "  data VARBINARY(300) NULL,\n"
                "  n INT NULL,\n"
                "  t DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)\n"
                ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 "
                "COLLATE=utf8mb4_unicode_ci;\n"
                "SELECT 1; SELECT 2, 3;\n"
                "-- a trailing comment\n",
                err, sizeof err),
      0);
  /* An error stops the script and names the statement. */
  CHECK_INT(db_script(d, "SELECT 1; SELEKT 2; SELECT 3", err, sizeof err),
            RC_DB);
  CHECK_HAS(err, "statement 2");
  CHECK_HAS(err, "1064");
  /* Multiple statements are off again outside db_script. */
  CHECK_INT(db_exec(d, A, "SELECT 1; SELECT 2", NULL, 0, 0, NULL), RC_DB);
  /* And the connection still works. */
  CHECK_INT(count_rows(d), 0);
}

static void test_rows(struct db *d) {
  static const unsigned char bin[] = {0x00, 0xff, 'a', 0x00, 0x80, '\n'};
  struct db_res res;

  struct db_val p1[] = {DB_S("alice"), DB_S(NULL), DB_B(bin, sizeof bin),
                        DB_I(-42)};
  CHECK_INT(db_exec(d, A, SQL_INSERT, p1, 4, 0, &res), 0);
  CHECK_INT(res.insert_id, 1);
  CHECK_INT(res.affected, 1);
  CHECK_INT(res.nrows, 0);

  /* 4-byte UTF-8 round trips (utf8mb4), NULLs stay NULL. */
  struct db_val p2[] = {DB_S("b\xc3\xa9"
                             "b\xf0\x9f\x8e\xb5"),
                        DB_S(""), DB_NUL, DB_NUL};
  CHECK_INT(db_exec(d, A, SQL_INSERT, p2, 4, 0, &res), 0);
  CHECK_INT(res.insert_id, 2);

  struct db_val k = DB_S("alice");
  CHECK_INT(db_exec(d, A, SQL_BY_NAME, &k, 1, DB_IDEMPOTENT, &res), 0);
  CHECK_INT(res.nrows, 1);
  CHECK_INT(res.ncols, 6);
  const struct db_row *r = &res.rows[0];
  CHECK_INT(db_i64(r, 0, 0), 1);
  CHECK_STR(db_s(r, 1), "alice");
  CHECK(db_s(r, 2) == NULL);
  CHECK_INT(r->len[3], sizeof bin);
  CHECK(r->v[3] && memcmp(r->v[3], bin, sizeof bin) == 0);
  CHECK_INT(r->v[3][sizeof bin], 0); /* still NUL-terminated */
  CHECK_INT(db_i64(r, 4, 0), -42);
  /* DATETIME(3) comes back as text with its milliseconds. */
  CHECK(db_s(r, 5) && strlen(db_s(r, 5)) == 23);

  k = DB_S("B\xc3\x89"
           "B\xf0\x9f\x8e\xb5"); /* the collation ignores case */
  CHECK_INT(db_exec(d, A, SQL_BY_NAME, &k, 1, DB_IDEMPOTENT, &res), 0);
  CHECK_INT(res.nrows, 1);
  if (res.nrows) {
    CHECK_STR(db_s(&res.rows[0], 1), "b\xc3\xa9"
                                     "b\xf0\x9f\x8e\xb5");
    CHECK_STR(db_s(&res.rows[0], 2), "");
    CHECK(db_s(&res.rows[0], 3) == NULL);
    CHECK_INT(db_i64(&res.rows[0], 4, 7), 7);
  }

  /* Duplicate keys, case-insensitively. */
  struct db_val p3[] = {DB_S("ALICE"), DB_NUL, DB_NUL, DB_NUL};
  CHECK_INT(db_exec(d, A, SQL_INSERT, p3, 4, 0, &res), RC_CONFLICT);
  CHECK_INT(count_rows(d), 2);

  /* No match: zero rows, not an error. */
  k = DB_S("nobody");
  CHECK_INT(db_exec(d, A, SQL_BY_NAME, &k, 1, DB_IDEMPOTENT, &res), 0);
  CHECK_INT(res.nrows, 0);

  /* Without an arena only the count comes back. */
  k = DB_S("alice");
  CHECK_INT(db_exec(d, NULL, SQL_BY_NAME, &k, 1, DB_IDEMPOTENT, &res), 0);
  CHECK_INT(res.nrows, 1);
  CHECK(res.rows == NULL);
  CHECK_INT(db_exec(d, A, SQL_BY_NAME, &k, 1, DB_IDEMPOTENT, NULL), 0);

  /* A wrong parameter count is a bug, reported as such. */
  CHECK_INT(db_exec(d, A, SQL_BY_NAME, NULL, 0, 0, &res), RC_INTERNAL);
  /* A bad statement is RC_DB, and the connection lives on. */
  CHECK_INT(db_exec(d, A, "SELEKT 1", NULL, 0, 0, &res), RC_DB);
  CHECK_INT(count_rows(d), 2);

  /* UPDATE: affected rows. */
  struct db_val u[] = {DB_I(5), DB_S("alice")};
  CHECK_INT(db_exec(d, A, "UPDATE test_db_kv SET n = ? WHERE name = ?", u, 2, 0,
                    &res),
            0);
  CHECK_INT(res.affected, 1);
}

static void test_sizes(struct db *d) {
  struct db_res res;
  /* A long value, and a short one in the same column: buffers follow the
   * longest value of the result. */
  size_t big = 300000;
  char *text = malloc(big + 1);
  for (size_t i = 0; i < big; i++)
    text[i] = (char)('a' + i % 26);
  text[big] = '\0';
  struct db_val p[] = {DB_S("big"), DB_S(text), DB_NUL, DB_NUL};
  CHECK_INT(db_exec(d, A, SQL_INSERT, p, 4, 0, &res), 0);
  CHECK_INT(db_exec(d, A,
                    "SELECT name, note FROM test_db_kv WHERE name IN "
                    "('big', 'alice') ORDER BY name DESC",
                    NULL, 0, DB_IDEMPOTENT, &res),
            0);
  CHECK_INT(res.nrows, 2);
  if (res.nrows == 2) {
    CHECK_STR(db_s(&res.rows[0], 0), "big");
    CHECK_INT(res.rows[0].len[1], big);
    CHECK(db_s(&res.rows[0], 1) && strcmp(db_s(&res.rows[0], 1), text) == 0);
    CHECK(db_s(&res.rows[1], 1) == NULL);
  }
  free(text);

  /* Numbers of every kind arrive as text. */
  CHECK_INT(db_exec(d, A,
                    "SELECT 18446744073709551615, -9223372036854775807, 1.5, "
                    "CAST(0.1 AS DOUBLE), CAST(3 AS DECIMAL(10,3)), NULL",
                    NULL, 0, DB_IDEMPOTENT, &res),
            0);
  if (res.nrows == 1) {
    CHECK_STR(db_s(&res.rows[0], 0), "18446744073709551615");
    CHECK_INT(db_i64(&res.rows[0], 1, 0), -9223372036854775807LL);
    CHECK_STR(db_s(&res.rows[0], 2), "1.5");
    CHECK_STR(db_s(&res.rows[0], 3), "0.1");
    CHECK_INT(db_i64(&res.rows[0], 4, 0), 3);
    CHECK(db_s(&res.rows[0], 5) == NULL);
    CHECK_INT(db_i64(&res.rows[0], 5, -1), -1);
  }

  /* Floating point: a DOUBLE with fixed decimals and a huge integer part
   * (over 300 characters; Connector/C's own conversion overflows a stack
   * buffer on it), and the shortest text for the others. */
  CHECK_INT(db_exec(d, A,
                    "SELECT ROUND(CAST(1e300 AS DOUBLE), 30), 'x', "
                    "CAST(1e300 AS DOUBLE), CAST(-1.5e-7 AS DOUBLE), "
                    "CAST(0.1 AS FLOAT), ROUND(CAST(2.5 AS DOUBLE), 2), "
                    "CAST(123456789012345678 AS DOUBLE), CAST(1 AS DOUBLE)",
                    NULL, 0, DB_IDEMPOTENT, &res),
            0);
  if (res.nrows == 1) {
    const struct db_row *r = &res.rows[0];
    const char *t = db_s(r, 0);
    CHECK(t && strlen(t) > 300 && r->len[0] == strlen(t));
    CHECK(t && strncmp(t, "1000000000", 10) == 0);
    CHECK(t &&
          strcmp(t + strlen(t) - 31, ".000000000000000000000000000000") == 0);
    CHECK_STR(db_s(r, 1), "x");
    CHECK_STR(db_s(r, 2), "1e300");
    CHECK_STR(db_s(r, 3), "-1.5e-7");
    CHECK_STR(db_s(r, 4), "0.1");
    CHECK_STR(db_s(r, 5), "2.50");
    CHECK_STR(db_s(r, 6), "1.2345678901234568e17");
    CHECK_STR(db_s(r, 7), "1");
    CHECK_INT(r->len[5], 4);
  }

  /* More columns and parameters than the bind arrays on the stack. */
  CHECK_INT(db_exec(d, A,
                    "SELECT 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,"
                    "21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,"
                    "40",
                    NULL, 0, DB_IDEMPOTENT, &res),
            0);
  CHECK_INT(res.ncols, 40);
  if (res.nrows == 1) CHECK_INT(db_i64(&res.rows[0], 39, 0), 40);
  struct db_val many[40];
  for (int i = 0; i < 40; i++)
    many[i] = DB_I(i + 1);
  CHECK_INT(db_exec(d, A,
                    "SELECT ?+?+?+?+?+?+?+?+?+?+?+?+?+?+?+?+?+?+?+?+"
                    "?+?+?+?+?+?+?+?+?+?+?+?+?+?+?+?+?+?+?+?",
                    many, 40, DB_IDEMPOTENT, &res),
            0);
  if (res.nrows == 1) CHECK_INT(db_i64(&res.rows[0], 0, 0), 820);

  /* Many rows. */
  CHECK_INT(db_exec(d, A,
                    "SELECT seq, REPEAT('x', seq % 100) FROM seq_1_to_5000",
                    NULL, 0, DB_IDEMPOTENT, &res),
            0);
  CHECK_INT(res.nrows, 5000);
  if (res.nrows == 5000) {
    CHECK_INT(db_i64(&res.rows[4999], 0, 0), 5000);
    CHECK_INT(res.rows[4998].len[1], 4999 % 100);
  }
}

static void test_reuse(struct db *d) {
  struct db_res res;
  struct db_val k = DB_S("alice");
  prepares(d); /* the status query itself is prepared once */
  long long before = prepares(d);
  for (int i = 0; i < 50; i++) {
    CHECK_INT(db_exec(d, A, SQL_BY_NAME, &k, 1, DB_IDEMPOTENT, &res), 0);
    arena_reset(A);
  }
  long long after = prepares(d);
  CHECK(before >= 0);
  CHECK_INT(after - before, 0); /* SQL_BY_NAME was prepared earlier */

  /* The cache is keyed by address but checks the text: the same buffer
   * holding another statement is prepared anew, not confused. */
  char sql[64];
  snprintf(sql, sizeof sql, "SELECT 'one'");
  CHECK_INT(db_exec(d, A, sql, NULL, 0, 0, &res), 0);
  CHECK_STR(res.nrows ? db_s(&res.rows[0], 0) : NULL, "one");
  snprintf(sql, sizeof sql, "SELECT 'two'");
  CHECK_INT(db_exec(d, A, sql, NULL, 0, 0, &res), 0);
  CHECK_STR(res.nrows ? db_s(&res.rows[0], 0) : NULL, "two");

  /* A table changed under a cached statement. */
  CHECK_INT(db_exec(d, A, SQL_BY_NAME, &k, 1, DB_IDEMPOTENT, &res), 0);
  char err[256];
  CHECK_INT(db_script(d, "ALTER TABLE test_db_kv ADD COLUMN extra INT NULL",
                      err, sizeof err),
            0);
  CHECK_INT(db_exec(d, A, SQL_BY_NAME, &k, 1, DB_IDEMPOTENT, &res), 0);
  CHECK_INT(res.nrows, 1);
}

static void test_tx(struct db *d) {
  struct db_res res;
  long long n = count_rows(d);
  struct db_val p[] = {DB_S("tx1"), DB_NUL, DB_NUL, DB_NUL};
  CHECK_INT(db_begin(d), 0);
  CHECK_INT(db_begin(d), RC_INTERNAL); /* no nesting */
  CHECK_INT(db_exec(d, A, SQL_INSERT, p, 4, 0, &res), 0);
  CHECK_INT(count_rows(d), n + 1);
  CHECK_INT(db_rollback(d), 0);
  CHECK_INT(count_rows(d), n);
  CHECK_INT(db_begin(d), 0);
  CHECK_INT(db_exec(d, A, SQL_INSERT, p, 4, 0, &res), 0);
  CHECK_INT(db_commit(d), 0);
  CHECK_INT(count_rows(d), n + 1);
}

/* What the stream callbacks saw. */
struct seen {
  int rows, stop_at, null_notes;
  size_t alice_data; /* length of alice's binary column */
};

static int on_row(void *ctx, const struct db_row *r, int ncols) {
  struct seen *s = ctx;
  CHECK_INT(ncols, 3);
  if (r->v[1] && !strcmp(r->v[1], "alice")) s->alice_data = r->len[2];
  s->null_notes += r->v[0] == NULL;
  return ++s->rows == s->stop_at ? 7 : 0;
}

static void test_stream(struct db *d) {
  static const char q[] = "SELECT note, name, data FROM test_db_kv ORDER BY id";
  long long n = count_rows(d);
  struct seen s = {0};
  CHECK_INT(db_stream(d, q, sizeof q - 1, on_row, &s), 0);
  CHECK_INT(s.rows, n);
  CHECK_INT(s.alice_data, 6); /* binary, with NULs inside */
  CHECK(s.null_notes >= 1);
  /* A stop hands back the callback's value; the rest is discarded and the
   * connection stays usable. */
  s = (struct seen){.stop_at = 1};
  CHECK_INT(db_stream(d, q, sizeof q - 1, on_row, &s), 7);
  CHECK_INT(s.rows, 1);
  CHECK_INT(count_rows(d), n);
  CHECK_INT(db_stream(d, "DO 1", 4, on_row, &s), 0);
  static const char bad[] = "SELECT nosuch FROM test_db_kv";
  CHECK_INT(db_stream(d, bad, sizeof bad - 1, on_row, &s), RC_DB);
  CHECK_INT(count_rows(d), n);
}

static void test_reconnect(struct db *d, struct db *other) {
  struct db_res res;
  long long id1 = conn_id(d);
  CHECK(id1 > 0);

  /* Idempotent work is retried on a new connection. */
  kill_conn(d, other);
  long long n = count_rows(d);
  CHECK(n > 0);
  long long id2 = conn_id(d);
  CHECK(id2 > 0 && id2 != id1);

  /* A write that never reached the server (its statement was not prepared
   * on this connection yet) is retried, idempotent or not. */
  kill_conn(d, other);
  struct db_val p0[] = {DB_S("unprepared"), DB_NUL, DB_NUL, DB_NUL};
  CHECK_INT(db_exec(d, A, SQL_INSERT, p0, 4, 0, &res), 0);
  CHECK_INT(count_rows(d), ++n);

  /* A write that may have run is not retried; the next call reconnects. */
  kill_conn(d, other);
  struct db_val p[] = {DB_S("after-kill"), DB_NUL, DB_NUL, DB_NUL};
  CHECK_INT(db_exec(d, A, SQL_INSERT, p, 4, 0, &res), RC_DB);
  CHECK_INT(count_rows(d), n);
  CHECK_INT(db_exec(d, A, SQL_INSERT, p, 4, 0, &res), 0);
  CHECK_INT(count_rows(d), n + 1);

  /* The new connection has the session settings again. */
  CHECK_INT(db_exec(d, A,
                    "SELECT @@time_zone, @@sql_mode, @@character_set_client",
                    NULL, 0, DB_IDEMPOTENT, &res),
            0);
  if (res.nrows == 1) {
    CHECK_STR(db_s(&res.rows[0], 0), "+00:00");
    CHECK_HAS(db_s(&res.rows[0], 1), "STRICT_ALL_TABLES");
    CHECK_STR(db_s(&res.rows[0], 2), "utf8mb4");
  }

  /* A transaction dies with its connection: no retry, commit fails, and
   * the work is gone. */
  struct db_val q[] = {DB_S("in-lost-tx"), DB_NUL, DB_NUL, DB_NUL};
  CHECK_INT(db_begin(d), 0);
  CHECK_INT(db_exec(d, A, SQL_INSERT, q, 4, 0, &res), 0);
  kill_conn(d, other);
  CHECK_INT(db_exec(d, A, SQL_COUNT, NULL, 0, DB_IDEMPOTENT, &res), RC_DB);
  CHECK_INT(db_exec(d, A, SQL_COUNT, NULL, 0, DB_IDEMPOTENT, &res), RC_DB);
  CHECK_INT(db_commit(d), RC_DB);
  CHECK_INT(count_rows(d), n + 1);

  /* Rollback after a loss is fine. */
  CHECK_INT(db_begin(d), 0);
  kill_conn(d, other);
  CHECK_INT(db_rollback(d), 0);
  CHECK_INT(count_rows(d), n + 1);

  /* db_ping reconnects. */
  kill_conn(d, other);
  CHECK_INT(db_ping(d), 0);
  CHECK_INT(db_ping(d), 0);

  /* db_script after a loss reconnects too (nothing was sent yet). */
  char err[256];
  kill_conn(d, other);
  CHECK_INT(db_script(d, "SELECT 1", err, sizeof err), RC_DB);
  CHECK_INT(db_script(d, "SELECT 1", err, sizeof err), 0);
}

static void test_unreachable(void) {
  struct cfg c = {0};
  struct db *d = NULL;
  c.db_socket = (char *)(uintptr_t) "/nonexistent/mysql.sock";
  c.db_name = (char *)(uintptr_t) "encore";
  c.db_user = (char *)(uintptr_t) "encore";
  double t0 = now_s();
  CHECK_INT(db_open(&d, &c), RC_DB);
  CHECK(d != NULL); /* usable: later calls try again */
  if (!d) return;
  CHECK_INT(db_exec(d, A, SQL_COUNT, NULL, 0, DB_IDEMPOTENT, NULL), RC_DB);
  CHECK_INT(db_ping(d), RC_DB);
  char err[128];
  CHECK_INT(db_script(d, "SELECT 1", err, sizeof err), RC_DB);
  CHECK(now_s() - t0 < 2);
  db_close(d);
}

/* ---------------------------------------------------------------- kv */

static char *key(const char *what) {
  return arena_printf(A, "test_db_kv:%ld:%s", (long)getpid(), what);
}

static void test_kv(struct kv *k) {
  char *v;
  size_t n;
  unsigned long long c;
  CHECK_INT(kv_ping(k), 0);

  /* set / get / miss / del */
  CHECK_INT(kv_set(k, key("a"), "hello", 5, 60), 0);
  CHECK_INT(kv_get(k, A, key("a"), &v, &n), 0);
  CHECK_STR(v, "hello");
  CHECK_INT(n, 5);
  CHECK_INT(kv_get(k, A, key("absent"), &v, &n), RC_MISS);
  CHECK(v == NULL);
  CHECK_INT(kv_del(k, key("a")), 0);
  CHECK_INT(kv_del(k, key("a")), 0);
  CHECK_INT(kv_get(k, A, key("a"), &v, &n), RC_MISS);

  /* Binary and empty values. */
  CHECK_INT(kv_set(k, key("bin"), "a\0b\r\nEND\r\n", 11, 60), 0);
  CHECK_INT(kv_get(k, A, key("bin"), &v, &n), 0);
  CHECK_INT(n, 11);
  CHECK(v && memcmp(v, "a\0b\r\nEND\r\n", 11) == 0);
  CHECK_INT(kv_set(k, key("empty"), "", 0, 60), 0);
  CHECK_INT(kv_get(k, A, key("empty"), &v, &n), 0);
  CHECK_STR(v, "");
  CHECK_INT(n, 0);

  /* add */
  kv_del(k, key("add"));
  CHECK_INT(kv_add(k, key("add"), "1", 1, 60), 0);
  CHECK_INT(kv_add(k, key("add"), "2", 1, 60), RC_CONFLICT);
  CHECK_INT(kv_get(k, A, key("add"), &v, &n), 0);
  CHECK_STR(v, "1");

  /* incr creates at 1, then counts. */
  kv_del(k, key("n"));
  CHECK_INT(kv_incr(k, key("n"), 60, &c), 0);
  CHECK_INT(c, 1);
  CHECK_INT(kv_incr(k, key("n"), 60, &c), 0);
  CHECK_INT(c, 2);
  for (int i = 0; i < 10; i++)
    kv_incr(k, key("n"), 60, &c);
  CHECK_INT(c, 12);
  CHECK_INT(kv_get(k, A, key("n"), &v, &n), 0);
  CHECK_STR(v, "12");

  /* mget: hits, misses, a repeated key, keys that get hashed. */
  char longk[400];
  memset(longk, 'L', sizeof longk - 1);
  longk[sizeof longk - 1] = '\0';
  CHECK_INT(kv_set(k, key("m1"), "one", 3, 60), 0);
  CHECK_INT(kv_set(k, key("m 3"), "three", 5, 60), 0);
  CHECK_INT(kv_set(k, longk, "long", 4, 60), 0);
  const char *keys[] = {key("m1"), key("m2"), key("m 3"), key("m1"), longk};
  char *vals[5];
  size_t lens[5];
  CHECK_INT(kv_mget(k, A, keys, 5, vals, lens), 0);
  CHECK_STR(vals[0], "one");
  CHECK_INT(lens[0], 3);
  CHECK(vals[1] == NULL);
  CHECK_STR(vals[2], "three");
  CHECK_STR(vals[3], "one");
  CHECK_STR(vals[4], "long");
  CHECK_INT(kv_mget(k, A, keys, 0, vals, lens), 0);

  /* Long keys and keys with spaces or control bytes work, and distinct
   * ones stay distinct. */
  char long2[400];
  memcpy(long2, longk, sizeof long2);
  long2[398] = 'M';
  CHECK_INT(kv_set(k, long2, "long2", 5, 60), 0);
  CHECK_INT(kv_get(k, A, longk, &v, &n), 0);
  CHECK_STR(v, "long");
  CHECK_INT(kv_get(k, A, long2, &v, &n), 0);
  CHECK_STR(v, "long2");
  const char *odd[] = {"a key with spaces", "tab\there",         "nl\nx",
                       "del\x7f",           "\xc3\xa9t\xc3\xa9", ""};
  for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
    char *kk = arena_printf(A, "%s:%ld", odd[i], (long)getpid());
    CHECK_INT(kv_set(k, kk, odd[i], strlen(odd[i]), 60), 0);
    CHECK_INT(kv_get(k, A, kk, &v, &n), 0);
    CHECK_STR(v, odd[i]);
    CHECK_INT(kv_incr(k, kk, 60, &c), RC_KV); /* not a number: an error */
    CHECK_INT(kv_del(k, kk), 0);
  }
  char *sp = key("incr with space");
  kv_del(k, sp);
  CHECK_INT(kv_incr(k, sp, 60, &c), 0);
  CHECK_INT(c, 1);

  /* TTLs: short ones expire; ones beyond 30 days do not expire at once. */
  CHECK_INT(kv_set(k, key("long-ttl"), "x", 1, 40 * 86400), 0);
  CHECK_INT(kv_get(k, A, key("long-ttl"), &v, &n), 0);
  CHECK_INT(kv_set(k, key("short"), "x", 1, 1), 0);
  CHECK_INT(kv_incr(k, key("short-n"), 1, &c), 0);
  sleep(2);
  CHECK_INT(kv_get(k, A, key("short"), &v, &n), RC_MISS);
  CHECK_INT(kv_incr(k, key("short-n"), 1, &c), 0);
  CHECK_INT(c, 1);
  CHECK_INT(kv_ping(k), 0);

  /* Versioned namespaces: stable until bumped, new after a bump, and a lost
   * version never comes back. */
  char *k1, *k2, *k3;
  const char *ns = key("ns");
  CHECK_INT(kv_ns_key(k, A, ns, "json", &k1), 0);
  CHECK_INT(kv_ns_key(k, A, ns, "json", &k2), 0);
  CHECK_STR(k1, k2);
  CHECK_INT(kv_set(k, k1, "old", 3, 60), 0);
  CHECK_INT(kv_ns_bump(k, ns), 0);
  CHECK_INT(kv_ns_key(k, A, ns, "json", &k3), 0);
  CHECK(strcmp(k1, k3) != 0);
  CHECK_INT(kv_get(k, A, k3, &v, &n), RC_MISS);
  CHECK_INT(kv_del(k, arena_printf(A, "ns:%s", ns)), 0);
  CHECK_INT(kv_ns_key(k, A, ns, "json", &k2), 0);
  CHECK(strcmp(k2, k1) != 0 && strcmp(k2, k3) != 0);

  /* kv_ns_renew: a new version for each, an existing one replaced, and
   * what kv_ns_key reads next; an unanswered set is read back in order. */
  const char *nss[] = {ns, key("ns-new")};
  char *vers[2];
  CHECK_INT(kv_ns_renew(k, A, nss, 2, vers), 0);
  CHECK(vers[0] && vers[1] && strcmp(vers[0], vers[1]) != 0);
  CHECK_INT(kv_ns_key(k, A, ns, "json", &k3), 0);
  CHECK_STR(k3, arena_printf(A, "%s:%s:json", ns, vers[0]));
  CHECK(strcmp(k3, k2) != 0);
  CHECK_INT(kv_ns_key(k, A, nss[1], "json", &k1), 0);
  CHECK_STR(k1, arena_printf(A, "%s:%s:json", nss[1], vers[1]));
  CHECK_INT(kv_set_quiet(k, k3, "quiet", 5, 60), 0);
  CHECK_INT(kv_get(k, A, k3, &v, &n), 0);
  CHECK(n == 5 && memcmp(v, "quiet", 5) == 0);
}

static void test_kv_down(void) {
  struct kv *k = NULL;
  char *v = (char *)1;
  size_t n;
  unsigned long long c;
  CHECK_INT(kv_open(&k, ""), RC_INVALID);
  CHECK_INT(kv_open(&k, " , "), RC_INVALID);
  CHECK_INT(kv_open(&k, "host:0"), RC_INVALID);
  CHECK_INT(kv_open(&k, "host:x"), RC_INVALID);
  CHECK_INT(kv_open(&k, "::1:11211"), RC_INVALID);
  CHECK_INT(kv_open(&k, "[::1"), RC_INVALID);
  CHECK(k == NULL);
  CHECK_INT(kv_open(&k, "[::1]:11211, localhost ,10.0.0.1:11212"), 0);
  kv_close(k);

  /* Nothing listens here: every call fails fast with RC_KV. */
  const char *lists[] = {"/nonexistent/memcached.sock", "127.0.0.1:1",
                         "nonexistent/memcached.sock",
                         "127.0.0.1:1,/nonexistent/memcached.sock"};
  for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
    CHECK_INT(kv_open(&k, lists[i]), 0);
    if (!k) continue;
    double t0 = now_s();
    for (int j = 0; j < 20; j++) {
      CHECK_INT(kv_get(k, A, "x", &v, &n), RC_KV);
      CHECK(v == NULL);
      const char *keys[] = {"x", "y", "z"};
      char *vals[3] = {(char *)1, (char *)1, (char *)1};
      CHECK_INT(kv_mget(k, A, keys, 3, vals, NULL), RC_KV);
      CHECK(!vals[0] && !vals[1] && !vals[2]);
      CHECK_INT(kv_set(k, "x", "1", 1, 0), RC_KV);
      CHECK_INT(kv_add(k, "x", "1", 1, 0), RC_KV);
      CHECK_INT(kv_set_quiet(k, "x", "1", 1, 0), RC_KV);
      const char *nsx[] = {"x"};
      char *ver = (char *)1;
      CHECK_INT(kv_ns_renew(k, A, nsx, 1, &ver), RC_KV);
      CHECK(ver == NULL);
      CHECK_INT(kv_incr(k, "x", 10, &c), RC_KV);
      CHECK_INT(kv_del(k, "x"), RC_KV);
      CHECK_INT(kv_ping(k), RC_KV);
    }
    double dt = now_s() - t0;
    if (dt >= 1.5) fprintf(stderr, "%s: 180 calls took %.2f s\n", lists[i], dt);
    CHECK(dt < 1.5);
    kv_close(k);
  }
}

/* test_kv_partial: one live server and one dead one. Keys on the dead one
 * fail; a mget touching it fails as a whole (never a miss that could pass
 * for "absent"); ping reports the cache down. */
static void test_kv_partial(const char *live) {
  struct kv *k = NULL;
  char *list = arena_printf(A, "%s,127.0.0.1:1", live);
  if (strchr(live, ',')) return; /* already a list: skip */
  CHECK_INT(kv_open(&k, list), 0);
  if (!k) return;
  int ok = 0, down = 0;
  const char *keys[40];
  char *vals[40];
  for (int i = 0; i < 40; i++) {
    keys[i] = key(arena_printf(A, "p%d", i));
    int rc = kv_set(k, keys[i], "v", 1, 60);
    if (rc == 0) ok++;
    if (rc == RC_KV) down++;
  }
  CHECK(ok > 0 && down > 0 && ok + down == 40);
  CHECK_INT(kv_mget(k, A, keys, 40, vals, NULL), RC_KV);
  CHECK_INT(kv_ping(k), RC_KV);
  kv_close(k);
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  const char *sock = getenv("ENCORE_TEST_DB_SOCKET");
  const char *kvs = getenv("ENCORE_TEST_KV");
  const char *stack = getenv("ENCORE_STACK_DIR");
  struct cfg c = {0};
  char err[512];
  bool loaded = false;

  if (rnd_init()) return 1;
  log_init("test_db_kv", LOG_ERROR, "-");
  if (sock && *sock && kvs && *kvs) {
    const char *user = getenv("ENCORE_TEST_DB_USER");
    const char *pw = getenv("ENCORE_TEST_DB_PASSWORD");
    const char *name = getenv("ENCORE_TEST_DB_NAME");
    c.db_socket = strdup(sock);
    c.db_user = strdup(user ? user : "root");
    c.db_password = strdup(pw ? pw : "");
    c.db_name = strdup("");
    c.kv_servers = strdup(kvs);
    /* Create the database through a connection without one. */
    struct db *d0;
    char sql[200];
    if (!name || !*name) name = "encore_test";
    snprintf(sql, sizeof sql,
             "CREATE DATABASE IF NOT EXISTS `%s` CHARACTER SET utf8mb4 "
             "COLLATE utf8mb4_unicode_ci",
             name);
    if (db_open(&d0, &c) || db_script(d0, sql, err, sizeof err)) {
      fprintf(stderr, "cannot create database %s on %s\n", name, sock);
      return 1;
    }
    db_close(d0);
    free(c.db_name);
    c.db_name = strdup(name);
  } else if (stack && *stack) {
    char path[4096];
    snprintf(path, sizeof path, "%s/encore.conf", stack);
    if (cfg_load(&c, path, false, err, sizeof err)) {
      fprintf(stderr, "config: %s\n", err);
      return 1;
    }
    loaded = true;
  } else {
    fprintf(stderr, "set ENCORE_TEST_DB_SOCKET and ENCORE_TEST_KV, or "
                    "ENCORE_STACK_DIR: skipped\n");
    return 77;
  }

  A = arena_new(0);
  struct db *d = NULL, *other = NULL;
  struct kv *k = NULL;
  if (db_open(&d, &c) || db_open(&other, &c)) {
    fprintf(stderr, "cannot reach MariaDB\n");
    return 1;
  }
  if (kv_open(&k, c.kv_servers) || kv_ping(k)) {
    fprintf(stderr, "cannot reach memcached at %s\n", c.kv_servers);
    return 1;
  }

  T_CASE(test_script, d);
  arena_reset(A);
  T_CASE(test_rows, d);
  arena_reset(A);
  T_CASE(test_sizes, d);
  arena_reset(A);
  T_CASE(test_reuse, d);
  arena_reset(A);
  T_CASE(test_tx, d);
  arena_reset(A);
  T_CASE(test_stream, d);
  arena_reset(A);
  T_CASE(test_reconnect, d, other);
  arena_reset(A);
  T_CASE(test_unreachable);
  arena_reset(A);
  db_script(d, "DROP TABLE IF EXISTS test_db_kv", err, sizeof err);

  T_CASE(test_kv, k);
  arena_reset(A);
  T_CASE(test_kv_partial, c.kv_servers);
  arena_reset(A);
  T_CASE(test_kv_down);

  kv_close(k);
  db_close(other);
  db_close(d);
  arena_free(A);
  if (loaded) {
    cfg_free(&c);
  } else {
    free(c.db_socket);
    free(c.db_user);
    free(c.db_password);
    free(c.db_name);
    free(c.kv_servers);
  }
  T_DONE();
}
