/* main.c: encore-trends, the hourly trends batch (trends.h): `run` reads
 * the catalogue and the activity, ranks what rises and what is most
 * played, writes a version and switches to it, then checks the insights'
 * rollups; `status` shows the serving version. A run holds the lease row
 * of trend_lease (not GET_LOCK, which is node-local on Galera) and logs
 * one summary line per stage. Exit status: 0 done, 1 failed (the serving
 * version unchanged unless the failure came after the switch: the check),
 * 2 usage error, 75 another run holds the lease. */
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "batch/trends/trends.h"
#include "core/arena.h"
#include "core/cfg.h"
#include "core/db.h"
#include "core/kv.h"
#include "core/log.h"
#include "core/opts.h"
#include "model/trend.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define EXIT_BUSY 75
/* A run's lease: far longer than a run, short enough to expire after a
 * crash before the next hour's run. */
#define LEASE_MINUTES 50

static const char usage_text[] =
    "usage: encore-trends COMMAND [-c CONF]\n"
    "\n"
    "  run [--no-check]\n"
    "      trending tracks, artists, albums and playlists (overall and per\n"
    "      genre, for the last day and week) and the charts of this and the\n"
    "      last week and month, written as a new version and served; then\n"
    "      every user's months of listens checked against the insights'\n"
    "      rollups (--no-check skips it)\n"
    "  status\n"
    "      the serving and previous versions and the latest run\n"
    "\n"
    "Without -c the configuration file is $ENCORE_CONF when set.\n"
    "Exit status: 0 done, 1 failed, 2 usage error, 75 another run holds\n"
    "the lease.\n";

struct ctx {
  struct cfg cfg;
  struct db *db;
  struct arena *a;
  char holder[96];
};

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double peak_rss_mb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_maxrss / 1024.0;
}

static void add_num(json_object *o, const char *key, double v) {
  char text[32];
  snprintf(text, sizeof text, "%.3f", v);
  json_object_object_add(o, key, json_object_new_double_s(v, text));
}

/* --- the lease ------------------------------------------------------------ */

/* holder_gone: whether the holder text "host:pid" names a process of this
 * host that no longer runs (a run killed without giving the lease back). */
static int holder_gone(const char *holder, const char *me) {
  const char *colon = holder ? strrchr(holder, ':') : NULL;
  const char *my = strrchr(me, ':');
  if (!colon || !my || colon - holder != my - me ||
      strncmp(holder, me, (size_t)(colon - holder)))
    return 0;
  long pid = strtol(colon + 1, NULL, 10);
  return pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* lease_take: 0 when this run holds the lease, EXIT_BUSY when another does,
 * EXIT_FAIL on a database error. */
static int lease_take(struct ctx *x) {
  char host[64] = "localhost";
  struct db_res res;
  gethostname(host, sizeof host - 1);
  snprintf(x->holder, sizeof x->holder, "%s:%ld", host, (long)getpid());
  for (int tries = 0; tries < 2; tries++) {
    struct db_val v[] = {DB_S(x->holder), DB_I(LEASE_MINUTES)};
    if (db_exec(x->db, x->a,
                "UPDATE trend_lease SET holder = ?, lease_until = NOW(3) + "
                "INTERVAL ? MINUTE WHERE slot = 1 AND (holder IS NULL OR "
                "lease_until < NOW(3))",
                v, 2, 0, &res))
      return EXIT_FAIL;
    if (res.affected == 1) return 0;
    if (db_exec(x->db, x->a, "SELECT holder FROM trend_lease WHERE slot = 1",
                NULL, 0, 0, &res) ||
        res.nrows != 1)
      return EXIT_FAIL;
    const char *held = db_s(&res.rows[0], 0);
    if (!holder_gone(held, x->holder)) {
      fprintf(stderr, "encore-trends: another run holds the lease (%s)\n",
              held ? held : "?");
      return EXIT_BUSY;
    }
    /* its holder died here: free it, unless someone else just took it */
    struct db_val w[] = {DB_S(held)};
    if (db_exec(x->db, NULL,
                "UPDATE trend_lease SET holder = NULL WHERE slot = 1 AND "
                "holder = ?",
                w, 1, 0, NULL))
      return EXIT_FAIL;
    printf("the lease of %s, which is gone, was freed\n", held);
  }
  return EXIT_BUSY;
}

static void lease_give(struct ctx *x) {
  struct db_val v[] = {DB_S(x->holder)};
  db_exec(x->db, NULL,
          "UPDATE trend_lease SET holder = NULL, lease_until = NULL WHERE "
          "slot = 1 AND holder = ?",
          v, 1, 0, NULL);
}

/* --- run ------------------------------------------------------------------ */

/* forget_serving: drop the API's cached serving version (best effort: it
 * expires within seconds anyway). */
static void forget_serving(const struct ctx *x) {
  struct kv *k = NULL;
  if (!x->cfg.kv_servers || !x->cfg.kv_servers[0]) return;
  if (kv_open(&k, x->cfg.kv_servers) == 0) kv_del(k, TREND_SERVING_KEY);
  kv_close(k);
}

/* data_until: the database's clock, to the hour. */
static long long data_until(struct ctx *x) {
  struct db_res res;
  if (db_exec(x->db, x->a,
              "SELECT CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)", NULL, 0,
              DB_IDEMPOTENT, &res) ||
      res.nrows != 1)
    return -1;
  long long now = db_i64(&res.rows[0], 0, -1);
  return now < 0 ? -1 : now - now % TRENDS_HOUR_MS;
}

static int run(struct ctx *x, int check) {
  struct trends_world w;
  struct trends_list *lists = NULL;
  struct trends_check *chk = check ? trends_check_new() : NULL;
  json_object *stats = json_object_new_object();
  int nl = 0, rc = EXIT_FAIL;
  unsigned version = 0;
  double t0 = now_s(), t1, t2, t3, t4;
  long long until = data_until(x);
  memset(&w, 0, sizeof w);
  if (until < 0 || (check && !chk)) {
    fprintf(stderr, "encore-trends: cannot start a run\n");
    goto out;
  }
  trends_world_init(&w, until);
  time_t secs = (time_t)(until / 1000);
  char when[32];
  struct tm tm;
  strftime(when, sizeof when, "%Y-%m-%d %H:%M", gmtime_r(&secs, &tm));
  printf("run on the activity until %s UTC\n", when);
  if (trends_read(x->db, &w, chk)) goto out;
  t1 = now_s();
  printf("read: %d tracks, %d artists, %d albums, %d public playlists; "
         "%lld listens, %lld events in the windows (%lld plays over the "
         "cap) in %.1f s (peak RSS %.0f MB)\n",
         w.items[TRENDS_TRACKS].n, w.items[TRENDS_ARTISTS].n,
         w.items[TRENDS_ALBUMS].n, w.items[TRENDS_PLAYLISTS].n, w.listens_read,
         w.events, w.capped, t1 - t0, peak_rss_mb());
  fflush(stdout);
  if (trends_rank(&w, &lists, &nl)) {
    fprintf(stderr, "encore-trends: ranking failed (out of memory)\n");
    goto out;
  }
  t2 = now_s();
  printf("rank: %d lists in %.1f s\n", nl, t2 - t1);
  fflush(stdout);
  add_num(stats, "read_s", t1 - t0);
  add_num(stats, "rank_s", t2 - t1);
  json_object_object_add(stats, "listens",
                         json_object_new_int64(w.listens_read));
  json_object_object_add(stats, "events", json_object_new_int64(w.events));
  json_object_object_add(stats, "lists", json_object_new_int(nl));
  add_num(stats, "peak_rss_mb", peak_rss_mb());
  if (trends_store(
          x->db, &w, lists, nl,
          json_object_to_json_string_ext(stats, JSON_C_TO_STRING_PLAIN),
          &version)) {
    fprintf(stderr, "encore-trends: the run failed; the serving version is "
                    "unchanged\n");
    goto out;
  }
  forget_serving(x);
  t3 = now_s();
  printf("store: version %u serving, written and switched in %.1f s\n", version,
         t3 - t2);
  fflush(stdout);
  rc = 0;
  if (chk) {
    long long months, repaired;
    if (trends_check_run(x->db, chk, &months, &repaired)) rc = EXIT_FAIL;
    t4 = now_s();
    printf("check: %lld months of listens, %lld made again in %.1f s\n", months,
           repaired, t4 - t3);
  }
  printf("done in %.1f s, peak RSS %.0f MB\n", now_s() - t0, peak_rss_mb());
out:
  free(lists);
  trends_world_free(&w);
  trends_check_free(chk);
  json_object_put(stats);
  return rc;
}

/* --- status --------------------------------------------------------------- */

static int status(struct ctx *x) {
  struct db_res res;
  if (db_exec(x->db, x->a,
              "SELECT s.version, s.previous, s.switched_at, v.data_until, "
              "v.stats, (SELECT CONCAT(id, ' ', state, ' ', started_at) FROM "
              "trend_versions ORDER BY id DESC LIMIT 1) FROM trend_serving s "
              "JOIN trend_versions v ON v.id = s.version WHERE s.slot = 1",
              NULL, 0, DB_IDEMPOTENT, &res)) {
    fprintf(stderr, "encore-trends: cannot read the versions (is the schema "
                    "migrated to 0022?)\n");
    return EXIT_FAIL;
  }
  if (res.nrows == 0) {
    printf("serving   none\n");
    return 0;
  }
  const struct db_row *r = &res.rows[0];
  printf("serving   %s (switched %s, activity until %s)\nprevious  %s\n"
         "latest    %s\nstats     %s\n",
         db_s(r, 0), db_s(r, 2), db_s(r, 3), db_s(r, 1) ? db_s(r, 1) : "none",
         db_s(r, 5) ? db_s(r, 5) : "-", db_s(r, 4) ? db_s(r, 4) : "-");
  return 0;
}

int main(int argc, char **argv) {
  const char *conf = NULL;
  bool no_check = false;
  const struct opt opts[] = {{.name = "c", .val = &conf},
                             {.name = "config", .val = &conf},
                             {.name = "no-check", .flag = &no_check},
                             {.name = NULL}};
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      fputs(usage_text, stdout);
      return 0;
    }
  char why[256];
  int npos;
  if (opts_parse(argc - 1, argv + 1, opts, &npos, why, sizeof why)) {
    fprintf(stderr,
            "encore-trends: %s (encore-trends --help shows the usage)\n", why);
    return EXIT_USAGE;
  }
  const char *cmd = npos ? argv[1] : NULL;
  bool known = cmd && (!strcmp(cmd, "run") || !strcmp(cmd, "status"));
  if (npos > 1 || (cmd && !known)) {
    fprintf(stderr,
            "encore-trends: unexpected argument '%s' (encore-trends "
            "--help shows the usage)\n",
            argv[known ? 2 : 1]);
    return EXIT_USAGE;
  }
  if (!cmd) {
    fputs(usage_text, stderr);
    return EXIT_USAGE;
  }
  int check = !no_check;
  if (!conf) conf = getenv("ENCORE_CONF");
  if (conf && !*conf) conf = NULL;
  struct ctx x = {0};
  char err[512];
  if (cfg_load(&x.cfg, conf, false, err, sizeof err)) {
    fprintf(stderr, "encore-trends: %s\n", err);
    return EXIT_FAIL;
  }
  log_init("encore-trends", LOG_WARN, "-");
  int rc = EXIT_FAIL;
  if (!(x.a = arena_new(0)) || db_open(&x.db, &x.cfg)) {
    fprintf(stderr, "encore-trends: cannot connect to the database %s\n",
            x.cfg.db_name);
    goto out;
  }
  if (!strcmp(cmd, "status")) {
    rc = status(&x);
  } else if (db_local_infile(x.db)) { /* the long reads' timeout */
    fprintf(stderr, "encore-trends: cannot reach the database\n");
  } else if (!(rc = lease_take(&x))) {
    rc = run(&x, check);
    lease_give(&x);
  }
out:
  fflush(stdout);
  db_close(x.db);
  arena_free(x.a);
  cfg_free(&x.cfg);
  return rc;
}
