#!/usr/bin/python3
"""The notification inbox through nginx: GET /api/v1/me/notifications
(grouped while unread: "X and 4 others liked your playlist", the unread
count, ?unread, cursors), POST .../{id}/read and .../read-all; who is told
what (new follower, follow request and its acceptance, a comment on one's
playlist, a reply, a mention, a like of one's playlist or comment), never
oneself and never across a block.

Notifications are written after the response of the act, so a test waits
for them; an absence is checked after a pause."""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
from encore import b64url, call, check, expect  # noqa: E402
from social import (  # noqa: E402
    ACCEPT, COMMENT, COMMENT_LIKE, FEED, NOTIFICATIONS, READ_ALL, READ_ONE,
    block, comment, eventually, follow, like, notifications, path, playlist,
    reply, set_policy, settle, track, users)

encore.require_stack()


def inbox(u, query=""):
    return notifications(u, query)


def wait_inbox(u, pred, what):
    return eventually(lambda: [n for n in inbox(u, "?limit=100")["items"] if pred(n)], what)


def of_kind(kind):
    return lambda n: n["kind"] == kind


def test_likes_of_a_playlist_group():
    owner, *likers = users(6)
    pl = playlist(owner, "public", name="Night drive")
    for i, u in enumerate(likers):
        like(u, "playlists", pl)
        # one at a time: the latest to be told is the one named
        wait_inbox(owner, lambda n: n["kind"] == "playlist_liked" and n["count"] == i + 1,
                   "%d likes" % (i + 1))
    got = wait_inbox(owner, lambda n: n["kind"] == "playlist_liked" and n["count"] == 5,
                     "five likes in one notification")
    p = inbox(owner)
    check(len([n for n in p["items"] if n["kind"] == "playlist_liked"]) == 1,
          "not grouped: %r" % p["items"])
    n = got[0]
    check(n["actor"]["username"] == likers[-1].username, "the latest liker is named: %r" % n)
    check(n["object"] == {"type": "playlist", "id": pl, "name": "Night drive"}, "object %r" % n)
    check(n["read"] is False and p["unread_count"] == 1, "unread %r" % p)
    # the same liker again: no second count
    r = call("DELETE", "/api/v1/me/likes/playlists/%d" % pl, token=likers[0].access)
    expect(r, 204, "DELETE", "/api/v1/me/likes/{type}/{id}")
    like(likers[0], "playlists", pl)
    wait_inbox(owner, lambda n: n["kind"] == "playlist_liked" and
               n["actor"]["username"] == likers[0].username, "the group moved to the latest")
    check([n["count"] for n in inbox(owner)["items"] if n["kind"] == "playlist_liked"] == [5],
          "a repeated like counted again")
    # once read, a new like opens a new group
    r = call("POST", READ_ALL, token=owner.access)
    expect(r, 204, "POST", READ_ALL)
    late = users(1)[0]
    like(late, "playlists", pl)
    wait_inbox(owner, lambda n: n["kind"] == "playlist_liked" and not n["read"], "a new group")
    groups = [(n["count"], n["read"]) for n in inbox(owner)["items"] if n["kind"] == "playlist_liked"]
    check(groups == [(1, False), (5, True)], "groups %r" % groups)


def test_followers_requests_and_acceptance():
    a, b, c, d = users(4)
    follow(a, b)
    wait_inbox(b, of_kind("follower"), "the first follower")
    follow(c, b)
    got = wait_inbox(b, lambda n: n["kind"] == "follower" and n["count"] == 2, "two followers")
    check(got[0]["actor"]["username"] == c.username and got[0]["object"] is None, repr(got))
    set_policy(d, "approval")
    follow(a, d)
    req = wait_inbox(d, of_kind("follow_request"), "a follow request")
    check(req[0]["actor"]["username"] == a.username, repr(req))
    settle()
    check(not [n for n in inbox(d)["items"] if n["kind"] == "follower"], "a request told as a follow")
    r = call("POST", path(ACCEPT, username=a.username), token=d.access)
    expect(r, 204, "POST", ACCEPT)
    acc = wait_inbox(a, of_kind("follow_accepted"), "the acceptance")
    check(acc[0]["actor"]["username"] == d.username, repr(acc))


def test_comments_replies_mentions_and_comment_likes():
    owner, u, v, w = users(4)
    pl = playlist(owner, "public")
    c = comment(u, "playlists", pl, "great list @%s" % w.username)
    n = wait_inbox(owner, of_kind("comment"), "a comment on the owner's playlist")[0]
    check(n["object"]["type"] == "playlist" and n["object"]["id"] == pl, repr(n))
    m = wait_inbox(w, of_kind("mention"), "the mention")[0]
    check(m["object"] == {"type": "comment", "id": c["id"]} and
          m["actor"]["username"] == u.username, repr(m))
    rp = reply(v, c["id"], "agreed")
    r1 = wait_inbox(u, of_kind("reply"), "the reply")[0]
    check(r1["object"]["id"] == rp["id"] and r1["actor"]["username"] == v.username, repr(r1))
    # the owner hears of the reply on the playlist too, once
    eventually(lambda: [n["count"] for n in inbox(owner)["items"] if n["kind"] == "comment"] == [2],
               "two comments on the playlist, grouped")
    # each person once, the most particular kind winning: the parent's author
    # mentioned in a reply hears of a reply, not of a mention too
    reply(v, c["id"], "right, @%s?" % u.username)
    eventually(lambda: len([n for n in inbox(u)["items"] if n["kind"] == "reply"]) == 2,
               "a second reply")
    settle()
    check(not [n for n in inbox(u)["items"] if n["kind"] == "mention"], "told twice")
    r = call("PUT", path(COMMENT_LIKE, id=c["id"]), token=v.access)
    expect(r, 204, "PUT", COMMENT_LIKE)
    cl = wait_inbox(u, of_kind("comment_liked"), "a like of the comment")[0]
    check(cl["object"] == {"type": "comment", "id": c["id"]}, repr(cl))
    # a comment on a track tells nobody but whom it mentions
    comment(v, "tracks", track(), "nice")
    settle()
    check(len([n for n in inbox(owner)["items"] if n["kind"] == "comment"]) == 1,
          "a comment on a track told the playlist's owner")


def test_never_oneself():
    (u,) = users(1)
    pl = playlist(u, "public")
    like(u, "playlists", pl)
    c = comment(u, "playlists", pl, "note to self @%s" % u.username)
    reply(u, c["id"], "and a reply")
    r = call("PUT", path(COMMENT_LIKE, id=c["id"]), token=u.access)
    expect(r, 204, "PUT", COMMENT_LIKE)
    settle()
    p = inbox(u)
    check(p["items"] == [] and p["unread_count"] == 0, "told of one's own acts: %r" % p)


def test_never_across_a_block():
    owner, blocked, other = users(3)
    pl = playlist(owner, "public")
    like(blocked, "playlists", pl)
    c = comment(owner, "tracks", track(), "owner's comment")
    r = call("PUT", path(COMMENT_LIKE, id=c["id"]), token=blocked.access)
    expect(r, 204, "PUT", COMMENT_LIKE)
    wait_inbox(owner, of_kind("comment_liked"), "the like before the block")
    block(owner, blocked)
    # what was told before the block goes from the inbox and its count
    p = inbox(owner)
    check(not [n for n in p["items"] if n["actor"]["id"] == blocked.id],
          "notifications of a blocked user shown: %r" % p["items"])
    check(p["unread_count"] == len([n for n in p["items"] if not n["read"]]),
          "unread count %d with %r" % (p["unread_count"], p["items"]))
    # and nothing new comes through
    comment(blocked, "tracks", track(), "hey @%s" % owner.username)
    follow(blocked, owner, 404)
    like(other, "playlists", pl)
    wait_inbox(owner, lambda n: n["actor"]["id"] == other.id, "another user's like")
    settle()
    check(not [n for n in inbox(owner)["items"] if n["actor"]["id"] == blocked.id],
          "a blocked user reached the inbox")
    # the other way: the blocker cannot reach the blocked either
    comment(owner, "tracks", track(), "hello @%s" % blocked.username)
    settle()
    check(not [n for n in inbox(blocked)["items"] if n["actor"]["id"] == owner.id],
          "a blocker reached the blocked user's inbox")


def test_read_one_read_all_and_unread():
    owner, a, b, stranger = users(4)
    follow(a, owner)
    pl = playlist(owner, "public")
    like(b, "playlists", pl)
    items = eventually(lambda: (lambda p: p["items"] if len(p["items"]) == 2 else None)(inbox(owner)),
                       "two notifications")
    check(inbox(owner)["unread_count"] == 2, "unread count")
    first = items[0]["id"]
    for _ in range(2):
        r = call("POST", path(READ_ONE, id=first), token=owner.access)
        expect(r, 204, "POST", READ_ONE)
    p = inbox(owner)
    check(p["unread_count"] == 1 and [n["read"] for n in p["items"]] == [True, False],
          "after reading one %r" % p)
    check([n["id"] for n in inbox(owner, "?unread=true")["items"]] == [items[1]["id"]],
          "?unread=true")
    check(len(inbox(owner, "?unread=false")["items"]) == 2, "?unread=false")
    r = call("POST", path(READ_ONE, id=first), token=stranger.access)
    expect(r, 404, "POST", READ_ONE)
    r = call("POST", path(READ_ONE, id=999999999999), token=owner.access)
    expect(r, 404, "POST", READ_ONE)
    r = call("POST", path(READ_ONE, id=first))
    expect(r, 401, "POST", READ_ONE)
    for _ in range(2):
        r = call("POST", READ_ALL, token=owner.access)
        expect(r, 204, "POST", READ_ALL)
    p = inbox(owner)
    check(p["unread_count"] == 0 and all(n["read"] for n in p["items"]), "after read-all %r" % p)
    check(inbox(owner, "?unread=true")["items"] == [], "unread after read-all")
    r = call("GET", NOTIFICATIONS + "?unread=maybe", token=owner.access)
    expect(r, 422, "GET", NOTIFICATIONS)


def test_pages_and_cursors():
    owner = users(1)[0]
    fans = users(4)
    pls = [playlist(owner, "public") for _ in range(3)]
    for i, pl in enumerate(pls):
        like(fans[i], "playlists", pl)
    follow(fans[3], owner)
    eventually(lambda: len(inbox(owner)["items"]) == 4, "four notifications")
    all_ids = [n["id"] for n in inbox(owner)["items"]]
    seen, cursor = [], None
    while True:
        p = inbox(owner, "?limit=3" + ("&cursor=" + cursor if cursor else ""))
        seen += [n["id"] for n in p["items"]]
        cursor = p["next_cursor"]
        if not cursor:
            break
        kept = cursor
    check(seen == all_ids, "pages %r, all %r" % (seen, all_ids))
    for bad in ("!", b64url(b"12"), b64url(b"x|y"), b64url(b"-1|3"), b64url(b"1|0")):
        r = call("GET", NOTIFICATIONS + "?cursor=" + bad, token=owner.access)
        expect(r, 400, "GET", NOTIFICATIONS)
    r = call("GET", FEED + "?cursor=" + kept, token=owner.access)
    expect(r, 400, "GET", FEED)


def test_gone_objects_leave_the_inbox():
    owner, u = users(2)
    pl = playlist(owner, "public")
    c = comment(u, "playlists", pl, "soon gone @%s" % owner.username)
    wait_inbox(owner, of_kind("mention"), "the mention")
    r = call("DELETE", path(COMMENT, id=c["id"]), token=u.access)
    expect(r, 204, "DELETE", COMMENT)
    p = inbox(owner)
    check(not [n for n in p["items"] if n["kind"] == "mention"], "a deleted comment's mention")
    check(p["unread_count"] == len([n for n in p["items"] if not n["read"]]),
          "unread count %d, items %r" % (p["unread_count"], p["items"]))


if __name__ == "__main__":
    encore.main(globals())
