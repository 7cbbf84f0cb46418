/* apple: the Apple Music import, one page at a time (import.h): the
 * library's songs (liked in Encore; songs from Apple's catalog are read
 * there too, for their ISRC), its playlists, and "catalog": the user's
 * liked tracks that have an ISRC but no Apple Music id looked up by ISRC
 * in the user's storefront. Pages are Apple's (100 songs, 25 ISRCs a
 * lookup), followed by its `next` paths (only under /v1/ of
 * apple_music_api_url). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "batch/import/import.h"
#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/str.h"
#include "model/catalogue.h"
#include "model/integration.h"
#include "model/playlist.h"
#include "svc/applemusic.h"

#define APPLE_ISRCS 25

/* art: an artwork URL template ({w}x{h}) at 600 pixels (arena). */
static const char *art(struct arena *a, json_object *attr) {
  const char *u = svc_str(svc_path(attr, "artwork", NULL), "url");
  if (!u || strlen(u) > 2000) return NULL;
  struct sbuf b;
  sbuf_init(&b, a);
  for (const char *p = u; *p; p++) {
    if (!strncmp(p, "{w}", 3) || !strncmp(p, "{h}", 3)) {
      sbuf_adds(&b, "600");
      p += 2;
    } else {
      sbuf_addc(&b, *p);
    }
  }
  return b.oom ? NULL : b.s;
}

/* song: an Apple song (library or catalog: attributes alike) as an extcat
 * track; catalog the catalog song when known (its id, ISRC, preview). */
static void song(struct arena *a, json_object *lib, json_object *catalog,
                 struct extcat_track *t) {
  json_object *la = svc_path(lib, "attributes", NULL);
  json_object *ca = svc_path(catalog, "attributes", NULL);
  json_object *at = ca ? ca : la;
  json_object *previews = svc_path(ca, "previews", NULL);
  *t = (struct extcat_track){
      .id = catalog ? svc_str(catalog, "id") : NULL,
      .isrc = svc_str(ca, "isrc"),
      .title = svc_str(at, "name"),
      .preview_url =
          json_object_is_type(previews, json_type_array)
              ? svc_str(json_object_array_get_idx(previews, 0), "url")
              : NULL,
      .duration_ms = svc_int(at, "durationInMillis", 0),
      .disc = (int)svc_int(at, "discNumber", 1),
      .number = (int)svc_int(at, "trackNumber", 0),
      .explicit_ = svc_str(at, "contentRating") &&
                   !strcmp(svc_str(at, "contentRating"), "explicit"),
      .album_title = svc_str(at, "albumName"),
      .release_date = svc_str(at, "releaseDate"),
      .art_url = art(a, at),
      .nartists = 1,
      .artists = {{.name = svc_str(at, "artistName")}},
  };
}

/* get: one page of Apple's API with the user's token; *body NULL when the
 * page failed (rescheduled). */
static int get(struct import_run *x, struct arena *a, const char *user_token,
               const char *path, json_object **body, enum import_step *step) {
  struct svc_answer ans;
  *body = NULL;
  int rc = applemusic_get(a, user_token, path, &ans);
  if (rc) return rc;
  if (ans.outcome != SVC_OK)
    return import_failed_page(x, "Apple Music", &ans, step);
  *body = ans.body;
  return 0;
}

static int malformed(struct import_run *x, enum import_step *step) {
  const struct svc_answer bad = {.outcome = SVC_DOUBT,
                                 .error = "Apple Music's answer is malformed"};
  return import_failed_page(x, "Apple Music", &bad, step);
}

static json_object *data(json_object *body) {
  json_object *d = svc_path(body, "data", NULL);
  return json_object_is_type(d, json_type_array) ? d : NULL;
}

/* songs: library songs arr made catalogue entries (the catalog read for
 * those Apple knows), ids[] Encore's, *n the count. */
static int songs(struct import_run *x, struct arena *a,
                 const struct integration *in, json_object *arr, long long *ids,
                 int *n, enum import_step *step) {
  int len = (int)json_object_array_length(arr);
  if (len > EXTCAT_PAGE) len = EXTCAT_PAGE;
  *n = 0;
  /* The catalog songs behind the library's, in one lookup. */
  struct sbuf q;
  sbuf_init(&q, a);
  int asked = 0;
  for (int i = 0; i < len; i++) {
    const char *cid =
        svc_str(svc_path(json_object_array_get_idx(arr, (size_t)i),
                         "attributes", "playParams", NULL),
                "catalogId");
    if (!cid || strlen(cid) > 32 || strspn(cid, "0123456789") != strlen(cid))
      continue;
    sbuf_adds(&q, asked++ ? "," : "");
    sbuf_adds(&q, cid);
  }
  json_object *cat = NULL;
  if (asked) {
    const char *path =
        arena_printf(a, "/v1/catalog/%s/songs?ids=%s",
                     in->storefront ? in->storefront : "us", q.s);
    int rc = get(x, a, in->token, path, &cat, step);
    if (rc || !cat) return rc;
  }
  json_object *cd = data(cat);
  struct extcat_track *t = arena_alloc(a, sizeof *t * EXTCAT_PAGE);
  if (!t) return RC_NOMEM;
  for (int i = 0; i < len; i++) {
    json_object *lib = json_object_array_get_idx(arr, (size_t)i);
    const char *cid =
        svc_str(svc_path(lib, "attributes", "playParams", NULL), "catalogId");
    json_object *match = NULL;
    for (size_t k = 0; cid && cd && k < json_object_array_length(cd); k++) {
      const char *id = svc_str(json_object_array_get_idx(cd, k), "id");
      if (id && !strcmp(id, cid)) match = json_object_array_get_idx(cd, k);
    }
    song(a, lib, match, &t[i]);
  }
  *n = len;
  return import_tracks(x, a, EXTCAT_APPLE_MUSIC, t, len, ids);
}

static int library(struct import_run *x, struct arena *a,
                   const struct integration *in, enum import_step *step) {
  const char *path = import_cursor_str(x, "next");
  json_object *body;
  int rc = get(x, a, in->token, path ? path : "/v1/me/library/songs?limit=100",
               &body, step);
  if (rc || !body) return rc;
  json_object *arr = data(body);
  if (!arr) return malformed(x, step);
  if (!path)
    x->job->total = (x->job->total > 0 ? x->job->total : 0) +
                    svc_int(svc_path(body, "meta", NULL), "total",
                            (long long)json_object_array_length(arr));
  long long ids[EXTCAT_PAGE], liked = 0;
  int n = 0;
  if ((rc = songs(x, a, in, arr, ids, &n, step)) || *step == IMPORT_STOP)
    return rc;
  rc = import_like(x, a, ids, n, &liked);
  if (rc == RC_LIMIT) {
    import_add(x, "likes_over_cap", n);
    rc = 0;
  }
  if (rc) return rc;
  import_add(x, "tracks_liked", liked);
  x->job->done += n;
  import_next_or_part(x, svc_str(body, "next"));
  return import_save(x, step);
}

static int playlists(struct import_run *x, struct arena *a,
                     const struct integration *in, enum import_step *step) {
  const char *list = import_cursor_str(x, "next");
  long long index = import_cursor_int(x, "index", 0);
  json_object *body;
  int rc = get(x, a, in->token,
               list ? list : "/v1/me/library/playlists?limit=100", &body, step);
  if (rc || !body) return rc;
  json_object *arr = data(body);
  if (!arr) return malformed(x, step);
  if (index >= (long long)json_object_array_length(arr)) {
    import_set_int(x, "index", 0);
    import_next_or_part(x, svc_str(body, "next"));
    return import_save(x, step);
  }
  json_object *p = json_object_array_get_idx(arr, (size_t)index);
  const char *id = svc_str(p, "id");
  json_object *pa = svc_path(p, "attributes", NULL);
  const char *name = svc_str(pa, "name"),
             *snap = svc_str(pa, "lastModifiedDate");
  bool same = false;
  if (id &&
      (rc = import_unchanged(x, a, IMPORTJOB_APPLE_MUSIC, id, snap, &same)))
    return rc;
  if (!id || !name || !*name || strlen(id) > 64 ||
      strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                 "0123456789.-_") != strlen(id)) {
    import_add(x, "playlists_skipped", 1);
  } else if (same) {
    import_add(x, "playlists_unchanged", 1);
  } else {
    long long *ids = arena_alloc(a, sizeof *ids * 10000);
    int n = 0;
    const char *path =
        arena_printf(a, "/v1/me/library/playlists/%s/tracks?limit=100", id);
    if (!ids) return RC_NOMEM;
    while (path && n + EXTCAT_PAGE <= 10000) {
      json_object *page;
      if ((rc = get(x, a, in->token, path, &page, step)) || !page) return rc;
      json_object *tracks = data(page);
      if (!tracks) return malformed(x, step);
      int k = 0;
      if ((rc = songs(x, a, in, tracks, ids + n, &k, step)) ||
          *step == IMPORT_STOP)
        return rc;
      n += k;
      x->job->done += k;
      path = svc_str(page, "next");
    }
    if ((rc = import_playlist(x, a, IMPORTJOB_APPLE_MUSIC, id, name, snap, ids,
                              n)))
      return rc;
  }
  return import_playlist_next(x, index, list, step);
}

/* catalog: the user's liked tracks with an ISRC and no Apple Music id,
 * looked up by ISRC in their storefront, 25 a page, after the cursor's
 * track id. */
static int catalog(struct import_run *x, struct arena *a,
                   const struct integration *in, enum import_step *step) {
  long long after = import_cursor_int(x, "after", 0);
  struct db_val p[] = {DB_I(x->job->user), DB_I(after), DB_I(APPLE_ISRCS)};
  struct db_res res;
  int rc = db_exec(x->d, a,
                   "SELECT t.id, t.isrc FROM likes l JOIN tracks t ON t.id = "
                   "l.object_id WHERE l.user_id = ? AND l.object_type = "
                   "'track' AND t.id > ? AND t.isrc IS NOT NULL AND "
                   "t.apple_id IS NULL ORDER BY t.id LIMIT ?",
                   p, 3, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (!res.nrows) {
    import_next_part(x);
    return import_save(x, step);
  }
  struct sbuf q;
  sbuf_init(&q, a);
  for (int r = 0; r < res.nrows; r++) {
    sbuf_adds(&q, r ? "," : "");
    sbuf_adds(&q, db_s(&res.rows[r], 1));
  }
  json_object *body;
  const char *path = arena_printf(a, "/v1/catalog/%s/songs?filter[isrc]=%s",
                                  in->storefront ? in->storefront : "us", q.s);
  if ((rc = get(x, a, in->token, path, &body, step)) || !body) return rc;
  json_object *arr = data(body);
  if (!arr) return malformed(x, step);
  long long linked = 0;
  for (size_t i = 0; i < json_object_array_length(arr); i++) {
    json_object *s = json_object_array_get_idx(arr, i);
    const char *id = svc_str(s, "id"),
               *isrc = svc_str(svc_path(s, "attributes", NULL), "isrc");
    if (!id || !isrc || strlen(id) > 64 || strlen(isrc) != 12) continue;
    for (int r = 0; r < res.nrows; r++) {
      if (strcasecmp(db_s(&res.rows[r], 1), isrc)) continue;
      long long tid = db_i64(&res.rows[r], 0, 0);
      struct db_val u[] = {DB_S(id), DB_I(tid)};
      struct db_res up;
      if ((rc = db_exec(x->d, NULL,
                        "UPDATE tracks SET apple_id = ? WHERE id = ? AND "
                        "apple_id IS NULL",
                        u, 2, DB_IDEMPOTENT, &up)))
        return rc;
      if (up.affected) {
        cat_bump(x->k, "track", tid);
        linked++;
      }
    }
  }
  import_add(x, "tracks_linked_by_isrc", linked);
  import_set_int(x, "after", db_i64(&res.rows[res.nrows - 1], 0, after));
  x->job->done += res.nrows;
  return import_save(x, step);
}

int import_apple_page(struct import_run *x, struct arena *a,
                      enum import_step *step) {
  struct integration in;
  int rc = integration_get(x->d, a, x->job->user, INTEGRATION_APPLE_MUSIC, &in);
  if (rc == RC_NOT_FOUND) {
    *step = IMPORT_STOP;
    return importjob_finish(x->d, x->job, "failed",
                            "Apple Music is not linked any more");
  }
  if (rc) return rc;
  const char *part = import_part(x, a);
  if (!part) {
    *step = IMPORT_DONE;
    return 0;
  }
  if (!strcmp(part, "library")) return library(x, a, &in, step);
  if (!strcmp(part, "playlists")) return playlists(x, a, &in, step);
  if (!strcmp(part, "catalog")) return catalog(x, a, &in, step);
  import_next_part(x);
  return import_save(x, step);
}
