#!/usr/bin/python3
"""Dislikes ("not for me") through nginx: PUT/DELETE
/api/v1/me/dislikes/{type}/{id} (idempotent, 404 for missing objects and
bad types), GET /api/v1/me/dislikes (newest first, type filter, cursor),
and the rule that a track is liked or disliked, not both.

Tracks and artists are created through the catalogue API as the stack's
admin."""

import base64
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
from encore import call, check, expect  # noqa: E402
from test_listens import create, seed_track, sql  # noqa: E402

encore.require_stack()

DISLIKE = "/api/v1/me/dislikes/{type}/{id}"
DISLIKES = "/api/v1/me/dislikes"
LIKE = "/api/v1/me/likes/{type}/{id}"
LIKES = "/api/v1/me/likes"


def dislike(u, kind, oid, method="PUT", status=204):
    r = call(method, DISLIKE.format(type=kind, id=oid), token=u.access)
    return expect(r, status, method, DISLIKE)


def like(u, kind, oid, method="PUT"):
    r = call(method, LIKE.format(type=kind, id=oid), token=u.access)
    return expect(r, 204, method, LIKE)


def dislikes(u, query=""):
    r = call("GET", DISLIKES + query, token=u.access)
    return expect(r, 200, "GET", DISLIKES)


def seed_artist():
    return create("/api/v1/artists", {"name": "Meh " + encore.unique("a")})


def stored(u):
    return sorted(tuple(r) for r in sql(
        "SELECT object_type, object_id FROM dislikes WHERE user_id = %d" % u.id))


def test_dislike_undislike_idempotent():
    u = encore.new_user()
    t = seed_track("Meh " + encore.unique("t"), "Meh " + encore.unique("a"))
    a = seed_artist()
    dislike(u, "tracks", t)
    dislike(u, "tracks", t)
    dislike(u, "artists", a)
    check(stored(u) == sorted([("track", str(t)), ("artist", str(a))]),
          "stored %r" % stored(u))
    page = dislikes(u)
    check([(i["type"], i["id"]) for i in page["items"]] in
          ([("artist", a), ("track", t)], [("track", t), ("artist", a)]), repr(page))
    by_type = {i["type"]: i for i in page["items"]}
    check(by_type["track"]["track"]["id"] == t and
          by_type["track"]["track"]["artists"][0]["role"] == "primary", repr(by_type))
    check(by_type["artist"]["artist"]["id"] == a and
          by_type["artist"]["artist"]["name"].startswith("Meh "), repr(by_type))
    dislike(u, "tracks", t, "DELETE")
    dislike(u, "tracks", t, "DELETE")
    check(stored(u) == [("artist", str(a))], "undisliked track still stored")
    check([i["id"] for i in dislikes(u)["items"]] == [a], "undisliked track still listed")
    # Another user's dislikes are theirs alone.
    check(dislikes(encore.new_user())["items"] == [], "dislikes leak across users")
    for method in ("PUT", "DELETE"):
        expect(call(method, DISLIKE.format(type="tracks", id=t)), 401, method, DISLIKE)
    expect(call("GET", DISLIKES), 401, "GET", DISLIKES)


def test_missing_objects_and_bad_paths_are_404():
    u = encore.new_user()
    t = seed_track("There " + encore.unique("t"), "There " + encore.unique("a"))
    a = seed_artist()
    for kind, oid in (("tracks", 999999999999), ("artists", 999999999999),
                      ("albums", t), ("playlists", t), ("track", t), ("artist", a),
                      ("songs", t), ("", t), ("tracks", "abc"), ("tracks", "0"),
                      ("tracks", "-1"), ("artists", "99999999999999999999"),
                      ("artists", "01"), ("tracks", "1.5")):
        for method in ("PUT", "DELETE"):
            p = dislike(u, kind, oid, method, 404)
            check(p["type"] == "urn:encore:problem:not-found", repr(p))
    check(stored(u) == [], "a failed dislike was stored")


def test_like_and_dislike_exclude_each_other():
    u = encore.new_user()
    t = seed_track("Torn " + encore.unique("t"), "Torn " + encore.unique("a"))
    path = "/api/v1/tracks/%d" % t

    def like_count():
        return expect(call("GET", path), 200, "GET", "/api/v1/tracks/{id}")["like_count"]

    like(u, "tracks", t)
    check(like_count() == 1, "like not counted")
    dislike(u, "tracks", t)
    liked = [i["id"] for i in expect(call("GET", LIKES, token=u.access), 200, "GET",
                                     LIKES)["items"]]
    check(liked == [], "disliking kept the like: %r" % liked)
    check(like_count() == 0, "like_count stale after a dislike removed the like")
    check([i["id"] for i in dislikes(u)["items"]] == [t], "dislike not listed")
    like(u, "tracks", t)
    check(dislikes(u)["items"] == [], "liking kept the dislike")
    check(like_count() == 1, "like not counted again")
    # Disliking an artist leaves the likes of its tracks alone: the two
    # say different things (this song, but not their usual sound).
    artist = int(sql("SELECT artist_id FROM track_artists WHERE track_id = %d" % t)[0][0])
    dislike(u, "artists", artist)
    check(like_count() == 1, "an artist dislike removed a track like")


def test_list_newest_first_type_filter_and_cursor():
    u = encore.new_user()
    tracks = [seed_track("Many " + encore.unique("t"), "Many " + encore.unique("a"))
              for _ in range(3)]
    artists = [seed_artist() for _ in range(2)]
    for t in tracks:
        dislike(u, "tracks", t)
    for a in artists:
        dislike(u, "artists", a)
    # Same timestamps for all of them: the keyset must still be total.
    sql("UPDATE dislikes SET created_at = '2025-01-01 00:00:00.000' WHERE user_id = %d" % u.id)
    dislike(u, "tracks", tracks[0])  # no-op: stays where it is
    got, cursor = [], None
    while True:
        page = dislikes(u, "?limit=2" + ("&cursor=" + cursor if cursor else ""))
        check(len(page["items"]) <= 2, "page longer than its limit")
        got += [(i["type"], i["id"]) for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    want = [("artist", a) for a in sorted(artists, reverse=True)] + \
           [("track", t) for t in sorted(tracks, reverse=True)]
    check(got == want, "paged dislikes %r, expected %r" % (got, want))
    only = dislikes(u, "?type=track&limit=100")["items"]
    check(sorted(i["id"] for i in only) == sorted(tracks) and
          all(i["type"] == "track" for i in only), repr(only))
    only = dislikes(u, "?type=artist")["items"]
    check(sorted(i["id"] for i in only) == sorted(artists), repr(only))
    # Newest first once the times differ.
    sql("UPDATE dislikes SET created_at = '2025-02-01 00:00:00.000' WHERE user_id = %d "
        "AND object_type = 'track' AND object_id = %d" % (u.id, tracks[1]))
    check(dislikes(u, "?limit=1")["items"][0]["id"] == tracks[1], "not newest first")
    # A deleted object leaves the list; its dislike can still be taken back.
    expect(call("DELETE", "/api/v1/artists/%d" % artists[0], token=encore.admin().access),
           204, "DELETE", "/api/v1/artists/{id}")
    check(artists[0] not in [i["id"] for i in dislikes(u, "?type=artist")["items"]],
          "a deleted artist is listed")
    dislike(u, "artists", artists[0], "DELETE")
    dislike(u, "artists", artists[0], "DELETE", 404)


def cursor_of(text):
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def test_list_bad_queries():
    u = encore.new_user()
    for query, status in (("?type=tracks", 422), ("?type=album", 422), ("?type=", 422),
                          ("?limit=101", 422), ("?limit=0", 422), ("?limit=-1", 422),
                          ("?limit=abc", 422), ("?cursor=bm9wZQ", 400), ("?cursor=%%%%", 400),
                          # a likes cursor of a playlist: no such dislike type
                          ("?cursor=" + cursor_of("1700000000000|3|5"), 400),
                          ("?cursor=" + cursor_of("1700000000000|0|5"), 400),
                          ("?cursor=" + cursor_of("1700000000000|1|0"), 400)):
        r = call("GET", DISLIKES + query, token=u.access)
        if status == 400:
            encore.expect_problem(r, 400)
            continue
        p = expect(r, status, "GET", DISLIKES)
        if query.startswith("?type"):
            check([e["field"] for e in p["errors"]] == ["type"], repr(p))
    # A well-formed cursor past everything: an empty last page.
    page = dislikes(u, "?cursor=" + cursor_of("1000|1|1"))
    check(page == {"items": [], "next_cursor": None}, repr(page))


if __name__ == "__main__":
    encore.main(globals())
