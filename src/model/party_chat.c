/* party_chat: a party's chat in MariaDB — the REST history pages (party.h)
 * and what encore-live writes and restores (party_room.h). */
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/timefmt.h"
#include "model/party.h"
#include "model/party_room.h"
#include "model/user.h"

int party_chat_store(struct db *d, const char *rows_json) {
  struct db_val p = DB_S(rows_json);
  return db_exec(
      d, NULL,
      "INSERT IGNORE INTO party_messages (party_id, id, user_id, body, "
      "reply_to, created_at) SELECT j.party_id, j.id, j.user_id, j.body, "
      "j.reply_to, FROM_UNIXTIME(j.ms / 1000) FROM JSON_TABLE(?, '$[*]' "
      "COLUMNS (party_id BIGINT UNSIGNED PATH '$[0]', id BIGINT UNSIGNED PATH "
      "'$[1]', user_id BIGINT UNSIGNED PATH '$[2]', body VARCHAR(1000) "
      "CHARACTER SET utf8mb4 PATH '$[3]', reply_to BIGINT UNSIGNED PATH "
      "'$[4]', ms BIGINT PATH '$[5]')) j",
      &p, 1, DB_IDEMPOTENT, NULL);
}

int party_chat_next(struct db *d, struct arena *a, long long id,
                    long long *next) {
  struct db_val p = DB_I(id);
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT COALESCE(MAX(id), 0) + 1 FROM party_messages WHERE "
                   "party_id = ?",
                   &p, 1, DB_IDEMPOTENT, &res);
  if (!rc) *next = db_i64(&res.rows[0], 0, 1);
  return rc;
}

/* rows_of: messages (id, user_id, body, reply_to, ms) into out. */
static int rows_of(struct arena *a, const struct db_res *res,
                   struct party_message_row **out, int *n) {
  *out = arena_alloc(a, sizeof **out * (size_t)(res->nrows + 1));
  if (!*out) return RC_NOMEM;
  for (int i = 0; i < res->nrows; i++) {
    const struct db_row *row = &res->rows[i];
    (*out)[i] = (struct party_message_row){.id = db_i64(row, 0, 0),
                                           .user = db_i64(row, 1, 0),
                                           .text = db_s(row, 2),
                                           .reply_to = db_i64(row, 3, 0),
                                           .at_ms = db_i64(row, 4, 0)};
  }
  *n = res->nrows;
  return 0;
}

int party_chat_after(struct db *d, struct arena *a, long long id,
                     long long after, int limit, struct party_message_row **out,
                     int *n) {
  struct db_res res;
  int rc;
  if (after >= 0) {
    struct db_val p[] = {DB_I(id), DB_I(after), DB_I(limit)};
    rc = db_exec(d, a,
                 "SELECT id, user_id, body, reply_to, FLOOR(UNIX_TIMESTAMP("
                 "created_at) * 1000) FROM party_messages WHERE party_id = ? "
                 "AND id > ? ORDER BY id LIMIT ?",
                 p, 3, DB_IDEMPOTENT, &res);
    return rc ? rc : rows_of(a, &res, out, n);
  }
  struct db_val p[] = {DB_I(id), DB_I(limit)};
  rc = db_exec(d, a,
               "SELECT * FROM (SELECT id, user_id, body, reply_to, FLOOR("
               "UNIX_TIMESTAMP(created_at) * 1000) FROM party_messages WHERE "
               "party_id = ? ORDER BY id DESC LIMIT ?) last ORDER BY id",
               p, 2, DB_IDEMPOTENT, &res);
  return rc ? rc : rows_of(a, &res, out, n);
}

int party_chat_reactions(struct db *d, struct arena *a, long long id,
                         long long from, long long to,
                         struct party_reaction_row **out, int *n) {
  struct db_val p[] = {DB_I(id), DB_I(from), DB_I(to)};
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT message_id, user_id, emoji FROM party_reactions "
                   "WHERE party_id = ? AND message_id BETWEEN ? AND ? ORDER "
                   "BY message_id, created_at LIMIT 10000",
                   p, 3, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  *out = arena_alloc(a, sizeof **out * (size_t)(res.nrows + 1));
  if (!*out) return RC_NOMEM;
  for (int i = 0; i < res.nrows; i++)
    (*out)[i] =
        (struct party_reaction_row){.message = db_i64(&res.rows[i], 0, 0),
                                    .user = db_i64(&res.rows[i], 1, 0),
                                    .emoji = db_s(&res.rows[i], 2)};
  *n = res.nrows;
  return 0;
}

int party_chat_react(struct db *d, struct arena *a,
                     const struct party_reaction_row *r, long long id,
                     bool remove, bool *changed) {
  struct db_val p[] = {DB_I(id), DB_I(r->message), DB_I(r->user),
                       DB_S(r->emoji)};
  struct db_res res;
  *changed = false;
  if (remove) {
    int rc = db_exec(d, NULL,
                     "DELETE FROM party_reactions WHERE party_id = ? AND "
                     "message_id = ? AND user_id = ? AND emoji = ?",
                     p, 4, DB_IDEMPOTENT, &res);
    if (!rc) *changed = res.affected > 0;
    return rc;
  }
  /* The count first: a user's reactions to one message are few, and only
   * they add to them (one connection at a time in one process). */
  struct db_val c[] = {DB_S(r->emoji), DB_I(id), DB_I(r->message),
                       DB_I(r->user)};
  int rc = db_exec(d, a,
                   "SELECT COUNT(*), SUM(emoji = ?) FROM party_reactions "
                   "WHERE party_id = ? AND message_id = ? AND user_id = ?",
                   c, 4, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (db_i64(&res.rows[0], 1, 0) > 0) return 0;
  if (db_i64(&res.rows[0], 0, 0) >= PARTY_REACTIONS_MAX) return RC_LIMIT;
  rc = db_exec(d, NULL,
               "INSERT IGNORE INTO party_reactions (party_id, message_id, "
               "user_id, emoji) VALUES (?, ?, ?, ?)",
               p, 4, 0, &res);
  if (!rc) *changed = res.affected > 0;
  return rc;
}

/* --- REST history --------------------------------------------------------- */

static const char sql_visible[] =
    "SELECT 1 FROM parties p WHERE p.id = ? AND " PARTY_SEES("p", "?");

/* Messages of one page, without those across a block with the viewer. */
static const char sql_page[] =
    "SELECT m.id, m.body, m.reply_to, FLOOR(UNIX_TIMESTAMP(m.created_at) * "
    "1000), " USER_BRIEF("u") " FROM party_messages m JOIN users u ON u.id = "
                              "m.user_id WHERE m.party_id = ? AND m.id < ? "
                              "AND NOT EXISTS (SELECT 1 FROM blocks b WHERE "
                              "(b.blocker_id = m.user_id AND b.blocked_id = "
                              "?) OR (b.blocker_id = ? AND b.blocked_id = "
                              "m.user_id)) ORDER BY m.id DESC LIMIT ?";

/* Their reactions, with the same rule. */
static const char sql_page_reactions[] =
    "SELECT r.message_id, r.emoji, r.user_id FROM party_reactions r WHERE "
    "r.party_id = ? AND r.message_id BETWEEN ? AND ? AND NOT EXISTS (SELECT 1 "
    "FROM blocks b WHERE (b.blocker_id = r.user_id AND b.blocked_id = ?) OR "
    "(b.blocker_id = ? AND b.blocked_id = r.user_id)) ORDER BY r.message_id, "
    "r.emoji, r.created_at LIMIT 20000";

/* reactions_of: the reactions to message id among res's rows, as
 * [{emoji, users}] (a new array). */
static json_object *reactions_of(const struct db_res *res, long long id) {
  json_object *arr = json_object_new_array(), *cur = NULL;
  const char *cur_emoji = NULL;
  for (int i = 0; i < res->nrows; i++) {
    const struct db_row *row = &res->rows[i];
    if (db_i64(row, 0, 0) != id) continue;
    const char *emoji = db_s(row, 1);
    if (!cur_emoji || strcmp(cur_emoji, emoji) != 0) {
      json_object *r = json_object_new_object();
      jx_add_str(r, "emoji", emoji);
      cur = json_object_new_array();
      json_object_object_add(r, "users", cur);
      json_object_array_add(arr, r);
      cur_emoji = emoji;
    }
    json_object_array_add(cur, json_object_new_int64(db_i64(row, 2, 0)));
  }
  return arr;
}

int party_chat_page(struct db *d, struct arena *a, const struct party_chat_q *q,
                    json_object **items, long long *next) {
  struct db_val v[1 + PARTY_SEES_USES] = {DB_I(q->party)};
  for (int i = 1; i <= PARTY_SEES_USES; i++)
    v[i] = DB_I(q->viewer);
  struct db_res res;
  int rc =
      db_exec(d, a, sql_visible, v, 1 + PARTY_SEES_USES, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_NOT_FOUND;
  struct db_val p[] = {DB_I(q->party), DB_I(q->before ? q->before : INT64_MAX),
                       DB_I(q->viewer), DB_I(q->viewer), DB_I(q->limit)};
  rc = db_exec(d, a, sql_page, p, 5, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  struct db_res re = {0};
  if (res.nrows) {
    struct db_val r[] = {
        DB_I(q->party), DB_I(db_i64(&res.rows[res.nrows - 1], 0, 0)),
        DB_I(db_i64(&res.rows[0], 0, 0)), DB_I(q->viewer), DB_I(q->viewer)};
    rc = db_exec(d, a, sql_page_reactions, r, 5, DB_IDEMPOTENT, &re);
    if (rc) return rc;
  }
  json_object *arr = jx_own(a, json_object_new_array());
  for (int i = 0; i < res.nrows; i++) {
    const struct db_row *row = &res.rows[i];
    json_object *o = json_object_new_object();
    long long id = db_i64(row, 0, 0);
    jx_add_int(o, "id", id);
    json_object_object_add(o, "user", user_brief_json(row, 4));
    jx_add_str(o, "text", db_s(row, 1));
    if (db_s(row, 2))
      jx_add_int(o, "reply_to", db_i64(row, 2, 0));
    else
      json_object_object_add(o, "reply_to", NULL);
    char at[32];
    timefmt_rfc3339(at, sizeof at, db_i64(row, 3, 0));
    jx_add_str(o, "created_at", at);
    json_object_object_add(o, "reactions", reactions_of(&re, id));
    json_object_array_add(arr, o);
  }
  *items = arr;
  *next = res.nrows == q->limit ? db_i64(&res.rows[res.nrows - 1], 0, 0) : 0;
  return 0;
}
