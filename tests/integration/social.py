"""social: what the tests of the social layer share (test_follows.py,
test_feed.py, test_comments.py, test_notifications.py,
test_social_bola.py): the routes, one call per act, reads of the lists, and
waiting for what the server does after it has answered (activity, fan-out
and notifications are written once the response is sent, possibly while
the next request already runs on another worker)."""

import os
import secrets
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
from encore import call, check, expect  # noqa: E402
from test_listens import q, seed_track, sql  # noqa: E402,F401

FOLLOWING = "/api/v1/me/following/{username}"
FOLLOWER = "/api/v1/me/followers/{username}"
REQUESTS = "/api/v1/me/follow-requests"
ACCEPT = "/api/v1/me/follow-requests/{username}/accept"
DECLINE = "/api/v1/me/follow-requests/{username}/decline"
FOLLOWERS_OF = "/api/v1/users/{username}/followers"
FOLLOWING_OF = "/api/v1/users/{username}/following"
BLOCKS = "/api/v1/me/blocks"
BLOCK = "/api/v1/me/blocks/{username}"
MUTES = "/api/v1/me/mutes"
MUTE = "/api/v1/me/mutes/{username}"
FEED = "/api/v1/me/feed"
ACTIVITY = "/api/v1/users/{username}/activity"
NOTIFICATIONS = "/api/v1/me/notifications"
READ_ALL = "/api/v1/me/notifications/read-all"
READ_ONE = "/api/v1/me/notifications/{id}/read"
COMMENTS = "/api/v1/{type}/{id}/comments"
TRACK_COMMENTS = "/api/v1/tracks/{id}/comments"
ALBUM_COMMENTS = "/api/v1/albums/{id}/comments"
PLAYLIST_COMMENTS = "/api/v1/playlists/{id}/comments"
COMMENT = "/api/v1/comments/{id}"
REPLIES = "/api/v1/comments/{id}/replies"
COMMENT_LIKE = "/api/v1/comments/{id}/like"
REPORT = "/api/v1/comments/{id}/report"
PREFS = "/api/v1/me/preferences"
LISTENS = "/api/v1/me/listens"
LIKE = "/api/v1/me/likes/{type}/{id}"
PLAYLISTS = "/api/v1/playlists"
PLAYLIST = "/api/v1/playlists/{id}"
PLAYLIST_TRACKS = "/api/v1/playlists/{id}/tracks"
USER = "/api/v1/users/{username}"
USER_PLAYLISTS = "/api/v1/users/{username}/playlists"
ME = "/api/v1/me"

# How long the work done after a response may take to show.
AFTER_TIMEOUT = 10.0
# How long to wait before concluding that something did not happen.
SETTLE = 1.0


def path(route, **kw):
    for k, v in kw.items():
        route = route.replace("{%s}" % k, str(v))
    return route


def token(u):
    return u.access if u is not None else None


def eventually(fn, what, timeout=AFTER_TIMEOUT):
    """fn() until it returns something true (returned), or fail saying what
    was awaited and what fn last returned."""
    end = time.monotonic() + timeout
    last = None
    while True:
        last = fn()
        if last:
            return last
        if time.monotonic() > end:
            raise AssertionError("%s: not within %.0f s (last: %r)" % (what, timeout, last))
        time.sleep(0.1)


def settle():
    """Give the work after the last responses time to be done, before
    checking that something did not happen."""
    time.sleep(SETTLE)


# --------------------------------------------------------------------------
# Follows, blocks, mutes


def relation(method, route, status):
    """The act of user a on user b by method on route (b's username in the
    path): a function (a, b, status) returning the answer's body."""
    def act(a, b, status=status):
        r = call(method, path(route, username=b.username), token=token(a))
        return expect(r, status, method, route)
    return act


follow = relation("PUT", FOLLOWING, 200)
unfollow = relation("DELETE", FOLLOWING, 204)
block = relation("PUT", BLOCK, 204)
unblock = relation("DELETE", BLOCK, 204)
mute = relation("PUT", MUTE, 204)
unmute = relation("DELETE", MUTE, 204)


def page(route, viewer=None, query="", status=200, **kw):
    """One page of a list route as viewer (None: anonymous)."""
    r = call("GET", path(route, **kw) + query, token=token(viewer))
    return expect(r, status, "GET", route)


def every(route, viewer=None, limit=100, **kw):
    """Every item of a list, following its cursors."""
    out, cursor = [], None
    for _ in range(1000):
        query = "?limit=%d" % limit + ("&cursor=" + cursor if cursor else "")
        p = page(route, viewer, query, **kw)
        out.extend(p["items"])
        cursor = p["next_cursor"]
        if not cursor:
            return out
    raise AssertionError("%s never ends" % route)


def names(items):
    return [it["user"]["username"] for it in items]


def followers(u, viewer=None):
    return names(every(FOLLOWERS_OF, viewer, username=u.username))


def following(u, viewer=None):
    return names(every(FOLLOWING_OF, viewer, username=u.username))


def set_policy(u, policy):
    """follow_policy by SQL: the preferences route does not take it yet
    (test_follows.py tests that route apart)."""
    sql("INSERT INTO user_preferences (user_id, follow_policy) VALUES (%d, '%s') "
        "ON DUPLICATE KEY UPDATE follow_policy = '%s'" % (u.id, policy, policy))


def set_history(u, visibility):
    """history_visibility through PUT /me/preferences."""
    r = call("GET", PREFS, token=u.access)
    prefs = expect(r, 200, "GET", PREFS)
    prefs["history_visibility"] = visibility
    writable = encore.spec()["components"]["schemas"]["PreferencesInput"]["properties"]
    for k in list(prefs):
        if k not in writable:
            prefs.pop(k)
    r = call("PUT", PREFS, token=u.access, json_body=prefs)
    expect(r, 200, "PUT", PREFS)


def make_heavy(u):
    """Make u count as heavily followed (FEED_FANOUT_MAX followers) without
    making 5,000 accounts: the count is what the feed goes by."""
    sql("UPDATE users SET follower_count = follower_count + 5000 WHERE id = %d" % u.id)


def users(n):
    return [encore.new_user() for _ in range(n)]


# --------------------------------------------------------------------------
# Feed and inbox


def feed(u, query=""):
    return page(FEED, u, query)


def feed_all(u):
    return every(FEED, u)


def activity(actor, viewer=None, query="", status=200):
    return page(ACTIVITY, viewer, query, status=status, username=actor.username)


def entries(items, kind=None, actor=None):
    return [e for e in items
            if (kind is None or e["kind"] == kind) and
            (actor is None or e["actor"]["id"] == actor.id)]


def notifications(u, query=""):
    return page(NOTIFICATIONS, u, query)


def inbox_kinds(u):
    return [(n["kind"], n["actor"]["username"], n["count"]) for n in notifications(u)["items"]]


# --------------------------------------------------------------------------
# Catalogue, playlists, listens, comments

_track = []


def track():
    """One track (by one artist) for the tests of this process."""
    if not _track:
        _track.append(seed_track("Social " + encore.unique("t"), "Social " + encore.unique("a")))
    return _track[0]


def artist_tracks(n, artist=None):
    """n tracks by one new artist; (artist name, [ids])."""
    name = artist or "Artist " + encore.unique("a")
    aid = int(sql("INSERT INTO artists (name) VALUES (%s); SELECT LAST_INSERT_ID();"
                  % q(name))[-1][0])
    tag = secrets.token_hex(4)
    sql("INSERT INTO tracks (title, duration_ms) VALUES %s" % ",".join(
        "(%s, 200000)" % q("%s song %d" % (tag, i)) for i in range(n)))
    ids = [int(r[0]) for r in sql("SELECT id FROM tracks WHERE title LIKE %s ORDER BY id"
                                  % q(tag + " song %"))]
    sql("INSERT INTO track_artists (track_id, artist_id, role, position) VALUES %s" % ",".join(
        "(%d, %d, 'primary', 0)" % (t, aid) for t in ids))
    return name, ids


def album():
    aid = int(sql("INSERT INTO artists (name) VALUES (%s); SELECT LAST_INSERT_ID();"
                  % q("Album artist " + encore.unique("a")))[-1][0])
    return int(sql("INSERT INTO albums (title, artist_id) VALUES (%s, %d); SELECT LAST_INSERT_ID();"
                   % (q("Album " + encore.unique("b")), aid))[-1][0])


def listen(u, tracks, start, step_s=200):
    """POST listens of tracks, the first at `start` (a datetime), one every
    step_s seconds."""
    import datetime

    items = []
    for i, t in enumerate(tracks):
        at = start + datetime.timedelta(seconds=i * step_s)
        items.append({"track_id": t, "listened_at": at.strftime("%Y-%m-%dT%H:%M:%S.000Z")})
    r = call("POST", LISTENS, token=u.access, json_body={"listens": items})
    return expect(r, 200, "POST", LISTENS)


def now_minus(minutes):
    import datetime

    return (datetime.datetime.now(datetime.timezone.utc) -
            datetime.timedelta(minutes=minutes)).replace(microsecond=0)


def playlist(owner, visibility="public", name=None):
    """A playlist made through the API."""
    body = {"name": name or "Social mix " + secrets.token_hex(3), "visibility": visibility}
    r = call("POST", PLAYLISTS, token=owner.access, json_body=body)
    return expect(r, 201, "POST", PLAYLISTS)["id"]


def set_visibility(owner, pid, visibility):
    r = call("PATCH", path(PLAYLIST, id=pid), token=owner.access,
             json_body={"visibility": visibility})
    expect(r, 200, "PATCH", PLAYLIST)


def delete_playlist(owner, pid):
    r = call("DELETE", path(PLAYLIST, id=pid), token=owner.access)
    expect(r, 204, "DELETE", PLAYLIST)


def like(u, kind, oid, status=204):
    r = call("PUT", path(LIKE, type=kind, id=oid), token=u.access)
    return expect(r, status, "PUT", LIKE)


def comments_route(kind):
    return {"tracks": TRACK_COMMENTS, "albums": ALBUM_COMMENTS,
            "playlists": PLAYLIST_COMMENTS}[kind]


def comment(u, kind, oid, text, status=201):
    """POST a comment on (tracks|albums|playlists, id); the Comment."""
    route = comments_route(kind)
    r = call("POST", path(route, id=oid), token=token(u), json_body={"text": text})
    body = expect(r, status, "POST", route)
    if status == 201:
        check(r.headers.get("Location") == "/api/v1/comments/%d" % body["id"],
              "Location %r" % r.headers.get("Location"))
    return body


def reply(u, cid, text, status=201):
    r = call("POST", path(REPLIES, id=cid), token=token(u), json_body={"text": text})
    return expect(r, status, "POST", REPLIES)


def uncap_comments(u):
    """Forget u's comment count of this minute (the 10-a-minute limit is
    tested on its own)."""
    sql("DELETE FROM throttles WHERE scope = 'comment_u' AND "
        "subject = UNHEX(SHA2('u:%d', 256))" % u.id)
