/* import: encore-import's parts. main.c takes jobs (model/importjob.h)
 * and runs each through the runner of its source: spotify.c (saved
 * tracks, playlists, followed and top artists, recent plays), apple.c
 * (the library and its playlists, catalog lookups by ISRC), files.c
 * (Last.fm and ListenBrainz export files); job.c holds what they share:
 * the page loop's bookkeeping (cursor, counts, summary), likes and
 * playlists made from imported tracks. */
#ifndef ENCORE_IMPORT_H
#define ENCORE_IMPORT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "model/extcat.h"
#include "model/importjob.h"
#include "svc/svc.h"

struct arena;
struct cfg;
struct db;
struct kv;

/* Seconds a runner holds a job between two saves. */
#define IMPORT_LEASE_S 120

/* One job being run. */
struct import_run {
  struct db *d;
  struct kv *k;
  const struct cfg *c;
  struct importjob *job;
  json_object *cursor;  /* where to go on from (owned by `keep`) */
  json_object *summary; /* counts so far (owned by `keep`) */
  struct arena *keep;   /* lives as long as the job runs */
  void *state;          /* a runner's own, in `keep` (NULL at the start) */
  double deadline;      /* monotonic seconds: stop taking pages after */
};

/* How a runner's page ended. */
enum import_step {
  IMPORT_MORE, /* a page done and saved: go on */
  IMPORT_DONE, /* the job is complete */
  IMPORT_STOP, /* stopped (cancelled, lease lost, time up, or rescheduled
                  after a failure): the runner returns */
};

/* A runner: one page of work, ending with import_save (or finishing). */
typedef int import_page_fn(struct import_run *x, struct arena *a,
                           enum import_step *step);
import_page_fn import_spotify_page, import_apple_page, import_file_page;

/* --- job.c ---------------------------------------------------------------- */

/* import_now: monotonic seconds. */
double import_now(void);
/* import_add: add v to the summary's count `key`. */
void import_add(struct import_run *x, const char *key, long long v);
/* import_tracks: t[0..n) found or made catalogue entries from `src`
 * (extcat_tracks), their counts added to the summary, Encore's ids into
 * ids[0..n) (0: skipped). */
int import_tracks(struct import_run *x, struct arena *a, enum extcat_source src,
                  struct extcat_track *t, int n, long long *ids);
/* import_next_or_part: go on at the page `next`, or to the next part when
 * there is none. */
void import_next_or_part(struct import_run *x, const char *next);
/* import_save: the job's cursor, counts and summary after a page, and a
 * renewed lease; *step IMPORT_STOP when the job was cancelled meanwhile
 * (or taken by another runner), else IMPORT_MORE. */
int import_save(struct import_run *x, enum import_step *step);
/* import_failed_page: a page the service failed (ans): try it again later
 * (the service's Retry-After when it gave one, else a backoff), or fail
 * the job past its attempts; *step IMPORT_STOP. A refused link fails the
 * job at once. */
int import_failed_page(struct import_run *x, const char *service,
                       const struct svc_answer *ans, enum import_step *step);
/* import_like: user likes tracks ids[0..n) (0 ids skipped), one
 * transaction under the likes cap; *added how many were new. */
int import_like(struct import_run *x, struct arena *a, const long long *ids,
                int n, long long *added);
/* import_playlist: the user's playlist imported from (source, external
 * id): created (its name clipped), or its tracks replaced when it changed
 * (snapshot); counted in the summary as "playlists", or as
 * "playlists_skipped" when a cap or the name refused it (then 0). */
int import_playlist(struct import_run *x, struct arena *a,
                    enum importjob_source source, const char *external_id,
                    const char *name, const char *snapshot,
                    const long long *ids, int n);
/* import_playlist_next: the cursor moved past the playlist at `index` of
 * the list page `list` (NULL: the first) and saved. */
int import_playlist_next(struct import_run *x, long long index,
                         const char *list, enum import_step *step);
/* import_unchanged: whether that playlist was imported at this snapshot. */
int import_unchanged(struct import_run *x, struct arena *a,
                     enum importjob_source source, const char *external_id,
                     const char *snapshot, bool *same);
/* import_favourites: artist names added to the user's favourite artists
 * (up to the preferences' 100, names of at most 128 characters). */
int import_favourites(struct import_run *x, struct arena *a,
                      const char *const *names, int n);
/* import_clip: s cut to max characters (on a character boundary; invalid
 * UTF-8 replaced), in the arena. */
const char *import_clip(struct arena *a, const char *s, size_t max);
/* import_cursor_str / import_cursor_int: a member of the cursor. */
const char *import_cursor_str(struct import_run *x, const char *key);
long long import_cursor_int(struct import_run *x, const char *key,
                            long long dflt);
/* import_set_str / import_set_int: set a member of the cursor (NULL:
 * remove). */
void import_set_str(struct import_run *x, const char *key, const char *v);
void import_set_int(struct import_run *x, const char *key, long long v);
/* import_part: the job's current part (its `what` list at the cursor's
 * "part" index), or NULL when every part is done. */
const char *import_part(struct import_run *x, struct arena *a);
/* import_next_part: on to the next part (its own cursor members
 * cleared). */
void import_next_part(struct import_run *x);

#endif
