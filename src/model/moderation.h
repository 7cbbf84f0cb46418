/* moderation: the queue of reports and what moderators do with them. A
 * report (model/comment.h, report_create) names an object: a comment, a
 * playlist, a user or a party chat message. The queue groups the open
 * reports per object, oldest first; an action resolves every open report
 * of the object at once and tells each reporter the outcome. An object
 * reported by enough distinct users (cfg report_threshold) is held: hidden
 * from everyone but its author until a moderator decides. */
#ifndef ENCORE_MODERATION_H
#define ENCORE_MODERATION_H

#include <json-c/json.h>

struct arena;
struct db;

/* moderation_reported: after a report of (type, id): hold the object when
 * `threshold` distinct users have open reports of it (comments and
 * playlists; users and chat messages wait in the queue). */
int moderation_reported(struct db *d, struct arena *a, const char *type,
                        long long id, int threshold);

/* moderation_queue: one page of the open reports grouped per object,
 * oldest report first (*items a new array owned by the caller), and the
 * cursor text after its last group (*next, NULL on the last page).
 * RC_INVALID for a cursor that is not one. */
int moderation_queue(struct db *d, struct arena *a, const char *after,
                     int limit, json_object **items, const char **next);

/* moderation_author: who answers for the object: a comment's author, a
 * playlist's owner, the user themselves. RC_NOT_FOUND when the object is
 * gone, or is a chat message (whose reports name no message row yet: they
 * can be dismissed, not acted on). */
int moderation_author(struct db *d, struct arena *a, const char *type,
                      long long id, long long *author);

/* moderation_set: the object's moderation state: "visible", "held" or
 * "hidden" (comments and playlists). RC_NOT_FOUND when absent or of a type
 * without one. */
int moderation_set(struct db *d, const char *type, long long id,
                   const char *state);

/* moderation_resolve: every open report of (type, id) ends with `outcome`
 * (the reports.outcome ENUM) decided by moderator; the reporters' ids
 * into *reporters (arena array of *n). RC_NOT_FOUND when none was open. */
int moderation_resolve(struct db *d, struct arena *a, const char *type,
                       long long id, const char *outcome, long long moderator,
                       long long **reporters, int *n);

#endif
