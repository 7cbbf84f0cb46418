/* live_client: the load generator of the live benchmark
 * (tests/bench/live_load.py runs it): thousands of WebSocket connections to
 * encore-live through nginx's plain HTTP port, from one thread over epoll
 * with non-blocking sockets and nothing but libc, so that the client is not
 * what the benchmark measures.
 *
 *   live_client --port N [--host ADDR] [--join-rate R] [--chat-rate R]
 *               [--seconds S] [--rest S] [--drain S] [--join-timeout S]
 *               [--sources N] < PLAN
 *
 * --host, an IPv4 address, is nginx's (127.0.0.1), --port its plain HTTP
 * port; the rates are a second (joins 250, chat 1,000, chat 0: none); the
 * times are seconds (the chat 60, the rest before it 5, the drain after
 * it 2, a join's timeout 60); --sources loopback addresses (200). Numbers
 * out of their bounds, or a plan line that is not "PARTY_ID TOKEN", are
 * a usage error.
 *
 * PLAN, on standard input, read to its end before the first connection:
 * one line per connection, "PARTY_ID TOKEN", the access token of a member
 * of party PARTY_ID.
 *
 *  1. Joins. Connection i starts i / join-rate seconds after the start: a
 *     TCP connect from loopback source address i mod --sources (127.10.1.1,
 *     127.10.1.2, ..., 100 to a third byte: nginx limits upgrades per
 *     address), the upgrade (GET /api/v1/live?party=ID, the token as the
 *     subprotocol "bearer.TOKEN" beside "encore-live"), its 101, `ready`,
 *     a `join`, the `snapshot`. The join time runs from the connect to the
 *     snapshot. A connection without its snapshot --join-timeout seconds
 *     after its connect fails, as does one refused or closed before.
 *  2. Once every connection joined or failed, --rest seconds of quiet;
 *     then "joined N" on standard output, flushed, N the connections
 *     joined and open (the caller reads encore-live's memory then).
 *  3. Chat for --seconds at --chat-rate messages a second in all, on a
 *     schedule fixed from its start (a late send does not delay the next):
 *     message K is {"type":"chat","text":"b SEND_NS K"}, sent by the next
 *     joined connection of a shuffled round. encore-live refuses a
 *     member's chat past a bucket of 10 refilled 2 a second
 *     (src/live/live.h): a connection whose mirrored bucket would go under
 *     one spare token is passed over, and a message no connection may send
 *     is held (not sent, counted). encore-live sends a chat message to
 *     every member of the party, its sender included; every chat frame
 *     received notes the latest receipt of its K: the fan-out of K is its
 *     send to its last member's receipt.
 *  4. --drain seconds for the last receipts; then the results, and exit.
 * Pings are answered with pongs of the same payload, a close frame with a
 * close; fragmented messages are reassembled, frames of any length read
 * across as many reads as they take. All times are CLOCK_MONOTONIC.
 *
 * Results on standard output, one record a line, "RECORD NAME VALUE ...":
 *   joins ok N failed N p50_ms X p95_ms X p99_ms X start_lag_max_ms X
 *   open after_hold N lost N
 *   chat sent N seconds X per_s X refused N errors N held N lag_p99_ms X
 *        lag_max_ms X
 *   fanout delivered N complete N receipts N expected N p50_ms X p95_ms X
 *          p99_ms X
 *   cpu user_s X sys_s X chat_user_s X chat_sys_s X chat_wall_s X wall_s X
 * start_lag: how late a connect began behind its schedule; lost: joined,
 * then closed before the end; refused: chat answered by an `error` `flood`;
 * errors: other `error` messages to joined connections; lag: how late a
 * chat message left behind its schedule; delivered: messages received by
 * at least one member; complete: by every member joined when it was sent;
 * receipts and expected: chat frames received, and members joined at each
 * send summed; cpu: this process's own (getrusage), in all and during the
 * chat. The first failures are told on standard error.
 *
 * Exit status: 0 after a run, whatever failed in it; 1 when the client
 * itself cannot run (epoll, memory); 2 for a usage or plan error. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "live_client.h"

    struct bench bench;

long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * NS + t.tv_nsec;
}

/* rnd: the next of a splitmix64 sequence (keys and masks, not secrets). */
uint64_t rnd(void) {
  uint64_t z = (bench.rng += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* --- the chat ------------------------------------------------------------- */

/* speaker: the next connection of the round that may chat at now without
 * going under its spare token (its mirrored bucket refilled); NULL when
 * none may. */
static struct conn *speaker(long long now) {
  for (int k = 0; k < bench.norder; k++) {
    struct conn *c = bench.order[bench.turn];
    bench.turn = (bench.turn + 1) % bench.norder;
    if (c->state != S_JOINED) continue;
    c->tokens += (double)(now - c->tokens_at) * CHAT_RATE / (double)NS;
    if (c->tokens > CHAT_BURST) c->tokens = CHAT_BURST;
    c->tokens_at = now;
    if (c->tokens >= 1 + CHAT_SPARE) {
      c->tokens -= 1;
      return c;
    }
  }
  return NULL;
}

/* chat_begin: the joins done and rested: "joined N", the round shuffled. */
static void chat_begin(long long now) {
  bench.order = malloc(sizeof *bench.order * (size_t)(bench.n ? bench.n : 1));
  if (!bench.order) {
    perror("live_client");
    exit(1);
  }
  for (int i = 0; i < bench.n; i++)
    if (bench.conns[i].state == S_JOINED)
      bench.order[bench.norder++] = &bench.conns[i];
  for (int i = bench.norder - 1; i > 0; i--) {
    int j = (int)(rnd() % (uint64_t)(i + 1));
    struct conn *t = bench.order[i];
    bench.order[i] = bench.order[j];
    bench.order[j] = t;
  }
  printf("joined %d\n", bench.norder);
  fflush(stdout);
  getrusage(RUSAGE_SELF, &bench.chat_ru0);
  bench.chat_start = now;
  bench.chat_end = now + (long long)(bench.opt.seconds * NS);
  bench.phase = P_CHAT;
}

static long long chat_due(long long k) {
  return bench.chat_start + (long long)((double)k * NS / bench.opt.chat_rate);
}

/* chat_send: message number bench.nsent, scheduled at due. */
static void chat_send(long long due) {
  long long now = now_ns();
  struct conn *c = speaker(now);
  if (!c) {
    bench.held++;
    return;
  }
  if (bench.nsent == bench.capsent) {
    long long cap = bench.capsent ? bench.capsent * 2 : 4096;
    struct sent *s = realloc(bench.sent, sizeof *s * (size_t)cap);
    if (!s) {
      perror("live_client");
      exit(1);
    }
    bench.sent = s;
    bench.capsent = cap;
  }
  long long k = bench.nsent++;
  bench.sent[k] = (struct sent){
      .due = due, .at = now, .expect = bench.parties[c->party].open};
  char text[96];
  int n = snprintf(text, sizeof text,
                   "{\"type\":\"chat\",\"text\":\"b %lld %lld\"}", now, k);
  frame_out(c, 1, text, (size_t)n);
  settle(c);
}

/* --- the schedule --------------------------------------------------------- */

static long long join_due(int i) {
  return bench.t0 + (long long)((double)i * NS / bench.opt.join_rate);
}

/* step: everything due at now: connects, the sweep, the phases, chat. */
static void step(long long now) {
  if (bench.phase == P_JOIN) {
    while (bench.next_join < bench.n && join_due(bench.next_join) <= now) {
      long long late = now - join_due(bench.next_join);
      if (late > bench.start_lag_max) bench.start_lag_max = late;
      conn_start(&bench.conns[bench.next_join], bench.next_join, now_ns());
      bench.next_join++;
    }
    if (now >= bench.sweep_at) {
      sweep(now);
      bench.sweep_at = now + NS;
    }
    if (bench.next_join == bench.n && bench.pending == 0) {
      bench.phase = P_REST;
      bench.chat_start = now + (long long)(bench.opt.rest * NS);
    }
  }
  if (bench.phase == P_REST && now >= bench.chat_start) chat_begin(now);
  if (bench.phase == P_CHAT) {
    while (bench.opt.chat_rate > 0) {
      long long due = chat_due(bench.next_chat);
      if (due > now || due >= bench.chat_end) break;
      chat_send(due);
      bench.next_chat++;
    }
    if (now >= bench.chat_end) {
      getrusage(RUSAGE_SELF, &bench.chat_ru1);
      bench.chat_wall = now - bench.chat_start;
      bench.drain_end = now + (long long)(bench.opt.drain * NS);
      bench.phase = P_DRAIN;
    }
  }
  if (bench.phase == P_DRAIN && now >= bench.drain_end) bench.phase = P_END;
}

/* deadline: when step has something to do next. */
static long long deadline(void) {
  long long t = bench.t0;
  switch (bench.phase) {
  case P_JOIN:
    t = bench.sweep_at;
    if (bench.next_join < bench.n && join_due(bench.next_join) < t)
      t = join_due(bench.next_join);
    break;
  case P_REST:
    t = bench.chat_start;
    break;
  case P_CHAT:
    t = bench.chat_end;
    if (bench.opt.chat_rate > 0 && chat_due(bench.next_chat) < t)
      t = chat_due(bench.next_chat);
    break;
  case P_DRAIN:
    t = bench.drain_end;
    break;
  case P_END:
    break;
  }
  return t;
}

/* arm: the timer set to fire at `at` (absolute, CLOCK_MONOTONIC). */
static void arm(long long at) {
  if (at == bench.armed) return;
  if (at < 1) at = 1; /* zero would disarm it */
  struct itimerspec its = {.it_value = {.tv_sec = at / NS, .tv_nsec = at % NS}};
  if (timerfd_settime(bench.timer, TFD_TIMER_ABSTIME, &its, NULL)) {
    perror("live_client: timerfd_settime");
    exit(1);
  }
  bench.armed = at;
}

/* --- results -------------------------------------------------------------- */

static int cmp_ll(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return (x > y) - (x < y);
}

/* pct_ms: the p-th percentile of xs (n sorted, ns) in ms, as
 * live_load.py takes it; NaN for none. */
static double pct_ms(const long long *xs, long long n, int p) {
  if (!n) return NAN;
  long long i = n * p / 100;
  return (double)xs[i < n ? i : n - 1] / 1e6;
}

static double cpu_s(const struct timeval *t) {
  return (double)t->tv_sec + (double)t->tv_usec / 1e6;
}

static void report(long long end) {
  long long n = bench.nsent;
  long long *lag = malloc(sizeof *lag * (size_t)(n ? n : 1));
  long long *fan = malloc(sizeof *fan * (size_t)(n ? n : 1));
  if (!lag || !fan) {
    perror("live_client");
    exit(1);
  }
  long long delivered = 0, complete = 0, receipts = 0, expected = 0;
  for (long long k = 0; k < n; k++) {
    const struct sent *m = &bench.sent[k];
    lag[k] = m->at - m->due;
    if (m->got) fan[delivered++] = m->last - m->at;
    complete += m->got >= m->expect;
    receipts += m->got;
    expected += m->expect;
  }
  qsort(lag, (size_t)n, sizeof *lag, cmp_ll);
  qsort(fan, (size_t)delivered, sizeof *fan, cmp_ll);
  qsort(bench.join_ns, (size_t)bench.joined, sizeof *bench.join_ns, cmp_ll);
  int open = 0;
  for (int i = 0; i < bench.n; i++)
    open += bench.conns[i].state == S_JOINED;
  double chat_s = (double)bench.chat_wall / (double)NS;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("joins ok %d failed %d p50_ms %.1f p95_ms %.1f p99_ms %.1f "
         "start_lag_max_ms %.1f\n",
         bench.joined, bench.failed, pct_ms(bench.join_ns, bench.joined, 50),
         pct_ms(bench.join_ns, bench.joined, 95),
         pct_ms(bench.join_ns, bench.joined, 99),
         (double)bench.start_lag_max / 1e6);
  printf("open after_hold %d lost %d\n", open, bench.lost);
  printf("chat sent %lld seconds %.2f per_s %.1f refused %lld errors %lld "
         "held %lld lag_p99_ms %.2f lag_max_ms %.2f\n",
         n, chat_s, chat_s > 0 ? (double)n / chat_s : 0.0, bench.refused,
         bench.errors, bench.held, pct_ms(lag, n, 99),
         n ? (double)lag[n - 1] / 1e6 : NAN);
  printf("fanout delivered %lld complete %lld receipts %lld expected %lld "
         "p50_ms %.1f p95_ms %.1f p99_ms %.1f\n",
         delivered, complete, receipts, expected, pct_ms(fan, delivered, 50),
         pct_ms(fan, delivered, 95), pct_ms(fan, delivered, 99));
  printf("cpu user_s %.2f sys_s %.2f chat_user_s %.2f chat_sys_s %.2f "
         "chat_wall_s %.2f wall_s %.1f\n",
         cpu_s(&ru.ru_utime), cpu_s(&ru.ru_stime),
         cpu_s(&bench.chat_ru1.ru_utime) - cpu_s(&bench.chat_ru0.ru_utime),
         cpu_s(&bench.chat_ru1.ru_stime) - cpu_s(&bench.chat_ru0.ru_stime),
         chat_s, (double)(end - bench.t0) / (double)NS);
  fflush(stdout);
  free(lag);
  free(fan);
}

/* --- the command line and the plan --------------------------------------- */

static void usage(const char *why, const char *arg) {
  if (why) fprintf(stderr, "live_client: %s%s\n", why, arg ? arg : "");
  fputs("usage: live_client --port N [--host ADDR] [--join-rate R]\n"
        "         [--chat-rate R] [--seconds S] [--rest S] [--drain S]\n"
        "         [--join-timeout S] [--sources N] < PLAN\n"
        "PLAN: one line per connection, \"PARTY_ID TOKEN\"\n",
        why ? stderr : stdout);
  exit(why ? 2 : 0);
}

/* number: s as a number from lo to hi, or a usage error naming opt. */
static double number(const char *opt, const char *s, double lo, double hi) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || *end || errno || !isfinite(v) || v < lo || v > hi) {
    char why[128];
    snprintf(why, sizeof why, "--%s: a number from %g to %g, not ", opt, lo,
             hi);
    usage(why, s);
  }
  return v;
}

static int whole(const char *opt, const char *s, int lo, int hi) {
  double v = number(opt, s, lo, hi);
  if (v != (double)(int)v) {
    char why[64];
    snprintf(why, sizeof why, "--%s: a whole number, not ", opt);
    usage(why, s);
  }
  return (int)v;
}

static void parse_args(int argc, char **argv) {
  static const struct option longs[] = {
      {"host", required_argument, NULL, 'H'},
      {"port", required_argument, NULL, 'p'},
      {"join-rate", required_argument, NULL, 'j'},
      {"chat-rate", required_argument, NULL, 'c'},
      {"seconds", required_argument, NULL, 's'},
      {"rest", required_argument, NULL, 'r'},
      {"drain", required_argument, NULL, 'd'},
      {"join-timeout", required_argument, NULL, 't'},
      {"sources", required_argument, NULL, 'S'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  struct options *o = &bench.opt;
  *o = (struct options){.join_rate = 250,
                        .chat_rate = 1000,
                        .seconds = 60,
                        .rest = 5,
                        .drain = 2,
                        .join_timeout = 60,
                        .sources = 200};
  o->host.s_addr = htonl(INADDR_LOOPBACK);
  int ch;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
    switch (ch) {
    case 'H':
      if (inet_pton(AF_INET, optarg, &o->host) != 1)
        usage("--host: an IPv4 address, not ", optarg);
      break;
    case 'p':
      o->port = whole("port", optarg, 1, 65535);
      break;
    case 'j':
      o->join_rate = number("join-rate", optarg, 0.01, 100000);
      break;
    case 'c':
      o->chat_rate = number("chat-rate", optarg, 0, 100000);
      break;
    case 's':
      o->seconds = number("seconds", optarg, 0, 86400);
      break;
    case 'r':
      o->rest = number("rest", optarg, 0, 3600);
      break;
    case 'd':
      o->drain = number("drain", optarg, 0, 3600);
      break;
    case 't':
      o->join_timeout = number("join-timeout", optarg, 0.1, 3600);
      break;
    case 'S':
      o->sources = whole("sources", optarg, 1, 25400);
      break;
    case 'h':
      usage(NULL, NULL);
      break;
    default:
      usage("an unknown option or one without its value: ", argv[optind - 1]);
    }
  }
  if (optind < argc) usage("an unexpected argument: ", argv[optind]);
  if (!o->port) usage("--port is required", NULL);
}

static int cmp_party(const void *a, const void *b) {
  long long x = ((const struct party *)a)->id,
            y = ((const struct party *)b)->id;
  return (x > y) - (x < y);
}

static bool token_char(unsigned char ch) {
  return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
         (ch >= '0' && ch <= '9') || strchr("._~+/=-", ch);
}

static void plan_error(int line, const char *why) {
  fprintf(stderr, "live_client: plan line %d: %s (\"PARTY_ID TOKEN\")\n", line,
          why);
  exit(2);
}

/* read_plan: standard input's connections; their parties, each once. */
static void read_plan(void) {
  size_t cap = 1 << 20, len = 0;
  char *p = malloc(cap);
  for (;;) {
    if (p && len + 1 >= cap) p = realloc(p, cap *= 2);
    if (!p) {
      perror("live_client");
      exit(1);
    }
    ssize_t r = read(0, p + len, cap - len - 1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      perror("live_client: standard input");
      exit(1);
    }
    if (r == 0) break;
    len += (size_t)r;
  }
  p[len] = '\0';
  bench.plan = p;
  int lines = 1;
  for (size_t i = 0; i < len; i++)
    lines += p[i] == '\n';
  bench.conns = calloc((size_t)lines, sizeof *bench.conns);
  long long *ids = calloc((size_t)lines, sizeof *ids);
  if (!bench.conns || !ids) {
    perror("live_client");
    exit(1);
  }
  char *line = p;
  for (int no = 1; line; no++) {
    char *next = strchr(line, '\n');
    if (next) *next++ = '\0';
    size_t n = strlen(line);
    while (n && strchr(" \t\r", line[n - 1]))
      line[--n] = '\0';
    if (n) {
      char *sp = strpbrk(line, " \t");
      if (!sp) plan_error(no, "no token");
      *sp++ = '\0';
      sp += strspn(sp, " \t");
      char *end;
      errno = 0;
      long long id = strtoll(line, &end, 10);
      if (end == line || *end || errno || id < 1 || id > PARTY_MAX)
        plan_error(no, "the party id is not a positive number");
      size_t t = strlen(sp);
      if (!t || t > TOKEN_MAX) plan_error(no, "the token is empty or too long");
      for (size_t i = 0; i < t; i++)
        if (!token_char((unsigned char)sp[i]))
          plan_error(no, "the token has a character no token has");
      if (bench.n >= 1000000) plan_error(no, "more than 1,000,000 connections");
      ids[bench.n] = id;
      bench.conns[bench.n++] = (struct conn){.fd = -1, .token = sp};
    }
    line = next;
  }
  if (!bench.n) plan_error(1, "no connection planned");
  /* The parties, sorted, each once; each connection's index in them. */
  bench.parties = calloc((size_t)bench.n, sizeof *bench.parties);
  if (!bench.parties) {
    perror("live_client");
    exit(1);
  }
  for (int i = 0; i < bench.n; i++)
    bench.parties[i].id = ids[i];
  qsort(bench.parties, (size_t)bench.n, sizeof *bench.parties, cmp_party);
  for (int i = 0; i < bench.n; i++)
    if (!bench.nparties ||
        bench.parties[bench.nparties - 1].id != bench.parties[i].id)
      bench.parties[bench.nparties++] = bench.parties[i];
  for (int i = 0; i < bench.n; i++) {
    struct party key = {.id = ids[i]};
    const struct party *at = bsearch(
        &key, bench.parties, (size_t)bench.nparties, sizeof key, cmp_party);
    bench.conns[i].party = (int)(at - bench.parties);
  }
  free(ids);
  bench.join_ns = calloc((size_t)bench.n, sizeof *bench.join_ns);
  if (!bench.join_ns) {
    perror("live_client");
    exit(1);
  }
}

/* raise_files: the descriptors' soft limit up to the hard one. */
static void raise_files(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl)) return;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)bench.n + 16)
    fprintf(stderr,
            "live_client: %d connections, but %llu descriptors: the rest "
            "will fail\n",
            bench.n, (unsigned long long)rl.rlim_cur);
}

int main(int argc, char **argv) {
  parse_args(argc, argv);
  read_plan();
  raise_files();
  signal(SIGPIPE, SIG_IGN);
  if (getrandom(&bench.rng, sizeof bench.rng, 0) != sizeof bench.rng)
    bench.rng = (uint64_t)now_ns();
  bench.ep = epoll_create1(EPOLL_CLOEXEC);
  bench.timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  struct epoll_event tev = {.events = EPOLLIN, .data.ptr = NULL};
  if (bench.ep < 0 || bench.timer < 0 ||
      epoll_ctl(bench.ep, EPOLL_CTL_ADD, bench.timer, &tev)) {
    perror("live_client: epoll");
    return 1;
  }
  bench.armed = -1;
  bench.t0 = now_ns();
  bench.sweep_at = bench.t0 + NS;
  bench.phase = P_JOIN;
  struct epoll_event ev[256];
  for (;;) {
    step(now_ns());
    if (bench.phase == P_END) break;
    arm(deadline());
    int k = epoll_wait(bench.ep, ev, 256, 1000);
    if (k < 0 && errno != EINTR) {
      perror("live_client: epoll_wait");
      return 1;
    }
    for (int i = 0; i < k; i++) {
      if (!ev[i].data.ptr) { /* the timer: it is set again at its next */
        uint64_t fired;
        if (read(bench.timer, &fired, sizeof fired) < 0 && errno != EAGAIN)
          perror("live_client: timerfd");
        bench.armed = -1;
        continue;
      }
      conn_event(ev[i].data.ptr, ev[i].events);
    }
  }
  report(now_ns());
  for (int i = 0; i < bench.n; i++) {
    struct conn *c = &bench.conns[i];
    if (c->fd >= 0) close(c->fd);
    buf_free(&c->rx);
    buf_free(&c->tx);
    buf_free(&c->frag);
  }
  close(bench.ep);
  close(bench.timer);
  free(bench.conns);
  free(bench.parties);
  free(bench.join_ns);
  free(bench.order);
  free(bench.sent);
  free(bench.plan);
  return 0;
}
