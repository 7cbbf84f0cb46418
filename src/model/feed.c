/* feed: reading activity with privacy applied; see feed.h.
 *
 * A page is read in rounds. Each round takes the next candidates, newest
 * first — for a feed, the viewer's feed_items (fanned out when written)
 * merged with the latest activities of the heavily followed users the
 * viewer follows (not fanned out); for one actor, that actor's activities —
 * then loads them through one statement that applies every rule, so that a
 * candidate the viewer may no longer see is dropped. Rounds go on until the
 * page is full or the candidates run out (at most FEED_ROUNDS). */
#include "model/feed.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"
#include "model/activity.h"
#include "model/party.h"
#include "model/user.h"

/* Candidates loaded by one statement (its IN list). */
#define FEED_BATCH 40
/* Rounds of one page: a feed whose entries are almost all hidden ends a
 * page early rather than scanning without bound. */
#define FEED_ROUNDS 6
/* Heavily followed followees merged into one feed read. */
#define FEED_MERGED_MAX 200

#define Q10 "?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
#define FEED_IN "(" Q10 ", " Q10 ", " Q10 ", " Q10 ")"

/* The viewer's accepted follow of a user (one viewer parameter). */
#define FOLLOWS(user)                                                          \
  "EXISTS (SELECT 1 FROM follows vf WHERE vf.follower_id = ? AND "             \
  "vf.followee_id = " user " AND vf.state = 'accepted')"
/* A block between a user and the viewer, either way (two). */
#define BLOCKED(user)                                                          \
  "EXISTS (SELECT 1 FROM blocks bb WHERE (bb.blocker_id = " user " AND "       \
  "bb.blocked_id = ?) OR (bb.blocker_id = ? AND bb.blocked_id = " user "))"
/* A suspended user, as moderation hides them from others (no parameter). */
#define SUSPENDED(user)                                                        \
  "EXISTS (SELECT 1 FROM users su WHERE su.id = " user " AND su.status = "     \
  "'suspended')"
/* A playlist the viewer may see in activity: the viewer's, or public, not
 * hidden or held by moderation and of an owner not suspended (as
 * PLAYLIST_SEES); its owner has not blocked the viewer (two). */
#define PLAYLIST_SHOWN(id)                                                     \
  "EXISTS (SELECT 1 FROM playlists p WHERE p.id = " id " AND (p.owner_id = "   \
  "? OR (p.visibility = 'public' AND p.moderation = 'visible' AND "            \
  "NOT " SUSPENDED(                                                            \
      "p.owner_id") ")) AND NOT EXISTS (SELECT 1 FROM blocks pb WHERE "        \
                    "pb.blocker_id = p.owner_id AND pb.blocked_id = ?))"

/* What the viewer may see of activity a, kind by kind (every parameter is
 * the viewer). A listening session: the actor's history visibility lets
 * the viewer see it (three). */
#define SHOWN_LISTENED                                                         \
  "(a.kind = 'listened' AND (a.actor_id = ? OR CASE COALESCE((SELECT "         \
  "pr.history_visibility FROM user_preferences pr WHERE pr.user_id = "         \
  "a.actor_id), 'followers') WHEN 'public' THEN 1 WHEN 'followers' "           \
  "THEN " FOLLOWS("a.actor_id") " ELSE 0 END))"
/* A playlist made or added to: shown as the playlist is (two). */
#define SHOWN_PLAYLIST                                                         \
  "(a.kind IN ('playlist_created', 'playlist_updated') AND " PLAYLIST_SHOWN(   \
      "a.object_id") ")"
/* A like: still there, of an object that is (two). */
#define SHOWN_LIKED                                                            \
  "(a.kind = 'liked' AND EXISTS (SELECT 1 FROM likes lk WHERE lk.user_id = "   \
  "a.actor_id AND lk.object_type = a.object_type AND lk.object_id = "          \
  "a.object_id) AND ((a.object_type = 'track' AND EXISTS (SELECT 1 FROM "      \
  "tracks t WHERE t.id = a.object_id)) OR (a.object_type = 'album' AND "       \
  "EXISTS (SELECT 1 FROM albums al WHERE al.id = a.object_id)) OR "            \
  "(a.object_type = 'playlist' AND " PLAYLIST_SHOWN("a.object_id") ")))"
/* A follow: still accepted, of a user with no block between them and the
 * viewer (two). */
#define SHOWN_FOLLOWED                                                         \
  "(a.kind = 'followed' AND EXISTS (SELECT 1 FROM follows ff WHERE "           \
  "ff.follower_id = a.actor_id AND ff.followee_id = a.object_id AND "          \
  "ff.state = 'accepted') AND NOT " BLOCKED("a.object_id") ")"
/* A comment: still there and visible (moderation), its author has not
 * blocked the viewer, and what it is on is shown (three). */
#define SHOWN_COMMENTED                                                        \
  "(a.kind = 'commented' AND EXISTS (SELECT 1 FROM comments c WHERE c.id = "   \
  "a.object_id AND c.moderation = 'visible' AND NOT EXISTS (SELECT 1 FROM "    \
  "blocks cb WHERE cb.blocker_id = c.author_id AND cb.blocked_id = ?) AND "    \
  "(c.object_type <> 'playlist' "                                              \
  "OR " PLAYLIST_SHOWN("c.object_id") ")))"
/* A party started: shown to whoever may see the party (PARTY_SEES:
 * eight). */
#define SHOWN_PARTY                                                            \
  "(a.kind = 'party_started' AND EXISTS (SELECT 1 FROM parties pa WHERE "      \
  "pa.id = a.object_id AND " PARTY_SEES("pa", "?") "))"
/* The whole rule: an actor not suspended, no block between the actor and
 * the viewer, and the entry's kind shown. */
#define FEED_SHOWN                                                             \
  " AND NOT " SUSPENDED("a.actor_id") " AND NOT " BLOCKED(                     \
      "a.actor_id") " AND (" SHOWN_LISTENED " OR " SHOWN_PLAYLIST              \
                    " OR " SHOWN_LIKED " OR " SHOWN_FOLLOWED                   \
                    " OR " SHOWN_COMMENTED " OR " SHOWN_PARTY ")"

/* In a feed, besides: the viewer still follows the actor and has not muted
 * them. */
#define FEED_ONLY                                                              \
  " AND " FOLLOWS("a.actor_id") " AND NOT EXISTS (SELECT 1 FROM mutes m "      \
                                "WHERE m.muter_id = ? AND m.muted_id = "       \
                                "a.actor_id)"

/* The columns of an entry (named below). */
#define FEED_COLS                                                              \
  "SELECT a.id, a.kind, a.object_type, a.object_id, a.count, "                 \
  "FLOOR(UNIX_TIMESTAMP(a.first_at)), "                                        \
  "FLOOR(UNIX_TIMESTAMP(a.last_at)), " USER_BRIEF(                             \
      "u") ", CASE a.object_type "                                             \
           "WHEN 'playlist' THEN (SELECT name FROM playlists WHERE id = "      \
           "a.object_id) "                                                     \
           "WHEN 'track' THEN (SELECT title FROM tracks WHERE id = "           \
           "a.object_id) "                                                     \
           "WHEN 'album' THEN (SELECT title FROM albums WHERE id = "           \
           "a.object_id) "                                                     \
           "WHEN 'user' THEN (SELECT username FROM users WHERE id = "          \
           "a.object_id) "                                                     \
           "WHEN 'party' THEN (SELECT name FROM parties WHERE id = "           \
           "a.object_id) END, "                                                \
           "JSON_VALUE(a.detail, '$.artist_id'), (SELECT name FROM artists "   \
           "WHERE id "                                                         \
           "= JSON_VALUE(a.detail, '$.artist_id')), JSON_VALUE(a.detail, "     \
           "'$.artist_count'), (SELECT c.object_type FROM comments c WHERE "   \
           "c.id = "                                                           \
           "a.object_id AND a.object_type = 'comment'), (SELECT c.object_id "  \
           "FROM "                                                             \
           "comments c WHERE c.id = a.object_id AND a.object_type = "          \
           "'comment') "                                                       \
           "FROM activities a JOIN users u ON u.id = a.actor_id WHERE a.id "   \
           "IN " FEED_IN

enum feed_col {
  COL_ID,
  COL_KIND,
  COL_OBJECT_TYPE,
  COL_OBJECT_ID,
  COL_COUNT,
  COL_FIRST,
  COL_LAST,
  COL_ACTOR, /* four USER_BRIEF columns */
  COL_OBJECT_NAME = COL_ACTOR + 4,
  COL_ARTIST_ID,
  COL_ARTIST_NAME,
  COL_ARTIST_COUNT,
  COL_ON_TYPE,
  COL_ON_ID,
};

static const char sql_feed[] =
    FEED_COLS FEED_SHOWN FEED_ONLY " ORDER BY a.id DESC";
static const char sql_actor[] = FEED_COLS FEED_SHOWN " ORDER BY a.id DESC";

/* viewer_params: how many viewer parameters follow the IN list. */
static int viewer_params(const char *sql) {
  int n = 0;
  for (const char *p = sql; *p; p++)
    n += *p == '?';
  return n - FEED_BATCH;
}

/* entry: one row as the API shows it. */
static json_object *entry(const struct db_row *row) {
  json_object *o = json_object_new_object();
  const char *kind = db_s(row, COL_KIND);
  jx_add_int(o, "id", db_i64(row, COL_ID, 0));
  jx_add_str(o, "kind", kind);
  json_object_object_add(o, "actor", user_brief_json(row, COL_ACTOR));
  jx_add_time(o, "at", db_i64(row, COL_LAST, 0));
  jx_add_time(o, "started_at", db_i64(row, COL_FIRST, 0));
  if (!strcmp(kind, "listened") || !strcmp(kind, "playlist_updated"))
    jx_add_int(o, "count", db_i64(row, COL_COUNT, 1));
  if (db_s(row, COL_OBJECT_TYPE)) {
    json_object *obj = json_object_new_object();
    jx_add_str(obj, "type", db_s(row, COL_OBJECT_TYPE));
    jx_add_int(obj, "id", db_i64(row, COL_OBJECT_ID, 0));
    if (db_s(row, COL_OBJECT_NAME))
      jx_add_str(obj, "name", db_s(row, COL_OBJECT_NAME));
    if (db_s(row, COL_ON_TYPE)) {
      json_object *on = json_object_new_object();
      jx_add_str(on, "type", db_s(row, COL_ON_TYPE));
      jx_add_int(on, "id", db_i64(row, COL_ON_ID, 0));
      json_object_object_add(obj, "on", on);
    }
    json_object_object_add(o, "object", obj);
  }
  if (db_s(row, COL_ARTIST_NAME)) {
    json_object *ar = json_object_new_object();
    jx_add_int(ar, "id", db_i64(row, COL_ARTIST_ID, 0));
    jx_add_str(ar, "name", db_s(row, COL_ARTIST_NAME));
    jx_add_int(ar, "count", db_i64(row, COL_ARTIST_COUNT, 0));
    json_object_object_add(o, "artist", ar);
  }
  return o;
}

static int cmp_desc(const void *x, const void *y) {
  long long p = *(const long long *)x, q = *(const long long *)y;
  return (p < q) - (p > q);
}

/* ids_of: append column 0 of res to ids. */
static void ids_of(const struct db_res *res, long long *ids, int *n) {
  for (int i = 0; i < res->nrows; i++)
    ids[(*n)++] = db_i64(&res->rows[i], 0, 0);
}

/* candidates: up to `want` activity ids below `before`, newest first, into
 * ids (room for want * (FEED_MERGED_MAX + 1)); *n their count. */
static int candidates(struct db *d, struct arena *a, const struct feed_q *q,
                      long long before, int want, long long *ids, int *n) {
  struct db_res res;
  *n = 0;
  if (q->actor) {
    struct db_val p[] = {DB_I(q->actor), DB_I(before), DB_I(want)};
    int rc = db_exec(d, a,
                     "SELECT id FROM activities WHERE actor_id = ? AND id < "
                     "? ORDER BY id DESC LIMIT ?",
                     p, 3, DB_IDEMPOTENT, &res);
    if (!rc) ids_of(&res, ids, n);
    return rc;
  }
  struct db_val p[] = {DB_I(q->viewer), DB_I(before), DB_I(want)};
  int rc = db_exec(d, a,
                   "SELECT activity_id FROM feed_items WHERE user_id = ? AND "
                   "activity_id < ? ORDER BY activity_id DESC LIMIT ?",
                   p, 3, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  ids_of(&res, ids, n);
  /* The heavily followed followees: few, found from the few heavy users. */
  struct db_val h[] = {DB_I(q->viewer), DB_I(FEED_FANOUT_MAX),
                       DB_I(FEED_MERGED_MAX)};
  struct db_res heavy;
  rc = db_exec(d, a,
               "SELECT u.id FROM users u JOIN follows f ON f.follower_id = ? "
               "AND f.followee_id = u.id AND f.state = 'accepted' WHERE "
               "u.follower_count >= ? LIMIT ?",
               h, 3, DB_IDEMPOTENT, &heavy);
  for (int i = 0; !rc && i < heavy.nrows; i++) {
    struct db_val r[] = {DB_I(db_i64(&heavy.rows[i], 0, 0)), DB_I(before),
                         DB_I(want)};
    rc = db_exec(d, a,
                 "SELECT id FROM activities WHERE actor_id = ? AND id < ? "
                 "ORDER BY id DESC LIMIT ?",
                 r, 3, DB_IDEMPOTENT, &res);
    if (!rc) ids_of(&res, ids, n);
  }
  if (rc) return rc;
  /* Merged newest first, each once, the first `want`. */
  qsort(ids, (size_t)*n, sizeof *ids, cmp_desc);
  int m = 0;
  for (int i = 0; i < *n && m < want; i++)
    if (m == 0 || ids[i] != ids[m - 1]) ids[m++] = ids[i];
  *n = m;
  return 0;
}

int feed_read(struct db *d, struct arena *a, const struct feed_q *q,
              json_object **items, long long *next) {
  const char *sql = q->actor ? sql_actor : sql_feed;
  int nviewer = viewer_params(sql);
  struct db_val p[FEED_BATCH + 64];
  long long *ids =
      arena_alloc(a, sizeof *ids * FEED_BATCH * (FEED_MERGED_MAX + 1));
  json_object *arr = jx_own(a, json_object_new_array());
  if (!ids || !arr || nviewer > 64) return RC_NOMEM;
  *items = arr;
  *next = 0;
  long long before = q->after ? q->after : INT64_MAX;
  int shown = 0;
  for (int round = 0; round < FEED_ROUNDS && shown < q->limit; round++) {
    int n, rc = candidates(d, a, q, before, FEED_BATCH, ids, &n);
    if (rc) return rc;
    if (n == 0) return 0; /* the end: no next page */
    for (int i = 0; i < FEED_BATCH; i++)
      p[i] = DB_I(i < n ? ids[i] : 0);
    for (int i = 0; i < nviewer; i++)
      p[FEED_BATCH + i] = DB_I(q->viewer);
    struct db_res res;
    rc = db_exec(d, a, sql, p, FEED_BATCH + nviewer, DB_IDEMPOTENT, &res);
    if (rc) return rc;
    for (int i = 0; i < res.nrows && shown < q->limit; i++) {
      json_object_array_add(arr, entry(&res.rows[i]));
      shown++;
      before = db_i64(&res.rows[i], COL_ID, 0);
    }
    if (shown < q->limit) before = ids[n - 1]; /* every candidate read */
  }
  *next = before;
  return 0;
}
