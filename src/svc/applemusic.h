/* applemusic: Encore as an Apple Music API client (cfg
 * apple_music_api_url, apple_music_team_id, apple_music_key_id,
 * apple_music_key_file, apple_music_token_ttl). The developer token is an
 * ES256 JWT made here from the operator's MusicKit key (header kid; claims
 * iss = team id, iat, exp at most 180 days on), kept by each process and
 * made again once half its life has passed. Library reads add the user's
 * Music-User-Token. Only paths under /v1/ of apple_music_api_url are
 * requested: `next` links are paths, and one that is not is refused. */
#ifndef ENCORE_APPLEMUSIC_H
#define ENCORE_APPLEMUSIC_H

#include <stdbool.h>

#include "svc/svc.h"

struct arena;

/* applemusic_configured: whether a MusicKit key is configured. */
bool applemusic_configured(void);
/* applemusic_developer_token: the current developer token and its expiry
 * (unix seconds). RC_UNAVAILABLE when not configured, RC_INVALID when the
 * key file is not a P-256 private key (logged). */
int applemusic_developer_token(struct arena *a, const char **token,
                               long long *expires_s);
/* applemusic_get: GET path ("/v1/...") with the developer token and, when
 * not NULL, the user's Music-User-Token. */
int applemusic_get(struct arena *a, const char *user_token, const char *path,
                   struct svc_answer *ans);

#endif
