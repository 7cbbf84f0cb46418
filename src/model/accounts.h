/* accounts: the administration of user accounts: the admin list and search,
 * one account's detail for an operator, suspension and reinstatement, and
 * the count of administrators (the last one may not go). Roles and
 * profiles themselves are model/user.h's. */
#ifndef ENCORE_ACCOUNTS_H
#define ENCORE_ACCOUNTS_H

#include <json-c/json.h>
#include <stdbool.h>

struct arena;
struct db;
struct kv;

/* Longest suspension or moderation reason, in characters. */
#define ACCOUNTS_REASON_MAX 500

/* A suspension in force. */
struct suspension {
  const char *reason;
  const char *until; /* RFC 3339, or NULL: until reinstated */
};

/* accounts_suspension: 0 with *s while user_id is suspended (a suspension
 * whose end has passed is over); RC_NOT_FOUND when it is not. */
int accounts_suspension(struct db *d, struct arena *a, long long user_id,
                        struct suspension *s);
/* accounts_suspend: suspend user_id for `reason` until until_ms (0: until
 * reinstated), ending every session at once (live connections learn it
 * through live_events). RC_NOT_FOUND when there is no such account. */
int accounts_suspend(struct db *d, struct kv *k, struct arena *a,
                     long long user_id, const char *reason, long long until_ms);
/* accounts_reinstate: end the suspension of user_id; RC_NOT_FOUND when it
 * was not suspended. */
int accounts_reinstate(struct db *d, long long user_id);

/* accounts_erase: delete the account user_id and everything of it, as
 * its owner deleting it would: sessions revoked first (live connections
 * learn it), public playlists out of the search index and the cache, the
 * rows by cascade, cover files no longer used unlinked from media_dir. */
int accounts_erase(struct db *d, struct kv *k, struct arena *a,
                   const char *media_dir, long long user_id);

/* accounts_admins: how many accounts hold the admin role. */
int accounts_admins(struct db *d, struct arena *a, long long *n);

/* The orders of the admin list. */
enum accounts_sort {
  ACCOUNTS_NEWEST,   /* created_at descending (default) */
  ACCOUNTS_OLDEST,   /* created_at ascending */
  ACCOUNTS_USERNAME, /* username ascending */
};

/* The admin list's question. Empty strings and 0 mean "any". */
struct accounts_query {
  const char *q; /* prefix of username, email or display name */
  const char *role, *status;
  long long from_ms, to_ms; /* created in [from, to) */
  enum accounts_sort sort;
  const char *after; /* cursor text of the last row served, or NULL */
  int limit;
};

/* accounts_search: one page (*items a new array owned by the caller) and
 * the cursor text after its last row (*next, NULL on the last page).
 * RC_INVALID for a cursor that is not one of this sort's. */
int accounts_search(struct db *d, struct arena *a,
                    const struct accounts_query *q, json_object **items,
                    const char **next);
/* accounts_detail: one account for an operator: profile, role, status and
 * suspension, the counts of listens, playlists, comments and reports
 * against it or its content, and when it was last seen. *out is a new
 * object owned by the caller. RC_NOT_FOUND when absent. */
int accounts_detail(struct db *d, struct arena *a, long long user_id,
                    json_object **out);

#endif
