/* lastfm: Encore as a client of Last.fm's 2.0 API, with Encore's own
 * application (cfg lastfm_api_key, lastfm_api_secret; the endpoints
 * lastfm_api_url and lastfm_auth_url). Requests are signed as Last.fm
 * wants (every parameter but format and callback, sorted by name, name
 * and value concatenated, the secret appended, MD5) and ask for JSON. An
 * error answer ({"error": N, "message": ...}) is classified: 9 (and 4, 14,
 * 15 for sessions) refused, 11 and 16 in doubt, 29 throttled, any other
 * code failed. */
#ifndef ENCORE_LASTFM_H
#define ENCORE_LASTFM_H

#include <stdbool.h>

#include "svc/svc.h"

struct arena;

/* lastfm_configured: whether Encore has a Last.fm application. */
bool lastfm_configured(void);
/* lastfm_auth_page: the page where a user grants Encore a session, coming
 * back to `callback` with &token=... added (arena). */
const char *lastfm_auth_page(struct arena *a, const char *callback);
/* lastfm_session: auth.getSession for an approved token: the user's name
 * and session key (arena) when ans->outcome is SVC_OK. */
int lastfm_session(struct arena *a, const char *token, const char **name,
                   const char **key, struct svc_answer *ans);

/* One scrobble to send. */
struct lastfm_scrobble {
  const char *artist, *title, *album, *mbid;
  long long at_s;
  long long duration_s; /* 0: unknown */
};
/* lastfm_scrobble: track.scrobble of s[0..n) (n <= 50) with session key
 * sk; on SVC_OK, ignored[i] tells whether Last.fm ignored scrobble i
 * (code in ignored_code[i] when not NULL). */
int lastfm_scrobble(struct arena *a, const char *sk,
                    const struct lastfm_scrobble *s, int n, bool *ignored,
                    int *ignored_code, struct svc_answer *ans);

/* One scrobble read back. */
struct lastfm_played {
  const char *artist, *title;
  long long at_s;
};
/* lastfm_recent: a page (1..) of user.getRecentTracks for user between
 * from_s and to_s (inclusive), 200 a page, with the session key (so a
 * private history answers too): out[] (*n, at most 200), *pages the
 * number of pages. The track playing now is left out. */
int lastfm_recent(struct arena *a, const char *user, const char *sk,
                  long long from_s, long long to_s, int page,
                  struct lastfm_played *out, int *n, int *pages,
                  struct svc_answer *ans);

#endif
