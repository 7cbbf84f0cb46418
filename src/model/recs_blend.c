/* recs_blend: how the sources of an answer become one ranking: their
 * weights, the scaling that makes their scores comparable, the merge into
 * one candidate per item (its score the sum over the sources naming it, its
 * reasons the strongest fresh listen and the strongest other cause), and
 * with diversity the MMR re-ranking over artists and genres. */
#include <math.h>
#include <string.h>

#include "core/arena.h"
#include "core/rc.h"
#include "model/recs.h"
#include "model/recs_internal.h"

/* The weights of the sources, the one place the API's blend is decided.
 * The user's list (its weight 1) is already the hybrid's blend of its
 * models, made by encore-recs with weights of its own (where each is
 * decided: src/batch/recs/hybrid.h); here it is one source among others.
 * The list is scaled into [0.5, 1] (its worst entry still outranks the
 * filler); the newest fresh listen's closest neighbour gains `fresh`, more
 * than the list's best entry, so one listen visibly changes the answer;
 * older fresh listens a little less each. Preferences stand in for a list
 * a new user lacks. */
const struct recs_weights recs_weights = {
    .list = 1.0,
    .fresh = 1.25,
    .fresh_decay = 0.95,
    .pref_artist = 0.8,
    .pref_genre = 0.6,
    .popular = 0.2,
    .similar = 1.0,
    .similar_artist = 1.0,
    .similar_genre = 0.5,
};

int recs_map_init(struct arena *a, struct recs_idmap *m, size_t want) {
  size_t cap = 16;
  while (cap < 2 * want + 1)
    cap <<= 1;
  m->keys = arena_alloc(a, sizeof *m->keys * cap);
  m->vals = arena_alloc(a, sizeof *m->vals * cap);
  if (!m->keys || !m->vals) return RC_NOMEM;
  memset(m->keys, 0, sizeof *m->keys * cap);
  m->mask = (unsigned)cap - 1;
  return 0;
}

int *recs_map_slot(struct recs_idmap *m, long long key, bool insert) {
  unsigned h =
      (unsigned)(((unsigned long long)key * 0x9E3779B97F4A7C15ULL) >> 32) &
      m->mask;
  while (m->keys[h]) {
    if (m->keys[h] == key) return &m->vals[h];
    h = (h + 1) & m->mask;
  }
  if (!insert) return NULL;
  m->keys[h] = key;
  m->vals[h] = -1;
  return &m->vals[h];
}

struct recs_srcs *recs_srcs_new(struct arena *a) {
  struct recs_srcs *ss = arena_alloc(a, sizeof *ss);
  if (ss) ss->n = 0;
  return ss;
}

void recs_src_add(struct recs_srcs *ss, struct recfmt_entry *e, long n,
                  double w, enum recs_scaling sc, int reason,
                  long long reason_id) {
  if (n <= 0 || ss->n == RECS_SOURCES_MAX) return;
  struct recs_src *s = &ss->s[ss->n++];
  memset(s, 0, sizeof *s);
  s->e = e;
  s->n = n;
  s->w = w;
  s->sc = sc;
  s->reason = reason;
  s->reason_id = reason_id;
}

/* scale: the share of its source's best entry that entry k is worth. */
static double scale(const struct recs_src *s, long k) {
  double v = s->e[k].score;
  switch (s->sc) {
  case RECS_SCALE_RAW:
    return v;
  case RECS_SCALE_MINMAX:
    return s->hi > s->lo ? 0.5 + 0.5 * (v - s->lo) / (s->hi - s->lo) : 1.0;
  case RECS_SCALE_TOP:
    if (s->hi > 0 && v >= 0) return v / s->hi;
    break; /* no usable scores: by rank */
  case RECS_SCALE_RANK:
    break;
  }
  return 1.0 - 0.5 * (double)k / (double)s->n;
}

int recs_merge(struct arena *a, struct recs_srcs *ss, struct recs_cand **out,
               int *nout) {
  size_t total = 0;
  for (int i = 0; i < ss->n; i++)
    total += (size_t)ss->s[i].n;
  struct recs_idmap m;
  struct recs_cand *c = arena_alloc(a, sizeof *c * (total + 1));
  if (!c || recs_map_init(a, &m, total)) return RC_NOMEM;
  int n = 0;
  for (int i = 0; i < ss->n; i++) {
    struct recs_src *s = &ss->s[i];
    s->lo = s->hi = s->e[0].score;
    for (long k = 1; k < s->n; k++) {
      if (s->e[k].score < s->lo) s->lo = s->e[k].score;
      if (s->e[k].score > s->hi) s->hi = s->e[k].score;
    }
    for (long k = 0; k < s->n; k++) {
      const struct recfmt_entry *e = &s->e[k];
      if (e->item < 1 || e->item > 9007199254740992ULL) continue;
      int *slot = recs_map_slot(&m, (long long)e->item, true);
      if (*slot < 0) {
        *slot = n;
        memset(&c[n], 0, sizeof c[n]);
        c[n++].item = (long long)e->item;
      }
      struct recs_cand *x = &c[*slot];
      double v = s->w * scale(s, k);
      x->score += v;
      if (s->fresh) {
        if (v > x->fresh) {
          x->fresh = v;
          x->fresh_id = s->reason_id;
        }
      } else if (v > x->main || !x->main_reason) {
        x->main = v;
        x->main_reason = s->reason == RECS_REASON_OWN ? e->reason : s->reason;
        x->main_id = s->reason == RECS_REASON_OWN ? (long long)e->reason_id
                                                  : s->reason_id;
      }
    }
  }
  *out = c;
  *nout = n;
  return 0;
}

bool recs_has_genre(const struct recs_cand *c, long long genre) {
  for (int i = 0; i < c->ngenres; i++)
    if (c->genres[i] == genre) return true;
  return false;
}

/* similarity: of two items for MMR: a shared artist (tracks) and the
 * Jaccard overlap of their genres. */
static double similarity(enum recs_type t, const struct recs_cand *x,
                         const struct recs_cand *y) {
  int common = 0;
  for (int i = 0; i < x->ngenres; i++)
    common += recs_has_genre(y, x->genres[i]);
  int all = x->ngenres + y->ngenres - common;
  double jac = all ? (double)common / all : 0;
  if (t == RECS_ARTIST) return jac;
  return 0.5 * (x->artist && x->artist == y->artist) + 0.5 * jac;
}

void recs_mmr(struct arena *a, enum recs_type t, struct recs_cand **pool, int n,
              int limit, double diversity) {
  double best = pool[0]->score > 0 ? pool[0]->score : 1;
  double *maxsim = arena_alloc(a, sizeof *maxsim * (size_t)n);
  if (!maxsim) return; /* keep score order */
  for (int i = 0; i < n; i++)
    maxsim[i] = 0;
  for (int k = 0; k < limit && k < n; k++) {
    int pick = k;
    double pv = -INFINITY;
    for (int i = k; i < n; i++) {
      double v =
          (1 - diversity) * pool[i]->score / best - diversity * maxsim[i];
      if (v > pv) {
        pv = v;
        pick = i;
      }
    }
    struct recs_cand *c = pool[pick];
    double ms = maxsim[pick];
    pool[pick] = pool[k];
    maxsim[pick] = maxsim[k];
    pool[k] = c;
    maxsim[k] = ms;
    for (int i = k + 1; i < n; i++) {
      double s = similarity(t, pool[i], c);
      if (s > maxsim[i]) maxsim[i] = s;
    }
  }
}
