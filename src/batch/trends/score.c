/* score.c: what rises and what is most played (trends.h). The score of an
 * item in a window is
 *
 *   s = ln((r + a) / (e + a)) * (1 + 0.5 * (1 - age / 28))  (new releases)
 *   e = b * (window / baseline)
 *
 * with r its weighted events in the window, b those of its baseline (the 7
 * days before the last day; the 4 weeks before the last week), a =
 * TRENDS_PRIOR events. The prior is a Bayesian one: a pseudo-count at the
 * item's own rate, which keeps a small item's ratio near 1 (1 -> 3 plays
 * scores ln(23/21) = 0.09) while a large one's keeps its full ratio
 * (1,000 -> 3,000: ln(3020/1020) = 1.09). Steady items score about 0
 * however popular they are. An item is listed when it rises by
 * TRENDS_MIN_RISE events or more and scores TRENDS_MIN_SCORE. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "batch/trends/trends.h"

double trends_score(double recent, double base, double win_hours,
                    double base_hours, int release_age_days) {
  double expected = base * win_hours / base_hours;
  if (recent - expected < TRENDS_MIN_RISE) return 0;
  double s = log((recent + TRENDS_PRIOR) / (expected + TRENDS_PRIOR));
  if (release_age_days >= 0 && release_age_days < TRENDS_NEW_DAYS)
    s *= 1.0 +
         TRENDS_NEW_BOOST * (1.0 - (double)release_age_days / TRENDS_NEW_DAYS);
  return s >= TRENDS_MIN_SCORE ? s : 0;
}

static const double win_hours[TRENDS_WINS] = {TRENDS_DAY_HOURS,
                                              TRENDS_WEEK_HOURS};
static const double base_hours[TRENDS_WINS] = {TRENDS_DAY_BASE_HOURS,
                                               TRENDS_WEEK_BASE_HOURS};

/* A candidate: an item that rises, its score and id for the order. */
struct cand {
  int item;
  float score;
  int64_t id;
};

static int cmp_cand(const void *x, const void *y) {
  const struct cand *a = x, *b = y;
  if (a->score != b->score) return a->score < b->score ? 1 : -1;
  return (a->id > b->id) - (a->id < b->id);
}

/* candidates: the items of kind that rise in window w, best first. */
static struct cand *candidates(const struct trends_world *w, enum trends_kind k,
                               enum trends_win win, int *n) {
  const struct trends_items *it = &w->items[k];
  struct cand *c = malloc(sizeof *c * ((size_t)it->n + 1));
  long long today = w->until_ms / TRENDS_DAY_MS;
  *n = 0;
  if (!c) return NULL;
  for (int i = 0; i < it->n; i++) {
    const struct trends_counts *x = &it->c[i];
    if (x->recent[win] <= 0) continue;
    int age = -1;
    if (it->release && it->release[i] != INT32_MIN &&
        today - it->release[i] >= 0 && today - it->release[i] < 366)
      age = (int)(today - it->release[i]);
    double s = trends_score(x->recent[win], x->base[win], win_hours[win],
                            base_hours[win], age);
    if (s > 0)
      c[(*n)++] = (struct cand){.item = i, .score = (float)s, .id = it->id[i]};
  }
  qsort(c, (size_t)*n, sizeof *c, cmp_cand);
  return c;
}

/* The genres given lists: a small open-addressed map genre -> slot. */
struct genre_map {
  int32_t *key; /* 0: empty (genre ids start at 1) */
  int *val;
  int cap;
};

static int *genre_slot(struct genre_map *m, int32_t g) {
  unsigned s = (unsigned)g * 2654435761u % (unsigned)m->cap;
  while (m->key[s] && m->key[s] != g)
    s = (s + 1) % (unsigned)m->cap;
  if (!m->key[s]) {
    m->key[s] = g;
    m->val[s] = 0;
  }
  return &m->val[s];
}

struct genre_count {
  int32_t genre;
  int count;
};

static int cmp_count(const void *x, const void *y) {
  const struct genre_count *a = x, *b = y;
  if (a->count != b->count) return a->count < b->count ? 1 : -1;
  return (a->genre > b->genre) - (a->genre < b->genre);
}

/* push_list: a new empty list at the end of *lists. */
static struct trends_list *push_list(struct trends_list **lists, int *n,
                                     int *cap, enum trends_kind k,
                                     enum trends_win win, int64_t genre) {
  if (*n == *cap) {
    int nc = *cap ? *cap * 2 : 64;
    struct trends_list *nl = realloc(*lists, sizeof *nl * (size_t)nc);
    if (!nl) return NULL;
    *lists = nl;
    *cap = nc;
  }
  struct trends_list *l = &(*lists)[(*n)++];
  l->kind = k;
  l->win = win;
  l->genre = genre;
  l->n = 0;
  return l;
}

/* genre_lists: the per-genre lists of kind k in win from its candidates
 * c[0..n): for the TRENDS_GENRES_MAX genres with the most candidates. */
static int genre_lists(const struct trends_world *w, enum trends_kind k,
                       enum trends_win win, const struct cand *c, int n,
                       struct trends_list **lists, int *nl, int *cap) {
  const struct trends_items *it = &w->items[k];
  struct genre_map m = {.cap = 1 << 14};
  int rc = -1, ng = 0;
  m.key = calloc((size_t)m.cap, sizeof *m.key);
  m.val = calloc((size_t)m.cap, sizeof *m.val);
  struct genre_count *gc = NULL;
  if (!m.key || !m.val) goto out;
  for (int i = 0; i < n; i++)
    for (int64_t g = it->gptr[c[i].item]; g < it->gptr[c[i].item + 1]; g++) {
      if (ng >= m.cap / 2) break; /* more genres than kept: enough */
      int *v = genre_slot(&m, it->genre[g]);
      if (!(*v)++) ng++;
    }
  gc = malloc(sizeof *gc * ((size_t)ng + 1));
  if (!gc) goto out;
  ng = 0;
  for (int s = 0; s < m.cap; s++)
    if (m.key[s]) gc[ng++] = (struct genre_count){m.key[s], m.val[s]};
  qsort(gc, (size_t)ng, sizeof *gc, cmp_count);
  if (ng > TRENDS_GENRES_MAX) ng = TRENDS_GENRES_MAX;
  /* the slot of each kept genre is its list's index; others -1 */
  for (int s = 0; s < m.cap; s++)
    m.val[s] = -1;
  int first = *nl;
  for (int g = 0; g < ng; g++) {
    if (!push_list(lists, nl, cap, k, win, gc[g].genre)) goto out;
    *genre_slot(&m, gc[g].genre) = first + g;
  }
  for (int i = 0; i < n; i++)
    for (int64_t g = it->gptr[c[i].item]; g < it->gptr[c[i].item + 1]; g++) {
      unsigned s = (unsigned)it->genre[g] * 2654435761u % (unsigned)m.cap;
      while (m.key[s] && m.key[s] != it->genre[g])
        s = (s + 1) % (unsigned)m.cap;
      if (!m.key[s] || m.val[s] < 0) continue;
      struct trends_list *l = &(*lists)[m.val[s]];
      if (l->n < TRENDS_LIST_MAX)
        l->e[l->n++] = (struct trends_entry){c[i].item, c[i].score};
    }
  rc = 0;
out:
  free(m.key);
  free(m.val);
  free(gc);
  return rc;
}

int trends_rank(const struct trends_world *w, struct trends_list **lists,
                int *n) {
  int cap = 0;
  *lists = NULL;
  *n = 0;
  for (int k = 0; k < TRENDS_KINDS; k++)
    for (int win = 0; win < TRENDS_WINS; win++) {
      int nc;
      struct cand *c = candidates(w, k, win, &nc);
      struct trends_list *l = c ? push_list(lists, n, &cap, k, win, 0) : NULL;
      if (!l) {
        free(c);
        return -1;
      }
      for (int i = 0; i < nc && i < TRENDS_LIST_MAX; i++)
        l->e[l->n++] = (struct trends_entry){c[i].item, c[i].score};
      int rc = k == TRENDS_PLAYLISTS
                   ? 0
                   : genre_lists(w, k, win, c, nc, lists, n, &cap);
      free(c);
      if (rc) return -1;
    }
  return 0;
}

int trends_chart(const struct trends_world *w, enum trends_kind kind,
                 enum trends_period p, int *idx) {
  const struct trends_items *it = &w->items[kind];
  struct cand *c = malloc(sizeof *c * ((size_t)it->n + 1));
  int n = 0;
  if (!c) return 0;
  for (int i = 0; i < it->n; i++)
    if (it->c[i].chart[p])
      c[n++] = (struct cand){
          .item = i, .score = (float)it->c[i].chart[p], .id = it->id[i]};
  qsort(c, (size_t)n, sizeof *c, cmp_cand);
  if (n > TRENDS_LIST_MAX) n = TRENDS_LIST_MAX;
  for (int i = 0; i < n; i++)
    idx[i] = c[i].item;
  free(c);
  return n;
}
