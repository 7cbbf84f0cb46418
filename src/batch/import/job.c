/* job: what the import runners share; see import.h.
 *
 * A page's writes (tracks matched or made, likes, listens, a playlist)
 * are each idempotent (found again by the service's id, INSERT IGNORE,
 * a playlist replaced whole), and the cursor is saved after them: a run
 * that dies between the two does the page again and changes nothing more,
 * so a job resumes where it stopped and never stores a page twice. */
#include "batch/import/import.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/arena.h"
#include "core/cfg.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/rc.h"
#include "core/str.h"
#include "model/cap.h"
#include "model/catalogue.h"
#include "model/playlist.h"
#include "model/user.h"

double import_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void import_add(struct import_run *x, const char *key, long long v) {
  json_object *o;
  long long have = 0;
  if (json_object_object_get_ex(x->summary, key, &o))
    have = json_object_get_int64(o);
  json_object_object_add(x->summary, key, json_object_new_int64(have + v));
}

int import_tracks(struct import_run *x, struct arena *a, enum extcat_source src,
                  struct extcat_track *t, int n, long long *ids) {
  struct extcat_stats st = {0};
  int rc = extcat_tracks(x->d, x->k, a, src, t, n, &st);
  if (rc) return rc;
  import_add(x, "tracks_matched_by_id", st.by_id);
  import_add(x, "tracks_matched_by_isrc", st.by_isrc);
  import_add(x, "tracks_matched_by_names", st.by_names);
  import_add(x, "tracks_created", st.created);
  import_add(x, "tracks_skipped", st.skipped);
  import_add(x, "artists_created", st.artists_created);
  import_add(x, "albums_created", st.albums_created);
  for (int i = 0; i < n; i++)
    ids[i] = t[i].out_id;
  return 0;
}

void import_next_or_part(struct import_run *x, const char *next) {
  if (next && *next)
    import_set_str(x, "next", next);
  else
    import_next_part(x);
}

int import_save(struct import_run *x, enum import_step *step) {
  size_t len;
  x->job->cursor = jx_text(x->keep, x->cursor, &len);
  x->job->summary = jx_text(x->keep, x->summary, &len);
  if (!x->job->cursor || !x->job->summary) return RC_NOMEM;
  int rc = importjob_save(x->d, x->job, IMPORT_LEASE_S);
  *step = rc == RC_CONFLICT ? IMPORT_STOP : IMPORT_MORE;
  return rc == RC_CONFLICT ? 0 : rc;
}

int import_failed_page(struct import_run *x, const char *service,
                       const struct svc_answer *ans, enum import_step *step) {
  *step = IMPORT_STOP;
  struct arena *a = x->keep;
  const char *why =
      arena_printf(a, "%s: %s", service, ans->error ? ans->error : "no answer");
  char id[24];
  snprintf(id, sizeof id, "%lld", x->job->id);
  log_msg(LOG_WARN, "import page failed", "job", id, "why", why, NULL);
  size_t len;
  x->job->summary = jx_text(a, x->summary, &len);
  if (ans->outcome == SVC_REFUSED)
    return importjob_finish(
        x->d, x->job, "failed",
        arena_printf(a, "%s refused Encore's access: link the account again",
                     service));
  if (ans->outcome == SVC_THROTTLED)
    return importjob_later(
        x->d, x->job, ans->retry_after,
        arena_printf(a, "%s asked to wait %d s", service, ans->retry_after),
        false);
  int wait = 30 << (x->job->attempts < 6 ? x->job->attempts : 6);
  return importjob_later(x->d, x->job, wait > 3600 ? 3600 : wait, why, true);
}

int import_like(struct import_run *x, struct arena *a, const long long *ids,
                int n, long long *added) {
  json_object *arr = jx_own(a, json_object_new_array());
  *added = 0;
  if (!arr) return RC_NOMEM;
  for (int i = 0; i < n; i++)
    if (ids[i] > 0) json_object_array_add(arr, json_object_new_int64(ids[i]));
  if (!json_object_array_length(arr)) return 0;
  size_t len;
  const char *text = jx_text(a, arr, &len);
  long long user = x->job->user;
  struct db_val p[] = {DB_I(user), DB_S(text)};
  struct db_val q[] = {DB_S(text), DB_I(user)};
  struct db_val u = DB_I(user);
  struct db_res res, count;
  int rc, tries = 0;
  /* Under the user's row lock, like every capped write (model/cap.h); a
   * liked track is no longer disliked (model/like.h). */
  do {
    rc = db_begin(x->d);
    if (!rc) rc = cap_lock_user(x->d, a, user);
    if (!rc)
      rc = db_exec(x->d, a,
                   "INSERT IGNORE INTO likes (user_id, object_type, object_id) "
                   "SELECT ?, 'track', t.id FROM JSON_TABLE(?, '$[*]' COLUMNS "
                   "(id BIGINT PATH '$')) j JOIN tracks t ON t.id = j.id "
                   "RETURNING object_id",
                   p, 2, 0, &res);
    if (!rc)
      rc = db_exec(x->d, a, CAP_COUNT("likes WHERE user_id = ?"), &u, 1, 0,
                   &count);
    if (!rc && db_i64(&count.rows[0], 0, 0) > CAP_USER_LIKES) rc = RC_LIMIT;
    if (!rc)
      rc = db_exec(x->d, NULL,
                   "DELETE d FROM dislikes d JOIN JSON_TABLE(?, '$[*]' "
                   "COLUMNS (id BIGINT PATH '$')) j ON d.object_id = j.id "
                   "WHERE d.user_id = ? AND d.object_type = 'track'",
                   q, 2, 0, NULL);
    if (!rc) rc = db_commit(x->d);
    if (rc) db_rollback(x->d);
  } while (db_retry(rc, &tries));
  if (rc) return rc;
  for (int r = 0; r < res.nrows; r++)
    cat_bump(x->k, "track", db_i64(&res.rows[r], 0, 0));
  *added = res.nrows;
  if (res.nrows) user_taste_changed(x->k, user);
  return 0;
}

/* mapped: the playlist an earlier import made of (source, external id),
 * and its snapshot then; 0 when none (or since deleted). */
static int mapped(struct import_run *x, struct arena *a,
                  enum importjob_source source, const char *external_id,
                  long long *playlist, const char **snapshot) {
  struct db_val p[] = {DB_I(x->job->user), DB_S(importjob_source_name(source)),
                       DB_S(external_id)};
  struct db_res res;
  *playlist = 0;
  *snapshot = NULL;
  int rc = db_exec(x->d, a,
                   "SELECT playlist_id, snapshot FROM import_playlists WHERE "
                   "user_id = ? AND source = ? AND external_id = ?",
                   p, 3, DB_IDEMPOTENT, &res);
  if (rc || !res.nrows) return rc;
  *playlist = db_i64(&res.rows[0], 0, 0);
  *snapshot = db_s(&res.rows[0], 1);
  return 0;
}

int import_unchanged(struct import_run *x, struct arena *a,
                     enum importjob_source source, const char *external_id,
                     const char *snapshot, bool *same) {
  long long pid;
  const char *snap;
  int rc = mapped(x, a, source, external_id, &pid, &snap);
  *same =
      !rc && pid && snap && snapshot && *snapshot && !strcmp(snap, snapshot);
  return rc;
}

/* playlist_write: import_playlist's work, uncounted. */
static int playlist_write(struct import_run *x, struct arena *a,
                          enum importjob_source source, const char *external_id,
                          const char *name, const char *snapshot,
                          const long long *ids, int n) {
  long long user = x->job->user, pid, snap = 0;
  const char *old;
  struct playlist_err err;
  int rc = mapped(x, a, source, external_id, &pid, &old);
  if (rc) return rc;
  if (pid && old && snapshot && *snapshot && !strcmp(old, snapshot)) return 0;
  if (n > PLAYLIST_MAX_TRACKS) n = PLAYLIST_MAX_TRACKS;
  long long *keep = arena_alloc(a, sizeof *keep * (size_t)(n + 1));
  int m = 0;
  if (!keep) return RC_NOMEM;
  for (int i = 0; i < n; i++)
    if (ids[i] > 0) keep[m++] = ids[i];
  struct playlist p;
  if (pid && (rc = playlist_get(x->d, a, pid, user, &p)) == 0) {
    if (p.track_count)
      rc = playlist_remove_range(x->d, x->k, a, pid, user, 0, p.track_count, 0,
                                 &snap, &err);
  } else if (!pid || rc == RC_NOT_FOUND) {
    const char *desc =
        arena_printf(a, "Imported from %s",
                     source == IMPORTJOB_SPOTIFY ? "Spotify" : "Apple Music");
    rc = playlist_create(x->d, x->k, a, user, name, desc, "private", false,
                         &pid);
  }
  if (!rc && m)
    rc = playlist_add(x->d, x->k, a, pid, user, keep, m, -1, 0, &snap, &err);
  if (rc) return rc;
  struct db_val q[] = {DB_I(user), DB_S(importjob_source_name(source)),
                       DB_S(external_id), DB_I(pid),
                       DB_S(snapshot ? snapshot : "")};
  return db_exec(x->d, NULL,
                 "REPLACE INTO import_playlists (user_id, source, "
                 "external_id, playlist_id, snapshot) VALUES (?, ?, ?, ?, ?)",
                 q, 5, DB_IDEMPOTENT, NULL);
}

int import_playlist(struct import_run *x, struct arena *a,
                    enum importjob_source source, const char *external_id,
                    const char *name, const char *snapshot,
                    const long long *ids, int n) {
  int rc =
      playlist_write(x, a, source, external_id,
                     import_clip(a, name, PLAYLIST_NAME_MAX), snapshot, ids, n);
  if (rc == RC_LIMIT || rc == RC_INVALID) {
    import_add(x, "playlists_skipped", 1);
    return 0;
  }
  if (!rc) import_add(x, "playlists", 1);
  return rc;
}

int import_playlist_next(struct import_run *x, long long index,
                         const char *list, enum import_step *step) {
  import_set_int(x, "index", index + 1);
  if (list) import_set_str(x, "next", list);
  return import_save(x, step);
}

int import_favourites(struct import_run *x, struct arena *a,
                      const char *const *names, int n) {
  struct user_prefs p;
  int rc = user_prefs_get(x->d, a, x->job->user, &p);
  if (rc) return rc;
  bool changed = false;
  for (int i = 0; i < n; i++) {
    size_t have = json_object_array_length(p.artists);
    if (have >= 100) break;
    if (!names[i] || !*names[i] || strlen(names[i]) > 128 * 4 ||
        str_utf8_len(names[i], strlen(names[i])) > 128)
      continue;
    bool dup = false;
    for (size_t k = 0; k < have && !dup; k++)
      dup = !strcasecmp(
          json_object_get_string(json_object_array_get_idx(p.artists, k)),
          names[i]);
    if (dup) continue;
    json_object_array_add(p.artists, json_object_new_string(names[i]));
    changed = true;
  }
  return changed ? user_prefs_put(x->d, x->k, a, x->job->user, &p) : 0;
}

const char *import_clip(struct arena *a, const char *s, size_t max) {
  size_t cap = strlen(s) * 3 + 4;
  char *out = arena_alloc(a, cap);
  if (!out) return NULL;
  str_utf8_clip(out, cap, s);
  size_t chars = 0, i = 0;
  for (; out[i]; i++)
    if (((unsigned char)out[i] & 0xc0) != 0x80 && chars++ == max) break;
  out[i] = '\0';
  return out;
}

const char *import_cursor_str(struct import_run *x, const char *key) {
  return svc_str(x->cursor, key);
}

long long import_cursor_int(struct import_run *x, const char *key,
                            long long dflt) {
  return svc_int(x->cursor, key, dflt);
}

void import_set_str(struct import_run *x, const char *key, const char *v) {
  if (v)
    json_object_object_add(x->cursor, key, json_object_new_string(v));
  else
    json_object_object_del(x->cursor, key);
}

void import_set_int(struct import_run *x, const char *key, long long v) {
  json_object_object_add(x->cursor, key, json_object_new_int64(v));
}

const char *import_part(struct import_run *x, struct arena *a) {
  long long k = import_cursor_int(x, "part", 0);
  const char *w = x->job->what ? x->job->what : "";
  for (long long i = 0; *w; i++) {
    size_t n = strcspn(w, ",");
    if (i == k) return arena_strndup(a, w, n);
    w += n + (w[n] == ',');
  }
  return NULL;
}

void import_next_part(struct import_run *x) {
  long long k = import_cursor_int(x, "part", 0);
  json_object *fresh = json_object_new_object();
  json_object_object_add(fresh, "part", json_object_new_int64(k + 1));
  /* what the parts keep across them stays: where the last import
   * stopped ("since") and where this one will have ("*_mark") */
  static const char *const kept[] = {"marks", "since", "saved_mark",
                                     "played_mark"};
  for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
    json_object *v;
    if (json_object_object_get_ex(x->cursor, kept[i], &v))
      json_object_object_add(fresh, kept[i], json_object_get(v));
  }
  jx_own(x->keep, fresh);
  x->cursor = fresh;
}
