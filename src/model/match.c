/* match: scrobbles to tracks, now and later; see match.h. */
#include "model/match.h"

#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/str.h"
#include "model/like.h"
#include "model/search.h"
#include "model/user.h"

/* Words of a name kept by the normalization (a 255-character name has at
 * most 128). */
#define MATCH_WORDS 160
/* New tracks read per statement of a pass, and text listens per move. */
#define MATCH_CHUNK 500
/* Tracks younger than this wait for the next pass. */
#define MATCH_LAG_S 5

/* The JSON_TABLE column of a name, in the catalogue's collation. */
#define NAME_COL(n, path)                                                      \
  n " VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH "     \
    "'" path "'"
/* Durations agree within 15 s or 10% (a, b in ms; either may be NULL). */
#define DUR_CLOSE(a, b)                                                        \
  "(" a " IS NULL OR " b " IS NULL OR ABS(CAST(" a " AS SIGNED) - CAST(" b     \
  " AS SIGNED)) <= GREATEST(15000, " b " DIV 10))"
#define DUR_GAP(a, b)                                                          \
  "IF(" a " IS NULL OR " b " IS NULL, 0, ABS(CAST(" a " AS SIGNED) - CAST(" b  \
  " AS SIGNED)))"

char *match_norm(struct arena *a, const char *text) {
  size_t n = strlen(text);
  char *buf = arena_alloc(a, n + 2);
  const char *words[MATCH_WORDS];
  if (!buf) return NULL;
  int k = search_split(text, buf, n + 2, words, MATCH_WORDS);
  struct sbuf out;
  sbuf_init(&out, a);
  for (int i = 0; i < k; i++) {
    if (i) sbuf_addc(&out, ' ');
    sbuf_adds(&out, words[i]);
  }
  if (out.oom) return NULL;
  return out.s ? out.s : arena_strdup(a, "");
}

char *match_key(struct arena *a, const char *norm) {
  size_t chars = 0, i = 0;
  for (; norm[i]; i++)
    if (((unsigned char)norm[i] & 0xc0) != 0x80 && chars++ == MATCH_KEY_CHARS)
      break;
  /* trailing space of a cut, as SQL's LEFT leaves it: keep it (TRIM is
   * applied before LEFT in the index too) */
  return arena_strndup(a, norm, i);
}

int match_prepare(struct arena *a, struct match_item *it) {
  it->track_id = 0;
  it->title_norm = match_norm(a, it->title);
  it->artist_norm = match_norm(a, it->artist);
  if (!it->title_norm || !it->artist_norm) return RC_NOMEM;
  it->title_key = match_key(a, it->title_norm);
  it->artist_key = match_key(a, it->artist_norm);
  return it->title_key && it->artist_key ? 0 : RC_NOMEM;
}

/* by_mbid: items with a recording MBID, by tracks.mbid. */
static int by_mbid(struct db *d, struct arena *a, struct match_item *items,
                   int n) {
  json_object *rows = jx_own(a, json_object_new_array());
  if (!rows) return RC_NOMEM;
  for (int i = 0; i < n; i++) {
    if (!items[i].mbid || items[i].track_id) continue;
    json_object *r = json_object_new_array();
    json_object_array_add(r, json_object_new_int(i));
    json_object_array_add(r, json_object_new_string(items[i].mbid));
    json_object_array_add(rows, r);
  }
  if (!json_object_array_length(rows)) return 0;
  size_t len;
  const char *text = jx_text(a, rows, &len);
  if (!text) return RC_NOMEM;
  struct db_val p = DB_S(text);
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT STRAIGHT_JOIN j.i, t.id FROM JSON_TABLE(?, '$[*]' "
                   "COLUMNS (i INT PATH '$[0]', mbid CHAR(36) CHARACTER SET "
                   "utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$[1]')) j "
                   "JOIN tracks t ON t.mbid = j.mbid "
                   "ORDER BY j.i, t.popularity DESC, t.id",
                   &p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  for (int r = 0; r < res.nrows; r++) {
    long long i = db_i64(&res.rows[r], 0, -1);
    if (i >= 0 && i < n && !items[i].track_id)
      items[i].track_id = db_i64(&res.rows[r], 1, 0);
  }
  return 0;
}

/* by_names: the others, by normalized title and primary artist (the
 * search index's whole-name entries) and duration. */
static int by_names(struct db *d, struct arena *a, struct match_item *items,
                    int n) {
  json_object *rows = jx_own(a, json_object_new_array());
  if (!rows) return RC_NOMEM;
  for (int i = 0; i < n; i++) {
    struct match_item *it = &items[i];
    if (it->track_id || !*it->title_key || !*it->artist_key) continue;
    json_object *r = json_object_new_array();
    json_object_array_add(r, json_object_new_int(i));
    json_object_array_add(r, json_object_new_string(it->title_key));
    json_object_array_add(r, json_object_new_string(it->title_norm));
    json_object_array_add(r, json_object_new_string(it->artist_key));
    json_object_array_add(r, json_object_new_string(it->artist_norm));
    json_object_array_add(r, it->duration_ms >= 0
                                 ? json_object_new_int64(it->duration_ms)
                                 : NULL);
    json_object_array_add(rows, r);
  }
  if (!json_object_array_length(rows)) return 0;
  size_t len;
  const char *text = jx_text(a, rows, &len);
  if (!text) return RC_NOMEM;
  struct db_val p = DB_S(text);
  struct db_res res;
  /* From each item's title entry (one short range of the primary key) to
   * the track's primary artists, whose whole-name entry must be the
   * item's artist. */
  int rc = db_exec(
      d, a,
      "SELECT STRAIGHT_JOIN j.i, sw.object_id FROM JSON_TABLE(?, '$[*]' "
      "COLUMNS (i INT PATH '$[0]', " NAME_COL("tk", "$[1]") ", " NAME_COL("tn", "$[2]") ", " NAME_COL(
          "ak", "$[3]") ", " NAME_COL("an",
                                      "$[4]") ", dur BIGINT PATH '$[5]')) j "
                                              "JOIN search_words sw ON sw.kind "
                                              "= 0 AND sw.weight = 2 "
                                              "AND sw.word = j.tk AND sw.norm "
                                              "= j.tn "
                                              "JOIN track_artists ta ON "
                                              "ta.track_id = sw.object_id "
                                              "AND ta.role = 'primary' "
                                              "JOIN search_words sa ON sa.kind "
                                              "= 1 AND sa.weight = 2 "
                                              "AND sa.word = j.ak AND "
                                              "sa.object_id = ta.artist_id AND "
                                              "sa.norm = j.an "
                                              "WHERE " DUR_CLOSE(
                                                  "sw.dur",
                                                  "j.dur") " ORDER BY "
                                                           "j.i, " DUR_GAP("sw."
                                                                           "du"
                                                                           "r",
                                                                           "j."
                                                                           "du"
                                                                           "r") ", sw.pop DESC, sw.object_id",
      &p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  for (int r = 0; r < res.nrows; r++) {
    long long i = db_i64(&res.rows[r], 0, -1);
    if (i >= 0 && i < n && !items[i].track_id)
      items[i].track_id = db_i64(&res.rows[r], 1, 0);
  }
  return 0;
}

int match_resolve(struct db *d, struct arena *a, struct match_item *items,
                  int n) {
  for (int i = 0; i < n; i++)
    items[i].track_id = 0;
  int rc = by_mbid(d, a, items, n);
  return rc ? rc : by_names(d, a, items, n);
}

/* --- the pass ------------------------------------------------------------- */

/* mark_get / mark_set: a named watermark of match_marks (0 when absent). */
static int mark_get(struct db *d, struct arena *a, const char *name,
                    long long *v) {
  struct db_val p = DB_S(name);
  struct db_res res;
  int rc = db_exec(d, a, "SELECT last_id FROM match_marks WHERE name = ?", &p,
                   1, DB_IDEMPOTENT, &res);
  *v = !rc && res.nrows ? db_i64(&res.rows[0], 0, 0) : 0;
  return rc;
}

static int mark_set(struct db *d, const char *name, long long v) {
  struct db_val p[] = {DB_S(name), DB_I(v), DB_I(v)};
  return db_exec(d, NULL,
                 "INSERT INTO match_marks (name, last_id) VALUES (?, ?) "
                 "ON DUPLICATE KEY UPDATE last_id = GREATEST(last_id, ?)",
                 p, 3, DB_IDEMPOTENT, NULL);
}

/* move_listens: text listens ids[i] become listens of tracks[i], in one
 * transaction. */
static int move_listens(struct db *d, struct kv *k, struct arena *a,
                        const long long *ids, const long long *tracks, int n,
                        int *moved) {
  if (n == 0) return 0;
  json_object *pairs = jx_own(a, json_object_new_array());
  if (!pairs) return RC_NOMEM;
  for (int i = 0; i < n; i++) {
    json_object *p = json_object_new_array();
    json_object_array_add(p, json_object_new_int64(ids[i]));
    json_object_array_add(p, json_object_new_int64(tracks[i]));
    json_object_array_add(pairs, p);
  }
  size_t len;
  const char *text = jx_text(a, pairs, &len);
  if (!text) return RC_NOMEM;
  struct db_val p = DB_S(text);
  struct db_res users;
  int rc, tries = 0;
  do {
    rc = db_begin(d);
    if (!rc)
      rc = db_exec(d, a,
                   "SELECT DISTINCT tl.user_id FROM JSON_TABLE(?, '$[*]' "
                   "COLUMNS (id BIGINT PATH '$[0]')) j "
                   "JOIN text_listens tl ON tl.id = j.id FOR UPDATE",
                   &p, 1, 0, &users);
    if (!rc)
      rc = db_exec(d, NULL,
                   "INSERT IGNORE INTO listens (user_id, track_id, "
                   "listened_at, ms_played, source) SELECT tl.user_id, j.t, "
                   "tl.listened_at, tl.ms_played, tl.source FROM JSON_TABLE(?, "
                   "'$[*]' COLUMNS (id BIGINT PATH '$[0]', t BIGINT PATH "
                   "'$[1]')) j JOIN text_listens tl ON tl.id = j.id",
                   &p, 1, 0, NULL);
    if (!rc)
      rc = db_exec(d, NULL,
                   "DELETE tl FROM text_listens tl JOIN JSON_TABLE(?, '$[*]' "
                   "COLUMNS (id BIGINT PATH '$[0]')) j ON tl.id = j.id",
                   &p, 1, 0, NULL);
    if (rc)
      db_rollback(d);
    else
      rc = db_commit(d);
  } while (db_retry(rc, &tries));
  if (rc) return rc;
  *moved += n;
  for (int u = 0; u < users.nrows; u++)
    user_taste_changed(k, db_i64(&users.rows[u], 0, 0));
  return 0;
}

/* move_best: res holds (text listen id, track id) ordered by text listen,
 * best track first; each text listen moves to its best track. */
static int move_best(struct db *d, struct kv *k, struct arena *a,
                     const struct db_res *res, int *moved) {
  long long *ids = arena_alloc(a, sizeof *ids * (size_t)(res->nrows + 1));
  long long *tracks = arena_alloc(a, sizeof *tracks * (size_t)(res->nrows + 1));
  int n = 0;
  if (!ids || !tracks) return RC_NOMEM;
  for (int r = 0; r < res->nrows; r++) {
    long long id = db_i64(&res->rows[r], 0, 0);
    if (n && ids[n - 1] == id) continue;
    ids[n] = id;
    tracks[n++] = db_i64(&res->rows[r], 1, 0);
  }
  return move_listens(d, k, a, ids, tracks, n, moved);
}

/* like_loves: the pairs (user, track, title key, artist key) of res become
 * likes, and their text loves go. */
static int like_loves(struct db *d, struct kv *k, struct arena *a,
                      const struct db_res *res, int *liked) {
  for (int r = 0; r < res->nrows; r++) {
    const struct db_row *row = &res->rows[r];
    long long user = db_i64(row, 0, 0), track = db_i64(row, 1, 0);
    bool added = false;
    int rc = like_put(d, k, a, user, LIKE_TRACK, track, &added);
    if (rc && rc != RC_LIMIT && rc != RC_NOT_FOUND) return rc;
    struct db_val p[] = {DB_I(user), DB_S(db_s(row, 2)), DB_S(db_s(row, 3))};
    if ((rc = db_exec(d, NULL,
                      "DELETE FROM text_loves WHERE user_id = ? AND "
                      "title_key = ? AND artist_key = ?",
                      p, 3, DB_IDEMPOTENT, NULL)))
      return rc;
    if (added) (*liked)++;
  }
  return 0;
}

/* The new tracks of an id range, normalized in SQL like the index (the
 * first 64 characters: MATCH_KEY_CHARS). */
_Static_assert(MATCH_KEY_CHARS == 64, "the SQL below cuts keys at 64");
#define NEW_TRACKS                                                             \
  "(SELECT t.id, t.duration_ms AS dur, t.mbid, LEFT(" SEARCH_NORM(             \
      "t.title") ", 64) AS tk FROM tracks t WHERE t.id BETWEEN ? AND ?) n"
/* The track n has a primary artist whose key is tbl.artist_key. */
#define PRIMARY_ARTIST_KEY(tbl)                                                \
  "EXISTS (SELECT 1 FROM track_artists ta JOIN artists ar ON ar.id = "         \
  "ta.artist_id WHERE ta.track_id = n.id AND ta.role = 'primary' AND "         \
  "LEFT(" SEARCH_NORM("ar.name") ", 64) = " tbl ".artist_key)"

/* new_tracks: text listens and loves matching the tracks of [first, last]. */
static int new_tracks(struct db *d, struct kv *k, struct arena *a,
                      long long first, long long last,
                      struct match_pass_stats *st) {
  struct db_val p[] = {DB_I(first), DB_I(last)};
  struct db_res res;
  struct db_val p2[] = {p[0], p[1], p[0], p[1]};
  /* An MBID match ranks before any match by names (gap -1). */
  int rc = db_exec(
      d, a,
      "SELECT tl.id, n.id, " DUR_GAP(
          "n.dur",
          "tl.duration_ms") " AS gap "
                            "FROM " NEW_TRACKS
                            " JOIN text_listens tl ON tl.title_key = n.tk "
                            "WHERE " PRIMARY_ARTIST_KEY("tl") " AND " DUR_CLOSE(
                                "n.dur",
                                "tl.duration_ms") " UNION ALL SELECT tl.id, "
                                                  "n.id, -1 "
                                                  "FROM " NEW_TRACKS
                                                  " JOIN text_listens tl ON "
                                                  "tl.recording_mbid = n.mbid "
                                                  "ORDER BY 1, 3, 2",
      p2, 4, DB_IDEMPOTENT, &res);
  if (!rc) rc = move_best(d, k, a, &res, &st->listens);
  if (rc) return rc;
  rc = db_exec(d, a,
               "SELECT tv.user_id, MIN(n.id), tv.title_key, tv.artist_key "
               "FROM " NEW_TRACKS " JOIN text_loves tv ON tv.title_key = n.tk "
               "WHERE " PRIMARY_ARTIST_KEY("tv") " GROUP BY tv.user_id, "
                                                 "tv.title_key, tv.artist_key",
               p, 2, DB_IDEMPOTENT, &res);
  return rc ? rc : like_loves(d, k, a, &res, &st->loves);
}

/* new_text: text listens stored since the last pass, matched forward
 * against every track (one that arrived while they were being stored). */
static int new_text(struct db *d, struct kv *k, struct arena *a,
                    long long after, long long *upto,
                    struct match_pass_stats *st) {
  struct db_val p[] = {DB_I(after), DB_I(MATCH_CHUNK)};
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT id, artist, title, recording_mbid, duration_ms "
                   "FROM text_listens WHERE id > ? ORDER BY id LIMIT ?",
                   p, 2, DB_IDEMPOTENT, &res);
  if (rc || !res.nrows) return rc;
  struct match_item *it = arena_alloc(a, sizeof *it * (size_t)res.nrows);
  if (!it) return RC_NOMEM;
  for (int r = 0; r < res.nrows; r++) {
    const struct db_row *row = &res.rows[r];
    it[r] = (struct match_item){.artist = db_s(row, 1),
                                .title = db_s(row, 2),
                                .mbid = db_s(row, 3),
                                .duration_ms = db_i64(row, 4, -1)};
    if ((rc = match_prepare(a, &it[r]))) return rc;
  }
  if ((rc = match_resolve(d, a, it, res.nrows))) return rc;
  long long *ids = arena_alloc(a, sizeof *ids * (size_t)res.nrows);
  long long *tracks = arena_alloc(a, sizeof *tracks * (size_t)res.nrows);
  int n = 0;
  if (!ids || !tracks) return RC_NOMEM;
  for (int r = 0; r < res.nrows; r++)
    if (it[r].track_id) {
      ids[n] = db_i64(&res.rows[r], 0, 0);
      tracks[n++] = it[r].track_id;
    }
  *upto = db_i64(&res.rows[res.nrows - 1], 0, after);
  return move_listens(d, k, a, ids, tracks, n, &st->listens);
}

int match_pass(struct db *d, struct kv *k, struct arena *a,
               struct match_pass_stats *st) {
  *st = (struct match_pass_stats){0};
  long long mark, text_mark;
  struct db_res res;
  int rc = mark_get(d, a, "tracks", &mark);
  if (!rc) rc = mark_get(d, a, "text_listens", &text_mark);
  struct db_val lag = DB_I(MATCH_LAG_S);
  if (!rc)
    rc = db_exec(d, a,
                 "SELECT COALESCE(MAX(id), 0) FROM tracks WHERE created_at < "
                 "UTC_TIMESTAMP(3) - INTERVAL ? SECOND",
                 &lag, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  long long top = db_i64(&res.rows[0], 0, 0);
  while (mark < top) {
    long long last = mark + MATCH_CHUNK < top ? mark + MATCH_CHUNK : top;
    if ((rc = new_tracks(d, k, a, mark + 1, last, st))) return rc;
    if ((rc = mark_set(d, "tracks", last))) return rc;
    mark = last;
  }
  for (;;) {
    long long upto = text_mark;
    if ((rc = new_text(d, k, a, text_mark, &upto, st))) return rc;
    if (upto == text_mark) break;
    if ((rc = mark_set(d, "text_listens", upto))) return rc;
    text_mark = upto;
  }
  return 0;
}

int match_stats(struct db *d, struct arena *a, long long user,
                long long *matched, long long *unmatched) {
  struct db_val p[] = {DB_I(user), DB_I(user)};
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT (SELECT COUNT(*) FROM listens WHERE user_id = ?), "
                   "(SELECT COUNT(*) FROM text_listens WHERE user_id = ?)",
                   p, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  *matched = db_i64(&res.rows[0], 0, 0);
  *unmatched = db_i64(&res.rows[0], 1, 0);
  return 0;
}
