/* encore-api: the prefork master. It opens the FastCGI socket, forks the
 * workers, replaces a worker that dies, drains the workers on SIGTERM, and on
 * SIGHUP re-reads the configuration and forks a new generation before asking
 * the old one to finish — the socket stays open throughout, so no request is
 * dropped. Workers open their MariaDB and memcached connections after fork. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api/app.h"
#include "api/fcgi.h"
#include "api/router.h"
#include "core/cfg.h"
#include "core/db.h"
#include "core/inval.h"
#include "core/kv.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/rc.h"
#include "core/rnd.h"
#include "core/sdnotify.h"
#include "core/tok.h"
#include "model/playlist.h"
#include "model/search.h"
#include "svc/svc.h"

#define MAX_WORKERS 256
/* Seconds a draining worker gets before it is killed. */
#define DRAIN_SECONDS 30

struct app app;

static volatile sig_atomic_t got_term, got_hup, got_chld;
static volatile sig_atomic_t worker_stop;

struct worker {
  pid_t pid;
  unsigned gen;
  time_t started;
};

static struct worker workers[MAX_WORKERS * 2];
static unsigned generation;
/* Spawns now replace workers that died (counted as restarts). */
static bool replacing;

static void on_signal(int sig) {
  if (sig == SIGTERM || sig == SIGINT) got_term = 1;
  if (sig == SIGHUP) got_hup = 1;
  if (sig == SIGCHLD) got_chld = 1;
}

static void on_worker_signal(int sig) {
  (void)sig;
  worker_stop = 1;
}

static void set_handler(int sig, void (*fn)(int)) {
  struct sigaction sa = {.sa_handler = fn};
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, NULL); /* no SA_RESTART: accept must see EINTR */
}

/* before_request: deliver the cache invalidations that some worker could
 * not (at most once a second), so that no request of this worker reads an
 * entry a committed write meant to drop. */
static void before_request(void) {
  inval_replay(app.kv, app.db);
}

/* worker_main: one worker's life; never returns. */
static void worker_main(int fd) {
  set_handler(SIGTERM, on_worker_signal);
  set_handler(SIGINT, on_worker_signal);
  set_handler(SIGHUP, SIG_IGN);
  set_handler(SIGCHLD, SIG_DFL);
  set_handler(SIGPIPE, SIG_IGN);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  /* Keep freed memory in the heap from one request to the next: with
   * glibc's defaults (blocks over 128 KiB mmap'd, the heap's top trimmed)
   * a large answer (an insights report sums megabytes of rollups) faulted
   * all its pages in afresh every time (docs/PERFORMANCE.md, "Insights"). */
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);

  int rc = db_open(&app.db, &app.cfg);
  if (rc && rc != RC_DB) _exit(3);
  if (rc == RC_DB)
    log_msg(LOG_WARN, "database not reachable yet; will retry per request",
            NULL);
  if (kv_open(&app.kv, app.cfg.kv_servers)) _exit(3);
  inval_attach(app.kv, app.db);
  search_cache(app.kv);
  const char *why;
  svc_init(&app.cfg, &why); /* the service clients read app.cfg */
  int st = fcgi_serve(fd, app.cfg.body_max, &worker_stop, before_request);
  db_close(app.db);
  kv_close(app.kv);
  cfg_free(&app.cfg);
  _exit(st ? 3 : 0);
}

static int spawn(int fd) {
  for (int i = 0; i < MAX_WORKERS * 2; i++) {
    if (workers[i].pid) continue;
    pid_t pid = fork();
    if (pid < 0) {
      log_msg(LOG_ERROR, "fork failed", "err", strerror(errno), NULL);
      return -1;
    }
    if (pid == 0) {
      metrics_attach(i);
      worker_main(fd);
    }
    workers[i] = (struct worker){pid, generation, time(NULL)};
    metrics_worker_start(i, pid, replacing);
    return 0;
  }
  return -1;
}

static int live_count(unsigned gen) {
  int n = 0;
  for (int i = 0; i < MAX_WORKERS * 2; i++)
    if (workers[i].pid && workers[i].gen == gen) n++;
  return n;
}

/* reap: collect dead workers; returns how many of the current generation
 * died abnormally soon after their start (a crash loop). */
static int reap(void) {
  int status, fast_crashes = 0;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (int i = 0; i < MAX_WORKERS * 2; i++) {
      if (workers[i].pid != pid) continue;
      bool current = workers[i].gen == generation;
      bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
      metrics_worker_exit(i, clean);
      if (current && !clean) {
        char code[32];
        snprintf(code, sizeof code, "%d",
                 WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status));
        log_msg(LOG_ERROR, "worker died; replacing it", "status", code, NULL);
        if (time(NULL) - workers[i].started < 1) fast_crashes++;
      }
      workers[i].pid = 0;
    }
  }
  return fast_crashes;
}

static void signal_gen(unsigned gen, int sig, bool others) {
  for (int i = 0; i < MAX_WORKERS * 2; i++)
    if (workers[i].pid && (others ? workers[i].gen != gen : true))
      kill(workers[i].pid, sig);
}

/* load: configuration and the per-process modules from it. */
static int load(const char *path, struct cfg *c) {
  char err[256];
  if (cfg_load(c, path, true, err, sizeof err)) {
    fprintf(stderr, "encore-api: %s\n", err);
    return -1;
  }
  int lvl = log_level_parse(c->log_level);
  if (log_init("encore-api", lvl < 0 ? LOG_INFO : (enum log_level)lvl,
               c->log_file) ||
      tok_init(c->jwt_secret, c->jwt_issuer, c->jwt_audience, c->access_ttl)) {
    fprintf(stderr, "encore-api: cannot open the log or use the JWT key\n");
    cfg_free(c);
    return -1;
  }
  if (c->workers < 1 || c->workers > MAX_WORKERS) c->workers = 4;
  playlist_set_media_url(c->media_url); /* workers fork after this */
  const char *why;
  if (svc_init(c, &why)) { /* checked here; each worker takes app.cfg */
    fprintf(stderr, "encore-api: %s\n", why);
    cfg_free(c);
    return -1;
  }
  return 0;
}

/* map_metrics: the shared counters, labelled by the route table, mapped
 * before the first fork (every generation counts into the same slots). */
static int map_metrics(void) {
  static struct metrics_route labels[METRICS_ROUTES];
  int n = routes_count < METRICS_ROUTES ? routes_count : METRICS_ROUTES;
  for (int i = 0; i < n; i++) {
    char buf[256];
    labels[i].method = routes[i].method;
    labels[i].path = strdup(router_spec_path(i, buf, sizeof buf));
    if (!labels[i].path) return -1;
  }
  return metrics_map(labels, n);
}

static void write_pid(const char *path) {
  if (!path || !*path) return;
  FILE *f = fopen(path, "w");
  if (f) {
    fprintf(f, "%ld\n", (long)getpid());
    fclose(f);
  }
}

static void usage(void) {
  fprintf(stderr, "usage: encore-api [-c CONFIG] [-w WORKERS]\n"
                  "       encore-api --routes   (the route table as JSON)\n");
}

int main(int argc, char **argv) {
  const char *conf = NULL;
  int opt, want_workers = 0;
  if (argc == 2 && !strcmp(argv[1], "--routes")) {
    router_print(); /* the route table, for the spec test */
    return 0;
  }
  while ((opt = getopt(argc, argv, "c:w:h")) != -1) {
    if (opt == 'c')
      conf = optarg;
    else if (opt == 'w')
      want_workers = atoi(optarg);
    else {
      usage();
      return opt == 'h' ? 0 : 2;
    }
  }
  if (rnd_init() || load(conf, &app.cfg)) return 1;
  if (want_workers > 0) app.cfg.workers = want_workers;

  int fd = fcgi_listen(app.cfg.socket, app.cfg.socket_mode, 1024);
  if (fd < 0) {
    log_msg(LOG_ERROR, "cannot listen", "socket", app.cfg.socket, "err",
            strerror(errno), NULL);
    return 1;
  }
  write_pid(app.cfg.pid_file);
  if (app.cfg.metrics && map_metrics())
    log_msg(LOG_WARN, "cannot map the metrics; counting nothing", NULL);

  sigset_t mask, old;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, &old);
  set_handler(SIGTERM, on_signal);
  set_handler(SIGINT, on_signal);
  set_handler(SIGHUP, on_signal);
  set_handler(SIGCHLD, on_signal);
  set_handler(SIGPIPE, SIG_IGN);

  char nw[16];
  snprintf(nw, sizeof nw, "%d", app.cfg.workers);
  log_msg(LOG_INFO, "starting", "socket", app.cfg.socket, "workers", nw, NULL);
  while (live_count(generation) < app.cfg.workers)
    if (spawn(fd)) break;
  sdnotify_send("READY=1"); /* Type=notify: the socket listens, workers run */

  while (!got_term) {
    sigsuspend(&old);
    if (got_chld) {
      got_chld = 0;
      if (reap() > 0) sleep(1); /* a crash loop must not spin the CPU */
      replacing = true;
      while (!got_term && live_count(generation) < app.cfg.workers)
        if (spawn(fd)) break;
      replacing = false;
    }
    if (got_hup) {
      got_hup = 0;
      sdnotify_send("RELOADING=1");
      struct cfg fresh;
      if (load(conf, &fresh) == 0) {
        if (want_workers > 0) fresh.workers = want_workers;
        if (strcmp(fresh.socket, app.cfg.socket) != 0)
          log_msg(LOG_WARN, "socket changes need a restart", NULL);
        cfg_free(&app.cfg);
        app.cfg = fresh;
        generation++;
        while (live_count(generation) < app.cfg.workers)
          if (spawn(fd)) break;
        signal_gen(generation, SIGTERM, true);
        log_msg(LOG_INFO, "reloaded", NULL);
      } else {
        log_msg(LOG_ERROR, "reload failed; keeping the running configuration",
                NULL);
      }
      sdnotify_send("READY=1");
    }
  }

  log_msg(LOG_INFO, "draining", NULL);
  sdnotify_send("STOPPING=1");
  signal_gen(generation, SIGTERM, false);
  sigprocmask(SIG_SETMASK, &old, NULL);
  set_handler(SIGCHLD, SIG_DFL);
  time_t deadline = time(NULL) + DRAIN_SECONDS;
  for (;;) {
    reap();
    int left = 0;
    for (int i = 0; i < MAX_WORKERS * 2; i++)
      left += workers[i].pid != 0;
    if (!left) break;
    if (time(NULL) >= deadline) {
      signal_gen(generation, SIGKILL, false);
      deadline = time(NULL) + 5;
    }
    usleep(20000);
  }
  close(fd);
  unlink(app.cfg.socket);
  if (app.cfg.pid_file && *app.cfg.pid_file) unlink(app.cfg.pid_file);
  log_msg(LOG_INFO, "stopped", NULL);
  cfg_free(&app.cfg);
  return 0;
}
