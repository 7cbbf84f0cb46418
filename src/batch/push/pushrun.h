/* pushrun: what the parts of encore-push share. A run
 *
 *   1. queues again the deliveries an earlier run left `sending` (killed
 *      before their answers were read): they go out again under the same
 *      collapse id, which the services and devices use to replace a
 *      notification rather than show it twice (pushbox_doubts);
 *   2. groups the outbox into messages, one per user and group key ("3 new
 *      followers"), for users outside their quiet hours; what expired
 *      while held is dropped and counted (pushbox_group);
 *   3. sends the due deliveries in batches, many requests in flight
 *      (core/fetch.h's fetch_many; HTTP/2 streams to APNs), each batch
 *      marked `sending` and committed before its requests go out, and
 *      settled from the answers (pushsend_run): sent, retried later with
 *      backoff (429 with Retry-After, 5xx, timeouts), dropped (expired,
 *      refused) or the device removed (the service says it is gone).
 *
 * The channels (webpush.c, fcm.c, apns.c) turn a delivery into a request
 * and an answer into an outcome; compose.c writes what the user reads. */
#ifndef ENCORE_PUSHRUN_H
#define ENCORE_PUSHRUN_H

#include <stdbool.h>
#include <stddef.h>

#include "model/push.h"

struct arena;
struct cfg;
struct db;
struct fetch_req;
struct fetch_resp;

/* How a run behaves (encore-push's options). */
struct pushrun_opts {
  int for_s;      /* take no new batch after this many seconds */
  int batch;      /* deliveries claimed at once */
  int parallel;   /* requests in flight */
  int doubt_s;    /* a delivery `sending` this long was left by a dead run */
  int backoff_s;  /* the first wait after a failure (doubling, <= 15 min) */
  int attempts;   /* tries before a delivery is dropped */
  int timeout_ms; /* per request */
};

/* What a run did, per channel where it says so. */
struct pushrun_stats {
  long long doubts;          /* deliveries queued again after a dead run */
  long long events, grouped; /* outbox rows grouped, messages made */
  long long held;            /* users whose quiet hours hold their news */
  long long stale;           /* outbox rows that expired while held */
  long long off_kinds;       /* rows of kinds the user turned off */
  long long batches;
  long long sent[PUSH_CHANNELS], retried[PUSH_CHANNELS];
  long long expired[PUSH_CHANNELS], dropped[PUSH_CHANNELS];
  long long removed[PUSH_CHANNELS]; /* devices the service said are gone */
  double send_s[PUSH_CHANNELS];     /* time spent in batches of a channel */
  double crypto_s;                  /* of which Web Push encryption */
};

/* A delivery as claimed: the message and the device. */
struct pushrun_item {
  long long id, message_id, device_id, user_id;
  enum push_channel channel;
  int attempts;
  long long expires; /* unix seconds */
  const char *kind, *title, *body, *urgency, *object_type;
  long long object_id, count;
  /* the device */
  const char *endpoint, *token, *environment;
  const unsigned char *p256dh, *auth;
};

/* What an answer means. */
enum pushrun_outcome {
  PUSH_SENT,
  PUSH_RETRY, /* later: after retry_after_s, or the backoff */
  PUSH_DROP,  /* refused for good (why) */
  PUSH_GONE,  /* the device no longer exists: removed */
  PUSH_RENEW, /* the channel's credential was refused: renewed, retried */
};
struct pushrun_result {
  enum pushrun_outcome outcome;
  int retry_after_s; /* 0: the backoff */
  const char *why;   /* static text, stored as the delivery's outcome */
};

/* A channel: its credentials, and a request per delivery. */
struct pushchan;
/* pushchan_open: the channel ch as configured (*out NULL and *off the
 * reason when it is off). */
int pushchan_open(struct db *d, struct arena *a, const struct cfg *c,
                  enum push_channel ch, struct pushchan **out,
                  const char **off);
void pushchan_close(struct pushchan *ch);
/* pushchan_request: the request of one delivery into q (strings in a).
 * RC_INVALID when it cannot be sent at all (the result then says why). */
int pushchan_request(struct pushchan *ch, struct arena *a,
                     const struct pushrun_item *it, struct fetch_req *q,
                     struct pushrun_stats *st);
/* pushchan_result: the outcome of an answer (rc as fetch gave it). */
void pushchan_result(struct pushchan *ch, int rc, const struct fetch_resp *r,
                     struct pushrun_result *out);
/* pushchan_renew: drop the channel's cached credential after PUSH_RENEW
 * (FCM's access token, APNs' provider token), so the next batch makes a
 * new one. */
void pushchan_renew(struct pushchan *ch);
/* pushchan_prepare: make sure the channel's credential is valid before a
 * batch (fetching FCM's access token, signing APNs' provider token). */
int pushchan_prepare(struct pushchan *ch, struct db *d, struct arena *a);

/* The channels' own halves (webpush.c, fcm.c, apns.c). */
struct webpush;
struct fcm;
struct apns;
int webpush_open(const struct cfg *c, struct webpush **out, const char **off);
void webpush_close(struct webpush *w);
int webpush_request(struct webpush *w, struct arena *a,
                    const struct pushrun_item *it, struct fetch_req *q,
                    double *crypto_s);
void webpush_result(int rc, const struct fetch_resp *r,
                    struct pushrun_result *out);
int fcm_open(const struct cfg *c, struct fcm **out, const char **off);
void fcm_close(struct fcm *f);
int fcm_prepare(struct fcm *f, struct db *d, struct arena *a);
void fcm_renew(struct fcm *f);
int fcm_request(struct fcm *f, struct arena *a, const struct pushrun_item *it,
                struct fetch_req *q);
void fcm_result(int rc, const struct fetch_resp *r, struct pushrun_result *out);
int apns_open(const struct cfg *c, struct apns **out, const char **off);
void apns_close(struct apns *p);
int apns_prepare(struct apns *p, struct db *d, struct arena *a);
void apns_renew(struct apns *p);
int apns_request(struct apns *p, struct arena *a, const struct pushrun_item *it,
                 struct fetch_req *q);
void apns_result(int rc, const struct fetch_resp *r,
                 struct pushrun_result *out);

/* pushrun_retry_after: the seconds of a Retry-After header (delta-seconds;
 * an HTTP date or garbage: 0, the backoff). */
int pushrun_retry_after(const struct fetch_resp *r);
/* pushrun_collapse: the collapse id / topic / tag of a message ("m<id>"). */
const char *pushrun_collapse(struct arena *a, long long message_id);

/* Credentials kept between runs (push_credentials, sealed when a seal key
 * is configured). */
/* pushcred_get: channel's credential if it was issued after now-max_age
 * and expires after now+margin: its text (arena), issue and expiry times;
 * *text NULL when there is none (or it cannot be unsealed). */
int pushcred_get(struct db *d, struct arena *a, const char *channel,
                 int max_age_s, int margin_s, const char **text,
                 long long *issued, long long *expires);
/* pushcred_put: store channel's credential, valid until expires. */
int pushcred_put(struct db *d, struct arena *a, const char *channel,
                 const char *text, long long issued, long long expires);

/* What the user reads (compose.c). */
struct pushtext {
  const char *title, *body, *urgency;
};
/* pushtext_compose: the title, body and urgency of a group of `count`
 * actors (the latest `actor`, may be NULL) of kind with `detail`. */
void pushtext_compose(struct arena *a, enum push_kind kind, long long count,
                      const char *actor, const char *detail,
                      struct pushtext *t);
/* pushtext_payload: the JSON the devices get ({id, kind, title, body,
 * count, object, tag}), at most max bytes: the body, then the title, is
 * cut at a character boundary with an ellipsis until it fits. */
const char *pushtext_payload(struct arena *a, const struct pushrun_item *it,
                             size_t max);
/* pushtext_fit: copies of title and body cut (body first, then title) so
 * that their UTF-8 lengths and `overhead` bytes fit in max; *t and *b in
 * the arena. */
void pushtext_fit(struct arena *a, const char *title, const char *body,
                  size_t overhead, size_t max, const char **t, const char **b);

/* The outbox (outbox.c). */
/* pushbox_doubts: deliveries `sending` for longer than doubt_s queued
 * again; *n how many. */
int pushbox_doubts(struct db *d, int doubt_s, long long *n);
/* pushbox_group: group the queued outbox of users outside their quiet
 * hours into messages and deliveries. */
int pushbox_group(struct db *d, struct arena *a, struct pushrun_stats *st);
/* pushbox_claim: mark up to max due deliveries of the channels `on`
 * ("webpush,fcm") `sending` under a fresh run id, committed, and read
 * them (*items, *n). Those past their message's expiry are dropped first
 * and counted. */
int pushbox_claim(struct db *d, struct arena *a, const char *on, int max,
                  struct pushrun_item **items, int *n,
                  struct pushrun_stats *st);
/* pushbox_settle: the outcomes of a claimed batch, in one transaction. */
int pushbox_settle(struct db *d, struct arena *a,
                   const struct pushrun_item *items,
                   const struct pushrun_result *res, int n,
                   const struct pushrun_opts *o, struct pushrun_stats *st);
/* pushbox_next_due: seconds until the next queued delivery of the
 * channels `on` is due (-1: none). */
int pushbox_next_due(struct db *d, struct arena *a, const char *on,
                     double *in_s);
/* pushbox_prune: delete settled messages older than a week and grouped or
 * dropped outbox rows older than a day. */
int pushbox_prune(struct db *d, long long *deleted);

/* pushsend_run: one run (steps 1-3 above). 0, or a db code when MariaDB
 * failed (nothing lost: what was marked stays so). */
int pushsend_run(struct db *d, struct arena *a, const struct cfg *c,
                 const struct pushrun_opts *o, struct pushrun_stats *st,
                 const char *off[PUSH_CHANNELS]);

#endif
