"""fakes: local stand-ins for the services Encore links to, for the tests of
scrobbling out, Spotify and Apple Music (test_integrations.py, and the
benchmarks in tests/bench/).

One HTTPS server (threads; the private stack's certificate for 127.0.0.1,
which encore-api trusts through fetch_ca_file) answers for four services
under path prefixes, each speaking its documented protocol and checking
what the real one checks:

  /lastfm/2.0/          Last.fm 2.0: auth.getSession, track.scrobble,
                        user.getRecentTracks; api_key and api_sig checked
                        (md5 of the sorted parameters and the secret),
                        session keys checked (error 9), errors in Last.fm's
                        JSON shape; scrobbles kept per user
  /lastfm/api/auth/     the web-auth page: approves the token for the user
                        the test chose and sends the browser back to cb
  /lb/1/...             ListenBrainz: validate-token, submit-listens (the
                        documented limits), user listens; Token auth
  /spotify-accounts/... authorize (client id, S256 challenge, state,
                        redirect URI) and api/token (codes used once and
                        expiring, PKCE verifier checked, refresh tokens,
                        rotated when asked)
  /spotify-api/v1/...   the Web API pages Encore reads, 50 a page with
                        `next`, cursor pages for followed artists, bearer
                        tokens that expire
  /apple/v1/...         Apple Music: the developer token must be an ES256
                        JWT of the test's key (kid, iss, exp at most six
                        months on), library routes need Music-User-Token;
                        pages with `next`, catalog lookups by ids and ISRC
  /img/...              small PNG covers

A test can make a service misbehave: `script` holds (path prefix, action)
pairs consumed by the first request under the prefix: "429:<seconds>",
"500", "malformed", "huge", "slow:<seconds>", "redirect:<url>", "drop".
Last.fm and ListenBrainz can also fail a share of requests at random
(fail_rate), half before storing anything and half after storing (the
answer lost), which is what exactly-once delivery must survive.
"""

import base64
import collections
import hashlib
import http.server
import json
import random
import secrets
import socketserver
import ssl
import struct
import threading
import time
import urllib.parse
import zlib


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def png(width=64, height=64, seed=0):
    """A valid RGB PNG of the given size (a gradient, so each seed differs)."""
    raw = b"".join(b"\x00" + bytes(((x * 4 + seed) % 256, (y * 4) % 256, seed % 256)
                                   for x in range(width)) for y in range(height))

    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class Fakes:
    def __init__(self, port, certfile, keyfile):
        self.port = port
        self.certfile, self.keyfile = certfile, keyfile
        self.lock = threading.Lock()
        self.script = []          # [(prefix, action)]
        self.requests = []        # [(method, path)]
        # Last.fm
        self.lastfm_key = secrets.token_hex(16)
        self.lastfm_secret = secrets.token_hex(16)
        self.lastfm_approve_as = None
        self.lastfm_tokens = {}   # token -> user name once approved
        self.lastfm_sessions = {} # sk -> user name
        self.lastfm_scrobbles = collections.defaultdict(list)  # user -> [(ts, artist, track)]
        self.lastfm_fail_rate = 0.0
        self.lastfm_delay = 0.0
        self.lastfm_requests = 0
        self.lastfm_dupes = 0     # scrobbles received again (the same second)
        # ListenBrainz
        self.lb_tokens = {}       # token -> user name
        self.lb_listens = collections.defaultdict(list)  # user -> [(ts, artist, track)]
        self.lb_fail_rate = 0.0
        self.lb_dupes = 0
        # Spotify
        self.sp_client_id = "encore-test-client"
        self.sp_codes = {}        # code -> {user, challenge, redirect, expires, used}
        self.sp_access = {}       # token -> (user, expires)
        self.sp_refresh = {}      # token -> user
        self.sp_access_ttl = 3600
        self.sp_code_ttl = 60
        self.sp_rotate = False
        self.sp_authorize_as = None   # the Spotify user who consents
        self.sp_last_authorize = {}   # the query of the last authorize
        self.sp_library = {}      # user -> {saved, playlists, followed, top, recent}
        # Apple Music
        self.am_public_key = None  # cryptography EC public key
        self.am_team = self.am_kid = None
        self.am_users = {}        # music user token -> {storefront, songs, playlists}
        self.am_catalog = {}      # catalog id -> song resource
        self.server = None

    # ------------------------------------------------------------ life

    def base(self, service):
        return "https://127.0.0.1:%d/%s" % (self.port, service)

    def start(self):
        fakes = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                fakes._handle(self, "GET")

            def do_POST(self):
                fakes._handle(self, "POST")

        self.server = _Server(("127.0.0.1", self.port), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.certfile, self.keyfile)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    # ------------------------------------------------------------ plumbing

    def _take_script(self, path):
        with self.lock:
            for i, (prefix, action) in enumerate(self.script):
                if path.startswith(prefix):
                    del self.script[i]
                    return action
        return None

    @staticmethod
    def _send(h, status, body=b"", ctype="application/json", headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    def _handle(self, h, method):
        u = urllib.parse.urlsplit(h.path)
        path, query = u.path, urllib.parse.parse_qs(u.query, keep_blank_values=True)
        n = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(n) if n else b""
        with self.lock:
            self.requests.append((method, path))
        action = self._take_script(path)
        if action:
            if action.startswith("429:"):
                return self._send(h, 429, {"error": {"status": 429, "message": "API rate limit exceeded"}},
                                  headers={"Retry-After": action[4:]})
            if action == "500":
                return self._send(h, 500, {"error": {"status": 500, "message": "oops"}})
            if action == "malformed":
                return self._send(h, 200, b'{"items": [ {"track": ', "application/json")
            if action == "huge":
                return self._send(h, 200, b'{"pad": "' + b"x" * (9 << 20) + b'"}')
            if action.startswith("slow:"):
                time.sleep(float(action[5:]))
            elif action.startswith("redirect:"):
                return self._send(h, 302, b"", "text/plain", {"Location": action[9:]})
            elif action == "drop":
                h.close_connection = True
                h.connection.close()
                return None
        try:
            if path.startswith("/lastfm/"):
                return self._lastfm(h, method, path[7:], query, body)
            if path.startswith("/lb/"):
                return self._lb(h, method, path[3:], query, body)
            if path.startswith("/spotify-accounts/"):
                return self._sp_accounts(h, method, path[17:], query, body)
            if path.startswith("/spotify-api/"):
                return self._sp_api(h, method, path[12:], query)
            if path.startswith("/apple/"):
                return self._apple(h, method, path[6:], query)
            if path.startswith("/img/"):
                seed = sum(path.encode()) % 251
                return self._send(h, 200, png(64, 64, seed), "image/png")
        except Exception as e:  # a fake's own bug: say so loudly
            return self._send(h, 599, {"fake_error": repr(e)})
        return self._send(h, 404, {"error": "no such path in the fake: %s" % path})

    # ------------------------------------------------------------ Last.fm

    def lastfm_sign(self, params):
        s = "".join(k + params[k] for k in sorted(params) if k not in ("format", "callback", "api_sig"))
        return hashlib.md5((s + self.lastfm_secret).encode()).hexdigest()

    def _lastfm_error(self, h, code, msg, status=400):
        return self._send(h, status, {"error": code, "message": msg})

    def _lastfm(self, h, method, path, query, body):
        if path.startswith("/api/auth"):
            token, cb = query.get("token", [None])[0], query.get("cb", [None])[0]
            if query.get("api_key", [None])[0] != self.lastfm_key or not cb:
                return self._send(h, 400, "bad request", "text/plain")
            token = secrets.token_hex(16)
            with self.lock:
                self.lastfm_tokens[token] = self.lastfm_approve_as
            return self._send(h, 302, b"", "text/plain", {"Location": cb + "&token=" + token})
        if path != "/2.0/" or method != "POST":
            return self._lastfm_error(h, 3, "Invalid Method")
        with self.lock:
            self.lastfm_requests += 1
        if self.lastfm_delay:
            time.sleep(self.lastfm_delay)
        params = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode(), keep_blank_values=True).items()}
        if params.get("api_key") != self.lastfm_key:
            return self._lastfm_error(h, 10, "Invalid API key", 403)
        if params.get("api_sig") != self.lastfm_sign(params):
            return self._lastfm_error(h, 13, "Invalid method signature supplied", 403)
        if params.get("format") != "json":
            return self._lastfm_error(h, 6, "this fake answers JSON only")
        m = params.get("method")
        if m == "auth.getSession":
            with self.lock:
                user = self.lastfm_tokens.pop(params.get("token"), None)
                if not user:
                    return self._lastfm_error(h, 14, "Unauthorized Token", 403)
                sk = secrets.token_hex(16)
                self.lastfm_sessions[sk] = user
            return self._send(h, 200, {"session": {"name": user, "key": sk, "subscriber": 0}})
        user = self.lastfm_sessions.get(params.get("sk"))
        if not user:
            return self._lastfm_error(h, 9, "Invalid session key - Please re-authenticate", 403)
        if m == "track.scrobble":
            fail = random.random() < self.lastfm_fail_rate
            before = fail and random.random() < 0.5
            if before:  # nothing stored
                return self._lastfm_error(h, random.choice((11, 16)), "Service temporarily unavailable", 503)
            out, i = [], 0
            with self.lock:
                have = {(t, a, n) for t, a, n in self.lastfm_scrobbles[user]}
                while "artist[%d]" % i in params:
                    key = (int(params["timestamp[%d]" % i]), params["artist[%d]" % i], params["track[%d]" % i])
                    if key not in have:  # Last.fm keeps one scrobble per second
                        self.lastfm_scrobbles[user].append(key)
                        have.add(key)
                    else:
                        self.lastfm_dupes += 1
                    out.append({"artist": {"corrected": "0", "#text": key[1]},
                                "track": {"corrected": "0", "#text": key[2]},
                                "timestamp": str(key[0]),
                                "ignoredMessage": {"code": "0", "#text": ""}})
                    i += 1
            if i == 0 or i > 50:
                return self._lastfm_error(h, 6, "Invalid parameters")
            if fail:  # stored, but the answer is lost
                return self._send(h, 500, b"<html>Internal Server Error</html>", "text/html")
            return self._send(h, 200, {"scrobbles": {"scrobble": out if len(out) > 1 else out[0],
                                                     "@attr": {"accepted": len(out), "ignored": 0}}})
        if m == "user.getRecentTracks":
            if params.get("user") != user:
                return self._lastfm_error(h, 17, "Login: User required to be logged in", 403)
            lo, hi = int(params.get("from", 0)), int(params.get("to", 2 ** 40))
            limit, page = int(params.get("limit", 50)), int(params.get("page", 1))
            with self.lock:
                rows = sorted((s for s in self.lastfm_scrobbles[user] if lo <= s[0] <= hi), reverse=True)
            pages = max(1, -(-len(rows) // limit))
            chunk = rows[(page - 1) * limit:page * limit]
            tracks = [{"artist": {"mbid": "", "#text": a}, "name": n, "date": {"uts": str(t), "#text": ""}}
                      for t, a, n in chunk]
            return self._send(h, 200, {"recenttracks": {"track": tracks, "@attr": {
                "user": user, "page": str(page), "perPage": str(limit),
                "totalPages": str(pages), "total": str(len(rows))}}})
        return self._lastfm_error(h, 3, "Invalid Method - No method with that name in this package")

    # ------------------------------------------------------------ ListenBrainz

    def _lb_error(self, h, code, msg):
        return self._send(h, code, {"code": code, "error": msg})

    def _lb(self, h, method, path, query, body):
        auth = h.headers.get("Authorization", "")
        user = self.lb_tokens.get(auth[6:]) if auth.startswith("Token ") else None
        if path == "/1/validate-token":
            if not user:
                return self._send(h, 200, {"code": 200, "message": "Token invalid.", "valid": False})
            return self._send(h, 200, {"code": 200, "message": "Token valid.", "valid": True, "user_name": user})
        if not user:
            return self._lb_error(h, 401, "Invalid authorization token.")
        if path == "/1/submit-listens" and method == "POST":
            fail = random.random() < self.lb_fail_rate
            if fail and random.random() < 0.5:
                return self._lb_error(h, 503, "Service unavailable")
            doc = json.loads(body)
            payload = doc.get("payload")
            if doc.get("listen_type") not in ("single", "import") or not payload or len(payload) > 1000:
                return self._lb_error(h, 400, "bad listen_type or payload")
            with self.lock:
                have = set(self.lb_listens[user])
                for l in payload:
                    if len(json.dumps(l)) > 10240 or l.get("listened_at", 0) < 1033410600:
                        return self._lb_error(h, 400, "invalid listen")
                    m = l["track_metadata"]
                    key = (l["listened_at"], m["artist_name"], m["track_name"])
                    if key not in have:
                        self.lb_listens[user].append(key)
                        have.add(key)
                    else:
                        self.lb_dupes += 1
            if fail:
                return self._lb_error(h, 500, "lost")
            return self._send(h, 200, {"status": "ok"})
        parts = path.split("/")
        if len(parts) == 5 and parts[2] == "user" and parts[4] == "listens":
            lo = int(query.get("min_ts", ["0"])[0])
            hi = int(query.get("max_ts", [str(2 ** 40)])[0])
            count = min(1000, int(query.get("count", ["25"])[0]))
            with self.lock:
                rows = sorted((l for l in self.lb_listens[parts[3]] if lo < l[0] < hi), reverse=True)[:count]
            return self._send(h, 200, {"payload": {"count": len(rows), "user_id": parts[3], "listens": [
                {"listened_at": t, "track_metadata": {"artist_name": a, "track_name": n}} for t, a, n in rows]}})
        return self._lb_error(h, 404, "no such endpoint")

    # ------------------------------------------------------------ Spotify

    def _sp_accounts(self, h, method, path, query, body):
        if path == "/authorize":
            q = {k: v[0] for k, v in query.items()}
            if q.get("client_id") != self.sp_client_id or q.get("response_type") != "code" \
                    or q.get("code_challenge_method") != "S256" or len(q.get("code_challenge", "")) != 43 \
                    or not q.get("state") or not q.get("redirect_uri"):
                return self._send(h, 400, {"error": "invalid_request"})
            self.sp_last_authorize = q
            code = secrets.token_urlsafe(24)
            with self.lock:
                self.sp_codes[code] = {"user": self.sp_authorize_as, "challenge": q["code_challenge"],
                                       "redirect": q["redirect_uri"], "expires": time.time() + self.sp_code_ttl,
                                       "used": False, "scope": q.get("scope", "")}
            sep = "&" if "?" in q["redirect_uri"] else "?"
            return self._send(h, 302, b"", "text/plain", {"Location": q["redirect_uri"] + sep + urllib.parse.urlencode(
                {"code": code, "state": q["state"]})})
        if path == "/api/token" and method == "POST":
            if not h.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                return self._send(h, 400, {"error": "invalid_request"})
            f = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode()).items()}
            if f.get("client_id") != self.sp_client_id:
                return self._send(h, 400, {"error": "invalid_client"})
            with self.lock:
                if f.get("grant_type") == "authorization_code":
                    c = self.sp_codes.get(f.get("code"))
                    if not c or c["used"] or c["expires"] < time.time():
                        if c:
                            c["used"] = True
                        return self._send(h, 400, {"error": "invalid_grant",
                                                   "error_description": "Invalid authorization code"})
                    c["used"] = True
                    want = b64url(hashlib.sha256(f.get("code_verifier", "").encode()).digest())
                    if want != c["challenge"]:
                        return self._send(h, 400, {"error": "invalid_grant",
                                                   "error_description": "code_verifier was incorrect"})
                    if f.get("redirect_uri") != c["redirect"]:
                        return self._send(h, 400, {"error": "invalid_grant",
                                                   "error_description": "Invalid redirect URI"})
                    user, scope = c["user"], c["scope"]
                    refresh = secrets.token_urlsafe(32)
                    self.sp_refresh[refresh] = user
                elif f.get("grant_type") == "refresh_token":
                    user = self.sp_refresh.get(f.get("refresh_token"))
                    if not user:
                        return self._send(h, 400, {"error": "invalid_grant",
                                                   "error_description": "Refresh token revoked"})
                    scope = "user-library-read"
                    refresh = None
                    if self.sp_rotate:
                        del self.sp_refresh[f["refresh_token"]]
                        refresh = secrets.token_urlsafe(32)
                        self.sp_refresh[refresh] = user
                else:
                    return self._send(h, 400, {"error": "unsupported_grant_type"})
                access = secrets.token_urlsafe(32)
                self.sp_access[access] = (user, time.time() + self.sp_access_ttl)
            out = {"access_token": access, "token_type": "Bearer", "scope": scope,
                   "expires_in": self.sp_access_ttl}
            if refresh:
                out["refresh_token"] = refresh
            return self._send(h, 200, out)
        return self._send(h, 404, {"error": "not found"})

    def _page(self, path, query, items, limit_max=50):
        limit = min(int(query.get("limit", ["20"])[0]), limit_max)
        offset = int(query.get("offset", ["0"])[0])
        chunk = items[offset:offset + limit]
        nxt = None
        if offset + limit < len(items):
            nxt = "%s%s?%s" % (self.base("spotify-api"), path, urllib.parse.urlencode(
                dict({k: v[0] for k, v in query.items()}, offset=offset + limit, limit=limit)))
        return {"href": path, "items": chunk, "limit": limit, "offset": offset,
                "total": len(items), "next": nxt, "previous": None}

    def _sp_api(self, h, method, path, query):
        auth = h.headers.get("Authorization", "")
        tok = self.sp_access.get(auth[7:]) if auth.startswith("Bearer ") else None
        if not tok or tok[1] < time.time():
            return self._send(h, 401, {"error": {"status": 401, "message": "The access token expired"}})
        user = tok[0]
        lib = self.sp_library.get(user, {})
        if path == "/v1/me":
            return self._send(h, 200, {"id": user, "display_name": user.title(), "type": "user"})
        if path == "/v1/me/tracks":
            return self._send(h, 200, self._page(path, query, lib.get("saved", [])))
        if path == "/v1/me/playlists":
            pls = [{"id": p["id"], "name": p["name"], "snapshot_id": p["snapshot_id"],
                    "tracks": {"total": len(p["tracks"])}} for p in lib.get("playlists", [])]
            return self._send(h, 200, self._page(path, query, pls))
        if path.startswith("/v1/playlists/") and path.endswith("/tracks"):
            pid = path.split("/")[3]
            p = next((p for p in lib.get("playlists", []) if p["id"] == pid), None)
            if not p:
                return self._send(h, 404, {"error": {"status": 404, "message": "Not found"}})
            return self._send(h, 200, self._page(path, query, [{"track": t} for t in p["tracks"]], 100))
        if path == "/v1/me/following":
            arts = lib.get("followed", [])
            after = query.get("after", [None])[0]
            start = 0 if not after else next((i + 1 for i, a in enumerate(arts) if a["id"] == after), len(arts))
            limit = min(int(query.get("limit", ["20"])[0]), 50)
            chunk = arts[start:start + limit]
            nxt = None
            if start + limit < len(arts):
                nxt = "%s/v1/me/following?type=artist&limit=%d&after=%s" % (
                    self.base("spotify-api"), limit, chunk[-1]["id"])
            return self._send(h, 200, {"artists": {"items": chunk, "next": nxt, "total": len(arts),
                                                   "cursors": {"after": chunk[-1]["id"] if chunk else None}}})
        if path == "/v1/me/top/artists":
            return self._send(h, 200, self._page(path, query, lib.get("top", [])))
        if path == "/v1/me/player/recently-played":
            after = int(query.get("after", ["0"])[0])
            items = [i for i in lib.get("recent", []) if i["played_at_ms"] > after][:50]
            return self._send(h, 200, {"items": [{"track": i["track"], "played_at": i["played_at"]} for i in items],
                                       "next": None})
        return self._send(h, 404, {"error": {"status": 404, "message": "Service not found"}})

    # ------------------------------------------------------------ Apple Music

    def apple_token_ok(self, token):
        """The developer token as Apple checks it: ES256 with the test's
        key, kid, iss, iat, exp at most six months after iat."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, utils
        try:
            hd, pl, sig = token.split(".")
            header, claims = json.loads(b64url_decode(hd)), json.loads(b64url_decode(pl))
            raw = b64url_decode(sig)
            if header.get("alg") != "ES256" or header.get("kid") != self.am_kid or len(raw) != 64:
                return False
            der = utils.encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
            self.am_public_key.verify(der, (hd + "." + pl).encode(), ec.ECDSA(hashes.SHA256()))
            now = time.time()
            return (claims.get("iss") == self.am_team and claims["iat"] <= now + 60
                    and now < claims["exp"] <= claims["iat"] + 15777000)
        except Exception:
            return False

    def _apple(self, h, method, path, query):
        auth = h.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or not self.apple_token_ok(auth[7:]):
            return self._send(h, 401, {"errors": [{"status": "401", "title": "Unauthorized"}]})
        if path.startswith("/v1/catalog/"):
            parts = path.split("/")
            if len(parts) != 5 or parts[4] != "songs":
                return self._send(h, 404, {"errors": [{"status": "404"}]})
            if "ids" in query:
                ids = query["ids"][0].split(",")
                return self._send(h, 200, {"data": [self.am_catalog[i] for i in ids if i in self.am_catalog]})
            isrcs = set(query.get("filter[isrc]", [""])[0].split(","))
            if len(isrcs) > 25:
                return self._send(h, 400, {"errors": [{"status": "400", "title": "too many"}]})
            return self._send(h, 200, {"data": [s for s in self.am_catalog.values()
                                                if s["attributes"].get("isrc") in isrcs]})
        user = self.am_users.get(h.headers.get("Music-User-Token", ""))
        if not user:
            return self._send(h, 403, {"errors": [{"status": "403", "title": "Forbidden"}]})
        if path == "/v1/me/storefront":
            return self._send(h, 200, {"data": [{"id": user["storefront"], "type": "storefronts"}]})

        def page(items):
            limit = min(int(query.get("limit", ["25"])[0]), 100)
            offset = int(query.get("offset", ["0"])[0])
            out = {"data": items[offset:offset + limit], "meta": {"total": len(items)}}
            if offset + limit < len(items):
                out["next"] = "%s?offset=%d&limit=%d" % (path, offset + limit, limit)
            return out

        if path == "/v1/me/library/songs":
            return self._send(h, 200, page(user["songs"]))
        if path == "/v1/me/library/playlists":
            return self._send(h, 200, page([{"id": p["id"], "type": "library-playlists",
                                            "attributes": {"name": p["name"],
                                                           "lastModifiedDate": p["modified"]}}
                                           for p in user["playlists"]]))
        if path.startswith("/v1/me/library/playlists/") and path.endswith("/tracks"):
            pid = path.split("/")[5]
            p = next((p for p in user["playlists"] if p["id"] == pid), None)
            if not p:
                return self._send(h, 404, {"errors": [{"status": "404"}]})
            return self._send(h, 200, page(p["songs"]))
        return self._send(h, 404, {"errors": [{"status": "404"}]})


# ---------------------------------------------------------------- libraries

def spotify_track(n, prefix="sp", album_every=10, artists=3):
    """A Spotify track object (deterministic in n)."""
    a = n % max(1, artists * 37)
    al = n // album_every
    return {
        "id": "%strack%06d" % (prefix, n), "name": "%s Song %d" % (prefix.title(), n),
        "duration_ms": 150000 + (n % 97) * 1000, "explicit": n % 5 == 0,
        "disc_number": 1, "track_number": n % album_every + 1,
        "preview_url": "https://p.scdn.example/mp3-preview/%d" % n,
        "uri": "spotify:track:%strack%06d" % (prefix, n),
        "external_ids": {"isrc": "QZ%s%07d" % (prefix.upper()[:3].ljust(3, "X"), n)},
        "artists": [{"id": "%sartist%05d" % (prefix, a), "name": "%s Artist %d" % (prefix.title(), a)}],
        "album": {"id": "%salbum%05d" % (prefix, al), "name": "%s Album %d" % (prefix.title(), al),
                  "album_type": "album", "release_date": "2019-%02d" % (al % 12 + 1),
                  "images": [{"url": "https://127.0.0.1:0/img/%d.png" % al, "width": 64, "height": 64}],
                  "artists": [{"id": "%sartist%05d" % (prefix, a), "name": "%s Artist %d" % (prefix.title(), a)}]},
    }
