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

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/rc.h"

/* NORM(col): lower case, apostrophes dropped, every run of non-alphanumerics
 * (of any script) one space, trimmed. Must match search_split. */
#define NORM(col)                                                       \
  "TRIM(REGEXP_REPLACE(REGEXP_REPLACE(LOWER(" col "), '[''\xe2\x80\x99]', " \
  "''), '[^[:alnum:]]+', ' '))"

/* Names with more than 16 words index their first 16 words (and the whole
 * name, up to 64 characters, as one entry). */
#define WORDS_FROM(tbl, col, where)                                       \
  "FROM (SELECT id, " NORM(col) " AS norm FROM " tbl " " where ") n "    \
  "JOIN seq_1_to_16 s "                                                  \
  "ON s.seq <= 1 + LENGTH(n.norm) - LENGTH(REPLACE(n.norm, ' ', '')) "   \
  "WHERE n.norm <> ''"

/* The whole name first (weight 2), then the words with INSERT IGNORE, so a
 * one-word name keeps weight 2 and accent variants of one word collapse. */
#define INS_WHOLE(kind, tbl, col, where)                                  \
  "INSERT IGNORE INTO search_words (kind, word, object_id, weight) "     \
  "SELECT " kind ", LEFT(n.norm, 64), n.id, 2 FROM (SELECT id, " NORM(col) \
  " AS norm FROM " tbl " " where ") n WHERE n.norm <> ''"
#define INS_WORDS(kind, tbl, col, where)                                  \
  "INSERT IGNORE INTO search_words (kind, word, object_id, weight) "     \
  "SELECT " kind ", LEFT(SUBSTRING_INDEX(SUBSTRING_INDEX(n.norm, ' ', "  \
  "s.seq), ' ', -1), 64), n.id, 1 " WORDS_FROM(tbl, col, where)
#define INS_HEADS(kind, tbl, col, pop, where)                             \
  "INSERT IGNORE INTO search_heads (kind, head, popularity, object_id) " \
  "SELECT " kind ", LEFT(n.norm, s.seq), n.pop, n.id FROM (SELECT id, "  \
  pop " AS pop, " NORM(col) " AS norm FROM " tbl " " where ") n "        \
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

#define KIND_SQL(k, tbl, col, pop)                                         \
  {INS_WHOLE(k, tbl, col, ONE),       INS_WORDS(k, tbl, col, ONE),         \
   INS_HEADS(k, tbl, col, pop, ONE),  INS_WHOLE(k, tbl, col, RANGE),       \
   INS_WORDS(k, tbl, col, RANGE),     INS_HEADS(k, tbl, col, pop, RANGE),  \
   "SELECT COALESCE(MAX(id), 0) FROM " tbl}

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
                 "DELETE FROM search_heads WHERE kind = ? AND object_id = ?",
                 p, 2, DB_IDEMPOTENT, NULL);
  return rc;
}

int search_unindex(struct db *d, enum search_kind kind, long long id) {
  if (!kind_ok(kind)) return RC_INVALID;
  return unindex(d, kind, id);
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
  return rc;
}

/* Ids per INSERT ... SELECT of a rebuild: small enough that no statement
 * holds its locks for long, large enough that round trips do not count. */
#define REBUILD_CHUNK 50000

int search_rebuild(struct db *d) {
  struct arena *a = arena_new(0);
  if (!a) return RC_NOMEM;
  int rc = db_exec(d, NULL, "TRUNCATE TABLE search_words", NULL, 0,
                   DB_IDEMPOTENT, NULL);
  if (!rc)
    rc = db_exec(d, NULL, "TRUNCATE TABLE search_heads", NULL, 0,
                 DB_IDEMPOTENT, NULL);
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
  arena_free(a);
  return rc;
}
