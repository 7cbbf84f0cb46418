#!/usr/bin/python3
"""The ListenBrainz compatible API at /1/: submit-listens (single,
playing_now, import of 1,000), validate-token, a user's listens and
playing-now, the user's token and its rotation, the documented limits
(1,001 listens, a listen over 10,240 bytes, listened_at before 2002 or in
the future, playing_now with listened_at, unknown keys, NUL bytes, bad
MusicBrainz ids), error bodies {code, error}, the X-RateLimit-* headers
and 429 past the rate."""

import json
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
import scrobbling as sc  # noqa: E402

encore.require_stack()

RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset-In", "X-RateLimit-Reset")


def lb_error(r, status):
    encore.check(r.status_code == status, "expected %d, got %d %s" % (status, r.status_code, r.text[:200]))
    body = r.json()
    encore.check(body.get("code") == status and body.get("error"), "error body %r" % body)
    return body["error"]


def test_submit_read_and_playing_now():
    u = encore.new_user()
    tok = sc.lb_token(u)
    r = sc.lb("GET", "/1/validate-token", tok)
    body = encore.expect(r, 200, "GET", "/1/validate-token")
    encore.check(body["valid"] and body["user_name"] == u.username, body)
    for h in RATE_HEADERS:
        encore.check(h in r.headers, "no %s" % h)
    r = sc.lb("GET", "/1/validate-token?token=" + tok)
    encore.check(r.json()["valid"], "?token= not read")
    r = sc.lb("GET", "/1/validate-token", "00000000-0000-4000-8000-000000000000")
    encore.check(r.status_code == 200 and r.json()["valid"] is False, r.text)
    lb_error(sc.lb("GET", "/1/validate-token"), 400)
    now = int(time.time())
    single = {"listen_type": "single", "payload": [sc.listen(now - 10, "LB Artist", "LB Single",
                                                             duration_ms=200000)]}
    r = sc.lb("POST", "/1/submit-listens", tok, json_body=single)
    encore.expect(r, 200, "POST", "/1/submit-listens")
    imp = {"listen_type": "import",
           "payload": [sc.listen(now - 1000 - i, "LB Artist %d" % (i % 13), "LB Song %d" % i)
                       for i in range(1000)]}
    t0 = time.monotonic()
    r = sc.lb("POST", "/1/submit-listens", tok, json_body=imp)
    encore.expect(r, 200, "POST", "/1/submit-listens")
    print("  1,000 listens stored in %.2f s" % (time.monotonic() - t0))
    # sent again: ok, stored once
    r = sc.lb("POST", "/1/submit-listens", tok, json_body=imp)
    encore.expect(r, 200, "POST", "/1/submit-listens")
    st = encore.expect(encore.call("GET", "/api/v1/me/scrobble-stats", token=u.access),
                       200, "GET", "/api/v1/me/scrobble-stats")
    encore.check(st["listens"] + st["unmatched"] == 1001, "stored %r" % st)
    r = sc.lb("POST", "/1/submit-listens", tok, json_body={"listen_type": "playing_now", "payload": [
        {"track_metadata": {"artist_name": "Now Artist", "track_name": "Now Song"}}]})
    encore.expect(r, 200, "POST", "/1/submit-listens")
    r = sc.lb("GET", "/1/user/%s/playing-now" % u.username, tok)
    body = encore.expect(r, 200, "GET", "/1/user/{user_name}/playing-now")
    encore.check(body["payload"]["playing_now"] and
                 body["payload"]["listens"][0]["track_metadata"]["track_name"] == "Now Song", body)
    r = sc.lb("GET", "/1/user/%s/listens?count=5" % u.username, tok)
    body = encore.expect(r, 200, "GET", "/1/user/{user_name}/listens")
    ls = body["payload"]["listens"]
    encore.check(len(ls) == 5 and ls[0]["listened_at"] == now - 10 and
                 ls[0]["track_metadata"]["track_name"] == "LB Single", "listens %r" % ls[:2])
    r = sc.lb("GET", "/1/user/%s/listens?max_ts=%d&min_ts=%d&count=100" % (u.username, now - 1000, now - 1011), tok)
    body = encore.expect(r, 200, "GET", "/1/user/{user_name}/listens")
    encore.check([l["listened_at"] for l in body["payload"]["listens"]] == list(range(now - 1001, now - 1011, -1)),
                 "min_ts/max_ts window: %r" % [l["listened_at"] for l in body["payload"]["listens"]])
    lb_error(sc.lb("GET", "/1/user/%s/listens?count=1001" % u.username, tok), 400)
    # private by default: a stranger without a token finds no such user
    lb_error(sc.lb("GET", "/1/user/%s/listens" % u.username), 404)
    lb_error(sc.lb("GET", "/1/user/%s/listens" % u.username, "bogus token"), 401)


def test_limits_and_bad_input():
    u = encore.new_user()
    tok = sc.lb_token(u)
    now = int(time.time())
    ok = sc.listen(now - 5, "A", "T")

    def submit(doc, raw=None):
        if raw is not None:
            return sc.lb("POST", "/1/submit-listens", tok, data=raw,
                         headers={"Content-Type": "application/json"})
        return sc.lb("POST", "/1/submit-listens", tok, json_body=doc)

    cases = [
        ({"listen_type": "import", "payload": [sc.listen(now - i - 10, "A", "T%d" % i) for i in range(1001)]}, "1000"),
        ({"listen_type": "single", "payload": [ok, ok]}, "exactly one"),
        ({"listen_type": "single", "payload": []}, "payload"),
        ({"listen_type": "bogus", "payload": [ok]}, "listen_type"),
        ({"payload": [ok]}, "listen_type"),
        ({"listen_type": "single", "payload": [ok], "extra": 1}, "only"),
        ({"listen_type": "single", "payload": [sc.listen(1033410599, "A", "T")]}, "1033410600"),
        ({"listen_type": "single", "payload": [sc.listen(now + 3600, "A", "T")]}, "future"),
        ({"listen_type": "single", "payload": [{"listened_at": "1767322245", "track_metadata": ok["track_metadata"]}]}, "integer"),
        ({"listen_type": "playing_now", "payload": [ok]}, "listened_at"),
        ({"listen_type": "single", "payload": [dict(ok, extra=1)]}, "only"),
        ({"listen_type": "single", "payload": [sc.listen(now, "", "T")]}, "artist_name"),
        ({"listen_type": "single", "payload": [sc.listen(now, "A", "X" * 256)]}, "track_name"),
        ({"listen_type": "single", "payload": [sc.listen(now, "A", "T", recording_mbid="nope")]}, "UUID"),
        ({"listen_type": "single", "payload": [sc.listen(now, "A", "T", tags=["x"] * 51)]}, "tags"),
        ({"listen_type": "single", "payload": [sc.listen(now, "A", "T", big="y" * 10300)]}, "10240"),
    ]
    for doc, want in cases:
        msg = lb_error(submit(doc), 400)
        encore.check(want in msg, "%r: %r lacks %r" % (json.dumps(doc)[:80], msg, want))
    # NUL bytes and invalid UTF-8
    lb_error(submit(None, raw=b'{"listen_type":"single","payload":[{"listened_at":%d,"track_metadata":'
                              b'{"artist_name":"A\\u0000B","track_name":"T"}}]}' % now), 400)
    lb_error(submit(None, raw=b'{"listen_type":"single","payload":[{"listened_at":%d,"track_metadata":'
                              b'{"artist_name":"\xff\xfe","track_name":"T"}}]}' % now), 400)
    lb_error(submit(None, raw=b"not json"), 400)
    # tokens
    lb_error(sc.lb("POST", "/1/submit-listens", None, json_body={"listen_type": "single", "payload": [ok]}), 401)
    lb_error(sc.lb("POST", "/1/submit-listens", None, json_body={"listen_type": "single", "payload": [ok]},
                   headers={"Authorization": "Bearer " + tok}), 401)
    r = encore.call("POST", "/api/v1/me/scrobble-token", token=u.access)
    new = encore.expect(r, 200, "POST", "/api/v1/me/scrobble-token")["token"]
    encore.check(new != tok, "the token did not change")
    lb_error(submit({"listen_type": "single", "payload": [ok]}), 401)  # the old one
    r = sc.lb("POST", "/1/submit-listens", new, json_body={"listen_type": "single", "payload": [ok]})
    encore.expect(r, 200, "POST", "/1/submit-listens")
    r = encore.call("GET", "/api/v1/me/scrobble-token", token=u.access)
    encore.check(encore.expect(r, 200, "GET", "/api/v1/me/scrobble-token")["token"] == new, "read back")


def test_rate_limit():
    u = encore.new_user()
    tok = sc.lb_token(u)
    last = None
    for i in range(102):
        last = sc.lb("GET", "/1/validate-token", tok)
        if last.status_code == 429:
            break
    encore.check(last.status_code == 429, "no 429 after %d requests" % (i + 1))
    body = lb_error(last, 429)
    encore.check(int(last.headers["X-RateLimit-Remaining"]) == 0 and int(last.headers["Retry-After"]) >= 1,
                 "headers %r" % dict(last.headers))
    encore.check(i >= 99, "429 after %d requests only (%s)" % (i + 1, body))


if __name__ == "__main__":
    encore.main(globals())
