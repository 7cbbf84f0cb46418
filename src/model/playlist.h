/* playlist: playlists, their ordered tracks, grants and share links over
 * MariaDB, with public and unlisted playlists cached in memcached under the
 * versioned namespace "playlist:<id>".
 *
 * Who sees what is decided in SQL by one rule (PLAYLIST_SEES below): a
 * playlist is visible to its owner, to users it is granted to, and, when
 * public, to anyone. Every function taking a `viewer` (0: anonymous)
 * answers RC_NOT_FOUND for a playlist the viewer cannot see, so a private
 * or unlisted playlist is indistinguishable from a missing one. A visible
 * playlist the viewer may not change gives RC_FORBIDDEN.
 *
 * An unlisted playlist opens for anyone by its key (playlist_by_token), not
 * by its id: ids are sequential and would find every one. The key (128
 * random bits, base64url) is made when the playlist first becomes unlisted
 * and kept across visibility changes: it opens the playlist while it is
 * unlisted or public (links handed out keep working when it goes public),
 * never while it is private. Owner and grantees see it (`unlisted_key`)
 * while the playlist is unlisted; an update with `new_key` replaces it and
 * the old one stops working at once.
 *
 * Edits run in one transaction that locks the playlist row, checks the
 * expected snapshot (`expect`: 0 = no precondition, any other value must
 * equal the current snapshot, else RC_PRECONDITION and nothing changes) and
 * bumps the snapshot. Positions of tracks stay dense, 0..track_count-1.
 *
 * playlist.c holds the playlist itself (read, write, cover, lists),
 * playlist_tracks.c its tracks and their edits, playlist_share.c its
 * grants, share links and unlisted keys. */
#ifndef ENCORE_PLAYLIST_H
#define ENCORE_PLAYLIST_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

struct arena;
struct db;
struct kv;

#define PLAYLIST_MAX_TRACKS 10000
#define PLAYLIST_NAME_MAX 200
#define PLAYLIST_DESC_MAX 2000
#define PLAYLIST_LINK_TTL_MAX 315360000LL /* ten years, in seconds */
#define PLAYLIST_KEY_LEN 22   /* an unlisted key: 128 bits in base64url */
#define PLAYLIST_TOKEN_LEN 43 /* a share-link token: 256 bits */

/* PLAYLIST_SEES(p, u): SQL, true when the user `u` (an SQL expression: "?"
 * or a column) may open the playlist aliased `p` by its id: it is public,
 * or `u` owns it or holds a grant; to anyone but its owner, moderation
 * hides it (held or hidden, or its owner suspended: 0024_admin.sql). The
 * one visibility rule; every query of a playlist by id or of playlists in
 * a list applies it. */
#define PLAYLIST_SEES(p, u)                                                    \
  "(" p ".owner_id = " u " OR (" p ".moderation = 'visible' AND NOT EXISTS "   \
  "(SELECT 1 FROM users so WHERE so.id = " p ".owner_id AND "                  \
  "so.status = 'suspended') AND (" p ".visibility = 'public' OR EXISTS "       \
  "(SELECT 1 FROM playlist_grants g WHERE g.playlist_id = " p ".id "           \
  "AND g.user_id = " u "))))"

/* A playlist row as a viewer sees it; strings live in the read's arena. */
struct playlist {
  long long id, owner_id;
  const char *owner_name, *name, *description, *visibility, *cover_path;
  bool collaborative;
  long long snapshot, track_count, like_count, created_at, updated_at;
  /* the viewer's standing: "owner", "edit", "view", or NULL (a reader of a
   * public playlist, or a holder of a link or key) */
  const char *access;
  /* the unlisted key when the playlist is unlisted and the viewer is its
   * owner or a grantee, else NULL */
  const char *unlisted_key;
};

/* When an edit is refused for one input field: which and why (static). */
struct playlist_err {
  const char *field;
  const char *message;
  long long index; /* the offending item of an array field, or -1 */
};

/* A change of a playlist's own fields; NULL / -1 / false leave a field as
 * is. */
struct playlist_patch {
  const char *name, *description, *visibility;
  int collaborative; /* -1 unchanged, 0 or 1 */
  /* a new unlisted key, whatever the visibility: the old one opens nothing
   * from the commit on */
  bool new_key;
};

/* playlist_get: the playlist as `viewer` sees it, read from MariaDB. */
int playlist_get(struct db *d, struct arena *a, long long id, long long viewer,
                 struct playlist *p);
/* playlist_text: the playlist's JSON text as `viewer` sees it and its
 * snapshot. Public playlists come from memcached when cached (and are
 * cached on a miss), once MariaDB confirms that the playlist is still
 * public at the cached snapshot (one primary-key read); private and
 * unlisted ones always come from MariaDB, so a stale or unremoved copy can
 * never show them to a stranger. */
int playlist_text(struct db *d, struct kv *k, struct arena *a, long long id,
                  long long viewer, const char **text, size_t *len,
                  long long *snapshot);
/* playlist_json: the API view (a new json object the caller owns);
 * cover_url is the media URL prefix + "/" + cover_path; unlisted_key as
 * p->unlisted_key (null when NULL). */
json_object *playlist_json(const struct playlist *p);
/* playlist_set_media_url: the URL prefix nginx serves the media directory
 * at (cfg media_url; "/media" until set). Set once per configuration load,
 * before requests are served. */
void playlist_set_media_url(const char *url);

/* playlist_create: a new empty playlist of `owner` (with its unlisted key
 * when unlisted); its id in *id. RC_LIMIT when the owner already has
 * CAP_USER_PLAYLISTS playlists (cap.h). */
int playlist_create(struct db *d, struct kv *k, struct arena *a,
                    long long owner, const char *name, const char *description,
                    const char *visibility, bool collaborative, long long *id);
/* playlist_update: change the fields of `pt` (owner only); the new
 * snapshot in *snapshot (the current one on RC_PRECONDITION). A playlist
 * made unlisted gets its key unless it has one; pt->new_key replaces it
 * (playlist.h's header comment has the life of a key). */
int playlist_update(struct db *d, struct kv *k, struct arena *a, long long id,
                    long long viewer, const struct playlist_patch *pt,
                    long long expect, long long *snapshot);
/* playlist_delete: remove the playlist with its tracks, grants and links
 * (owner only). *orphan is its cover path when no album art or playlist
 * cover references it any more (the caller unlinks it), else NULL; call
 * with the media lock held. */
int playlist_delete(struct db *d, struct kv *k, struct arena *a, long long id,
                    long long viewer, long long expect, long long *snapshot,
                    const char **orphan);
/* playlist_set_cover: point the playlist at a cover file stored by
 * media_store (NULL: no cover); owner only, an edit (snapshot checked and
 * bumped). *orphan is the previous cover path when nothing references it
 * any more (the caller unlinks it), else NULL. Call with the media lock
 * held. */
int playlist_set_cover(struct db *d, struct kv *k, struct arena *a,
                       long long id, long long viewer, const char *path,
                       long long expect, long long *snapshot,
                       const char **orphan);

/* Lists: up to `limit` playlists by id, newest first, with ids below
 * `before` (0: from the newest), appended to `items` as JSON; *next is the
 * id to continue below, or 0 at the end. */
/* playlist_list_mine: the viewer's own playlists and those granted to them. */
int playlist_list_mine(struct db *d, struct arena *a, long long viewer,
                       long long before, int limit, json_object *items,
                       long long *next);
/* playlist_list_user: the public playlists of `owner`, plus those granted
 * to `viewer` (every playlist when viewer is the owner). In both lists an
 * unlisted playlist is one the viewer owns or holds a grant on, and shows
 * its key. */
int playlist_list_user(struct db *d, struct arena *a, long long owner,
                       long long viewer, long long before, int limit,
                       json_object *items, long long *next);

/* Tracks (playlist_tracks.c). */
/* playlist_tracks: up to `limit` tracks at positions after `after` (-1: from
 * the start) appended to `items`; *next is the last position served when
 * more follow, else -1. The caller has checked the playlist is visible. */
int playlist_tracks(struct db *d, struct arena *a, long long id,
                    long long after, int limit, json_object *items,
                    long long *next);

/* Track edits (owner and `edit` grantees). RC_INVALID with *err for input
 * that does not fit the playlist as it is now. */
/* playlist_add: insert ids[0..n) before `position` (-1: at the end). */
int playlist_add(struct db *d, struct kv *k, struct arena *a, long long id,
                 long long viewer, const long long *ids, int n,
                 long long position, long long expect, long long *snapshot,
                 struct playlist_err *err);
/* playlist_remove: remove the tracks at positions pos[0..n) (distinct). */
int playlist_remove(struct db *d, struct kv *k, struct arena *a, long long id,
                    long long viewer, const long long *pos, int n,
                    long long expect, long long *snapshot,
                    struct playlist_err *err);
/* playlist_remove_range: remove `length` tracks from position `start`. */
int playlist_remove_range(struct db *d, struct kv *k, struct arena *a,
                          long long id, long long viewer, long long start,
                          long long length, long long expect,
                          long long *snapshot, struct playlist_err *err);
/* playlist_move: move `length` tracks from `start` to just before the track
 * now at `before` (track_count: to the end). A move onto itself changes
 * nothing and keeps the snapshot. */
int playlist_move(struct db *d, struct kv *k, struct arena *a, long long id,
                  long long viewer, long long start, long long length,
                  long long before, long long expect, long long *snapshot,
                  struct playlist_err *err);
/* Sharing (playlist_share.c; owner only but for playlist_by_token). */
/* playlist_new_key: a fresh unlisted key (PLAYLIST_KEY_LEN characters and
 * a NUL) from the system's CSPRNG. */
void playlist_new_key(char out[PLAYLIST_KEY_LEN + 1]);
/* playlist_grants: the grants, by user id above `after`, as JSON items. */
int playlist_grants(struct db *d, struct arena *a, long long id,
                    long long viewer, long long after, int limit,
                    json_object *items, long long *next);
/* playlist_grant_put: give `user` view or edit access; the grant as JSON in
 * *out (new object). RC_INVALID when `user` is the owner, RC_LIMIT when a
 * new grant would pass CAP_PLAYLIST_GRANTS (a changed one never does). */
int playlist_grant_put(struct db *d, struct kv *k, struct arena *a,
                       long long id, long long viewer, long long user,
                       const char *access, json_object **out);
/* playlist_grant_delete: take `user`'s access away (no error when none). */
int playlist_grant_delete(struct db *d, struct kv *k, struct arena *a,
                          long long id, long long viewer, long long user);
/* playlist_link_create: a share link valid `ttl` seconds (0: no expiry);
 * its id, token (43 chars + NUL, shown once) and expiry (unix seconds, 0 for
 * none). The playlist's revoked and expired links are deleted first;
 * RC_LIMIT when CAP_PLAYLIST_LINKS live ones remain (cap.h). */
int playlist_link_create(struct db *d, struct arena *a, long long id,
                         long long viewer, long long ttl, long long *link_id,
                         char token[44], long long *expires_at);
/* playlist_links: the live (unrevoked) links by id above `after`, without
 * their tokens. */
int playlist_links(struct db *d, struct arena *a, long long id,
                   long long viewer, long long after, int limit,
                   json_object *items, long long *next);
/* playlist_link_revoke: revoke one link; *revoked false when it is not a
 * live link of this playlist. */
int playlist_link_revoke(struct db *d, struct arena *a, long long id,
                         long long viewer, long long link_id, bool *revoked);
/* playlist_by_token: the playlist a live (unrevoked, unexpired) share-link
 * token (PLAYLIST_TOKEN_LEN characters) or an unlisted key
 * (PLAYLIST_KEY_LEN, of a playlist now unlisted or public) opens;
 * RC_NOT_FOUND otherwise. The key is not shown in *p. */
int playlist_by_token(struct db *d, struct arena *a, const char *token,
                      struct playlist *p);

/* playlist_unindex_owner: take every playlist of `owner` out of the search
 * index and out of the cache (a namespace bump each), before the account is
 * deleted with them; their cover paths in (*covers)[0..*ncovers) (arena)
 * so the caller can remove the files left orphan once the rows are gone
 * (media_orphan). */
int playlist_unindex_owner(struct db *d, struct kv *k, struct arena *a,
                           long long owner, const char ***covers, int *ncovers);

#endif
