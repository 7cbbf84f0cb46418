/* match: scrobbles (text: artist, title, duration, MusicBrainz id) matched
 * to catalogue tracks. A recording MBID wins; otherwise the title and the
 * primary artist's name must be equal once normalized as search normalizes
 * names (search.h: search_split in C, SEARCH_NORM in SQL, compared under
 * the catalogue's case- and accent-insensitive collation), and when both
 * durations are known they must agree within 15 s or 10%; the closest
 * duration, then popularity, then the lowest id breaks ties. Names are
 * looked up in the search index's whole-name entries (search_words,
 * weight 2), which every catalogue writer keeps current.
 *
 * What matches nothing is kept as text (text_listens, text_loves) and the
 * matching pass (match_pass, run by encore-import every minute) matches it
 * when a track appears: new tracks against stored text, and text stored
 * since the last pass against every track. */
#ifndef ENCORE_MATCH_H
#define ENCORE_MATCH_H

struct arena;
struct db;
struct kv;

/* Characters of a name key (the search index's whole-name entries). */
#define MATCH_KEY_CHARS 64

/* One name pair to match. */
struct match_item {
  const char *artist, *title; /* as given, valid UTF-8 */
  const char *mbid;           /* recording MBID, or NULL */
  long long duration_ms;      /* -1 when unknown */
  /* Set by match_prepare (arena): the whole normalized names and their
   * first MATCH_KEY_CHARS characters. */
  const char *title_norm, *artist_norm, *title_key, *artist_key;
  long long track_id; /* set by match_resolve: the track, or 0 */
};

/* match_norm: `text` normalized as search normalizes names (words joined
 * by one space), in the arena; NULL when out of memory. */
char *match_norm(struct arena *a, const char *text);
/* match_key: the first MATCH_KEY_CHARS characters of a normalized name, in
 * the arena. */
char *match_key(struct arena *a, const char *norm);
/* match_prepare: the normalized names and keys of it. 0 or RC_NOMEM. */
int match_prepare(struct arena *a, struct match_item *it);
/* match_resolve: a track_id for every item that matches one (MBID first,
 * then names and duration); items[i].track_id 0 otherwise. Two
 * statements for the whole batch. Items must have been prepared. */
int match_resolve(struct db *d, struct arena *a, struct match_item *items,
                  int n);

/* What one matching pass did. */
struct match_pass_stats {
  int listens; /* text listens that became listens */
  int loves;   /* text loves that became likes */
};
/* match_pass: match stored text against tracks added since the last pass,
 * and text stored since the last pass against every track; matched text
 * listens move into listens (source kept), matched loves become likes.
 * Tracks younger than a few seconds wait for the next pass (ids are not
 * committed in order). 0 or a db code. */
int match_pass(struct db *d, struct kv *k, struct arena *a,
               struct match_pass_stats *st);

/* match_stats: the user's listens (matched) and text listens (waiting for
 * a track). */
int match_stats(struct db *d, struct arena *a, long long user,
                long long *matched, long long *unmatched);

#endif
