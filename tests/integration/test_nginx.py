#!/usr/bin/python3
"""What nginx answers by itself, through raw requests on both ports: every
error it makes is problem+json in the API's shape (TRACE, an HTTP version
other than 1.x, an unknown Transfer-Encoding, a request line or headers too
long, a body too large, bad percent-encoding, a forbidden directory,
failed preconditions and ranges, methods static files refuse);
Strict-Transport-Security on every HTTPS answer, errors included, and
never over plain HTTP (media also with a sandboxing Content-Security-Policy);
and no share-link token in any log, though the link is opened, mistyped
and rate limited (the access log shows the path redacted, encore-api the
route pattern).

Deliberate login failures here: none."""

import json
import os
import socket
import ssl
import sys
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
from encore import call, check, expect  # noqa: E402

encore.require_stack()

HSTS = "Strict-Transport-Security"


def send(scheme, data, source=None):
    """Write `data` as it is to the port of `scheme`; (status, headers as a
    lower-cased dict, body) of the answer."""
    u = urllib.parse.urlsplit(encore.base_url(scheme))
    src = source or encore.SOURCE_IP
    s = socket.create_connection((u.hostname, u.port), timeout=encore.TIMEOUT,
                                 source_address=(src, 0) if src else None)
    if scheme == "https":
        ctx = ssl.create_default_context(cafile=encore.stack().get("ENCORE_CA_FILE"))
        s = ctx.wrap_socket(s, server_hostname=u.hostname)
    out = b""
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass  # nginx may answer before reading everything
        while True:
            try:
                b = s.recv(65536)
            except (ConnectionResetError, ssl.SSLError):
                break
            if not b:
                break
            out += b
    finally:
        s.close()
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    check(lines and lines[0].startswith("HTTP/1."), "no HTTP answer: %r" % out[:200])
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, body


def request(method, target, headers=(), body=b"", version="HTTP/1.1"):
    h = "".join("%s: %s\r\n" % kv for kv in headers)
    return ("%s %s %s\r\nHost: 127.0.0.1\r\n%sConnection: close\r\n\r\n" % (
        method, target, version, h)).encode() + body


def check_problem(answer, status, slug, what):
    got, headers, body = answer
    check(got == status, "%s: %d, expected %d: %r" % (what, got, status, body[:200]))
    ctype = headers.get("content-type", "").split(";")[0]
    check(ctype == encore.PROBLEM_TYPE, "%s: Content-Type %r" % (what, ctype))
    try:
        doc = json.loads(body)
    except ValueError:
        raise AssertionError("%s: body is not JSON: %r" % (what, body[:200]))
    errs = encore.validate(doc, encore.schema("Problem"))
    check(not errs, "%s: not a Problem: %s" % (what, errs))
    check(doc["type"] == "urn:encore:problem:" + slug, "%s: type %r" % (what, doc["type"]))
    check(doc["status"] == status and doc["title"] and doc.get("detail"), "%s: %r" % (what, doc))
    check(len(headers.get("x-request-id", "")) == 32, "%s: no X-Request-Id" % what)
    return headers


# What nginx refuses by itself, and the problem each must be.
REFUSALS = [
    ("TRACE", request("TRACE", "/api/v1/me"), 405, "method-not-allowed"),
    ("TRACE on a static path", request("TRACE", "/openapi.yaml"), 405, "method-not-allowed"),
    ("PUT of a static file", request("PUT", "/openapi.yaml", [("Content-Length", "1")], b"x"),
     405, "method-not-allowed"),
    ("HTTP/2.0 in a request line", request("GET", "/api/v1/me", version="HTTP/2.0"),
     505, "http-version-not-supported"),
    ("HTTP/3.1 in a request line", request("GET", "/healthz", version="HTTP/3.1"),
     505, "http-version-not-supported"),
    ("Transfer-Encoding: gzip", request("POST", "/api/v1/auth/login",
                                        [("Transfer-Encoding", "gzip")]), 501, "not-implemented"),
    ("a request line of 20 KiB", request("GET", "/api/v1/search?q=" + "a" * 20000), 414,
     "bad-request"),
    ("headers of 20 KiB", request("GET", "/api/v1/me", [("X-Padding", "p" * 20000)]), 400,
     "bad-request"),
    ("bad percent-encoding", request("GET", "/api/v1/users/%ZZ"), 400, "bad-request"),
    ("no Host in HTTP/1.1", b"GET /api/v1/me HTTP/1.1\r\nConnection: close\r\n\r\n", 400,
     "bad-request"),
    ("a body of 3 MiB", request("POST", "/api/v1/auth/register",
                                [("Content-Type", "application/json"),
                                 ("Content-Length", str(3 << 20))], b"{" + b" " * (3 << 20)),
     413, "body-too-large"),
    ("a directory of media", request("GET", "/media/"), 403, "forbidden"),
    ("a range past the end", request("GET", "/openapi.yaml", [("Range", "bytes=99999999-")]),
     416, "range-not-satisfiable"),
    ("a precondition that fails", request(
        "GET", "/openapi.yaml", [("If-Unmodified-Since", "Thu, 01 Jan 1970 00:00:00 GMT")]),
     412, "precondition-failed"),
    ("an unknown path", request("GET", "/no/such/thing"), 404, "not-found"),
    ("no such media", request("GET", "/media/art/00/none.png"), 404, "not-found"),
]


def test_nginx_errors_are_problem_json():
    for scheme in encore.SCHEMES:
        for what, data, status, slug in REFUSALS:
            check_problem(send(scheme, data), status, slug, "%s over %s" % (what, scheme))
    # The API's own answers pass through as they are (with its details).
    r = call("DELETE", "/api/v1/genres")
    encore.expect_problem(r, 405, "method-not-allowed", "DELETE /api/v1/genres")
    check("GET" in r.headers.get("Allow", ""), "the API's 405 lost its Allow: %r" % r.headers)


def test_hsts_on_every_https_answer_only():
    answers = [(what, send(scheme, data), scheme) for scheme in encore.SCHEMES
               for what, data, _, _ in REFUSALS[:4] + REFUSALS[-3:]]
    # A media file (any bytes: nginx serves what is there).
    media = encore.stack()["ENCORE_MEDIA_DIR"]
    name = "nginx-test-%d.png" % os.getpid()
    with open(os.path.join(media, name), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
    try:
        for path in ("/healthz", "/api/v1/me", "/openapi.yaml", "/docs/", "/docs",
                     "/api/v1/genres", "/media/" + name):
            for scheme in encore.SCHEMES:
                answers.append((path, send(scheme, request("GET", path)), scheme))
    finally:
        os.unlink(os.path.join(media, name))
    for what, (status, headers, _), scheme in answers:
        hsts = headers.get(HSTS.lower())
        if scheme == "https":
            check(hsts == "max-age=31536000", "%s over https (%d): %s %r" % (what, status, HSTS, hsts))
        else:
            check(hsts is None, "%s over http (%d) has %s" % (what, status, HSTS))
        if what.startswith("/media/"):
            check(status == 200, "%s: %d" % (what, status))
            csp = headers.get("content-security-policy", "")
            check("sandbox" in csp and "default-src 'none'" in csp, "%s: CSP %r" % (what, csp))
    # A plain request on the TLS port is refused without it.
    u = urllib.parse.urlsplit(encore.base_url("https"))
    with socket.create_connection((u.hostname, u.port), timeout=encore.TIMEOUT) as s:
        s.sendall(request("GET", "/healthz"))
        data = b""
        while b"\r\n\r\n" not in data:
            b = s.recv(4096)
            if not b:
                break
            data += b
    check(b" 400 " in data.split(b"\r\n")[0], "plain HTTP on the TLS port: %r" % data[:100])
    check(HSTS.lower().encode() not in data.lower(), "HSTS over plain HTTP on the TLS port")


def _log_files():
    top = encore.stack_dir()
    for sub in ("log", os.path.join("nginx", "logs")):
        for root, _, files in os.walk(os.path.join(top, sub)):
            for f in files:
                yield os.path.join(root, f)


def _flood(path, n, source):
    """n requests for path at once from `source`; their statuses."""
    gate, out = threading.Barrier(n), []

    def one():
        try:
            gate.wait(timeout=30)
            out.append(send("http", request("GET", path), source)[0])
        except Exception as e:  # counted below
            out.append(repr(e))

    pool = [threading.Thread(target=one) for _ in range(n)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return out


def test_share_token_in_no_log():
    owner = encore.new_user()
    p = expect(call("POST", "/api/v1/playlists", token=owner.access,
                    json_body={"name": encore.unique("Shared"), "visibility": "private"}),
               201, "POST", "/api/v1/playlists")
    link = expect(call("POST", "/api/v1/playlists/%d/links" % p["id"], token=owner.access),
                  201, "POST", "/api/v1/playlists/{id}/links")
    token = link["token"]
    r = call("GET", "/api/v1/shared/" + token)
    expect(r, 200, "GET", "/api/v1/shared/{token}")
    rid = r.headers.get("X-Request-Id")
    # Mistyped and longer paths, other case, plain HTTP.
    for path, scheme in (("/api/v1/shared/" + token + "/tracks", "https"),
                         ("/api/v1/SHARED/" + token, "https"),
                         ("/api/v1//shared/" + token, "http"),
                         ("/api/v1/shared/" + token + "?limit=1", "http")):
        check(call("GET", path, scheme).status_code in (200, 404), path)
    # Over the rate limit: nginx's error log quotes the request line of each
    # rejected request (a fresh loopback address, so that nobody else's
    # budget is spent).
    source = encore.loopback_source()
    if source:
        burst = int(encore.stack().get("ENCORE_BURST_IP", "100"))
        statuses = _flood("/api/v1/shared/" + token, burst + 40, source)
        check(429 in statuses, "no 429 among %d requests at once: %r" % (
            len(statuses), sorted(set(map(str, statuses)))))
    # nginx writes its access log line after answering; encore-api its own.
    access = os.path.join(encore.stack()["ENCORE_LOG_DIR"], "nginx-access.log")
    line = None
    for _ in range(50):
        with open(access, encoding="utf-8", errors="replace") as f:
            hits = [json.loads(x) for x in f if rid in x]
        if hits:
            line = hits[0]
            break
        time.sleep(0.1)
    check(line is not None, "no access log line for %s" % rid)
    check(line["uri"] == "/api/v1/shared/<redacted>", "access log uri %r" % line["uri"])
    api = encore.api_log()
    if api:
        with open(api, encoding="utf-8", errors="replace") as f:
            mine = [json.loads(x) for x in f if rid in x]
        check(mine and mine[0].get("route") == "/api/v1/shared/{token}",
              "encore-api logged %r" % mine[:1])
    found = []
    for path in _log_files():
        with open(path, "rb") as f:
            if token.encode() in f.read():
                found.append(os.path.relpath(path, encore.stack_dir()))
    check(not found, "the share token is in %s" % found)


if __name__ == "__main__":
    encore.main(globals())
