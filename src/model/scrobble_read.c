/* scrobble_read: a user's scrobbles read back the way scrobbling clients
 * ask for them (Last.fm's user.getRecentTracks, ListenBrainz's listens):
 * listens and text listens merged by time, newest first; see scrobble.h. */
#include "model/scrobble.h"

#include <stdint.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/rc.h"
#include "core/timefmt.h"
#include "model/listen.h"

/* Bounds standing for "unbounded". */
#define TIME_MIN "1000-01-01 00:00:00.000"
#define TIME_MAX "9999-12-31 23:59:59.999"

/* The track's first primary artist (column `what` of it). */
#define PRIMARY(what)                                                          \
  "(SELECT ar." what " FROM track_artists ta JOIN artists ar ON ar.id = "      \
  "ta.artist_id WHERE ta.track_id = t.id AND ta.role = 'primary' ORDER BY "    \
  "ta.position, ar.id LIMIT 1)"

static const char *bound(struct arena *a, long long ms, const char *dflt) {
  char buf[40];
  if (!ms) return dflt;
  timefmt_sql(buf, sizeof buf, ms);
  return arena_strdup(a, buf);
}

int scrobble_recent(struct db *d, struct arena *a,
                    const struct scrobble_window *w,
                    struct scrobble_played *out, int *n, long long *total) {
  const char *from = bound(a, w->from_ms, TIME_MIN);
  const char *to = bound(a, w->to_ms, TIME_MAX);
  if (!from || !to) return RC_NOMEM;
  long long upto = w->offset + w->limit;
  struct db_val p[] = {DB_I(w->user),  DB_S(from),     DB_S(to), DB_I(upto),
                       DB_I(w->user),  DB_S(from),     DB_S(to), DB_I(upto),
                       DB_I(w->limit), DB_I(w->offset)};
  struct db_res res;
  *n = 0;
  /* Each side is cut to offset + limit rows of its own index range before
   * the merge. */
  int rc = db_exec(
      d, a,
      "SELECT x.at, x.artist, x.title, x.album, x.mbid, x.amb, x.dur, x.tid "
      "FROM ((SELECT CAST(UNIX_TIMESTAMP(l.listened_at) * 1000 AS SIGNED) AS "
      "at, l.id AS id, 0 AS k, " PRIMARY(
          "name") " AS artist, t.title AS "
                  "title, al.title AS album, t.mbid AS mbid, " PRIMARY(
                      "mbid") " AS amb, "
                              "t.duration_ms AS dur, t.id AS tid FROM listens "
                              "l " LISTENS_BY_USER_TIME
                              " JOIN tracks t ON t.id "
                              "= l.track_id LEFT JOIN albums al ON al.id = "
                              "t.album_id WHERE l.user_id "
                              "= ? AND l.listened_at >= ? AND l.listened_at < "
                              "? ORDER BY "
                              "l.listened_at DESC, l.id DESC LIMIT ?) UNION "
                              "ALL (SELECT "
                              "CAST(UNIX_TIMESTAMP(tl.listened_at) * 1000 AS "
                              "SIGNED), tl.id, 1, "
                              "tl.artist, tl.title, tl.album, "
                              "tl.recording_mbid, NULL, "
                              "tl.duration_ms, 0 FROM text_listens tl WHERE "
                              "tl.user_id = ? AND "
                              "tl.listened_at >= ? AND tl.listened_at < ? "
                              "ORDER BY tl.listened_at "
                              "DESC, tl.id DESC LIMIT ?)) x ORDER BY x.at "
                              "DESC, x.k, x.id DESC "
                              "LIMIT ? OFFSET ?",
      p, 10, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  for (int r = 0; r < res.nrows && r < w->limit; r++) {
    const struct db_row *row = &res.rows[r];
    out[(*n)++] = (struct scrobble_played){.at_ms = db_i64(row, 0, 0),
                                           .artist = db_s(row, 1),
                                           .title = db_s(row, 2),
                                           .album = db_s(row, 3),
                                           .mbid = db_s(row, 4),
                                           .artist_mbid = db_s(row, 5),
                                           .duration_ms = db_i64(row, 6, -1),
                                           .track_id = db_i64(row, 7, 0)};
  }
  if (!total) return 0;
  struct db_val q[] = {DB_I(w->user), DB_S(from), DB_S(to),
                       DB_I(w->user), DB_S(from), DB_S(to)};
  rc = db_exec(d, a,
               "SELECT (SELECT COUNT(*) FROM listens WHERE user_id = ? AND "
               "listened_at >= ? AND listened_at < ?) + (SELECT COUNT(*) "
               "FROM text_listens WHERE user_id = ? AND listened_at >= ? AND "
               "listened_at < ?)",
               q, 6, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  *total = db_i64(&res.rows[0], 0, 0);
  return 0;
}
