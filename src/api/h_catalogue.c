/* h_catalogue: input rules shared by the catalogue handlers; see
 * h_catalogue.h. */
#include "api/h_catalogue.h"
#include "api/handlers.h"

#include <string.h>

#include "api/app.h"
#include "api/page.h"
#include "api/req.h"
#include "core/arena.h"
#include "core/rc.h"
#include "core/str.h"
#include "model/genre.h"

static bool is_special(const char *key, const char *const *special) {
  for (; special && *special; special++)
    if (strcmp(key, *special) == 0) return true;
  return false;
}

void h_catalogue_validate(struct arena *a, json_object *body,
                          const struct jx_field *fields, int nf,
                          const char *const *special, struct jx_errors *errs) {
  struct jx_errors e = {0};
  if (!json_object_is_type(body, json_type_object)) {
    jx_error_add(errs, "", "must be a JSON object");
    return;
  }
  /* A shallow copy without the special members: jx_validate would call
   * them unknown. */
  json_object *plain = jx_own(a, json_object_new_object());
  json_object_object_foreach(body, key, val) {
    if (!is_special(key, special))
      json_object_object_add(plain, key, json_object_get(val));
  }
  if (jx_validate(a, plain, fields, nf, &e) == 0) return;
  for (int i = 0; i < e.n; i++)
    jx_error_add(errs, e.e[i].field, e.e[i].message);
}

bool h_catalogue_null(json_object *body, const char *key) {
  json_object *v = NULL;
  return json_object_object_get_ex(body, key, &v) && !v;
}

bool h_catalogue_date_ok(const char *s) {
  static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (strlen(s) != 10 || s[4] != '-' || s[7] != '-') return false;
  for (int i = 0; i < 10; i++)
    if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return false;
  int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
          (s[3] - '0');
  int m = (s[5] - '0') * 10 + (s[6] - '0');
  int d = (s[8] - '0') * 10 + (s[9] - '0');
  if (y < 1000 || m < 1 || m > 12 || d < 1 || d > days[m - 1]) return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return !(m == 2 && d == 29 && !leap);
}

bool h_catalogue_https_ok(const char *s) {
  if (strncmp(s, "https://", 8) != 0 || !s[8] || s[8] == '/') return false;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if (*p <= 0x20 || *p == 0x7f) return false;
  return true;
}

/* uuid_ok: a MusicBrainz id, 8-4-4-4-12 lowercase hex. */
static bool uuid_ok(const char *s) {
  if (strlen(s) != 36) return false;
  for (int i = 0; i < 36; i++) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    char c = s[i];
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  }
  return true;
}

/* token_ok: 1..64 of [A-Za-z0-9] (Spotify base62 ids, Apple numeric ids). */
static bool token_ok(const char *s, bool digits_only) {
  size_t n = strlen(s);
  if (n < 1 || n > 64) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    bool ok =
        (c >= '0' && c <= '9') ||
        (!digits_only && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')));
    if (!ok) return false;
  }
  return true;
}

void h_catalogue_ext_apply(json_object *body, struct cat_ext *e,
                           struct jx_errors *errs) {
  json_object *x;
  if (!json_object_object_get_ex(body, "external_ids", &x)) return;
  if (!x) { /* null clears them all */
    e->mbid = e->spotify = e->apple = NULL;
    return;
  }
  if (!json_object_is_type(x, json_type_object)) {
    jx_error_add(errs, "external_ids", "must be an object");
    return;
  }
  json_object_object_foreach(x, key, val) {
    const char **slot = NULL, *field = NULL, *msg = NULL;
    const char *s = val ? json_object_get_string(val) : NULL;
    bool str = val && json_object_is_type(val, json_type_string);
    if (strcmp(key, "musicbrainz") == 0) {
      slot = &e->mbid;
      field = "external_ids.musicbrainz";
      if (val && (!str || !uuid_ok(s)))
        msg = "must be a MusicBrainz id (lowercase UUID) or null";
    } else if (strcmp(key, "spotify") == 0) {
      slot = &e->spotify;
      field = "external_ids.spotify";
      if (val && (!str || !token_ok(s, false)))
        msg = "must be 1 to 64 letters and digits, or null";
    } else if (strcmp(key, "apple_music") == 0) {
      slot = &e->apple;
      field = "external_ids.apple_music";
      if (val && (!str || !token_ok(s, true)))
        msg = "must be 1 to 64 digits, or null";
    } else {
      jx_error_add(errs, "external_ids",
                   "unknown member (musicbrainz, spotify, apple_music)");
      continue;
    }
    if (msg)
      jx_error_add(errs, field, msg);
    else
      *slot = s;
  }
}

const struct qparam h_catalogue_list_query[] = {
    Q_PAGE,
    {.name = "genre",
     .kind = Q_TEXT,
     .min = 1,
     .max = GENRE_NAME_MAX,
     .msg = GENRE_NAME_ERROR},
    Q_END,
};

int h_catalogue_page(struct req *r, struct h_catalogue_page *pg) {
  struct page p;
  int st;
  page_get(r, &p);
  pg->limit = p.limit;
  pg->genre = 0;
  pg->empty = false;
  if ((st = h_catalogue_id_cursor(r, p.after, &pg->after))) return st;
  const char *g = req_qtext(r, "genre");
  if (!g) return 0;
  int rc = genre_id_by_name(app.db, req_arena(r), g, &pg->genre);
  if (rc == RC_NOT_FOUND) {
    pg->empty = true;
    return 0;
  }
  if (rc) return req_problem(r, rc, NULL);
  return 0;
}

int h_catalogue_id_cursor(struct req *r, const char *after, long long *id) {
  *id = 0;
  if (!after) return 0;
  if (str_parse_i64(after, 1, 9007199254740992LL, id))
    return page_bad_cursor(r);
  return 0;
}

int h_catalogue_reply_list(struct req *r, json_object *items,
                           const char *next_text) {
  struct arena *a = req_arena(r);
  json_object *o = jx_own(a, json_object_new_object());
  json_object_object_add(o, "items", items);
  jx_add_str(o, "next_cursor", page_cursor(a, next_text));
  return req_reply_json(r, 200, o);
}

int h_catalogue_reply_ids(struct req *r, json_object *items, int n, int limit,
                          long long last) {
  const char *next =
      n == limit ? arena_printf(req_arena(r), "%lld", last) : NULL;
  return h_catalogue_reply_list(r, items, next);
}

int h_catalogue_fail(struct req *r, int rc, const char *missing) {
  return req_problem(r, rc, rc == RC_NOT_FOUND ? missing : NULL);
}

int h_catalogue_reply_text(struct req *r, int status, const char *base,
                           long long id, const char *text, size_t len) {
  if (status == 200) return req_reply_etag(r, text, len);
  req_set_header(r, "Location",
                 arena_printf(req_arena(r), "%s/%lld", base, id));
  return req_reply_text(r, status, "application/json", text, len);
}

int h_catalogue_write(struct req *r, long long id,
                      int (*once)(struct req *r, long long id),
                      const char *what) {
  for (int attempt = 0; attempt < 5; attempt++) {
    int st = once(r, id);
    if (st) return st;
  }
  return req_problem(r, RC_CONFLICT,
                     arena_printf(req_arena(r),
                                  "the %s is being edited concurrently; try "
                                  "again",
                                  what));
}
