/* test_lastfm: a track.scrobble request's scrobbles read from its
 * parameters (api/lfm_batch.c): indexed and plain forms, the limits that
 * refuse the whole request (51 scrobbles, an index past 49 or not plain
 * decimal, a parameter twice, a missing or bad timestamp, the two forms
 * mixed) and those that ignore one scrobble with Last.fm's code (no
 * artist or track, too long a name, too old, too new); optional fields
 * kept or left out. */
#include <stdio.h>
#include <string.h>

#include "api/lfm.h"
#include "core/arena.h"
#include "core/rc.h"

#include "t.h"

#define NOW 1767323045LL

static struct arena *a;

/* kv: pairs from "name=value" strings. */
static int kv(struct req_kv *out, const char *const *s, int n) {
  for (int i = 0; i < n; i++) {
    const char *eq = strchr(s[i], '=');
    out[i] =
        (struct req_kv){arena_strndup(a, s[i], (size_t)(eq - s[i])), eq + 1};
  }
  return n;
}

static int parse(const char *const *s, int n, struct lfm_batch *b,
                 const char **why) {
  struct req_kv p[64];
  *why = NULL;
  return lfm_batch_parse(a, p, kv(p, s, n), NOW, b, why);
}

static void batches(void) {
  struct lfm_batch *b = arena_alloc(a, sizeof *b);
  const char *why;
  char ts[32];
  snprintf(ts, sizeof ts, "timestamp[0]=%lld", NOW - 60);

  const char *one[] = {"artist[0]=Massive Attack",
                       "track[0]=Teardrop",
                       ts,
                       "album[0]=Mezzanine",
                       "duration[0]=330",
                       "mbid[0]=0E2F8F1D-A2F5-4ADB-8C3C-4F2A3C7C2B3A",
                       "method=track.scrobble",
                       "api_key=k",
                       "sk=s"};
  CHECK_INT(parse(one, 9, b, &why), 0);
  CHECK_INT(b->n, 1);
  CHECK_INT(b->s[0].status, SCROBBLE_PENDING);
  CHECK_STR(b->s[0].artist, "Massive Attack");
  CHECK_STR(b->s[0].album, "Mezzanine");
  CHECK_INT(b->s[0].duration_ms, 330000);
  CHECK_STR(b->s[0].mbid, "0e2f8f1d-a2f5-4adb-8c3c-4f2a3c7c2b3a");
  CHECK_INT(b->at_s[0], NOW - 60);

  /* the plain form: one scrobble */
  char pts[32];
  snprintf(pts, sizeof pts, "timestamp=%lld", NOW);
  const char *plain[] = {"artist=A", "track=T", pts};
  CHECK_INT(parse(plain, 3, b, &why), 0);
  CHECK_INT(b->n, 1);
  const char *mixed[] = {"artist=A", "track[0]=T", ts};
  CHECK_INT(parse(mixed, 3, b, &why), RC_INVALID);

  /* 50 is the most; 51 (index 50) refuses the request */
  struct req_kv many[160];
  char names[160][24], vals[160][24];
  for (int i = 0; i < 51; i++) {
    snprintf(names[3 * i], 24, "artist[%d]", i);
    snprintf(names[3 * i + 1], 24, "track[%d]", i);
    snprintf(names[3 * i + 2], 24, "timestamp[%d]", i);
    snprintf(vals[3 * i + 2], 24, "%lld", NOW - i);
    many[3 * i] = (struct req_kv){names[3 * i], "A"};
    many[3 * i + 1] = (struct req_kv){names[3 * i + 1], "T"};
    many[3 * i + 2] = (struct req_kv){names[3 * i + 2], vals[3 * i + 2]};
  }
  CHECK_INT(lfm_batch_parse(a, many, 150, NOW, b, &why), 0);
  CHECK_INT(b->n, 50);
  CHECK_INT(lfm_batch_parse(a, many, 153, NOW, b, &why), RC_INVALID);
  CHECK(why && strstr(why, "50"));

  const char *bad_index[] = {"artist[01]=A", "track[01]=T", "timestamp[01]=1"};
  CHECK_INT(parse(bad_index, 3, b, &why), RC_INVALID);
  const char *neg[] = {"artist[-1]=A"};
  CHECK_INT(parse(neg, 1, b, &why), RC_INVALID);
  const char *twice[] = {"artist[0]=A", "artist[0]=B", "track[0]=T", ts};
  CHECK_INT(parse(twice, 4, b, &why), RC_INVALID);
  const char *no_ts[] = {"artist[0]=A", "track[0]=T"};
  CHECK_INT(parse(no_ts, 2, b, &why), RC_INVALID);
  const char *bad_ts[] = {"artist[0]=A", "track[0]=T", "timestamp[0]=12x"};
  CHECK_INT(parse(bad_ts, 3, b, &why), RC_INVALID);
  const char *none[] = {"method=track.scrobble"};
  CHECK_INT(parse(none, 1, b, &why), RC_INVALID);

  /* ignored one by one, with Last.fm's codes */
  char old[32], ahead[32], gap[32];
  snprintf(old, sizeof old, "timestamp[1]=%lld", NOW - LFM_MAX_AGE_S - 1);
  snprintf(ahead, sizeof ahead, "timestamp[2]=%lld", NOW + 3600);
  snprintf(gap, sizeof gap, "timestamp[3]=%lld", NOW);
  char longname[300];
  memset(longname, 'x', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  const char *artist3 = arena_printf(a, "artist[3]=%s", longname);
  const char *bag[] = {"artist[0]=  ", "track[0]=T", ts,
                       "artist[1]=A",  "track[1]=T", old,
                       "artist[2]=A",  "track[2]=T", ahead,
                       artist3,        "track[3]=T", gap,
                       "artist[4]=A",  "track[4]=",  "timestamp[4]=1767323000"};
  CHECK_INT(parse(bag, 15, b, &why), 0);
  CHECK_INT(b->n, 5);
  CHECK_INT(lfm_ignored_code(b->s[0].why), LFM_IGNORED_ARTIST);
  CHECK_INT(lfm_ignored_code(b->s[1].why), LFM_IGNORED_TOO_OLD);
  CHECK_INT(lfm_ignored_code(b->s[2].why), LFM_IGNORED_TOO_NEW);
  CHECK_INT(lfm_ignored_code(b->s[3].why), LFM_IGNORED_ARTIST);
  CHECK_INT(lfm_ignored_code(b->s[4].why), LFM_IGNORED_TRACK);
  for (int i = 0; i < 5; i++)
    CHECK_INT(b->s[i].status, SCROBBLE_IGNORED);

  /* a bad mbid or duration is left out, the scrobble kept */
  const char *loose[] = {
      "artist[0]=A", "track[0]=T",      ts, "mbid[0]=nope", "duration[0]=-4",
      "album[0]=",   "trackNumber[0]=3"};
  CHECK_INT(parse(loose, 7, b, &why), 0);
  CHECK_INT(b->s[0].status, SCROBBLE_PENDING);
  CHECK(b->s[0].mbid == NULL);
  CHECK_INT(b->s[0].duration_ms, -1);
  CHECK(b->s[0].album == NULL);
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  a = arena_new(0);
  T_CASE(batches);
  arena_free(a);
  T_DONE();
}
