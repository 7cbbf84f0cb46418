/* track: catalogue tracks; see track.h. */
#include "model/track.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/kv.h"
#include "core/rc.h"
#include "model/genre.h"
#include "model/search.h"

const char *const track_features[TRACK_NFEAT] = {
    "tempo",        "energy",       "valence",
    "danceability", "acousticness", "instrumentalness"};

/* Features are FLOAT columns: ROUND gives them back as the short decimal
 * they were written as (0.8, not 0.800000011920929). */
#define TRACK_COLS                                                             \
  "t.id, t.title, t.album_id, al.title, t.disc_number, t.track_number, "       \
  "t.duration_ms, DATE_FORMAT(t.release_date, '%Y-%m-%d'), t.explicit, "       \
  "t.isrc, (t.lyrics IS NOT NULL OR t.lyrics_lrc IS NOT NULL), "               \
  "ROUND(t.tempo, 3), ROUND(t.energy, 4), ROUND(t.valence, 4), "               \
  "ROUND(t.danceability, 4), ROUND(t.acousticness, 4), "                       \
  "ROUND(t.instrumentalness, 4), t.mbid, t.spotify_id, t.apple_id, "           \
  "t.popularity, (SELECT COUNT(*) FROM likes l WHERE "                         \
  "l.object_type = 'track' AND l.object_id = t.id), "                          \
  "FLOOR(UNIX_TIMESTAMP(t.created_at)), "                                      \
  "FLOOR(UNIX_TIMESTAMP(t.updated_at)), "                                      \
  "(SELECT JSON_ARRAYAGG(JSON_OBJECT('id', ar.id, 'name', ar.name, "           \
  "'role', ta.role) ORDER BY ta.position, ar.id) FROM track_artists ta "       \
  "JOIN artists ar ON ar.id = ta.artist_id WHERE ta.track_id = t.id), "        \
  "(SELECT JSON_ARRAYAGG(g.name ORDER BY g.name) FROM track_genres tg "        \
  "JOIN genres g ON g.id = tg.genre_id WHERE tg.track_id = t.id), "            \
  "DATE_FORMAT(t.updated_at, '%Y-%m-%d %H:%i:%s.%f'), t.preview_url"

static void row_track(const struct db_row *row, struct track *x) {
  x->id = db_i64(row, 0, 0);
  x->title = db_s(row, 1);
  x->album_id = db_i64(row, 2, 0);
  x->album_title = db_s(row, 3);
  x->disc_number = db_i64(row, 4, 1);
  x->track_number = db_i64(row, 5, 0);
  x->duration_ms = db_i64(row, 6, 0);
  x->release_date = db_s(row, 7);
  x->explicit_ = db_i64(row, 8, 0) != 0;
  x->isrc = db_s(row, 9);
  x->has_lyrics = db_i64(row, 10, 0) != 0;
  for (int i = 0; i < TRACK_NFEAT; i++)
    x->feat[i] = db_s(row, 11 + i);
  x->ext.mbid = db_s(row, 17);
  x->ext.spotify = db_s(row, 18);
  x->ext.apple = db_s(row, 19);
  x->popularity = db_i64(row, 20, 0);
  x->like_count = db_i64(row, 21, 0);
  x->created_at = db_i64(row, 22, 0);
  x->updated_at = db_i64(row, 23, 0);
  x->artists = db_s(row, 24);
  x->genres = db_s(row, 25);
  x->stamp = db_s(row, 26);
  x->preview_url = db_s(row, 27);
}

static int rows_tracks(struct arena *a, const struct db_res *res,
                       struct track **items, int *n) {
  *items = arena_alloc(a, sizeof **items * (size_t)(res->nrows + 1));
  if (!*items) return RC_NOMEM;
  for (int i = 0; i < res->nrows; i++)
    row_track(&res->rows[i], &(*items)[i]);
  *n = res->nrows;
  return 0;
}

/* row_json: the track of a TRACK_COLS row as JSON (cat_kind). */
static json_object *row_json(struct arena *a, const struct db_row *row,
                             const void *ctx, long long *id) {
  struct track x;
  (void)ctx;
  row_track(row, &x);
  *id = x.id;
  return track_json(a, &x);
}

/* Tracks as catalogue.c reads them. */
static const struct cat_kind kind = {
    .name = "track",
    .by_id = "SELECT " TRACK_COLS " FROM tracks t "
             "LEFT JOIN albums al ON al.id = t.album_id WHERE t.id = ?",
    .by_ids = "SELECT " TRACK_COLS " FROM tracks t LEFT JOIN albums al "
              "ON al.id = t.album_id WHERE t.id IN " CAT_IN,
    .list = "SELECT " TRACK_COLS " FROM tracks t "
            "LEFT JOIN albums al ON al.id = t.album_id WHERE t.id > ? "
            "ORDER BY t.id LIMIT ?",
    .list_genre = "SELECT " TRACK_COLS " FROM track_genres fg "
                  "JOIN tracks t ON t.id = fg.track_id "
                  "LEFT JOIN albums al ON al.id = t.album_id "
                  "WHERE fg.genre_id = ? AND fg.track_id > ? "
                  "ORDER BY fg.track_id LIMIT ?",
    .row_json = row_json,
};

int track_get(struct db *d, struct arena *a, long long id, struct track *x) {
  struct db_res res;
  struct db_val p = DB_I(id);
  int rc = db_exec(d, a, kind.by_id, &p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_NOT_FOUND;
  row_track(&res.rows[0], x);
  return 0;
}

/* feature: a stored feature as a JSON number with its short text (the
 * ROUNDed column reads "0.8100"; %g gives "0.81"). */
static json_object *feature(struct arena *a, const char *s) {
  if (!s) return NULL;
  double v = strtod(s, NULL);
  const char *t = arena_printf(a, "%.6g", v);
  return t ? json_object_new_double_s(v, t) : json_object_new_double(v);
}

json_object *track_json(struct arena *a, const struct track *x) {
  json_object *o = json_object_new_object();
  jx_add_int(o, "id", x->id);
  jx_add_str(o, "title", x->title);
  json_object_object_add(o, "artists", genre_names(a, x->artists));
  if (x->album_id) {
    json_object *al = json_object_new_object();
    jx_add_int(al, "id", x->album_id);
    jx_add_str(al, "title", x->album_title);
    json_object_object_add(o, "album", al);
  } else {
    json_object_object_add(o, "album", NULL);
  }
  jx_add_int(o, "disc_number", x->disc_number);
  if (x->track_number)
    jx_add_int(o, "track_number", x->track_number);
  else
    json_object_object_add(o, "track_number", NULL);
  jx_add_int(o, "duration_ms", x->duration_ms);
  json_object_object_add(o, "genres", genre_names(a, x->genres));
  jx_add_str(o, "release_date", x->release_date);
  jx_add_bool(o, "explicit", x->explicit_);
  jx_add_str(o, "isrc", x->isrc);
  jx_add_bool(o, "has_lyrics", x->has_lyrics);
  bool any = false;
  for (int i = 0; i < TRACK_NFEAT; i++)
    any = any || x->feat[i];
  if (any) {
    json_object *f = json_object_new_object();
    for (int i = 0; i < TRACK_NFEAT; i++)
      json_object_object_add(f, track_features[i], feature(a, x->feat[i]));
    json_object_object_add(o, "audio_features", f);
  } else {
    json_object_object_add(o, "audio_features", NULL);
  }
  json_object_object_add(o, "external_ids", cat_ext_json(&x->ext));
  /* Where it plays elsewhere: Spotify's URI (for the player SDK) and its
   * 30-second preview, when an import saw them. */
  jx_add_str(o, "spotify_uri",
             x->ext.spotify
                 ? arena_printf(a, "spotify:track:%s", x->ext.spotify)
                 : NULL);
  jx_add_str(o, "preview_url", x->preview_url);
  jx_add_int(o, "popularity", x->popularity);
  jx_add_int(o, "like_count", x->like_count);
  jx_add_time(o, "created_at", x->created_at);
  jx_add_time(o, "updated_at", x->updated_at);
  return o;
}

/* Caching: a track's JSON embeds its artists' names and its album's title.
 * Rather than composing the key from the versions of the track, its album
 * and its artists (which needs their ids, known only after reading
 * MariaDB), the writers of artists and albums bump the namespaces of the
 * tracks that embed them (artist_save, album_save): a read stays one
 * version lookup and one get. */
int track_text(struct db *d, struct kv *k, struct arena *a, long long id,
               const char **text, size_t *len) {
  return cat_text(d, k, a, &kind, id, NULL, text, len);
}

int track_texts(struct db *d, struct kv *k, struct arena *a,
                const long long *ids, int n, const char **texts, size_t *lens) {
  return cat_texts(d, k, a, &kind, ids, n, texts, lens);
}

int track_list(struct db *d, struct arena *a, long long genre_id,
               long long after, int limit, struct track **items, int *n) {
  struct db_res res;
  int rc = cat_list(d, a, &kind, genre_id, after, limit, &res);
  if (rc) return rc;
  return rows_tracks(a, &res, items, n);
}

int track_by_album(struct db *d, struct arena *a, long long album_id,
                   long long disc, long long num, long long after_id, int limit,
                   struct track **items, int *n) {
  struct db_res res;
  /* An unnumbered track sorts as number 65536, after every numbered one. */
  struct db_val p[] = {DB_I(album_id), DB_I(disc), DB_I(disc),     DB_I(num),
                       DB_I(disc),     DB_I(num),  DB_I(after_id), DB_I(limit)};
  int rc = db_exec(
      d, a,
      "SELECT " TRACK_COLS " FROM tracks t "
      "LEFT JOIN albums al ON al.id = t.album_id WHERE t.album_id = ? AND "
      "(t.disc_number > ? OR (t.disc_number = ? AND "
      "(COALESCE(t.track_number, 65536) > ? OR "
      "(t.disc_number = ? AND COALESCE(t.track_number, 65536) = ? AND "
      "t.id > ?)))) "
      "ORDER BY t.disc_number, COALESCE(t.track_number, 65536), t.id LIMIT ?",
      p, 8, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  return rows_tracks(a, &res, items, n);
}

int track_by_artist(struct db *d, struct arena *a, long long artist_id,
                    long long after, int limit, struct track **items, int *n) {
  struct db_res res;
  struct db_val p[] = {DB_I(artist_id), DB_I(after), DB_I(limit)};
  int rc = db_exec(d, a,
                   "SELECT " TRACK_COLS " FROM track_artists fa "
                   "JOIN tracks t ON t.id = fa.track_id "
                   "LEFT JOIN albums al ON al.id = t.album_id "
                   "WHERE fa.artist_id = ? AND fa.track_id > ? "
                   "ORDER BY fa.track_id LIMIT ?",
                   p, 3, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  return rows_tracks(a, &res, items, n);
}

static int set_artists(struct db *d, struct arena *a, long long id,
                       const struct track_artist *artists, int n) {
  struct db_val p = DB_I(id);
  int rc = db_exec(d, a, "DELETE FROM track_artists WHERE track_id = ?", &p, 1,
                   0, NULL);
  for (int i = 0; i < n && !rc; i++) {
    struct db_val q[] = {DB_I(id), DB_I(artists[i].id), DB_S(artists[i].role),
                         DB_I(i)};
    rc = db_exec(d, a,
                 "INSERT INTO track_artists (track_id, artist_id, role, "
                 "position) VALUES (?, ?, ?, ?)",
                 q, 4, 0, NULL);
  }
  return rc;
}

int track_save(struct db *d, struct kv *k, struct arena *a, struct track *x,
               const struct track_artist *artists, int nartists,
               json_object *genres, bool create, long long old_album_id) {
  int rc = db_begin(d);
  if (rc) return rc;
  struct db_res res;
  struct db_val p[] = {
      DB_S(x->title),       x->album_id ? DB_I(x->album_id) : DB_NUL,
      DB_I(x->disc_number), x->track_number ? DB_I(x->track_number) : DB_NUL,
      DB_I(x->duration_ms), DB_S(x->release_date),
      DB_I(x->explicit_),   DB_S(x->isrc),
      DB_S(x->feat[0]),     DB_S(x->feat[1]),
      DB_S(x->feat[2]),     DB_S(x->feat[3]),
      DB_S(x->feat[4]),     DB_S(x->feat[5]),
      DB_S(x->ext.mbid),    DB_S(x->ext.spotify),
      DB_S(x->ext.apple),   DB_I(x->id),
      DB_S(x->stamp),
  };
  if (create) {
    rc = db_exec(d, a,
                 "INSERT INTO tracks (title, album_id, disc_number, "
                 "track_number, duration_ms, release_date, explicit, isrc, "
                 "tempo, energy, valence, danceability, acousticness, "
                 "instrumentalness, mbid, spotify_id, apple_id) VALUES "
                 "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 p, 17, 0, &res);
    if (!rc) x->id = (long long)res.insert_id;
  } else {
    rc = db_exec(d, a,
                 "UPDATE tracks SET title = ?, album_id = ?, disc_number = ?, "
                 "track_number = ?, duration_ms = ?, release_date = ?, "
                 "explicit = ?, isrc = ?, tempo = ?, energy = ?, valence = ?, "
                 "danceability = ?, acousticness = ?, instrumentalness = ?, "
                 "mbid = ?, spotify_id = ?, apple_id = ?, "
                 "updated_at = CURRENT_TIMESTAMP(3) WHERE id = ? AND "
                 "updated_at = ?",
                 p, 19, 0, &res);
    if (!rc && res.affected == 0) rc = RC_PRECONDITION;
  }
  if (!rc && nartists > 0) rc = set_artists(d, a, x->id, artists, nartists);
  if (!rc && genres) rc = genre_set(d, a, GENRE_TRACK, x->id, genres);
  if (!rc) rc = db_commit(d);
  if (rc) {
    db_rollback(d);
    return rc;
  }
  cat_bump(k, "track", x->id);
  if (genres && k) kv_ns_bump(k, "genres"); /* names may be new */
  /* Albums show their track count. */
  if (x->album_id != old_album_id) {
    if (x->album_id) cat_bump(k, "album", x->album_id);
    if (old_album_id) cat_bump(k, "album", old_album_id);
  }
  search_index(d, a, SEARCH_TRACK, x->id);
  return 0;
}

/* compact_playlist: positions are dense from 0; after a track left by
 * cascade, renumber in order (each row moves down, never onto a row not yet
 * renumbered), recount and take a new snapshot. */
static int compact_playlist(struct db *d, struct arena *a, long long pid) {
  struct db_val p = DB_I(pid);
  int rc = db_exec(d, a, "SET @encore_pos = -1", NULL, 0, 0, NULL);
  if (!rc)
    rc = db_exec(d, a,
                 "UPDATE playlist_tracks SET position = "
                 "(@encore_pos := @encore_pos + 1) WHERE playlist_id = ? "
                 "ORDER BY position",
                 &p, 1, 0, NULL);
  if (!rc)
    rc = db_exec(d, a,
                 "UPDATE playlists SET track_count = (SELECT COUNT(*) FROM "
                 "playlist_tracks WHERE playlist_id = playlists.id), "
                 "snapshot = snapshot + 1 WHERE id = ?",
                 &p, 1, 0, NULL);
  return rc;
}

/* lock_playlists: lock for update the rows of the playlists listed (in
 * ascending order), one by one, so that two deletions meeting in several
 * playlists take them in the same order. */
static int lock_playlists(struct db *d, const struct db_res *ids) {
  for (int i = 0; i < ids->nrows; i++) {
    struct db_val v = DB_I(db_i64(&ids->rows[i], 0, 0));
    int rc =
        db_exec(d, NULL, "SELECT id FROM playlists WHERE id = ? FOR UPDATE", &v,
                1, 0, NULL);
    if (rc) return rc;
  }
  return 0;
}

/* delete_once: the deletion as one transaction. Lock order is the playlist
 * editors' (see playlist_lock in playlist_internal.h): the rows of the
 * playlists holding the track first, then the track itself, then
 * playlist_tracks. The playlists
 * are found by a plain read before any lock; once the track row is locked
 * no new entry can refer to it, and the locking re-read gives the final
 * list (a playlist that gained the track in between is locked late, which
 * InnoDB may answer with a deadlock: the caller runs this again). */
static int delete_once(struct db *d, struct arena *a, long long id,
                       long long *album_id, struct db_res *pls) {
  struct db_res res, seen;
  struct db_val p = DB_I(id);
  int rc = db_begin(d);
  if (rc) return rc;
  rc = db_exec(d, a,
               "SELECT DISTINCT playlist_id FROM playlist_tracks "
               "WHERE track_id = ? ORDER BY playlist_id",
               &p, 1, 0, &seen);
  if (!rc) rc = lock_playlists(d, &seen);
  if (!rc)
    rc = db_exec(d, a, "SELECT album_id FROM tracks WHERE id = ? FOR UPDATE",
                 &p, 1, 0, &res);
  if (!rc && res.nrows == 0) rc = RC_NOT_FOUND;
  if (!rc) {
    *album_id = db_i64(&res.rows[0], 0, 0);
    rc = db_exec(d, a,
                 "SELECT DISTINCT playlist_id FROM playlist_tracks "
                 "WHERE track_id = ? ORDER BY playlist_id FOR UPDATE",
                 &p, 1, 0, pls);
  }
  /* Likes are polymorphic (no foreign key); listens, playlist entries,
   * credits and genre links go by cascade. */
  if (!rc)
    rc = db_exec(d, a,
                 "DELETE FROM likes WHERE object_type = 'track' AND "
                 "object_id = ?",
                 &p, 1, 0, NULL);
  if (!rc)
    rc = db_exec(d, a, "DELETE FROM tracks WHERE id = ?", &p, 1, 0, NULL);
  for (int i = 0; !rc && i < pls->nrows; i++)
    rc = compact_playlist(d, a, db_i64(&pls->rows[i], 0, 0));
  if (!rc) rc = db_commit(d);
  if (rc) db_rollback(d);
  return rc;
}

int track_delete(struct db *d, struct kv *k, struct arena *a, long long id) {
  struct db_res pls;
  long long album_id = 0;
  int rc, tries = 0;
  do
    rc = delete_once(d, a, id, &album_id, &pls);
  while (db_retry(rc, &tries));
  if (rc) return rc;
  cat_bump(k, "track", id);
  if (album_id) cat_bump(k, "album", album_id);
  for (int i = 0; i < pls.nrows; i++)
    cat_bump(k, "playlist", db_i64(&pls.rows[i], 0, 0));
  search_unindex(d, SEARCH_TRACK, id);
  return 0;
}

int track_lyrics(struct db *d, struct arena *a, long long id,
                 const char **plain, const char **lrc) {
  struct db_res res;
  struct db_val p = DB_I(id);
  int rc = db_exec(d, a, "SELECT lyrics, lyrics_lrc FROM tracks WHERE id = ?",
                   &p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_NOT_FOUND;
  *plain = db_s(&res.rows[0], 0);
  *lrc = db_s(&res.rows[0], 1);
  return 0;
}

int track_set_lyrics(struct db *d, struct kv *k, struct arena *a, long long id,
                     const char *plain, const char *lrc) {
  struct db_res res;
  struct db_val p[] = {DB_S(plain), DB_S(lrc), DB_I(id)};
  int rc = db_exec(d, a,
                   "UPDATE tracks SET lyrics = ?, lyrics_lrc = ?, "
                   "updated_at = CURRENT_TIMESTAMP(3) WHERE id = ?",
                   p, 3, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.affected == 0) { /* gone, or written within the same millisecond */
    struct db_val q = DB_I(id);
    if ((rc = db_exec(d, a, "SELECT 1 FROM tracks WHERE id = ?", &q, 1,
                      DB_IDEMPOTENT, &res)))
      return rc;
    if (res.nrows == 0) return RC_NOT_FOUND;
  }
  cat_bump(k, "track", id);
  return 0;
}
