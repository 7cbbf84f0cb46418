/* search: the word-prefix index (tables search_words, search_heads and
 * search_vocab, see sql/migrations/0005_search.sql and 0009) and the queries
 * of GET /api/v1/search.
 *
 * Indexing runs inside MariaDB: the name is normalized by NORM() and split
 * into words with seq_1_to_16 (the Sequence engine), so the one-object path
 * (search_index) and the bulk path (search_rebuild) produce exactly the same
 * entries, and a rebuild is a few INSERT ... SELECT statements over id ranges
 * instead of a million round trips. Each entry carries a copy of what
 * queries filter and sort on (popularity, release day, duration, explicit
 * flag, genre ids) and the whole normalized name, so that a query reads one
 * range of the clustered index instead of one catalogue row per match. The
 * query side normalizes user input with search_split (search_words.c),
 * which follows the same rules. */
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
#include "core/log.h"
#include "core/rc.h"
#include "core/rnd.h"
#include "core/str.h"

static struct kv *cache;

void search_cache(struct kv *k) {
  cache = k;
}

/* forget: every cached result page may show the changed object. */
static void forget(void) {
  if (cache) kv_ns_bump(cache, "search");
}

void search_forget_viewer(long long user) {
  char ns[48];
  snprintf(ns, sizeof ns, SEARCH_VIEWER_NS, user);
  if (cache) kv_ns_bump(cache, ns);
}

/* NORM(col): lower case, apostrophes dropped, every run of non-alphanumerics
 * (of any script) one space, trimmed. Must match search_split. */
#define NORM(col)                                                              \
  "TRIM(REGEXP_REPLACE(REGEXP_REPLACE(LOWER(" col "), '[''\xe2\x80\x99]', "    \
  "''), '[^[:alnum:]]+', ' '))"

/* The copied columns of every entry (0009_search_postings.sql) as the
 * derived table n names them, and per kind the expressions that fill them
 * from the object's own table. */
#define COPY_COLS "pop, day, dur, expl, genres, name, norm"
#define COPY_VALS "n.pop, n.day, n.dur, n.expl, n.genres, n.name, n.norm"
#define GENRE_LIST(tbl, col)                                                   \
  "(SELECT GROUP_CONCAT(g.genre_id ORDER BY g.genre_id) FROM " tbl " g "      \
  "WHERE g." col " = x.id)"
#define ATTR_TRACK                                                             \
  "x.popularity AS pop, TO_DAYS(x.release_date) AS day, x.duration_ms AS "    \
  "dur, x.explicit AS expl, " GENRE_LIST("track_genres", "track_id")          \
  " AS genres"
#define ATTR_ARTIST                                                            \
  "x.popularity AS pop, NULL AS day, NULL AS dur, NULL AS expl, " GENRE_LIST(  \
      "artist_genres", "artist_id") " AS genres"
#define ATTR_ALBUM                                                             \
  "x.popularity AS pop, TO_DAYS(x.release_date) AS day, NULL AS dur, NULL "    \
  "AS expl, " GENRE_LIST("album_genres", "album_id") " AS genres"
#define ATTR_PLAYLIST                                                          \
  "x.track_count AS pop, NULL AS day, NULL AS dur, NULL AS expl, NULL AS "     \
  "genres"

/* The objects of `tbl` (alias x) selected by `where`, normalized. */
#define OBJECTS(tbl, col, attrs, where)                                        \
  "(SELECT x.id, " attrs ", x." col " AS name, " NORM(                         \
      "x." col) " AS norm FROM " tbl " x " where ") n"

/* Names with more than 16 words index their first 16 words (and the whole
 * name, up to 64 characters, as one entry). */
#define WORDS_FROM(tbl, col, attrs, where)                                     \
  "FROM " OBJECTS(tbl, col, attrs, where) " JOIN seq_1_to_16 s "               \
                                          "ON s.seq <= 1 + LENGTH(n.norm) - "  \
                                          "LENGTH(REPLACE(n.norm, ' ', '')) "  \
                                          "WHERE n.norm <> ''"

/* The whole name first (weight 2), then the words with INSERT IGNORE, so a
 * one-word name keeps weight 2 and accent variants of one word collapse. */
#define INS_WHOLE(dst, kind, tbl, col, attrs, where)                           \
  "INSERT IGNORE INTO " dst " (kind, word, object_id, weight, " COPY_COLS      \
  ") SELECT " kind ", LEFT(n.norm, 64), n.id, 2, " COPY_VALS                   \
  " FROM " OBJECTS(tbl, col, attrs, where) " WHERE n.norm <> ''"
#define INS_WORDS(dst, kind, tbl, col, attrs, where)                           \
  "INSERT IGNORE INTO " dst " (kind, word, object_id, weight, " COPY_COLS      \
  ") SELECT " kind ", LEFT(SUBSTRING_INDEX(SUBSTRING_INDEX(n.norm, ' ', "      \
  "s.seq), ' ', -1), 64), n.id, 1, " COPY_VALS " " WORDS_FROM(tbl, col, attrs, \
                                                              where)
#define INS_HEADS(dst, kind, tbl, col, attrs, where)                           \
  "INSERT IGNORE INTO " dst " (kind, head, popularity, object_id) "            \
  "SELECT " kind ", LEFT(n.norm, s.seq), n.pop, n.id FROM " OBJECTS(           \
      tbl, col, attrs, where) " JOIN seq_1_to_2 s WHERE n.norm <> ''"

#define ONE "WHERE x.id = ?"
#define RANGE "WHERE x.id BETWEEN ? AND ?"

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
#define KIND_SQL(k, tbl, col, attrs)                                           \
  {                                                                            \
    INS_WHOLE(W, k, tbl, col, attrs, ONE),                                     \
        INS_WORDS(W, k, tbl, col, attrs, ONE),                                 \
        INS_HEADS(H, k, tbl, col, attrs, ONE),                                 \
        INS_WHOLE(WN, k, tbl, col, attrs, RANGE),                              \
        INS_WORDS(WN, k, tbl, col, attrs, RANGE),                              \
        INS_HEADS(HN, k, tbl, col, attrs, RANGE),                              \
        "SELECT COALESCE(MAX(id), 0) FROM " tbl                                \
  }

static const struct kind_sql kinds[] = {
    [SEARCH_TRACK] = KIND_SQL("0", "tracks", "title", ATTR_TRACK),
    [SEARCH_ARTIST] = KIND_SQL("1", "artists", "name", ATTR_ARTIST),
    [SEARCH_ALBUM] = KIND_SQL("2", "albums", "title", ATTR_ALBUM),
    /* playlists have no play count: they rank by their number of tracks */
    [SEARCH_PLAYLIST] = KIND_SQL("3", "playlists", "name", ATTR_PLAYLIST),
};

static bool kind_ok(enum search_kind kind) {
  return (unsigned)kind <= SEARCH_PLAYLIST;
}

/* pending: while a rebuild runs (its *_next tables exist), note the object
 * so that the rebuild indexes it again once the new tables are live: this
 * write goes to the tables about to be replaced, and the rebuild may have
 * read the object's row before it. 0 or a db code. */
static int pending(struct db *d, enum search_kind kind, long long id) {
  struct db_res res;
  struct arena *a = arena_new(0);
  if (!a) return RC_NOMEM;
  int rc = db_exec(d, a,
                   "SELECT COUNT(*) FROM information_schema.tables WHERE "
                   "table_schema = DATABASE() AND table_name = "
                   "'search_words_next'",
                   NULL, 0, DB_IDEMPOTENT, &res);
  bool rebuilding = !rc && res.nrows && db_i64(&res.rows[0], 0, 0) > 0;
  arena_free(a);
  if (rc || !rebuilding) return rc;
  struct db_val p[] = {DB_I(kind), DB_I(id)};
  return db_exec(d, NULL,
                 "INSERT IGNORE INTO search_pending (kind, object_id) "
                 "VALUES (?, ?)",
                 p, 2, DB_IDEMPOTENT, NULL);
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

/* reindex: delete then insert: every statement is idempotent on its own,
 * and a missing row simply inserts nothing. */
static int reindex(struct db *d, enum search_kind kind, long long id) {
  const struct kind_sql *k = &kinds[kind];
  struct db_val p = DB_I(id);
  int rc = unindex(d, kind, id);
  if (!rc) rc = db_exec(d, NULL, k->whole1, &p, 1, DB_IDEMPOTENT, NULL);
  if (!rc) rc = db_exec(d, NULL, k->words1, &p, 1, DB_IDEMPOTENT, NULL);
  if (!rc) rc = db_exec(d, NULL, k->heads1, &p, 1, DB_IDEMPOTENT, NULL);
  return rc;
}

/* index_once: one transaction noting the object for a running rebuild and
 * dropping its entries, then (unless drop) inserting them anew, so a
 * reader never sees the object half indexed and a deadlock loses nothing
 * that a rerun would not write again. */
static int index_once(struct db *d, enum search_kind kind, long long id,
                      bool drop) {
  int rc = db_begin(d);
  if (rc) return rc;
  rc = pending(d, kind, id);
  if (!rc) rc = drop ? unindex(d, kind, id) : reindex(d, kind, id);
  if (!rc) return db_commit(d);
  db_rollback(d);
  return rc;
}

/* index_retried: index_once, run again after a deadlock; a failure that
 * remains is logged, as the callers' own writes are already committed and
 * they answer on those. */
static int index_retried(struct db *d, enum search_kind kind, long long id,
                         bool drop) {
  if (!kind_ok(kind)) return RC_INVALID;
  int rc, tries = 0;
  do
    rc = index_once(d, kind, id, drop);
  while (db_retry(rc, &tries));
  if (rc) {
    char k[8], o[24], c[8];
    snprintf(k, sizeof k, "%d", (int)kind);
    snprintf(o, sizeof o, "%lld", id);
    snprintf(c, sizeof c, "%d", rc);
    log_msg(LOG_ERROR,
            drop ? "search: unindexing failed" : "search: indexing failed",
            "kind", k, "id", o, "rc", c, NULL);
  }
  forget();
  return rc;
}

int search_unindex(struct db *d, enum search_kind kind, long long id) {
  return index_retried(d, kind, id, true);
}

int search_index(struct db *d, struct arena *a, enum search_kind kind,
                 long long id) {
  (void)a;
  return index_retried(d, kind, id, false);
}

/* Ids per INSERT ... SELECT of a rebuild: small enough that no statement
 * holds its locks for long, large enough that round trips do not count. */
#define REBUILD_CHUNK 50000

/* The rebuild's steps around the inserts: fresh *_next tables without
 * their secondary keys (built once, sorted, at the end), then one atomic
 * RENAME, so searches see the old index until the new one is complete.
 * Writers note what they index meanwhile in search_pending (see pending()),
 * which is emptied first: the rebuild reads every row after this point. */
static const char *const rebuild_pre[] = {
    /* Plain snapshot reads of the catalogue: INSERT ... SELECT would lock
     * every row it reads under REPEATABLE READ, holding up writers for a
     * whole chunk, and the replay below already covers concurrent writes. */
    "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
    "DROP TABLE IF EXISTS search_words_next, search_heads_next, "
    "search_vocab_next",
    "DELETE FROM search_pending",
    "CREATE TABLE search_words_next LIKE search_words",
    "CREATE TABLE search_heads_next LIKE search_heads",
    "CREATE TABLE search_vocab_next LIKE search_vocab",
    "ALTER TABLE search_words_next DROP KEY search_words_object",
    "ALTER TABLE search_heads_next DROP KEY search_heads_object",
};
static const char *const rebuild_post[] = {
    "ALTER TABLE search_words_next ADD KEY search_words_object "
    "(kind, object_id)",
    "ALTER TABLE search_heads_next ADD KEY search_heads_object "
    "(kind, object_id)",
    "INSERT INTO search_vocab_next (kind, word, objects) SELECT kind, word, "
    "COUNT(*) FROM search_words_next WHERE weight = 1 GROUP BY kind, word",
    /* statistics of the full tables, or the planner judges them empty */
    "ANALYZE TABLE search_words_next, search_heads_next, search_vocab_next",
    "RENAME TABLE search_words TO search_words_old, search_words_next TO "
    "search_words, search_heads TO search_heads_old, search_heads_next TO "
    "search_heads, search_vocab TO search_vocab_old, search_vocab_next TO "
    "search_vocab",
    "DROP TABLE search_words_old, search_heads_old, search_vocab_old",
};

static int run_all(struct db *d, const char *const *sql, size_t n) {
  int rc = 0;
  for (size_t i = 0; !rc && i < n; i++)
    rc = db_exec(d, NULL, sql[i], NULL, 0, DB_IDEMPOTENT, NULL);
  return rc;
}

/* replay: index again, into the now live tables, every object written
 * while the rebuild ran. A writer that saw the *_next tables just before
 * the swap may note its object after the last read below: its own write
 * comes after its note, so it reaches the new live tables, and the note is
 * cleared by the next rebuild. */
static int replay(struct db *d, struct arena *a) {
  int rc;
  do {
    struct db_res res;
    arena_reset(a);
    rc = db_exec(d, a,
                 "SELECT kind, object_id FROM search_pending ORDER BY kind, "
                 "object_id LIMIT 1000",
                 NULL, 0, DB_IDEMPOTENT, &res);
    if (rc || res.nrows == 0) return rc;
    for (int i = 0; !rc && i < res.nrows; i++) {
      long long kind = db_i64(&res.rows[i], 0, -1);
      struct db_val p[] = {DB_I(kind), DB_I(db_i64(&res.rows[i], 1, 0))};
      if (!kind_ok((enum search_kind)kind)) continue;
      rc = reindex(d, (enum search_kind)kind, p[1].i);
      if (!rc)
        rc = db_exec(d, NULL,
                     "DELETE FROM search_pending WHERE kind = ? AND "
                     "object_id = ?",
                     p, 2, DB_IDEMPOTENT, NULL);
    }
  } while (!rc);
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
  if (!rc) rc = replay(d, a);
  db_exec(d, NULL, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
          NULL, 0, DB_IDEMPOTENT, NULL);
  arena_free(a);
  forget();
  return rc;
}

int search_upgrade(struct db *d, bool *rebuilt) {
  struct arena *a = arena_new(0);
  if (!a) return RC_NOMEM;
  struct db_res res;
  *rebuilt = false;
  int rc = db_exec(d, a,
                   "SELECT EXISTS (SELECT 1 FROM search_words WHERE name = '')",
                   NULL, 0, DB_IDEMPOTENT, &res);
  bool stale = !rc && res.nrows && db_i64(&res.rows[0], 0, 0);
  arena_free(a);
  if (rc || !stale) return rc;
  *rebuilt = true;
  return search_rebuild(d);
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
 * key is the numeric sort key, or for the title sort the title itself in
 * hex, so that a page is placed by its values even after the item it
 * follows was deleted or renamed. */
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
static void add_keyset(struct stmt *s, const char *key, const char *idcol,
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
  sbuf_printf(&s->b, " AND (%s %s ? OR (%s = ? AND %s %s ?))", key, op, key,
              idcol, op);
  if (q->sort == SEARCH_TITLE) {
    param(s, DB_S(c->str));
    param(s, DB_S(c->str));
  } else {
    param(s, DB_I(c->num));
    param(s, DB_I(c->num));
  }
  param(s, DB_I(bound));
}

/* add_probes: every query word must start some word of the object (its
 * word entries suffice: the whole name starts with the first word). With
 * the weight, the probe is one short range of search_words_object, whose
 * entries end with the primary key (kind, object_id, weight, word). */
static void add_probes(struct stmt *s, struct arena *a,
                       const struct search_q *q, enum search_kind kind) {
  for (int i = 0; i < q->nwords; i++) {
    sbuf_adds(&s->b, " AND (SELECT 1 FROM search_words w WHERE w.kind = ? "
                     "AND w.object_id = t.id AND w.weight = 1 AND w.word "
                     "LIKE ? LIMIT 1) IS NOT NULL");
    param(s, DB_I(kind));
    param(s, DB_S(like_prefix(a, q->words[i])));
  }
}

/* A prefix of more objects than this is "common": for a single word
 * without filters, reading objects in the order of the sort and probing
 * each (the ordered plan) stops after a page and beats reading every match.
 * Not in title order, where names that share a word cluster (the matches
 * of "burn" are mostly together under B): the postings plan sorts titles
 * copied into the entries instead. */
#define COMMON_MIN 3000

/* With several words or filters a common word may still be rare in
 * combination. The postings plan reads the rarest word's entries (one per
 * object and word, in one range of the clustered index, every other
 * condition checked on the entry itself); the ordered scan is tried first
 * only when, taking the words and filters as independent, it should find a
 * page at less cost than that, and it is capped at twice the rows
 * expected. When the rarest word is in more than POSTINGS_MAX names,
 * as "the" or "of" in a fifth of all names, the scan gets ORDERED_EXAMINE
 * rows, and a filtered query that it cannot answer is driven by the
 * filters' own indexes instead. */
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

static bool filtered(const struct search_q *q) {
  return q->genre_id || q->year_from || q->year_to || q->dur_min >= 0 ||
         q->dur_max >= 0 || q->explicit_only >= 0 || q->artist_id;
}

/* estimate: the objects of `kind` with a word starting with `word`, from
 * search_vocab (counted at the last rebuild: an estimate, never used for
 * results). */
static int estimate(struct db *d, struct arena *a, enum search_kind kind,
                    const char *word, long long *n) {
  struct db_val p[] = {DB_I(kind), DB_S(like_prefix(a, word))};
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT COALESCE(SUM(objects), 0), COUNT(*) FROM (SELECT "
                   "objects FROM search_vocab WHERE kind = ? AND word LIKE ? "
                   "LIMIT " STR(VOCAB_SCAN) ") x",
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

/* plan: the rarest query word for this kind (*drive), its estimated
 * number of objects (*best), and the rows an ordered scan may examine
 * (*examine, 0: do not scan). */
static int plan(struct db *d, struct arena *a, const struct search_q *q,
                enum search_kind kind, int *drive, long long *best,
                int *examine) {
  double dense = 1;
  struct db_res res;
  int rc = db_exec(d, a, kinds[kind].max_id, NULL, 0, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  double all = res.nrows ? (double)db_i64(&res.rows[0], 0, 1) : 1;
  if (all < 1) all = 1;
  *drive = 0;
  *best = -1;
  *examine = 0;
  for (int i = 0; i < q->nwords; i++) {
    long long n;
    if ((rc = estimate(d, a, kind, q->words[i], &n))) return rc;
    if (*best < 0 || n < *best) *best = n, *drive = i;
    dense *= n >= all ? 1 : (double)n / all;
  }
  if (*best >= POSTINGS_MAX) {
    *examine = ORDERED_EXAMINE;
  } else if (*best >= COMMON_MIN && q->sort != SEARCH_TITLE) {
    /* rows per object read: the index entry, then a probe of about 3
     * entries per word and per genre */
    double per = 1 + 3 * q->nwords + (q->genre_id ? 3 : 0);
    double rows = (q->limit + 1) * per / (dense * share(q));
    if (rows * ORDERED_COST < (double)*best)
      *examine = rows * 2 < ORDERED_MIN       ? ORDERED_MIN
                 : rows * 2 > ORDERED_EXAMINE ? ORDERED_EXAMINE
                                              : (int)(rows * 2);
  }
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

/* like_word: the LIKE pattern of a word starting inside a normalized name
 * prefixed with a space. */
static char *like_word(struct arena *a, const char *w) {
  const char *p = like_prefix(a, w);
  return p ? arena_printf(a, "%% %s", p) : NULL;
}

/* add_inline_filters: the filters that the index entries carry (see
 * 0009_search_postings.sql), on entry `w`. The artist filter and playlist
 * visibility are not carried: they stay on the object's own row. */
static void add_inline_filters(struct stmt *s, struct arena *a,
                               const struct search_q *q) {
  if (q->genre_id) {
    sbuf_adds(&s->b, " AND FIND_IN_SET(?, w.genres) > 0");
    param(s, DB_S(arena_printf(a, "%lld", q->genre_id)));
  }
  if (q->year_from) {
    sbuf_adds(&s->b, " AND w.day >= TO_DAYS(?)");
    param(s, DB_S(arena_printf(a, "%04d-01-01", q->year_from)));
  }
  if (q->year_to) {
    sbuf_adds(&s->b, " AND w.day <= TO_DAYS(?)");
    param(s, DB_S(arena_printf(a, "%04d-12-31", q->year_to)));
  }
  if (q->dur_min >= 0) {
    sbuf_adds(&s->b, " AND w.dur >= ?");
    param(s, DB_I(q->dur_min));
  }
  if (q->dur_max >= 0) {
    sbuf_adds(&s->b, " AND w.dur <= ?");
    param(s, DB_I(q->dur_max));
  }
  if (q->explicit_only >= 0) {
    sbuf_adds(&s->b, " AND w.expl = ?");
    param(s, DB_I(q->explicit_only));
  }
}

/* postings: the objects matching every word, with their match class and
 * the copied sort columns, from one range of search_words: the word
 * entries of the driving word's prefix, each checked for the other words
 * against its copy of the normalized name and for the carried filters.
 * Ungrouped, an object two of whose words start with the prefix comes
 * twice, with equal values (see dedupe). The same
 * matches as probing the object's own entries: a query word has no space,
 * so it starts some indexed word (the first 16, cut at 64 characters, no
 * longer than a query word) exactly when " <word>" starts inside the first
 * 16 words of the name; and the class compares the whole-name entry's text,
 * LEFT(norm, 64). */
static void postings(struct stmt *s, struct arena *a, const struct search_q *q,
                     enum search_kind kind, const char *phrase, int drive,
                     bool coarse, bool grouped) {
  const char *agg = grouped ? "MAX" : "";
  if (coarse) {
    sbuf_printf(&s->b, "SELECT w.object_id AS id, %s(CASE WHEN LEFT(w.norm, "
                       "64) = ? THEN 4 ELSE 1 END) AS cls, ",
                agg);
    param(s, DB_S(phrase));
  } else {
    sbuf_printf(&s->b, "SELECT w.object_id AS id, %s(CASE WHEN LEFT(w.norm, "
                       "64) = ? THEN 4 WHEN LEFT(w.norm, 64) LIKE ? THEN 3 "
                       "WHEN LEFT(w.norm, 64) LIKE ? THEN 2 ELSE 1 END) AS "
                       "cls, ",
                agg);
    param(s, DB_S(phrase));
    param(s, DB_S(like_prefix(a, phrase)));
    param(s, DB_S(like_prefix(a, q->words[0])));
  }
  /* word entries only: the whole-name entry starts with the first word */
  sbuf_printf(&s->b, "%s(w.pop) AS pop, %s(w.day) AS day, %s(w.dur) AS dur, "
                     "%s(w.name) AS name FROM search_words w WHERE w.kind = "
                     "? AND w.word LIKE ? AND w.weight = 1",
              agg, agg, agg, agg);
  param(s, DB_I(kind));
  param(s, DB_S(like_prefix(a, q->words[drive])));
  for (int i = 0; i < q->nwords; i++) {
    if (i == drive) continue;
    sbuf_adds(&s->b, " AND CONCAT(' ', SUBSTRING_INDEX(w.norm, ' ', 16)) "
                     "LIKE ?");
    param(s, DB_S(like_word(a, q->words[i])));
  }
  add_inline_filters(s, a, q);
  if (grouped) sbuf_adds(&s->b, " GROUP BY w.object_id");
}

/* postings_key: the sort key of the postings plan, from the copied
 * columns; NULL when the query needs the object's row (artist filter,
 * playlist visibility). Same values as key_expr on the row. */
static const char *postings_key(const struct kind_q *k,
                                const struct search_q *q,
                                enum search_kind kind) {
  if (kind == SEARCH_PLAYLIST || q->artist_id) return NULL;
  switch (q->sort) {
  case SEARCH_RELEVANCE:
    return "(m.cls * " CLASS_UNIT " + LEAST(m.pop, " POP_CAP "))";
  case SEARCH_POPULARITY:
    return "m.pop";
  case SEARCH_RELEASE_DATE:
    return k->date ? "COALESCE(m.day, 0)" : "0";
  case SEARCH_DURATION:
    return k->dur ? "m.dur" : "0";
  case SEARCH_TITLE:
    return "m.name";
  }
  return NULL;
}

/* inner_matched: the match-first plans: the postings of the rarest word
 * (drive >= 0), the one- and two-letter heads, the filters' own indexes
 * (drive < 0) or, without words, the filters alone; then sorted. Cost grows
 * with the number of matches. */
static void inner_matched(struct stmt *s, struct arena *a,
                          const struct kind_q *k, const struct search_q *q,
                          enum search_kind kind, const struct cursor *c,
                          const char *phrase, const char *key, int drive,
                          bool coarse, int fetch) {
  const char *dir = q->desc ? "DESC" : "ASC";
  bool heads = q->nwords == 1 && search_chars(q->words[0]) <= 2;
  const char *mkey =
      q->nwords && !heads && drive >= 0 ? postings_key(k, q, kind) : NULL;
  if (mkey) {
    /* everything from the entries, sorted and cut before any row is read;
     * not grouped (a grouping of tens of thousands of entries costs more
     * than the scan): the caller drops repeated objects */
    sbuf_printf(&s->b, "SELECT m.id AS id, %s AS k, m.cls AS cls FROM (",
                mkey);
    postings(s, a, q, kind, phrase, drive, coarse, false);
    sbuf_adds(&s->b, ") m WHERE 1 = 1");
    add_keyset(s, mkey, "m.id", q, kind, c);
    sbuf_printf(&s->b, " ORDER BY k %s, m.id %s LIMIT ?", dir, dir);
    param(s, DB_I(fetch));
    return;
  }
  sbuf_printf(&s->b, "SELECT t.id AS id, %s AS k, %s AS cls FROM ", key,
              q->nwords ? "m.cls" : "0");
  if (heads) {
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
                "THEN 4 WHEN %s THEN 3 WHEN %s THEN 2 ELSE 1 END FROM "
                "search_words e WHERE e.kind = ? AND e.object_id = t.id AND "
                "e.weight = 2 LIMIT 1) AS cls FROM %s t WHERE 1 = 1",
                coarse ? "FALSE" : "e.word LIKE ?",
                coarse ? "FALSE" : "e.word LIKE ?", k->tbl);
    param(s, DB_S(phrase));
    if (!coarse) {
      param(s, DB_S(like_prefix(a, phrase)));
      param(s, DB_S(like_prefix(a, q->words[0])));
    }
    param(s, DB_I(kind));
    add_filters(s, a, k, q, kind, false);
    add_probes(s, a, q, kind);
    sbuf_adds(&s->b, ") m ");
  } else if (q->nwords) {
    sbuf_adds(&s->b, "(");
    postings(s, a, q, kind, phrase, drive, coarse, true);
    sbuf_adds(&s->b, ") m ");
  }
  if (q->nwords)
    sbuf_printf(&s->b, "JOIN %s t ON t.id = m.id WHERE 1 = 1", k->tbl);
  else
    sbuf_printf(&s->b, "%s t WHERE 1 = 1", k->tbl);
  add_filters(s, a, k, q, kind, false);
  add_keyset(s, key, "t.id", q, kind, c);
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
  add_keyset(s, key, "t.id", q, kind, c);
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
  add_keyset(s, k4, "t.id", q, kind, c);
  sbuf_printf(&s->b, " ORDER BY k %s, t.id %s LIMIT ?) UNION ALL ", dir, dir);
  param(s, DB_I(q->limit + 1));
  ordered_part(s, a, k, q, kind, c, k1, true, phrase);
}

/* The ranked plan: for a common driving word sorted by relevance or
 * popularity, the entries of each distinct word of its prefix, read in
 * popularity order (the primary key's order within a word, 0012) and
 * checked on the entry, so each word stops after a page of matches. Used
 * when the prefix has at most RANKED_WORDS distinct words. */
#define RANKED_WORDS 8
struct ranked {
  const char *w[RANKED_WORDS];
  int n;
};

/* ranked_words: the distinct words of `word`'s prefix (a loose scan of the
 * primary key); r->n 0 when there are more than RANKED_WORDS. */
static int ranked_words(struct db *d, struct arena *a, enum search_kind kind,
                        const char *word, struct ranked *r) {
  struct db_val p[] = {DB_I(kind), DB_S(like_prefix(a, word)),
                       DB_I(RANKED_WORDS + 1)};
  struct db_res res;
  r->n = 0;
  int rc = db_exec(d, a,
                   "SELECT DISTINCT word FROM search_words WHERE kind = ? AND "
                   "weight = 1 AND word LIKE ? LIMIT ?",
                   p, 3, DB_IDEMPOTENT, &res);
  if (rc || res.nrows > RANKED_WORDS) return rc;
  for (int i = 0; i < res.nrows; i++) r->w[r->n++] = db_s(&res.rows[i], 0);
  return 0;
}

/* ranked_part: one word's (or, weight 2, the exact name's) entries in the
 * order of the key, `fetch` at most. */
static void ranked_part(struct stmt *s, struct arena *a,
                        const struct search_q *q, enum search_kind kind,
                        const struct cursor *c, const char *phrase,
                        int drive, const char *word, int weight, int fetch) {
  const char *dir = q->desc ? "DESC" : "ASC";
  const char *key =
      q->sort == SEARCH_POPULARITY ? "w.pop"
      : weight == 2 ? "(4 * " CLASS_UNIT " + LEAST(w.pop, " POP_CAP "))"
                    : "(" CLASS_UNIT " + LEAST(w.pop, " POP_CAP "))";
  sbuf_printf(&s->b, "(SELECT w.object_id AS id, %s AS k, %d AS cls FROM "
                     "search_words w WHERE w.kind = ? AND w.weight = %d AND "
                     "w.word = ?",
              key, weight == 2 ? 4 : 1, weight);
  param(s, DB_I(kind));
  param(s, DB_S(word));
  if (weight == 1 && q->sort == SEARCH_RELEVANCE) {
    /* exact names come from their own part */
    sbuf_adds(&s->b, " AND LEFT(w.norm, 64) <> ?");
    param(s, DB_S(phrase));
  }
  for (int i = 0; weight == 1 && i < q->nwords; i++) {
    if (i == drive) continue;
    sbuf_adds(&s->b, " AND CONCAT(' ', SUBSTRING_INDEX(w.norm, ' ', 16)) "
                     "LIKE ?");
    param(s, DB_S(like_word(a, q->words[i])));
  }
  add_inline_filters(s, a, q);
  add_keyset(s, key, "w.object_id", q, kind, c);
  sbuf_printf(&s->b, " ORDER BY w.pop %s, w.object_id %s LIMIT ?)", dir, dir);
  param(s, DB_I(fetch));
}

/* inner_ranked: the ranked plan, the parts in one UNION ALL (an object with
 * two words of the prefix comes twice: see dedupe). */
static void inner_ranked(struct stmt *s, struct arena *a,
                         const struct search_q *q, enum search_kind kind,
                         const struct cursor *c, const char *phrase,
                         int drive, const struct ranked *r, int fetch) {
  sbuf_adds(&s->b, "SELECT m.id AS id, m.k AS k, m.cls AS cls FROM (");
  if (q->sort == SEARCH_RELEVANCE) {
    ranked_part(s, a, q, kind, c, phrase, drive, phrase, 2, fetch);
    sbuf_adds(&s->b, " UNION ALL ");
  }
  for (int i = 0; i < r->n; i++) {
    if (i) sbuf_adds(&s->b, " UNION ALL ");
    ranked_part(s, a, q, kind, c, phrase, drive, r->w[i], 1, fetch);
  }
  sbuf_adds(&s->b, ") m");
}

/* exec_plan: build and run one plan; *rows the result. */
static int exec_plan(struct db *d, struct arena *a, const struct search_q *q,
                     enum search_kind kind, const struct cursor *c,
                     const char *phrase, const char *key, int examine,
                     int drive, bool coarse, int fetch,
                     const struct ranked *r, struct db_res *res) {
  bool ordered = examine > 0;
  const struct kind_q *k = &kq[kind];
  struct stmt st = {.np = 0};
  const char *dir = q->desc ? "DESC" : "ASC";
  sbuf_init(&st.b, a);
  sbuf_printf(&st.b, "SELECT p.id, p.k, %s, %s, p.cls FROM (",
              q->sort == SEARCH_TITLE ? "HEX(WEIGHT_STRING(t.name0))" : "NULL",
              k->cols);
  if (ordered)
    inner_ordered(&st, a, k, q, kind, c, phrase, key);
  else if (r)
    inner_ranked(&st, a, q, kind, c, phrase, drive, r, fetch);
  else
    inner_matched(&st, a, k, q, kind, c, phrase, key, drive, coarse, fetch);
  sbuf_printf(&st.b, ") p JOIN %s t ON t.id = p.id %s", k->tbl, k->joins);
  /* The ordered plan stops examining rows past `examine` (index entries
   * and probes): words common one by one but rare together, or a selective
   * filter, would make it read most of the index. The caller then runs the
   * plan that suits that case. Its result is not sorted here (MariaDB would
   * abort the sort): the merge in C sorts every hit. */
  if (ordered)
    sbuf_printf(&st.b, " LIMIT ROWS EXAMINED %d", examine);
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

/* Rows beyond the page that the ungrouped postings plan reads, for the
 * repeats of objects that have several words starting with the driving
 * prefix (rare: "Burning Burn" for "burn"). */
#define DUP_SLACK 8

/* dedupe: drop repeated rows of one object from a result sorted by (key,
 * id), where its repeats are adjacent; the rows left. */
static int dedupe(struct db_res *res) {
  int n = 0;
  for (int i = 0; i < res->nrows; i++)
    if (!n || db_i64(&res->rows[i], 0, 0) != db_i64(&res->rows[n - 1], 0, 0))
      res->rows[n++] = res->rows[i];
  return n;
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

  int examine = 0, drive = 0, rc;
  long long best = 0;
  /* playlists have no order index; their matches are sorted */
  if (q->nwords && !(q->nwords == 1 && search_chars(q->words[0]) <= 2) &&
      kind != SEARCH_PLAYLIST) {
    if ((rc = plan(d, a, q, kind, &drive, &best, &examine))) return rc;
  }
  /* Relevance ranks a common word's matches as the ordered plan can read
   * them (the exact name, then popularity) whichever plan serves a page, so
   * that the pages of one query agree. */
  bool coarse = best >= COMMON_MIN;
  /* a common word by relevance or popularity: its best entries first */
  struct ranked rk = {.n = 0}, *r = NULL;
  if (coarse && best < POSTINGS_MAX && q->sort == SEARCH_RELEVANCE &&
      postings_key(k, q, kind)) {
    if ((rc = ranked_words(d, a, kind, q->words[drive], &rk))) return rc;
    if (rk.n) r = &rk, examine = 0;
  }
  bool ordered = examine > 0;
  struct db_res res;
  int fetch = q->limit + 1 + DUP_SLACK;
  rc = exec_plan(d, a, q, kind, c, phrase, key.s, examine, drive, coarse,
                 fetch, r, &res);
  if (rc && !(ordered && rc == RC_DB)) return rc;
  if (ordered) {
    /* less than a page from the scan: it may have been cut short */
    int scanned = 0;
    for (int i = 0; !rc && i < res.nrows; i++)
      if (q->sort != SEARCH_RELEVANCE || db_i64(&res.rows[i], 13, 0) == 1)
        scanned++;
    if (scanned <= q->limit) {
      drive = filtered(q) && best >= POSTINGS_MAX ? -1 : drive;
      if ((rc = exec_plan(d, a, q, kind, c, phrase, key.s, 0, drive, coarse,
                          fetch, NULL, &res)))
        return rc;
      ordered = false;
    }
  }
  /* the ungrouped postings plan: repeats dropped, and read again with room
   * for more when they left less than a page of a longer list */
  while (!ordered) {
    int raw = res.nrows;
    res.nrows = dedupe(&res);
    if (res.nrows > q->limit || raw < fetch || fetch > INT_MAX / 4) break;
    fetch *= 4;
    if ((rc = exec_plan(d, a, q, kind, c, phrase, key.s, 0, drive, coarse,
                        fetch, r, &res)))
      return rc;
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

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* unhex: the text whose lowercase hex is s, in the arena; NULL when s is
 * not that or the text is not UTF-8. */
static const char *unhex(struct arena *a, const char *s) {
  size_t n = strlen(s);
  if (n % 2) return NULL;
  char *out = arena_alloc(a, n / 2 + 1);
  if (!out) return NULL;
  for (size_t i = 0; i < n / 2; i++) {
    int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return NULL;
    out[i] = (char)(hi << 4 | lo);
  }
  out[n / 2] = '\0';
  if (memchr(out, '\0', n / 2) || !str_utf8_valid(out, n / 2)) return NULL;
  return out;
}

/* parse_cursor: the cursor text of this query's sort and direction. */
static int parse_cursor(struct arena *a, const struct search_q *q,
                        struct cursor *c) {
  char sort[16], dir;
  int kind, used = 0, end = 0;
  long long id, num = 0;
  if (sscanf(q->after, "%15[a-z_]|%c|%d|%lld|%n", sort, &dir, &kind, &id,
             &used) != 4 ||
      used == 0)
    return RC_BAD_REQUEST;
  if (strcmp(sort, sort_names[q->sort]) || dir != (q->desc ? 'd' : 'a') ||
      kind < 0 || kind > SEARCH_PLAYLIST || id < 1)
    return RC_BAD_REQUEST;
  const char *key = q->after + used;
  c->str = NULL;
  if (q->sort == SEARCH_TITLE) {
    if (!(c->str = unhex(a, key))) return RC_BAD_REQUEST;
  } else if (sscanf(key, "%lld%n", &num, &end) != 1 || key[end] != '\0') {
    return RC_BAD_REQUEST;
  }
  c->kind = kind;
  c->id = id;
  c->num = num;
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
  if (q->after && (rc = parse_cursor(a, q, &c))) return rc;
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
    char *key = arena_printf(a, "%lld", l->num);
    if (key && q->sort == SEARCH_TITLE) {
      const char *title = db_s(&l->row, 3) ? db_s(&l->row, 3) : "";
      size_t tn = strlen(title);
      if ((key = arena_alloc(a, 2 * tn + 1))) hex_encode(title, tn, key);
    }
    *next = key ? arena_printf(a, "%s|%c|%d|%lld|%s", sort_names[q->sort],
                               q->desc ? 'd' : 'a', l->kind, l->id, key)
                : NULL;
    if (!*next) return RC_NOMEM;
  }
  return 0;
}
