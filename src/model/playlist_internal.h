/* playlist_internal: what the playlist model's files share and no one else
 * uses: the columns and the visibility rule of their SQL, the row lock an
 * edit takes, and the cache bump every write ends with. playlist.c holds
 * the playlist itself, playlist_tracks.c its tracks and their edits,
 * playlist_share.c its grants, share links and unlisted keys; playlist.h is
 * their API. */
#ifndef ENCORE_PLAYLIST_INTERNAL_H
#define ENCORE_PLAYLIST_INTERNAL_H

#include "model/playlist.h"

struct db_row;

/* The one visibility rule (PLAYLIST_SEES) over the alias p; two
 * parameters, the viewer twice. The same rule serves reads by id and
 * lists: an unlisted playlist is neither readable by id nor listed but for
 * its owner and grantees. */
#define PLAYLIST_VISIBLE PLAYLIST_SEES("p", "?")

/* The viewer's standing (two parameters: the viewer twice). */
#define PLAYLIST_ACCESS                                                        \
  "IF(p.owner_id = ?, 'owner', (SELECT g2.access FROM playlist_grants g2 "     \
  "WHERE g2.playlist_id = p.id AND g2.user_id = ?))"

/* The columns playlist_from_row reads, over PLAYLIST_FROM. */
#define PLAYLIST_COLS                                                          \
  "p.id, p.owner_id, u.username, p.name, p.description, p.visibility, "        \
  "p.collaborative, p.cover_path, p.snapshot, p.track_count, "                 \
  "(SELECT COUNT(*) FROM likes l WHERE l.object_type = 'playlist' "            \
  "AND l.object_id = p.id), "                                                  \
  "FLOOR(UNIX_TIMESTAMP(p.created_at)), FLOOR(UNIX_TIMESTAMP(p.updated_at)), " \
  "p.unlisted_key"
#define PLAYLIST_NCOLS 14 /* columns of PLAYLIST_COLS */
#define PLAYLIST_FROM " FROM playlists p JOIN users u ON u.id = p.owner_id"

/* playlist_from_row: the playlist in the PLAYLIST_COLS of r, with no
 * access and no key shown (strings point into the row). */
void playlist_from_row(const struct db_row *r, struct playlist *p);
/* playlist_show_key: let the viewer see the key of the playlist read from
 * r, which they own or hold a grant on. Shown while unlisted only: a public
 * playlist's JSON is the same for everyone (and cached so), and a private
 * one's key opens nothing. */
void playlist_show_key(const struct db_row *r, struct playlist *p);

/* The state of a playlist locked for an edit. */
struct playlist_locked {
  long long snapshot, count, owner;
  const char *cover; /* cover_path, NULL without a cover */
};

/* The right an edit needs: the owner's, or at least an `edit` grant. */
enum playlist_need { PLAYLIST_NEED_OWNER, PLAYLIST_NEED_EDIT };

/* playlist_lock: start a transaction, lock the playlist row when the viewer
 * sees it, check the viewer's right and the precondition `expect`, and make
 * its track positions dense again if they are not. On failure the
 * transaction is already rolled back.
 *
 * Lock order, shared with track_delete: the playlist row first, then its
 * playlist_tracks rows, then the track rows (shared, as the foreign-key
 * checks of moved and inserted rows take them). Deadlocks InnoDB may still
 * find (gap locks at the edge of another playlist's rows) roll the whole
 * edit back; every edit is therefore one function run again by db_retry. */
int playlist_lock(struct db *d, struct arena *a, long long id, long long viewer,
                  enum playlist_need need, long long expect,
                  struct playlist_locked *l);
/* playlist_lock_sharing: start a transaction that grows the sharing of a
 * playlist the viewer owns: the viewer's row first (cap.h: their grants and
 * links are counted under it), then the playlist's. On failure the
 * transaction is already rolled back. */
int playlist_lock_sharing(struct db *d, struct arena *a, long long id,
                          long long viewer, struct playlist_locked *l);
/* playlist_renumber: in a locked playlist, close the gaps left by deleted
 * rows from position `from` on: rows are renumbered in ascending order,
 * each to a position no higher than its own, so the primary key never sees
 * two rows at one position. */
int playlist_renumber(struct db *d, long long id, long long from);
/* playlist_finish: commit when rc is 0, else roll back; the result. */
int playlist_finish(struct db *d, int rc);
/* playlist_commit: end an edit of what the playlist's JSON shows
 * (playlist_finish); once committed, *out is `snapshot` (the edit's new
 * one) and the cached copies are dropped (playlist_cache_bump). */
int playlist_commit(struct db *d, struct kv *k, long long id, int rc,
                    long long snapshot, long long *out);
/* playlist_cache_bump: a new version of the playlist's namespace, so no
 * cached copy of it is found again (k NULL: no cache, nothing to do). */
void playlist_cache_bump(struct kv *k, long long id);

#endif
