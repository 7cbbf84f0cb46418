/* listenbrainz: Encore as a client of ListenBrainz (cfg
 * listenbrainz_api_url) with a user's own token: checking it, submitting
 * listens, reading them back. */
#ifndef ENCORE_LISTENBRAINZ_H
#define ENCORE_LISTENBRAINZ_H

#include "svc/svc.h"

struct arena;

/* listenbrainz_validate: GET /1/validate-token: the token's user name
 * (arena) when ans->outcome is SVC_OK; an invalid token is SVC_REFUSED. */
int listenbrainz_validate(struct arena *a, const char *token,
                          const char **user_name, struct svc_answer *ans);

/* One listen to submit. */
struct listenbrainz_listen {
  const char *artist, *title, *album, *mbid;
  long long at_s;
  long long duration_ms; /* 0: unknown */
};
/* listenbrainz_submit: POST /1/submit-listens of l[0..n) (n <= 50; a
 * "single" for one, an "import" for more). */
int listenbrainz_submit(struct arena *a, const char *token,
                        const struct listenbrainz_listen *l, int n,
                        struct svc_answer *ans);

/* One listen read back. */
struct listenbrainz_played {
  const char *artist, *title;
  long long at_s;
};
/* listenbrainz_listens: GET /1/user/{user}/listens with min_ts and max_ts
 * (exclusive both, as ListenBrainz takes them) and count (<= 1000): out[]
 * (*n), newest first. */
int listenbrainz_listens(struct arena *a, const char *user, const char *token,
                         long long min_ts, long long max_ts, int count,
                         struct listenbrainz_played *out, int *n,
                         struct svc_answer *ans);

#endif
