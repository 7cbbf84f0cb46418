#!/usr/bin/python3
"""Following, requests, blocks and mutes through nginx:
PUT/DELETE /api/v1/me/following/{username}, DELETE /me/followers/{username},
/me/follow-requests (accept, decline), /users/{username}/followers and
/following (newest first, the viewer's relation, cursors), /me/blocks and
/me/mutes. A user who blocked the caller is, to the caller, a user who does
not exist.

follow_policy is set by SQL here except in the test of the preferences
route; the counts in profiles and follow_policy in preferences are tested
as profiles and preferences will show them."""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
from encore import b64url, call, check, expect  # noqa: E402
from social import (  # noqa: E402
    ACCEPT, ACTIVITY, BLOCK, BLOCKS, DECLINE, FEED, FOLLOWER, FOLLOWERS_OF,
    FOLLOWING, FOLLOWING_OF, ME, MUTE, MUTES, PREFS, REQUESTS, USER, block,
    every, follow, followers, following, mute, names, page, path, set_history,
    set_policy, settle, sql, unblock, unfollow, unmute, users)

encore.require_stack()


def problem_of(r):
    """The parts of a problem that could tell cases apart."""
    b = r.json()
    return (r.status_code, b.get("type"), b.get("title"), b.get("detail"), b.get("errors"))


def test_follow_unfollow_idempotent():
    a, b = users(2)
    check(follow(a, b) == {"state": "following"}, "first follow")
    check(follow(a, b) == {"state": "following"}, "second follow")
    check(sql("SELECT COUNT(*) FROM follows WHERE follower_id = %d" % a.id)[0][0] == "1",
          "a second follow stored a second row")
    check(followers(b) == [a.username], "b's followers")
    check(following(a) == [b.username], "a's following")
    unfollow(a, b)
    unfollow(a, b)
    check(followers(b) == [] and following(a) == [], "unfollowed but still listed")
    for method, route in (("PUT", FOLLOWING), ("DELETE", FOLLOWING), ("DELETE", FOLLOWER),
                          ("PUT", BLOCK), ("DELETE", BLOCK), ("PUT", MUTE), ("DELETE", MUTE),
                          ("POST", ACCEPT), ("POST", DECLINE)):
        r = call(method, path(route, username=b.username))
        expect(r, 401, method, route)


def test_self_and_unknown():
    (a,) = users(1)
    for method, route in (("PUT", FOLLOWING), ("PUT", BLOCK), ("PUT", MUTE)):
        r = call(method, path(route, username=a.username), token=a.access)
        p = expect(r, 422, method, route)
        check("username" in encore.error_fields(p), "422 names no username: %r" % p)
    ghost = encore.unique("ghost")
    for method, route in (("PUT", FOLLOWING), ("DELETE", FOLLOWING), ("DELETE", FOLLOWER),
                          ("POST", ACCEPT), ("POST", DECLINE), ("PUT", BLOCK),
                          ("DELETE", BLOCK), ("PUT", MUTE), ("DELETE", MUTE)):
        r = call(method, path(route, username=ghost), token=a.access)
        expect(r, 404, method, route)
        # a path parameter that cannot be a username names nobody
        r = call(method, path(route, username="a-b"), token=a.access)
        encore.expect_problem(r, 404, "not-found", "%s %s a-b" % (method, route))
    for route in (FOLLOWERS_OF, FOLLOWING_OF, ACTIVITY):
        page(route, a, status=404, username=ghost)
        page(route, None, status=404, username=ghost)


def test_blocked_by_target_is_indistinguishable_from_unknown():
    a, b = users(2)
    block(b, a)
    ghost = encore.unique("ghost")
    for method, route in (("PUT", FOLLOWING), ("DELETE", FOLLOWING), ("DELETE", FOLLOWER),
                          ("POST", ACCEPT), ("POST", DECLINE), ("PUT", BLOCK), ("DELETE", BLOCK),
                          ("PUT", MUTE), ("DELETE", MUTE), ("GET", FOLLOWERS_OF), ("GET", FOLLOWING_OF),
                          ("GET", ACTIVITY)):
        hidden = call(method, path(route, username=b.username), token=a.access)
        unknown = call(method, path(route, username=ghost), token=a.access)
        expect(hidden, 404, method, route)
        expect(unknown, 404, method, route)
        check(problem_of(hidden) == problem_of(unknown),
              "%s %s: a blocker answers %r, nobody %r" % (
                  method, route, problem_of(hidden), problem_of(unknown)))
    check(sql("SELECT COUNT(*) FROM follows WHERE follower_id = %d" % a.id)[0][0] == "0",
          "the blocked user's follow was stored")


def test_follow_requests_with_approval():
    a, b, c, d = users(4)
    set_policy(b, "approval")
    check(follow(a, b) == {"state": "requested"}, "a follow of an approval profile")
    check(follow(a, b) == {"state": "requested"}, "asking again")
    follow(c, b)
    check(followers(b) == [] and following(a) == [], "a request counts as a follow")
    reqs = every(REQUESTS, b)
    check(names(reqs) == [c.username, a.username], "requests, newest first: %r" % names(reqs))
    # accept a, decline c
    r = call("POST", path(ACCEPT, username=a.username), token=b.access)
    expect(r, 204, "POST", ACCEPT)
    r = call("POST", path(ACCEPT, username=a.username), token=b.access)
    expect(r, 404, "POST", ACCEPT)  # no request any more: it is a follow
    r = call("POST", path(DECLINE, username=c.username), token=b.access)
    expect(r, 204, "POST", DECLINE)
    r = call("POST", path(DECLINE, username=c.username), token=b.access)
    expect(r, 404, "POST", DECLINE)
    # d never asked
    for route in (ACCEPT, DECLINE):
        r = call("POST", path(route, username=d.username), token=b.access)
        p = expect(r, 404, "POST", route)
        check("request" in p.get("detail", ""), "detail %r" % p)
    check(followers(b) == [a.username], "after the answers: %r" % followers(b))
    check(following(a) == [b.username] and following(c) == [], "following lists")
    check(every(REQUESTS, b) == [], "requests left")
    check(follow(a, b) == {"state": "following"}, "an accepted follow again")
    # a request withdrawn by its author
    follow(d, b)
    unfollow(d, b)
    check(every(REQUESTS, b) == [], "a withdrawn request is still listed")
    # only the one asked may answer: c cannot accept a request made to b
    follow(d, b)
    r = call("POST", path(ACCEPT, username=d.username), token=c.access)
    expect(r, 404, "POST", ACCEPT)
    check(names(every(REQUESTS, b)) == [d.username], "someone else answered b's request")
    # an open profile takes follows at once
    check(follow(b, c) == {"state": "following"}, "open profile")


def test_an_accepted_request_is_a_new_follow():
    owner, x, y, z = users(4)
    set_policy(owner, "approval")
    follow(x, owner)
    follow(y, owner)
    set_policy(owner, "open")
    follow(z, owner)  # followed after the requests were made
    for u in (y, x):
        r = call("POST", path(ACCEPT, username=u.username), token=owner.access)
        expect(r, 204, "POST", ACCEPT)
    check(followers(owner) == [x.username, y.username, z.username],
          "not newest first by acceptance: %r" % followers(owner))
    items = every(FOLLOWERS_OF, None, username=owner.username)
    since = [it["since"] for it in items]
    check(since == sorted(since, reverse=True), "since %r" % since)


def test_counts_stay_right_under_concurrent_changes():
    import threading

    a, b = users(2)

    def counts():
        rows = sql("SELECT follower_count, following_count FROM users WHERE id IN (%d, %d) "
                   "ORDER BY id" % (a.id, b.id))
        return [tuple(int(x) for x in r) for r in rows]

    for _ in range(3):
        follow(a, b)
        threads = [threading.Thread(target=lambda: call(
            "DELETE", path(FOLLOWING, username=b.username), token=a.access)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        check(counts() == [(0, 0), (0, 0)], "counts after unfollows at once: %r" % counts())
    follow(a, b)
    check(counts() == [(0, 1), (1, 0)], "counts after a follow: %r" % counts())
    # a count that went wrong never makes an unfollow fail
    sql("UPDATE users SET follower_count = 0 WHERE id = %d" % b.id)
    unfollow(a, b)
    check(counts() == [(0, 0), (0, 0)], "counts %r" % counts())


def test_followers_history_means_accepted_followers():
    a, b = users(2)
    set_history(b, "followers")
    set_policy(b, "approval")
    hist = "/api/v1/users/{username}/history"
    follow(a, b)
    r = call("GET", path(hist, username=b.username), token=a.access)
    expect(r, 404, "GET", hist)
    r = call("POST", path(ACCEPT, username=a.username), token=b.access)
    expect(r, 204, "POST", ACCEPT)
    r = call("GET", path(hist, username=b.username), token=a.access)
    expect(r, 200, "GET", hist)
    # a block hides the history even when it is public
    set_history(b, "public")
    block(b, a)
    r = call("GET", path(hist, username=b.username), token=a.access)
    expect(r, 404, "GET", hist)


def test_remove_follower():
    a, b = users(2)
    follow(a, b)
    r = call("DELETE", path(FOLLOWER, username=a.username), token=b.access)
    expect(r, 204, "DELETE", FOLLOWER)
    check(followers(b) == [] and following(a) == [], "a removed follower is listed")
    r = call("DELETE", path(FOLLOWER, username=a.username), token=b.access)
    expect(r, 204, "DELETE", FOLLOWER)
    # a pending request can be removed the same way
    set_policy(b, "approval")
    follow(a, b)
    r = call("DELETE", path(FOLLOWER, username=a.username), token=b.access)
    expect(r, 204, "DELETE", FOLLOWER)
    check(every(REQUESTS, b) == [], "a removed request is listed")


def test_lists_newest_first_with_relation_and_cursors():
    owner, v = users(2)
    fans = users(5)
    for f in fans:
        follow(f, owner)
    # the viewer's relation to the listed users
    follow(v, fans[0])                   # following
    follow(fans[1], v)                   # followed by
    set_policy(fans[2], "approval")
    follow(v, fans[2])                   # requested
    follow(v, fans[3])
    follow(fans[3], v)                   # both
    items = every(FOLLOWERS_OF, v, username=owner.username)
    check(names(items) == [f.username for f in reversed(fans)], "not newest first: %r" % names(items))
    rel = {it["user"]["username"]: it["relation"] for it in items}
    want = {
        fans[0].username: {"following": True, "followed_by": False, "requested": False},
        fans[1].username: {"following": False, "followed_by": True, "requested": False},
        fans[2].username: {"following": False, "followed_by": False, "requested": True},
        fans[3].username: {"following": True, "followed_by": True, "requested": False},
        fans[4].username: {"following": False, "followed_by": False, "requested": False},
    }
    check(rel == want, "relations %r" % rel)
    for it in items:
        check(set(it["user"]) == {"id", "username", "display_name", "avatar_url"}, repr(it))
    anon = every(FOLLOWERS_OF, None, username=owner.username)
    check(names(anon) == names(items) and all("relation" not in it for it in anon),
          "anonymous view %r" % anon)
    # pages of two
    seen, cursor = [], None
    while True:
        p = page(FOLLOWERS_OF, v, "?limit=2" + ("&cursor=" + cursor if cursor else ""),
                 username=owner.username)
        check(len(p["items"]) <= 2, "page over its limit")
        seen += names(p["items"])
        cursor = p["next_cursor"]
        if not cursor:
            break
        first = cursor
    check(seen == names(items), "pages %r" % seen)
    # a follow made between two pages does not shift the next page
    p1 = page(FOLLOWERS_OF, v, "?limit=2", username=owner.username)
    late = users(1)[0]
    follow(late, owner)
    p2 = page(FOLLOWERS_OF, v, "?limit=2&cursor=" + p1["next_cursor"], username=owner.username)
    check(names(p2["items"]) == [fans[2].username, fans[1].username], "after a new follow %r" % p2)
    # forged cursors, and cursors of other lists
    other = page(FOLLOWING_OF, v, "?limit=1", username=v.username)["next_cursor"]
    check(other, "v follows several users: a following page has a next cursor")
    mine = page(FOLLOWERS_OF, v, "?limit=1", username=v.username)["next_cursor"]
    for bad in ("%%%", "not-a-cursor!", b64url(b"zzz"), b64url(b"-1"), b64url(b"0"),
                other, mine):
        r = call("GET", path(FOLLOWERS_OF, username=owner.username) + "?cursor=" + bad,
                 token=v.access)
        expect(r, (400,), "GET", FOLLOWERS_OF)
    r = call("GET", path(FOLLOWING_OF, username=v.username) + "?cursor=" + first,
             token=v.access)
    expect(r, 400, "GET", FOLLOWING_OF)
    r = call("GET", REQUESTS + "?cursor=" + first, token=owner.access)
    expect(r, 400, "GET", REQUESTS)
    r = call("GET", FEED + "?cursor=" + first, token=owner.access)
    expect(r, 400, "GET", FEED)
    for q in ("?limit=0", "?limit=101", "?limit=x"):
        r = call("GET", path(FOLLOWERS_OF, username=owner.username) + q)
        expect(r, 422, "GET", FOLLOWERS_OF)


def test_lists_leave_out_users_who_blocked_the_viewer():
    owner, v, hider = users(3)
    follow(hider, owner)
    follow(v, owner)
    block(hider, v)
    check(followers(owner, v) == [v.username], "a user who blocked the viewer is listed")
    check(followers(owner, None) == [v.username, hider.username], "anonymous list")


def test_blocks_sever_follows_both_ways_and_hide():
    a, b = users(2)
    follow(a, b)
    follow(b, a)
    set_policy(a, "approval")
    block(a, b)
    block(a, b)  # idempotent
    check(followers(a) == [] and following(a) == [] and followers(b) == [] and
          following(b) == [], "follows survived a block")
    # neither may follow the other while it stands
    follow(b, a, 404)
    r = call("PUT", path(FOLLOWING, username=b.username), token=a.access)
    expect(r, 409, "PUT", FOLLOWING)
    check(sql("SELECT COUNT(*) FROM follows WHERE (follower_id = %d AND followee_id = %d) OR "
              "(follower_id = %d AND followee_id = %d)" % (a.id, b.id, b.id, a.id))[0][0] == "0",
          "a follow across a block was stored")
    # the blocked sees nothing of the blocker's lists and activity
    for route in (FOLLOWERS_OF, FOLLOWING_OF, ACTIVITY):
        page(route, b, status=404, username=a.username)
        page(route, None, username=a.username)
    # blocks are private: listed to the blocker only
    bl = every(BLOCKS, a)
    check(names(bl) == [b.username] and "created_at" in bl[0], "a's blocks %r" % bl)
    check(every(BLOCKS, b) == [], "b sees a block made by someone else")
    unblock(a, b)
    unblock(a, b)
    check(every(BLOCKS, a) == [], "unblocked but listed")
    check(follow(b, a) == {"state": "requested"}, "follow after unblocking")


def test_blocked_request_is_gone():
    a, b = users(2)
    set_policy(b, "approval")
    follow(a, b)
    block(b, a)
    check(every(REQUESTS, b) == [], "a request of a blocked user is listed")
    r = call("POST", path(ACCEPT, username=a.username), token=b.access)
    expect(r, 404, "POST", ACCEPT)


def test_own_relations_outlive_a_block_by_the_other():
    a, b = users(2)
    mute(a, b)
    block(b, a)
    # to a, b is now a user who does not exist: no new block or mute
    r = call("PUT", path(BLOCK, username=b.username), token=a.access)
    expect(r, 404, "PUT", BLOCK)
    # but a's own mute, listed to a, can still be lifted, once
    check(names(every(MUTES, a)) == [b.username], "a's mute of b")
    unmute(a, b)
    check(every(MUTES, a) == [], "a could not lift its mute")
    r = call("DELETE", path(MUTE, username=b.username), token=a.access)
    expect(r, 404, "DELETE", MUTE)
    r = call("DELETE", path(BLOCK, username=b.username), token=a.access)
    expect(r, 404, "DELETE", BLOCK)


def test_mutes_keep_follows_and_are_private():
    a, b, c = users(3)
    follow(a, b)
    mute(a, b)
    mute(a, b)
    check(following(a) == [b.username], "a mute ended a follow")
    check(names(every(MUTES, a)) == [b.username], "a's mutes")
    check(every(MUTES, b) == [] and every(BLOCKS, a) == [], "mutes leak")
    mute(a, c)
    check(names(every(MUTES, a)) == [c.username, b.username], "mutes newest first")
    p = page(MUTES, a, "?limit=1")
    p2 = page(MUTES, a, "?limit=1&cursor=" + p["next_cursor"])
    check(names(p2["items"]) == [b.username], "mutes second page %r" % p2)
    r = call("GET", BLOCKS + "?cursor=" + p["next_cursor"], token=a.access)
    expect(r, 400, "GET", BLOCKS)
    unmute(a, b)
    unmute(a, b)
    check(names(every(MUTES, a)) == [c.username], "unmuted but listed")


def test_follow_notifies_once():
    a, b = users(2)
    follow(a, b)
    unfollow(a, b)
    follow(a, b)
    settle()
    items = page("/api/v1/me/notifications", b)["items"]
    check([(n["kind"], n["actor"]["username"], n["count"]) for n in items] ==
          [("follower", a.username, 1)], "notifications %r" % items)


# --------------------------------------------------------------------------
# Profiles and preferences (counts and follow_policy are shown there)


def profile(u, viewer=None):
    r = call("GET", path(USER, username=u.username), token=viewer.access if viewer else None)
    return expect(r, 200, "GET", USER)


def test_counts_in_profiles():
    a, b, c = users(3)
    follow(a, b)
    follow(c, b)
    follow(b, a)
    p = profile(b)
    check((p.get("follower_count"), p.get("following_count")) == (2, 1),
          "b's profile counts %r" % p)
    r = call("GET", ME, token=a.access)
    me = expect(r, 200, "GET", ME)
    check((me.get("follower_count"), me.get("following_count")) == (1, 1), "a's /me %r" % me)
    unfollow(c, b)
    block(b, a)  # ends a -> b and b -> a
    p = profile(b)
    check((p.get("follower_count"), p.get("following_count")) == (0, 0), "after %r" % p)
    set_policy(c, "approval")
    follow(b, c)
    check(profile(c).get("follower_count") == 0, "a request is counted")
    r = call("POST", path(ACCEPT, username=b.username), token=c.access)
    expect(r, 204, "POST", ACCEPT)
    check(profile(c).get("follower_count") == 1, "an accepted request is not counted")


def test_follow_policy_in_preferences():
    a, b = users(2)
    r = call("GET", PREFS, token=b.access)
    prefs = expect(r, 200, "GET", PREFS)
    check(prefs.get("follow_policy") == "open", "default follow_policy %r" % prefs)
    prefs["follow_policy"] = "approval"
    r = call("PUT", PREFS, token=b.access, json_body=prefs)
    check(expect(r, 200, "PUT", PREFS).get("follow_policy") == "approval", "stored")
    check(follow(a, b) == {"state": "requested"}, "follow_policy from preferences ignored")
    prefs["follow_policy"] = "maybe"
    r = call("PUT", PREFS, token=b.access, json_body=prefs)
    p = expect(r, 422, "PUT", PREFS)
    check("follow_policy" in encore.error_fields(p), repr(p))


def test_blocked_user_sees_no_profile_or_playlists():
    from social import USER_PLAYLISTS, playlist

    a, b = users(2)
    pid = playlist(a, "public")
    block(a, b)
    r = call("GET", path(USER, username=a.username), token=b.access)
    expect(r, 404, "GET", USER)
    r = call("GET", path(USER_PLAYLISTS, username=a.username), token=b.access)
    expect(r, 404, "GET", USER_PLAYLISTS)
    r = call("GET", "/api/v1/playlists/%d" % pid, token=b.access)
    expect(r, 404, "GET", "/api/v1/playlists/{id}")
    # others still see them
    profile(a, users(1)[0])


if __name__ == "__main__":
    encore.main(globals())
