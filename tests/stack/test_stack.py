#!/usr/bin/python3
"""The private stack's nginx layer, black-box: stack.env, TLS with the local
CA, the docs page and the served spec with local assets only, static media
caching, stub_status, request ids, the JSON access log, problem+json answers
made by nginx itself (404, 413, 429, 503), the per-address and per-token
rate limits, and the /bench/noop route to encore-noop.

Rate-limit checks connect from other loopback addresses (127.0.0.2 and up) so
that they never spend the budget of tests running beside them from
127.0.0.1. Skips (77) without ENCORE_STACK_DIR."""
import http.client
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse

STACK = os.environ.get("ENCORE_STACK_DIR")
if not STACK:
    print("ENCORE_STACK_DIR unset: skipped")
    sys.exit(77)
SRCDIR = os.environ.get("ENCORE_SRCDIR",
                        os.path.dirname(os.path.dirname(os.path.dirname(
                            os.path.abspath(__file__)))))
BUILDDIR = os.environ.get("ENCORE_BUILDDIR", "")

REQUIRED_KEYS = [
    "ENCORE_HTTP_URL", "ENCORE_HTTPS_URL", "ENCORE_CA_FILE", "ENCORE_CONF",
    "ENCORE_ADMIN_USER", "ENCORE_ADMIN_PASSWORD", "ENCORE_DEMO_USER",
    "ENCORE_DEMO_PASSWORD", "ENCORE_SMTP_PORT", "ENCORE_DB_SOCKET",
    "ENCORE_KV_SOCKET", "ENCORE_API_PID", "ENCORE_LOG_DIR",
]


def load_env(path):
    env = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                env[k] = v
    return env


ENV = load_env(os.path.join(STACK, "stack.env"))


def _hostport(url):
    u = urllib.parse.urlsplit(url)
    return u.hostname, u.port


def tls_context(**kw):
    ctx = ssl.create_default_context(cafile=ENV["ENCORE_CA_FILE"])
    for k, v in kw.items():
        setattr(ctx, k, v)
    return ctx


def connect(scheme="https", source="127.0.0.1", ctx=None):
    host, port = _hostport(ENV["ENCORE_HTTPS_URL" if scheme == "https"
                               else "ENCORE_HTTP_URL"])
    if scheme == "https":
        return http.client.HTTPSConnection(host, port, timeout=20,
                                           context=ctx or tls_context(),
                                           source_address=(source, 0))
    return http.client.HTTPConnection(host, port, timeout=20,
                                      source_address=(source, 0))


def request(method, path, headers=None, body=None, scheme="https", conn=None,
            source="127.0.0.1"):
    """One request; (status, headers as a lower-cased dict, body bytes)."""
    c = conn or connect(scheme, source)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        if conn is None:
            c.close()


def check_problem(status, headers, body, want, slug):
    assert status == want, (status, body[:200])
    assert headers.get("content-type", "").startswith(
        "application/problem+json"), headers
    doc = json.loads(body)
    assert doc["type"] == "urn:encore:problem:" + slug, doc
    assert doc["status"] == want and doc["title"], doc
    assert re.fullmatch(r"[0-9a-f]{32}", headers.get("x-request-id", "")), headers


# --------------------------------------------------------------------------


def test_stack_env():
    missing = [k for k in REQUIRED_KEYS if k not in ENV]
    assert not missing, "stack.env lacks %s" % missing
    assert ENV["ENCORE_HTTPS_URL"].startswith("https://127.0.0.1:")
    assert ENV["ENCORE_HTTP_URL"].startswith("http://127.0.0.1:")
    for k in ("ENCORE_CA_FILE", "ENCORE_CONF"):
        assert os.path.isfile(ENV[k]), k
    for k in ("ENCORE_DB_SOCKET", "ENCORE_KV_SOCKET"):
        assert os.path.exists(ENV[k]), k
    assert os.path.isdir(ENV["ENCORE_LOG_DIR"])
    os.kill(int(ENV["ENCORE_API_PID"]), 0)
    for name in ("credentials", "secrets.conf", "stack.env"):
        mode = os.stat(os.path.join(STACK, name)).st_mode & 0o777
        assert mode == 0o600, "%s has mode %o" % (name, mode)
    # Test stacks reserve a port for an SMTP sink; a developer's stack may
    # have none (mail is logged).
    port = ENV["ENCORE_SMTP_PORT"]
    conf = open(ENV["ENCORE_CONF"], encoding="utf-8").read()
    if port:
        assert re.search(r"^smtp_url = smtp://127\.0\.0\.1:%s$" % port, conf, re.M)
    else:
        assert re.search(r"^smtp_url = $", conf, re.M), "smtp_url without a port"


def test_tls_versions_and_ca():
    # TLS 1.2 and 1.3 accepted, verified against the stack's CA for both
    # 127.0.0.1 and localhost; TLS 1.1 refused.
    for v in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        ctx = tls_context(minimum_version=v, maximum_version=v)
        c = connect(ctx=ctx)
        status, _, _ = request("GET", "/healthz", conn=c)
        assert c.sock is not None and c.sock.version() in ("TLSv1.2", "TLSv1.3")
        c.close()
        assert status == 200, (v, status)
    _, port = _hostport(ENV["ENCORE_HTTPS_URL"])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        with tls_context().wrap_socket(s, server_hostname="localhost") as t:
            assert t.version() in ("TLSv1.2", "TLSv1.3")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    except (ValueError, ssl.SSLError):
        return  # this OpenSSL cannot even offer TLS 1.1
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        try:
            ctx.wrap_socket(s).close()
        except (ssl.SSLError, OSError):
            return
    raise AssertionError("TLS 1.1 was accepted")


def test_plain_http_serves_too():
    status, headers, _ = request("GET", "/healthz", scheme="http")
    assert status == 200, status
    assert re.fullmatch(r"[0-9a-f]{32}", headers.get("x-request-id", ""))


def test_spec_served():
    status, headers, body = request("GET", "/openapi.yaml")
    assert status == 200, status
    assert "yaml" in headers.get("content-type", ""), headers
    with open(os.path.join(SRCDIR, "docs", "openapi.yaml"), "rb") as f:
        assert body == f.read(), "/openapi.yaml differs from docs/openapi.yaml"


def test_docs_page_local_assets():
    status, headers, _ = request("GET", "/docs")
    assert status in (301, 302) and headers["location"] == "/docs/", (status, headers)
    status, headers, body = request("GET", "/docs/")
    assert status == 200, status
    assert headers["content-type"].startswith("text/html")
    csp = headers.get("content-security-policy", "")
    assert "default-src 'self'" in csp, csp
    html = body.decode()
    assert "/openapi.yaml" in html and "SwaggerUIBundle" in html
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert refs, "the docs page references no assets"
    for ref in refs:
        assert not re.match(r"(https?:)?//", ref), "remote asset " + ref
        status, headers, data = request("GET", urllib.parse.urljoin("/docs/", ref))
        assert status == 200 and data, (ref, status)


def test_media_cached_for_good():
    media = ENV.get("ENCORE_MEDIA_DIR", os.path.join(STACK, "media"))
    name = "stack-test-%d.png" % os.getpid()
    path = os.path.join(media, name)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    try:
        status, headers, body = request("GET", "/media/" + name)
        assert status == 200 and body.startswith(b"\x89PNG"), status
        assert headers["content-type"] == "image/png", headers
        cc = headers.get("cache-control", "")
        assert "immutable" in cc and "max-age=31536000" in cc, cc
        assert headers.get("x-request-id"), headers
    finally:
        os.unlink(path)


def test_stub_status_on_loopback():
    status, _, body = request("GET", "/nginx_status")
    assert status == 200 and b"Active connections" in body, (status, body)


def test_unknown_path_is_problem_json():
    check_problem(*request("GET", "/no/such/thing"), 404, "not-found")
    check_problem(*request("GET", "/docs/no-such-asset.js"), 404, "not-found")
    check_problem(*request("GET", "/_problem/rate-limited"), 404, "not-found")


def test_malformed_requests_are_problem_json():
    for scheme in ("http", "https"):
        check_problem(*request("GET", "/api/v1/users/%ZZ", scheme=scheme), 400,
                      "bad-request")
        check_problem(*request("GET", "/api/v1/users/x?a=" + "b" * 20000,
                               scheme=scheme), 414, "bad-request")
    # Plain HTTP on the TLS port.
    _, port = _hostport(ENV["ENCORE_HTTPS_URL"])
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    check_problem(*request("GET", "/healthz", conn=c), 400, "bad-request")
    c.close()


def test_body_over_nginx_limit():
    check_problem(*request("POST", "/api/v1/auth/register",
                           {"Content-Type": "application/json"},
                           b"{" + b" " * (3 << 20) + b"}"),
                  413, "body-too-large")


def test_request_id_reaches_access_log():
    status, headers, _ = request("GET", "/openapi.yaml")
    rid = headers["x-request-id"]
    log = os.path.join(ENV["ENCORE_LOG_DIR"], "nginx-access.log")
    for _ in range(50):
        # nginx's escape=json leaves bytes over 0x7f as they came (a request
        # line need not be UTF-8).
        with open(log, encoding="utf-8", errors="replace") as f:
            lines = [json.loads(l) for l in f if rid in l]
        if lines:
            break
        time.sleep(0.1)
    assert len(lines) == 1, "no access line for %s" % rid
    line = lines[0]
    assert line["uri"] == "/openapi.yaml" and line["status"] == 200, line
    for k in ("time", "request_time", "upstream_response_time", "method"):
        assert k in line, k


def _flood(path, headers, sources, per_source):
    """per_source requests from each address of `sources`, all at once (one
    thread and connection each, released together), so that they arrive
    faster than any rate limit however slowly the API answers; statuses."""
    total = len(sources) * per_source
    gate = threading.Barrier(total)
    out, errors = [], []

    def one(source):
        c = connect("http", source)
        try:
            c.connect()
            gate.wait(timeout=30)
            try:
                status, h, body = request("GET", path, headers, conn=c)
            except OSError:
                # Passed nginx's limits; how the API fares is not tested here.
                out.append("timeout")
                return
            if status == 429:
                check_problem(status, h, body, 429, "rate-limited")
                assert h.get("retry-after", "").isdigit(), h
            out.append(status)
        except Exception as e:  # reported below
            errors.append(e)
        finally:
            c.close()

    pool = [threading.Thread(target=one, args=(src,))
            for src in sources for _ in range(per_source)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise errors[0]
    return out


def test_rate_limit_per_address():
    burst = int(ENV.get("ENCORE_BURST_IP", "100"))
    statuses = _flood("/api/v1/users/rate_probe", {}, ["127.0.0.2"], burst + 50)
    limited = statuses.count(429)
    assert limited > 0, "no 429 among %d requests at once" % len(statuses)
    assert len(statuses) - limited >= burst // 2, "429 after only %d requests" % (
        len(statuses) - limited)
    # Probes are never limited.
    for _ in range(20):
        status, _, _ = request("GET", "/healthz", source="127.0.0.2", scheme="http")
        assert status == 200, status


def test_rate_limit_per_token():
    # Three addresses, each under its own limit, together over the token's.
    burst = int(ENV.get("ENCORE_BURST_TOKEN", "100"))
    ip_burst = int(ENV.get("ENCORE_BURST_IP", "100"))
    per_source = min((burst + 50) // 3 + 1, ip_burst // 2)
    token = {"Authorization": "Bearer stack-test-%d" % os.getpid()}
    statuses = _flood("/api/v1/me", token,
                      ["127.0.0.3", "127.0.0.4", "127.0.0.5"], per_source)
    assert 429 in statuses, "no 429 among %d requests with one token" % len(statuses)


def test_bench_noop():
    sock = ENV.get("ENCORE_NOOP_SOCKET", os.path.join(STACK, "encore-noop.sock"))
    binary = os.path.join(BUILDDIR, "tests", "bench", "encore-noop")
    if not os.access(binary, os.X_OK):
        print("  (encore-noop not built: /bench/noop not checked)")
        return
    check_problem(*request("GET", "/bench/noop"), 503, "unavailable")
    proc = subprocess.Popen([binary, sock, "2"])
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        status, headers, body = request("GET", "/bench/noop")
        assert status == 204 and body == b"", (status, body)
        assert headers.get("x-request-id")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    assert not os.path.exists(sock), "encore-noop left its socket"


# --------------------------------------------------------------------------


def main():
    tests = [(n, f) for n, f in sorted(globals().items())
             if n.startswith("test_") and callable(f)]
    failed = 0
    for name, fn in tests:
        try:
            fn()
            print("ok   %s" % name)
        except Exception:
            failed += 1
            print("FAIL %s" % name)
            traceback.print_exc()
    print("%d passed, %d failed" % (len(tests) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
