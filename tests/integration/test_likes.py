#!/usr/bin/python3
"""Likes through nginx: PUT/DELETE /api/v1/me/likes/{type}/{id} (idempotent,
404 for missing objects and invisible playlists), GET /api/v1/me/likes
(newest first, type filter, cursor), and the cache namespace bump of the
liked object.

Tracks and albums are created through the catalogue API as the stack's
admin; playlists and grants are seeded with SQL over the stack's socket."""

import os
import socket
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
from encore import call, check, expect  # noqa: E402
from test_listens import create, q, seed_track, sql  # noqa: E402

encore.require_stack()

LIKE = "/api/v1/me/likes/{type}/{id}"
LIKES = "/api/v1/me/likes"


def like(u, kind, oid, method="PUT", status=204):
    r = call(method, LIKE.format(type=kind, id=oid), token=u.access)
    return expect(r, status, method, LIKE)


def likes(u, query=""):
    r = call("GET", LIKES + query, token=u.access)
    return expect(r, 200, "GET", LIKES)


def seed_album():
    aid = create("/api/v1/artists", {"name": "Alb artist " + encore.unique("a")})
    return create("/api/v1/albums", {"title": "Album " + encore.unique("b"), "artist_id": aid})


def seed_playlist(owner, visibility):
    return int(sql("INSERT INTO playlists (owner_id, name, visibility) VALUES (%d, %s, '%s'); "
                   "SELECT LAST_INSERT_ID();" % (owner.id, q("PL " + encore.unique("p")),
                                                 visibility))[-1][0])


def kv(cmd):
    """One memcached ASCII command over the stack's socket; the raw answer."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(encore.stack()["ENCORE_KV_SOCKET"])
    s.sendall(cmd.encode())
    data = b""
    while not data.endswith((b"END\r\n", b"STORED\r\n", b"ERROR\r\n")):
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    return data.decode()


def test_like_unlike_idempotent():
    u = encore.new_user()
    t = seed_track("Liked " + encore.unique("t"), "Liker " + encore.unique("a"))
    like(u, "tracks", t)
    like(u, "tracks", t)
    page = likes(u)
    check([(i["type"], i["id"]) for i in page["items"]] == [("track", t)], repr(page))
    check(page["items"][0]["track"]["id"] == t and page["items"][0]["track"]["artists"],
          repr(page["items"][0]))
    check(sql("SELECT COUNT(*) FROM likes WHERE user_id = %d" % u.id)[0][0] == "1",
          "a second like stored a second row")
    like(u, "tracks", t, "DELETE")
    like(u, "tracks", t, "DELETE")
    check(likes(u)["items"] == [], "unliked track still listed")
    expect(call("PUT", LIKE.format(type="tracks", id=t)), 401, "PUT", LIKE)


def test_missing_objects_and_bad_paths_are_404():
    u = encore.new_user()
    t = seed_track("Here " + encore.unique("t"), "Here " + encore.unique("a"))
    for kind, oid in (("tracks", 999999999999), ("albums", 999999999999),
                      ("playlists", 999999999999), ("songs", t), ("track", t),
                      ("tracks", "abc"), ("tracks", "0"), ("tracks", "-1"),
                      ("tracks", "99999999999999999999"), ("tracks", "01")):
        for method in ("PUT", "DELETE"):
            p = like(u, kind, oid, method, 404)
            check(p["type"] == "urn:encore:problem:not-found", repr(p))
    check(likes(u)["items"] == [], "a failed like was stored")


def test_playlist_visibility():
    owner, other, granted = encore.new_user(), encore.new_user(), encore.new_user()
    public = seed_playlist(owner, "public")
    unlisted = seed_playlist(owner, "unlisted")
    private = seed_playlist(owner, "private")
    sql("INSERT INTO playlist_grants (playlist_id, user_id, access) VALUES (%d, %d, 'view')"
        % (private, granted.id))
    like(other, "playlists", public)
    like(other, "playlists", unlisted, status=404)  # opens by its key, not by id
    like(other, "playlists", private, status=404)
    like(other, "playlists", private, "DELETE", 404)
    like(granted, "playlists", private)
    like(owner, "playlists", private)
    page = likes(granted, "?type=playlist")
    check(page["items"][0]["playlist"]["owner"]["username"] == owner.username, repr(page))
    # Revoking the grant hides the like from the list; it can still be removed.
    sql("DELETE FROM playlist_grants WHERE playlist_id = %d" % private)
    check(likes(granted)["items"] == [], "an invisible playlist is listed")
    like(granted, "playlists", private, "DELETE")
    like(granted, "playlists", private, "DELETE", 404)


def test_list_newest_first_type_filter_and_cursor():
    u = encore.new_user()
    tracks = [seed_track("Many " + encore.unique("t"), "Many " + encore.unique("a"))
              for _ in range(4)]
    album = seed_album()
    for t in tracks:
        like(u, "tracks", t)
    like(u, "albums", album)
    # Same timestamps for all of them: the keyset must still be total.
    sql("UPDATE likes SET created_at = '2025-01-01 00:00:00.000' WHERE user_id = %d" % u.id)
    like(u, "tracks", tracks[0])  # no-op: stays where it is
    got, cursor = [], None
    while True:
        page = likes(u, "?limit=2" + ("&cursor=" + cursor if cursor else ""))
        got += [(i["type"], i["id"]) for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    check(len(got) == 5 and len(set(got)) == 5, "paged likes %r" % got)
    check(got[0] == ("album", album), "albums sort after tracks at equal times: %r" % got)
    only = likes(u, "?type=track&limit=100")["items"]
    check(sorted(i["id"] for i in only) == sorted(tracks) and
          all(i["type"] == "track" for i in only), repr(only))
    albums = likes(u, "?type=album")["items"]
    check([i["id"] for i in albums] == [album] and albums[0]["album"]["artist"]["name"], repr(albums))
    # Newest first once the times differ.
    sql("UPDATE likes SET created_at = '2025-02-01 00:00:00.000' WHERE user_id = %d "
        "AND object_type = 'track' AND object_id = %d" % (u.id, tracks[2]))
    check(likes(u, "?limit=1")["items"][0]["id"] == tracks[2], "not newest first")


def test_list_bad_queries():
    u = encore.new_user()
    for query, status in (("?type=tracks", 422), ("?type=", 422), ("?limit=101", 422),
                          ("?limit=0", 422), ("?cursor=bm9wZQ", 400), ("?cursor=%%%%", 400),
                          ("?cursor=MXw5fDE", 400)):
        r = call("GET", LIKES + query, token=u.access)
        if status == 400 and r.status_code == 400:
            encore.expect_problem(r, 400)
            continue
        expect(r, status, "GET", LIKES)
    expect(call("GET", LIKES), 401, "GET", LIKES)


def test_like_bumps_the_cache_namespace():
    u = encore.new_user()
    t = seed_track("Cached " + encore.unique("t"), "Cached " + encore.unique("a"))
    key = "ns:track:%d" % t
    check(kv("set %s 0 0 1\r\n1\r\n" % key).startswith("STORED"), "cannot seed memcached")
    like(u, "tracks", t)
    after_like = kv("get %s\r\n" % key)
    check("\r\n1\r\n" not in after_like, "liking did not bump %s: %r" % (key, after_like))
    check(kv("set %s 0 0 1\r\n2\r\n" % key).startswith("STORED"), "cannot seed memcached")
    like(u, "tracks", t)  # already liked: nothing changed, no bump needed
    like(u, "tracks", t, "DELETE")
    check("\r\n2\r\n" not in kv("get %s\r\n" % key), "unliking did not bump %s" % key)
    # Each object's JSON (cached by the catalogue and playlists) shows the
    # new like_count on the next read: no stale read after a like or unlike.
    owner = encore.new_user()
    objects = (("tracks", t, "/api/v1/tracks/{id}"),
               ("albums", seed_album(), "/api/v1/albums/{id}"),
               ("playlists", seed_playlist(owner, "public"), "/api/v1/playlists/{id}"))
    for kind, oid, route in objects:
        path = route.format(id=oid)

        def count():
            return expect(call("GET", path), 200, "GET", route)["like_count"]

        before = count()
        count()  # now cached
        like(u, kind, oid)
        check(count() == before + 1, "%s like_count stale after a like" % path)
        like(u, kind, oid, "DELETE")
        check(count() == before, "%s like_count stale after an unlike" % path)

if __name__ == "__main__":
    encore.main(globals())
