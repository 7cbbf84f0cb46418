#!/usr/bin/python3
"""The Last.fm 2.0 compatible API at /2.0/: pylast (Debian's python3-pylast
4.1, the real client) drives it over HTTPS with the stack's CA - a mobile
session with authToken, now playing, scrobble_many of 120 tracks, love,
recent tracks; the web flow (auth.getToken, Encore's approval page,
auth.getSession); the JSON format; and every bad input of the protocol:
a wrong api_sig (13), an unknown method (3), missing parameters (6), an
unknown key (10), a foreign or expired session key (9), tokens not approved
or expired (14, 15), scrobbles too old or too new (ignored 3, 4), nameless
ones (ignored 1, 2), the daily limit (ignored 5), 51 in a batch, NUL bytes
and invalid UTF-8 (6) - each with a non-empty message."""

import hashlib
import os
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
import scrobbling as sc  # noqa: E402

encore.require_stack()


def test_pylast_session_now_playing_scrobbles_love_recent():
    try:
        import pylast  # noqa: F401
    except ImportError:
        raise encore.Skip("python3-pylast is not installed")
    u = encore.new_user()
    key, secret = sc.app_key(u, "pylast")
    net = sc.pylast_network(u, key, secret)
    encore.check(net.session_key and len(net.session_key) == 32, "no session key: %r" % net.session_key)
    encore.note_secret(net.session_key)
    net.update_now_playing("Portishead", "Roads", album="Dummy", duration=305)
    now = int(time.time())
    tracks = [{"artist": "Pylast Artist %d" % (i % 9), "title": "Pylast Song %d" % i,
               "timestamp": now - 7200 + i * 30, "album": "Pylast Album", "duration": 180}
              for i in range(120)]
    net.scrobble_many(tracks)
    # love a catalogue track: it becomes a like
    tid, artist, title = sc.catalogue_track()
    net.get_track(artist, title).love()
    r = encore.call("GET", "/api/v1/me/likes", token=u.access)
    likes = encore.expect(r, 200, "GET", "/api/v1/me/likes")
    encore.check(any(i["id"] == tid for i in likes["items"]), "the loved track is not liked: %r" % likes)
    me = net.get_authenticated_user()
    recent = me.get_recent_tracks(limit=50)
    encore.check(len(recent) == 50, "%d recent tracks" % len(recent))
    encore.check(str(recent[0].track.title) == "Pylast Song 119" and
                 int(recent[0].timestamp) == tracks[-1]["timestamp"],
                 "newest first: %r" % (recent[0],))
    playing = me.get_recent_tracks(limit=5, now_playing=True)
    encore.check(str(playing[0].track.title) == "Roads", "now playing first: %r" % (playing[0],))
    r = encore.call("GET", "/api/v1/me/scrobble-stats", token=u.access)
    st = encore.expect(r, 200, "GET", "/api/v1/me/scrobble-stats")
    encore.check(st["listens"] + st["unmatched"] == 120, "stored: %r" % st)
    # the same batch again: accepted, stored once
    net.scrobble_many(tracks[:50])
    st2 = encore.expect(encore.call("GET", "/api/v1/me/scrobble-stats", token=u.access),
                        200, "GET", "/api/v1/me/scrobble-stats")
    encore.check(st2 == st, "a retry stored twice: %r then %r" % (st, st2))


def test_password_session_and_wrong_password():
    u = encore.new_user()
    key, secret = sc.app_key(u)
    r = sc.lfm("auth.getMobileSession", {"username": u.username, "password": u.password}, key, secret)
    root = sc.xml(r)
    encore.check(root.find("session/name").text == u.username, r.text)
    encore.note_secret(root.find("session/key").text)
    r = sc.lfm("auth.getMobileSession", {"username": u.username, "password": u.password + "x"},
               key, secret)
    sc.lfm_error(r, 4, 403)
    bad_token = hashlib.md5(b"nope").hexdigest()
    r = sc.lfm("auth.getMobileSession", {"username": u.username, "authToken": bad_token}, key, secret)
    sc.lfm_error(r, 4, 403)
    r = sc.lfm("auth.getMobileSession", {"username": u.username}, key, secret)
    sc.lfm_error(r, 6, 400)


def test_web_flow_with_the_approval_page():
    owner = encore.new_user()
    key, secret = sc.app_key(owner, "Web <Player> & co")
    user = encore.new_user()
    r = sc.lfm("auth.getToken", {}, key, secret)
    token = sc.xml(r).find("token").text
    encore.check(len(token) == 32, token)
    encore.note_secret(token)
    # not approved yet
    sc.lfm_error(sc.lfm("auth.getSession", {"token": token}, key, secret), 14, 403)
    page = encore.call("GET", "/api/auth/?" + urllib.parse.urlencode({"api_key": key, "token": token}))
    encore.check(page.status_code == 200 and page.headers["Content-Type"].startswith("text/html"),
                 "approval page: %d %r" % (page.status_code, page.text[:200]))
    encore.check("Web &lt;Player&gt; &amp; co" in page.text and "<Player>" not in page.text,
                 "the application's name is not escaped: %r" % page.text[:400])
    encore.check("frame-ancestors 'none'" in page.headers.get("Content-Security-Policy", ""),
                 "the page may be framed")
    form = {"token": token, "username": user.username, "password": user.password + "x", "decision": "allow"}
    r = encore.call("POST", "/api/auth/", data=form)
    encore.check(r.status_code == 403 and "Wrong username or password" in r.text, r.text[:300])
    form["password"] = user.password
    r = encore.call("POST", "/api/auth/", data=form)
    encore.check(r.status_code == 200 and "Access granted" in r.text, r.text[:300])
    r = sc.lfm("auth.getSession", {"token": token}, key, secret)
    root = sc.xml(r)
    encore.check(root.find("session/name").text == user.username, r.text)
    encore.note_secret(root.find("session/key").text)
    # a token is spent once
    sc.lfm_error(sc.lfm("auth.getSession", {"token": token}, key, secret), 4, 403)
    # an expired token
    r = sc.lfm("auth.getToken", {}, key, secret)
    token2 = sc.xml(r).find("token").text
    encore.note_secret(token2)
    sc.db("UPDATE scrobble_auth_tokens SET expires_at = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND "
          "WHERE token = '%s'" % token2)
    sc.lfm_error(sc.lfm("auth.getSession", {"token": token2}, key, secret), 15, 403)
    page = encore.call("GET", "/api/auth/?token=" + token2)
    encore.check(page.status_code == 404, "an expired token's page: %d" % page.status_code)


def test_json_format_and_errors():
    u = encore.new_user()
    key, secret = sc.app_key(u)
    sk = sc.mobile_session(u, key, secret)
    now = int(time.time())
    r = sc.lfm("track.scrobble", {"artist[0]": "Json Artist", "track[0]": "Json Song",
                                  "timestamp[0]": str(now - 100)}, key, secret, sk=sk, fmt="json")
    body = r.json()
    encore.check(r.status_code == 200 and body["scrobbles"]["@attr"]["accepted"] == "1", r.text)
    r = sc.lfm("user.getRecentTracks", {"user": u.username}, key, secret, sk=sk, http="GET", fmt="json")
    body = r.json()
    t = body["recenttracks"]["track"][0]
    encore.check(t["name"] == "Json Song" and t["artist"]["#text"] == "Json Artist" and
                 t["date"]["uts"] == str(now - 100), "json recent tracks: %r" % body)
    encore.check(body["recenttracks"]["@attr"]["total"] == "1", body)
    sc.lfm_error(sc.lfm("user.getNope", {}, key, secret, fmt="json"), 3, 400, fmt="json")
    sc.lfm_error(sc.lfm("user.getInfo", {"user": u.username}, key, secret, fmt="yaml"), 5, 400)
    info = sc.xml(sc.lfm("user.getInfo", {}, key, secret, sk=sk))
    encore.check(info.find("user/name").text == u.username and info.find("user/playcount").text == "1",
                 "user.getInfo")


def test_bad_requests_have_lastfm_errors():
    u = encore.new_user()
    key, secret = sc.app_key(u)
    other_key, other_secret = sc.app_key(u, "other")
    sk = sc.mobile_session(u, key, secret)
    now = str(int(time.time()))
    one = {"artist[0]": "A", "track[0]": "T", "timestamp[0]": now}
    # wrong signature
    p = dict(one, method="track.scrobble", api_key=key, sk=sk)
    p["api_sig"] = sc.sign(p, secret + "x")
    sc.lfm_error(encore.call("POST", "/2.0/", data=p), 13, 403)
    # no signature with a session key
    sc.lfm_error(sc.lfm("track.scrobble", one, key, sk=sk, signed=False), 6, 400)
    # unknown method, missing method
    sc.lfm_error(sc.lfm("track.nope", one, key, secret, sk=sk), 3, 400)
    sc.lfm_error(encore.call("POST", "/2.0/", data={"api_key": key}), 3, 400)
    # unknown or missing API key
    sc.lfm_error(sc.lfm("user.getInfo", {"user": u.username}, "0" * 32), 10, 403)
    sc.lfm_error(encore.call("POST", "/2.0/", data={"method": "user.getInfo"}), 6, 400)
    # missing parameters
    sc.lfm_error(sc.lfm("track.updateNowPlaying", {"artist": "A"}, key, secret, sk=sk), 6, 400)
    sc.lfm_error(sc.lfm("track.scrobble", {}, key, secret), 6, 400)
    # a write over GET
    sc.lfm_error(sc.lfm("track.scrobble", one, key, secret, sk=sk, http="GET"), 6, 400)
    # a foreign session key (made for another application), an unknown one
    sc.lfm_error(sc.lfm("track.scrobble", one, other_key, other_secret, sk=sk), 9, 403)
    sc.lfm_error(sc.lfm("track.scrobble", one, key, secret, sk="f" * 32), 9, 403)
    # an expired one (unused for over a year)
    sk2 = sc.mobile_session(u, key, secret)
    sc.db("UPDATE scrobble_sessions SET last_used_at = UTC_TIMESTAMP(3) - INTERVAL 400 DAY "
          "WHERE key_hash = UNHEX(SHA2('%s', 256))" % sk2)
    sc.lfm_error(sc.lfm("track.scrobble", one, key, secret, sk=sk2), 9, 403)
    # a parameter twice
    body = urllib.parse.urlencode(dict(one, method="track.scrobble", api_key=key, sk=sk)) + "&artist%5B0%5D=B"
    sc.lfm_error(sc.lfm("track.scrobble", {}, key, raw_body=body.encode()), 6, 400)
    # NUL bytes and invalid UTF-8 in names
    for bad in (b"artist%5B0%5D=A%00B", b"artist%5B0%5D=%FF%FEx"):
        raw = b"method=track.scrobble&api_key=" + key.encode() + b"&sk=" + sk.encode() + \
              b"&track%5B0%5D=T&timestamp%5B0%5D=" + now.encode() + b"&" + bad
        sc.lfm_error(sc.lfm("track.scrobble", {}, key, raw_body=raw), 6, 400)
    # 51 scrobbles
    many = {}
    for i in range(51):
        many.update({"artist[%d]" % i: "A", "track[%d]" % i: "T%d" % i, "timestamp[%d]" % i: now})
    msg = sc.lfm_error(sc.lfm("track.scrobble", many, key, secret, sk=sk), 6, 400)
    encore.check("50" in msg, msg)
    # a missing timestamp
    sc.lfm_error(sc.lfm("track.scrobble", {"artist[0]": "A", "track[0]": "T"}, key, secret, sk=sk), 6, 400)
    # another user's private scrobbles
    other = encore.new_user()
    sc.lfm_error(sc.lfm("user.getRecentTracks", {"user": other.username}, key, http="GET"), 17, 403)
    sc.lfm_error(sc.lfm("user.getRecentTracks", {"user": "no_such_user_zz"}, key, http="GET"), 6, 400)


def test_ignored_codes():
    u = encore.new_user()
    key, secret = sc.app_key(u)
    sk = sc.mobile_session(u, key, secret)
    now = int(time.time())
    batch = {
        "artist[0]": "Fine", "track[0]": "Fine Song", "timestamp[0]": str(now - 60),
        "artist[1]": "Old", "track[1]": "Old Song", "timestamp[1]": str(now - 15 * 86400),
        "artist[2]": "New", "track[2]": "New Song", "timestamp[2]": str(now + 3600),
        "artist[3]": " ", "track[3]": "No Artist", "timestamp[3]": str(now - 50),
        "artist[4]": "No Track", "track[4]": "", "timestamp[4]": str(now - 40),
        "artist[5]": "X" * 256, "track[5]": "Long", "timestamp[5]": str(now - 30),
    }
    root = sc.xml(sc.lfm("track.scrobble", batch, key, secret, sk=sk))
    s = root.find("scrobbles")
    encore.check(s.get("accepted") == "1" and s.get("ignored") == "5", "counts: %s" % s.attrib)
    codes = [x.find("ignoredMessage").get("code") for x in s.findall("scrobble")]
    encore.check(codes == ["0", "3", "4", "1", "2", "1"], "ignored codes %r" % codes)
    texts = [x.find("ignoredMessage").text for x in s.findall("scrobble")]
    encore.check(all(texts[1:]), "ignored without a message: %r" % texts)
    # the daily limit: past 3,000 a day, ignored with code 5
    uid = u.body["id"]
    sc.db("INSERT INTO scrobble_days (user_id, day, count) VALUES (%d, UTC_DATE(), 2999) "
          "ON DUPLICATE KEY UPDATE count = 2999" % uid)
    three = {}
    for i in range(3):
        three.update({"artist[%d]" % i: "Daily", "track[%d]" % i: "Daily %d" % i,
                      "timestamp[%d]" % i: str(now - 10 + i)})
    s = sc.xml(sc.lfm("track.scrobble", three, key, secret, sk=sk)).find("scrobbles")
    codes = [x.find("ignoredMessage").get("code") for x in s.findall("scrobble")]
    encore.check(codes == ["0", "5", "5"], "daily limit codes %r" % codes)


def test_matched_scrobbles_are_listens():
    u = encore.new_user()
    key, secret = sc.app_key(u)
    sk = sc.mobile_session(u, key, secret)
    tid, artist, title = sc.catalogue_track(duration_ms=240000)
    now = int(time.time())
    # another case, punctuation and accents: the same normalized names
    root = sc.xml(sc.lfm("track.scrobble", {"artist[0]": artist.upper(), "track[0]": title + "!",
                                             "timestamp[0]": str(now - 300), "duration[0]": "241"},
                          key, secret, sk=sk))
    encore.check(root.find("scrobbles").get("accepted") == "1", "not accepted")
    r = encore.call("GET", "/api/v1/me/history", token=u.access)
    hist = encore.expect(r, 200, "GET", "/api/v1/me/history")
    encore.check(hist["items"] and hist["items"][0]["track"]["id"] == tid and
                 hist["items"][0]["source"] == "lastfm", "not matched: %r" % hist)
    # a duration far off does not match
    sc.lfm("track.scrobble", {"artist[0]": artist, "track[0]": title, "timestamp[0]": str(now - 200),
                              "duration[0]": "600"}, key, secret, sk=sk)
    st = encore.expect(encore.call("GET", "/api/v1/me/scrobble-stats", token=u.access),
                       200, "GET", "/api/v1/me/scrobble-stats")
    encore.check(st["listens"] == 1 and st["unmatched"] == 1, "stats %r" % st)


if __name__ == "__main__":
    encore.main(globals())
