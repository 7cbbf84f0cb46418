/* guard: the throttles in front of everything a stranger can make Encore
 * pay for: every password check (login, the OAuth2 password grant, a
 * password change, an account deletion), registrations and mails. The
 * policy (docs/openapi.yaml, "Throttles") is the rule table in guard.c;
 * the counters are model/throttle.h's, in MariaDB. */
#ifndef ENCORE_GUARD_H
#define ENCORE_GUARD_H

struct req;
struct user;

/* guard_login: the account whose username or email is `login` and whose
 * password is `password`, into *u. Returns 0; RC_UNAUTHORIZED when the
 * account is unknown, the password wrong or the address not confirmed yet
 * (one answer for all three); RC_THROTTLED with *retry seconds; or a
 * server code (RC_DB: nothing was checked). */
int guard_login(struct req *r, const char *login, const char *password,
                struct user *u, int *retry);
/* guard_suspended: 0 when the account user_id may log in; RC_SUSPENDED
 * while it is suspended (guard_login answers it once the password proved
 * right); see guard_suspended_detail. */
int guard_suspended(struct req *r, long long user_id);
/* guard_suspended_detail: the text that tells a suspended user why and
 * until when ("" when it is not suspended). */
const char *guard_suspended_detail(struct req *r, long long user_id);
/* guard_password: whether `password` is the known account u's, under the
 * same throttles as a login. 0, RC_UNAUTHORIZED, RC_THROTTLED (*retry) or
 * a server code. */
int guard_password(struct req *r, const struct user *u, const char *password,
                   int *retry);
/* guard_auth_token: the account `username` whose Last.fm authToken
 * (md5(username + md5(password))) is auth_token, under the same throttles
 * and answers as a login. A successful password check (the two above)
 * keeps what this one checks against (model/scrobble.h). */
int guard_auth_token(struct req *r, const char *username,
                     const char *auth_token, struct user *u, int *retry);

/* Events limited per client address or per account, counted when they
 * happen whatever their outcome. */
enum guard_event {
  GUARD_REGISTER, /* a registration attempt, per address */
  GUARD_FORGOT,   /* a reset request, per address */
  GUARD_MAIL,     /* a mail to an account's address (reset, notice), per
                     account */
  GUARD_COMMENT,  /* a comment or reply, per account */
};
/* guard_event: count one event of the kind for the client (or for the
 * account `user_id` for GUARD_MAIL and GUARD_COMMENT) unless it must wait. 0
 * when it may go ahead (and was counted); RC_THROTTLED with *retry; or a server
 * code. */
int guard_event(struct req *r, enum guard_event ev, long long user_id,
                int *retry);

#endif
