/* user: accounts, profiles and preferences: SQL, row -> struct, struct ->
 * JSON, and the memcached copy of the private profile. */
#ifndef ENCORE_USER_H
#define ENCORE_USER_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

struct arena;
struct db;
struct kv;

/* A user row; strings live in the arena of the call that read it. */
struct user {
  long long id;
  const char *username, *email, *display_name, *bio, *avatar_url, *role;
  const char *password_hash;
  long long created_at, updated_at;
  bool confirmed; /* false while a registration waits for its address */
  long long follower_count, following_count; /* accepted follows */
};

/* A new account. */
struct user_new {
  const char *username, *email, *pw_hash, *display_name;
  const char *role; /* NULL: "user" */
  int confirm_ttl;  /* > 0: pending until its address is confirmed within
                       this many seconds; 0: confirmed at once */
};

/* Preferences of a user (defaults when never set). */
/* The zone of a user who never chose one. */
#define USER_TIME_ZONE_DEFAULT "UTC"
struct user_prefs {
  json_object *genres, *artists; /* arrays of strings; owned by the arena */
  bool explicit_content;
  const char *language, *history_visibility;
  const char *time_zone;     /* an IANA name of the system's tzdata */
  const char *follow_policy; /* "open", or "approval": follows are requests */
};

/* user_create: insert a user (and default preferences). RC_CONFLICT with
 * *which = "username" or "email" when either is taken. */
int user_create(struct db *d, struct arena *a, const struct user_new *n,
                long long *id, const char **which);
/* user_drop_expired_pending: delete the accounts whose confirmation time has
 * passed without a confirmation and that hold this username or email. */
int user_drop_expired_pending(struct db *d, const char *username,
                              const char *email);
/* user_confirm: the account's address is confirmed (it may log in). */
int user_confirm(struct db *d, struct kv *k, long long id);
/* user_get: by id. RC_NOT_FOUND when absent. */
int user_get(struct db *d, struct arena *a, long long id, struct user *u);
/* user_by_login: by username or (when it holds '@') email. */
int user_by_login(struct db *d, struct arena *a, const char *login,
                  struct user *u);
/* user_by_username: RC_NOT_FOUND when absent. */
int user_by_username(struct db *d, struct arena *a, const char *username,
                     struct user *u);
/* user_by_email: RC_NOT_FOUND when absent. */
int user_by_email(struct db *d, struct arena *a, const char *email,
                  struct user *u);
/* user_role: the current role of a user id, read fresh from MariaDB. */
int user_role(struct db *d, struct arena *a, long long id, const char **role);
/* user_update_profile: set the fields given as non-NULL (clear_avatar sets
 * avatar_url to NULL). */
int user_update_profile(struct db *d, struct kv *k, long long id,
                        const char *display_name, const char *bio,
                        const char *avatar_url, bool clear_avatar);
/* user_set_email: a new address (stored as given: lower-case it first);
 * RC_CONFLICT when another account has it. */
int user_set_email(struct db *d, struct kv *k, long long id, const char *email);
int user_set_password(struct db *d, struct kv *k, long long id,
                      const char *pw_hash);
int user_set_role(struct db *d, struct kv *k, long long id, const char *role);
/* user_delete: remove the user and, by cascade, everything of theirs. */
int user_delete(struct db *d, struct kv *k, long long id);

/* user_json_private / user_json_public: the API views (new json objects the
 * caller owns). */
json_object *user_json_private(const struct user *u);
json_object *user_json_public(const struct user *u);
/* USER_BRIEF(alias): the four columns of a user as lists show one (id,
 * username, display_name, avatar_url), for user_brief_json. */
#define USER_BRIEF(u)                                                          \
  u ".id, " u ".username, " u ".display_name, " u ".avatar_url"
struct db_row;
/* user_brief_json: {id, username, display_name, avatar_url} from the four
 * USER_BRIEF columns of row starting at col (a new object). */
json_object *user_brief_json(const struct db_row *row, int col);
/* user_me_key: the memcached key of the cached private profile. */
void user_me_key(char *buf, size_t n, long long id);
/* user_recs_ns: the versioned memcached namespace ("recs:<id>") under which
 * the user's recommendation responses are cached; buf >= 32 bytes. */
void user_recs_ns(char *buf, size_t n, long long id);
/* user_me_drop: forget the cached private view of user id (GET /me), after
 * anything in it changed: the profile, the role, the follow counts. */
void user_me_drop(struct kv *k, long long id);

/* user_taste_changed: bump user_recs_ns, dropping every cached
 * recommendation of the user. Every write of the user's taste (listens
 * stored or deleted, likes, dislikes, preferences) calls it once. A NULL or
 * down cache holds nothing stale: ignored. */
void user_taste_changed(struct kv *k, long long id);
/* user_me_text: the private view as JSON text, from memcached when cached,
 * else from MariaDB (then cached). RC_NOT_FOUND when the user is gone. */
int user_me_text(struct db *d, struct kv *k, struct arena *a, long long id,
                 const char **text, size_t *len);

/* Preferences. */
/* user_prefs_get: the user's preferences, the defaults when never set
 * (strings and arrays in the arena). */
int user_prefs_get(struct db *d, struct arena *a, long long user_id,
                   struct user_prefs *p);
/* user_prefs_put: store the preferences (user_taste_changed after). */
int user_prefs_put(struct db *d, struct kv *k, struct arena *a,
                   long long user_id, const struct user_prefs *p);
/* user_prefs_json: the API view (a new json object the caller owns). */
json_object *user_prefs_json(const struct user_prefs *p);

/* user_email_valid / user_name_valid: the field rules of the API. */
bool user_name_valid(const char *s);
bool user_email_valid(const char *s);

#endif
