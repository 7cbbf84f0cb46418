/* spotify: the Spotify import, one page at a time (import.h): saved tracks
 * (liked in Encore), playlists (made or replaced, skipped when their
 * snapshot is unchanged), followed and top artists (favourite artists),
 * recent plays (listens, source "spotify"). Re-imports are incremental:
 * saved tracks stop at the newest one the last import saw, recent plays
 * start after its last one (marks kept with the link). Pages are of 50,
 * followed by Spotify's own `next` links (only under spotify_api_url: the
 * access token goes nowhere else). */
#include <stdio.h>
#include <string.h>

#include "batch/import/import.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/timefmt.h"
#include "model/integration.h"
#include "model/listen.h"
#include "model/playlist.h"
#include "svc/spotify.h"

/* sp_track: a Spotify track object as an extcat track; false when it is
 * not an object with a name. */
static bool sp_track(json_object *t, struct extcat_track *out) {
  *out = (struct extcat_track){0};
  if (!json_object_is_type(t, json_type_object)) return false;
  json_object *album = svc_path(t, "album", NULL);
  json_object *arts = svc_path(t, "artists", NULL);
  json_object *images = svc_path(album, "images", NULL);
  json_object *isrc = svc_path(t, "external_ids", "isrc", NULL);
  *out = (struct extcat_track){
      .id = svc_str(t, "id"),
      .title = svc_str(t, "name"),
      .isrc = json_object_is_type(isrc, json_type_string)
                  ? json_object_get_string(isrc)
                  : NULL,
      .preview_url = svc_str(t, "preview_url"),
      .duration_ms = svc_int(t, "duration_ms", 0),
      .disc = (int)svc_int(t, "disc_number", 1),
      .number = (int)svc_int(t, "track_number", 0),
      .explicit_ = json_object_get_boolean(svc_path(t, "explicit", NULL)),
      .album_id = svc_str(album, "id"),
      .album_title = svc_str(album, "name"),
      .album_type = svc_str(album, "album_type"),
      .release_date = svc_str(album, "release_date"),
      .art_url = json_object_is_type(images, json_type_array)
                     ? svc_str(json_object_array_get_idx(images, 0), "url")
                     : NULL,
  };
  size_t n = json_object_is_type(arts, json_type_array)
                 ? json_object_array_length(arts)
                 : 0;
  for (size_t i = 0; i < n && out->nartists < EXTCAT_ARTISTS; i++) {
    json_object *ar = json_object_array_get_idx(arts, i);
    out->artists[out->nartists++] = (struct extcat_artist){
        .id = svc_str(ar, "id"), .name = svc_str(ar, "name")};
  }
  return out->title != NULL;
}

/* items: the array a page lists (at `key` of the body or of body.artists);
 * NULL when the answer is not what Spotify sends. */
static json_object *items(json_object *body, const char *outer) {
  json_object *o = outer ? svc_path(body, outer, NULL) : body;
  json_object *arr = svc_path(o, "items", NULL);
  return json_object_is_type(arr, json_type_array) ? arr : NULL;
}

/* malformed: an answer without the lists it should have. */
static int malformed(struct import_run *x, enum import_step *step) {
  const struct svc_answer bad = {.outcome = SVC_DOUBT,
                                 .error = "Spotify's answer is malformed"};
  return import_failed_page(x, "Spotify", &bad, step);
}

/* get: one page of Spotify's API; 0 with *body on success, or the page
 * failed (rescheduled: *body NULL). */
static int get(struct import_run *x, struct arena *a, const char *token,
               const char *path, json_object **body, enum import_step *step) {
  struct svc_answer ans;
  *body = NULL;
  int rc = spotify_get(a, token, path, &ans);
  if (rc) return rc;
  if (ans.outcome != SVC_OK)
    return import_failed_page(x, "Spotify", &ans, step);
  *body = ans.body;
  return 0;
}

/* tracks_of: the tracks at `key` of each item of arr (NULL key: the items
 * themselves) made catalogue entries; ids[i] Encore's (0: skipped), *n
 * the count. */
static int tracks_of(struct import_run *x, struct arena *a, json_object *arr,
                     const char *key, long long *ids, int *n) {
  struct extcat_track *t = arena_alloc(a, sizeof *t * EXTCAT_PAGE);
  int k = 0, len = (int)json_object_array_length(arr);
  if (!t) return RC_NOMEM;
  *n = 0;
  for (int i = 0; i < len && k < EXTCAT_PAGE; i++) {
    json_object *it = json_object_array_get_idx(arr, (size_t)i);
    sp_track(key ? svc_path(it, key, NULL) : it, &t[k++]);
  }
  *n = k;
  return import_tracks(x, a, EXTCAT_SPOTIFY, t, k, ids);
}

static int saved_tracks(struct import_run *x, struct arena *a,
                        const char *token, enum import_step *step) {
  const char *path = import_cursor_str(x, "next");
  bool first = !path;
  json_object *body;
  int rc =
      get(x, a, token, first ? "/v1/me/tracks?limit=50" : path, &body, step);
  if (rc || !body) return rc;
  json_object *arr = items(body, NULL);
  if (!arr) return malformed(x, step);
  const char *since = svc_str(svc_path(x->cursor, "since", NULL), "saved");
  size_t len = json_object_array_length(arr);
  if (first) {
    x->job->total = (x->job->total > 0 ? x->job->total : 0) +
                    svc_int(body, "total", (long long)len);
    const char *newest =
        len ? svc_str(json_object_array_get_idx(arr, 0), "added_at") : NULL;
    if (newest) import_set_str(x, "saved_mark", newest);
  }
  /* Newest first: the first one added before the last import ends it. */
  size_t use = len;
  for (size_t i = 0; since && i < len; i++) {
    const char *at = svc_str(json_object_array_get_idx(arr, i), "added_at");
    if (at && strcmp(at, since) <= 0) {
      use = i;
      break;
    }
  }
  json_object *part = jx_own(a, json_object_new_array());
  for (size_t i = 0; i < use; i++)
    json_object_array_add(part,
                          json_object_get(json_object_array_get_idx(arr, i)));
  long long ids[EXTCAT_PAGE], liked = 0;
  int n = 0;
  if ((rc = tracks_of(x, a, part, "track", ids, &n))) return rc;
  rc = import_like(x, a, ids, n, &liked);
  if (rc == RC_LIMIT) {
    import_add(x, "likes_over_cap", n);
    rc = 0;
  }
  if (rc) return rc;
  import_add(x, "tracks_liked", liked);
  x->job->done += n;
  import_next_or_part(x, use < len ? NULL : svc_str(body, "next"));
  return import_save(x, step);
}

/* spotify_playlist_tracks: every track of one playlist (its pages of 100), made
 * catalogue entries, into ids (at most PLAYLIST's 10,000). */
static int spotify_playlist_tracks(struct import_run *x, struct arena *a,
                                   const char *token, const char *id,
                                   long long **ids, int *n,
                                   enum import_step *step) {
  int cap = 10000;
  *ids = arena_alloc(a, sizeof **ids * (size_t)cap);
  *n = 0;
  if (!*ids) return RC_NOMEM;
  const char *path = arena_printf(a, "/v1/playlists/%s/tracks?limit=100", id);
  while (path && *n < cap) {
    json_object *body;
    int rc = get(x, a, token, path, &body, step);
    if (rc || !body) return rc;
    json_object *arr = items(body, NULL);
    if (!arr) return malformed(x, step);
    int k = 0;
    if ((rc = tracks_of(x, a, arr, "track", *ids + *n, &k))) return rc;
    *n += k;
    x->job->done += k;
    path = svc_str(body, "next");
  }
  return 0;
}

static int playlists(struct import_run *x, struct arena *a, const char *token,
                     enum import_step *step) {
  const char *list = import_cursor_str(x, "next");
  long long index = import_cursor_int(x, "index", 0);
  json_object *body;
  int rc =
      get(x, a, token, list ? list : "/v1/me/playlists?limit=50", &body, step);
  if (rc || !body) return rc;
  json_object *arr = items(body, NULL);
  if (!arr) return malformed(x, step);
  if (index >= (long long)json_object_array_length(arr)) {
    import_set_int(x, "index", 0);
    import_next_or_part(x, svc_str(body, "next"));
    return import_save(x, step);
  }
  /* One playlist per page of the runner. */
  json_object *p = json_object_array_get_idx(arr, (size_t)index);
  const char *id = svc_str(p, "id"), *name = svc_str(p, "name"),
             *snap = svc_str(p, "snapshot_id");
  bool same = false;
  if (id && (rc = import_unchanged(x, a, IMPORTJOB_SPOTIFY, id, snap, &same)))
    return rc;
  if (!id || !name || !*name || strlen(id) > 64) {
    import_add(x, "playlists_skipped", 1);
  } else if (same) {
    import_add(x, "playlists_unchanged", 1);
  } else {
    long long *ids;
    int n;
    if ((rc = spotify_playlist_tracks(x, a, token, id, &ids, &n, step)) ||
        *step == IMPORT_STOP)
      return rc;
    if ((rc = import_playlist(x, a, IMPORTJOB_SPOTIFY, id, name, snap, ids, n)))
      return rc;
  }
  return import_playlist_next(x, index, list, step);
}

static int artists(struct import_run *x, struct arena *a, const char *token,
                   bool followed, enum import_step *step) {
  const char *path = import_cursor_str(x, "next");
  json_object *body;
  int rc =
      get(x, a, token,
          path       ? path
          : followed ? "/v1/me/following?type=artist&limit=50"
                     : "/v1/me/top/artists?limit=50&time_range=medium_term",
          &body, step);
  if (rc || !body) return rc;
  json_object *outer = followed ? svc_path(body, "artists", NULL) : body;
  json_object *arr = items(outer, NULL);
  if (!arr) return malformed(x, step);
  int n = (int)json_object_array_length(arr);
  if (n > 50) n = 50;
  struct extcat_artist ar[50];
  const char *names[50];
  for (int i = 0; i < n; i++) {
    json_object *o = json_object_array_get_idx(arr, (size_t)i);
    ar[i] = (struct extcat_artist){.id = svc_str(o, "id"),
                                   .name = svc_str(o, "name")};
  }
  struct extcat_stats st = {0};
  if ((rc = extcat_artists(x->d, x->k, a, EXTCAT_SPOTIFY, ar, n, &st)))
    return rc;
  int k = 0;
  for (int i = 0; i < n; i++)
    if (ar[i].out_id) names[k++] = ar[i].name;
  if ((rc = import_favourites(x, a, names, k))) return rc;
  import_add(x, followed ? "artists_followed" : "artists_top", k);
  import_add(x, "artists_created", st.artists_created);
  x->job->done += n;
  import_next_or_part(x, svc_str(outer, "next"));
  return import_save(x, step);
}

/* Spotify keeps the last 50 plays: one page, after the last import's. */
static int recently_played(struct import_run *x, struct arena *a,
                           const char *token, enum import_step *step) {
  long long since = svc_int(svc_path(x->cursor, "since", NULL), "played", 0);
  const char *path =
      since ? arena_printf(
                  a, "/v1/me/player/recently-played?limit=50&after=%lld", since)
            : "/v1/me/player/recently-played?limit=50";
  json_object *body;
  int rc = get(x, a, token, path, &body, step);
  if (rc || !body) return rc;
  json_object *arr = items(body, NULL);
  if (!arr) return malformed(x, step);
  long long ids[EXTCAT_PAGE], newest = since;
  int n = 0;
  if ((rc = tracks_of(x, a, arr, "track", ids, &n))) return rc;
  struct listen_in *li = arena_alloc(a, sizeof *li * (size_t)(n + 1));
  int m = 0;
  if (!li) return RC_NOMEM;
  for (int i = 0; i < n; i++) {
    long long at;
    const char *when =
        svc_str(json_object_array_get_idx(arr, (size_t)i), "played_at");
    if (!ids[i] || !when || timefmt_parse(when, &at) || at < LISTEN_EPOCH_MIN)
      continue;
    if (at > newest) newest = at;
    li[m++] = (struct listen_in){.track_id = ids[i],
                                 .at_ms = at,
                                 .ms_played = -1,
                                 .source = "spotify",
                                 .status = LISTEN_PENDING};
  }
  if (m && (rc = listen_store(x->d, x->k, a, x->job->user, li, m))) return rc;
  long long stored = 0;
  for (int i = 0; i < m; i++)
    stored += li[i].status == LISTEN_STORED;
  import_add(x, "listens", stored);
  if (newest > since) import_set_int(x, "played_mark", newest);
  x->job->done += n;
  import_next_part(x);
  return import_save(x, step);
}

/* marks: where the last import stopped (the link's marks) into the
 * cursor's "since", once per job. */
static int marks(struct import_run *x, struct arena *a) {
  if (svc_path(x->cursor, "since", NULL)) return 0;
  struct integration in;
  int rc = integration_get(x->d, a, x->job->user, INTEGRATION_SPOTIFY, &in);
  if (rc) return rc;
  json_object *m = NULL;
  const char *why;
  if (in.marks) jx_parse(a, in.marks, strlen(in.marks), &m, &why);
  json_object_object_add(x->cursor, "since",
                         json_object_is_type(m, json_type_object)
                             ? json_object_get(m)
                             : json_object_new_object());
  return 0;
}

/* finish: the marks for the next import, and the job done. */
static int finish(struct import_run *x, struct arena *a) {
  json_object *m = jx_own(a, json_object_new_object());
  json_object *since = svc_path(x->cursor, "since", NULL);
  const char *saved = import_cursor_str(x, "saved_mark");
  long long played = import_cursor_int(x, "played_mark", 0);
  if (!saved) saved = svc_str(since, "saved");
  if (!played) played = svc_int(since, "played", 0);
  if (saved) jx_add_str(m, "saved", saved);
  if (played) jx_add_int(m, "played", played);
  size_t len;
  const char *text = jx_text(a, m, &len);
  if (!text) return RC_NOMEM;
  return integration_marks(x->d, x->job->user, INTEGRATION_SPOTIFY, text);
}

int import_spotify_page(struct import_run *x, struct arena *a,
                        enum import_step *step) {
  struct svc_answer ans;
  const char *token;
  long long exp;
  int rc = marks(x, a);
  if (rc == RC_NOT_FOUND) {
    *step = IMPORT_STOP;
    return importjob_finish(x->d, x->job, "failed",
                            "Spotify is not linked any more");
  }
  if (rc) return rc;
  rc = spotify_access(x->d, a, x->job->user, &token, &exp, &ans);
  if (rc == RC_NOT_FOUND) {
    *step = IMPORT_STOP;
    return importjob_finish(x->d, x->job, "failed",
                            "Spotify revoked Encore's access: link again");
  }
  if (rc) return rc;
  if (ans.outcome != SVC_OK)
    return import_failed_page(x, "Spotify", &ans, step);
  const char *part = import_part(x, a);
  if (!part) {
    *step = IMPORT_DONE;
    return finish(x, a);
  }
  if (!strcmp(part, "saved_tracks")) return saved_tracks(x, a, token, step);
  if (!strcmp(part, "playlists")) return playlists(x, a, token, step);
  if (!strcmp(part, "followed_artists"))
    return artists(x, a, token, true, step);
  if (!strcmp(part, "top_artists")) return artists(x, a, token, false, step);
  if (!strcmp(part, "recently_played"))
    return recently_played(x, a, token, step);
  import_next_part(x); /* a part this version does not know */
  return import_save(x, step);
}
