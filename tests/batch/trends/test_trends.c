/* test_trends: encore-trends' ranking without a database: the score (an
 * item going from 1 to 3 plays never beats one going from 1,000 to 3,000,
 * steady items score nothing however popular, new releases get their
 * boost), and trends_rank / trends_chart over a made-up world of planted
 * rising, popular and noisy items, overall and per genre. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "batch/trends/trends.h"
#include "t.h"

static void scores(void) {
  double w = TRENDS_DAY_HOURS, b = TRENDS_DAY_BASE_HOURS;
  /* baselines given per day: the baseline window is 7 days */
  double small = trends_score(3, 1 * 7, w, b, -1);
  double large = trends_score(3000, 1000 * 7, w, b, -1);
  CHECK(large > small);
  CHECK(large > 1.0);
  CHECK(trends_score(3000, 3000 * 7, w, b, -1) == 0);   /* steady */
  CHECK(trends_score(3100, 3000 * 7, w, b, -1) < 0.05); /* noise */
  CHECK(trends_score(2, 0, w, b, -1) == 0);             /* too few */
  CHECK(trends_score(50, 0, w, b, -1) > trends_score(50, 20 * 7, w, b, -1));
  double fresh = trends_score(100, 10 * 7, w, b, 0);
  double older = trends_score(100, 10 * 7, w, b, 20);
  double plain = trends_score(100, 10 * 7, w, b, -1);
  CHECK(fresh > older && older > plain);
  CHECK(trends_score(100, 10 * 7, w, b, TRENDS_NEW_DAYS) == plain);
  /* falling items are never listed */
  CHECK(trends_score(10, 100 * 7, w, b, 0) == 0);
}

/* A world of n tracks without albums or artists. */
static void world(struct trends_world *w, int n) {
  memset(w, 0, sizeof *w);
  trends_world_init(w, 1700000000000LL - 1700000000000LL % TRENDS_HOUR_MS);
  for (int k = 0; k < TRENDS_KINDS; k++) {
    struct trends_items *it = &w->items[k];
    int m = k == TRENDS_TRACKS ? n : 0;
    it->n = m;
    it->id = calloc((size_t)m + 1, sizeof *it->id);
    it->c = calloc((size_t)m + 1, sizeof *it->c);
    it->gptr = calloc((size_t)m + 2, sizeof *it->gptr);
    it->genre = calloc((size_t)m + 1, sizeof *it->genre);
    for (int i = 0; i < m; i++) {
      it->id[i] = 1000 + i;
      it->genre[i] = 1 + i % 3; /* genres 1, 2, 3 */
      it->gptr[i + 1] = i + 1;
    }
  }
}

static uint64_t rng = 7;
static double noise(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (double)(rng % 2001) / 1000.0 - 1.0; /* [-1, 1] */
}

static void ranking(void) {
  struct trends_world w;
  world(&w, 3000);
  struct trends_counts *c = w.items[TRENDS_TRACKS].c;
  for (int i = 0; i < 3000; i++) {
    /* everyone: a steady rate with Poisson-sized noise */
    double rate = 5 + (i % 50);
    c[i].base[TRENDS_DAY] = (float)(rate * 7);
    c[i].recent[TRENDS_DAY] =
        (float)(rate + noise() * 2 * __builtin_sqrt(rate));
    c[i].base[TRENDS_WEEK] = (float)(rate * 28);
    c[i].recent[TRENDS_WEEK] =
        (float)(rate * 7 + noise() * 2 * __builtin_sqrt(rate * 7));
    c[i].chart[TRENDS_WEEK_NOW] = (uint32_t)(rate * 7);
  }
  for (int i = 0; i < 10; i++) { /* planted: popular and steady */
    c[i].base[TRENDS_DAY] = 5000 * 7;
    c[i].recent[TRENDS_DAY] = 5000 + 60 * (float)noise();
    c[i].chart[TRENDS_WEEK_NOW] = 35000 + (uint32_t)i;
  }
  for (int i = 10; i < 20; i++) { /* planted: rising */
    c[i].base[TRENDS_DAY] = 10 * 7;
    c[i].recent[TRENDS_DAY] = 150 + (float)i;
  }
  struct trends_list *lists;
  int n;
  CHECK_INT(trends_rank(&w, &lists, &n), 0);
  const struct trends_list *overall = NULL;
  int genres = 0;
  for (int i = 0; i < n; i++) {
    if (lists[i].kind == TRENDS_TRACKS && lists[i].win == TRENDS_DAY) {
      if (lists[i].genre == 0)
        overall = &lists[i];
      else
        genres++;
      for (int e = 1; e < lists[i].n; e++)
        CHECK(lists[i].e[e - 1].score >= lists[i].e[e].score);
    }
  }
  CHECK(overall != NULL);
  CHECK_INT(genres, 3);
  if (overall) {
    CHECK(overall->n >= 10);
    for (int e = 0; e < 10 && e < overall->n; e++)
      CHECK(overall->e[e].item >= 10 && overall->e[e].item < 20);
    for (int e = 0; e < overall->n; e++)
      CHECK(overall->e[e].item >= 10); /* the popular never */
  }
  for (int i = 0; i < n; i++) /* a genre's list holds its genre only */
    if (lists[i].genre)
      for (int e = 0; e < lists[i].n; e++)
        CHECK_INT(1 + lists[i].e[e].item % 3, lists[i].genre);
  free(lists);
  int idx[TRENDS_LIST_MAX];
  int m = trends_chart(&w, TRENDS_TRACKS, TRENDS_WEEK_NOW, idx);
  CHECK_INT(m, TRENDS_LIST_MAX);
  for (int i = 0; i < 10; i++)
    CHECK_INT(idx[i], 9 - i); /* the most played, most first */
  trends_world_free(&w);
}

static void periods(void) {
  struct trends_world w;
  /* Wednesday 2024-03-13 10:00 UTC */
  trends_world_init(&w, 1710324000000LL);
  CHECK_INT(w.period_ms[TRENDS_WEEK_NOW], 1710115200000LL);     /* Mon 11 */
  CHECK_INT(w.period_ms[TRENDS_WEEK_BEFORE], 1709510400000LL);  /* Mon 4 */
  CHECK_INT(w.period_ms[TRENDS_MONTH_NOW], 1709251200000LL);    /* Mar 1 */
  CHECK_INT(w.period_ms[TRENDS_MONTH_BEFORE], 1706745600000LL); /* Feb 1 */
  CHECK(w.from_ms <= w.period_ms[TRENDS_MONTH_BEFORE]);
}

int main(void) {
  scores();
  ranking();
  periods();
  T_DONE();
}
