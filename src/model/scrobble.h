/* scrobble: listens that arrive as text, the way scrobbling clients send
 * them (Last.fm's 2.0 API at /2.0/, ListenBrainz's at /1/, export files),
 * and the credentials those clients use. The module's files:
 *
 *   scrobble.c       storing scrobbles (matched ones as listens through
 *                    listen.c, the others as text listens), now playing,
 *                    the daily count
 *   scrobble_auth.c  applications (API key and shared secret), Last.fm
 *                    session keys, the web flow's tokens, the authToken
 *                    verifier, ListenBrainz user tokens
 *   scrobble_read.c  a user's recent scrobbles, listens and text alike */
#ifndef ENCORE_SCROBBLE_H
#define ENCORE_SCROBBLE_H

#include <json-c/json.h>
#include <stdbool.h>

struct arena;
struct db;
struct kv;

/* Names (artist, title, album) in code points, as the catalogue's. */
#define SCROBBLE_NAME_MAX 255
/* Scrobbles /2.0/ accepts per user and UTC day (Last.fm's limit is 2,800;
 * past it, ignored code 5). */
#define SCROBBLE_DAILY_MAX 3000

/* --- storing ----------------------------------------------------------- */

enum scrobble_status {
  SCROBBLE_PENDING,   /* to be stored */
  SCROBBLE_STORED,    /* a new listen of a catalogue track */
  SCROBBLE_KEPT,      /* a new text listen (no track yet) */
  SCROBBLE_DUPLICATE, /* stored before (a client's retry) */
  SCROBBLE_IGNORED,   /* refused; `why` says why */
};

/* Why a scrobble was ignored (the caller may set these before storing). */
enum scrobble_why {
  SCROBBLE_OK,
  SCROBBLE_NO_ARTIST,
  SCROBBLE_NO_TITLE,
  SCROBBLE_TOO_OLD,
  SCROBBLE_TOO_NEW,
  SCROBBLE_DAILY_LIMIT,
  SCROBBLE_TEXT_FULL, /* the user keeps CAP_USER_TEXT_LISTENS already */
};

/* One scrobble: valid UTF-8 names of 1..SCROBBLE_NAME_MAX code points
 * without NUL (checked by the caller). */
struct scrobble {
  const char *artist, *title, *album; /* album may be NULL */
  const char *mbid;                   /* recording MBID (checked) or NULL */
  long long at_ms;
  long long duration_ms; /* -1: unknown */
  long long ms_played;   /* -1: unknown */
  enum scrobble_status status;
  enum scrobble_why why;
  long long track_id; /* the matched track (STORED, DUPLICATE), else 0 */
};

/* scrobble_store: store the PENDING scrobbles of user from `source`
 * ("lastfm", "listenbrainz", "import", "spotify" ...): matched ones as
 * listens (listen_store: queued for scrobbling out in its transaction),
 * the rest as text listens (the same for them). Each ends STORED, KEPT,
 * DUPLICATE or, when the user's text listens would pass
 * CAP_USER_TEXT_LISTENS (cap.h),
 * IGNORED (SCROBBLE_TEXT_FULL). With `strict`, that case stores nothing
 * and returns RC_LIMIT instead. Returns 0 or a db code (then nothing of
 * the batch is known stored: items are PENDING again or IGNORED). */
int scrobble_store(struct db *d, struct kv *k, struct arena *a, long long user,
                   const char *source, struct scrobble *s, int n, bool strict);

/* scrobble_day_take: count up to `want` scrobbles of user today (UTC)
 * against SCROBBLE_DAILY_MAX; how many may go in *allowed. */
int scrobble_day_take(struct db *d, struct arena *a, long long user, int want,
                      int *allowed);

/* What a user plays now. */
struct scrobble_now {
  const char *artist, *title, *album;
  long long duration_ms; /* -1 unknown */
  long long started_ms;
  long long track_id; /* 0 when not matched */
};
/* scrobble_now_set: user plays n now (until its duration has passed, or
 * ten minutes when unknown); the track is matched by name. */
int scrobble_now_set(struct db *d, struct arena *a, long long user,
                     const char *source, const struct scrobble_now *n);
/* scrobble_now_get: what user plays now; RC_NOT_FOUND when nothing. */
int scrobble_now_get(struct db *d, struct arena *a, long long user,
                     struct scrobble_now *n);

struct match_item;
/* scrobble_love_text: keep (loved) or drop user's love of a track the
 * catalogue lacks (m prepared by match_prepare; artist and title as
 * given); the matching pass makes it a like once the track appears.
 * RC_LIMIT past CAP_USER_TEXT_LOVES (cap.h). */
int scrobble_love_text(struct db *d, struct arena *a, long long user,
                       const struct match_item *m, const char *artist,
                       const char *title, bool loved);

/* --- reading (scrobble_read.c) -------------------------------------------- */

/* One scrobble as clients read them back. */
struct scrobble_played {
  const char *artist, *title, *album;
  const char *mbid, *artist_mbid;
  long long at_ms, duration_ms, track_id; /* track_id 0: a text listen */
};
/* A window of a user's scrobbles, newest first. */
struct scrobble_window {
  long long user;
  long long from_ms, to_ms; /* from <= at < to; 0: unbounded */
  long long offset;         /* Last.fm pages */
  int limit;
};
/* scrobble_recent: the scrobbles of w (listens and text listens merged by
 * time) into out[] (*n, at most w->limit) and, when total is not NULL, how
 * many the window holds. */
int scrobble_recent(struct db *d, struct arena *a,
                    const struct scrobble_window *w,
                    struct scrobble_played *out, int *n, long long *total);

/* --- applications and credentials (scrobble_auth.c) ----------------------- */

#define SCROBBLE_APP_NAME_MAX 64       /* characters of an application's name */
#define SCROBBLE_SESSIONS_MAX 100      /* sessions a user keeps per app */
#define SCROBBLE_KEY_LEN 32            /* api_key, secret, sk, token: hex */
#define SCROBBLE_SESSION_IDLE_DAYS 365 /* a session unused this long expires   \
                                        */
#define SCROBBLE_TOKEN_TTL_S 3600      /* a web-flow token's life */

/* An application as its key finds it. */
struct scrobble_app {
  long long id, owner;
  const char *name, *api_key;
  const char *secret; /* opened from its seal */
};
/* scrobble_app_create: a new key and secret for user's application `name`;
 * the secret is given back once, in *app. RC_LIMIT past
 * CAP_USER_SCROBBLE_APPS. */
int scrobble_app_create(struct db *d, struct arena *a, long long user,
                        const char *name, struct scrobble_app *app);
/* scrobble_app_find: the application of an API key (with its secret);
 * RC_NOT_FOUND when there is none. */
int scrobble_app_find(struct db *d, struct arena *a, const char *api_key,
                      struct scrobble_app *app);
/* scrobble_app_list: user's applications ({id, name, api_key, created_at,
 * sessions}) with ids below `before` (0: from the newest); *next the id to
 * continue below, 0 at the end. */
int scrobble_app_list(struct db *d, struct arena *a, long long user,
                      long long before, int limit, json_object *items,
                      long long *next);
/* scrobble_app_delete: remove user's application and every session made
 * with it; RC_NOT_FOUND when user has no such one. */
int scrobble_app_delete(struct db *d, long long user, long long id);

/* scrobble_session_open: a new session key (SCROBBLE_KEY_LEN hex and a
 * NUL into sk) of user for app; past SCROBBLE_SESSIONS_MAX the oldest of
 * that user and app is dropped. */
int scrobble_session_open(struct db *d, struct arena *a, long long user,
                          long long app, char sk[SCROBBLE_KEY_LEN + 1]);
/* scrobble_session_user: the user of session key sk made with app (its
 * use noted at most daily), and the user's name; RC_NOT_FOUND when sk is
 * unknown, of another application, or expired. */
int scrobble_session_user(struct db *d, struct arena *a, const char *sk,
                          long long app, long long *user,
                          const char **username);

/* scrobble_token_new: a web-flow token for app (auth.getToken), valid
 * SCROBBLE_TOKEN_TTL_S; RC_LIMIT when the app has CAP_APP_AUTH_TOKENS live
 * ones. */
int scrobble_token_new(struct db *d, struct arena *a, long long app,
                       char token[SCROBBLE_KEY_LEN + 1]);
/* scrobble_token_app: the application a live token was made for, with its
 * name (for the approval page); RC_NOT_FOUND when unknown or expired. */
int scrobble_token_app(struct db *d, struct arena *a, const char *token,
                       struct scrobble_app *app);
/* scrobble_token_approve: user grants the token's application a session. */
int scrobble_token_approve(struct db *d, const char *token, long long user);
/* scrobble_token_take: the user who approved token (made for app), and
 * the token is spent. RC_NOT_FOUND unknown (or another app's) token,
 * RC_UNAUTHORIZED not approved yet, RC_PRECONDITION expired. */
int scrobble_token_take(struct db *d, struct arena *a, const char *token,
                        long long app, long long *user);

/* scrobble_verifier_note: the user proved `password` (a login): keep a
 * verifier of Last.fm's authToken for it (md5(username + md5(password)),
 * username as registered) unless the current one was made under the same
 * password hash. Best effort (an error is only returned). */
int scrobble_verifier_note(struct db *d, struct arena *a, long long user,
                           const char *username, const char *password,
                           const char *password_hash);
/* scrobble_verifier_check: whether auth_token (32 hex) is that value for
 * the user's current password: 0, RC_UNAUTHORIZED, or a db code. */
int scrobble_verifier_check(struct db *d, struct arena *a, long long user,
                            const char *auth_token);

/* scrobble_lbtoken_get: user's ListenBrainz token (a UUID), made on the
 * first read; *created_ms when it was made. */
int scrobble_lbtoken_get(struct db *d, struct arena *a, long long user,
                         const char **token, long long *created_ms);
/* scrobble_lbtoken_rotate: a new token replaces user's (the old one stops
 * working at once). */
int scrobble_lbtoken_rotate(struct db *d, struct arena *a, long long user,
                            const char **token, long long *created_ms);
/* scrobble_lbtoken_user: the user of a token, and their name;
 * RC_NOT_FOUND when none. */
int scrobble_lbtoken_user(struct db *d, struct arena *a, const char *token,
                          long long *user, const char **username);

#endif
