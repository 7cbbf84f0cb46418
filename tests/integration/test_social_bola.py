#!/usr/bin/python3
"""Object-level authorization over every route of the social layer: two
users, alice and bob, and mallory, whom alice blocked, drive every
operation of the spec's `social` tag with every method against each
other's things. Nobody reaches another's private things (alice's private
playlist and its comments, her notifications, the requests made to her,
her blocks and mutes), nobody edits or removes what is not theirs, mallory
cannot tell alice from a user who does not exist, and nothing answers 5xx.
Afterwards alice's things are as they were."""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
from encore import call, check, expect  # noqa: E402
from social import (  # noqa: E402
    block, comment, eventually, every, follow, mute, notifications, path,
    playlist, set_policy, sql, track, users)

encore.require_stack()

# Values for every path parameter of the social routes.
BODIES = {
    ("POST", "/api/v1/tracks/{id}/comments"): {"text": "hello"},
    ("POST", "/api/v1/albums/{id}/comments"): {"text": "hello"},
    ("POST", "/api/v1/playlists/{id}/comments"): {"text": "hello"},
    ("POST", "/api/v1/comments/{id}/replies"): {"text": "hello"},
    ("PATCH", "/api/v1/comments/{id}"): {"text": "taken over"},
    ("POST", "/api/v1/comments/{id}/report"): {"reason": "spam"},
}


def social_operations():
    """(METHOD, path template) of every operation tagged `social`."""
    out = []
    for p, item in encore.spec()["paths"].items():
        for m, op in item.items():
            if isinstance(op, dict) and "social" in (op.get("tags") or []):
                out.append((m.upper(), p))
    return sorted(out)


def send(actor, method, route, **params):
    body = BODIES.get((method, route))
    r = call(method, path(route, **params), token=actor.access if actor else None,
             json_body=body)
    check(r.status_code < 500, "%s %s %r as %s: %d %s" % (
        method, route, params, actor, r.status_code, r.text[:200]))
    expect(r, r.status_code, method, route)  # every answer as the spec says
    return r


class World:
    pass


def setup_world():
    w = World()
    w.alice, w.bob, w.mallory, w.carol = users(4)
    a = w.alice
    set_policy(a, "approval")
    w.track = track()
    w.private = playlist(a, "private")
    w.public = playlist(a, "public")
    w.c_private = comment(a, "playlists", w.private, "on my private list")["id"]
    w.c_track = comment(a, "tracks", w.track, "alice on a track")["id"]
    w.c_public = comment(a, "playlists", w.public, "alice on her public list")["id"]
    w.c_bob = comment(w.bob, "tracks", w.track, "bob on a track")["id"]
    follow(w.bob, a)             # a request waiting for alice
    follow(w.carol, w.bob)       # bob's follower
    follow(a, w.carol)
    block(a, w.mallory)
    mute(a, w.carol)
    w.note = eventually(lambda: [n["id"] for n in notifications(a)["items"]
                                 if n["kind"] == "follow_request"], "alice's request note")[0]
    return w


def snapshot(w):
    """What of alice's must not change (bob may withdraw his own request:
    that is his)."""
    q = ("SELECT (SELECT GROUP_CONCAT(CONCAT(id, ':', body, ':', like_count) ORDER BY id) "
         "FROM comments WHERE author_id = %(a)d), "
         "(SELECT GROUP_CONCAT(CONCAT(follower_id, ':', state) ORDER BY follower_id) "
         "FROM follows WHERE followee_id = %(a)d AND follower_id <> %(b)d), "
         "(SELECT GROUP_CONCAT(followee_id) FROM follows WHERE follower_id = %(a)d), "
         "(SELECT GROUP_CONCAT(blocked_id) FROM blocks WHERE blocker_id = %(a)d), "
         "(SELECT GROUP_CONCAT(muted_id) FROM mutes WHERE muter_id = %(a)d), "
         "(SELECT GROUP_CONCAT(CONCAT(id, ':', read_at IS NULL) ORDER BY id) "
         "FROM notifications WHERE user_id = %(a)d), "
         "(SELECT COUNT(*) FROM comments WHERE object_type = 'playlist' AND object_id = %(p)d)"
         % {"a": w.alice.id, "b": w.bob.id, "p": w.private})
    return sql(q)


def test_every_social_operation_is_exercised():
    ops = social_operations()
    check(len(ops) == 33, "the spec tags %d operations social: %r" % (len(ops), ops))
    missing = [op for op in ops if op not in covered(World.__new__(World))]
    check(not missing, "operations this test does not drive: %r" % missing)


def covered(w):
    return {(m, r) for m, r, _ in cases(w, None)}


def cases(w, target):
    """(METHOD, route, params) for every operation, aimed at `target`'s
    things (a World's fields), or at nothing in particular when target is
    None."""
    u = getattr(target, "username", "nobody_here")
    g = lambda k: getattr(w, k, 1)  # noqa: E731
    return [
        ("PUT", "/api/v1/me/following/{username}", {"username": u}),
        ("DELETE", "/api/v1/me/following/{username}", {"username": u}),
        ("DELETE", "/api/v1/me/followers/{username}", {"username": u}),
        ("GET", "/api/v1/me/follow-requests", {}),
        ("POST", "/api/v1/me/follow-requests/{username}/accept", {"username": u}),
        ("POST", "/api/v1/me/follow-requests/{username}/decline", {"username": u}),
        ("GET", "/api/v1/users/{username}/followers", {"username": u}),
        ("GET", "/api/v1/users/{username}/following", {"username": u}),
        ("GET", "/api/v1/me/blocks", {}),
        ("PUT", "/api/v1/me/blocks/{username}", {"username": u}),
        ("DELETE", "/api/v1/me/blocks/{username}", {"username": u}),
        ("GET", "/api/v1/me/mutes", {}),
        ("PUT", "/api/v1/me/mutes/{username}", {"username": u}),
        ("DELETE", "/api/v1/me/mutes/{username}", {"username": u}),
        ("GET", "/api/v1/me/feed", {}),
        ("GET", "/api/v1/users/{username}/activity", {"username": u}),
        ("GET", "/api/v1/me/notifications", {}),
        ("POST", "/api/v1/me/notifications/read-all", {}),
        ("POST", "/api/v1/me/notifications/{id}/read", {"id": g("note")}),
        ("GET", "/api/v1/tracks/{id}/comments", {"id": g("track")}),
        ("POST", "/api/v1/tracks/{id}/comments", {"id": g("track")}),
        ("GET", "/api/v1/albums/{id}/comments", {"id": 999999999999}),
        ("POST", "/api/v1/albums/{id}/comments", {"id": 999999999999}),
        ("GET", "/api/v1/playlists/{id}/comments", {"id": g("private")}),
        ("POST", "/api/v1/playlists/{id}/comments", {"id": g("private")}),
        ("GET", "/api/v1/comments/{id}", {"id": g("c_private")}),
        ("PATCH", "/api/v1/comments/{id}", {"id": g("c_track")}),
        ("DELETE", "/api/v1/comments/{id}", {"id": g("c_track")}),
        ("GET", "/api/v1/comments/{id}/replies", {"id": g("c_private")}),
        ("POST", "/api/v1/comments/{id}/replies", {"id": g("c_private")}),
        ("PUT", "/api/v1/comments/{id}/like", {"id": g("c_private")}),
        ("DELETE", "/api/v1/comments/{id}/like", {"id": g("c_private")}),
        ("POST", "/api/v1/comments/{id}/report", {"id": g("c_private")}),
    ]


def test_bob_reaches_nothing_of_alice():
    w = setup_world()
    before = snapshot(w)
    bob = w.bob
    for m, route, params in cases(w, w.alice):
        send(bob, m, route, **params)
    # what he was answered, one by one
    for m, route in (("GET", "/api/v1/comments/{id}"), ("PATCH", "/api/v1/comments/{id}"),
                     ("DELETE", "/api/v1/comments/{id}"), ("GET", "/api/v1/comments/{id}/replies"),
                     ("POST", "/api/v1/comments/{id}/replies"), ("PUT", "/api/v1/comments/{id}/like"),
                     ("DELETE", "/api/v1/comments/{id}/like"),
                     ("POST", "/api/v1/comments/{id}/report")):
        r = send(bob, m, route, id=w.c_private)
        check(r.status_code == 404, "bob %s %s on a private playlist's comment: %d" % (
            m, route, r.status_code))
    for m in ("PATCH", "DELETE"):
        for cid in (w.c_track, w.c_public):
            r = send(bob, m, "/api/v1/comments/{id}", id=cid)
            check(r.status_code == 404, "bob %s alice's comment %d: %d" % (m, cid, r.status_code))
    for m in ("GET", "POST"):
        r = send(bob, m, "/api/v1/playlists/{id}/comments", id=w.private)
        check(r.status_code == 404, "bob %s comments of a private playlist: %d" % (m, r.status_code))
    r = send(bob, "POST", "/api/v1/me/notifications/{id}/read", id=w.note)
    check(r.status_code == 404, "bob read alice's notification: %d" % r.status_code)
    # bob cannot answer the request he made to alice, nor see alice's lists
    for action in ("accept", "decline"):
        for who in (w.bob, w.alice):
            r = send(bob, "POST", "/api/v1/me/follow-requests/{username}/" + action,
                     username=who.username)
            check(r.status_code == 404, "bob %s %s: %d" % (action, who, r.status_code))
    for route in ("/api/v1/me/blocks", "/api/v1/me/mutes", "/api/v1/me/follow-requests"):
        items = every(route, bob)
        check(all(it["user"]["id"] not in (w.mallory.id, w.carol.id, w.bob.id) for it in items),
              "bob sees alice's %s: %r" % (route, items))
    for n in notifications(bob)["items"]:
        check(n["id"] != w.note, "alice's notification in bob's inbox")
    for e in every("/api/v1/me/feed", bob) + every("/api/v1/users/{username}/activity", bob,
                                                     username=w.alice.username):
        o = e.get("object") or {}
        # ids of different kinds may coincide: compare the kind too
        check((o.get("type"), o.get("id")) not in (("playlist", w.private),
                                                   ("comment", w.c_private)),
              "alice's private things in bob's feed: %r" % e)
    # bob's own acts on himself were allowed; alice's things are unchanged
    # but for the ones bob may touch: none
    after = snapshot(w)
    check(after == before, "alice's things changed: %r -> %r" % (before, after))


def test_mallory_cannot_tell_alice_from_nobody():
    w = setup_world()
    mal = w.mallory
    before = snapshot(w)
    ghost = World()
    ghost.username = encore.unique("ghost")
    answers = {}
    for who in (w.alice, ghost):
        for m, route, params in cases(w, who):
            if "username" not in params:
                continue
            r = send(mal, m, route, **params)
            b = r.json() if r.content else None
            answers.setdefault((m, route), []).append(
                (r.status_code, b and (b.get("type"), b.get("title"), b.get("detail"))))
    for key, (as_alice, as_ghost) in answers.items():
        check(as_alice == as_ghost, "%s %s: alice %r, nobody %r" % (key + (as_alice, as_ghost)))
        check(as_alice[0] == 404, "%s %s answers %r" % (key + (as_alice,)))
    # alice's comments, anywhere, and her playlists' comments
    for cid in (w.c_track, w.c_public, w.c_private):
        for m, route in (("GET", "/api/v1/comments/{id}"), ("PATCH", "/api/v1/comments/{id}"),
                         ("DELETE", "/api/v1/comments/{id}"),
                         ("GET", "/api/v1/comments/{id}/replies"),
                         ("POST", "/api/v1/comments/{id}/replies"),
                         ("PUT", "/api/v1/comments/{id}/like"),
                         ("POST", "/api/v1/comments/{id}/report")):
            r = send(mal, m, route, id=cid)
            check(r.status_code == 404, "mallory %s %s %d: %d" % (m, route, cid, r.status_code))
    for m in ("GET", "POST"):
        r = send(mal, m, "/api/v1/playlists/{id}/comments", id=w.public)
        check(r.status_code == 404, "mallory %s comments of alice's playlist: %d" % (m, r.status_code))
    listed = [c["id"] for c in every("/api/v1/tracks/{id}/comments", mal, id=w.track)]
    check(w.c_track not in listed and w.c_bob in listed, "mallory's view of the track %r" % listed)
    check(snapshot(w) == before, "mallory changed alice's things")


def test_anonymous_and_odd_inputs_never_5xx():
    w = setup_world()
    for actor in (None, w.bob):
        for m, route, params in cases(w, w.alice):
            send(actor, m, route, **params)
        for m, route, params in cases(World(), None):
            send(actor, m, route, **params)
    # the list routes with every kind of query
    for route, params in (("/api/v1/me/feed", {}), ("/api/v1/me/notifications", {}),
                          ("/api/v1/users/{username}/activity", {"username": w.alice.username}),
                          ("/api/v1/tracks/{id}/comments", {"id": w.track})):
        for q in ("?limit=100&cursor=" + "A" * 300, "?cursor=%00", "?sort=top&limit=1",
                  "?unread=true&limit=1", "?cursor=" + encore.b64url(b"9" * 40)):
            r = call("GET", path(route, **params) + q, token=w.bob.access)
            check(r.status_code < 500, "%s%s: %d" % (route, q, r.status_code))


if __name__ == "__main__":
    encore.main(globals())
