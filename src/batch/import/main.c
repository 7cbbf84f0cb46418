/* main.c: encore-import, the cron program that runs import jobs
 * (model/importjob.h; runners in import.h), fetches the album art imports
 * queued (model/extcat.h) and runs the matching pass that turns text
 * listens into listens once their track exists (model/match.h). Run every
 * minute under the cron wrapper's lock (cron/encore.cron), it takes jobs
 * for up to --for seconds, so a job queued meanwhile starts within seconds
 * (--wait polls for new jobs until then). Each run logs one summary line.
 * Exit status: 0 when the run did its work (a job that fails is the job's
 * outcome, shown to its user), 1 when it could not (configuration,
 * MariaDB), 2 on a usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch/import/import.h"
#include "core/arena.h"
#include "core/cfg.h"
#include "core/db.h"
#include "core/fetch.h"
#include "core/jx.h"
#include "core/kv.h"
#include "core/log.h"
#include "core/opts.h"
#include "core/rc.h"
#include "core/rnd.h"
#include "model/match.h"
#include "model/search.h"

static const char usage_text[] =
    "usage: encore-import [-c CONF] [--for SECONDS] [--wait] [--art N]\n"
    "\n"
    "Run queued import jobs (Spotify, Apple Music, export files), fetch the\n"
    "album art imports found, and match waiting text listens.\n"
    "  --for   take no new page after SECONDS (default 50)\n"
    "  --wait  poll for new jobs until then instead of ending when none\n"
    "          is due\n"
    "  --art   album covers fetched at most per run (default 200)\n"
    "Without -c the configuration is $ENCORE_CONF when set.\n"
    "Exit status: 0 done, 1 failed, 2 usage error.\n";

/* Totals of a run, for its summary line. */
struct totals {
  long long jobs, done, failed, pages, art, matched_listens, matched_loves;
};

/* run_job: pages of one job until it ends, stops or the time is up. */
static int run_job(struct db *d, struct kv *k, const struct cfg *c,
                   struct importjob *job, double deadline, struct totals *t) {
  struct arena *keep = arena_new(0), *a = arena_new(0);
  if (!keep || !a) {
    arena_free(keep);
    arena_free(a);
    return RC_NOMEM;
  }
  struct import_run x = {
      .d = d, .k = k, .c = c, .job = job, .keep = keep, .deadline = deadline};
  const char *why;
  if (jx_parse(keep, job->cursor ? job->cursor : "{}",
               job->cursor ? strlen(job->cursor) : 2, &x.cursor, &why) ||
      !json_object_is_type(x.cursor, json_type_object))
    x.cursor = jx_own(keep, json_object_new_object());
  if (jx_parse(keep, job->summary ? job->summary : "{}",
               job->summary ? strlen(job->summary) : 2, &x.summary, &why) ||
      !json_object_is_type(x.summary, json_type_object))
    x.summary = jx_own(keep, json_object_new_object());
  import_page_fn *page = job->source == IMPORTJOB_SPOTIFY ? import_spotify_page
                         : job->source == IMPORTJOB_APPLE_MUSIC
                             ? import_apple_page
                             : import_file_page;
  enum import_step step = IMPORT_MORE;
  int rc = 0;
  t->jobs++;
  while (!rc && step == IMPORT_MORE) {
    if (import_now() >= deadline) {
      /* out of time: the next run goes on from the cursor saved */
      rc = importjob_later(d, job, 0, NULL, false);
      break;
    }
    arena_reset(a);
    rc = page(&x, a, &step);
    t->pages++;
  }
  if (!rc && step == IMPORT_DONE) {
    size_t len;
    job->summary = jx_text(keep, x.summary, &len);
    rc = importjob_finish(d, job, "done", NULL);
    t->done++;
  } else if (rc && rc != RC_DB && rc != RC_NOMEM) {
    /* A failure of this job's own (not the database's): the job fails
     * with its cursor, the run goes on. */
    char id[24], code[16];
    snprintf(id, sizeof id, "%lld", job->id);
    snprintf(code, sizeof code, "%d", rc);
    log_msg(LOG_ERROR, "import job failed", "job", id, "rc", code, NULL);
    rc = importjob_finish(d, job, "failed", "the import failed; try again");
    t->failed++;
  }
  arena_free(a);
  arena_free(keep);
  return rc;
}

int main(int argc, char **argv) {
  const char *conf = getenv("ENCORE_CONF");
  long for_s = 50, art = 200;
  bool wait = false;
  const struct opt opts[] = {
      {.name = "c", .val = &conf},
      {.name = "for", .num = &for_s, .lo = 1, .hi = 86400},
      {.name = "art", .num = &art, .lo = 0, .hi = 100000},
      {.name = "wait", .flag = &wait},
      {.name = NULL}};
  int st_rc = opts_program("encore-import", usage_text, argc, argv, opts);
  if (st_rc >= 0) return st_rc;
  struct cfg c;
  if (svc_program_start("encore-import", conf, &c)) return 1;
  struct db *d = NULL;
  struct kv *k = NULL;
  struct arena *a = arena_new(0);
  if (!a || db_open(&d, &c) || kv_open(&k, c.kv_servers)) {
    log_msg(LOG_ERROR, "the database or the cache cannot be reached", NULL);
    cfg_free(&c);
    return 1;
  }
  search_cache(k);
  double start = import_now(), deadline = start + (double)for_s;
  struct totals t = {0};
  struct match_pass_stats mp;
  int rc = match_pass(d, k, a, &mp);
  t.matched_listens += mp.listens;
  t.matched_loves += mp.loves;
  while (!rc && import_now() < deadline) {
    struct importjob job;
    arena_reset(a);
    rc = importjob_claim(d, a, IMPORT_LEASE_S, &job);
    if (rc == RC_NOT_FOUND) {
      rc = 0;
      if (!wait) break;
      struct timespec ts = {.tv_sec = 1};
      nanosleep(&ts, NULL);
      continue;
    }
    if (!rc) rc = run_job(d, k, &c, &job, deadline, &t);
  }
  int done = 0;
  if (!rc && art) {
    arena_reset(a);
    rc = extcat_album_art(d, k, a, c.media_dir, (int)art, &done);
    t.art = done;
  }
  if (!rc) {
    arena_reset(a);
    rc = match_pass(d, k, a, &mp);
    t.matched_listens += mp.listens;
    t.matched_loves += mp.loves;
  }
  const struct log_field f[] = {
      {.key = "jobs", .num = (double)t.jobs},
      {.key = "jobs_done", .num = (double)t.done},
      {.key = "jobs_failed", .num = (double)t.failed},
      {.key = "pages", .num = (double)t.pages},
      {.key = "album_art", .num = (double)t.art},
      {.key = "listens_matched", .num = (double)t.matched_listens},
      {.key = "loves_matched", .num = (double)t.matched_loves},
      {.key = "seconds", .num = import_now() - start, .decimals = 1}};
  log_fields(rc ? LOG_ERROR : LOG_INFO, rc ? "run failed" : "run done", f,
             (int)(sizeof f / sizeof f[0]));
  db_close(d);
  kv_close(k);
  arena_free(a);
  fetch_close();
  cfg_free(&c);
  return rc ? 1 : 0;
}
