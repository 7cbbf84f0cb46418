/* deliver: scrobbling out, exactly once from the user's side; see
 * deliver.h and model/outbox.h.
 *
 * A batch is claimed (marked `sending` in one statement, committed) before
 * its request goes out, and settled when the answer is read: accepted
 * scrobbles `sent`, those the service ignored `ignored`. What happens
 * between is the hard part:
 *
 *   - a definite answer that nothing was taken (429, Last.fm 29, a 4xx
 *     other than the credentials): the batch is queued again;
 *   - the credentials refused (Last.fm 9, a 401): queued again, the link
 *     removed (its scrobbles held), the user notified;
 *   - no answer, a 5xx, Last.fm 11 or 16: the service may have taken the
 *     batch. It stays `sending`, the user backs off, and a later run (once
 *     no request can still be under way: deliver_opts.doubt_s) reads the
 *     service's own history over the batch's times: what is there is
 *     `sent`, the rest queued again. A run killed at any point leaves the
 *     same states, so running again never sends a scrobble twice and
 *     never loses one. */
#include "batch/scrobble/deliver.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/log.h"
#include "core/rc.h"
#include "model/integration.h"
#include "model/notify.h"
#include "model/outbox.h"
#include "svc/lastfm.h"
#include "svc/listenbrainz.h"

/* Users taken per round, batches one user gets per round (so that one
 * long queue does not hold up everyone else's), and pages of history read
 * to settle a doubt. */
#define DUE_USERS 100
#define USER_BATCHES 20
#define DOUBTS 100
#define HISTORY_PAGES 10
#define HISTORY_MAX 2000

/* A scrobble the service has, as its history shows it. */
struct played {
  long long at_s;
  const char *artist, *title;
};

/* One scrobbling target. */
struct target {
  enum outbox_service service;
  enum integration_service link;
  const char *name;
  /* send: rows[0..n) with the link's credentials; ignored[i] on SVC_OK */
  int (*send)(struct arena *a, const struct integration *in,
              const struct outbox_row *rows, int n, bool *ignored,
              struct svc_answer *ans);
  /* history: what the service has between from_s and to_s (inclusive) */
  int (*history)(struct arena *a, const struct integration *in,
                 long long from_s, long long to_s, struct played *out, int *n,
                 struct svc_answer *ans);
};

/* --- Last.fm -------------------------------------------------------------- */

static int lastfm_send(struct arena *a, const struct integration *in,
                       const struct outbox_row *rows, int n, bool *ignored,
                       struct svc_answer *ans) {
  struct lastfm_scrobble s[OUTBOX_BATCH];
  for (int i = 0; i < n; i++)
    s[i] = (struct lastfm_scrobble){
        .artist = rows[i].artist,
        .title = rows[i].title,
        .album = rows[i].album,
        .mbid = rows[i].mbid,
        .at_s = rows[i].at_ms / 1000,
        .duration_s = rows[i].duration_ms > 0 ? rows[i].duration_ms / 1000 : 0};
  return lastfm_scrobble(a, in->token, s, n, ignored, NULL, ans);
}

static int lastfm_history(struct arena *a, const struct integration *in,
                          long long from_s, long long to_s, struct played *out,
                          int *n, struct svc_answer *ans) {
  struct lastfm_played page[200];
  int pages = 1;
  *n = 0;
  for (int p = 1; p <= pages && p <= HISTORY_PAGES; p++) {
    int got = 0;
    int rc = lastfm_recent(a, in->account, in->token, from_s, to_s, p, page,
                           &got, &pages, ans);
    if (rc || ans->outcome != SVC_OK) return rc;
    for (int i = 0; i < got && *n < HISTORY_MAX; i++)
      out[(*n)++] = (struct played){.at_s = page[i].at_s,
                                    .artist = page[i].artist,
                                    .title = page[i].title};
  }
  return 0;
}

/* --- ListenBrainz --------------------------------------------------------- */

static int lb_send(struct arena *a, const struct integration *in,
                   const struct outbox_row *rows, int n, bool *ignored,
                   struct svc_answer *ans) {
  struct listenbrainz_listen l[OUTBOX_BATCH];
  for (int i = 0; i < n; i++) {
    l[i] = (struct listenbrainz_listen){
        .artist = rows[i].artist,
        .title = rows[i].title,
        .album = rows[i].album,
        .mbid = rows[i].mbid,
        .at_s = rows[i].at_ms / 1000,
        .duration_ms = rows[i].duration_ms > 0 ? rows[i].duration_ms : 0};
    ignored[i] = false; /* ListenBrainz takes all or nothing */
  }
  return listenbrainz_submit(a, in->token, l, n, ans);
}

static int lb_history(struct arena *a, const struct integration *in,
                      long long from_s, long long to_s, struct played *out,
                      int *n, struct svc_answer *ans) {
  struct listenbrainz_played p[1000];
  int got = 0;
  *n = 0;
  int rc = listenbrainz_listens(a, in->account, in->token, from_s - 1, to_s + 1,
                                1000, p, &got, ans);
  for (int i = 0; !rc && i < got && i < HISTORY_MAX; i++)
    out[(*n)++] = (struct played){
        .at_s = p[i].at_s, .artist = p[i].artist, .title = p[i].title};
  return rc;
}

static const struct target targets[] = {
    {.service = OUTBOX_LASTFM,
     .link = INTEGRATION_LASTFM,
     .name = "lastfm",
     .send = lastfm_send,
     .history = lastfm_history},
    {.service = OUTBOX_LISTENBRAINZ,
     .link = INTEGRATION_LISTENBRAINZ,
     .name = "listenbrainz",
     .send = lb_send,
     .history = lb_history},
};

/* --- one run -------------------------------------------------------------- */

struct run {
  struct db *d;
  const struct deliver_opts *o;
  struct deliver_stats *st;
  double start, last_request;
};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* pace: wait as the rate asks before a request. */
static void pace(struct run *x) {
  if (x->o->rate <= 0) return;
  double wait = x->last_request + 1.0 / x->o->rate - now_s();
  if (wait > 0) {
    struct timespec ts = {.tv_sec = (time_t)wait,
                          .tv_nsec = (long)((wait - (long)wait) * 1e9)};
    nanosleep(&ts, NULL);
  }
  x->last_request = now_s();
}

static bool time_left(const struct run *x) {
  return now_s() - x->start < x->o->for_s;
}

/* note: a log line about one user's delivery (no credential, no names). */
static void note(enum log_level lvl, const char *msg, const struct target *t,
                 long long user, const char *error) {
  char u[24];
  snprintf(u, sizeof u, "%lld", user);
  log_msg(lvl, msg, "service", t->name, "user", u, "error", error ? error : "-",
          NULL);
}

/* refused: the service refused the user's credentials: the link goes (its
 * scrobbles held until it comes back) and the user is told. */
static int refused(struct run *x, struct arena *a, const struct target *t,
                   long long user, const char *error) {
  bool removed;
  int rc = integration_unlink(x->d, user, t->link, &removed);
  if (!rc && removed) {
    rc = notify_link_lost(x->d, a, user, t->name);
    x->st->unlinked++;
    note(LOG_WARN, "link refused by the service: unlinked", t, user, error);
  }
  return rc;
}

/* failed: a failure of the user's delivery: back off. */
static int failed(struct run *x, const struct target *t, long long user,
                  const struct svc_answer *ans) {
  x->st->failures++;
  note(LOG_WARN, "delivery failed", t, user, ans->error);
  int base = ans->outcome == SVC_THROTTLED && ans->retry_after > x->o->backoff_s
                 ? ans->retry_after
                 : x->o->backoff_s;
  return integration_delivered(x->d, user, t->link, false,
                               ans->error ? ans->error : "failed", base);
}

/* send_batch: claim, send and settle one batch of user's; *more whether
 * to go on with this user. */
static int send_batch(struct run *x, struct arena *a, const struct target *t,
                      long long user, const struct integration *in,
                      bool *more) {
  struct outbox_row rows[OUTBOX_BATCH];
  bool ignored[OUTBOX_BATCH];
  long long attempt, ids[OUTBOX_BATCH];
  int n = 0;
  *more = false;
  int rc = outbox_claim(x->d, a, user, t->service, &attempt, rows, &n);
  if (rc || !n) return rc;
  struct svc_answer ans;
  pace(x);
  x->st->batches++;
  if ((rc = t->send(a, in, rows, n, ignored, &ans))) return rc;
  switch (ans.outcome) {
  case SVC_OK:
    for (int i = 0; i < n; i++) {
      ids[i] = rows[i].id;
      if (ignored[i])
        x->st->ignored++;
      else
        x->st->sent++;
    }
    rc = outbox_settle(x->d, attempt, ids, ignored, n);
    if (!rc && in->failures)
      rc = integration_delivered(x->d, user, t->link, true, NULL, 0);
    *more = !rc;
    return rc;
  case SVC_REFUSED:
    x->st->requeued += n;
    rc = outbox_settle_all(x->d, attempt, "queued");
    return rc ? rc : refused(x, a, t, user, ans.error);
  case SVC_THROTTLED:
    x->st->requeued += n;
    rc = outbox_settle_all(x->d, attempt, "queued");
    return rc ? rc : failed(x, t, user, &ans);
  case SVC_FAILED:
    /* The service says this request is wrong (bad data, a 4xx): sending
     * it again would fail again. */
    x->st->ignored += n;
    rc = outbox_settle_all(x->d, attempt, "ignored");
    return rc ? rc : failed(x, t, user, &ans);
  case SVC_DOUBT:
  default:
    x->st->in_doubt += n;
    return failed(x, t, user, &ans);
  }
}

/* deliver_user: user's queued scrobbles to t, batch after batch. */
static int deliver_user(struct run *x, const struct target *t, long long user) {
  /* The link's credentials live in `link` for every batch; each batch's
   * own memory in `a`, reset between them. */
  struct arena *link = arena_new(0), *a = arena_new(0);
  struct integration in;
  int rc =
      link && a ? integration_get(x->d, link, user, t->link, &in) : RC_NOMEM;
  if (rc == RC_NOT_FOUND)
    rc = 0; /* unlinked meanwhile */
  else if (rc == RC_INVALID) {
    /* credentials this key cannot open: as if refused */
    rc = refused(x, a, t, user, "the stored credentials cannot be opened");
  } else {
    bool more = true;
    for (int b = 0; !rc && more && b < USER_BATCHES && time_left(x); b++) {
      arena_reset(a);
      rc = send_batch(x, a, t, user, &in, &more);
    }
  }
  arena_free(a);
  arena_free(link);
  return rc;
}

/* same_name: the names of a scrobble as the service shows them back (it
 * may correct them: a difference only in case or spacing is the same). */
static bool same_name(const char *x, const char *y) {
  return x && y && !strcasecmp(x, y);
}

/* settle_doubt: decide an unanswered attempt from the service's own
 * history. */
static int settle_doubt(struct run *x, struct arena *a, const struct target *t,
                        const struct outbox_doubt *dt) {
  struct outbox_row rows[OUTBOX_BATCH];
  int n = 0;
  struct integration in;
  int rc = outbox_rows(x->d, a, dt->attempt, rows, &n);
  if (rc || !n) return rc;
  rc = integration_get(x->d, a, dt->user, t->link, &in);
  if (rc) return rc == RC_NOT_FOUND ? 0 : rc;
  long long from = rows[0].at_ms / 1000, to = from;
  for (int i = 0; i < n; i++) {
    if (rows[i].at_ms / 1000 < from) from = rows[i].at_ms / 1000;
    if (rows[i].at_ms / 1000 > to) to = rows[i].at_ms / 1000;
  }
  struct played *seen = arena_alloc(a, sizeof *seen * HISTORY_MAX);
  int k = 0;
  struct svc_answer ans;
  if (!seen) return RC_NOMEM;
  pace(x);
  x->st->doubts_checked++;
  if ((rc = t->history(a, &in, from, to, seen, &k, &ans))) return rc;
  if (ans.outcome == SVC_REFUSED) return refused(x, a, t, dt->user, ans.error);
  if (ans.outcome != SVC_OK) return failed(x, t, dt->user, &ans);
  /* Found by its time (a service keeps one scrobble a second per user;
   * names break ties), each history entry used once. */
  long long ids[OUTBOX_BATCH];
  bool ign[OUTBOX_BATCH];
  bool *used = arena_alloc(a, sizeof *used * (size_t)(k + 1));
  int found = 0;
  if (!used) return RC_NOMEM;
  for (int i = 0; i < n; i++) {
    int hit = -1;
    for (int j = 0; j < k; j++) {
      if (used[j] || seen[j].at_s != rows[i].at_ms / 1000) continue;
      if (hit < 0 || (same_name(seen[j].title, rows[i].title) &&
                      same_name(seen[j].artist, rows[i].artist)))
        hit = j;
    }
    if (hit < 0) continue;
    used[hit] = true;
    ids[found] = rows[i].id;
    ign[found++] = false;
  }
  rc = outbox_settle(x->d, dt->attempt, ids, ign, found);
  if (!rc) rc = outbox_settle_all(x->d, dt->attempt, "queued");
  x->st->doubts_sent += found;
  x->st->requeued += n - found;
  return rc;
}

/* run_target: the doubts, then the due users of t. */
static int run_target(struct run *x, const struct target *t) {
  struct arena *a = arena_new(0);
  if (!a) return RC_NOMEM;
  struct outbox_doubt doubts[DOUBTS];
  int n = 0;
  int rc =
      outbox_doubts(x->d, a, t->service, x->o->doubt_s, doubts, DOUBTS, &n);
  for (int i = 0; !rc && i < n && time_left(x); i++) {
    arena_reset(a);
    rc = settle_doubt(x, a, t, &doubts[i]);
  }
  long long users[DUE_USERS];
  while (!rc && time_left(x)) {
    arena_reset(a);
    if ((rc = outbox_due(x->d, a, t->service, users, DUE_USERS, &n)) || !n)
      break;
    for (int i = 0; !rc && i < n && time_left(x); i++)
      rc = deliver_user(x, t, users[i]);
  }
  arena_free(a);
  return rc;
}

int deliver_run(struct db *d, struct arena *a, const struct deliver_opts *o,
                struct deliver_stats *st) {
  struct run x = {.d = d, .o = o, .st = st, .start = now_s()};
  (void)a;
  *st = (struct deliver_stats){0};
  int rc = 0;
  for (size_t i = 0; !rc && i < sizeof targets / sizeof targets[0]; i++)
    rc = run_target(&x, &targets[i]);
  long long pruned;
  if (!rc) rc = outbox_prune(d, &pruned);
  return rc;
}
