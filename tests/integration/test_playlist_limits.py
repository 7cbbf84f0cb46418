#!/usr/bin/python3
"""The caps on collections a client can grow (src/model/cap.h): live share
links per playlist (100), grants per playlist (1,000), playlists per user
(10,000), likes (100,000) and dislikes (10,000) per user. Each is filled by
SQL to a few short of its cap, then ten requests are sent at once: exactly
as many succeed as there was room for, the others answer 409 limit-reached
(problem+json, the cap in its detail), and the collection ends at its cap.
A write that grows nothing (a grant changed, a like repeated) still
succeeds at the cap; making room lets the next one in.

Rows are seeded over the stack's MariaDB socket (bulkdb.sql); objects of
likes need not exist for counting, so the filler rows point nowhere.

Deliberate login failures here: none."""

import os
import secrets
import sys
import threading

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bulkdb  # noqa: E402
import encore  # noqa: E402
from encore import call, check, expect  # noqa: E402

encore.require_stack()

PLS = "/api/v1/playlists"
PL = "/api/v1/playlists/{id}"
GRANT = "/api/v1/playlists/{id}/grants/{username}"
LINKS = "/api/v1/playlists/{id}/links"
LINK = "/api/v1/playlists/{id}/links/{link_id}"
SHARED = "/api/v1/shared/{token}"
LIKE = "/api/v1/me/likes/{type}/{id}"
DISLIKE = "/api/v1/me/dislikes/{type}/{id}"
SLUG = "urn:encore:problem:limit-reached"
AT_ONCE = 10


def sql(text):
    """Rows of text run on the service's database."""
    return bulkdb.sql(text, encore.conf().get("db_name", "encore"))


def one(text):
    return int(sql(text)[0][0])


def path(route, **kw):
    for k, v in kw.items():
        route = route.replace("{%s}" % k, str(v))
    return route


def at_once(requests):
    """Send (method, url, token, body) requests together; their responses
    in order."""
    out = [None] * len(requests)
    start = threading.Barrier(len(requests))

    def go(i, method, url, token, body):
        start.wait()
        out[i] = call(method, url, token=token, json_body=body)

    threads = [threading.Thread(target=go, args=(i,) + r) for i, r in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def race(requests, room, ok, method, route, cap):
    """Send the requests at once: `room` answer `ok`, the rest 409 with the
    cap in the detail."""
    got = at_once(requests)
    codes = sorted(r.status_code for r in got)
    check(codes == sorted([ok] * room + [409] * (len(requests) - room)),
          "%s %s: %d of room, statuses %r" % (method, route, room, codes))
    for r in got:
        if r.status_code == 409:
            full(r, method, route, cap)


def full(r, method, route, cap):
    p = expect(r, 409, method, route)
    check(p["type"] == SLUG and str(cap) in p.get("detail", ""),
          "%s %s at the cap: %r" % (method, route, p))
    return p


def seed_users(n, tag):
    """n accounts made by SQL (no login), their (id, username) in order."""
    sql("INSERT INTO users (username, email, password_hash, display_name) "
        "SELECT CONCAT('%s_', seq), CONCAT('%s_', seq, '@example.org'), 'x', 'x' "
        "FROM seq_1_to_%d" % (tag, tag, n))
    return [(int(r[0]), r[1]) for r in sql(
        "SELECT id, username FROM users WHERE username LIKE '%s\\_%%' ORDER BY id" % tag)]


def seed_tracks(n):
    tag = "lim" + secrets.token_hex(4)
    sql("INSERT INTO tracks (title, duration_ms) SELECT CONCAT('%s ', seq), 1000 "
        "FROM seq_1_to_%d" % (tag, n))
    return [int(r[0]) for r in sql(
        "SELECT id FROM tracks WHERE title LIKE '%s %%' ORDER BY id" % tag)]


# --------------------------------------------------------------------------


def test_links_per_playlist():
    cap = 100
    owner = encore.new_user()
    pid = expect(call("POST", PLS, token=owner.access, json_body={"name": "links"}),
                 201, "POST", PLS)["id"]
    # 95 live links, and dead ones (revoked, expired) that open nothing and
    # must not be kept: a new link clears them away
    sql("INSERT INTO playlist_links (playlist_id, token_hash, expires_at, revoked_at) "
        "SELECT %d, RANDOM_BYTES(32), CASE WHEN seq <= 95 THEN NULL "
        "WHEN seq <= 120 THEN UTC_TIMESTAMP(3) - INTERVAL 1 SECOND END, "
        "CASE WHEN seq > 120 THEN UTC_TIMESTAMP(3) END FROM seq_1_to_150" % pid)
    url = path(LINKS, id=pid)
    race([("POST", url, owner.access, {})] * AT_ONCE, cap - 95, 201, "POST", LINKS, cap)
    check(one("SELECT COUNT(*) FROM playlist_links WHERE playlist_id = %d" % pid) == cap,
          "links after the race (dead ones left, or the cap overshot)")
    # a revoked link makes room; the token of a link refused never works
    link = one("SELECT MIN(id) FROM playlist_links WHERE playlist_id = %d" % pid)
    expect(call("DELETE", path(LINK, id=pid, link_id=link), token=owner.access), 204,
           "DELETE", LINK)
    made = expect(call("POST", url, token=owner.access, json_body={"expires_in": 60}), 201,
                  "POST", LINKS)
    expect(call("GET", path(SHARED, token=made["token"])), 200, "GET", SHARED)
    full(call("POST", url, token=owner.access, json_body={}), "POST", LINKS, cap)
    # an expired link makes room as well
    sql("UPDATE playlist_links SET expires_at = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND "
        "WHERE playlist_id = %d ORDER BY id LIMIT 1" % pid)
    expect(call("POST", url, token=owner.access, json_body={}), 201, "POST", LINKS)
    check(one("SELECT COUNT(*) FROM playlist_links WHERE playlist_id = %d" % pid) == cap,
          "links at the end")


def test_grants_per_playlist():
    cap = 1000
    owner = encore.new_user()
    pid = expect(call("POST", PLS, token=owner.access, json_body={"name": "grants"}),
                 201, "POST", PLS)["id"]
    users = seed_users(cap + AT_ONCE, "g" + secrets.token_hex(3))
    filled = cap - 4
    sql("INSERT INTO playlist_grants (playlist_id, user_id, access) "
        "SELECT %d, id, 'view' FROM users WHERE id BETWEEN %d AND %d"
        % (pid, users[0][0], users[filled - 1][0]))
    check(one("SELECT COUNT(*) FROM playlist_grants WHERE playlist_id = %d" % pid) == filled,
          "seeded grants")
    race([("PUT", path(GRANT, id=pid, username=name), owner.access, {"access": "view"})
          for _, name in users[filled:filled + AT_ONCE]], 4, 200, "PUT", GRANT, cap)
    check(one("SELECT COUNT(*) FROM playlist_grants WHERE playlist_id = %d" % pid) == cap,
          "grants after the race")
    # a grant changed grows nothing: allowed at the cap
    g = expect(call("PUT", path(GRANT, id=pid, username=users[0][1]), token=owner.access,
                    json_body={"access": "edit"}), 200, "PUT", GRANT)
    check(g["access"] == "edit", "changed grant %r" % g)
    # a grant taken away makes room
    expect(call("DELETE", path(GRANT, id=pid, username=users[1][1]), token=owner.access),
           204, "DELETE", GRANT)
    left = [name for uid, name in users[filled:] if not one(
        "SELECT COUNT(*) FROM playlist_grants WHERE playlist_id = %d AND user_id = %d"
        % (pid, uid))]
    expect(call("PUT", path(GRANT, id=pid, username=left[0]), token=owner.access,
                json_body={"access": "view"}), 200, "PUT", GRANT)
    full(call("PUT", path(GRANT, id=pid, username=left[1]), token=owner.access,
              json_body={"access": "view"}), "PUT", GRANT, cap)


def test_playlists_per_user():
    cap = 10000
    owner = encore.new_user()
    sql("INSERT INTO playlists (owner_id, name) SELECT %d, CONCAT('filler ', seq) "
        "FROM seq_1_to_%d" % (owner.id, cap - 3))
    race([("POST", PLS, owner.access, {"name": "race %d" % i}) for i in range(AT_ONCE)],
         3, 201, "POST", PLS, cap)
    check(one("SELECT COUNT(*) FROM playlists WHERE owner_id = %d" % owner.id) == cap,
          "playlists after the race")
    # another user is not held back; deleting one makes room
    other = encore.new_user()
    expect(call("POST", PLS, token=other.access, json_body={"name": "mine"}), 201, "POST", PLS)
    pid = one("SELECT MAX(id) FROM playlists WHERE owner_id = %d" % owner.id)
    expect(call("DELETE", path(PL, id=pid), token=owner.access), 204, "DELETE", PL)
    expect(call("POST", PLS, token=owner.access, json_body={"name": "again"}), 201, "POST", PLS)
    full(call("POST", PLS, token=owner.access, json_body={"name": "one more"}),
         "POST", PLS, cap)


def marks_at_cap(route, table, filler_type, cap):
    """A user a few marks (likes or dislikes) short of the cap, ten more sent
    at once: the cap reached, not passed. The user and the tracks (the
    first one marked before the race); a mark repeated still goes in."""
    u = encore.new_user()
    t = seed_tracks(AT_ONCE + 1)
    # filler marks of objects that do not exist (ids far above any real one)
    sql("INSERT INTO %s (user_id, object_type, object_id) "
        "SELECT %d, '%s', 1000000000000 + seq FROM seq_1_to_%d"
        % (table, u.id, filler_type, cap - 5))
    expect(call("PUT", path(route, type="tracks", id=t[0]), token=u.access), 204, "PUT", route)
    race([("PUT", path(route, type="tracks", id=x), u.access, None) for x in t[1:]],
         4, 204, "PUT", route, cap)
    check(one("SELECT COUNT(*) FROM %s WHERE user_id = %d" % (table, u.id)) == cap,
          "%s after the race" % table)
    expect(call("PUT", path(route, type="tracks", id=t[0]), token=u.access), 204, "PUT", route)
    return u, t


def room_once(u, t, route, table, cap):
    """After one mark was taken away: one more of the tracks the race left
    out goes in, the next is refused."""
    left = [x for x in t[1:] if not one(
        "SELECT COUNT(*) FROM %s WHERE user_id = %d AND object_id = %d" % (table, u.id, x))]
    expect(call("PUT", path(route, type="tracks", id=left[0]), token=u.access), 204,
           "PUT", route)
    full(call("PUT", path(route, type="tracks", id=left[1]), token=u.access), "PUT", route, cap)


def test_likes_per_user():
    u, t = marks_at_cap(LIKE, "likes", "album", 100000)
    expect(call("DELETE", path(LIKE, type="tracks", id=t[0]), token=u.access), 204,
           "DELETE", LIKE)
    room_once(u, t, LIKE, "likes", 100000)


def test_dislikes_per_user():
    u, t = marks_at_cap(DISLIKE, "dislikes", "artist", 10000)
    # at the cap a like still goes in (another collection), and takes the
    # track's dislike with it, which makes room
    expect(call("PUT", path(LIKE, type="tracks", id=t[0]), token=u.access), 204, "PUT", LIKE)
    room_once(u, t, DISLIKE, "dislikes", 10000)


if __name__ == "__main__":
    encore.main(globals())
