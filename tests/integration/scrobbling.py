"""scrobbling: helpers of the scrobbling tests (test_lastfm.py,
test_listenbrainz.py, test_scrobbling.py): API keys, signed Last.fm
requests sent by hand, a pylast network on the stack, ListenBrainz tokens,
catalogue tracks to match, and the batch programs run on the stack."""

import hashlib
import os
import secrets
import ssl
import subprocess
import time
import xml.etree.ElementTree as ET

import encore


def app_key(u, name="test client"):
    """A new Last.fm API key of user u: (api_key, secret)."""
    r = encore.call("POST", "/api/v1/me/api-keys", token=u.access, json_body={"name": name})
    body = encore.expect(r, 201, "POST", "/api/v1/me/api-keys")
    encore.note_secret(body["secret"])
    return body["api_key"], body["secret"]


def sign(params, secret):
    """Last.fm's api_sig, computed here independently of Encore."""
    s = "".join(k + params[k] for k in sorted(params) if k not in ("format", "callback", "api_sig"))
    return hashlib.md5((s + secret).encode("utf-8")).hexdigest()


def lfm(method, params, key, secret=None, sk=None, http="POST", fmt=None, signed=True, raw_body=None):
    """One /2.0/ request; returns the response."""
    p = dict(params)
    p["method"] = method
    p["api_key"] = key
    if sk:
        p["sk"] = sk
        encore.note_secret(sk)
    if signed and secret:
        p["api_sig"] = sign(p, secret)
    if fmt:
        p["format"] = fmt
    if http == "GET":
        import urllib.parse
        return encore.call("GET", "/2.0/?" + urllib.parse.urlencode(p))
    if raw_body is not None:
        return encore.call("POST", "/2.0/", data=raw_body,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    return encore.call("POST", "/2.0/", data=p)


def xml(resp):
    """The <lfm> root of an XML answer (asserting its shape)."""
    encore.check(resp.headers.get("Content-Type", "").startswith("application/xml"),
                 "not XML: %s %r" % (resp.status_code, resp.text[:200]))
    root = ET.fromstring(resp.content)
    encore.check(root.tag == "lfm", "root is %r" % root.tag)
    return root


def lfm_error(resp, code, status=None, fmt="xml"):
    """Assert a Last.fm error with this code and a non-empty message."""
    if status is not None:
        encore.check(resp.status_code == status, "HTTP %d, expected %d: %s" % (
            resp.status_code, status, resp.text[:200]))
    if fmt == "json":
        body = resp.json()
        encore.check(body.get("error") == code and body.get("message"),
                     "expected Last.fm error %d, got %r" % (code, body))
        return body["message"]
    root = xml(resp)
    err = root.find("error")
    encore.check(root.get("status") == "failed" and err is not None and err.get("code") == str(code),
                 "expected Last.fm error %d, got %s" % (code, resp.text[:300]))
    encore.check((err.text or "").strip(), "error %d has an empty message" % code)
    return err.text


def mobile_session(u, key, secret):
    """A session key through auth.getMobileSession with authToken."""
    tok = hashlib.md5((u.username + hashlib.md5(u.password.encode()).hexdigest()).encode()).hexdigest()
    r = lfm("auth.getMobileSession", {"username": u.username, "authToken": tok}, key, secret)
    root = xml(r)
    encore.check(r.status_code == 200 and root.get("status") == "ok", "no session: %s" % r.text[:300])
    sk = root.find("session/key").text
    encore.note_secret(sk)
    return sk


def pylast_network(u, key, secret):
    """pylast's own client on the stack (HTTPS, the stack's CA), signed in
    with the user's password hash as pylast does (authToken)."""
    import pylast
    pylast.SSL_CONTEXT = ssl.create_default_context(cafile=encore.ca_file())
    base = encore.base_url("https")
    return pylast._Network(name="Encore", homepage=base, ws_server=(base.split("//", 1)[1], "/2.0/"),
                           api_key=key, api_secret=secret, session_key=None, username=u.username,
                           password_hash=pylast.md5(u.password), domain_names={}, urls={})


def lb_token(u):
    r = encore.call("GET", "/api/v1/me/scrobble-token", token=u.access)
    return encore.expect(r, 200, "GET", "/api/v1/me/scrobble-token")["token"]


def lb(method, path, token=None, **kw):
    h = kw.pop("headers", {})
    if token:
        h["Authorization"] = "Token " + token
        encore.note_secret(token)
    return encore.call(method, path, headers=h, **kw)


def listen(at, artist, title, **info):
    m = {"artist_name": artist, "track_name": title}
    if info:
        m["additional_info"] = info
    return {"listened_at": at, "track_metadata": m}


def catalogue_track(title=None, artist=None, duration_ms=200000, mbid=None):
    """A new track of a new artist, made by the stack's admin: (track id,
    artist name, title)."""
    adm = encore.admin()
    artist = artist or "Artist %s" % secrets.token_hex(4)
    title = title or "Title %s" % secrets.token_hex(4)
    r = encore.call("POST", "/api/v1/artists", token=adm.access, json_body={"name": artist})
    aid = encore.expect(r, 201, "POST", "/api/v1/artists")["id"]
    body = {"title": title, "artists": [{"id": aid, "role": "primary"}], "duration_ms": duration_ms}
    if mbid:
        body["external_ids"] = {"musicbrainz": mbid}
    r = encore.call("POST", "/api/v1/tracks", token=adm.access, json_body=body)
    return encore.expect(r, 201, "POST", "/api/v1/tracks")["id"], artist, title


def program(name, *args, timeout=300, env=None):
    """encore-scrobble or encore-import on the stack's configuration."""
    build = os.environ.get("ENCORE_BUILDDIR") or os.path.join(encore.ROOT, "build")
    binary = os.path.join(build, "src", "batch", name.split("-")[1], name)
    if not os.access(binary, os.X_OK):
        raise encore.Skip("%s is not built" % binary)
    conf = encore.stack().get("ENCORE_CONF") or os.path.join(encore.stack_dir(), "encore.conf")
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([binary, "-c", conf] + list(args), capture_output=True, text=True,
                          timeout=timeout, env=e)


def db(query):
    """Rows of a query on the stack's encore database (as root)."""
    import bulkdb
    return bulkdb.sql(query, "encore")


def eventually(fn, what, timeout=20):
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError("not within %d s: %s" % (timeout, what))
        time.sleep(0.2)
