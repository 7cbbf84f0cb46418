/* db: MariaDB through Connector/C prepared statements.
 *
 * One connection per process. Prepared statements live in a small
 * open-addressing table keyed by the address of their SQL text (callers pass
 * string literals); the text is kept too, so a reused address with another
 * text is re-prepared instead of running the wrong statement.
 *
 * Connection loss (2006/2013 and kin): the connection and every statement
 * are dropped; the next call reconnects. A statement that failed before it
 * reached the server (connect or prepare) is retried once; one that may have
 * run is retried once only when marked DB_IDEMPOTENT and no transaction was
 * open (a transaction dies with its connection: db_commit then fails).
 * MYSQL_OPT_RECONNECT stays off: its silent reconnects would lose session
 * settings, prepared statements and transactions behind our back.
 *
 * Several nodes (db_hosts, a Galera cluster): a connection goes to the
 * first node of the list that answers, starting from the one in use, and
 * stays there; every process of a host thus writes through one node while
 * it lives, which keeps certification conflicts between its own workers
 * away. A node that is not part of the primary component answers every
 * statement with 1047 "WSREP has not yet prepared node for application
 * use": the statement did not run, so the connection moves on to the next
 * node and the statement is tried there, idempotent or not (outside a
 * transaction; inside one the transaction is lost, as on a connection
 * loss). Galera reports a certification failure as a deadlock (1213), at
 * a statement or at COMMIT: both answer RC_DEADLOCK, the transaction
 * rolled back, for db_retry. A lone statement (no transaction open) that
 * lost a deadlock was rolled back whole, and runs again here.
 *
 * The connection itself (opening it on the first node that answers, failing
 * over, reconnecting, closing): db_conn.c.
 *
 * Results: every column is bound as MYSQL_TYPE_STRING (the client library
 * converts numbers and times to text); buffers are sized from the column
 * maxima computed by mysql_stmt_store_result (STMT_ATTR_UPDATE_MAX_LENGTH),
 * and a value that still does not fit is read with mysql_stmt_fetch_column.
 * Rows are copied into the caller's arena; the fetch buffers belong to the
 * connection and are reused. */
#include "core/db.h"
#include "core/db_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include "core/arena.h"
#include "core/cfg.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/rc.h"
#include "core/rnd.h"

#define DB_CACHE_MIN 64   /* initial slots of the statement table */
#define DB_CACHE_MAX 1024 /* statements per connection before a flush */
#define DB_COL_MIN 64     /* smallest fetch buffer: fits any number or time */
#define DB_BIND_STACK 32  /* params/columns bound without malloc */

struct db_val db_str(const char *s) {
  if (!s) return DB_NUL;
  return (struct db_val){.t = DB_STR, .p = s, .len = strlen(s)};
}

/* lost: errors after which the connection is unusable. */
static int lost(unsigned err) {
  switch (err) {
  case CR_SERVER_GONE_ERROR:
  case CR_SERVER_LOST:
  case CR_SERVER_LOST_EXTENDED:
  case CR_CONNECTION_ERROR:
  case CR_CONN_HOST_ERROR:
  case CR_COMMANDS_OUT_OF_SYNC:
  case ER_CONNECTION_KILLED:
  case ER_SERVER_SHUTDOWN:
    return 1;
  default:
    return 0;
  }
}

/* refused: a Galera node outside the primary component (1047 "WSREP has
 * not yet prepared node for application use", or a node not ready for
 * writes): the statement did not run; another node may take it. */
static bool refused(unsigned no, const char *text) {
  if (!text) return false;
  /* 1180: a COMMIT on a node that left the primary component meanwhile. */
  return (no == ER_UNKNOWN_COM_ERROR && strstr(text, "WSREP")) ||
         (no == ER_ERROR_DURING_COMMIT && strstr(text, "Primary"));
}

static int map_err(unsigned err) {
  switch (err) {
  case ER_DUP_ENTRY:
  case ER_DUP_ENTRY_WITH_KEY_NAME:
  case ER_ROW_IS_REFERENCED_2: /* a concurrent write still refers to it */
  case ER_NO_REFERENCED_ROW_2: /* what it refers to was deleted meanwhile */
    return RC_CONFLICT;
  case ER_LOCK_DEADLOCK: /* InnoDB rolled the whole transaction back */
    return RC_DEADLOCK;
  default:
    return RC_DB;
  }
}

static void log_sql_error(const char *msg, const char *sql, unsigned err,
                          const char *text) {
  char num[16];
  snprintf(num, sizeof num, "%u", err);
  log_msg(LOG_ERROR, msg, "sql", sql, "errno", num, "err", text, NULL);
}

static void stmt_err(struct dberr *e, MYSQL_STMT *st) {
  e->no = mysql_stmt_errno(st);
  snprintf(e->text, sizeof e->text, "%s", mysql_stmt_error(st));
}

/* --- statement cache ------------------------------------------------------ */

static size_t slot_of(const struct db *d, const char *key) {
  uint64_t h = (uint64_t)(uintptr_t)key * UINT64_C(0x9E3779B97F4A7C15);
  return (size_t)(h >> 32) & (d->cap - 1);
}

static struct slot *cache_find(struct db *d, const char *key) {
  if (!d->cap) return NULL;
  for (size_t i = slot_of(d, key);; i = (i + 1) & (d->cap - 1)) {
    if (d->slots[i].key == key) return &d->slots[i];
    if (!d->slots[i].key) return NULL;
  }
}

/* db_cache_drop: close every statement (on reconnect, or when full). */
void db_cache_drop(struct db *d) {
  for (size_t i = 0; i < d->cap; i++) {
    if (!d->slots[i].key) continue;
    if (d->slots[i].st) mysql_stmt_close(d->slots[i].st);
    free(d->slots[i].text);
    d->slots[i] = (struct slot){0};
  }
  d->count = 0;
}

/* cache_grow: double the table (or create it). 0 or RC_NOMEM. */
static int cache_grow(struct db *d) {
  size_t ncap = d->cap ? d->cap * 2 : DB_CACHE_MIN;
  struct slot *ns = calloc(ncap, sizeof *ns), *old = d->slots;
  size_t ocap = d->cap;
  if (!ns) return RC_NOMEM;
  d->slots = ns;
  d->cap = ncap;
  for (size_t i = 0; i < ocap; i++) {
    if (!old[i].key) continue;
    size_t j = slot_of(d, old[i].key);
    while (ns[j].key)
      j = (j + 1) & (ncap - 1);
    ns[j] = old[i];
  }
  free(old);
  return 0;
}

/* cache_insert: a new entry for key (absent from the table). */
static struct slot *cache_insert(struct db *d, const char *key) {
  if (d->count >= DB_CACHE_MAX) db_cache_drop(d);
  if ((d->count + 1) * 2 > d->cap && cache_grow(d)) return NULL;
  size_t i = slot_of(d, key);
  while (d->slots[i].key)
    i = (i + 1) & (d->cap - 1);
  d->slots[i].key = key;
  d->count++;
  return &d->slots[i];
}

/* --- statements ----------------------------------------------------------- */

/* prepare: the cached statement for sql, preparing it when needed. On a
 * server error returns RC_DB with the error in *err. */
static int prepare(struct db *d, const char *sql, MYSQL_STMT **out,
                   struct dberr *err) {
  struct slot *s = cache_find(d, sql);
  if (s && s->st && strcmp(s->text, sql) == 0) {
    *out = s->st;
    return 0;
  }
  if (!s && !(s = cache_insert(d, sql))) return RC_NOMEM;
  if (s->st) mysql_stmt_close(s->st);
  s->st = NULL;
  free(s->text);
  if (!(s->text = strdup(sql))) return RC_NOMEM;

  MYSQL_STMT *st = mysql_stmt_init(d->m);
  if (!st) return RC_NOMEM;
  if (mysql_stmt_prepare(st, sql, strlen(sql))) {
    stmt_err(err, st);
    mysql_stmt_close(st);
    return RC_DB;
  }
  my_bool on = 1;
  mysql_stmt_attr_set(st, STMT_ATTR_UPDATE_MAX_LENGTH, &on);
  s->st = st;
  *out = st;
  return 0;
}

/* drop_statement: drop the cached statement of sql (e.g. after
 * ER_NEED_REPREPARE). */
static void drop_statement(struct db *d, const char *sql) {
  struct slot *s = cache_find(d, sql);
  if (s && s->st) {
    mysql_stmt_close(s->st);
    s->st = NULL;
  }
}

static int bind_params(MYSQL_STMT *st, const char *sql,
                       const struct db_val *params, int n, MYSQL_BIND *b) {
  if (n < 0 || mysql_stmt_param_count(st) != (unsigned long)n) {
    char num[48];
    snprintf(num, sizeof num, "%d given, %lu expected", n,
             mysql_stmt_param_count(st));
    log_msg(LOG_ERROR, "db: wrong number of parameters", "sql", sql, "err", num,
            NULL);
    return RC_INTERNAL;
  }
  if (n == 0) return 0;
  memset(b, 0, sizeof *b * (size_t)n);
  for (int i = 0; i < n; i++) {
    const struct db_val *v = &params[i];
    switch (v->t) {
    case DB_INT:
      b[i].buffer_type = MYSQL_TYPE_LONGLONG;
      b[i].buffer = (void *)(uintptr_t)&v->i;
      break;
    case DB_STR:
    case DB_BLOB:
      b[i].buffer_type = v->t == DB_STR ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
      b[i].buffer = (void *)(uintptr_t)(v->p ? v->p : "");
      b[i].buffer_length = v->p ? (unsigned long)v->len : 0;
      break;
    case DB_NULL:
    default:
      b[i].buffer_type = MYSQL_TYPE_NULL;
      break;
    }
  }
  if (mysql_stmt_bind_param(st, b)) {
    log_sql_error("db: bind failed", sql, mysql_stmt_errno(st),
                  mysql_stmt_error(st));
    return RC_INTERNAL;
  }
  return 0;
}

/* Per-column fetch state. */
struct col {
  unsigned long len;
  my_bool null, trunc;
  int real;   /* 0, or 1 for DOUBLE and 2 for FLOAT: fetched as a double */
  double num; /* ... into here */
};

/* Servers mark a floating-point value without fixed decimals this way. */
#define DB_NOT_FIXED_DEC 31

/* format_real: a FLOAT or DOUBLE as text. Connector/C 3.3 overflows a stack
 * buffer when it converts a DOUBLE with fixed decimals and a huge integer
 * part to a string (ma_fcvt into 300 bytes), so such columns are fetched as
 * numbers and formatted here: fixed decimals with "%.*f", others as the
 * shortest text that reads back as the same value ("0.1", "1e300"). */
static char *format_real(struct arena *a, const struct col *c,
                         unsigned decimals, size_t *len) {
  char tmp[48];
  if (decimals < DB_NOT_FIXED_DEC) {
    int n = snprintf(NULL, 0, "%.*f", (int)decimals, c->num);
    char *s = n >= 0 ? arena_alloc(a, (size_t)n + 1) : NULL;
    if (!s) return NULL;
    snprintf(s, (size_t)n + 1, "%.*f", (int)decimals, c->num);
    *len = (size_t)n;
    return s;
  }
  bool is_float = c->real == 2;
  for (int p = is_float ? 6 : 15; p <= (is_float ? 9 : 17); p++) {
    snprintf(tmp, sizeof tmp, "%.*g", p, c->num);
    if (is_float ? strtof(tmp, NULL) == (float)c->num
                 : strtod(tmp, NULL) == c->num)
      break;
  }
  /* The server's exponent style: "1e300", "1.5e-7", not "1e+300". */
  char *e = strchr(tmp, 'e');
  if (e) {
    char *q = e + 1, *w = e + 1;
    if (*q == '+')
      q++;
    else if (*q == '-')
      *w++ = *q++;
    while (*q == '0' && q[1])
      q++;
    memmove(w, q, strlen(q) + 1);
  }
  *len = strlen(tmp);
  return arena_strndup(a, tmp, *len);
}

/* fetch_rows: copy the stored result of st into the arena. */
static int fetch_rows(struct db *d, MYSQL_STMT *st, struct arena *a,
                      struct db_res *res, struct dberr *err) {
  int rc = 0, ncols = (int)mysql_stmt_field_count(st);
  MYSQL_BIND sb[DB_BIND_STACK], *b = sb;
  struct col sc[DB_BIND_STACK], *c = sc;
  MYSQL_RES *meta = NULL;

  if (mysql_stmt_store_result(st)) {
    stmt_err(err, st);
    return RC_DB;
  }
  my_ulonglong n = mysql_stmt_num_rows(st);
  res->ncols = ncols;
  res->nrows = n > INT_MAX ? INT_MAX : (int)n;
  /* Without an arena the caller only wants the count. */
  if (!a || n == 0) goto out;
  if (!(meta = mysql_stmt_result_metadata(st))) {
    stmt_err(err, st);
    rc = RC_DB;
    goto out;
  }
  if (ncols > DB_BIND_STACK) {
    b = calloc((size_t)ncols, sizeof *b);
    c = calloc((size_t)ncols, sizeof *c);
    if (!b || !c) {
      rc = RC_NOMEM;
      goto out;
    }
  }
  MYSQL_FIELD *f = mysql_fetch_fields(meta);
  size_t total = 0;
  for (int i = 0; i < ncols; i++)
    total += (f[i].max_length > DB_COL_MIN ? f[i].max_length : DB_COL_MIN) + 1;
  if (total > d->bufcap) {
    char *nb = realloc(d->buf, total);
    if (!nb) {
      rc = RC_NOMEM;
      goto out;
    }
    d->buf = nb;
    d->bufcap = total;
  }
  memset(b, 0, sizeof *b * (size_t)ncols);
  size_t off = 0;
  for (int i = 0; i < ncols; i++) {
    size_t sz =
        (f[i].max_length > DB_COL_MIN ? f[i].max_length : DB_COL_MIN) + 1;
    c[i].real = f[i].type == MYSQL_TYPE_DOUBLE  ? 1
                : f[i].type == MYSQL_TYPE_FLOAT ? 2
                                                : 0;
    if (c[i].real) {
      b[i].buffer_type = MYSQL_TYPE_DOUBLE;
      b[i].buffer = &c[i].num;
      b[i].buffer_length = sizeof c[i].num;
    } else {
      b[i].buffer_type = MYSQL_TYPE_STRING;
      b[i].buffer = d->buf + off;
      b[i].buffer_length = (unsigned long)sz;
    }
    b[i].length = &c[i].len;
    b[i].is_null = &c[i].null;
    b[i].error = &c[i].trunc;
    off += sz;
  }
  if (mysql_stmt_bind_result(st, b)) {
    stmt_err(err, st);
    rc = RC_DB;
    goto out;
  }
  res->rows = arena_alloc(a, sizeof *res->rows * (size_t)res->nrows);
  if (!res->rows) {
    rc = RC_NOMEM;
    goto out;
  }
  for (int r = 0; r < res->nrows; r++) {
    int fr = mysql_stmt_fetch(st);
    if (fr == 1 || fr == MYSQL_NO_DATA) {
      stmt_err(err, st);
      rc = RC_DB;
      goto out;
    }
    struct db_row *row = &res->rows[r];
    row->v = arena_alloc(a, sizeof *row->v * (size_t)ncols);
    row->len = arena_alloc(a, sizeof *row->len * (size_t)ncols);
    if (!row->v || !row->len) {
      rc = RC_NOMEM;
      goto out;
    }
    for (int i = 0; i < ncols; i++) {
      if (c[i].null) continue; /* v[i] stays NULL */
      if (c[i].real) {
        if (!(row->v[i] = format_real(a, &c[i], f[i].decimals, &row->len[i]))) {
          rc = RC_NOMEM;
          goto out;
        }
        continue;
      }
      char *v = arena_alloc(a, (size_t)c[i].len + 1);
      if (!v) {
        rc = RC_NOMEM;
        goto out;
      }
      if (c[i].trunc) {
        /* Longer than the computed maximum: read it whole. */
        MYSQL_BIND one = {0};
        unsigned long got = 0;
        one.buffer_type = MYSQL_TYPE_STRING;
        one.buffer = v;
        one.buffer_length = c[i].len + 1;
        one.length = &got;
        if (mysql_stmt_fetch_column(st, &one, (unsigned)i, 0)) {
          stmt_err(err, st);
          rc = RC_DB;
          goto out;
        }
      } else if (c[i].len) {
        memcpy(v, b[i].buffer, c[i].len);
      }
      v[c[i].len] = '\0';
      row->v[i] = v;
      row->len[i] = c[i].len;
    }
  }
out:
  if (rc) {
    res->rows = NULL;
    res->nrows = 0;
  }
  if (meta) mysql_free_result(meta);
  if (b != sb) free(b);
  if (c != sc) free(c);
  mysql_stmt_free_result(st);
  return rc;
}

/* run: one attempt. *sent tells whether the statement may have reached the
 * server; err->no is 0 when no connection could be had (already logged). */
static int run(struct db *d, struct arena *a, const char *sql,
               const struct db_val *params, int n, struct db_res *res,
               struct dberr *err, int *sent) {
  MYSQL_STMT *st;
  MYSQL_BIND sb[DB_BIND_STACK], *b = sb;
  int rc;
  err->no = 0;
  err->text[0] = '\0';
  *sent = 0;
  if ((rc = db_ready(d))) {
    metrics_dep(METRICS_DB, true, 0);
    return rc;
  }
  if ((rc = prepare(d, sql, &st, err))) return rc;
  if (n > DB_BIND_STACK && !(b = calloc((size_t)n, sizeof *b))) return RC_NOMEM;
  rc = bind_params(st, sql, params, n, b);
  if (rc == 0) {
    *sent = 1;
    long long t0 = metrics_now_us();
    if (mysql_stmt_execute(st)) {
      stmt_err(err, st);
      rc = map_err(err->no);
    }
    metrics_dep(METRICS_DB, rc != 0, metrics_now_us() - t0);
  }
  if (b != sb) free(b);
  if (rc) return rc;

  struct db_res tmp, *r = res ? res : &tmp;
  memset(r, 0, sizeof *r);
  if (mysql_stmt_field_count(st) > 0) {
    /* A statement with a result (INSERT ... RETURNING) may fail there. */
    if ((rc = fetch_rows(d, st, res ? a : NULL, r, err)))
      return rc == RC_DB && err->no ? map_err(err->no) : rc;
  } else {
    r->affected = mysql_stmt_affected_rows(st);
    r->insert_id = mysql_stmt_insert_id(st);
  }
  d->last_ok = db_now_mono();
  return 0;
}

int db_exec(struct db *d, struct arena *a, const char *sql,
            const struct db_val *params, int nparams, unsigned flags,
            struct db_res *res) {
  if (res) memset(res, 0, sizeof *res);
  /* Each node may refuse once (outside the primary component) before the
   * statement fails; a lost connection is retried once. */
  int refusals = 0, losses = 0, deadlocks = 0;
  for (int attempt = 0;; attempt++) {
    struct dberr err;
    int sent, rc = run(d, a, sql, params, nparams, res, &err, &sent);
    if (rc == RC_DEADLOCK) {
      log_msg(LOG_WARN, "db: deadlock; the transaction was rolled back", "sql",
              sql, NULL);
      /* A lone statement was rolled back whole: it may run again. */
      if (!d->in_tx && db_retry(rc, &deadlocks)) continue;
    }
    if (rc != RC_DB || err.no == 0) return rc;
    if (err.no == ER_NEED_REPREPARE && attempt == 0) {
      drop_statement(d, sql); /* a table changed under the statement */
      continue;
    }
    if (refused(err.no, err.text)) {
      /* Not run: another node may take it, outside a transaction. */
      char at[300];
      log_msg(LOG_WARN, "db: node outside the primary component; moving on",
              "where", db_where(d, d->cur, at, sizeof at), NULL);
      db_disconnect(d);
      db_next_node(d);
      if (d->tx_lost) {
        /* The transaction ends with the connection, nothing committed: the
         * caller may run it again from the start, on the next node. */
        log_msg(LOG_WARN,
                "db: transaction lost to a node that left the "
                "cluster; rolled back",
                "sql", sql, NULL);
        return RC_DEADLOCK;
      }
      if (++refusals >= d->nnodes) {
        log_sql_error("db: no node takes the statement", sql, err.no, err.text);
        return RC_DB;
      }
      continue;
    }
    if (!lost(err.no)) {
      log_sql_error("db: statement failed", sql, err.no, err.text);
      return RC_DB;
    }
    db_disconnect(d);
    if (losses++ > 0 || d->tx_lost || (sent && !(flags & DB_IDEMPOTENT))) {
      log_sql_error("db: connection lost", sql, err.no, err.text);
      return RC_DB;
    }
    log_msg(LOG_WARN, "db: connection lost; reconnecting", "sql", sql, "err",
            err.text, NULL);
  }
}

/* leave_if_gone: after error e of an unprepared statement, drop a lost
 * connection, and leave a node that refused work for the next. */
static void leave_if_gone(struct db *d, unsigned e, const char *text) {
  if (refused(e, text)) {
    db_disconnect(d);
    db_next_node(d);
  } else if (lost(e)) {
    db_disconnect(d);
  }
}

int db_script(struct db *d, const char *text, char *err, size_t errlen) {
  int rc = 0, nstmt = 1;
  if (db_ready(d)) {
    snprintf(err, errlen, "cannot connect to the database");
    return RC_DB;
  }
  MYSQL *m = d->m;
  if (mysql_set_server_option(m, MYSQL_OPTION_MULTI_STATEMENTS_ON)) {
    snprintf(err, errlen, "cannot enable multiple statements: %s",
             mysql_error(m));
    if (lost(mysql_errno(m))) db_disconnect(d);
    return RC_DB;
  }
  if (mysql_real_query(m, text, strlen(text))) {
    rc = RC_DB;
  } else {
    for (;;) {
      MYSQL_RES *r = mysql_store_result(m);
      if (r) {
        mysql_free_result(r);
      } else if (mysql_field_count(m)) {
        rc = RC_DB;
        break;
      }
      int s = mysql_next_result(m);
      if (s == -1) break;
      if (s > 0) {
        nstmt++;
        rc = RC_DB;
        break;
      }
      nstmt++;
    }
  }
  if (rc) {
    unsigned e = mysql_errno(m);
    snprintf(err, errlen, "statement %d: ERROR %u (%s): %s", nstmt, e,
             mysql_sqlstate(m), mysql_error(m));
    if (lost(e) || refused(e, mysql_error(m))) {
      leave_if_gone(d, e, mysql_error(m));
      return rc;
    }
  }
  if (mysql_set_server_option(m, MYSQL_OPTION_MULTI_STATEMENTS_OFF)) {
    if (!rc)
      snprintf(err, errlen, "cannot disable multiple statements: %s",
               mysql_error(m));
    db_disconnect(d); /* never leave a connection in multi-statement mode */
    return RC_DB;
  }
  if (!rc) d->last_ok = db_now_mono();
  return rc;
}

int db_local_infile(struct db *d) {
  if (d->in_tx) return RC_INTERNAL;
  d->local_infile = 1;
  db_disconnect(d);
  return db_ready(d);
}

/* info_count: the number after `key` in mysql_info's text ("Records: 3
 * Duplicates: 1 Warnings: 0"), or `dflt` when absent. */
static unsigned long long info_count(const char *info, const char *key,
                                     unsigned long long dflt) {
  const char *p = info ? strstr(info, key) : NULL;
  return p ? strtoull(p + strlen(key), NULL, 10) : dflt;
}

int db_query(struct db *d, const char *sql, size_t len, struct db_qres *res) {
  if (db_ready(d)) return RC_DB;
  if (res) *res = (struct db_qres){0};
  if (mysql_real_query(d->m, sql, len)) {
    unsigned e = mysql_errno(d->m);
    char head[161];
    snprintf(head, sizeof head, "%.*s", (int)(len < 160 ? len : 160), sql);
    log_sql_error("db: query failed", head, e, mysql_error(d->m));
    leave_if_gone(d, e, mysql_error(d->m));
    return map_err(e);
  }
  MYSQL_RES *r = mysql_store_result(d->m);
  if (r) mysql_free_result(r);
  if (res) {
    const char *info = mysql_info(d->m);
    my_ulonglong n = mysql_affected_rows(d->m);
    res->affected = n == (my_ulonglong)-1 ? 0 : n;
    res->records = info_count(info, "Records: ", res->affected);
    res->duplicates = info_count(info, "Duplicates: ", 0);
    res->warnings = mysql_warning_count(d->m);
  }
  d->last_ok = db_now_mono();
  return 0;
}

int db_stream(struct db *d, const char *sql, size_t len, db_row_fn cb,
              void *ctx) {
  MYSQL_RES *r = NULL;
  size_t *lens = NULL;
  MYSQL_ROW v;
  int ncols, rc = 0;
  if (db_ready(d)) return RC_DB;
  if (mysql_real_query(d->m, sql, len)) goto fail;
  if (!(r = mysql_use_result(d->m))) {
    if (mysql_field_count(d->m)) goto fail;
    d->last_ok = db_now_mono();
    return 0; /* a statement without a result */
  }
  ncols = (int)mysql_num_fields(r);
  if (!(lens = calloc((size_t)ncols + 1, sizeof *lens))) {
    mysql_free_result(r); /* reads and drops what is left */
    return RC_NOMEM;
  }
  while (!rc && (v = mysql_fetch_row(r))) {
    unsigned long *l = mysql_fetch_lengths(r);
    for (int i = 0; i < ncols; i++)
      lens[i] = l[i];
    struct db_row row = {.v = v, .len = lens};
    rc = cb(ctx, &row, ncols);
  }
  free(lens);
  /* A NULL row ends the result or reports a broken transfer. */
  if (!rc && mysql_errno(d->m)) goto fail;
  mysql_free_result(r);
  d->last_ok = db_now_mono();
  return rc;
fail:;
  unsigned e = mysql_errno(d->m);
  char head[161];
  snprintf(head, sizeof head, "%.*s", (int)(len < 160 ? len : 160), sql);
  log_sql_error("db: query failed", head, e, mysql_error(d->m));
  if (r) mysql_free_result(r);
  leave_if_gone(d, e, mysql_error(d->m));
  return map_err(e);
}

/* --- transactions --------------------------------------------------------- */

bool db_retry(int rc, int *tries) {
  if (rc != RC_DEADLOCK || ++*tries >= DB_DEADLOCK_TRIES) return false;
  /* A few random milliseconds, growing, so the two sides part (rand()
   * would draw the same in every forked worker). */
  unsigned char r;
  rnd_bytes(&r, 1);
  struct timespec ts = {0, (1 + r % (4 * *tries)) * 1000000L};
  nanosleep(&ts, NULL);
  return true;
}

int db_begin(struct db *d) {
  if (d->in_tx) {
    log_msg(LOG_ERROR, "db: nested transaction", NULL);
    return RC_INTERNAL;
  }
  /* Nothing is lost when BEGIN itself fails, so it may be retried. */
  for (int attempt = 0; attempt < 1 + d->nnodes; attempt++) {
    if (db_ready(d)) return RC_DB;
    if (mysql_real_query(d->m, "START TRANSACTION", 17) == 0) {
      d->in_tx = 1;
      d->tx_lost = 0;
      d->last_ok = db_now_mono();
      return 0;
    }
    unsigned e = mysql_errno(d->m);
    if (refused(e, mysql_error(d->m))) {
      db_disconnect(d);
      db_next_node(d);
      continue;
    }
    if (!lost(e)) {
      log_sql_error("db: begin failed", "START TRANSACTION", e,
                    mysql_error(d->m));
      return RC_DB;
    }
    db_disconnect(d);
  }
  return RC_DB;
}

/* end_tx: COMMIT or ROLLBACK of the open transaction. */
static int end_tx(struct db *d, int commit) {
  int was_lost = d->tx_lost;
  d->in_tx = 0;
  d->tx_lost = 0;
  if (was_lost || !d->m) {
    if (commit) log_msg(LOG_ERROR, "db: commit after connection loss", NULL);
    return commit ? RC_DB : 0;
  }
  if (commit ? mysql_commit(d->m) : mysql_rollback(d->m)) {
    unsigned e = mysql_errno(d->m);
    if (!commit && lost(e)) {
      db_disconnect(d); /* the server rolled back when the connection died */
      return 0;
    }
    if (commit && e == ER_LOCK_DEADLOCK) {
      /* Galera's certification failed: rolled back, to be run again. */
      log_msg(LOG_WARN, "db: commit lost a certification conflict; rolled back",
              NULL);
      return RC_DEADLOCK;
    }
    if (refused(e, mysql_error(d->m))) {
      log_msg(LOG_WARN,
              "db: commit refused (node outside the primary "
              "component); rolled back",
              NULL);
      db_disconnect(d);
      db_next_node(d);
      return RC_DEADLOCK; /* nothing committed: run it again elsewhere */
    }
    log_sql_error(commit ? "db: commit failed" : "db: rollback failed",
                  commit ? "COMMIT" : "ROLLBACK", e, mysql_error(d->m));
    if (lost(e)) db_disconnect(d);
    return RC_DB;
  }
  d->last_ok = db_now_mono();
  return 0;
}

int db_commit(struct db *d) {
  return end_tx(d, 1);
}

int db_rollback(struct db *d) {
  return end_tx(d, 0);
}

/* --- rows ----------------------------------------------------------------- */

long long db_i64(const struct db_row *r, int col, long long dflt) {
  const char *s = r->v[col];
  if (!s || !*s) return dflt;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s) return dflt;
  /* A DECIMAL result ("3.000") counts by its integer part. */
  return *end == '\0' || *end == '.' ? v : dflt;
}

const char *db_s(const struct db_row *r, int col) {
  return r->v[col];
}
