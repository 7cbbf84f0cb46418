/* party_room: a party's live state in MariaDB, as encore-live keeps it —
 * the lease that gives one process the party, the checkpoint of its
 * playback, its members, its queue, its chat and the listens of those who
 * played along. A process restores a room from these after a restart, so
 * reconnecting clients carry on where they were. Every function is one or
 * two short statements: encore-live calls them from its event loop. */
#ifndef ENCORE_PARTY_ROOM_H
#define ENCORE_PARTY_ROOM_H

#include <stdbool.h>

struct arena;
struct db;
struct kv;

/* Members a party holds (everyone who ever joined). */
#define PARTY_MEMBERS_MAX 1000
/* Chat messages one party holds. */
#define PARTY_MESSAGES_MAX 100000
/* Reactions one user puts on one message. */
#define PARTY_REACTIONS_MAX 8
/* A chat message: 1 to 1,000 characters. */
#define PARTY_TEXT_MAX 1000

/* The party row: the checkpoint. Strings live in the arena. */
struct party_row {
  long long id, owner, host, created_ms;
  const char *name, *visibility;
  const char *play_state; /* "idle", "playing", "paused" */
  long long play_item;    /* 0: none */
  long long started_ms;   /* playing: server time of position 0 */
  long long position_ms;  /* paused: the position */
};

/* A user as a room shows them, and their membership. */
struct party_member_row {
  long long user;
  const char *username, *display_name, *avatar_url;
  const char *role; /* "host", "co_host", "member"; NULL: never joined */
  bool muted, removed;
};

/* A queue item and its track. */
struct party_item_row {
  long long id, track, added_by, duration_ms;
  const char *state; /* "queued", "suggested", "current" */
  const char *title, *artist;
};

/* party_room_claim: take the lease of live party `id` for process `node`
 * for `lease_s` seconds and read its row into *out. RC_NOT_FOUND when
 * there is no such live party, RC_CONFLICT when another process holds an
 * unexpired lease. */
int party_room_claim(struct db *d, struct arena *a, long long id,
                     const char *node, int lease_s, struct party_row *out);
/* party_room_renew: extend every lease `node` holds; the live parties it
 * still holds land in ids[0..*n) (at most max). */
int party_room_renew(struct db *d, struct arena *a, const char *node,
                     int lease_s, long long *ids, int max, int *n);
/* party_room_release: give up the lease of party `id` (0: every one
 * `node` holds). */
int party_room_release(struct db *d, const char *node, long long id);
/* party_room_sweep: end the live parties nobody has held for
 * `abandon_s` seconds (or never held since they were made that long ago):
 * their host never came back. */
int party_room_sweep(struct db *d, int abandon_s);

/* What a join needs to know of its user, read at once. */
struct party_admit {
  bool ok;                      /* the user may join */
  struct party_member_row user; /* the user and their membership */
};

/* party_room_admit: whether `user` may join live party `id` (PARTY_SEES, not
 * ended) and, when they may, who they are and their membership (role NULL
 * when they never joined): one statement, since every join waits for it. */
int party_room_admit(struct db *d, struct arena *a, long long id,
                     long long user, struct party_admit *out);
/* party_room_blocks: of members[0..n) (a room's members, at most
 * PARTY_MEMBERS_MAX), those `user` blocked or who blocked `user`, into
 * *out (in the arena; an id may come twice) and *nout. Every such block
 * is read, however many the user has. */
int party_room_blocks(struct db *d, struct arena *a, long long user,
                      const long long *members, int n, long long **out,
                      int *nout);
/* party_room_members: the party's members (at most PARTY_MEMBERS_MAX). */
int party_room_members(struct db *d, struct arena *a, long long id,
                       struct party_member_row **out, int *n);
/* party_room_members_save: write members' roles, mutes and removals,
 * adding the rows missing: `rows_json` is a JSON array of [party_id,
 * user_id, role, muted, removed] arrays (one statement, any count; a
 * member whose user or party is gone is skipped). A removal, whoever
 * wrote it, is never taken back. */
int party_room_members_save(struct db *d, const char *rows_json);

/* party_room_queue: the queue's items: the current one, the queued in
 * order, then the suggested (at most PARTY_QUEUE_MAX + 1). */
int party_room_queue(struct db *d, struct arena *a, long long id,
                     struct party_item_row **out, int *n);
/* party_room_track: the track as a queue item shows it (id, title, artist,
 * duration); RC_NOT_FOUND when there is no such track. */
int party_room_track(struct db *d, struct arena *a, long long track,
                     struct party_item_row *out);
/* party_room_item_add: a new item of party `id` in `state` at the end of
 * the queue; *item its id. */
int party_room_item_add(struct db *d, long long id, long long track,
                        const char *state, long long added_by, long long *item);
/* party_room_item_state: set an item's state. */
int party_room_item_state(struct db *d, long long item, const char *state);
/* party_room_item_delete: drop an item (played out, removed, rejected). */
int party_room_item_delete(struct db *d, long long item);
/* party_room_order: the queued items' positions from the JSON array of
 * their ids, in order (one statement). */
int party_room_order(struct db *d, long long id, const char *ids_json);
/* party_room_checkpoint: write r's host and playback. */
int party_room_checkpoint(struct db *d, const struct party_row *r);
/* party_room_end: the party ended (its host left for good, or ended it). */
int party_room_end(struct db *d, long long id);

/* A member's listen of a queue item. */
struct party_play {
  long long party, item, user, track;
  long long at_ms;     /* when they started hearing it */
  long long played_ms; /* how long they heard it */
};

/* party_room_play: store the listen in the member's history (source
 * "party") once per item and member, and fold it into their listening
 * sessions. *stored says whether it was new. */
int party_room_play(struct db *d, struct kv *k, struct arena *a,
                    const struct party_play *p, bool *stored);

/* One chat message as a room holds it. */
struct party_message_row {
  long long id, user, reply_to, at_ms;
  const char *text;
};

/* party_chat_store: write messages already broadcast: `rows_json` is a
 * JSON array of [party_id, id, user_id, text, reply_to or null, ms]
 * arrays (one statement, any count). A message already written is left
 * as it is. */
int party_chat_store(struct db *d, const char *rows_json);
/* party_chat_next: the id the party's next message takes. */
int party_chat_next(struct db *d, struct arena *a, long long id,
                    long long *next);
/* party_chat_after: up to `limit` messages of party `id` after message
 * `after`, oldest first; with after < 0, the last `limit` ones. */
int party_chat_after(struct db *d, struct arena *a, long long id,
                     long long after, int limit, struct party_message_row **out,
                     int *n);

/* One reaction. */
struct party_reaction_row {
  long long message, user;
  const char *emoji;
};

/* party_chat_reactions: the reactions to messages from..to of party id. */
int party_chat_reactions(struct db *d, struct arena *a, long long id,
                         long long from, long long to,
                         struct party_reaction_row **out, int *n);
/* party_chat_react: add (or with `remove`, take back) user's reaction to
 * a message; *changed whether anything did. RC_LIMIT when the user has
 * PARTY_REACTIONS_MAX on it already. */
int party_chat_react(struct db *d, struct arena *a,
                     const struct party_reaction_row *r, long long id,
                     bool remove, bool *changed);

#endif
