/* search: the word-prefix index (tables search_words and search_heads, see
 * sql/migrations/0005_search.sql) and the queries of GET /api/v1/search.
 *
 * Indexing runs inside MariaDB: the name is normalized by NORM() and split
 * into words with seq_1_to_16 (the Sequence engine), so the one-object path
 * (search_index) and the bulk path (search_rebuild) produce exactly the same
 * entries, and a rebuild is a few INSERT ... SELECT statements over id ranges
 * instead of a million round trips. The query side normalizes user input with
 * search_split (search_words.c), which follows the same rules. */
#include "model/search.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/kv.h"
#include "core/rc.h"
#include "core/str.h"

static struct kv *cache;

void search_cache(struct kv *k) {
  cache = k;
}

/* forget: every cached result page may show the changed object. */
static void forget(void) {
  if (cache) kv_ns_bump(cache, "search");
}

/* NORM(col): lower case, apostrophes dropped, every run of non-alphanumerics
 * (of any script) one space, trimmed. Must match search_split. */
#define NORM(col)                                                              \
  "TRIM(REGEXP_REPLACE(REGEXP_REPLACE(LOWER(" col "), '[''\xe2\x80\x99]', "    \
  "''), '[^[:alnum:]]+', ' '))"

/* Names with more than 16 words index their first 16 words (and the whole
 * name, up to 64 characters, as one entry). */
#define WORDS_FROM(tbl, col, where)                                            \
  "FROM (SELECT id, " NORM(col) " AS norm FROM " tbl " " where ") n "          \
                                "JOIN seq_1_to_16 s "                          \
                                "ON s.seq <= 1 + LENGTH(n.norm) - "            \
                                "LENGTH(REPLACE(n.norm, ' ', '')) "            \
                                "WHERE n.norm <> ''"

/* The whole name first (weight 2), then the words with INSERT IGNORE, so a
 * one-word name keeps weight 2 and accent variants of one word collapse. */
#define INS_WHOLE(dst, kind, tbl, col, where)                                  \
  "INSERT IGNORE INTO " dst " (kind, word, object_id, weight) "                \
  "SELECT " kind ", LEFT(n.norm, 64), n.id, 2 FROM (SELECT id, " NORM(         \
      col) " AS norm FROM " tbl " " where ") n WHERE n.norm <> ''"
#define INS_WORDS(dst, kind, tbl, col, where)                                  \
  "INSERT IGNORE INTO " dst " (kind, word, object_id, weight) "                \
  "SELECT " kind ", LEFT(SUBSTRING_INDEX(SUBSTRING_INDEX(n.norm, ' ', "        \
  "s.seq), ' ', -1), 64), n.id, 1 " WORDS_FROM(tbl, col, where)
#define INS_HEADS(dst, kind, tbl, col, pop, where)                             \
  "INSERT IGNORE INTO " dst " (kind, head, popularity, object_id) "            \
  "SELECT " kind ", LEFT(n.norm, s.seq), n.pop, n.id FROM (SELECT id, " pop    \
  " AS pop, " NORM(col) " AS norm FROM " tbl " " where ") n "                  \
                        "JOIN seq_1_to_2 s WHERE n.norm <> ''"

#define ONE "WHERE id = ?"
#define RANGE "WHERE id BETWEEN ? AND ?"

/* The statements of one kind: for one object (params: id) and for an id
 * range (params: first, last). */
struct kind_sql {
  const char *whole1, *words1, *heads1;
  const char *whole_r, *words_r, *heads_r;
  const char *max_id;
};

/* One object goes to the live tables; a rebuild fills the *_next tables
 * that then replace them. */
#define W "search_words"
#define H "search_heads"
#define WN "search_words_next"
#define HN "search_heads_next"
#define KIND_SQL(k, tbl, col, pop)                                             \
  {                                                                            \
    INS_WHOLE(W, k, tbl, col, ONE), INS_WORDS(W, k, tbl, col, ONE),            \
        INS_HEADS(H, k, tbl, col, pop, ONE),                                   \
        INS_WHOLE(WN, k, tbl, col, RANGE), INS_WORDS(WN, k, tbl, col, RANGE),  \
        INS_HEADS(HN, k, tbl, col, pop, RANGE),                                \
        "SELECT COALESCE(MAX(id), 0) FROM " tbl                                \
  }

static const struct kind_sql kinds[] = {
    [SEARCH_TRACK] = KIND_SQL("0", "tracks", "title", "popularity"),
    [SEARCH_ARTIST] = KIND_SQL("1", "artists", "name", "popularity"),
    [SEARCH_ALBUM] = KIND_SQL("2", "albums", "title", "popularity"),
    /* playlists have no play count: they rank by their number of tracks */
    [SEARCH_PLAYLIST] = KIND_SQL("3", "playlists", "name", "track_count"),
};

static bool kind_ok(enum search_kind kind) {
  return (unsigned)kind <= SEARCH_PLAYLIST;
}

static int unindex(struct db *d, enum search_kind kind, long long id) {
  struct db_val p[] = {DB_I(kind), DB_I(id)};
  int rc = db_exec(d, NULL,
                   "DELETE FROM search_words WHERE kind = ? AND object_id = ?",
                   p, 2, DB_IDEMPOTENT, NULL);
  if (!rc)
    rc = db_exec(d, NULL,
                 "DELETE FROM search_heads WHERE kind = ? AND object_id = ?", p,
                 2, DB_IDEMPOTENT, NULL);
  return rc;
}

int search_unindex(struct db *d, enum search_kind kind, long long id) {
  if (!kind_ok(kind)) return RC_INVALID;
  int rc = unindex(d, kind, id);
  forget();
  return rc;
}

int search_index(struct db *d, struct arena *a, enum search_kind kind,
                 long long id) {
  (void)a;
  if (!kind_ok(kind)) return RC_INVALID;
  const struct kind_sql *k = &kinds[kind];
  struct db_val p = DB_I(id);
  /* Delete then insert: every statement is idempotent on its own, and a
   * missing row simply inserts nothing. */
  int rc = unindex(d, kind, id);
  if (!rc) rc = db_exec(d, NULL, k->whole1, &p, 1, DB_IDEMPOTENT, NULL);
  if (!rc) rc = db_exec(d, NULL, k->words1, &p, 1, DB_IDEMPOTENT, NULL);
  if (!rc) rc = db_exec(d, NULL, k->heads1, &p, 1, DB_IDEMPOTENT, NULL);
  forget();
  return rc;
}

/* Ids per INSERT ... SELECT of a rebuild: small enough that no statement
 * holds its locks for long, large enough that round trips do not count. */
#define REBUILD_CHUNK 50000

/* The rebuild's steps around the inserts: fresh *_next tables without
 * their secondary keys (built once, sorted, at the end), then one atomic
 * RENAME, so searches see the old index until the new one is complete. */
static const char *const rebuild_pre[] = {
    "DROP TABLE IF EXISTS search_words_next, search_heads_next",
    "CREATE TABLE search_words_next LIKE search_words",
    "CREATE TABLE search_heads_next LIKE search_heads",
    "ALTER TABLE search_words_next DROP KEY search_words_object",
    "ALTER TABLE search_heads_next DROP KEY search_heads_object",
};
static const char *const rebuild_post[] = {
    "ALTER TABLE search_words_next ADD KEY search_words_object "
    "(kind, object_id)",
    "ALTER TABLE search_heads_next ADD KEY search_heads_object "
    "(kind, object_id)",
    /* statistics of the full tables, or the planner judges them empty */
    "ANALYZE TABLE search_words_next, search_heads_next",
    "RENAME TABLE search_words TO search_words_old, search_words_next TO "
    "search_words, search_heads TO search_heads_old, search_heads_next TO "
    "search_heads",
    "DROP TABLE search_words_old, search_heads_old",
};

static int run_all(struct db *d, const char *const *sql, size_t n) {
  int rc = 0;
  for (size_t i = 0; !rc && i < n; i++)
    rc = db_exec(d, NULL, sql[i], NULL, 0, DB_IDEMPOTENT, NULL);
  return rc;
}

int search_rebuild(struct db *d) {
  struct arena *a = arena_new(0);
  if (!a) return RC_NOMEM;
  int rc = run_all(d, rebuild_pre, sizeof rebuild_pre / sizeof *rebuild_pre);
  for (int kind = SEARCH_TRACK; !rc && kind <= SEARCH_PLAYLIST; kind++) {
    const struct kind_sql *k = &kinds[kind];
    struct db_res res;
    arena_reset(a);
    rc = db_exec(d, a, k->max_id, NULL, 0, DB_IDEMPOTENT, &res);
    if (rc) break;
    long long max = res.nrows ? db_i64(&res.rows[0], 0, 0) : 0;
    for (long long lo = 1; !rc && lo <= max; lo += REBUILD_CHUNK) {
      struct db_val p[] = {DB_I(lo), DB_I(lo + REBUILD_CHUNK - 1)};
      rc = db_exec(d, NULL, k->whole_r, p, 2, DB_IDEMPOTENT, NULL);
      if (!rc) rc = db_exec(d, NULL, k->words_r, p, 2, DB_IDEMPOTENT, NULL);
      if (!rc) rc = db_exec(d, NULL, k->heads_r, p, 2, DB_IDEMPOTENT, NULL);
    }
  }
  if (!rc)
    rc = run_all(d, rebuild_post, sizeof rebuild_post / sizeof *rebuild_post);
  arena_free(a);
  forget();
  return rc;
}

/* --- queries -------------------------------------------------------------- */

/* Statements are built from fixed pieces (types, plans, filters, sorts), so
 * their texts are a few hundred in practice; each text is interned once per
 * process to give db_exec a stable pointer (its statement-cache key). Never
 * user input: values are always parameters. When the table is full a slot
 * is reused round-robin: db_exec compares texts, so a reused address only
 * costs a prepare. */
#define INTERN_MAX 1024
static char *interned[INTERN_MAX];
static int ninterned, next_reuse;

static const char *intern(const char *text) {
  for (int i = 0; i < ninterned; i++)
    if (strcmp(interned[i], text) == 0) return interned[i];
  char *t = strdup(text);
  if (!t) return NULL;
  if (ninterned < INTERN_MAX) return interned[ninterned++] = t;
  free(interned[next_reuse]);
  interned[next_reuse] = t;
  next_reuse = (next_reuse + 1) % INTERN_MAX;
  return t;
}

/* What the query needs of each searchable table. NULL: the type lacks it
 * (a filter on it excludes the type; a sort on it sorts the type as 0). */
struct kind_q {
  const char *type, *tbl, *name, *pop, *date, *dur, *expl;
  const char *genre;  /* condition on t.id with one genre id parameter */
  const char *artist; /* condition with one artist id parameter */
  const char *cols;   /* the 10 summary columns of the outer select */
  const char *joins;  /* the outer select's joins for them */
  /* for the ordered plan: the genre condition as a per-row probe (never
   * turned into a semi-join that would drive the query), and the index of
   * each sort's column (NULL: none) */
  const char *genre_probe;
  const char *ix_pop, *ix_date, *ix_name, *ix_dur;
};

static const struct kind_q kq[] = {
    [SEARCH_TRACK] = {"track", "tracks", "t.title", "t.popularity",
                      "t.release_date", "t.duration_ms", "t.explicit",
                      "EXISTS (SELECT 1 FROM track_genres g WHERE "
                      "g.track_id = t.id AND g.genre_id = ?)",
                      "EXISTS (SELECT 1 FROM track_artists ta WHERE "
                      "ta.track_id = t.id AND ta.artist_id = ?)",
                      "t.title, t.popularity, t.release_date, t.duration_ms, "
                      "t.explicit, al.id, al.title, ar.id, ar.name, NULL",
                      "LEFT JOIN albums al ON al.id = t.album_id "
                      "LEFT JOIN artists ar ON ar.id = (SELECT ta.artist_id "
                      "FROM track_artists ta WHERE ta.track_id = t.id "
                      "ORDER BY ta.role, ta.position, ta.artist_id LIMIT 1)",
                      "(SELECT 1 FROM track_genres g WHERE g.track_id = t.id "
                      "AND g.genre_id = ? LIMIT 1) IS NOT NULL",
                      "tracks_popularity", "tracks_release", "tracks_title",
                      "tracks_duration"},
    [SEARCH_ARTIST] = {"artist", "artists", "t.name", "t.popularity", NULL,
                       NULL, NULL,
                       "EXISTS (SELECT 1 FROM artist_genres g WHERE "
                       "g.artist_id = t.id AND g.genre_id = ?)",
                       "t.id = ?",
                       "t.name, t.popularity, NULL, NULL, NULL, NULL, NULL, "
                       "NULL, t.country, t.image_url",
                       "",
                       "(SELECT 1 FROM artist_genres g WHERE g.artist_id = "
                       "t.id AND g.genre_id = ? LIMIT 1) IS NOT NULL",
                       "artists_popularity", NULL, "artists_name", NULL},
    [SEARCH_ALBUM] = {"album", "albums", "t.title", "t.popularity",
                      "t.release_date", NULL, NULL,
                      "EXISTS (SELECT 1 FROM album_genres g WHERE "
                      "g.album_id = t.id AND g.genre_id = ?)",
                      "t.artist_id = ?",
                      "t.title, t.popularity, t.release_date, NULL, NULL, "
                      "ar.id, ar.name, NULL, t.type, NULL",
                      "LEFT JOIN artists ar ON ar.id = t.artist_id",
                      "(SELECT 1 FROM album_genres g WHERE g.album_id = t.id "
                      "AND g.genre_id = ? LIMIT 1) IS NOT NULL",
                      "albums_popularity", "albums_release", "albums_title",
                      NULL},
    [SEARCH_PLAYLIST] = {"playlist", "playlists", "t.name", "t.track_count",
                         NULL, NULL, NULL, NULL, NULL,
                         "t.name, t.track_count, NULL, NULL, NULL, u.id, "
                         "u.username, NULL, t.visibility, NULL",
                         "JOIN users u ON u.id = t.owner_id", NULL, NULL, NULL,
                         NULL, NULL},
};

static const char *const sort_names[] = {"relevance", "popularity",
                                         "release_date", "title", "duration"};

/* Relevance: the match class (4 the exact name, 3 a name that starts with
 * the whole query, 2 one that starts with its first word, 1 words that start
 * with the query's words) above the popularity, in one number, so that it
 * pages by keyset. */
#define CLASS_UNIT "1125899906842624" /* 2^50 */
#define POP_CAP "1125899906842623"

/* key_expr: the sort key of a kind, into b. */
static void key_expr(struct sbuf *b, const struct kind_q *k,
                     const struct search_q *q) {
  switch (q->sort) {
  case SEARCH_RELEVANCE:
    if (q->nwords)
      sbuf_printf(b, "(m.cls * " CLASS_UNIT " + LEAST(%s, " POP_CAP "))",
                  k->pop);
    else
      sbuf_adds(b, k->pop);
    break;
  case SEARCH_POPULARITY:
    sbuf_adds(b, k->pop);
    break;
  case SEARCH_RELEASE_DATE:
    if (k->date)
      sbuf_printf(b, "COALESCE(TO_DAYS(%s), 0)", k->date);
    else
      sbuf_adds(b, "0");
    break;
  case SEARCH_TITLE:
    sbuf_adds(b, k->name);
    break;
  case SEARCH_DURATION:
    sbuf_adds(b, k->dur ? k->dur : "0");
    break;
  }
}

/* applies: false when a set filter does not apply to the kind. */
static bool applies(const struct kind_q *k, const struct search_q *q) {
  if (q->genre_id && !k->genre) return false;
  if ((q->year_from || q->year_to) && !k->date) return false;
  if ((q->dur_min >= 0 || q->dur_max >= 0) && !k->dur) return false;
  if (q->explicit_only >= 0 && !k->expl) return false;
  if (q->artist_id && !k->artist) return false;
  return true;
}

/* The cursor: "<sort>|<a|d>|<kind>|<id>|<key>" of the last item served;
 * key is the numeric sort key (unused for title, which is read back from
 * the object itself). */
struct cursor {
  int kind;
  long long id, num;
  const char *str;
};

static char *like_prefix(struct arena *a, const char *w) {
  /* search_split leaves no % _ \\, but the escape keeps that an
   * implementation detail of the splitter rather than a safety property */
  size_t n = strlen(w);
  char *o = arena_alloc(a, 2 * n + 2), *p = o;
  if (!o) return NULL;
  for (; *w; w++) {
    if (*w == '%' || *w == '_' || *w == '\\') *p++ = '\\';
    *p++ = *w;
  }
  *p++ = '%';
  *p = '\0';
  return o;
}

#define MAXP 40
#define STR_(x) #x
#define STR(x) STR_(x)

struct hit {
  int kind;
  long long id, num;
  const char *wkey; /* hex collation weight of the title (title sort) */
  struct db_row row;
};

/* A statement being built: its text and parameters. */
struct stmt {
  struct sbuf b;
  struct db_val p[MAXP];
  int np;
};

static void param(struct stmt *s, struct db_val v) {
  if (s->np < MAXP)
    s->p[s->np++] = v;
  else
    s->b.oom = true; /* cannot happen with the fixed pieces below */
}

/* add_filters: the query's filters on `t`; `probe` writes the genre test as
 * a per-row probe (ordered plan) instead of EXISTS. */
static void add_filters(struct stmt *s, struct arena *a, const struct kind_q *k,
                        const struct search_q *q, enum search_kind kind,
                        bool probe) {
  if (q->genre_id) {
    sbuf_printf(&s->b, " AND %s", probe ? k->genre_probe : k->genre);
    param(s, DB_I(q->genre_id));
  }
  if (q->year_from) {
    sbuf_printf(&s->b, " AND %s >= ?", k->date);
    param(s, DB_S(arena_printf(a, "%04d-01-01", q->year_from)));
  }
  if (q->year_to) {
    sbuf_printf(&s->b, " AND %s <= ?", k->date);
    param(s, DB_S(arena_printf(a, "%04d-12-31", q->year_to)));
  }
  if (q->dur_min >= 0) {
    sbuf_printf(&s->b, " AND %s >= ?", k->dur);
    param(s, DB_I(q->dur_min));
  }
  if (q->dur_max >= 0) {
    sbuf_printf(&s->b, " AND %s <= ?", k->dur);
    param(s, DB_I(q->dur_max));
  }
  if (q->explicit_only >= 0) {
    sbuf_printf(&s->b, " AND %s = ?", k->expl);
    param(s, DB_I(q->explicit_only));
  }
  if (q->artist_id) {
    sbuf_printf(&s->b, " AND %s", k->artist);
    param(s, DB_I(q->artist_id));
  }
  if (kind == SEARCH_PLAYLIST) {
    if (q->viewer) {
      sbuf_adds(&s->b, " AND (t.visibility = 'public' OR t.owner_id = ? OR "
                       "EXISTS (SELECT 1 FROM playlist_grants pg WHERE "
                       "pg.playlist_id = t.id AND pg.user_id = ?))");
      param(s, DB_I(q->viewer));
      param(s, DB_I(q->viewer));
    } else {
      sbuf_adds(&s->b, " AND t.visibility = 'public'");
    }
  }
}

/* add_keyset: (key, kind, id) strictly after the cursor in the page order:
 * ties on the key are in when this kind comes after the cursor's, out when
 * before, decided by the id bound. */
static void add_keyset(struct stmt *s, const char *key,
                       const struct search_q *q, enum search_kind kind,
                       const struct cursor *c) {
  if (!c) return;
  const char *op = q->desc ? "<" : ">";
  long long bound;
  if ((int)kind == c->kind)
    bound = c->id;
  else if (((int)kind > c->kind) != q->desc)
    bound = q->desc ? LLONG_MAX : -1;
  else
    bound = q->desc ? -1 : LLONG_MAX;
  sbuf_printf(&s->b, " AND (%s %s ? OR (%s = ? AND t.id %s ?))", key, op, key,
              op);
  if (q->sort == SEARCH_TITLE) {
    param(s, DB_S(c->str));
    param(s, DB_S(c->str));
  } else {
    param(s, DB_I(c->num));
    param(s, DB_I(c->num));
  }
  param(s, DB_I(bound));
}

/* add_probes: every query word must start some word of the object. */
static void add_probes(struct stmt *s, struct arena *a,
                       const struct search_q *q, enum search_kind kind) {
  for (int i = 0; i < q->nwords; i++) {
    sbuf_adds(&s->b, " AND (SELECT 1 FROM search_words w WHERE w.kind = ? "
                     "AND w.object_id = t.id AND w.word LIKE ? LIMIT 1) IS "
                     "NOT NULL");
    param(s, DB_I(kind));
    param(s, DB_S(like_prefix(a, q->words[i])));
  }
}

/* A prefix matching more index entries than this is "common": sorting all
 * its matches would cost more than reading objects in the order of the sort
 * and probing each (the ordered plan). Filters make the probing read more
 * objects per page, so the bar is higher with them. */
#define COMMON_MIN 5000
#define COMMON_MIN_FILTERED 20000

static bool filtered(const struct search_q *q) {
  return q->genre_id || q->year_from || q->year_to || q->dur_min >= 0 ||
         q->dur_max >= 0 || q->explicit_only >= 0 || q->artist_id;
}

/* A filtered query whose ordered scan found less than a page falls back to
 * a plan that reads every match: driven by its rarest word when that word
 * has fewer index entries than this (a probe of the track per entry), else
 * driven by the filters' own indexes. A 60 s duration range or a large
 * genre holds hundreds of thousands of tracks, far more than an ordinary
 * word's tens of thousands of entries; only the few words in a fifth of all
 * names ("the", "of") are left to the filters. */
#define FILTER_FIRST_MIN 120000

/* count_prefix: the index entries of one query word, counting at most
 * `cap` of them. */
static int count_prefix(struct db *d, struct arena *a, enum search_kind kind,
                        const char *word, long long cap, long long *n) {
  struct db_val p[] = {DB_I(kind), DB_S(like_prefix(a, word)), DB_I(cap)};
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT COUNT(*) FROM (SELECT 1 FROM search_words WHERE "
                   "kind = ? AND word LIKE ? LIMIT ?) x",
                   p, 3, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  *n = res.nrows ? db_i64(&res.rows[0], 0, 0) : 0;
  return 0;
}

/* plan: the rarest query word for this kind (*drive), and whether even
 * that one is common (*ordered); at most `cap` index entries are read per
 * word to know. */
static int plan(struct db *d, struct arena *a, const struct search_q *q,
                enum search_kind kind, int *drive, bool *ordered) {
  long long cap = filtered(q) ? COMMON_MIN_FILTERED : COMMON_MIN, best = -1;
  *drive = 0;
  for (int i = 0; i < q->nwords && best != 0; i++) {
    long long n;
    int rc = count_prefix(d, a, kind, q->words[i], cap, &n);
    if (rc) return rc;
    if (best < 0 || n < best) best = n, *drive = i;
  }
  *ordered = best >= cap;
  return 0;
}

/* order_col: the raw column (and its index) whose order is the sort key's,
 * for the ordered plan; NULL column when the key is constant. */
static void order_col(const struct kind_q *k, const struct search_q *q,
                      const char **col, const char **ix) {
  *col = *ix = NULL;
  switch (q->sort) {
  case SEARCH_RELEVANCE:
  case SEARCH_POPULARITY:
    *col = k->pop, *ix = k->ix_pop;
    break;
  case SEARCH_RELEASE_DATE:
    *col = k->date, *ix = k->ix_date;
    break;
  case SEARCH_TITLE:
    *col = k->name, *ix = k->ix_name;
    break;
  case SEARCH_DURATION:
    *col = k->dur, *ix = k->ix_dur;
    break;
  }
  if (!*col) *ix = NULL;
}

/* inner_matched: the match-first plan: the index entries of the words,
 * grouped per object, then filtered and sorted. Cost grows with the number
 * of matches. */
static void inner_matched(struct stmt *s, struct arena *a,
                          const struct kind_q *k, const struct search_q *q,
                          enum search_kind kind, const struct cursor *c,
                          const char *phrase, const char *key, int drive) {
  const char *dir = q->desc ? "DESC" : "ASC";
  sbuf_printf(&s->b, "SELECT t.id AS id, %s AS k, %s AS cls FROM ", key,
              q->nwords ? "m.cls" : "0");
  if (q->nwords == 1 && search_chars(q->words[0]) <= 2) {
    sbuf_adds(&s->b, "(SELECT h.object_id AS id, 3 AS cls FROM search_heads "
                     "h WHERE h.kind = ? AND h.head = ? ORDER BY "
                     "h.popularity DESC, h.object_id DESC LIMIT " STR(
                         SEARCH_SHORT_CAP) ") m ");
    param(s, DB_I(kind));
    param(s, DB_S(q->words[0]));
  } else if (q->nwords && drive < 0) {
    /* filter first: the filters' own indexes pick the objects (a selective
     * genre, years, durations), each probed for the words */
    sbuf_printf(&s->b,
                "(SELECT t.id AS id, (SELECT CASE WHEN e.word = ? "
                "THEN 4 WHEN e.word LIKE ? THEN 3 WHEN e.word LIKE ? "
                "THEN 2 ELSE 1 END FROM search_words e WHERE e.kind = "
                "? AND e.object_id = t.id AND e.weight = 2 LIMIT 1) AS "
                "cls FROM %s t WHERE 1 = 1",
                k->tbl);
    param(s, DB_S(phrase));
    param(s, DB_S(like_prefix(a, phrase)));
    param(s, DB_S(like_prefix(a, q->words[0])));
    param(s, DB_I(kind));
    add_filters(s, a, k, q, kind, false);
    add_probes(s, a, q, kind);
    sbuf_adds(&s->b, ") m ");
  } else if (q->nwords && drive == 0) {
    /* every row read matches the first word as a prefix, so a whole-name
     * row among them means the name starts with that word */
    sbuf_adds(&s->b, "(SELECT w.object_id AS id, MAX(CASE WHEN w.weight = 2 "
                     "AND w.word = ? THEN 4 WHEN w.weight = 2 AND w.word "
                     "LIKE ? THEN 3 WHEN w.weight = 2 THEN 2 ELSE 1 END) AS "
                     "cls FROM search_words w WHERE w.kind = ? AND w.word "
                     "LIKE ?");
    param(s, DB_S(phrase));
    param(s, DB_S(like_prefix(a, phrase)));
    param(s, DB_I(kind));
    param(s, DB_S(like_prefix(a, q->words[0])));
  } else if (q->nwords) {
    /* driven by a rarer later word: the class comes from the whole name */
    sbuf_adds(&s->b, "(SELECT w.object_id AS id, (SELECT CASE WHEN e.word "
                     "= ? THEN 4 WHEN e.word LIKE ? THEN 3 WHEN e.word LIKE "
                     "? THEN 2 ELSE 1 END FROM search_words e WHERE e.kind "
                     "= ? AND e.object_id = w.object_id AND e.weight = 2 "
                     "LIMIT 1) AS cls FROM search_words w WHERE w.kind = ? "
                     "AND w.word LIKE ?");
    param(s, DB_S(phrase));
    param(s, DB_S(like_prefix(a, phrase)));
    param(s, DB_S(like_prefix(a, q->words[0])));
    param(s, DB_I(kind));
    param(s, DB_I(kind));
    param(s, DB_S(like_prefix(a, q->words[drive])));
  }
  if (drive >= 0 &&
      (q->nwords > 1 || (q->nwords == 1 && search_chars(q->words[0]) > 2))) {
    for (int i = 0; i < q->nwords; i++) {
      if (i == drive) continue;
      sbuf_adds(&s->b, " AND EXISTS (SELECT 1 FROM search_words x WHERE "
                       "x.kind = w.kind AND x.object_id = w.object_id AND "
                       "x.word LIKE ?)");
      param(s, DB_S(like_prefix(a, q->words[i])));
    }
    sbuf_adds(&s->b, " GROUP BY w.object_id) m ");
  }
  if (q->nwords)
    sbuf_printf(&s->b, "JOIN %s t ON t.id = m.id WHERE 1 = 1", k->tbl);
  else
    sbuf_printf(&s->b, "%s t WHERE 1 = 1", k->tbl);
  add_filters(s, a, k, q, kind, false);
  add_keyset(s, key, q, kind, c);
  sbuf_printf(&s->b, " ORDER BY k %s, t.id %s LIMIT ?", dir, dir);
  param(s, DB_I(q->limit + 1));
}

/* ordered_part: the ordered plan's scan: objects in the order of the
 * sort's own index, each probed for the words and filters, stopping at one
 * page. `not_exact` leaves out exact names (found apart for relevance). */
static void ordered_part(struct stmt *s, struct arena *a,
                         const struct kind_q *k, const struct search_q *q,
                         enum search_kind kind, const struct cursor *c,
                         const char *key, bool not_exact, const char *phrase) {
  const char *dir = q->desc ? "DESC" : "ASC", *col = NULL, *ix = NULL;
  order_col(k, q, &col, &ix);
  sbuf_printf(&s->b, "(SELECT t.id AS id, %s AS k, 1 AS cls FROM %s t", key,
              k->tbl);
  if (ix) sbuf_printf(&s->b, " FORCE INDEX (%s)", ix);
  sbuf_adds(&s->b, " WHERE 1 = 1");
  add_probes(s, a, q, kind);
  add_filters(s, a, k, q, kind, true);
  if (not_exact) {
    sbuf_adds(&s->b, " AND (SELECT 1 FROM search_words e WHERE e.kind = ? "
                     "AND e.word = ? AND e.weight = 2 AND e.object_id = "
                     "t.id) IS NULL");
    param(s, DB_I(kind));
    param(s, DB_S(phrase));
  }
  add_keyset(s, key, q, kind, c);
  if (col)
    sbuf_printf(&s->b, " ORDER BY %s %s, t.id %s LIMIT ?)", col, dir, dir);
  else
    sbuf_printf(&s->b, " ORDER BY t.id %s LIMIT ?)", dir);
  param(s, DB_I(q->limit + 1));
}

/* inner_ordered: the ordered plan. For relevance, exact names (found by
 * equality on the index) come first and every other match follows by
 * popularity: with this many matches, name-prefix classes would need the
 * full sort this plan avoids. */
static void inner_ordered(struct stmt *s, struct arena *a,
                          const struct kind_q *k, const struct search_q *q,
                          enum search_kind kind, const struct cursor *c,
                          const char *phrase, const char *key) {
  const char *dir = q->desc ? "DESC" : "ASC";
  if (q->sort != SEARCH_RELEVANCE) {
    ordered_part(s, a, k, q, kind, c, key, false, phrase);
    return;
  }
  const char *k4 =
      arena_printf(a, "(4 * " CLASS_UNIT " + LEAST(%s, " POP_CAP "))", k->pop);
  const char *k1 =
      arena_printf(a, "(" CLASS_UNIT " + LEAST(%s, " POP_CAP "))", k->pop);
  if (!k4 || !k1) {
    s->b.oom = true;
    return;
  }
  sbuf_printf(&s->b,
              "(SELECT t.id AS id, %s AS k, 4 AS cls FROM "
              "search_words e STRAIGHT_JOIN %s t ON t.id = e.object_id "
              "WHERE "
              "e.kind = ? AND e.weight = 2 AND e.word = ?",
              k4, k->tbl);
  param(s, DB_I(kind));
  param(s, DB_S(phrase));
  add_filters(s, a, k, q, kind, false);
  add_keyset(s, k4, q, kind, c);
  sbuf_printf(&s->b, " ORDER BY k %s, t.id %s LIMIT ?) UNION ALL ", dir, dir);
  param(s, DB_I(q->limit + 1));
  ordered_part(s, a, k, q, kind, c, k1, true, phrase);
}

#define ORDERED_EXAMINE 40000

/* exec_plan: build and run one plan; *rows the result. */
static int exec_plan(struct db *d, struct arena *a, const struct search_q *q,
                     enum search_kind kind, const struct cursor *c,
                     const char *phrase, const char *key, bool ordered,
                     int drive, struct db_res *res) {
  const struct kind_q *k = &kq[kind];
  struct stmt st = {.np = 0};
  const char *dir = q->desc ? "DESC" : "ASC";
  sbuf_init(&st.b, a);
  sbuf_printf(&st.b, "SELECT p.id, p.k, %s, %s, p.cls FROM (",
              q->sort == SEARCH_TITLE ? "HEX(WEIGHT_STRING(t.name0))" : "NULL",
              k->cols);
  if (ordered)
    inner_ordered(&st, a, k, q, kind, c, phrase, key);
  else
    inner_matched(&st, a, k, q, kind, c, phrase, key, drive);
  sbuf_printf(&st.b, ") p JOIN %s t ON t.id = p.id %s", k->tbl, k->joins);
  /* The ordered plan stops examining rows past ORDERED_EXAMINE (index
   * entries and probes): words common one by one but rare together, or a
   * selective filter, would make it read most of the index. The caller then
   * runs the plan that suits that case. Its result is not sorted here
   * (MariaDB would abort the sort): the merge in C sorts every hit. */
  if (ordered)
    sbuf_printf(&st.b, " LIMIT ROWS EXAMINED %d", ORDERED_EXAMINE);
  else
    sbuf_printf(&st.b, " ORDER BY p.k %s, p.id %s", dir, dir);
  if (st.b.oom) return RC_NOMEM;

  /* the title column is t.name0 in the text above: name it per kind */
  char *t0 = strstr(st.b.s, "t.name0");
  if (t0) {
    const char *col = k->name + 2; /* "title" or "name" */
    char *fixed =
        arena_printf(a, "%.*st.%s%s", (int)(t0 - st.b.s), st.b.s, col, t0 + 7);
    if (!fixed) return RC_NOMEM;
    st.b.s = fixed;
  }
  const char *sql = intern(st.b.s);
  if (!sql) return RC_NOMEM;
  return db_exec(d, a, sql, st.p, st.np, DB_IDEMPOTENT, res);
}

/* run_kind: up to limit + 1 hits of one kind after the cursor (the ordered
 * plan may return more; the merge keeps the first ones). */
static int run_kind(struct db *d, struct arena *a, const struct search_q *q,
                    enum search_kind kind, const struct cursor *c,
                    const char *phrase, struct hit **out, int *nout) {
  const struct kind_q *k = &kq[kind];
  struct sbuf key;
  sbuf_init(&key, a);
  key_expr(&key, k, q);
  if (key.oom) return RC_NOMEM;

  bool ordered = false;
  int drive = 0, rc;
  if (q->nwords && !(q->nwords == 1 && search_chars(q->words[0]) <= 2)) {
    if ((rc = plan(d, a, q, kind, &drive, &ordered))) return rc;
    /* playlists have no order index; their matches are sorted */
    if (kind == SEARCH_PLAYLIST) ordered = false;
  }
  struct db_res res;
  rc = exec_plan(d, a, q, kind, c, phrase, key.s, ordered, drive, &res);
  if (rc && !(ordered && rc == RC_DB)) return rc;
  if (ordered) {
    /* less than a page from the scan: it may have been cut short */
    int scanned = 0;
    for (int i = 0; !rc && i < res.nrows; i++)
      if (q->sort != SEARCH_RELEVANCE || db_i64(&res.rows[i], 13, 0) == 1)
        scanned++;
    if (scanned <= q->limit) {
      int fallback = drive;
      if (filtered(q)) {
        long long n;
        if ((rc = count_prefix(d, a, kind, q->words[drive], FILTER_FIRST_MIN,
                               &n)))
          return rc;
        if (n >= FILTER_FIRST_MIN) fallback = -1;
      }
      if ((rc = exec_plan(d, a, q, kind, c, phrase, key.s, false, fallback,
                          &res)))
        return rc;
    }
  }
  struct hit *h = arena_alloc(a, sizeof *h * (size_t)(res.nrows + 1));
  if (!h) return RC_NOMEM;
  for (int i = 0; i < res.nrows; i++) {
    h[i].kind = kind;
    h[i].id = db_i64(&res.rows[i], 0, 0);
    h[i].num = q->sort == SEARCH_TITLE ? 0 : db_i64(&res.rows[i], 1, 0);
    h[i].wkey = db_s(&res.rows[i], 2);
    h[i].row = res.rows[i];
  }
  *out = h;
  *nout = res.nrows;
  return 0;
}

static bool sort_desc;

static int hit_cmp(const void *pa, const void *pb) {
  const struct hit *x = pa, *y = pb;
  int c = 0;
  if (x->wkey && y->wkey)
    c = strcmp(x->wkey, y->wkey);
  else
    c = (x->num > y->num) - (x->num < y->num);
  if (!c) c = (x->kind > y->kind) - (x->kind < y->kind);
  if (!c) c = (x->id > y->id) - (x->id < y->id);
  return sort_desc ? -c : c;
}

static json_object *ref(const struct db_row *r, int idc, int namec,
                        const char *namekey) {
  if (!db_s(r, idc)) return NULL;
  json_object *o = json_object_new_object();
  json_object_object_add(o, "id", json_object_new_int64(db_i64(r, idc, 0)));
  json_object_object_add(o, namekey, json_object_new_string(db_s(r, namec)));
  return o;
}

static json_object *str_or_null(const char *s) {
  return s ? json_object_new_string(s) : NULL;
}

/* hit_json: the summary of one hit. Columns: 0 id, 1 key, 2 weight key,
 * 3.. the kind's 10 summary columns, 13 match class. */
static json_object *hit_json(const struct hit *h, const struct search_q *q) {
  const struct db_row *r = &h->row;
  json_object *o = json_object_new_object();
  json_object_object_add(o, "type", json_object_new_string(kq[h->kind].type));
  json_object_object_add(o, "id", json_object_new_int64(h->id));
  switch (h->kind) {
  case SEARCH_TRACK:
    json_object_object_add(o, "title", json_object_new_string(db_s(r, 3)));
    json_object_object_add(o, "artist", ref(r, 10, 11, "name"));
    json_object_object_add(o, "album", ref(r, 8, 9, "title"));
    json_object_object_add(o, "duration_ms",
                           json_object_new_int64(db_i64(r, 6, 0)));
    json_object_object_add(o, "release_date", str_or_null(db_s(r, 5)));
    json_object_object_add(o, "explicit",
                           json_object_new_boolean(db_i64(r, 7, 0) != 0));
    break;
  case SEARCH_ARTIST:
    json_object_object_add(o, "name", json_object_new_string(db_s(r, 3)));
    json_object_object_add(o, "country", str_or_null(db_s(r, 11)));
    json_object_object_add(o, "image_url", str_or_null(db_s(r, 12)));
    break;
  case SEARCH_ALBUM:
    json_object_object_add(o, "title", json_object_new_string(db_s(r, 3)));
    json_object_object_add(o, "artist", ref(r, 8, 9, "name"));
    json_object_object_add(o, "album_type", str_or_null(db_s(r, 11)));
    json_object_object_add(o, "release_date", str_or_null(db_s(r, 5)));
    break;
  case SEARCH_PLAYLIST:
    json_object_object_add(o, "name", json_object_new_string(db_s(r, 3)));
    json_object_object_add(o, "owner", ref(r, 8, 9, "username"));
    json_object_object_add(o, "visibility", str_or_null(db_s(r, 11)));
    json_object_object_add(o, "track_count",
                           json_object_new_int64(db_i64(r, 4, 0)));
    break;
  }
  if (h->kind != SEARCH_PLAYLIST)
    json_object_object_add(o, "popularity",
                           json_object_new_int64(db_i64(r, 4, 0)));
  if (q->sort == SEARCH_RELEVANCE && q->nwords)
    json_object_object_add(o, "score", json_object_new_int64(h->num));
  return o;
}

/* parse_cursor: the cursor text of this query's sort and direction. */
static int parse_cursor(struct db *d, struct arena *a, const struct search_q *q,
                        struct cursor *c) {
  char sort[16], dir;
  int kind, used = 0;
  long long id, num;
  if (sscanf(q->after, "%15[a-z_]|%c|%d|%lld|%lld%n", sort, &dir, &kind, &id,
             &num, &used) != 5 ||
      q->after[used] != '\0')
    return RC_BAD_REQUEST;
  if (strcmp(sort, sort_names[q->sort]) || dir != (q->desc ? 'd' : 'a') ||
      kind < 0 || kind > SEARCH_PLAYLIST || id < 1)
    return RC_BAD_REQUEST;
  c->kind = kind;
  c->id = id;
  c->num = num;
  c->str = NULL;
  if (q->sort == SEARCH_TITLE) {
    static const char *const title_sql[] = {
        "SELECT title FROM tracks WHERE id = ?",
        "SELECT name FROM artists WHERE id = ?",
        "SELECT title FROM albums WHERE id = ?",
        "SELECT name FROM playlists WHERE id = ?"};
    struct db_res res;
    struct db_val p = DB_I(id);
    int rc = db_exec(d, a, title_sql[kind], &p, 1, DB_IDEMPOTENT, &res);
    if (rc) return rc;
    /* the last item served is gone: the page can no longer be placed */
    if (res.nrows == 0) return RC_BAD_REQUEST;
    c->str = db_s(&res.rows[0], 0);
  }
  return 0;
}

int search_genre_id(struct db *d, struct arena *a, const char *name,
                    long long *id) {
  struct db_res res;
  struct db_val p = DB_S(name);
  int rc = db_exec(d, a, "SELECT id FROM genres WHERE name = ?", &p, 1,
                   DB_IDEMPOTENT, &res);
  if (rc) return rc;
  *id = res.nrows ? db_i64(&res.rows[0], 0, -1) : -1;
  return 0;
}

int search_run(struct db *d, struct arena *a, const struct search_q *q,
               json_object **items, const char **next) {
  struct cursor c;
  int rc;
  *items = NULL;
  *next = NULL;
  if (q->after && (rc = parse_cursor(d, a, q, &c))) return rc;
  json_object *arr = jx_own(a, json_object_new_array());
  if (!arr) return RC_NOMEM;
  *items = arr;
  if (q->genre_id < 0) return 0; /* no such genre: nothing matches */

  struct sbuf ph;
  sbuf_init(&ph, a);
  for (int i = 0; i < q->nwords; i++) {
    if (i) sbuf_addc(&ph, ' ');
    sbuf_adds(&ph, q->words[i]);
  }
  if (ph.oom) return RC_NOMEM;

  struct hit *all = NULL;
  int nall = 0;
  for (int kind = SEARCH_TRACK; kind <= SEARCH_PLAYLIST; kind++) {
    if (!(q->types & (1u << kind)) || !applies(&kq[kind], q)) continue;
    struct hit *h;
    int n;
    if ((rc = run_kind(d, a, q, kind, q->after ? &c : NULL, ph.s, &h, &n)))
      return rc;
    struct hit *m = arena_alloc(a, sizeof *m * (size_t)(nall + n + 1));
    if (!m) return RC_NOMEM;
    if (nall) memcpy(m, all, sizeof *m * (size_t)nall);
    if (n) memcpy(m + nall, h, sizeof *m * (size_t)n);
    all = m;
    nall += n;
  }
  sort_desc = q->desc;
  if (nall > 1) qsort(all, (size_t)nall, sizeof *all, hit_cmp);
  int n = nall < q->limit ? nall : q->limit;
  for (int i = 0; i < n; i++)
    json_object_array_add(arr, hit_json(&all[i], q));
  if (nall > q->limit) {
    const struct hit *l = &all[n - 1];
    *next = arena_printf(a, "%s|%c|%d|%lld|%lld", sort_names[q->sort],
                         q->desc ? 'd' : 'a', l->kind, l->id, l->num);
    if (!*next) return RC_NOMEM;
  }
  return 0;
}
