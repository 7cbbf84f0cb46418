/* cap: the caps on every collection a client can grow, in one place, and
 * the one way they are enforced. A write that would pass a cap answers
 * RC_LIMIT (409, problem type urn:encore:problem:limit-reached) and changes
 * nothing; a write that grows nothing (a like repeated, a grant changed)
 * is never refused.
 *
 * A capped write is one transaction that begins with cap_lock_user on the
 * user whose writes grow the collection (the owner, for a playlist's links
 * and grants, which only the owner makes), adds the member with cap_add
 * and rolls back on RC_LIMIT. Concurrent writers of one user's
 * collections queue on that row, and the count, taken after the lock by
 * every later read of the transaction (InnoDB's read view starts at the
 * first plain read), sees every member the writer before committed: no
 * cap is overshot. (Galera certifies written rows only: writers on
 * different nodes may pass a cap together, by at most one member a node.) */
#ifndef ENCORE_CAP_H
#define ENCORE_CAP_H

struct arena;
struct db;
struct db_res;
struct db_val;

/* Live (unrevoked, unexpired) share links per playlist. */
#define CAP_PLAYLIST_LINKS 100
/* Users a playlist is granted to. */
#define CAP_PLAYLIST_GRANTS 1000
/* Playlists a user owns. */
#define CAP_USER_PLAYLISTS 10000
/* Likes per user, of tracks, albums and playlists together. */
#define CAP_USER_LIKES 100000
/* Dislikes per user: every recommendation request reads them all. */
#define CAP_USER_DISLIKES 10000
/* Users one user follows or asks to follow. */
#define CAP_USER_FOLLOWING 10000
/* Users one user blocks, and mutes: every feed and comment read applies
 * them. */
#define CAP_USER_BLOCKS 10000
#define CAP_USER_MUTES 10000
/* Push devices (browsers, phones) one user has registered: every
 * notification is sent to each. */
#define CAP_USER_PUSH_DEVICES 20
/* Listening parties a user has started (live or ended: their chat is
 * kept), and the users one party invites. */
#define CAP_USER_PARTIES 10000
#define CAP_PARTY_INVITES 1000
/* Scrobbling: the applications (API keys) a user makes, the scrobbles a
 * user keeps as text until a track matches them (listens and loves), the
 * web-flow tokens one application has outstanding (anyone with its key can
 * ask for one), and the import jobs a user has queued or running at once. */
#define CAP_USER_SCROBBLE_APPS 20
#define CAP_USER_TEXT_LISTENS 200000
#define CAP_USER_TEXT_LOVES 10000
#define CAP_APP_AUTH_TOKENS 1000
#define CAP_USER_ACTIVE_IMPORTS 3

/* cap_lock_user: lock the row of `user` until the transaction ends (call
 * it first in the transaction); RC_NOT_FOUND when there is no such user. */
int cap_lock_user(struct db *d, struct arena *a, long long user);

/* CAP_COUNT: the count cap_add runs, from "<table> WHERE <owner column> =
 * ?": one range of an index that leads with the owner column, counted
 * there (no derived table: one with a LIMIT would be materialized, row by
 * row). */
#define CAP_COUNT(from_where) "SELECT COUNT(*) FROM " from_where

/* A capped collection: how to count one owner's members, and the cap. */
struct cap_of {
  const char *count_sql; /* a CAP_COUNT literal (the statement cache key) */
  long long cap;
};

/* cap_add: run insert_sql with params[0..n) (an INSERT, INSERT IGNORE or
 * INSERT ... ON DUPLICATE KEY UPDATE of at most one row: one affected row
 * means a new member) and its result into *res; when it added a member to
 * `owner`'s collection c, RC_LIMIT if the collection now holds more than
 * c->cap (the caller rolls back), else 0 (or a database error). */
int cap_add(struct db *d, struct arena *a, const char *insert_sql,
            const struct db_val *params, int n, const struct cap_of *c,
            long long owner, struct db_res *res);

#endif
