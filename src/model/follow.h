/* follow: who follows whom. A follow of an open profile is accepted at once;
 * one of a profile whose follow_policy is `approval` is a request until the
 * followee accepts it (or declines it: the row goes). Only accepted follows
 * count: in the profile counts (users.follower_count, following_count,
 * kept in the same transaction as every change), in history visibility
 * `followers`, and in feeds. Blocks (block.h) sever follows and refuse new
 * ones with RC_NOT_FOUND, as for a user who does not exist. */
#ifndef ENCORE_FOLLOW_H
#define ENCORE_FOLLOW_H

#include <json-c/json.h>
#include <stdbool.h>

struct arena;
struct db;

enum follow_state { FOLLOW_NONE, FOLLOW_ACCEPTED, FOLLOW_REQUESTED };

/* follow_state_name: "following", "requested" or "none". */
const char *follow_state_name(enum follow_state s);

/* follow_put: `follower` follows `followee` (who is not follower): accepted
 * or requested as the followee's policy says; a follow that exists is left
 * as it is (*state tells which, *created whether this call made it).
 * RC_NOT_FOUND when either has blocked the other, RC_LIMIT past
 * CAP_USER_FOLLOWING. */
int follow_put(struct db *d, struct arena *a, long long follower,
               long long followee, enum follow_state *state, bool *created);
/* follow_delete: end `follower`'s follow of (or request to) `followee`;
 * idempotent. *was tells what there was. */
int follow_delete(struct db *d, struct arena *a, long long follower,
                  long long followee, enum follow_state *was);
/* follow_answer: `followee` accepts (accept) or declines the request of
 * `follower`. RC_NOT_FOUND when there is no such request. */
int follow_answer(struct db *d, struct arena *a, long long followee,
                  long long follower, bool accept);
/* follow_sever: remove the follows and requests both ways between x and y,
 * keeping the counts, inside the caller's transaction. */
int follow_sever(struct db *d, struct arena *a, long long x, long long y);
/* follow_state_of: the state of follower's follow of followee. */
int follow_state_of(struct db *d, struct arena *a, long long follower,
                    long long followee, enum follow_state *state);

/* The lists of a user's follows. */
enum follow_list_kind {
  FOLLOW_FOLLOWERS, /* accepted followers of user */
  FOLLOW_FOLLOWING, /* accepted followees of user */
  FOLLOW_REQUESTS,  /* requests waiting for user's answer */
};

/* A page of one of them. */
struct follow_list_q {
  enum follow_list_kind kind;
  long long user;   /* whose list */
  long long viewer; /* who reads it (0: anonymous); users who blocked the
                       viewer are left out */
  long long after;  /* the follow id to continue after (0: newest first) */
  int limit;
};

/* follow_list: items [{user, since, relation: {following, followed_by,
 * requested}}] (relation: the viewer's to each user; absent for an
 * anonymous viewer) newest first, and the id to continue after (0 at the
 * end). */
int follow_list(struct db *d, struct arena *a, const struct follow_list_q *q,
                json_object **items, long long *next);

#endif
