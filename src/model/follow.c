/* follow: follows, requests and their counts; see follow.h. */
#include "model/follow.h"

#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"
#include "model/block.h"
#include "model/cap.h"
#include "model/user.h"

static const struct cap_of following_cap = {
    .count_sql = CAP_COUNT("follows WHERE follower_id = ?"),
    .cap = CAP_USER_FOLLOWING};

const char *follow_state_name(enum follow_state s) {
  return s == FOLLOW_ACCEPTED    ? "following"
         : s == FOLLOW_REQUESTED ? "requested"
                                 : "none";
}

/* count: move the counts of one accepted follow by delta (+1 or -1), never
 * below 0 (the columns are unsigned: a count that went wrong must not make
 * every later unfollow fail). */
static int count(struct db *d, long long follower, long long followee,
                 int delta) {
  struct db_val p[] = {DB_I(delta), DB_I(followee)};
  int rc = db_exec(d, NULL,
                   "UPDATE users SET follower_count = "
                   "GREATEST(CAST(follower_count AS SIGNED) + ?, 0) "
                   "WHERE id = ?",
                   p, 2, 0, NULL);
  struct db_val q[] = {DB_I(delta), DB_I(follower)};
  if (!rc)
    rc = db_exec(d, NULL,
                 "UPDATE users SET following_count = "
                 "GREATEST(CAST(following_count AS SIGNED) + ?, 0) "
                 "WHERE id = ?",
                 q, 2, 0, NULL);
  return rc;
}

/* state_of: the state of follower's follow of followee; with `lock`, the
 * row is locked until the transaction ends, so that two changes of one
 * follow (an unfollow twice at once, an answer and a withdrawal) queue and
 * the second sees what the first did. */
static int state_of(struct db *d, struct arena *a, long long follower,
                    long long followee, bool lock, enum follow_state *state) {
  struct db_val p[] = {DB_I(follower), DB_I(followee)};
  struct db_res res;
  *state = FOLLOW_NONE;
  int rc = db_exec(d, a,
                   lock ? "SELECT state = 'accepted' FROM follows WHERE "
                          "follower_id = ? AND followee_id = ? FOR UPDATE"
                        : "SELECT state = 'accepted' FROM follows WHERE "
                          "follower_id = ? AND followee_id = ?",
                   p, 2, lock ? 0 : DB_IDEMPOTENT, &res);
  if (!rc && res.nrows)
    *state = db_i64(&res.rows[0], 0, 0) ? FOLLOW_ACCEPTED : FOLLOW_REQUESTED;
  return rc;
}

int follow_state_of(struct db *d, struct arena *a, long long follower,
                    long long followee, enum follow_state *state) {
  return state_of(d, a, follower, followee, false, state);
}

/* put_once: one attempt of follow_put, in its own transaction. */
static int put_once(struct db *d, struct arena *a, long long follower,
                    long long followee, enum follow_state *state,
                    bool *created) {
  bool blocked;
  struct db_res res;
  *created = false;
  int rc = db_begin(d);
  if (!rc) rc = cap_lock_user(d, a, follower);
  if (!rc) rc = block_between(d, a, follower, followee, &blocked);
  if (!rc && blocked) rc = RC_NOT_FOUND;
  if (!rc) rc = follow_state_of(d, a, follower, followee, state);
  if (!rc && *state == FOLLOW_NONE) {
    struct db_val p[] = {DB_I(followee)};
    rc = db_exec(d, a,
                 "SELECT COALESCE((SELECT follow_policy FROM user_preferences "
                 "WHERE user_id = u.id), 'open') = 'approval' FROM users u "
                 "WHERE u.id = ?",
                 p, 1, 0, &res);
    if (!rc && res.nrows == 0) rc = RC_NOT_FOUND;
    if (!rc) {
      bool ask = db_i64(&res.rows[0], 0, 0) != 0;
      struct db_val ins[] = {DB_I(follower), DB_I(followee),
                             DB_S(ask ? "requested" : "accepted")};
      rc = cap_add(d, a,
                   "INSERT INTO follows (follower_id, followee_id, state) "
                   "VALUES (?, ?, ?)",
                   ins, 3, &following_cap, follower, &res);
      *state = ask ? FOLLOW_REQUESTED : FOLLOW_ACCEPTED;
      *created = !rc;
    }
    if (!rc && *created && *state == FOLLOW_ACCEPTED)
      rc = count(d, follower, followee, 1);
  }
  if (!rc) return db_commit(d);
  db_rollback(d);
  return rc;
}

int follow_put(struct db *d, struct arena *a, long long follower,
               long long followee, enum follow_state *state, bool *created) {
  int rc, tries = 0;
  do
    rc = put_once(d, a, follower, followee, state, created);
  while (db_retry(rc, &tries));
  return rc;
}

/* drop: delete follower -> followee with its count, inside a transaction;
 * *was what it was. */
static int drop(struct db *d, struct arena *a, long long follower,
                long long followee, enum follow_state *was) {
  int rc = state_of(d, a, follower, followee, true, was);
  if (rc || *was == FOLLOW_NONE) return rc;
  struct db_val p[] = {DB_I(follower), DB_I(followee)};
  rc = db_exec(d, NULL,
               "DELETE FROM follows WHERE follower_id = ? AND followee_id = ?",
               p, 2, 0, NULL);
  if (!rc && *was == FOLLOW_ACCEPTED) rc = count(d, follower, followee, -1);
  return rc;
}

static int delete_once(struct db *d, struct arena *a, long long follower,
                       long long followee, enum follow_state *was) {
  int rc = db_begin(d);
  if (!rc) rc = drop(d, a, follower, followee, was);
  if (!rc) return db_commit(d);
  db_rollback(d);
  return rc;
}

int follow_delete(struct db *d, struct arena *a, long long follower,
                  long long followee, enum follow_state *was) {
  int rc, tries = 0;
  do
    rc = delete_once(d, a, follower, followee, was);
  while (db_retry(rc, &tries));
  return rc;
}

int follow_sever(struct db *d, struct arena *a, long long x, long long y) {
  enum follow_state was;
  int rc = drop(d, a, x, y, &was);
  if (!rc) rc = drop(d, a, y, x, &was);
  return rc;
}

/* answer_once: one attempt of follow_answer. The request goes either way;
 * an accepted one comes back as a new follow (a new id and time: lists go
 * newest first by id, and the follow is as new as its acceptance). */
static int answer_once(struct db *d, struct arena *a, long long followee,
                       long long follower, bool accept) {
  enum follow_state st;
  struct db_val p[] = {DB_I(follower), DB_I(followee)};
  int rc = db_begin(d);
  if (!rc) rc = state_of(d, a, follower, followee, true, &st);
  if (!rc && st != FOLLOW_REQUESTED) rc = RC_NOT_FOUND;
  if (!rc)
    rc = db_exec(d, NULL,
                 "DELETE FROM follows WHERE follower_id = ? AND "
                 "followee_id = ?",
                 p, 2, 0, NULL);
  if (!rc && accept)
    rc = db_exec(d, NULL,
                 "INSERT INTO follows (follower_id, followee_id, state) "
                 "VALUES (?, ?, 'accepted')",
                 p, 2, 0, NULL);
  if (!rc && accept) rc = count(d, follower, followee, 1);
  if (!rc) return db_commit(d);
  db_rollback(d);
  return rc;
}

int follow_answer(struct db *d, struct arena *a, long long followee,
                  long long follower, bool accept) {
  int rc, tries = 0;
  do
    rc = answer_once(d, a, followee, follower, accept);
  while (db_retry(rc, &tries));
  return rc;
}

/* The three lists: the other user's column, and the state listed. The
 * relation columns are the viewer's to each listed user (three viewer
 * parameters); users who blocked the viewer are left out (a fourth). */
#define FOLLOW_RELATION                                                        \
  "EXISTS (SELECT 1 FROM follows r1 WHERE r1.follower_id = ? AND "             \
  "r1.followee_id = u.id AND r1.state = 'accepted'), "                         \
  "EXISTS (SELECT 1 FROM follows r2 WHERE r2.follower_id = u.id AND "          \
  "r2.followee_id = ? AND r2.state = 'accepted'), "                            \
  "EXISTS (SELECT 1 FROM follows r3 WHERE r3.follower_id = ? AND "             \
  "r3.followee_id = u.id AND r3.state = 'requested') "
#define FOLLOW_LIST(other, mine, state)                                        \
  "SELECT f.id, FLOOR(UNIX_TIMESTAMP(f.created_at)), " USER_BRIEF(             \
      "u") ", " FOLLOW_RELATION "FROM follows f JOIN users u ON u.id = "       \
           "f." other " WHERE f." mine " = ? AND f.state = '" state            \
           "' AND f.id < ? AND NOT " BLOCK_HIDES("u.id") " ORDER BY f.id "     \
                                                         "DESC LIMIT ?"

static const char *const list_sql[] = {
    [FOLLOW_FOLLOWERS] = FOLLOW_LIST("follower_id", "followee_id", "accepted"),
    [FOLLOW_FOLLOWING] = FOLLOW_LIST("followee_id", "follower_id", "accepted"),
    [FOLLOW_REQUESTS] = FOLLOW_LIST("follower_id", "followee_id", "requested"),
};

int follow_list(struct db *d, struct arena *a, const struct follow_list_q *q,
                json_object **items, long long *next) {
  struct db_val p[] = {DB_I(q->viewer),
                       DB_I(q->viewer),
                       DB_I(q->viewer),
                       DB_I(q->user),
                       DB_I(q->after ? q->after : INT64_MAX),
                       DB_I(q->viewer),
                       DB_I(q->limit)};
  struct db_res res;
  *items = NULL;
  *next = 0;
  int rc = db_exec(d, a, list_sql[q->kind], p, 7, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  json_object *arr = jx_own(a, json_object_new_array());
  for (int i = 0; i < res.nrows; i++) {
    const struct db_row *row = &res.rows[i];
    json_object *o = json_object_new_object();
    json_object_object_add(o, "user", user_brief_json(row, 2));
    jx_add_time(o, "since", db_i64(row, 1, 0));
    if (q->viewer) {
      json_object *rel = json_object_new_object();
      jx_add_bool(rel, "following", db_i64(row, 6, 0) != 0);
      jx_add_bool(rel, "followed_by", db_i64(row, 7, 0) != 0);
      jx_add_bool(rel, "requested", db_i64(row, 8, 0) != 0);
      json_object_object_add(o, "relation", rel);
    }
    json_object_array_add(arr, o);
  }
  if (res.nrows == q->limit) *next = db_i64(&res.rows[res.nrows - 1], 0, 0);
  *items = arr;
  return 0;
}
