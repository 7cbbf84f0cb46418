/* track: catalogue tracks over MariaDB (with their credited artists, album
 * and genres), their JSON, its memcached copy under namespace "track:<id>",
 * and lyrics. */
#ifndef ENCORE_TRACK_H
#define ENCORE_TRACK_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "model/catalogue.h"

struct arena;
struct db;
struct kv;

/* The audio features, in column order; text as stored, NULL when unknown. */
#define TRACK_NFEAT 6
extern const char *const track_features[TRACK_NFEAT]; /* "tempo", "energy".. */

/* A credited artist of a track (role "primary" or "featured"). */
struct track_artist {
  long long id;
  const char *role;
};

/* A track row; strings live in the arena of the call that read it. */
struct track {
  long long id, album_id; /* album_id 0: none */
  const char *title, *album_title, *release_date, *isrc;
  long long disc_number, track_number; /* track_number 0: none */
  long long duration_ms, popularity, like_count, created_at, updated_at;
  bool explicit_, has_lyrics;
  const char *feat[TRACK_NFEAT];
  struct cat_ext ext;
  const char *artists; /* JSON array text [{id,name,role}] */
  const char *genres;  /* JSON array text, NULL for none */
  const char *stamp;   /* updated_at to the microsecond: the version a PATCH
                        * read, checked by the UPDATE */
  const char *preview_url; /* Spotify's preview, set by imports; or NULL */
};

/* track_get: by id, from MariaDB. RC_NOT_FOUND when absent. */
int track_get(struct db *d, struct arena *a, long long id, struct track *x);
/* track_text: the API JSON of one track, from memcached when cached, else
 * from MariaDB (then cached). */
int track_text(struct db *d, struct kv *k, struct arena *a, long long id,
               const char **text, size_t *len);
/* track_texts: track_text of n tracks (texts[i] NULL for one that does not
 * exist): one memcached round trip, MariaDB CAT_BATCH at a time for the
 * misses. */
int track_texts(struct db *d, struct kv *k, struct arena *a,
                const long long *ids, int n, const char **texts, size_t *lens);
/* track_list: up to limit tracks with id > after in id order; only those of
 * genre_id when not 0. */
int track_list(struct db *d, struct arena *a, long long genre_id,
               long long after, int limit, struct track **items, int *n);
/* track_by_album: tracks of an album in disc, track order (unnumbered
 * last), after the position (disc, track, id) of the cursor. */
int track_by_album(struct db *d, struct arena *a, long long album_id,
                   long long disc, long long num, long long after_id, int limit,
                   struct track **items, int *n);
/* track_by_artist: tracks crediting the artist, by id. */
int track_by_artist(struct db *d, struct arena *a, long long artist_id,
                    long long after, int limit, struct track **items, int *n);
/* track_save: insert (create; x->id set) or update (only while
 * updated_at still equals x->stamp, else RC_PRECONDITION: the caller read
 * an older version and should apply its change again) the editable columns;
 * artists (nartists > 0) and genres (not NULL) replaced when given. Bumps
 * the track and the albums whose track count changed (old_album_id is the
 * album before an update, 0 for none); reindexes it for search. */
int track_save(struct db *d, struct kv *k, struct arena *a, struct track *x,
               const struct track_artist *artists, int nartists,
               json_object *genres, bool create, long long old_album_id);
/* track_delete: remove the track; playlists, likes and listens lose it (the
 * playlists are renumbered and get a new snapshot). RC_NOT_FOUND. */
int track_delete(struct db *d, struct kv *k, struct arena *a, long long id);
/* track_lyrics: plain and LRC lyrics (each NULL when absent). */
int track_lyrics(struct db *d, struct arena *a, long long id,
                 const char **plain, const char **lrc);
/* track_set_lyrics: replace both (NULL clears). RC_NOT_FOUND. */
int track_set_lyrics(struct db *d, struct kv *k, struct arena *a, long long id,
                     const char *plain, const char *lrc);
/* track_json: the API view (a new object). */
json_object *track_json(struct arena *a, const struct track *x);

#endif
