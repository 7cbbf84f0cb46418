/* outbox: scrobbles waiting to be sent to the services a user linked for
 * scrobbling out (Last.fm, ListenBrainz), and the states encore-scrobble
 * moves them through.
 *
 * A listen is queued in the transaction that stores it (listen.c, and
 * scrobble.c for text listens), as the text the service is sent, once per
 * linked service: what is stored is never lost. Delivery is exactly once
 * from the user's side: a batch is marked `sending` under a fresh attempt
 * id before its request goes out and `sent` (or `ignored`) after the answer
 * is read. A batch whose answer never came (the run was killed, the
 * service timed out or failed with 11, 16 or a 5xx) stays `sending`: the
 * next run asks the service which of its scrobbles it has (its recent
 * history over the batch's times) and sends only the others. Only what
 * Encore itself received is sent on: listens from the app, /2.0/ and /1/,
 * not imports; and Last.fm, which ignores scrobbles older than 14 days,
 * gets none older. */
#ifndef ENCORE_OUTBOX_H
#define ENCORE_OUTBOX_H

#include <stdbool.h>

struct arena;
struct db;
struct listen_in;

/* Scrobbles per request, as both services take them. */
#define OUTBOX_BATCH 50
/* Last.fm ignores scrobbles older than this. */
#define OUTBOX_LASTFM_MAX_AGE_S (14 * 86400)

/* One listen to queue: a catalogue track (its names are read from the
 * catalogue) or text. */
struct outbox_item {
  long long track_id; /* > 0: names from the catalogue */
  long long at_ms;
  const char *artist, *title, *album, *mbid;
  long long duration_ms; /* -1 unknown */
};

/* outbox_add: queue items for every scrobbling target user links, inside
 * the caller's transaction (a listen stored is a listen queued). Nothing
 * when the user links none (one primary-key read). */
int outbox_add(struct db *d, struct arena *a, long long user,
               const struct outbox_item *items, int n);
/* outbox_listens: outbox_add for the listens of a batch that listen_store
 * marked stored (u[0..n)), those of sources Encore received itself. */
int outbox_listens(struct db *d, struct arena *a, long long user,
                   struct listen_in *const *u, int n);

/* Services that take scrobbles. */
enum outbox_service { OUTBOX_LASTFM, OUTBOX_LISTENBRAINZ };
/* outbox_service_name: "lastfm" or "listenbrainz". */
const char *outbox_service_name(enum outbox_service s);

/* A scrobble of a batch. */
struct outbox_row {
  long long id, at_ms;
  const char *artist, *title, *album, *mbid;
  long long duration_ms; /* -1 unknown */
};

/* outbox_due: up to `max` users whose queued scrobbles for s may be sent
 * now (their link is live and past its backoff), into users[] (*n). */
int outbox_due(struct db *d, struct arena *a, enum outbox_service s,
               long long *users, int max, int *n);
/* outbox_claim: mark up to OUTBOX_BATCH of user's queued scrobbles for s
 * `sending` under a new attempt (*attempt), oldest first, committed before
 * anything is sent; rows[] (*n, 0: nothing queued). Scrobbles Last.fm would
 * ignore for age are marked ignored instead. */
int outbox_claim(struct db *d, struct arena *a, long long user,
                 enum outbox_service s, long long *attempt,
                 struct outbox_row *rows, int *n);
/* outbox_rows: the scrobbles of an attempt still `sending`. */
int outbox_rows(struct db *d, struct arena *a, long long attempt,
                struct outbox_row *rows, int *n);
/* outbox_settle: the answer to an attempt: row ids[i] `sent` (ignored[i]
 * false) or `ignored`; n 0 with all true/false settles every row left. */
int outbox_settle(struct db *d, long long attempt, const long long *ids,
                  const bool *ignored, int n);
/* outbox_settle_all: every row still `sending` under attempt becomes
 * state ("sent", "ignored" or "queued": not received, send again). */
int outbox_settle_all(struct db *d, long long attempt, const char *state);

/* An attempt left in doubt. */
struct outbox_doubt {
  long long attempt, user;
};
/* outbox_doubts: up to max attempts of s still `sending` more than
 * after_s seconds after they were marked (their answer never came: longer
 * than any request may take, so no run is still waiting for it), oldest
 * first, of users whose backoff has passed. */
int outbox_doubts(struct db *d, struct arena *a, enum outbox_service s,
                  int after_s, struct outbox_doubt *out, int max, int *n);
/* outbox_hold: the user's scrobbles for s wait (state held) while the
 * link is gone; outbox_release queues them again when it is back. */
int outbox_hold(struct db *d, long long user, enum outbox_service s);
int outbox_release(struct db *d, long long user, enum outbox_service s);
/* outbox_prune: delete sent and ignored rows older than a day and held
 * ones older than 14 days; *deleted how many. */
int outbox_prune(struct db *d, long long *deleted);

/* Counts by state of one user and service (for the integration's JSON). */
struct outbox_counts {
  long long queued, sending, sent, ignored, held;
};
int outbox_counts(struct db *d, struct arena *a, long long user,
                  enum outbox_service s, struct outbox_counts *c);

#endif
