/* db_internal: what db.c (statements, transactions, rows) and db_conn.c
 * (the connection) share: the handle itself and the calls between them.
 * Nothing outside src/core/db*.c includes it. */
#ifndef ENCORE_DB_INTERNAL_H
#define ENCORE_DB_INTERNAL_H

#include <stddef.h>
#include <time.h>

#include <mysql.h>

struct slot {
  const char *key; /* the caller's SQL pointer; NULL: empty slot */
  char *text;      /* heap copy of the SQL, to detect a reused address */
  MYSQL_STMT *st;
};

/* One database node of the list. */
struct dbnode {
  char *host; /* host name or address, without brackets */
  unsigned port;
};

struct db {
  MYSQL *m; /* NULL while disconnected */
  char *socket, *user, *password, *name;
  struct dbnode *nodes; /* at least one (db_hosts, or db_host:db_port) */
  int nnodes, cur;      /* the node connected to, or tried first */

  struct slot *slots; /* statement cache, power-of-two capacity */
  size_t cap, count;

  char *buf; /* fetch buffers of the current result, reused */
  size_t bufcap;

  time_t last_ok;     /* monotonic seconds of the last successful call */
  time_t last_report; /* of the last "cannot connect" log line */
  int in_tx;          /* between db_begin and db_commit/db_rollback */
  int tx_lost;        /* the connection died inside that transaction */
  int local_infile;   /* LOAD DATA LOCAL INFILE allowed (bulk loaders only) */
};

/* The error of one attempt: number 0 means "never reached the server". */
struct dberr {
  unsigned no;
  char text[256];
};

/* db_now_mono: monotonic seconds. */
time_t db_now_mono(void);
/* db_cache_drop (db.c): close every cached statement. */
void db_cache_drop(struct db *d);
/* db_disconnect: drop the connection and its statements; a transaction
 * open on it is lost (tx_lost). */
void db_disconnect(struct db *d);
/* db_ready: a live connection, reconnecting when there is none and pinging
 * one that sat idle. RC_DB when the server cannot be reached, or when the
 * connection died inside a transaction. */
int db_ready(struct db *d);
/* db_next_node: leave a node that refused work (outside the primary
 * component): the next connection starts at the one after it. */
void db_next_node(struct db *d);
/* db_where: node i as text (or the socket), for log lines, in buf. */
const char *db_where(const struct db *d, int i, char *buf, size_t len);

#endif
