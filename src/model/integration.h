/* integration: a user's accounts at other services (Last.fm, ListenBrainz,
 * Spotify, Apple Music): what was linked, the credentials (sealed at rest,
 * core/seal.h, and opened only here), the delivery backoff of the
 * scrobbling targets, the marks incremental imports keep, and the state
 * of OAuth and web-auth flows under way (one use, ten minutes, bound to
 * the user who started them, with the PKCE verifier). */
#ifndef ENCORE_INTEGRATION_H
#define ENCORE_INTEGRATION_H

#include <json-c/json.h>
#include <stdbool.h>

struct arena;
struct db;

enum integration_service {
  INTEGRATION_LASTFM,
  INTEGRATION_LISTENBRAINZ,
  INTEGRATION_SPOTIFY,
  INTEGRATION_APPLE_MUSIC,
};
#define INTEGRATION_SERVICES 4

/* integration_name: "lastfm", "listenbrainz", "spotify", "apple_music". */
const char *integration_name(enum integration_service s);
/* integration_parse: a service from its name, or from the form paths use
 * ("apple-music"); RC_INVALID otherwise. */
int integration_parse(const char *s, enum integration_service *out);

/* A link, as read (credentials opened). */
struct integration {
  enum integration_service service;
  const char *account;    /* the user's name or id there */
  const char *token;      /* session key, user token, access token */
  const char *refresh;    /* Spotify's refresh token, or NULL */
  long long expires_ms;   /* when token expires; 0: unknown or never */
  const char *scope;      /* granted scopes ("" when none) */
  const char *storefront; /* Apple Music, or NULL */
  long long linked_ms;    /* when linked */
  long long next_send_ms; /* scrobbling out: not before then */
  int failures;           /* in a row */
  const char *last_error; /* NULL after a success */
  const char *marks;      /* JSON text kept by imports ("{}") */
};

/* integration_get: user's link to s; RC_NOT_FOUND when none. */
int integration_get(struct db *d, struct arena *a, long long user,
                    enum integration_service s, struct integration *out);
/* integration_link: link (or link again) user's account at in->service
 * with the credentials of *in (sealed here); scrobbles held while it was
 * gone are queued again. */
int integration_link(struct db *d, struct arena *a, long long user,
                     const struct integration *in);
/* integration_tokens: new credentials of a live link (a refreshed token,
 * a rotated refresh token; refresh NULL keeps the one stored).
 * RC_NOT_FOUND when the link is gone. */
int integration_tokens(struct db *d, struct arena *a, long long user,
                       enum integration_service s, const char *token,
                       const char *refresh, long long expires_ms,
                       const char *scope);
/* integration_unlink: remove the link (*removed whether there was one);
 * its queued scrobbles are held. */
int integration_unlink(struct db *d, long long user, enum integration_service s,
                       bool *removed);
/* integration_delivered: the outcome of a delivery to s: success resets
 * the backoff, a failure (error, a short text without secrets) sets the
 * next attempt base_s * 2^(failures) seconds on, at most an hour. */
int integration_delivered(struct db *d, long long user,
                          enum integration_service s, bool ok,
                          const char *error, int base_s);
/* integration_marks: keep an import's marks (JSON text). */
int integration_marks(struct db *d, long long user, enum integration_service s,
                      const char *marks);
/* integration_list: every service as {service, linked, account, linked_at,
 * scope, last_error, ...} into items (a JSON array), linked or not. */
int integration_list(struct db *d, struct arena *a, long long user,
                     json_object *items);
/* integration_json: one link's public view (no credential), a new
 * object. */
json_object *integration_json(enum integration_service s,
                              const struct integration *in);

/* OAuth and web-auth flows. */
#define INTEGRATION_STATE_TTL_S 600
/* integration_state_new: a state for user's flow with s (43 base64url
 * characters and a NUL into state), keeping `verifier` (PKCE, or NULL).
 * `browser` is the flow's secret kept by the browser that started it (a
 * cookie): the state is found again only with it. */
int integration_state_new(struct db *d, struct arena *a, long long user,
                          enum integration_service s, const char *verifier,
                          const char *browser, char state[44]);
/* integration_state_take: the user and verifier of a state of s and its
 * browser secret, used up (a second use finds nothing). RC_NOT_FOUND when
 * unknown, used, of another service or browser, or expired. */
int integration_state_take(struct db *d, struct arena *a, const char *state,
                           const char *browser, enum integration_service s,
                           long long *user, const char **verifier);

#endif
