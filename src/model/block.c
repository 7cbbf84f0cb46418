/* block: blocks and mutes; see block.h. */
#include "model/block.h"

#include <stdint.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"
#include "model/cap.h"
#include "model/follow.h"
#include "model/live_event.h"
#include "model/user.h"

/* The SQL of each kind: literal texts, the statement cache's keys. */
struct block_sql {
  const char *insert, *remove, *list;
  struct cap_of cap;
};

static const struct block_sql block_sql[] = {
    [BLOCK_BLOCK] =
        {
            .insert = "INSERT IGNORE INTO blocks (blocker_id, blocked_id) "
                      "VALUES (?, ?)",
            .remove = "DELETE FROM blocks WHERE blocker_id = ? AND "
                      "blocked_id = ?",
            .list =
                "SELECT b.id, FLOOR(UNIX_TIMESTAMP(b.created_at)), " USER_BRIEF(
                    "u") " FROM blocks b JOIN users u ON u.id = b.blocked_id "
                         "WHERE b.blocker_id = ? AND b.id < ? ORDER BY b.id "
                         "DESC "
                         "LIMIT ?",
            .cap = {.count_sql = CAP_COUNT("blocks WHERE blocker_id = ?"),
                    .cap = CAP_USER_BLOCKS},
        },
    [BLOCK_MUTE] =
        {
            .insert = "INSERT IGNORE INTO mutes (muter_id, muted_id) "
                      "VALUES (?, ?)",
            .remove = "DELETE FROM mutes WHERE muter_id = ? AND muted_id = ?",
            .list =
                "SELECT m.id, FLOOR(UNIX_TIMESTAMP(m.created_at)), " USER_BRIEF(
                    "u") " FROM mutes m JOIN users u ON u.id = m.muted_id "
                         "WHERE m.muter_id = ? AND m.id < ? ORDER BY m.id DESC "
                         "LIMIT ?",
            .cap = {.count_sql = CAP_COUNT("mutes WHERE muter_id = ?"),
                    .cap = CAP_USER_MUTES},
        },
};

/* put_once: one attempt of block_put, in its own transaction. */
static int put_once(struct db *d, struct arena *a, enum block_kind kind,
                    long long by, long long who, bool *created) {
  const struct block_sql *q = &block_sql[kind];
  struct db_val p[] = {DB_I(by), DB_I(who)};
  struct db_res res;
  int rc = db_begin(d);
  if (!rc) rc = cap_lock_user(d, a, by);
  if (!rc) rc = cap_add(d, a, q->insert, p, 2, &q->cap, by, &res);
  if (!rc) *created = res.affected == 1;
  /* A block ends the follows both ways, in the same transaction. */
  if (!rc && kind == BLOCK_BLOCK) rc = follow_sever(d, a, by, who);
  /* Live connections learn it too (encore-live). */
  if (!rc && kind == BLOCK_BLOCK && *created)
    rc = live_event_post(
        d,
        &(struct live_event){.kind = LIVE_BLOCKED, .user = by, .other = who});
  if (!rc) return db_commit(d);
  db_rollback(d);
  return rc;
}

int block_put(struct db *d, struct arena *a, enum block_kind kind, long long by,
              long long who, bool *created) {
  int rc, tries = 0;
  *created = false;
  do
    rc = put_once(d, a, kind, by, who, created);
  while (db_retry(rc, &tries));
  return rc;
}

int block_delete(struct db *d, enum block_kind kind, long long by,
                 long long who, bool *had) {
  struct db_val p[] = {DB_I(by), DB_I(who)};
  struct db_res res;
  int rc = db_exec(d, NULL, block_sql[kind].remove, p, 2, DB_IDEMPOTENT, &res);
  *had = !rc && res.affected > 0;
  return rc;
}

/* found: whether the statement finds a row (counted, not copied). */
static int found(struct db *d, const char *sql, struct db_val *p, int n,
                 bool *yes) {
  struct db_res res;
  int rc = db_exec(d, NULL, sql, p, n, DB_IDEMPOTENT, &res);
  *yes = !rc && res.nrows > 0;
  return rc;
}

int block_between(struct db *d, struct arena *a, long long x, long long y,
                  bool *blocked) {
  (void)a;
  struct db_val p[] = {DB_I(x), DB_I(y), DB_I(y), DB_I(x)};
  return found(d,
               "SELECT 1 FROM blocks WHERE (blocker_id = ? AND blocked_id = "
               "?) OR (blocker_id = ? AND blocked_id = ?) LIMIT 1",
               p, 4, blocked);
}

int block_hides(struct db *d, struct arena *a, long long owner,
                long long viewer, bool *hidden) {
  (void)a;
  struct db_val p[] = {DB_I(owner), DB_I(viewer)};
  *hidden = false;
  if (!viewer) return 0;
  return found(d,
               "SELECT 1 FROM blocks WHERE blocker_id = ? AND blocked_id = ?",
               p, 2, hidden);
}

int block_list(struct db *d, struct arena *a, enum block_kind kind,
               long long by, long long after, int limit, json_object **items,
               long long *next) {
  struct db_val p[] = {DB_I(by), DB_I(after ? after : INT64_MAX), DB_I(limit)};
  struct db_res res;
  *items = NULL;
  *next = 0;
  int rc = db_exec(d, a, block_sql[kind].list, p, 3, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  json_object *arr = jx_own(a, json_object_new_array());
  for (int i = 0; i < res.nrows; i++) {
    json_object *o = json_object_new_object();
    json_object_object_add(o, "user", user_brief_json(&res.rows[i], 2));
    jx_add_time(o, "created_at", db_i64(&res.rows[i], 1, 0));
    json_object_array_add(arr, o);
  }
  if (res.nrows == limit) *next = db_i64(&res.rows[res.nrows - 1], 0, 0);
  *items = arr;
  return 0;
}
