/* outbox: the scrobbling-out queue and its states; see outbox.h. */
#include "model/outbox.h"

#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/rnd.h"
#include "core/timefmt.h"
#include "model/listen.h"

static const char *const service_names[] = {
    [OUTBOX_LASTFM] = "lastfm", [OUTBOX_LISTENBRAINZ] = "listenbrainz"};

const char *outbox_service_name(enum outbox_service s) {
  return service_names[s];
}

/* The JSON_TABLE of outbox_add's items: [track id, time, artist, title,
 * album, duration, mbid]. */
#define ITEM_COLS                                                              \
  "tid BIGINT PATH '$[0]', at DATETIME(3) PATH '$[1]', "                       \
  "artist VARCHAR(255) CHARACTER SET utf8mb4 PATH '$[2]', "                    \
  "title VARCHAR(255) CHARACTER SET utf8mb4 PATH '$[3]', "                     \
  "album VARCHAR(255) CHARACTER SET utf8mb4 PATH '$[4]', "                     \
  "dur BIGINT PATH '$[5]', mbid CHAR(36) CHARACTER SET ascii PATH '$[6]'"

int outbox_add(struct db *d, struct arena *a, long long user,
               const struct outbox_item *items, int n) {
  if (n <= 0) return 0;
  struct db_val u = DB_I(user);
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT 1 FROM integrations WHERE user_id = ? AND service "
                   "IN ('lastfm', 'listenbrainz') LIMIT 1",
                   &u, 1, DB_IDEMPOTENT, &res);
  if (rc || res.nrows == 0) return rc;
  json_object *rows = jx_own(a, json_object_new_array());
  if (!rows) return RC_NOMEM;
  for (int i = 0; i < n; i++) {
    const struct outbox_item *it = &items[i];
    char at[40];
    timefmt_sql(at, sizeof at, it->at_ms);
    json_object *r = json_object_new_array();
    json_object_array_add(
        r, it->track_id > 0 ? json_object_new_int64(it->track_id) : NULL);
    json_object_array_add(r, json_object_new_string(at));
    json_object_array_add(r, it->artist ? json_object_new_string(it->artist)
                                        : NULL);
    json_object_array_add(r,
                          it->title ? json_object_new_string(it->title) : NULL);
    json_object_array_add(r,
                          it->album ? json_object_new_string(it->album) : NULL);
    json_object_array_add(r, it->duration_ms >= 0
                                 ? json_object_new_int64(it->duration_ms)
                                 : NULL);
    json_object_array_add(r,
                          it->mbid ? json_object_new_string(it->mbid) : NULL);
    json_object_array_add(rows, r);
  }
  size_t len;
  const char *text = jx_text(a, rows, &len);
  if (!text) return RC_NOMEM;
  struct db_val p[] = {DB_I(user), DB_S(text), DB_I(user),
                       DB_I(OUTBOX_LASTFM_MAX_AGE_S)};
  /* A catalogue track is sent under its own names: its title, its first
   * primary artist, its album. */
  return db_exec(
      d, a,
      "INSERT IGNORE INTO scrobble_outbox (user_id, service, listened_at, "
      "artist, title, album, duration_ms, mbid) "
      "SELECT ?, i.service, j.at, COALESCE((SELECT ar.name FROM "
      "track_artists ta JOIN artists ar ON ar.id = ta.artist_id WHERE "
      "ta.track_id = t.id AND ta.role = 'primary' ORDER BY ta.position, "
      "ar.id LIMIT 1), j.artist), COALESCE(t.title, j.title), "
      "IF(t.id IS NULL, j.album, al.title), COALESCE(t.duration_ms, j.dur), "
      "IF(t.id IS NULL, j.mbid, t.mbid) "
      "FROM JSON_TABLE(?, '$[*]' COLUMNS (" ITEM_COLS ")) j "
      "JOIN integrations i ON i.user_id = ? AND i.service IN ('lastfm', "
      "'listenbrainz') "
      "LEFT JOIN tracks t ON t.id = j.tid "
      "LEFT JOIN albums al ON al.id = t.album_id "
      "WHERE (i.service <> 'lastfm' OR j.at > UTC_TIMESTAMP(3) - INTERVAL ? "
      "SECOND) AND COALESCE(t.title, j.title) IS NOT NULL",
      p, 4, 0, NULL);
}

/* forwarded: listens Encore received itself (not imports of history kept
 * elsewhere, which those services have or would refuse). */
static bool forwarded(const char *source) {
  return !source || !strcmp(source, "app") || !strcmp(source, "lastfm") ||
         !strcmp(source, "listenbrainz");
}

int outbox_listens(struct db *d, struct arena *a, long long user,
                   struct listen_in *const *u, int n) {
  struct outbox_item *it = arena_alloc(a, sizeof *it * (size_t)(n + 1));
  int m = 0;
  if (!it) return RC_NOMEM;
  for (int i = 0; i < n; i++)
    if (u[i]->status == LISTEN_STORED && forwarded(u[i]->source))
      it[m++] = (struct outbox_item){
          .track_id = u[i]->track_id, .at_ms = u[i]->at_ms, .duration_ms = -1};
  return outbox_add(d, a, user, it, m);
}

/* --- delivery ------------------------------------------------------------- */

int outbox_due(struct db *d, struct arena *a, enum outbox_service s,
               long long *users, int max, int *n) {
  struct db_val p[] = {DB_S(service_names[s]), DB_I(max)};
  struct db_res res;
  *n = 0;
  int rc = db_exec(d, a,
                   "SELECT i.user_id FROM integrations i WHERE i.service = ? "
                   "AND i.next_send_at <= UTC_TIMESTAMP(3) AND EXISTS (SELECT "
                   "1 FROM scrobble_outbox o WHERE o.service = i.service AND "
                   "o.state = 'queued' AND o.user_id = i.user_id) "
                   "ORDER BY i.next_send_at, i.user_id LIMIT ?",
                   p, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  for (int r = 0; r < res.nrows && r < max; r++)
    users[(*n)++] = db_i64(&res.rows[r], 0, 0);
  return 0;
}

/* read_rows: the rows of a result (id, ms, artist, title, album, mbid,
 * duration). */
static void read_rows(const struct db_res *res, struct outbox_row *rows,
                      int *n) {
  *n = 0;
  for (int r = 0; r < res->nrows && r < OUTBOX_BATCH; r++) {
    const struct db_row *row = &res->rows[r];
    rows[(*n)++] = (struct outbox_row){.id = db_i64(row, 0, 0),
                                       .at_ms = db_i64(row, 1, 0),
                                       .artist = db_s(row, 2),
                                       .title = db_s(row, 3),
                                       .album = db_s(row, 4),
                                       .mbid = db_s(row, 5),
                                       .duration_ms = db_i64(row, 6, -1)};
  }
}

int outbox_rows(struct db *d, struct arena *a, long long attempt,
                struct outbox_row *rows, int *n) {
  struct db_val p = DB_I(attempt);
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT id, CAST(UNIX_TIMESTAMP(listened_at) * 1000 AS "
                   "SIGNED), artist, title, album, mbid, duration_ms FROM "
                   "scrobble_outbox WHERE attempt = ? AND state = 'sending' "
                   "ORDER BY listened_at, id",
                   &p, 1, DB_IDEMPOTENT, &res);
  if (!rc) read_rows(&res, rows, n);
  return rc;
}

int outbox_claim(struct db *d, struct arena *a, long long user,
                 enum outbox_service s, long long *attempt,
                 struct outbox_row *rows, int *n) {
  uint64_t r;
  rnd_bytes(&r, sizeof r);
  *attempt = (long long)(r >> 11) + 1; /* 1 .. 2^53 */
  *n = 0;
  int rc = 0;
  if (s == OUTBOX_LASTFM) {
    struct db_val p[] = {DB_I(user), DB_I(OUTBOX_LASTFM_MAX_AGE_S)};
    rc = db_exec(d, NULL,
                 "UPDATE scrobble_outbox SET state = 'ignored', done_at = "
                 "UTC_TIMESTAMP(3) WHERE service = 'lastfm' AND state = "
                 "'queued' AND user_id = ? AND listened_at < "
                 "UTC_TIMESTAMP(3) - INTERVAL ? SECOND",
                 p, 2, DB_IDEMPOTENT, NULL);
  }
  struct db_val p[] = {DB_I(*attempt), DB_S(service_names[s]), DB_I(user),
                       DB_I(OUTBOX_BATCH)};
  /* One statement claims the batch: committed (autocommit) before any
   * request is made. */
  if (!rc)
    rc = db_exec(d, NULL,
                 "UPDATE scrobble_outbox SET state = 'sending', attempt = ?, "
                 "sent_at = UTC_TIMESTAMP(3) WHERE service = ? AND state = "
                 "'queued' AND user_id = ? ORDER BY id LIMIT ?",
                 p, 4, 0, NULL);
  return rc ? rc : outbox_rows(d, a, *attempt, rows, n);
}

int outbox_settle(struct db *d, long long attempt, const long long *ids,
                  const bool *ignored, int n) {
  for (int i = 0; i < n; i++) {
    struct db_val p[] = {DB_S(ignored[i] ? "ignored" : "sent"), DB_I(ids[i]),
                         DB_I(attempt)};
    int rc = db_exec(d, NULL,
                     "UPDATE scrobble_outbox SET state = ?, done_at = "
                     "UTC_TIMESTAMP(3) WHERE id = ? AND attempt = ? AND "
                     "state = 'sending'",
                     p, 3, DB_IDEMPOTENT, NULL);
    if (rc) return rc;
  }
  return 0;
}

int outbox_settle_all(struct db *d, long long attempt, const char *state) {
  struct db_val p[] = {DB_S(state), DB_S(state), DB_I(attempt)};
  return db_exec(d, NULL,
                 "UPDATE scrobble_outbox SET state = ?, done_at = IF(? = "
                 "'queued', NULL, UTC_TIMESTAMP(3)) WHERE attempt = ? AND "
                 "state = 'sending'",
                 p, 3, DB_IDEMPOTENT, NULL);
}

int outbox_doubts(struct db *d, struct arena *a, enum outbox_service s,
                  int after_s, struct outbox_doubt *out, int max, int *n) {
  struct db_val p[] = {DB_S(service_names[s]), DB_I(after_s), DB_I(max)};
  struct db_res res;
  *n = 0;
  int rc = db_exec(d, a,
                   "SELECT o.attempt, o.user_id FROM scrobble_outbox o JOIN "
                   "integrations i ON i.user_id = o.user_id AND i.service = "
                   "o.service WHERE o.service = ? AND o.state = 'sending' AND "
                   "o.sent_at < UTC_TIMESTAMP(3) - INTERVAL ? SECOND AND "
                   "i.next_send_at <= UTC_TIMESTAMP(3) GROUP BY o.attempt, "
                   "o.user_id ORDER BY MIN(o.id) LIMIT ?",
                   p, 3, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  for (int r = 0; r < res.nrows && r < max; r++)
    out[(*n)++] = (struct outbox_doubt){.attempt = db_i64(&res.rows[r], 0, 0),
                                        .user = db_i64(&res.rows[r], 1, 0)};
  return 0;
}

int outbox_hold(struct db *d, long long user, enum outbox_service s) {
  struct db_val p[] = {DB_I(user), DB_S(service_names[s])};
  return db_exec(d, NULL,
                 "UPDATE scrobble_outbox SET state = 'held', done_at = "
                 "UTC_TIMESTAMP(3) WHERE user_id = ? AND service = ? AND "
                 "state = 'queued'",
                 p, 2, DB_IDEMPOTENT, NULL);
}

int outbox_release(struct db *d, long long user, enum outbox_service s) {
  struct db_val p[] = {DB_I(user), DB_S(service_names[s])};
  return db_exec(d, NULL,
                 "UPDATE scrobble_outbox SET state = 'queued', done_at = NULL "
                 "WHERE user_id = ? AND service = ? AND state = 'held'",
                 p, 2, DB_IDEMPOTENT, NULL);
}

int outbox_prune(struct db *d, long long *deleted) {
  struct db_res res;
  *deleted = 0;
  int rc = db_exec(d, NULL,
                   "DELETE FROM scrobble_outbox WHERE (state IN ('sent', "
                   "'ignored') AND done_at < UTC_TIMESTAMP(3) - INTERVAL 1 "
                   "DAY) OR (state = 'held' AND done_at < UTC_TIMESTAMP(3) - "
                   "INTERVAL 14 DAY) LIMIT 10000",
                   NULL, 0, DB_IDEMPOTENT, &res);
  if (!rc) *deleted = (long long)res.affected;
  return rc;
}

int outbox_counts(struct db *d, struct arena *a, long long user,
                  enum outbox_service s, struct outbox_counts *c) {
  struct db_val p[] = {DB_S(service_names[s]), DB_I(user)};
  struct db_res res;
  *c = (struct outbox_counts){0};
  int rc = db_exec(d, a,
                   "SELECT state + 0, COUNT(*) FROM scrobble_outbox WHERE "
                   "service = ? AND user_id = ? GROUP BY state",
                   p, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  for (int r = 0; r < res.nrows; r++) {
    long long k = db_i64(&res.rows[r], 1, 0);
    switch (db_i64(&res.rows[r], 0, 0)) {
    case 1:
      c->queued = k;
      break;
    case 2:
      c->sending = k;
      break;
    case 3:
      c->sent = k;
      break;
    case 4:
      c->ignored = k;
      break;
    case 5:
      c->held = k;
      break;
    }
  }
  return 0;
}
