/* listen: listening history: batch ingestion (track resolution, duplicate
 * detection, one transaction per batch), history pages, deletions, and who
 * may read another user's history. */
#ifndef ENCORE_LISTEN_H
#define ENCORE_LISTEN_H

#include <json-c/json.h>
#include <stdbool.h>

struct arena;
struct db;
struct kv;

#define LISTEN_BATCH_MAX 1000
#define LISTEN_MS_PLAYED_MAX 86400000LL
/* Earliest accepted listened_at: 2000-01-01T00:00:00Z, in ms. */
#define LISTEN_EPOCH_MIN 946684800000LL
/* How far in the future a listened_at may lie (client clock skew). */
#define LISTEN_FUTURE_SKEW_MS (5 * 60 * 1000LL)

/* The index hint of every read of one user's listens over a span of time,
 * after the table's alias: `FROM listens l LISTENS_BY_USER_TIME WHERE
 * l.user_id = ? AND l.listened_at ...`. Without it MariaDB 10.11 may take
 * the index (user_id, listened_at) as a lookup on user_id alone and filter
 * the times row by row: every listen of the user read, 16 ms for a day of a
 * user with 100,000 listens and 74 ms for a page of their history, against
 * 1.2 and 0.3 ms as a range (docs/PERFORMANCE.md, "Insights and trends"). */
#define LISTENS_BY_USER_TIME "FORCE INDEX (listens_user_time)"

enum listen_status {
  LISTEN_PENDING,
  LISTEN_STORED,
  LISTEN_DUPLICATE,
  LISTEN_REJECTED
};

/* One listen of a batch, already validated in shape by the caller. Either
 * track_id > 0, or artist and title (album optional) to be matched. */
struct listen_in {
  long long track_id;
  const char *artist, *title, *album;
  long long at_ms;     /* listened_at, unix milliseconds */
  long long ms_played; /* -1 when not given */
  const char *source;  /* NULL when not given */
  /* Where in the app it was started ("recommendation", "search", ...;
   * h_listens checks the word), stored in listens.context; NULL: unknown. */
  const char *context;
  enum listen_status status;
  const char *error_field, *error_msg; /* when rejected */
};

/* listen_resolve: give every PENDING item a track: items with track_id are
 * checked to exist; items with text are matched by exact title and primary
 * artist name under utf8mb4_unicode_ci (case- and accent-insensitive), album
 * title breaking ties, then popularity, then the lowest id. One query per
 * kind for the whole batch. Unmatched items become REJECTED ("no such
 * track"). Returns 0 or RC_DB / RC_NOMEM. */
int listen_resolve(struct db *d, struct arena *a, struct listen_in *items,
                   int n);
/* listen_store: insert every PENDING item for user_id in one transaction and
 * mark each STORED or DUPLICATE (same track and listened_at already stored,
 * or earlier in the same batch). Nothing is stored unless it returns 0.
 * When at least one listen was stored, the user's cached recommendations
 * are dropped (user_taste_changed). */
int listen_store(struct db *d, struct kv *kv, struct arena *a,
                 long long user_id, struct listen_in *items, int n);

/* A page of history, newest first. */
struct listen_query {
  long long user_id;
  long long from_ms, to_ms;     /* from <= listened_at < to; 0: unbounded */
  long long after_ms, after_id; /* keyset cursor; after_id 0: first page */
  int limit;
};
/* listen_history: the items of one page (a new json array owned by the
 * caller) and, when more follow, the cursor text "<ms>|<id>" of the last
 * item in *next (arena), else *next = NULL. */
int listen_history(struct db *d, struct arena *a, const struct listen_query *q,
                   json_object **items, const char **next);
/* listen_parse_cursor: the text of a history cursor; RC_INVALID if bad. */
int listen_parse_cursor(const char *text, long long *ms, long long *id);

/* listen_delete_one: delete the listen `id` of user_id; *deleted 0 or 1.
 * Deleting drops the user's cached recommendations. */
int listen_delete_one(struct db *d, struct kv *k, long long user_id,
                      long long id, long long *deleted);
/* listen_delete_range: delete the listens with from <= listened_at < to
 * (0: unbounded on that side; both 0: everything); as listen_delete_one. */
int listen_delete_range(struct db *d, struct kv *k, long long user_id,
                        long long from_ms, long long to_ms, long long *deleted);

/* listen_history_visible: whether `viewer` (0: anonymous) may read the
 * history of `owner` under the owner's history_visibility preference
 * (public: anyone; followers: the owner and users following the owner,
 * accepted; private: only the owner), never when the owner blocked the
 * viewer. */
int listen_history_visible(struct db *d, struct arena *a, long long owner,
                           long long viewer, bool *visible);
/* listen_history_owner: the id of the user named `username` whose history
 * `viewer` (0: anonymous) may read (listen_history_visible); RC_NOT_FOUND
 * alike for no such user and one whose history is not for the viewer. */
int listen_history_owner(struct db *d, struct arena *a, const char *username,
                         long long viewer, long long *owner);

#endif
