/* search_plan: the query planner of GET /api/v1/search, per type: it
 * estimates from search_vocab how many objects each query word's prefix
 * has, picks the rarest (the driving word), chooses one of the plans of
 * search_sql.c by their expected cost, runs it, and falls back to another
 * plan when the first one could not answer. Estimates only choose how a
 * page is read, never what it holds (docs/architecture.md, "Search"). */
#include <limits.h>
#include <stdbool.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/rc.h"
#include "core/str.h"
#include "model/search.h"
#include "model/search_internal.h"

/* With several words or filters a common word may still be rare in
 * combination. The postings plan reads the rarest word's entries (one per
 * object and word, in one range of the clustered index, every other
 * condition checked on the entry itself); the ordered scan is tried first
 * only when, taking the words and filters as independent, it should find a
 * page at less cost than that, and it is capped at twice the rows
 * expected. When the rarest word is in more than POSTINGS_MAX names,
 * as "the" or "of" in a fifth of all names, the scan gets ORDERED_EXAMINE
 * rows, and a filtered query that it cannot answer is driven by the
 * filters' own indexes instead. A common prefix (SEARCH_COMMON_MIN) is not
 * scanned in title order, where names that share a word cluster (the
 * matches of "burn" are mostly together under B): the postings plan sorts
 * titles copied into the entries instead. */
#define POSTINGS_MAX 100000
#define ORDERED_EXAMINE 40000
#define ORDERED_MIN 2000
/* an examined row of the scan (a probe per word) against a postings entry
 * read in sequence */
#define ORDERED_COST 4

/* Distinct vocabulary words an estimate reads: a prefix with more (one or
 * two letters) is taken as matching more objects than any threshold. */
#define VOCAB_SCAN 2000
#define HUGE_ESTIMATE (LLONG_MAX / 4)

/* Rows beyond the page that the ungrouped postings plan reads, for the
 * repeats of objects that have several words starting with the driving
 * prefix (rare: "Burning Burn" for "burn"). */
#define DUP_SLACK 8

static bool filtered(const struct search_q *q) {
  return q->genre_id || q->year_from || q->year_to || q->dur_min >= 0 ||
         q->dur_max >= 0 || q->explicit_only >= 0 || q->artist_id;
}

/* applies: false when a set filter does not apply to the kind. */
static bool applies(const struct search_table *t, const struct search_q *q) {
  if (q->genre_id && !t->genre) return false;
  if ((q->year_from || q->year_to) && !t->date) return false;
  if ((q->dur_min >= 0 || q->dur_max >= 0) && !t->dur) return false;
  if (q->explicit_only >= 0 && !t->expl) return false;
  if (q->artist_id && !t->artist) return false;
  return true;
}

/* short_query: one word of one or two letters, read from search_heads. */
static bool short_query(const struct search_q *q) {
  return q->nwords == 1 && search_chars(q->words[0]) <= 2;
}

/* entries_suffice: whether the index entries carry all the query needs;
 * the artist filter and a playlist's visibility need the object's row. */
static bool entries_suffice(const struct search_q *q, enum search_kind kind) {
  return kind != SEARCH_PLAYLIST && !q->artist_id;
}

/* estimate: the objects of `kind` with a word starting with `word`, from
 * search_vocab (counted at the last rebuild: an estimate, never used for
 * results). */
static int estimate(struct db *d, struct arena *a, enum search_kind kind,
                    const char *word, long long *n) {
  struct db_val p[] = {DB_I(kind), DB_S(search_like_prefix(a, word))};
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT COALESCE(SUM(objects), 0), COUNT(*) FROM (SELECT "
                   "objects FROM search_vocab WHERE kind = ? AND word LIKE ? "
                   "LIMIT " SEARCH_STRINGIFY(VOCAB_SCAN) ") x",
                   p, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  *n = res.nrows ? db_i64(&res.rows[0], 0, 0) : 0;
  if (res.nrows && db_i64(&res.rows[0], 1, 0) >= VOCAB_SCAN) *n = HUGE_ESTIMATE;
  return 0;
}

/* share: a guess of the part of all objects a filter keeps, for planning
 * only (results never depend on it). */
static double share(const struct search_q *q) {
  double f = 1;
  if (q->genre_id) f *= 0.05;
  if (q->year_from && q->year_to)
    f *= (q->year_to - q->year_from + 1) / 50.0;
  else if (q->year_from || q->year_to)
    f *= 0.5;
  if (q->dur_min >= 0 && q->dur_max >= 0)
    f *= (double)(q->dur_max - q->dur_min + 1000) / 300000.0;
  else if (q->dur_min >= 0 || q->dur_max >= 0)
    f *= 0.5;
  if (q->explicit_only >= 0) f *= q->explicit_only ? 0.1 : 0.9;
  if (q->artist_id) f *= 0.001;
  return f < 1 ? f : 1;
}

/* What the estimates say of one kind's query. */
struct estimates {
  int drive;      /* the rarest query word */
  long long best; /* its estimated number of objects; 0 when not read */
  int examine;    /* the rows an ordered scan may examine; 0: no scan */
};

/* estimate_words: the driving word and whether an ordered scan should
 * beat its postings. */
static int estimate_words(struct db *d, struct arena *a,
                          const struct search_q *q, enum search_kind kind,
                          struct estimates *e) {
  double dense = 1;
  long long max;
  int rc = search_max_id(d, a, kind, &max);
  if (rc) return rc;
  double all = max < 1 ? 1 : (double)max;
  e->drive = 0;
  e->best = -1;
  e->examine = 0;
  for (int i = 0; i < q->nwords; i++) {
    long long n;
    if ((rc = estimate(d, a, kind, q->words[i], &n))) return rc;
    if (e->best < 0 || n < e->best) e->best = n, e->drive = i;
    dense *= n >= all ? 1 : (double)n / all;
  }
  if (e->best >= POSTINGS_MAX) {
    e->examine = ORDERED_EXAMINE;
  } else if (e->best >= SEARCH_COMMON_MIN && q->sort != SEARCH_TITLE) {
    /* rows per object read: the index entry, then a probe of about 3
     * entries per word and per genre */
    double per = 1 + 3 * q->nwords + (q->genre_id ? 3 : 0);
    double rows = (q->limit + 1) * per / (dense * share(q));
    if (rows * ORDERED_COST < (double)e->best)
      e->examine = rows * 2 < ORDERED_MIN       ? ORDERED_MIN
                   : rows * 2 > ORDERED_EXAMINE ? ORDERED_EXAMINE
                                                : (int)(rows * 2);
  }
  return 0;
}

/* ranked_words: the distinct words of `word`'s prefix (a loose scan of the
 * primary key); r->n 0 when there are more than SEARCH_RANKED_WORDS. */
static int ranked_words(struct db *d, struct arena *a, enum search_kind kind,
                        const char *word, struct search_ranked *r) {
  struct db_val p[] = {DB_I(kind), DB_S(search_like_prefix(a, word)),
                       DB_I(SEARCH_RANKED_WORDS + 1)};
  struct db_res res;
  r->n = 0;
  int rc = db_exec(d, a,
                   "SELECT DISTINCT word FROM search_words WHERE kind = ? AND "
                   "weight = 1 AND word LIKE ? LIMIT ?",
                   p, 3, DB_IDEMPOTENT, &res);
  if (rc || res.nrows > SEARCH_RANKED_WORDS) return rc;
  for (int i = 0; i < res.nrows; i++)
    r->words[r->n++] = db_s(&res.rows[i], 0);
  return 0;
}

/* match_first: the match-first plan for the query's words and driving
 * word (drive -1: the filters drive). */
static enum search_method match_first(const struct search_q *q,
                                      enum search_kind kind, int drive) {
  if (short_query(q)) return SEARCH_HEADS;
  if (!q->nwords) return SEARCH_BROWSE;
  if (drive < 0) return SEARCH_FILTER_FIRST;
  return entries_suffice(q, kind) ? SEARCH_POSTINGS : SEARCH_POSTINGS_GROUPED;
}

/* dedupe: drop repeated rows of one object from a result sorted by (key,
 * id), where its repeats are adjacent; the rows left. */
static int dedupe(struct db_res *res) {
  int n = 0;
  for (int i = 0; i < res->nrows; i++)
    if (!n || db_i64(&res->rows[i], SEARCH_COL_ID, 0) !=
                  db_i64(&res->rows[n - 1], SEARCH_COL_ID, 0))
      res->rows[n++] = res->rows[i];
  return n;
}

/* scan_short: whether the ordered scan found less than a page, so that it
 * may have been cut short (for relevance its exact names do not count:
 * they come from a part of their own). */
static bool scan_short(const struct search_q *q, const struct db_res *res) {
  int scanned = 0;
  for (int i = 0; i < res->nrows; i++)
    if (q->sort != SEARCH_RELEVANCE ||
        db_i64(&res->rows[i], SEARCH_COL_CLASS, 0) == 1)
      scanned++;
  return scanned <= q->limit;
}

/* choose: the plan of one kind's query (p->q, p->kind and p->t set): the
 * estimates first, then the ranked plan for a common word by relevance, the
 * ordered scan when it should beat the postings, else a match-first plan.
 * ranked holds the ranked plan's words. 0 or a db code. */
static int choose(struct db *d, struct arena *a, struct search_plan *p,
                  struct estimates *e, struct search_ranked *ranked) {
  const struct search_q *q = p->q;
  int rc;
  *e = (struct estimates){.drive = 0, .best = 0, .examine = 0};
  /* playlists have no order index; their matches are sorted */
  if (q->nwords && !short_query(q) && p->kind != SEARCH_PLAYLIST) {
    if ((rc = estimate_words(d, a, q, p->kind, e))) return rc;
  }
  p->drive = e->drive;
  p->coarse = search_rank_coarse(e->best);
  p->examine = e->examine;
  /* a common word by relevance: its best entries first */
  ranked->n = 0;
  if (p->coarse && e->best < POSTINGS_MAX && q->sort == SEARCH_RELEVANCE &&
      entries_suffice(q, p->kind)) {
    if ((rc = ranked_words(d, a, p->kind, q->words[p->drive], ranked)))
      return rc;
  }
  if (ranked->n)
    p->method = SEARCH_RANKED, p->ranked = ranked, p->examine = 0;
  else if (p->examine > 0)
    p->method = SEARCH_ORDERED;
  else
    p->method = match_first(q, p->kind, p->drive);
  return 0;
}

/* hits: the rows of one kind as hits, in the arena. */
static struct search_hit *hits(struct arena *a, const struct search_plan *p,
                               const struct db_res *res) {
  struct search_hit *h = arena_alloc(a, sizeof *h * (size_t)(res->nrows + 1));
  if (!h) return NULL;
  for (int i = 0; i < res->nrows; i++) {
    const struct db_row *row = &res->rows[i];
    h[i] = (struct search_hit){
        .kind = p->kind,
        .id = db_i64(row, SEARCH_COL_ID, 0),
        .num = p->q->sort == SEARCH_TITLE ? 0 : db_i64(row, SEARCH_COL_KEY, 0),
        .wkey = db_s(row, SEARCH_COL_TITLE_WEIGHT),
        .row = *row,
    };
  }
  return h;
}

int search_plan_run(struct db *d, struct arena *a, const struct search_q *q,
                    enum search_kind kind, const struct search_cursor *after,
                    const char *phrase, struct search_hit **out, int *nout) {
  *out = NULL;
  *nout = 0;
  if (!applies(&search_tables[kind], q)) return 0;
  struct sbuf key;
  sbuf_init(&key, a);
  search_rank_row_key(&key, &search_tables[kind], q);
  if (key.oom) return RC_NOMEM;
  struct search_plan p = {
      .q = q,
      .kind = kind,
      .t = &search_tables[kind],
      .after = after,
      .phrase = phrase,
      .key = key.s,
      .fetch = q->limit + 1 + DUP_SLACK,
  };
  struct estimates e;
  struct search_ranked ranked;
  int rc = choose(d, a, &p, &e, &ranked);
  if (rc) return rc;

  struct db_res res;
  rc = search_sql_run(d, a, &p, &res);
  if (p.method == SEARCH_ORDERED &&
      (rc == RC_DB || (!rc && scan_short(q, &res)))) {
    /* cut short by its row cap (or failed): a match-first plan answers,
     * driven by the filters when even the driving word is in too many
     * names for its postings */
    p.drive = filtered(q) && e.best >= POSTINGS_MAX ? -1 : p.drive;
    p.method = match_first(q, kind, p.drive);
    p.examine = 0;
    rc = search_sql_run(d, a, &p, &res);
  }
  if (rc) return rc;
  /* the ungrouped postings plan: repeats dropped, and read again with room
   * for more when they left less than a page of a longer list */
  while (p.method != SEARCH_ORDERED) {
    int raw = res.nrows;
    res.nrows = dedupe(&res);
    if (res.nrows > q->limit || raw < p.fetch || p.fetch > INT_MAX / 4) break;
    p.fetch *= 4;
    if ((rc = search_sql_run(d, a, &p, &res))) return rc;
  }
  if (!(*out = hits(a, &p, &res))) return RC_NOMEM;
  *nout = res.nrows;
  return 0;
}
