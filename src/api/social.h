/* social: what follows a social act once its answer is sent — the activity
 * it makes (written and fanned out: model/activity.h), the feeds it fills
 * or empties, and who is told of it (model/notify.h). Handlers name the act
 * and go on; nothing here can change their answer, and a failure is only
 * logged (the act itself is already committed). */
#ifndef ENCORE_SOCIAL_H
#define ENCORE_SOCIAL_H

struct req;

/* The acts. x and y are user, playlist or comment ids as each says. */
enum social_act {
  SOCIAL_FOLLOWED,         /* x follows y (accepted) */
  SOCIAL_REQUESTED,        /* x asked to follow y */
  SOCIAL_ACCEPTED,         /* y accepted x's request */
  SOCIAL_UNFOLLOWED,       /* x no longer follows y */
  SOCIAL_BLOCKED,          /* x blocked y */
  SOCIAL_COMMENTED,        /* comment y by x */
  SOCIAL_PLAYLIST_CREATED, /* x made public playlist y */
  SOCIAL_PLAYLIST_ADDED,   /* x added n tracks to public playlist y */
  SOCIAL_LIKED_TRACK,      /* x liked track y */
  SOCIAL_LIKED_ALBUM,      /* x liked album y */
  SOCIAL_LIKED_PLAYLIST,   /* x liked playlist y */
  SOCIAL_LIKED_COMMENT,    /* x liked comment y */
  SOCIAL_PLAYLIST_GONE,    /* playlist y was deleted */
  SOCIAL_COMMENT_GONE,     /* comment y was deleted */
  SOCIAL_PARTY_STARTED,    /* x started listening party y */
};

/* social_after: do what act (x, y, n) entails after the response. */
void social_after(struct req *r, enum social_act act, long long x, long long y,
                  int n);
/* social_listened: fold user's listens stored at at_ms[0..n) into their
 * listening sessions after the response (at_ms is copied). */
void social_listened(struct req *r, long long user, const long long *at_ms,
                     int n);

#endif
