/* h_push: push notification devices, push preferences and the VAPID public
 * key browsers subscribe with (model/push.h). */
#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/handlers.h"
#include "api/page.h"
#include "api/req.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/rc.h"
#include "model/cap.h"
#include "model/push.h"

/* field_error: 422 naming one field. */
static int field_error(struct req *r, const char *field, const char *why) {
  struct jx_errors errs = {.n = 1, .e = {{field, why}}};
  return req_problem_fields(r, &errs);
}

/* kinds_arg: the kinds of a JSON array of names (*bits); 422 itself for a
 * non-array or an unknown kind, returning the status. */
static int kinds_arg(struct req *r, json_object *v, const char *field,
                     unsigned *bits) {
  *bits = 0;
  if (!json_object_is_type(v, json_type_array) ||
      json_object_array_length(v) > PUSH_KINDS * 2)
    return field_error(r, field, "must be an array of kinds");
  for (size_t i = 0; i < json_object_array_length(v); i++) {
    json_object *e = json_object_array_get_idx(v, i);
    int k = json_object_is_type(e, json_type_string)
                ? push_kind_of(json_object_get_string(e))
                : -1;
    if (k < 0)
      return field_error(r, field,
                         "unknown kind: the kinds are follower, "
                         "follow_request, comment, reply, mention, "
                         "party_started, party_invite, digest, new_release");
    *bits |= 1u << k;
  }
  return 0;
}

/* str_of: the string member key of o, or NULL (*bad when present but not a
 * string). */
static const char *str_of(json_object *o, const char *key, bool *bad) {
  json_object *v;
  if (!json_object_object_get_ex(o, key, &v) || !v) return NULL;
  if (!json_object_is_type(v, json_type_string)) {
    *bad = true;
    return NULL;
  }
  return json_object_get_string(v);
}

/* only_keys: whether every key of o is among allowed (NULL-terminated);
 * *which the first that is not. */
static bool only_keys(json_object *o, const char *const *allowed,
                      const char **which) {
  json_object_object_foreach(o, k, v) {
    (void)v;
    bool ok = false;
    for (const char *const *a = allowed; *a && !ok; a++)
      ok = !strcmp(k, *a);
    if (!ok) {
      *which = k;
      return false;
    }
  }
  return true;
}

int h_push_devices_add(struct req *r) {
  static const char *const top[] = {"type",           "endpoint",    "keys",
                                    "token",          "environment", "kinds",
                                    "expirationTime", NULL};
  static const char *const keys[] = {"p256dh", "auth", NULL};
  json_object *body, *k = NULL, *v;
  const char *which, *field, *why;
  bool bad = false;
  int st;
  if ((st = req_body_json(r, &body))) return st;
  if (!json_object_is_type(body, json_type_object))
    return field_error(r, "", "must be a JSON object");
  if (!only_keys(body, top, &which))
    return field_error(r, which, "is not a field of a device");
  struct push_device_in in = {.type = str_of(body, "type", &bad),
                              .endpoint = str_of(body, "endpoint", &bad),
                              .token = str_of(body, "token", &bad),
                              .environment = str_of(body, "environment", &bad)};
  if (bad)
    return field_error(r, "",
                       "type, endpoint, token and environment "
                       "must be strings");
  if (!in.type) return field_error(r, "type", "is required");
  if (json_object_object_get_ex(body, "keys", &k) && k) {
    if (!json_object_is_type(k, json_type_object))
      return field_error(r, "keys", "must be an object {p256dh, auth}");
    if (!only_keys(k, keys, &which))
      return field_error(r, "keys", "holds p256dh and auth only");
    in.p256dh = str_of(k, "p256dh", &bad);
    in.auth = str_of(k, "auth", &bad);
    if (bad) return field_error(r, "keys", "p256dh and auth must be strings");
  }
  /* PushSubscription.toJSON() carries it; Encore keeps no expiry. */
  if (json_object_object_get_ex(body, "expirationTime", &v) && v &&
      !json_object_is_type(v, json_type_int))
    return field_error(r, "expirationTime", "must be an integer or null");
  if (json_object_object_get_ex(body, "kinds", &v) && v) {
    if ((st = kinds_arg(r, v, "kinds", &in.kinds))) return st;
    in.has_kinds = true;
  }
  /* Each type takes its own fields only. */
  bool web = !strcmp(in.type, "webpush");
  if ((web && (in.token || in.environment)) || (!web && (in.endpoint || k)) ||
      (!strcmp(in.type, "fcm") && in.environment))
    return field_error(r, "type",
                       "webpush takes endpoint and keys; fcm a "
                       "token; apns a token and an environment");
  if (push_device_check(&in, &field, &why)) return field_error(r, field, why);
  json_object *out;
  bool created = false;
  int rc = push_device_add(app.db, req_arena(r), req_user_id(r), &in, &created,
                           &out);
  if (rc == RC_LIMIT)
    return req_problem(r, rc,
                       arena_printf(req_arena(r),
                                    "a user may register %d devices: delete "
                                    "one first",
                                    CAP_USER_PUSH_DEVICES));
  if (rc) return req_problem(r, rc, NULL);
  if (created) {
    char loc[64];
    snprintf(
        loc, sizeof loc, "/api/v1/me/devices/%lld",
        (long long)json_object_get_int64(json_object_object_get(out, "id")));
    req_set_header(r, "Location", loc);
  }
  return req_reply_json(r, created ? 201 : 200, out);
}

int h_push_devices_list(struct req *r) {
  struct page p;
  long long after, last;
  bool more;
  json_object *items;
  int st;
  page_get(r, &p);
  if ((st = page_after_tagged(r, &p, "devices", &after))) return st;
  int rc = push_device_list(app.db, req_arena(r), req_user_id(r), after,
                            p.limit, &items, &last, &more);
  if (rc) return req_problem(r, rc, NULL);
  return page_reply_tagged(r, items, "devices", more ? last : 0);
}

int h_push_devices_delete(struct req *r) {
  int rc = push_device_delete(app.db, req_user_id(r), req_id(r, "id"));
  if (rc) return req_problem(r, rc, rc == RC_NOT_FOUND ? "no such device" : 0);
  return req_reply_empty(r, 204);
}

int h_push_devices_kinds(struct req *r) {
  static const char *const top[] = {"kinds", NULL};
  json_object *body, *v = NULL;
  const char *which;
  unsigned bits = 0;
  int st;
  if ((st = req_body_json(r, &body))) return st;
  if (!json_object_is_type(body, json_type_object))
    return field_error(r, "", "must be a JSON object");
  if (!only_keys(body, top, &which))
    return field_error(r, which, "is not a field of a device's kinds");
  if (!json_object_object_get_ex(body, "kinds", &v))
    return field_error(r, "kinds", "is required (null: every kind)");
  if (v && (st = kinds_arg(r, v, "kinds", &bits))) return st;
  json_object *out;
  int rc = push_device_kinds(app.db, req_arena(r), req_user_id(r),
                             req_id(r, "id"), v != NULL, bits, &out);
  if (rc) return req_problem(r, rc, rc == RC_NOT_FOUND ? "no such device" : 0);
  return req_reply_json(r, 200, out);
}

int h_push_prefs_get(struct req *r) {
  struct push_prefs p;
  int rc = push_prefs_get(app.db, req_arena(r), req_user_id(r), &p);
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_json(r, 200, jx_own(req_arena(r), push_prefs_json(&p)));
}

/* minute_of: "HH:MM" (00:00..23:59) as minutes, or -1. */
static int minute_of(json_object *v) {
  unsigned h, m;
  char tail;
  const char *s =
      json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
  if (strlen(s) != 5 || sscanf(s, "%2u:%2u%c", &h, &m, &tail) != 2 || h > 23 ||
      m > 59)
    return -1;
  return (int)(h * 60 + m);
}

int h_push_prefs_put(struct req *r) {
  static const char *const top[] = {"kinds", "quiet_hours", NULL};
  static const char *const quiet[] = {"start", "end", NULL};
  json_object *body, *v, *q = NULL, *s = NULL, *e = NULL;
  const char *which;
  struct push_prefs p = {.quiet_start = -1, .quiet_end = -1};
  int st;
  if ((st = req_body_json(r, &body))) return st;
  if (!json_object_is_type(body, json_type_object))
    return field_error(r, "", "must be a JSON object");
  if (!only_keys(body, top, &which))
    return field_error(r, which, "is not a field of push preferences");
  if (!json_object_object_get_ex(body, "kinds", &v) || !v)
    return field_error(r, "kinds", "is required");
  if ((st = kinds_arg(r, v, "kinds", &p.kinds))) return st;
  if (json_object_object_get_ex(body, "quiet_hours", &q) && q) {
    if (!json_object_is_type(q, json_type_object) ||
        !only_keys(q, quiet, &which) ||
        !json_object_object_get_ex(q, "start", &s) ||
        !json_object_object_get_ex(q, "end", &e))
      return field_error(r, "quiet_hours",
                         "must be {start, end} (\"HH:MM\", local time) or "
                         "null");
    if ((p.quiet_start = minute_of(s)) < 0)
      return field_error(r, "quiet_hours.start", "must be a time HH:MM");
    if ((p.quiet_end = minute_of(e)) < 0)
      return field_error(r, "quiet_hours.end", "must be a time HH:MM");
    if (p.quiet_start == p.quiet_end)
      return field_error(r, "quiet_hours", "start and end must differ");
  }
  int rc = push_prefs_put(app.db, req_user_id(r), &p);
  if (!rc) rc = push_prefs_get(app.db, req_arena(r), req_user_id(r), &p);
  if (rc) return req_problem(r, rc, NULL);
  return req_reply_json(r, 200, jx_own(req_arena(r), push_prefs_json(&p)));
}

int h_push_vapid_key(struct req *r) {
  const char *key;
  if (push_vapid_public(req_arena(r), &app.cfg, &key)) {
    req_retry_after(r, 3600);
    return req_problem(r, RC_UNAVAILABLE,
                       "Web Push is not configured on this server");
  }
  json_object *o = jx_own(req_arena(r), json_object_new_object());
  jx_add_str(o, "public_key", key);
  req_set_header(r, "Cache-Control", "public, max-age=3600");
  return req_reply_json(r, 200, o);
}
