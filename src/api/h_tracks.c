/* h_tracks: the catalogue's tracks: list, get, create, update, delete, and
 * lyrics (plain and time-synced LRC). Reads are public; writes need the
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
#include "core/str.h"
#include "model/album.h"
#include "model/artist.h"
#include "model/genre.h"
#include "model/track.h"

#define TRACK_ARTISTS_MAX 20
#define LYRICS_MAX 100000 /* code points */

int h_tracks_list(struct req *r) {
  struct h_catalogue_page pg;
  struct track *items = NULL;
  int n = 0, st;
  struct arena *a = req_arena(r);
  if ((st = h_catalogue_page(r, &pg))) return st;
  if (!pg.empty) {
    int rc = track_list(app.db, a, pg.genre, pg.after, pg.limit, &items, &n);
    if (rc) return req_problem(r, rc, NULL);
  }
  json_object *arr = json_object_new_array();
  for (int i = 0; i < n; i++)
    json_object_array_add(arr, track_json(a, &items[i]));
  return h_catalogue_reply_ids(r, arr, n, pg.limit, n ? items[n - 1].id : 0);
}

/* reply_track: the track as stored now (through the cache). */
static int reply_track(struct req *r, long long id, int status) {
  const char *text;
  size_t len;
  int rc = track_text(app.db, app.kv, req_arena(r), id, &text, &len);
  if (rc) return h_catalogue_fail(r, rc, "no such track");
  return h_catalogue_reply_text(r, status, "/api/v1/tracks", id, text, len);
}

int h_tracks_get(struct req *r) {
  long long id = req_id(r, "id");
  return reply_track(r, id, 200);
}

static const struct jx_field track_fields[] = {
    {.name = "title", .kind = JX_STRING, .min = 1, .max = 255},
    {.name = "album_id",
     .kind = JX_INT,
     .min = 1,
     .max = 9007199254740992LL,
     .nullable = true},
    {.name = "disc_number", .kind = JX_INT, .min = 1, .max = 999},
    {.name = "track_number",
     .kind = JX_INT,
     .min = 1,
     .max = 9999,
     .nullable = true},
    {.name = "duration_ms", .kind = JX_INT, .min = 1, .max = 86400000},
    {.name = "genres",
     .kind = JX_STRING_ARRAY,
     .min = 0,
     .max = GENRE_PER_OBJECT,
     .item_max = GENRE_NAME_MAX},
    {.name = "release_date",
     .kind = JX_STRING,
     .min = 10,
     .max = 10,
     .nullable = true},
    {.name = "explicit", .kind = JX_BOOL},
    {.name = "isrc", .kind = JX_STRING, .min = 12, .max = 12, .nullable = true},
};
static const char *const track_special[] = {"artists", "audio_features",
                                            "external_ids", NULL};

/* isrc_ok: ^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$ */
static bool isrc_ok(const char *s) {
  if (strlen(s) != 12) return false;
  for (int i = 0; i < 12; i++) {
    char c = s[i];
    bool up = c >= 'A' && c <= 'Z', dig = c >= '0' && c <= '9';
    if (i < 2 ? !up : i < 5 ? !(up || dig) : !dig) return false;
  }
  return true;
}

/* parse_artists: "artists": 1..20 of {id, role?} (role primary|featured,
 * default primary), distinct, at least one primary, each existing. */
static int parse_artists(struct req *r, json_object *body,
                         struct track_artist *out, int *n,
                         struct jx_errors *e) {
  json_object *arr;
  *n = 0;
  if (!json_object_object_get_ex(body, "artists", &arr)) return 0;
  /* json-c asserts when asked the length of anything but an array. */
  size_t len = json_object_is_type(arr, json_type_array)
                   ? json_object_array_length(arr)
                   : 0;
  if (len < 1 || len > TRACK_ARTISTS_MAX) {
    jx_error_add(e, "artists",
                 "must be an array of 1 to 20 {id, role} objects");
    return 0;
  }
  bool primary = false;
  for (size_t i = 0; i < len; i++) {
    json_object *it = json_object_array_get_idx(arr, i), *v;
    const char *field = arena_printf(req_arena(r), "artists[%zu]", i);
    if (!it || !json_object_is_type(it, json_type_object)) {
      jx_error_add(e, field, "must be an object {id, role}");
      continue;
    }
    long long id = 0;
    const char *role = "primary";
    bool ok = true;
    json_object_object_foreach(it, key, val) {
      if (strcmp(key, "id") == 0 && val &&
          json_object_is_type(val, json_type_int) &&
          (id = json_object_get_int64(val)) >= 1 && id <= 9007199254740992LL)
        continue;
      if (strcmp(key, "role") == 0 && val &&
          json_object_is_type(val, json_type_string) &&
          (strcmp(json_object_get_string(val), "primary") == 0 ||
           strcmp(json_object_get_string(val), "featured") == 0)) {
        role = json_object_get_string(val);
        continue;
      }
      ok = false;
    }
    if (!ok || !json_object_object_get_ex(it, "id", &v)) {
      jx_error_add(
          e, field,
          "must be {id: artist id, role: \"primary\" or \"featured\"}");
      continue;
    }
    for (int j = 0; j < *n; j++)
      if (out[j].id == id) ok = false;
    if (!ok) {
      jx_error_add(e, field, "names an artist twice");
      continue;
    }
    int rc = artist_exists(app.db, req_arena(r), id);
    if (rc == RC_NOT_FOUND) {
      jx_error_add(e, field, "no such artist");
      continue;
    }
    if (rc) return rc;
    primary = primary || strcmp(role, "primary") == 0;
    out[*n].id = id;
    out[*n].role = role;
    (*n)++;
  }
  if (!e->n && !primary)
    jx_error_add(e, "artists", "needs at least one primary artist");
  return 0;
}

/* apply_features: "audio_features": null (all unknown) or an object of the
 * six features, each a number (tempo 0..300 BPM, the others 0..1) or null. */
static void apply_features(struct req *r, json_object *body, struct track *x,
                           struct jx_errors *e) {
  json_object *f;
  if (!json_object_object_get_ex(body, "audio_features", &f)) return;
  if (!f) {
    for (int i = 0; i < TRACK_NFEAT; i++)
      x->feat[i] = NULL;
    return;
  }
  if (!json_object_is_type(f, json_type_object)) {
    jx_error_add(e, "audio_features", "must be an object or null");
    return;
  }
  json_object_object_foreach(f, key, val) {
    int i = 0;
    while (i < TRACK_NFEAT && strcmp(track_features[i], key) != 0)
      i++;
    if (i == TRACK_NFEAT) {
      jx_error_add(e, "audio_features", "unknown member");
      continue;
    }
    const char *field = arena_printf(req_arena(r), "audio_features.%s", key);
    if (!val) {
      x->feat[i] = NULL;
      continue;
    }
    double max = i == 0 ? 300 : 1, v;
    if (!json_object_is_type(val, json_type_int) &&
        !json_object_is_type(val, json_type_double)) {
      jx_error_add(e, field, "must be a number or null");
      continue;
    }
    v = json_object_get_double(val);
    if (!(v >= 0 && v <= max)) {
      jx_error_add(e, field,
                   i == 0 ? "must be from 0 to 300" : "must be from 0 to 1");
      continue;
    }
    x->feat[i] = arena_printf(req_arena(r), "%.6g", v);
  }
}

static int write_track_once(struct req *r, long long id) {
  json_object *body, *genres = NULL;
  struct jx_errors e = {0};
  struct track x = {.disc_number = 1};
  struct track_artist artists[TRACK_ARTISTS_MAX];
  int nartists = 0, st, rc;
  struct arena *a = req_arena(r);
  if ((st = req_body_json(r, &body))) return st;
  h_catalogue_validate(a, body, track_fields, 9, track_special, &e);
  if (e.n) return req_problem_fields(r, &e);
  if (id) {
    rc = track_get(app.db, a, id, &x);
    if (rc) return h_catalogue_fail(r, rc, "no such track");
  } else {
    if (!jx_has(body, "title")) jx_error_add(&e, "title", "is required");
    if (!jx_has(body, "duration_ms"))
      jx_error_add(&e, "duration_ms", "is required");
    if (!jx_has(body, "artists")) jx_error_add(&e, "artists", "is required");
  }
  long long old_album = x.album_id;
  const char *s;
  if ((s = jx_str(body, "title"))) x.title = s;
  if (h_catalogue_null(body, "album_id")) x.album_id = 0;
  x.album_id = jx_int(body, "album_id", x.album_id);
  x.disc_number = jx_int(body, "disc_number", x.disc_number);
  if (h_catalogue_null(body, "track_number")) x.track_number = 0;
  x.track_number = jx_int(body, "track_number", x.track_number);
  x.duration_ms = jx_int(body, "duration_ms", x.duration_ms);
  if (h_catalogue_null(body, "release_date")) x.release_date = NULL;
  if ((s = jx_str(body, "release_date"))) {
    if (!h_catalogue_date_ok(s))
      jx_error_add(&e, "release_date", "must be a date YYYY-MM-DD");
    x.release_date = s;
  }
  x.explicit_ = jx_bool(body, "explicit", x.explicit_);
  if (h_catalogue_null(body, "isrc")) x.isrc = NULL;
  if ((s = jx_str(body, "isrc"))) {
    if (!isrc_ok(s))
      jx_error_add(&e, "isrc", "must be an ISRC such as GBAYE6900123");
    x.isrc = s;
  }
  apply_features(r, body, &x, &e);
  h_catalogue_ext_apply(body, &x.ext, &e);
  if (e.n) return req_problem_fields(r, &e);
  if ((rc = parse_artists(r, body, artists, &nartists, &e)))
    return req_problem(r, rc, NULL);
  if (x.album_id && x.album_id != old_album) {
    struct album al;
    rc = album_get(app.db, a, x.album_id, &al);
    if (rc == RC_NOT_FOUND)
      jx_error_add(&e, "album_id", "no such album");
    else if (rc)
      return req_problem(r, rc, NULL);
  }
  if (e.n) return req_problem_fields(r, &e);
  json_object_object_get_ex(body, "genres", &genres);
  rc = track_save(app.db, app.kv, a, &x, artists, nartists, genres, id == 0,
                  old_album);
  if (rc == RC_PRECONDITION) return 0; /* written meanwhile: again */
  if (rc) return req_problem(r, rc, NULL);
  return reply_track(r, x.id, id ? 200 : 201);
}

int h_tracks_create(struct req *r) {
  return h_catalogue_write(r, 0, write_track_once, "track");
}

int h_tracks_patch(struct req *r) {
  long long id = req_id(r, "id");
  return h_catalogue_write(r, id, write_track_once, "track");
}

int h_tracks_delete(struct req *r) {
  long long id = req_id(r, "id");
  int rc = track_delete(app.db, app.kv, req_arena(r), id);
  if (rc) return h_catalogue_fail(r, rc, "no such track");
  return req_reply_empty(r, 204);
}

int h_tracks_lyrics_get(struct req *r) {
  long long id;
  const char *plain, *lrc;
  id = req_id(r, "id");
  int rc = track_lyrics(app.db, req_arena(r), id, &plain, &lrc);
  if (rc) return h_catalogue_fail(r, rc, "no such track");
  json_object *o = jx_own(req_arena(r), json_object_new_object());
  jx_add_str(o, "plain", plain);
  jx_add_str(o, "lrc", lrc);
  return req_reply_json(r, 200, o);
}

/* lrc_line_ok: one LRC line: empty, an ID tag "[ar:...]", or one or more
 * time tags "[mm:ss.xx]" (hundredths, or thousandths) before the text. */
static bool lrc_line_ok(const char *s, size_t n) {
  if (n == 0) return true;
  if (s[0] != '[') return false;
  if (n >= 3 && s[1] >= 'a' && s[1] <= 'z') { /* ID tag */
    size_t i = 1;
    while (i < n && s[i] >= 'a' && s[i] <= 'z')
      i++;
    return i < n && s[i] == ':' && s[n - 1] == ']';
  }
  size_t i = 0;
  bool any = false;
  while (i < n && s[i] == '[') {
    const char *t = s + i;
    size_t left = n - i, len;
    if (left < 10) return false;
    bool digits = t[1] >= '0' && t[1] <= '9' && t[2] >= '0' && t[2] <= '9' &&
                  t[4] >= '0' && t[4] <= '5' && t[5] >= '0' && t[5] <= '9' &&
                  t[7] >= '0' && t[7] <= '9' && t[8] >= '0' && t[8] <= '9';
    if (!digits || t[3] != ':' || t[6] != '.') return false;
    if (t[9] == ']')
      len = 10;
    else if (left >= 11 && t[9] >= '0' && t[9] <= '9' && t[10] == ']')
      len = 11;
    else
      return false;
    i += len;
    any = true;
  }
  return any;
}

static const struct jx_field lyrics_fields[] = {
    {.name = "plain",
     .kind = JX_STRING,
     .required = true,
     .min = 1,
     .max = LYRICS_MAX,
     .nullable = true},
    {.name = "lrc",
     .kind = JX_STRING,
     .min = 1,
     .max = LYRICS_MAX,
     .nullable = true},
};

int h_tracks_lyrics_put(struct req *r) {
  long long id;
  json_object *body;
  int st;
  struct arena *a = req_arena(r);
  id = req_id(r, "id");
  if ((st = req_body_json(r, &body))) return st;
  if ((st = req_validate(r, body, lyrics_fields, 2))) return st;
  const char *plain = jx_str(body, "plain"), *lrc = jx_str(body, "lrc");
  struct jx_errors e = {0};
  if (lrc && !plain) jx_error_add(&e, "plain", "is required with lrc");
  for (const char *p = lrc; p && *p && !e.n;) {
    size_t n = strcspn(p, "\n");
    size_t m = n && p[n - 1] == '\r' ? n - 1 : n;
    if (!lrc_line_ok(p, m)) {
      int no = 1;
      for (const char *q = lrc; q < p; q++)
        no += *q == '\n';
      jx_error_add(
          &e, "lrc",
          arena_printf(a, "line %d is not [mm:ss.xx]text or an [id:tag]", no));
    }
    p += n;
    if (*p) p++;
  }
  if (e.n) return req_problem_fields(r, &e);
  int rc = track_set_lyrics(app.db, app.kv, a, id, plain, lrc);
  if (rc) return h_catalogue_fail(r, rc, "no such track");
  json_object *o = jx_own(a, json_object_new_object());
  jx_add_str(o, "plain", plain);
  jx_add_str(o, "lrc", lrc);
  return req_reply_json(r, 200, o);
}
