/* encore-noop: a FastCGI responder that answers every request with 204 and
 * does nothing else. Benchmarked through the same nginx as encore-api
 * (location /bench/noop), it measures the ceiling of the architecture:
 * nginx + FastCGI over a unix socket with no application work.
 *
 * Usage: encore-noop SOCKET [WORKERS]
 * The master opens SOCKET, forks WORKERS (default 2) processes that accept
 * requests, and on SIGTERM or SIGINT stops them, removes SOCKET and exits 0.
 * Like encore-api, it includes fcgiapp.h and therefore not config.h. */
#include <errno.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOOP_MAX_WORKERS 256

static volatile sig_atomic_t noop_stop;

static void noop_on_signal(int sig) {
  (void)sig;
  noop_stop = 1;
}

/* noop_serve: the worker loop; never returns. */
static void noop_serve(int fd) {
  FCGX_Request r;
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  if (FCGX_InitRequest(&r, fd, 0) != 0) _exit(1);
  while (FCGX_Accept_r(&r) >= 0) {
    FCGX_PutS("Status: 204 No Content\r\n\r\n", r.out);
    FCGX_Finish_r(&r);
  }
  _exit(0);
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: %s SOCKET [WORKERS]\n", argv[0]);
    return 2;
  }
  const char *path = argv[1];
  long n = argc == 3 ? strtol(argv[2], NULL, 10) : 2;
  if (n < 1 || n > NOOP_MAX_WORKERS) {
    fprintf(stderr, "%s: WORKERS must be 1..%d\n", argv[0], NOOP_MAX_WORKERS);
    return 2;
  }

  if (FCGX_Init() != 0) {
    fprintf(stderr, "%s: FCGX_Init failed\n", argv[0]);
    return 1;
  }
  unlink(path);
  int fd = FCGX_OpenSocket(path, 1024);
  if (fd < 0) {
    fprintf(stderr, "%s: cannot listen on %s\n", argv[0], path);
    return 1;
  }
  chmod(path, 0660);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = noop_on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  pid_t pids[NOOP_MAX_WORKERS];
  for (long i = 0; i < n; i++) {
    pids[i] = fork();
    if (pids[i] < 0) {
      perror("fork");
      noop_stop = 1;
      n = i;
      break;
    }
    if (pids[i] == 0) noop_serve(fd);
  }

  /* Wait for a signal; a worker that dies is not replaced (a benchmark
   * run should notice, not hide it). */
  while (!noop_stop) {
    pid_t p = wait(NULL);
    if (p < 0 && errno == ECHILD) break;
    for (long i = 0; i < n; i++)
      if (pids[i] == p) pids[i] = 0;
  }
  for (long i = 0; i < n; i++)
    if (pids[i] > 0) kill(pids[i], SIGTERM);
  while (wait(NULL) > 0 || errno == EINTR) {
  }
  unlink(path);
  return 0;
}
