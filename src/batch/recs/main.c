/* main.c: encore-recs, the recommendations batch program: `train` (read
 * MariaDB, fit, write a model version and switch to it), `rollback`,
 * `status`, and `eval` (the offline evaluation on the HetRec Last.fm data).
 * Exit status: 0 on success, 1 on failure (nothing switched), 2 on a usage
 * error. */
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "batch/recs/batch.h"
#include "batch/recs/eval.h"
#include "batch/recs/timing.h"
#include "core/arena.h"
#include "core/cfg.h"
#include "core/db.h"
#include "core/kv.h"
#include "core/log.h"
#include "core/opts.h"
#include "core/rc.h"
#include "model/batchrun.h"
#include "model/lease.h"
#include "model/push.h"
#include "model/recs.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2

static const char usage_text[] =
    "usage: encore-recs COMMAND [OPTIONS]\n"
    "\n"
    "  train [-c CONF] [--light] [--threads N] [--seed S] [--verbose]\n"
    "      read the interactions, fit the models for tracks and artists,\n"
    "      write a new model version and serve it (exit 0 only then).\n"
    "      --light refits popularity and neighbours and rewrites only the\n"
    "      lists of users active since the serving version (the others are\n"
    "      copied); without a serving version it runs in full.\n"
    "  rollback [-c CONF]\n"
    "      serve the previous version again (it swaps with the current)\n"
    "  status [-c CONF]\n"
    "      the serving and previous versions and the latest run\n"
    "  eval --hetrec DIR [--seeds N] [--seed0 S]\n"
    "       [--models pop,itemknn,als,rp3beta,ease,userknn,content,social]\n"
    "       [--cold-start] [--cold-known N] [--small]\n"
    "      the offline evaluation on the HetRec Last.fm 2K files (5 seeds\n"
    "      by default); --cold-start adds the cold-start protocol, whose\n"
    "      users keep --cold-known training artists (1..50, default 3;\n"
    "      giving it implies --cold-start);\n"
    "      --small: one seed by default, defaults instead of grids, a\n"
    "      quarter of the users evaluated, fewer ALS iterations (the test\n"
    "      suite)\n"
    "\n"
    "Without -c the configuration file is $ENCORE_CONF when set; settings\n"
    "then come from it, the defaults and ENCORE_* environment variables.\n"
    "Exit status: 0 done, 1 failed (the serving version is unchanged),\n"
    "2 usage error.\n";

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "encore-recs: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, " (encore-recs --help shows the usage)\n");
  va_end(ap);
  return EXIT_USAGE;
}

/* parse: argv[0..argc) against opts, none positional. 0 or EXIT_USAGE
 * (said why). */
static int parse(int argc, char **argv, const struct opt *opts) {
  char why[256];
  int npos;
  if (opts_parse(argc, argv, opts, &npos, why, sizeof why))
    return usage_error("%s", why);
  return npos ? usage_error("unexpected argument '%s'", argv[0]) : 0;
}

/* --- eval ----------------------------------------------------------------- */

static int cmd_eval(int argc, char **argv) {
  struct eval_opts o = {.seeds = 0, .seed0 = 1};
  long seeds = 0, seed0 = 1, known = 0;
  bool cold = false, small = false;
  const struct opt opts[] = {
      {.name = "hetrec", .val = &o.dir},
      {.name = "seeds", .num = &seeds, .lo = 1, .hi = 20},
      {.name = "seed0", .num = &seed0, .lo = 0, .hi = 1000000000L},
      {.name = "models", .val = &o.models},
      {.name = "cold-start", .flag = &cold},
      {.name = "cold-known", .num = &known, .lo = 1, .hi = EVAL_KNOWN_MAX},
      {.name = "small", .flag = &small},
      {.name = NULL}};
  int rc = parse(argc, argv, opts);
  if (rc) return rc;
  o.seeds = (int)seeds;
  o.seed0 = (uint64_t)seed0;
  o.known = (int)known;
  o.cold = cold || known;
  o.small = small;
  if (!o.dir) return usage_error("--hetrec DIR is required");
  if (!o.seeds) o.seeds = o.small ? 1 : 5;
  return eval_run(&o);
}

/* --- the database commands ------------------------------------------------ */

/* What the database commands share: settings and connections. */
struct ctx {
  struct cfg cfg;
  struct db *db;
  struct arena *a;
};

/* open_ctx: load the configuration (conf, else $ENCORE_CONF, else the
 * defaults and environment) and connect. 0 or EXIT_FAIL (said why). */
static int open_ctx(struct ctx *x, const char *conf) {
  char err[512];
  if (!conf) conf = getenv("ENCORE_CONF");
  if (conf && !*conf) conf = NULL;
  if (cfg_load(&x->cfg, conf, false, err, sizeof err)) {
    fprintf(stderr, "encore-recs: %s\n", err);
    return EXIT_FAIL;
  }
  /* Library errors (SQL, cache) go to stderr as JSON lines. */
  log_init("encore-recs", LOG_WARN, "-");
  if (!(x->a = arena_new(0))) {
    fprintf(stderr, "encore-recs: out of memory\n");
    return EXIT_FAIL;
  }
  if (db_open(&x->db, &x->cfg)) {
    fprintf(stderr,
            "encore-recs: cannot connect to the database %s as %s on %s\n",
            x->cfg.db_name, x->cfg.db_user,
            x->cfg.db_socket && x->cfg.db_socket[0] ? x->cfg.db_socket
                                                    : x->cfg.db_host);
    return EXIT_FAIL;
  }
  return 0;
}

static void close_ctx(struct ctx *x) {
  db_close(x->db);
  arena_free(x->a);
  cfg_free(&x->cfg);
}

/* drop_serving_cache: drop the API's cached serving version, best effort (the
 * cache entry expires by itself within seconds anyway). */
static void drop_serving_cache(const struct ctx *x) {
  struct kv *k = NULL;
  if (!x->cfg.kv_servers || !x->cfg.kv_servers[0]) return;
  if (kv_open(&k, x->cfg.kv_servers) == 0) kv_del(k, RECS_SERVING_KEY);
  kv_close(k);
}

/* peak_rss_mb: the process's peak resident memory so far. */
static double peak_rss_mb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_maxrss / 1024.0;
}

/* The serving version as a light run needs it. */
struct serving {
  unsigned version;
  long long data_until_ms;
};

static int read_serving(struct ctx *x, struct serving *s) {
  struct db_res res;
  memset(s, 0, sizeof *s);
  if (db_exec(x->db, x->a,
              "SELECT s.version, ROUND(UNIX_TIMESTAMP(v.data_until) * 1000) "
              "FROM rec_serving s JOIN rec_versions v ON v.id = s.version "
              "WHERE s.slot = 1",
              NULL, 0, DB_IDEMPOTENT, &res)) {
    fprintf(stderr, "encore-recs: cannot read the serving version (is the "
                    "schema migrated to 0008?)\n");
    return -1;
  }
  if (res.nrows == 1) {
    s->version = (unsigned)db_i64(&res.rows[0], 0, 0);
    s->data_until_ms = db_i64(&res.rows[0], 1, -1);
  }
  return 0;
}

/* add_num: obj[key] = v with three decimals (seconds to the ms, MB to the
 * KB), written as such rather than as the nearest binary fraction. */
static void add_num(json_object *obj, const char *key, double v) {
  char text[32];
  snprintf(text, sizeof text, "%.3f", v);
  json_object_object_add(obj, key, json_object_new_double_s(v, text));
}

/* run_level: read, fit and store one level; its figures into stats. On
 * failure *failed names the stage (for the version's record). */
static int run_level(struct ctx *x, enum batch_level level, unsigned version,
                     const struct train_opts *o, const struct serving *prev,
                     long long until, json_object *stats, const char **failed) {
  const char *name = level == BATCH_TRACK ? "track" : "artist";
  struct batch_input in = {.data_until_ms = until};
  struct batch_output out = {0};
  int rc = -1;
  double t0 = timing_now();
  *failed = level == BATCH_TRACK ? "reading tracks" : "reading artists";
  if (dbread_input(&in, x->db, level, o->kind, prev->data_until_ms)) goto out;
  double t1 = timing_now();
  printf("%s: read %d users, %d items, %lld interactions, %lld negatives in "
         "%.1f s (peak RSS %.0f MB)\n",
         name, in.d.n_users, in.d.n_items, (long long)in.d.ui.nnz,
         (long long)in.neg.nnz, t1 - t0, peak_rss_mb());
  fflush(stdout);
  *failed = level == BATCH_TRACK ? "training tracks" : "training artists";
  if (train_run(&out, &in, o)) goto out;
  double t2 = timing_now();
  printf("%s: trained in %.1f s (peak RSS %.0f MB)\n", name, t2 - t1,
         peak_rss_mb());
  fflush(stdout);
  *failed = level == BATCH_TRACK ? "storing tracks" : "storing artists";
  if (store_level(x->db, version, &in, &out, prev->version)) goto out;
  double t3 = timing_now();
  printf("%s: stored in %.1f s\n", name, t3 - t2);
  fflush(stdout);

  json_object *l = json_object_new_object();
  add_num(l, "read_s", t1 - t0);
  add_num(l, "train_s", t2 - t1);
  add_num(l, "store_s", t3 - t2);
  add_num(l, "peak_rss_mb", peak_rss_mb());
  json_object_object_add(l, "users", json_object_new_int(in.d.n_users));
  json_object_object_add(l, "items", json_object_new_int(in.d.n_items));
  json_object_object_add(l, "interactions", json_object_new_int64(in.d.ui.nnz));
  json_object_object_add(l, "negatives", json_object_new_int64(in.neg.nnz));
  if (in.changed) {
    int n = 0;
    for (int u = 0; u < in.d.n_users; u++)
      n += in.changed[u] != 0;
    json_object_object_add(l, "changed_users", json_object_new_int(n));
  }
  /* The trainer's own figures (weights, per-model times) as it gave them. */
  json_object *t = out.stats ? json_tokener_parse(out.stats) : NULL;
  if (out.stats && !t) t = json_object_new_string(out.stats);
  if (t) json_object_object_add(l, "train", t);
  json_object_object_add(stats, name, l);
  rc = 0;
out:
  batch_output_free(&out);
  batch_input_free(&in);
  return rc;
}

/* parse_train: the options of `train`, and -c. 0 or EXIT_USAGE. */
static int parse_train(int argc, char **argv, struct train_opts *o,
                       const char **conf) {
  *o = (struct train_opts){.kind = BATCH_FULL, .seed = 1};
  long threads = 0, seed = 1;
  bool light = false, verbose = false;
  const struct opt opts[] = {
      {.name = "c", .val = conf},
      {.name = "config", .val = conf},
      {.name = "light", .flag = &light},
      {.name = "threads", .num = &threads, .lo = 1, .hi = 256},
      {.name = "seed", .num = &seed, .lo = 0, .hi = 1000000000L},
      {.name = "verbose", .flag = &verbose},
      {.name = NULL}};
  int rc = parse(argc, argv, opts);
  if (rc) return rc;
  if (light) o->kind = BATCH_LIGHT;
  o->threads = (int)threads;
  o->seed = (uint64_t)seed;
  o->verbose = verbose;
  return 0;
}

/* parse_none: commands without options but -c. */
static int parse_none(int argc, char **argv, struct train_opts *o,
                      const char **conf) {
  *o = (struct train_opts){.kind = BATCH_FULL, .seed = 1};
  const struct opt opts[] = {{.name = "c", .val = conf},
                             {.name = "config", .val = conf},
                             {.name = NULL}};
  return parse(argc, argv, opts);
}

/* A run's lease on "encore-recs train": longer than any run (cron stops
 * one after 3 hours), so that a run killed without giving it back blocks
 * the next ones for at most this long. */
#define RECS_LEASE_S (4 * 3600)

static int train_leased(struct ctx *x, const struct train_opts *opts);

static int cmd_train(struct ctx *x, const struct train_opts *opts) {
  char holder[LEASE_HOLDER_MAX];
  const char *other = NULL;
  /* Long statements (a full scan of the listens, chunked deletes) need the
   * bulk timeout, and two runs must never interleave their versions, on
   * any host: a lease row, not GET_LOCK (node-local on Galera). */
  lease_holder(holder);
  int rc = db_local_infile(x->db);
  if (!rc)
    rc = lease_take(x->db, x->a, "encore-recs train", holder, RECS_LEASE_S,
                    &other);
  if (rc) {
    fprintf(stderr, "encore-recs: %s%s\n",
            rc == RC_CONFLICT ? "another run holds the lease: "
                              : "the database cannot be reached",
            rc == RC_CONFLICT && other ? other : "");
    return EXIT_FAIL;
  }
  rc = train_leased(x, opts);
  lease_give(x->db, x->a, "encore-recs train", holder);
  return rc;
}

/* train_leased: one run, under the lease. */
static int train_leased(struct ctx *x, const struct train_opts *opts) {
  struct train_opts o = *opts;
  double t0 = timing_now();
  struct serving prev;
  if (read_serving(x, &prev)) return EXIT_FAIL;
  if (o.kind == BATCH_LIGHT && (!prev.version || prev.data_until_ms < 0)) {
    printf("no serving version: running a full retrain instead of a light "
           "one\n");
    o.kind = BATCH_FULL;
  }
  if (o.kind == BATCH_FULL) prev.data_until_ms = -1;
  long long until = dbread_now(x->db);
  unsigned version;
  if (until < 0 || store_version_begin(x->db, o.kind, until, &version)) {
    fprintf(stderr, "encore-recs: cannot start a run\n");
    return EXIT_FAIL;
  }
  char when[32];
  time_t secs = (time_t)(until / 1000);
  struct tm tm;
  strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", gmtime_r(&secs, &tm));
  printf("version %u: %s run on the data until %s.%03lld UTC\n", version,
         o.kind == BATCH_LIGHT ? "light" : "full", when, until % 1000);
  json_object *stats = json_object_new_object();
  json_object_object_add(
      stats, "kind",
      json_object_new_string(o.kind == BATCH_LIGHT ? "light" : "full"));
  if (o.kind == BATCH_LIGHT)
    json_object_object_add(stats, "refreshes",
                           json_object_new_int64(prev.version));
  const char *failed = "switching";
  int rc =
      run_level(x, BATCH_TRACK, version, &o, &prev, until, stats, &failed) ||
      run_level(x, BATCH_ARTIST, version, &o, &prev, until, stats, &failed);
  double total = timing_now() - t0, rss = peak_rss_mb();
  add_num(stats, "total_s", total);
  add_num(stats, "peak_rss_mb", rss);
  if (!rc) {
    failed = "switching";
    rc = store_version_finish(
        x->db, version,
        json_object_to_json_string_ext(stats, JSON_C_TO_STRING_PLAIN));
  }
  if (rc) {
    char why[96];
    snprintf(why, sizeof why, "%s failed (see the run's log)", failed);
    store_version_fail(x->db, version, why);
    fprintf(stderr,
            "encore-recs: %s failed; version %u marked failed, the serving "
            "version is unchanged\n",
            failed, version);
  } else {
    drop_serving_cache(x);
    printf("version %u serving: %.1f s, peak RSS %.0f MB; switched and older "
           "versions deleted in %.1f s\n",
           version, total, rss, timing_now() - t0 - total);
    /* What the new lists and catalogue mean for push (model/push.h). */
    long long digests = 0, releases = 0;
    if (push_queue_digests(x->db, &digests) ||
        push_queue_releases(x->db, &releases))
      fprintf(stderr, "encore-recs: push digests and new releases were not "
                      "queued (the next run queues them)\n");
    else
      printf("push: %lld weekly digests, %lld new releases queued\n", digests,
             releases);
  }
  json_object_put(stats);
  return rc ? EXIT_FAIL : 0;
}

static int cmd_rollback(struct ctx *x, const struct train_opts *o) {
  (void)o;
  if (store_rollback(x->db)) return EXIT_FAIL;
  drop_serving_cache(x);
  struct serving s;
  if (read_serving(x, &s)) return EXIT_FAIL;
  printf("rolled back: version %u serving\n", s.version);
  return 0;
}

/* print_version: one line about version id (0: none). */
static int print_version(struct ctx *x, const char *label, long long id) {
  struct db_res res;
  struct db_val p[] = {DB_I(id)};
  if (!id) {
    printf("%-9s none\n", label);
    return 0;
  }
  if (db_exec(x->db, x->a,
              "SELECT id, kind, state, started_at, finished_at, data_until, "
              "n_users, n_tracks, n_artists, stats FROM rec_versions "
              "WHERE id = ?",
              p, 1, DB_IDEMPOTENT, &res))
    return -1;
  if (res.nrows != 1) {
    printf("%-9s %lld (missing)\n", label, id);
    return 0;
  }
  struct db_row *r = &res.rows[0];
  printf("%-9s %s %s %s started %s finished %s data until %s: %s users, %s "
         "tracks, %s artists\n",
         label, db_s(r, 0), db_s(r, 1), db_s(r, 2), db_s(r, 3),
         db_s(r, 4) ? db_s(r, 4) : "-", db_s(r, 5), db_s(r, 6), db_s(r, 7),
         db_s(r, 8));
  if (db_s(r, 9)) printf("%-9s stats %s\n", "", db_s(r, 9));
  return 0;
}

static int cmd_status(struct ctx *x, const struct train_opts *o) {
  (void)o;
  struct db_res res;
  if (db_exec(x->db, x->a,
              "SELECT (SELECT version FROM rec_serving WHERE slot = 1), "
              "(SELECT previous FROM rec_serving WHERE slot = 1), "
              "(SELECT switched_at FROM rec_serving WHERE slot = 1), "
              "(SELECT MAX(id) FROM rec_versions)",
              NULL, 0, DB_IDEMPOTENT, &res) ||
      res.nrows != 1) {
    fprintf(stderr, "encore-recs: cannot read the versions (is the schema "
                    "migrated to 0008?)\n");
    return EXIT_FAIL;
  }
  long long cur = db_i64(&res.rows[0], 0, 0), prev = db_i64(&res.rows[0], 1, 0),
            last = db_i64(&res.rows[0], 3, 0);
  const char *at = db_s(&res.rows[0], 2);
  if (cur) printf("switched  %s\n", at);
  if (print_version(x, "serving", cur) || print_version(x, "previous", prev) ||
      (last > cur && last != prev && print_version(x, "latest", last))) {
    fprintf(stderr, "encore-recs: cannot read the versions\n");
    return EXIT_FAIL;
  }
  return 0;
}

/* The database commands: options are checked before connecting. */
static const struct command {
  const char *name;
  int (*parse)(int argc, char **argv, struct train_opts *o, const char **conf);
  int (*run)(struct ctx *x, const struct train_opts *o);
} commands[] = {{"train", parse_train, cmd_train},
                {"rollback", parse_none, cmd_rollback},
                {"status", parse_none, cmd_status}};

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs(usage_text, stderr);
    return EXIT_USAGE;
  }
  if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
    fputs(usage_text, stdout);
    return 0;
  }
  if (!strcmp(argv[1], "eval")) return cmd_eval(argc - 2, argv + 2);
  const struct command *cmd = NULL;
  for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
    if (!strcmp(commands[k].name, argv[1])) cmd = &commands[k];
  if (!cmd) return usage_error("unknown command '%s'", argv[1]);

  for (int i = 2; i < argc; i++)
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      fputs(usage_text, stdout);
      return 0;
    }
  const char *conf = NULL;
  struct train_opts o;
  int rc = cmd->parse(argc - 2, argv + 2, &o, &conf);
  if (rc) return rc;
  struct ctx x = {0};
  if (!(rc = open_ctx(&x, conf))) {
    /* A training run is recorded for monitoring (model/batchrun.h). */
    long long run = 0;
    bool train = !strcmp(cmd->name, "train");
    if (train) batchrun_start(x.db, "recs", &run);
    rc = cmd->run(&x, &o);
    if (train) batchrun_end(x.db, run, rc == 0, 0);
  }
  fflush(stdout);
  close_ctx(&x);
  return rc;
}
