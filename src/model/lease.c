/* lease: named locks as rows of `leases` (sql/migrations/0025_cluster.sql).
 *
 * Taking is one conditional UPDATE, outside any transaction: on one server
 * the row lock orders two takers; on Galera two nodes may both run it, and
 * certification lets the first commit win while the other's statement fails
 * with a deadlock that db_exec runs again, to find the lease held. Expiry
 * is judged by the clock of the node that runs the statement: leases last
 * minutes, so a skew of seconds between nodes moves an expiry by as much
 * and no more. */
#include "model/lease.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/rc.h"
#include "core/bytes.h"
#include "core/rnd.h"

void lease_holder(char *buf) {
  char host[64] = "";
  unsigned char r[4];
  char hex[9];
  if (gethostname(host, sizeof host - 1) != 0) strcpy(host, "?");
  rnd_bytes(r, sizeof r);
  bytes_hex(r, sizeof r, hex);
  snprintf(buf, LEASE_HOLDER_MAX, "%.80s:%ld:%s", host, (long)getpid(), hex);
}

int lease_take(struct db *d, struct arena *a, const char *name,
               const char *holder, int seconds, const char **other) {
  struct db_res res;
  if (other) *other = NULL;
  struct db_val p[] = {DB_S(name)};
  int rc = db_exec(d, a, "INSERT IGNORE INTO leases (name) VALUES (?)", p, 1,
                   DB_IDEMPOTENT, NULL);
  if (rc) return rc;
  struct db_val q[] = {DB_S(holder), DB_I(seconds), DB_S(name)};
  rc = db_exec(d, a,
               "UPDATE leases SET holder = ?, lease_until = NOW(3) + INTERVAL "
               "? SECOND WHERE name = ? AND (holder IS NULL OR lease_until "
               "< NOW(3))",
               q, 3, 0, &res);
  if (rc) return rc;
  if (res.affected == 1) return 0;
  if (other &&
      !db_exec(d, a, "SELECT holder FROM leases WHERE name = ?", p, 1,
               DB_IDEMPOTENT, &res) &&
      res.nrows == 1)
    *other = db_s(&res.rows[0], 0);
  return RC_CONFLICT;
}

int lease_renew(struct db *d, struct arena *a, const char *name,
                const char *holder, int seconds) {
  struct db_res res;
  struct db_val p[] = {DB_I(seconds), DB_S(name), DB_S(holder)};
  int rc = db_exec(d, a,
                   "UPDATE leases SET lease_until = NOW(3) + INTERVAL ? "
                   "SECOND WHERE name = ? AND holder = ?",
                   p, 3, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  /* affected is 0 also when the expiry did not move (same millisecond). */
  if (res.affected == 1) return 0;
  struct db_val q[] = {DB_S(name), DB_S(holder)};
  rc = db_exec(d, a, "SELECT 1 FROM leases WHERE name = ? AND holder = ?", q, 2,
               DB_IDEMPOTENT, &res);
  return rc ? rc : res.nrows == 1 ? 0 : RC_CONFLICT;
}

int lease_give(struct db *d, struct arena *a, const char *name,
               const char *holder) {
  struct db_val p[] = {DB_S(name), DB_S(holder)};
  return db_exec(d, a,
                 "UPDATE leases SET holder = NULL, lease_until = NULL WHERE "
                 "name = ? AND holder = ?",
                 p, 2, DB_IDEMPOTENT, NULL);
}
