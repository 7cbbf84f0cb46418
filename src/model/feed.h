/* feed: reading activity — a user's feed (what the people they follow did)
 * and one user's own activity — with every privacy rule applied at the time
 * of reading: follows still accepted, blocks either way, the viewer's mutes
 * (feed only), the actor's history visibility for listening sessions, and
 * the current state of each object (a playlist made private or deleted, a
 * comment removed: the entry is left out, never shown half). */
#ifndef ENCORE_FEED_H
#define ENCORE_FEED_H

#include <json-c/json.h>

struct arena;
struct db;

/* A page to read. */
struct feed_q {
  long long viewer; /* who reads (0: anonymous, for an actor's page) */
  long long actor;  /* 0: the viewer's feed; else this user's activity */
  long long after;  /* the activity id to continue after (0: newest) */
  int limit;
};

/* feed_read: the entries of one page, newest first ([{id, kind, actor, at,
 * started_at, count, object?, artist?}], a new array in the arena), and the
 * id to continue after (0 at the end). */
int feed_read(struct db *d, struct arena *a, const struct feed_q *q,
              json_object **items, long long *next);

#endif
