/* lfm_batch: the scrobbles of a track.scrobble request, read from its
 * parameters; see lfm.h. Pure: no I/O, tested by tests/fuzz/fuzz_lastfm.c
 * and tests/api/test_lastfm.c. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "api/lfm.h"
#include "core/arena.h"
#include "core/rc.h"
#include "core/str.h"

/* The fields of a scrobble that Encore reads. */
enum field {
  F_ARTIST,
  F_TRACK,
  F_TIMESTAMP,
  F_ALBUM,
  F_ALBUM_ARTIST,
  F_MBID,
  F_DURATION,
  NFIELDS
};
static const char *const field_names[NFIELDS] = {
    [F_ARTIST] = "artist",
    [F_TRACK] = "track",
    [F_TIMESTAMP] = "timestamp",
    [F_ALBUM] = "album",
    [F_ALBUM_ARTIST] = "albumArtist",
    [F_MBID] = "mbid",
    [F_DURATION] = "duration",
};
/* Fields clients send that Encore has no use for (still signed). */
static const char *const other_fields[] = {"trackNumber", "streamId",
                                           "chosenByUser", "context", NULL};

/* split: "name[i]" into the field and i (-1 without [i]); false when the
 * parameter is no scrobble field. *bad for an index that is not 0..999 in
 * plain decimal. */
static bool split(const char *key, int *field, int *index, bool *bad) {
  const char *br = strchr(key, '[');
  size_t nl = br ? (size_t)(br - key) : strlen(key);
  *field = -1;
  *index = -1;
  *bad = false;
  for (int f = 0; f < NFIELDS; f++)
    if (strlen(field_names[f]) == nl && !strncmp(key, field_names[f], nl))
      *field = f;
  if (*field < 0) {
    bool other = false;
    for (int i = 0; other_fields[i]; i++)
      other = other || (strlen(other_fields[i]) == nl &&
                        !strncmp(key, other_fields[i], nl));
    if (!other) return false;
  }
  if (!br) return true;
  const char *d = br + 1;
  size_t dl = strspn(d, "0123456789");
  if (dl == 0 || dl > 3 || d[dl] != ']' || d[dl + 1] || (dl > 1 && *d == '0'))
    *bad = true;
  else
    *index = (int)strtol(d, NULL, 10);
  return true;
}

/* trimmed: s without surrounding white space, in the arena. */
static const char *trimmed(struct arena *a, const char *s) {
  while (*s && isspace((unsigned char)*s))
    s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1]))
    n--;
  return arena_strndup(a, s, n);
}

/* name_ok: valid UTF-8 of 1..SCROBBLE_NAME_MAX code points. */
static bool name_ok(const char *s) {
  size_t n = strlen(s);
  return n && str_utf8_valid(s, n) && str_utf8_len(s, n) <= SCROBBLE_NAME_MAX;
}

/* mbid_ok: a MusicBrainz id, 8-4-4-4-12 hex digits (lower-cased here). */
static const char *mbid_ok(struct arena *a, const char *s) {
  if (strlen(s) != 36) return NULL;
  char *m = arena_strdup(a, s);
  for (int i = 0; m && i < 36; i++) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    m[i] = (char)tolower((unsigned char)m[i]);
    if (dash ? m[i] != '-' : !isxdigit((unsigned char)m[i])) return NULL;
  }
  return m;
}

int lfm_batch_parse(struct arena *a, const struct req_kv *kv, int n,
                    long long now_s, struct lfm_batch *b, const char **why) {
  const char *v[LFM_BATCH_MAX][NFIELDS];
  bool indexed = false, plain = false;
  int top = -1;
  memset(v, 0, sizeof v);
  memset(b, 0, sizeof *b);
  for (int i = 0; i < n; i++) {
    int f, k;
    bool bad;
    if (!split(kv[i].name, &f, &k, &bad)) continue;
    if (bad || k >= LFM_BATCH_MAX) {
      *why = k >= LFM_BATCH_MAX
                 ? "at most 50 scrobbles a request (indices 0 to 49)"
                 : "a scrobble index must be a number from 0 to 49";
      return RC_INVALID;
    }
    if (f < 0) continue; /* a field Encore does not keep */
    if (k < 0) {
      plain = true;
      k = 0;
    } else {
      indexed = true;
    }
    if (v[k][f]) {
      *why = arena_printf(a, "%s[%d] is given twice", field_names[f], k);
      return RC_INVALID;
    }
    v[k][f] = kv[i].value;
    if (k > top) top = k;
  }
  if (indexed && plain) {
    *why = "give every scrobble parameter with an index, or none";
    return RC_INVALID;
  }
  if (top < 0) {
    *why = "no scrobble: artist[0], track[0] and timestamp[0] are required";
    return RC_INVALID;
  }
  b->n = top + 1;
  for (int k = 0; k < b->n; k++) {
    struct scrobble *s = &b->s[k];
    long long at;
    if (!v[k][F_TIMESTAMP] ||
        str_parse_i64(v[k][F_TIMESTAMP], 0, 253402300799LL, &at)) {
      *why = arena_printf(a, "timestamp[%d] must be a UNIX time in seconds", k);
      return RC_INVALID;
    }
    b->at_s[k] = at;
    *s = (struct scrobble){.at_ms = at * 1000,
                           .duration_ms = -1,
                           .ms_played = -1,
                           .status = SCROBBLE_PENDING};
    s->artist = trimmed(a, v[k][F_ARTIST] ? v[k][F_ARTIST] : "");
    s->title = trimmed(a, v[k][F_TRACK] ? v[k][F_TRACK] : "");
    if (!s->artist || !s->title) return RC_NOMEM;
    if (!name_ok(s->artist))
      s->why = SCROBBLE_NO_ARTIST;
    else if (!name_ok(s->title))
      s->why = SCROBBLE_NO_TITLE;
    else if (at < now_s - LFM_MAX_AGE_S)
      s->why = SCROBBLE_TOO_OLD;
    else if (at > now_s + LFM_MAX_AHEAD_S)
      s->why = SCROBBLE_TOO_NEW;
    if (s->why) s->status = SCROBBLE_IGNORED;
    const char *al = v[k][F_ALBUM] ? trimmed(a, v[k][F_ALBUM]) : NULL;
    s->album = al && name_ok(al) ? al : NULL;
    const char *aa =
        v[k][F_ALBUM_ARTIST] ? trimmed(a, v[k][F_ALBUM_ARTIST]) : NULL;
    b->album_artist[k] = aa && name_ok(aa) ? aa : NULL;
    s->mbid = v[k][F_MBID] ? mbid_ok(a, v[k][F_MBID]) : NULL;
    long long dur;
    if (v[k][F_DURATION] && !str_parse_i64(v[k][F_DURATION], 1, 86400, &dur))
      s->duration_ms = dur * 1000;
  }
  return 0;
}

enum lfm_ignored lfm_ignored_code(enum scrobble_why why) {
  switch (why) {
  case SCROBBLE_NO_ARTIST:
    return LFM_IGNORED_ARTIST;
  case SCROBBLE_NO_TITLE:
  case SCROBBLE_TEXT_FULL:
    return LFM_IGNORED_TRACK;
  case SCROBBLE_TOO_OLD:
    return LFM_IGNORED_TOO_OLD;
  case SCROBBLE_TOO_NEW:
    return LFM_IGNORED_TOO_NEW;
  case SCROBBLE_DAILY_LIMIT:
    return LFM_IGNORED_DAILY;
  default:
    return LFM_IGNORED_NONE;
  }
}
