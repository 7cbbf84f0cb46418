/* fcgi: the only file that includes fcgiapp.h (libfcgi's fcgi_config.h
 * clashes with autoconf's config.h, so neither is included here). libfcgi
 * neither caps nor retries reads: the body is bounded by body_max, read in
 * a loop and always drained, and the signals that stop a worker stay
 * blocked while a request is handled. */
#include "api/fcgi.h"

#include <errno.h>
#include <fcgiapp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api/req_impl.h"
#include "api/router.h"
#include "core/arena.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/str.h"

int fcgi_listen(const char *path, int mode, int backlog) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  strcpy(sa.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  unlink(path);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
      chmod(path, (mode_t)mode) < 0 || listen(fd, backlog) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

static long long now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* drain: read and drop whatever is left of the request body. */
static void drain(FCGX_Stream *in) {
  char buf[8192];
  while (FCGX_GetStr(buf, sizeof buf, in) > 0) {
  }
}

/* read_body: CONTENT_LENGTH bytes into the arena, unless over the cap. */
static void read_body(struct req *r, FCGX_Stream *in, long body_max) {
  const char *cl = req_env(r, "CONTENT_LENGTH");
  long long n = 0;
  if (!cl || !*cl || str_parse_i64(cl, 0, 1LL << 40, &n) || n == 0) return;
  if (n > body_max) {
    r->body_too_large = true;
    return;
  }
  char *buf = arena_alloc(r->a, (size_t)n + 1);
  if (!buf) {
    r->body_too_large = true;
    return;
  }
  size_t got = 0;
  while (got < (size_t)n) {
    int k = FCGX_GetStr(buf + got, (int)((size_t)n - got), in);
    if (k <= 0) break;
    got += (size_t)k;
  }
  buf[got] = '\0';
  r->body = buf;
  r->body_len = got;
}

/* copy_env: the request's parameters copied into the arena. FCGX_Finish_r
 * frees libfcgi's copy, and the access line and after-response work still
 * read them. */
static char **copy_env(struct arena *a, char **envp) {
  size_t n = 0;
  while (envp && envp[n])
    n++;
  char **env = arena_alloc(a, (n + 1) * sizeof *env);
  if (!env) return NULL;
  for (size_t i = 0; i < n; i++)
    if (!(env[i] = arena_strdup(a, envp[i]))) return NULL;
  env[n] = NULL;
  return env;
}

static void handle(FCGX_Request *fr, struct arena *a, long body_max) {
  struct req r;
  long long t0 = now_us();
  metrics_request_begin();
  char **env = copy_env(a, fr->envp);
  static char *none[] = {NULL};
  req_init(&r, a, env ? env : none);
  read_body(&r, fr->in, body_max);
  drain(fr->in);
  int status = router_dispatch(&r);

  size_t hlen = 0;
  const char *head = req_response_head(&r, &hlen);
  if (!head) {
    static const char oom[] = "Status: 500\r\nContent-Length: 0\r\n\r\n";
    FCGX_PutStr(oom, sizeof oom - 1, fr->out);
  } else {
    FCGX_PutStr(head, (int)hlen, fr->out);
    if (!r.head_request && r.resp_len)
      FCGX_PutStr(r.resp, (int)r.resp_len, fr->out);
  }
  FCGX_Finish_r(fr);
  metrics_request_end(router_route_index(&r), status, now_us() - t0);
  req_run_after(&r);
  if (!r.nolog || status >= 500)
    log_request(req_request_id(&r), r.method, router_route_pattern(&r), status,
                now_us() - t0, req_user_id(&r), status >= 400 ? r.error : NULL);
}

/* pending: is a connection waiting in the listen queue? */
static bool pending(int fd) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* arm: interrupt a blocking accept after ms milliseconds (0 disarms). */
static void arm(int ms) {
  struct itimerval t = {.it_value = {.tv_sec = 0, .tv_usec = ms * 1000}};
  setitimer(ITIMER_REAL, &t, NULL);
}

static void on_alarm(int sig) {
  (void)sig;
}

int fcgi_serve(int fd, long body_max, volatile sig_atomic_t *stop,
               void (*before)(void)) {
  FCGX_Request fr;
  sigset_t set;
  struct arena *a = arena_new(64 * 1024);
  if (!a || FCGX_Init() != 0 ||
      FCGX_InitRequest(&fr, fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
    arena_free(a);
    return -1;
  }
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, NULL);
  sigprocmask(SIG_BLOCK, &set, NULL);
  for (;;) {
    /* A stop signal that arrived during the last request is delivered
     * here, before the next accept. Once stopping, the worker still takes
     * the connections already queued on the socket (nginx sent them), and
     * leaves when the queue is empty; the timer ends an accept that lost
     * the race for the last one to another worker. */
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    bool armed = false;
    if (*stop) {
      if (!pending(fd)) break;
      arm(100);
      armed = true;
    }
    int rc = FCGX_Accept_r(&fr);
    if (armed) arm(0);
    sigprocmask(SIG_BLOCK, &set, NULL);
    if (rc < 0) {
      if (*stop) break;
      log_msg(LOG_WARN, "accept failed", "err", strerror(errno), NULL);
      usleep(10000);
      continue;
    }
    if (before) before();
    handle(&fr, a, body_max);
    arena_reset(a);
  }
  FCGX_Free(&fr, 0);
  arena_free(a);
  return 0;
}
