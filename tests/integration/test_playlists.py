#!/usr/bin/python3
"""Playlists through nginx: CRUD, ordered tracks (add at a position, remove,
move a range, dense positions, the 10,000-track cap), snapshots with If-Match
and 412, who may see and change what (a private or unlisted playlist is a
404 for strangers on every route that takes its id), grants, share links
(expiry, revocation, opening without an account), unlisted keys (opening,
life across visibility changes, rotation, the migration) and the memcached
copy of public playlists.

Tracks are seeded by SQL over the stack's MariaDB socket.

Deliberate login failures here: none."""

import os
import re
import secrets
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
from encore import call, check, expect  # noqa: E402

encore.require_stack()

PLS = "/api/v1/playlists"
PL = "/api/v1/playlists/{id}"
MINE = "/api/v1/me/playlists"
OF_USER = "/api/v1/users/{username}/playlists"
TRACKS = "/api/v1/playlists/{id}/tracks"
MOVE = "/api/v1/playlists/{id}/tracks/move"
GRANTS = "/api/v1/playlists/{id}/grants"
GRANT = "/api/v1/playlists/{id}/grants/{username}"
LINKS = "/api/v1/playlists/{id}/links"
LINK = "/api/v1/playlists/{id}/links/{link_id}"
SHARED = "/api/v1/shared/{token}"
KEY = "/api/v1/playlists/{id}/unlisted-key"
COVER = "/api/v1/playlists/{id}/cover"
LIKE = "/api/v1/me/likes/{type}/{id}"
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{22}$")


def sql(text):
    """Run SQL as the service's database user; rows as lists of strings."""
    c, s = encore.conf(), encore.secrets_conf()
    sock = encore.stack().get("ENCORE_DB_SOCKET") or c.get("db_socket")
    out = subprocess.run(
        ["mariadb", "--socket=" + sock, "-u", c.get("db_user", "encore"),
         "--password=" + s.get("db_password", ""), c.get("db_name", "encore"),
         "-N", "-B", "-e", text],
        capture_output=True, text=True, timeout=60)
    if out.returncode:
        raise AssertionError("SQL failed: %s" % out.stderr.strip())
    return [line.split("\t") for line in out.stdout.splitlines()]


_tracks = []
_artist = {}


def tracks():
    """Eight seeded tracks (ids), each by one primary artist; the first also
    has a featured artist."""
    if not _tracks:
        tag = "pl" + secrets.token_hex(4)
        rows = sql(
            "INSERT INTO artists (name) VALUES ('%s main'), ('%s feat');"
            "SELECT id FROM artists WHERE name LIKE '%s %%' ORDER BY id;" % (tag, tag, tag))
        main, feat = int(rows[0][0]), int(rows[1][0])
        _artist.update(main=main, feat=feat, tag=tag)
        values = ",".join("('%s song %d', %d)" % (tag, i, 1000 * (i + 1)) for i in range(8))
        sql("INSERT INTO tracks (title, duration_ms) VALUES %s" % values)
        ids = [int(r[0]) for r in sql(
            "SELECT id FROM tracks WHERE title LIKE '%s song %%' ORDER BY id" % tag)]
        sql("INSERT INTO track_artists (track_id, artist_id, role, position) VALUES %s;"
            "INSERT INTO track_artists VALUES (%d, %d, 'featured', 1)" % (
                ",".join("(%d, %d, 'primary', 0)" % (t, main) for t in ids), ids[0], feat))
        _tracks.extend(ids)
    return _tracks


def path(route, **kw):
    for k, v in kw.items():
        route = route.replace("{%s}" % k, str(v))
    return route


def create(u, **body):
    body.setdefault("name", "Mix " + secrets.token_hex(3))
    r = call("POST", PLS, token=u.access, json_body=body)
    p = expect(r, 201, "POST", PLS)
    check(r.headers.get("Location") == "/api/v1/playlists/%d" % p["id"],
          "Location %r" % r.headers.get("Location"))
    check(r.headers.get("ETag") == '"%s"' % p["snapshot_id"], "ETag %r" % r.headers.get("ETag"))
    return p


def get(u, pid, status=200):
    r = call("GET", path(PL, id=pid), token=u.access if u else None)
    return expect(r, status, "GET", PL)


def add(u, pid, ids, status=200, headers=None, **extra):
    body = {"track_ids": ids}
    body.update(extra)
    r = call("POST", path(TRACKS, id=pid), token=u.access, json_body=body, headers=headers)
    return expect(r, status, "POST", TRACKS)


def order(u, pid, limit=100):
    """Every track id of the playlist in position order, following cursors,
    checking positions are dense."""
    out, cursor = [], None
    while True:
        q = "?limit=%d" % limit + ("&cursor=" + cursor if cursor else "")
        r = call("GET", path(TRACKS, id=pid) + q, token=u.access if u else None)
        page = expect(r, 200, "GET", TRACKS)
        for it in page["items"]:
            check(it["position"] == len(out), "positions not dense: %r" % page["items"])
            out.append(it["track"]["id"])
        cursor = page["next_cursor"]
        if not cursor:
            return out


def invalid(r, method, route, *fields):
    p = expect(r, 422, method, route)
    named = {e["field"] for e in p.get("errors") or []} | encore.error_fields(p)
    for f in fields:
        check(f in named, "422 errors %r do not name %r" % (p.get("errors"), f))
    return p


# --------------------------------------------------------------------------
# CRUD


def test_create_get_patch_delete():
    u = encore.new_user()
    p = create(u, name="Road trip", description="Long drives", visibility="public",
               collaborative=True)
    check(p["owner"] == {"id": u.id, "username": u.username}, "owner %r" % p["owner"])
    check((p["name"], p["description"], p["visibility"], p["collaborative"],
           p["snapshot_id"], p["track_count"], p["like_count"], p["cover_url"]) ==
          ("Road trip", "Long drives", "public", True, "1", 0, 0, None), "created %r" % p)
    check(get(u, p["id"]) == p, "GET differs from the creation answer")
    d = create(u)
    check(d["visibility"] == "private" and d["collaborative"] is False and d["description"] == "",
          "defaults %r" % d)
    r = call("PATCH", path(PL, id=p["id"]), token=u.access,
             json_body={"name": "Road trip 2", "visibility": "unlisted"})
    q = expect(r, 200, "PATCH", PL)
    check(q["name"] == "Road trip 2" and q["visibility"] == "unlisted" and
          q["description"] == "Long drives" and q["snapshot_id"] == "2", "patched %r" % q)
    check(r.headers.get("ETag") == '"2"', "ETag after PATCH %r" % r.headers.get("ETag"))
    r = call("DELETE", path(PL, id=p["id"]), token=u.access)
    expect(r, 204, "DELETE", PL)
    get(u, p["id"], 404)
    r = call("DELETE", path(PL, id=p["id"]), token=u.access)
    expect(r, 404, "DELETE", PL)


def test_validation():
    u = encore.new_user()
    r = call("POST", PLS, token=u.access, json_body={})
    invalid(r, "POST", PLS, "name")
    r = call("POST", PLS, token=u.access, json_body={"name": "x", "owner_id": 1})
    invalid(r, "POST", PLS, "owner_id")
    r = call("POST", PLS, token=u.access, json_body={"name": "x", "visibility": "secret"})
    invalid(r, "POST", PLS, "visibility")
    r = call("POST", PLS, token=u.access, json_body={"name": "x" * 201})
    invalid(r, "POST", PLS, "name")
    r = call("POST", PLS, json_body={"name": "x"})
    expect(r, 401, "POST", PLS)
    p = create(u)
    r = call("PATCH", path(PL, id=p["id"]), token=u.access, json_body={"snapshot": 3})
    invalid(r, "PATCH", PL, "snapshot")
    r = call("PATCH", path(PL, id=p["id"]), token=u.access, json_body={"track_count": 3})
    invalid(r, "PATCH", PL, "track_count")
    for bad in ("abc", "0", "-1", "007", "9007199254740993", "99999999999999999999", "1.5"):
        r = call("GET", "/api/v1/playlists/" + bad, token=u.access)
        expect(r, 404, "GET", PL)
        r = call("POST", "/api/v1/playlists/%s/tracks" % bad, token=u.access,
                 json_body={"track_ids": [1]})
        expect(r, 404, "POST", TRACKS)
    r = call("GET", MINE + "?limit=101", token=u.access)
    expect(r, 422, "GET", MINE)
    r = call("GET", MINE + "?limit=0", token=u.access)
    expect(r, 422, "GET", MINE)
    r = call("GET", MINE + "?cursor=%%%%", token=u.access)
    expect(r, 400, "GET", MINE)
    r = call("GET", MINE + "?cursor=" + encore.b64url(b"abc"), token=u.access)
    expect(r, 400, "GET", MINE)
    r = call("GET", path(TRACKS, id=p["id"]) + "?cursor=" + encore.b64url(b"x1"), token=u.access)
    expect(r, 400, "GET", TRACKS)


def test_lists_paginate():
    u = encore.new_user()
    made = [create(u, visibility="public")["id"] for _ in range(5)]
    seen, cursor = [], None
    while True:
        q = "?limit=2" + ("&cursor=" + cursor if cursor else "")
        page = expect(call("GET", MINE + q, token=u.access), 200, "GET", MINE)
        check(len(page["items"]) <= 2, "limit ignored")
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    check(seen == sorted(made, reverse=True), "me/playlists %r vs %r" % (seen, made))
    page = expect(call("GET", path(OF_USER, username=u.username) + "?limit=100"), 200,
                  "GET", OF_USER)
    check([p["id"] for p in page["items"]] == sorted(made, reverse=True), "user list")
    r = call("GET", path(OF_USER, username="nobody_" + secrets.token_hex(4)))
    expect(r, 404, "GET", OF_USER)
    r = call("GET", path(OF_USER, username="no way"))
    expect(r, 404, "GET", OF_USER)


# --------------------------------------------------------------------------
# Tracks


def test_tracks_add_move_remove():
    t = tracks()
    u = encore.new_user()
    pid = create(u)["id"]
    s = add(u, pid, [t[0], t[1], t[2]])
    check(s["snapshot_id"] == "2", "snapshot after add %r" % s)
    add(u, pid, [t[3]], position=1)
    check(order(u, pid) == [t[0], t[3], t[1], t[2]], "insert at 1")
    add(u, pid, [t[4], t[5]], position=0)
    check(order(u, pid, limit=2) == [t[4], t[5], t[0], t[3], t[1], t[2]], "insert at 0")
    add(u, pid, [t[6]], position=6)  # == count: the end
    cur = [t[4], t[5], t[0], t[3], t[1], t[2], t[6]]
    check(order(u, pid) == cur, "insert at the end")

    def move(start, length, before):
        r = call("POST", path(MOVE, id=pid), token=u.access,
                 json_body={"range_start": start, "range_length": length, "insert_before": before})
        return expect(r, 200, "POST", MOVE)

    move(0, 2, 7)  # the first two to the end
    cur = cur[2:] + cur[:2]
    check(order(u, pid) == cur, "move to the end: %r" % order(u, pid))
    move(4, 3, 1)  # three from the middle to position 1
    cur = [cur[0]] + cur[4:7] + cur[1:4]
    check(order(u, pid) == cur, "move backwards: %r vs %r" % (order(u, pid), cur))
    before = get(u, pid)["snapshot_id"]
    move(2, 2, 3)  # onto itself: nothing changes
    check(get(u, pid)["snapshot_id"] == before and order(u, pid) == cur, "no-op move changed")
    move(1, 1, 3)
    cur = [cur[0], cur[2], cur[1]] + cur[3:]
    check(order(u, pid) == cur, "single move forward")

    r = call("DELETE", path(TRACKS, id=pid), token=u.access, json_body={"positions": [5, 0, 2]})
    expect(r, 200, "DELETE", TRACKS)
    cur = [x for i, x in enumerate(cur) if i not in (5, 0, 2)]
    check(order(u, pid) == cur, "remove positions: %r vs %r" % (order(u, pid), cur))
    r = call("DELETE", path(TRACKS, id=pid), token=u.access,
             json_body={"range_start": 1, "range_length": 2})
    expect(r, 200, "DELETE", TRACKS)
    cur = cur[:1] + cur[3:]
    check(order(u, pid) == cur, "remove range")
    p = get(u, pid)
    check(p["track_count"] == len(cur), "track_count %r" % p["track_count"])
    add(u, pid, [t[0], t[0]])  # a track may appear more than once
    check(order(u, pid) == cur + [t[0], t[0]], "duplicates")


def test_track_summaries():
    t = tracks()
    u = encore.new_user()
    pid = create(u)["id"]
    add(u, pid, [t[0], t[1]])
    r = call("GET", path(TRACKS, id=pid), token=u.access)
    page = expect(r, 200, "GET", TRACKS)
    check(r.headers.get("ETag") == '"%s"' % page["snapshot_id"], "tracks ETag")
    first = page["items"][0]
    check(first["track"]["id"] == t[0] and first["track"]["title"].endswith("song 0") and
          first["track"]["duration_ms"] == 1000, "summary %r" % first)
    check([a["role"] for a in first["track"]["artists"]] == ["primary", "featured"] and
          first["track"]["artists"][0]["id"] == _artist["main"], "artists %r" % first)
    check(first["added_by"] == {"id": u.id, "username": u.username}, "added_by %r" % first)
    check(first["added_at"], "added_at missing")
    check(page["next_cursor"] is None, "next_cursor on the last page")


def test_unknown_track_reports_index():
    t = tracks()
    u = encore.new_user()
    pid = create(u)["id"]
    add(u, pid, [t[0]])
    r = add(u, pid, [t[1], 999999999999, t[2]], 422)
    check(any(e["field"] == "track_ids[1]" for e in r["errors"]), "errors %r" % r["errors"])
    for bad in ([], ["1"], [1.5], [0], [-3], "x", [2 ** 60]):
        r = call("POST", path(TRACKS, id=pid), token=u.access, json_body={"track_ids": bad})
        invalid(r, "POST", TRACKS, "track_ids")
    r = call("POST", path(TRACKS, id=pid), token=u.access, json_body={"track_ids": [t[0]], "x": 1})
    invalid(r, "POST", TRACKS, "x")
    p = get(u, pid)
    check(p["track_count"] == 1 and p["snapshot_id"] == "2", "a refused add changed %r" % p)


def test_bad_ranges():
    t = tracks()
    u = encore.new_user()
    pid = create(u)["id"]
    add(u, pid, t[:4])
    snap = get(u, pid)["snapshot_id"]
    cases = [
        ("POST", MOVE, {"range_start": 4, "range_length": 1, "insert_before": 0}, "range_start"),
        ("POST", MOVE, {"range_start": 2, "range_length": 3, "insert_before": 0}, "range_length"),
        ("POST", MOVE, {"range_start": 0, "range_length": 1, "insert_before": 5}, "insert_before"),
        ("POST", MOVE, {"range_start": -1, "insert_before": 0}, "range_start"),
        ("POST", MOVE, {"range_start": 0, "range_length": 0, "insert_before": 2}, "range_length"),
        ("POST", MOVE, {"insert_before": 2}, "range_start"),
        ("DELETE", TRACKS, {"range_start": 3, "range_length": 2}, "range_length"),
        ("DELETE", TRACKS, {"range_start": 4}, "range_start"),
        ("DELETE", TRACKS, {"positions": [4]}, "positions"),
        ("DELETE", TRACKS, {"positions": [1, 1]}, "positions"),
        ("DELETE", TRACKS, {"positions": []}, "positions"),
        ("DELETE", TRACKS, {"positions": [0], "range_start": 0}, "positions"),
        ("DELETE", TRACKS, {}, "positions"),
        ("POST", TRACKS, {"track_ids": [t[0]], "position": 5}, "position"),
        ("POST", TRACKS, {"track_ids": [t[0]], "position": -1}, "position"),
    ]
    for method, route, body, field in cases:
        r = call(method, path(route, id=pid), token=u.access, json_body=body)
        invalid(r, method, route, field)
    check(get(u, pid)["snapshot_id"] == snap and order(u, pid) == t[:4],
          "a refused edit changed the playlist")


def body_member(method, route, name):
    """The spec's schema of member `name` of the route's JSON body."""
    body = encore.deref(encore.operation(method, route)["requestBody"])
    return encore.deref(body["content"]["application/json"]["schema"])["properties"][name]


def test_null_is_not_absent():
    """null for a member the contract gives no null is a 422 naming it, on
    every playlist body, never read as the member left out: `"positions":
    null` beside a range once removed the range."""
    t = tracks()
    u, other = encore.new_user(), encore.new_user()
    pid = create(u)["id"]
    add(u, pid, t[:3])
    snap = get(u, pid)["snapshot_id"]
    bodies = [
        ("POST", PLS, {"name": "x", "description": "d", "visibility": "public",
                       "collaborative": False}),
        ("PATCH", PL, {"name": "x", "description": "d", "visibility": "public",
                       "collaborative": False, "snapshot_id": snap}),
        ("POST", TRACKS, {"track_ids": [t[0]], "position": 0, "snapshot_id": snap}),
        ("DELETE", TRACKS, {"positions": [0], "snapshot_id": snap}),
        ("DELETE", TRACKS, {"range_start": 0, "range_length": 1, "snapshot_id": snap}),
        ("DELETE", TRACKS, {"positions": [0], "range_start": 0}),
        ("POST", MOVE, {"range_start": 0, "range_length": 1, "insert_before": 2,
                        "snapshot_id": snap}),
        ("PUT", GRANT, {"access": "view"}),
        ("POST", LINKS, {"expires_in": 60}),
    ]
    for method, route, good in bodies:
        for k in good:
            check(encore.validate(None, body_member(method, route, k)),
                  "the spec allows %s null in %s %s" % (k, method, route))
            url = path(route, id=pid, username=other.username)
            r = call(method, url, token=u.access, json_body=dict(good, **{k: None}))
            invalid(r, method, route, k)
    p = get(u, pid)
    check(p["snapshot_id"] == snap and order(u, pid) == t[:3] and p["visibility"] == "private",
          "a body with a null changed the playlist: %r" % p)
    mine = expect(call("GET", MINE, token=u.access), 200, "GET", MINE)
    check([q["id"] for q in mine["items"]] == [pid], "a playlist was created: %r" % mine)
    for route in (GRANTS, LINKS):
        page = expect(call("GET", path(route, id=pid), token=u.access), 200, "GET", route)
        check(page["items"] == [], "%s: %r" % (route, page))


def test_max_tracks():
    t = tracks()
    u = encore.new_user()
    pid = create(u)["id"]
    r = add(u, pid, [t[i % 8] for i in range(10001)], 422)
    check(any(e["field"] == "track_ids" for e in r["errors"]), "errors %r" % r["errors"])
    add(u, pid, [t[i % 8] for i in range(9999)])
    add(u, pid, [t[0]], position=5000)
    p = get(u, pid)
    check(p["track_count"] == 10000, "count %r" % p["track_count"])
    r = add(u, pid, [t[1]], 422)
    p2 = get(u, pid)
    check(p2["track_count"] == 10000 and p2["snapshot_id"] == p["snapshot_id"],
          "the 10,001st track changed the playlist")
    page = expect(call("GET", path(TRACKS, id=pid) + "?limit=3&cursor=" +
                       encore.b64url(b"4998"), token=u.access), 200, "GET", TRACKS)
    check([i["position"] for i in page["items"]] == [4999, 5000, 5001] and
          page["items"][1]["track"]["id"] == t[0], "insert at 5000 of 10000")
    r = call("POST", path(MOVE, id=pid), token=u.access,
             json_body={"range_start": 0, "range_length": 5000, "insert_before": 10000})
    expect(r, 200, "POST", MOVE)
    # before: A[0:5000] + [t0] + A[5000:9999] with A[i] = t[i % 8]; the
    # move puts the first 5000 behind the rest
    page = expect(call("GET", path(TRACKS, id=pid) + "?limit=3&cursor=" +
                       encore.b64url(b"4998"), token=u.access), 200, "GET", TRACKS)
    check([i["track"]["id"] for i in page["items"]] == [t[6], t[0], t[1]],
          "move of 5000 tracks: %r" % page["items"])
    first = expect(call("GET", path(TRACKS, id=pid) + "?limit=1", token=u.access), 200,
                   "GET", TRACKS)
    check(first["items"][0]["track"]["id"] == t[0], "position 0 after the move")
    r = call("DELETE", path(TRACKS, id=pid), token=u.access,
             json_body={"positions": list(range(0, 10000, 2))})
    expect(r, 200, "DELETE", TRACKS)
    check(get(u, pid)["track_count"] == 5000, "remove 5000 positions")
    order_tail = expect(call("GET", path(TRACKS, id=pid) + "?limit=1&cursor=" +
                             encore.b64url(b"4998"), token=u.access), 200, "GET", TRACKS)
    check(order_tail["items"][0]["position"] == 4999 and order_tail["next_cursor"] is None,
          "positions dense after a big removal: %r" % order_tail)


# --------------------------------------------------------------------------
# Snapshots


def test_if_match_two_editors():
    t = tracks()
    owner, editor = encore.new_user(), encore.new_user()
    pid = create(owner, collaborative=True)["id"]
    r = call("PUT", path(GRANT, id=pid, username=editor.username), token=owner.access,
             json_body={"access": "edit"})
    expect(r, 200, "PUT", GRANT)
    r = call("GET", path(PL, id=pid), token=editor.access)
    expect(r, 200, "GET", PL)
    etag = r.headers["ETag"]
    first = add(owner, pid, [t[0]], headers={"If-Match": etag})
    r = call("POST", path(TRACKS, id=pid), token=editor.access,
             json_body={"track_ids": [t[1]]}, headers={"If-Match": etag})
    p = expect(r, 412, "POST", TRACKS)
    check(p["snapshot_id"] == first["snapshot_id"], "412 names the current snapshot: %r" % p)
    check(r.headers.get("ETag") == '"%s"' % first["snapshot_id"], "412 ETag")
    check(order(owner, pid) == [t[0]], "the stale edit changed something")
    # the same through snapshot_id in the body
    r = call("POST", path(TRACKS, id=pid), token=editor.access,
             json_body={"track_ids": [t[1]], "snapshot_id": etag.strip('"')})
    expect(r, 412, "POST", TRACKS)
    for method, route, body in (
            ("POST", MOVE, {"range_start": 0, "insert_before": 1}),
            ("DELETE", TRACKS, {"positions": [0]}),
            ("PATCH", PL, {"name": "late"})):
        who = owner if route == PL else editor
        r = call(method, path(route, id=pid), token=who.access, json_body=body,
                 headers={"If-Match": etag})
        expect(r, 412, method, route)
    r = call("DELETE", path(PL, id=pid), token=owner.access, headers={"If-Match": etag})
    expect(r, 412, "DELETE", PL)
    r = call("DELETE", path(PL, id=pid), token=owner.access, headers={"If-Match": "garbage"})
    expect(r, 412, "DELETE", PL)
    check(order(owner, pid) == [t[0]] and get(owner, pid)["name"] != "late", "412s changed it")
    # the current snapshot works, and so does no precondition at all
    cur = get(editor, pid)["snapshot_id"]
    s = add(editor, pid, [t[1]], headers={"If-Match": '"%s"' % cur})
    check(int(s["snapshot_id"]) == int(cur) + 1, "snapshot bump %r" % s)
    add(editor, pid, [t[2]], snapshot_id=s["snapshot_id"])
    add(editor, pid, [t[3]])
    add(editor, pid, [t[4]], headers={"If-Match": "*"})
    check(order(owner, pid) == t[:5], "edits with a current snapshot")


def test_concurrent_editors_one_wins():
    """Eight edits sent at once against the same snapshot: exactly one
    applies, the others get 412, and the playlist holds that one change."""
    import json
    import threading
    t = tracks()
    owner = encore.new_user()
    pid = create(owner)["id"]
    add(owner, pid, [t[0]])
    etag = call("GET", path(PL, id=pid), token=owner.access).headers["ETag"]
    results = []

    def edit(i):
        body = json.dumps({"track_ids": [t[1 + i % 7]], "position": 0}).encode()
        r = encore.raw("POST", path(TRACKS, id=pid), body=body, headers={
            "Authorization": "Bearer " + owner.access, "Content-Type": "application/json",
            "If-Match": etag})
        results.append((r.status_code, r.content))

    threads = [threading.Thread(target=edit, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    codes = sorted(c for c, _ in results)
    check(codes == [200] + [412] * 7, "statuses %r" % results)
    p = get(owner, pid)
    check(p["track_count"] == 2 and p["snapshot_id"] == str(int(etag.strip('"')) + 1),
          "after the race %r" % p)


# --------------------------------------------------------------------------
# Visibility and sharing


def test_private_invisible_everywhere():
    t = tracks()
    owner, stranger = encore.new_user(), encore.new_user()
    priv = create(owner, visibility="private")
    unl = create(owner, visibility="unlisted")
    pub = create(owner, visibility="public")
    add(owner, priv["id"], [t[0]])
    pid = priv["id"]
    for who in (stranger, None):
        tok = who.access if who else None
        expect(call("GET", path(PL, id=pid), token=tok), 404, "GET", PL)
        expect(call("GET", path(TRACKS, id=pid), token=tok), 404, "GET", TRACKS)
        page = expect(call("GET", path(OF_USER, username=owner.username), token=tok), 200,
                      "GET", OF_USER)
        ids = [p["id"] for p in page["items"]]
        check(ids == [pub["id"]], "%s lists %r" % ("stranger" if who else "anonymous", ids))
        # the unlisted one opens by its key only (test_unlisted_only_by_key)
        get(who, unl["id"], 404)
    tok = stranger.access
    for method, route, body in (
            ("PATCH", PL, {"name": "mine now"}),
            ("DELETE", PL, None),
            ("POST", TRACKS, {"track_ids": [t[1]]}),
            ("DELETE", TRACKS, {"positions": [0]}),
            ("POST", MOVE, {"range_start": 0, "insert_before": 1}),
            ("GET", GRANTS, None),
            ("GET", LINKS, None),
            ("POST", LINKS, {}),
            ("PUT", GRANT, {"access": "edit"}),
            ("DELETE", GRANT, None),
            ("DELETE", LINK, None)):
        url = path(route, id=pid, username=stranger.username, link_id=1)
        r = call(method, url, token=tok, json_body=body)
        p = expect(r, 404, method, route)
        check("playlist" in p.get("detail", ""), "%s %s: %r" % (method, route, p))
    mine = expect(call("GET", MINE, token=tok), 200, "GET", MINE)
    check(mine["items"] == [], "stranger's own list %r" % mine)
    mine = expect(call("GET", MINE + "?limit=100", token=owner.access), 200, "GET", MINE)
    check({p["id"] for p in mine["items"]} == {priv["id"], unl["id"], pub["id"]}, "owner list")
    page = expect(call("GET", path(OF_USER, username=owner.username), token=owner.access), 200,
                  "GET", OF_USER)
    check(len(page["items"]) == 3, "the owner sees all their playlists")
    # a stranger can edit nothing of a public playlist either
    r = call("POST", path(TRACKS, id=pub["id"]), token=tok, json_body={"track_ids": [t[1]]})
    expect(r, 403, "POST", TRACKS)
    r = call("PATCH", path(PL, id=pub["id"]), token=tok, json_body={"name": "x"})
    expect(r, 403, "PATCH", PL)
    r = call("GET", path(GRANTS, id=pub["id"]), token=tok)
    expect(r, 403, "GET", GRANTS)
    check(get(owner, pid)["track_count"] == 1, "the private playlist was changed")


def test_grants():
    t = tracks()
    owner, viewer, editor = encore.new_user(), encore.new_user(), encore.new_user()
    pid = create(owner)["id"]
    add(owner, pid, [t[0]])
    for who, access in ((viewer, "view"), (editor, "edit")):
        r = call("PUT", path(GRANT, id=pid, username=who.username), token=owner.access,
                 json_body={"access": access})
        g = expect(r, 200, "PUT", GRANT)
        check(g["user"] == {"id": who.id, "username": who.username} and g["access"] == access,
              "grant %r" % g)
    page = expect(call("GET", path(GRANTS, id=pid), token=owner.access), 200, "GET", GRANTS)
    check({(g["user"]["username"], g["access"]) for g in page["items"]} ==
          {(viewer.username, "view"), (editor.username, "edit")}, "grants %r" % page)
    # view: read, list, no edits
    get(viewer, pid)
    check(order(viewer, pid) == [t[0]], "viewer reads tracks")
    mine = expect(call("GET", MINE, token=viewer.access), 200, "GET", MINE)
    check([p["id"] for p in mine["items"]] == [pid], "shared with me %r" % mine)
    page = expect(call("GET", path(OF_USER, username=owner.username), token=viewer.access),
                  200, "GET", OF_USER)
    check([p["id"] for p in page["items"]] == [pid], "listed for the grantee")
    r = call("POST", path(TRACKS, id=pid), token=viewer.access, json_body={"track_ids": [t[1]]})
    expect(r, 403, "POST", TRACKS)
    # edit: tracks, but not the playlist itself or its sharing
    add(editor, pid, [t[1]])
    r = call("POST", path(MOVE, id=pid), token=editor.access,
             json_body={"range_start": 1, "insert_before": 0})
    expect(r, 200, "POST", MOVE)
    check(order(owner, pid) == [t[1], t[0]], "editor's move")
    for method, route, body in (("PATCH", PL, {"name": "x"}), ("DELETE", PL, None),
                                ("GET", GRANTS, None), ("POST", LINKS, {}),
                                ("PUT", GRANT, {"access": "edit"})):
        r = call(method, path(route, id=pid, username=viewer.username), token=editor.access,
                 json_body=body)
        expect(r, 403, method, route)
    # bad grants
    r = call("PUT", path(GRANT, id=pid, username=owner.username), token=owner.access,
             json_body={"access": "edit"})
    invalid(r, "PUT", GRANT, "username")
    r = call("PUT", path(GRANT, id=pid, username="ghost_" + secrets.token_hex(4)),
             token=owner.access, json_body={"access": "edit"})
    expect(r, 404, "PUT", GRANT)
    r = call("PUT", path(GRANT, id=pid, username=viewer.username), token=owner.access,
             json_body={"access": "admin"})
    invalid(r, "PUT", GRANT, "access")
    # upgrade, then revoke
    r = call("PUT", path(GRANT, id=pid, username=viewer.username), token=owner.access,
             json_body={"access": "edit"})
    expect(r, 200, "PUT", GRANT)
    add(viewer, pid, [t[2]])
    r = call("DELETE", path(GRANT, id=pid, username=viewer.username), token=owner.access)
    expect(r, 204, "DELETE", GRANT)
    get(viewer, pid, 404)
    expect(call("GET", MINE, token=viewer.access), 200, "GET", MINE)
    r = call("POST", path(TRACKS, id=pid), token=viewer.access, json_body={"track_ids": [t[1]]})
    expect(r, 404, "POST", TRACKS)


def test_share_links():
    t = tracks()
    owner = encore.new_user()
    pid = create(owner, name="Secret mix")["id"]
    add(owner, pid, t[:3])
    r = call("POST", path(LINKS, id=pid), token=owner.access, json_body={})
    link = expect(r, 201, "POST", LINKS)
    check(len(link["token"]) == 43 and link["url"].endswith("/api/v1/shared/" + link["token"]) and
          link["expires_at"] is None, "link %r" % link)
    r = call("GET", path(SHARED, token=link["token"]))
    s = expect(r, 200, "GET", SHARED)
    check(s["playlist"]["id"] == pid and s["playlist"]["name"] == "Secret mix", "shared %r" % s)
    check([i["track"]["id"] for i in s["tracks"]["items"]] == t[:3], "shared tracks")
    r = call("GET", path(SHARED, token=link["token"]) + "?limit=2")
    s = expect(r, 200, "GET", SHARED)
    check(len(s["tracks"]["items"]) == 2 and s["tracks"]["next_cursor"], "shared paging")
    r = call("GET", path(SHARED, token=link["token"]) + "?cursor=" + s["tracks"]["next_cursor"])
    s = expect(r, 200, "GET", SHARED)
    check([i["track"]["id"] for i in s["tracks"]["items"]] == [t[2]], "shared page 2")
    # the playlist itself stays private
    get(None, pid, 404)
    # listing shows no token
    page = expect(call("GET", path(LINKS, id=pid), token=owner.access), 200, "GET", LINKS)
    check([x["id"] for x in page["items"]] == [link["id"]] and
          all("token" not in x for x in page["items"]), "links %r" % page)
    # revoke
    r = call("DELETE", path(LINK, id=pid, link_id=link["id"]), token=owner.access)
    expect(r, 204, "DELETE", LINK)
    expect(call("GET", path(SHARED, token=link["token"])), 404, "GET", SHARED)
    r = call("DELETE", path(LINK, id=pid, link_id=link["id"]), token=owner.access)
    expect(r, 404, "DELETE", LINK)
    page = expect(call("GET", path(LINKS, id=pid), token=owner.access), 200, "GET", LINKS)
    check(page["items"] == [], "a revoked link is listed")
    # expiry
    r = call("POST", path(LINKS, id=pid), token=owner.access, json_body={"expires_in": 1})
    short = expect(r, 201, "POST", LINKS)
    check(short["expires_at"] is not None, "expires_at %r" % short)
    expect(call("GET", path(SHARED, token=short["token"])), 200, "GET", SHARED)
    time.sleep(2.2)
    expect(call("GET", path(SHARED, token=short["token"])), 404, "GET", SHARED)
    for bad in ("A" * 43, "short", "A" * 44):
        expect(call("GET", path(SHARED, token=bad)), 404, "GET", SHARED)
    for body in ({"expires_in": 0}, {"expires_in": "1"}, {"expires_at": 5}):
        r = call("POST", path(LINKS, id=pid), token=owner.access, json_body=body)
        expect(r, 422, "POST", LINKS)
    # a deleted playlist takes its links with it
    r = call("POST", path(LINKS, id=pid), token=owner.access)
    last = expect(r, 201, "POST", LINKS)
    expect(call("DELETE", path(PL, id=pid), token=owner.access), 204, "DELETE", PL)
    expect(call("GET", path(SHARED, token=last["token"])), 404, "GET", SHARED)


def by_id_routes():
    """Every route that takes a playlist id: (method, route, body)."""
    return (("GET", PL, None), ("PATCH", PL, {"name": "mine now"}), ("DELETE", PL, None),
            ("DELETE", COVER, None), ("GET", TRACKS, None),
            ("POST", TRACKS, {"track_ids": [tracks()[1]]}),
            ("DELETE", TRACKS, {"positions": [0]}),
            ("POST", MOVE, {"range_start": 0, "insert_before": 1}),
            ("GET", GRANTS, None), ("PUT", GRANT, {"access": "edit"}), ("DELETE", GRANT, None),
            ("GET", LINKS, None), ("POST", LINKS, {}), ("DELETE", LINK, None),
            ("POST", KEY, None))


def unreachable_by_id(who, pid, owner):
    """`who` (None: anonymous) meets 404 on every route that takes the id
    of playlist pid, likes included, and finds it in no list or search."""
    tok = who.access if who else None
    for method, route, body in by_id_routes():
        if tok is None and (method, route) not in (("GET", PL), ("GET", TRACKS)):
            continue  # the others answer 401 before anything is looked up
        url = path(route, id=pid, username=(who or owner).username, link_id=1)
        r = call(method, url, token=tok, json_body=body)
        p = expect(r, 404, method, route)
        check("playlist" in p.get("detail", ""), "%s %s: %r" % (method, route, p))
    if tok:
        for method in ("PUT", "DELETE"):
            r = call(method, path(LIKE, type="playlists", id=pid), token=tok)
            expect(r, 404, method, LIKE)
        mine = expect(call("GET", MINE + "?limit=100", token=tok), 200, "GET", MINE)
        check(pid not in [p["id"] for p in mine["items"]], "in the stranger's own list")
    page = expect(call("GET", path(OF_USER, username=owner.username) + "?limit=100", token=tok),
                  200, "GET", OF_USER)
    check(pid not in [p["id"] for p in page["items"]], "listed among the owner's playlists")
    name = get(owner, pid)["name"]
    r = call("GET", "/api/v1/search?type=playlist&limit=100&q=" + name.split()[-1], token=tok)
    found = expect(r, 200, "GET", "/api/v1/search")
    check(pid not in [i["id"] for i in found["items"]], "found by search: %r" % found)


def shared(token, status=200):
    return expect(call("GET", path(SHARED, token=token)), status, "GET", SHARED)


def test_unlisted_only_by_key():
    """An unlisted playlist answers 404 by id to everyone but its owner and
    grantees, on every route; its key opens it (and its tracks) without an
    account, and shows to owner and grantees only."""
    t = tracks()
    owner, viewer, stranger = encore.new_user(), encore.new_user(), encore.new_user()
    p = create(owner, visibility="unlisted", name="Hidden " + secrets.token_hex(4))
    pid, key = p["id"], p["unlisted_key"]
    check(isinstance(key, str) and KEY_RE.match(key), "key %r" % key)
    add(owner, pid, t[:3])
    expect(call("PUT", path(GRANT, id=pid, username=viewer.username), token=owner.access,
                json_body={"access": "view"}), 200, "PUT", GRANT)
    # owner and grantee see the key, by id and in lists
    check(get(viewer, pid)["unlisted_key"] == key, "the grantee does not see the key")
    for who in (owner, viewer):
        for route in (MINE, path(OF_USER, username=owner.username)):
            page = expect(call("GET", route + "?limit=100", token=who.access), 200, "GET",
                          MINE if route == MINE else OF_USER)
            keys = {q["id"]: q["unlisted_key"] for q in page["items"]}
            check(keys.get(pid) == key, "%s lists %r" % (route, keys))
    # a stranger walking ids, and anonymous callers, meet 404 everywhere
    for who in (stranger, None):
        unreachable_by_id(who, pid, owner)
    # a grantee with view access still may not rotate
    expect(call("POST", path(KEY, id=pid), token=viewer.access), 403, "POST", KEY)
    # the key opens it without an account, and does not show itself there
    s = shared(key)
    check(s["playlist"]["id"] == pid and s["playlist"]["unlisted_key"] is None,
          "shared by key %r" % s["playlist"])
    check([i["track"]["id"] for i in s["tracks"]["items"]] == t[:3], "tracks by key")
    s = expect(call("GET", path(SHARED, token=key) + "?limit=2"), 200, "GET", SHARED)
    s = expect(call("GET", path(SHARED, token=key) + "?cursor=" + s["tracks"]["next_cursor"]),
               200, "GET", SHARED)
    check([i["track"]["id"] for i in s["tracks"]["items"]] == [t[2]], "second page by key")
    # holding the key gives nothing by id
    get(stranger, pid, 404)
    for bad in (key[:-1] + ("A" if key[-1] != "A" else "B"), key[:21], key + "A", "%" * 22):
        shared(bad, 404)
    check(get(stranger, pid, 404)["status"] == 404, "by id after the key")


def test_unlisted_key_lifecycle():
    """Made when first unlisted, kept across visibility changes (closed while
    private, open while public, not shown then), replaced by rotation."""
    owner, stranger = encore.new_user(), encore.new_user()
    p = create(owner)
    check(p["unlisted_key"] is None, "a private playlist shows a key %r" % p)
    pid = p["id"]

    def patch(**body):
        r = call("PATCH", path(PL, id=pid), token=owner.access, json_body=body)
        return expect(r, 200, "PATCH", PL)

    key = patch(visibility="unlisted")["unlisted_key"]
    check(key and KEY_RE.match(key), "no key on becoming unlisted: %r" % key)
    shared(key)
    check(patch(name="renamed")["unlisted_key"] == key, "an edit changed the key")
    check(patch(visibility="private")["unlisted_key"] is None, "a private playlist shows a key")
    shared(key, 404)
    check(patch(visibility="unlisted")["unlisted_key"] == key, "the key was not kept")
    shared(key)
    q = patch(visibility="public")
    check(q["unlisted_key"] is None, "a public playlist shows its key to everyone")
    check(get(stranger, pid)["unlisted_key"] is None and get(None, pid)["unlisted_key"] is None,
          "public JSON shows a key")
    shared(key)  # links handed out keep working when it goes public
    patch(visibility="unlisted")
    get(stranger, pid, 404)  # no copy of the public JSON serves it by id now
    # rotation: a new key, the old one dead at once; an edit (If-Match, bump)
    before = get(owner, pid)["snapshot_id"]
    r = call("POST", path(KEY, id=pid), token=owner.access, headers={"If-Match": '"1"'})
    expect(r, 412, "POST", KEY)
    r = call("POST", path(KEY, id=pid), token=owner.access,
             headers={"If-Match": '"%s"' % before})
    q = expect(r, 200, "POST", KEY)
    check(r.headers.get("Cache-Control") == "no-store", "rotation Cache-Control %r" %
          r.headers.get("Cache-Control"))
    new = q["unlisted_key"]
    check(new and new != key and KEY_RE.match(new), "rotated %r from %r" % (new, key))
    check(int(q["snapshot_id"]) == int(before) + 1, "rotation snapshot %r" % q["snapshot_id"])
    shared(key, 404)
    shared(new)
    check(get(owner, pid)["unlisted_key"] == new, "GET shows the old key")


def test_unlisted_key_migration():
    """0014 gives an unlisted playlist without a key a fresh one that opens
    it: its UPDATE run over a playlist written with none."""
    owner = encore.new_user()
    name = "Legacy " + secrets.token_hex(4)
    sql("INSERT INTO playlists (owner_id, name, visibility) VALUES (%d, '%s', 'unlisted')"
        % (owner.id, name))
    pid = int(sql("SELECT id FROM playlists WHERE name = '%s'" % name)[0][0])
    check(get(owner, pid)["unlisted_key"] is None, "a key before the migration")
    text = open(os.path.join(encore.ROOT, "sql", "migrations", "0014_unlisted_keys.sql")).read()
    update = re.search(r"^UPDATE playlists.*?;", text, re.S | re.M).group(0)
    sql(update)
    key = get(owner, pid)["unlisted_key"]
    check(key and KEY_RE.match(key), "migrated key %r" % key)
    check(shared(key)["playlist"]["id"] == pid, "the migrated key opens another playlist")
    keys = sql("SELECT unlisted_key FROM playlists WHERE visibility = 'unlisted'")
    check(len({k[0] for k in keys}) == len(keys), "repeated keys")


def test_old_likes_of_unlisted_playlists_are_not_listed():
    """A stranger's like of an unlisted playlist from before keys (written
    directly) is not listed: the list would hand out its id."""
    owner, stranger = encore.new_user(), encore.new_user()
    pid = create(owner, visibility="unlisted")["id"]
    sql("INSERT INTO likes (user_id, object_type, object_id) VALUES (%d, 'playlist', %d)"
        % (stranger.id, pid))
    page = expect(call("GET", "/api/v1/me/likes", token=stranger.access), 200,
                  "GET", "/api/v1/me/likes")
    check(page["items"] == [], "listed %r" % page["items"])
    expect(call("DELETE", path(LIKE, type="playlists", id=pid), token=stranger.access), 204,
           "DELETE", LIKE)


def test_cached_reads_follow_writes():
    owner, other = encore.new_user(), encore.new_user()
    pid = create(owner, visibility="public", name="Before")["id"]
    for _ in range(2):  # the second read is served by memcached
        check(get(other, pid)["name"] == "Before", "first read")
    r = call("PATCH", path(PL, id=pid), token=owner.access, json_body={"name": "After"})
    expect(r, 200, "PATCH", PL)
    check(get(other, pid)["name"] == "After", "a stale cached name after PATCH")
    add(owner, pid, [tracks()[0]])
    p = get(None, pid)
    check(p["track_count"] == 1 and p["snapshot_id"] == "3", "stale after adding %r" % p)
    # a like (another part of the API) bumps the playlist's cached copy too
    r = call("PUT", "/api/v1/me/likes/playlists/%d" % pid, token=other.access)
    expect(r, 204, "PUT", "/api/v1/me/likes/{type}/{id}")
    check(get(other, pid)["like_count"] == 1, "a stale like_count after a like")
    r = call("PATCH", path(PL, id=pid), token=owner.access, json_body={"visibility": "private"})
    expect(r, 200, "PATCH", PL)
    get(other, pid, 404)
    get(None, pid, 404)
    r = call("PATCH", path(PL, id=pid), token=owner.access, json_body={"visibility": "public"})
    expect(r, 200, "PATCH", PL)
    get(other, pid)


def test_account_deletion_removes_cached_playlists():
    owner, other = encore.new_user(), encore.new_user()
    pid = create(owner, visibility="public")["id"]
    get(other, pid)
    get(other, pid)
    r = call("DELETE", "/api/v1/me", token=owner.access, json_body={"password": owner.password})
    expect(r, 204, "DELETE", "/api/v1/me")
    get(other, pid, 404)


if __name__ == "__main__":
    encore.main(globals())
