/* h_search: GET /api/v1/search — the query parameters (declared here,
 * checked by the router), the checks across them, and the result-page
 * cache; the index and the SQL are in model/search*.c. */
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
#include "core/bytes.h"
#include "core/str.h"
#include "model/genre.h"
#include "model/search.h"

#define Q_MAX 200   /* characters of q */
#define PAGE_TTL 60 /* seconds a result page stays cached */
#define ID_MAX 9007199254740992LL
#define DURATION_MAX 86400000LL /* a day, in milliseconds */

/* Words in the order of enum search_type / enum search_sort. */
static const char *const type_names[] = {"track", "artist", "album", "playlist",
                                         NULL};
static const char *const sorts[] = {"relevance", "popularity", "release_date",
                                    "title",     "duration",   NULL};
static const char *const orders[] = {"asc", "desc", NULL};

const struct qparam h_search_query[] = {
    Q_PAGE,
    {.name = "q",
     .kind = Q_TEXT,
     .max = Q_MAX,
     .msg = "must be UTF-8 text of at most 200 characters"},
    {.name = "type",
     .kind = Q_WORDS,
     .words = type_names,
     .msg = "must be a comma-separated list of track, artist, album, "
            "playlist"},
    {.name = "genre",
     .kind = Q_TEXT,
     .min = 1,
     .max = GENRE_NAME_MAX,
     .msg = GENRE_NAME_ERROR},
    {.name = "year_from",
     .kind = Q_INT,
     .min = 1,
     .max = 9999,
     .msg = "must be a year, 1 to 9999"},
    {.name = "year_to",
     .kind = Q_INT,
     .min = 1,
     .max = 9999,
     .msg = "must be a year, 1 to 9999"},
    {.name = "duration_min",
     .kind = Q_INT,
     .max = DURATION_MAX,
     .msg = "must be milliseconds, 0 to 86400000"},
    {.name = "duration_max",
     .kind = Q_INT,
     .max = DURATION_MAX,
     .msg = "must be milliseconds, 0 to 86400000"},
    {.name = "artist_id",
     .kind = Q_INT,
     .min = 1,
     .max = ID_MAX,
     .msg = "must be an artist id"},
    {.name = "explicit", .kind = Q_BOOL},
    {.name = "sort",
     .kind = Q_WORD,
     .words = sorts,
     .msg = "must be relevance, popularity, release_date, title or duration"},
    {.name = "order", .kind = Q_WORD, .words = orders},
    Q_END,
};

int h_search(struct req *r) {
  struct arena *a = req_arena(r);
  struct jx_errors e = {0};
  struct page pg;
  page_get(r, &pg);
  struct search_q q = {
      .limit = pg.limit,
      .after = pg.after,
      .viewer = req_user_id(r),
      .types = req_qgiven(r, "type") ? req_qwords(r, "type") : 0xf,
      .year_from = (int)req_qint(r, "year_from"),
      .year_to = (int)req_qint(r, "year_to"),
      .dur_min =
          req_qgiven(r, "duration_min") ? req_qint(r, "duration_min") : -1,
      .dur_max =
          req_qgiven(r, "duration_max") ? req_qint(r, "duration_max") : -1,
      .artist_id = req_qint(r, "artist_id"),
      .explicit_only =
          req_qgiven(r, "explicit") ? req_qbool(r, "explicit", 0) : -1,
  };
  const char *text = req_qtext(r, "q");
  bool has_q = text && *text;
  if (text) {
    size_t n = strlen(text);
    char *norm = arena_alloc(a, n + 1);
    if (!norm) return req_problem(r, RC_NOMEM, NULL);
    q.nwords = search_split(text, norm, n + 1, q.words, SEARCH_QWORDS);
  }
  const char *genre = req_qtext(r, "genre");
  if (q.year_from && q.year_to && q.year_from > q.year_to)
    jx_error_add(&e, "year_to", "must not be before year_from");
  if (q.dur_min >= 0 && q.dur_max >= 0 && q.dur_min > q.dur_max)
    jx_error_add(&e, "duration_max", "must not be below duration_min");
  if (req_qgiven(r, "sort")) q.sort = (enum search_sort)req_qint(r, "sort");
  /* Defaults: best first for relevance, popularity and dates; A to Z and
   * shortest first for titles and durations. */
  q.desc = q.sort == SEARCH_RELEVANCE || q.sort == SEARCH_POPULARITY ||
           q.sort == SEARCH_RELEASE_DATE;
  if (req_qgiven(r, "order")) q.desc = req_qint(r, "order") == 1;

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
  bytes_sha256(ck.s, ck.len, dg);
  bytes_hex(dg, 16, hex);
  /* A page that may hold the caller's own and shared playlists also lives
   * under the caller's namespace: a grant or revoke drops that user's pages
   * only (search_drop_viewer_pages). */
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
