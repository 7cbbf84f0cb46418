"""live: the harness of the listening-party tests (test_live*.py).

WebSocket clients of encore-live through nginx (python3-websockets), each
message they see or send checked against docs/asyncapi.yaml as the HTTP
tests check answers against docs/openapi.yaml; raw-socket clients for what
a well-behaved library will not send; and helpers for parties and tracks
over REST.

    import live
    async def scenario():
        host = await live.Client.open(party, user)      # auth + join
        msg = await host.expect("snapshot")
    live.run(scenario())
"""

import asyncio
import base64
import json
import os
import socket
import ssl
import time

import encore

ASYNCAPI_PATH = os.path.join(encore.ROOT, "docs", "asyncapi.yaml")
WAIT = 10  # seconds to wait for a message

_doc = None


def asyncapi():
    global _doc
    if _doc is None:
        import yaml

        with open(ASYNCAPI_PATH, encoding="utf-8") as f:
            _doc = yaml.safe_load(f)
    return _doc


def _ref(pointer):
    node = asyncapi()
    for part in pointer[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _inline(schema, depth=0):
    """schema with every local $ref replaced by its target."""
    if depth > 40:
        raise ValueError("schema nesting too deep")
    if isinstance(schema, list):
        return [_inline(x, depth + 1) for x in schema]
    if not isinstance(schema, dict):
        return schema
    if isinstance(schema.get("$ref"), str):
        target = _inline(_ref(schema["$ref"]), depth + 1)
        rest = {k: _inline(v, depth + 1) for k, v in schema.items() if k != "$ref"}
        if not rest:
            return target
        rest["allOf"] = rest.get("allOf", []) + [target]
        return rest
    out = {}
    for k, v in schema.items():
        if k in ("const", "enum", "default", "examples", "example"):
            out[k] = v
        elif k == "properties":
            out[k] = {pk: _inline(pv, depth + 1) for pk, pv in v.items()}
        else:
            out[k] = _inline(v, depth + 1)
    return out


def _type_names(payload):
    t = payload.get("properties", {}).get("type", {})
    return [t["const"]] if "const" in t else list(t.get("enum", []))


_payloads = None


def payloads():
    """{("send"|"receive", type): payload schema} from the operations."""
    global _payloads
    if _payloads is None:
        out = {}
        for op in asyncapi()["operations"].values():
            for m in op["messages"]:
                msg = _ref(m["$ref"])
                if "$ref" in msg:
                    msg = _ref(msg["$ref"])
                payload = _inline(msg["payload"])
                for name in _type_names(payload):
                    out[(op["action"], name)] = payload
        _payloads = out
    return _payloads


def conform(msg, action):
    """Assert that msg (a dict) is a message of the protocol: "send" for
    what encore-live sends, "receive" for what it takes."""
    import jsonschema

    if not isinstance(msg, dict) or "type" not in msg:
        raise AssertionError("not a message of the protocol: %r" % (msg,))
    schema = payloads().get((action, msg["type"]))
    if schema is None:
        raise AssertionError("docs/asyncapi.yaml has no %s message %r" % (action, msg["type"]))
    v = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    errs = sorted(v.iter_errors(msg), key=lambda e: list(e.absolute_path))
    if errs:
        raise AssertionError("%s %s does not match docs/asyncapi.yaml: %s; message %s" % (
            action, msg["type"], "; ".join(
                "%s: %s" % ("/".join(map(str, e.absolute_path)) or "(root)", e.message)
                for e in errs[:4]), json.dumps(msg)[:400]))


def run(coro, timeout=120):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def url(party=None):
    u = encore.stack()["ENCORE_LIVE_URL"]
    return u + ("?party=%d" % party if party is not None else "")


def tls():
    ctx = ssl.create_default_context(cafile=encore.stack()["ENCORE_CA_FILE"])
    return ctx


def source():
    return (encore.SOURCE_IP, 0) if encore.SOURCE_IP else None


class Closed(Exception):
    def __init__(self, code, reason):
        super().__init__("closed %s %s" % (code, reason))
        self.code, self.reason = code, reason


class Client:
    """One WebSocket connection to encore-live through nginx. Every message
    received is checked against docs/asyncapi.yaml and kept in order; the
    tests wait for the next one of a type."""

    def __init__(self, ws, user=None):
        self.ws, self.user = ws, user
        self.seen = []  # every message received
        self.pending = []  # received, not yet taken by expect
        self.closed = None

    @classmethod
    async def connect(cls, party=None, user=None, via="protocol", path=None, **kw):
        """Connect (as user, by subprotocol or an auth message); `via`
        "none" sends nothing."""
        import websockets

        protos = ["encore-live"]
        if user is not None and via == "protocol":
            protos.append("bearer." + user.access)
        target = path or url(party)
        # keep reading whatever the test does not take yet (no max_queue),
        # so that pings are answered; close without waiting long
        kw.setdefault("max_queue", None)
        kw.setdefault("close_timeout", 2)
        ws = await websockets.connect(
            target, ssl=tls(), subprotocols=protos, open_timeout=WAIT,
            max_size=2 ** 22, local_addr=source(), **kw)
        c = cls(ws, user)
        if user is not None and via == "message":
            await c.send({"type": "auth", "token": user.access})
        if user is not None and via in ("protocol", "message"):
            await c.expect("ready")
        return c

    @classmethod
    async def join(cls, party, user, since=None, via="protocol"):
        """Connect, authenticate and join: (client, snapshot)."""
        c = await cls.connect(party, user, via)
        m = {"type": "join", "party_id": party}
        if since is not None:
            m["since"] = since
        await c.send(m)
        return c, await c.expect("snapshot")

    async def send(self, msg, check=True):
        if check:
            conform(msg, "receive")
        await self.ws.send(json.dumps(msg) if not isinstance(msg, (str, bytes)) else msg)

    async def _next(self, timeout):
        import websockets

        try:
            raw = await asyncio.wait_for(self.ws.recv(), timeout)
        except websockets.ConnectionClosed as e:
            code = e.rcvd.code if e.rcvd else 1006
            reason = e.rcvd.reason if e.rcvd else ""
            self.closed = (code, reason)
            raise Closed(code, reason)
        encore.check(isinstance(raw, str), "a binary message from the server")
        msg = json.loads(raw)
        conform(msg, "send")
        self.seen.append(msg)
        return msg

    async def expect(self, type_, timeout=WAIT, where=None):
        """The next message of the type (others are kept for later)."""
        for i, m in enumerate(self.pending):
            if m["type"] == type_ and (where is None or where(m)):
                return self.pending.pop(i)
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError("no %s message within %s s (got %s)" % (
                    type_, timeout, [m["type"] for m in self.pending][-10:]))
            try:
                m = await self._next(left)
            except asyncio.TimeoutError:
                continue
            if m["type"] == type_ and (where is None or where(m)):
                return m
            self.pending.append(m)

    async def none(self, type_, seconds):
        """Assert that no message of the type comes within seconds."""
        try:
            m = await self.expect(type_, timeout=seconds)
        except AssertionError:
            return
        raise AssertionError("an unexpected %s message: %s" % (type_, json.dumps(m)[:300]))

    async def closing(self, timeout=WAIT):
        """The close code and reason (messages before it are kept)."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError("not closed within %s s" % timeout)
            try:
                m = await self._next(left)
                self.pending.append(m)
            except Closed as e:
                return e.code, e.reason
            except asyncio.TimeoutError:
                continue

    async def ping_offset(self, rounds=8):
        """The server clock minus ours (ms), from the ping of least delay
        (NTP-style), and that delay."""
        best = None
        for i in range(rounds):
            t0 = time.time() * 1000
            await self.send({"type": "ping", "t0": int(t0), "ref": "p%d" % i})
            m = await self.expect("pong", where=lambda m, i=i: m.get("ref") == "p%d" % i)
            t3 = time.time() * 1000
            delay = (t3 - t0) - (m["t2"] - m["t1"])
            offset = ((m["t1"] - t0) + (m["t2"] - t3)) / 2
            if best is None or delay < best[1]:
                best = (offset, delay)
        return best

    async def close(self):
        await self.ws.close()


# --------------------------------------------------------------------------
# Raw clients: frames the library would not send
# --------------------------------------------------------------------------

class Raw:
    """A WebSocket client over a plain TLS socket: the handshake by hand,
    frames built here (masked, as a client's must be), nothing read unless
    asked."""

    def __init__(self, party=None, token=None, rcvbuf=None, query=None):
        base = encore.stack()["ENCORE_HTTPS_URL"]
        host, port = base.split("//")[1].split(":")
        s = socket.socket()
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if encore.SOURCE_IP:
            s.bind((encore.SOURCE_IP, 0))
        s.settimeout(WAIT)
        s.connect((host, int(port)))
        self.sock = tls().wrap_socket(s, server_hostname="localhost")
        key = base64.b64encode(os.urandom(16)).decode()
        q = query if query is not None else ("?party=%d" % party if party else "")
        protos = "encore-live" + (", bearer." + token if token else "")
        req = ("GET /api/v1/live%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
               "Sec-WebSocket-Protocol: %s\r\n\r\n" % (q, key, protos))
        self.sock.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                break
            head += chunk
        self.status = int(head.split(b" ", 2)[1]) if head else 0
        self.buf = b""

    @staticmethod
    def frame(payload, opcode=1, fin=True):
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([(0x80 if fin else 0) | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
        else:
            head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
        return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))

    def send(self, payload, opcode=1, fin=True):
        if isinstance(payload, str):
            payload = payload.encode()
        self.sock.sendall(self.frame(payload, opcode, fin))

    def read_frame(self):
        """(opcode, payload) of the next frame; None at the end."""
        def need(n):
            while len(self.buf) < n:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return False
                self.buf += chunk
            return True
        if not need(2):
            return None
        b0, b1 = self.buf[0], self.buf[1]
        n, off = b1 & 0x7F, 2
        if n == 126:
            if not need(4):
                return None
            n, off = int.from_bytes(self.buf[2:4], "big"), 4
        elif n == 127:
            if not need(10):
                return None
            n, off = int.from_bytes(self.buf[2:10], "big"), 10
        if not need(off + n):
            return None
        payload = self.buf[off:off + n]
        self.buf = self.buf[off + n:]
        return b0 & 0x0F, payload

    def messages_until_close(self, timeout=WAIT):
        """Text messages until a close frame: (messages, close code)."""
        self.sock.settimeout(timeout)
        out = []
        while True:
            f = self.read_frame()
            if f is None:
                return out, 1006
            op, payload = f
            if op == 1:
                out.append(json.loads(payload))
                conform(out[-1], "send")
            elif op == 8:
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                return out, code

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# --------------------------------------------------------------------------
# REST
# --------------------------------------------------------------------------

def party(user, name="a party", visibility="public", playlist_id=None):
    body = {"name": name, "visibility": visibility}
    if playlist_id:
        body["playlist_id"] = playlist_id
    r = encore.call("POST", "/api/v1/parties", token=user.access, json_body=body)
    return encore.expect(r, 201, "POST", "/api/v1/parties")


_artist = None


def track(title="a track", duration_ms=300000):
    """A new track (by the admin, an editor)."""
    global _artist
    admin = encore.admin()
    if _artist is None:
        r = encore.call("POST", "/api/v1/artists", token=admin.access,
                        json_body={"name": "Live " + encore.unique()})
        _artist = encore.expect(r, 201, "POST", "/api/v1/artists")["id"]
    r = encore.call("POST", "/api/v1/tracks", token=admin.access, json_body={
        "title": title, "duration_ms": duration_ms,
        "artists": [{"id": _artist, "role": "primary"}]})
    # a fixture: the catalogue's own tests hold the answer to the spec
    encore.check(r.status_code == 201, "a track: %d %s" % (r.status_code, r.text[:200]))
    return r.json()["id"]


def follow(follower, followee):
    r = encore.call("PUT", "/api/v1/me/following/%s" % followee.username,
                    token=follower.access)
    encore.expect(r, 200, "PUT", "/api/v1/me/following/{username}")


def block(blocker, blocked):
    r = encore.call("PUT", "/api/v1/me/blocks/%s" % blocked.username,
                    token=blocker.access)
    encore.expect(r, 204, "PUT", "/api/v1/me/blocks/{username}")


def invite(host, party_id, user):
    r = encore.call("PUT", "/api/v1/parties/%d/invites/%s" % (party_id, user.username),
                    token=host.access)
    encore.expect(r, 204, "PUT", "/api/v1/parties/{id}/invites/{username}")


def messages(user, party_id, limit=100):
    r = encore.call("GET", "/api/v1/parties/%d/messages?limit=%d" % (party_id, limit),
                    token=user.access)
    return encore.expect(r, 200, "GET", "/api/v1/parties/{id}/messages")["items"]
