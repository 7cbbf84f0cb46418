/* recs: recommendations as the API serves them, read from the model
 * versions encore-recs writes (sql/migrations/0008_recs.sql; packed lists of
 * src/model/recfmt.h): the serving version, a user's list blended with the
 * listens made since the run, cold-start lists from stated preferences,
 * popularity fallbacks, exclusions, the genre filter, diversity re-ranking,
 * items similar to an item, and the memcached copies of all of these. */
#ifndef ENCORE_RECS_H
#define ENCORE_RECS_H

#include <stdbool.h>
#include <stddef.h>

struct arena;
struct db;
struct kv;

enum recs_type { RECS_TRACK, RECS_ARTIST };

/* Listens this recent are "known" and excluded unless asked otherwise. */
#define RECS_KNOWN_DAYS 30
/* At most this many listens since the run are blended in, newest first. */
#define RECS_FRESH_MAX 50
/* A play shorter than this is a skip: never a fresh listen here, and a weak
 * negative rather than a positive in encore-recs (src/batch/recs/dbread.c),
 * which reads this same constant. */
#define RECS_SKIP_MS 30000
/* Seconds a serving-version lookup and a response stay cached. The serving
 * version is re-read this often (the batch also deletes its key after a
 * switch); responses are exact through the user's namespace and the
 * version in their key, the TTL only returns memory. */
#define RECS_SERVING_TTL 5
#define RECS_TTL 600
/* The memcached key of the serving version (deleted by encore-recs, from
 * this same constant, after a switch). */
#define RECS_SERVING_KEY "recs:serving"

/* One request for a user's recommendations. */
struct recs_query {
  long long user_id;
  enum recs_type type;
  int limit;          /* 1..100 */
  const char *genre;  /* a genre name to keep only its items, or NULL */
  bool exclude_known; /* drop recent listens and likes (dislikes always) */
  double diversity;   /* 0 (score order) .. 1 (spread artists, genres) */
};

/* recs_for_user: the response body {items, model} of GET
 * /me/recommendations as JSON text in the arena, from memcached when the
 * same request was answered since the user's last change under the same
 * serving version. Never fails for want of a model or of history: it falls
 * back to popularity and says so in `model`. Returns 0, RC_DB or RC_NOMEM. */
int recs_for_user(struct db *d, struct kv *k, struct arena *a,
                  const struct recs_query *q, const char **text, size_t *len);

/* recs_similar: the body {items, model} of GET /{tracks,artists}/{id}/similar:
 * the item's neighbours in the serving version, or, when the model has none,
 * the same artist's and genre's most popular items (said in `model`).
 * RC_NOT_FOUND when the item does not exist. */
int recs_similar(struct db *d, struct kv *k, struct arena *a,
                 enum recs_type type, long long id, int limit,
                 const char **text, size_t *len);

#endif
