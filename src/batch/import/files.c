/* files: the import of a Last.fm or ListenBrainz export file (uploaded to
 * POST /api/v1/me/imports/files, kept with the job), 500 listens a page
 * through scrobble_store (source "import": matched ones become listens,
 * the others text listens matched later), resumed at the cursor's index.
 *
 * What is a listen is found by shape anywhere in the document, in document
 * order: for Last.fm, objects with a name, an artist (text or
 * {"#text"}) and date.uts, as user.getRecentTracks pages hold them (a
 * page, an array of pages, or an array of tracks); for ListenBrainz,
 * objects with listened_at and track_metadata (its export's array, the
 * API's payload, or JSON Lines). An item that is not a valid listen is
 * counted as rejected, never stored. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch/import/import.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/str.h"
#include "model/listen.h"
#include "model/scrobble.h"

#define FILE_PAGE 500
/* Items found in one file (a 1 MiB file holds at most a few thousand). */
#define FILE_ITEMS_MAX 100000

/* The listens of the file, as found. */
struct items {
  json_object **v;
  int n, cap;
  bool lastfm;
};

/* is_item: whether o has the shape of a listen of the format. */
static bool is_item(json_object *o, bool lastfm) {
  if (lastfm)
    return svc_path(o, "name", NULL) && svc_path(o, "artist", NULL) &&
           svc_path(o, "date", "uts", NULL);
  return svc_path(o, "listened_at", NULL) &&
         svc_path(o, "track_metadata", NULL);
}

static int collect(struct arena *a, json_object *o, struct items *it) {
  if (json_object_is_type(o, json_type_array)) {
    for (size_t i = 0; i < json_object_array_length(o); i++) {
      int rc = collect(a, json_object_array_get_idx(o, i), it);
      if (rc) return rc;
    }
    return 0;
  }
  if (!json_object_is_type(o, json_type_object)) return 0;
  if (is_item(o, it->lastfm)) {
    if (it->n == FILE_ITEMS_MAX) return RC_LIMIT;
    if (it->n == it->cap) {
      int cap = it->cap ? it->cap * 2 : 1024;
      json_object **v = arena_alloc(a, sizeof *v * (size_t)cap);
      if (!v) return RC_NOMEM;
      if (it->n) memcpy(v, it->v, sizeof *v * (size_t)it->n);
      it->v = v;
      it->cap = cap;
    }
    it->v[it->n++] = o;
    return 0;
  }
  json_object_object_foreach(o, key, val) {
    (void)key;
    int rc = collect(a, val, it);
    if (rc) return rc;
  }
  return 0;
}

/* parse: the items of the job's file (JSON, or JSON Lines). */
static int parse(struct import_run *x, struct items **out) {
  struct arena *a = x->keep;
  struct items *it = arena_alloc(a, sizeof *it);
  const char *s = (const char *)x->job->payload, *why;
  size_t n = x->job->payload_len;
  if (!it) return RC_NOMEM;
  it->lastfm = x->job->source == IMPORTJOB_LASTFM_FILE;
  *out = it;
  if (!s || !n) return RC_INVALID;
  if (x->job->what && !strcmp(x->job->what, "jsonl")) {
    for (size_t i = 0; i < n;) {
      size_t e = i;
      while (e < n && s[e] != '\n')
        e++;
      json_object *o;
      if (e > i && jx_parse(a, s + i, e - i, &o, &why) == 0) {
        int rc = collect(a, o, it);
        if (rc) return rc;
      }
      i = e + 1;
    }
    return 0;
  }
  json_object *doc;
  if (jx_parse(a, s, n, &doc, &why)) return RC_INVALID;
  return collect(a, doc, it);
}

/* text: a string, or the "#text" of an object (Last.fm). */
static const char *text(json_object *o, const char *key) {
  json_object *v = svc_path(o, key, NULL);
  if (json_object_is_type(v, json_type_string))
    return json_object_get_string(v);
  const char *t = svc_str(v, "#text");
  return t ? t : svc_str(v, "name");
}

static bool name_ok(const char *s) {
  size_t n = s ? strlen(s) : 0;
  return n && str_utf8_valid(s, n) && str_utf8_len(s, n) <= SCROBBLE_NAME_MAX;
}

/* mbid: an MBID as given, when it has the form of one. */
static const char *mbid(const char *s) {
  if (!s || strlen(s) != 36) return NULL;
  for (int i = 0; i < 36; i++)
    if (i == 8 || i == 13 || i == 18 || i == 23
            ? s[i] != '-'
            : !strchr("0123456789abcdef", s[i]))
      return NULL;
  return s;
}

/* item: one found listen as a scrobble; false when it is not a valid
 * one. */
static bool item(json_object *o, bool lastfm, long long now_ms,
                 struct scrobble *s) {
  *s = (struct scrobble){
      .duration_ms = -1, .ms_played = -1, .status = SCROBBLE_PENDING};
  long long at;
  if (lastfm) {
    s->artist = text(o, "artist");
    s->title = svc_str(o, "name");
    s->album = text(o, "album");
    s->mbid = mbid(svc_str(o, "mbid"));
    at = svc_int(svc_path(o, "date", NULL), "uts", 0) * 1000;
  } else {
    json_object *m = svc_path(o, "track_metadata", NULL);
    json_object *info = svc_path(m, "additional_info", NULL);
    s->artist = svc_str(m, "artist_name");
    s->title = svc_str(m, "track_name");
    s->album = svc_str(m, "release_name");
    s->mbid = mbid(svc_str(info, "recording_mbid"));
    long long dur = svc_int(info, "duration_ms", -1);
    if (dur < 0 && svc_int(info, "duration", -1) >= 0)
      dur = svc_int(info, "duration", -1) * 1000;
    s->duration_ms = dur >= 0 && dur <= 86400000LL ? dur : -1;
    at = svc_int(o, "listened_at", 0) * 1000;
  }
  if (s->album && !name_ok(s->album)) s->album = NULL;
  s->at_ms = at;
  return name_ok(s->artist) && name_ok(s->title) && at >= LISTEN_EPOCH_MIN &&
         at <= now_ms + LISTEN_FUTURE_SKEW_MS;
}

int import_file_page(struct import_run *x, struct arena *a,
                     enum import_step *step) {
  struct items *it = x->state;
  int rc;
  if (!it) {
    rc = parse(x, &it);
    if (rc == RC_NOMEM) return rc;
    if (rc) {
      *step = IMPORT_STOP;
      return importjob_finish(x->d, x->job, "failed",
                              rc == RC_LIMIT
                                  ? "the file holds more than 100000 listens"
                                  : "the file is not an export this import "
                                    "reads");
    }
    x->state = it;
    x->job->total = it->n;
  }
  long long index = import_cursor_int(x, "index", 0);
  if (index >= it->n) {
    *step = IMPORT_DONE;
    json_object *m, *u;
    long long matched = 0, unmatched = 0;
    if (json_object_object_get_ex(x->summary, "listens_matched", &m))
      matched = json_object_get_int64(m);
    if (json_object_object_get_ex(x->summary, "listens_unmatched", &u))
      unmatched = json_object_get_int64(u);
    json_object_object_add(
        x->summary, "match_rate",
        json_object_new_double(matched + unmatched
                                   ? (double)matched /
                                         (double)(matched + unmatched)
                                   : 1.0));
    return 0;
  }
  int n = it->n - index < FILE_PAGE ? (int)(it->n - index) : FILE_PAGE;
  struct scrobble *s = arena_alloc(a, sizeof *s * (size_t)n);
  if (!s) return RC_NOMEM;
  long long now = (long long)time(NULL) * 1000, rejected = 0;
  for (int i = 0; i < n; i++)
    if (!item(it->v[index + i], it->lastfm, now, &s[i])) {
      s[i].status = SCROBBLE_IGNORED;
      rejected++;
    }
  if ((rc = scrobble_store(x->d, x->k, a, x->job->user, "import", s, n, false)))
    return rc;
  long long c[4] = {0};
  for (int i = 0; i < n; i++)
    if (s[i].status == SCROBBLE_STORED)
      c[0]++;
    else if (s[i].status == SCROBBLE_KEPT)
      c[1]++;
    else if (s[i].status == SCROBBLE_DUPLICATE)
      c[2]++;
    else if (s[i].why == SCROBBLE_TEXT_FULL)
      c[3]++;
  import_add(x, "listens_matched", c[0]);
  import_add(x, "listens_unmatched", c[1]);
  import_add(x, "duplicates", c[2]);
  import_add(x, "rejected", rejected);
  import_add(x, "over_cap", c[3]);
  x->job->done += n;
  import_set_int(x, "index", index + n);
  return import_save(x, step);
}
