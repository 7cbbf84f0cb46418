/* party_room: a live party's state in MariaDB; see party_room.h. */
#include "model/party_room.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/rc.h"
#include "core/str.h"
#include "core/timefmt.h"
#include "model/activity.h"
#include "model/listen.h"
#include "model/party.h"
#include "model/user.h"

/* --- the lease ------------------------------------------------------------ */

static const char sql_row[] =
    "SELECT id, owner_id, host_id, FLOOR(UNIX_TIMESTAMP(created_at) * 1000), "
    "name, visibility, play_state, COALESCE(play_item, 0), play_started_ms, "
    "play_position_ms, live_node = ? FROM parties WHERE id = ? AND ended_at IS "
    "NULL";

int party_room_claim(struct db *d, struct arena *a, long long id,
                     const char *node, int lease_s, struct party_row *out) {
  struct db_val p[] = {DB_S(node), DB_I(lease_s), DB_I(id), DB_S(node)};
  int rc = db_exec(d, NULL,
                   "UPDATE parties SET live_node = ?, live_until = "
                   "UTC_TIMESTAMP(3) + INTERVAL ? SECOND WHERE id = ? AND "
                   "ended_at IS NULL AND (live_node IS NULL OR live_node = ? "
                   "OR live_until < UTC_TIMESTAMP(3))",
                   p, 4, DB_IDEMPOTENT, NULL);
  if (rc) return rc;
  /* Read back: "affected" counts changed rows only, so the row itself says
   * who holds it. */
  struct db_val q[] = {DB_S(node), DB_I(id)};
  struct db_res res;
  rc = db_exec(d, a, sql_row, q, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_NOT_FOUND;
  const struct db_row *row = &res.rows[0];
  if (!db_i64(row, 10, 0)) return RC_CONFLICT;
  *out = (struct party_row){.id = db_i64(row, 0, 0),
                            .owner = db_i64(row, 1, 0),
                            .host = db_i64(row, 2, 0),
                            .created_ms = db_i64(row, 3, 0),
                            .name = db_s(row, 4),
                            .visibility = db_s(row, 5),
                            .play_state = db_s(row, 6),
                            .play_item = db_i64(row, 7, 0),
                            .started_ms = db_i64(row, 8, 0),
                            .position_ms = db_i64(row, 9, 0)};
  return 0;
}

int party_room_renew(struct db *d, struct arena *a, const char *node,
                     int lease_s, long long *ids, int max, int *n) {
  struct db_val p[] = {DB_I(lease_s), DB_S(node)};
  int rc = db_exec(d, NULL,
                   "UPDATE parties SET live_until = UTC_TIMESTAMP(3) + "
                   "INTERVAL ? SECOND WHERE live_node = ? AND ended_at IS NULL",
                   p, 2, DB_IDEMPOTENT, NULL);
  if (rc) return rc;
  struct db_val q[] = {DB_S(node), DB_I(max)};
  struct db_res res;
  rc = db_exec(d, a,
               "SELECT id FROM parties WHERE live_node = ? AND ended_at IS "
               "NULL LIMIT ?",
               q, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  *n = 0;
  for (int i = 0; i < res.nrows; i++)
    ids[(*n)++] = db_i64(&res.rows[i], 0, 0);
  return 0;
}

int party_room_release(struct db *d, const char *node, long long id) {
  struct db_val p[] = {DB_S(node), DB_I(id), DB_I(id)};
  return db_exec(d, NULL,
                 "UPDATE parties SET live_node = NULL, live_until = NULL "
                 "WHERE live_node = ? AND (? = 0 OR id = ?)",
                 p, 3, DB_IDEMPOTENT, NULL);
}

int party_room_sweep(struct db *d, int abandon_s) {
  struct db_val p = DB_I(abandon_s);
  return db_exec(d, NULL,
                 "UPDATE parties SET ended_at = UTC_TIMESTAMP(3), play_state "
                 "= 'idle', live_node = NULL WHERE ended_at IS NULL AND "
                 "COALESCE(live_until, created_at) < UTC_TIMESTAMP(3) - "
                 "INTERVAL ? SECOND",
                 &p, 1, DB_IDEMPOTENT, NULL);
}

/* --- members -------------------------------------------------------------- */

/* member_of: a row of USER_BRIEF, role, muted, removed. */
static struct party_member_row member_of(const struct db_row *row) {
  return (struct party_member_row){.user = db_i64(row, 0, 0),
                                   .username = db_s(row, 1),
                                   .display_name = db_s(row, 2),
                                   .avatar_url = db_s(row, 3),
                                   .role = db_s(row, 4),
                                   .muted = db_i64(row, 5, 0) != 0,
                                   .removed = db_i64(row, 6, 0) != 0};
}

static const char sql_admit[] =
    "SELECT " USER_BRIEF("u") ", m.role, m.muted, m.removed"
                              " FROM parties p JOIN users u ON u.id = ? LEFT "
                              "JOIN party_members m ON "
                              "m.party_id = p.id AND m.user_id = u.id WHERE "
                              "p.id = ? AND p.ended_at IS "
                              "NULL AND " PARTY_SEES("p", "?");

int party_room_admit(struct db *d, struct arena *a, long long id,
                     long long user, struct party_admit *out) {
  struct db_val p[2 + PARTY_SEES_USES] = {DB_I(user), DB_I(id)};
  for (int i = 2; i < 2 + PARTY_SEES_USES; i++)
    p[i] = DB_I(user);
  struct db_res res;
  int rc =
      db_exec(d, a, sql_admit, p, 2 + PARTY_SEES_USES, DB_IDEMPOTENT, &res);
  *out = (struct party_admit){.ok = false};
  if (rc || res.nrows == 0) return rc;
  out->ok = true;
  out->user = member_of(&res.rows[0]);
  return 0;
}

int party_room_blocks(struct db *d, struct arena *a, long long user,
                      const long long *members, int n, long long **out,
                      int *nout) {
  *out = NULL;
  *nout = 0;
  if (n <= 0) return 0;
  /* The members as a JSON array, one parameter: however many blocks the
   * user has, only those between them and these members are read. */
  struct sbuf ids;
  sbuf_init(&ids, a);
  sbuf_addc(&ids, '[');
  for (int i = 0; i < n; i++)
    sbuf_printf(&ids, i ? ",%lld" : "%lld", members[i]);
  sbuf_addc(&ids, ']');
  if (ids.oom) return RC_NOMEM;
  struct db_val p[] = {DB_I(user), DB_S(ids.s), DB_I(user), DB_I(user)};
  struct db_res res;
  int rc = db_exec(
      d, a,
      "SELECT IF(b.blocker_id = ?, b.blocked_id, b.blocker_id) FROM "
      "JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) j JOIN "
      "blocks b ON (b.blocker_id = ? AND b.blocked_id = j.id) OR "
      "(b.blocked_id = ? AND b.blocker_id = j.id)",
      p, 4, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (!res.nrows) return 0;
  *out = arena_alloc(a, sizeof **out * (size_t)res.nrows);
  if (!*out) return RC_NOMEM;
  for (int i = 0; i < res.nrows; i++)
    (*out)[i] = db_i64(&res.rows[i], 0, 0);
  *nout = res.nrows;
  return 0;
}

int party_room_members(struct db *d, struct arena *a, long long id,
                       struct party_member_row **out, int *n) {
  struct db_val p[] = {DB_I(id), DB_I(PARTY_MEMBERS_MAX)};
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT " USER_BRIEF("u") ", m.role, m.muted, m.removed "
                                             "FROM party_members m JOIN users "
                                             "u ON u.id = m.user_id WHERE "
                                             "m.party_id = ? ORDER BY "
                                             "m.joined_at LIMIT ?",
                   p, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  *out = arena_alloc(a, sizeof **out * (size_t)(res.nrows + 1));
  if (!*out) return RC_NOMEM;
  for (int i = 0; i < res.nrows; i++)
    (*out)[i] = member_of(&res.rows[i]);
  *n = res.nrows;
  return 0;
}

int party_room_members_save(struct db *d, const char *rows_json) {
  struct db_val p = DB_S(rows_json);
  return db_exec(
      d, NULL,
      "INSERT IGNORE INTO party_members (party_id, user_id, role, muted, "
      "removed) SELECT j.party_id, j.user_id, j.role, j.muted, j.removed FROM "
      "JSON_TABLE(?, '$[*]' COLUMNS (party_id BIGINT UNSIGNED PATH '$[0]', "
      "user_id BIGINT UNSIGNED PATH '$[1]', role VARCHAR(8) PATH '$[2]', muted "
      "TINYINT PATH '$[3]', removed TINYINT PATH '$[4]')) j ON DUPLICATE KEY "
      "UPDATE role = IF(party_members.removed, 'member', VALUES(role)), "
      "muted = VALUES(muted), removed = party_members.removed OR "
      "VALUES(removed)",
      &p, 1, DB_IDEMPOTENT, NULL);
}

/* --- the queue ------------------------------------------------------------ */

/* The columns of an item's track. */
#define TRACK_COLS                                                             \
  "t.id, t.title, t.duration_ms, (SELECT ar.name FROM track_artists ta JOIN "  \
  "artists ar ON ar.id = ta.artist_id WHERE ta.track_id = t.id ORDER BY "      \
  "ta.role, ta.position LIMIT 1)"

int party_room_queue(struct db *d, struct arena *a, long long id,
                     struct party_item_row **out, int *n) {
  struct db_val p[] = {DB_I(id), DB_I(PARTY_QUEUE_MAX + 1)};
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT q.id, q.added_by, q.state, " TRACK_COLS
                   " FROM party_queue q JOIN tracks t ON t.id = q.track_id "
                   "WHERE q.party_id = ? ORDER BY FIELD(q.state, 'current', "
                   "'queued', 'suggested'), q.position, q.id LIMIT ?",
                   p, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  *out = arena_alloc(a, sizeof **out * (size_t)(res.nrows + 1));
  if (!*out) return RC_NOMEM;
  for (int i = 0; i < res.nrows; i++) {
    const struct db_row *row = &res.rows[i];
    (*out)[i] = (struct party_item_row){.id = db_i64(row, 0, 0),
                                        .added_by = db_i64(row, 1, 0),
                                        .state = db_s(row, 2),
                                        .track = db_i64(row, 3, 0),
                                        .title = db_s(row, 4),
                                        .duration_ms = db_i64(row, 5, 0),
                                        .artist = db_s(row, 6)};
  }
  *n = res.nrows;
  return 0;
}

int party_room_track(struct db *d, struct arena *a, long long track,
                     struct party_item_row *out) {
  struct db_val p = DB_I(track);
  struct db_res res;
  int rc = db_exec(d, a, "SELECT " TRACK_COLS " FROM tracks t WHERE t.id = ?",
                   &p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_NOT_FOUND;
  const struct db_row *row = &res.rows[0];
  *out = (struct party_item_row){.track = db_i64(row, 0, 0),
                                 .title = db_s(row, 1),
                                 .duration_ms = db_i64(row, 2, 0),
                                 .artist = db_s(row, 3)};
  return 0;
}

int party_room_item_add(struct db *d, long long id, long long track,
                        const char *state, long long added_by,
                        long long *item) {
  struct db_val p[] = {DB_I(id), DB_I(track), DB_S(state), DB_I(added_by),
                       DB_I(id)};
  struct db_res res;
  int rc = db_exec(d, NULL,
                   "INSERT INTO party_queue (party_id, track_id, state, "
                   "added_by, position) SELECT ?, ?, ?, ?, COALESCE(MAX("
                   "position) + 1, 0) FROM party_queue WHERE party_id = ?",
                   p, 5, 0, &res);
  if (!rc) *item = (long long)res.insert_id;
  return rc;
}

int party_room_item_state(struct db *d, long long item, const char *state) {
  struct db_val p[] = {DB_S(state), DB_I(item)};
  return db_exec(d, NULL, "UPDATE party_queue SET state = ? WHERE id = ?", p, 2,
                 DB_IDEMPOTENT, NULL);
}

int party_room_item_delete(struct db *d, long long item) {
  struct db_val p = DB_I(item);
  return db_exec(d, NULL, "DELETE FROM party_queue WHERE id = ?", &p, 1,
                 DB_IDEMPOTENT, NULL);
}

int party_room_order(struct db *d, long long id, const char *ids_json) {
  struct db_val p[] = {DB_S(ids_json), DB_I(id)};
  return db_exec(d, NULL,
                 "UPDATE party_queue q JOIN JSON_TABLE(?, '$[*]' COLUMNS "
                 "(pos FOR ORDINALITY, item BIGINT PATH '$')) j ON j.item = "
                 "q.id SET q.position = j.pos, q.state = 'queued' WHERE "
                 "q.party_id = ?",
                 p, 2, DB_IDEMPOTENT, NULL);
}

int party_room_checkpoint(struct db *d, const struct party_row *r) {
  struct db_val p[] = {DB_I(r->host),
                       DB_S(r->play_state),
                       r->play_item ? DB_I(r->play_item) : DB_NUL,
                       DB_I(r->started_ms),
                       DB_I(r->position_ms),
                       DB_I(r->id)};
  return db_exec(d, NULL,
                 "UPDATE parties SET host_id = ?, play_state = ?, play_item = "
                 "?, play_started_ms = ?, play_position_ms = ? WHERE id = ?",
                 p, 6, DB_IDEMPOTENT, NULL);
}

int party_room_end(struct db *d, long long id) {
  struct db_val p = DB_I(id);
  return db_exec(d, NULL,
                 "UPDATE parties SET ended_at = COALESCE(ended_at, "
                 "UTC_TIMESTAMP(3)), play_state = 'idle', live_node = NULL, "
                 "live_until = NULL WHERE id = ?",
                 &p, 1, DB_IDEMPOTENT, NULL);
}

/* --- listens -------------------------------------------------------------- */

static int play_once(struct db *d, const struct party_play *p, bool *stored) {
  char at[32];
  timefmt_sql(at, sizeof at, p->at_ms);
  struct db_val v[] = {DB_I(p->item), DB_I(p->user), DB_I(p->party),
                       DB_I(p->track), DB_S(at)};
  struct db_res res;
  int rc = db_exec(d, NULL,
                   "INSERT IGNORE INTO party_plays (item_id, user_id, "
                   "party_id, track_id, played_at) VALUES (?, ?, ?, ?, ?)",
                   v, 5, 0, &res);
  if (!rc) *stored = res.affected == 1;
  return rc;
}

int party_room_play(struct db *d, struct kv *k, struct arena *a,
                    const struct party_play *p, bool *stored) {
  *stored = false;
  int rc = play_once(d, p, stored);
  if (rc || !*stored) return rc;
  struct listen_in in = {.track_id = p->track,
                         .at_ms = p->at_ms,
                         .ms_played = p->played_ms,
                         .source = "party",
                         .context = "party",
                         .status = LISTEN_PENDING};
  rc = listen_store(d, k, a, p->user, &in, 1);
  if (!rc && in.status == LISTEN_STORED)
    rc = activity_listens(d, a, p->user, &p->at_ms, 1);
  return rc;
}
