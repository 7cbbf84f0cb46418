/* social: the consequences of social acts, after the response; see
 * social.h. */
#include "api/social.h"

#include <string.h>

#include "api/app.h"
#include "api/req.h"
#include "core/arena.h"
#include "core/log.h"
#include "model/activity.h"
#include "model/notify.h"

struct job {
  enum social_act act;
  long long x, y;
  int n;
};

/* record: an activity of x about (type, y). */
static int record(struct arena *a, enum activity_kind kind, long long x,
                  const char *type, long long y, int n) {
  const struct activity_event e = {.kind = kind,
                                   .actor = x,
                                   .object_type = type,
                                   .object_id = y,
                                   .count = n};
  return activity_record(app.db, a, &e);
}

static int run(struct arena *a, const struct job *j) {
  int rc = 0;
  switch (j->act) {
  case SOCIAL_FOLLOWED:
    rc = record(a, ACTIVITY_FOLLOWED, j->x, "user", j->y, 1);
    if (!rc) rc = activity_backfill(app.db, j->x, j->y);
    if (!rc) rc = notify_follow(app.db, a, j->x, j->y, false);
    break;
  case SOCIAL_REQUESTED:
    rc = notify_follow(app.db, a, j->x, j->y, true);
    break;
  case SOCIAL_ACCEPTED:
    rc = record(a, ACTIVITY_FOLLOWED, j->x, "user", j->y, 1);
    if (!rc) rc = activity_backfill(app.db, j->x, j->y);
    if (!rc) rc = notify_follow_accepted(app.db, a, j->y, j->x);
    break;
  case SOCIAL_UNFOLLOWED:
    rc = activity_unfeed(app.db, j->x, j->y);
    break;
  case SOCIAL_BLOCKED:
    rc = activity_unfeed(app.db, j->x, j->y);
    if (!rc) rc = activity_unfeed(app.db, j->y, j->x);
    break;
  case SOCIAL_COMMENTED:
    rc = record(a, ACTIVITY_COMMENTED, j->x, "comment", j->y, 1);
    if (!rc) rc = notify_comment(app.db, a, j->y);
    break;
  case SOCIAL_PLAYLIST_CREATED:
    rc = record(a, ACTIVITY_PLAYLIST_CREATED, j->x, "playlist", j->y, 1);
    break;
  case SOCIAL_PLAYLIST_ADDED:
    rc = record(a, ACTIVITY_PLAYLIST_UPDATED, j->x, "playlist", j->y, j->n);
    break;
  case SOCIAL_LIKED_TRACK:
    rc = record(a, ACTIVITY_LIKED, j->x, "track", j->y, 1);
    break;
  case SOCIAL_LIKED_ALBUM:
    rc = record(a, ACTIVITY_LIKED, j->x, "album", j->y, 1);
    break;
  case SOCIAL_LIKED_PLAYLIST:
    rc = record(a, ACTIVITY_LIKED, j->x, "playlist", j->y, 1);
    if (!rc) rc = notify_playlist_liked(app.db, a, j->x, j->y);
    break;
  case SOCIAL_LIKED_COMMENT:
    rc = notify_comment_liked(app.db, a, j->x, j->y);
    break;
  case SOCIAL_PLAYLIST_GONE:
    rc = activity_delete_about(app.db, "playlist", j->y);
    break;
  case SOCIAL_COMMENT_GONE:
    rc = activity_delete_about(app.db, "comment", j->y);
    break;
  case SOCIAL_PARTY_STARTED:
    rc = record(a, ACTIVITY_PARTY_STARTED, j->x, "party", j->y, 1);
    if (!rc) rc = notify_party_started(app.db, a, j->x, j->y);
    break;
  }
  return rc;
}

static void after(struct req *r, void *arg) {
  if (run(req_arena(r), arg))
    log_msg(LOG_WARN, "social: an act's consequences were not all written",
            "request_id", req_request_id(r), NULL);
}

void social_after(struct req *r, enum social_act act, long long x, long long y,
                  int n) {
  struct job *j = arena_alloc(req_arena(r), sizeof *j);
  if (!j) return;
  *j = (struct job){.act = act, .x = x, .y = y, .n = n};
  req_after(r, after, j);
}

struct listened {
  long long user;
  long long *at_ms;
  int n;
};

static void listened(struct req *r, void *arg) {
  const struct listened *l = arg;
  if (activity_listens(app.db, req_arena(r), l->user, l->at_ms, l->n))
    log_msg(LOG_WARN, "social: listening sessions not updated", "request_id",
            req_request_id(r), NULL);
}

void social_listened(struct req *r, long long user, const long long *at_ms,
                     int n) {
  struct arena *a = req_arena(r);
  struct listened *l = arena_alloc(a, sizeof *l);
  long long *copy = arena_alloc(a, sizeof *copy * (size_t)(n ? n : 1));
  if (!l || !copy || n <= 0) return;
  memcpy(copy, at_ms, sizeof *copy * (size_t)n);
  *l = (struct listened){.user = user, .at_ms = copy, .n = n};
  req_after(r, listened, l);
}
