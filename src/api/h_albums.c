/* h_albums: the catalogue's albums: list, get, create, update, delete, an
 * album's tracks in disc and track order, and album art (stored under a
 * content-hashed name in the media directory, served by nginx). */
#include "api/handlers.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/h_catalogue.h"
#include "api/page.h"
#include "api/req.h"
#include "core/arena.h"
#include "core/img.h"
#include "core/imgcodec.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/rc.h"
#include "core/rnd.h"
#include "model/album.h"
#include "model/artist.h"
#include "model/genre.h"
#include "model/media.h"
#include "model/track.h"

int h_albums_list(struct req *r) {
  struct h_catalogue_page pg;
  struct album *items = NULL;
  int n = 0, st;
  struct arena *a = req_arena(r);
  if ((st = h_catalogue_page(r, &pg))) return st;
  if (!pg.empty) {
    int rc = album_list(app.db, a, pg.genre, pg.after, pg.limit, &items, &n);
    if (rc) return req_problem(r, rc, NULL);
  }
  json_object *arr = json_object_new_array();
  for (int i = 0; i < n; i++)
    json_object_array_add(arr, album_json(a, &items[i], app.cfg.media_url));
  return h_catalogue_reply_ids(r, arr, n, pg.limit, n ? items[n - 1].id : 0);
}

/* reply_album: the album as stored now (through the cache). */
static int reply_album(struct req *r, long long id, int status) {
  const char *text;
  size_t len;
  int rc = album_text(app.db, app.kv, req_arena(r), id, app.cfg.media_url,
                      &text, &len);
  if (rc) return h_catalogue_fail(r, rc, "no such album");
  return h_catalogue_reply_text(r, status, "/api/v1/albums", id, text, len);
}

int h_albums_get(struct req *r) {
  long long id = req_id(r, "id");
  return reply_album(r, id, 200);
}

static const char *const album_types[] = {"album", "single", "ep",
                                          "compilation", NULL};

static const struct jx_field album_fields[] = {
    {.name = "title", .kind = JX_STRING, .min = 1, .max = 255},
    {.name = "artist_id", .kind = JX_INT, .min = 1, .max = 9007199254740992LL},
    {.name = "type", .kind = JX_ENUM, .enums = album_types},
    {.name = "label",
     .kind = JX_STRING,
     .min = 0,
     .max = 255,
     .nullable = true},
    {.name = "release_date",
     .kind = JX_STRING,
     .min = 10,
     .max = 10,
     .nullable = true},
    {.name = "genres",
     .kind = JX_STRING_ARRAY,
     .min = 0,
     .max = GENRE_PER_OBJECT,
     .item_max = GENRE_NAME_MAX},
};
static const char *const album_special[] = {"external_ids", NULL};

static int write_album_once(struct req *r, long long id) {
  json_object *body, *genres = NULL;
  struct jx_errors e = {0};
  struct album x = {.type = "album"};
  struct arena *a = req_arena(r);
  int st, rc;
  if ((st = req_body_json(r, &body))) return st;
  h_catalogue_validate(a, body, album_fields, 6, album_special, &e);
  if (e.n) return req_problem_fields(r, &e);
  if (id) {
    rc = album_get(app.db, a, id, &x);
    if (rc) return h_catalogue_fail(r, rc, "no such album");
  } else {
    if (!jx_has(body, "title")) jx_error_add(&e, "title", "is required");
    if (!jx_has(body, "artist_id"))
      jx_error_add(&e, "artist_id", "is required");
  }
  const char *old_title = x.title, *s;
  if ((s = jx_str(body, "title"))) x.title = s;
  if ((s = jx_str(body, "type"))) x.type = s;
  if (jx_has(body, "label") || h_catalogue_null(body, "label"))
    x.label = jx_str(body, "label");
  if (h_catalogue_null(body, "release_date")) x.release_date = NULL;
  if ((s = jx_str(body, "release_date"))) {
    if (!h_catalogue_date_ok(s))
      jx_error_add(&e, "release_date", "must be a date YYYY-MM-DD");
    x.release_date = s;
  }
  x.artist_id = jx_int(body, "artist_id", x.artist_id);
  h_catalogue_ext_apply(body, &x.ext, &e);
  if (!e.n && jx_has(body, "artist_id")) {
    rc = artist_exists(app.db, a, x.artist_id);
    if (rc == RC_NOT_FOUND)
      jx_error_add(&e, "artist_id", "no such artist");
    else if (rc)
      return req_problem(r, rc, NULL);
  }
  if (e.n) return req_problem_fields(r, &e);
  json_object_object_get_ex(body, "genres", &genres);
  bool retitled = id && strcmp(old_title, x.title) != 0;
  rc = album_save(app.db, app.kv, a, &x, genres, id == 0, retitled);
  if (rc == RC_PRECONDITION) return 0; /* written meanwhile: again */
  if (rc) return req_problem(r, rc, NULL);
  return reply_album(r, x.id, id ? 200 : 201);
}

int h_albums_create(struct req *r) {
  return h_catalogue_write(r, 0, write_album_once, "album");
}

int h_albums_patch(struct req *r) {
  long long id = req_id(r, "id");
  return h_catalogue_write(r, id, write_album_once, "album");
}

int h_albums_delete(struct req *r) {
  long long id;
  const char *orphan = NULL;
  struct arena *a = req_arena(r);
  id = req_id(r, "id");
  int rc = media_lock(app.db, a);
  if (rc) return req_problem(r, rc, NULL);
  rc = album_delete(app.db, app.kv, a, id, &orphan);
  if (!rc) media_unlink(a, app.cfg.media_dir, orphan);
  media_unlock(app.db, a);
  if (rc == RC_CONFLICT)
    return req_problem(r, rc,
                       "the album still has tracks; delete or move them first");
  if (rc) return h_catalogue_fail(r, rc, "no such album");
  return req_reply_empty(r, 204);
}

int h_albums_tracks(struct req *r) {
  long long id, disc = 0, num = 0, after_id = 0;
  struct page pg;
  struct track *items = NULL;
  struct album al;
  int n = 0;
  struct arena *a = req_arena(r);
  id = req_id(r, "id");
  page_get(r, &pg);
  if (pg.after) { /* "<disc>|<number, 65536 for none>|<id>" */
    char tail;
    if (sscanf(pg.after, "%lld|%lld|%lld%c", &disc, &num, &after_id, &tail) !=
            3 ||
        disc < 0 || disc > 65535 || num < 0 || num > 65536 || after_id < 0)
      return page_bad_cursor(r);
  }
  int rc = album_get(app.db, a, id, &al);
  if (rc) return h_catalogue_fail(r, rc, "no such album");
  rc = track_by_album(app.db, a, id, disc, num, after_id, pg.limit, &items, &n);
  if (rc) return req_problem(r, rc, NULL);
  json_object *arr = json_object_new_array();
  for (int i = 0; i < n; i++)
    json_object_array_add(arr, track_json(a, &items[i]));
  const char *next = NULL;
  if (n == pg.limit) {
    const struct track *t = &items[n - 1];
    next = arena_printf(a, "%lld|%lld|%lld", t->disc_number,
                        t->track_number ? t->track_number : 65536, t->id);
  }
  return h_catalogue_reply_list(r, arr, next);
}

int h_albums_art_put(struct req *r) {
  long long id;
  struct arena *a = req_arena(r);
  const char *buf, *path = NULL, *orphan = NULL;
  size_t len;
  struct imgcodec_out im;
  id = req_id(r, "id");
  const char *ct = req_header(r, "Content-Type");
  enum img_type want = img_type_of_media(ct);
  if (want == IMG_NONE)
    return req_problem(r, RC_MEDIA_TYPE,
                       "album art takes Content-Type image/jpeg, image/png or "
                       "image/webp");
  req_body_raw(r, &buf, &len);
  /* What is stored is the image encoded again, never the upload's bytes. */
  int rc = imgcodec_reencode(a, (const unsigned char *)buf, len, want, &im);
  if (rc == IMG_E_NOMEM) return req_problem(r, RC_NOMEM, NULL);
  if (rc) {
    struct jx_errors e = {.n = 1, .e = {{"body", img_error(rc)}}};
    return req_problem_fields(r, &e);
  }
  struct album al;
  rc = album_get(app.db, a, id, &al);
  if (rc) return h_catalogue_fail(r, rc, "no such album");
  if ((rc = media_lock(app.db, a))) return req_problem(r, rc, NULL);
  rc = media_store(a, app.cfg.media_dir, (const char *)im.data, im.len,
                   img_ext(im.type), &path);
  if (!rc)
    rc = album_set_art(app.db, app.kv, a, id, path, (int)im.width,
                       (int)im.height, &orphan);
  if (!rc) media_unlink(a, app.cfg.media_dir, orphan);
  media_unlock(app.db, a);
  if (rc) return h_catalogue_fail(r, rc, "no such album");
  return reply_album(r, id, 200);
}

int h_albums_art_delete(struct req *r) {
  long long id;
  struct arena *a = req_arena(r);
  const char *orphan = NULL;
  id = req_id(r, "id");
  int rc = media_lock(app.db, a);
  if (rc) return req_problem(r, rc, NULL);
  rc = album_set_art(app.db, app.kv, a, id, NULL, 0, 0, &orphan);
  if (!rc) media_unlink(a, app.cfg.media_dir, orphan);
  media_unlock(app.db, a);
  if (rc) return h_catalogue_fail(r, rc, "no such album");
  return req_reply_empty(r, 204);
}
