/* search_rank: the ranking of search results, the one place that decides
 * their order: each sort's key (over the object's row, over the copies in
 * the index entries, over one word's entries), the match classes of
 * relevance, the rule for common words, and the order of a page merged
 * from several types. The plans (search_plan.c, search_sql.c) read their
 * keys from here, so every plan orders a query's matches alike.
 *
 * Relevance is one number, class × 2^50 + popularity, so that it pages by
 * keyset like every other sort. The class is 4 for the exact name, 3 for a
 * name that starts with the whole query, 2 for one that starts with its
 * first word, 1 for names whose words start with the query's words. */
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "model/search.h"
#include "model/search_internal.h"

#define CLASS_UNIT "1125899906842624" /* 2^50 */
#define POP_CAP "1125899906842623"

bool search_rank_coarse(long long objects) {
  /* The ordered scan, which serves such a word, cannot tell the other
   * classes apart without a full sort; every plan ranks as it does, so
   * that the pages of one query agree. The estimate changes only with a
   * rebuild. */
  return objects >= SEARCH_COMMON_MIN;
}

void search_rank_row_key(struct sbuf *b, const struct search_table *t,
                         const struct search_q *q) {
  switch (q->sort) {
  case SEARCH_RELEVANCE:
    if (q->nwords)
      sbuf_printf(b, "(m.cls * " CLASS_UNIT " + LEAST(%s, " POP_CAP "))",
                  t->pop);
    else
      sbuf_adds(b, t->pop);
    break;
  case SEARCH_POPULARITY:
    sbuf_adds(b, t->pop);
    break;
  case SEARCH_RELEASE_DATE:
    if (t->date)
      sbuf_printf(b, "COALESCE(TO_DAYS(%s), 0)", t->date);
    else
      sbuf_adds(b, "0");
    break;
  case SEARCH_TITLE:
    sbuf_adds(b, t->name);
    break;
  case SEARCH_DURATION:
    sbuf_adds(b, t->dur ? t->dur : "0");
    break;
  }
}

const char *search_rank_entry_key(const struct search_table *t,
                                  const struct search_q *q) {
  /* the same values as search_rank_row_key on the row */
  switch (q->sort) {
  case SEARCH_RELEVANCE:
    return "(m.cls * " CLASS_UNIT " + LEAST(m.pop, " POP_CAP "))";
  case SEARCH_POPULARITY:
    return "m.pop";
  case SEARCH_RELEASE_DATE:
    return t->date ? "COALESCE(m.day, 0)" : "0";
  case SEARCH_DURATION:
    return t->dur ? "m.dur" : "0";
  case SEARCH_TITLE:
    return "m.name";
  }
  return "0";
}

const char *search_rank_class_key(struct arena *a, int cls, const char *pop) {
  if (cls == 1)
    return arena_printf(a, "(" CLASS_UNIT " + LEAST(%s, " POP_CAP "))", pop);
  return arena_printf(a, "(%d * " CLASS_UNIT " + LEAST(%s, " POP_CAP "))", cls,
                      pop);
}

void search_rank_class(struct search_stmt *s, struct arena *a,
                       const struct search_plan *p, enum search_class_of on) {
  /* A common word's matches are only told apart as exact or not. */
  switch (on) {
  case SEARCH_CLASS_OF_ENTRY:
    /* the entry's copy of the name, compared as the whole-name entry
     * stores it: LEFT(norm, 64) */
    sbuf_adds(&s->b, p->coarse ? "CASE WHEN LEFT(w.norm, 64) = ? THEN 4 ELSE "
                                 "1 END"
                               : "CASE WHEN LEFT(w.norm, 64) = ? THEN 4 WHEN "
                                 "LEFT(w.norm, 64) LIKE ? THEN 3 WHEN "
                                 "LEFT(w.norm, 64) LIKE ? THEN 2 ELSE 1 END");
    break;
  case SEARCH_CLASS_OF_WHOLE_NAME:
    sbuf_adds(&s->b, p->coarse ? "CASE WHEN e.word = ? THEN 4 WHEN FALSE THEN "
                                 "3 WHEN FALSE THEN 2 ELSE 1 END"
                               : "CASE WHEN e.word = ? THEN 4 WHEN e.word "
                                 "LIKE ? THEN 3 WHEN e.word LIKE ? THEN 2 "
                                 "ELSE 1 END");
    break;
  }
  search_stmt_param(s, DB_S(p->phrase));
  if (!p->coarse) {
    search_stmt_param(s, DB_S(search_like_prefix(a, p->phrase)));
    search_stmt_param(s, DB_S(search_like_prefix(a, p->q->words[0])));
  }
}

/* The merge's direction: qsort's comparison takes no context. */
static bool merge_desc;

static int hit_cmp(const void *pa, const void *pb) {
  const struct search_hit *x = pa, *y = pb;
  int c = 0;
  /* titles by the collation's weights, other keys as numbers */
  if (x->wkey && y->wkey)
    c = strcmp(x->wkey, y->wkey);
  else
    c = (x->num > y->num) - (x->num < y->num);
  if (!c) c = (x->kind > y->kind) - (x->kind < y->kind);
  if (!c) c = (x->id > y->id) - (x->id < y->id);
  return merge_desc ? -c : c;
}

void search_rank_sort(struct search_hit *hits, int n, bool desc) {
  merge_desc = desc;
  if (n > 1) qsort(hits, (size_t)n, sizeof *hits, hit_cmp);
}
