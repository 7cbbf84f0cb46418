#!/usr/bin/python3
"""The catalogue through nginx: artists, albums, tracks and genres (CRUD,
lists, validation, refuse-while-referenced deletes, the track delete
cascade), lyrics, album art (re-encoded, content-hashed files served by
nginx, no orphan and no shared file deleted), and cache coherence: a read
after a write never sees the old JSON, including the names and titles a
track or an album embeds."""

import hashlib
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
import images  # noqa: E402
from encore import call, check, expect  # noqa: E402
from images import png  # noqa: E402

encore.require_stack()

ARTISTS, ARTIST = "/api/v1/artists", "/api/v1/artists/{id}"
ARTIST_ALBUMS, ARTIST_TRACKS = "/api/v1/artists/{id}/albums", "/api/v1/artists/{id}/tracks"
ALBUMS, ALBUM = "/api/v1/albums", "/api/v1/albums/{id}"
ALBUM_TRACKS, ART = "/api/v1/albums/{id}/tracks", "/api/v1/albums/{id}/art"
TRACKS, TRACK = "/api/v1/tracks", "/api/v1/tracks/{id}"
LYRICS, GENRES = "/api/v1/tracks/{id}/lyrics", "/api/v1/genres"


def sql(query):
    """Run SQL as the stack's database user; rows as lists of strings."""
    c, s = encore.conf(), encore.secrets_conf()
    with tempfile.NamedTemporaryFile("w", suffix=".cnf", delete=False) as f:
        f.write("[client]\nsocket=%s\nuser=%s\npassword=%s\ndatabase=%s\n" % (
            c.get("db_socket") or encore.stack()["ENCORE_DB_SOCKET"],
            c.get("db_user", "encore"), s.get("db_password", ""),
            c.get("db_name", "encore")))
        cnf = f.name
    try:
        out = subprocess.run(["mariadb", "--defaults-file=" + cnf, "-N", "-B",
                              "--default-character-set=utf8mb4", "-e", query],
                             capture_output=True, check=True, timeout=30).stdout
    finally:
        os.unlink(cnf)
    return [line.split("\t") for line in out.decode().splitlines()]


def kv(cmd):
    """One memcached ASCII command over the stack's socket; the raw answer."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(encore.stack()["ENCORE_KV_SOCKET"])
    s.sendall(cmd)
    data = b""
    while not data.endswith((b"END\r\n", b"STORED\r\n", b"ERROR\r\n")):
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return data


def kv_value(key):
    """The value of key, or None."""
    data = kv(b"get " + key.encode() + b"\r\n")
    if not data.startswith(b"VALUE "):
        return None
    head, rest = data.split(b"\r\n", 1)
    return rest[:int(head.split()[3])]


def tok():
    return encore.admin().access


def path(route, oid):
    return route.replace("{id}", str(oid))


def create(route, body, status=201):
    r = call("POST", route, token=tok(), json_body=body)
    return expect(r, status, "POST", route)


def get(route, oid=None, status=200):
    r = call("GET", path(route, oid) if oid is not None else route)
    return expect(r, status, "GET", route)


def patch(route, oid, body, status=200):
    r = call("PATCH", path(route, oid), token=tok(), json_body=body)
    return expect(r, status, "PATCH", route)


def delete(route, oid, status=204):
    r = call("DELETE", path(route, oid), token=tok())
    return expect(r, status, "DELETE", route)


def new_artist(**kw):
    body = {"name": encore.unique("Artist")}
    body.update(kw)
    return create(ARTISTS, body)


def new_album(artist_id, **kw):
    body = {"title": encore.unique("Album"), "artist_id": artist_id}
    body.update(kw)
    return create(ALBUMS, body)


def new_track(artist_id, **kw):
    body = {"title": encore.unique("Track"), "artists": [{"id": artist_id}],
            "duration_ms": 180000}
    body.update(kw)
    return create(TRACKS, body)


def invalid(r, method, route, *fields):
    p = expect(r, 422, method, route)
    named = encore.error_fields(p)
    for f in fields:
        check(f in named, "422 errors %r do not name %r" % (p.get("errors"), f))


def jpeg_header(w, h):
    """The start of a baseline JPEG: SOI, an APP0 segment, SOF0 with the size."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, h, w, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof + b"\xff\xd9"


def put_art(album_id, body, ctype, status=200):
    r = call("PUT", path(ART, album_id), token=tok(), data=body,
             headers={"Content-Type": ctype})
    return expect(r, status, "PUT", ART)


def media_file(art_url):
    media = encore.stack()["ENCORE_MEDIA_DIR"]
    check(art_url.startswith("/media/art/"), "art_url %r" % art_url)
    return os.path.join(media, art_url[len("/media/"):])


# --------------------------------------------------------------------------


def test_crud_and_shapes():
    ar = new_artist(bio="Soul.", country="US", genres=["Jazz " + encore.unique("g")],
                    image_url="https://img.example.org/a.jpg",
                    external_ids={"musicbrainz": "0b7a1ad4-24a7-4a5e-b3dd-a5b5e0c8b1a4"})
    check(ar["country"] == "US" and ar["bio"] == "Soul." and len(ar["genres"]) == 1, repr(ar))
    check(ar["external_ids"] == {"musicbrainz": "0b7a1ad4-24a7-4a5e-b3dd-a5b5e0c8b1a4",
                                 "spotify": None, "apple_music": None}, repr(ar))
    check(get(ARTIST, ar["id"]) == ar, "GET differs from the POST answer")
    al = new_album(ar["id"], type="ep", release_date="1999-12-31", label="Label")
    check(al["artist"] == {"id": ar["id"], "name": ar["name"]} and al["type"] == "ep" and
          al["release_date"] == "1999-12-31" and al["track_count"] == 0 and
          al["art_url"] is None, repr(al))
    feat = new_artist()
    tr = new_track(ar["id"], artists=[{"id": ar["id"]}, {"id": feat["id"], "role": "featured"}],
                   album_id=al["id"], track_number=3, isrc="GBAYE6900123", explicit=True,
                   audio_features={"tempo": 120.5, "energy": 0.8}, genres=["rock", "Pop"],
                   release_date="2000-02-29")
    check([(a["id"], a["role"]) for a in tr["artists"]] ==
          [(ar["id"], "primary"), (feat["id"], "featured")], repr(tr["artists"]))
    check(tr["album"] == {"id": al["id"], "title": al["title"]}, repr(tr["album"]))
    check(tr["audio_features"]["tempo"] == 120.5 and tr["audio_features"]["energy"] == 0.8 and
          tr["audio_features"]["valence"] is None, repr(tr["audio_features"]))
    check(tr["isrc"] == "GBAYE6900123" and tr["explicit"] is True and
          sorted(tr["genres"]) == ["Pop", "rock"] and tr["has_lyrics"] is False, repr(tr))
    check(get(ALBUM, al["id"])["track_count"] == 1, "album track_count not 1")
    # PATCH changes only what it names; null clears.
    tr2 = patch(TRACK, tr["id"], {"audio_features": {"energy": None}, "isrc": None})
    check(tr2["audio_features"]["tempo"] == 120.5 and tr2["audio_features"]["energy"] is None and
          tr2["isrc"] is None and tr2["title"] == tr["title"], repr(tr2))
    tr3 = patch(TRACK, tr["id"], {"audio_features": None, "album_id": None})
    check(tr3["audio_features"] is None and tr3["album"] is None, repr(tr3))
    check(get(ALBUM, al["id"])["track_count"] == 0, "album track_count after the move")
    # Listings of the artist.
    items = get(ARTIST_TRACKS, feat["id"])["items"]
    check([t["id"] for t in items] == [tr["id"]], "featured artist's tracks %r" % items)
    check([a["id"] for a in get(ARTIST_ALBUMS, ar["id"])["items"]] == [al["id"]], "artist albums")
    delete(TRACK, tr["id"])
    get(TRACK, tr["id"], status=404)
    delete(ALBUM, al["id"])
    delete(ARTIST, ar["id"])
    delete(ARTIST, feat["id"])
    get(ARTIST, ar["id"], status=404)


def test_stale_reads_never_happen():
    """Read (warming the cache), write, read again: for each type, and for
    the names a track and an album embed."""
    ar = new_artist()
    al = new_album(ar["id"])
    tr = new_track(ar["id"], album_id=al["id"])
    for route, oid in ((ARTIST, ar["id"]), (ALBUM, al["id"]), (TRACK, tr["id"])):
        get(route, oid)
        get(route, oid)  # surely cached now
    check(patch(ARTIST, ar["id"], {"bio": "new bio"})["bio"] == "new bio", "PATCH answer")
    check(get(ARTIST, ar["id"])["bio"] == "new bio", "stale artist after PATCH")
    patch(ALBUM, al["id"], {"label": "New Label"})
    check(get(ALBUM, al["id"])["label"] == "New Label", "stale album after PATCH")
    patch(TRACK, tr["id"], {"duration_ms": 123456})
    check(get(TRACK, tr["id"])["duration_ms"] == 123456, "stale track after PATCH")
    # Rename the artist: the cached track and album embed the old name.
    get(TRACK, tr["id"])
    get(ALBUM, al["id"])
    renamed = encore.unique("Renamed")
    patch(ARTIST, ar["id"], {"name": renamed})
    check(get(TRACK, tr["id"])["artists"][0]["name"] == renamed, "track shows the old artist name")
    check(get(ALBUM, al["id"])["artist"]["name"] == renamed, "album shows the old artist name")
    # Retitle the album: the cached track embeds the old title.
    retitled = encore.unique("Retitled")
    patch(ALBUM, al["id"], {"title": retitled})
    check(get(TRACK, tr["id"])["album"]["title"] == retitled, "track shows the old album title")
    # A new track changes the album's track_count.
    check(get(ALBUM, al["id"])["track_count"] == 1, "track_count")
    tr2 = new_track(ar["id"], album_id=al["id"])
    check(get(ALBUM, al["id"])["track_count"] == 2, "stale track_count after a new track")
    delete(TRACK, tr2["id"])
    check(get(ALBUM, al["id"])["track_count"] == 1, "stale track_count after a delete")
    # Lyrics show in has_lyrics.
    check(get(TRACK, tr["id"])["has_lyrics"] is False, "has_lyrics")
    r = call("PUT", path(LYRICS, tr["id"]), token=tok(), json_body={"plain": "la la"})
    expect(r, 200, "PUT", LYRICS)
    check(get(TRACK, tr["id"])["has_lyrics"] is True, "stale has_lyrics after PUT lyrics")
    # A deleted object is gone at once.
    delete(TRACK, tr["id"])
    get(TRACK, tr["id"], status=404)


def test_reads_go_through_memcached():
    """A read stores the JSON under the object's namespace version, and the
    next read is served from there (so the stale-read tests above test the
    cache, not MariaDB)."""
    ar = new_artist()
    tr = new_track(ar["id"])
    for kind, route, oid in (("track", TRACK, tr["id"]), ("artist", ARTIST, ar["id"])):
        body = get(route, oid)
        ver = kv_value("ns:%s:%d" % (kind, oid))
        entry = kv_value("%s:%d:json" % (kind, oid))
        check(ver and entry and entry.startswith(ver + b"\n"),
              "%s %d not cached under its version: %r / %r" % (kind, oid, ver, entry))
        check(json.loads(entry[len(ver) + 1:]) == body, "cached JSON differs from the answer")
        # Plant a marked copy under the current version: the next read shows it.
        marked = dict(body, popularity=4242)
        value = ver + b"\n" + json.dumps(marked).encode()
        check(kv(b"set %s:%d:json 0 0 %d\r\n" % (kind.encode(), oid, len(value)) + value + b"\r\n")
              .startswith(b"STORED"), "cannot plant a cache entry")
        check(get(route, oid)["popularity"] == 4242, "%s read did not come from memcached" % kind)
        # A write bumps the version: the planted copy is dead.
        patch(route, oid, {"genres": ["after-" + kind]})
        again = get(route, oid)
        check(again["popularity"] == body["popularity"] and again["genres"] == ["after-" + kind],
              "stale %s after a write: %r" % (kind, again))


def test_concurrent_patches_keep_both_changes():
    """Two editors PATCH different fields of one object at once: the last
    value of each survives (a PATCH never writes back a stale field)."""
    ar = new_artist()
    tr = new_track(ar["id"])
    cases = ((ARTIST, ar["id"], lambda i: {"bio": "a%d" % i},
              lambda i: {"image_url": "https://img.example.org/b%d.jpg" % i}),
             (TRACK, tr["id"], lambda i: {"title": "a%d" % i},
              lambda i: {"duration_ms": 1000 + i}))
    for route, oid, one, other in cases:
        errors = []

        def editor(make):
            for i in range(15):
                for _ in range(5):
                    r = call("PATCH", path(route, oid), token=tok(), json_body=make(i))
                    if r.status_code != 409:
                        break
                if r.status_code != 200:
                    errors.append("%d %s" % (r.status_code, r.text[:200]))
        encore.admin()
        threads = [threading.Thread(target=editor, args=(f,)) for f in (one, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        check(not errors, "PATCH failed: %r" % errors[:3])
        got = get(route, oid)
        for k, v in list(one(14).items()) + list(other(14).items()):
            check(got[k] == v, "%s %s is %r after concurrent PATCHes, expected %r" % (
                route, k, got[k], v))


def test_etag():
    ar = new_artist()
    r = call("GET", path(ARTIST, ar["id"]))
    expect(r, 200, "GET", ARTIST)
    etag = r.headers["ETag"]
    r = call("GET", path(ARTIST, ar["id"]), headers={"If-None-Match": etag})
    expect(r, 304, "GET", ARTIST)
    patch(ARTIST, ar["id"], {"bio": "changed"})
    r = call("GET", path(ARTIST, ar["id"]), headers={"If-None-Match": etag})
    expect(r, 200, "GET", ARTIST)
    check(r.headers["ETag"] != etag, "the ETag did not change with the artist")


def test_delete_refused_while_referenced():
    ar = new_artist()
    al = new_album(ar["id"])
    delete(ARTIST, ar["id"], status=409)
    tr = new_track(ar["id"], album_id=al["id"])
    delete(ALBUM, al["id"], status=409)
    other = new_artist()
    patch(ALBUM, al["id"], {"artist_id": other["id"]})
    delete(ARTIST, ar["id"], status=409)  # still credited on the track
    patch(TRACK, tr["id"], {"artists": [{"id": other["id"]}]})
    delete(ARTIST, ar["id"])
    patch(TRACK, tr["id"], {"album_id": None})
    delete(ALBUM, al["id"])
    delete(TRACK, tr["id"])
    delete(ARTIST, other["id"])
    delete(ARTIST, other["id"], status=404)


def held_write(statement):
    """A mariadb session that has run `statement` in a transaction it keeps
    open (holding its row locks) until commit() is called on it."""
    c, s = encore.conf(), encore.secrets_conf()
    session = subprocess.Popen(
        ["mariadb", "--socket=" + (c.get("db_socket") or encore.stack()["ENCORE_DB_SOCKET"]),
         "-u", c.get("db_user", "encore"), "--password=" + s.get("db_password", ""),
         c.get("db_name", "encore"), "-N", "-B", "--unbuffered"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    session.stdin.write("BEGIN; %s; SELECT 'held';\n" % statement)
    session.stdin.flush()
    check(session.stdout.readline().strip() == "held", "the session could not write")

    def commit():
        session.stdin.write("COMMIT;\n")
        session.stdin.close()
        session.wait(timeout=30)
    return commit


def test_delete_racing_a_new_reference_is_409():
    """A track (album) written to an album (artist) while the album (artist)
    is being deleted: the delete's own check saw none, the foreign key then
    refuses the DELETE. That is the 409 of a refusal found up front, not a
    503."""
    ar = new_artist()
    al = new_album(ar["id"])
    moved = new_album(new_artist()["id"])
    tag = encore.unique("race")
    cases = [
        (ALBUM, al["id"], "INSERT INTO tracks (title, duration_ms, album_id) "
                          "VALUES ('%s', 1000, %d)" % (tag, al["id"])),
        (ARTIST, ar["id"], "UPDATE albums SET artist_id = %d WHERE id = %d" % (
            ar["id"], moved["id"])),
    ]
    for route, oid, statement in cases:
        if route == ARTIST:  # the artist keeps no album: its check passes
            sql("DELETE FROM tracks WHERE title = '%s'; DELETE FROM albums WHERE id = %d"
                % (tag, al["id"]))
        commit = held_write(statement)
        answer = []
        th = threading.Thread(target=lambda: answer.append(
            call("DELETE", path(route, oid), token=tok())))
        th.start()
        th.join(1.0)
        waiting = th.is_alive()  # for the session's lock: its check passed
        commit()
        th.join(30)
        check(waiting, "the DELETE of %s did not wait for the new reference: %r" % (
            route, answer and answer[0].text))
        p = expect(answer[0], 409, "DELETE", route)
        check("still has" in p["detail"], "409 detail %r" % p["detail"])


def test_track_delete_cascades():
    ar = new_artist()
    t = [new_track(ar["id"])["id"] for _ in range(3)]
    u = encore.new_user()
    pid = sql("INSERT INTO playlists (owner_id, name, track_count) VALUES (%d, 'cascade', 3); "
              "SELECT LAST_INSERT_ID();" % u.id)[-1][0]
    sql("INSERT INTO playlist_tracks (playlist_id, position, track_id) VALUES "
        "(%s, 0, %d), (%s, 1, %d), (%s, 2, %d)" % (pid, t[0], pid, t[1], pid, t[2]))
    sql("INSERT INTO likes (user_id, object_type, object_id) VALUES (%d, 'track', %d)" % (u.id, t[1]))
    sql("INSERT INTO listens (user_id, track_id, listened_at) VALUES (%d, %d, NOW(3))" % (u.id, t[1]))
    snap = sql("SELECT snapshot FROM playlists WHERE id = %s" % pid)[0][0]
    delete(TRACK, t[1])
    rows = sql("SELECT position, track_id FROM playlist_tracks WHERE playlist_id = %s "
               "ORDER BY position" % pid)
    check(rows == [["0", str(t[0])], ["1", str(t[2])]], "playlist not renumbered: %r" % rows)
    pl = sql("SELECT track_count, snapshot FROM playlists WHERE id = %s" % pid)[0]
    check(pl[0] == "2" and int(pl[1]) > int(snap), "playlist count/snapshot %r" % pl)
    check(sql("SELECT COUNT(*) FROM likes WHERE object_type = 'track' AND object_id = %d"
              % t[1])[0][0] == "0", "the like survived the track")
    check(sql("SELECT COUNT(*) FROM listens WHERE track_id = %d" % t[1])[0][0] == "0",
          "the listen survived the track")


def test_lists_and_pagination():
    g = encore.unique("genre")
    ar = new_artist(genres=[g])
    al = new_album(ar["id"], genres=[g])
    order = [(2, 1), (1, 2), (1, None), (1, 1), (2, 3)]
    ids = {}
    for disc, num in order:
        ids[(disc, num)] = new_track(ar["id"], album_id=al["id"], disc_number=disc,
                                     track_number=num, genres=[g])["id"]
    want = [ids[k] for k in ((1, 1), (1, 2), (1, None), (2, 1), (2, 3))]
    got, cursor = [], None
    for _ in range(5):
        q = "?limit=2" + ("&cursor=" + cursor if cursor else "")
        page = expect(call("GET", path(ALBUM_TRACKS, al["id"]) + q), 200, "GET", ALBUM_TRACKS)
        got += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    check(got == want, "album tracks in %r, expected disc/track order %r" % (got, want))
    page = expect(call("GET", TRACKS + "?genre=" + g), 200, "GET", TRACKS)
    check(sorted(t["id"] for t in page["items"]) == sorted(want), "genre filter on tracks")
    page = expect(call("GET", ARTISTS + "?genre=" + g.upper()), 200, "GET", ARTISTS)
    check([a["id"] for a in page["items"]] == [ar["id"]], "genre filter on artists (any case)")
    page = expect(call("GET", ALBUMS + "?genre=" + g), 200, "GET", ALBUMS)
    check([a["id"] for a in page["items"]] == [al["id"]], "genre filter on albums")
    page = expect(call("GET", TRACKS + "?genre=no-such-" + g), 200, "GET", TRACKS)
    check(page == {"items": [], "next_cursor": None}, "unknown genre %r" % page)
    # Genres: every page follows the last, no repeats.
    seen, cursor = [], None
    for _ in range(1000):
        page = expect(call("GET", GENRES + "?limit=100" + ("&cursor=" + cursor if cursor else "")),
                      200, "GET", GENRES)
        seen += [x["id"] for x in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    check(len(seen) == len(set(seen)) and seen == sorted(seen), "genre pages repeat or disorder")
    names = sql("SELECT name FROM genres WHERE name = '%s'" % g)
    check(names == [[g]], "the genre was not created on demand: %r" % names)


def test_bad_input():
    ar = new_artist()
    for bad in ("0", "-1", "abc", "01", "9007199254740993", "99999999999999999999", "1.5", "%20"):
        for route in (ARTIST, ALBUM, TRACK, LYRICS, ARTIST_TRACKS):
            r = call("GET", route.replace("{id}", bad))
            encore.expect_problem(r, 404, what="GET %s with id %r" % (route, bad))
    get(TRACK, 9007199254740992, status=404)
    invalid(call("POST", ARTISTS, token=tok(), json_body={"name": "x", "role": "admin"}),
            "POST", ARTISTS, "role")
    invalid(call("POST", ARTISTS, token=tok(), json_body={"bio": "no name"}), "POST", ARTISTS, "name")
    invalid(call("POST", ARTISTS, token=tok(), json_body={"name": "x", "country": "us"}),
            "POST", ARTISTS, "country")
    invalid(call("POST", ARTISTS, token=tok(), json_body={"name": "x", "image_url": "http://a/b"}),
            "POST", ARTISTS, "image_url")
    invalid(call("POST", ARTISTS, token=tok(),
                 json_body={"name": "x", "external_ids": {"musicbrainz": "nope"}}),
            "POST", ARTISTS, "external_ids")
    invalid(call("POST", ALBUMS, token=tok(), json_body={"title": "x", "artist_id": 9 ** 15}),
            "POST", ALBUMS, "artist_id")
    invalid(call("POST", ALBUMS, token=tok(),
                 json_body={"title": "x", "artist_id": ar["id"], "release_date": "2023-02-29"}),
            "POST", ALBUMS, "release_date")
    invalid(call("POST", ALBUMS, token=tok(),
                 json_body={"title": "x", "artist_id": ar["id"], "type": "lp"}),
            "POST", ALBUMS, "type")
    base = {"title": "t", "artists": [{"id": ar["id"]}], "duration_ms": 1000}
    for extra, field in (({"isrc": "us-pr3-65-00010"}, "isrc"), ({"isrc": "USPR3650001X"}, "isrc"),
                         ({"audio_features": {"energy": 1.5}}, "audio_features"),
                         ({"audio_features": {"tempo": 301}}, "audio_features"),
                         ({"audio_features": {"tempo": "fast"}}, "audio_features"),
                         ({"audio_features": {"mood": 1}}, "audio_features"),
                         ({"artists": [{"id": ar["id"], "role": "featured"}]}, "artists"),
                         ({"artists": []}, "artists"),
                         ({"artists": [{"id": ar["id"]}, {"id": ar["id"]}]}, "artists"),
                         ({"artists": [{"id": 9 ** 15}]}, "artists"),
                         ({"artists": [{"id": ar["id"], "x": 1}]}, "artists"),
                         ({"album_id": 9 ** 15}, "album_id"), ({"duration_ms": 0}, "duration_ms"),
                         ({"play_count": 5}, "play_count")):
        body = dict(base)
        body.update(extra)
        invalid(call("POST", TRACKS, token=tok(), json_body=body), "POST", TRACKS, field)
    for q in ("?limit=101", "?limit=0", "?limit=x"):
        invalid(call("GET", TRACKS + q), "GET", TRACKS, "limit")
    for q in ("?cursor=***", "?cursor=YWJj", "?cursor=LTE"):
        expect(call("GET", TRACKS + q), 400, "GET", TRACKS)
    expect(call("GET", path(ALBUM_TRACKS, 1) + "?cursor=YWJj"), 400, "GET", ALBUM_TRACKS)
    expect(call("GET", path(ARTIST_ALBUMS, ar["id"]) + "?cursor=YWJj"), 400, "GET", ARTIST_ALBUMS)
    invalid(call("GET", ARTISTS + "?genre=" + "g" * 256), "GET", ARTISTS, "genre")
    # a genre name of 255 characters is stored whole and found by name
    long_genre = "Long genre " + encore.unique("lg") + " " + "l" * 255
    long_genre = long_genre[:255]
    lg = new_artist(genres=[long_genre])
    check(get(ARTIST, lg["id"])["genres"] == [long_genre], "long genre %r" % get(ARTIST, lg["id"]))
    page = expect(call("GET", ARTISTS, params={"genre": long_genre}), 200, "GET", ARTISTS)
    check([a["id"] for a in page["items"]] == [lg["id"]], "long genre filter %r" % page["items"])
    invalid(call("GET", TRACKS + "?genre=" + "g" * 10000), "GET", TRACKS, "genre")
    # SQL and FULLTEXT operators are plain text everywhere.
    odd = "Robert'); DROP TABLE tracks;-- +-*\"()~<>@%_\\ Beyoncé"
    weird = new_artist(name=odd, genres=[odd[:60]])
    check(get(ARTIST, weird["id"])["name"] == odd, "odd name not stored verbatim")
    page = expect(call("GET", ARTISTS, params={"genre": odd[:60]}), 200, "GET", ARTISTS)
    check([a["id"] for a in page["items"]] == [weird["id"]], "genre filter with operators %r" % page)
    page = expect(call("GET", TRACKS, params={"genre": "' OR 1=1 -- "}), 200, "GET", TRACKS)
    check(page["items"] == [], "an injected genre matched tracks")
    # Writes need the editor role; anonymous writes need a token.
    u = encore.new_user()
    expect(call("POST", ARTISTS, token=u.access, json_body={"name": "x"}), 403, "POST", ARTISTS)
    expect(call("DELETE", path(ARTIST, ar["id"]), token=u.access), 403, "DELETE", ARTIST)
    expect(call("POST", ARTISTS, json_body={"name": "x"}), 401, "POST", ARTISTS)
    expect(call("PATCH", path(ARTIST, ar["id"]), token=tok(), data=b"{}",
                headers={"Content-Type": "text/plain"}), 415, "PATCH", ARTIST)


def test_lyrics():
    ar = new_artist()
    tr = new_track(ar["id"])
    r = call("GET", path(LYRICS, tr["id"]))
    check(expect(r, 200, "GET", LYRICS) == {"plain": None, "lrc": None}, r.text)
    lrc = "[ar:Someone]\n[00:01.00]First line\n\n[00:05.50][01:05.123]Chorus\r\n"
    r = call("PUT", path(LYRICS, tr["id"]), token=tok(),
             json_body={"plain": "First line\nChorus", "lrc": lrc})
    expect(r, 200, "PUT", LYRICS)
    got = expect(call("GET", path(LYRICS, tr["id"])), 200, "GET", LYRICS)
    check(got == {"plain": "First line\nChorus", "lrc": lrc}, repr(got))
    r = call("PUT", path(LYRICS, tr["id"]), token=tok(),
             json_body={"plain": "x", "lrc": "[00:01.00]ok\n[1:02.00]bad"})
    p = expect(r, 422, "PUT", LYRICS)
    check(any("line 2" in e["message"] for e in p["errors"]), repr(p))
    invalid(call("PUT", path(LYRICS, tr["id"]), token=tok(), json_body={"lrc": "[00:01.00]x"}),
            "PUT", LYRICS, "plain")
    r = call("PUT", path(LYRICS, tr["id"]), token=tok(), json_body={"plain": None})
    expect(r, 200, "PUT", LYRICS)
    check(get(TRACK, tr["id"])["has_lyrics"] is False, "lyrics not cleared")
    r = call("PUT", path(LYRICS, 9 ** 15), token=tok(), json_body={"plain": "x"})
    expect(r, 404, "PUT", LYRICS)


def test_album_art():
    ar = new_artist()
    a1, a2 = new_album(ar["id"]), new_album(ar["id"])
    img1, img2 = png(64, 80, 1), png(100, 100, 2)
    got = put_art(a1["id"], img1, "image/png")
    check(got["art_width"] == 64 and got["art_height"] == 80, repr(got))
    # What is stored is the upload encoded again: the same pixels, and the
    # file is named by the hash of the stored bytes.
    f1 = media_file(got["art_url"])
    stored = open(f1, "rb").read()
    sha = hashlib.sha256(stored).hexdigest()
    check(got["art_url"] == "/media/art/%s/%s.png" % (sha[:2], sha), got["art_url"])
    check(images.png_pixels(stored) == images.png_pixels(img1), "stored pixels differ from the upload")
    check(get(ALBUM, a1["id"])["art_url"] == got["art_url"], "stale album after art upload")
    # nginx serves it for good.
    r = call("GET", got["art_url"])
    check(r.status_code == 200 and r.content == stored, "nginx did not serve the art: %d" % r.status_code)
    check("immutable" in r.headers.get("Cache-Control", ""), "Cache-Control %r" % r.headers)
    # The same image on a second album shares the file.
    check(put_art(a2["id"], img1, "image/png")["art_url"] == got["art_url"], "same image, other URL")
    # Replacing album 1's art keeps the file album 2 still shows.
    got2 = put_art(a1["id"], img2, "image/png")
    f2 = media_file(got2["art_url"])
    check(os.path.exists(f1) and os.path.exists(f2), "a shared file was deleted")
    # Removing the last reference removes the file.
    expect(call("DELETE", path(ART, a2["id"]), token=tok()), 204, "DELETE", ART)
    check(not os.path.exists(f1), "orphan art file left behind: %s" % f1)
    check(get(ALBUM, a2["id"])["art_url"] is None, "stale album after art delete")
    # JPEG and WebP are decoded too (real files of the image fuzz corpus).
    j = put_art(a2["id"], images.fixture("real_jpeg_gray"), "image/jpeg")
    check((j["art_width"], j["art_height"]) == (64, 72) and j["art_url"].endswith(".jpg"), repr(j))
    w = put_art(a2["id"], images.fixture("real_webp_lossless"), "image/webp")
    check((w["art_width"], w["art_height"]) == (64, 64) and w["art_url"].endswith(".webp"), repr(w))
    check(not os.path.exists(media_file(j["art_url"])), "replaced JPEG left behind")
    # Bad uploads: a header alone is no longer an image.
    for body, ctype, status in ((img1, "image/jpeg", 422), (b"not an image at all", "image/png", 422),
                                (png(10, 10), "image/png", 422), (png(5000, 64), "image/png", 422),
                                (img1[:20], "image/png", 422), (img1[:-20], "image/png", 422),
                                (jpeg_header(300, 200), "image/jpeg", 422), (b"", "image/png", 422),
                                (img1, "image/gif", 415), (img1, "application/json", 415),
                                (img1 + b"\0" * (1 << 20), "image/png", 413)):
        r = call("PUT", path(ART, a1["id"]), token=tok(), data=body, headers={"Content-Type": ctype})
        expect(r, status, "PUT", ART)
    check(get(ALBUM, a1["id"])["art_url"] == got2["art_url"], "a bad upload changed the art")
    r = call("PUT", path(ART, 9 ** 15), token=tok(), data=img1, headers={"Content-Type": "image/png"})
    expect(r, 404, "PUT", ART)
    expect(call("DELETE", path(ART, 9 ** 15), token=tok()), 404, "DELETE", ART)
    # Deleting the album removes its art file.
    delete(ALBUM, a1["id"])
    check(not os.path.exists(f2), "the deleted album's art file is left behind")


if __name__ == "__main__":
    encore.main(globals())
