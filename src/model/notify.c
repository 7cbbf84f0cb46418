/* notify: recipients of each event and the inbox; see notify.h. */
#include "model/notify.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/timefmt.h"
#include "model/block.h"
#include "model/comment.h"
#include "model/push.h"
#include "model/user.h"

/* Actors remembered per group (the latest first). */
#define NOTIFY_ACTORS 5

/* One notification to store. */
struct tell {
  long long to, actor;
  const char *kind;        /* the notifications.kind ENUM */
  const char *object_type; /* NULL: none */
  long long object_id;
};

/* tell_once: add t to its unread group, or open one; one transaction. */
static int tell_once(struct db *d, struct arena *a, const struct tell *t,
                     const char *key) {
  struct db_res res;
  const char *actor = arena_printf(a, "%lld", t->actor);
  struct db_val g[] = {DB_S(actor), DB_I(t->to), DB_S(key)};
  if (!actor) return RC_NOMEM;
  int rc = db_begin(d);
  if (!rc)
    rc = db_exec(d, a,
                 "SELECT id, JSON_CONTAINS(actors, ?) FROM notifications "
                 "WHERE user_id = ? AND group_key = ? AND read_at IS NULL "
                 "ORDER BY id DESC LIMIT 1 FOR UPDATE",
                 g, 3, 0, &res);
  if (!rc && res.nrows && db_i64(&res.rows[0], 1, 0)) {
    /* An actor already in the group: the group moves up, no count. */
    struct db_val u[] = {DB_I(t->actor), DB_I(db_i64(&res.rows[0], 0, 0))};
    rc = db_exec(d, NULL,
                 "UPDATE notifications SET actor_id = ?, updated_at = "
                 "UTC_TIMESTAMP(3) WHERE id = ?",
                 u, 2, 0, NULL);
  } else if (!rc && res.nrows) {
    /* A new actor: counted, and first of the (cut) list. */
    struct db_val u[] = {DB_I(t->actor), DB_I(NOTIFY_ACTORS - 1),
                         DB_I(t->actor), DB_I(db_i64(&res.rows[0], 0, 0))};
    rc = db_exec(d, NULL,
                 "UPDATE notifications SET count = count + 1, actor_id = ?, "
                 "actors = JSON_ARRAY_INSERT(JSON_REMOVE(actors, CONCAT('$[', "
                 "?, ']')), '$[0]', ?), updated_at = UTC_TIMESTAMP(3) WHERE "
                 "id = ?",
                 u, 4, 0, NULL);
  } else if (!rc) {
    struct db_val p[] = {DB_I(t->to),
                         DB_S(t->kind),
                         DB_I(t->actor),
                         DB_S(t->object_type),
                         t->object_type ? DB_I(t->object_id) : DB_NUL,
                         DB_S(key),
                         DB_I(t->actor)};
    rc = db_exec(d, NULL,
                 "INSERT INTO notifications (user_id, kind, actor_id, "
                 "object_type, object_id, group_key, actors) VALUES (?, ?, "
                 "?, ?, ?, ?, JSON_ARRAY(?))",
                 p, 7, 0, NULL);
  }
  if (!rc) return db_commit(d);
  db_rollback(d);
  return rc;
}

/* tell: store t unless it would tell the actor of their own act, or cross
 * a block. Notifications of a kind about one object group. */
static int tell(struct db *d, struct arena *a, const struct tell *t) {
  bool blocked;
  if (!t->to || t->to == t->actor) return 0;
  int rc = block_between(d, a, t->to, t->actor, &blocked);
  if (rc || blocked) return rc;
  const char *key = t->object_type ? arena_printf(a, "%s:%s:%lld", t->kind,
                                                  t->object_type, t->object_id)
                                   : t->kind;
  if (!key) return RC_NOMEM;
  int tries = 0;
  do
    rc = tell_once(d, a, t, key);
  while (db_retry(rc, &tries));
  /* What is told in the inbox and may be pushed goes to the push outbox
   * too (the kinds share their names); encore-push delivers it. */
  int kind = push_kind_of(t->kind);
  if (!rc && kind >= 0)
    rc = push_queue(d, a,
                    &(struct push_event){.user = t->to,
                                         .kind = (enum push_kind)kind,
                                         .actor = t->actor,
                                         .object_type = t->object_type,
                                         .object_id = t->object_id});
  return rc;
}

int notify_follow(struct db *d, struct arena *a, long long follower,
                  long long followee, bool requested) {
  return tell(
      d, a,
      &(struct tell){.to = followee,
                     .actor = follower,
                     .kind = requested ? "follow_request" : "follower"});
}

int notify_moderation(struct db *d, struct arena *a, long long to,
                      long long moderator, const char *kind,
                      const char *object_type, long long object_id) {
  if (!to || to == moderator) return 0;
  /* A decision of the instance, not a user's act: it reaches its user
   * whoever they blocked, and names no moderator. As notify_link_lost,
   * the group is written directly with the user as its actor, so neither
   * tell()'s block check nor the inbox's hides it. */
  const struct tell t = {.to = to,
                         .actor = to,
                         .kind = kind,
                         .object_type = object_type,
                         .object_id = object_id};
  const char *key =
      object_type ? arena_printf(a, "%s:%s:%lld", kind, object_type, object_id)
                  : kind;
  if (!key) return RC_NOMEM;
  int rc, tries = 0;
  do
    rc = tell_once(d, a, &t, key);
  while (db_retry(rc, &tries));
  return rc;
}

int notify_follow_accepted(struct db *d, struct arena *a, long long followee,
                           long long follower) {
  return tell(d, a,
              &(struct tell){.to = follower,
                             .actor = followee,
                             .kind = "follow_accepted"});
}

int notify_comment(struct db *d, struct arena *a, long long comment_id) {
  struct comment_about ab;
  long long *mentioned = NULL;
  int n = 0;
  int rc = comment_about(d, a, comment_id, &ab);
  if (!rc) rc = comment_mentioned(d, a, comment_id, &mentioned, &n);
  if (rc) return rc == RC_NOT_FOUND ? 0 : rc;
  /* A reply tells the parent's author; a mention, whom it names; a comment
   * on a playlist, its owner: each person once, in that order. */
  if (ab.parent_author)
    rc = tell(d, a,
              &(struct tell){.to = ab.parent_author,
                             .actor = ab.author,
                             .kind = "reply",
                             .object_type = "comment",
                             .object_id = comment_id});
  for (int i = 0; !rc && i < n; i++) {
    if (mentioned[i] == ab.parent_author) continue;
    rc = tell(d, a,
              &(struct tell){.to = mentioned[i],
                             .actor = ab.author,
                             .kind = "mention",
                             .object_type = "comment",
                             .object_id = comment_id});
  }
  bool told = ab.playlist_owner == ab.parent_author;
  for (int i = 0; i < n; i++)
    told = told || mentioned[i] == ab.playlist_owner;
  if (!rc && ab.playlist_owner && !told)
    rc = tell(d, a,
              &(struct tell){.to = ab.playlist_owner,
                             .actor = ab.author,
                             .kind = "comment",
                             .object_type = "playlist",
                             .object_id = ab.object_id});
  return rc;
}

int notify_playlist_liked(struct db *d, struct arena *a, long long liker,
                          long long playlist_id) {
  struct db_val p = DB_I(playlist_id);
  struct db_res res;
  int rc = db_exec(d, a, "SELECT owner_id FROM playlists WHERE id = ?", &p, 1,
                   DB_IDEMPOTENT, &res);
  if (rc || res.nrows == 0) return rc;
  return tell(d, a,
              &(struct tell){.to = db_i64(&res.rows[0], 0, 0),
                             .actor = liker,
                             .kind = "playlist_liked",
                             .object_type = "playlist",
                             .object_id = playlist_id});
}

int notify_comment_liked(struct db *d, struct arena *a, long long liker,
                         long long comment_id) {
  struct comment_about ab;
  int rc = comment_about(d, a, comment_id, &ab);
  if (rc) return rc == RC_NOT_FOUND ? 0 : rc;
  return tell(d, a,
              &(struct tell){.to = ab.author,
                             .actor = liker,
                             .kind = "comment_liked",
                             .object_type = "comment",
                             .object_id = comment_id});
}

int notify_party_invite(struct db *d, struct arena *a, long long inviter,
                        long long invitee, long long party) {
  return tell(d, a,
              &(struct tell){.to = invitee,
                             .actor = inviter,
                             .kind = "party_invite",
                             .object_type = "party",
                             .object_id = party});
}

int notify_party_started(struct db *d, struct arena *a, long long host,
                         long long party) {
  return push_queue_followers(d, a,
                              &(struct push_event){.user = host,
                                                   .kind = PUSH_PARTY_STARTED,
                                                   .actor = host,
                                                   .object_type = "party",
                                                   .object_id = party});
}

int notify_link_lost(struct db *d, struct arena *a, long long user,
                     const char *service) {
  const char *kind = arena_printf(a, "%s_unlinked", service);
  if (!kind) return RC_NOMEM;
  /* A notice about the user's own account: tell() leaves out the actor's
   * own acts, so the group is written directly. */
  const struct tell t = {.to = user, .actor = user, .kind = kind};
  int rc, tries = 0;
  do
    rc = tell_once(d, a, &t, kind);
  while (db_retry(rc, &tries));
  return rc;
}

/* --- the inbox ------------------------------------------------------------ */

/* Entries shown: not across a block, about objects that still exist. Two
 * user parameters (blocks), then the list's own. */
#define NOTIFY_SHOWN                                                           \
  " AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.blocker_id = n.user_id "   \
  "AND b.blocked_id = n.actor_id) OR (b.blocker_id = n.actor_id AND "          \
  "b.blocked_id = n.user_id)) AND (n.object_type IS NULL OR (n.object_type "   \
  "= 'playlist' AND EXISTS (SELECT 1 FROM playlists p WHERE p.id = "           \
  "n.object_id)) OR (n.object_type = 'comment' AND EXISTS (SELECT 1 FROM "     \
  "comments c WHERE c.id = n.object_id)) OR n.object_type NOT IN "             \
  "('playlist', 'comment'))"

#define NOTIFY_LIST(unread)                                                    \
  "SELECT n.id, n.kind, n.object_type, n.object_id, n.count, "                 \
  "FLOOR(UNIX_TIMESTAMP(n.created_at)), FLOOR(UNIX_TIMESTAMP(n.updated_at) * " \
  "1000), n.read_at IS NOT NULL, CASE n.object_type WHEN 'playlist' THEN "     \
  "(SELECT name FROM playlists WHERE id = n.object_id) WHEN 'party' THEN "     \
  "(SELECT name FROM parties WHERE id = n.object_id) END, " USER_BRIEF(        \
      "u") " FROM notifications n JOIN users u ON u.id = n.actor_id WHERE "    \
           "n.user_id = ?" unread " AND (n.updated_at < ? OR (n.updated_at = " \
           "? AND n.id < ?))" NOTIFY_SHOWN                                     \
           " ORDER BY n.updated_at DESC, n.id DESC LIMIT ?"

enum notify_col {
  NC_ID,
  NC_KIND,
  NC_OBJECT_TYPE,
  NC_OBJECT_ID,
  NC_COUNT,
  NC_CREATED,
  NC_UPDATED_MS,
  NC_READ,
  NC_OBJECT_NAME,
  NC_ACTOR,
};

static const char sql_all[] = NOTIFY_LIST("");
static const char sql_unread[] = NOTIFY_LIST(" AND n.read_at IS NULL");

int notify_list(struct db *d, struct arena *a, const struct notify_q *q,
                json_object **items, const char **next, long long *unread) {
  long long before_ms = INT64_MAX / 2, before_id = INT64_MAX;
  *items = NULL;
  *next = NULL;
  /* A cursor names whose inbox it continues: "<user>|<ms>|<id>". */
  if (q->after) {
    char tail;
    long long user;
    if (sscanf(q->after, "%lld|%lld|%lld%c", &user, &before_ms, &before_id,
               &tail) != 3 ||
        user != q->user || before_ms < 0 || before_id < 1)
      return RC_BAD_REQUEST;
  }
  char before[32] = "9999-12-31 23:59:59.999";
  if (q->after) timefmt_sql(before, sizeof before, before_ms);
  struct db_val p[] = {DB_I(q->user), DB_S(before), DB_S(before),
                       DB_I(before_id), DB_I(q->limit)};
  struct db_res res;
  int rc = db_exec(d, a, q->unread_only ? sql_unread : sql_all, p, 5,
                   DB_IDEMPOTENT, &res);
  if (rc) return rc;
  json_object *arr = jx_own(a, json_object_new_array());
  for (int i = 0; i < res.nrows; i++) {
    const struct db_row *row = &res.rows[i];
    json_object *o = json_object_new_object();
    jx_add_int(o, "id", db_i64(row, NC_ID, 0));
    jx_add_str(o, "kind", db_s(row, NC_KIND));
    json_object_object_add(o, "actor", user_brief_json(row, NC_ACTOR));
    jx_add_int(o, "count", db_i64(row, NC_COUNT, 1));
    if (db_s(row, NC_OBJECT_TYPE)) {
      json_object *obj = json_object_new_object();
      jx_add_str(obj, "type", db_s(row, NC_OBJECT_TYPE));
      jx_add_int(obj, "id", db_i64(row, NC_OBJECT_ID, 0));
      if (db_s(row, NC_OBJECT_NAME))
        jx_add_str(obj, "name", db_s(row, NC_OBJECT_NAME));
      json_object_object_add(o, "object", obj);
    } else {
      json_object_object_add(o, "object", NULL);
    }
    jx_add_time(o, "created_at", db_i64(row, NC_CREATED, 0));
    jx_add_time(o, "updated_at", db_i64(row, NC_UPDATED_MS, 0) / 1000);
    jx_add_bool(o, "read", db_i64(row, NC_READ, 0) != 0);
    json_object_array_add(arr, o);
  }
  if (res.nrows == q->limit) {
    const struct db_row *last = &res.rows[res.nrows - 1];
    *next =
        arena_printf(a, "%lld|%lld|%lld", q->user,
                     db_i64(last, NC_UPDATED_MS, 0), db_i64(last, NC_ID, 0));
  }
  *items = arr;
  /* What the list would show, counted: entries hidden since they were
   * told (a block, a deletion) are not news. */
  struct db_val u = DB_I(q->user);
  rc = db_exec(d, a,
               "SELECT COUNT(*) FROM notifications n WHERE n.user_id = ? AND "
               "n.read_at IS NULL" NOTIFY_SHOWN,
               &u, 1, DB_IDEMPOTENT, &res);
  if (!rc) *unread = db_i64(&res.rows[0], 0, 0);
  return rc;
}

int notify_read(struct db *d, long long user, long long id) {
  struct db_val p[] = {DB_I(id), DB_I(user)};
  struct db_res res;
  int rc = db_exec(d, NULL,
                   "UPDATE notifications SET read_at = COALESCE(read_at, "
                   "UTC_TIMESTAMP(3)) WHERE id = ? AND user_id = ?",
                   p, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  /* affected counts changed rows only: an already read one is no error. */
  if (res.affected == 0) {
    struct db_res q;
    rc = db_exec(d, NULL,
                 "SELECT 1 FROM notifications WHERE id = ? AND user_id = ?", p,
                 2, DB_IDEMPOTENT, &q);
    if (!rc && q.nrows == 0) rc = RC_NOT_FOUND;
  }
  return rc;
}

int notify_read_all(struct db *d, long long user) {
  struct db_val p = DB_I(user);
  return db_exec(d, NULL,
                 "UPDATE notifications SET read_at = UTC_TIMESTAMP(3) WHERE "
                 "user_id = ? AND read_at IS NULL",
                 &p, 1, DB_IDEMPOTENT, NULL);
}
