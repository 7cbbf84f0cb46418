/* main.c: encore-push, the cron program that delivers push notifications
 * (Web Push, FCM, APNs) from the push outbox (model/push.h; pushrun.h says
 * how a run goes). Run every minute under the cron wrapper's lock
 * (cron/encore.cron); each run logs one summary line, which names the
 * channels that are off and why. Exit status: 0 when the run did its work
 * (a service that fails is retried later and is not a failure of the run),
 * 1 when it could not (configuration, MariaDB), 2 on a usage error. */
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
#include "core/opts.h"
#include "core/rnd.h"
#include "svc/svc.h"

static const char usage_text[] =
    "usage: encore-push [-c CONF] [--for SECONDS] [--batch N] [--parallel N]\n"
    "                   [--doubt-after SECONDS] [--backoff SECONDS]\n"
    "                   [--attempts N] [--timeout SECONDS]\n"
    "\n"
    "Group the push outbox into messages and send them to the devices.\n"
    "  --for          take no new batch after SECONDS (default 50)\n"
    "  --batch        deliveries marked and sent at once (default 1000)\n"
    "  --parallel     requests in flight (default 128)\n"
    "  --doubt-after  a delivery left `sending` this long by a run that\n"
    "                 died is sent again (default 120; more than --timeout)\n"
    "  --backoff      first wait after a failure, doubling up to 15 minutes\n"
    "                 (default 2)\n"
    "  --attempts     tries before a delivery is dropped (default 8)\n"
    "  --timeout      seconds a request may take (default 10)\n"
    "Without -c the configuration is $ENCORE_CONF when set.\n"
    "Exit status: 0 done, 1 failed (nothing lost), 2 usage error.\n";

/* summary: the run's one log line: counts, then one field per channel
 * ("sent=N retried=N expired=N dropped=N removed=N", or "off (why)"). */
static void summary(int rc, const struct pushrun_stats *st, double secs,
                    const char *const off[PUSH_CHANNELS]) {
  char ch[PUSH_CHANNELS][160];
  for (int c = 0; c < PUSH_CHANNELS; c++)
    if (off[c])
      snprintf(ch[c], sizeof ch[c], "off (%s)", off[c]);
    else
      snprintf(ch[c], sizeof ch[c],
               "sent=%lld retried=%lld expired=%lld dropped=%lld removed=%lld "
               "send_seconds=%.2f",
               st->sent[c], st->retried[c], st->expired[c], st->dropped[c],
               st->removed[c], st->send_s[c]);
  const struct log_field f[] = {
      {.key = "in_doubt", .num = (double)st->doubts},
      {.key = "events", .num = (double)st->events},
      {.key = "messages", .num = (double)st->grouped},
      {.key = "held_quiet", .num = (double)st->held},
      {.key = "stale", .num = (double)st->stale},
      {.key = "kind_off", .num = (double)st->off_kinds},
      {.key = "batches", .num = (double)st->batches},
      {.key = "webpush", .s = ch[PUSH_WEBPUSH]},
      {.key = "fcm", .s = ch[PUSH_FCM]},
      {.key = "apns", .s = ch[PUSH_APNS]},
      {.key = "crypto_seconds", .num = st->crypto_s, .decimals = 3},
      {.key = "seconds", .num = secs, .decimals = 1}};
  log_fields(rc ? LOG_ERROR : LOG_INFO, rc ? "run failed" : "run done", f,
             (int)(sizeof f / sizeof f[0]));
}

int main(int argc, char **argv) {
  const char *conf = getenv("ENCORE_CONF");
  long for_s = 50, batch = 1000, parallel = 128, doubt_s = 120, backoff_s = 2,
       attempts = 8, timeout_s = 10;
  const struct opt opts[] = {
      {.name = "c", .val = &conf},
      {.name = "for", .num = &for_s, .lo = 1, .hi = 86400},
      {.name = "batch", .num = &batch, .lo = 1, .hi = 5000},
      {.name = "parallel", .num = &parallel, .lo = 1, .hi = 1000},
      {.name = "doubt-after", .num = &doubt_s, .lo = 1, .hi = 86400},
      {.name = "backoff", .num = &backoff_s, .lo = 1, .hi = 900},
      {.name = "attempts", .num = &attempts, .lo = 1, .hi = 100},
      {.name = "timeout", .num = &timeout_s, .lo = 1, .hi = 600},
      {.name = NULL}};
  int st_rc = opts_program("encore-push", usage_text, argc, argv, opts);
  if (st_rc >= 0) return st_rc;
  struct pushrun_opts o = {.for_s = (int)for_s,
                           .batch = (int)batch,
                           .parallel = (int)parallel,
                           .doubt_s = (int)doubt_s,
                           .backoff_s = (int)backoff_s,
                           .attempts = (int)attempts,
                           .timeout_ms = (int)timeout_s * 1000};
  struct cfg c;
  if (svc_program_start("encore-push", conf, &c)) return 1;
  if (o.doubt_s * 1000 <= o.timeout_ms)
    log_msg(LOG_WARN, "--doubt-after should exceed --timeout", NULL);
  struct db *d = NULL;
  struct arena *a = arena_new(0);
  if (!a || db_open(&d, &c)) {
    log_msg(LOG_ERROR, "the database cannot be reached", NULL);
    arena_free(a);
    cfg_free(&c);
    return 1;
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  struct pushrun_stats st = {0};
  const char *off[PUSH_CHANNELS] = {NULL};
  int rc = pushsend_run(d, a, &c, &o, &st, off);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  summary(rc, &st,
          (double)(t1.tv_sec - t0.tv_sec) +
              (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
          off);
  db_close(d);
  arena_free(a);
  fetch_close();
  cfg_free(&c);
  return rc ? 1 : 0;
}
