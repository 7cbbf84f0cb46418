#!/usr/bin/python3
"""The activity feed through nginx: GET /api/v1/me/feed and
/api/v1/users/{username}/activity. Listens come as listening sessions ("12
tracks, mostly by X"), never one entry per listen; the heavily followed are
merged at read time instead of fanned out; and every rule of privacy holds
at the next read after a change (unfollow, block, mute, history
visibility, a playlist made private or deleted, a comment deleted).

Activity is written after the response of the act that makes it, so a test
waits for it to show; a change of privacy must show at once."""

import datetime
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
from encore import b64url, call, check, expect  # noqa: E402
from social import (  # noqa: E402
    COMMENT, FEED, PLAYLIST_TRACKS, activity, artist_tracks, block, comment,
    delete_playlist, entries, eventually, feed, feed_all, follow, like, listen,
    make_heavy, mute, now_minus, path, playlist, set_history, set_visibility,
    settle, sql, track, unblock, unfollow, unmute, users)

encore.require_stack()


def wait_feed(u, pred, what):
    return eventually(lambda: [e for e in feed_all(u) if pred(e)], what)


def kinds(items, actor=None):
    return [(e["kind"], (e.get("object") or {}).get("id")) for e in entries(items, actor=actor)]


def liked(actor, oid):
    return lambda e: (e["kind"] == "liked" and e["actor"]["id"] == actor.id and
                      e["object"]["id"] == oid)


# --------------------------------------------------------------------------
# Listening sessions


def test_listens_group_into_sessions():
    a, b = users(2)
    set_history(b, "public")
    follow(a, b)
    x, xs = artist_tracks(8)
    y, ys = artist_tracks(4)
    start = now_minus(240)
    # 12 listens over 40 minutes, interleaved, in two batches out of order
    order = [xs[0], ys[0], xs[1], xs[2], ys[1], xs[3], xs[4], ys[2], xs[5], xs[6], ys[3], xs[7]]
    listen(b, order[6:], start + datetime.timedelta(seconds=6 * 200))
    listen(b, order[:6], start)
    got = eventually(lambda: [e for e in entries(feed_all(a), "listened", b)
                              if e.get("count") == 12], "one session of 12 listens")
    sessions = entries(feed_all(a), "listened", b)
    check(len(sessions) == 1, "listens not grouped: %r" % sessions)
    s = got[0]
    check(s["artist"]["name"] == x and s["artist"]["count"] == 8, "mostly by %r" % s)
    check(s["started_at"] < s["at"], "span %r" % s)
    check("object" not in s or s["object"] is None, "a session is about no object: %r" % s)
    # 10 minutes later: the same session grows
    listen(b, ys[:3], start + datetime.timedelta(minutes=50))
    eventually(lambda: [e for e in entries(feed_all(a), "listened", b) if e.get("count") == 15],
               "the session grown to 15")
    check(len(entries(feed_all(a), "listened", b)) == 1, "a second entry for one session")
    # two hours later: a new session, newest first
    listen(b, xs[:2], start + datetime.timedelta(minutes=180))
    two = eventually(lambda: [e for e in entries(feed_all(a), "listened", b)]
                     if len(entries(feed_all(a), "listened", b)) == 2 else None,
                     "a second session")
    check([e["count"] for e in two] == [2, 15], "sessions %r" % [e["count"] for e in two])
    # a listen of long ago is no news
    listen(b, xs[:1], now_minus(60 * 24 * 3))
    settle()
    check(len(entries(feed_all(a), "listened", b)) == 2, "an old listen made activity")


def test_concurrent_uploads_make_one_session():
    import threading

    a, b = users(2)
    set_history(b, "public")
    follow(a, b)
    _, ts = artist_tracks(8)
    start = now_minus(120)
    batches = [(ts[i::2], start + datetime.timedelta(seconds=i * 100)) for i in range(2)]
    errors = []

    def post(batch):
        try:
            listen(b, *batch)
        except AssertionError as e:  # noqa: PERF203
            errors.append(e)

    threads = [threading.Thread(target=post, args=(bt,)) for bt in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(not errors, "uploads failed: %r" % errors)
    eventually(lambda: [e for e in entries(feed_all(a), "listened", b) if e.get("count") == 8],
               "one session of both uploads")
    settle()
    check(len(entries(feed_all(a), "listened", b)) == 1,
          "two uploads at once made two sessions: %r" % entries(feed_all(a), "listened", b))


def test_history_visibility_applies_at_read():
    a, b, stranger = users(3)
    set_history(b, "public")
    follow(a, b)
    _, ts = artist_tracks(3)
    listen(b, ts, now_minus(30))
    eventually(lambda: entries(feed_all(a), "listened", b), "b's session in a's feed")
    check(entries(activity(b, stranger)["items"], "listened"), "public history hidden")
    check(entries(activity(b, None)["items"], "listened"), "public history hidden (anonymous)")
    set_history(b, "followers")
    check(entries(feed_all(a), "listened", b), "followers: hidden from a follower")
    check(not entries(activity(b, stranger)["items"], "listened"), "followers: shown to a stranger")
    check(not entries(activity(b, None)["items"], "listened"), "followers: shown anonymously")
    set_history(b, "private")
    check(not entries(feed_all(a), "listened", b), "private history in a feed")
    check(not entries(activity(b, a)["items"], "listened"), "private history on the page")
    check(entries(activity(b, b)["items"], "listened"), "the owner's own sessions hidden")


# --------------------------------------------------------------------------
# The feed


def test_feed_newest_first_with_cursors():
    a, b, c = users(3)
    follow(a, b)
    follow(a, c)
    t = track()
    ts = artist_tracks(5)[1]
    for i, tid in enumerate(ts):
        like(b if i % 2 == 0 else c, "tracks", tid)
    like(a, "tracks", t)  # the reader's own likes are not in its feed
    wait_feed(a, liked(b, ts[4]), "the last like")
    items = eventually(lambda: (lambda f: f if len(entries(f, "liked")) == 5 else None)(feed_all(a)),
                       "five likes")
    got = [e["object"]["id"] for e in entries(items, "liked")]
    check(got == list(reversed(ts)), "not newest first: %r" % got)
    check(not entries(items, actor=a), "the reader's own activity in its feed")
    ids = [e["id"] for e in items]
    check(ids == sorted(ids, reverse=True), "ids not descending")
    seen, cursor = [], None
    while True:
        p = feed(a, "?limit=2" + ("&cursor=" + cursor if cursor else ""))
        check(len(p["items"]) <= 2, "page over its limit")
        seen += [e["id"] for e in p["items"]]
        cursor = p["next_cursor"]
        if not cursor:
            break
    check(seen == ids, "pages %r, all %r" % (seen, ids))
    for bad in ("x!", b64url(b"abc"), b64url(b"f|"), b64url(b"0")):
        r = call("GET", FEED + "?cursor=" + bad, token=a.access)
        expect(r, 400, "GET", FEED)
    r = call("GET", FEED)
    expect(r, 401, "GET", FEED)


def test_unfollow_shows_at_the_next_read():
    a, b = users(2)
    follow(a, b)
    t = track()
    like(b, "tracks", t)
    wait_feed(a, liked(b, t), "b's like")
    unfollow(a, b)
    check(not entries(feed_all(a), actor=b), "b's activity after unfollowing")
    # followed again at once: whichever of the unfollow's clean-up and the
    # new follow's backfill runs last, b's activity comes back
    follow(a, b)
    eventually(lambda: entries(feed_all(a), actor=b), "a new follow brings b's activity back")
    settle()
    check(entries(feed_all(a), actor=b), "the unfollow's clean-up took the new follow's feed")


def test_block_shows_at_the_next_read():
    a, b, c = users(3)
    follow(a, b)
    follow(a, c)
    t = track()
    like(b, "tracks", t)
    wait_feed(a, liked(b, t), "b's like")
    block(b, a)
    check(not entries(feed_all(a), actor=b), "a blocker's activity in the blocked one's feed")
    unblock(b, a)
    follow(a, b)
    block(a, b)
    check(not entries(feed_all(a), actor=b), "a blocked user's activity in the blocker's feed")
    # an entry about a user who blocked the reader: c followed d
    d = users(1)[0]
    follow(c, d)
    wait_feed(a, lambda e: e["kind"] == "followed" and e["object"]["id"] == d.id, "c followed d")
    block(d, a)
    check(not [e for e in feed_all(a) if e["kind"] == "followed" and e["object"]["id"] == d.id],
          "an entry about a user who blocked the reader")


def test_mute_hides_from_the_feed_only():
    a, b = users(2)
    follow(a, b)
    t = track()
    like(b, "tracks", t)
    wait_feed(a, liked(b, t), "b's like")
    mute(a, b)
    check(not entries(feed_all(a), actor=b), "a muted user's activity in the feed")
    check(entries(activity(b, a)["items"], "liked"), "a mute hid b's own activity page")
    unmute(a, b)
    check(entries(feed_all(a), actor=b), "unmuted, still hidden")


def test_deleted_or_private_playlists_disappear():
    a, b, owner = users(3)
    follow(a, b)
    pid = playlist(owner, "public")
    like(b, "playlists", pid)
    wait_feed(a, liked(b, pid), "b liked the playlist")
    e = [e for e in feed_all(a) if liked(b, pid)(e)][0]
    check(e["object"]["type"] == "playlist" and e["object"]["name"], "entry %r" % e)
    set_visibility(owner, pid, "private")
    check(not [e for e in feed_all(a) if liked(b, pid)(e)], "a now-private playlist in the feed")
    check(not [e for e in activity(b, a)["items"] if liked(b, pid)(e)],
          "a now-private playlist on the activity page")
    set_visibility(owner, pid, "unlisted")
    check(not [e for e in feed_all(a) if liked(b, pid)(e)], "an unlisted playlist in the feed")
    set_visibility(owner, pid, "public")
    check([e for e in feed_all(a) if liked(b, pid)(e)], "public again but not shown")
    delete_playlist(owner, pid)
    check(not [e for e in feed_all(a) if liked(b, pid)(e)], "a deleted playlist in the feed")
    for e in feed_all(a) + activity(b, a)["items"]:
        if (e.get("object") or {}).get("type") == "playlist":
            check(e["object"]["id"] != pid, "a dangling id %r" % e)


def test_unliked_and_deleted_objects_disappear():
    a, b = users(2)
    follow(a, b)
    _, (t1, t2) = artist_tracks(2)
    like(b, "tracks", t1)
    like(b, "tracks", t2)
    wait_feed(a, liked(b, t2), "b's likes")
    r = call("DELETE", "/api/v1/me/likes/tracks/%d" % t1, token=b.access)
    expect(r, 204, "DELETE", "/api/v1/me/likes/{type}/{id}")
    check(not [e for e in feed_all(a) if liked(b, t1)(e)], "an unliked track still shown liked")
    r = call("DELETE", "/api/v1/tracks/%d" % t2, token=encore.admin().access)
    expect(r, 204, "DELETE", "/api/v1/tracks/{id}")
    check(not [e for e in feed_all(a) if liked(b, t2)(e)], "a deleted track in the feed")


def test_likes_and_follows_made_again_are_one_entry():
    a, b, c = users(3)
    follow(a, b)
    t = artist_tracks(1)[1][0]
    like(b, "tracks", t)
    follow(b, c)
    followed = lambda e: e["kind"] == "followed" and e["object"]["id"] == c.id  # noqa: E731
    first_like = wait_feed(a, liked(b, t), "the first like")[0]["id"]
    first_follow = wait_feed(a, followed, "the first follow")[0]["id"]
    r = call("DELETE", "/api/v1/me/likes/tracks/%d" % t, token=b.access)
    expect(r, 204, "DELETE", "/api/v1/me/likes/{type}/{id}")
    unfollow(b, c)
    like(b, "tracks", t)
    follow(b, c)
    wait_feed(a, lambda e: liked(b, t)(e) and e["id"] > first_like, "the second like")
    wait_feed(a, lambda e: followed(e) and e["id"] > first_follow, "the second follow")
    items = feed_all(a)
    check(len([e for e in items if liked(b, t)(e)]) == 1, "a like made twice shown twice")
    check(len([e for e in items if followed(e)]) == 1, "a follow made twice shown twice")


def test_hidden_entries_end_a_page_short():
    a, b = users(2)
    follow(a, b)
    _, ts = artist_tracks(2)
    like(b, "tracks", ts[0])
    wait_feed(a, liked(b, ts[0]), "the first like")
    # 250 entries the reader may not see (a playlist of b's, private), newer
    pid = playlist(b, "private")
    sql("INSERT INTO activities (actor_id, kind, object_type, object_id, first_at, last_at) "
        "SELECT %d, 'playlist_created', 'playlist', %d, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3) "
        "FROM seq_1_to_250" % (b.id, pid))
    sql("INSERT IGNORE INTO feed_items (user_id, activity_id) SELECT %d, id FROM activities "
        "WHERE actor_id = %d AND kind = 'playlist_created'" % (a.id, b.id))
    p = feed(a, "?limit=5")
    check(p["items"] == [] and p["next_cursor"], "a page of hidden entries: %r" % p)
    got = feed_all(a)
    check([e["object"]["id"] for e in got] == [ts[0]], "after the hidden entries: %r" % got)


def test_deleted_comment_disappears():
    a, b = users(2)
    follow(a, b)
    t = track()
    c = comment(b, "tracks", t, "What a bridge at 2:10")
    got = wait_feed(a, lambda e: e["kind"] == "commented" and e["object"]["id"] == c["id"],
                    "b's comment")
    check(got[0]["object"]["type"] == "comment" and
          got[0]["object"].get("on") == {"type": "track", "id": t}, "entry %r" % got[0])
    r = call("DELETE", path(COMMENT, id=c["id"]), token=b.access)
    expect(r, 204, "DELETE", COMMENT)
    check(not [e for e in feed_all(a) if e["kind"] == "commented"], "a deleted comment in the feed")


def test_follows_show_and_unfollows_hide_them():
    a, b, c = users(3)
    follow(a, b)
    follow(b, c)
    wait_feed(a, lambda e: e["kind"] == "followed" and e["object"]["id"] == c.id, "b followed c")
    unfollow(b, c)
    check(not [e for e in feed_all(a) if e["kind"] == "followed"], "b no longer follows c")


def test_new_follow_backfills_the_feed():
    a, b = users(2)
    _, ts = artist_tracks(3)
    for t in ts:
        like(b, "tracks", t)
    eventually(lambda: len(entries(activity(b, None)["items"], "liked")) == 3, "b's likes")
    follow(a, b)
    got = eventually(lambda: (lambda f: f if len(f) == 3 else None)(entries(feed_all(a), "liked", b)),
                     "b's earlier likes in the new follower's feed")
    check([e["object"]["id"] for e in got] == list(reversed(ts)), "backfill %r" % got)


def test_heavily_followed_are_merged_at_read():
    a, h, o = users(3)
    make_heavy(h)
    follow(a, h)
    follow(a, o)
    _, (t1, t2) = artist_tracks(2)
    like(h, "tracks", t1)
    like(o, "tracks", t2)
    wait_feed(a, liked(h, t1), "the heavy user's like, merged")
    wait_feed(a, liked(o, t2), "the ordinary user's like, fanned out")
    rows = sql("SELECT a.actor_id FROM feed_items fi JOIN activities a ON a.id = fi.activity_id "
               "WHERE fi.user_id = %d" % a.id)
    actors = {int(r[0]) for r in rows}
    check(o.id in actors, "an ordinary user's activity was not fanned out")
    check(h.id not in actors, "a heavily followed user's activity was fanned out")
    unfollow(a, h)
    check(not entries(feed_all(a), actor=h), "the heavy user after unfollowing")
    # merged and fanned out entries interleave newest first
    follow(a, h)
    like(h, "tracks", t2)
    like(o, "tracks", t1)
    eventually(lambda: [e for e in feed_all(a) if liked(o, t1)(e)], "o's second like")
    ids = [e["id"] for e in feed_all(a)]
    check(ids == sorted(ids, reverse=True) and len(ids) == len(set(ids)), "merge order %r" % ids)


def test_activity_page():
    u, v = users(2)
    set_history(u, "private")
    _, ts = artist_tracks(2)
    listen(u, ts, now_minus(20))
    like(u, "tracks", ts[0])
    eventually(lambda: entries(activity(u, u)["items"], "listened"), "u's session on u's page")
    eventually(lambda: entries(activity(u, v)["items"], "liked"), "u's like")
    check(not entries(activity(u, v)["items"], "listened"), "private listening shown")
    # a token is optional but must be valid when given
    r = call("GET", path("/api/v1/users/{username}/activity", username=u.username),
             token="not.a.token")
    expect(r, 401, "GET", "/api/v1/users/{username}/activity")
    # cursors of this page belong to it
    for e in range(3):
        like(u, "tracks", track() if e == 0 else artist_tracks(1)[1][0])
    eventually(lambda: len(activity(u, v)["items"]) >= 4, "four entries")
    p = activity(u, v, "?limit=1")
    check(p["next_cursor"], "no next cursor")
    activity(v, v, "?cursor=" + p["next_cursor"], status=400)
    r = call("GET", FEED + "?cursor=" + p["next_cursor"], token=v.access)
    expect(r, 400, "GET", FEED)


# --------------------------------------------------------------------------
# Playlists in the feed (written by the playlist routes)


def test_public_playlists_in_the_feed():
    a, b = users(2)
    follow(a, b)
    pub = playlist(b, "public")
    priv = playlist(b, "private")
    wait_feed(a, lambda e: e["kind"] == "playlist_created" and e["object"]["id"] == pub,
              "a public playlist created")
    _, ts = artist_tracks(6)
    for i in range(0, 6, 2):
        r = call("POST", path(PLAYLIST_TRACKS, id=pub), token=b.access,
                 json_body={"track_ids": ts[i:i + 2]})
        expect(r, 200, "POST", PLAYLIST_TRACKS)
    got = wait_feed(a, lambda e: e["kind"] == "playlist_updated" and e["object"]["id"] == pub and
                    e.get("count") == 6, "six tracks added, one entry")
    check(len([e for e in feed_all(a) if e["kind"] == "playlist_updated"]) == 1,
          "additions not grouped: %r" % got)
    r = call("POST", path(PLAYLIST_TRACKS, id=priv), token=b.access, json_body={"track_ids": ts[:1]})
    expect(r, 200, "POST", PLAYLIST_TRACKS)
    settle()
    check(not [e for e in feed_all(a) if (e.get("object") or {}).get("id") == priv and
               e["object"]["type"] == "playlist"], "a private playlist in the feed")
    delete_playlist(b, pub)
    check(not [e for e in feed_all(a) if e["kind"].startswith("playlist")],
          "a deleted playlist in the feed")
    settle()
    check(sql("SELECT COUNT(*) FROM activities WHERE object_type = 'playlist' AND object_id = %d"
              % pub)[0][0] == "0", "the activity of a deleted playlist is kept")



def test_moderation_hides_at_read():
    """A playlist held or hidden by moderation, a hidden comment, and every
    entry of a suspended user leave the feed at the next read (and come
    back when lifted); the owner's own page still shows the playlist."""
    a, b = users(2)
    follow(a, b)
    pid = playlist(b)
    t = track()
    c = comment(b, "tracks", t, "moderated words")
    made = lambda e: e["kind"] == "playlist_created" and e["object"]["id"] == pid  # noqa: E731
    said = lambda e: e["kind"] == "commented" and e["object"]["id"] == c["id"]  # noqa: E731
    wait_feed(a, made, "b's playlist")
    wait_feed(a, said, "b's comment")
    sql("UPDATE playlists SET moderation = 'hidden' WHERE id = %d" % pid)
    sql("UPDATE comments SET moderation = 'held' WHERE id = %d" % c["id"])
    got = feed_all(a)
    check(not [e for e in got if made(e)], "a hidden playlist in the feed")
    check(not [e for e in got if said(e)], "a held comment in the feed")
    check([e for e in activity(b, b)["items"] if made(e)], "the owner's page lost it")
    sql("UPDATE playlists SET moderation = 'visible' WHERE id = %d" % pid)
    sql("UPDATE comments SET moderation = 'visible' WHERE id = %d" % c["id"])
    check([e for e in feed_all(a) if made(e)], "the playlist after moderation lifted")
    sql("UPDATE users SET status = 'suspended' WHERE id = %d" % b.id)
    try:
        check(not feed_all(a), "a suspended user's activity in the feed")
        check(not activity(b, a)["items"], "a suspended user's activity page")
    finally:
        sql("UPDATE users SET status = 'active' WHERE id = %d" % b.id)
    check([e for e in feed_all(a) if said(e)], "the comment after reinstatement")

if __name__ == "__main__":
    encore.main(globals())
