/* db: MariaDB access through Connector/C prepared statements. One connection
 * per process (opened after fork). Statements are prepared once per
 * connection and cached by their SQL text; on errors 2006/2013 the module
 * reconnects, re-prepares and retries the statement once when it is marked
 * idempotent. Results are copied into the caller's arena as strings. */
#ifndef ENCORE_DB_H
#define ENCORE_DB_H

#include <stdbool.h>
#include <stddef.h>

struct arena;
struct cfg;
struct db;

/* A bound parameter. Build them with the DB_* macros. */
enum db_type { DB_NULL, DB_INT, DB_STR, DB_BLOB };
struct db_val {
  enum db_type t;
  long long i;
  const void *p;
  size_t len;
};
#define DB_I(x) ((struct db_val){.t = DB_INT, .i = (long long)(x)})
/* A C string; NULL becomes SQL NULL. */
#define DB_S(x) db_str(x)
#define DB_B(ptr, n) ((struct db_val){.t = DB_BLOB, .p = (ptr), .len = (n)})
#define DB_NUL ((struct db_val){.t = DB_NULL})
struct db_val db_str(const char *s);

/* One row: ncols values as NUL-terminated strings (binary safe through len);
 * v[i] is NULL for SQL NULL. */
struct db_row {
  char **v;
  size_t *len;
};

/* A result: rows (possibly none) and, for writes, what changed. */
struct db_res {
  int nrows, ncols;
  struct db_row *rows;
  unsigned long long insert_id;
  unsigned long long affected;
};

/* Flags for db_exec. */
enum { DB_IDEMPOTENT = 1 }; /* safe to retry after a reconnect */

/* db_open: connect with utf8mb4, the configured socket, else the first
 * node of db_hosts that answers (else db_host:db_port), and
 * CLIENT_MULTI_STATEMENTS off. Returns 0, RC_DB (unreachable; the handle
 * is made and later calls try again), RC_INVALID (a bad db_hosts, no
 * handle) or RC_NOMEM. The connection is lazy-safe: db_exec reconnects
 * when it was lost, to the node it used, else the next that answers. A
 * Galera node outside the primary component (1047) is left for the next
 * node, and its statement run there (core/db.c says when). */
int db_open(struct db **out, const struct cfg *c);
void db_close(struct db *d);

/* db_parse_nodes: check a node list "host[:port],[v6addr]:port,..." (at
 * most 16 nodes; dflt_port where none is given; a trailing comma allowed)
 * and hand each node to fn (may be NULL). Returns the number of nodes, or
 * RC_INVALID. */
int db_parse_nodes(const char *list, unsigned dflt_port,
                   void (*fn)(void *ctx, const char *host, unsigned port),
                   void *ctx);
/* db_ping: 0 when the server answers (reconnecting if needed), else RC_DB. */
int db_ping(struct db *d);

/* db_exec: run `sql` (a string with static lifetime: it is the cache key)
 * with params; rows, when any, are copied into `a`. res may be NULL.
 * Returns 0, RC_CONFLICT on a duplicate key (1062) or a foreign key that a
 * concurrent write broke (1451: still referenced, 1452: referenced row gone),
 * RC_DEADLOCK when InnoDB chose this transaction as a deadlock victim or
 * Galera's certification failed (1213: the whole transaction is already
 * rolled back; see db_retry; a lone statement is run again here first),
 * RC_DB on
 * connection loss or any other server error (logged with the SQL text, never
 * the params). */
int db_exec(struct db *d, struct arena *a, const char *sql,
            const struct db_val *params, int nparams, unsigned flags,
            struct db_res *res);

/* db_script: run a text of several ;-separated statements (migrations), not
 * prepared. Returns 0 or RC_DB with the server's message in err. */
int db_script(struct db *d, const char *text, char *err, size_t errlen);

/* What one db_query changed: affected rows, and from the server's info
 * line for multi-row INSERTs and LOAD DATA the rows read (records) and those
 * that hit an existing key (duplicates: ignored or updated), so new rows =
 * records - duplicates. */
struct db_qres {
  unsigned long long affected, records, duplicates, warnings;
};

/* db_query: run one unprepared statement whose text is built at run time —
 * for bulk loaders only (multi-row INSERTs, LOAD DATA, session settings);
 * request handlers use db_exec. A result set, if any, is discarded. Never
 * retried. Returns 0, RC_CONFLICT on a duplicate key, RC_DB otherwise
 * (logged with the first bytes of the text). res may be NULL. */
int db_query(struct db *d, const char *sql, size_t len, struct db_qres *res);

/* db_stream: run one unprepared statement (text built at run time, bulk
 * readers only) and hand each row to cb as it arrives (mysql_use_result:
 * nothing is buffered, so memory stays flat however many rows come). The
 * row is valid during the call only; v[i] is NULL for SQL NULL. cb returns 0
 * to go on, anything else to stop: the rest of the result is discarded and
 * db_stream returns that value. Otherwise 0, or RC_DB (logged with the first
 * bytes of the text). Never retried. */
typedef int (*db_row_fn)(void *ctx, const struct db_row *row, int ncols);
int db_stream(struct db *d, const char *sql, size_t len, db_row_fn cb,
              void *ctx);

/* db_local_infile: allow LOAD DATA LOCAL INFILE on this connection (the
 * server must run with local_infile on), and wait up to an hour instead of
 * 30 s for the answer to a statement. Reconnects at once, so call it
 * before any transaction or session setting. 0, RC_DB or RC_INTERNAL inside a
 * transaction. Only the bulk loaders and readers (encore-admin's, encore-recs)
 * use it. */
int db_local_infile(struct db *d);

/* Transactions on the connection. db_commit answers RC_DEADLOCK when
 * Galera's certification of the transaction failed (rolled back: run it
 * again, see db_retry). */
int db_begin(struct db *d);
int db_commit(struct db *d);
int db_rollback(struct db *d);

/* db_retry: whether to run again a whole transaction (or lone statement)
 * that returned rc: true when rc is RC_DEADLOCK and fewer than
 * DB_DEADLOCK_TRIES attempts were made (counted in *tries, start at 0),
 * after sleeping a few random milliseconds. The victim of a deadlock was
 * rolled back entirely, so running it again from the start is safe:
 *   int tries = 0;
 *   do rc = once(...); while (db_retry(rc, &tries));
 */
#define DB_DEADLOCK_TRIES 5
bool db_retry(int rc, int *tries);

/* Row helpers. */
long long db_i64(const struct db_row *r, int col, long long dflt);
const char *db_s(const struct db_row *r, int col); /* NULL for SQL NULL */

#endif
