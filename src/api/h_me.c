/* h_me: the caller's own account: profile, deletion and preferences. */
#include "api/handlers.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "api/app.h"
#include "api/guard.h"
#include "api/req.h"
#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/tz.h"
#include "model/accounts.h"
#include "model/genre.h"
#include "model/media.h"
#include "model/playlist.h"
#include "model/session.h"
#include "model/user.h"

/* reply_me: the private profile, through memcached, as stored now. */
static int reply_me(struct req *r) {
  const char *text;
  size_t len;
  int rc =
      user_me_text(app.db, app.kv, req_arena(r), req_user_id(r), &text, &len);
  if (rc == RC_NOT_FOUND) return req_problem(r, RC_BAD_TOKEN, NULL);
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_etag(r, text, len);
}

int h_me_get(struct req *r) {
  size_t len;
  const char *text = req_auth_profile(r, &len);
  if (text) return req_reply_etag(r, text, len);
  return reply_me(r);
}

static const struct jx_field patch_fields[] = {
    {.name = "display_name", .kind = JX_STRING, .min = 1, .max = 64},
    {.name = "bio", .kind = JX_STRING, .min = 0, .max = 500},
    {.name = "avatar_url",
     .kind = JX_STRING,
     .min = 9,
     .max = 2048,
     .nullable = true},
};

/* https_url_ok: an absolute https URL without spaces or control bytes. */
static bool https_url_ok(const char *s) {
  if (strncmp(s, "https://", 8) != 0 || !s[8] || s[8] == '/') return false;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if (*p <= 0x20 || *p == 0x7f) return false;
  return true;
}

int h_me_patch(struct req *r) {
  json_object *body;
  int st;
  if ((st = req_body_json(r, &body))) return st;
  if ((st = req_validate(r, body, patch_fields, 3))) return st;
  const char *avatar = jx_str(body, "avatar_url");
  json_object *given = NULL;
  bool clear = json_object_object_get_ex(body, "avatar_url", &given) && !given;
  if (avatar && !https_url_ok(avatar)) {
    struct jx_errors errs = {.n = 1,
                             .e = {{"avatar_url", "must be an https:// URL"}}};
    return req_problem_fields(r, &errs);
  }
  int rc = user_update_profile(app.db, app.kv, req_user_id(r),
                               jx_str(body, "display_name"),
                               jx_str(body, "bio"), avatar, clear);
  if (rc) return req_problem(r, rc, NULL);
  return reply_me(r); /* not the profile read before the write */
}

static const struct jx_field delete_fields[] = {
    {.name = "password",
     .kind = JX_STRING,
     .required = true,
     .min = 1,
     .max = 4096},
};

int h_me_delete(struct req *r) {
  json_object *body;
  int st;
  struct user u;
  const struct tok_claims *c = req_auth(r);
  if ((st = req_body_json(r, &body))) return st;
  if ((st = req_validate(r, body, delete_fields, 1))) return st;
  int rc = user_get(app.db, req_arena(r), c->sub, &u);
  if (rc) return req_problem(r, rc == RC_NOT_FOUND ? RC_BAD_TOKEN : rc, NULL);
  int retry;
  rc = guard_password(r, &u, jx_str(body, "password"), &retry);
  if (rc == RC_THROTTLED) {
    req_retry_after(r, retry);
    return req_problem(r, rc, "too many wrong passwords; try again later");
  }
  if (rc == RC_UNAUTHORIZED)
    return req_problem(r, RC_FORBIDDEN, "the password is wrong");
  if (rc) return req_problem(r, rc, NULL);
  rc = accounts_erase(app.db, app.kv, req_arena(r), app.cfg.media_dir, u.id);
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_empty(r, 204);
}

int h_me_prefs_get(struct req *r) {
  struct user_prefs p;
  int rc = user_prefs_get(app.db, req_arena(r), req_user_id(r), &p);
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_json(r, 200, jx_own(req_arena(r), user_prefs_json(&p)));
}

static const char *const visibilities[] = {"public", "followers", "private",
                                           NULL};
static const char *const follow_policies[] = {"open", "approval", NULL};

static const struct jx_field prefs_fields[] = {
    {.name = "favourite_genres",
     .kind = JX_STRING_ARRAY,
     .min = 0,
     .max = 50,
     .item_max = GENRE_NAME_MAX},
    {.name = "favourite_artists",
     .kind = JX_STRING_ARRAY,
     .min = 0,
     .max = 100,
     .item_max = 128},
    {.name = "explicit_content", .kind = JX_BOOL},
    {.name = "language", .kind = JX_STRING, .min = 2, .max = 35},
    {.name = "history_visibility", .kind = JX_ENUM, .enums = visibilities},
    {.name = "time_zone", .kind = JX_STRING, .min = 1, .max = TZ_NAME_MAX},
    {.name = "follow_policy", .kind = JX_ENUM, .enums = follow_policies},
};

/* language_ok: a BCP 47 shaped tag: 2-3 letters, then -subtags of 1-8
 * letters or digits. */
static bool language_ok(const char *s) {
  size_t n = 0;
  while (isalpha((unsigned char)s[n]))
    n++;
  if (n < 2 || n > 3) return false;
  s += n;
  while (*s == '-') {
    s++;
    n = 0;
    while (isalnum((unsigned char)s[n]))
      n++;
    if (n < 1 || n > 8) return false;
    s += n;
  }
  return *s == '\0';
}

int h_me_prefs_put(struct req *r) {
  json_object *body;
  int st;
  struct arena *a = req_arena(r);
  if ((st = req_body_json(r, &body))) return st;
  if ((st = req_validate(r, body, prefs_fields, 7))) return st;
  struct user_prefs p = {
      .explicit_content = jx_bool(body, "explicit_content", true),
      .language = jx_str(body, "language"),
      .history_visibility = jx_str(body, "history_visibility"),
      .time_zone = jx_str(body, "time_zone"),
      .follow_policy = jx_str(body, "follow_policy"),
  };
  const struct tz *zone;
  if (!p.language) p.language = "en";
  if (!p.history_visibility) p.history_visibility = "followers";
  if (!p.time_zone) p.time_zone = USER_TIME_ZONE_DEFAULT;
  if (!p.follow_policy) p.follow_policy = "open";
  if (tz_load(p.time_zone, &zone)) {
    struct jx_errors errs = {
        .n = 1,
        .e = {{"time_zone", "must be a time zone of the IANA database, such "
                            "as Europe/Berlin or UTC"}}};
    return req_problem_fields(r, &errs);
  }
  if (!language_ok(p.language)) {
    struct jx_errors errs = {
        .n = 1,
        .e = {{"language", "must be a language tag such as en or pt-BR"}}};
    return req_problem_fields(r, &errs);
  }
  json_object *g = NULL, *ar = NULL;
  if (!json_object_object_get_ex(body, "favourite_genres", &g) || !g)
    g = jx_own(a, json_object_new_array());
  if (!json_object_object_get_ex(body, "favourite_artists", &ar) || !ar)
    ar = jx_own(a, json_object_new_array());
  p.genres = g;
  p.artists = ar;
  int rc = user_prefs_put(app.db, app.kv, a, req_user_id(r), &p);
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_json(r, 200, jx_own(a, user_prefs_json(&p)));
}
