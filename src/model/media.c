/* media: content-addressed image files shared by album art and playlist
 * covers, and the rule for removing one nothing references any more. */
#include "model/media.h"
#include "core/arena.h"
#include "core/db.h"
#include "core/log.h"
#include "core/rc.h"
#include "core/bytes.h"
#include "model/lease.h"
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* This process's name as the media lease's holder (a process serves one
 * request at a time, so it holds the lease at most once). */
static char media_holder[LEASE_HOLDER_MAX];

int media_lock(struct db *d, struct arena *a) {
  /* A lease, not GET_LOCK: that is node-local on a Galera cluster, and the
   * media store is shared by every app host. */
  if (!media_holder[0]) lease_holder(media_holder);
  struct timespec t0, now, nap = {0, 20 * 1000000L};
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;) {
    int rc = lease_take(d, a, "media", media_holder, 30, NULL);
    if (rc != RC_CONFLICT) return rc;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - t0.tv_sec >= 10) return RC_UNAVAILABLE;
    nanosleep(&nap, NULL);
  }
}

void media_unlock(struct db *d, struct arena *a) {
  if (media_holder[0]) lease_give(d, a, "media", media_holder);
}

int media_store(struct arena *a, const char *media_dir, const char *buf,
                size_t len, const char *ext, const char **path) {
  unsigned char d[32];
  char hex[65];
  bytes_sha256(buf, len, d);
  bytes_hex(d, 32, hex);
  const char *top = arena_printf(a, "%s/art", media_dir);
  const char *dir = arena_printf(a, "%s/art/%.2s", media_dir, hex);
  *path = arena_printf(a, "art/%.2s/%s.%s", hex, hex, ext);
  const char *final = arena_printf(a, "%s/%s", media_dir, *path);
  const char *tmp = arena_printf(a, "%s/.%s.%d.tmp", dir, hex, (int)getpid());
  if (!top || !dir || !*path || !final || !tmp) return RC_NOMEM;
  if ((mkdir(media_dir, 0755) && errno != EEXIST) ||
      (mkdir(top, 0755) && errno != EEXIST) ||
      (mkdir(dir, 0755) && errno != EEXIST)) {
    log_msg(LOG_ERROR, "media: cannot create a directory", "path", dir, "err",
            strerror(errno), NULL);
    return RC_IO;
  }
  /* Same name means same content (the name is its digest). */
  struct stat sb;
  if (stat(final, &sb) == 0 && (size_t)sb.st_size == len) return 0;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    log_msg(LOG_ERROR, "media: cannot create a file", "path", tmp, "err",
            strerror(errno), NULL);
    return RC_IO;
  }
  size_t off = 0;
  while (off < len) {
    ssize_t w = write(fd, buf + off, len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    off += (size_t)w;
  }
  bool bad = off != len || fsync(fd) != 0;
  if (close(fd) != 0) bad = true;
  if (bad || rename(tmp, final) != 0) {
    log_msg(LOG_ERROR, "media: cannot write a file", "path", final, "err",
            strerror(errno), NULL);
    unlink(tmp);
    return RC_IO;
  }
  return 0;
}

int media_orphan(struct db *d, struct arena *a, const char *path,
                 const char **orphan) {
  struct db_res res;
  struct db_val p[] = {DB_S(path), DB_S(path)};
  *orphan = NULL;
  if (!path) return 0;
  int rc = db_exec(d, a,
                   "SELECT EXISTS (SELECT 1 FROM albums WHERE art_path = ?) "
                   "OR EXISTS (SELECT 1 FROM playlists WHERE cover_path = ?)",
                   p, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows && db_i64(&res.rows[0], 0, 1) == 0) *orphan = path;
  return 0;
}

void media_unlink(struct arena *a, const char *media_dir, const char *path) {
  if (!path) return;
  const char *file = arena_printf(a, "%s/%s", media_dir, path);
  if (file && unlink(file) != 0 && errno != ENOENT)
    log_msg(LOG_WARN, "media: cannot remove a file", "path", path, "err",
            strerror(errno), NULL);
}
