/* extcat: catalogue entries for what imports bring from Spotify and Apple
 * Music. A page of tracks is matched to the catalogue (the service's own
 * id, then the ISRC, then names and duration as scrobbles are: model/
 * match.h) and what matches gets the service's id (external_ids.spotify,
 * external_ids.apple_music) and Spotify's preview; the rest is created
 * with its artists (found by the service's id, then by name) and album
 * (the service's id, then title and artist) in one transaction, indexed
 * for search in a few range statements, and the new albums' art queued
 * for album_art (fetched through core/fetch.h and re-encoded by
 * core/imgcodec.h into the media store).
 *
 * Everything here comes from a third party and is checked as input:
 * names must be UTF-8 of 1..255 characters (a longer one is cut on a
 * character boundary), ids short printable words, an ISRC twelve letters
 * and digits, dates YYYY[-MM[-DD]], URLs https. A track that fails is
 * skipped, never half stored. */
#ifndef ENCORE_EXTCAT_H
#define ENCORE_EXTCAT_H

#include <stdbool.h>

struct arena;
struct db;
struct kv;

enum extcat_source { EXTCAT_SPOTIFY, EXTCAT_APPLE_MUSIC };

/* Artists of one track (the first is the primary one). */
#define EXTCAT_ARTISTS 4
/* Tracks of one call. */
#define EXTCAT_PAGE 100

struct extcat_artist {
  const char *id; /* the service's id, or NULL */
  const char *name;
  long long out_id; /* set: Encore's artist */
};

struct extcat_track {
  const char *id; /* the service's id (NULL: none, e.g. an upload) */
  const char *isrc, *title, *preview_url;
  long long duration_ms;
  int disc, number; /* 0: unknown */
  bool explicit_;
  const char *album_id, *album_title, *album_type, *release_date, *art_url;
  struct extcat_artist artists[EXTCAT_ARTISTS];
  int nartists;
  long long out_id; /* set: Encore's track, 0 when it was skipped */
};

/* What a call did, added to the counts already there. */
struct extcat_stats {
  long long by_id, by_isrc, by_names, created, skipped;
  long long artists_created, albums_created;
};

/* extcat_tracks: t[0..n) (n <= EXTCAT_PAGE) matched or created; each
 * out_id set (0: skipped as invalid). 0 or a db code (nothing of the call
 * created then). */
int extcat_tracks(struct db *d, struct kv *k, struct arena *a,
                  enum extcat_source src, struct extcat_track *t, int n,
                  struct extcat_stats *st);
/* extcat_artists: ar[0..n) found (the service's id, then the name) or
 * created; out_id set, 0 for an invalid one. */
int extcat_artists(struct db *d, struct kv *k, struct arena *a,
                   enum extcat_source src, struct extcat_artist *ar, int n,
                   struct extcat_stats *st);

/* extcat_album_art: fetch up to max queued album covers into the media
 * store (media_dir); *done how many were stored. One that fails is tried
 * again later (five times at most). */
int extcat_album_art(struct db *d, struct kv *k, struct arena *a,
                     const char *media_dir, int max, int *done);

#endif
