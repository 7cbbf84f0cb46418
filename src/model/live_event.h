/* live_event: what live connections must learn of acts done elsewhere (a
 * party ended or a member removed over REST, a block, a session revoked),
 * through the live_events table: writers add a row, in their own
 * transaction when they have one; every encore-live process reads the rows
 * after the last id it saw, every second. No broker, and any number of
 * processes. */
#ifndef ENCORE_LIVE_EVENT_H
#define ENCORE_LIVE_EVENT_H

struct arena;
struct db;

/* The kinds, named as the live_events.kind ENUM. */
enum live_event_kind {
  LIVE_PARTY_ENDED,     /* party */
  LIVE_MEMBER_REMOVED,  /* party, user (the one removed) */
  LIVE_BLOCKED,         /* user blocked other */
  LIVE_SESSION_REVOKED, /* user's session other */
  LIVE_SESSIONS_REVOKED /* every session of user but other (0: all) */
};

/* One event. */
struct live_event {
  long long id; /* when read */
  enum live_event_kind kind;
  long long party, user, other;
};

/* live_event_post: add the event. */
int live_event_post(struct db *d, const struct live_event *e);
/* live_event_session: a session revoked (its user found by its row). */
int live_event_session(struct db *d, long long sid);

/* live_event_last: the id of the latest event (0: none), where a process
 * that starts begins to read. */
int live_event_last(struct db *d, struct arena *a, long long *id);
/* live_event_read: the events of up to `max` rows after id *after, in
 * order, into out[0..*n); *after becomes the id of the last row read. */
int live_event_read(struct db *d, struct arena *a, long long *after,
                    struct live_event *out, int max, int *n);
/* live_event_prune: delete events older than an hour (a few at a time). */
int live_event_prune(struct db *d);

#endif
