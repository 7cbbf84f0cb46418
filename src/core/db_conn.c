/* db_conn: the connection of a db handle: the node list (db_hosts), the
 * first node that answers from the one in use on, the session settings of
 * every connection, the ping of an idle one, and closing. When and how a
 * statement is retried after a loss or a refusal: db.c's header. */
#include "core/db.h"
#include "core/db_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errmsg.h>
#include <mysql.h>

#include "core/cfg.h"
#include "core/log.h"
#include "core/rc.h"
#include "core/str.h"

#define DB_CONNECT_TIMEOUT 5    /* seconds */
#define DB_IO_TIMEOUT 30        /* seconds, reads and writes */
#define DB_BULK_IO_TIMEOUT 3600 /* the same for bulk loaders */
/* The connect timeout for each node of a list: an unreachable one must not
 * hold a request long before the next is tried. */
#define DB_NODE_CONNECT_TIMEOUT 2
#define DB_NODES_MAX 16 /* nodes of db_hosts */
/* A connection idle this long is pinged before use, so a server that closed
 * it (wait_timeout, restart) costs a reconnect rather than a failed write. */
#define DB_IDLE_PING 30

/* Session settings of every connection: times in UTC, strict writes. */
static const char db_session_sql[] =
    "SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci, time_zone = '+00:00', "
    "sql_mode = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ZERO_DATE,"
    "NO_ZERO_IN_DATE,NO_ENGINE_SUBSTITUTION'";

static int db_handles; /* open handles, to release the library after the last */

time_t db_now_mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec;
}

void db_disconnect(struct db *d) {
  db_cache_drop(d);
  if (d->m) mysql_close(d->m);
  d->m = NULL;
  if (d->in_tx) d->tx_lost = 1;
}

/* connect_node: a connection to node i (or the socket) with the session
 * settings; NULL when it fails, with the error in err. */
static MYSQL *connect_node(struct db *d, int i, struct dberr *err) {
  MYSQL *m = mysql_init(NULL);
  if (!m) {
    *err = (struct dberr){.no = CR_OUT_OF_MEMORY, .text = "out of memory"};
    return NULL;
  }
  /* A bulk load runs one statement for minutes: it waits longer. */
  unsigned ct = d->nnodes > 1 ? DB_NODE_CONNECT_TIMEOUT : DB_CONNECT_TIMEOUT,
           io = d->local_infile ? DB_BULK_IO_TIMEOUT : DB_IO_TIMEOUT,
           infile = d->local_infile ? 1 : 0;
  my_bool off = 0;
  mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
  mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &io);
  mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &io);
  mysql_options(m, MYSQL_OPT_RECONNECT, &off);
  mysql_options(m, MYSQL_OPT_LOCAL_INFILE, &infile);
  mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  const char *sock = d->socket[0] ? d->socket : NULL;
  if (sock) {
    unsigned proto = MYSQL_PROTOCOL_SOCKET;
    mysql_options(m, MYSQL_OPT_PROTOCOL, &proto);
  }
  /* No CLIENT_MULTI_STATEMENTS: only db_script turns it on, per call. */
  if (!mysql_real_connect(m, sock ? "localhost" : d->nodes[i].host, d->user,
                          d->password, d->name[0] ? d->name : NULL,
                          sock ? 0 : d->nodes[i].port, sock, 0) ||
      mysql_real_query(m, db_session_sql, sizeof db_session_sql - 1)) {
    err->no = mysql_errno(m);
    snprintf(err->text, sizeof err->text, "%s", mysql_error(m));
    mysql_close(m);
    return NULL;
  }
  return m;
}

/* where: the node as text, for log lines. */
const char *db_where(const struct db *d, int i, char *buf, size_t len) {
  if (d->socket[0]) return d->socket;
  const char *h = d->nodes[i].host;
  snprintf(buf, len, strchr(h, ':') ? "[%s]:%u" : "%s:%u", h, d->nodes[i].port);
  return buf;
}

/* connect_db: the first node that answers, from the current one on. */
static int connect_db(struct db *d) {
  struct dberr err = {0};
  char at[300];
  int n = d->socket[0] ? 1 : d->nnodes;
  for (int k = 0; k < n; k++) {
    int i = (d->cur + k) % n;
    MYSQL *m = connect_node(d, i, &err);
    if (!m) {
      if (n > 1 && (!d->last_report || db_now_mono() - d->last_report >= 5))
        log_msg(LOG_WARN, "db: node unreachable; trying the next", "where",
                db_where(d, i, at, sizeof at), "err", err.text, NULL);
      continue;
    }
    if (d->last_report || i != d->cur)
      log_msg(LOG_INFO, "db: connected", "where", db_where(d, i, at, sizeof at),
              NULL);
    d->last_report = 0;
    d->cur = i;
    d->m = m;
    d->last_ok = db_now_mono();
    return 0;
  }
  /* One line per few seconds: every request retries while it is down. */
  time_t t = db_now_mono();
  if (!d->last_report || t - d->last_report >= 5) {
    char num[16];
    snprintf(num, sizeof num, "%u", err.no);
    log_msg(LOG_ERROR,
            n > 1 ? "db: cannot connect to any node" : "db: cannot connect",
            "errno", num, "err", err.text, "where",
            db_where(d, d->cur, at, sizeof at), NULL);
    d->last_report = t;
  }
  return err.no == CR_OUT_OF_MEMORY ? RC_NOMEM : RC_DB;
}

/* next_node: leave a node that refused work (outside the primary
 * component): the next connection starts at the one after it. */
void db_next_node(struct db *d) {
  if (d->nnodes > 1) d->cur = (d->cur + 1) % d->nnodes;
}

/* ready: a live connection, reconnecting when there is none and pinging one
 * that sat idle. RC_DB when the server cannot be reached, or when the
 * connection died inside a transaction. */
int db_ready(struct db *d) {
  if (d->tx_lost) return RC_DB;
  if (d->m && db_now_mono() - d->last_ok >= DB_IDLE_PING) {
    if (mysql_ping(d->m) == 0) {
      d->last_ok = db_now_mono();
      return 0;
    }
    db_disconnect(d);
    if (d->tx_lost) return RC_DB;
  }
  return d->m ? 0 : connect_db(d);
}

static char *dup_or_empty(const char *s) {
  return strdup(s ? s : "");
}

static void free_nodes(struct db *d) {
  for (int i = 0; i < d->nnodes; i++)
    free(d->nodes[i].host);
  free(d->nodes);
  d->nodes = NULL;
  d->nnodes = 0;
}

int db_parse_nodes(const char *list, unsigned dflt_port,
                   void (*fn)(void *ctx, const char *host, unsigned port),
                   void *ctx) {
  int n = 0;
  const char *p = list;
  while (p && *p) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    char item[300];
    while (len && (*p == ' ' || *p == '\t'))
      p++, len--;
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
      len--;
    if (len >= sizeof item) return RC_INVALID;
    memcpy(item, p, len);
    item[len] = '\0';
    p = end ? end + 1 : NULL;
    if (!len) {
      if (p || n == 0) return RC_INVALID; /* "a,,b", "," or "" */
      break;                              /* a trailing comma */
    }
    char *host;
    unsigned port;
    if (str_hostport(item, dflt_port, &host, &port) || strchr(host, '/') ||
        ++n > DB_NODES_MAX)
      return RC_INVALID;
    if (fn) fn(ctx, host, port);
  }
  return n ? n : RC_INVALID;
}

/* add_node: db_parse_nodes's callback into d->nodes (sized beforehand). */
static void add_node(void *ctx, const char *host, unsigned port) {
  struct db *d = ctx;
  struct dbnode *nd = &d->nodes[d->nnodes];
  if (!(nd->host = strdup(host))) return; /* counted as missing below */
  nd->port = port;
  d->nnodes++;
}

int db_open(struct db **out, const struct cfg *c) {
  struct db *d = calloc(1, sizeof *d);
  *out = NULL;
  if (!d) return RC_NOMEM;
  unsigned port = c->db_port > 0 ? (unsigned)c->db_port : 3306;
  const char *list = c->db_hosts && c->db_hosts[0] ? c->db_hosts : NULL;
  char one[300];
  if (!list) {
    const char *h = c->db_host && c->db_host[0] ? c->db_host : "127.0.0.1";
    snprintf(one, sizeof one, strchr(h, ':') ? "[%s]:%u" : "%s:%u", h, port);
    list = one;
  }
  int n = db_parse_nodes(list, port, NULL, NULL);
  if (n < 0) {
    log_msg(LOG_ERROR, "db: bad node list (host:port,host:port,...)",
            "db_hosts", list, NULL);
    free(d);
    return RC_INVALID;
  }
  d->socket = dup_or_empty(c->db_socket);
  d->user = dup_or_empty(c->db_user);
  d->password = dup_or_empty(c->db_password);
  d->name = dup_or_empty(c->db_name);
  d->nodes = calloc((size_t)n, sizeof *d->nodes);
  if (d->nodes) db_parse_nodes(list, port, add_node, d);
  if (!d->socket || !d->user || !d->password || !d->name || d->nnodes != n) {
    free(d->socket);
    free(d->user);
    free(d->password);
    free(d->name);
    free_nodes(d);
    free(d);
    return RC_NOMEM;
  }
  db_handles++;
  *out = d;
  /* An unreachable server is reported, but the handle stays usable: the
   * next call tries again. */
  return connect_db(d);
}

void db_close(struct db *d) {
  if (!d) return;
  d->in_tx = 0;
  db_disconnect(d);
  free(d->slots);
  free(d->buf);
  explicit_bzero(d->password, strlen(d->password));
  free(d->socket);
  free(d->user);
  free(d->password);
  free(d->name);
  free_nodes(d);
  free(d);
  if (--db_handles == 0) mysql_library_end();
}

int db_ping(struct db *d) {
  if (d->tx_lost) return RC_DB;
  if (d->m) {
    if (mysql_ping(d->m) == 0) {
      d->last_ok = db_now_mono();
      return 0;
    }
    db_disconnect(d);
    if (d->tx_lost) return RC_DB;
  }
  return connect_db(d) ? RC_DB : 0;
}
