#!/usr/bin/python3
"""Probes and the docs page through nginx: /healthz, /readyz, /docs (every
asset local) and /openapi.yaml (the spec of this tree)."""

import html.parser
import os
import sys
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
from encore import call, check, expect  # noqa: E402

encore.require_stack()


def test_healthz():
    for scheme in encore.SCHEMES:
        r = call("GET", "/healthz", scheme)
        body = expect(r, 200, "GET", "/healthz")
        check(body == {"status": "ok"}, "healthz body %r" % body)


def test_readyz():
    for scheme in encore.SCHEMES:
        r = call("GET", "/readyz", scheme)
        body = expect(r, 200, "GET", "/readyz")
        checks = body.get("checks", {})
        check(body.get("status") == "ready" and checks.get("database") == "ok" and
              checks.get("cache") == "ok", "readyz body %r" % body)
        # the push channels say whether each is on, and why one is off
        push = checks.get("push", {})
        check(set(push) == {"webpush", "fcm", "apns"} and
              all(v == "on" or v.startswith("off: ") for v in push.values()),
              "readyz push %r" % push)


def test_probes_are_not_cached():
    for path in ("/healthz", "/readyz"):
        r = call("GET", path)
        cc = (r.headers.get("Cache-Control") or "").lower()
        check(not cc or "no-store" in cc or "no-cache" in cc or "max-age=0" in cc,
              "%s is cacheable: Cache-Control %r" % (path, cc))


class _Assets(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs = []  # (tag, attribute, value)
        self.inline_scripts = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self._in_script = "src" not in a
            if "src" in a:
                self.refs.append((tag, "src", a["src"]))
        elif tag == "link" and a.get("href"):
            self.refs.append((tag, "href", a["href"]))
        elif tag in ("img", "iframe", "source") and a.get("src"):
            self.refs.append((tag, "src", a["src"]))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.inline_scripts.append(data)


def _docs_page(scheme):
    r = call("GET", "/docs", scheme, allow_redirects=True)
    check(r.status_code == 200, "%s /docs: %d" % (scheme, r.status_code))
    start = urllib.parse.urlsplit(encore.base_url(scheme))
    final = urllib.parse.urlsplit(r.url)
    check((final.scheme, final.hostname, final.port) == (start.scheme, start.hostname, start.port),
          "%s /docs redirected off the server: %s" % (scheme, r.url))
    check(encore.media_type(r) == "text/html", "/docs Content-Type %r" % r.headers.get("Content-Type"))
    return r


def test_docs_page_assets_are_local():
    for scheme in encore.SCHEMES:
        r = _docs_page(scheme)
        p = _Assets()
        p.feed(r.text)
        check(p.refs, "/docs references no script or stylesheet: is it Swagger UI?")
        here = urllib.parse.urlsplit(r.url)
        for tag, attr, value in p.refs:
            u = urllib.parse.urlsplit(urllib.parse.urljoin(r.url, value))
            check(u.scheme in ("http", "https", "data") and
                  (u.scheme == "data" or (u.hostname, u.port) == (here.hostname, here.port)),
                  "<%s %s=%r> is not served by Encore" % (tag, attr, value))
            if u.scheme == "data":
                continue
            a = call("GET", u.path + ("?" + u.query if u.query else ""), scheme)
            check(a.status_code == 200, "%s asset %s: %d" % (scheme, u.path, a.status_code))
        for text in p.inline_scripts:
            for cdn in ("unpkg.com", "cdn.jsdelivr", "cdnjs.", "googleapis.com"):
                check(cdn not in text, "an inline script loads from %s" % cdn)


def test_docs_page_points_at_the_spec():
    r = _docs_page("https")
    p = _Assets()
    p.feed(r.text)
    texts = [r.text]
    for tag, attr, value in p.refs:
        if tag == "script":
            u = urllib.parse.urlsplit(urllib.parse.urljoin(r.url, value))
            a = call("GET", u.path, "https")
            if a.status_code == 200 and len(a.content) < 200000:
                texts.append(a.text)
    check(any("openapi.yaml" in t for t in texts),
          "neither /docs nor its small scripts mention openapi.yaml")


def test_openapi_yaml_is_the_spec():
    import yaml

    for scheme in encore.SCHEMES:
        r = call("GET", "/openapi.yaml", scheme)
        check(r.status_code == 200, "%s /openapi.yaml: %d" % (scheme, r.status_code))
        mt = encore.media_type(r)
        check("yaml" in mt or mt in ("text/plain", "application/octet-stream"),
              "/openapi.yaml Content-Type %r" % r.headers.get("Content-Type"))
        served = yaml.safe_load(r.content)
        check(served == encore.spec(), "the served spec differs from docs/openapi.yaml")


if __name__ == "__main__":
    encore.main(globals())
