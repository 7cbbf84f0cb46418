/* extcat: the catalogue from imports; see extcat.h.
 *
 * Each statement exists once per service (the column of its ids differs),
 * as literal text: the statement cache's key. Creation runs one page at a
 * time in one transaction (single-row inserts, whose ids the next rows
 * need, cost little inside it); the search index follows in one range
 * statement set per kind, not one transaction per object. */
#include "model/extcat.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/fetch.h"
#include "core/imgcodec.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/rc.h"
#include "core/str.h"
#include "model/album.h"
#include "model/catalogue.h"
#include "model/match.h"
#include "model/media.h"
#include "model/search.h"

/* The statements of one service, whose ids live in column `col`. */
struct ext_sql {
  const char *track_by_id, *link_track;
  const char *artist_by_id, *artist_by_name, *artist_link, *artist_new;
  const char *album_by_id, *album_by_title, *album_link, *album_new;
  const char *track_new;
};

#define EXT_SQL(col)                                                           \
  {                                                                            \
    .track_by_id = "SELECT STRAIGHT_JOIN j.i, t.id FROM JSON_TABLE(?, "        \
                   "'$[*]' COLUMNS (i INT PATH '$[0]', sid VARCHAR(64) "       \
                   "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH "    \
                   "'$[1]')) j JOIN tracks t ON t." col " = j.sid ORDER BY "   \
                   "j.i, t.id",                                                \
    .link_track = "UPDATE tracks SET " col " = COALESCE(" col ", ?), "         \
                  "preview_url = COALESCE(preview_url, ?) WHERE id = ?",       \
    .artist_by_id = "SELECT id FROM artists WHERE " col " = ? ORDER BY id "    \
                    "LIMIT 1",                                                 \
    .artist_by_name =                                                          \
        "SELECT id, " col " FROM artists WHERE name = ? ORDER "                \
        "BY (" col " IS NULL) DESC, popularity DESC, id LIMIT 1",              \
    .artist_link =                                                             \
        "UPDATE artists SET " col " = ? WHERE id = ? AND " col " IS NULL",     \
    .artist_new = "INSERT INTO artists (name, " col ") VALUES (?, ?)",         \
    .album_by_id = "SELECT id FROM albums WHERE " col " = ? ORDER BY id "      \
                   "LIMIT 1",                                                  \
    .album_by_title = "SELECT id, " col " FROM albums WHERE artist_id = ? "    \
                      "AND title = ? ORDER BY id LIMIT 1",                     \
    .album_link =                                                              \
        "UPDATE albums SET " col " = ? WHERE id = ? AND " col " IS NULL",      \
    .album_new =                                                               \
        "INSERT INTO albums (title, artist_id, type, release_date, " col       \
        ") VALUES (?, ?, ?, ?, ?)",                                            \
    .track_new =                                                               \
        "INSERT INTO tracks (title, album_id, disc_number, "                   \
        "track_number, duration_ms, release_date, explicit, isrc, " col        \
        ", preview_url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",                \
  }

static const struct ext_sql ext_sql[] = {
    [EXTCAT_SPOTIFY] = EXT_SQL("spotify_id"),
    [EXTCAT_APPLE_MUSIC] = EXT_SQL("apple_id"),
};

/* --- checking what a service sent ----------------------------------------- */

/* clean_name: s trimmed, valid UTF-8 without control characters, cut to
 * 255 characters; NULL when nothing is left. */
static const char *clean_name(struct arena *a, const char *s) {
  if (!s) return NULL;
  while (*s && isspace((unsigned char)*s))
    s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1]))
    n--;
  if (!n || !str_utf8_valid(s, n)) return NULL;
  size_t chars = 0, i = 0;
  for (; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c == 0x7f) return NULL;
    if ((c & 0xc0) != 0x80 && chars++ == 255) break;
  }
  return arena_strndup(a, s, i);
}

/* clean_id: 1..64 of [A-Za-z0-9._:-]. */
static const char *clean_id(const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n < 1 || n > 64) return NULL;
  for (size_t i = 0; i < n; i++)
    if (!isalnum((unsigned char)s[i]) && !strchr("._:-", s[i])) return NULL;
  return s;
}

/* clean_isrc: twelve letters and digits, upper-cased. */
static const char *clean_isrc(struct arena *a, const char *s) {
  if (!s || strlen(s) != 12) return NULL;
  char *u = arena_strdup(a, s);
  for (int i = 0; u && i < 12; i++) {
    if (!isalnum((unsigned char)u[i])) return NULL;
    u[i] = (char)toupper((unsigned char)u[i]);
  }
  return u;
}

/* clean_date: YYYY, YYYY-MM or YYYY-MM-DD as a full date (the first day
 * of what is known). */
static const char *clean_date(struct arena *a, const char *s) {
  int y = 0, m = 1, d = 1;
  size_t n = s ? strlen(s) : 0;
  if (n != 4 && n != 7 && n != 10) return NULL;
  for (size_t i = 0; i < n; i++)
    if ((i == 4 || i == 7) ? s[i] != '-' : !isdigit((unsigned char)s[i]))
      return NULL;
  y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
      (s[3] - '0');
  if (n >= 7) m = (s[5] - '0') * 10 + (s[6] - '0');
  if (n == 10) d = (s[8] - '0') * 10 + (s[9] - '0');
  if (y < 1000 || m < 1 || m > 12 || d < 1 || d > 31) return NULL;
  return arena_printf(a, "%04d-%02d-%02d", y, m, d);
}

/* clean_url: an https URL of at most 2048 bytes without spaces. */
static const char *clean_url(const char *s) {
  if (!s || strncmp(s, "https://", 8) != 0 || strlen(s) > 2048) return NULL;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if (*p <= 0x20 || *p == 0x7f) return NULL;
  return s;
}

static const char *clean_type(const char *s) {
  static const char *const types[] = {"album", "single", "compilation", "ep"};
  for (size_t i = 0; s && i < sizeof types / sizeof types[0]; i++)
    if (!strcasecmp(s, types[i])) return types[i];
  return "album";
}

/* clean_track: t checked and normalized in place; false: skip it. */
static bool clean_track(struct arena *a, struct extcat_track *t) {
  t->out_id = 0;
  t->id = clean_id(t->id);
  t->title = clean_name(a, t->title);
  t->isrc = clean_isrc(a, t->isrc);
  t->preview_url = clean_url(t->preview_url);
  t->art_url = clean_url(t->art_url);
  t->album_id = clean_id(t->album_id);
  t->album_title = clean_name(a, t->album_title);
  t->album_type = clean_type(t->album_type);
  t->release_date = clean_date(a, t->release_date);
  if (t->duration_ms < 0 || t->duration_ms > 86400000LL) t->duration_ms = 0;
  if (t->disc < 1 || t->disc > 999) t->disc = 1;
  if (t->number < 0 || t->number > 9999) t->number = 0;
  int k = 0;
  for (int i = 0; i < t->nartists && i < EXTCAT_ARTISTS; i++) {
    const char *name = clean_name(a, t->artists[i].name);
    if (!name) continue;
    t->artists[k++] =
        (struct extcat_artist){.id = clean_id(t->artists[i].id), .name = name};
  }
  t->nartists = k;
  return t->title && k > 0;
}

/* --- finding ----------------------------------------------------------------
 */

/* link: a found track gets the service's id and preview (when it lacks
 * them). */
static int link(struct db *d, struct kv *k, enum extcat_source src,
                const struct extcat_track *t) {
  struct db_val p[] = {DB_S(t->id), DB_S(t->preview_url), DB_I(t->out_id)};
  struct db_res res;
  int rc = db_exec(d, NULL, ext_sql[src].link_track, p, 3, DB_IDEMPOTENT, &res);
  if (!rc && res.affected) cat_bump(k, "track", t->out_id);
  return rc;
}

/* by_id: tracks the catalogue knows by the service's id. */
static int by_id(struct db *d, struct arena *a, enum extcat_source src,
                 struct extcat_track *t, const bool *ok, int n,
                 struct extcat_stats *st) {
  json_object *rows = jx_own(a, json_object_new_array());
  if (!rows) return RC_NOMEM;
  for (int i = 0; i < n; i++) {
    if (!ok[i] || !t[i].id) continue;
    json_object *r = json_object_new_array();
    json_object_array_add(r, json_object_new_int(i));
    json_object_array_add(r, json_object_new_string(t[i].id));
    json_object_array_add(rows, r);
  }
  if (!json_object_array_length(rows)) return 0;
  size_t len;
  const char *text = jx_text(a, rows, &len);
  struct db_val p = DB_S(text);
  struct db_res res;
  int rc =
      text ? db_exec(d, a, ext_sql[src].track_by_id, &p, 1, DB_IDEMPOTENT, &res)
           : RC_NOMEM;
  if (rc) return rc;
  for (int r = 0; r < res.nrows; r++) {
    long long i = db_i64(&res.rows[r], 0, -1);
    if (i < 0 || i >= n || t[i].out_id) continue;
    t[i].out_id = db_i64(&res.rows[r], 1, 0);
    st->by_id++;
  }
  return 0;
}

/* by_isrc: the others by ISRC, the most popular recording first. */
static int by_isrc(struct db *d, struct kv *k, struct arena *a,
                   enum extcat_source src, struct extcat_track *t,
                   const bool *ok, int n, struct extcat_stats *st) {
  json_object *rows = jx_own(a, json_object_new_array());
  if (!rows) return RC_NOMEM;
  for (int i = 0; i < n; i++) {
    if (!ok[i] || t[i].out_id || !t[i].isrc) continue;
    json_object *r = json_object_new_array();
    json_object_array_add(r, json_object_new_int(i));
    json_object_array_add(r, json_object_new_string(t[i].isrc));
    json_object_array_add(rows, r);
  }
  if (!json_object_array_length(rows)) return 0;
  size_t len;
  const char *text = jx_text(a, rows, &len);
  struct db_val p = DB_S(text);
  struct db_res res;
  int rc = text ? db_exec(d, a,
                          "SELECT STRAIGHT_JOIN j.i, t.id FROM JSON_TABLE(?, "
                          "'$[*]' COLUMNS (i INT PATH '$[0]', isrc CHAR(12) "
                          "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci "
                          "PATH '$[1]')) j JOIN tracks t ON t.isrc = j.isrc "
                          "ORDER BY j.i, t.popularity DESC, t.id",
                          &p, 1, DB_IDEMPOTENT, &res)
                : RC_NOMEM;
  if (rc) return rc;
  for (int r = 0; r < res.nrows; r++) {
    long long i = db_i64(&res.rows[r], 0, -1);
    if (i < 0 || i >= n || t[i].out_id) continue;
    t[i].out_id = db_i64(&res.rows[r], 1, 0);
    st->by_isrc++;
    if ((rc = link(d, k, src, &t[i]))) return rc;
  }
  return 0;
}

/* by_names: the others by title, primary artist and duration. */
static int by_names(struct db *d, struct kv *k, struct arena *a,
                    enum extcat_source src, struct extcat_track *t,
                    const bool *ok, int n, struct extcat_stats *st) {
  struct match_item *m = arena_alloc(a, sizeof *m * (size_t)(n + 1));
  int *idx = arena_alloc(a, sizeof *idx * (size_t)(n + 1)), c = 0, rc;
  if (!m || !idx) return RC_NOMEM;
  for (int i = 0; i < n; i++) {
    if (!ok[i] || t[i].out_id) continue;
    m[c] = (struct match_item){
        .artist = t[i].artists[0].name,
        .title = t[i].title,
        .duration_ms = t[i].duration_ms > 0 ? t[i].duration_ms : -1};
    if ((rc = match_prepare(a, &m[c]))) return rc;
    idx[c++] = i;
  }
  if (!c || (rc = match_resolve(d, a, m, c))) return c ? rc : 0;
  for (int i = 0; i < c; i++) {
    if (!m[i].track_id) continue;
    t[idx[i]].out_id = m[i].track_id;
    st->by_names++;
    if ((rc = link(d, k, src, &t[idx[i]]))) return rc;
  }
  return 0;
}

/* --- creating ------------------------------------------------------------- */

/* The ids a creation made, for the search index afterwards. */
struct made {
  long long lo[3], hi[3]; /* per search kind: tracks, artists, albums */
};

static void made_add(struct made *m, enum search_kind kind, long long id) {
  if (!m->lo[kind] || id < m->lo[kind]) m->lo[kind] = id;
  if (id > m->hi[kind]) m->hi[kind] = id;
}

/* index_made: the search index of every object made, in ranges of at most
 * 1,000 ids (other objects in a range are indexed again, harmlessly). */
static void index_made(struct db *d, const struct made *m) {
  for (int kind = 0; kind < 3; kind++)
    for (long long lo = m->lo[kind]; lo && lo <= m->hi[kind]; lo += 1000) {
      long long hi = lo + 999 < m->hi[kind] ? lo + 999 : m->hi[kind];
      search_index_range(d, (enum search_kind)kind, lo, hi);
    }
}

/* artist_id: the artist ar, found or created, into ar->out_id. */
static int artist_id(struct db *d, struct arena *a, enum extcat_source src,
                     struct extcat_artist *ar, struct made *made,
                     struct extcat_stats *st) {
  const struct ext_sql *q = &ext_sql[src];
  struct db_res res;
  int rc;
  ar->out_id = 0;
  if (ar->id) {
    struct db_val p = DB_S(ar->id);
    if ((rc = db_exec(d, a, q->artist_by_id, &p, 1, 0, &res))) return rc;
    if (res.nrows) {
      ar->out_id = db_i64(&res.rows[0], 0, 0);
      return 0;
    }
  }
  struct db_val p = DB_S(ar->name);
  if ((rc = db_exec(d, a, q->artist_by_name, &p, 1, 0, &res))) return rc;
  /* A namesake known by another id of this service is someone else. */
  const char *other = res.nrows ? db_s(&res.rows[0], 1) : NULL;
  if (res.nrows && (!other || !ar->id || !strcmp(other, ar->id))) {
    ar->out_id = db_i64(&res.rows[0], 0, 0);
    if (ar->id && !other) {
      struct db_val l[] = {DB_S(ar->id), DB_I(ar->out_id)};
      rc = db_exec(d, NULL, q->artist_link, l, 2, 0, NULL);
    }
    return rc;
  }
  struct db_val n[] = {DB_S(ar->name), DB_S(ar->id)};
  if ((rc = db_exec(d, a, q->artist_new, n, 2, 0, &res))) return rc;
  ar->out_id = (long long)res.insert_id;
  made_add(made, SEARCH_ARTIST, ar->out_id);
  st->artists_created++;
  return 0;
}

/* album_id: the album of t (primary artist artist), found or created. */
static int album_id(struct db *d, struct arena *a, enum extcat_source src,
                    const struct extcat_track *t, long long artist,
                    long long *out, struct made *made,
                    struct extcat_stats *st) {
  const struct ext_sql *q = &ext_sql[src];
  struct db_res res;
  int rc;
  *out = 0;
  if (!t->album_title) return 0;
  if (t->album_id) {
    struct db_val p = DB_S(t->album_id);
    if ((rc = db_exec(d, a, q->album_by_id, &p, 1, 0, &res))) return rc;
    if (res.nrows) {
      *out = db_i64(&res.rows[0], 0, 0);
      return 0;
    }
  }
  struct db_val p[] = {DB_I(artist), DB_S(t->album_title)};
  if ((rc = db_exec(d, a, q->album_by_title, p, 2, 0, &res))) return rc;
  const char *other = res.nrows ? db_s(&res.rows[0], 1) : NULL;
  if (res.nrows && (!other || !t->album_id || !strcmp(other, t->album_id))) {
    *out = db_i64(&res.rows[0], 0, 0);
    if (t->album_id && !other) {
      struct db_val l[] = {DB_S(t->album_id), DB_I(*out)};
      rc = db_exec(d, NULL, q->album_link, l, 2, 0, NULL);
    }
    return rc;
  }
  struct db_val n[] = {DB_S(t->album_title), DB_I(artist), DB_S(t->album_type),
                       DB_S(t->release_date), DB_S(t->album_id)};
  if ((rc = db_exec(d, a, q->album_new, n, 5, 0, &res))) return rc;
  *out = (long long)res.insert_id;
  made_add(made, SEARCH_ALBUM, *out);
  st->albums_created++;
  if (t->art_url) {
    struct db_val art[] = {DB_I(*out), DB_S(t->art_url)};
    rc = db_exec(d, NULL,
                 "INSERT IGNORE INTO album_art_queue (album_id, url) VALUES "
                 "(?, ?)",
                 art, 2, 0, NULL);
  }
  return rc;
}

/* create_one: track t with its artists and album, in the open
 * transaction; an album that existed and gained it goes to *grown. */
static int create_one(struct db *d, struct arena *a, enum extcat_source src,
                      struct extcat_track *t, struct made *made,
                      long long *grown, struct extcat_stats *st) {
  int rc = 0;
  for (int i = 0; !rc && i < t->nartists; i++)
    rc = artist_id(d, a, src, &t->artists[i], made, st);
  long long album = 0;
  if (!rc) rc = album_id(d, a, src, t, t->artists[0].out_id, &album, made, st);
  if (rc) return rc;
  struct db_val p[] = {
      DB_S(t->title),       album ? DB_I(album) : DB_NUL,
      DB_I(t->disc),        t->number ? DB_I(t->number) : DB_NUL,
      DB_I(t->duration_ms), DB_S(t->release_date),
      DB_I(t->explicit_),   DB_S(t->isrc),
      DB_S(t->id),          DB_S(t->preview_url)};
  struct db_res res;
  if ((rc = db_exec(d, a, ext_sql[src].track_new, p, 10, 0, &res))) return rc;
  t->out_id = (long long)res.insert_id;
  made_add(made, SEARCH_TRACK, t->out_id);
  *grown = album; /* its track count changed (a new album's bump is moot) */
  for (int i = 0; !rc && i < t->nartists; i++) {
    struct db_val c[] = {DB_I(t->out_id), DB_I(t->artists[i].out_id),
                         DB_S(i ? "featured" : "primary"), DB_I(i)};
    rc = db_exec(d, NULL,
                 "INSERT IGNORE INTO track_artists (track_id, artist_id, "
                 "role, position) VALUES (?, ?, ?, ?)",
                 c, 4, 0, NULL);
  }
  st->created++;
  return rc;
}

/* create: the tracks still without one, in one transaction. */
/* repeat: whether t[i] is a track an earlier one of the page already is
 * (the same id of the service). */
static bool repeat(const struct extcat_track *t, const bool *ok, int i) {
  for (int j = 0; t[i].id && j < i; j++)
    if (ok[j] && t[j].id && !strcmp(t[j].id, t[i].id)) return true;
  return false;
}

static int create(struct db *d, struct kv *k, struct arena *a,
                  enum extcat_source src, struct extcat_track *t,
                  const bool *ok, int n, struct extcat_stats *st) {
  long long *grown = arena_alloc(a, sizeof *grown * (size_t)(n + 1));
  bool *mine = arena_alloc(a, sizeof *mine * (size_t)(n + 1));
  struct extcat_stats before = *st;
  struct made made;
  int rc, tries = 0;
  if (!grown || !mine) return RC_NOMEM;
  do {
    made = (struct made){0};
    *st = before;
    rc = db_begin(d);
    for (int i = 0; !rc && i < n; i++) {
      grown[i] = 0;
      mine[i] = false;
      if (!ok[i] || t[i].out_id || repeat(t, ok, i)) continue;
      rc = create_one(d, a, src, &t[i], &made, &grown[i], st);
      mine[i] = !rc;
    }
    if (!rc) rc = db_commit(d);
    if (rc) {
      db_rollback(d);
      for (int i = 0; i < n; i++)
        if (mine[i]) t[i].out_id = 0;
    }
  } while (db_retry(rc, &tries));
  if (rc) return rc;
  /* duplicates within the page take the track made for the first */
  for (int i = 0; i < n; i++)
    for (int j = 0; ok[i] && !t[i].out_id && t[i].id && j < i; j++)
      if (ok[j] && t[j].id && !strcmp(t[j].id, t[i].id))
        t[i].out_id = t[j].out_id;
  index_made(d, &made);
  for (int i = 0; i < n; i++)
    if (grown[i]) cat_bump(k, "album", grown[i]);
  return 0;
}

int extcat_tracks(struct db *d, struct kv *k, struct arena *a,
                  enum extcat_source src, struct extcat_track *t, int n,
                  struct extcat_stats *st) {
  bool *ok = arena_alloc(a, sizeof *ok * (size_t)(n + 1));
  int rc;
  if (!ok || n > EXTCAT_PAGE) return ok ? RC_INVALID : RC_NOMEM;
  for (int i = 0; i < n; i++)
    if (!(ok[i] = clean_track(a, &t[i]))) st->skipped++;
  if ((rc = by_id(d, a, src, t, ok, n, st)) ||
      (rc = by_isrc(d, k, a, src, t, ok, n, st)) ||
      (rc = by_names(d, k, a, src, t, ok, n, st)))
    return rc;
  return create(d, k, a, src, t, ok, n, st);
}

int extcat_artists(struct db *d, struct kv *k, struct arena *a,
                   enum extcat_source src, struct extcat_artist *ar, int n,
                   struct extcat_stats *st) {
  struct made made;
  struct extcat_stats before = *st;
  int rc, tries = 0;
  (void)k;
  do {
    made = (struct made){0};
    *st = before;
    rc = db_begin(d);
    for (int i = 0; !rc && i < n; i++) {
      ar[i].out_id = 0;
      ar[i].id = clean_id(ar[i].id);
      ar[i].name = clean_name(a, ar[i].name);
      if (!ar[i].name) {
        st->skipped++;
        continue;
      }
      rc = artist_id(d, a, src, &ar[i], &made, st);
    }
    if (!rc) rc = db_commit(d);
    if (rc) db_rollback(d);
  } while (db_retry(rc, &tries));
  if (!rc) index_made(d, &made);
  return rc;
}

/* --- album art ------------------------------------------------------------ */

/* Largest cover fetched (the upload limit's order). */
#define ART_BYTES (4u << 20)

/* art_one: fetch, re-encode and store one cover; 0, or why it failed in
 * *why (the row is then tried later). */
static int art_one(struct db *d, struct kv *k, struct arena *a,
                   const char *media_dir, long long album, const char *url,
                   const char **why) {
  struct fetch_resp r;
  const struct fetch_req q = {
      .url = url, .redirects = 3, .timeout_ms = 15000, .body_max = ART_BYTES};
  int rc = fetch(a, &q, &r);
  if (rc) {
    *why = r.error;
    return rc;
  }
  if (r.status != 200) {
    *why = "the image's address did not answer 200";
    return RC_UNAVAILABLE;
  }
  struct imgcodec_out img;
  int ic = imgcodec_reencode(a, (const unsigned char *)r.body, r.len, IMG_NONE,
                             &img);
  if (ic) {
    *why = "the image is not one Encore stores";
    return RC_INVALID;
  }
  const char *path, *orphan = NULL;
  if ((rc = media_lock(d, a))) return rc;
  rc = media_store(a, media_dir, (const char *)img.data, img.len,
                   img_ext(img.type), &path);
  struct db_val p = DB_I(album);
  struct db_res res;
  if (!rc)
    rc = db_exec(d, a, "SELECT art_path IS NULL FROM albums WHERE id = ?", &p,
                 1, 0, &res);
  /* an editor's art, set meanwhile, stays */
  if (!rc && res.nrows && db_i64(&res.rows[0], 0, 0))
    rc = album_set_art(d, k, a, album, path, (int)img.width, (int)img.height,
                       &orphan);
  else if (!rc)
    rc = media_orphan(d, a, path, &orphan);
  media_unlock(d, a);
  if (orphan) media_unlink(a, media_dir, orphan);
  return rc;
}

int extcat_album_art(struct db *d, struct kv *k, struct arena *a,
                     const char *media_dir, int max, int *done) {
  struct db_val p = DB_I(max);
  struct db_res res;
  *done = 0;
  int rc = db_exec(d, a,
                   "SELECT album_id, url FROM album_art_queue WHERE next_at "
                   "<= UTC_TIMESTAMP(3) ORDER BY next_at LIMIT ?",
                   &p, 1, DB_IDEMPOTENT, &res);
  for (int i = 0; !rc && i < res.nrows; i++) {
    long long album = db_i64(&res.rows[i], 0, 0);
    const char *why = NULL;
    int one = art_one(d, k, a, media_dir, album, db_s(&res.rows[i], 1), &why);
    struct db_val q = DB_I(album);
    if (!one) {
      (*done)++;
      rc = db_exec(d, NULL, "DELETE FROM album_art_queue WHERE album_id = ?",
                   &q, 1, DB_IDEMPOTENT, NULL);
      continue;
    }
    if (one == RC_NOMEM || one == RC_DB) return one;
    char id[24];
    snprintf(id, sizeof id, "%lld", album);
    log_msg(LOG_WARN, "album art not fetched", "album", id, "why",
            why ? why : "failed", NULL);
    rc = db_exec(d, NULL,
                 "UPDATE album_art_queue SET attempts = attempts + 1, next_at "
                 "= UTC_TIMESTAMP(3) + INTERVAL POW(4, attempts) MINUTE "
                 "WHERE album_id = ?",
                 &q, 1, DB_IDEMPOTENT, NULL);
    if (!rc)
      rc = db_exec(d, NULL,
                   "DELETE FROM album_art_queue WHERE album_id = ? AND "
                   "attempts >= 5",
                   &q, 1, DB_IDEMPOTENT, NULL);
  }
  return rc;
}
