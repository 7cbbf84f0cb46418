"""pushfakes: local stand-ins for the push services encore-push talks to
(test_push_delivery.py, tests/bench/push_run.py), each checking what the
real one checks:

  Web Push (RFC 8030)   POST /wp/<id>: VAPID (RFC 8292: `vapid t=<JWT>,
                        k=<key>`, ES256 with a raw R||S signature verified
                        against k, k the server's key, aud the endpoint's
                        origin, exp within 24 h, sub mailto: or https:),
                        TTL, Urgency and Topic headers, a body of at most
                        4096 bytes that decrypts (RFC 8291 aes128gcm) with
                        the subscription's private key and auth secret,
                        one record ending in the 0x02 delimiter
  FCM HTTP v1           POST /fcm/token: the service account's RS256 JWT
                        (iss, scope, aud, iat, exp <= 1 h) for an access
                        token; POST /fcm/v1/projects/<p>/messages:send with
                        that bearer token (expired or unknown: 401),
                        UNREGISTERED for an unknown registration token
  APNs                  HTTP/2 only (h2, ALPN): POST /3/device/<token> with
                        a provider token (ES256 JWT, kid and iss of the
                        test's key, iat under an hour old), apns-topic,
                        apns-push-type, apns-expiration, apns-collapse-id;
                        Apple's reasons (BadDeviceToken, Unregistered,
                        ExpiredProviderToken)

What a device shows is kept per device and collapse id (Topic, collapse_key,
apns-collapse-id): a message sent again under its collapse id replaces
itself, as on a real device; `shown` holds what each device shows, `raw`
every accepted request. A test can make a service fail: `script` holds
(channel, action) pairs consumed in order, `fail_rate` fails a share at
random; actions are "429:<seconds>", "500", "503", "410" (the device is
gone), "hang" (accept the message, never answer: the answer is lost) and
"drop" (no answer, nothing accepted).
"""

import base64
import collections
import json
import os
import random
import secrets
import socket
import ssl
import threading
import time
import urllib.parse
import http.server
import socketserver

from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import h2.config
import h2.connection
import h2.events


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64url_decode(s):
    if isinstance(s, str):
        s = s.encode()
    return base64.urlsafe_b64decode(s + b"=" * (-len(s) % 4))


def _hmac(key, data):
    h = hmac.HMAC(key, hashes.SHA256())
    h.update(data)
    return h.finalize()


def rfc8291_decrypt(body, ua_private, auth):
    """The plaintext of an aes128gcm Web Push body (RFC 8291, 8188)."""
    if len(body) > 4096:
        raise ValueError("body over 4096 bytes")
    salt, rs, idlen = body[:16], int.from_bytes(body[16:20], "big"), body[20]
    if idlen != 65:
        raise ValueError("keyid is not a P-256 point")
    as_public = body[21:86]
    ct = body[86:]
    if len(ct) > rs:
        raise ValueError("more than one record")
    ua_public = ua_private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), as_public)
    secret = ua_private.exchange(ec.ECDH(), peer)
    prk_key = _hmac(auth, secret)
    ikm = _hmac(prk_key, b"WebPush: info\x00" + ua_public + as_public + b"\x01")
    prk = _hmac(salt, ikm)
    cek = _hmac(prk, b"Content-Encoding: aes128gcm\x00\x01")[:16]
    nonce = _hmac(prk, b"Content-Encoding: nonce\x00\x01")[:12]
    plain = AESGCM(cek).decrypt(nonce, ct, None)
    plain = plain.rstrip(b"\x00")
    if not plain or plain[-1] != 2:
        raise ValueError("the last record does not end in the 0x02 delimiter")
    return plain[:-1]


def jwt_verify(token, public_key, alg):
    """Header and claims of a compact JWS verified with public_key."""
    h, c, s = token.split(".")
    header, claims = json.loads(b64url_decode(h)), json.loads(b64url_decode(c))
    if header.get("alg") != alg:
        raise ValueError("alg %r, not %s" % (header.get("alg"), alg))
    sig = b64url_decode(s)
    data = (h + "." + c).encode()
    if alg == "ES256":
        if len(sig) != 64:
            raise ValueError("an ES256 signature is 64 bytes of R||S, not %d" % len(sig))
        der = utils.encode_dss_signature(int.from_bytes(sig[:32], "big"),
                                         int.from_bytes(sig[32:], "big"))
        public_key.verify(der, data, ec.ECDSA(hashes.SHA256()))
    else:
        public_key.verify(sig, data, padding.PKCS1v15(), hashes.SHA256())
    return header, claims


class Subscription:
    """A browser's push subscription: keys, and what it received."""

    def __init__(self, base):
        self.id = secrets.token_urlsafe(16)
        self.private = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.endpoint = "%s/wp/%s" % (base, self.id)
        self.gone = False

    def json(self):
        pub = self.private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"type": "webpush", "endpoint": self.endpoint,
                "keys": {"p256dh": b64url(pub), "auth": b64url(self.auth)}}


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


class PushFakes:
    def __init__(self, certfile, keyfile, port=0, h2_port=0):
        self.certfile, self.keyfile = certfile, keyfile
        self.port, self.h2_port = port, h2_port
        self.lock = threading.Lock()
        self.script = []                      # [(channel, action)]
        self.fail_rate = 0.0
        self.errors = []                      # what a check refused, and why
        self.shown = collections.defaultdict(dict)   # device -> {collapse: payload}
        self.raw = collections.defaultdict(list)     # device -> [payload]
        self.requests = collections.Counter()        # channel -> requests
        self.failed = collections.Counter()          # channel -> injected failures
        # Web Push
        self.vapid_public = None              # the server's key (base64url), once known
        self.subs = {}
        # FCM
        self.fcm_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.fcm_email = "encore-push@encore-test.iam.gserviceaccount.com"
        self.fcm_project = "encore-test"
        self.fcm_tokens = set()               # registration tokens that exist
        self.fcm_access = {}                  # access token -> expiry
        self.fcm_access_ttl = 3600
        self.fcm_exchanges = 0
        # APNs
        self.apns_key = ec.generate_private_key(ec.SECP256R1())
        self.apns_kid, self.apns_team = "ABC123DEFG", "TEAM123456"
        self.apns_topic = "org.encore.test"
        self.apns_tokens = set()
        self.apns_jwts = set()                # distinct provider tokens seen
        self.servers = []

    # ------------------------------------------------------------ set-up

    def base(self):
        return "https://127.0.0.1:%d" % self.port

    def allow(self):
        return "127.0.0.1:%d,127.0.0.1:%d" % (self.port, self.h2_port)

    def write_keys(self, directory):
        """The service account file and the APNs key, as an operator has
        them; returns the settings (ENCORE_* variables) that name them."""
        sa = os.path.join(directory, "fcm-service-account.json")
        pem = self.fcm_key.private_bytes(serialization.Encoding.PEM,
                                         serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()).decode()
        with open(sa, "w") as f:
            json.dump({"type": "service_account", "project_id": self.fcm_project,
                       "private_key_id": secrets.token_hex(20), "private_key": pem,
                       "client_email": self.fcm_email,
                       "token_uri": self.base() + "/fcm/token"}, f)
        os.chmod(sa, 0o600)
        p8 = os.path.join(directory, "AuthKey_%s.p8" % self.apns_kid)
        with open(p8, "wb") as f:
            f.write(self.apns_key.private_bytes(serialization.Encoding.PEM,
                                                serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()))
        os.chmod(p8, 0o600)
        return {"ENCORE_FCM_SERVICE_ACCOUNT_FILE": sa,
                "ENCORE_FCM_API_URL": self.base() + "/fcm",
                "ENCORE_APNS_KEY_FILE": p8, "ENCORE_APNS_KEY_ID": self.apns_kid,
                "ENCORE_APNS_TEAM_ID": self.apns_team, "ENCORE_APNS_TOPIC": self.apns_topic,
                "ENCORE_APNS_URL": "https://127.0.0.1:%d" % self.h2_port,
                "ENCORE_APNS_SANDBOX_URL": "https://127.0.0.1:%d" % self.h2_port,
                "ENCORE_FETCH_ALLOW": self.allow()}

    def subscription(self):
        s = Subscription(self.base())
        self.subs[s.id] = s
        return s

    def fcm_token(self):
        t = "f" + secrets.token_urlsafe(20) + ":APA91b" + secrets.token_urlsafe(110)
        self.fcm_tokens.add(t)
        return t

    def apns_token(self):
        t = secrets.token_hex(32)
        self.apns_tokens.add(t)
        return t

    def start(self):
        fakes = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                fakes._http1(self)

        srv = _Server(("127.0.0.1", self.port), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.certfile, self.keyfile)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        self.port = srv.server_address[1]
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.servers.append(srv)
        # APNs: HTTP/2 over TLS with ALPN h2
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", self.h2_port))
        ls.listen(64)
        self.h2_port = ls.getsockname()[1]
        self.h2_listener = ls
        h2ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        h2ctx.load_cert_chain(self.certfile, self.keyfile)
        h2ctx.set_alpn_protocols(["h2"])

        def accept():
            while True:
                try:
                    c, _ = ls.accept()
                except OSError:
                    return
                threading.Thread(target=self._h2_conn, args=(c, h2ctx), daemon=True).start()

        threading.Thread(target=accept, daemon=True).start()

    def stop(self):
        for s in self.servers:
            s.shutdown()
            s.server_close()
        try:
            self.h2_listener.close()
        except (AttributeError, OSError):
            pass

    # ------------------------------------------------------------ plumbing

    def _refuse(self, what):
        with self.lock:
            self.errors.append(what)

    def _action(self, channel):
        with self.lock:
            self.requests[channel] += 1
            for i, (c, a) in enumerate(self.script):
                if c == channel:
                    del self.script[i]
                    self.failed[channel] += 1
                    return a
            if self.fail_rate and random.random() < self.fail_rate:
                self.failed[channel] += 1
                return random.choice(["429:1", "429:1", "500", "503", "hang"])
        return None

    def _accept(self, device, collapse, payload):
        with self.lock:
            self.raw[device].append(payload)
            self.shown[device][collapse] = payload

    @staticmethod
    def _send(h, status, body=b"", headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    def _fail_http1(self, h, action, hang_accept):
        """Answer an injected failure; True when the request is done."""
        if action.startswith("429:"):
            self._send(h, 429, {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}},
                       {"Retry-After": action[4:]})
        elif action in ("500", "503"):
            self._send(h, int(action), {"error": {"code": int(action), "status": "UNAVAILABLE"}})
        elif action == "hang":
            hang_accept()
            time.sleep(30)
            h.close_connection = True
        elif action == "drop":
            time.sleep(30)
            h.close_connection = True
        else:
            return False
        return True

    def _http1(self, h):
        path = urllib.parse.urlsplit(h.path).path
        n = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(n) if n else b""
        if path.startswith("/wp/"):
            return self._webpush(h, path[4:], body)
        if path == "/fcm/token":
            return self._fcm_token(h, body)
        if path.startswith("/fcm/v1/projects/"):
            return self._fcm_send(h, path, body)
        self._send(h, 404, {"error": "no such path"})

    # ------------------------------------------------------------ Web Push

    def _webpush(self, h, sub_id, body):
        sub = self.subs.get(sub_id)
        if sub is None or sub.gone:
            self._action("webpush")
            return self._send(h, 410, {"reason": "subscription gone"})
        try:
            auth = h.headers.get("Authorization", "")
            if not auth.startswith("vapid t="):
                raise ValueError("Authorization is not vapid t=..., k=...")
            t, k = auth[len("vapid t="):].split(", k=")
            if self.vapid_public and k != self.vapid_public:
                raise ValueError("k is not the server's VAPID key")
            key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(k))
            header, claims = jwt_verify(t, key, "ES256")
            if header.get("typ") not in (None, "JWT"):
                raise ValueError("typ %r" % header.get("typ"))
            if claims.get("aud") != self.base():
                raise ValueError("aud %r is not the endpoint's origin" % claims.get("aud"))
            now = time.time()
            if not now < claims.get("exp", 0) <= now + 86400:
                raise ValueError("exp not within 24 hours")
            if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
                raise ValueError("sub is not a mailto: or https: URL")
            if h.headers.get("Content-Encoding") != "aes128gcm":
                raise ValueError("Content-Encoding is not aes128gcm")
            ttl = h.headers.get("TTL")
            if ttl is None or not ttl.isdigit():
                raise ValueError("TTL missing")
            if h.headers.get("Urgency", "normal") not in ("very-low", "low", "normal", "high"):
                raise ValueError("bad Urgency")
            topic = h.headers.get("Topic", "")
            if len(topic) > 32 or any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" for c in topic):
                raise ValueError("Topic is not 32 base64url characters at most")
            payload = json.loads(rfc8291_decrypt(body, sub.private, sub.auth))
        except Exception as e:  # what a real service refuses
            self._refuse("webpush: %s" % e)
            return self._send(h, 400 if "vapid" not in str(e).lower() else 401,
                              {"reason": str(e)})
        action = self._action("webpush")
        if action == "410":
            sub.gone = True
            return self._send(h, 410, {"reason": "gone"})
        if action and self._fail_http1(
                h, action, lambda: self._accept("webpush:" + sub_id, topic or payload["tag"], payload)):
            return None
        self._accept("webpush:" + sub_id, topic or payload["tag"], payload)
        self._send(h, 201, b"", {"Location": "/m/" + secrets.token_hex(8)})

    # ------------------------------------------------------------ FCM

    def _fcm_token(self, h, body):
        form = urllib.parse.parse_qs(body.decode())
        try:
            if form.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"]:
                raise ValueError("grant_type")
            header, claims = jwt_verify(form["assertion"][0], self.fcm_key.public_key(), "RS256")
            now = time.time()
            if claims.get("iss") != self.fcm_email:
                raise ValueError("iss")
            if "https://www.googleapis.com/auth/firebase.messaging" not in claims.get("scope", "").split():
                raise ValueError("scope")
            if claims.get("aud") != self.base() + "/fcm/token":
                raise ValueError("aud")
            iat, exp = claims.get("iat", 0), claims.get("exp", 0)
            if not (iat - 60 <= now < exp and exp - iat <= 3600):
                raise ValueError("iat/exp")
        except Exception as e:
            self._refuse("fcm token: %s" % e)
            return self._send(h, 400, {"error": "invalid_grant", "error_description": str(e)})
        tok = "ya29." + secrets.token_urlsafe(48)
        with self.lock:
            self.fcm_access[tok] = time.time() + self.fcm_access_ttl
            self.fcm_exchanges += 1
        self._send(h, 200, {"access_token": tok, "expires_in": self.fcm_access_ttl,
                            "token_type": "Bearer"})

    def _fcm_send(self, h, path, body):
        def err(status, code, detail=None):
            e = {"error": {"code": status, "status": code, "message": code}}
            if detail:
                e["error"]["details"] = [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                                          "errorCode": detail}]
            return self._send(h, status, e)

        auth = h.headers.get("Authorization", "")
        tok = auth[7:] if auth.startswith("Bearer ") else None
        if not tok or self.fcm_access.get(tok, 0) < time.time():
            return err(401, "UNAUTHENTICATED")
        if path != "/fcm/v1/projects/%s/messages:send" % self.fcm_project:
            return err(404, "NOT_FOUND")
        try:
            m = json.loads(body)["message"]
            token = m["token"]
            n = m["notification"]
            data = m["data"]
            if not all(isinstance(v, str) for v in data.values()):
                raise ValueError("data values must be strings")
            collapse = m["android"]["collapse_key"]
            if len(body) > 4096 + 1024:
                raise ValueError("message too large")
        except Exception as e:
            self._refuse("fcm send: %s" % e)
            return err(400, "INVALID_ARGUMENT")
        if token not in self.fcm_tokens:
            self._action("fcm")
            return err(404, "NOT_FOUND", "UNREGISTERED")
        action = self._action("fcm")
        if action == "410":
            self.fcm_tokens.discard(token)
            return err(404, "NOT_FOUND", "UNREGISTERED")
        payload = {"id": int(data["id"]), "kind": data["kind"], "title": n["title"],
                   "body": n["body"], "count": int(data["count"])}
        if action and self._fail_http1(h, action, lambda: self._accept("fcm:" + token, collapse, payload)):
            return None
        self._accept("fcm:" + token, collapse, payload)
        self._send(h, 200, {"name": "projects/%s/messages/%s" % (self.fcm_project, secrets.token_hex(8))})

    # ------------------------------------------------------------ APNs (HTTP/2)

    def _h2_conn(self, raw, ctx):
        try:
            sock = ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()
            return
        if sock.selected_alpn_protocol() != "h2":
            sock.close()  # APNs speaks HTTP/2 only
            return
        conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False))
        conn.initiate_connection()
        sock.sendall(conn.data_to_send())
        streams = {}
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                for ev in conn.receive_data(data):
                    if isinstance(ev, h2.events.RequestReceived):
                        streams[ev.stream_id] = [dict((k.decode() if isinstance(k, bytes) else k,
                                                       v.decode() if isinstance(v, bytes) else v)
                                                      for k, v in ev.headers), b""]
                    elif isinstance(ev, h2.events.DataReceived):
                        streams[ev.stream_id][1] += ev.data
                        conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                    elif isinstance(ev, h2.events.StreamEnded):
                        hdrs, body = streams.pop(ev.stream_id)
                        answer = self._apns(hdrs, body)
                        if answer is not None:
                            status, resp = answer
                            out = json.dumps(resp).encode() if resp else b""
                            rh = [(":status", str(status)), ("apns-id", secrets.token_hex(16))]
                            if out:
                                rh.append(("content-type", "application/json"))
                            conn.send_headers(ev.stream_id, rh, end_stream=not out)
                            if out:
                                conn.send_data(ev.stream_id, out, end_stream=True)
                sock.sendall(conn.data_to_send())
        except (OSError, ssl.SSLError, h2.exceptions.ProtocolError):
            pass
        finally:
            sock.close()

    def _apns(self, hdrs, body):
        """(status, JSON) for one APNs request; None: never answered."""
        try:
            if hdrs.get(":method") != "POST" or not hdrs.get(":path", "").startswith("/3/device/"):
                return 404, {"reason": "BadPath"}
            token = hdrs[":path"][len("/3/device/"):]
            auth = hdrs.get("authorization", "")
            if not auth.startswith("bearer "):
                return 403, {"reason": "MissingProviderToken"}
            jwt = auth[7:]
            try:
                header, claims = jwt_verify(jwt, self.apns_key.public_key(), "ES256")
            except Exception as e:
                self._refuse("apns: %s" % e)
                return 403, {"reason": "InvalidProviderToken"}
            if header.get("kid") != self.apns_kid or claims.get("iss") != self.apns_team:
                self._refuse("apns: kid or iss")
                return 403, {"reason": "InvalidProviderToken"}
            if time.time() - claims.get("iat", 0) > 3600:
                return 403, {"reason": "ExpiredProviderToken"}
            with self.lock:
                self.apns_jwts.add(jwt)
            if hdrs.get("apns-topic") != self.apns_topic:
                return 400, {"reason": "TopicDisallowed"}
            if hdrs.get("apns-push-type") not in ("alert", "background"):
                return 400, {"reason": "InvalidPushType"}
            exp = hdrs.get("apns-expiration", "")
            if not exp.isdigit():
                return 400, {"reason": "BadExpirationDate"}
            collapse = hdrs.get("apns-collapse-id", "")
            if not collapse or len(collapse.encode()) > 64:
                return 400, {"reason": "BadCollapseId"}
            if len(body) > 4096:
                return 413, {"reason": "PayloadTooLarge"}
            if len(token) != 64 or any(c not in "0123456789abcdef" for c in token.lower()):
                self._action("apns")
                return 400, {"reason": "BadDeviceToken"}
            if token not in self.apns_tokens:
                self._action("apns")
                return 410, {"reason": "Unregistered", "timestamp": int(time.time() * 1000)}
            p = json.loads(body)
            payload = {"id": p["id"], "kind": p["kind"], "title": p["aps"]["alert"]["title"],
                       "body": p["aps"]["alert"]["body"], "count": p["count"]}
        except Exception as e:
            self._refuse("apns: %s" % e)
            return 400, {"reason": "BadMessage"}
        action = self._action("apns")
        if action:
            if action.startswith("429:"):
                return 429, {"reason": "TooManyRequests"}
            if action in ("500", "503"):
                return int(action), {"reason": "InternalServerError" if action == "500"
                                     else "ServiceUnavailable"}
            if action == "410":
                self.apns_tokens.discard(token)
                return 410, {"reason": "Unregistered", "timestamp": int(time.time() * 1000)}
            if action == "hang":
                self._accept("apns:" + token, collapse, payload)
                return None
            if action == "drop":
                return None
        self._accept("apns:" + token, collapse, payload)
        return 200, None

    # ------------------------------------------------------------ results

    def shown_ids(self, device):
        """The message ids a device shows."""
        with self.lock:
            return sorted(p["id"] for p in self.shown[device].values())

    def total_shown(self):
        with self.lock:
            return sum(len(v) for v in self.shown.values())

    def duplicates(self):
        """(device, message id) pairs shown more than once: what must never be."""
        out = []
        with self.lock:
            for dev, by in self.shown.items():
                ids = collections.Counter(p["id"] for p in by.values())
                out += [(dev, i) for i, n in ids.items() if n > 1]
        return out
