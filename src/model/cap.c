/* cap: collection caps counted under a lock; see cap.h. */
#include "model/cap.h"

#include "core/db.h"
#include "core/rc.h"

int cap_lock_user(struct db *d, struct arena *a, long long user) {
  struct db_val v = DB_I(user);
  struct db_res res;
  int rc = db_exec(d, a, "SELECT id FROM users WHERE id = ? FOR UPDATE", &v, 1,
                   0, &res);
  if (rc) return rc;
  return res.nrows ? 0 : RC_NOT_FOUND;
}

int cap_add(struct db *d, struct arena *a, const char *insert_sql,
            const struct db_val *params, int n, const struct cap_of *c,
            long long owner, struct db_res *res) {
  int rc = db_exec(d, a, insert_sql, params, n, 0, res);
  if (rc || res->affected != 1) return rc;
  struct db_val v = DB_I(owner);
  struct db_res count;
  rc = db_exec(d, a, c->count_sql, &v, 1, 0, &count);
  if (rc) return rc;
  return count.nrows && db_i64(&count.rows[0], 0, 0) > c->cap ? RC_LIMIT : 0;
}
