#!/usr/bin/python3
"""Every write of a user's taste drops their cached recommendations: the
memcached namespace "recs:<user id>" (kept as "ns:recs:<id>", see
src/core/kv.c) gets a new version after listens are stored, listens are
deleted, likes and dislikes change either way, and preferences are put;
writes that change nothing leave it alone. And end to end, a cached
recommendation list follows a dislike at once.

The version is seeded with a known value over the stack's memcached socket
and read back after each request."""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
from encore import call, check, expect  # noqa: E402
from test_likes import kv  # noqa: E402
from test_listens import at, seed_track  # noqa: E402

encore.require_stack()


class Version:
    """The recs namespace version of one user, seeded to a marker."""

    def __init__(self, user):
        self.key = "ns:recs:%d" % user.id
        self.n = 0

    def seed(self):
        self.n += 1
        self.marker = "seed%d" % self.n
        check(kv("set %s 0 0 %d\r\n%s\r\n" % (self.key, len(self.marker), self.marker))
              .startswith("STORED"), "cannot seed memcached")

    def bumped(self):
        return ("\r\n%s\r\n" % self.marker) not in kv("get %s\r\n" % self.key)


def expect_bump(v, what, fn, bump=True):
    v.seed()
    fn()
    check(v.bumped() == bump, "%s %s the recs namespace" %
          (what, "did not bump" if bump else "bumped"))


def req(u, method, path, route, status, body=None):
    return lambda: expect(call(method, path, token=u.access, json_body=body),
                          status, method, route)


def test_listens_bump_only_when_stored_or_deleted():
    u = encore.new_user()
    v = Version(u)
    t = seed_track("Taste " + encore.unique("t"), "Taste " + encore.unique("a"))
    batch = {"listens": [{"track_id": t, "listened_at": at(i)} for i in range(5)]}
    post = req(u, "POST", "/api/v1/me/listens", "/api/v1/me/listens", 200, batch)
    expect_bump(v, "a stored batch", post)
    expect_bump(v, "an all-duplicate batch", post, bump=False)
    # A batch whose every item is rejected stores nothing: no bump.
    bad = {"listens": [{"track_id": 999999999999, "listened_at": at(1)}]}
    expect_bump(v, "a rejected batch",
                req(u, "POST", "/api/v1/me/listens", "/api/v1/me/listens", 422, bad),
                bump=False)
    hist = expect(call("GET", "/api/v1/me/history?limit=100", token=u.access), 200, "GET",
                  "/api/v1/me/history")["items"]
    check(len(hist) == 5, "history %r" % hist)
    one = "/api/v1/me/history/%d" % hist[0]["id"]
    route = "/api/v1/me/history/{listen_id}"
    expect_bump(v, "deleting a listen", req(u, "DELETE", one, route, 200))
    expect_bump(v, "deleting a deleted listen", req(u, "DELETE", one, route, 404),
                bump=False)
    rng = "/api/v1/me/history?from=%s" % at(3).replace("+", "%2B")
    expect_bump(v, "deleting a range", req(u, "DELETE", rng, "/api/v1/me/history", 200))
    expect_bump(v, "deleting an empty range",
                req(u, "DELETE", rng, "/api/v1/me/history", 200), bump=False)
    # Another user's writes leave this user's recommendations alone.
    other = encore.new_user()
    expect_bump(v, "another user's listens",
                req(other, "POST", "/api/v1/me/listens", "/api/v1/me/listens", 200, batch),
                bump=False)


def test_likes_dislikes_and_preferences_bump():
    u = encore.new_user()
    v = Version(u)
    t = seed_track("Taste " + encore.unique("t"), "Taste " + encore.unique("a"))
    like = "/api/v1/me/likes/tracks/%d" % t
    lroute = "/api/v1/me/likes/{type}/{id}"
    dislike = "/api/v1/me/dislikes/tracks/%d" % t
    droute = "/api/v1/me/dislikes/{type}/{id}"
    expect_bump(v, "a like", req(u, "PUT", like, lroute, 204))
    expect_bump(v, "a repeated like", req(u, "PUT", like, lroute, 204), bump=False)
    expect_bump(v, "an unlike", req(u, "DELETE", like, lroute, 204))
    expect_bump(v, "a repeated unlike", req(u, "DELETE", like, lroute, 204), bump=False)
    expect_bump(v, "a dislike", req(u, "PUT", dislike, droute, 204))
    expect_bump(v, "a repeated dislike", req(u, "PUT", dislike, droute, 204), bump=False)
    expect_bump(v, "an undislike", req(u, "DELETE", dislike, droute, 204))
    expect_bump(v, "a repeated undislike", req(u, "DELETE", dislike, droute, 204),
                bump=False)
    expect_bump(v, "a failed dislike",
                req(u, "PUT", "/api/v1/me/dislikes/tracks/999999999999", droute, 404),
                bump=False)
    # Liking a disliked track changes the taste twice in one request: still
    # a new version, and a like that only removes a dislike too.
    expect(call("PUT", dislike, token=u.access), 204, "PUT", droute)
    expect_bump(v, "liking a disliked track", req(u, "PUT", like, lroute, 204))
    expect_bump(v, "disliking a liked track", req(u, "PUT", dislike, droute, 204))
    prefs = {"favourite_genres": ["jazz"], "favourite_artists": ["Nina Simone"]}
    expect_bump(v, "a preferences PUT",
                req(u, "PUT", "/api/v1/me/preferences", "/api/v1/me/preferences", 200, prefs))
    expect_bump(v, "an invalid preferences PUT",
                req(u, "PUT", "/api/v1/me/preferences", "/api/v1/me/preferences", 422,
                    {"favourite_genres": "jazz"}), bump=False)


def test_cached_recommendations_follow_dislikes_at_once():
    """End to end: a cached recommendation list drops an item the moment it
    is disliked, and takes it back when the dislike is."""
    u = encore.new_user()
    # Something popular to recommend even without a trained model.
    seed_track("Hit " + encore.unique("t"), "Hit " + encore.unique("a"), popularity=10 ** 9)
    route = "/api/v1/me/recommendations"

    def top(kind):
        r = call("GET", route + "?type=%s&limit=10" % kind, token=u.access)
        return [i["id"] for i in expect(r, 200, "GET", route)["items"]]

    for kind in ("track", "artist"):
        first = top(kind)
        check(first, "no %s recommendations to test with" % kind)
        check(top(kind) == first, "%s recommendations unstable between reads" % kind)
        path = "/api/v1/me/dislikes/%ss/%d" % (kind, first[0])
        droute = "/api/v1/me/dislikes/{type}/{id}"
        expect(call("PUT", path, token=u.access), 204, "PUT", droute)
        after = top(kind)
        check(first[0] not in after, "a disliked %s is still recommended: %r" % (kind, after))
        expect(call("DELETE", path, token=u.access), 204, "DELETE", droute)
        # (Other tests add popular items meanwhile: membership, not order.)
        check(first[0] in top(kind), "an undisliked %s did not come back" % kind)


if __name__ == "__main__":
    encore.main(globals())
