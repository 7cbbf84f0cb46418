/* push: the devices a user receives push notifications on, what they want
 * pushed (per kind, per device, quiet hours), and the outbox that the
 * places deciding who is told what write into (model/notify.c, the weekly
 * digest of encore-recs, new releases). encore-push (src/batch/push/)
 * groups the outbox into messages and delivers them.
 *
 * Every device credential (a Web Push endpoint and its keys, an FCM or
 * APNs token) is checked here before it is stored: a Web Push endpoint is
 * an https URL that fetch may reach (no private, loopback or link-local
 * address; core/fetch.h), its p256dh a P-256 point on the curve and its
 * auth secret 16 bytes; an FCM token is 100..4096 characters of
 * [A-Za-z0-9_:-]; an APNs token 64 hex digits. Credentials are never
 * logged and never returned whole. */
#ifndef ENCORE_PUSH_H
#define ENCORE_PUSH_H

#include <json-c/json.h>
#include <stdbool.h>

struct arena;
struct cfg;
struct db;

/* What may be pushed; the order of the SET columns of 0023_push.sql. */
enum push_kind {
  PUSH_FOLLOWER,
  PUSH_FOLLOW_REQUEST,
  PUSH_COMMENT,
  PUSH_REPLY,
  PUSH_MENTION,
  PUSH_PARTY_STARTED,
  PUSH_PARTY_INVITE,
  PUSH_DIGEST,
  PUSH_NEW_RELEASE,
  PUSH_KINDS
};
/* The kinds' names, NULL-terminated. */
extern const char *const push_kind_names[PUSH_KINDS + 1];
/* push_kind_of: the kind named s, or -1. */
int push_kind_of(const char *s);
/* PUSH_ALL: every kind as a bit set. */
#define PUSH_ALL ((1u << PUSH_KINDS) - 1)

/* A device as registered. */
struct push_device_in {
  const char *type;        /* "webpush", "fcm", "apns" */
  const char *endpoint;    /* webpush */
  const char *p256dh;      /* webpush, base64url */
  const char *auth;        /* webpush, base64url */
  const char *token;       /* fcm, apns */
  const char *environment; /* apns: "production" (default), "development" */
  unsigned kinds;          /* bit set; has_kinds false: every kind */
  bool has_kinds;
};

/* push_device_check: whether d is a device that can be pushed to; RC_INVALID
 * with the field and a message for the client otherwise. */
int push_device_check(const struct push_device_in *d, const char **field,
                      const char **why);
/* push_device_add: store a checked device for user (one row per endpoint
 * or token: registered again, it is the same device, moved to this user
 * if another had it). *created whether it is new; its JSON in *out.
 * RC_LIMIT past CAP_USER_PUSH_DEVICES (model/cap.h). */
int push_device_add(struct db *d, struct arena *a, long long user,
                    const struct push_device_in *in, bool *created,
                    json_object **out);
/* push_device_list: user's devices, newest first, after id `after` (0:
 * from the start), at most limit: [{id, type, origin?, environment?,
 * kinds, created_at, last_ok_at}]. *more when there are others. */
int push_device_list(struct db *d, struct arena *a, long long user,
                     long long after, int limit, json_object **items,
                     long long *last, bool *more);
/* push_device_delete: RC_NOT_FOUND unless it is user's device. */
int push_device_delete(struct db *d, long long user, long long id);
/* push_device_kinds: set a device's kinds (has false: every kind);
 * RC_NOT_FOUND unless it is user's; its JSON in *out. */
int push_device_kinds(struct db *d, struct arena *a, long long user,
                      long long id, bool has, unsigned kinds,
                      json_object **out);

/* What a user wants pushed. Quiet hours are minutes of the local day
 * (0..1439) in the user's time zone; -1 both: none. */
struct push_prefs {
  unsigned kinds;
  int quiet_start, quiet_end;
  const char *time_zone; /* read only: user_preferences.time_zone */
};
/* push_prefs_get: the user's (defaults when never set). */
int push_prefs_get(struct db *d, struct arena *a, long long user,
                   struct push_prefs *p);
/* push_prefs_put: replace the user's kinds and quiet hours. */
int push_prefs_put(struct db *d, long long user, const struct push_prefs *p);
/* push_prefs_json: {kinds: [...], quiet_hours: {start, end, time_zone} |
 * null}. */
json_object *push_prefs_json(const struct push_prefs *p);
/* push_quiet: whether local minute-of-day m is inside [start, end) (which
 * may span midnight). */
bool push_quiet(int start, int end, int m);

/* One thing to tell one user. */
struct push_event {
  long long user;
  enum push_kind kind;
  long long actor;         /* 0: none */
  const char *object_type; /* NULL: none */
  long long object_id;
  const char *detail; /* text the message names, or NULL */
  int ttl_s;          /* 0: the kind's */
};
/* push_queue: add e to the outbox, when the user has a device that could
 * receive it (one indexed read; nothing otherwise). Inside or outside the
 * caller's transaction. */
int push_queue(struct db *d, struct arena *a, const struct push_event *e);
/* push_queue_followers: e (e->user ignored) for every accepted follower of
 * e->actor with a device, unless a block stands between them, and, when
 * e is about a party, only for those who may see it (PARTY_SEES); one
 * statement. */
int push_queue_followers(struct db *d, struct arena *a,
                         const struct push_event *e);
/* push_queue_digests: the weekly digest of new recommendations, for every
 * user with a device who takes it and had none in the last six days
 * (encore-recs, after a version is switched in); *queued how many. */
int push_queue_digests(struct db *d, long long *queued);
/* push_queue_releases: albums added in the last two days, for each user
 * with a device who likes an album or a track of their artist, once per
 * user and album (encore-recs, every run); *queued how many. */
int push_queue_releases(struct db *d, long long *queued);
/* push_kind_ttl: how long a kind's news stays worth sending (seconds). */
int push_kind_ttl(enum push_kind k);

/* Channels, and whether each is configured. */
enum push_channel { PUSH_WEBPUSH, PUSH_FCM, PUSH_APNS, PUSH_CHANNELS };
extern const char *const push_channel_names[PUSH_CHANNELS];
/* push_channel_off: NULL when channel c is configured, else why it is off
 * (a static text for /readyz and the run summary). Only the presence of
 * the settings is checked here; encore-push reads the keys. */
const char *push_channel_off(const struct cfg *c, enum push_channel ch);
/* push_vapid_public: the VAPID public key (base64url of the 65-byte point)
 * of cfg's vapid_private_key, in the arena; RC_INVALID when it is unset or
 * not a key. */
int push_vapid_public(struct arena *a, const struct cfg *c, const char **out);

#endif
