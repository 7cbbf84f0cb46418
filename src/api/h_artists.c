/* h_artists: the catalogue's artists: list, get, create, update, delete,
 * and an artist's albums and tracks. Reads are public; writes need the
 * editor role (route flags). */
#include "api/handlers.h"

#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/h_catalogue.h"
#include "api/page.h"
#include "api/req.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/rc.h"
#include "model/album.h"
#include "model/artist.h"
#include "model/genre.h"
#include "model/track.h"

int h_artists_list(struct req *r) {
  struct h_catalogue_page pg;
  struct artist *items = NULL;
  int n = 0, st;
  struct arena *a = req_arena(r);
  if ((st = h_catalogue_page(r, &pg))) return st;
  if (!pg.empty) {
    int rc = artist_list(app.db, a, pg.genre, pg.after, pg.limit, &items, &n);
    if (rc) return req_problem(r, rc, NULL);
  }
  json_object *arr = json_object_new_array();
  for (int i = 0; i < n; i++)
    json_object_array_add(arr, artist_json(a, &items[i]));
  return h_catalogue_reply_ids(r, arr, n, pg.limit, n ? items[n - 1].id : 0);
}

/* reply_artist: the artist as stored now (through the cache). */
static int reply_artist(struct req *r, long long id, int status) {
  const char *text;
  size_t len;
  int rc = artist_text(app.db, app.kv, req_arena(r), id, &text, &len);
  if (rc) return h_catalogue_fail(r, rc, "no such artist");
  return h_catalogue_reply_text(r, status, "/api/v1/artists", id, text, len);
}

int h_artists_get(struct req *r) {
  long long id = req_id(r, "id");
  return reply_artist(r, id, 200);
}

static const struct jx_field artist_fields[] = {
    {.name = "name", .kind = JX_STRING, .min = 1, .max = 255},
    {.name = "bio", .kind = JX_STRING, .min = 0, .max = 5000, .nullable = true},
    {.name = "country",
     .kind = JX_STRING,
     .min = 2,
     .max = 2,
     .nullable = true},
    {.name = "image_url",
     .kind = JX_STRING,
     .min = 9,
     .max = 2048,
     .nullable = true},
    {.name = "genres",
     .kind = JX_STRING_ARRAY,
     .min = 0,
     .max = GENRE_PER_OBJECT,
     .item_max = GENRE_NAME_MAX},
};
static const char *const artist_special[] = {"external_ids", NULL};

/* apply: the body's members onto x (null clears a nullable one). */
static void apply(json_object *body, struct artist *x, struct jx_errors *e) {
  const char *s;
  if ((s = jx_str(body, "name"))) x->name = s;
  if (jx_has(body, "bio") || h_catalogue_null(body, "bio"))
    x->bio = jx_str(body, "bio");
  if (h_catalogue_null(body, "country")) x->country = NULL;
  if ((s = jx_str(body, "country"))) {
    if (!(s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'))
      jx_error_add(e, "country",
                   "must be an ISO 3166-1 alpha-2 code such as GB");
    x->country = s;
  }
  if (h_catalogue_null(body, "image_url")) x->image_url = NULL;
  if ((s = jx_str(body, "image_url"))) {
    if (!h_catalogue_https_ok(s))
      jx_error_add(e, "image_url", "must be an https:// URL");
    x->image_url = s;
  }
  h_catalogue_ext_apply(body, &x->ext, e);
}

/* write: shared by POST and PATCH. */
static int write_artist_once(struct req *r, long long id) {
  json_object *body, *genres = NULL;
  struct jx_errors e = {0};
  struct artist x = {0};
  struct arena *a = req_arena(r);
  int st, rc;
  if ((st = req_body_json(r, &body))) return st;
  h_catalogue_validate(a, body, artist_fields, 5, artist_special, &e);
  if (e.n) return req_problem_fields(r, &e);
  if (id) {
    rc = artist_get(app.db, a, id, &x);
    if (rc) return h_catalogue_fail(r, rc, "no such artist");
  } else if (!jx_has(body, "name")) {
    jx_error_add(&e, "name", "is required");
  }
  const char *old_name = x.name;
  apply(body, &x, &e);
  if (e.n) return req_problem_fields(r, &e);
  json_object_object_get_ex(body, "genres", &genres);
  bool renamed = id && strcmp(old_name, x.name) != 0;
  rc = artist_save(app.db, app.kv, a, &x, genres, id == 0, renamed);
  if (rc == RC_PRECONDITION) return 0; /* written meanwhile: again */
  if (rc) return req_problem(r, rc, NULL);
  return reply_artist(r, x.id, id ? 200 : 201);
}

int h_artists_create(struct req *r) {
  return h_catalogue_write(r, 0, write_artist_once, "artist");
}

int h_artists_patch(struct req *r) {
  long long id = req_id(r, "id");
  return h_catalogue_write(r, id, write_artist_once, "artist");
}

int h_artists_delete(struct req *r) {
  long long id = req_id(r, "id");
  int rc = artist_delete(app.db, app.kv, req_arena(r), id);
  if (rc == RC_CONFLICT)
    return req_problem(r, rc,
                       "the artist still has albums or tracks; delete or "
                       "reassign them first");
  if (rc) return h_catalogue_fail(r, rc, "no such artist");
  return req_reply_empty(r, 204);
}

int h_artists_albums(struct req *r) {
  long long id, after_id = 0;
  struct page pg;
  struct album *items = NULL;
  int n = 0, st;
  struct arena *a = req_arena(r);
  char date[11] = "";
  id = req_id(r, "id");
  page_get(r, &pg);
  if (pg.after) { /* "<YYYY-MM-DD or 9999-12-31>|<id>" */
    const char *bar = strchr(pg.after, '|');
    if (!bar || bar - pg.after != 10) return page_bad_cursor(r);
    memcpy(date, pg.after, 10);
    if (!h_catalogue_date_ok(date)) return page_bad_cursor(r);
    if ((st = h_catalogue_id_cursor(r, bar + 1, &after_id))) return st;
  }
  int rc = artist_exists(app.db, a, id);
  if (rc) return h_catalogue_fail(r, rc, "no such artist");
  rc = album_by_artist(app.db, a, id, pg.after ? date : NULL, after_id,
                       pg.limit, &items, &n);
  if (rc) return req_problem(r, rc, NULL);
  json_object *arr = json_object_new_array();
  for (int i = 0; i < n; i++)
    json_object_array_add(arr, album_json(a, &items[i], app.cfg.media_url));
  const char *next = NULL;
  if (n == pg.limit) {
    const struct album *last = &items[n - 1];
    next = arena_printf(a, "%s|%lld",
                        last->release_date ? last->release_date : "9999-12-31",
                        last->id);
  }
  return h_catalogue_reply_list(r, arr, next);
}

int h_artists_tracks(struct req *r) {
  struct h_catalogue_page pg;
  struct track *items = NULL;
  int n = 0, st;
  struct arena *a = req_arena(r);
  long long id = req_id(r, "id");
  if ((st = h_catalogue_page(r, &pg))) return st;
  int rc = artist_exists(app.db, a, id);
  if (rc) return h_catalogue_fail(r, rc, "no such artist");
  rc = track_by_artist(app.db, a, id, pg.after, pg.limit, &items, &n);
  if (rc) return req_problem(r, rc, NULL);
  json_object *arr = json_object_new_array();
  for (int i = 0; i < n; i++)
    json_object_array_add(arr, track_json(a, &items[i]));
  return h_catalogue_reply_ids(r, arr, n, pg.limit, n ? items[n - 1].id : 0);
}
