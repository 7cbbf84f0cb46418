/* live_event: the live_events table; see live_event.h. */
#include "model/live_event.h"

#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/rc.h"

/* The ENUM's names, in the order of enum live_event_kind. */
static const char *const kind_names[] = {
    [LIVE_PARTY_ENDED] = "party_ended",
    [LIVE_MEMBER_REMOVED] = "member_removed",
    [LIVE_BLOCKED] = "blocked",
    [LIVE_SESSION_REVOKED] = "session_revoked",
    [LIVE_SESSIONS_REVOKED] = "sessions_revoked",
};

/* opt: an id, or SQL NULL for none. */
static struct db_val opt(long long id) {
  return id ? DB_I(id) : DB_NUL;
}

int live_event_post(struct db *d, const struct live_event *e) {
  struct db_val p[] = {DB_S(kind_names[e->kind]), opt(e->party), opt(e->user),
                       DB_I(e->other)};
  return db_exec(d, NULL,
                 "INSERT INTO live_events (kind, party_id, user_id, other_id) "
                 "VALUES (?, ?, ?, ?)",
                 p, 4, 0, NULL);
}

int live_event_session(struct db *d, long long sid) {
  struct db_val p = DB_I(sid);
  return db_exec(d, NULL,
                 "INSERT INTO live_events (kind, user_id, other_id) SELECT "
                 "'session_revoked', user_id, id FROM sessions WHERE id = ?",
                 &p, 1, 0, NULL);
}

int live_event_last(struct db *d, struct arena *a, long long *id) {
  struct db_res res;
  int rc = db_exec(d, a, "SELECT COALESCE(MAX(id), 0) FROM live_events", NULL,
                   0, DB_IDEMPOTENT, &res);
  if (!rc) *id = db_i64(&res.rows[0], 0, 0);
  return rc;
}

int live_event_read(struct db *d, struct arena *a, long long *after,
                    struct live_event *out, int max, int *n) {
  struct db_val p[] = {DB_I(*after), DB_I(max)};
  struct db_res res;
  *n = 0;
  int rc = db_exec(d, a,
                   "SELECT id, kind, party_id, user_id, other_id FROM "
                   "live_events WHERE id > ? ORDER BY id LIMIT ?",
                   p, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  for (int i = 0; i < res.nrows; i++) {
    const struct db_row *row = &res.rows[i];
    const char *kind = db_s(row, 1);
    *after = db_i64(row, 0, 0);
    /* A kind this build does not know (a newer writer's) is read past. */
    for (int k = 0; k <= LIVE_SESSIONS_REVOKED; k++)
      if (kind && !strcmp(kind, kind_names[k]))
        out[(*n)++] = (struct live_event){.id = *after,
                                          .kind = (enum live_event_kind)k,
                                          .party = db_i64(row, 2, 0),
                                          .user = db_i64(row, 3, 0),
                                          .other = db_i64(row, 4, 0)};
  }
  return 0;
}

int live_event_prune(struct db *d) {
  return db_exec(d, NULL,
                 "DELETE FROM live_events WHERE created_at < UTC_TIMESTAMP(3) "
                 "- INTERVAL 1 HOUR ORDER BY id LIMIT 1000",
                 NULL, 0, DB_IDEMPOTENT, NULL);
}
