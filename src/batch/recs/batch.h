/* batch.h: the production side of encore-recs, in three stages with one
 * data structure between each:
 *
 *   dbread_input (dbread.c)  MariaDB -> struct batch_input, per item level
 *   train_run    (train*.c)  struct batch_input -> struct batch_output
 *   store_level  (store.c)   struct batch_output -> a new model version
 *
 * `encore-recs train` runs read, train and store for the track level and the
 * artist level, then switches the serving version atomically (see
 * sql/migrations/0008_recs.sql and src/model/recfmt.h). The in-memory models
 * are the ones of algo.h, the same the offline evaluation measures. */
#ifndef ENCORE_BATCH_RECS_BATCH_H
#define ENCORE_BATCH_RECS_BATCH_H

#include "batch/recs/csr.h"
#include "batch/recs/dataset.h"
#include "batch/recs/features.h"

#include <stdint.h>

enum batch_level { BATCH_TRACK = 0, BATCH_ARTIST = 1 };

/* How much work a run does. */
enum batch_kind {
  BATCH_FULL = 0, /* every model retrained, every user's list rewritten */
  BATCH_LIGHT = 1 /* popularity and item neighbours recomputed; lists rewritten
                    only for users with interactions since the serving
                    version's data_until, the others copied from it */
};

/* What one level's interactions look like once read. Dense indices 0..n-1
 * everywhere; external (database) ids through d.user_id / d.item_id. */
struct batch_input {
  enum batch_level level;
  /* d.ui: users x items confidence, > 0: listens aggregated with time decay
   * (half-life BATCH_HALF_LIFE_DAYS), likes as strong positives, playlist
   * additions, HetRec play counts (artist level); listens under 30 s played
   * do not count as positives.
   * d.tags: items x content features (genre/tag TF-IDF; tracks also release
   * era buckets and audio features), rows L2-normalized; its first n_genres
   * columns are the genres, numbered as in item_genres. It is built
   * (features_build) from d.base_tags, the counts no user gave (an
   * artist's genre weight beyond its users' taggings, a track's genres,
   * eras and audio buckets), and d.tagged, the users' own taggings of
   * artists (artist level), so that a fit on part of d.ui sees only the
   * taggings of that part (features_input_init).
   * d.social: users x users, 1 where the row user follows the column user
   * (not necessarily symmetric). */
  struct dataset d;
  /* users x items weak negatives in (0, 1]: early skips (< 30 s played)
   * not outweighed by full plays, and dislikes (1). May have no entries. */
  struct csr neg;
  /* items x genres (value 1): each item's genres, for per-genre popularity
   * and reasons; genre_ext maps a genre column to its genres.id. */
  struct csr item_genres;
  int n_genres;
  int64_t *genre_ext;
  /* users x genres (value 1): stated favourite genres from preferences,
   * including users with no interactions at all (they have a row). */
  struct csr pref_genres;
  /* Track level: the dense artist index of each track's primary artist in
   * the artist level's numbering is not known here; item_artist_ext is the
   * primary artist's artists.id per item (artist level: the item itself). */
  int64_t *item_artist_ext;
  /* Interactions up to this instant (ms since the epoch, UTC) were read.
   * dbread_input keeps a value > 0 found here (one cut-off for both levels
   * of a run) and otherwise sets the database's current time. */
  long long data_until_ms;
  /* Light runs: users (dense) with interactions after the serving version's
   * data_until; NULL in full runs. */
  unsigned char *changed;
};

/* The content one fit may see (features.c). */
struct features_input {
  struct features tags;     /* tags.tags: items x content columns */
  const struct csr *genres; /* items x genres: in's, or &own_genres */
  struct csr own_genres;
};

/* features_input_init: the content a fit on train (users x items, a
 * part of in->d.ui) may see: the tags of features_init, and those of
 * in->item_genres that these tags still hold (a genre only held-out
 * taggings gave an item is held out with them). Both are borrowed from in
 * when train holds back none of its taggings. Returns 0, or -1 when out of
 * memory (f is then empty). */
int features_input_init(struct features_input *f, const struct batch_input *in,
                        const struct csr *train);
/* features_input_free: release f (zeroed after). */
void features_input_free(struct features_input *f);

#define BATCH_HALF_LIFE_DAYS 90
#define BATCH_TOP_N 200   /* per user and level */
#define BATCH_TOP_M 50    /* neighbours per item */
#define BATCH_TOP_POP 500 /* per popularity list */

/* One recommended item of a user's list. */
struct batch_entry {
  int item; /* dense item index */
  float score;
  uint8_t reason;    /* enum recfmt_reason (src/model/recfmt.h) */
  int64_t reason_id; /* external id (item, artist, genre, user), 0 if none */
};

/* What one level's training produced. Arrays are owned (batch_output_free). */
struct batch_output {
  enum batch_level level;
  int n_users, n_items;
  /* Per user u: list[list_ptr[u] .. list_ptr[u+1]), best first, at most
   * BATCH_TOP_N, never an item in the user's training row or neg row. In
   * light runs users with changed[u] == 0 have an empty range and store.c
   * copies their lists from the serving version. */
  int64_t *list_ptr;
  struct batch_entry *list;
  /* Per item i: nb_item[nb_ptr[i] .. nb_ptr[i+1]) its most similar items
   * (dense), best first, with similarity nb_score, at most BATCH_TOP_M. */
  int64_t *nb_ptr;
  int *nb_item;
  float *nb_score;
  /* Popularity: pop[g] for g in 0..n_genres (0 = overall, g = genre column
   * g - 1), each pop_n[g] dense items best first, at most BATCH_TOP_POP. */
  int n_pop;
  int **pop;
  float **pop_score;
  int *pop_n;
  /* Stage timings and chosen weights, as a JSON object text (malloc'd). */
  char *stats;
};

/* batch_input_free: release what a reader (or a test) filled, keeping
 * in->level (batch.c). */
void batch_input_free(struct batch_input *in);
/* batch_output_free: release out (zeroed after). */
void batch_output_free(struct batch_output *out);
/* batch_pop_free: release popularity lists in struct batch_output's layout
 * (n_pop lists; pop and pop_score may be NULL when n_pop is 0). */
void batch_pop_free(int n_pop, int **pop, float **pop_score, int *pop_n);

struct db;
struct cfg;

/* dbread_input: read one level's interactions from MariaDB (streamed,
 * memory bounded by the data). prev_until_ms is the serving version's
 * data_until for light runs (-1 in full runs). Returns 0, or -1 with a
 * message on stderr (the run then fails and nothing is switched). */
int dbread_input(struct batch_input *in, struct db *d, enum batch_level level,
                 enum batch_kind kind, long long prev_until_ms);
/* dbread_now: the database's clock in ms since the epoch (the cut-off of
 * a run: rows are stamped by that clock), or -1 when it cannot be read. */
long long dbread_now(struct db *d);

/* Training settings; zero means the default. */
struct train_opts {
  enum batch_kind kind;
  int threads; /* OpenMP threads (default: all cores) */
  uint64_t seed;
  int verbose; /* stage timings on stderr */
  /* Rank every item for every user while users x items is at most this
   * (default train_params.dense_cells); above it, score a few
   * thousand candidates per user. < 0: candidates always (tests). */
  double dense_cells;
};

/* train_run: fit the models on in, choose the blend weights on a
 * validation split of in (never on anything served), and fill out. Returns
 * 0 or -1 (message on stderr). */
int train_run(struct batch_output *out, const struct batch_input *in,
              const struct train_opts *o);

/* The version lifecycle (store.c): store_version_begin inserts a
 * 'building' version and returns its id; store_level writes one level's
 * output under it; store_version_finish marks it 'ready' and switches
 * rec_serving to it in one transaction (the old one becomes previous;
 * versions older than previous are deleted); store_version_fail marks it
 * 'failed' and leaves the serving version as it was. Each returns 0 or -1
 * (message on stderr). */
int store_version_begin(struct db *d, enum batch_kind kind,
                        long long data_until_ms, unsigned *version);
int store_level(struct db *d, unsigned version, const struct batch_input *in,
                const struct batch_output *out, unsigned prev_version);
int store_version_finish(struct db *d, unsigned version, const char *stats);
void store_version_fail(struct db *d, unsigned version, const char *why);
/* store_rollback: serve `previous` again (it becomes current, the current
 * one becomes previous). 0, or -1 when there is no previous version. */
int store_rollback(struct db *d);

#endif
