/* search_index: the writer of the word-prefix index (tables search_words,
 * search_heads and search_vocab, see sql/migrations/0005_search.sql and
 * 0009): one object at a time (search_index, search_unindex), everything
 * at once (search_rebuild, search_upgrade), the replay of the writes made
 * during a rebuild, and the cache namespaces that every change bumps.
 *
 * Indexing runs inside MariaDB: the name is normalized by NORM() and split
 * into words with seq_1_to_16 (the Sequence engine), so the one-object path
 * and the bulk path produce exactly the same entries, and a rebuild is a
 * few INSERT ... SELECT statements over id ranges instead of a million
 * round trips. Each entry carries a copy of what queries filter and sort
 * on (popularity, release day, duration, explicit flag, genre ids) and the
 * whole normalized name, so that a query reads one range of the clustered
 * index instead of one catalogue row per match. The query side normalizes
 * user input with search_split (search_words.c), which follows the same
 * rules. */
#include <stdbool.h>
#include <stdio.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/kv.h"
#include "core/log.h"
#include "core/rc.h"
#include "model/search.h"
#include "model/search_internal.h"

static struct kv *cache;

void search_cache(struct kv *k) {
  cache = k;
}

/* bump_pages: every cached result page may show the changed object. */
static void bump_pages(void) {
  if (cache) kv_ns_bump(cache, "search");
}

void search_drop_viewer_pages(long long user) {
  char ns[48];
  snprintf(ns, sizeof ns, SEARCH_VIEWER_NS, user);
  if (cache) kv_ns_bump(cache, ns);
}

/* NORM(col): search.h's SEARCH_NORM. Must match search_split. */
#define NORM(col) SEARCH_NORM(col)

/* The copied columns of every entry (0009_search_postings.sql) as the
 * derived table n names them, and per kind the expressions that fill them
 * from the object's own table. */
#define COPY_COLS "pop, day, dur, expl, genres, name, norm"
#define COPY_VALS "n.pop, n.day, n.dur, n.expl, n.genres, n.name, n.norm"
#define GENRE_LIST(tbl, col)                                                   \
  "(SELECT GROUP_CONCAT(g.genre_id ORDER BY g.genre_id) FROM " tbl " g "       \
  "WHERE g." col " = x.id)"
#define ATTR_TRACK                                                             \
  "x.popularity AS pop, TO_DAYS(x.release_date) AS day, x.duration_ms AS "     \
  "dur, x.explicit AS expl, " GENRE_LIST("track_genres",                       \
                                         "track_id") " AS genres"
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
  "(SELECT x.id, " attrs ", x." col                                            \
  " AS name, " NORM("x." col) " AS norm FROM " tbl " x " where ") n"

/* Names with more than 16 words index their first 16 words (and the whole
 * name, up to 64 characters, as one entry). */
#define WORDS_FROM(tbl, col, attrs, where)                                     \
  "FROM " OBJECTS(tbl, col, attrs, where) " JOIN seq_1_to_16 s "               \
                                          "ON s.seq <= 1 + LENGTH(n.norm) - "  \
                                          "LENGTH(REPLACE(n.norm, ' ', '')) "  \
                                          "WHERE n.norm <> ''"

/* The whole name first (weight 2), then the words with INSERT IGNORE, so a
 * one-word name keeps weight 2 and accent variants of one word collapse. */
#define INSERT_WHOLE(dst, kind, tbl, col, attrs, where)                        \
  "INSERT IGNORE INTO " dst " (kind, word, object_id, weight, " COPY_COLS      \
  ") SELECT " kind ", LEFT(n.norm, 64), n.id, 2, " COPY_VALS                   \
  " FROM " OBJECTS(tbl, col, attrs, where) " WHERE n.norm <> ''"
#define INSERT_WORDS(dst, kind, tbl, col, attrs, where)                        \
  "INSERT IGNORE INTO " dst " (kind, word, object_id, weight, " COPY_COLS      \
  ") SELECT " kind ", LEFT(SUBSTRING_INDEX(SUBSTRING_INDEX(n.norm, ' ', "      \
  "s.seq), ' ', -1), 64), n.id, 1, " COPY_VALS                                 \
  " " WORDS_FROM(tbl, col, attrs, where)
#define INSERT_HEADS(dst, kind, tbl, col, attrs, where)                        \
  "INSERT IGNORE INTO " dst " (kind, head, popularity, object_id) "            \
  "SELECT " kind ", LEFT(n.norm, s.seq), n.pop, n.id FROM " OBJECTS(           \
      tbl, col, attrs, where) " JOIN seq_1_to_2 s WHERE n.norm <> ''"

#define ONE_OBJECT "WHERE x.id = ?"
#define ID_RANGE "WHERE x.id BETWEEN ? AND ?"

/* One object goes to the live tables; a rebuild fills the *_next tables
 * that then replace them. */
#define LIVE_WORDS "search_words"
#define LIVE_HEADS "search_heads"
#define NEXT_WORDS "search_words_next"
#define NEXT_HEADS "search_heads_next"

/* The statements of one kind: for one object into the live tables
 * (parameter: the id), for an id range into the *_next tables
 * (parameters: first, last), and its highest id. */
struct index_sql {
  const char *whole_one, *words_one, *heads_one;
  const char *whole_range, *words_range, *heads_range;
  const char *whole_live, *words_live, *heads_live; /* a range, live */
  const char *max_id;
};

#define INDEX_SQL(kind, tbl, col, attrs)                                       \
  {                                                                            \
    .whole_one = INSERT_WHOLE(LIVE_WORDS, kind, tbl, col, attrs, ONE_OBJECT),  \
    .words_one = INSERT_WORDS(LIVE_WORDS, kind, tbl, col, attrs, ONE_OBJECT),  \
    .heads_one = INSERT_HEADS(LIVE_HEADS, kind, tbl, col, attrs, ONE_OBJECT),  \
    .whole_range = INSERT_WHOLE(NEXT_WORDS, kind, tbl, col, attrs, ID_RANGE),  \
    .words_range = INSERT_WORDS(NEXT_WORDS, kind, tbl, col, attrs, ID_RANGE),  \
    .heads_range = INSERT_HEADS(NEXT_HEADS, kind, tbl, col, attrs, ID_RANGE),  \
    .whole_live = INSERT_WHOLE(LIVE_WORDS, kind, tbl, col, attrs, ID_RANGE),   \
    .words_live = INSERT_WORDS(LIVE_WORDS, kind, tbl, col, attrs, ID_RANGE),   \
    .heads_live = INSERT_HEADS(LIVE_HEADS, kind, tbl, col, attrs, ID_RANGE),   \
    .max_id = "SELECT COALESCE(MAX(id), 0) FROM " tbl,                         \
  }

static const struct index_sql index_sql[] = {
    [SEARCH_TRACK] = INDEX_SQL("0", "tracks", "title", ATTR_TRACK),
    [SEARCH_ARTIST] = INDEX_SQL("1", "artists", "name", ATTR_ARTIST),
    [SEARCH_ALBUM] = INDEX_SQL("2", "albums", "title", ATTR_ALBUM),
    /* playlists have no play count: they rank by their number of tracks */
    [SEARCH_PLAYLIST] = INDEX_SQL("3", "playlists", "name", ATTR_PLAYLIST),
};

static bool kind_ok(enum search_kind kind) {
  return (unsigned)kind <= SEARCH_PLAYLIST;
}

int search_max_id(struct db *d, struct arena *a, enum search_kind kind,
                  long long *max) {
  struct db_res res;
  int rc = db_exec(d, a, index_sql[kind].max_id, NULL, 0, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  *max = res.nrows ? db_i64(&res.rows[0], 0, 0) : 0;
  return 0;
}

/* note_pending: while a rebuild runs (its *_next tables exist), note the
 * objects first..last so that the rebuild indexes them again once the new
 * tables are live: this write goes to the tables about to be replaced,
 * and the rebuild may have read the objects' rows before it. 0 or a db
 * code. */
static int note_pending(struct db *d, enum search_kind kind, long long first,
                        long long last) {
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
  struct db_val p[] = {DB_I(kind), DB_I(first), DB_I(last)};
  return db_exec(d, NULL,
                 "INSERT IGNORE INTO search_pending (kind, object_id) "
                 "WITH RECURSIVE r (id) AS (SELECT ? UNION ALL SELECT id + 1 "
                 "FROM r WHERE id < ?) SELECT ?, id FROM r",
                 (struct db_val[]){p[1], p[2], p[0]}, 3, DB_IDEMPOTENT, NULL);
}

static int drop_entries(struct db *d, enum search_kind kind, long long id) {
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
  const struct index_sql *k = &index_sql[kind];
  struct db_val p = DB_I(id);
  int rc = drop_entries(d, kind, id);
  if (!rc) rc = db_exec(d, NULL, k->whole_one, &p, 1, DB_IDEMPOTENT, NULL);
  if (!rc) rc = db_exec(d, NULL, k->words_one, &p, 1, DB_IDEMPOTENT, NULL);
  if (!rc) rc = db_exec(d, NULL, k->heads_one, &p, 1, DB_IDEMPOTENT, NULL);
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
  rc = note_pending(d, kind, id, id);
  if (!rc) rc = drop ? drop_entries(d, kind, id) : reindex(d, kind, id);
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
  bump_pages();
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

/* range_once: index_once for every object of [first, last]: noted for a
 * running rebuild, entries dropped and inserted again, in one
 * transaction. */
static int range_once(struct db *d, enum search_kind kind, long long first,
                      long long last) {
  const struct index_sql *k = &index_sql[kind];
  struct db_val r[] = {DB_I(first), DB_I(last)};
  struct db_val kr[] = {DB_I(kind), DB_I(first), DB_I(last)};
  int rc = db_begin(d);
  if (!rc) rc = note_pending(d, kind, first, last);
  if (!rc)
    rc = db_exec(d, NULL,
                 "DELETE FROM search_words WHERE kind = ? AND object_id "
                 "BETWEEN ? AND ?",
                 kr, 3, DB_IDEMPOTENT, NULL);
  if (!rc)
    rc = db_exec(d, NULL,
                 "DELETE FROM search_heads WHERE kind = ? AND object_id "
                 "BETWEEN ? AND ?",
                 kr, 3, DB_IDEMPOTENT, NULL);
  if (!rc) rc = db_exec(d, NULL, k->whole_live, r, 2, DB_IDEMPOTENT, NULL);
  if (!rc) rc = db_exec(d, NULL, k->words_live, r, 2, DB_IDEMPOTENT, NULL);
  if (!rc) rc = db_exec(d, NULL, k->heads_live, r, 2, DB_IDEMPOTENT, NULL);
  if (!rc) return db_commit(d);
  db_rollback(d);
  return rc;
}

int search_index_range(struct db *d, enum search_kind kind, long long first,
                       long long last) {
  if (!kind_ok(kind) || first < 1 || last < first || last - first >= 1000)
    return RC_INVALID;
  int rc, tries = 0;
  do
    rc = range_once(d, kind, first, last);
  while (db_retry(rc, &tries));
  if (rc) {
    char k[8], o[48], c[8];
    snprintf(k, sizeof k, "%d", (int)kind);
    snprintf(o, sizeof o, "%lld-%lld", first, last);
    snprintf(c, sizeof c, "%d", rc);
    log_msg(LOG_ERROR, "search: indexing a range failed", "kind", k, "ids", o,
            "rc", c, NULL);
  }
  bump_pages();
  return rc;
}

/* Ids per INSERT ... SELECT of a rebuild: small enough that no statement
 * holds its locks for long, large enough that round trips do not count. */
#define REBUILD_CHUNK 50000

/* The rebuild's steps around the inserts: fresh *_next tables without
 * their secondary keys (built once, sorted, at the end), then one atomic
 * RENAME, so searches see the old index until the new one is complete.
 * Writers note what they index meanwhile in search_pending (see
 * note_pending()), which is emptied first: the rebuild reads every row
 * after this point. The vocabulary (search_vocab, the planner's estimates)
 * is counted from the new words. */
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
    const struct index_sql *k = &index_sql[kind];
    long long max;
    arena_reset(a);
    rc = search_max_id(d, a, (enum search_kind)kind, &max);
    for (long long lo = 1; !rc && lo <= max; lo += REBUILD_CHUNK) {
      struct db_val p[] = {DB_I(lo), DB_I(lo + REBUILD_CHUNK - 1)};
      rc = db_exec(d, NULL, k->whole_range, p, 2, DB_IDEMPOTENT, NULL);
      if (!rc) rc = db_exec(d, NULL, k->words_range, p, 2, DB_IDEMPOTENT, NULL);
      if (!rc) rc = db_exec(d, NULL, k->heads_range, p, 2, DB_IDEMPOTENT, NULL);
    }
  }
  if (!rc)
    rc = run_all(d, rebuild_post, sizeof rebuild_post / sizeof *rebuild_post);
  if (!rc) rc = replay(d, a);
  db_exec(d, NULL, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
          NULL, 0, DB_IDEMPOTENT, NULL);
  arena_free(a);
  bump_pages();
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
