/* batch.h: the production side of encore-recs, in three stages with one
 * data structure between each:
 *
 *   recs_db_read  (dbread.c)  MariaDB -> struct recs_input, per item level
 *   recs_train    (train.c)   struct recs_input -> struct recs_output
 *   recs_db_store (store.c)   struct recs_output -> a new model version
 *
 * `encore-recs train` runs read, train and store for the track level and the
 * artist level, then switches the serving version atomically (see
 * sql/migrations/0008_recs.sql and src/model/recfmt.h). The in-memory models
 * are the ones of recs.h, the same the offline evaluation measures. */
#ifndef ENCORE_RECS_BATCH_H
#define ENCORE_RECS_BATCH_H

#include "batch/recs/recs.h"

#include <stdint.h>

enum recs_level { RECS_TRACK = 0, RECS_ARTIST = 1 };

/* How much work a run does. */
enum recs_kind {
  RECS_FULL = 0, /* every model retrained, every user's list rewritten */
  RECS_LIGHT = 1 /* popularity and item neighbours recomputed; lists rewritten
                    only for users with interactions since the serving
                    version's data_until, the others copied from it */
};

/* What one level's interactions look like once read. Dense indices 0..n-1
 * everywhere; external (database) ids through d.user_id / d.item_id. */
struct recs_input {
  enum recs_level level;
  /* d.ui: users x items confidence, > 0: listens aggregated with time decay
   * (half-life RECS_HALF_LIFE_DAYS), likes as strong positives, playlist
   * additions, HetRec play counts (artist level); listens under 30 s played
   * do not count as positives.
   * d.tags: items x content features (genre/tag TF-IDF; tracks also release
   * era buckets and audio features), rows L2-normalized; its first n_genres
   * columns are the genres, numbered as in item_genres. It is built
   * (recs_features_build) from d.base_tags, the counts no user gave (an
   * artist's genre weight beyond its users' taggings, a track's genres,
   * eras and audio buckets), and d.tagged, the users' own taggings of
   * artists (artist level), so that a fit on part of d.ui sees only the
   * taggings of that part (recs_input_features_init).
   * d.social: users x users, 1 where the row user follows the column user
   * (not necessarily symmetric). */
  struct recs_data d;
  /* users x items weak negatives in (0, 1]: early skips (< 30 s played)
   * not outweighed by full plays, and dislikes (1). May have no entries. */
  struct recs_csr neg;
  /* items x genres (value 1): each item's genres, for per-genre popularity
   * and reasons; genre_ext maps a genre column to its genres.id. */
  struct recs_csr item_genres;
  int n_genres;
  int64_t *genre_ext;
  /* users x genres (value 1): stated favourite genres from preferences,
   * including users with no interactions at all (they have a row). */
  struct recs_csr pref_genres;
  /* Track level: the dense artist index of each track's primary artist in
   * the artist level's numbering is not known here; item_artist_ext is the
   * primary artist's artists.id per item (artist level: the item itself). */
  int64_t *item_artist_ext;
  /* Interactions up to this instant (ms since the epoch, UTC) were read.
   * recs_db_read keeps a value > 0 found here (one cut-off for both levels
   * of a run) and otherwise sets the database's current time. */
  long long data_until_ms;
  /* Light runs: users (dense) with interactions after the serving version's
   * data_until; NULL in full runs. */
  unsigned char *changed;
};

/* The content one fit may see (features.c). */
struct recs_input_features {
  struct recs_features tags;     /* tags.tags: items x content columns */
  const struct recs_csr *genres; /* items x genres: in's, or &own_genres */
  struct recs_csr own_genres;
};

/* recs_input_features_init: the content a fit on train (users x items, a
 * part of in->d.ui) may see: the tags of recs_features_init, and those of
 * in->item_genres that these tags still hold (a genre only held-out
 * taggings gave an item is held out with them). Both are borrowed from in
 * when train holds back none of its taggings. Returns 0, or -1 when out of
 * memory (f is then empty). */
int recs_input_features_init(struct recs_input_features *f,
                             const struct recs_input *in,
                             const struct recs_csr *train);
/* recs_input_features_free: release f (zeroed after). */
void recs_input_features_free(struct recs_input_features *f);

#define RECS_HALF_LIFE_DAYS 90
#define RECS_TOP_N 200      /* per user and level */
#define RECS_TOP_M 50       /* neighbours per item */
#define RECS_TOP_POP 500    /* per popularity list */

/* One recommended item of a user's list. */
struct recs_out_entry {
  int item;         /* dense item index */
  float score;
  uint8_t reason;   /* enum recfmt_reason (src/model/recfmt.h) */
  int64_t reason_id; /* external id (item, artist, genre, user), 0 if none */
};

/* What one level's training produced. Arrays are owned (recs_output_free). */
struct recs_output {
  enum recs_level level;
  int n_users, n_items;
  /* Per user u: list[list_ptr[u] .. list_ptr[u+1]), best first, at most
   * RECS_TOP_N, never an item in the user's training row or neg row. In
   * light runs users with changed[u] == 0 have an empty range and store.c
   * copies their lists from the serving version. */
  int64_t *list_ptr;
  struct recs_out_entry *list;
  /* Per item i: nb_item[nb_ptr[i] .. nb_ptr[i+1]) its most similar items
   * (dense), best first, with similarity nb_score, at most RECS_TOP_M. */
  int64_t *nb_ptr;
  int *nb_item;
  float *nb_score;
  /* Popularity: pop[g] for g in 0..n_genres (0 = overall, g = genre column
   * g - 1), each pop_n[g] dense items best first, at most RECS_TOP_POP. */
  int n_pop;
  int **pop;
  float **pop_score;
  int *pop_n;
  /* Stage timings and chosen weights, as a JSON object text (malloc'd). */
  char *stats;
};

struct db;
struct cfg;

/* recs_db_read: read one level's interactions from MariaDB (streamed,
 * memory bounded by the data). prev_until_ms is the serving version's
 * data_until for light runs (-1 in full runs). Returns 0, or -1 with a
 * message on stderr (the run then fails and nothing is switched). */
int recs_db_read(struct recs_input *in, struct db *d, enum recs_level level,
                 enum recs_kind kind, long long prev_until_ms);
void recs_input_free(struct recs_input *in);
/* recs_db_now: the database's clock in ms since the epoch (the cut-off of
 * a run: rows are stamped by that clock), or -1 when it cannot be read. */
long long recs_db_now(struct db *d);

/* Training settings; zero means the default. */
struct recs_train_opts {
  enum recs_kind kind;
  int threads;       /* OpenMP threads (default: all cores) */
  uint64_t seed;
  int verbose;       /* stage timings on stderr */
  /* Rank every item for every user while users x items is at most this
   * (default 1e8, HetRec's artists are 3.3e7); above it, score a few
   * thousand candidates per user. < 0: candidates always (tests). */
  double dense_cells;
};

/* recs_train: fit the models on in, choose the blend weights on a
 * validation split of in (never on anything served), and fill out. Returns
 * 0 or -1 (message on stderr). */
int recs_train(struct recs_output *out, const struct recs_input *in,
               const struct recs_train_opts *o);
void recs_output_free(struct recs_output *out);

/* recs_db_store: the version lifecycle. begin inserts a 'building' version
 * and returns its id; store writes one level's output under it; finish marks
 * it 'ready' and switches rec_serving to it in one transaction (the old one
 * becomes previous; versions older than previous are deleted); fail marks
 * it 'failed' and leaves the serving version as it was. Each returns 0 or -1
 * (message on stderr). */
int recs_version_begin(struct db *d, enum recs_kind kind,
                       long long data_until_ms, unsigned *version);
int recs_db_store(struct db *d, unsigned version, const struct recs_input *in,
                  const struct recs_output *out, unsigned prev_version);
int recs_version_finish(struct db *d, unsigned version, const char *stats);
void recs_version_fail(struct db *d, unsigned version, const char *why);
/* recs_rollback: serve `previous` again (it becomes current, the current
 * one becomes previous). 0, or -1 when there is no previous version. */
int recs_rollback(struct db *d);

#endif
