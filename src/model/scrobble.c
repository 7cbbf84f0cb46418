/* scrobble: storing scrobbles, now playing, the daily count; see
 * scrobble.h.
 *
 * A batch is matched in two statements (model/match.h); the matched part
 * goes through listen_store like any listen (one transaction, queued for
 * scrobbling out), the rest through one INSERT IGNORE ... SELECT over a
 * JSON_TABLE of the batch into text_listens, whose RETURNING names the rows
 * that went in: the others were there already (a client's retry). The
 * statement text is the same for every batch size, so it is prepared once
 * per connection. */
#include "model/scrobble.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/rnd.h"
#include "core/timefmt.h"
#include "model/cap.h"
#include "model/listen.h"
#include "model/match.h"
#include "model/outbox.h"

/* forwarded: sources whose text listens are sent on (outbox.h). */
static bool forwarded(const char *source) {
  return !strcmp(source, "lastfm") || !strcmp(source, "listenbrainz");
}

/* store_matched: the scrobbles with a track, through listen_store. */
static int store_matched(struct db *d, struct kv *k, struct arena *a,
                         long long user, const char *source, struct scrobble *s,
                         const struct match_item *m, const int *idx, int n) {
  struct listen_in *li = arena_alloc(a, sizeof *li * (size_t)(n + 1));
  int c = 0;
  if (!li) return RC_NOMEM;
  for (int i = 0; i < n; i++)
    if (m[i].track_id)
      li[c++] = (struct listen_in){.track_id = m[i].track_id,
                                   .at_ms = s[idx[i]].at_ms,
                                   .ms_played = s[idx[i]].ms_played,
                                   .source = source,
                                   .status = LISTEN_PENDING};
  if (!c) return 0;
  int rc = listen_store(d, k, a, user, li, c);
  if (rc) return rc;
  c = 0;
  for (int i = 0; i < n; i++) {
    if (!m[i].track_id) continue;
    struct scrobble *x = &s[idx[i]];
    x->track_id = m[i].track_id;
    x->status =
        li[c++].status == LISTEN_STORED ? SCROBBLE_STORED : SCROBBLE_DUPLICATE;
  }
  return 0;
}

/* A text listen of the batch, for sorting out repeats. */
struct text_ref {
  struct scrobble *s;
  const struct match_item *m;
};

static int cmp_text(const void *x, const void *y) {
  const struct text_ref *a = x, *b = y;
  if (a->s->at_ms != b->s->at_ms) return a->s->at_ms < b->s->at_ms ? -1 : 1;
  int c = strcmp(a->m->title_key, b->m->title_key);
  return c ? c : strcmp(a->m->artist_key, b->m->artist_key);
}

/* text_count: how many text listens user keeps. */
static int text_count(struct db *d, struct arena *a, long long user,
                      long long *count) {
  struct db_val p = DB_I(user);
  struct db_res res;
  int rc = db_exec(d, a, CAP_COUNT("text_listens WHERE user_id = ?"), &p, 1,
                   DB_IDEMPOTENT, &res);
  *count = rc ? 0 : db_i64(&res.rows[0], 0, 0);
  return rc;
}

/* insert_text: t[0..n) (distinct keys, sorted) into text_listens in the
 * open transaction; each becomes KEPT or DUPLICATE. */
static int insert_text(struct db *d, struct arena *a, long long user,
                       const char *source, struct text_ref *t, int n) {
  json_object *rows = jx_own(a, json_object_new_array());
  if (!rows) return RC_NOMEM;
  for (int i = 0; i < n; i++) {
    const struct scrobble *s = t[i].s;
    char at[40];
    timefmt_sql(at, sizeof at, s->at_ms);
    json_object *r = json_object_new_array();
    json_object_array_add(r, json_object_new_string(at));
    json_object_array_add(r, json_object_new_string(s->artist));
    json_object_array_add(r, json_object_new_string(s->title));
    json_object_array_add(r,
                          s->album ? json_object_new_string(s->album) : NULL);
    json_object_array_add(
        r, s->duration_ms >= 0 ? json_object_new_int64(s->duration_ms) : NULL);
    json_object_array_add(
        r, s->ms_played >= 0 ? json_object_new_int64(s->ms_played) : NULL);
    json_object_array_add(r, s->mbid ? json_object_new_string(s->mbid) : NULL);
    json_object_array_add(r, json_object_new_string(t[i].m->title_key));
    json_object_array_add(r, json_object_new_string(t[i].m->artist_key));
    json_object_array_add(rows, r);
  }
  size_t len;
  const char *text = jx_text(a, rows, &len);
  if (!text) return RC_NOMEM;
  struct db_val p[] = {DB_I(user), DB_S(source), DB_S(text)};
  struct db_res res;
  int rc = db_exec(
      d, a,
      "INSERT IGNORE INTO text_listens (user_id, source, listened_at, artist, "
      "title, album, duration_ms, ms_played, recording_mbid, title_key, "
      "artist_key) SELECT ?, ?, j.at, j.artist, j.title, j.album, j.dur, "
      "j.played, j.mbid, j.tk, j.ak FROM JSON_TABLE(?, '$[*]' COLUMNS ("
      "at DATETIME(3) PATH '$[0]', "
      "artist VARCHAR(255) CHARACTER SET utf8mb4 PATH '$[1]', "
      "title VARCHAR(255) CHARACTER SET utf8mb4 PATH '$[2]', "
      "album VARCHAR(255) CHARACTER SET utf8mb4 PATH '$[3]', "
      "dur BIGINT PATH '$[4]', played BIGINT PATH '$[5]', "
      "mbid CHAR(36) CHARACTER SET ascii PATH '$[6]', "
      "tk VARCHAR(64) CHARACTER SET utf8mb4 PATH '$[7]', "
      "ak VARCHAR(64) CHARACTER SET utf8mb4 PATH '$[8]')) j "
      "RETURNING CAST(UNIX_TIMESTAMP(listened_at) * 1000 AS SIGNED), "
      "title_key, artist_key",
      p, 3, 0, &res);
  if (rc) return rc;
  for (int i = 0; i < n; i++)
    t[i].s->status = SCROBBLE_DUPLICATE;
  for (int r = 0; r < res.nrows; r++) {
    struct scrobble key_s = {.at_ms = db_i64(&res.rows[r], 0, 0)};
    struct match_item key_m = {.title_key = db_s(&res.rows[r], 1),
                               .artist_key = db_s(&res.rows[r], 2)};
    struct text_ref key = {&key_s, &key_m};
    if (!key_m.title_key || !key_m.artist_key) continue;
    struct text_ref *hit = bsearch(&key, t, (size_t)n, sizeof *t, cmp_text);
    if (hit) hit->s->status = SCROBBLE_KEPT;
  }
  if (!forwarded(source)) return 0;
  struct outbox_item *o = arena_alloc(a, sizeof *o * (size_t)n);
  int m = 0;
  if (!o) return RC_NOMEM;
  for (int i = 0; i < n; i++)
    if (t[i].s->status == SCROBBLE_KEPT)
      o[m++] = (struct outbox_item){.at_ms = t[i].s->at_ms,
                                    .artist = t[i].s->artist,
                                    .title = t[i].s->title,
                                    .album = t[i].s->album,
                                    .mbid = t[i].s->mbid,
                                    .duration_ms = t[i].s->duration_ms};
  return outbox_add(d, a, user, o, m);
}

/* store_text: the scrobbles without a track, as text listens, within the
 * user's cap. */
static int store_text(struct db *d, struct arena *a, long long user,
                      const char *source, struct scrobble *s,
                      const struct match_item *m, const int *idx, int n,
                      bool strict) {
  struct text_ref *t = arena_alloc(a, sizeof *t * (size_t)(n + 1));
  int c = 0;
  if (!t) return RC_NOMEM;
  for (int i = 0; i < n; i++)
    if (!m[i].track_id) t[c++] = (struct text_ref){&s[idx[i]], &m[i]};
  if (!c) return 0;
  qsort(t, (size_t)c, sizeof *t, cmp_text);
  int w = 0;
  for (int i = 0; i < c; i++) {
    if (w && !cmp_text(&t[w - 1], &t[i])) {
      t[i].s->status = SCROBBLE_DUPLICATE; /* twice in this batch */
      continue;
    }
    t[w++] = t[i];
  }
  c = w;
  int rc, tries = 0;
  do {
    long long have = 0;
    rc = db_begin(d);
    if (!rc) rc = cap_lock_user(d, a, user);
    if (!rc) rc = text_count(d, a, user, &have);
    int room = have >= CAP_USER_TEXT_LISTENS
                   ? 0
                   : (int)(CAP_USER_TEXT_LISTENS - have < c
                               ? CAP_USER_TEXT_LISTENS - have
                               : c);
    if (!rc && room < c && strict) rc = RC_LIMIT;
    if (!rc && room > 0) rc = insert_text(d, a, user, source, t, room);
    if (!rc) rc = db_commit(d);
    if (rc) {
      db_rollback(d);
    } else {
      for (int i = room; i < c; i++) {
        t[i].s->status = SCROBBLE_IGNORED;
        t[i].s->why = SCROBBLE_TEXT_FULL;
      }
    }
  } while (db_retry(rc, &tries));
  return rc;
}

int scrobble_store(struct db *d, struct kv *k, struct arena *a, long long user,
                   const char *source, struct scrobble *s, int n, bool strict) {
  struct match_item *m = arena_alloc(a, sizeof *m * (size_t)(n + 1));
  int *idx = arena_alloc(a, sizeof *idx * (size_t)(n + 1));
  int c = 0, rc;
  if (!m || !idx) return RC_NOMEM;
  for (int i = 0; i < n; i++) {
    if (s[i].status != SCROBBLE_PENDING) continue;
    s[i].track_id = 0;
    m[c] = (struct match_item){.artist = s[i].artist,
                               .title = s[i].title,
                               .mbid = s[i].mbid,
                               .duration_ms = s[i].duration_ms};
    if ((rc = match_prepare(a, &m[c]))) return rc;
    idx[c++] = i;
  }
  if (!c) return 0;
  if ((rc = match_resolve(d, a, m, c))) return rc;
  if (strict) {
    /* Refuse before anything is stored when the text would not fit. */
    long long have = 0, want = 0;
    for (int i = 0; i < c; i++)
      want += !m[i].track_id;
    if (want && (rc = text_count(d, a, user, &have))) return rc;
    if (want && have + want > CAP_USER_TEXT_LISTENS) return RC_LIMIT;
  }
  rc = store_matched(d, k, a, user, source, s, m, idx, c);
  if (!rc) rc = store_text(d, a, user, source, s, m, idx, c, strict);
  if (rc)
    for (int i = 0; i < c; i++)
      if (s[idx[i]].status != SCROBBLE_IGNORED)
        s[idx[i]].status = SCROBBLE_PENDING;
  return rc;
}

/* --- loves of tracks to come --------------------------------------------- */

int scrobble_love_text(struct db *d, struct arena *a, long long user,
                       const struct match_item *m, const char *artist,
                       const char *title, bool loved) {
  if (!loved) {
    struct db_val p[] = {DB_I(user), DB_S(m->title_key), DB_S(m->artist_key)};
    return db_exec(d, NULL,
                   "DELETE FROM text_loves WHERE user_id = ? AND title_key = "
                   "? AND artist_key = ?",
                   p, 3, DB_IDEMPOTENT, NULL);
  }
  static const struct cap_of loves = {
      .count_sql = CAP_COUNT("text_loves WHERE user_id = ?"),
      .cap = CAP_USER_TEXT_LOVES};
  struct db_val p[] = {DB_I(user), DB_S(m->title_key), DB_S(m->artist_key),
                       DB_S(artist), DB_S(title)};
  struct db_res res;
  int rc, tries = 0;
  do {
    rc = db_begin(d);
    if (!rc) rc = cap_lock_user(d, a, user);
    if (!rc)
      rc = cap_add(d, a,
                   "INSERT IGNORE INTO text_loves (user_id, title_key, "
                   "artist_key, artist, title) VALUES (?, ?, ?, ?, ?)",
                   p, 5, &loves, user, &res);
    if (!rc) rc = db_commit(d);
    if (rc) db_rollback(d);
  } while (db_retry(rc, &tries));
  return rc;
}

/* --- the daily count ------------------------------------------------------ */

int scrobble_day_take(struct db *d, struct arena *a, long long user, int want,
                      int *allowed) {
  struct db_val p = DB_I(user);
  struct db_res res;
  *allowed = 0;
  int rc = db_exec(d, a,
                   "SELECT count FROM scrobble_days WHERE user_id = ? AND day "
                   "= UTC_DATE()",
                   &p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  long long have = res.nrows ? db_i64(&res.rows[0], 0, 0) : 0;
  long long room = SCROBBLE_DAILY_MAX - have;
  *allowed = room <= 0 ? 0 : room < want ? (int)room : want;
  if (!*allowed) return 0;
  struct db_val q[] = {DB_I(user), DB_I(*allowed), DB_I(*allowed)};
  rc = db_exec(d, NULL,
               "INSERT INTO scrobble_days (user_id, day, count) VALUES (?, "
               "UTC_DATE(), ?) ON DUPLICATE KEY UPDATE count = count + ?",
               q, 3, 0, NULL);
  unsigned char r;
  rnd_bytes(&r, 1);
  if (!rc && r % 64 == 0)
    db_exec(d, NULL,
            "DELETE FROM scrobble_days WHERE day < UTC_DATE() - INTERVAL 2 "
            "DAY LIMIT 1000",
            NULL, 0, DB_IDEMPOTENT, NULL);
  return rc;
}

/* --- now playing ---------------------------------------------------------- */

#define NOW_DEFAULT_MS (10 * 60 * 1000LL)

int scrobble_now_set(struct db *d, struct arena *a, long long user,
                     const char *source, const struct scrobble_now *n) {
  struct match_item m = {
      .artist = n->artist, .title = n->title, .duration_ms = n->duration_ms};
  int rc = match_prepare(a, &m);
  if (!rc) rc = match_resolve(d, a, &m, 1);
  if (rc) return rc;
  long long dur = n->duration_ms > 0 ? n->duration_ms : NOW_DEFAULT_MS;
  struct db_val p[] = {DB_I(user),
                       DB_S(n->artist),
                       DB_S(n->title),
                       DB_S(n->album),
                       n->duration_ms >= 0 ? DB_I(n->duration_ms) : DB_NUL,
                       m.track_id ? DB_I(m.track_id) : DB_NUL,
                       DB_S(source),
                       DB_I(dur * 1000)};
  return db_exec(d, NULL,
                 "REPLACE INTO now_playing (user_id, artist, title, album, "
                 "duration_ms, track_id, source, started_at, expires_at) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3), "
                 "UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND)",
                 p, 8, DB_IDEMPOTENT, NULL);
}

int scrobble_now_get(struct db *d, struct arena *a, long long user,
                     struct scrobble_now *n) {
  struct db_val p = DB_I(user);
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT artist, title, album, duration_ms, "
                   "CAST(UNIX_TIMESTAMP(started_at) * 1000 AS SIGNED), "
                   "track_id FROM now_playing WHERE user_id = ? AND "
                   "expires_at > UTC_TIMESTAMP(3)",
                   &p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (!res.nrows) return RC_NOT_FOUND;
  const struct db_row *row = &res.rows[0];
  *n = (struct scrobble_now){.artist = db_s(row, 0),
                             .title = db_s(row, 1),
                             .album = db_s(row, 2),
                             .duration_ms = db_i64(row, 3, -1),
                             .started_ms = db_i64(row, 4, 0),
                             .track_id = db_i64(row, 5, 0)};
  return 0;
}
