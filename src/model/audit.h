/* audit: the append-only log of every admin and moderator action (who,
 * what, on what, why, when, from which address). Rows are only ever
 * inserted; the table's triggers refuse updates and deletes. */
#ifndef ENCORE_AUDIT_H
#define ENCORE_AUDIT_H

#include <json-c/json.h>

struct arena;
struct db;

/* One action. */
struct audit_entry {
  long long actor_id;     /* 0: the command line (encore-admin) */
  const char *actor_name; /* NULL: the username of actor_id */
  const char *action;     /* "user.suspend", "report.dismiss", ... */
  const char *object_type;
  long long object_id;
  const char *reason; /* NULL: none */
  const char *detail; /* JSON object text, NULL: {} */
  const char *ip;     /* NULL: none */
};

/* audit_add: append the entry. */
int audit_add(struct db *d, const struct audit_entry *e);

/* A page of the log, newest first. Empty strings and 0 mean "any". */
struct audit_query {
  long long actor_id;
  const char *action, *object_type;
  long long object_id;
  long long from_ms, to_ms; /* [from, to) */
  long long before_id;      /* cursor: the last id served, 0: first page */
  int limit;
};

/* audit_list: one page (*items a new array owned by the caller), *next the
 * id to continue before (0: the last page). */
int audit_list(struct db *d, struct arena *a, const struct audit_query *q,
               json_object **items, long long *next);

#endif
