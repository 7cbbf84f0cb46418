/* activity: writing activity and fanning it out; see activity.h. */
#include "model/activity.h"

#include <stdlib.h>
#include <time.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/rc.h"
#include "core/timefmt.h"
#include "model/cap.h"
#include "model/listen.h"

/* Listens older than this make no activity (an import of old history is
 * not news). */
#define ACTIVITY_LISTEN_RECENT (24 * 3600 * 1000LL)

static const char *const kind_names[] = {
    [ACTIVITY_LISTENED] = "listened",
    [ACTIVITY_PLAYLIST_CREATED] = "playlist_created",
    [ACTIVITY_PLAYLIST_UPDATED] = "playlist_updated",
    [ACTIVITY_LIKED] = "liked",
    [ACTIVITY_FOLLOWED] = "followed",
    [ACTIVITY_COMMENTED] = "commented",
    [ACTIVITY_PARTY_STARTED] = "party_started",
};

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int activity_fanout(struct db *d, long long id) {
  struct db_val p[] = {DB_I(id), DB_I(id), DB_I(FEED_FANOUT_MAX)};
  return db_exec(d, NULL,
                 "INSERT IGNORE INTO feed_items (user_id, activity_id) "
                 "SELECT f.follower_id, ? FROM activities a "
                 "JOIN users u ON u.id = a.actor_id "
                 "JOIN follows f ON f.followee_id = a.actor_id "
                 "AND f.state = 'accepted' WHERE a.id = ? "
                 "AND u.follower_count < ?",
                 p, 3, 0, NULL);
}

int activity_backfill(struct db *d, long long follower, long long followee) {
  struct db_val p[] = {DB_I(follower), DB_I(followee), DB_I(FEED_FANOUT_MAX),
                       DB_I(FEED_BACKFILL)};
  return db_exec(d, NULL,
                 "INSERT IGNORE INTO feed_items (user_id, activity_id) "
                 "SELECT ?, a.id FROM activities a JOIN users u "
                 "ON u.id = a.actor_id WHERE a.actor_id = ? "
                 "AND u.follower_count < ? ORDER BY a.id DESC LIMIT ?",
                 p, 4, 0, NULL);
}

int activity_unfeed(struct db *d, long long follower, long long followee) {
  struct db_val p[] = {DB_I(follower), DB_I(followee), DB_I(follower),
                       DB_I(followee)};
  /* Not when the follow is back: a follow made again since may already
   * have backfilled the feed (the two run after their answers, in any
   * order). */
  return db_exec(d, NULL,
                 "DELETE fi FROM feed_items fi JOIN activities a "
                 "ON a.id = fi.activity_id WHERE fi.user_id = ? "
                 "AND a.actor_id = ? AND NOT EXISTS (SELECT 1 FROM follows f "
                 "WHERE f.follower_id = ? AND f.followee_id = ? AND f.state "
                 "= 'accepted')",
                 p, 4, DB_IDEMPOTENT, NULL);
}

int activity_delete_about(struct db *d, const char *object_type,
                          long long object_id) {
  struct db_val p[] = {DB_S(object_type), DB_I(object_id)};
  return db_exec(d, NULL,
                 "DELETE FROM activities WHERE object_type = ? AND "
                 "object_id = ?",
                 p, 2, DB_IDEMPOTENT, NULL);
}

/* insert: a new activity row, fanned out; its id in *id. */
static int insert(struct db *d, const struct activity_event *e, long long at,
                  long long *id) {
  char t[32];
  timefmt_sql(t, sizeof t, at);
  struct db_res res;
  struct db_val p[] = {DB_I(e->actor),
                       DB_S(kind_names[e->kind]),
                       DB_S(e->object_type),
                       e->object_id ? DB_I(e->object_id) : DB_NUL,
                       DB_I(e->count > 0 ? e->count : 1),
                       DB_S(t),
                       DB_S(t)};
  int rc = db_exec(d, NULL,
                   "INSERT INTO activities (actor_id, kind, object_type, "
                   "object_id, count, first_at, last_at) VALUES (?, ?, ?, ?, "
                   "?, ?, ?)",
                   p, 7, 0, &res);
  if (rc) return rc;
  *id = (long long)res.insert_id;
  return activity_fanout(d, *id);
}

/* forget_earlier: delete the actor's earlier entries of this kind about
 * the object (a like, or a follow, made again: one entry, the latest). */
static int forget_earlier(struct db *d, const struct activity_event *e) {
  struct db_val p[] = {DB_S(e->object_type), DB_I(e->object_id), DB_I(e->actor),
                       DB_S(kind_names[e->kind])};
  return db_exec(d, NULL,
                 "DELETE FROM activities WHERE object_type = ? AND object_id "
                 "= ? AND actor_id = ? AND kind = ?",
                 p, 4, DB_IDEMPOTENT, NULL);
}

int activity_record(struct db *d, struct arena *a,
                    const struct activity_event *e) {
  long long now = now_ms(), id;
  if (e->kind == ACTIVITY_LIKED || e->kind == ACTIVITY_FOLLOWED) {
    int rc = forget_earlier(d, e);
    if (rc) return rc;
  }
  if (e->kind == ACTIVITY_PLAYLIST_UPDATED) {
    /* A run: the same actor adding to the same playlist again within the
     * gap grows the last entry about it. */
    struct db_val p[] = {DB_I(e->object_id), DB_I(e->actor),
                         DB_I(ACTIVITY_SESSION_GAP)};
    struct db_res res;
    int rc = db_exec(d, a,
                     "SELECT id FROM activities WHERE object_type = "
                     "'playlist' AND object_id = ? AND actor_id = ? AND kind "
                     "= 'playlist_updated' AND last_at > UTC_TIMESTAMP(3) - "
                     "INTERVAL ? / 1000 SECOND ORDER BY id DESC LIMIT 1",
                     p, 3, DB_IDEMPOTENT, &res);
    if (rc) return rc;
    if (res.nrows) {
      struct db_val u[] = {DB_I(e->count > 0 ? e->count : 1),
                           DB_I(db_i64(&res.rows[0], 0, 0))};
      return db_exec(d, NULL,
                     "UPDATE activities SET count = count + ?, last_at = "
                     "UTC_TIMESTAMP(3) WHERE id = ?",
                     u, 2, 0, NULL);
    }
  }
  return insert(d, e, now, &id);
}

static int cmp_ll(const void *x, const void *y) {
  long long p = *(const long long *)x, q = *(const long long *)y;
  return (p > q) - (p < q);
}

/* summarize: set session id's span and its count and most heard artist from
 * the listens themselves. A listen of a track without a primary artist
 * counts, under no artist (NULL, last in the order): a session of such
 * tracks only names none. */
static int summarize(struct db *d, struct arena *a, long long user_id,
                     long long id, long long first, long long last) {
  char f[32], l[32];
  timefmt_sql(f, sizeof f, first);
  timefmt_sql(l, sizeof l, last);
  struct db_val p[] = {DB_I(user_id), DB_S(f), DB_S(l),
                       DB_I(user_id), DB_S(f), DB_S(l)};
  struct db_res res;
  /* The listens counted apart: a track of two primary artists is one. */
  int rc =
      db_exec(d, a,
              "SELECT ta.artist_id, COUNT(*) AS c, (SELECT COUNT(*) FROM "
              "listens l2 " LISTENS_BY_USER_TIME " WHERE l2.user_id = ? AND "
              "l2.listened_at "
              "BETWEEN ? AND ?) FROM listens l " LISTENS_BY_USER_TIME
              " LEFT JOIN track_artists "
              "ta ON ta.track_id = l.track_id AND ta.role = 'primary' "
              "WHERE l.user_id = ? AND l.listened_at BETWEEN ? AND ? "
              "GROUP BY ta.artist_id ORDER BY ta.artist_id IS NULL, c "
              "DESC, ta.artist_id LIMIT 1",
              p, 6, DB_IDEMPOTENT, &res);
  if (rc || res.nrows == 0) return rc;
  const struct db_row *row = &res.rows[0];
  long long artist = db_i64(row, 0, 0);
  struct db_val u[] = {
      DB_I(db_i64(row, 2, 1)), DB_S(f), DB_S(l), artist ? DB_I(artist) : DB_NUL,
      DB_I(db_i64(row, 1, 0)), DB_I(id)};
  return db_exec(d, NULL,
                 "UPDATE activities SET count = ?, first_at = ?, last_at = ?, "
                 "detail = JSON_OBJECT('artist_id', ?, 'artist_count', ?) "
                 "WHERE id = ?",
                 u, 6, 0, NULL);
}

/* fold: fold the sorted times t[0..m) into user_id's listening sessions.
 * Each span of new listens (gaps under ACTIVITY_SESSION_GAP) grows the
 * latest session when it comes within the gap of it (before or after: an
 * upload may be late), else makes a session of its own; a session then
 * takes its count, span and artist from the listens themselves. */
static int fold(struct db *d, struct arena *a, long long user_id,
                const long long *t, int m) {
  struct db_val p = DB_I(user_id);
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT id, FLOOR(UNIX_TIMESTAMP(first_at) * 1000), "
                   "FLOOR(UNIX_TIMESTAMP(last_at) * 1000) FROM activities "
                   "WHERE actor_id = ? AND kind = 'listened' ORDER BY id "
                   "DESC LIMIT 1",
                   &p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  long long latest = 0, l_first = 0, l_last = 0;
  if (res.nrows) {
    latest = db_i64(&res.rows[0], 0, 0);
    l_first = db_i64(&res.rows[0], 1, 0);
    l_last = db_i64(&res.rows[0], 2, 0);
  }
  const struct activity_event ev = {
      .kind = ACTIVITY_LISTENED, .actor = user_id, .count = 1};
  long long first = t[0], last = t[0];
  for (int i = 1; i <= m && !rc; i++) {
    if (i < m && t[i] - last <= ACTIVITY_SESSION_GAP) {
      last = t[i]; /* sorted: never earlier */
      continue;
    }
    /* The span [first, last] ends here. */
    long long sid = 0;
    if (latest && first <= l_last + ACTIVITY_SESSION_GAP &&
        last + ACTIVITY_SESSION_GAP >= l_first) {
      sid = latest;
      l_first = first < l_first ? first : l_first;
      l_last = last > l_last ? last : l_last;
      first = l_first;
      last = l_last;
    }
    if (!sid) rc = insert(d, &ev, last, &sid);
    if (!rc) rc = summarize(d, a, user_id, sid, first, last);
    if (i < m) first = last = t[i];
  }
  return rc;
}

/* sessions_once: fold in one transaction that first locks the user's row:
 * listens stored by two requests at once fold one after the other, never
 * into two sessions. */
static int sessions_once(struct db *d, struct arena *a, long long user_id,
                         const long long *t, int m) {
  int rc = db_begin(d);
  if (!rc) rc = cap_lock_user(d, a, user_id);
  if (!rc) rc = fold(d, a, user_id, t, m);
  if (!rc) return db_commit(d);
  db_rollback(d);
  return rc;
}

int activity_listens(struct db *d, struct arena *a, long long user_id,
                     const long long *at_ms, int n) {
  long long recent = now_ms() - ACTIVITY_LISTEN_RECENT;
  long long *t = arena_alloc(a, sizeof *t * (size_t)(n ? n : 1));
  int m = 0, rc, tries = 0;
  if (!t) return RC_NOMEM;
  for (int i = 0; i < n; i++)
    if (at_ms[i] >= recent) t[m++] = at_ms[i];
  if (m == 0) return 0;
  qsort(t, (size_t)m, sizeof *t, cmp_ll);
  do
    rc = sessions_once(d, a, user_id, t, m);
  while (db_retry(rc, &tries));
  return rc;
}
