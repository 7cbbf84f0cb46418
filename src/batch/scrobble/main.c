/* main.c: encore-scrobble, the cron program that delivers the scrobbling
 * outbox (model/outbox.h) to Last.fm and ListenBrainz (deliver.h). Run
 * every minute under the cron wrapper's lock (cron/encore.cron); each run
 * logs one summary line. Exit status: 0 when the run did its work (a
 * service that fails is retried later and is not a failure of the run), 1
 * when it could not (configuration, MariaDB), 2 on a usage error. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch/scrobble/deliver.h"
#include "core/arena.h"
#include "core/cfg.h"
#include "core/db.h"
#include "core/fetch.h"
#include "core/log.h"
#include "core/opts.h"
#include "core/rnd.h"
#include "svc/svc.h"

static const char usage_text[] =
    "usage: encore-scrobble [-c CONF] [--for SECONDS] [--backoff SECONDS]\n"
    "                       [--doubt-after SECONDS] [--rate N]\n"
    "\n"
    "Send the queued scrobbles of users who linked Last.fm or ListenBrainz.\n"
    "  --for          take no new batch after SECONDS (default 50)\n"
    "  --backoff      first wait after a failure, doubling up to an hour\n"
    "                 (default 10)\n"
    "  --doubt-after  a batch unanswered this long is checked against the\n"
    "                 service's history before anything is sent again\n"
    "                 (default 60; more than fetch_timeout)\n"
    "  --rate         requests per second to a service (default 5; 0: no\n"
    "                 limit)\n"
    "Without -c the configuration is $ENCORE_CONF when set.\n"
    "Exit status: 0 done, 1 failed (nothing lost), 2 usage error.\n";

int main(int argc, char **argv) {
  const char *conf = getenv("ENCORE_CONF");
  long for_s = 50, backoff_s = 10, doubt_s = 60, rate = 5;
  const struct opt opts[] = {
      {.name = "c", .val = &conf},
      {.name = "for", .num = &for_s, .lo = 1, .hi = 86400},
      {.name = "backoff", .num = &backoff_s, .lo = 1, .hi = 3600},
      {.name = "doubt-after", .num = &doubt_s, .lo = 1, .hi = 86400},
      {.name = "rate", .num = &rate, .lo = 0, .hi = 10000},
      {.name = NULL}};
  int st_rc = opts_program("encore-scrobble", usage_text, argc, argv, opts);
  if (st_rc >= 0) return st_rc;
  struct deliver_opts o = {.for_s = (int)for_s,
                           .backoff_s = (int)backoff_s,
                           .doubt_s = (int)doubt_s,
                           .rate = (double)rate};
  struct cfg c;
  if (svc_program_start("encore-scrobble", conf, &c)) return 1;
  if (o.doubt_s * 1000 <= c.fetch_timeout * 1000)
    log_msg(LOG_WARN, "--doubt-after should exceed fetch_timeout", NULL);
  struct db *d = NULL;
  struct arena *a = arena_new(0);
  if (!a || db_open(&d, &c)) {
    log_msg(LOG_ERROR, "the database cannot be reached", NULL);
    cfg_free(&c);
    return 1;
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  struct deliver_stats st;
  int rc = deliver_run(d, a, &o, &st);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  const struct log_field f[] = {
      {.key = "batches", .num = (double)st.batches},
      {.key = "sent", .num = (double)st.sent},
      {.key = "ignored", .num = (double)st.ignored},
      {.key = "requeued", .num = (double)st.requeued},
      {.key = "in_doubt", .num = (double)st.in_doubt},
      {.key = "doubts_checked", .num = (double)st.doubts_checked},
      {.key = "doubts_sent", .num = (double)st.doubts_sent},
      {.key = "unlinked", .num = (double)st.unlinked},
      {.key = "failures", .num = (double)st.failures},
      {.key = "seconds",
       .num = (double)(t1.tv_sec - t0.tv_sec) +
              (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
       .decimals = 1}};
  log_fields(rc ? LOG_ERROR : LOG_INFO, rc ? "run failed" : "run done", f,
             (int)(sizeof f / sizeof f[0]));
  db_close(d);
  arena_free(a);
  fetch_close();
  cfg_free(&c);
  return rc ? 1 : 0;
}
