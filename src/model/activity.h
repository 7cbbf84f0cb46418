/* activity: what users did that their followers may see, written once as it
 * happens (table activities) and fanned out to the followers of all but the
 * heavily followed (table feed_items). Listens group into listening
 * sessions (a gap of ACTIVITY_SESSION_GAP ends one) and additions to one
 * playlist into runs, each one row that grows; nothing here decides who may
 * see an entry: feed.c does, when reading. */
#ifndef ENCORE_ACTIVITY_H
#define ENCORE_ACTIVITY_H

struct arena;
struct db;

/* A gap that ends a listening session, or a run of additions, in ms. */
#define ACTIVITY_SESSION_GAP (30 * 60 * 1000LL)
/* Followers from which a user's activity is no longer copied to each
 * follower's feed when written, but merged into feeds when they are read
 * (feed.c): a user this followed writes one row, not tens of thousands. */
#define FEED_FANOUT_MAX 5000
/* Activities of a followee copied into a new follower's feed. */
#define FEED_BACKFILL 50

/* The kinds, named as the activities.kind ENUM. */
enum activity_kind {
  ACTIVITY_LISTENED,
  ACTIVITY_PLAYLIST_CREATED,
  ACTIVITY_PLAYLIST_UPDATED, /* tracks added: grows */
  ACTIVITY_LIKED,
  ACTIVITY_FOLLOWED,
  ACTIVITY_COMMENTED,
  ACTIVITY_PARTY_STARTED,
};

/* One event. */
struct activity_event {
  enum activity_kind kind;
  long long actor;
  const char *object_type; /* "track", "album", "playlist", "user",
                              "comment", "party" */
  long long object_id;
  int count; /* tracks added (ACTIVITY_PLAYLIST_UPDATED); else 1 */
};

/* activity_record: store the event; a playlist addition within a run of the
 * same actor on the same playlist grows that run, and a like or follow
 * replaces the actor's earlier entry about the same object (made, undone,
 * made again: one entry). The new row, if any, is fanned out
 * (activity_fanout) before this returns. */
int activity_record(struct db *d, struct arena *a,
                    const struct activity_event *e);
/* activity_listens: fold the listens user_id stored at at_ms[0..n) (any
 * order) into listening sessions: the latest session grows when the first
 * new listen follows it within the gap; later gaps open new sessions. Each
 * session touched gets its count, span and the artist heard most. */
int activity_listens(struct db *d, struct arena *a, long long user_id,
                     const long long *at_ms, int n);
/* activity_fanout: copy activity id into the feeds of its actor's accepted
 * followers, unless the actor has FEED_FANOUT_MAX of them or more. */
int activity_fanout(struct db *d, long long id);
/* activity_backfill: the latest FEED_BACKFILL activities of followee into
 * follower's feed (a follow just accepted), unless followee's activity is
 * merged at read time anyway. */
int activity_backfill(struct db *d, long long follower, long long followee);
/* activity_unfeed: drop followee's activities from follower's feed (an
 * unfollow or block; reads hide them anyway, this only frees the rows),
 * unless follower follows followee again by now. */
int activity_unfeed(struct db *d, long long follower, long long followee);
/* activity_delete_about: delete the activities about an object that is
 * gone (reads hide them anyway; this frees the rows). */
int activity_delete_about(struct db *d, const char *object_type,
                          long long object_id);

#endif
