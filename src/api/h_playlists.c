/* h_playlists: playlists, their tracks, grants and share links. Edits take
 * the snapshot they were made against from If-Match ("<snapshot>") or a
 * `snapshot_id` body field; a stale one answers 412 and changes nothing;
 * an edit carrying neither applies to whatever the playlist holds then. */
#include "api/handlers.h"

#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/page.h"
#include "api/req.h"
#include "api/social.h"
#include "core/arena.h"
#include "core/db.h"
#include "core/img.h"
#include "core/imgcodec.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/str.h"
#include "model/block.h"
#include "model/cap.h"
#include "model/media.h"
#include "model/playlist.h"
#include "model/search.h"
#include "model/user.h"

#define ID_MAX 9007199254740992LL /* 2^53 */

static const char *const visibilities[] = {"private", "unlisted", "public",
                                           NULL};
static const char *const accesses[] = {"view", "edit", NULL};

/* fail: the answer for a model error about the playlist of the path. */
static int fail(struct req *r, int rc) {
  if (rc == RC_NOT_FOUND) return req_problem(r, rc, "no such playlist");
  if (rc == RC_FORBIDDEN)
    return req_problem(r, rc,
                       "your access to this playlist does not allow this");
  return req_problem(r, rc, NULL);
}

static void set_etag(struct req *r, long long snapshot) {
  req_set_header(r, "ETag", arena_printf(req_arena(r), "\"%lld\"", snapshot));
}

static int field_error(struct req *r, const char *field, const char *msg) {
  struct jx_errors errs = {.n = 1, .e = {{field, msg}}};
  return req_problem_fields(r, &errs);
}

/* parse_snapshot: "123" -> 123; anything else -> -1, which matches no
 * snapshot (snapshots start at 1). */
static long long parse_snapshot(const char *s, size_t n) {
  long long v;
  char buf[24];
  if (n == 0 || n >= sizeof buf) return -1;
  memcpy(buf, s, n);
  buf[n] = '\0';
  if (buf[0] == '0' || str_parse_i64(buf, 1, (long long)1 << 62, &v)) return -1;
  return v;
}

/* precondition: the snapshot an edit expects: 0 for none, -1 for one that
 * cannot match (a malformed If-Match, or If-Match and snapshot_id
 * disagreeing). If-Match takes one strong tag "<n>" or "*". */
static long long precondition(struct req *r, json_object *body) {
  long long want = 0;
  const char *im = req_header(r, "If-Match");
  if (im) {
    while (*im == ' ' || *im == '\t')
      im++;
    size_t n = strlen(im);
    while (n && (im[n - 1] == ' ' || im[n - 1] == '\t'))
      n--;
    if (n == 1 && im[0] == '*')
      want = 0;
    else if (n >= 3 && im[0] == '"' && im[n - 1] == '"')
      want = parse_snapshot(im + 1, n - 2);
    else
      want = -1;
  }
  const char *sid = body ? jx_str(body, "snapshot_id") : NULL;
  if (sid) {
    long long s = parse_snapshot(sid, strlen(sid));
    if (want && want != s) return -1;
    want = s;
  }
  return want;
}

/* edit_done: the answer of a track edit or its failure. */
static int edit_done(struct req *r, int rc, long long snapshot,
                     const struct playlist_err *err) {
  if (rc == RC_PRECONDITION) {
    if (snapshot > 0) set_etag(r, snapshot);
    char s[24];
    snprintf(s, sizeof s, "%lld", snapshot);
    return req_problem_ext(
        r, rc, "the playlist changed since the snapshot given", "snapshot_id",
        jx_own(req_arena(r), json_object_new_string(s)));
  }
  if (rc == RC_INVALID && err && err->field) {
    const char *f = err->index >= 0 ? arena_printf(req_arena(r), "%s[%lld]",
                                                   err->field, err->index)
                                    : err->field;
    return field_error(r, f, err->message);
  }
  if (rc) return fail(r, rc);
  set_etag(r, snapshot);
  json_object *o = jx_own(req_arena(r), json_object_new_object());
  char s[24];
  snprintf(s, sizeof s, "%lld", snapshot);
  jx_add_str(o, "snapshot_id", s);
  return req_reply_json(r, 200, o);
}

/* reply_playlist: the playlist as the caller sees it, with its ETag. */
static int reply_playlist(struct req *r, int status, long long id) {
  const char *text;
  size_t len;
  long long snap;
  int rc = playlist_text(app.db, app.kv, req_arena(r), id, req_user_id(r),
                         &text, &len, &snap);
  if (rc) return fail(r, rc);
  set_etag(r, snap);
  return req_reply_text(r, status, "application/json", text, len);
}

/* split: validate the scalar members of body against f (unknown keys
 * included) and hand back the array member `key` apart: NULL when absent,
 * an error in errs when it is `required`. The array is no more nullable
 * than the members jx_validate checks: given as null it is an error too,
 * never taken for absent. Failures are appended to errs. */
static void split(struct req *r, json_object *body, const struct jx_field *f,
                  int nf, const char *key, bool required, json_object **arr,
                  struct jx_errors *errs) {
  struct arena *a = req_arena(r);
  bool given = false;
  *arr = NULL;
  if (!json_object_is_type(body, json_type_object)) {
    jx_validate(a, body, f, nf, errs);
    return;
  }
  json_object *rest = jx_own(a, json_object_new_object());
  json_object_object_foreach(body, k, v) {
    if (strcmp(k, key) == 0) {
      given = true;
      *arr = v;
    } else {
      json_object_object_add(rest, k, json_object_get(v));
    }
  }
  jx_validate(a, rest, f, nf, errs); /* starts errs afresh */
  if (given && !*arr)
    jx_error_add(errs, key, "must be an array of integers, not null");
  else if (!given && required)
    jx_error_add(errs, key, "is required");
}

/* int_array: arr as integers in [min, max], 1..maxn of them; failures are
 * appended to errs as "key[i]". *out lives in the arena. */
static void int_array(struct arena *a, json_object *arr, const char *key,
                      long long min, long long max, int maxn, long long **out,
                      int *n, struct jx_errors *errs) {
  *out = NULL;
  *n = 0;
  if (!arr || !json_object_is_type(arr, json_type_array)) {
    jx_error_add(errs, key, "must be an array of integers");
    return;
  }
  size_t len = json_object_array_length(arr);
  if (len < 1 || len > (size_t)maxn) {
    jx_error_add(errs, key, arena_printf(a, "must hold 1 to %d items", maxn));
    return;
  }
  long long *v = arena_alloc(a, sizeof *v * len);
  if (!v) return;
  for (size_t i = 0; i < len; i++) {
    json_object *x = json_object_array_get_idx(arr, i);
    long long y = 0;
    if (x && json_object_is_type(x, json_type_int))
      y = json_object_get_int64(x);
    if (!x || !json_object_is_type(x, json_type_int) || y < min || y > max) {
      jx_error_add(
          errs, arena_printf(a, "%s[%zu]", key, i),
          arena_printf(a, "must be an integer from %lld to %lld", min, max));
      continue;
    }
    v[i] = y;
  }
  *out = v;
  *n = (int)len;
}

/* ------------------------------------------------------------------------
 * Playlists */

static const struct jx_field create_fields[] = {
    {.name = "name",
     .kind = JX_STRING,
     .required = true,
     .min = 1,
     .max = PLAYLIST_NAME_MAX},
    {.name = "description",
     .kind = JX_STRING,
     .min = 0,
     .max = PLAYLIST_DESC_MAX},
    {.name = "visibility", .kind = JX_ENUM, .enums = visibilities},
    {.name = "collaborative", .kind = JX_BOOL},
};

int h_playlists_create(struct req *r) {
  json_object *body;
  int st;
  if ((st = req_body_json(r, &body))) return st;
  if ((st = req_validate(r, body, create_fields, 4))) return st;
  long long id;
  int rc = playlist_create(app.db, app.kv, req_arena(r), req_user_id(r),
                           jx_str(body, "name"), jx_str(body, "description"),
                           jx_str(body, "visibility"),
                           jx_bool(body, "collaborative", false), &id);
  if (rc == RC_LIMIT)
    return req_problem(r, rc,
                       arena_printf(req_arena(r),
                                    "an account owns at most %d playlists: "
                                    "delete one first",
                                    CAP_USER_PLAYLISTS));
  if (rc) return req_problem(r, rc, NULL);
  /* In the owner's activity; feeds show it while the playlist is public. */
  social_after(r, SOCIAL_PLAYLIST_CREATED, req_user_id(r), id, 0);
  req_set_header(r, "Location",
                 arena_printf(req_arena(r), "/api/v1/playlists/%lld", id));
  return reply_playlist(r, 201, id);
}

int h_playlists_get(struct req *r) {
  long long id;
  id = req_id(r, "id");
  return reply_playlist(r, 200, id);
}

static const struct jx_field patch_fields[] = {
    {.name = "name", .kind = JX_STRING, .min = 1, .max = PLAYLIST_NAME_MAX},
    {.name = "description",
     .kind = JX_STRING,
     .min = 0,
     .max = PLAYLIST_DESC_MAX},
    {.name = "visibility", .kind = JX_ENUM, .enums = visibilities},
    {.name = "collaborative", .kind = JX_BOOL},
    {.name = "snapshot_id", .kind = JX_STRING, .min = 1, .max = 20},
};

int h_playlists_patch(struct req *r) {
  json_object *body;
  long long id, snap;
  int st;
  id = req_id(r, "id");
  if ((st = req_body_json(r, &body))) return st;
  if ((st = req_validate(r, body, patch_fields, 5))) return st;
  struct playlist_patch pt = {
      .name = jx_str(body, "name"),
      .description = jx_str(body, "description"),
      .visibility = jx_str(body, "visibility"),
      .collaborative = jx_has(body, "collaborative")
                           ? jx_bool(body, "collaborative", false)
                           : -1,
  };
  int rc = playlist_update(app.db, app.kv, req_arena(r), id, req_user_id(r),
                           &pt, precondition(r, body), &snap);
  if (rc) return edit_done(r, rc, snap, NULL);
  return reply_playlist(r, 200, id);
}

/* The unlisted key: a new one replaces the old, which stops opening the
 * playlist at once. Owner only; an edit (If-Match checked, snapshot
 * bumped). The answer is the playlist, showing the key while unlisted. */
int h_playlists_key_rotate(struct req *r) {
  long long id, snap;
  id = req_id(r, "id");
  struct playlist_patch pt = {.collaborative = -1, .new_key = true};
  int rc = playlist_update(app.db, app.kv, req_arena(r), id, req_user_id(r),
                           &pt, precondition(r, NULL), &snap);
  if (rc) return edit_done(r, rc, snap, NULL);
  req_set_header(r, "Cache-Control", "no-store");
  return reply_playlist(r, 200, id);
}

int h_playlists_delete(struct req *r) {
  long long id, snap;
  id = req_id(r, "id");
  const char *orphan = NULL;
  struct arena *a = req_arena(r);
  int rc = media_lock(app.db, a);
  if (rc) return req_problem(r, rc, NULL);
  rc = playlist_delete(app.db, app.kv, a, id, req_user_id(r),
                       precondition(r, NULL), &snap, &orphan);
  if (!rc) media_unlink(a, app.cfg.media_dir, orphan);
  media_unlock(app.db, a);
  if (rc) return edit_done(r, rc, snap, NULL);
  social_after(r, SOCIAL_PLAYLIST_GONE, req_user_id(r), id, 0);
  return req_reply_empty(r, 204);
}

/* The cover: a raw JPEG, PNG or WebP body matching its Content-Type, 64 to
 * 4096 pixels a side, decoded and encoded again (imgcodec) and stored
 * content-addressed beside album art (one file serves every album and
 * playlist with the same image). Owner only; an edit like any other
 * (If-Match checked, snapshot bumped). */
int h_playlists_cover_put(struct req *r) {
  long long id, snap;
  struct arena *a = req_arena(r);
  const char *buf, *path = NULL, *orphan = NULL;
  size_t len;
  struct imgcodec_out im;
  id = req_id(r, "id");
  enum img_type want = img_type_of_media(req_header(r, "Content-Type"));
  if (want == IMG_NONE)
    return req_problem(r, RC_MEDIA_TYPE,
                       "a playlist cover takes Content-Type image/jpeg, "
                       "image/png or image/webp");
  req_body_raw(r, &buf, &len);
  int rc = imgcodec_reencode(a, (const unsigned char *)buf, len, want, &im);
  if (rc == IMG_E_NOMEM) return req_problem(r, RC_NOMEM, NULL);
  if (rc) return field_error(r, "body", img_error(rc));
  /* Refuse before writing a file for a playlist the caller cannot see or
   * change (the edit below checks again, under the row lock). */
  struct playlist p;
  rc = playlist_get(app.db, a, id, req_user_id(r), &p);
  if (!rc && (!p.access || strcmp(p.access, "owner") != 0)) rc = RC_FORBIDDEN;
  if (rc) return fail(r, rc);
  if ((rc = media_lock(app.db, a))) return req_problem(r, rc, NULL);
  rc = media_store(a, app.cfg.media_dir, (const char *)im.data, im.len,
                   img_ext(im.type), &path);
  if (!rc)
    rc = playlist_set_cover(app.db, app.kv, a, id, req_user_id(r), path,
                            precondition(r, NULL), &snap, &orphan);
  if (rc) {
    /* The new file may now belong to nothing (a stale If-Match). */
    const char *unused = NULL;
    if (path && !media_orphan(app.db, a, path, &unused))
      media_unlink(a, app.cfg.media_dir, unused);
  } else {
    media_unlink(a, app.cfg.media_dir, orphan);
  }
  media_unlock(app.db, a);
  if (rc) return edit_done(r, rc, snap, NULL);
  return reply_playlist(r, 200, id);
}

int h_playlists_cover_delete(struct req *r) {
  long long id, snap;
  struct arena *a = req_arena(r);
  const char *orphan = NULL;
  id = req_id(r, "id");
  int rc = media_lock(app.db, a);
  if (rc) return req_problem(r, rc, NULL);
  rc = playlist_set_cover(app.db, app.kv, a, id, req_user_id(r), NULL,
                          precondition(r, NULL), &snap, &orphan);
  if (!rc) media_unlink(a, app.cfg.media_dir, orphan);
  media_unlock(app.db, a);
  if (rc) return edit_done(r, rc, snap, NULL);
  return req_reply_empty(r, 204);
}

/* list_reply: {items, next_cursor} with an id cursor. */
static int list_reply(struct req *r, json_object *items, long long next) {
  struct arena *a = req_arena(r);
  json_object *o = jx_own(a, json_object_new_object());
  json_object_object_add(o, "items", items);
  jx_add_str(o, "next_cursor",
             next > 0 ? page_cursor(a, arena_printf(a, "%lld", next)) : NULL);
  return req_reply_json(r, 200, o);
}

/* page_id: the page and the id its cursor carries (0 on the first page). */
static int page_id(struct req *r, struct page *pg, long long *after) {
  *after = 0;
  page_get(r, pg);
  if (pg->after && str_parse_i64(pg->after, 1, (long long)1 << 62, after))
    return page_bad_cursor(r);
  return 0;
}

int h_playlists_mine(struct req *r) {
  struct page pg;
  long long before, next;
  int st;
  if ((st = page_id(r, &pg, &before))) return st;
  json_object *items = json_object_new_array();
  int rc = playlist_list_mine(app.db, req_arena(r), req_user_id(r), before,
                              pg.limit, items, &next);
  if (rc) {
    json_object_put(items);
    return req_problem(r, rc, NULL);
  }
  return list_reply(r, items, next);
}

int h_playlists_of_user(struct req *r) {
  struct page pg;
  struct user u;
  long long before, next;
  int st;
  const char *name = req_param(r, "username");
  if (!user_name_valid(name))
    return req_problem(r, RC_NOT_FOUND, "no such user");
  if ((st = page_id(r, &pg, &before))) return st;
  bool hidden = false;
  int rc = user_by_username(app.db, req_arena(r), name, &u);
  if (!rc)
    rc = block_hides(app.db, req_arena(r), u.id, req_user_id(r), &hidden);
  if (!rc && hidden) rc = RC_NOT_FOUND;
  if (rc == RC_NOT_FOUND) return req_problem(r, rc, "no such user");
  if (rc) return req_problem(r, rc, NULL);
  json_object *items = json_object_new_array();
  rc = playlist_list_user(app.db, req_arena(r), u.id, req_user_id(r), before,
                          pg.limit, items, &next);
  if (rc) {
    json_object_put(items);
    return req_problem(r, rc, NULL);
  }
  return list_reply(r, items, next);
}

/* ------------------------------------------------------------------------
 * Tracks */

/* track_page: {items, next_cursor} of the tracks after the cursor's
 * position, into *out (owned by the arena). */
static int track_page(struct req *r, long long id, const struct page *pg,
                      json_object **out) {
  struct arena *a = req_arena(r);
  long long after = -1, next;
  if (pg->after && str_parse_i64(pg->after, 0, PLAYLIST_MAX_TRACKS - 1, &after))
    return RC_BAD_REQUEST;
  json_object *items = json_object_new_array();
  int rc = playlist_tracks(app.db, a, id, after, pg->limit, items, &next);
  if (rc) {
    json_object_put(items);
    return rc;
  }
  json_object *o = jx_own(a, json_object_new_object());
  json_object_object_add(o, "items", items);
  jx_add_str(o, "next_cursor",
             next >= 0 ? page_cursor(a, arena_printf(a, "%lld", next)) : NULL);
  *out = o;
  return 0;
}

int h_playlists_tracks(struct req *r) {
  struct page pg;
  struct playlist p;
  json_object *o = NULL;
  long long id;
  id = req_id(r, "id");
  page_get(r, &pg);
  /* One transaction: the page and the snapshot it belongs to are read
   * from the same consistent view. */
  int rc = db_begin(app.db);
  if (rc) return req_problem(r, rc, NULL);
  rc = playlist_get(app.db, req_arena(r), id, req_user_id(r), &p);
  if (!rc) rc = track_page(r, id, &pg, &o);
  db_commit(app.db);
  if (rc == RC_BAD_REQUEST) return page_bad_cursor(r);
  if (rc) return fail(r, rc);
  char s[24];
  snprintf(s, sizeof s, "%lld", p.snapshot);
  jx_add_str(o, "snapshot_id", s);
  set_etag(r, p.snapshot);
  return req_reply_json(r, 200, o);
}

static const struct jx_field add_fields[] = {
    {.name = "position", .kind = JX_INT, .min = 0, .max = PLAYLIST_MAX_TRACKS},
    {.name = "snapshot_id", .kind = JX_STRING, .min = 1, .max = 20},
};

int h_playlists_tracks_add(struct req *r) {
  json_object *body, *arr;
  struct jx_errors errs = {0};
  struct playlist_err err = {0};
  long long id, snap, *ids = NULL;
  int st, n = 0;
  id = req_id(r, "id");
  if ((st = req_body_json(r, &body))) return st;
  split(r, body, add_fields, 2, "track_ids", true, &arr, &errs);
  if (arr)
    int_array(req_arena(r), arr, "track_ids", 1, ID_MAX, PLAYLIST_MAX_TRACKS,
              &ids, &n, &errs);
  if (errs.n) return req_problem_fields(r, &errs);
  int rc = playlist_add(app.db, app.kv, req_arena(r), id, req_user_id(r), ids,
                        n, jx_int(body, "position", -1), precondition(r, body),
                        &snap, &err);
  if (!rc) social_after(r, SOCIAL_PLAYLIST_ADDED, req_user_id(r), id, n);
  return edit_done(r, rc, snap, &err);
}

static const struct jx_field remove_fields[] = {
    {.name = "range_start",
     .kind = JX_INT,
     .min = 0,
     .max = PLAYLIST_MAX_TRACKS - 1},
    {.name = "range_length",
     .kind = JX_INT,
     .min = 1,
     .max = PLAYLIST_MAX_TRACKS},
    {.name = "snapshot_id", .kind = JX_STRING, .min = 1, .max = 20},
};

int h_playlists_tracks_remove(struct req *r) {
  json_object *body, *arr;
  struct jx_errors errs = {0};
  struct playlist_err err = {0};
  long long id, snap, *pos = NULL;
  int st, n = 0, rc;
  id = req_id(r, "id");
  if ((st = req_body_json(r, &body))) return st;
  split(r, body, remove_fields, 3, "positions", false, &arr, &errs);
  if (errs.n) return req_problem_fields(r, &errs);
  bool range = jx_has(body, "range_start") || jx_has(body, "range_length");
  if (arr && range)
    return field_error(r, "positions",
                       "give either positions or range_start and "
                       "range_length, not both");
  if (!arr && !range)
    return field_error(r, "positions",
                       "give positions or range_start and range_length");
  long long expect = precondition(r, body);
  if (range) {
    if (!jx_has(body, "range_start"))
      return field_error(r, "range_start", "required with range_length");
    rc = playlist_remove_range(app.db, app.kv, req_arena(r), id, req_user_id(r),
                               jx_int(body, "range_start", 0),
                               jx_int(body, "range_length", 1), expect, &snap,
                               &err);
    return edit_done(r, rc, snap, &err);
  }
  int_array(req_arena(r), arr, "positions", 0, PLAYLIST_MAX_TRACKS - 1,
            PLAYLIST_MAX_TRACKS, &pos, &n, &errs);
  if (errs.n) return req_problem_fields(r, &errs);
  /* Positions name tracks of one snapshot: each at most once. */
  unsigned char *seen = arena_alloc(req_arena(r), PLAYLIST_MAX_TRACKS);
  if (!seen) return req_problem(r, RC_NOMEM, NULL);
  memset(seen, 0, PLAYLIST_MAX_TRACKS);
  for (int i = 0; i < n; i++) {
    if (seen[pos[i]])
      return field_error(r, arena_printf(req_arena(r), "positions[%d]", i),
                         "repeated");
    seen[pos[i]] = 1;
  }
  rc = playlist_remove(app.db, app.kv, req_arena(r), id, req_user_id(r), pos, n,
                       expect, &snap, &err);
  return edit_done(r, rc, snap, &err);
}

static const struct jx_field move_fields[] = {
    {.name = "range_start",
     .kind = JX_INT,
     .required = true,
     .min = 0,
     .max = PLAYLIST_MAX_TRACKS - 1},
    {.name = "range_length",
     .kind = JX_INT,
     .min = 1,
     .max = PLAYLIST_MAX_TRACKS},
    {.name = "insert_before",
     .kind = JX_INT,
     .required = true,
     .min = 0,
     .max = PLAYLIST_MAX_TRACKS},
    {.name = "snapshot_id", .kind = JX_STRING, .min = 1, .max = 20},
};

int h_playlists_tracks_move(struct req *r) {
  json_object *body;
  struct playlist_err err = {0};
  long long id, snap;
  int st;
  id = req_id(r, "id");
  if ((st = req_body_json(r, &body))) return st;
  if ((st = req_validate(r, body, move_fields, 4))) return st;
  int rc = playlist_move(
      app.db, app.kv, req_arena(r), id, req_user_id(r),
      jx_int(body, "range_start", 0), jx_int(body, "range_length", 1),
      jx_int(body, "insert_before", 0), precondition(r, body), &snap, &err);
  return edit_done(r, rc, snap, &err);
}

/* ------------------------------------------------------------------------
 * Sharing */

/* grantee: the user named in the path; replies 404 itself. */
static int grantee(struct req *r, struct user *u) {
  const char *name = req_param(r, "username");
  if (!user_name_valid(name))
    return req_problem(r, RC_NOT_FOUND, "no such user");
  int rc = user_by_username(app.db, req_arena(r), name, u);
  if (rc == RC_NOT_FOUND) return req_problem(r, rc, "no such user");
  if (rc) return req_problem(r, rc, NULL);
  return 0;
}

int h_playlists_grants(struct req *r) {
  struct page pg;
  long long id, after, next;
  int st;
  id = req_id(r, "id");
  if ((st = page_id(r, &pg, &after))) return st;
  json_object *items = json_object_new_array();
  int rc = playlist_grants(app.db, req_arena(r), id, req_user_id(r), after,
                           pg.limit, items, &next);
  if (rc) {
    json_object_put(items);
    return fail(r, rc);
  }
  return list_reply(r, items, next);
}

static const struct jx_field grant_fields[] = {
    {.name = "access", .kind = JX_ENUM, .required = true, .enums = accesses},
};

int h_playlists_grant_put(struct req *r) {
  json_object *body, *out = NULL;
  struct user u;
  long long id;
  int st;
  id = req_id(r, "id");
  if ((st = req_body_json(r, &body))) return st;
  if ((st = req_validate(r, body, grant_fields, 1))) return st;
  if ((st = grantee(r, &u))) return st;
  int rc = playlist_grant_put(app.db, app.kv, req_arena(r), id, req_user_id(r),
                              u.id, jx_str(body, "access"), &out);
  if (rc == RC_INVALID)
    return field_error(r, "username", "the owner needs no grant");
  if (rc == RC_LIMIT)
    return req_problem(r, rc,
                       arena_printf(req_arena(r),
                                    "a playlist is shared with at most %d "
                                    "users: take a grant away first",
                                    CAP_PLAYLIST_GRANTS));
  if (rc) return fail(r, rc);
  search_drop_viewer_pages(u.id); /* the grantee's search pages */
  return req_reply_json(r, 200, jx_own(req_arena(r), out));
}

int h_playlists_grant_delete(struct req *r) {
  struct user u;
  long long id;
  int st;
  id = req_id(r, "id");
  if ((st = grantee(r, &u))) return st;
  int rc = playlist_grant_delete(app.db, app.kv, req_arena(r), id,
                                 req_user_id(r), u.id);
  if (rc) return fail(r, rc);
  search_drop_viewer_pages(u.id);
  return req_reply_empty(r, 204);
}

static const struct jx_field link_fields[] = {
    {.name = "expires_in",
     .kind = JX_INT,
     .min = 1,
     .max = PLAYLIST_LINK_TTL_MAX},
};

int h_playlists_link_create(struct req *r) {
  struct arena *a = req_arena(r);
  json_object *body = NULL;
  const char *raw;
  size_t rawlen;
  long long id, link, expires;
  char token[44];
  int st;
  id = req_id(r, "id");
  req_body_raw(r, &raw, &rawlen);
  if (rawlen) { /* the body is optional: no body, no expiry */
    if ((st = req_body_json(r, &body))) return st;
    if ((st = req_validate(r, body, link_fields, 1))) return st;
  }
  int rc = playlist_link_create(app.db, a, id, req_user_id(r),
                                body ? jx_int(body, "expires_in", 0) : 0, &link,
                                token, &expires);
  if (rc == RC_LIMIT)
    return req_problem(r, rc,
                       arena_printf(a,
                                    "a playlist has at most %d live share "
                                    "links: revoke one first",
                                    CAP_PLAYLIST_LINKS));
  if (rc) return fail(r, rc);
  json_object *o = jx_own(a, json_object_new_object());
  jx_add_int(o, "id", link);
  jx_add_str(o, "token", token);
  jx_add_str(o, "url",
             arena_printf(a, "%s/api/v1/shared/%s", app.cfg.public_url, token));
  jx_add_time(o, "expires_at", expires);
  req_set_header(
      r, "Location",
      arena_printf(a, "/api/v1/playlists/%lld/links/%lld", id, link));
  req_set_header(r, "Cache-Control", "no-store");
  return req_reply_json(r, 201, o);
}

int h_playlists_links(struct req *r) {
  struct page pg;
  long long id, after, next;
  int st;
  id = req_id(r, "id");
  if ((st = page_id(r, &pg, &after))) return st;
  json_object *items = json_object_new_array();
  int rc = playlist_links(app.db, req_arena(r), id, req_user_id(r), after,
                          pg.limit, items, &next);
  if (rc) {
    json_object_put(items);
    return fail(r, rc);
  }
  return list_reply(r, items, next);
}

int h_playlists_link_revoke(struct req *r) {
  long long id, link;
  id = req_id(r, "id");
  link = req_id(r, "link_id");
  bool revoked;
  int rc = playlist_link_revoke(app.db, req_arena(r), id, req_user_id(r), link,
                                &revoked);
  if (rc) return fail(r, rc);
  if (!revoked) return req_problem(r, RC_NOT_FOUND, "no such link");
  return req_reply_empty(r, 204);
}

int h_playlists_shared(struct req *r) {
  struct page pg;
  struct playlist p;
  json_object *tracks = NULL;
  page_get(r, &pg);
  const char *token = req_param(r, "token");
  int rc = db_begin(app.db);
  if (rc) return req_problem(r, rc, NULL);
  rc = playlist_by_token(app.db, req_arena(r), token ? token : "", &p);
  if (!rc) rc = track_page(r, p.id, &pg, &tracks);
  db_commit(app.db);
  if (rc == RC_NOT_FOUND)
    return req_problem(r, rc,
                       "no such link or key, or it no longer opens the "
                       "playlist (revoked, expired, rotated or private)");
  if (rc == RC_BAD_REQUEST) return page_bad_cursor(r);
  if (rc) return req_problem(r, rc, NULL);
  json_object *o = jx_own(req_arena(r), json_object_new_object());
  json_object_object_add(o, "playlist", playlist_json(&p));
  json_object_object_add(o, "tracks", json_object_get(tracks));
  set_etag(r, p.snapshot);
  req_set_header(r, "Cache-Control", "private, no-store");
  return req_reply_json(r, 200, o);
}
