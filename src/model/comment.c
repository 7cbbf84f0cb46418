/* comment: comments, replies, likes, mentions and reports; see comment.h. */
#include "model/comment.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/str.h"
#include "model/block.h"
#include "model/playlist.h"
#include "model/user.h"

const char *const report_reasons[] = {"spam",   "harassment", "hate",
                                      "sexual", "violence",   "copyright",
                                      "other",  NULL};

/* --- text ----------------------------------------------------------------- */

/* name_char: a character of a username. */
static bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_';
}

const char *comment_text_check(struct arena *a, const char *text,
                               const char **out) {
  size_t n = strlen(text);
  /* Trim white space (ASCII, and U+00A0) at both ends. */
  const char *s = text, *e = text + n;
  for (;;) {
    if (s < e && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
      s++;
    else if (e - s >= 2 && (unsigned char)s[0] == 0xC2 &&
             (unsigned char)s[1] == 0xA0)
      s += 2;
    else
      break;
  }
  for (;;) {
    if (e > s &&
        (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
      e--;
    else if (e - s >= 2 && (unsigned char)e[-2] == 0xC2 &&
             (unsigned char)e[-1] == 0xA0)
      e -= 2;
    else
      break;
  }
  n = (size_t)(e - s);
  if (!str_utf8_valid(s, n)) return "must be UTF-8 text";
  /* Copied without control characters (C0 but line feed and tab, DEL, C1:
   * U+0080..U+009F, two bytes from 0xC2) and with CR LF as LF. */
  char *t = arena_alloc(a, n + 1);
  size_t m = 0;
  if (!t) return "out of memory";
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\r' && i + 1 < n && s[i + 1] == '\n') continue;
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f ||
        (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] < 0xA0))
      return "must not hold control characters";
    t[m++] = s[i];
  }
  t[m] = '\0';
  size_t chars = str_utf8_len(t, m);
  if (chars < 1) return "must not be empty";
  if (chars > COMMENT_TEXT_MAX) return "must be at most 2000 characters";
  *out = t;
  return NULL;
}

int comment_mentions(struct arena *a, const char *text, const char ***names,
                     int max) {
  const char **out = arena_alloc(a, sizeof *out * (size_t)(max + 1));
  int n = 0;
  if (!out) return 0;
  for (const char *p = strchr(text, '@'); p && n <= max;
       p = strchr(p + 1, '@')) {
    /* An @ that starts a word: not inside one (e-mail addresses). */
    if (p > text && name_char(p[-1])) continue;
    size_t len = 0;
    while (name_char(p[1 + len]))
      len++;
    if (len < 3 || len > 32) continue;
    const char *name = arena_strndup(a, p + 1, len);
    bool seen = false;
    for (int i = 0; i < n && !seen; i++)
      seen = !strcasecmp(out[i], name);
    if (!seen && name) out[n++] = name;
  }
  *names = out;
  return n;
}

/* --- who sees what -------------------------------------------------------- */

/* object_seen: whether viewer may see the object of a comment (and, with
 * `to_write`, comment on it: the owner of a playlist has not blocked them).
 * *owner: the playlist's owner, else 0. */
static int object_seen(struct db *d, struct arena *a, const char *type,
                       long long id, long long viewer, long long *owner,
                       bool *yes) {
  struct db_res res;
  int rc;
  *owner = 0;
  *yes = false;
  if (!strcmp(type, "playlist")) {
    struct db_val p[] = {DB_I(id), DB_I(viewer), DB_I(viewer), DB_I(viewer)};
    rc = db_exec(
        d, a,
        "SELECT p.owner_id FROM playlists p WHERE p.id = ? AND " PLAYLIST_SEES(
            "p", "?") " AND NOT " BLOCK_HIDES("p.owner_id"),
        p, 4, DB_IDEMPOTENT, &res);
    if (!rc && res.nrows) *owner = db_i64(&res.rows[0], 0, 0);
  } else {
    struct db_val p = DB_I(id);
    rc = db_exec(d, a,
                 !strcmp(type, "track") ? "SELECT 1 FROM tracks WHERE id = ?"
                                        : "SELECT 1 FROM albums WHERE id = ?",
                 &p, 1, DB_IDEMPOTENT, &res);
  }
  if (!rc) *yes = res.nrows > 0;
  return rc;
}

/* The columns of a comment as the API shows it (one viewer parameter for
 * `liked`), read from comments c joined to users u. */
#define COMMENT_COLS                                                           \
  "c.id, c.object_type, c.object_id, c.parent_id, c.body, c.like_count, "      \
  "c.reply_count, FLOOR(UNIX_TIMESTAMP(c.created_at)), "                       \
  "FLOOR(UNIX_TIMESTAMP(c.edited_at)), EXISTS (SELECT 1 FROM comment_likes "   \
  "cl WHERE cl.comment_id = c.id AND cl.user_id = ?), " USER_BRIEF("u")
enum comment_col {
  CC_ID,
  CC_OBJECT_TYPE,
  CC_OBJECT_ID,
  CC_PARENT,
  CC_BODY,
  CC_LIKES,
  CC_REPLIES,
  CC_CREATED,
  CC_EDITED,
  CC_LIKED,
  CC_AUTHOR,
};

static json_object *comment_json(const struct db_row *row) {
  json_object *o = json_object_new_object(), *obj = json_object_new_object();
  jx_add_int(o, "id", db_i64(row, CC_ID, 0));
  jx_add_str(obj, "type", db_s(row, CC_OBJECT_TYPE));
  jx_add_int(obj, "id", db_i64(row, CC_OBJECT_ID, 0));
  json_object_object_add(o, "object", obj);
  if (db_s(row, CC_PARENT))
    jx_add_int(o, "parent_id", db_i64(row, CC_PARENT, 0));
  else
    json_object_object_add(o, "parent_id", NULL);
  json_object_object_add(o, "author", user_brief_json(row, CC_AUTHOR));
  jx_add_str(o, "text", db_s(row, CC_BODY));
  jx_add_int(o, "like_count", db_i64(row, CC_LIKES, 0));
  jx_add_int(o, "reply_count", db_i64(row, CC_REPLIES, 0));
  jx_add_bool(o, "liked", db_i64(row, CC_LIKED, 0) != 0);
  jx_add_time(o, "created_at", db_i64(row, CC_CREATED, 0));
  jx_add_bool(o, "edited", db_s(row, CC_EDITED) != NULL);
  if (db_s(row, CC_EDITED))
    jx_add_time(o, "edited_at", db_i64(row, CC_EDITED, 0));
  else
    json_object_object_add(o, "edited_at", NULL);
  return o;
}

/* What moderation hides (0024_admin.sql): a comment held for review or
 * hidden, and every comment of a suspended author, over the aliases c and
 * u (the author). */
#define COMMENT_SHOWN "c.moderation = 'visible' AND u.status = 'active'"

/* seen_comment: the comment row if viewer may see it (its object visible,
 * its author has not blocked the viewer); RC_NOT_FOUND otherwise. */
static int seen_comment(struct db *d, struct arena *a, long long id,
                        long long viewer, struct db_res *res) {
  struct db_val p[] = {DB_I(viewer), DB_I(id), DB_I(viewer)};
  int rc = db_exec(d, a,
                   "SELECT " COMMENT_COLS " FROM comments c JOIN users u ON "
                   "u.id = c.author_id WHERE c.id = ? AND " COMMENT_SHOWN
                   " AND NOT " BLOCK_HIDES("c.author_id"),
                   p, 3, DB_IDEMPOTENT, res);
  if (rc) return rc;
  if (res->nrows == 0) return RC_NOT_FOUND;
  long long owner;
  bool yes;
  rc =
      object_seen(d, a, db_s(&res->rows[0], CC_OBJECT_TYPE),
                  db_i64(&res->rows[0], CC_OBJECT_ID, 0), viewer, &owner, &yes);
  if (!rc && !yes) rc = RC_NOT_FOUND;
  return rc;
}

int comment_get(struct db *d, struct arena *a, long long id, long long viewer,
                json_object **out) {
  struct db_res res;
  int rc = seen_comment(d, a, id, viewer, &res);
  if (!rc) *out = comment_json(&res.rows[0]);
  return rc;
}

/* --- writes --------------------------------------------------------------- */

/* The users a comment mentions: who exist, have not blocked the author and
 * may see the comment (its object, and the author has not blocked them:
 * the two are told apart by who sees whom). Parameters: comment id, the
 * name, the author twice, and the comment id again. */
#define MENTION_SQL(seen)                                                      \
  "INSERT IGNORE INTO comment_mentions (comment_id, user_id) SELECT ?, u.id "  \
  "FROM users u WHERE u.username = ? AND NOT EXISTS (SELECT 1 FROM blocks b "  \
  "WHERE (b.blocker_id = u.id AND b.blocked_id = ?) OR (b.blocker_id = ? "     \
  "AND b.blocked_id = u.id)) AND EXISTS (SELECT 1 FROM comments c WHERE "      \
  "c.id = ?" seen ")"
static const char mention_any[] = MENTION_SQL("");
/* On a playlist: one the user may open, whose owner has not blocked them. */
static const char mention_playlist[] = MENTION_SQL(
    " AND EXISTS (SELECT 1 FROM playlists p WHERE p.id = c.object_id AND "
    "c.object_type = 'playlist' AND " PLAYLIST_SEES(
        "p", "u.id") " AND NOT EXISTS (SELECT 1 FROM blocks pb WHERE "
                     "pb.blocker_id = p.owner_id AND pb.blocked_id = u.id))");

/* store_mentions: the users named, as above, as mentioned by comment id on
 * an object of type. */
static int store_mentions(struct db *d, long long id, const char *type,
                          long long author, const char *const *names, int n) {
  int rc = 0;
  for (int i = 0; !rc && i < n; i++) {
    struct db_val p[] = {DB_I(id), DB_S(names[i]), DB_I(author), DB_I(author),
                         DB_I(id)};
    rc = db_exec(d, NULL,
                 !strcmp(type, "playlist") ? mention_playlist : mention_any, p,
                 5, 0, NULL);
  }
  return rc;
}

static int create_once(struct db *d, struct arena *a,
                       const struct comment_new *c, long long *id) {
  long long owner;
  bool yes;
  struct db_res res;
  int rc = db_begin(d);
  if (!rc)
    rc = object_seen(d, a, c->object_type, c->object_id, c->author, &owner,
                     &yes);
  if (!rc && !yes) rc = RC_NOT_FOUND;
  if (!rc && c->parent) {
    /* The parent: visible to the author, a top-level comment of the same
     * object; locked, for its reply count. */
    struct db_val p[] = {DB_I(c->parent), DB_I(c->author)};
    rc = db_exec(d, a,
                 "SELECT c.object_type, c.object_id, c.parent_id IS NULL "
                 "FROM comments c WHERE c.id = ? AND NOT " BLOCK_HIDES(
                     "c.author_id") " FOR UPDATE",
                 p, 2, 0, &res);
    if (!rc && res.nrows == 0) rc = RC_NOT_FOUND;
    if (!rc && (strcmp(db_s(&res.rows[0], 0), c->object_type) ||
                db_i64(&res.rows[0], 1, 0) != c->object_id ||
                !db_i64(&res.rows[0], 2, 0)))
      rc = RC_INVALID;
  }
  if (!rc) {
    struct db_val p[] = {DB_S(c->object_type), DB_I(c->object_id),
                         DB_I(c->author), c->parent ? DB_I(c->parent) : DB_NUL,
                         DB_S(c->text)};
    rc = db_exec(d, NULL,
                 "INSERT INTO comments (object_type, object_id, author_id, "
                 "parent_id, body) VALUES (?, ?, ?, ?, ?)",
                 p, 5, 0, &res);
    if (!rc) *id = (long long)res.insert_id;
  }
  if (!rc && c->parent) {
    struct db_val p = DB_I(c->parent);
    rc = db_exec(d, NULL,
                 "UPDATE comments SET reply_count = reply_count + 1 WHERE id "
                 "= ?",
                 &p, 1, 0, NULL);
  }
  if (!rc)
    rc = store_mentions(d, *id, c->object_type, c->author, c->mentions,
                        c->nmentions);
  if (!rc) return db_commit(d);
  db_rollback(d);
  return rc;
}

int comment_create(struct db *d, struct arena *a, const struct comment_new *c,
                   long long *id) {
  int rc, tries = 0;
  do
    rc = create_once(d, a, c, id);
  while (db_retry(rc, &tries));
  return rc;
}

int comment_edit(struct db *d, struct arena *a, long long id, long long author,
                 const char *text, const char *const *mentions, int nmentions) {
  struct db_res res;
  int rc = seen_comment(d, a, id, author, &res);
  if (rc) return rc;
  const char *type = db_s(&res.rows[0], CC_OBJECT_TYPE);
  struct db_val p[] = {DB_S(text), DB_I(id), DB_I(author)};
  struct db_res up;
  rc = db_exec(d, NULL,
               "UPDATE comments SET body = ?, edited_at = UTC_TIMESTAMP(3) "
               "WHERE id = ? AND author_id = ?",
               p, 3, 0, &up);
  if (!rc && up.affected == 0) return RC_NOT_FOUND;
  if (!rc) rc = store_mentions(d, id, type, author, mentions, nmentions);
  return rc;
}

int comment_delete(struct db *d, struct arena *a, long long id, long long actor,
                   bool moderator) {
  struct comment_about ab;
  int rc = comment_about(d, a, id, &ab);
  if (rc) return rc;
  if (!moderator && ab.author != actor && ab.playlist_owner != actor)
    return RC_NOT_FOUND;
  if (!moderator) {
    /* The author or owner must still see it (a block since, a playlist
     * made private). */
    struct db_res res;
    if ((rc = seen_comment(d, a, id, actor, &res))) return rc;
  }
  rc = db_begin(d);
  struct db_val p = DB_I(id);
  if (!rc && ab.parent_author) {
    rc = db_exec(d, NULL,
                 "UPDATE comments SET reply_count = reply_count - 1 WHERE id "
                 "= (SELECT parent_id FROM comments WHERE id = ?) AND "
                 "reply_count > 0",
                 &p, 1, 0, NULL);
  }
  if (!rc)
    rc = db_exec(d, NULL, "DELETE FROM comments WHERE id = ?", &p, 1, 0, NULL);
  if (!rc) return db_commit(d);
  db_rollback(d);
  return rc;
}

int comment_like(struct db *d, struct arena *a, long long id, long long user,
                 bool on, bool *added) {
  struct db_res res;
  *added = false;
  int rc = seen_comment(d, a, id, user, &res);
  if (rc) return rc;
  struct db_val p[] = {DB_I(id), DB_I(user)};
  rc = db_begin(d);
  if (!rc)
    rc = db_exec(d, NULL,
                 on ? "INSERT IGNORE INTO comment_likes (comment_id, user_id) "
                      "VALUES (?, ?)"
                    : "DELETE FROM comment_likes WHERE comment_id = ? AND "
                      "user_id = ?",
                 p, 2, 0, &res);
  if (!rc && res.affected == 1) {
    *added = on;
    struct db_val q[] = {DB_I(on ? 1 : -1), DB_I(id)};
    rc = db_exec(d, NULL,
                 "UPDATE comments SET like_count = like_count + ? WHERE id = ?",
                 q, 2, 0, NULL);
  }
  if (!rc) return db_commit(d);
  db_rollback(d);
  return rc;
}

/* --- lists ---------------------------------------------------------------- */

/* The pages: literal texts per order (the statement cache's keys). Each
 * takes viewer (liked), type, id, the cursor keys, viewer (blocks), limit. */
#define COMMENT_LIST(where, order)                                             \
  "SELECT " COMMENT_COLS " FROM comments c JOIN users u ON u.id = "            \
  "c.author_id WHERE c.object_type = ? AND c.object_id = ? AND " where         \
  " AND " COMMENT_SHOWN                                                        \
  " AND NOT " BLOCK_HIDES("c.author_id") " ORDER BY " order " LIMIT ?"

static const char sql_newest[] =
    COMMENT_LIST("c.parent_id IS NULL AND c.id < ?", "c.id DESC");
static const char sql_oldest[] =
    COMMENT_LIST("c.parent_id IS NULL AND c.id > ?", "c.id ASC");
static const char sql_top[] =
    COMMENT_LIST("c.parent_id IS NULL AND (c.like_count < ? OR (c.like_count "
                 "= ? AND c.id < ?))",
                 "c.like_count DESC, c.id DESC");
static const char sql_replies[] =
    "SELECT " COMMENT_COLS " FROM comments c JOIN users u ON u.id = "
    "c.author_id WHERE c.parent_id = ? AND c.id > ? AND " COMMENT_SHOWN
    " AND NOT " BLOCK_HIDES("c.author_id") " ORDER BY c.id ASC LIMIT ?";

static const char sort_letter[] = {
    [COMMENT_NEWEST] = 'n', [COMMENT_OLDEST] = 'o', [COMMENT_TOP] = 't'};

int comment_list(struct db *d, struct arena *a, const struct comment_q *q,
                 json_object **items, const char **next) {
  long long owner, likes = INT64_MAX / 2, after = 0;
  bool yes;
  struct db_res res;
  int rc;
  *items = NULL;
  *next = NULL;
  /* The list a cursor continues is written in it: "<sort>|<type>|<id>|
   * <parent>|<likes>|<id>". */
  char sort = q->parent ? 'r' : sort_letter[q->sort];
  if (q->after) {
    char s, type[16], tail;
    long long oid, parent;
    if (sscanf(q->after, "%c|%15[a-z]|%lld|%lld|%lld|%lld%c", &s, type, &oid,
               &parent, &likes, &after, &tail) != 6 ||
        s != sort || strcmp(type, q->object_type) || oid != q->object_id ||
        parent != q->parent || after < 0 || likes < 0)
      return RC_BAD_REQUEST;
  } else if (sort == 'n' || sort == 't') {
    after = INT64_MAX;
  }
  if (q->parent) {
    /* Replies: the parent must be seen, and be of this object. */
    if ((rc = seen_comment(d, a, q->parent, q->viewer, &res))) return rc;
    if (strcmp(db_s(&res.rows[0], CC_OBJECT_TYPE), q->object_type) ||
        db_i64(&res.rows[0], CC_OBJECT_ID, 0) != q->object_id)
      return RC_NOT_FOUND;
    struct db_val p[] = {DB_I(q->viewer), DB_I(q->parent), DB_I(after),
                         DB_I(q->viewer), DB_I(q->limit)};
    rc = db_exec(d, a, sql_replies, p, 5, DB_IDEMPOTENT, &res);
  } else {
    if ((rc = object_seen(d, a, q->object_type, q->object_id, q->viewer, &owner,
                          &yes)))
      return rc;
    if (!yes) return RC_NOT_FOUND;
    if (q->sort == COMMENT_TOP) {
      struct db_val p[] = {DB_I(q->viewer),    DB_S(q->object_type),
                           DB_I(q->object_id), DB_I(likes),
                           DB_I(likes),        DB_I(after),
                           DB_I(q->viewer),    DB_I(q->limit)};
      rc = db_exec(d, a, sql_top, p, 8, DB_IDEMPOTENT, &res);
    } else {
      struct db_val p[] = {DB_I(q->viewer),    DB_S(q->object_type),
                           DB_I(q->object_id), DB_I(after),
                           DB_I(q->viewer),    DB_I(q->limit)};
      rc = db_exec(d, a, q->sort == COMMENT_NEWEST ? sql_newest : sql_oldest, p,
                   6, DB_IDEMPOTENT, &res);
    }
  }
  if (rc) return rc;
  json_object *arr = jx_own(a, json_object_new_array());
  for (int i = 0; i < res.nrows; i++)
    json_object_array_add(arr, comment_json(&res.rows[i]));
  if (res.nrows == q->limit) {
    const struct db_row *last = &res.rows[res.nrows - 1];
    *next = arena_printf(a, "%c|%s|%lld|%lld|%lld|%lld", sort, q->object_type,
                         q->object_id, q->parent, db_i64(last, CC_LIKES, 0),
                         db_i64(last, CC_ID, 0));
  }
  *items = arr;
  return 0;
}

/* --- for notifications ---------------------------------------------------- */

int comment_about(struct db *d, struct arena *a, long long id,
                  struct comment_about *out) {
  struct db_val p = DB_I(id);
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT c.object_type, c.object_id, c.author_id, "
                   "(SELECT pc.author_id FROM comments pc WHERE pc.id = "
                   "c.parent_id), (SELECT p.owner_id FROM playlists p WHERE "
                   "c.object_type = 'playlist' AND p.id = c.object_id) FROM "
                   "comments c WHERE c.id = ?",
                   &p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_NOT_FOUND;
  const struct db_row *row = &res.rows[0];
  *out = (struct comment_about){.object_type = db_s(row, 0),
                                .object_id = db_i64(row, 1, 0),
                                .author = db_i64(row, 2, 0),
                                .parent_author = db_i64(row, 3, 0),
                                .playlist_owner = db_i64(row, 4, 0)};
  return 0;
}

int comment_mentioned(struct db *d, struct arena *a, long long id,
                      long long **ids, int *n) {
  struct db_val p = DB_I(id);
  struct db_res res;
  int rc =
      db_exec(d, a, "SELECT user_id FROM comment_mentions WHERE comment_id = ?",
              &p, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  *ids = arena_alloc(a, sizeof **ids * (size_t)(res.nrows ? res.nrows : 1));
  if (!*ids) return RC_NOMEM;
  for (int i = 0; i < res.nrows; i++)
    (*ids)[i] = db_i64(&res.rows[i], 0, 0);
  *n = res.nrows;
  return 0;
}

int report_create(struct db *d, long long reporter, const char *object_type,
                  long long object_id, const char *reason, const char *note) {
  struct db_val p[] = {DB_I(reporter), DB_S(object_type), DB_I(object_id),
                       DB_S(reason), DB_S(note ? note : "")};
  return db_exec(d, NULL,
                 "INSERT INTO reports (reporter_id, object_type, object_id, "
                 "reason, note) VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY "
                 "UPDATE reason = VALUES(reason), note = VALUES(note), "
                 "status = 'open'",
                 p, 5, 0, NULL);
}
