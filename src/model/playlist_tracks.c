/* playlist_tracks: a playlist's tracks: the page of them a reader sees and
 * the edits (add, remove, remove a range, move) that keep their positions
 * dense, each one transaction under the playlist's lock (playlist.h). */
#include "model/playlist.h"

#include <stdbool.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"
#include "model/playlist_internal.h"
#include "model/search.h"

/* Ten and a hundred placeholders / rows, so batch statements stay string
 * literals (the statement cache key) whatever the batch holds. */
#define Q10 "?,?,?,?,?,?,?,?,?,?"
#define Q100                                                                   \
  Q10 "," Q10 "," Q10 "," Q10 "," Q10 "," Q10 "," Q10 "," Q10 "," Q10 "," Q10
#define ROW "(?,?,?,?)"
#define ROW10                                                                  \
  ROW "," ROW "," ROW "," ROW "," ROW "," ROW "," ROW "," ROW "," ROW "," ROW
#define ROW100                                                                 \
  ROW10 "," ROW10 "," ROW10 "," ROW10 "," ROW10 "," ROW10 "," ROW10 "," ROW10  \
        "," ROW10 "," ROW10
#define BATCH 100

/* Positions parked above every real one while a range moves (positions are
 * below PLAYLIST_MAX_TRACKS). */
#define PARK 1000000LL

/* bump: the new snapshot and track count of a locked playlist. */
static int bump(struct db *d, long long id, long long count,
                long long *snapshot) {
  struct db_val v[] = {DB_I(count), DB_I(id)};
  int rc = db_exec(d, NULL,
                   "UPDATE playlists SET snapshot = snapshot + 1, "
                   "track_count = ? WHERE id = ?",
                   v, 2, 0, NULL);
  if (!rc) *snapshot += 1;
  return rc;
}

/* bad: say which input field an edit refuses, and why. */
static void bad(struct playlist_err *err, const char *field,
                const char *message, long long index) {
  if (err) {
    err->field = field;
    err->message = message;
    err->index = index;
  }
}

int playlist_tracks(struct db *d, struct arena *a, long long id,
                    long long after, int limit, json_object *items,
                    long long *next) {
  struct db_res res, art;
  struct db_val v[] = {DB_I(id), DB_I(after), DB_I(limit + 1)};
  *next = -1;
  int rc = db_exec(d, a,
                   "SELECT pt.position, t.id, t.title, t.duration_ms, "
                   "FLOOR(UNIX_TIMESTAMP(pt.added_at)), pt.added_by, "
                   "u.username FROM playlist_tracks pt "
                   "JOIN tracks t ON t.id = pt.track_id "
                   "LEFT JOIN users u ON u.id = pt.added_by "
                   "WHERE pt.playlist_id = ? AND pt.position > ? "
                   "ORDER BY pt.position LIMIT ?",
                   v, 3, DB_IDEMPOTENT, &res);
  if (rc || res.nrows == 0) return rc;
  int n = res.nrows > limit ? limit : res.nrows;
  long long first = db_i64(&res.rows[0], 0, 0);
  long long last = db_i64(&res.rows[n - 1], 0, 0);
  if (res.nrows > limit) *next = last;
  struct db_val w[] = {DB_I(id), DB_I(first), DB_I(last)};
  rc = db_exec(d, a,
               "SELECT pt.position, ar.id, ar.name, ta.role "
               "FROM playlist_tracks pt "
               "JOIN track_artists ta ON ta.track_id = pt.track_id "
               "JOIN artists ar ON ar.id = ta.artist_id "
               "WHERE pt.playlist_id = ? AND pt.position BETWEEN ? AND ? "
               "ORDER BY pt.position, ta.role, ta.position",
               w, 3, DB_IDEMPOTENT, &art);
  if (rc) return rc;
  json_object **arts = arena_alloc(a, sizeof *arts * (size_t)n);
  if (!arts) return RC_NOMEM;
  for (int i = 0; i < n; i++) {
    const struct db_row *r = &res.rows[i];
    json_object *it = json_object_new_object();
    json_object *t = json_object_new_object();
    jx_add_int(it, "position", db_i64(r, 0, 0));
    jx_add_int(t, "id", db_i64(r, 1, 0));
    jx_add_str(t, "title", db_s(r, 2));
    arts[i] = json_object_new_array();
    json_object_object_add(t, "artists", arts[i]);
    jx_add_int(t, "duration_ms", db_i64(r, 3, 0));
    json_object_object_add(it, "track", t);
    jx_add_time(it, "added_at", db_i64(r, 4, 0));
    if (db_s(r, 5)) {
      json_object *by = json_object_new_object();
      jx_add_int(by, "id", db_i64(r, 5, 0));
      jx_add_str(by, "username", db_s(r, 6));
      json_object_object_add(it, "added_by", by);
    } else {
      json_object_object_add(it, "added_by", NULL);
    }
    json_object_array_add(items, it);
  }
  /* Positions of one page are consecutive (they are dense). */
  for (int i = 0; i < art.nrows; i++) {
    const struct db_row *r = &art.rows[i];
    long long at = db_i64(r, 0, -1) - first;
    if (at < 0 || at >= n) continue;
    json_object *o = json_object_new_object();
    jx_add_int(o, "id", db_i64(r, 1, 0));
    jx_add_str(o, "name", db_s(r, 2));
    jx_add_str(o, "role", db_s(r, 3));
    json_object_array_add(arts[at], o);
  }
  return 0;
}

/* missing_track: the index of the first of ids[0..n) that is no track, or
 * -1 when all are; checked a hundred at a time. The tracks found are share
 * locked (as the insert's foreign-key check would, in the same order), so
 * none can be deleted before the rows referring to them go in. */
static int missing_track(struct db *d, struct arena *a, const long long *ids,
                         int n, long long *index) {
  struct db_val v[BATCH];
  *index = -1;
  for (int at = 0; at < n; at += BATCH) {
    int m = n - at < BATCH ? n - at : BATCH;
    struct db_res res;
    for (int i = 0; i < BATCH; i++)
      v[i] = DB_I(ids[at + (i < m ? i : 0)]);
    int rc = db_exec(
        d, a, "SELECT id FROM tracks WHERE id IN (" Q100 ") LOCK IN SHARE MODE",
        v, BATCH, 0, &res);
    if (rc) return rc;
    if (res.nrows == m) continue; /* ids within a batch may repeat */
    for (int i = 0; i < m; i++) {
      bool found = false;
      for (int j = 0; j < res.nrows && !found; j++)
        found = db_i64(&res.rows[j], 0, 0) == ids[at + i];
      if (!found) {
        *index = at + i;
        return 0;
      }
    }
  }
  return 0;
}

static int add_once(struct db *d, struct kv *k, struct arena *a, long long id,
                    long long viewer, const long long *ids, int n,
                    long long position, long long expect, long long *snapshot,
                    struct playlist_err *err) {
  struct playlist_locked l;
  int rc = playlist_lock(d, a, id, viewer, PLAYLIST_NEED_EDIT, expect, &l);
  *snapshot = l.snapshot;
  if (rc) return rc;
  long long at = position < 0 ? l.count : position, miss;
  if (at > l.count) {
    bad(err, "position", "must be at most the number of tracks", -1);
    rc = RC_INVALID;
  } else if (l.count + n > PLAYLIST_MAX_TRACKS) {
    bad(err, "track_ids", "a playlist holds at most 10000 tracks", -1);
    rc = RC_INVALID;
  } else if (!(rc = missing_track(d, a, ids, n, &miss)) && miss >= 0) {
    bad(err, "track_ids", "no such track", miss);
    rc = RC_INVALID;
  }
  if (!rc && at < l.count) {
    /* Highest first, so no shifted row meets one not yet shifted. */
    struct db_val v[] = {DB_I(n), DB_I(id), DB_I(at)};
    rc = db_exec(d, NULL,
                 "UPDATE playlist_tracks SET position = position + ? "
                 "WHERE playlist_id = ? AND position >= ? "
                 "ORDER BY position DESC",
                 v, 3, 0, NULL);
  }
  for (int i = 0; !rc && i < n;) {
    struct db_val v[4 * BATCH];
    if (n - i >= BATCH) {
      for (int j = 0; j < BATCH; j++) {
        v[4 * j] = DB_I(id);
        v[4 * j + 1] = DB_I(at + i + j);
        v[4 * j + 2] = DB_I(ids[i + j]);
        v[4 * j + 3] = DB_I(viewer);
      }
      rc = db_exec(d, NULL,
                   "INSERT INTO playlist_tracks (playlist_id, position, "
                   "track_id, added_by) VALUES " ROW100,
                   v, 4 * BATCH, 0, NULL);
      i += BATCH;
    } else {
      v[0] = DB_I(id);
      v[1] = DB_I(at + i);
      v[2] = DB_I(ids[i]);
      v[3] = DB_I(viewer);
      rc = db_exec(d, NULL,
                   "INSERT INTO playlist_tracks (playlist_id, position, "
                   "track_id, added_by) VALUES " ROW,
                   v, 4, 0, NULL);
      i++;
    }
  }
  if (!rc) rc = bump(d, id, l.count + n, &l.snapshot);
  rc = playlist_commit(d, k, id, rc, l.snapshot, snapshot);
  if (rc) return rc;
  search_index(d, a, SEARCH_PLAYLIST, id);
  return 0;
}

int playlist_add(struct db *d, struct kv *k, struct arena *a, long long id,
                 long long viewer, const long long *ids, int n,
                 long long position, long long expect, long long *snapshot,
                 struct playlist_err *err) {
  int rc, tries = 0;
  do
    rc = add_once(d, k, a, id, viewer, ids, n, position, expect, snapshot, err);
  while (db_retry(rc, &tries));
  return rc;
}

static int remove_once(struct db *d, struct kv *k, struct arena *a,
                       long long id, long long viewer, const long long *pos,
                       int n, long long expect, long long *snapshot,
                       struct playlist_err *err) {
  struct playlist_locked l;
  int rc = playlist_lock(d, a, id, viewer, PLAYLIST_NEED_EDIT, expect, &l);
  *snapshot = l.snapshot;
  if (rc) return rc;
  long long low = PLAYLIST_MAX_TRACKS;
  for (int i = 0; i < n; i++) {
    if (pos[i] >= l.count) {
      bad(err, "positions", "past the last track", i);
      db_rollback(d);
      return RC_INVALID;
    }
    if (pos[i] < low) low = pos[i];
  }
  for (int i = 0; !rc && i < n; i += BATCH) {
    int m = n - i < BATCH ? n - i : BATCH;
    struct db_val v[BATCH + 1];
    v[0] = DB_I(id);
    for (int j = 0; j < BATCH; j++)
      v[1 + j] = DB_I(pos[i + (j < m ? j : 0)]);
    rc = db_exec(d, NULL,
                 "DELETE FROM playlist_tracks WHERE playlist_id = ? "
                 "AND position IN (" Q100 ")",
                 v, BATCH + 1, 0, NULL);
  }
  if (!rc) rc = playlist_renumber(d, id, low);
  if (!rc) rc = bump(d, id, l.count - n, &l.snapshot);
  rc = playlist_commit(d, k, id, rc, l.snapshot, snapshot);
  if (rc) return rc;
  search_index(d, a, SEARCH_PLAYLIST, id);
  return 0;
}

int playlist_remove(struct db *d, struct kv *k, struct arena *a, long long id,
                    long long viewer, const long long *pos, int n,
                    long long expect, long long *snapshot,
                    struct playlist_err *err) {
  int rc, tries = 0;
  do
    rc = remove_once(d, k, a, id, viewer, pos, n, expect, snapshot, err);
  while (db_retry(rc, &tries));
  return rc;
}

static int remove_range_once(struct db *d, struct kv *k, struct arena *a,
                             long long id, long long viewer, long long start,
                             long long length, long long expect,
                             long long *snapshot, struct playlist_err *err) {
  struct playlist_locked l;
  int rc = playlist_lock(d, a, id, viewer, PLAYLIST_NEED_EDIT, expect, &l);
  *snapshot = l.snapshot;
  if (rc) return rc;
  if (start + length > l.count) {
    bad(err, start >= l.count ? "range_start" : "range_length",
        "the range ends past the last track", -1);
    db_rollback(d);
    return RC_INVALID;
  }
  struct db_val v[] = {DB_I(id), DB_I(start), DB_I(start + length)};
  rc = db_exec(d, NULL,
               "DELETE FROM playlist_tracks WHERE playlist_id = ? "
               "AND position >= ? AND position < ?",
               v, 3, 0, NULL);
  if (!rc) {
    struct db_val w[] = {DB_I(length), DB_I(id), DB_I(start + length)};
    rc = db_exec(d, NULL,
                 "UPDATE playlist_tracks SET position = position - ? "
                 "WHERE playlist_id = ? AND position >= ? ORDER BY position",
                 w, 3, 0, NULL);
  }
  if (!rc) rc = bump(d, id, l.count - length, &l.snapshot);
  rc = playlist_commit(d, k, id, rc, l.snapshot, snapshot);
  if (rc) return rc;
  search_index(d, a, SEARCH_PLAYLIST, id);
  return 0;
}

int playlist_remove_range(struct db *d, struct kv *k, struct arena *a,
                          long long id, long long viewer, long long start,
                          long long length, long long expect,
                          long long *snapshot, struct playlist_err *err) {
  int rc, tries = 0;
  do
    rc = remove_range_once(d, k, a, id, viewer, start, length, expect, snapshot,
                           err);
  while (db_retry(rc, &tries));
  return rc;
}

static int move_once(struct db *d, struct kv *k, struct arena *a, long long id,
                     long long viewer, long long start, long long length,
                     long long before, long long expect, long long *snapshot,
                     struct playlist_err *err) {
  struct playlist_locked l;
  int rc = playlist_lock(d, a, id, viewer, PLAYLIST_NEED_EDIT, expect, &l);
  *snapshot = l.snapshot;
  if (rc) return rc;
  if (start + length > l.count) {
    bad(err, start >= l.count ? "range_start" : "range_length",
        "the range ends past the last track", -1);
    rc = RC_INVALID;
  } else if (before > l.count) {
    bad(err, "insert_before", "must be at most the number of tracks", -1);
    rc = RC_INVALID;
  }
  if (rc) {
    db_rollback(d);
    return rc;
  }
  if (before >= start && before <= start + length) /* onto itself */
    return db_commit(d);
  /* Park the range above every position at its final place, shift the
   * tracks between, then bring the range down. */
  long long dest = before < start ? before : before - length;
  struct db_val v1[] = {DB_I(PARK + dest), DB_I(start), DB_I(id), DB_I(start),
                        DB_I(start + length)};
  rc = db_exec(d, NULL,
               "UPDATE playlist_tracks SET position = position + ? - ? "
               "WHERE playlist_id = ? AND position >= ? AND position < ?",
               v1, 5, 0, NULL);
  if (!rc && before < start) {
    struct db_val v2[] = {DB_I(length), DB_I(id), DB_I(before), DB_I(start)};
    rc = db_exec(d, NULL,
                 "UPDATE playlist_tracks SET position = position + ? "
                 "WHERE playlist_id = ? AND position >= ? AND position < ? "
                 "ORDER BY position DESC",
                 v2, 4, 0, NULL);
  } else if (!rc) {
    struct db_val v2[] = {DB_I(length), DB_I(id), DB_I(start + length),
                          DB_I(before)};
    rc = db_exec(d, NULL,
                 "UPDATE playlist_tracks SET position = position - ? "
                 "WHERE playlist_id = ? AND position >= ? AND position < ? "
                 "ORDER BY position",
                 v2, 4, 0, NULL);
  }
  if (!rc) {
    struct db_val v3[] = {DB_I(PARK), DB_I(id), DB_I(PARK)};
    rc = db_exec(d, NULL,
                 "UPDATE playlist_tracks SET position = position - ? "
                 "WHERE playlist_id = ? AND position >= ? ORDER BY position",
                 v3, 3, 0, NULL);
  }
  if (!rc) rc = bump(d, id, l.count, &l.snapshot);
  return playlist_commit(d, k, id, rc, l.snapshot, snapshot);
}

int playlist_move(struct db *d, struct kv *k, struct arena *a, long long id,
                  long long viewer, long long start, long long length,
                  long long before, long long expect, long long *snapshot,
                  struct playlist_err *err) {
  int rc, tries = 0;
  do
    rc = move_once(d, k, a, id, viewer, start, length, before, expect, snapshot,
                   err);
  while (db_retry(rc, &tries));
  return rc;
}
