/* notify: who is told what, and the inbox it is told in. Each event has one
 * function here that decides its recipients (never the actor, never across
 * a block) and what they read; push delivery and live parties reuse these
 * decisions rather than making their own. Notifications of one kind about
 * one object group while unread ("X and 4 others liked your playlist"):
 * `count` distinct actors, the latest named. What may be pushed
 * (model/push.h's kinds) is queued for push delivery as it is told. */
#ifndef ENCORE_NOTIFY_H
#define ENCORE_NOTIFY_H

#include <json-c/json.h>
#include <stdbool.h>

struct arena;
struct db;

/* notify_follow: followee hears of a new follower (accepted) or of a
 * request waiting for an answer. */
int notify_follow(struct db *d, struct arena *a, long long follower,
                  long long followee, bool requested);
/* notify_follow_accepted: the follower hears that followee accepted. */
int notify_follow_accepted(struct db *d, struct arena *a, long long followee,
                           long long follower);
/* notify_comment: a new comment is told to the playlist's owner (comment),
 * to the parent's author (reply) and to the users it mentions (mention);
 * each person once, the most particular kind winning. */
int notify_comment(struct db *d, struct arena *a, long long comment_id);
/* notify_playlist_liked: the owner hears that liker liked the playlist. */
int notify_playlist_liked(struct db *d, struct arena *a, long long liker,
                          long long playlist_id);
/* notify_comment_liked: the author hears that liker liked the comment. */
int notify_comment_liked(struct db *d, struct arena *a, long long liker,
                         long long comment_id);
/* notify_party_invite: `invitee` hears that `inviter` invited them to
 * listening party `party`. */
int notify_party_invite(struct db *d, struct arena *a, long long inviter,
                        long long invitee, long long party);

/* notify_party_started: the host's accepted followers (not across a block)
 * hear, by push only, that the host started listening party `party`. */
int notify_party_started(struct db *d, struct arena *a, long long host,
                         long long party);

/* notify_moderation: user `to` hears of a decision `moderator` took:
 * kind "moderation_warning" (their object drew a warning),
 * "report_actioned" or "report_dismissed" (a report they made about the
 * object was decided). object_type NULL: none (a chat message). Written
 * across blocks, with `to` as the actor: no moderator is named. */
int notify_moderation(struct db *d, struct arena *a, long long to,
                      long long moderator, const char *kind,
                      const char *object_type, long long object_id);
/* notify_link_lost: the user hears that a service refused their linked
 * account (Last.fm error 9, a 401), which was unlinked: kind
 * "<service>_unlinked" (lastfm, listenbrainz, spotify, apple_music), the
 * user as its actor, no object. No one else is told anything. */
int notify_link_lost(struct db *d, struct arena *a, long long user,
                     const char *service);

/* A page of the inbox. */
struct notify_q {
  long long user;
  bool unread_only;
  const char *after; /* the cursor text of the previous page, or NULL */
  int limit;
};

/* notify_list: the items of one page, most recently updated first
 * ([{id, kind, actor, count, object?, created_at, updated_at, read}]), the
 * cursor text of the next (NULL at the end) and the unread count.
 * Notifications whose actor is now blocked either way, or whose object is
 * gone, are left out. RC_BAD_REQUEST for a malformed cursor. */
int notify_list(struct db *d, struct arena *a, const struct notify_q *q,
                json_object **items, const char **next, long long *unread);
/* notify_read: mark one of user's notifications read; RC_NOT_FOUND when it
 * is not theirs. */
int notify_read(struct db *d, long long user, long long id);
/* notify_read_all: mark every one of user's notifications read. */
int notify_read_all(struct db *d, long long user);

#endif
