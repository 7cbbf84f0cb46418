/* party: listening parties as the REST side sees them — creating one,
 * reading it, listing the live parties a user may join, invitations,
 * removing a member and ending it — and the one visibility rule
 * (PARTY_SEES) that every read applies in its SQL, so that a party the
 * caller may not see answers RC_NOT_FOUND exactly as a missing one.
 * encore-live holds a party's live state (src/live/, party_room.h); what
 * the REST side changes that live connections must learn goes through
 * live_event.h. */
#ifndef ENCORE_PARTY_H
#define ENCORE_PARTY_H

#include <json-c/json.h>
#include <stdbool.h>

struct arena;
struct db;

/* A party's name: 1 to 100 characters. */
#define PARTY_NAME_MAX 100
/* Tracks queued and suggested at once (a starting playlist gives its
 * first ones). */
#define PARTY_QUEUE_MAX 200
/* Live parties one user hosts at once. */
#define PARTY_LIVE_MAX 3

/* PARTY_SEES(p, u): SQL, true when the user `u` (an SQL expression used
 * eight times: "?" or a column) may see the party aliased `p`: neither
 * has blocked the other with its owner or host, `u` was not removed from
 * it, and it is public, or `u` is its owner, host or a co-host, was
 * invited, or (visibility followers) follows the owner (accepted). Ended
 * parties are seen too; joining and the live list add `ended_at IS NULL`. */
#define PARTY_SEES(p, u)                                                       \
  "(NOT EXISTS (SELECT 1 FROM blocks pb WHERE (pb.blocker_id IN (" p           \
  ".owner_id, " p ".host_id) AND pb.blocked_id = " u                           \
  ") OR (pb.blocked_id IN (" p ".owner_id, " p ".host_id) AND pb.blocker_id "  \
  "= " u ")) AND NOT EXISTS (SELECT 1 FROM party_members pr WHERE "            \
  "pr.party_id = " p ".id AND pr.user_id = " u " AND pr.removed = 1) AND ("    \
  p ".visibility = 'public' OR " p ".owner_id = " u " OR " p ".host_id = " u   \
  " OR EXISTS (SELECT 1 FROM party_invites pi WHERE pi.party_id = " p          \
  ".id AND pi.user_id = " u ") OR EXISTS (SELECT 1 FROM party_members pm "     \
  "WHERE pm.party_id = " p ".id AND pm.user_id = " u " AND pm.role IN "        \
  "('host', 'co_host')) OR (" p ".visibility = 'followers' AND EXISTS "        \
  "(SELECT 1 FROM follows pf WHERE pf.follower_id = " u " AND "                \
  "pf.followee_id = " p ".owner_id AND pf.state = 'accepted'))))"
/* The number of times PARTY_SEES names its user. */
#define PARTY_SEES_USES 8

/* What a new party is made of. */
struct party_new {
  long long owner;
  const char *name;       /* 1..PARTY_NAME_MAX characters, checked */
  const char *visibility; /* "public", "followers" or "invite" */
  long long playlist_id;  /* 0: none; else its first PARTY_QUEUE_MAX
                             tracks are the queue */
};

/* party_create: a new live party hosted by its owner, with the owner as
 * its host member and the playlist's tracks queued; *id the new party.
 * RC_NOT_FOUND when the playlist is not one the owner may see; RC_LIMIT
 * when the owner already hosts PARTY_LIVE_MAX live parties or has made
 * CAP_USER_PARTIES. */
int party_create(struct db *d, struct arena *a, const struct party_new *n,
                 long long *id);
/* party_get: the party as `viewer` sees it (Party in docs/openapi.yaml, a
 * new object owned by the arena); RC_NOT_FOUND when it may not. */
int party_get(struct db *d, struct arena *a, long long id, long long viewer,
              json_object **out);
/* party_list: the live parties `viewer` may join (public ones, those of
 * the users they follow, those they are invited to or co-host), newest
 * first, after party id `after` (0: from the start); items and the id to
 * continue after (0 at the end). */
int party_list(struct db *d, struct arena *a, long long viewer,
               long long after, int limit, json_object **items,
               long long *next);

/* What a host or co-host does to another user. */
struct party_act {
  long long party, by, who;
};

/* party_invite: `by` (host or co-host) invites `who`; idempotent
 * (*created: a new invitation). RC_NOT_FOUND when `by` may not see the
 * live party (or it ended), RC_FORBIDDEN when `by` is only a member,
 * RC_INVALID when `who` is `by`, RC_LIMIT past CAP_PARTY_INVITES. */
int party_invite(struct db *d, struct arena *a, const struct party_act *x,
                 bool *created);
/* party_remove: `by` (host or co-host) removes `who` from the live party:
 * `who` cannot join again, and live connections learn it (live_event.h).
 * `who` need not have joined yet (then they are barred ahead of it);
 * idempotent. The host cannot be removed, nor a co-host by another co-host
 * (RC_FORBIDDEN); RC_NOT_FOUND as for party_invite. */
int party_remove(struct db *d, struct arena *a, const struct party_act *x);
/* party_end: the host ends the live party; idempotent for an ended one.
 * RC_NOT_FOUND when `by` may not see it, RC_FORBIDDEN when `by` is not
 * its host. Live connections learn it within a second. */
int party_end(struct db *d, struct arena *a, long long id, long long by);

/* A page of a party's chat, newest first. */
struct party_chat_q {
  long long party, viewer;
  long long before; /* the message id to continue before (0: the newest) */
  int limit;
};

/* party_chat_page: the messages of one page ([{id, user, text, reply_to,
 * created_at, reactions}]) and the id to continue before (0 at the end).
 * Messages of users who blocked the viewer or whom the viewer blocked are
 * left out. RC_NOT_FOUND when the viewer may not see the party. */
int party_chat_page(struct db *d, struct arena *a, const struct party_chat_q *q,
                    json_object **items, long long *next);

#endif
