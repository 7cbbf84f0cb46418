#!/usr/bin/python3
"""Comments through nginx: /api/v1/{tracks|albums|playlists}/{id}/comments,
/api/v1/comments/{id} (read, edit, delete), its replies (one level deep),
likes and reports. Plain text of 1 to 2,000 characters after trimming, at
most 10 mentions, at most 10 comments a minute per user; a comment on what
the reader cannot see answers 404, as for one that does not exist."""

import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
from encore import b64url, call, check, expect  # noqa: E402
from social import (  # noqa: E402
    ALBUM_COMMENTS, COMMENT, COMMENT_LIKE, PLAYLIST_COMMENTS, REPLIES, REPORT,
    TRACK_COMMENTS, album, artist_tracks, block, comment, comments_route, every,
    page, path, playlist, reply, set_visibility, sql, track, uncap_comments,
    users)

encore.require_stack()


def listed(route, viewer, query="", **kw):
    return [c["id"] for c in every(route, viewer, **kw)] if not query else \
        [c["id"] for c in page(route, viewer, query, **kw)["items"]]


def get(cid, viewer, status=200):
    r = call("GET", path(COMMENT, id=cid), token=viewer.access if viewer else None)
    return expect(r, status, "GET", COMMENT)


def post_raw(u, route, oid, body, ctype="application/json"):
    """POST a body of bytes as it is."""
    return call("POST", path(route, id=oid), token=u.access, data=body,
                headers={"Content-Type": ctype})


def invalid_text(r, method, route):
    p = expect(r, 422, method, route)
    check("text" in encore.error_fields(p), "422 does not name text: %r" % p)
    return p


def test_comment_on_each_kind_and_read_it():
    u, v = users(2)
    t, al, pl = track(), album(), playlist(u, "public")
    for kind, oid in (("tracks", t), ("albums", al), ("playlists", pl)):
        c = comment(u, kind, oid, "  Lovely <b>bridge</b> & all  \n")
        check(c["text"] == "Lovely <b>bridge</b> & all", "text kept as text, trimmed: %r" % c["text"])
        check(c["object"] == {"type": kind[:-1], "id": oid}, "object %r" % c["object"])
        check((c["parent_id"], c["like_count"], c["reply_count"], c["liked"], c["edited"],
               c["edited_at"]) == (None, 0, 0, False, False, None), "new comment %r" % c)
        check(c["author"] == {"id": u.id, "username": u.username, "display_name": u.username,
                              "avatar_url": None}, "author %r" % c["author"])
        check(get(c["id"], v) == c, "GET differs from the creation answer")
        check(get(c["id"], None) == c, "anonymous GET differs")
        route = comments_route(kind)
        check(listed(route, None, id=oid)[:1] == [c["id"]], "not listed")
    r = call("POST", path(TRACK_COMMENTS, id=t), json_body={"text": "anonymous"})
    expect(r, 401, "POST", TRACK_COMMENTS)


def test_text_rules():
    (u,) = users(1)
    t = track()
    too_long = "x" * 2001
    for text in ("", "   ", " \n\t\r\n ", "\u00a0\u00a0", too_long, "bell\u0007", "esc\u001b[31m",
                 "del\u007f", "c1\u0085", "csi\u009b"):
        r = call("POST", path(TRACK_COMMENTS, id=t), token=u.access, json_body={"text": text})
        invalid_text(r, "POST", TRACK_COMMENTS)
    for body in ({}, {"text": None}, {"text": 5}, {"text": ["a"]},
                 {"text": "fine", "author_id": 1}, {"text": "x" * 9000}):
        r = call("POST", path(TRACK_COMMENTS, id=t), token=u.access, json_body=body)
        expect(r, 422, "POST", TRACK_COMMENTS)
    # what JSON itself refuses: invalid UTF-8, a NUL, a lone surrogate
    for raw in (b'{"text": "caf\xe9"}', b'{"text": "a\\u0000b"}', b'{"text": "\\ud800"}',
                b'{"text": "a\x00b"}', b'{"text": "a\x01b"}'):
        r = post_raw(u, TRACK_COMMENTS, t, raw)
        p = expect(r, 400, "POST", TRACK_COMMENTS)
        check(p["type"] == "urn:encore:problem:malformed-json", "%r: %r" % (raw, p))
    r = post_raw(u, TRACK_COMMENTS, t, b"text=hello", "application/x-www-form-urlencoded")
    expect(r, 415, "POST", TRACK_COMMENTS)
    check(every(TRACK_COMMENTS, None, id=t) == [] or
          all(c["author"]["id"] != u.id for c in every(TRACK_COMMENTS, None, id=t)),
          "a refused comment was stored")
    uncap_comments(u)
    # the bounds themselves, in characters, not bytes
    for text in ("x", "é" * 2000, "\U0001f3b5" * 2000, "line one\nline two\twith a tab"):
        c = comment(u, "tracks", t, text)
        check(c["text"] == text, "stored %r" % c["text"][:40])
    c = comment(u, "tracks", t, "windows\r\nline ends")
    check(c["text"] == "windows\nline ends", "CRLF %r" % c["text"])


def test_mentions():
    u, v, w = users(3)
    t = track()
    eleven = " ".join("@%s" % encore.unique("m") for _ in range(11))
    r = call("POST", path(TRACK_COMMENTS, id=t), token=u.access, json_body={"text": eleven})
    p = invalid_text(r, "POST", TRACK_COMMENTS)
    check("10" in json.dumps(p), "the cap is not named: %r" % p)
    thousand = " ".join("@user%04d" % i for i in range(1000))
    r = call("POST", path(TRACK_COMMENTS, id=t), token=u.access, json_body={"text": thousand})
    invalid_text(r, "POST", TRACK_COMMENTS)
    ten = " ".join(["@%s" % v.username] + ["@%s" % encore.unique("m") for _ in range(9)])
    comment(u, "tracks", t, ten)
    same = " ".join(["@%s" % w.username] * 11 + ["@%s" % w.username.upper()])
    c = comment(u, "tracks", t, same)
    rows = sql("SELECT user_id FROM comment_mentions WHERE comment_id = %d" % c["id"])
    check(rows == [[str(w.id)]], "mentions stored %r" % rows)
    c = comment(u, "tracks", t, "mail me at x@%s.org, not a mention" % v.username)
    check(sql("SELECT COUNT(*) FROM comment_mentions WHERE comment_id = %d" % c["id"])[0][0] == "0",
          "an address counted as a mention")
    r = call("PATCH", path(COMMENT, id=c["id"]), token=u.access, json_body={"text": eleven})
    invalid_text(r, "PATCH", COMMENT)


def test_replies_are_one_level_deep():
    u, v = users(2)
    t = artist_tracks(1)[1][0]
    top = comment(u, "tracks", t, "top")
    r1 = reply(v, top["id"], "first reply")
    r2 = reply(u, top["id"], "second reply")
    check(r1["parent_id"] == top["id"] and r1["object"] == top["object"], "reply %r" % r1)
    r = call("POST", path(REPLIES, id=r1["id"]), token=u.access, json_body={"text": "deeper"})
    p = expect(r, 422, "POST", REPLIES)
    check(p["type"] == "urn:encore:problem:validation", repr(p))
    check(get(top["id"], None)["reply_count"] == 2, "reply_count")
    check(listed(REPLIES, None, id=top["id"]) == [r1["id"], r2["id"]], "replies oldest first")
    check(listed(TRACK_COMMENTS, None, id=t) == [top["id"]], "replies listed as top-level")
    p = page(REPLIES, None, "?limit=1", id=top["id"])
    p2 = page(REPLIES, None, "?limit=1&cursor=" + p["next_cursor"], id=top["id"])
    check([c["id"] for c in p2["items"]] == [r2["id"]], "replies page 2 %r" % p2)
    page(REPLIES, None, "?cursor=" + p["next_cursor"], status=400, id=r1["id"])
    page(TRACK_COMMENTS, None, "?cursor=" + p["next_cursor"], status=400, id=t)
    reply(v, 999999999999, "to nothing", status=404)
    page(REPLIES, None, status=404, id=999999999999)
    r = call("DELETE", path(COMMENT, id=r1["id"]), token=v.access)
    expect(r, 204, "DELETE", COMMENT)
    check(get(top["id"], None)["reply_count"] == 1, "reply_count after a deletion")
    r = call("DELETE", path(COMMENT, id=top["id"]), token=u.access)
    expect(r, 204, "DELETE", COMMENT)
    get(r2["id"], None, 404)


def test_edit():
    u, v = users(2)
    c = comment(u, "tracks", track(), "frist")
    r = call("PATCH", path(COMMENT, id=c["id"]), token=u.access, json_body={"text": " first "})
    e = expect(r, 200, "PATCH", COMMENT)
    check(e["text"] == "first" and e["edited"] is True and e["edited_at"], "edited %r" % e)
    check(e["created_at"] == c["created_at"] and e["id"] == c["id"], "edit changed identity")
    check(get(c["id"], v) == dict(e, liked=False), "GET after edit")
    r = call("PATCH", path(COMMENT, id=c["id"]), token=v.access, json_body={"text": "mine now"})
    expect(r, 404, "PATCH", COMMENT)
    r = call("PATCH", path(COMMENT, id=c["id"]), json_body={"text": "anyone"})
    expect(r, 401, "PATCH", COMMENT)
    for body in ({"text": "   "}, {"text": "a", "parent_id": 3}, {}):
        r = call("PATCH", path(COMMENT, id=c["id"]), token=u.access, json_body=body)
        expect(r, 422, "PATCH", COMMENT)
    r = call("PATCH", path(COMMENT, id=999999999999), token=u.access, json_body={"text": "x"})
    expect(r, 404, "PATCH", COMMENT)
    check(get(c["id"], u)["text"] == "first", "a refused edit changed the text")


def test_delete_by_author_playlist_owner_and_admin():
    owner, u, v = users(3)
    pl = playlist(owner, "public")
    t = track()
    on_pl = [comment(u, "playlists", pl, "on the playlist %d" % i)["id"] for i in range(2)]
    on_track = comment(u, "tracks", t, "on a track")["id"]
    # another user cannot; the owner of the playlist can, not on a track
    for cid in (on_pl[0], on_track):
        r = call("DELETE", path(COMMENT, id=cid), token=v.access)
        expect(r, 404, "DELETE", COMMENT)
    r = call("DELETE", path(COMMENT, id=on_track), token=owner.access)
    expect(r, 404, "DELETE", COMMENT)
    r = call("DELETE", path(COMMENT, id=on_pl[0]), token=owner.access)
    expect(r, 204, "DELETE", COMMENT)
    r = call("DELETE", path(COMMENT, id=on_pl[0]), token=owner.access)
    expect(r, 404, "DELETE", COMMENT)
    # the author
    r = call("DELETE", path(COMMENT, id=on_pl[1]), token=u.access)
    expect(r, 204, "DELETE", COMMENT)
    # an admin, anyone's
    r = call("DELETE", path(COMMENT, id=on_track), token=encore.admin().access)
    expect(r, 204, "DELETE", COMMENT)
    get(on_track, None, 404)
    check(every(PLAYLIST_COMMENTS, owner, id=pl) == [], "deleted comments listed")
    r = call("DELETE", path(COMMENT, id=on_track))
    expect(r, 401, "DELETE", COMMENT)


def test_missing_and_deleted_objects_are_404():
    (u,) = users(1)
    _, (t,) = artist_tracks(1)
    c = comment(u, "tracks", t, "before the deletion")
    r = call("DELETE", "/api/v1/tracks/%d" % t, token=encore.admin().access)
    expect(r, 204, "DELETE", "/api/v1/tracks/{id}")
    comment(u, "tracks", t, "after the deletion", status=404)
    page(TRACK_COMMENTS, u, status=404, id=t)
    get(c["id"], u, 404)
    reply(u, c["id"], "reply", status=404)
    for route in (TRACK_COMMENTS, ALBUM_COMMENTS, PLAYLIST_COMMENTS):
        r = call("POST", path(route, id=999999999999), token=u.access, json_body={"text": "x"})
        expect(r, 404, "POST", route)
        page(route, None, status=404, id=999999999999)
    for bad in ("0", "-1", "abc", "01"):
        r = call("GET", "/api/v1/tracks/%s/comments" % bad)
        encore.expect_problem(r, 404, "not-found", "comments of track %s" % bad)
    get(999999999999, u, 404)


def test_comments_on_playlists_follow_the_playlist():
    owner, reader, grantee = users(3)
    pl = playlist(owner, "public")
    c = comment(reader, "playlists", pl, "public for now")
    set_visibility(owner, pl, "private")
    for who in (reader, None):
        page(PLAYLIST_COMMENTS, who, status=404, id=pl)
        get(c["id"], who, 404)
        page(REPLIES, who, status=404, id=c["id"])
    comment(reader, "playlists", pl, "still here?", status=404)
    reply(reader, c["id"], "hello?", status=404)
    for method, route, body in (("PUT", COMMENT_LIKE, None), ("DELETE", COMMENT_LIKE, None),
                                ("POST", REPORT, {"reason": "spam"}),
                                ("PATCH", COMMENT, {"text": "edit"}),
                                ("DELETE", COMMENT, None)):
        r = call(method, path(route, id=c["id"]), token=reader.access, json_body=body)
        expect(r, 404, method, route)
    # the owner and a grantee still see them
    check(listed(PLAYLIST_COMMENTS, owner, id=pl) == [c["id"]], "the owner's view")
    sql("INSERT INTO playlist_grants (playlist_id, user_id, access) VALUES (%d, %d, 'view')"
        % (pl, grantee.id))
    check(listed(PLAYLIST_COMMENTS, grantee, id=pl) == [c["id"]], "a grantee's view")
    comment(grantee, "playlists", pl, "granted")
    # unlisted playlists open by key, not by id
    set_visibility(owner, pl, "unlisted")
    page(PLAYLIST_COMMENTS, reader, status=404, id=pl)
    get(c["id"], reader, 404)


def test_sorts_and_cursors():
    author, *likers = users(4)
    t = artist_tracks(1)[1][0]
    ids = [comment(author, "tracks", t, "comment %d" % i)["id"] for i in range(5)]
    # likes: ids[1] x3, ids[3] x2, ids[0] x1
    for cid, n in ((ids[1], 3), (ids[3], 2), (ids[0], 1)):
        for u in likers[:n]:
            r = call("PUT", path(COMMENT_LIKE, id=cid), token=u.access)
            expect(r, 204, "PUT", COMMENT_LIKE)
    want = {
        "": list(reversed(ids)),
        "newest": list(reversed(ids)),
        "oldest": ids,
        "top": [ids[1], ids[3], ids[0], ids[4], ids[2]],
    }
    cursors = {}
    for sort, order in want.items():
        q = "&sort=" + sort if sort else ""
        got, cursor = [], None
        while True:
            p = page(TRACK_COMMENTS, None, "?limit=2" + q + ("&cursor=" + cursor if cursor else ""),
                     id=t)
            got += [c["id"] for c in p["items"]]
            cursor = p["next_cursor"]
            if not cursor:
                break
            cursors[sort] = cursor
        check(got == order, "sort %r: %r, expected %r" % (sort, got, order))
    check(get(ids[1], likers[0])["liked"] and not get(ids[1], author)["liked"], "liked flag")
    # a cursor continues only its own list
    for sort, other in (("newest", "oldest"), ("oldest", "top"), ("top", "newest")):
        page(TRACK_COMMENTS, None, "?sort=%s&cursor=%s" % (other, cursors[sort]), status=400, id=t)
    t2 = artist_tracks(1)[1][0]
    page(TRACK_COMMENTS, None, "?cursor=" + cursors["newest"], status=400, id=t2)
    al = album()
    page(ALBUM_COMMENTS, None, "?cursor=" + cursors["newest"], status=400, id=al)
    for bad in ("!!", b64url(b"n|track|1|0|0"), b64url(b"n|track|%d|0|0|-5" % t),
                b64url(b"hello"), b64url(b"x" * 50)):
        page(TRACK_COMMENTS, None, "?cursor=" + bad, status=400, id=t)
    for q in ("?sort=best", "?sort=", "?limit=0", "?limit=101"):
        r = call("GET", path(TRACK_COMMENTS, id=t) + q)
        expect(r, 422, "GET", TRACK_COMMENTS)


def test_comment_likes():
    u, v = users(2)
    c = comment(u, "tracks", track(), "like me")
    for _ in range(2):
        r = call("PUT", path(COMMENT_LIKE, id=c["id"]), token=v.access)
        expect(r, 204, "PUT", COMMENT_LIKE)
    g = get(c["id"], v)
    check(g["like_count"] == 1 and g["liked"] is True, "liked %r" % g)
    check(get(c["id"], u)["liked"] is False, "liked for another reader")
    for _ in range(2):
        r = call("DELETE", path(COMMENT_LIKE, id=c["id"]), token=v.access)
        expect(r, 204, "DELETE", COMMENT_LIKE)
    g = get(c["id"], v)
    check(g["like_count"] == 0 and g["liked"] is False, "unliked %r" % g)
    for method in ("PUT", "DELETE"):
        r = call(method, path(COMMENT_LIKE, id=999999999999), token=v.access)
        expect(r, 404, method, COMMENT_LIKE)
        r = call(method, path(COMMENT_LIKE, id=c["id"]))
        expect(r, 401, method, COMMENT_LIKE)


def test_reports():
    u, v = users(2)
    c = comment(u, "tracks", track(), "spammy")
    r = call("POST", path(REPORT, id=c["id"]), token=v.access,
             json_body={"reason": "spam", "note": "buy followers links"})
    check(expect(r, 202, "POST", REPORT) == {"status": "accepted"}, "report answer")
    r = call("POST", path(REPORT, id=c["id"]), token=v.access, json_body={"reason": "harassment"})
    expect(r, 202, "POST", REPORT)
    rows = sql("SELECT reason, note, status FROM reports WHERE reporter_id = %d AND "
               "object_type = 'comment' AND object_id = %d" % (v.id, c["id"]))
    check(rows == [["harassment", "", "open"]], "stored reports %r" % rows)
    for body in ({}, {"reason": "meh"}, {"reason": "spam", "note": "x" * 501},
                 {"reason": "spam", "status": "dismissed"}, {"reason": None}):
        r = call("POST", path(REPORT, id=c["id"]), token=v.access, json_body=body)
        expect(r, 422, "POST", REPORT)
    r = call("POST", path(REPORT, id=999999999999), token=v.access, json_body={"reason": "spam"})
    expect(r, 404, "POST", REPORT)
    r = call("POST", path(REPORT, id=c["id"]), json_body={"reason": "spam"})
    expect(r, 401, "POST", REPORT)


def test_ten_comments_a_minute():
    u, v = users(2)
    t = track()
    top = comment(v, "tracks", t, "reply here")
    # refused comments are not counted
    for _ in range(3):
        r = call("POST", path(TRACK_COMMENTS, id=t), token=u.access, json_body={"text": " "})
        expect(r, 422, "POST", TRACK_COMMENTS)
    for i in range(9):
        comment(u, "tracks", t, "flood %d" % i)
    reply(u, top["id"], "the tenth, a reply")
    for route, oid in ((TRACK_COMMENTS, t), (REPLIES, top["id"])):
        r = call("POST", path(route, id=oid), token=u.access, json_body={"text": "eleventh"})
        p = expect(r, 429, "POST", route)
        check(p["type"] == "urn:encore:problem:rate-limited", repr(p))
        ra = int(r.headers["Retry-After"])
        check(1 <= ra <= 60, "Retry-After %d" % ra)
    check(len([c for c in every(TRACK_COMMENTS, None, id=t) if c["author"]["id"] == u.id]) == 9,
          "a comment past the limit was stored")
    comment(v, "tracks", t, "another user is not held back")
    # edits and likes are not comments
    cid = every(TRACK_COMMENTS, None, id=t)[0]["id"]
    r = call("PUT", path(COMMENT_LIKE, id=cid), token=u.access)
    expect(r, 204, "PUT", COMMENT_LIKE)


def test_blocks_and_comments():
    owner, blocked, other = users(3)
    pl = playlist(owner, "public")
    t = track()
    mine = comment(owner, "tracks", t, "the blocker's comment")
    theirs = comment(blocked, "playlists", pl, "before the block")
    block(owner, blocked)
    # the blocker's playlist, its comments, and the blocker's comments anywhere
    page(PLAYLIST_COMMENTS, blocked, status=404, id=pl)
    comment(blocked, "playlists", pl, "after the block", status=404)
    get(mine["id"], blocked, 404)
    reply(blocked, mine["id"], "hey", status=404)
    r = call("PUT", path(COMMENT_LIKE, id=mine["id"]), token=blocked.access)
    expect(r, 404, "PUT", COMMENT_LIKE)
    check(mine["id"] not in listed(TRACK_COMMENTS, blocked, id=t), "the blocker's comment listed")
    check(mine["id"] in listed(TRACK_COMMENTS, other, id=t), "hidden from everyone")
    check(theirs["id"] in listed(PLAYLIST_COMMENTS, other, id=pl), "earlier comments vanished")
    # a mention of the blocker by the blocked reaches nobody
    c = comment(blocked, "tracks", t, "hi @%s" % owner.username)
    check(sql("SELECT COUNT(*) FROM comment_mentions WHERE comment_id = %d" % c["id"])[0][0] == "0",
          "a blocked user's mention of the blocker was stored")


if __name__ == "__main__":
    encore.main(globals())
