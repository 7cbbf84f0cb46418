/* spotify: Encore as a Spotify client (cfg spotify_client_id,
 * spotify_accounts_url, spotify_api_url): the authorization code flow with
 * PKCE (S256; no client secret), token refresh (Spotify may rotate the
 * refresh token: the new one is kept), and Web API reads. The user's
 * access token is only ever sent to spotify_api_url: a `next` link that
 * points elsewhere is refused. */
#ifndef ENCORE_SPOTIFY_H
#define ENCORE_SPOTIFY_H

#include <stdbool.h>

#include "svc/svc.h"

struct arena;
struct db;

/* The scopes Encore asks for: the library, playlists, follows, top
 * artists and recent plays to import, and what the Web Playback SDK
 * needs to play (streaming, user-read-email, user-read-private). */
#define SPOTIFY_SCOPES                                                         \
  "user-library-read playlist-read-private playlist-read-collaborative "       \
  "user-follow-read user-top-read user-read-recently-played streaming "        \
  "user-read-email user-read-private"

/* spotify_configured: whether Encore has a Spotify application. */
bool spotify_configured(void);
/* spotify_redirect_uri: where Spotify sends the user back (public_url +
 * /api/v1/integrations/spotify/callback). */
const char *spotify_redirect_uri(struct arena *a);
/* spotify_pkce: a fresh code verifier (64 base64url characters) and its
 * S256 challenge (43). */
void spotify_pkce(char verifier[65], char challenge[44]);
/* spotify_authorize_url: the page that asks the user's consent. */
const char *spotify_authorize_url(struct arena *a, const char *state,
                                  const char *challenge);

/* What the token endpoint gave. */
struct spotify_tokens {
  const char *access, *refresh, *scope; /* refresh NULL: keep the old one */
  long long expires_in;                 /* seconds */
};
/* spotify_exchange: the code and verifier for tokens. A code used before,
 * expired, or with a verifier that does not fit is SVC_FAILED. */
int spotify_exchange(struct arena *a, const char *code, const char *verifier,
                     struct spotify_tokens *t, struct svc_answer *ans);
/* spotify_access: a live access token of user's link (refreshed first
 * when it has less than a minute left, the new tokens stored), and when it
 * expires. RC_NOT_FOUND when not linked. A refresh Spotify refuses
 * (invalid_grant: access revoked) removes the link, tells the user, and
 * returns RC_NOT_FOUND with ans->outcome SVC_REFUSED. */
int spotify_access(struct db *d, struct arena *a, long long user,
                   const char **token, long long *expires_ms,
                   struct svc_answer *ans);
/* spotify_get: GET a Web API path ("/v1/me") or a `next` URL under
 * spotify_api_url, with the access token. */
int spotify_get(struct arena *a, const char *token, const char *path_or_url,
                struct svc_answer *ans);

#endif
