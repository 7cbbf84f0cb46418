/* send: one run of encore-push: doubts, grouping, then batches of
 * deliveries sent with many requests in flight; see pushrun.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch/push/pushrun.h"
#include "core/arena.h"
#include "core/cfg.h"
#include "core/db.h"
#include "core/fetch.h"
#include "core/log.h"
#include "core/rc.h"
#include "core/str.h"

struct pushchan {
  enum push_channel ch;
  struct webpush *web;
  struct fcm *fcm;
  struct apns *apns;
};

int pushchan_open(struct db *d, struct arena *a, const struct cfg *c,
                  enum push_channel ch, struct pushchan **out,
                  const char **off) {
  (void)d;
  (void)a;
  struct pushchan *p = calloc(1, sizeof *p);
  *out = NULL;
  if (!p) return RC_NOMEM;
  p->ch = ch;
  int rc = ch == PUSH_WEBPUSH ? webpush_open(c, &p->web, off)
           : ch == PUSH_FCM   ? fcm_open(c, &p->fcm, off)
                              : apns_open(c, &p->apns, off);
  if (rc || *off) {
    free(p);
    return rc;
  }
  *out = p;
  return 0;
}

void pushchan_close(struct pushchan *p) {
  if (!p) return;
  webpush_close(p->web);
  fcm_close(p->fcm);
  apns_close(p->apns);
  free(p);
}

int pushchan_prepare(struct pushchan *p, struct db *d, struct arena *a) {
  if (p->fcm) return fcm_prepare(p->fcm, d, a);
  if (p->apns) return apns_prepare(p->apns, d, a);
  return 0;
}

void pushchan_renew(struct pushchan *p) {
  if (p->fcm) fcm_renew(p->fcm);
  if (p->apns) apns_renew(p->apns);
}

int pushchan_request(struct pushchan *p, struct arena *a,
                     const struct pushrun_item *it, struct fetch_req *q,
                     struct pushrun_stats *st) {
  if (p->web) return webpush_request(p->web, a, it, q, &st->crypto_s);
  if (p->fcm) return fcm_request(p->fcm, a, it, q);
  return apns_request(p->apns, a, it, q);
}

void pushchan_result(struct pushchan *p, int rc, const struct fetch_resp *r,
                     struct pushrun_result *out) {
  if (p->web)
    webpush_result(rc, r, out);
  else if (p->fcm)
    fcm_result(rc, r, out);
  else
    apns_result(rc, r, out);
}

int pushrun_retry_after(const struct fetch_resp *r) {
  const char *v = fetch_header(r, "Retry-After");
  long long s;
  if (!v || str_parse_i64(v, 0, 3600, &s)) return 0;
  return (int)(s ? s : 1);
}

static double since(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)(t.tv_sec - t0->tv_sec) +
         (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* batch: claim, send and settle one batch; *n how many were claimed. */
static int batch(struct db *d, struct arena *a, struct pushchan **ch,
                 const char *on, const struct pushrun_opts *o,
                 struct pushrun_stats *st, int *n) {
  struct pushrun_item *items;
  int rc = pushbox_claim(d, a, on, o->batch, &items, n, st);
  if (rc || *n == 0) return rc;
  struct fetch_req *q = arena_alloc(a, sizeof *q * (size_t)*n);
  struct fetch_resp *r = arena_alloc(a, sizeof *r * (size_t)*n);
  struct pushrun_result *res = arena_alloc(a, sizeof *res * (size_t)*n);
  int *rcs = arena_alloc(a, sizeof *rcs * (size_t)*n);
  int *slot = arena_alloc(a, sizeof *slot * (size_t)*n);
  if (!q || !r || !res || !rcs || !slot) return RC_NOMEM;
  int m = 0, per[PUSH_CHANNELS] = {0};
  for (int i = 0; i < *n; i++) {
    struct pushchan *c = ch[items[i].channel];
    slot[i] = -1;
    res[i] = (struct pushrun_result){.outcome = PUSH_DROP, .why = "unsendable"};
    if (!c) continue; /* its channel went off during the run */
    int e = pushchan_request(c, a, &items[i], &q[m], st);
    if (e == RC_NOMEM) return e;
    if (e) continue;
    q[m].timeout_ms = o->timeout_ms;
    per[items[i].channel]++;
    slot[i] = m++;
  }
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (m && (rc = fetch_many(a, q, r, rcs, m, o->parallel))) return rc;
  double secs = since(&t0);
  for (int c = 0; c < PUSH_CHANNELS; c++)
    st->send_s[c] += m ? secs * per[c] / m : 0;
  bool renew[PUSH_CHANNELS] = {false};
  for (int i = 0; i < *n; i++) {
    if (slot[i] < 0) continue;
    pushchan_result(ch[items[i].channel], rcs[slot[i]], &r[slot[i]], &res[i]);
    if (res[i].outcome == PUSH_RENEW) renew[items[i].channel] = true;
  }
  for (int c = 0; c < PUSH_CHANNELS; c++)
    if (renew[c] && ch[c]) pushchan_renew(ch[c]);
  st->batches++;
  return pushbox_settle(d, a, items, res, *n, o, st);
}

/* on_list: the names of the channels that are on, "a,b"; "" for none. */
static void on_list(struct pushchan **ch, char *buf, size_t n) {
  buf[0] = '\0';
  for (int c = 0; c < PUSH_CHANNELS; c++)
    if (ch[c]) {
      if (buf[0]) strncat(buf, ",", n - strlen(buf) - 1);
      strncat(buf, push_channel_names[c], n - strlen(buf) - 1);
    }
}

int pushsend_run(struct db *d, struct arena *a, const struct cfg *c,
                 const struct pushrun_opts *o, struct pushrun_stats *st,
                 const char *off[PUSH_CHANNELS]) {
  struct pushchan *ch[PUSH_CHANNELS] = {NULL};
  struct timespec t0;
  char on[64];
  int rc = 0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; !rc && i < PUSH_CHANNELS; i++)
    rc = pushchan_open(d, a, c, (enum push_channel)i, &ch[i], &off[i]);
  if (!rc) rc = pushbox_doubts(d, o->doubt_s, &st->doubts);
  if (!rc) rc = pushbox_group(d, a, st);
  while (!rc && since(&t0) < o->for_s) {
    struct arena *b = arena_new(0);
    if (!b) {
      rc = RC_NOMEM;
      break;
    }
    /* Credentials first: a channel whose service refuses them is off for
     * the rest of the run (its deliveries wait, queued). */
    for (int i = 0; i < PUSH_CHANNELS; i++)
      if (ch[i] && pushchan_prepare(ch[i], d, b)) {
        log_msg(LOG_WARN, "push: a channel's credential could not be had",
                "channel", push_channel_names[i], NULL);
        off[i] = "its service refused the credential in this run";
        pushchan_close(ch[i]);
        ch[i] = NULL;
      }
    on_list(ch, on, sizeof on);
    int n = 0;
    if (on[0]) rc = batch(d, b, ch, on, o, st, &n);
    double wait = -1;
    if (!rc && n == 0 && on[0]) rc = pushbox_next_due(d, b, on, &wait);
    arena_free(b);
    if (rc || n) continue;
    /* Nothing due now: wait for a retry that falls due within the run. */
    if (wait < 0 || since(&t0) + wait >= o->for_s) break;
    struct timespec ts = {.tv_sec = (time_t)wait,
                          .tv_nsec =
                              (long)((wait - (double)(time_t)wait) * 1e9)};
    if (ts.tv_sec == 0 && ts.tv_nsec < 50000000) ts.tv_nsec = 50000000;
    nanosleep(&ts, NULL);
  }
  long long pruned;
  if (!rc) rc = pushbox_prune(d, &pruned);
  for (int i = 0; i < PUSH_CHANNELS; i++)
    pushchan_close(ch[i]);
  return rc;
}
