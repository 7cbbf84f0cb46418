#!/usr/bin/python3
"""Linked services against local fakes that speak their protocols
(fakes.py, on the port the test stack's fetch_allow names): Last.fm's web
auth and scrobbling out through encore-scrobble (exactly once while the
fake fails at random; unlinked and notified on error 9), ListenBrainz's
token and delivery (unlinked on 401), Spotify's authorization code with
PKCE (state, reused and expired codes), its import job (429 with
Retry-After, a malformed page retried, the job resumed, re-import
incremental) and the player token (refreshed, rotated); Apple Music's
ES256 developer token and its import with a Music-User-Token; third-party
answers that are malformed, huge, slow or redirect to 127.0.0.1; the
credentials sealed at rest."""

import os
import secrets
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
import fakes  # noqa: E402
import scrobbling as sc  # noqa: E402

encore.require_stack()

F = None


def setup():
    """The fakes on the stack's port, with its keys."""
    global F
    conf, sec = encore.conf(), encore.secrets_conf()
    allow = conf.get("fetch_allow", "")
    if not allow.startswith("127.0.0.1:") or not conf.get("apple_music_key_file"):
        raise encore.Skip("the stack has no fakes configured (fetch_allow)")
    tls = os.path.dirname(conf["fetch_ca_file"])
    F = fakes.Fakes(int(allow.split(":")[1]), os.path.join(tls, "server.crt"),
                    os.path.join(tls, "server.key"))
    F.lastfm_key, F.lastfm_secret = conf["lastfm_api_key"], sec["lastfm_api_secret"]
    F.sp_client_id = conf["spotify_client_id"]
    from cryptography.hazmat.primitives import serialization
    with open(conf["apple_music_key_file"], "rb") as f:
        F.am_public_key = serialization.load_pem_private_key(f.read(), None).public_key()
    F.am_team, F.am_kid = conf["apple_music_team_id"], conf["apple_music_key_id"]
    F.start()


def follow(url):
    """A browser at a fake's page: the fake's redirect back to Encore, as
    a path of the stack."""
    import requests
    r = requests.get(url, allow_redirects=False, verify=encore.ca_file(), timeout=10)
    encore.check(r.status_code == 302, "the fake answered %d: %s" % (r.status_code, r.text[:200]))
    loc = urllib.parse.urlsplit(r.headers["Location"])
    return loc.path + "?" + loc.query


def authorize(u, service):
    r = encore.call("POST", "/api/v1/me/integrations/%s/authorize" % service, token=u.access)
    return encore.expect(r, 200, "POST", "/api/v1/me/integrations/{service}/authorize")["url"]


def callback(path, status=200):
    r = encore.call("GET", path)
    return encore.expect(r, status, "GET", "/api/v1/integrations/{service}/callback")


def scrobble(u, n, tag):
    """n scrobbles of u through /2.0/, in batches of 50: [(ts, artist, title)]."""
    key, secret = sc.app_key(u)
    sk = sc.mobile_session(u, key, secret)
    now = int(time.time()) - 3 * 86400
    rows = [(now + i * 60, "Out Artist %s %d" % (tag, i % 7), "Out Song %s %d" % (tag, i)) for i in range(n)]
    for b in range(0, n, 50):
        p = {}
        for i, (ts, a, t) in enumerate(rows[b:b + 50]):
            p["artist[%d]" % i], p["track[%d]" % i], p["timestamp[%d]" % i] = a, t, str(ts)
        root = sc.xml(sc.lfm("track.scrobble", p, key, secret, sk=sk))
        encore.check(root.find("scrobbles").get("accepted") == str(len(rows[b:b + 50])),
                     "not all accepted")
    return rows


def deliver(*args, show=False):
    r = sc.program("encore-scrobble", "--for", "30", "--backoff", "1", "--doubt-after", "1",
                   "--rate", "0", *args)
    if show or os.environ.get("SHOW"):
        print(r.stderr[-1500:])
    encore.check(r.returncode == 0, "encore-scrobble failed: %s" % r.stderr[-800:])
    return r


def deliver_all(count, what, seconds=300):
    """Runs of encore-scrobble until count() reaches what. A failure backs
    the user's delivery off for 2, 4, 8, ... seconds (--backoff 1): at a
    30% failure rate a streak of five, which happens about once in a
    hundred runs, waits 62 s, so the budget is time, not a number of
    rounds; a run that succeeds returns as soon as it is done."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        deliver()
        if count() >= what:
            time.sleep(1.2)  # doubts settle once no request can be under way
            deliver()
            return
        time.sleep(1.1)
    deliver()


def notifications(u):
    r = encore.call("GET", "/api/v1/me/notifications", token=u.access)
    return encore.expect(r, 200, "GET", "/api/v1/me/notifications")["items"]


def sealed_rows(user_id):
    """The stored credentials of a user, as the database holds them."""
    return sc.db("SELECT HEX(IFNULL(token, '')), HEX(IFNULL(refresh, '')) FROM integrations "
                 "WHERE user_id = %d" % user_id)


def test_lastfm_link_exactly_once_and_unlink():
    u = encore.new_user()
    lfm_name = "lfm" + secrets.token_hex(4)
    F.lastfm_approve_as = lfm_name
    path = callback(follow(authorize(u, "lastfm")))
    encore.check(path["service"] == "lastfm" and path["account"] == lfm_name, path)
    # the session key is sealed at rest
    sks = [k for k, v in F.lastfm_sessions.items() if v == lfm_name]
    encore.check(len(sks) == 1, sks)
    encore.note_secret(sks[0])
    rows = sealed_rows(u.id)
    encore.check(rows and all(sks[0].encode().hex().upper() not in "".join(r) for r in rows),
                 "the session key is stored in clear")
    # 300 scrobbles while the fake fails 30% of requests (half of them after
    # storing the batch): every one arrives once
    F.lastfm_fail_rate = 0.3
    sent = scrobble(u, 300, secrets.token_hex(2))
    deliver_all(lambda: len(F.lastfm_scrobbles[lfm_name]), len(sent))
    F.lastfm_fail_rate = 0.0
    got = F.lastfm_scrobbles[lfm_name]
    encore.check(sorted(got) == sorted(sent), "%d of %d delivered" % (len(set(got) & set(sent)), len(sent)))
    encore.check(F.lastfm_dupes == 0, "%d scrobbles sent twice" % F.lastfm_dupes)
    # the user revokes Encore at Last.fm: error 9 unlinks and tells them
    for k in sks:
        F.lastfm_sessions.pop(k, None)
    scrobble(u, 3, secrets.token_hex(2))
    # a run may first wait out the backoff a failure of the 30% left
    for _ in range(10):
        deliver()
        r = encore.call("GET", "/api/v1/me/integrations", token=u.access)
        links = encore.expect(r, 200, "GET", "/api/v1/me/integrations")["items"]
        if not any(i["service"] == "lastfm" and i["linked"] for i in links):
            break
        time.sleep(1)
    encore.check(not any(i["service"] == "lastfm" and i["linked"] for i in links), links)
    encore.check(any(n["kind"] == "lastfm_unlinked" for n in notifications(u)), "no notification")


def test_lastfm_callback_bad_state_and_token():
    u = encore.new_user()
    F.lastfm_approve_as = "someone"
    url = authorize(u, "lastfm")
    path = follow(url)
    bad = path.replace("state=", "state=x")
    encore.expect_problem(encore.call("GET", bad), [400])
    callback(path)
    # the state is spent: the same callback again is refused
    encore.expect_problem(encore.call("GET", path), [400])
    # a token Last.fm never approved (error 14 there): a clear 400
    path2 = follow(authorize(u, "lastfm"))
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(path2).query)
    forged = "/api/v1/integrations/lastfm/callback?" + urllib.parse.urlencode(
        {"state": q["state"][0], "token": secrets.token_hex(16)})
    encore.expect_problem(encore.call("GET", forged), [400])


def test_listenbrainz_link_delivery_and_401():
    u = encore.new_user()
    tok = str(__import__("uuid").uuid4())
    name = "lb" + secrets.token_hex(4)
    F.lb_tokens[tok] = name
    encore.note_secret(tok)
    r = encore.call("PUT", "/api/v1/me/integrations/listenbrainz", token=u.access, json_body={"token": tok})
    link = encore.expect(r, 200, "PUT", "/api/v1/me/integrations/{service}")
    encore.check(link["account"] == name, link)
    r = encore.call("PUT", "/api/v1/me/integrations/listenbrainz", token=u.access,
                    json_body={"token": "not-a-token"})
    encore.expect_problem(r, [400, 422])
    F.lb_fail_rate = 0.3
    sent = scrobble(u, 120, secrets.token_hex(2))
    deliver_all(lambda: len(F.lb_listens[name]), len(sent))
    F.lb_fail_rate = 0.0
    encore.check(sorted(F.lb_listens[name]) == sorted(sent),
                 "%d of %d delivered" % (len(set(F.lb_listens[name]) & set(sent)), len(sent)))
    encore.check(F.lb_dupes == 0, "%d listens sent twice" % F.lb_dupes)
    del F.lb_tokens[tok]
    scrobble(u, 2, secrets.token_hex(2))
    # a run may first wait out the backoff a failure of the 30% left
    for _ in range(10):
        deliver()
        links = encore.expect(encore.call("GET", "/api/v1/me/integrations", token=u.access),
                              200, "GET", "/api/v1/me/integrations")["items"]
        if not any(i["service"] == "listenbrainz" and i["linked"] for i in links):
            break
        time.sleep(1)
    encore.check(not any(i["service"] == "listenbrainz" and i["linked"] for i in links), links)
    encore.check(any(n["kind"] == "listenbrainz_unlinked" for n in notifications(u)), "no notification")


def test_slow_service_no_duplicate():
    """An answer slower than fetch_timeout: the batch is in doubt, and the
    next run reads the service's history instead of sending it again."""
    u = encore.new_user()
    tok = str(__import__("uuid").uuid4())
    name = "lbslow" + secrets.token_hex(3)
    F.lb_tokens[tok] = name
    encore.note_secret(tok)
    r = encore.call("PUT", "/api/v1/me/integrations/listenbrainz", token=u.access, json_body={"token": tok})
    encore.expect(r, 200, "PUT", "/api/v1/me/integrations/{service}")
    sent = scrobble(u, 30, secrets.token_hex(2))
    dupes = F.lb_dupes
    F.script.append(("/lb/1/submit-listens", "slow:4"))
    r = sc.program("encore-scrobble", "--for", "10", "--backoff", "1", "--doubt-after", "1", "--rate", "0",
                   env={"ENCORE_FETCH_TIMEOUT": "2"})
    encore.check(r.returncode == 0 and '"in_doubt":30,' in r.stderr, r.stderr[-600:])
    time.sleep(4)  # the fake stores the batch once its sleep ends
    deliver_all(lambda: len(F.lb_listens[name]), len(sent))
    encore.check(sorted(F.lb_listens[name]) == sorted(sent), "%d of %d" % (len(F.lb_listens[name]), len(sent)))
    encore.check(F.lb_dupes == dupes, "sent again after a timeout")


def spotify_library(user, n, prefix):
    port = F.port
    tracks = [fakes.spotify_track(i, prefix) for i in range(n)]
    for t in tracks:
        for im in t["album"]["images"]:
            im["url"] = im["url"].replace("127.0.0.1:0", "127.0.0.1:%d" % port)
    now = time.time()
    F.sp_library[user] = {
        "saved": [{"added_at": "2024-01-01T00:00:00Z", "track": t} for t in tracks],
        "playlists": [{"id": "%spl1" % prefix, "name": "Road %s" % prefix, "snapshot_id": "s1",
                       "tracks": tracks[:30]}],
        "followed": [{"id": "%sartist%05d" % (prefix, i), "name": "%s Artist %d" % (prefix.title(), i),
                      "type": "artist"} for i in range(5)],
        "top": [{"id": "%sartist%05d" % (prefix, i), "name": "%s Artist %d" % (prefix.title(), i),
                 "type": "artist"} for i in range(3)],
        "recent": [{"track": tracks[i], "played_at_ms": int((now - 3600 + i * 200) * 1000),
                    "played_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now - 3600 + i * 200))}
                   for i in range(5)],
    }
    return tracks


def link_spotify(u, who):
    F.sp_authorize_as = who
    return callback(follow(authorize(u, "spotify")))


def run_import():
    r = sc.program("encore-import", "--for", "40", "--art", "50")
    encore.check(r.returncode == 0, "encore-import failed: %s" % r.stderr[-800:])
    return r


def job(u, jid):
    return encore.expect(encore.call("GET", "/api/v1/me/imports/%d" % jid, token=u.access),
                         200, "GET", "/api/v1/me/imports/{id}")


def start_import(u, source, what=None):
    body = {"source": source}
    if what:
        body["what"] = what
    r = encore.call("POST", "/api/v1/me/imports", token=u.access, json_body=body)
    return encore.expect(r, 202, "POST", "/api/v1/me/imports")["id"]


def run_until_done(u, jid, rounds=6):
    """Runs of encore-import until the job ends; a failed page waits a
    minute or more before its retry, which the test brings forward."""
    for _ in range(rounds):
        run_import()
        j = job(u, jid)
        if j["state"] in ("done", "failed", "cancelled"):
            return j
        sc.db("UPDATE import_jobs SET next_run_at = NOW(3) WHERE id = %d" % jid)
    return j


def upstream_problem(r):
    """A callback whose third party failed: 400 for what it refused, 502
    for an answer that is malformed, too big or sent elsewhere."""
    encore.check(r.status_code in (400, 502) and
                 r.headers.get("Content-Type", "").startswith("application/problem+json") and
                 r.json().get("detail"), "%d %s" % (r.status_code, r.text[:200]))


def test_spotify_pkce_import_and_token():
    u = encore.new_user()
    who = "sp" + secrets.token_hex(4)
    prefix = "s" + secrets.token_hex(3)
    tracks = spotify_library(who, 120, prefix)
    link = link_spotify(u, who)
    encore.check(link["service"] == "spotify" and link["account"] == who, link)
    for t in F.sp_refresh:
        encore.note_secret(t)
    for t in F.sp_access:
        encore.note_secret(t)
    rows = sealed_rows(u.id)
    encore.check(all(t.encode().hex().upper() not in "".join(r) for t in F.sp_refresh for r in rows),
                 "the refresh token is stored in clear")
    # the first page is throttled (429, Retry-After 1) and a later one malformed
    F.script += [("/spotify-api/v1/me/tracks", "429:1"), ("/spotify-api/v1/me/playlists", "malformed")]
    jid = start_import(u, "spotify")
    j = run_until_done(u, jid)
    encore.check(j["state"] == "done", j)
    s = j["summary"]
    encore.check(j["progress"]["done"] >= 120, j)
    # every saved track is a catalogue track with its Spotify id, URI and preview
    r = encore.call("GET", "/api/v1/me/likes?limit=100", token=u.access)
    likes = encore.expect(r, 200, "GET", "/api/v1/me/likes")
    encore.check(len(likes["items"]) == 100, "%d likes: %r" % (len(likes["items"]), s))
    t0 = encore.expect(encore.call("GET", "/api/v1/tracks/%d" % likes["items"][0]["id"]),
                       200, "GET", "/api/v1/tracks/{id}")
    sp = t0.get("external_ids", {}).get("spotify")
    encore.check(sp and sp.startswith(prefix + "track"), t0)
    # re-import: nothing new, nothing doubled
    F.sp_library[who]["saved"].insert(0, {"added_at": "2025-01-01T00:00:00Z",
                                          "track": fakes.spotify_track(500, prefix)})
    jid2 = start_import(u, "spotify", ["saved_tracks"])
    j2 = run_until_done(u, jid2)
    encore.check(j2["state"] == "done", j2)
    encore.check(j2["progress"]["done"] <= 5, "re-import read everything again: %r" % j2)
    # the player token: fresh, refreshed when expired, rotation kept
    r = encore.call("GET", "/api/v1/me/integrations/spotify/token", token=u.access)
    t = encore.expect(r, 200, "GET", "/api/v1/me/integrations/spotify/token")
    encore.note_secret(t["access_token"])
    encore.check(t["access_token"] in F.sp_access, t)
    F.sp_access[t["access_token"]] = (who, time.time() - 1)
    F.sp_rotate = True
    old_refresh = set(F.sp_refresh)
    u_rows = sealed_rows(u.id)
    encore.check(u_rows, "no link row")
    # stored expiry is in the future: make Encore think it expired by asking twice
    # after the fake's expiry has passed (Encore refreshes a minute early)
    sc.db("UPDATE integrations SET token_expires_at = NOW(3) - INTERVAL 1 SECOND WHERE user_id = %d "
          "AND service = 'spotify'" % u.id)
    r = encore.call("GET", "/api/v1/me/integrations/spotify/token", token=u.access)
    t2 = encore.expect(r, 200, "GET", "/api/v1/me/integrations/spotify/token")
    encore.note_secret(t2["access_token"])
    for k in F.sp_refresh:
        encore.note_secret(k)
    encore.check(t2["access_token"] != t["access_token"] and t2["access_token"] in F.sp_access, t2)
    encore.check(set(F.sp_refresh) != old_refresh, "no rotation happened")
    sc.db("UPDATE integrations SET token_expires_at = NOW(3) - INTERVAL 1 SECOND WHERE user_id = %d "
          "AND service = 'spotify'" % u.id)
    r = encore.call("GET", "/api/v1/me/integrations/spotify/token", token=u.access)
    t3 = encore.expect(r, 200, "GET", "/api/v1/me/integrations/spotify/token")
    encore.note_secret(t3["access_token"])
    for k in F.sp_refresh:
        encore.note_secret(k)
    F.sp_rotate = False
    # another user has no token
    other = encore.new_user()
    r = encore.call("GET", "/api/v1/me/integrations/spotify/token", token=other.access)
    encore.expect_problem(r, [404, 409])
    # and cannot read the job
    r = encore.call("GET", "/api/v1/me/imports/%d" % jid, token=other.access)
    encore.expect(r, 404, "GET", "/api/v1/me/imports/{id}")


def test_flows_bound_to_the_browser():
    """Login CSRF: an attacker starts a link and sends its URL to a victim;
    the victim's browser, without the flow's cookie, finishes nothing."""
    import requests
    attacker = encore.new_user()
    for service in ("spotify", "lastfm"):
        if service == "spotify":
            F.sp_authorize_as = "victim" + secrets.token_hex(3)
        else:
            F.lastfm_approve_as = "victim" + secrets.token_hex(3)
        r = encore.call("POST", "/api/v1/me/integrations/%s/authorize" % service, token=attacker.access)
        url = encore.expect(r, 200, "POST", "/api/v1/me/integrations/{service}/authorize")["url"]
        cookie = r.headers.get("Set-Cookie", "")
        attrs = [a.strip().lower() for a in cookie.split(";")]
        encore.check(cookie.startswith("encore_link_%s=" % service) and "httponly" in attrs
                     and "secure" in attrs and "samesite=lax" in attrs
                     and "path=/api/v1/integrations" in attrs, "flow cookie %r" % cookie)
        path = follow(url)
        if service == "spotify":
            encore.check(F.sp_last_authorize.get("show_dialog") == "true",
                         "no show_dialog: %r" % F.sp_last_authorize)
        # the victim's browser: no cookie, or another flow's cookie
        victim = requests.Session()
        for jar in ({}, {"encore_link_%s" % service: secrets.token_urlsafe(32)}):
            rv = victim.get(encore.base_url("https") + path, cookies=jar, verify=encore.ca_file(),
                            allow_redirects=False, timeout=10)
            encore.expect_problem(rv, [400])
        r = encore.call("GET", "/api/v1/me/integrations", token=attacker.access)
        items = encore.expect(r, 200, "GET", "/api/v1/me/integrations")["items"]
        encore.check(not [i for i in items if i["service"] == service and i["linked"]],
                     "linked from another browser: %r" % items)
        # the browser that started it finishes it (the state was not spent)
        callback(path)


def test_spotify_bad_callbacks():
    u = encore.new_user()
    F.sp_authorize_as = "spbad" + secrets.token_hex(3)
    path = follow(authorize(u, "spotify"))
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    # a wrong state
    wrong = "/api/v1/integrations/spotify/callback?" + urllib.parse.urlencode(
        {"state": secrets.token_urlsafe(32), "code": q["code"][0]})
    encore.expect_problem(encore.call("GET", wrong), [400])
    callback(path)
    # the code again, under a fresh flow's state: Spotify refuses a used code
    path2 = follow(authorize(u, "spotify"))
    q2 = urllib.parse.parse_qs(urllib.parse.urlsplit(path2).query)
    reused = "/api/v1/integrations/spotify/callback?" + urllib.parse.urlencode(
        {"state": q2["state"][0], "code": q["code"][0]})
    encore.expect_problem(encore.call("GET", reused), [400])
    # an expired code
    F.sp_code_ttl = -1
    path3 = follow(authorize(u, "spotify"))
    F.sp_code_ttl = 60
    encore.expect_problem(encore.call("GET", path3), [400])
    # the user declined
    path4 = follow(authorize(u, "spotify"))
    q4 = urllib.parse.parse_qs(urllib.parse.urlsplit(path4).query)
    declined = "/api/v1/integrations/spotify/callback?" + urllib.parse.urlencode(
        {"state": q4["state"][0], "error": "access_denied"})
    encore.expect_problem(encore.call("GET", declined), [400])
    # the token endpoint answers malformed JSON, or redirects to loopback
    for action in ("malformed", "redirect:https://127.0.0.1:1/x", "huge"):
        F.script.append(("/spotify-accounts/api/token", action))
        p = follow(authorize(u, "spotify"))
        upstream_problem(encore.call("GET", p))
        F.script[:] = [s for s in F.script if s[1] != action]


def test_spotify_failing_pages_resume():
    u = encore.new_user()
    who = "spf" + secrets.token_hex(4)
    prefix = "f" + secrets.token_hex(3)
    spotify_library(who, 160, prefix)
    link_spotify(u, who)
    # a server error, a slow answer past the timeout is not waited for long,
    # a redirect to loopback, a huge body: each page retried, the job resumes
    F.script += [("/spotify-api/v1/me/tracks", "500"),
                 ("/spotify-api/v1/me/tracks", "redirect:https://127.0.0.1:1/v1/me/tracks"),
                 ("/spotify-api/v1/me/tracks", "huge"),
                 ("/spotify-api/v1/me/tracks", "drop")]
    jid = start_import(u, "spotify", ["saved_tracks"])
    j = run_until_done(u, jid, rounds=10)
    encore.check(j["state"] == "done", j)
    r = encore.call("GET", "/api/v1/me/likes?limit=100", token=u.access)
    likes = encore.expect(r, 200, "GET", "/api/v1/me/likes")
    encore.check(len(likes["items"]) == 100, "%d likes" % len(likes["items"]))
    encore.check(not F.script, "failures not served: %r" % F.script)
    # a job can be cancelled while queued
    jid2 = start_import(u, "spotify", ["playlists"])
    r = encore.call("POST", "/api/v1/me/imports/%d/cancel" % jid2, token=u.access)
    encore.check(encore.expect(r, 200, "POST", "/api/v1/me/imports/{id}/cancel")["state"] == "cancelled", r)


def apple_song(i, prefix, isrc=True):
    a = {"name": "%s Tune %d" % (prefix, i), "artistName": "%s Band %d" % (prefix, i % 4),
         "albumName": "%s Record %d" % (prefix, i // 5), "durationInMillis": 200000 + i * 1000,
         "playParams": {"id": "i.%s%d" % (prefix, i), "kind": "song", "catalogId": "%d" % (900000 + i)}}
    if isrc:
        a["isrc"] = "QM%s%05d" % (prefix.upper()[:5].ljust(5, "X"), i)
    return {"id": "i.%s%d" % (prefix, i), "type": "library-songs", "attributes": a}


def test_apple_music_developer_token_and_import():
    u = encore.new_user()
    r = encore.call("GET", "/api/v1/integrations/apple-music/developer-token", token=u.access)
    d = encore.expect(r, 200, "GET", "/api/v1/integrations/apple-music/developer-token")
    encore.check(F.apple_token_ok(d["token"]), "Apple would refuse %r" % d)
    encore.note_secret(d["token"])
    # each worker keeps the token it made until half its life has passed
    tokens = {d["token"]}
    for _ in range(12):
        r2 = encore.call("GET", "/api/v1/integrations/apple-music/developer-token", token=u.access)
        tokens.add(r2.json()["token"])
    encore.check(len(tokens) <= int(encore.conf().get("workers", "4")), "not cached: %d tokens" % len(tokens))
    for t in tokens:
        encore.note_secret(t)
        encore.check(F.apple_token_ok(t), "Apple would refuse a token")
    r = encore.call("GET", "/api/v1/integrations/apple-music/developer-token")
    encore.expect(r, 401, "GET", "/api/v1/integrations/apple-music/developer-token")
    prefix = "am" + secrets.token_hex(3)
    mut = secrets.token_urlsafe(40)
    encore.note_secret(mut)
    songs = [apple_song(i, prefix) for i in range(40)]
    for s in songs:
        cid = s["attributes"]["playParams"]["catalogId"]
        F.am_catalog[cid] = {"id": cid, "type": "songs", "attributes": dict(s["attributes"])}
    F.am_users[mut] = {"storefront": "gb", "songs": songs,
                       "playlists": [{"id": "p.%s" % prefix, "name": "Mix %s" % prefix,
                                      "modified": "2024-05-01T00:00:00Z", "songs": songs[:10]}]}
    r = encore.call("PUT", "/api/v1/me/integrations/apple-music", token=u.access,
                    json_body={"music_user_token": "wrong" + secrets.token_hex(8)})
    encore.expect_problem(r, [400, 422])
    r = encore.call("PUT", "/api/v1/me/integrations/apple-music", token=u.access,
                    json_body={"music_user_token": mut})
    link = encore.expect(r, 200, "PUT", "/api/v1/me/integrations/{service}")
    encore.check(link["service"] == "apple_music" or link["service"] == "apple-music", link)
    jid = start_import(u, "apple_music")
    j = run_until_done(u, jid)
    encore.check(j["state"] == "done", j)
    r = encore.call("GET", "/api/v1/me/likes?limit=100", token=u.access)
    likes = encore.expect(r, 200, "GET", "/api/v1/me/likes")
    encore.check(len(likes["items"]) == 40, "%d likes: %r" % (len(likes["items"]), j))
    t0 = encore.expect(encore.call("GET", "/api/v1/tracks/%d" % likes["items"][0]["id"]),
                       200, "GET", "/api/v1/tracks/{id}")
    encore.check(t0.get("external_ids", {}).get("apple_music"), t0)
    r = encore.call("DELETE", "/api/v1/me/integrations/apple-music", token=u.access)
    encore.check(r.status_code == 204, r.text)


if __name__ == "__main__":
    try:
        setup()
    except encore.Skip as e:
        print("SKIP: %s" % e)
        sys.exit(77)
    try:
        encore.main(globals())
    finally:
        if F:
            F.stop()
