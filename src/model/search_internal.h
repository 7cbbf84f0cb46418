/* search_internal: what the files of the search module share, and nothing
 * outside the module uses (its API is search.h):
 *
 *   search_index.c   the index writer: one object, the rebuild, the replay
 *                    of writes made during a rebuild, the vocabulary
 *   search_plan.c    the planner: estimates, the choice of plan, running it
 *   search_sql.c     the statements of each plan, from named fragments
 *   search_rank.c    the ranking: each sort's key, the match classes of
 *                    relevance, the order of a merged page
 *   search_render.c  one page: the cursor, the kinds merged, the JSON items
 *   search_words.c   the query splitter (the index's normalization in C) */
#ifndef ENCORE_SEARCH_INTERNAL_H
#define ENCORE_SEARCH_INTERNAL_H

#include <stdbool.h>

#include "core/db.h"
#include "core/str.h"
#include "model/search.h"

struct arena;

#define SEARCH_STRINGIFY_(x) #x
/* SEARCH_STRINGIFY: a numeric constant as a literal piece of SQL. */
#define SEARCH_STRINGIFY(x) SEARCH_STRINGIFY_(x)

/* search_max_id (search_index.c): the highest id of the kind's table, 0
 * when it is empty: the rebuild's last id range, and the planner's count
 * of all objects. 0 or a db code. */
int search_max_id(struct db *d, struct arena *a, enum search_kind kind,
                  long long *max);

/* --- queries -------------------------------------------------------------- */

/* What a query reads of each searchable table (search_tables, in
 * search_sql.c). Columns are of the object's row `t`; NULL: the type lacks
 * it (a filter on it excludes the type; a sort on it sorts the type as 0). */
struct search_table {
  const char *type;  /* the "type" of its results */
  const char *table; /* its table */
  const char *name, *pop, *date, *dur, *expl;
  const char *genre;  /* condition on t.id with one genre id parameter */
  const char *artist; /* condition with one artist id parameter */
  /* the kind's summary columns of a result row (enum search_col) */
  const char *summary;
  const char *joins;        /* the outer select's joins for them */
  const char *title_weight; /* the name's collation weight, in hex */
  /* for the ordered plan: the genre condition as a per-row probe (never
   * turned into a semi-join that would drive the query), and the index of
   * each sort's column (NULL: none) */
  const char *genre_probe;
  const char *index_pop, *index_date, *index_name, *index_dur;
};

extern const struct search_table search_tables[];

/* The columns of a result row: the plan's id, sort key and title weight,
 * then the kind's summary (struct search_table.summary, in this order),
 * then the match class. Columns 8 to 12 mean one thing per kind. */
enum search_col {
  SEARCH_COL_ID = 0,
  SEARCH_COL_KEY = 1,
  SEARCH_COL_TITLE_WEIGHT = 2, /* hex, title sort only; else NULL */
  SEARCH_COL_NAME = 3,         /* title or name */
  SEARCH_COL_POPULARITY = 4,   /* a playlist's: its number of tracks */
  SEARCH_COL_RELEASE_DATE = 5,
  SEARCH_COL_DURATION = 6,
  SEARCH_COL_EXPLICIT = 7,
  SEARCH_COL_TRACK_ALBUM_ID = 8,
  SEARCH_COL_TRACK_ALBUM_TITLE = 9,
  SEARCH_COL_TRACK_ARTIST_ID = 10, /* its primary artist */
  SEARCH_COL_TRACK_ARTIST_NAME = 11,
  SEARCH_COL_ARTIST_COUNTRY = 11,
  SEARCH_COL_ARTIST_IMAGE_URL = 12,
  SEARCH_COL_ALBUM_ARTIST_ID = 8,
  SEARCH_COL_ALBUM_ARTIST_NAME = 9,
  SEARCH_COL_ALBUM_TYPE = 11,
  SEARCH_COL_PLAYLIST_OWNER_ID = 8,
  SEARCH_COL_PLAYLIST_OWNER_NAME = 9,
  SEARCH_COL_PLAYLIST_VISIBILITY = 11,
  SEARCH_COL_CLASS = 13, /* the match class (search_rank.c) */
};

/* A page's cursor: "<sort>|<a|d>|<kind>|<id>|<key>" of the last item
 * served; key is the numeric sort key, or for the title sort the title
 * itself in hex, so that a page is placed by its values even after the
 * item it follows was deleted or renamed. */
struct search_cursor {
  int kind;
  long long id, num;
  const char *str; /* the title (title sort) */
};

/* One result row of one kind. */
struct search_hit {
  int kind;
  long long id, num; /* num: the numeric sort key (0 for titles) */
  const char *wkey;  /* hex collation weight of the title (title sort) */
  struct db_row row; /* columns: enum search_col */
};

/* A prefix of more objects than this is "common" (search_plan.c): the
 * ordered plan may serve it, and relevance ranks its matches as that plan
 * can read them (search_rank.c). */
#define SEARCH_COMMON_MIN 3000

/* The ranked plan's words: the distinct words of the driving prefix. */
#define SEARCH_RANKED_WORDS 8
struct search_ranked {
  const char *words[SEARCH_RANKED_WORDS];
  int n;
};

/* The plans (docs/architecture.md, "Search"). */
enum search_method {
  SEARCH_BROWSE,           /* no words: the filters alone */
  SEARCH_HEADS,            /* one or two letters: search_heads */
  SEARCH_POSTINGS,         /* the driving word's entries, cut before rows */
  SEARCH_POSTINGS_GROUPED, /* the same per object, joined to its row */
  SEARCH_FILTER_FIRST,     /* the filters' own indexes, each object probed */
  SEARCH_ORDERED,          /* the sort's own index, each object probed */
  SEARCH_RANKED,           /* each word of the prefix in popularity order */
};

/* One kind's query as the planner chose it: all that its statement reads. */
struct search_plan {
  const struct search_q *q;
  enum search_kind kind;
  const struct search_table *t;      /* search_tables[kind] */
  const struct search_cursor *after; /* NULL on the first page */
  const char *phrase; /* the query's words joined by single spaces */
  const char *key;    /* the sort key over the object's row */
  enum search_method method;
  int drive;   /* the index of the driving (rarest) word */
  bool coarse; /* a common driving word (search_rank_coarse) */
  int examine; /* SEARCH_ORDERED: the rows it may examine */
  int fetch;   /* SEARCH_POSTINGS, SEARCH_RANKED: the rows read */
  const struct search_ranked *ranked; /* SEARCH_RANKED: its words */
};

/* A statement being built: its text and parameters. */
/* Enough for the largest plan: a ranked plan over all 8 words of a query,
 * each word's prefix and range bounds, with every filter and a cursor. */
#define SEARCH_STMT_PARAMS 128
struct search_stmt {
  struct sbuf b;
  struct db_val p[SEARCH_STMT_PARAMS];
  int np;
};

/* search_stmt_param: one more parameter; past the last one (which no plan
 * reaches) the statement is marked out of memory (RC_NOMEM). */
void search_stmt_param(struct search_stmt *s, struct db_val v);

/* search_like_prefix: the LIKE pattern of the words starting with w, in
 * the arena (NULL when out of memory). */
char *search_like_prefix(struct arena *a, const char *w);

/* search_sql_run (search_sql.c): build the statement of plan p and run it;
 * *res its rows (enum search_col). 0, RC_NOMEM or a db code. */
int search_sql_run(struct db *d, struct arena *a, const struct search_plan *p,
                   struct db_res *res);

/* search_plan_run (search_plan.c): up to limit + 1 hits of one kind after
 * the cursor (the ordered plan may return more; the merge keeps the first
 * ones), in *out (arena) and *nout; none when a set filter does not apply
 * to the kind. 0 or a db code. */
int search_plan_run(struct db *d, struct arena *a, const struct search_q *q,
                    enum search_kind kind, const struct search_cursor *after,
                    const char *phrase, struct search_hit **out, int *nout);

/* --- the ranking (search_rank.c) ------------------------------------------ */

/* search_rank_coarse: whether a driving word estimated in `objects` objects
 * is common, so that relevance ranks the exact name first and every other
 * match by popularity alone, whichever plan serves the page. */
bool search_rank_coarse(long long objects);

/* search_rank_row_key: the sort key of the query over the object's row t
 * (and, for relevance, the match class m.cls), into b. */
void search_rank_row_key(struct sbuf *b, const struct search_table *t,
                         const struct search_q *q);

/* search_rank_entry_key: the same key over the copied columns of the
 * postings m (SEARCH_POSTINGS). */
const char *search_rank_entry_key(const struct search_table *t,
                                  const struct search_q *q);

/* search_rank_class_key: the relevance of a match of class cls (4 or 1)
 * with popularity `pop`, in the arena (NULL when out of memory). */
const char *search_rank_class_key(struct arena *a, int cls, const char *pop);

/* Where a match class is judged: on an entry's copy of the name (w.norm),
 * or on the object's whole-name entry (e.word). */
enum search_class_of { SEARCH_CLASS_OF_ENTRY, SEARCH_CLASS_OF_WHOLE_NAME };

/* search_rank_class: the match class of the object as an SQL CASE, with
 * its parameters, onto s. */
void search_rank_class(struct search_stmt *s, struct arena *a,
                       const struct search_plan *p, enum search_class_of on);

/* search_rank_sort: sort the hits of every kind into the page order:
 * (sort key, kind, id), descending when desc. */
void search_rank_sort(struct search_hit *hits, int n, bool desc);

#endif
