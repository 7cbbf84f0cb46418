/* check.c: the insights' rollups against the listens (trends.h). The
 * rollups are kept in the transaction of every listen stored or deleted
 * through listen.c; listens that change otherwise (a track deleted takes
 * its listens with it, a bulk load, a scrobble matched later) leave
 * months whose count disagrees with their row. Every run counts each
 * user's listens per UTC month while it reads them anyway, compares with
 * the month rows and makes the months that differ again (at most
 * CHECK_REPAIR_MAX a run; the next run goes on). A listen stored while the
 * run reads only makes its month look different: making it again is
 * harmless. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch/trends/trends.h"
#include "core/arena.h"
#include "core/db.h"
#include "core/timefmt.h"
#include "core/tz.h"
#include "model/insight.h"

#define CHECK_REPAIR_MAX 20000

struct slot {
  int64_t user; /* 0: empty (user ids start at 1) */
  int32_t month;
  int32_t seen;
  int64_t count;
};

struct trends_check {
  struct slot *s;
  int64_t cap, n;
  /* the last day seen and its month: listens come roughly by time */
  long long day;
  int32_t month;
};

struct trends_check *trends_check_new(void) {
  struct trends_check *c = calloc(1, sizeof *c);
  if (c) c->day = -1;
  return c;
}

void trends_check_free(struct trends_check *c) {
  if (!c) return;
  free(c->s);
  free(c);
}

static uint64_t hash(int64_t user, int32_t month) {
  return ((uint64_t)user * 0x9e3779b97f4a7c15ULL) ^
         ((uint64_t)(uint32_t)month * 0xc2b2ae3d27d4eb4fULL);
}

static struct slot *find(struct trends_check *c, int64_t user, int32_t month,
                         int create) {
  if (create && (c->n + 1) * 2 > c->cap) {
    int64_t nc = c->cap ? c->cap * 2 : 1 << 16;
    struct slot *ns = calloc((size_t)nc, sizeof *ns);
    if (!ns) {
      fputs("encore-trends: out of memory\n", stderr);
      exit(1);
    }
    for (int64_t i = 0; i < c->cap; i++) {
      if (!c->s[i].user) continue;
      int64_t k = (int64_t)(hash(c->s[i].user, c->s[i].month) % (uint64_t)nc);
      while (ns[k].user)
        k = (k + 1) % nc;
      ns[k] = c->s[i];
    }
    free(c->s);
    c->s = ns;
    c->cap = nc;
  }
  if (!c->cap) return NULL;
  int64_t k = (int64_t)(hash(user, month) % (uint64_t)c->cap);
  while (c->s[k].user && (c->s[k].user != user || c->s[k].month != month))
    k = (k + 1) % c->cap;
  if (!c->s[k].user) {
    if (!create) return NULL;
    c->s[k] = (struct slot){.user = user, .month = month};
    c->n++;
  }
  return &c->s[k];
}

void trends_check_listen(struct trends_check *c, int64_t user, long long ms) {
  long long day = ms >= 0 ? ms / TRENDS_DAY_MS : (ms + 1) / TRENDS_DAY_MS - 1;
  if (day != c->day) {
    int y, m, d;
    tz_civil(day, &y, &m, &d);
    c->day = day;
    c->month = (int32_t)timefmt_days_from_civil(y, m, 1);
  }
  struct slot *s = find(c, user, c->month, 1);
  if (s) s->count++;
}

/* What the month rows say, and the months to make again. */
struct compare {
  struct trends_check *c;
  int64_t *user;
  int32_t *month;
  long long n, rows;
};

static void want(struct compare *x, int64_t user, int32_t month) {
  if (x->n >= CHECK_REPAIR_MAX) return;
  x->user[x->n] = user;
  x->month[x->n++] = month;
}

static int row(void *ctx, const struct db_row *r, int ncols) {
  struct compare *x = ctx;
  (void)ncols;
  int64_t user = db_i64(r, 0, 0);
  int32_t month = (int32_t)db_i64(r, 1, 0);
  struct slot *s = find(x->c, user, month, 0);
  x->rows++;
  if (s) s->seen = 1;
  if (!s || s->count != db_i64(r, 2, -1)) want(x, user, month);
  return 0;
}

int trends_check_run(struct db *d, struct trends_check *c, long long *months,
                     long long *repaired) {
  static const char sql[] =
      "SELECT user_id, start, listens FROM insight_rollups WHERE span = 2";
  struct compare x = {.c = c};
  int rc = 0;
  x.user = malloc(sizeof *x.user * CHECK_REPAIR_MAX);
  x.month = malloc(sizeof *x.month * CHECK_REPAIR_MAX);
  struct arena *a = arena_new(0);
  *months = c->n;
  *repaired = 0;
  if (!x.user || !x.month || !a || db_stream(d, sql, sizeof sql - 1, row, &x)) {
    fprintf(stderr, "encore-trends: reading the insights' months failed\n");
    rc = -1;
  }
  for (int64_t i = 0; !rc && i < c->cap; i++) /* months without a row */
    if (c->s[i].user && !c->s[i].seen) want(&x, c->s[i].user, c->s[i].month);
  for (long long i = 0; !rc && i < x.n; i++) {
    arena_reset(a);
    if (insight_rebuild_month(d, a, x.user[i], x.month[i])) {
      fprintf(stderr,
              "encore-trends: making user %lld's month again "
              "failed\n",
              (long long)x.user[i]);
      rc = -1;
    } else {
      (*repaired)++;
    }
  }
  free(x.user);
  free(x.month);
  arena_free(a);
  return rc;
}
