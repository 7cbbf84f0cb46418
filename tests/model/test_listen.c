/* test_listen: the pure parts of listening and likes: RFC 3339 timestamps
 * (offsets, fractions, impossible dates), their formatting, and the cursor
 * texts of history and likes pages. */
#include "core/rc.h"
#include "core/timefmt.h"
#include "model/dislike.h"
#include "model/like.h"
#include "model/listen.h"

#include <stdio.h>

#include "t.h"

static long long ms_of(const char *s) {
  long long ms = -1;
  return timefmt_parse(s, &ms) == 0 ? ms : -1;
}

static void parse_times(void) {
  /* Valid forms. */
  CHECK(ms_of("1970-01-01T00:00:00Z") == 0);
  CHECK(ms_of("2024-03-01T12:00:00Z") == 1709294400000LL);
  CHECK(ms_of("2024-03-01T12:00:00.5Z") == 1709294400500LL);
  CHECK(ms_of("2024-03-01T12:00:00.123456789Z") == 1709294400123LL);
  CHECK(ms_of("2024-03-01t12:00:00z") == 1709294400000LL);
  CHECK(ms_of("2024-03-01T13:30:00+01:30") == 1709294400000LL);
  CHECK(ms_of("2024-03-01T10:00:00-02:00") == 1709294400000LL);
  CHECK(ms_of("2024-02-29T00:00:00Z") == 1709164800000LL); /* leap year */
  CHECK(ms_of("2000-02-29T00:00:00Z") == 951782400000LL);
  CHECK(ms_of("2000-01-01T00:00:00Z") == LISTEN_EPOCH_MIN);
  /* Invalid forms. */
  const char *bad[] = {
      "",
      "2024-03-01",
      "2024-03-01T12:00:00",
      "2024-03-01 12:00:00Z",
      "2024-3-01T12:00:00Z",
      "2024-03-01T12:00Z",
      "2024-13-01T00:00:00Z",
      "2024-00-01T00:00:00Z",
      "2024-02-30T00:00:00Z",
      "2023-02-29T00:00:00Z",
      "1900-02-29T00:00:00Z",
      "2024-04-31T00:00:00Z",
      "2024-03-00T00:00:00Z",
      "2024-03-01T24:00:00Z",
      "2024-03-01T12:60:00Z",
      "2024-03-01T12:00:60Z",
      "2024-03-01T12:00:00.Z",
      "2024-03-01T12:00:00+0100",
      "2024-03-01T12:00:00+24:00",
      "2024-03-01T12:00:00Zjunk",
      "2024-03-01T12:00:00ZZ",
      "+2024-03-01T12:00:00Z",
      "yesterday",
      "2024-03-01T12:00:00+01:00 ",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    long long ms;
    if (timefmt_parse(bad[i], &ms) != RC_INVALID)
      fprintf(stderr, "accepted: %s\n", bad[i]);
    CHECK(timefmt_parse(bad[i], &ms) == RC_INVALID);
  }
}

static void format_round_trip(void) {
  char buf[40];
  /* Formatting round-trips with milliseconds. */
  timefmt_rfc3339(buf, sizeof buf, 1709294400123LL);
  CHECK_STR(buf, "2024-03-01T12:00:00.123Z");
  CHECK(ms_of(buf) == 1709294400123LL);
  timefmt_rfc3339(buf, sizeof buf, 0);
  CHECK_STR(buf, "1970-01-01T00:00:00.000Z");
}

static void history_cursors(void) {
  /* History cursors: "<ms>|<id>". */
  long long ms, id;
  CHECK(listen_parse_cursor("1709294400123|42", &ms, &id) == 0);
  CHECK(ms == 1709294400123LL && id == 42);
  CHECK(listen_parse_cursor("1|0", &ms, &id) == RC_INVALID);
  CHECK(listen_parse_cursor("|5", &ms, &id) == RC_INVALID);
  CHECK(listen_parse_cursor("5|", &ms, &id) == RC_INVALID);
  CHECK(listen_parse_cursor("5", &ms, &id) == RC_INVALID);
  CHECK(listen_parse_cursor("-5|1", &ms, &id) == RC_INVALID);
  CHECK(listen_parse_cursor("5|1|2", &ms, &id) == RC_INVALID);
  CHECK(listen_parse_cursor("123456789012345678901234|1", &ms, &id) ==
        RC_INVALID);
  CHECK(listen_parse_cursor("5|99999999999999999999", &ms, &id) == RC_INVALID);
}

static void like_cursors(void) {
  long long ms, id;
  /* Likes: types and cursors "<ms>|<type>|<id>". */
  enum like_type t;
  CHECK(like_type_parse("tracks", 1, &t) == 0 && t == LIKE_TRACK);
  CHECK(like_type_parse("playlists", 1, &t) == 0 && t == LIKE_PLAYLIST);
  CHECK(like_type_parse("album", 0, &t) == 0 && t == LIKE_ALBUM);
  CHECK(like_type_parse("track", 1, &t) == RC_INVALID);
  CHECK(like_type_parse("tracks", 0, &t) == RC_INVALID);
  CHECK(like_type_parse("trackss", 1, &t) == RC_INVALID);
  CHECK(like_type_parse("", 0, &t) == RC_INVALID);
  int ty;
  CHECK(like_parse_cursor("17|2|9", LIKE_PLAYLIST, &ms, &ty, &id) == 0);
  CHECK(ms == 17 && ty == LIKE_ALBUM && id == 9);
  CHECK(like_parse_cursor("17|4|9", LIKE_PLAYLIST, &ms, &ty, &id) ==
        RC_INVALID);
  CHECK(like_parse_cursor("17|0|9", LIKE_PLAYLIST, &ms, &ty, &id) ==
        RC_INVALID);
  CHECK(like_parse_cursor("17|1", LIKE_PLAYLIST, &ms, &ty, &id) == RC_INVALID);
  CHECK(like_parse_cursor("17|1|0", LIKE_PLAYLIST, &ms, &ty, &id) ==
        RC_INVALID);
  CHECK(like_parse_cursor("17|1|9|", LIKE_PLAYLIST, &ms, &ty, &id) ==
        RC_INVALID);
}

static void dislike_cursors(void) {
  long long ms, id;
  int ty;
  /* Dislikes share the cursor with their own type range. */
  enum dislike_type dt;
  CHECK(dislike_type_parse("artists", 1, &dt) == 0 && dt == DISLIKE_ARTIST);
  CHECK(dislike_type_parse("track", 0, &dt) == 0 && dt == DISLIKE_TRACK);
  CHECK(dislike_type_parse("albums", 1, &dt) == RC_INVALID);
  CHECK(dislike_type_parse("artist", 1, &dt) == RC_INVALID);
  CHECK(like_parse_cursor("17|2|9", DISLIKE_ARTIST, &ms, &ty, &id) == 0 &&
        ty == DISLIKE_ARTIST);
  CHECK(like_parse_cursor("17|3|9", DISLIKE_ARTIST, &ms, &ty, &id) ==
        RC_INVALID);
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  T_CASE(parse_times);
  T_CASE(format_round_trip);
  T_CASE(history_cursors);
  T_CASE(like_cursors);
  T_CASE(dislike_cursors);
  T_DONE();
}
