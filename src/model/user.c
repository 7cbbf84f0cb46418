/* user: accounts, profiles and preferences over MariaDB, with the private
 * profile cached in memcached under "u:<id>:me" (deleted on every write). */
#include "model/user.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/kv.h"
#include "core/rc.h"
#include "core/str.h"

#define ME_TTL 3600

#define USER_COLS                                                              \
  "id, username, email, display_name, bio, avatar_url, role, password_hash, "  \
  "FLOOR(UNIX_TIMESTAMP(created_at)), FLOOR(UNIX_TIMESTAMP(updated_at)), "     \
  "confirm_by IS NULL, follower_count, following_count"

void user_me_key(char *buf, size_t n, long long id) {
  snprintf(buf, n, "u:%lld:me", id);
}

void user_recs_ns(char *buf, size_t n, long long id) {
  snprintf(buf, n, "recs:%lld", id);
}

void user_taste_changed(struct kv *k, long long id) {
  char ns[32];
  user_recs_ns(ns, sizeof ns, id);
  if (k) kv_ns_bump(k, ns);
}

void user_me_drop(struct kv *k, long long id) {
  char key[48];
  user_me_key(key, sizeof key, id);
  if (k) kv_del(k, key);
}

bool user_name_valid(const char *s) {
  size_t n = strlen(s);
  if (n < 3 || n > 32) return false;
  for (size_t i = 0; i < n; i++)
    if (!isalnum((unsigned char)s[i]) && s[i] != '_') return false;
  return true;
}

bool user_email_valid(const char *s) {
  size_t n = strlen(s);
  const char *at = strchr(s, '@');
  if (n < 3 || n > 254 || !at || at == s || !at[1] || strchr(at + 1, '@'))
    return false;
  if (!strchr(at + 1, '.') || at[1] == '.' || s[n - 1] == '.') return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '"' ||
        c == ',' || c == ';' || c == '\\')
      return false;
  }
  return true;
}

static void row_user(const struct db_row *row, struct user *u) {
  u->id = db_i64(row, 0, 0);
  u->username = db_s(row, 1);
  u->email = db_s(row, 2);
  u->display_name = db_s(row, 3);
  u->bio = db_s(row, 4);
  u->avatar_url = db_s(row, 5);
  u->role = db_s(row, 6);
  u->password_hash = db_s(row, 7);
  u->created_at = db_i64(row, 8, 0);
  u->updated_at = db_i64(row, 9, 0);
  u->confirmed = db_i64(row, 10, 1) != 0;
  u->follower_count = db_i64(row, 11, 0);
  u->following_count = db_i64(row, 12, 0);
}

/* one_user: run a query selecting USER_COLS by one key. */
static int one_user(struct db *d, struct arena *a, const char *sql,
                    struct db_val key, struct user *u) {
  struct db_res res;
  int rc = db_exec(d, a, sql, &key, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_NOT_FOUND;
  row_user(&res.rows[0], u);
  return 0;
}

int user_get(struct db *d, struct arena *a, long long id, struct user *u) {
  return one_user(d, a, "SELECT " USER_COLS " FROM users WHERE id = ?",
                  DB_I(id), u);
}

int user_by_username(struct db *d, struct arena *a, const char *username,
                     struct user *u) {
  return one_user(d, a, "SELECT " USER_COLS " FROM users WHERE username = ?",
                  DB_S(username), u);
}

int user_by_email(struct db *d, struct arena *a, const char *email,
                  struct user *u) {
  return one_user(d, a, "SELECT " USER_COLS " FROM users WHERE email = ?",
                  DB_S(email), u);
}

int user_by_login(struct db *d, struct arena *a, const char *login,
                  struct user *u) {
  if (strchr(login, '@')) {
    char *lower = arena_strdup(a, login);
    if (!lower) return RC_NOMEM;
    str_lower_ascii(lower);
    return user_by_email(d, a, lower, u);
  }
  return user_by_username(d, a, login, u);
}

int user_role(struct db *d, struct arena *a, long long id, const char **role) {
  struct db_res res;
  struct db_val p = DB_I(id);
  int rc = db_exec(d, a, "SELECT role FROM users WHERE id = ?", &p, 1,
                   DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows == 0) return RC_NOT_FOUND;
  *role = db_s(&res.rows[0], 0);
  return 0;
}

int user_create(struct db *d, struct arena *a, const struct user_new *n,
                long long *id, const char **which) {
  struct db_res res;
  struct db_val p[] = {DB_S(n->username),
                       DB_S(n->email),
                       DB_S(n->pw_hash),
                       DB_S(n->display_name),
                       DB_S(n->role ? n->role : "user"),
                       DB_I(n->confirm_ttl),
                       DB_I(n->confirm_ttl)};
  *which = NULL;
  int rc = db_exec(d, a,
                   "INSERT INTO users (username, email, password_hash, "
                   "display_name, role, confirm_by) VALUES (?, ?, ?, ?, ?, "
                   "IF(? > 0, UTC_TIMESTAMP(3) + INTERVAL ? SECOND, NULL))",
                   p, 7, 0, &res);
  if (rc == RC_CONFLICT) {
    struct user u;
    *which =
        user_by_username(d, a, n->username, &u) == 0 ? "username" : "email";
    return rc;
  }
  if (rc) return rc;
  *id = (long long)res.insert_id;
  struct db_val q = DB_I(*id);
  return db_exec(d, a, "INSERT INTO user_preferences (user_id) VALUES (?)", &q,
                 1, 0, NULL);
}

int user_drop_expired_pending(struct db *d, const char *username,
                              const char *email) {
  struct db_val p[] = {DB_S(username), DB_S(email)};
  return db_exec(d, NULL,
                 "DELETE FROM users WHERE confirm_by < UTC_TIMESTAMP(3) "
                 "AND (username = ? OR email = ?)",
                 p, 2, DB_IDEMPOTENT, NULL);
}

int user_confirm(struct db *d, struct kv *k, long long id) {
  struct db_val p = DB_I(id);
  int rc = db_exec(d, NULL,
                   "UPDATE users SET confirm_by = NULL WHERE id = ? "
                   "AND confirm_by IS NOT NULL",
                   &p, 1, DB_IDEMPOTENT, NULL);
  if (!rc) user_me_drop(k, id);
  return rc;
}

int user_update_profile(struct db *d, struct kv *k, long long id,
                        const char *display_name, const char *bio,
                        const char *avatar_url, bool clear_avatar) {
  /* COALESCE keeps a column whose new value is NULL; the avatar has an
   * explicit clear flag because NULL is also its cleared value. */
  struct db_val p[] = {DB_S(display_name), DB_S(bio), DB_I(clear_avatar),
                       DB_S(avatar_url), DB_I(id)};
  int rc = db_exec(d, NULL,
                   "UPDATE users SET display_name = COALESCE(?, display_name),"
                   " bio = COALESCE(?, bio),"
                   " avatar_url = IF(?, NULL, COALESCE(?, avatar_url))"
                   " WHERE id = ?",
                   p, 5, 0, NULL);
  user_me_drop(k, id);
  return rc;
}

int user_set_email(struct db *d, struct kv *k, long long id,
                   const char *email) {
  struct db_val p[] = {DB_S(email), DB_I(id)};
  int rc = db_exec(d, NULL, "UPDATE users SET email = ? WHERE id = ?", p, 2,
                   DB_IDEMPOTENT, NULL);
  if (!rc) user_me_drop(k, id);
  return rc;
}

int user_set_password(struct db *d, struct kv *k, long long id,
                      const char *pw_hash) {
  struct db_val p[] = {DB_S(pw_hash), DB_I(id)};
  int rc = db_exec(d, NULL, "UPDATE users SET password_hash = ? WHERE id = ?",
                   p, 2, 0, NULL);
  user_me_drop(k, id);
  return rc;
}

int user_set_role(struct db *d, struct kv *k, long long id, const char *role) {
  struct db_val p[] = {DB_S(role), DB_I(id)};
  int rc =
      db_exec(d, NULL, "UPDATE users SET role = ? WHERE id = ?", p, 2, 0, NULL);
  user_me_drop(k, id);
  return rc;
}

int user_delete(struct db *d, struct kv *k, long long id) {
  struct db_val p = DB_I(id);
  int rc = db_exec(d, NULL, "DELETE FROM users WHERE id = ?", &p, 1, 0, NULL);
  user_me_drop(k, id);
  return rc;
}

static void add_common(json_object *o, const struct user *u) {
  jx_add_int(o, "id", u->id);
  jx_add_str(o, "username", u->username);
}

json_object *user_json_public(const struct user *u) {
  json_object *o = json_object_new_object();
  add_common(o, u);
  jx_add_str(o, "display_name", u->display_name);
  jx_add_str(o, "bio", u->bio ? u->bio : "");
  jx_add_str(o, "avatar_url", u->avatar_url);
  jx_add_int(o, "follower_count", u->follower_count);
  jx_add_int(o, "following_count", u->following_count);
  jx_add_time(o, "created_at", u->created_at);
  return o;
}

json_object *user_brief_json(const struct db_row *row, int col) {
  json_object *o = json_object_new_object();
  jx_add_int(o, "id", db_i64(row, col, 0));
  jx_add_str(o, "username", db_s(row, col + 1));
  jx_add_str(o, "display_name", db_s(row, col + 2));
  jx_add_str(o, "avatar_url", db_s(row, col + 3));
  return o;
}

json_object *user_json_private(const struct user *u) {
  json_object *o = json_object_new_object();
  add_common(o, u);
  jx_add_str(o, "email", u->email);
  jx_add_str(o, "display_name", u->display_name);
  jx_add_str(o, "bio", u->bio ? u->bio : "");
  jx_add_str(o, "avatar_url", u->avatar_url);
  jx_add_str(o, "role", u->role);
  jx_add_int(o, "follower_count", u->follower_count);
  jx_add_int(o, "following_count", u->following_count);
  jx_add_time(o, "created_at", u->created_at);
  jx_add_time(o, "updated_at", u->updated_at);
  return o;
}

int user_me_text(struct db *d, struct kv *k, struct arena *a, long long id,
                 const char **text, size_t *len) {
  char key[48];
  char *val = NULL;
  user_me_key(key, sizeof key, id);
  if (kv_get(k, a, key, &val, len) == 0) {
    *text = val;
    return 0;
  }
  struct user u;
  int rc = user_get(d, a, id, &u);
  if (rc) return rc;
  *text = jx_text(a, jx_own(a, user_json_private(&u)), len);
  if (!*text) return RC_NOMEM;
  kv_set(k, key, *text, *len, ME_TTL);
  return 0;
}

/* json_list: a JSON array parsed from a stored column; [] when NULL/bad. */
static json_object *json_list(struct arena *a, const char *s) {
  json_object *o = NULL;
  const char *why;
  if (s && jx_parse(a, s, strlen(s), &o, &why) == 0 &&
      json_object_is_type(o, json_type_array))
    return o;
  return jx_own(a, json_object_new_array());
}

int user_prefs_get(struct db *d, struct arena *a, long long user_id,
                   struct user_prefs *p) {
  struct db_res res;
  struct db_val key = DB_I(user_id);
  int rc = db_exec(d, a,
                   "SELECT favourite_genres, favourite_artists, "
                   "explicit_content, language, history_visibility, "
                   "time_zone, follow_policy FROM user_preferences "
                   "WHERE user_id = ?",
                   &key, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows == 0) {
    p->genres = json_list(a, NULL);
    p->artists = json_list(a, NULL);
    p->explicit_content = true;
    p->language = "en";
    p->history_visibility = "followers";
    p->time_zone = USER_TIME_ZONE_DEFAULT;
    p->follow_policy = "open";
    return 0;
  }
  const struct db_row *row = &res.rows[0];
  p->genres = json_list(a, db_s(row, 0));
  p->artists = json_list(a, db_s(row, 1));
  p->explicit_content = db_i64(row, 2, 1) != 0;
  p->language = db_s(row, 3) ? db_s(row, 3) : "en";
  p->history_visibility = db_s(row, 4) ? db_s(row, 4) : "followers";
  p->time_zone = db_s(row, 5) ? db_s(row, 5) : USER_TIME_ZONE_DEFAULT;
  p->follow_policy = db_s(row, 6) ? db_s(row, 6) : "open";
  return 0;
}

int user_prefs_put(struct db *d, struct kv *k, struct arena *a,
                   long long user_id, const struct user_prefs *p) {
  size_t glen, alen;
  const char *g = jx_text(a, p->genres, &glen);
  const char *ar = jx_text(a, p->artists, &alen);
  if (!g || !ar) return RC_NOMEM;
  struct db_val v[] = {DB_I(user_id),      DB_S(g),
                       DB_S(ar),           DB_I(p->explicit_content),
                       DB_S(p->language),  DB_S(p->history_visibility),
                       DB_S(p->time_zone), DB_S(p->follow_policy)};
  int rc = db_exec(d, a,
                   "INSERT INTO user_preferences (user_id, favourite_genres, "
                   "favourite_artists, explicit_content, language, "
                   "history_visibility, time_zone, follow_policy) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                   "ON DUPLICATE KEY UPDATE "
                   "favourite_genres = VALUES(favourite_genres), "
                   "favourite_artists = VALUES(favourite_artists), "
                   "explicit_content = VALUES(explicit_content), "
                   "language = VALUES(language), "
                   "history_visibility = VALUES(history_visibility), "
                   "time_zone = VALUES(time_zone), "
                   "follow_policy = VALUES(follow_policy)",
                   v, 8, DB_IDEMPOTENT, NULL);
  /* Favourite genres and artists seed the recommendations of a user with
   * little history. */
  if (!rc) user_taste_changed(k, user_id);
  return rc;
}

json_object *user_prefs_json(const struct user_prefs *p) {
  json_object *o = json_object_new_object();
  json_object_object_add(o, "favourite_genres", json_object_get(p->genres));
  json_object_object_add(o, "favourite_artists", json_object_get(p->artists));
  jx_add_bool(o, "explicit_content", p->explicit_content);
  jx_add_str(o, "language", p->language);
  jx_add_str(o, "history_visibility", p->history_visibility);
  jx_add_str(o, "time_zone", p->time_zone);
  jx_add_str(o, "follow_policy", p->follow_policy);
  return o;
}
