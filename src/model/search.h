/* search: the word index behind GET /api/v1/search over tracks, artists,
 * albums and playlists. Writers of those objects call search_index after
 * every insert or update that changes a searchable name, and
 * search_unindex after a delete; bulk loaders call search_rebuild once.
 * The module's files are listed in search_internal.h: the index writer is
 * search_index.c, the planner search_plan.c, the ranking search_rank.c,
 * a page of results search_render.c. */
#ifndef ENCORE_SEARCH_H
#define ENCORE_SEARCH_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

struct arena;
struct db;
struct kv;

enum search_kind { SEARCH_TRACK, SEARCH_ARTIST, SEARCH_ALBUM, SEARCH_PLAYLIST };

/* search_index: (re)index one object from its current row (a missing row
 * unindexes it), in one transaction run again after a deadlock; so it must
 * be called outside a transaction. 0 or a db code, already logged. */
int search_index(struct db *d, struct arena *a, enum search_kind kind,
                 long long id);
/* search_index_range: search_index for every object whose id is in
 * [first, last] (at most 1,000 ids), in one transaction: for writers
 * that add objects in bulk (imports), which would otherwise pay one
 * commit per object. Ids without a row are unindexed. */
int search_index_range(struct db *d, enum search_kind kind, long long first,
                       long long last);
/* search_unindex: drop one object from the index, as search_index does. */
int search_unindex(struct db *d, enum search_kind kind, long long id);
/* search_rebuild: rebuild the whole index from the catalogue tables, in bulk
 * (used after imports, generation and popularity batches), into fresh
 * tables swapped in at the end; objects indexed or unindexed meanwhile by
 * search_index / search_unindex are indexed again after the swap, so no
 * concurrent write is lost. 0 or a db code. */
int search_rebuild(struct db *d);

/* search_upgrade: rebuild the index when it holds entries made before
 * its current layout (0009: entries without their copied columns), as
 * after a migration; *rebuilt tells whether it did. 0 or a db code. */
int search_upgrade(struct db *d, bool *rebuilt);

/* search_split: normalize text the way the index normalizes names (ASCII
 * lower case, apostrophes dropped, every run of characters that are neither
 * letters nor digits one separator; letters of other scripts are kept as
 * they are, the collation folds their case and accents) and split it into
 * words. The words are written to out (size outlen, NUL-separated) and
 * pointed to by words[0..max-1]; words longer than SEARCH_WORD_MAX
 * characters are cut there, as in the index. Returns the number of words
 * (words past `max` are dropped). Pure: no allocation, no I/O. */
#define SEARCH_WORD_MAX 64
int search_split(const char *text, char *out, size_t outlen, const char **words,
                 int max);

/* search_chars: the number of UTF-8 characters of s (bytes that do not
 * start a character are not counted). */
size_t search_chars(const char *s);

/* SEARCH_NORM(col): the index's normalization of a name as SQL: lower
 * case, apostrophes dropped, every run of non-alphanumerics (of any script)
 * one space, trimmed. search_split is its twin in C; scrobble matching
 * (model/match.h) compares names through the same pair. */
#define SEARCH_NORM(col)                                                       \
  "TRIM(REGEXP_REPLACE(REGEXP_REPLACE(LOWER(" col "), '[''\xe2\x80\x99]', "    \
  "''), '[^[:alnum:]]+', ' '))"

/* --- queries (GET /api/v1/search) --------------------------------------- */

#define SEARCH_QWORDS 5       /* query words used; later ones are ignored */
#define SEARCH_SHORT_CAP 1000 /* candidates of a one- or two-letter query */

enum search_sort {
  SEARCH_RELEVANCE,
  SEARCH_POPULARITY,
  SEARCH_RELEASE_DATE,
  SEARCH_TITLE,
  SEARCH_DURATION
};

/* A validated query. words are normalized (search_split); nwords 0 browses.
 * Unset filters: genre_id 0, year 0, durations -1, explicit -1,
 * artist_id 0. A set filter keeps only the types it applies to. */
struct search_q {
  const char *words[SEARCH_QWORDS];
  int nwords;
  unsigned types;     /* bit (1 << enum search_kind) per type */
  long long genre_id; /* -1: a genre that does not exist */
  int year_from, year_to;
  long long dur_min, dur_max; /* milliseconds */
  int explicit_only;          /* -1, 0 or 1 */
  long long artist_id;
  enum search_sort sort;
  bool desc;
  long long viewer; /* 0 when anonymous */
  int limit;
  const char *after; /* decoded cursor text, NULL first */
};

/* search_genre_id: the id of the genre named `name` (collation match), or
 * -1 when there is none. 0 or a db code. */
int search_genre_id(struct db *d, struct arena *a, const char *name,
                    long long *id);

/* search_run: one page of results: *items a JSON array (owned by the
 * arena) and *next the cursor text of the next page or NULL. Returns 0,
 * RC_BAD_REQUEST for a cursor that does not belong to this query's sort, or
 * a db code. Playlists are limited to the public ones and those the viewer
 * owns or was granted. */
int search_run(struct db *d, struct arena *a, const struct search_q *q,
               json_object **items, const char **next);

/* search_cache: the cache whose "search" namespace search_index and
 * search_unindex bump, so that no cached result page outlives a change
 * (NULL: none). Called once per process. */
void search_cache(struct kv *k);

/* SEARCH_VIEWER_NS: the cache namespace (printf format, one user id) of the
 * result pages that depend on who asks: those that may hold the user's own
 * and shared playlists. Such a page lives under both namespaces. */
#define SEARCH_VIEWER_NS "search_viewer:%lld"

/* search_drop_viewer_pages: drop the cached pages of one user, after a change
 * of what that user alone may see (a playlist granted or revoked). */
void search_drop_viewer_pages(long long user);

#endif
