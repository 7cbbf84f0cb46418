/* moderation: the report queue, holds and resolutions; see moderation.h. */
#include "model/moderation.h"

#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/str.h"
#include "core/timefmt.h"

int moderation_set(struct db *d, const char *type, long long id,
                   const char *state) {
  struct db_val p[] = {DB_S(state), DB_I(id)};
  struct db_res res;
  int rc;
  if (!strcmp(type, "comment"))
    rc = db_exec(d, NULL, "UPDATE comments SET moderation = ? WHERE id = ?", p,
                 2, DB_IDEMPOTENT, &res);
  else if (!strcmp(type, "playlist"))
    rc = db_exec(d, NULL, "UPDATE playlists SET moderation = ? WHERE id = ?", p,
                 2, DB_IDEMPOTENT, &res);
  else
    return RC_NOT_FOUND;
  if (rc) return rc;
  /* An unchanged row is still there: affected counts changes only. */
  if (res.affected == 0) {
    long long author;
    struct arena *a = arena_new(256);
    if (!a) return RC_NOMEM;
    rc = moderation_author(d, a, type, id, &author);
    arena_free(a);
  }
  return rc;
}

int moderation_reported(struct db *d, struct arena *a, const char *type,
                        long long id, int threshold) {
  struct db_res res;
  struct db_val p[] = {DB_S(type), DB_I(id)};
  int rc = db_exec(d, a,
                   "SELECT COUNT(DISTINCT reporter_id) FROM reports WHERE "
                   "status = 'open' AND object_type = ? AND object_id = ?",
                   p, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (!res.nrows || db_i64(&res.rows[0], 0, 0) < threshold) return 0;
  struct db_val h[] = {DB_I(id)};
  /* Only a visible object is held: a hidden one stays hidden. */
  if (!strcmp(type, "comment"))
    return db_exec(d, NULL,
                   "UPDATE comments SET moderation = 'held' WHERE id = ? AND "
                   "moderation = 'visible'",
                   h, 1, DB_IDEMPOTENT, NULL);
  if (!strcmp(type, "playlist"))
    return db_exec(d, NULL,
                   "UPDATE playlists SET moderation = 'held' WHERE id = ? AND "
                   "moderation = 'visible'",
                   h, 1, DB_IDEMPOTENT, NULL);
  return 0;
}

int moderation_author(struct db *d, struct arena *a, const char *type,
                      long long id, long long *author) {
  struct db_res res;
  struct db_val p[] = {DB_I(id)};
  int rc;
  if (!strcmp(type, "comment"))
    rc = db_exec(d, a, "SELECT author_id FROM comments WHERE id = ?", p, 1,
                 DB_IDEMPOTENT, &res);
  else if (!strcmp(type, "playlist"))
    rc = db_exec(d, a, "SELECT owner_id FROM playlists WHERE id = ?", p, 1,
                 DB_IDEMPOTENT, &res);
  else if (!strcmp(type, "user"))
    rc = db_exec(d, a, "SELECT id FROM users WHERE id = ?", p, 1, DB_IDEMPOTENT,
                 &res);
  else
    return RC_NOT_FOUND;
  if (rc) return rc;
  if (!res.nrows) return RC_NOT_FOUND;
  *author = db_i64(&res.rows[0], 0, 0);
  return 0;
}

int moderation_resolve(struct db *d, struct arena *a, const char *type,
                       long long id, const char *outcome, long long moderator,
                       long long **reporters, int *n) {
  struct db_res res;
  struct db_val p[] = {DB_S(type), DB_I(id)};
  *reporters = NULL;
  *n = 0;
  int rc = db_begin(d);
  if (!rc)
    rc = db_exec(d, a,
                 "SELECT reporter_id FROM reports WHERE status = 'open' AND "
                 "object_type = ? AND object_id = ? FOR UPDATE",
                 p, 2, 0, &res);
  if (!rc && res.nrows == 0) rc = RC_NOT_FOUND;
  if (!rc) {
    struct db_val u[] = {
        DB_S(strcmp(outcome, "dismissed") ? "actioned" : "dismissed"),
        DB_S(outcome), DB_I(moderator), DB_S(type), DB_I(id)};
    rc = db_exec(d, NULL,
                 "UPDATE reports SET status = ?, outcome = ?, resolved_by = ?, "
                 "resolved_at = UTC_TIMESTAMP(3) WHERE status = 'open' AND "
                 "object_type = ? AND object_id = ?",
                 u, 5, 0, NULL);
  }
  if (rc) {
    db_rollback(d);
    return rc;
  }
  if ((rc = db_commit(d))) return rc;
  long long *ids = arena_alloc(a, sizeof *ids * (size_t)res.nrows);
  if (!ids) return RC_NOMEM;
  for (int i = 0; i < res.nrows; i++)
    ids[i] = db_i64(&res.rows[i], 0, 0);
  *reporters = ids;
  *n = res.nrows;
  return 0;
}

/* --- the queue ------------------------------------------------------------ */

/* preview: what the queue shows of the object (its author or owner, a
 * short text, its moderation state), added to o. A gone object shows
 * "gone": true. */
static int preview(struct db *d, struct arena *a, const char *type,
                   long long id, json_object *o) {
  struct db_res res;
  struct db_val p[] = {DB_I(id)};
  int rc;
  if (!strcmp(type, "comment"))
    rc = db_exec(d, a,
                 "SELECT u.username, LEFT(c.body, 200), c.moderation FROM "
                 "comments c JOIN users u ON u.id = c.author_id WHERE c.id = ?",
                 p, 1, DB_IDEMPOTENT, &res);
  else if (!strcmp(type, "playlist"))
    rc = db_exec(d, a,
                 "SELECT u.username, p.name, p.moderation FROM playlists p "
                 "JOIN users u ON u.id = p.owner_id WHERE p.id = ?",
                 p, 1, DB_IDEMPOTENT, &res);
  else if (!strcmp(type, "user"))
    rc = db_exec(d, a,
                 "SELECT username, display_name, IF(status = 'suspended', "
                 "'suspended', 'visible') FROM users WHERE id = ?",
                 p, 1, DB_IDEMPOTENT, &res);
  else
    return 0;
  if (rc) return rc;
  jx_add_bool(o, "gone", res.nrows == 0);
  if (!res.nrows) return 0;
  jx_add_str(o, "author", db_s(&res.rows[0], 0));
  jx_add_str(o, "excerpt", db_s(&res.rows[0], 1));
  jx_add_str(o, "moderation", db_s(&res.rows[0], 2));
  return 0;
}

/* parse_after: a queue cursor "<ms>:<type>:<id>". */
static int parse_after(struct arena *a, const char *text, const char **dt,
                       const char **type, long long *id) {
  const char *c1 = strchr(text, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  long long ms;
  if (!c2) return RC_INVALID;
  char *ms_text = arena_strndup(a, text, (size_t)(c1 - text));
  char *t = arena_strndup(a, c1 + 1, (size_t)(c2 - c1 - 1));
  char *buf = arena_alloc(a, 32);
  if (!ms_text || !t || !buf) return RC_NOMEM;
  if (str_parse_i64(ms_text, 0, 253402300799999LL, &ms) ||
      str_parse_i64(c2 + 1, 1, 9007199254740992LL, id))
    return RC_INVALID;
  if (strcmp(t, "comment") && strcmp(t, "playlist") && strcmp(t, "user") &&
      strcmp(t, "chat"))
    return RC_INVALID;
  timefmt_sql(buf, 32, ms);
  *dt = buf;
  *type = t;
  return 0;
}

int moderation_queue(struct db *d, struct arena *a, const char *after,
                     int limit, json_object **items, const char **next) {
  const char *dt = "", *type = "";
  long long id = 0;
  int rc;
  *items = NULL;
  *next = NULL;
  if (after && (rc = parse_after(a, after, &dt, &type, &id))) return rc;
  struct db_val p[] = {DB_I(id),   DB_S(dt), DB_S(dt),       DB_S(type),
                       DB_S(type), DB_I(id), DB_I(limit + 1)};
  struct db_res res;
  rc = db_exec(
      d, a,
      "SELECT CAST(r.object_type AS CHAR), r.object_id, COUNT(*), "
      "COUNT(DISTINCT r.reporter_id), "
      "CAST(UNIX_TIMESTAMP(MIN(r.created_at)) * 1000 AS SIGNED), "
      "GROUP_CONCAT(DISTINCT r.reason ORDER BY r.reason), "
      "CAST(UNIX_TIMESTAMP(MAX(r.created_at)) AS SIGNED) "
      "FROM reports r WHERE r.status = 'open' "
      "GROUP BY r.object_type, r.object_id "
      "HAVING ? = 0 OR MIN(r.created_at) > ? OR (MIN(r.created_at) = ? AND "
      "(CAST(r.object_type AS CHAR) > ? OR (CAST(r.object_type AS CHAR) = ? "
      "AND r.object_id > ?))) "
      "ORDER BY MIN(r.created_at), CAST(r.object_type AS CHAR), r.object_id "
      "LIMIT ?",
      p, 7, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  json_object *list = json_object_new_array();
  int shown = res.nrows > limit ? limit : res.nrows;
  for (int i = 0; i < shown && !rc; i++) {
    const struct db_row *row = &res.rows[i];
    json_object *o = json_object_new_object();
    json_object_array_add(list, o);
    jx_add_str(o, "object_type", db_s(row, 0));
    jx_add_int(o, "object_id", db_i64(row, 1, 0));
    jx_add_int(o, "reports", db_i64(row, 2, 0));
    jx_add_int(o, "reporters", db_i64(row, 3, 0));
    jx_add_time(o, "first_reported_at", db_i64(row, 4, 0) / 1000);
    jx_add_time(o, "last_reported_at", db_i64(row, 6, 0));
    json_object *reasons = json_object_new_array();
    const char *rs = db_s(row, 5);
    while (rs && *rs) {
      size_t n = strcspn(rs, ",");
      json_object_array_add(reasons, json_object_new_string_len(rs, (int)n));
      rs += n + (rs[n] == ',');
    }
    json_object_object_add(o, "reasons", reasons);
    rc = preview(d, a, db_s(row, 0), db_i64(row, 1, 0), o);
  }
  if (rc) {
    json_object_put(list);
    return rc;
  }
  if (res.nrows > limit) {
    const struct db_row *last = &res.rows[shown - 1];
    *next = arena_printf(a, "%lld:%s:%lld", db_i64(last, 4, 0), db_s(last, 0),
                         db_i64(last, 1, 0));
  }
  *items = list;
  return 0;
}
