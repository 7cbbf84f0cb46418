/* artist: catalogue artists; see artist.h. */
#include "model/artist.h"

#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/kv.h"
#include "core/rc.h"
#include "model/genre.h"
#include "model/search.h"

#define ARTIST_COLS                                                            \
  "ar.id, ar.name, ar.bio, ar.country, ar.image_url, ar.mbid, "                \
  "ar.spotify_id, ar.apple_id, ar.popularity, "                                \
  "FLOOR(UNIX_TIMESTAMP(ar.created_at)), "                                     \
  "FLOOR(UNIX_TIMESTAMP(ar.updated_at)), "                                     \
  "(SELECT JSON_ARRAYAGG(g.name ORDER BY g.name) FROM artist_genres ag "       \
  "JOIN genres g ON g.id = ag.genre_id WHERE ag.artist_id = ar.id), "          \
  "DATE_FORMAT(ar.updated_at, '%Y-%m-%d %H:%i:%s.%f')"

static void row_artist(const struct db_row *row, struct artist *x) {
  x->id = db_i64(row, 0, 0);
  x->name = db_s(row, 1);
  x->bio = db_s(row, 2);
  x->country = db_s(row, 3);
  x->image_url = db_s(row, 4);
  x->ext.mbid = db_s(row, 5);
  x->ext.spotify = db_s(row, 6);
  x->ext.apple = db_s(row, 7);
  x->popularity = db_i64(row, 8, 0);
  x->created_at = db_i64(row, 9, 0);
  x->updated_at = db_i64(row, 10, 0);
  x->genres = db_s(row, 11);
  x->stamp = db_s(row, 12);
}

/* row_json: the artist of an ARTIST_COLS row as JSON (cat_kind). */
static json_object *row_json(struct arena *a, const struct db_row *row,
                             const void *ctx, long long *id) {
  struct artist x;
  (void)ctx;
  row_artist(row, &x);
  *id = x.id;
  return artist_json(a, &x);
}

/* Artists as catalogue.c reads them. */
static const struct cat_kind kind = {
    .name = "artist",
    .by_id = "SELECT " ARTIST_COLS " FROM artists ar WHERE ar.id = ?",
    .by_ids = "SELECT " ARTIST_COLS " FROM artists ar WHERE ar.id IN " CAT_IN,
    .list = "SELECT " ARTIST_COLS " FROM artists ar WHERE ar.id > ? "
            "ORDER BY ar.id LIMIT ?",
    .list_genre = "SELECT " ARTIST_COLS " FROM artist_genres fg "
                  "JOIN artists ar ON ar.id = fg.artist_id "
                  "WHERE fg.genre_id = ? AND fg.artist_id > ? "
                  "ORDER BY fg.artist_id LIMIT ?",
    .row_json = row_json,
};

int artist_get(struct db *d, struct arena *a, long long id, struct artist *x) {
  struct db_res res;
  struct db_val p = DB_I(id);
  int rc = db_exec(d, a, kind.by_id, &p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_NOT_FOUND;
  row_artist(&res.rows[0], x);
  return 0;
}

int artist_exists(struct db *d, struct arena *a, long long id) {
  struct db_res res;
  struct db_val p = DB_I(id);
  int rc = db_exec(d, a, "SELECT 1 FROM artists WHERE id = ?", &p, 1,
                   DB_IDEMPOTENT, &res);
  if (rc) return rc;
  return res.nrows ? 0 : RC_NOT_FOUND;
}

json_object *artist_json(struct arena *a, const struct artist *x) {
  json_object *o = json_object_new_object();
  jx_add_int(o, "id", x->id);
  jx_add_str(o, "name", x->name);
  jx_add_str(o, "bio", x->bio ? x->bio : "");
  jx_add_str(o, "country", x->country);
  jx_add_str(o, "image_url", x->image_url);
  json_object_object_add(o, "genres", genre_names(a, x->genres));
  jx_add_int(o, "popularity", x->popularity);
  json_object_object_add(o, "external_ids", cat_ext_json(&x->ext));
  jx_add_time(o, "created_at", x->created_at);
  jx_add_time(o, "updated_at", x->updated_at);
  return o;
}

int artist_text(struct db *d, struct kv *k, struct arena *a, long long id,
                const char **text, size_t *len) {
  return cat_text(d, k, a, &kind, id, NULL, text, len);
}

int artist_texts(struct db *d, struct kv *k, struct arena *a,
                 const long long *ids, int n, const char **texts,
                 size_t *lens) {
  return cat_texts(d, k, a, &kind, ids, n, texts, lens);
}

int artist_list(struct db *d, struct arena *a, long long genre_id,
                long long after, int limit, struct artist **items, int *n) {
  struct db_res res;
  int rc = cat_list(d, a, &kind, genre_id, after, limit, &res);
  if (rc) return rc;
  *items = arena_alloc(a, sizeof **items * (size_t)(res.nrows + 1));
  if (!*items) return RC_NOMEM;
  for (int i = 0; i < res.nrows; i++)
    row_artist(&res.rows[i], &(*items)[i]);
  *n = res.nrows;
  return 0;
}

/* bump_dependents: albums of the artist and tracks crediting it embed its
 * name, so a rename gives each of them a new version. Cheaper than keying
 * every album and track read on its artists' versions (which would need the
 * artist ids, known only after a MariaDB read), and renames are rare. */
static void bump_dependents(struct db *d, struct kv *k, struct arena *a,
                            long long id) {
  struct db_res res;
  struct db_val p = DB_I(id);
  if (!k) return;
  if (db_exec(d, a, "SELECT id FROM albums WHERE artist_id = ?", &p, 1,
              DB_IDEMPOTENT, &res) == 0)
    for (int i = 0; i < res.nrows; i++)
      cat_bump(k, "album", db_i64(&res.rows[i], 0, 0));
  if (db_exec(d, a, "SELECT track_id FROM track_artists WHERE artist_id = ?",
              &p, 1, DB_IDEMPOTENT, &res) == 0)
    for (int i = 0; i < res.nrows; i++)
      cat_bump(k, "track", db_i64(&res.rows[i], 0, 0));
}

int artist_save(struct db *d, struct kv *k, struct arena *a, struct artist *x,
                json_object *genres, bool create, bool renamed) {
  int rc = db_begin(d);
  if (rc) return rc;
  struct db_res res;
  if (create) {
    struct db_val p[] = {DB_S(x->name),     DB_S(x->bio),
                         DB_S(x->country),  DB_S(x->image_url),
                         DB_S(x->ext.mbid), DB_S(x->ext.spotify),
                         DB_S(x->ext.apple)};
    rc = db_exec(d, a,
                 "INSERT INTO artists (name, bio, country, image_url, mbid, "
                 "spotify_id, apple_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 p, 7, 0, &res);
    if (!rc) x->id = (long long)res.insert_id;
  } else {
    struct db_val p[] = {
        DB_S(x->name),      DB_S(x->bio),      DB_S(x->country),
        DB_S(x->image_url), DB_S(x->ext.mbid), DB_S(x->ext.spotify),
        DB_S(x->ext.apple), DB_I(x->id),       DB_S(x->stamp)};
    /* updated_at is set explicitly: a PATCH that changes only genres
     * changes the artist too. */
    rc = db_exec(d, a,
                 "UPDATE artists SET name = ?, bio = ?, country = ?, "
                 "image_url = ?, mbid = ?, spotify_id = ?, apple_id = ?, "
                 "updated_at = CURRENT_TIMESTAMP(3) WHERE id = ? AND "
                 "updated_at = ?",
                 p, 9, 0, &res);
    if (!rc && res.affected == 0) rc = RC_PRECONDITION;
  }
  if (!rc && genres) rc = genre_set(d, a, GENRE_ARTIST, x->id, genres);
  if (!rc) rc = db_commit(d);
  if (rc) {
    db_rollback(d);
    return rc;
  }
  cat_bump(k, "artist", x->id);
  if (genres && k) kv_ns_bump(k, "genres"); /* names may be new */
  if (renamed) bump_dependents(d, k, a, x->id);
  search_index(d, a, SEARCH_ARTIST, x->id);
  return 0;
}

int artist_delete(struct db *d, struct kv *k, struct arena *a, long long id) {
  struct db_res res;
  struct db_val p = DB_I(id);
  int rc = artist_exists(d, a, id);
  if (rc) return rc;
  rc = db_exec(d, a,
               "SELECT EXISTS (SELECT 1 FROM albums WHERE artist_id = ?) OR "
               "EXISTS (SELECT 1 FROM track_artists WHERE artist_id = ?)",
               (struct db_val[]){p, p}, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows && db_i64(&res.rows[0], 0, 0)) return RC_CONFLICT;
  rc = db_exec(d, a, "DELETE FROM artists WHERE id = ?", &p, 1, 0, &res);
  if (rc) return rc;
  cat_bump(k, "artist", id);
  search_unindex(d, SEARCH_ARTIST, id);
  return 0;
}
