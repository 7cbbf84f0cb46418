#!/usr/bin/python3
"""What a user sets up for scrobbling, and what becomes of text scrobbles:
API keys (made, listed without secrets, capped at 20, deleted with their
sessions); export files of Last.fm and ListenBrainz imported as jobs
(encore-import runs them) with progress, a summary and the match rate,
bad files refused; scrobbles kept as text until their track appears, then
matched by encore-import's matching pass (by names, by MusicBrainz id);
text loves that become likes; import jobs capped and cancelled."""

import hashlib
import json
import os
import secrets
import sys
import time
import uuid

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
import scrobbling as sc  # noqa: E402

encore.require_stack()


def test_api_keys():
    u = encore.new_user()
    key, secret = sc.app_key(u, "first")
    sc.mobile_session(u, key, secret)
    r = encore.call("GET", "/api/v1/me/api-keys", token=u.access)
    page = encore.expect(r, 200, "GET", "/api/v1/me/api-keys")
    encore.check(len(page["items"]) == 1 and page["items"][0]["api_key"] == key and
                 "secret" not in page["items"][0] and page["items"][0]["sessions"] == 1, page)
    for i in range(19):
        sc.app_key(u, "more %d" % i)
    r = encore.call("POST", "/api/v1/me/api-keys", token=u.access, json_body={"name": "one too many"})
    encore.expect(r, 409, "POST", "/api/v1/me/api-keys")
    r = encore.call("POST", "/api/v1/me/api-keys", token=u.access, json_body={"name": ""})
    encore.expect(r, 422, "POST", "/api/v1/me/api-keys")
    r = encore.call("POST", "/api/v1/me/api-keys", token=u.access, json_body={"name": "x", "secret": "mine"})
    encore.expect(r, 422, "POST", "/api/v1/me/api-keys")
    r = encore.call("GET", "/api/v1/me/api-keys?limit=5", token=u.access)
    page = encore.expect(r, 200, "GET", "/api/v1/me/api-keys")
    seen = [i["id"] for i in page["items"]]
    while page["next_cursor"]:
        r = encore.call("GET", "/api/v1/me/api-keys?limit=5&cursor=" + page["next_cursor"], token=u.access)
        page = encore.expect(r, 200, "GET", "/api/v1/me/api-keys")
        seen += [i["id"] for i in page["items"]]
    encore.check(len(seen) == 20 and len(set(seen)) == 20, "pages %r" % seen)
    first = seen[-1]
    sk = sc.mobile_session(u, key, secret)
    r = encore.call("DELETE", "/api/v1/me/api-keys/%d" % first, token=u.access)
    encore.expect(r, 204, "DELETE", "/api/v1/me/api-keys/{id}")
    sc.lfm_error(sc.lfm("user.getInfo", {}, key, secret, sk=sk), 10, 403)
    r = encore.call("DELETE", "/api/v1/me/api-keys/%d" % first, token=u.access)
    encore.expect(r, 404, "DELETE", "/api/v1/me/api-keys/{id}")
    other = encore.new_user()
    r = encore.call("DELETE", "/api/v1/me/api-keys/%d" % seen[0], token=other.access)
    encore.expect(r, 404, "DELETE", "/api/v1/me/api-keys/{id}")


def test_credentials_end_with_suspension_and_reset():
    u = encore.new_user()
    key, secret = sc.app_key(u, "suspended client")
    sk, tok = sc.mobile_session(u, key, secret), sc.lb_token(u)

    def valid(t):
        r = sc.lb("GET", "/1/validate-token", t)
        return encore.expect(r, 200, "GET", "/1/validate-token")["valid"]

    encore.check(valid(tok), "token not valid")
    sc.xml(sc.lfm("user.getInfo", {}, key, secret, sk=sk))
    # suspended behind the API's back (no session revoked): the lookups
    # themselves refuse the account, and so does the authToken sign-in
    sc.db("UPDATE users SET status = 'suspended', suspension_reason = 'test' "
          "WHERE id = %d" % u.id)
    try:
        sc.lfm_error(sc.lfm("user.getInfo", {}, key, secret, sk=sk), 9)
        encore.check(not valid(tok), "a suspended user's ListenBrainz token is valid")
        r = sc.lb("POST", "/1/submit-listens", tok, json_body={
            "listen_type": "single", "payload": [sc.listen(int(time.time()) - 10, "A", "B")]})
        encore.check(r.status_code == 401, "suspended submit-listens: %d" % r.status_code)
        authtok = hashlib.md5((u.username + hashlib.md5(u.password.encode()).hexdigest())
                              .encode()).hexdigest()
        sc.lfm_error(sc.lfm("auth.getMobileSession",
                            {"username": u.username, "authToken": authtok}, key, secret), 4)
    finally:
        sc.db("UPDATE users SET status = 'active', suspension_reason = '' "
              "WHERE id = %d" % u.id)
    sc.xml(sc.lfm("user.getInfo", {}, key, secret, sk=sk))
    encore.check(valid(tok), "token not valid once reinstated")
    # a password reset ends the session key and the token
    r = encore.call("POST", "/api/v1/admin/users/%s/password-reset" % u.username,
                    token=encore.admin().access, json_body={"reason": "compromised"})
    encore.expect(r, 204, "POST", "/api/v1/admin/users/{username}/password-reset")
    sc.lfm_error(sc.lfm("user.getInfo", {}, key, secret, sk=sk), 9)
    encore.check(not valid(tok), "the token survived a password reset")


def run_import():
    r = sc.program("encore-import", "--for", "20", "--art", "0")
    encore.check(r.returncode == 0, "encore-import failed: %s %s" % (r.stdout[-500:], r.stderr[-500:]))
    return r


def job(u, jid):
    r = encore.call("GET", "/api/v1/me/imports/%d" % jid, token=u.access)
    return encore.expect(r, 200, "GET", "/api/v1/me/imports/{id}")


def upload(u, fmt, data, ctype="application/json", status=202):
    r = encore.call("POST", "/api/v1/me/imports/files?format=" + fmt, token=u.access, data=data,
                    headers={"Content-Type": ctype})
    return encore.expect(r, status, "POST", "/api/v1/me/imports/files")


def test_export_files():
    u = encore.new_user()
    now = int(time.time())
    tid, artist, title = sc.catalogue_track()
    # Last.fm: user.getRecentTracks pages, with a track playing now (no date)
    pages = [{"recenttracks": {"track": [
        {"artist": {"#text": artist}, "name": title, "album": {"#text": ""},
         "date": {"uts": str(now - 86400)}},
        {"artist": {"#text": "Export Artist"}, "name": "Export Song %d" % p, "date": {"uts": str(now - 90000 - p)},
         "mbid": ""},
        {"artist": {"#text": "Now"}, "name": "Playing", "@attr": {"nowplaying": "true"}},
        {"artist": {"#text": ""}, "name": "no artist", "date": {"uts": str(now - 100)}},
    ]}} for p in range(3)]
    j = upload(u, "lastfm", json.dumps(pages).encode())
    encore.check(j["state"] == "queued" and j["source"] == "lastfm_file", j)
    run_import()
    j = job(u, j["id"])
    s = j["summary"]
    encore.check(j["state"] == "done" and j["progress"]["done"] == 9 and j["progress"]["total"] == 9, j)
    encore.check(s["listens_matched"] == 1 and s["listens_unmatched"] == 3 and s["duplicates"] == 2 and
                 s["rejected"] == 3 and abs(s["match_rate"] - 0.25) < 1e-9, "summary %r" % s)
    # ListenBrainz: its JSON export, and JSON Lines
    listens = [{"listened_at": now - 5000 - i, "track_metadata": {
        "artist_name": "LB Export", "track_name": "LB Export %d" % i,
        "additional_info": {"recording_mbid": str(uuid.uuid4())}}} for i in range(700)]
    j1 = upload(u, "listenbrainz", json.dumps(listens).encode())
    lines = "\n".join(json.dumps(l) for l in listens[:10]) + "\n\n"
    j2 = upload(u, "listenbrainz", lines.encode(), "application/x-ndjson")
    run_import()
    a, b = job(u, j1["id"]), job(u, j2["id"])
    encore.check(a["state"] == "done" and a["summary"]["listens_unmatched"] == 700, a)
    encore.check(b["state"] == "done" and b["summary"]["duplicates"] == 10, b)
    r = encore.call("GET", "/api/v1/me/imports?limit=2", token=u.access)
    page = encore.expect(r, 200, "GET", "/api/v1/me/imports")
    encore.check([x["id"] for x in page["items"]] == [j2["id"], j1["id"]] and page["next_cursor"], page)
    # bad files
    r = encore.call("POST", "/api/v1/me/imports/files?format=lastfm", token=u.access, data=b"{not json",
                    headers={"Content-Type": "application/json"})
    encore.expect(r, 400, "POST", "/api/v1/me/imports/files")
    r = encore.call("POST", "/api/v1/me/imports/files?format=listenbrainz", token=u.access,
                    data=b'{"a":1}\n{oops\n', headers={"Content-Type": "application/x-ndjson"})
    body = encore.expect(r, 400, "POST", "/api/v1/me/imports/files")
    encore.check("line 2" in body["detail"], body)
    r = encore.call("POST", "/api/v1/me/imports/files?format=lastfm", token=u.access, data=b"a,b,c",
                    headers={"Content-Type": "text/csv"})
    encore.expect(r, 415, "POST", "/api/v1/me/imports/files")
    r = encore.call("POST", "/api/v1/me/imports/files?format=csv", token=u.access, data=b"[]",
                    headers={"Content-Type": "application/json"})
    encore.expect(r, 422, "POST", "/api/v1/me/imports/files")
    # a JSON file that holds no export fails as a job, with a reason
    j = upload(u, "lastfm", b'{"hello": "world"}')
    run_import()
    j = job(u, j["id"])
    encore.check(j["state"] == "done" and j["progress"]["done"] == 0, j)


def test_text_scrobbles_matched_later():
    u = encore.new_user()
    key, secret = sc.app_key(u)
    sk = sc.mobile_session(u, key, secret)
    now = int(time.time())
    artist = "Later Artist %s" % secrets.token_hex(3)
    title = "Later Song %s" % secrets.token_hex(3)
    mbid = str(uuid.uuid4())
    batch = {"artist[0]": artist, "track[0]": title, "timestamp[0]": str(now - 600), "duration[0]": "200",
             "artist[1]": "Other %s" % secrets.token_hex(3), "track[1]": "By Mbid", "timestamp[1]": str(now - 500),
             "mbid[1]": mbid}
    sc.xml(sc.lfm("track.scrobble", batch, key, secret, sk=sk))
    sc.xml(sc.lfm("track.love", {"artist": artist, "track": title}, key, secret, sk=sk))
    st = encore.expect(encore.call("GET", "/api/v1/me/scrobble-stats", token=u.access),
                       200, "GET", "/api/v1/me/scrobble-stats")
    encore.check(st == {"listens": 0, "unmatched": 2, "match_rate": 0.0}, st)
    # the tracks appear: one by names (another case), one by MusicBrainz id
    t1, _, _ = sc.catalogue_track(title=title.upper(), artist=artist, duration_ms=201000)
    t2, _, _ = sc.catalogue_track(title="A Different Title", mbid=mbid)
    time.sleep(6)  # the pass leaves tracks younger than 5 s to the next one
    r = run_import()
    encore.check("run done" in r.stderr, r.stderr[-300:])
    st = encore.expect(encore.call("GET", "/api/v1/me/scrobble-stats", token=u.access),
                       200, "GET", "/api/v1/me/scrobble-stats")
    encore.check(st == {"listens": 2, "unmatched": 0, "match_rate": 1.0}, st)
    hist = encore.expect(encore.call("GET", "/api/v1/me/history", token=u.access),
                         200, "GET", "/api/v1/me/history")
    encore.check(sorted(i["track"]["id"] for i in hist["items"]) == sorted([t1, t2]) and
                 all(i["source"] == "lastfm" for i in hist["items"]), hist)
    likes = encore.expect(encore.call("GET", "/api/v1/me/likes", token=u.access), 200, "GET", "/api/v1/me/likes")
    encore.check([i["id"] for i in likes["items"]] == [t1], "the text love is not a like: %r" % likes)


def test_import_jobs_capped_and_cancelled():
    u = encore.new_user()
    ids = [upload(u, "listenbrainz", b"[]")["id"] for _ in range(3)]
    r = encore.call("POST", "/api/v1/me/imports/files?format=listenbrainz", token=u.access, data=b"[]",
                    headers={"Content-Type": "application/json"})
    encore.expect(r, 409, "POST", "/api/v1/me/imports/files")
    r = encore.call("POST", "/api/v1/me/imports/%d/cancel" % ids[0], token=u.access)
    j = encore.expect(r, 200, "POST", "/api/v1/me/imports/{id}/cancel")
    encore.check(j["state"] == "cancelled", j)
    r = encore.call("POST", "/api/v1/me/imports/%d/cancel" % ids[0], token=u.access)
    encore.expect(r, 409, "POST", "/api/v1/me/imports/{id}/cancel")
    other = encore.new_user()
    r = encore.call("GET", "/api/v1/me/imports/%d" % ids[1], token=other.access)
    encore.expect(r, 404, "GET", "/api/v1/me/imports/{id}")
    r = encore.call("POST", "/api/v1/me/imports/%d/cancel" % ids[1], token=other.access)
    encore.expect(r, 404, "POST", "/api/v1/me/imports/{id}/cancel")
    # not linked: nothing to import
    r = encore.call("POST", "/api/v1/me/imports", token=u.access, json_body={"source": "spotify"})
    encore.expect(r, 409, "POST", "/api/v1/me/imports")
    r = encore.call("POST", "/api/v1/me/imports", token=u.access,
                    json_body={"source": "spotify", "what": ["everything"]})
    encore.expect(r, 422, "POST", "/api/v1/me/imports")


if __name__ == "__main__":
    encore.main(globals())
