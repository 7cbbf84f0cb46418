/* encore-live: the WebSocket daemon of listening parties. One process is
 * one event loop on one address (run several: nginx sends every
 * connection of a party to the same one, hashing the URL's ?party=). It
 * reads the API's configuration (database, cache, token key), reloads it
 * on SIGHUP (the log reopened, connections kept) and drains on SIGTERM:
 * clients are told to come back (1012), the chat still pending is
 * written, every room checkpointed and its lease released, so that the
 * process started next restores the parties where they were. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/cfg.h"
#include "core/db.h"
#include "core/kv.h"
#include "core/log.h"
#include "core/rc.h"
#include "core/rnd.h"
#include "core/sdnotify.h"
#include "core/str.h"
#include "core/tok.h"
#include "live/conn.h"
#include "live/events.h"
#include "live/live.h"
#include "live/room.h"
#include "live/store.h"
#include "live/ws.h"

/* Seconds the drain waits for clients to close. */
#define DRAIN_SECONDS 3

struct live live;

static volatile sig_atomic_t got_term, got_hup;

static void on_signal(int sig) {
  if (sig == SIGHUP)
    got_hup = 1;
  else
    got_term = 1;
}

long long live_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* load: the configuration and what is made from it (log, token key). */
static int load(struct cfg *c) {
  char err[256];
  if (cfg_load(c, live.opt.config, false, err, sizeof err)) {
    fprintf(stderr, "encore-live: %s\n", err);
    return -1;
  }
  int lvl = log_level_parse(c->log_level);
  if (log_init("encore-live", lvl < 0 ? LOG_INFO : (enum log_level)lvl,
               live.opt.log_file) ||
      tok_init(c->jwt_secret, c->jwt_issuer, c->jwt_audience, c->access_ttl)) {
    fprintf(stderr, "encore-live: cannot open the log or use the JWT key\n");
    cfg_free(c);
    return -1;
  }
  return 0;
}

/* open_clients: the database and cache connections of configuration c. */
static int open_clients(const struct cfg *c, struct db **d, struct kv **k) {
  int rc = db_open(d, c);
  if (rc && rc != RC_DB) return rc;
  if (rc == RC_DB)
    log_msg(LOG_WARN, "database not reachable yet; will retry", NULL);
  rc = kv_open(k, c->kv_servers);
  if (rc) db_close(*d);
  return rc;
}

/* reload: SIGHUP: the configuration again, new connections to MariaDB and
 * memcached from it; the WebSocket connections stay. */
static void reload(void) {
  struct cfg fresh;
  struct db *d;
  struct kv *k;
  if (load(&fresh) || open_clients(&fresh, &d, &k)) {
    log_msg(LOG_ERROR, "reload failed; keeping the running configuration",
            NULL);
    return;
  }
  store_flush(true);
  db_close(live.db);
  kv_close(live.kv);
  cfg_free(&live.cfg);
  live.cfg = fresh;
  live.db = d;
  live.kv = k;
  log_msg(LOG_INFO, "reloaded", NULL);
}

/* open_files: as many descriptors as the hard limit allows (a connection
 * costs one here and two in nginx); the loop is sized to it. */
static int open_files(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl)) return 1024;
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  getrlimit(RLIMIT_NOFILE, &rl);
  return rl.rlim_cur > 65536 ? 65536 : (int)rl.rlim_cur;
}

static void usage(void) {
  fprintf(stderr,
          "usage: encore-live -c CONFIG -l ADDRESS:PORT [-p PIDFILE] "
          "[-o LOGFILE]\n"
          "                   [--ping S] [--hangup S] [--host-grace S]\n");
}

/* options: the command line into live.opt; -1 on a bad one. */
static int options(int argc, char **argv) {
  static const struct option longs[] = {
      {"ping", required_argument, NULL, 'P'},
      {"hangup", required_argument, NULL, 'H'},
      {"host-grace", required_argument, NULL, 'G'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  static char address[48];
  const char *listen = "127.0.0.1:8090";
  live.opt = (struct live_options){
      .log_file = "-", .ping_s = 20, .hangup_s = 50, .host_grace_s = 60};
  int opt;
  long long v;
  while ((opt = getopt_long(argc, argv, "c:l:p:o:h", longs, NULL)) != -1) {
    switch (opt) {
    case 'c':
      live.opt.config = optarg;
      break;
    case 'l':
      listen = optarg;
      break;
    case 'p':
      live.opt.pid_file = optarg;
      break;
    case 'o':
      live.opt.log_file = optarg;
      break;
    case 'P':
    case 'H':
    case 'G':
      if (str_parse_i64(optarg, 1, 3600, &v)) return -1;
      if (opt == 'P') live.opt.ping_s = (int)v;
      if (opt == 'H') live.opt.hangup_s = (int)v;
      if (opt == 'G') live.opt.host_grace_s = (int)v;
      break;
    default:
      return -1;
    }
  }
  const char *colon = strrchr(listen, ':');
  if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof address ||
      str_parse_i64(colon + 1, 1, 65535, &v) ||
      live.opt.hangup_s <= live.opt.ping_s)
    return -1;
  memcpy(address, listen, (size_t)(colon - listen));
  address[colon - listen] = '\0';
  live.opt.address = address;
  live.opt.port = (int)v;
  snprintf(live.node, sizeof live.node, "%s:%d", address, live.opt.port);
  return optind == argc ? 0 : -1;
}

static void write_pid(void) {
  if (!live.opt.pid_file) return;
  FILE *f = fopen(live.opt.pid_file, "w");
  if (f) {
    fprintf(f, "%ld\n", (long)getpid());
    fclose(f);
  }
}

/* drain: clients told to come back, what is pending written, rooms
 * checkpointed and their leases released. */
static void drain(void) {
  log_msg(LOG_INFO, "draining", NULL);
  live.draining = true;
  live.now = live_now();
  conn_close_all(WS_CLOSE_RESTART, "the server is restarting");
  time_t deadline = time(NULL) + DRAIN_SECONDS;
  while (ws_count() > 0 && time(NULL) < deadline)
    if (ws_service() < 0) break;
  store_finish();
  room_unload_all();
}

int main(int argc, char **argv) {
  if (options(argc, argv)) {
    usage();
    return 2;
  }
  if (rnd_init() || load(&live.cfg)) return 1;
  live.arena = arena_new(0);
  if (!live.arena || open_clients(&live.cfg, &live.db, &live.kv)) {
    log_msg(LOG_ERROR, "cannot set up the database or cache clients", NULL);
    return 1;
  }
  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  const struct ws_options wo = {.address = live.opt.address,
                                .port = live.opt.port,
                                .ping_s = live.opt.ping_s,
                                .hangup_s = live.opt.hangup_s,
                                .max_fds = open_files()};
  const struct ws_hooks hooks = {.open = conn_open,
                                 .message = conn_message,
                                 .closed = conn_closed,
                                 .tick = conn_tick};
  if (ws_start(&wo, &hooks)) {
    log_msg(LOG_ERROR, "cannot listen", "address", live.node, "err",
            strerror(errno), NULL);
    return 1;
  }
  if (events_start())
    log_msg(LOG_WARN, "events not read yet; will retry", NULL);
  write_pid();
  log_msg(LOG_INFO, "starting", "address", live.node, NULL);
  sdnotify_send("READY=1"); /* Type=notify: it listens */

  while (!got_term) {
    if (ws_service() < 0) break;
    if (got_hup) {
      got_hup = 0;
      sdnotify_send("RELOADING=1");
      reload();
      sdnotify_send("READY=1");
    }
  }
  sdnotify_send("STOPPING=1");
  drain();
  ws_finish();
  db_close(live.db);
  kv_close(live.kv);
  arena_free(live.arena);
  idmap_free(&live.users);
  if (live.opt.pid_file) unlink(live.opt.pid_file);
  log_msg(LOG_INFO, "stopped", NULL);
  cfg_free(&live.cfg);
  return 0;
}
