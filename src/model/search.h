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

#endif
