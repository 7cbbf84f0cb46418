/* party: parties over REST, visibility in SQL; see party.h. */
#include "model/party.h"

#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"
#include "model/cap.h"
#include "model/live_event.h"
#include "model/playlist.h"
#include "model/user.h"

/* Eight viewer parameters, for PARTY_SEES. */
#define SEES8(v)                                                               \
  DB_I(v), DB_I(v), DB_I(v), DB_I(v), DB_I(v), DB_I(v), DB_I(v), DB_I(v)

/* The columns of a party as the API shows it; the first two parameters
 * are the viewer (their role, their invitation). */
#define PARTY_COLS                                                             \
  "SELECT p.id, p.name, p.visibility, FLOOR(UNIX_TIMESTAMP(p.created_at)), "   \
  "FLOOR(UNIX_TIMESTAMP(p.ended_at)), p.play_state, " USER_BRIEF(              \
      "o") ", " USER_BRIEF("h") ", (SELECT m.role FROM party_members m WHERE " \
                                "m.party_id = p.id AND m.user_id = ?), "       \
                                "EXISTS (SELECT 1 FROM party_invites i WHERE " \
                                "i.party_id = p.id AND i.user_id = ?), t.id, " \
                                "t.title, t.duration_ms FROM parties p JOIN "  \
                                "users o ON o.id = p.owner_id JOIN users h "   \
                                "ON h.id = p.host_id LEFT JOIN party_queue q " \
                                "ON q.id = p.play_item LEFT JOIN tracks t ON " \
                                "t.id = q.track_id"

enum party_col {
  PC_ID,
  PC_NAME,
  PC_VISIBILITY,
  PC_CREATED,
  PC_ENDED,
  PC_STATE,
  PC_OWNER,               /* four USER_BRIEF columns */
  PC_HOST = PC_OWNER + 4, /* four more */
  PC_ROLE = PC_HOST + 4,
  PC_INVITED,
  PC_TRACK_ID,
  PC_TRACK_TITLE,
  PC_TRACK_DURATION,
};

/* party_json: one row of PARTY_COLS as the API shows it. */
static json_object *party_json(struct arena *a, const struct db_row *row) {
  json_object *o = json_object_new_object();
  long long id = db_i64(row, PC_ID, 0);
  jx_add_int(o, "id", id);
  jx_add_str(o, "name", db_s(row, PC_NAME));
  jx_add_str(o, "visibility", db_s(row, PC_VISIBILITY));
  json_object_object_add(o, "owner", user_brief_json(row, PC_OWNER));
  json_object_object_add(o, "host", user_brief_json(row, PC_HOST));
  jx_add_time(o, "created_at", db_i64(row, PC_CREATED, 0));
  jx_add_time(o, "ended_at", db_i64(row, PC_ENDED, 0));
  jx_add_bool(o, "live", db_s(row, PC_ENDED) == NULL);
  jx_add_str(o, "role", db_s(row, PC_ROLE));
  jx_add_bool(o, "invited", db_i64(row, PC_INVITED, 0) != 0);
  jx_add_str(o, "playback", db_s(row, PC_STATE));
  if (db_s(row, PC_TRACK_ID)) {
    json_object *t = json_object_new_object();
    jx_add_int(t, "id", db_i64(row, PC_TRACK_ID, 0));
    jx_add_str(t, "title", db_s(row, PC_TRACK_TITLE));
    jx_add_int(t, "duration_ms", db_i64(row, PC_TRACK_DURATION, 0));
    json_object_object_add(o, "now_playing", t);
  } else {
    json_object_object_add(o, "now_playing", NULL);
  }
  jx_add_str(o, "live_url", arena_printf(a, "/api/v1/live?party=%lld", id));
  return o;
}

/* create_once: one attempt of party_create, in its own transaction. */
static int create_once(struct db *d, struct arena *a, const struct party_new *n,
                       long long *id) {
  static const struct cap_of cap = {.count_sql =
                                        CAP_COUNT("parties WHERE owner_id = ?"),
                                    .cap = CAP_USER_PARTIES};
  struct db_res res;
  int rc = db_begin(d);
  if (!rc) rc = cap_lock_user(d, a, n->owner);
  if (!rc) {
    struct db_val p = DB_I(n->owner);
    rc = db_exec(d, a,
                 "SELECT COUNT(*) FROM parties WHERE owner_id = ? AND "
                 "ended_at IS NULL",
                 &p, 1, 0, &res);
    if (!rc && db_i64(&res.rows[0], 0, 0) >= PARTY_LIVE_MAX) rc = RC_LIMIT;
  }
  if (!rc && n->playlist_id) {
    struct db_val p[] = {DB_I(n->playlist_id), DB_I(n->owner), DB_I(n->owner)};
    rc = db_exec(d, a,
                 "SELECT 1 FROM playlists pl WHERE pl.id = ? "
                 "AND " PLAYLIST_SEES("pl", "?"),
                 p, 3, 0, &res);
    if (!rc && res.nrows == 0) rc = RC_NOT_FOUND;
  }
  if (!rc) {
    struct db_val p[] = {DB_I(n->owner), DB_I(n->owner), DB_S(n->name),
                         DB_S(n->visibility)};
    rc = cap_add(d, a,
                 "INSERT INTO parties (owner_id, host_id, name, visibility) "
                 "VALUES (?, ?, ?, ?)",
                 p, 4, &cap, n->owner, &res);
    if (!rc) *id = (long long)res.insert_id;
  }
  if (!rc) {
    struct db_val p[] = {DB_I(*id), DB_I(n->owner)};
    rc = db_exec(d, NULL,
                 "INSERT INTO party_members (party_id, user_id, role) VALUES "
                 "(?, ?, 'host')",
                 p, 2, 0, NULL);
  }
  if (!rc && n->playlist_id) {
    struct db_val p[] = {DB_I(*id), DB_I(n->owner), DB_I(n->playlist_id),
                         DB_I(PARTY_QUEUE_MAX)};
    rc = db_exec(d, NULL,
                 "INSERT INTO party_queue (party_id, track_id, state, "
                 "position, added_by) SELECT ?, track_id, 'queued', position, "
                 "? FROM playlist_tracks WHERE playlist_id = ? ORDER BY "
                 "position LIMIT ?",
                 p, 4, 0, NULL);
  }
  if (!rc) return db_commit(d);
  db_rollback(d);
  return rc;
}

int party_create(struct db *d, struct arena *a, const struct party_new *n,
                 long long *id) {
  int rc, tries = 0;
  do
    rc = create_once(d, a, n, id);
  while (db_retry(rc, &tries));
  return rc;
}

static const char sql_get[] =
    PARTY_COLS " WHERE p.id = ? AND " PARTY_SEES("p", "?");

int party_get(struct db *d, struct arena *a, long long id, long long viewer,
              json_object **out) {
  struct db_val p[] = {DB_I(viewer), DB_I(viewer), DB_I(id), SEES8(viewer)};
  struct db_res res;
  int rc = db_exec(d, a, sql_get, p, 11, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_NOT_FOUND;
  *out = jx_own(a, party_json(a, &res.rows[0]));
  return 0;
}

static const char sql_list[] =
    PARTY_COLS " WHERE p.ended_at IS NULL AND p.id < ? AND " PARTY_SEES(
        "p", "?") " ORDER BY p.id DESC LIMIT ?";

int party_list(struct db *d, struct arena *a, long long viewer, long long after,
               int limit, json_object **items, long long *next) {
  struct db_val p[] = {DB_I(viewer), DB_I(viewer),
                       DB_I(after ? after : INT64_MAX), SEES8(viewer),
                       DB_I(limit)};
  struct db_res res;
  int rc = db_exec(d, a, sql_list, p, 12, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  json_object *arr = jx_own(a, json_object_new_array());
  for (int i = 0; i < res.nrows; i++)
    json_object_array_add(arr, party_json(a, &res.rows[i]));
  *items = arr;
  *next = res.nrows == limit ? db_i64(&res.rows[res.nrows - 1], PC_ID, 0) : 0;
  return 0;
}

/* The acting user's standing in a live party they may see, the party row
 * locked until the transaction ends. */
struct standing {
  bool host;     /* the host, or a co-host */
  bool only_co;  /* a co-host, not the host */
  long long who; /* role of the other user: 0 none, 1 member, 2 co-host,
                    3 host */
};

static const char sql_standing[] =
    "SELECT p.host_id = ?, (SELECT m.role FROM party_members m WHERE "
    "m.party_id = p.id AND m.user_id = ?), p.host_id = ?, (SELECT m2.role "
    "FROM party_members m2 WHERE m2.party_id = p.id AND m2.user_id = ? AND "
    "m2.removed = 0) FROM parties p WHERE p.id = ? AND p.ended_at IS NULL AND "
    "" PARTY_SEES("p", "?") " FOR UPDATE";

/* standing: RC_NOT_FOUND when `by` may not see the live party,
 * RC_FORBIDDEN when `by` is not its host or a co-host. */
static int standing(struct db *d, struct arena *a, const struct party_act *x,
                    struct standing *s) {
  struct db_val p[] = {DB_I(x->by),  DB_I(x->by),    DB_I(x->who),
                       DB_I(x->who), DB_I(x->party), SEES8(x->by)};
  struct db_res res;
  int rc = db_exec(d, a, sql_standing, p, 13, 0, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_NOT_FOUND;
  const struct db_row *row = &res.rows[0];
  const char *role = db_s(row, 1), *other = db_s(row, 3);
  bool is_host = db_i64(row, 0, 0) != 0;
  bool co = role && !strcmp(role, "co_host");
  if (!is_host && !co) return RC_FORBIDDEN;
  *s = (struct standing){.host = true, .only_co = !is_host};
  if (db_i64(row, 2, 0))
    s->who = 3;
  else if (other)
    s->who = !strcmp(other, "co_host") ? 2 : !strcmp(other, "host") ? 3 : 1;
  return 0;
}

static int invite_once(struct db *d, struct arena *a, const struct party_act *x,
                       bool *created) {
  static const struct cap_of cap = {
      .count_sql = CAP_COUNT("party_invites WHERE party_id = ?"),
      .cap = CAP_PARTY_INVITES};
  struct standing s;
  struct db_res res;
  int rc = db_begin(d);
  if (!rc) rc = standing(d, a, x, &s);
  if (!rc) {
    struct db_val p[] = {DB_I(x->party), DB_I(x->who), DB_I(x->by)};
    rc = cap_add(d, a,
                 "INSERT IGNORE INTO party_invites (party_id, user_id, "
                 "invited_by) VALUES (?, ?, ?)",
                 p, 3, &cap, x->party, &res);
    if (!rc) *created = res.affected == 1;
  }
  if (!rc) return db_commit(d);
  db_rollback(d);
  return rc;
}

int party_invite(struct db *d, struct arena *a, const struct party_act *x,
                 bool *created) {
  int rc, tries = 0;
  *created = false;
  if (x->who == x->by) return RC_INVALID;
  do
    rc = invite_once(d, a, x, created);
  while (db_retry(rc, &tries));
  return rc;
}

static int remove_once(struct db *d, struct arena *a,
                       const struct party_act *x) {
  struct standing s;
  int rc = db_begin(d);
  if (!rc) rc = standing(d, a, x, &s);
  if (!rc && (s.who == 3 || (s.who == 2 && s.only_co))) rc = RC_FORBIDDEN;
  if (!rc) {
    /* A user who has not joined yet (or whose join encore-live has not
     * written yet) is barred all the same. */
    struct db_val p[] = {DB_I(x->party), DB_I(x->who)};
    rc = db_exec(d, NULL,
                 "INSERT INTO party_members (party_id, user_id, role, "
                 "removed) VALUES (?, ?, 'member', 1) ON DUPLICATE KEY UPDATE "
                 "removed = 1, role = 'member'",
                 p, 2, 0, NULL);
    if (!rc)
      rc = db_exec(d, NULL,
                   "DELETE FROM party_invites WHERE party_id = ? AND user_id "
                   "= ?",
                   p, 2, 0, NULL);
  }
  if (!rc)
    rc = live_event_post(d, &(struct live_event){.kind = LIVE_MEMBER_REMOVED,
                                                 .party = x->party,
                                                 .user = x->who});
  if (!rc) return db_commit(d);
  db_rollback(d);
  return rc;
}

int party_remove(struct db *d, struct arena *a, const struct party_act *x) {
  int rc, tries = 0;
  if (x->who == x->by) return RC_FORBIDDEN;
  do
    rc = remove_once(d, a, x);
  while (db_retry(rc, &tries));
  return rc;
}

static const char sql_end_check[] =
    "SELECT p.host_id = ?, p.ended_at IS NULL FROM parties p WHERE p.id = ? "
    "AND " PARTY_SEES("p", "?") " FOR UPDATE";

static int end_once(struct db *d, struct arena *a, long long id, long long by) {
  struct db_val p[] = {DB_I(by), DB_I(id), SEES8(by)};
  struct db_res res;
  int rc = db_begin(d);
  if (!rc) rc = db_exec(d, a, sql_end_check, p, 10, 0, &res);
  if (!rc && res.nrows == 0) rc = RC_NOT_FOUND;
  if (!rc && !db_i64(&res.rows[0], 0, 0)) rc = RC_FORBIDDEN;
  bool live = !rc && db_i64(&res.rows[0], 1, 0);
  if (live) {
    struct db_val e = DB_I(id);
    rc = db_exec(d, NULL,
                 "UPDATE parties SET ended_at = UTC_TIMESTAMP(3), play_state "
                 "= 'idle' WHERE id = ?",
                 &e, 1, 0, NULL);
    if (!rc)
      rc = live_event_post(
          d, &(struct live_event){.kind = LIVE_PARTY_ENDED, .party = id});
  }
  if (!rc) return db_commit(d);
  db_rollback(d);
  return rc;
}

int party_end(struct db *d, struct arena *a, long long id, long long by) {
  int rc, tries = 0;
  do
    rc = end_once(d, a, id, by);
  while (db_retry(rc, &tries));
  return rc;
}
