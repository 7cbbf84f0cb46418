/* h_search: GET /api/v1/search — validation of the query string and the
 * result-page cache; the index and the SQL are in model/search.c. */
#include "api/handlers.h"

#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/page.h"
#include "api/req.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/kv.h"
#include "core/rc.h"
#include "core/rnd.h"
#include "core/str.h"
#include "model/genre.h"
#include "model/search.h"

#define Q_MAX 200   /* characters of q */
#define PAGE_TTL 60 /* seconds a result page stays cached */
#define ID_MAX 9007199254740992LL
#define DURATION_MAX 86400000LL /* a day, in milliseconds */

static const char *const type_names[] = {"track", "artist", "album",
                                         "playlist"};
static const char *const sorts[] = {"relevance", "popularity", "release_date",
                                    "title", "duration"};

/* parse_types: "track,album" -> bits; false on an unknown or empty item. */
static bool parse_types(const char *s, unsigned *bits) {
  *bits = 0;
  while (true) {
    const char *e = strchr(s, ',');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    int k = -1;
    for (int i = 0; i < 4; i++)
      if (strlen(type_names[i]) == n && memcmp(type_names[i], s, n) == 0) k = i;
    if (k < 0) return false;
    *bits |= 1u << k;
    if (!e) return true;
    s = e + 1;
  }
}

/* int_param: an optional integer query parameter within [min, max]. */
static bool int_param(struct req *r, const char *name, long long min,
                      long long max, long long *out, struct jx_errors *e,
                      const char *msg) {
  const char *s = req_query(r, name);
  if (!s) return false;
  if (str_parse_i64(s, min, max, out)) {
    jx_error_add(e, name, msg);
    return false;
  }
  return true;
}

int h_search(struct req *r) {
  struct arena *a = req_arena(r);
  struct jx_errors e = {0};
  struct search_q q = {.genre_id = 0,
                       .dur_min = -1,
                       .dur_max = -1,
                       .explicit_only = -1,
                       .types = 0xf};
  struct page pg;
  int st;
  if ((st = page_parse(r, &pg))) return st;
  q.limit = pg.limit;
  q.after = pg.after;
  q.viewer = req_user_id(r);

  const char *text = req_query(r, "q");
  bool has_q = text && *text;
  char *norm = NULL;
  if (text) {
    size_t n = strlen(text);
    if (!str_utf8_valid(text, n))
      jx_error_add(&e, "q", "must be UTF-8 text");
    else if (search_chars(text) > Q_MAX)
      jx_error_add(&e, "q", "must be at most 200 characters");
    else if ((norm = arena_alloc(a, n + 1)))
      q.nwords = search_split(text, norm, n + 1, q.words, SEARCH_QWORDS);
    else
      return req_problem(r, RC_NOMEM, NULL);
  }

  const char *types = req_query(r, "type");
  if (types && !parse_types(types, &q.types))
    jx_error_add(&e, "type",
                 "must be a comma-separated list of track, artist, "
                 "album, playlist");

  const char *genre = req_query(r, "genre");
  if (genre && (!*genre || !str_utf8_valid(genre, strlen(genre)) ||
                search_chars(genre) > GENRE_NAME_MAX))
    jx_error_add(&e, "genre", GENRE_NAME_ERROR);

  long long v;
  if (int_param(r, "year_from", 1, 9999, &v, &e, "must be a year, 1 to 9999"))
    q.year_from = (int)v;
  if (int_param(r, "year_to", 1, 9999, &v, &e, "must be a year, 1 to 9999"))
    q.year_to = (int)v;
  if (q.year_from && q.year_to && q.year_from > q.year_to)
    jx_error_add(&e, "year_to", "must not be before year_from");
  int_param(r, "duration_min", 0, DURATION_MAX, &q.dur_min, &e,
            "must be milliseconds, 0 to 86400000");
  int_param(r, "duration_max", 0, DURATION_MAX, &q.dur_max, &e,
            "must be milliseconds, 0 to 86400000");
  if (q.dur_min >= 0 && q.dur_max >= 0 && q.dur_min > q.dur_max)
    jx_error_add(&e, "duration_max", "must not be below duration_min");
  int_param(r, "artist_id", 1, ID_MAX, &q.artist_id, &e,
            "must be an artist id");

  const char *ex = req_query(r, "explicit");
  if (ex) {
    if (!strcmp(ex, "true"))
      q.explicit_only = 1;
    else if (!strcmp(ex, "false"))
      q.explicit_only = 0;
    else
      jx_error_add(&e, "explicit", "must be true or false");
  }

  const char *sort = req_query(r, "sort");
  if (sort) {
    int k = -1;
    for (int i = 0; i < 5; i++)
      if (!strcmp(sort, sorts[i])) k = i;
    if (k < 0)
      jx_error_add(&e, "sort",
                   "must be relevance, popularity, release_date, title "
                   "or duration");
    else
      q.sort = (enum search_sort)k;
  }
  /* Defaults: best first for relevance, popularity and dates; A to Z and
   * shortest first for titles and durations. */
  q.desc = q.sort == SEARCH_RELEVANCE || q.sort == SEARCH_POPULARITY ||
           q.sort == SEARCH_RELEASE_DATE;
  const char *order = req_query(r, "order");
  if (order) {
    if (!strcmp(order, "asc"))
      q.desc = false;
    else if (!strcmp(order, "desc"))
      q.desc = true;
    else
      jx_error_add(&e, "order", "must be asc or desc");
  }

  bool filters = genre || q.year_from || q.year_to || q.dur_min >= 0 ||
                 q.dur_max >= 0 || q.explicit_only >= 0 || q.artist_id;
  if (!e.n && !has_q && !filters)
    jx_error_add(&e, "q", "is required unless a filter is given");
  if (e.n) return req_problem_fields(r, &e);

  /* One cached page per normalized query (and per viewer when the caller's
   * own and shared playlists may be in it). */
  struct sbuf ck;
  sbuf_init(&ck, a);
  for (int i = 0; i < q.nwords; i++)
    sbuf_printf(&ck, "%s%s", i ? " " : "", q.words[i]);
  sbuf_printf(&ck, "|%d|%u|%s|%d|%d|%lld|%lld|%d|%lld|%d|%d|%d|%s|%lld", has_q,
              q.types, genre ? genre : "", q.year_from, q.year_to, q.dur_min,
              q.dur_max, q.explicit_only, q.artist_id, q.sort, q.desc, q.limit,
              q.after ? q.after : "",
              (q.types & (1u << SEARCH_PLAYLIST)) ? q.viewer : 0);
  if (ck.oom) return req_problem(r, RC_NOMEM, NULL);
  unsigned char dg[32];
  char hex[65], *key = NULL, *cached;
  size_t len;
  sha256(ck.s, ck.len, dg);
  hex_encode(dg, 16, hex);
  /* A page that may hold the caller's own and shared playlists also lives
   * under the caller's namespace: a grant or revoke drops that user's pages
   * only (search_forget_viewer). */
  const char *suffix = hex;
  if ((q.types & (1u << SEARCH_PLAYLIST)) && q.viewer) {
    char *vkey = NULL;
    const char *ns = arena_printf(a, SEARCH_VIEWER_NS, q.viewer);
    suffix = ns && !kv_ns_key(app.kv, a, ns, hex, &vkey) ? vkey : NULL;
  }
  if (!suffix || kv_ns_key(app.kv, a, "search", suffix, &key)) key = NULL;
  if (key && kv_get(app.kv, a, key, &cached, &len) == 0)
    return req_reply_text(r, 200, "application/json", cached, len);

  json_object *items = NULL;
  const char *next = NULL;
  int rc = 0;
  if (has_q && q.nwords == 0) {
    /* nothing but punctuation and operators: a correct, empty result */
    items = jx_own(a, json_object_new_array());
  } else {
    if (genre && (rc = search_genre_id(app.db, a, genre, &q.genre_id)))
      return req_problem(r, rc, NULL);
    rc = search_run(app.db, a, &q, &items, &next);
  }
  if (rc == RC_BAD_REQUEST) return page_bad_cursor(r);
  if (rc) return req_problem(r, rc, NULL);
  if (!items) return req_problem(r, RC_NOMEM, NULL);

  json_object *body = jx_own(a, json_object_new_object());
  json_object_object_add(body, "items", json_object_get(items));
  const char *cur = page_cursor(a, next);
  json_object_object_add(body, "next_cursor",
                         cur ? json_object_new_string(cur) : NULL);
  const char *out = jx_text(a, body, &len);
  if (!out) return req_problem(r, RC_NOMEM, NULL);
  if (key) kv_set(app.kv, key, out, len, PAGE_TTL);
  return req_reply_text(r, 200, "application/json", out, len);
}
