/* search_render: one page of GET /api/v1/search: the cursor read, each
 * requested type's hits (search_plan.c) merged in the page order
 * (search_rank.c) and cut to the limit, each hit's row rendered as its
 * JSON summary, and the cursor of the next page. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/bytes.h"
#include "core/str.h"
#include "model/genre.h"
#include "model/search.h"
#include "model/search_internal.h"

/* The sorts as a cursor names them. */
static const char *const sort_names[] = {
    [SEARCH_RELEVANCE] = "relevance",       [SEARCH_POPULARITY] = "popularity",
    [SEARCH_RELEASE_DATE] = "release_date", [SEARCH_TITLE] = "title",
    [SEARCH_DURATION] = "duration",
};

/* ref: {"id": ..., namekey: ...} of the object in columns idc and namec,
 * or NULL when there is none. */
static json_object *ref(const struct db_row *r, enum search_col idc,
                        enum search_col namec, const char *namekey) {
  if (!db_s(r, idc)) return NULL;
  json_object *o = json_object_new_object();
  json_object_object_add(o, "id", json_object_new_int64(db_i64(r, idc, 0)));
  json_object_object_add(o, namekey, json_object_new_string(db_s(r, namec)));
  return o;
}

static json_object *str_or_null(const char *s) {
  return s ? json_object_new_string(s) : NULL;
}

static json_object *column_str(const struct db_row *r, enum search_col c) {
  return str_or_null(db_s(r, c));
}

/* hit_json: the summary of one hit. */
static json_object *hit_json(const struct search_hit *h,
                             const struct search_q *q) {
  const struct db_row *r = &h->row;
  json_object *o = json_object_new_object();
  json_object_object_add(o, "type",
                         json_object_new_string(search_tables[h->kind].type));
  json_object_object_add(o, "id", json_object_new_int64(h->id));
  const char *name = db_s(r, SEARCH_COL_NAME);
  switch (h->kind) {
  case SEARCH_TRACK:
    json_object_object_add(o, "title", json_object_new_string(name));
    json_object_object_add(o, "artist",
                           ref(r, SEARCH_COL_TRACK_ARTIST_ID,
                               SEARCH_COL_TRACK_ARTIST_NAME, "name"));
    json_object_object_add(o, "album",
                           ref(r, SEARCH_COL_TRACK_ALBUM_ID,
                               SEARCH_COL_TRACK_ALBUM_TITLE, "title"));
    json_object_object_add(
        o, "duration_ms",
        json_object_new_int64(db_i64(r, SEARCH_COL_DURATION, 0)));
    json_object_object_add(o, "release_date",
                           column_str(r, SEARCH_COL_RELEASE_DATE));
    json_object_object_add(
        o, "explicit",
        json_object_new_boolean(db_i64(r, SEARCH_COL_EXPLICIT, 0) != 0));
    break;
  case SEARCH_ARTIST:
    json_object_object_add(o, "name", json_object_new_string(name));
    json_object_object_add(o, "country",
                           column_str(r, SEARCH_COL_ARTIST_COUNTRY));
    json_object_object_add(o, "image_url",
                           column_str(r, SEARCH_COL_ARTIST_IMAGE_URL));
    break;
  case SEARCH_ALBUM:
    json_object_object_add(o, "title", json_object_new_string(name));
    json_object_object_add(o, "artist",
                           ref(r, SEARCH_COL_ALBUM_ARTIST_ID,
                               SEARCH_COL_ALBUM_ARTIST_NAME, "name"));
    json_object_object_add(o, "album_type",
                           column_str(r, SEARCH_COL_ALBUM_TYPE));
    json_object_object_add(o, "release_date",
                           column_str(r, SEARCH_COL_RELEASE_DATE));
    break;
  case SEARCH_PLAYLIST:
    json_object_object_add(o, "name", json_object_new_string(name));
    json_object_object_add(o, "owner",
                           ref(r, SEARCH_COL_PLAYLIST_OWNER_ID,
                               SEARCH_COL_PLAYLIST_OWNER_NAME, "username"));
    json_object_object_add(o, "visibility",
                           column_str(r, SEARCH_COL_PLAYLIST_VISIBILITY));
    json_object_object_add(
        o, "track_count",
        json_object_new_int64(db_i64(r, SEARCH_COL_POPULARITY, 0)));
    break;
  }
  if (h->kind != SEARCH_PLAYLIST)
    json_object_object_add(
        o, "popularity",
        json_object_new_int64(db_i64(r, SEARCH_COL_POPULARITY, 0)));
  if (q->sort == SEARCH_RELEVANCE && q->nwords)
    json_object_object_add(o, "score", json_object_new_int64(h->num));
  return o;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* unhex: the text whose lowercase hex is s, in the arena; NULL when s is
 * not that or the text is not UTF-8. */
static const char *unhex(struct arena *a, const char *s) {
  size_t n = strlen(s);
  if (n % 2) return NULL;
  char *out = arena_alloc(a, n / 2 + 1);
  if (!out) return NULL;
  for (size_t i = 0; i < n / 2; i++) {
    int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return NULL;
    out[i] = (char)(hi << 4 | lo);
  }
  out[n / 2] = '\0';
  if (memchr(out, '\0', n / 2) || !str_utf8_valid(out, n / 2)) return NULL;
  return out;
}

/* parse_cursor: the cursor text of this query's sort and direction. */
static int parse_cursor(struct arena *a, const struct search_q *q,
                        struct search_cursor *c) {
  char sort[16], dir;
  int kind, used = 0, end = 0;
  long long id, num = 0;
  if (sscanf(q->after, "%15[a-z_]|%c|%d|%lld|%n", sort, &dir, &kind, &id,
             &used) != 4 ||
      used == 0)
    return RC_BAD_REQUEST;
  if (strcmp(sort, sort_names[q->sort]) || dir != (q->desc ? 'd' : 'a') ||
      kind < 0 || kind > SEARCH_PLAYLIST || id < 1)
    return RC_BAD_REQUEST;
  const char *key = q->after + used;
  c->str = NULL;
  if (q->sort == SEARCH_TITLE) {
    if (!(c->str = unhex(a, key))) return RC_BAD_REQUEST;
  } else if (sscanf(key, "%lld%n", &num, &end) != 1 || key[end] != '\0') {
    return RC_BAD_REQUEST;
  }
  c->kind = kind;
  c->id = id;
  c->num = num;
  return 0;
}

/* next_cursor: the cursor of the page after hit `last`; NULL when out of
 * memory. */
static const char *next_cursor(struct arena *a, const struct search_q *q,
                               const struct search_hit *last) {
  char *key = arena_printf(a, "%lld", last->num);
  if (key && q->sort == SEARCH_TITLE) {
    const char *title = db_s(&last->row, SEARCH_COL_NAME);
    if (!title) title = "";
    size_t n = strlen(title);
    if ((key = arena_alloc(a, 2 * n + 1))) bytes_hex(title, n, key);
  }
  return key ? arena_printf(a, "%s|%c|%d|%lld|%s", sort_names[q->sort],
                            q->desc ? 'd' : 'a', last->kind, last->id, key)
             : NULL;
}

int search_genre_id(struct db *d, struct arena *a, const char *name,
                    long long *id) {
  int rc = genre_id_by_name(d, a, name, id);
  if (rc == RC_NOT_FOUND) *id = -1, rc = 0;
  return rc;
}

int search_run(struct db *d, struct arena *a, const struct search_q *q,
               json_object **items, const char **next) {
  struct search_cursor c;
  int rc;
  *items = NULL;
  *next = NULL;
  if (q->after && (rc = parse_cursor(a, q, &c))) return rc;
  json_object *arr = jx_own(a, json_object_new_array());
  if (!arr) return RC_NOMEM;
  *items = arr;
  if (q->genre_id < 0) return 0; /* no such genre: nothing matches */

  struct sbuf phrase;
  sbuf_init(&phrase, a);
  for (int i = 0; i < q->nwords; i++) {
    if (i) sbuf_addc(&phrase, ' ');
    sbuf_adds(&phrase, q->words[i]);
  }
  if (phrase.oom) return RC_NOMEM;

  struct search_hit *all = NULL;
  int nall = 0;
  for (int kind = SEARCH_TRACK; kind <= SEARCH_PLAYLIST; kind++) {
    if (!(q->types & (1u << kind))) continue;
    struct search_hit *h;
    int n;
    if ((rc = search_plan_run(d, a, q, (enum search_kind)kind,
                              q->after ? &c : NULL, phrase.s, &h, &n)))
      return rc;
    if (!n) continue;
    struct search_hit *m = arena_alloc(a, sizeof *m * (size_t)(nall + n + 1));
    if (!m) return RC_NOMEM;
    if (nall) memcpy(m, all, sizeof *m * (size_t)nall);
    memcpy(m + nall, h, sizeof *m * (size_t)n);
    all = m;
    nall += n;
  }
  search_rank_sort(all, nall, q->desc);
  int n = nall < q->limit ? nall : q->limit;
  for (int i = 0; i < n; i++)
    json_object_array_add(arr, hit_json(&all[i], q));
  if (nall > q->limit && !(*next = next_cursor(a, q, &all[n - 1])))
    return RC_NOMEM;
  return 0;
}
