/* search: the word index behind GET /api/v1/search over tracks, artists,
 * albums and playlists. Writers of those objects call search_index after
 * every insert or update that changes a searchable name, and
 * search_unindex after a delete; bulk loaders call search_rebuild once. */
#ifndef ENCORE_SEARCH_H
#define ENCORE_SEARCH_H

struct arena;
struct db;

enum search_kind { SEARCH_TRACK, SEARCH_ARTIST, SEARCH_ALBUM, SEARCH_PLAYLIST };

/* search_index: (re)index one object from its current row (a missing row
 * unindexes it). 0 or a db code. */
int search_index(struct db *d, struct arena *a, enum search_kind kind,
                 long long id);
/* search_unindex: drop one object from the index. */
int search_unindex(struct db *d, enum search_kind kind, long long id);
/* search_rebuild: rebuild the whole index from the catalogue tables, in bulk
 * (used after imports and generation). 0 or a db code. */
int search_rebuild(struct db *d);

/* search_split: normalize text the way the index normalizes names (ASCII
 * lower case, apostrophes dropped, every run of characters that are neither
 * letters nor digits one separator; letters of other scripts are kept as
 * they are, the collation folds their case and accents) and split it into
 * words. The words are written to out (size outlen, NUL-separated) and
 * pointed to by words[0..max-1]; words longer than SEARCH_WORD_MAX
 * characters are cut there, as in the index. Returns the number of words
 * (words past `max` are dropped). Pure: no allocation, no I/O. */
#define SEARCH_WORD_MAX 64
#include <stddef.h>
int search_split(const char *text, char *out, size_t outlen,
                 const char **words, int max);

/* search_chars: the number of UTF-8 characters of s (bytes that do not
 * start a character are not counted). */
size_t search_chars(const char *s);

#endif
