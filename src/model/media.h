/* media: image files under the media directory, stored content-addressed
 * (art/<2 hex>/<sha256>.<ext>) and shared by album art (albums.art_path)
 * and playlist covers (playlists.cover_path). One file may back several
 * albums and playlists; it is removed only when none references it.
 *
 * Storing a file, pointing rows at it and removing orphans run under one
 * cross-worker lock (media_lock), so a file being adopted by one request is
 * never unlinked by another. */
#ifndef ENCORE_MEDIA_H
#define ENCORE_MEDIA_H

#include <stddef.h>

struct arena;
struct db;

/* media_lock / media_unlock: serialize media file changes across workers
 * and hosts (the lease "media", model/lease.h, held at most 30 s should
 * its holder die; RC_UNAVAILABLE when not had within 10 s). */
int media_lock(struct db *d, struct arena *a);
void media_unlock(struct db *d, struct arena *a);

/* media_store: write buf[0..len) (an image as imgcodec_reencode wrote it,
 * never an upload's own bytes; of extension `ext`) under media_dir as
 * art/<2 hex>/<sha256>.<ext> through a temporary file and a rename, so a
 * reader never sees a partial file; an identical file already there is
 * kept. The relative path goes to *path. RC_IO when
 * the file cannot be written. */
int media_store(struct arena *a, const char *media_dir, const char *buf,
                size_t len, const char *ext, const char **path);

/* media_orphan: *orphan = `path` when no album art and no playlist cover
 * references it any more, else NULL (also for a NULL path). Call after the
 * rows changed, with the media lock held. */
int media_orphan(struct db *d, struct arena *a, const char *path,
                 const char **orphan);

/* media_unlink: unlink media_dir/path (NULL path: nothing); a failure is
 * logged, a missing file is not an error. */
void media_unlink(struct arena *a, const char *media_dir, const char *path);

#endif
