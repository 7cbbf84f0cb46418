/* album: catalogue albums; see album.h. */
#include "model/album.h"

#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/kv.h"
#include "core/rc.h"
#include "model/genre.h"
#include "model/media.h"
#include "model/search.h"

#define ALBUM_COLS                                                             \
  "al.id, al.title, al.artist_id, ar.name, al.type, al.label, "                \
  "DATE_FORMAT(al.release_date, '%Y-%m-%d'), al.art_path, al.art_width, "      \
  "al.art_height, al.mbid, al.spotify_id, al.apple_id, "                       \
  "(SELECT COUNT(*) FROM tracks t WHERE t.album_id = al.id), "                 \
  "al.popularity, "                                                            \
  "(SELECT COUNT(*) FROM likes l WHERE l.object_type = 'album' "               \
  "AND l.object_id = al.id), "                                                 \
  "FLOOR(UNIX_TIMESTAMP(al.created_at)), "                                     \
  "FLOOR(UNIX_TIMESTAMP(al.updated_at)), "                                     \
  "(SELECT JSON_ARRAYAGG(g.name ORDER BY g.name) FROM album_genres ag "        \
  "JOIN genres g ON g.id = ag.genre_id WHERE ag.album_id = al.id), "           \
  "DATE_FORMAT(al.updated_at, '%Y-%m-%d %H:%i:%s.%f')"

static void row_album(const struct db_row *row, struct album *x) {
  x->id = db_i64(row, 0, 0);
  x->title = db_s(row, 1);
  x->artist_id = db_i64(row, 2, 0);
  x->artist_name = db_s(row, 3);
  x->type = db_s(row, 4);
  x->label = db_s(row, 5);
  x->release_date = db_s(row, 6);
  x->art_path = db_s(row, 7);
  x->art_width = db_i64(row, 8, 0);
  x->art_height = db_i64(row, 9, 0);
  x->ext.mbid = db_s(row, 10);
  x->ext.spotify = db_s(row, 11);
  x->ext.apple = db_s(row, 12);
  x->track_count = db_i64(row, 13, 0);
  x->popularity = db_i64(row, 14, 0);
  x->like_count = db_i64(row, 15, 0);
  x->created_at = db_i64(row, 16, 0);
  x->updated_at = db_i64(row, 17, 0);
  x->genres = db_s(row, 18);
  x->stamp = db_s(row, 19);
}

static int rows_albums(struct arena *a, const struct db_res *res,
                       struct album **items, int *n) {
  *items = arena_alloc(a, sizeof **items * (size_t)(res->nrows + 1));
  if (!*items) return RC_NOMEM;
  for (int i = 0; i < res->nrows; i++)
    row_album(&res->rows[i], &(*items)[i]);
  *n = res->nrows;
  return 0;
}

/* row_json: the album of an ALBUM_COLS row as JSON (cat_kind); ctx is the
 * media URL prefix. */
static json_object *row_json(struct arena *a, const struct db_row *row,
                             const void *ctx, long long *id) {
  struct album x;
  row_album(row, &x);
  *id = x.id;
  return album_json(a, &x, ctx);
}

/* Albums as catalogue.c reads them (one at a time: their JSON needs the
 * media URL). */
static const struct cat_kind kind = {
    .name = "album",
    .by_id = "SELECT " ALBUM_COLS " FROM albums al "
             "JOIN artists ar ON ar.id = al.artist_id WHERE al.id = ?",
    .list = "SELECT " ALBUM_COLS " FROM albums al "
            "JOIN artists ar ON ar.id = al.artist_id WHERE al.id > ? "
            "ORDER BY al.id LIMIT ?",
    .list_genre = "SELECT " ALBUM_COLS " FROM album_genres fg "
                  "JOIN albums al ON al.id = fg.album_id "
                  "JOIN artists ar ON ar.id = al.artist_id "
                  "WHERE fg.genre_id = ? AND fg.album_id > ? "
                  "ORDER BY fg.album_id LIMIT ?",
    .row_json = row_json,
};

int album_get(struct db *d, struct arena *a, long long id, struct album *x) {
  struct db_res res;
  struct db_val p = DB_I(id);
  int rc = db_exec(d, a, kind.by_id, &p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_NOT_FOUND;
  row_album(&res.rows[0], x);
  return 0;
}

json_object *album_json(struct arena *a, const struct album *x,
                        const char *media_url) {
  json_object *o = json_object_new_object(), *ar = json_object_new_object();
  jx_add_int(o, "id", x->id);
  jx_add_str(o, "title", x->title);
  jx_add_int(ar, "id", x->artist_id);
  jx_add_str(ar, "name", x->artist_name);
  json_object_object_add(o, "artist", ar);
  jx_add_str(o, "type", x->type);
  jx_add_str(o, "label", x->label);
  jx_add_str(o, "release_date", x->release_date);
  json_object_object_add(o, "genres", genre_names(a, x->genres));
  if (x->art_path) {
    jx_add_str(o, "art_url", arena_printf(a, "%s/%s", media_url, x->art_path));
    jx_add_int(o, "art_width", x->art_width);
    jx_add_int(o, "art_height", x->art_height);
  } else {
    jx_add_str(o, "art_url", NULL);
    jx_add_str(o, "art_width", NULL);
    jx_add_str(o, "art_height", NULL);
  }
  jx_add_int(o, "track_count", x->track_count);
  jx_add_int(o, "popularity", x->popularity);
  jx_add_int(o, "like_count", x->like_count);
  json_object_object_add(o, "external_ids", cat_ext_json(&x->ext));
  jx_add_time(o, "created_at", x->created_at);
  jx_add_time(o, "updated_at", x->updated_at);
  return o;
}

int album_text(struct db *d, struct kv *k, struct arena *a, long long id,
               const char *media_url, const char **text, size_t *len) {
  return cat_text(d, k, a, &kind, id, media_url, text, len);
}

int album_list(struct db *d, struct arena *a, long long genre_id,
               long long after, int limit, struct album **items, int *n) {
  struct db_res res;
  int rc = cat_list(d, a, &kind, genre_id, after, limit, &res);
  if (rc) return rc;
  return rows_albums(a, &res, items, n);
}

int album_by_artist(struct db *d, struct arena *a, long long artist_id,
                    const char *after_date, long long after_id, int limit,
                    struct album **items, int *n) {
  struct db_res res;
  /* Order: release date (undated last, as '9999-12-31'), then id; the
   * cursor carries both. */
  struct db_val p[] = {DB_I(artist_id), DB_S(after_date ? after_date : ""),
                       DB_S(after_date ? after_date : ""), DB_I(after_id),
                       DB_I(limit)};
  int rc =
      db_exec(d, a,
              "SELECT " ALBUM_COLS " FROM albums al "
              "JOIN artists ar ON ar.id = al.artist_id WHERE al.artist_id = ? "
              "AND (COALESCE(al.release_date, '9999-12-31') > ? OR "
              "(COALESCE(al.release_date, '9999-12-31') = ? AND al.id > ?)) "
              "ORDER BY COALESCE(al.release_date, '9999-12-31'), al.id LIMIT ?",
              p, 5, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  return rows_albums(a, &res, items, n);
}

/* bump_tracks: tracks embed their album's title. */
static void bump_tracks(struct db *d, struct kv *k, struct arena *a,
                        long long id) {
  struct db_res res;
  struct db_val p = DB_I(id);
  if (k && db_exec(d, a, "SELECT id FROM tracks WHERE album_id = ?", &p, 1,
                   DB_IDEMPOTENT, &res) == 0)
    for (int i = 0; i < res.nrows; i++)
      cat_bump(k, "track", db_i64(&res.rows[i], 0, 0));
}

int album_save(struct db *d, struct kv *k, struct arena *a, struct album *x,
               json_object *genres, bool create, bool retitled) {
  int rc = db_begin(d);
  if (rc) return rc;
  struct db_res res;
  if (create) {
    struct db_val p[] = {DB_S(x->title),        DB_I(x->artist_id),
                         DB_S(x->type),         DB_S(x->label),
                         DB_S(x->release_date), DB_S(x->ext.mbid),
                         DB_S(x->ext.spotify),  DB_S(x->ext.apple)};
    rc = db_exec(d, a,
                 "INSERT INTO albums (title, artist_id, type, label, "
                 "release_date, mbid, spotify_id, apple_id) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                 p, 8, 0, &res);
    if (!rc) x->id = (long long)res.insert_id;
  } else {
    struct db_val p[] = {DB_S(x->title),        DB_I(x->artist_id),
                         DB_S(x->type),         DB_S(x->label),
                         DB_S(x->release_date), DB_S(x->ext.mbid),
                         DB_S(x->ext.spotify),  DB_S(x->ext.apple),
                         DB_I(x->id),           DB_S(x->stamp)};
    rc = db_exec(d, a,
                 "UPDATE albums SET title = ?, artist_id = ?, type = ?, "
                 "label = ?, release_date = ?, mbid = ?, spotify_id = ?, "
                 "apple_id = ?, updated_at = CURRENT_TIMESTAMP(3) "
                 "WHERE id = ? AND updated_at = ?",
                 p, 10, 0, &res);
    if (!rc && res.affected == 0) rc = RC_PRECONDITION;
  }
  if (!rc && genres) rc = genre_set(d, a, GENRE_ALBUM, x->id, genres);
  if (!rc) rc = db_commit(d);
  if (rc) {
    db_rollback(d);
    return rc;
  }
  cat_bump(k, "album", x->id);
  if (genres && k) kv_ns_bump(k, "genres"); /* names may be new */
  if (retitled) bump_tracks(d, k, a, x->id);
  search_index(d, a, SEARCH_ALBUM, x->id);
  return 0;
}

int album_delete(struct db *d, struct kv *k, struct arena *a, long long id,
                 const char **orphan) {
  struct db_res res;
  struct db_val p = DB_I(id);
  *orphan = NULL;
  int rc = db_exec(d, a,
                   "SELECT art_path, EXISTS (SELECT 1 FROM tracks "
                   "WHERE album_id = albums.id) FROM albums WHERE id = ?",
                   &p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_NOT_FOUND;
  if (db_i64(&res.rows[0], 1, 0)) return RC_CONFLICT;
  const char *art = db_s(&res.rows[0], 0);
  /* Likes of an album have no foreign key (they are polymorphic). The
   * album row is locked first, as like_put does, so that a like written
   * meanwhile either waits for the deletion or is deleted with it. */
  if ((rc = db_begin(d))) return rc;
  rc = db_exec(d, a, "SELECT id FROM albums WHERE id = ? FOR UPDATE", &p, 1, 0,
               NULL);
  if (!rc)
    rc = db_exec(
        d, a, "DELETE FROM likes WHERE object_type = 'album' AND object_id = ?",
        &p, 1, 0, NULL);
  if (!rc)
    rc = db_exec(d, a, "DELETE FROM albums WHERE id = ?", &p, 1, 0, NULL);
  if (!rc) rc = db_commit(d);
  if (rc) {
    db_rollback(d);
    return rc;
  }
  cat_bump(k, "album", id);
  search_unindex(d, SEARCH_ALBUM, id);
  return media_orphan(d, a, art, orphan);
}

int album_set_art(struct db *d, struct kv *k, struct arena *a, long long id,
                  const char *path, int width, int height,
                  const char **orphan) {
  struct db_res res;
  struct db_val p = DB_I(id);
  *orphan = NULL;
  int rc = db_exec(d, a, "SELECT art_path FROM albums WHERE id = ?", &p, 1,
                   DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_NOT_FOUND;
  const char *old = db_s(&res.rows[0], 0);
  struct db_val q[] = {DB_S(path), path ? DB_I(width) : DB_NUL,
                       path ? DB_I(height) : DB_NUL, DB_I(id)};
  rc = db_exec(d, a,
               "UPDATE albums SET art_path = ?, art_width = ?, art_height = ?, "
               "updated_at = CURRENT_TIMESTAMP(3) WHERE id = ?",
               q, 4, 0, NULL);
  if (rc) return rc;
  cat_bump(k, "album", id);
  if (old && path && strcmp(old, path) == 0) return 0;
  return media_orphan(d, a, old, orphan);
}
