"""encore: the harness of Encore's black-box tests.

Reads the running stack's description ($ENCORE_STACK_DIR/stack.env), talks to
it through nginx over HTTP and HTTPS, validates answers against
docs/openapi.yaml, and runs the test_* functions of a test file:

    import encore
    encore.require_stack()          # exit 77 (skipped) without a stack
    def test_something(): ...
    if __name__ == "__main__":
        encore.main(globals())

Only the standard library, requests, jsonschema and yaml are used.
"""

import base64
import email
import email.policy
import hashlib
import hmac
import http.client
import json
import os
import re
import secrets
import socket
import ssl
import sys
import time
import traceback
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC_PATH = os.path.join(ROOT, "docs", "openapi.yaml")
SKIP = 77
TIMEOUT = 20  # seconds, per request

PROBLEM_TYPE = "application/problem+json"


class Skip(Exception):
    """Raised by a test that cannot run here; counted apart from failures."""


# --------------------------------------------------------------------------
# The stack
# --------------------------------------------------------------------------

_stack = None


def parse_env_file(path):
    """KEY=VALUE lines (optionally `export `, optionally quoted); # comments."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("export "):
                line = line[7:].lstrip()
            key, sep, value = line.partition("=")
            if not sep:
                continue
            key, value = key.strip(), value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                quote, value = value[0], value[1:-1]
                if quote == '"':
                    value = re.sub(r"\\(.)", r"\1", value)
            out[key] = value
    return out


def parse_conf_file(path):
    """`key = value` lines with # comments (encore.conf, secrets.conf)."""
    out = {}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                key, sep, value = line.partition("=")
                if sep:
                    value = value.strip()
                    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                        value = value[1:-1]
                    out[key.strip()] = value
    except OSError:
        pass
    return out


def require_stack():
    """Exit 77 (skipped) when no stack is described; return its settings."""
    global _stack
    if _stack is not None:
        return _stack
    d = os.environ.get("ENCORE_STACK_DIR")
    if not d:
        print("SKIP: ENCORE_STACK_DIR is not set (no running stack)")
        sys.exit(SKIP)
    path = os.path.join(d, "stack.env")
    if not os.path.exists(path):
        print("SKIP: %s does not exist" % path)
        sys.exit(SKIP)
    env = parse_env_file(path)
    env.setdefault("ENCORE_STACK_DIR", d)
    for key in ("ENCORE_HTTP_URL", "ENCORE_HTTPS_URL"):
        if key not in env:
            print("FAIL: %s lacks %s" % (path, key))
            sys.exit(1)
    _stack = env
    return env


def stack():
    return require_stack()


def stack_dir():
    return stack()["ENCORE_STACK_DIR"]


def conf():
    """The stack's encore.conf as a dict."""
    path = stack().get("ENCORE_CONF") or os.path.join(stack_dir(), "encore.conf")
    return parse_conf_file(path)


def secrets_conf():
    """The stack's secrets file as a dict (jwt_secret ...)."""
    path = conf().get("secrets_file") or os.path.join(stack_dir(), "secrets.conf")
    if not os.path.isabs(path):
        path = os.path.join(stack_dir(), path)
    s = parse_conf_file(path)
    if not s:
        s = parse_conf_file(os.path.join(stack_dir(), "secrets.conf"))
    return s


def base_url(scheme):
    s = stack()
    return (s["ENCORE_HTTPS_URL"] if scheme == "https" else s["ENCORE_HTTP_URL"]).rstrip("/")


def ca_file():
    return stack().get("ENCORE_CA_FILE") or True


SCHEMES = ("http", "https")


# --------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------

_sessions = {}


def loopback_source(ip=None):
    """A loopback address to connect from: `ip`, or a random 127.a.b.c other
    than 127.0.0.1; None when this host cannot bind it (then 127.0.0.1 is
    used, shared with every other client)."""
    if ip is None:
        r = secrets.token_bytes(3)
        ip = "127.%d.%d.%d" % (1 + r[0] % 254, r[1], 1 + r[2] % 254)
    try:
        s = socket.socket()
        try:
            s.bind((ip, 0))
        finally:
            s.close()
    except OSError:
        return None
    return ip


# Each test process talks from its own loopback address, so nginx's
# per-address rate limit and Encore's per-address login throttle (20 failures
# in 15 minutes) count it apart from the other test files running in parallel
# and from earlier runs against the same stack.
SOURCE_IP = os.environ.get("ENCORE_TEST_SOURCE_IP") or loopback_source()

# nginx limits /api/ to 50 requests/s per client address (burst 100): stay
# under RATE requests/s (lower when the address is shared with others).
RATE = float(os.environ.get("ENCORE_TEST_RATE", "40" if SOURCE_IP else "20"))
_last_api_request = [0.0]


def pace(path):
    """Sleep as needed to keep requests to rate-limited paths under RATE/s."""
    if not path.startswith(("/api/", "/2.0/", "/1/")) or RATE <= 0:
        return
    wait = _last_api_request[0] + 1.0 / RATE - time.monotonic()
    if wait > 0:
        time.sleep(wait)
    _last_api_request[0] = time.monotonic()


def _session(scheme):
    import requests
    import requests.adapters

    class SourceAdapter(requests.adapters.HTTPAdapter):
        def init_poolmanager(self, *args, **kw):
            if SOURCE_IP:
                kw["source_address"] = (SOURCE_IP, 0)
            return super().init_poolmanager(*args, **kw)

    s = _sessions.get(scheme)
    if s is None:
        s = requests.Session()
        s.trust_env = False  # never a proxy from the environment
        s.verify = ca_file() if scheme == "https" else True
        s.mount("http://", SourceAdapter())
        s.mount("https://", SourceAdapter())
        _sessions[scheme] = s
    return s


def call(method, path, scheme="https", token=None, json_body=None, data=None,
         headers=None, **kw):
    """One request through nginx. `json_body` is sent as application/json,
    `data` as given (a dict becomes a form). Returns the requests.Response."""
    h = dict(headers or {})
    if token is not None:
        h["Authorization"] = "Bearer " + token
    kw.setdefault("timeout", TIMEOUT)
    kw.setdefault("allow_redirects", False)
    if json_body is not None:
        note_secrets(json_body)
        data = json.dumps(json_body).encode()
        h.setdefault("Content-Type", "application/json")
    elif isinstance(data, dict):
        note_secrets(data)
    pace(path)
    r = _session(scheme).request(method, base_url(scheme) + path, data=data,
                                 headers=h, **kw)
    if "json" in r.headers.get("Content-Type", ""):
        try:
            note_secrets(r.json())
        except ValueError:
            pass
    return r


# Every secret the tests send or receive (passwords, tokens of every kind)
# is noted in STACK_DIR/secrets-issued, so that a last test can look for
# each in every log the stack wrote (tests/integration/check_logs.py).
SECRET_KEYS = {"password", "current_password", "new_password", "token",
               "access_token", "refresh_token", "secret", "api_key",
               "session_key"}


def note_secret(value):
    if not isinstance(value, str) or len(value) < 8:
        return
    try:
        path = os.path.join(stack_dir(), "secrets-issued")
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    except (OSError, Skip):
        return
    with os.fdopen(fd, "a") as f:
        f.write(value.replace("\n", " ") + "\n")


def note_secrets(obj):
    """Note the values under SECRET_KEYS anywhere in a JSON value."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in SECRET_KEYS:
                note_secret(v)
            else:
                note_secrets(v)
    elif isinstance(obj, list):
        for v in obj:
            note_secrets(v)


class RawResponse:
    """What raw() returns: status, headers (case-insensitive get), body bytes."""

    def __init__(self, status, headers, body):
        self.status_code = status
        self._headers = headers
        self.content = body
        self.text = body.decode("utf-8", "replace")

    @property
    def headers(self):
        return _CIDict(self._headers)

    def json(self):
        return json.loads(self.content)

    def __repr__(self):
        return "<RawResponse %d>" % self.status_code


class _CIDict(dict):
    def __init__(self, pairs):
        super().__init__()
        for k, v in pairs:
            k = k.lower()
            self[k] = self[k] + ", " + v if k in self else v

    def get(self, k, d=None):
        return super().get(k.lower(), d)

    def __getitem__(self, k):
        return super().__getitem__(k.lower())

    def __contains__(self, k):
        return super().__contains__(k.lower())


def raw(method, target, scheme="https", headers=None, body=None, source=None):
    """Send exactly this request line target and body (no URL clean-up, no
    automatic headers besides Host and Content-Length when a body is given),
    from the address `source` (default SOURCE_IP). Returns a RawResponse;
    raises OSError when the server gives none."""
    u = urllib.parse.urlsplit(base_url(scheme))
    pace(target)
    src = source or SOURCE_IP
    src = (src, 0) if src else None
    if scheme == "https":
        ctx = ssl.create_default_context(cafile=stack().get("ENCORE_CA_FILE"))
        conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx,
                                           timeout=TIMEOUT, source_address=src)
    else:
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=TIMEOUT,
                                          source_address=src)
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        h = dict(headers or {})
        if body is not None:
            h.setdefault("Content-Length", str(len(body)))
        for k, v in h.items():
            conn.putheader(k, v)
        try:
            conn.endheaders(body)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass  # the server may answer before reading the whole request
        r = conn.getresponse()
        return RawResponse(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


# --------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------

def unique(prefix="u"):
    """A fresh username: prefix + random suffix, at most 32 characters."""
    return (prefix + "_" + secrets.token_hex(6))[:32]


def strong_password():
    return "Velvet-%s-Harbor!" % secrets.token_hex(5)


class User:
    """A registered account and, after login(), its current tokens."""

    def __init__(self, username, email, password, body=None):
        self.username = username
        self.email = email
        self.password = password
        self.body = body
        self.access = None
        self.refresh = None

    @property
    def id(self):
        return self.body["id"] if self.body else None

    def __repr__(self):
        return "<User %s>" % self.username


# --------------------------------------------------------------------------
# Mail: the stack appends every mail to an mbox file (ENCORE_MAIL_SPOOL)
# --------------------------------------------------------------------------

def mails(rcpt, subject=None):
    """The mails to rcpt so far (oldest first) as email.message objects,
    those whose Subject holds `subject` when given."""
    path = stack().get("ENCORE_MAIL_SPOOL")
    if not path:
        raise Skip("stack.env has no ENCORE_MAIL_SPOOL")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    out = []
    for chunk in re.split(rb"(?m)^From encore [^\n]*\n", data):
        if not chunk.strip():
            continue
        chunk = re.sub(rb"(?m)^>(>*From )", rb"\1", chunk)
        msg = email.message_from_bytes(chunk, policy=email.policy.default)
        if rcpt.lower() not in str(msg["To"] or "").lower():
            continue
        if subject and subject not in str(msg["Subject"] or ""):
            continue
        out.append(msg)
    return out


def mail_text(msg):
    """The decoded text of a mail (every text part)."""
    parts = []
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            try:
                parts.append(part.get_content())
            except (LookupError, ValueError):
                parts.append(part.get_payload(decode=True).decode("utf-8", "replace"))
    return "\n".join(parts)


MAIL_TOKEN_RE = re.compile(r"[?&]token=([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])")


def wait_mail(rcpt, subject=None, after=0, timeout=10):
    """The first mail to rcpt (with `subject`) beyond the `after` already
    seen, waiting up to timeout seconds (mail leaves after the response)."""
    end = time.monotonic() + timeout
    while True:
        got = mails(rcpt, subject)
        # a message read while the spool is still writing it has no body yet
        if len(got) > after and mail_text(got[after]).strip():
            return got[after]
        if time.monotonic() > end:
            raise AssertionError("no mail to %s (subject %r) within %d s" % (rcpt, subject, timeout))
        time.sleep(0.05)


def mail_token(msg):
    """The token a mail carries (in its link)."""
    m = MAIL_TOKEN_RE.search(mail_text(msg))
    if not m:
        raise AssertionError("no token in the mail %r" % mail_text(msg)[:300])
    note_secret(m.group(1))
    return m.group(1)


CONFIRM_SUBJECT = "Confirm your Encore account"


def register(username=None, email=None, password=None, display_name=None,
             scheme="https", confirm=True):
    """Register a fresh account (asserting 202) and, unless confirm is
    false, confirm its address with the token mailed; returns a User."""
    username = username or unique()
    email = email or "%s@example.org" % username.lower()
    password = password or strong_password()
    body = {"username": username, "email": email, "password": password}
    if display_name is not None:
        body["display_name"] = display_name
    seen = len(mails(email, CONFIRM_SUBJECT))
    r = call("POST", "/api/v1/auth/register", scheme, json_body=body)
    expect(r, 202, "POST", "/api/v1/auth/register")
    if not confirm:
        return User(username, email, password)
    tok = mail_token(wait_mail(email, CONFIRM_SUBJECT, after=seen))
    r = call("POST", "/api/v1/auth/confirm", scheme, json_body={"token": tok})
    expect(r, 204, "POST", "/api/v1/auth/confirm")
    r = call("GET", "/api/v1/users/%s" % username, scheme)
    return User(username, email, password, expect(r, 200, "GET", "/api/v1/users/{username}"))


def login_raw(username, password, scheme="https"):
    return call("POST", "/api/v1/auth/login", scheme,
                json_body={"username": username, "password": password})


def login(user, scheme="https", name=None):
    """Log in (asserting 200), store and return the TokenPair."""
    r = login_raw(name or user.username, user.password, scheme)
    if r.status_code == 429:
        raise AssertionError(
            "login answered 429: the stack's login throttle is exhausted "
            "(too many failed logins from this address in 15 minutes?): %s" % r.text)
    pair = expect(r, 200, "POST", "/api/v1/auth/login")
    user.access, user.refresh = pair["access_token"], pair["refresh_token"]
    return pair


def new_user(scheme="https", **kw):
    """Register and log in a fresh account."""
    u = register(scheme=scheme, **kw)
    login(u, scheme)
    return u


_admin = None


def admin():
    """The stack's admin account, logged in once per process."""
    global _admin
    if _admin is None:
        s = stack()
        name, pw = s.get("ENCORE_ADMIN_USER"), s.get("ENCORE_ADMIN_PASSWORD")
        if not name or not pw:
            raise Skip("stack.env has no ENCORE_ADMIN_USER/ENCORE_ADMIN_PASSWORD")
        u = User(name, None, pw)
        login(u)
        _admin = u
    return _admin


# --------------------------------------------------------------------------
# JWT
# --------------------------------------------------------------------------

def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def jwt_parts(token):
    """(header dict, payload dict) of a JWT, unverified."""
    h, p, _ = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(p))


def jwt_sign(header, payload, key, alg="HS256"):
    """A compact JWT of these header and payload dicts signed with key.
    alg picks the HMAC actually used ("HS256", "HS512") or "none"."""
    h = b64url(json.dumps(header, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    signing = (h + "." + p).encode()
    if alg == "none":
        return h + "." + p + "."
    digest = {"HS256": hashlib.sha256, "HS512": hashlib.sha512}[alg]
    return h + "." + p + "." + b64url(hmac.new(key, signing, digest).digest())


def jwt_key(sample_token):
    """The HS256 key the server signs with: the jwt_secret of the stack's
    secrets file (its bytes, or its base64url decoding), whichever verifies
    the sample token. Skip when neither does."""
    s = secrets_conf().get("jwt_secret") or os.environ.get("ENCORE_JWT_SECRET")
    if not s:
        raise Skip("no jwt_secret found in the stack's secrets file")
    h, p, sig = sample_token.split(".")
    candidates = [s.encode()]
    try:
        candidates.append(b64url_decode(s))
    except ValueError:
        pass
    for key in candidates:
        mac = hmac.new(key, (h + "." + p).encode(), hashlib.sha256).digest()
        if hmac.compare_digest(b64url(mac), sig):
            return key
    raise Skip("jwt_secret of the secrets file does not verify the server's tokens")


# --------------------------------------------------------------------------
# The spec and the checker
# --------------------------------------------------------------------------

_spec = None


def spec():
    global _spec
    if _spec is None:
        import yaml

        with open(SPEC_PATH, encoding="utf-8") as f:
            _spec = yaml.safe_load(f)
    return _spec


def ref(pointer, doc=None):
    """The node at a local JSON pointer ("#/components/schemas/User")."""
    doc = doc if doc is not None else spec()
    if not pointer.startswith("#/"):
        raise KeyError("only local references are supported: %s" % pointer)
    node = doc
    for part in pointer[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def deref(node):
    """Follow a Reference Object (possibly several hops)."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        node = ref(node["$ref"])
        seen += 1
        if seen > 20:
            raise ValueError("reference loop")
    return node


def inline(schema, depth=0):
    """A copy of schema with every local $ref replaced by its target, so that
    jsonschema sees one self-contained Draft 2020-12 schema."""
    if depth > 50:
        raise ValueError("schema nesting too deep (a recursive $ref?)")
    if isinstance(schema, list):
        return [inline(x, depth + 1) for x in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema and isinstance(schema["$ref"], str):
        target = inline(ref(schema["$ref"]), depth + 1)
        rest = {k: inline(v, depth + 1) for k, v in schema.items() if k != "$ref"}
        if not rest:
            return target
        rest["allOf"] = rest.get("allOf", []) + [target]
        return rest
    out = {}
    for k, v in schema.items():
        if k in ("example", "examples", "const", "default", "enum"):
            out[k] = v  # literal values, not schemas
        elif k in ("properties", "patternProperties", "$defs", "dependentSchemas"):
            out[k] = {pk: inline(pv, depth + 1) for pk, pv in v.items()}
        else:
            out[k] = inline(v, depth + 1)
    return out


def validate(instance, schema):
    """A list of error strings (empty when the instance is valid)."""
    import jsonschema

    cls = jsonschema.Draft202012Validator
    checker = getattr(cls, "FORMAT_CHECKER", None) or jsonschema.FormatChecker()
    v = cls(inline(schema), format_checker=checker)
    errs = sorted(v.iter_errors(instance), key=lambda e: list(e.absolute_path))
    return ["%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(root)",
                        e.message) for e in errs]


def schema(name):
    return {"$ref": "#/components/schemas/" + name}


def operation(method, route):
    """The spec's operation object for method and a path template."""
    paths = spec().get("paths", {})
    if route not in paths:
        raise AssertionError("the spec has no path %s" % route)
    op = paths[route].get(method.lower())
    if op is None:
        raise AssertionError("the spec has no %s %s" % (method, route))
    return op


def media_type(resp):
    return (resp.headers.get("Content-Type") or "").split(";")[0].strip().lower()


def _short(resp):
    body = resp.content[:300].decode("utf-8", "replace") if resp.content else ""
    return "%d %s %r" % (resp.status_code, resp.headers.get("Content-Type"), body)


def expect(resp, status, method, route):
    """Assert resp has `status` (an int, or a collection of acceptable ones)
    and conforms to the spec's response for method+route at that status:
    media type, body schema, required headers, problem status. Returns the
    parsed JSON body (None when empty)."""
    allowed = {status} if isinstance(status, int) else set(status)
    if resp.status_code not in allowed:
        raise AssertionError("%s %s: expected %s, got %s" % (
            method, route, "/".join(map(str, sorted(allowed))), _short(resp)))
    op = operation(method, route)
    responses = op.get("responses", {})
    code = str(resp.status_code)
    r = responses.get(code) or responses.get(code[0] + "XX") or responses.get("default")
    if r is None:
        raise AssertionError("%s %s answered %d, which the spec does not list (%s)" % (
            method, route, resp.status_code, _short(resp)))
    r = deref(r)
    return _conform(resp, r, "%s %s" % (method, route))


def _conform(resp, r, what):
    for name, h in (r.get("headers") or {}).items():
        h = deref(h)
        if h.get("required") and name not in resp.headers:
            raise AssertionError("%s %d: header %s missing" % (what, resp.status_code, name))
    content = r.get("content")
    if not content:
        if resp.content:
            raise AssertionError("%s %d: the spec has no body but got %r" % (
                what, resp.status_code, resp.content[:200]))
        return None
    mt = media_type(resp)
    if mt not in content:
        raise AssertionError("%s %d: Content-Type %r is not one of %s (%s)" % (
            what, resp.status_code, mt, sorted(content), _short(resp)))
    try:
        body = json.loads(resp.content)
    except ValueError:
        raise AssertionError("%s %d: body is not JSON: %r" % (
            what, resp.status_code, resp.content[:200]))
    errs = validate(body, content[mt].get("schema", {}))
    if errs:
        raise AssertionError("%s %d: body does not match the spec: %s; body %s" % (
            what, resp.status_code, "; ".join(errs[:5]), json.dumps(body)[:400]))
    if mt == PROBLEM_TYPE and body.get("status") != resp.status_code:
        raise AssertionError("%s: problem status %r differs from HTTP %d" % (
            what, body.get("status"), resp.status_code))
    return body


def expect_problem(resp, statuses=None, slug=None, what=""):
    """Assert a 4xx problem+json answer valid against Problem (for answers
    that belong to no operation: unknown paths, 405, nginx limits)."""
    if statuses is not None:
        allowed = {statuses} if isinstance(statuses, int) else set(statuses)
        if resp.status_code not in allowed:
            raise AssertionError("%s: expected %s, got %s" % (
                what, "/".join(map(str, sorted(allowed))), _short(resp)))
    if not 400 <= resp.status_code < 500:
        raise AssertionError("%s: expected a 4xx, got %s" % (what, _short(resp)))
    if media_type(resp) != PROBLEM_TYPE:
        raise AssertionError("%s: Content-Type is not %s: %s" % (what, PROBLEM_TYPE, _short(resp)))
    try:
        body = json.loads(resp.content)
    except ValueError:
        raise AssertionError("%s: body is not JSON: %s" % (what, _short(resp)))
    errs = validate(body, schema("Problem"))
    if errs:
        raise AssertionError("%s: not a valid Problem: %s; body %s" % (
            what, "; ".join(errs[:5]), json.dumps(body)[:300]))
    if body.get("status") != resp.status_code:
        raise AssertionError("%s: problem status %r differs from HTTP %d" % (
            what, body.get("status"), resp.status_code))
    if slug and body.get("type") != "urn:encore:problem:" + slug:
        raise AssertionError("%s: problem type %r, expected urn:encore:problem:%s" % (
            what, body.get("type"), slug))
    return body


def error_fields(problem):
    """The fields a 422 names; an item of an array field ("genres[3]") or a
    member of an object field ("a.b") also counts as naming the field."""
    out = set()
    for e in problem.get("errors") or []:
        f = e.get("field")
        if isinstance(f, str):
            out.add(f)
            m = re.match(r"^([^.\[]+)[.\[]", f)
            if m:
                out.add(m.group(1))
    return out


def eventually(fn, what, timeout=20):
    """fn()'s first true value, polled every 0.2 s; AssertionError naming
    `what` when none came within timeout seconds."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError("not within %d s: %s" % (timeout, what))
        time.sleep(0.2)


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


# --------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------

def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def children(pid):
    """The pids whose parent is pid (read from /proc)."""
    out = set()
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                out.add(int(d))
        except (OSError, IndexError, ValueError):
            pass
    return out


def api_pid():
    s = stack()
    p = s.get("ENCORE_API_PID")
    if p and p.isdigit():
        return int(p)
    path = os.path.join(stack_dir(), "encore-api.pid")
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


CRASH_SIGNALS = {4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE",
                 11: "SIGSEGV", 31: "SIGSYS"}


def api_log():
    """Path of encore-api's log file, or None."""
    try:
        s = stack()
    except SystemExit:
        return None
    path = conf().get("log_file")
    if path and path != "-":
        return path if os.path.isabs(path) else os.path.join(stack_dir(), path)
    d = s.get("ENCORE_LOG_DIR") or os.path.join(stack_dir(), "log")
    path = os.path.join(d, "encore-api.log")
    return path if os.path.exists(path) else None


def log_mark():
    """The current size of encore-api's log (see crashes_since)."""
    path = api_log()
    try:
        return (path, os.path.getsize(path)) if path else (None, 0)
    except OSError:
        return (path, 0)


def crashes_since(mark):
    """Worker deaths by a crash signal logged since mark: ["SIGSEGV x3"]."""
    path, offset = mark
    if not path:
        return []
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return []
    counts = {}
    for line in text.splitlines():
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if not isinstance(o, dict) or "died" not in str(o.get("msg", "")):
            continue
        st = str(o.get("status", o.get("signal", "")))
        sig = int(st[1:]) if st.startswith("-") and st[1:].isdigit() else None
        if sig is None and st.upper().startswith("SIG"):
            name = st.upper()
        elif sig in CRASH_SIGNALS:
            name = CRASH_SIGNALS[sig]
        else:
            continue
        if name in CRASH_SIGNALS.values():
            counts[name] = counts.get(name, 0) + 1
    return ["%s x%d" % (k, v) for k, v in sorted(counts.items())]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# --------------------------------------------------------------------------
# The runner
# --------------------------------------------------------------------------

def main(namespace, setup=None):
    """Run every test_* function of namespace in definition order, print one
    PASS/FAIL/SKIP line each and the totals; exit 1 when any failed."""
    tests = [(n, f) for n, f in namespace.items()
             if n.startswith("test_") and callable(f)]
    only = sys.argv[1:]
    if only:
        tests = [(n, f) for n, f in tests if n in only or n[5:] in only]
    passed = failed = skipped = 0
    mark = log_mark() if _stack is not None else (None, 0)
    if setup is not None:
        setup()
    for name, fn in tests:
        t0 = time.monotonic()
        try:
            fn()
        except Skip as e:
            skipped += 1
            print("SKIP %s: %s" % (name, e), flush=True)
            continue
        except AssertionError as e:
            failed += 1
            print("FAIL %s: %s" % (name, e or "assertion failed"), flush=True)
            tb = traceback.extract_tb(e.__traceback__)
            here = [f for f in tb if f.filename == namespace.get("__file__")]
            if here:
                print("     at line %d: %s" % (here[-1].lineno, here[-1].line), flush=True)
            continue
        except Exception as e:  # an error of the test or the connection
            failed += 1
            print("FAIL %s: %s: %s" % (name, type(e).__name__, e), flush=True)
            print("     " + "     ".join(traceback.format_exception(type(e), e, e.__traceback__)[-3:]),
                  flush=True)
            continue
        passed += 1
        print("PASS %s (%.2fs)" % (name, time.monotonic() - t0), flush=True)
    crashed = crashes_since(mark)
    if crashed:
        failed += 1
        print("FAIL no_worker_crashed: encore-api workers died by a crash signal "
              "while this file ran (%s; see %s)" % (", ".join(crashed), mark[0]), flush=True)
    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    print(line, flush=True)
    if failed:
        sys.exit(1)
    if skipped and not passed:
        sys.exit(SKIP)
    sys.exit(0)
