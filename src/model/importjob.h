/* importjob: imports run as jobs outside requests (by encore-import): a
 * user queues one, follows its progress and may cancel it. A runner takes
 * a job with a lease; each page of work is saved with the job's cursor in
 * one transaction, so a job whose runner dies resumes where it stopped
 * (the lease runs out and another run takes it), and a page that fails is
 * tried again later without redoing the pages before it. */
#ifndef ENCORE_IMPORTJOB_H
#define ENCORE_IMPORTJOB_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

struct arena;
struct db;

enum importjob_source {
  IMPORTJOB_SPOTIFY,
  IMPORTJOB_APPLE_MUSIC,
  IMPORTJOB_LASTFM_FILE,
  IMPORTJOB_LISTENBRAINZ_FILE,
};

/* Finished jobs a user keeps (older ones are deleted as new ones come). */
#define IMPORTJOB_KEEP 100
/* Failed attempts of one page before the job fails (its cursor kept). */
#define IMPORTJOB_ATTEMPTS 8

/* importjob_source_name: "spotify", "apple_music", "lastfm_file",
 * "listenbrainz_file". */
const char *importjob_source_name(enum importjob_source s);

/* A job as the runner reads it. */
struct importjob {
  long long id, user;
  enum importjob_source source;
  const char *what;      /* comma-separated parts ("saved_tracks,playlists") */
  const char *cursor;    /* JSON text: where to go on from */
  const char *summary;   /* JSON text: counts so far */
  long long done, total; /* total -1: not known yet */
  int attempts;
  const unsigned char *payload; /* an export file, or NULL */
  size_t payload_len;
};

/* importjob_create: queue a job for user (payload: an export file, else
 * NULL); its id in *id. RC_LIMIT when the user has CAP_USER_ACTIVE_IMPORTS
 * queued or running (cap.h). */
int importjob_create(struct db *d, struct arena *a, long long user,
                     enum importjob_source source, const char *what,
                     const void *payload, size_t payload_len, long long *id);
/* importjob_get: user's job as JSON (a new object); RC_NOT_FOUND when not
 * theirs. */
int importjob_get(struct db *d, struct arena *a, long long user, long long id,
                  json_object **out);
/* importjob_list: user's jobs below id `before` (0: newest first) into
 * items; *next the id to continue below, 0 at the end. */
int importjob_list(struct db *d, struct arena *a, long long user,
                   long long before, int limit, json_object *items,
                   long long *next);
/* importjob_cancel: stop a queued or running job (a runner notices at its
 * next page). RC_NOT_FOUND not theirs, RC_CONFLICT already finished. */
int importjob_cancel(struct db *d, long long user, long long id);

/* importjob_claim: take the oldest job that is due (queued, or running
 * with an expired lease) for lease_s seconds; RC_NOT_FOUND when none. */
int importjob_claim(struct db *d, struct arena *a, int lease_s,
                    struct importjob *job);
/* importjob_save: in the caller's transaction, the job's progress after a
 * page (cursor, counts, summary) and a renewed lease. RC_CONFLICT when the
 * job is no longer running (cancelled, or taken by another runner): the
 * caller rolls back and stops. */
int importjob_save(struct db *d, const struct importjob *job, int lease_s);
/* importjob_finish: the job ends "done" or "failed" (error: a short text
 * for the user, without secrets). */
int importjob_finish(struct db *d, const struct importjob *job,
                     const char *state, const char *error);
/* importjob_later: go on after delay_s (queued again, the cursor kept):
 * a page that failed (counted: the job fails after IMPORTJOB_ATTEMPTS
 * attempts in a row), a service that asked to wait or a run whose time
 * is up (not counted). note: a short text for the user, or NULL. */
int importjob_later(struct db *d, const struct importjob *job, int delay_s,
                    const char *note, bool counted);

#endif
