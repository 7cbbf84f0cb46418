/* comment: comments on tracks, albums and playlists — plain text, replies
 * one level deep, likes, @mentions — and reports of them. Who may see a
 * comment is the rule of its object (a playlist the reader cannot open:
 * RC_NOT_FOUND, as for a missing one), less the comments of authors who
 * blocked the reader; who may remove one: its author, the owner of the
 * playlist it is on, and moderators. */
#ifndef ENCORE_COMMENT_H
#define ENCORE_COMMENT_H

#include <json-c/json.h>
#include <stdbool.h>

struct arena;
struct db;

#define COMMENT_TEXT_MAX 2000 /* characters, after trimming */
#define COMMENT_MENTIONS_MAX 10

/* What a new comment (or reply) says. */
struct comment_new {
  const char *object_type; /* "track", "album", "playlist" */
  long long object_id;
  long long author;
  long long parent;            /* the comment replied to; 0: none */
  const char *text;            /* checked by the caller (comment_text_check) */
  const char *const *mentions; /* usernames, at most COMMENT_MENTIONS_MAX */
  int nmentions;
};

/* comment_text_check: trim `text` (into *out, in the arena, CR LF made LF)
 * and check it: 1 to COMMENT_TEXT_MAX characters of UTF-8, no control
 * characters (C0, DEL, C1) but line feeds and tabs. NULL when fine, else
 * why not. */
const char *comment_text_check(struct arena *a, const char *text,
                               const char **out);
/* comment_mentions: the distinct @usernames of text ("@ada_l"), at most
 * max + 1 of them (more than max: the caller refuses the comment). */
int comment_mentions(struct arena *a, const char *text, const char ***names,
                     int max);

/* comment_create: store it; *id the new comment. RC_NOT_FOUND when the
 * object (or the parent) is missing or not visible to the author, or its
 * owner blocked the author; RC_INVALID when the parent is itself a reply or
 * on another object. Mentions of unknown users, or of users who blocked the
 * author, are left as text. */
int comment_create(struct db *d, struct arena *a, const struct comment_new *c,
                   long long *id);
/* comment_get: one comment as `viewer` sees it (a new object). */
int comment_get(struct db *d, struct arena *a, long long id, long long viewer,
                json_object **out);
/* comment_edit: the author changes the text (marked edited). RC_NOT_FOUND
 * for anyone else. */
int comment_edit(struct db *d, struct arena *a, long long id, long long author,
                 const char *text, const char *const *mentions, int nmentions);
/* comment_delete: by its author, the owner of the playlist it is on, or a
 * moderator (moderator true); its replies go with it. RC_NOT_FOUND for
 * anyone else. */
int comment_delete(struct db *d, struct arena *a, long long id, long long actor,
                   bool moderator);
/* comment_like: user likes (on) or unlikes the comment; idempotent.
 * *added when a like was added. RC_NOT_FOUND when user cannot see it. */
int comment_like(struct db *d, struct arena *a, long long id, long long user,
                 bool on, bool *added);

/* The orders of a list. */
enum comment_sort { COMMENT_NEWEST, COMMENT_OLDEST, COMMENT_TOP };

/* A page of comments: the top-level ones of an object, or the replies to
 * one comment (parent set; oldest first whatever the sort). */
struct comment_q {
  const char *object_type;
  long long object_id;
  long long parent;
  long long viewer;
  enum comment_sort sort;
  const char *after; /* the cursor text of the previous page, or NULL */
  int limit;
};

/* comment_list: the items of one page and the cursor text of the next
 * (NULL at the end). RC_NOT_FOUND when the viewer cannot see the object
 * (or the parent); RC_BAD_REQUEST for a cursor of another list. */
int comment_list(struct db *d, struct arena *a, const struct comment_q *q,
                 json_object **items, const char **next);

/* comment_about: what a comment is on, its author, the parent's author (0:
 * none) and the owner of its playlist (0: none), for notifications. */
struct comment_about {
  const char *object_type;
  long long object_id, author, parent_author, playlist_owner;
};
int comment_about(struct db *d, struct arena *a, long long id,
                  struct comment_about *out);
/* comment_mentioned: the users a comment mentions (ids in the arena). */
int comment_mentioned(struct db *d, struct arena *a, long long id,
                      long long **ids, int *n);

/* Reasons of a report, as the reports table names them. */
extern const char *const report_reasons[];
/* report_create: reporter reports the object (type "comment", "playlist",
 * "user" or "chat") for reason with a note; a second report of the same
 * object by the same user replaces the first's reason and note. */
int report_create(struct db *d, long long reporter, const char *object_type,
                  long long object_id, const char *reason, const char *note);

#endif
