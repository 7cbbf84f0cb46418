/* audit: writing and reading the audit log; see audit.h. */
#include "model/audit.h"

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/timefmt.h"

int audit_add(struct db *d, const struct audit_entry *e) {
  struct db_val p[] = {
      e->actor_id ? DB_I(e->actor_id) : DB_NUL,
      DB_S(e->actor_name),
      DB_I(e->actor_id),
      DB_S(e->action),
      DB_S(e->object_type),
      e->object_id ? DB_I(e->object_id) : DB_NUL,
      DB_S(e->reason ? e->reason : ""),
      DB_S(e->detail ? e->detail : "{}"),
      DB_S(e->ip ? e->ip : ""),
  };
  return db_exec(d, NULL,
                 "INSERT INTO audit_log (actor_id, actor_name, action, "
                 "object_type, object_id, reason, detail, ip) "
                 "SELECT ?, COALESCE(?, (SELECT username FROM users "
                 "WHERE id = ?), ''), ?, ?, ?, ?, ?, ?",
                 p, 9, 0, NULL);
}

int audit_list(struct db *d, struct arena *a, const struct audit_query *q,
               json_object **items, long long *next) {
  char from[32] = "", to[32] = "";
  if (q->from_ms) timefmt_sql(from, sizeof from, q->from_ms);
  if (q->to_ms) timefmt_sql(to, sizeof to, q->to_ms);
  const char *action = q->action ? q->action : "",
             *type = q->object_type ? q->object_type : "";
  struct db_val p[] = {
      DB_I(q->before_id), DB_I(q->before_id), DB_I(q->actor_id),
      DB_I(q->actor_id),  DB_S(action),       DB_S(action),
      DB_S(type),         DB_S(type),         DB_I(q->object_id),
      DB_I(q->object_id), DB_S(from),         DB_S(from),
      DB_S(to),           DB_S(to),           DB_I(q->limit + 1),
  };
  struct db_res res;
  int rc = db_exec(
      d, a,
      "SELECT id, actor_id, actor_name, action, object_type, object_id, "
      "reason, detail, ip, CAST(UNIX_TIMESTAMP(created_at) AS SIGNED) "
      "FROM audit_log WHERE (? = 0 OR id < ?) AND (? = 0 OR actor_id = ?) "
      "AND (? = '' OR action = ?) AND (? = '' OR object_type = ?) "
      "AND (? = 0 OR object_id = ?) "
      "AND (? = '' OR created_at >= ?) AND (? = '' OR created_at < ?) "
      "ORDER BY id DESC LIMIT ?",
      p, 15, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  json_object *list = json_object_new_array();
  int shown = res.nrows > q->limit ? q->limit : res.nrows;
  for (int i = 0; i < shown; i++) {
    const struct db_row *row = &res.rows[i];
    json_object *o = json_object_new_object();
    jx_add_int(o, "id", db_i64(row, 0, 0));
    if (db_s(row, 1))
      jx_add_int(o, "actor_id", db_i64(row, 1, 0));
    else
      jx_add_str(o, "actor_id", NULL);
    jx_add_str(o, "actor", db_s(row, 2));
    jx_add_str(o, "action", db_s(row, 3));
    jx_add_str(o, "object_type", db_s(row, 4));
    if (db_s(row, 5))
      jx_add_int(o, "object_id", db_i64(row, 5, 0));
    else
      jx_add_str(o, "object_id", NULL);
    jx_add_str(o, "reason", db_s(row, 6));
    json_object *detail = json_tokener_parse(db_s(row, 7));
    json_object_object_add(o, "detail",
                           detail ? detail : json_object_new_object());
    jx_add_str(o, "ip", db_s(row, 8));
    jx_add_time(o, "created_at", db_i64(row, 9, 0));
    json_object_array_add(list, o);
  }
  *next = res.nrows > q->limit ? db_i64(&res.rows[shown - 1], 0, 0) : 0;
  *items = list;
  return 0;
}
