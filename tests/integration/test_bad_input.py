#!/usr/bin/python3
"""Hostile input through nginx over HTTP and HTTPS: malformed bodies, wrong
types, oversized bodies, wrong media types, every kind of bad token, unknown
paths and methods, garbage in paths and query strings. Every answer must be a
4xx application/problem+json that validates against the spec (never a 5xx),
and the API must still be up at the end.

Deliberate login failures here: none (nothing is sent to /auth/login that
could reach a password check)."""

import json
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
from encore import check, expect, expect_problem, raw  # noqa: E402

encore.require_stack()

MIB = 1 << 20

_user = None


def user():
    """One account for the authenticated routes (created once)."""
    global _user
    if _user is None:
        _user = encore.new_user()
    return _user


def auth():
    return {"Authorization": "Bearer " + user().access}


# The JSON routes under test: method, path, spec route, needs a token,
# a string field of the route, and a body the route would accept.
def routes():
    name = encore.unique("hx")
    return [
        ("POST", "/api/v1/auth/register", "/api/v1/auth/register", False, "username",
         {"username": name, "email": name + "@example.org", "password": encore.strong_password()}),
        ("PATCH", "/api/v1/me", "/api/v1/me", True, "bio", {"bio": "fine"}),
        ("PUT", "/api/v1/me/preferences", "/api/v1/me/preferences", True, "language",
         {"language": "en"}),
        ("POST", "/api/v1/auth/refresh", "/api/v1/auth/refresh", False, "refresh_token",
         {"refresh_token": "A" * 43}),
        ("POST", "/api/v1/auth/forgot", "/api/v1/auth/forgot", False, "email",
         {"email": encore.unique("nobody") + "@example.invalid"}),
        ("POST", "/api/v1/auth/login", "/api/v1/auth/login", False, "username", None),
    ]


FULL = ("/api/v1/auth/register", "/api/v1/me")

# The payloads that every route gets; the FULL routes get all of them (the
# parser and the size cap are shared, the validators are per route).
CORE = {"truncated", "not JSON", "trailing garbage", "empty body", "invalid UTF-8",
        "raw NUL in a string", "escaped NUL", "number for a string", "array for a string",
        "top-level array", "top-level null", "unknown field", "nested 41 deep",
        "body over 1 MiB"}


def routes_for(scheme):
    """Every JSON route over HTTPS; two of them over plain HTTP too (the
    transports differ, the routes do not)."""
    all_routes = routes()
    if scheme == "https":
        return all_routes
    return [r for r in all_routes if r[1] in FULL]


def nested(depth, inner=b"1"):
    return b"[" * depth + inner + b"]" * depth


def payloads(field):
    """(label, body bytes, acceptable statuses, field the 422 must name)."""
    f = json.dumps(field).encode()

    def obj(value_bytes):
        return b"{" + f + b":" + value_bytes + b"}"

    return [
        ("truncated", b"{" + f + b': "abc"', {400}, None),
        ("truncated mid-string", b"{" + f + b': "ab', {400}, None),
        ("not JSON", b"{" + field.encode() + b": 'x'}", {400}, None),
        ("trailing garbage", obj(b'"x"') + b" {}", {400}, None),
        ("trailing text", obj(b'"x"') + b"x", {400}, None),
        ("empty body", b"", {400}, None),
        ("only whitespace", b"   \n", {400}, None),
        ("invalid UTF-8", obj(b'"ab\xff\xfecd"'), {400}, None),
        ("overlong UTF-8", obj(b'"\xc0\xaf"'), {400}, None),
        ("UTF-8 surrogate", obj(b'"\xed\xa0\x80"'), {400}, None),
        ("UTF-8 above U+10FFFF", obj(b'"\xf4\x90\x80\x80"'), {400}, None),
        ("truncated UTF-8", obj(b'"ab\xe2\x82"'), {400}, None),
        ("invalid UTF-8 in a key", b'{"\xff":1}', {400}, None),
        ("raw NUL in a string", obj(b'"ab\x00cd"'), {400}, None),
        ("raw NUL after the body", obj(b'"x"') + b"\x00", {400}, None),
        ("escaped NUL", obj(b'"ab\\u0000cd"'), {400, 422}, None),
        ("lone surrogate escape", obj(b'"\\ud800"'), {400, 422}, None),
        ("number for a string", obj(b"123"), {422}, field),
        ("bool for a string", obj(b"true"), {422}, field),
        ("object for a string", obj(b"{}"), {422}, field),
        ("array for a string", obj(b'["a"]'), {422}, field),
        ("huge number", obj(b"1e400"), {400, 422}, None),
        ("huge integer", obj(b"123456789012345678901234567890"), {400, 422}, None),
        ("top-level array", b"[]", {422}, None),
        ("top-level array of objects", b"[" + obj(b'"x"') + b"]", {422}, None),
        ("top-level number", b"42", {422}, None),
        ("top-level string", b'"hello"', {422}, None),
        ("top-level null", b"null", {422}, None),
        ("top-level true", b"true", {422}, None),
        ("unknown field", b'{"zz_unknown":1}', {422}, "zz_unknown"),
        ("nested 41 deep", obj(nested(40)), {400}, None),
        ("nested 100000 deep", nested(100000), {400}, None),
        ("nested objects 5000 deep", b'{"a":' * 5000 + b"1" + b"}" * 5000, {400}, None),
        ("1 MB string", obj(b'"' + b"a" * 1000000 + b'"'), {413, 422}, None),
        ("body over 1 MiB", obj(b'"' + b"a" * (MIB + 16) + b'"'), {413}, None),
        ("body over 1 MiB of spaces", b" " * (MIB + 1) + b"{}", {413}, None),
        ("body of 3 MiB", obj(b'"' + b"a" * (3 * MIB) + b'"'), {413}, None),
    ]


def send(method, path, body, scheme, headers=None, token=False):
    h = {"Content-Type": "application/json"}
    if token:
        h.update(auth())
    if headers is not None:
        h = dict(headers, **(auth() if token else {}))
    return raw(method, path, scheme, h, body)


def conform(r, statuses, method, route, what):
    """The answer is one of statuses, a problem+json valid for the route."""
    try:
        check(r.status_code < 500, "a %d: %s" % (r.status_code, r.text[:300]))
        expect_problem(r, statuses, what=what)
        return expect(r, statuses, method, route)
    except AssertionError as e:
        raise AssertionError("%s: %s" % (what, e))


def run_cases(cases):
    """Run (what, thunk) pairs and fail with every failure at once."""
    errors = []
    for what, fn in cases:
        try:
            fn()
        except AssertionError as e:
            errors.append(str(e))
        except OSError as e:
            errors.append("%s: no answer (%s: %s)" % (what, type(e).__name__, e))
    check(not errors, "%d failures:\n       " % len(errors) + "\n       ".join(errors))


# --------------------------------------------------------------------------
# bodies


def test_hostile_bodies():
    cases = []
    for scheme in encore.SCHEMES:
        for method, path, route, tok, field, _ in routes_for(scheme):
            for label, body, statuses, named in payloads(field):
                if path not in FULL and label not in CORE:
                    continue
                def one(method=method, path=path, route=route, tok=tok, label=label,
                        body=body, statuses=statuses, named=named, scheme=scheme):
                    what = "%s %s %s [%s]" % (scheme, method, path, label)
                    r = send(method, path, body, scheme, token=tok)
                    p = conform(r, statuses, method, route, what)
                    if named and r.status_code == 422:
                        check(named in encore.error_fields(p),
                              "%s: errors %r do not name %r" % (what, p.get("errors"), named))
                cases.append(("%s %s %s" % (scheme, path, label), one))
    run_cases(cases)


def test_wrong_content_type_415():
    cases = []
    for scheme in encore.SCHEMES:
        for method, path, route, tok, field, good in routes_for(scheme):
            body = json.dumps(good or {"username": "x", "password": "y"}).encode()
            for ctype in (None, "text/plain", "application/x-www-form-urlencoded",
                          "application/jsonp", "application/json-patch+json",
                          "multipart/form-data; boundary=x", ""):
                def one(method=method, path=path, route=route, tok=tok, body=body,
                        ctype=ctype, scheme=scheme):
                    h = {} if ctype is None else {"Content-Type": ctype}
                    what = "%s %s %s [Content-Type %r]" % (scheme, method, path, ctype)
                    r = send(method, path, body, scheme, headers=h, token=tok)
                    conform(r, {415}, method, route, what)
                cases.append((path, one))
    run_cases(cases)


def test_json_with_charset_is_accepted():
    u = user()
    for scheme in encore.SCHEMES:
        for ctype in ("application/json; charset=utf-8", "application/json;charset=UTF-8",
                      "Application/JSON"):
            r = raw("PATCH", "/api/v1/me", scheme,
                    {"Content-Type": ctype, "Authorization": "Bearer " + u.access},
                    b'{"bio":"charset ok"}')
            expect(r, 200, "PATCH", "/api/v1/me")


def test_token_endpoint_hostile_forms():
    path = "/api/v1/auth/token"
    form = "application/x-www-form-urlencoded"
    cases = []
    for scheme in encore.SCHEMES:
        for label, body, ctype, statuses in [
            ("JSON body", b'{"grant_type":"password"}', "application/json", {415}),
            ("no Content-Type", b"grant_type=password", None, {415}),
            ("bad %-escape", b"grant_type=pass%ZZword&username=a&password=b", form, {400}),
            ("truncated %-escape", b"grant_type=password&username=a%", form, {400}),
            ("invalid UTF-8", b"grant_type=password&username=%FF%FE&password=x", form, {400}),
            ("NUL", b"grant_type=password&username=a%00b&password=x", form, {400}),
            ("body over 1 MiB", b"grant_type=refresh_token&refresh_token=" + b"A" * (MIB + 8),
             form, {413}),
            ("too many fields", b"&".join(b"f%d=x" % i for i in range(2000)), form, {400}),
        ]:
            def one(label=label, body=body, ctype=ctype, statuses=statuses, scheme=scheme):
                what = "%s POST %s [%s]" % (scheme, path, label)
                h = {} if ctype is None else {"Content-Type": ctype}
                r = raw("POST", path, scheme, h, body)
                check(r.status_code in statuses and r.status_code < 500,
                      "%s: expected %s, got %d %s" % (what, statuses, r.status_code, r.text[:200]))
                expect(r, statuses, "POST", path)
            cases.append((label, one))
    run_cases(cases)


def test_weak_and_long_passwords_422():
    u = user()
    name = encore.unique("pw")
    email = name + "@example.org"
    weak = ["short", "1234567890", "qwertyuiop", "a" * 129, "é" * 65]
    cases = []
    for pw in weak + [name + "-x-y-z", "zz" + name.upper() + "zz"]:
        def reg(pw=pw):
            r = raw("POST", "/api/v1/auth/register", "https", {"Content-Type": "application/json"},
                    json.dumps({"username": name, "email": email, "password": pw}).encode())
            p = conform(r, {422}, "POST", "/api/v1/auth/register", "register %r" % pw[:20])
            check("password" in encore.error_fields(p), "register: password not named")
        cases.append(("register", reg))
    for pw in weak + [u.username + "-x-y-z"]:
        def change(pw=pw):
            r = raw("POST", "/api/v1/auth/password", "http",
                    {"Content-Type": "application/json", "Authorization": "Bearer " + u.access},
                    json.dumps({"current_password": u.password, "new_password": pw}).encode())
            p = conform(r, {422}, "POST", "/api/v1/auth/password", "password change %r" % pw[:20])
            check("new_password" in encore.error_fields(p), "change: new_password not named")
        cases.append(("change", change))
    run_cases(cases)
    # 128 bytes is the limit: 64 two-byte characters are fine, 65 are not
    r = raw("POST", "/api/v1/auth/register", "https", {"Content-Type": "application/json"},
            json.dumps({"username": name, "email": email, "password": "é" * 64}).encode())
    expect(r, 202, "POST", "/api/v1/auth/register")


# --------------------------------------------------------------------------
# tokens


def _claims():
    u = user()
    h, p = encore.jwt_parts(u.access)
    return u, h, p


def bad_tokens():
    """(label, Authorization header value or None)."""
    u, header, claims = _claims()
    key = encore.jwt_key(u.access)
    now = int(time.time())
    hs = dict(header, alg="HS256")

    def signed(alg="HS256", key=key, **changes):
        p = dict(claims)
        for k, v in changes.items():
            if v is None:
                p.pop(k, None)
            else:
                p[k] = v
        h = dict(header, alg={"HS256": "HS256", "HS512": "HS512", "none": "none"}.get(alg, alg))
        return encore.jwt_sign(h, p, key, "HS256" if alg not in ("HS512", "none") else alg)

    h64, p64, s64 = u.access.split(".")
    forged = dict(claims, role="admin")
    forged_p64 = encore.b64url(json.dumps(forged, separators=(",", ":")).encode())
    return [
        ("no Authorization", None),
        ("Bearer alone", "Bearer"),
        ("Bearer and a space", "Bearer "),
        ("Bearer garbage", "Bearer garbage"),
        ("Basic credentials", "Basic dXNlcjpwYXNzd29yZA=="),
        ("token without scheme", u.access),
        ("two parts", "Bearer %s.%s" % (h64, p64)),
        ("four parts", "Bearer %s.x" % u.access),
        ("not base64", "Bearer !!!.###.$$$"),
        ("empty parts", "Bearer .."),
        ("header not JSON", "Bearer %s.%s.%s" % (encore.b64url(b"not json"), p64, s64)),
        ("payload not JSON", "Bearer %s.%s.%s" % (h64, encore.b64url(b"[1,2"), s64)),
        ("oversized", "Bearer " + "A" * 5000 + "." + p64 + "." + s64),
        ("expired", "Bearer " + signed(exp=now - 120, iat=now - 1100, nbf=now - 1100)),
        ("nbf in the future", "Bearer " + signed(nbf=now + 3600, iat=now, exp=now + 4500)),
        ("no exp", "Bearer " + signed(exp=None)),
        ("wrong signature", "Bearer " + signed(key=key + b"x")),
        ("payload changed, signature kept", "Bearer %s.%s.%s" % (h64, forged_p64, s64)),
        ("signature stripped", "Bearer %s.%s." % (h64, p64)),
        ("alg none", "Bearer " + signed(alg="none")),
        ("alg none, signature kept", "Bearer %s.%s.%s" % (
            encore.b64url(json.dumps(dict(header, alg="none")).encode()), p64, s64)),
        ("HS512", "Bearer " + signed(alg="HS512")),
        ("RS256-labelled, HMAC-signed", "Bearer " + signed(alg="RS256")),
        ("wrong iss", "Bearer " + signed(iss="evil")),
        ("no iss", "Bearer " + signed(iss=None)),
        ("wrong aud", "Bearer " + signed(aud="another-api")),
        ("aud list without ours", "Bearer " + signed(aud=["another-api"])),
        ("typ refresh", "Bearer " + signed(typ="refresh")),
        ("no typ", "Bearer " + signed(typ=None)),
        ("sub not a number", "Bearer " + signed(sub="abc")),
        ("refresh token as access token", "Bearer " + u.refresh),
    ], ("control: same claims re-signed", "Bearer " + encore.jwt_sign(hs, claims, key))


def test_bad_tokens_401():
    bad, control = bad_tokens()
    # the control must pass, or the crafted tokens prove nothing
    r = raw("GET", "/api/v1/me", "https", {"Authorization": control[1]})
    expect(r, 200, "GET", "/api/v1/me")
    cases = []
    targets = [("GET", "/api/v1/me", None), ("POST", "/api/v1/auth/logout", None),
               ("PUT", "/api/v1/me/preferences", b"{}")]
    for scheme in encore.SCHEMES:
        for method, path, body in targets:
            if scheme == "http" and method != "GET":
                continue
            for label, value in bad:
                def one(scheme=scheme, method=method, path=path, body=body, label=label,
                        value=value):
                    what = "%s %s %s [%s]" % (scheme, method, path, label)
                    h = {} if value is None else {"Authorization": value}
                    if body is not None:
                        h["Content-Type"] = "application/json"
                    r = raw(method, path, scheme, h, body)
                    conform(r, {401}, method, path, what)
                    wa = r.headers.get("WWW-Authenticate") or ""
                    check(wa.startswith('Bearer realm="encore"'),
                          "%s: WWW-Authenticate %r" % (what, wa))
                    if value is not None and value.startswith("Bearer ") and value.strip() != "Bearer":
                        check('error="invalid_token"' in wa,
                              "%s: no error=\"invalid_token\" in %r" % (what, wa))
                    if value is None:
                        check("error=" not in wa, "%s: error= without a token: %r" % (what, wa))
                cases.append((label, one))
    run_cases(cases)
    # none of them did anything: the account is intact and its token works
    r = raw("GET", "/api/v1/me", "https", {"Authorization": "Bearer " + user().access})
    expect(r, 200, "GET", "/api/v1/me")


# --------------------------------------------------------------------------
# paths, methods, query strings


def test_unknown_paths_404():
    cases = []
    for scheme in encore.SCHEMES:
        for path in ("/api/v1/nope", "/api/v2/me", "/api/v1/users", "/api/v1/users/",
                     "/api/v1/me/preferences/extra", "/api/v1/admin/users/x", "/api/v1",
                     "/api/v1/auth", "/api/v1/auth/register/x", "/definitely-not-here",
                     "/api/v1/admin/users/x/role/extra"):
            def one(scheme=scheme, path=path):
                r = raw("GET", path, scheme)
                expect_problem(r, 404, what="%s GET %s" % (scheme, path))
            cases.append((path, one))
    run_cases(cases)


def _spec_methods(route):
    item = encore.spec()["paths"][route]
    return {m.upper() for m in item if m in ("get", "put", "post", "delete", "patch")}


def test_wrong_method_405_with_allow():
    cases = []
    for scheme in encore.SCHEMES:
        for method, path, route in [
            ("GET", "/api/v1/auth/login", "/api/v1/auth/login"),
            ("DELETE", "/api/v1/auth/login", "/api/v1/auth/login"),
            ("PUT", "/api/v1/auth/register", "/api/v1/auth/register"),
            ("GET", "/api/v1/auth/token", "/api/v1/auth/token"),
            ("PUT", "/api/v1/me", "/api/v1/me"),
            ("POST", "/api/v1/me", "/api/v1/me"),
            ("DELETE", "/api/v1/me/preferences", "/api/v1/me/preferences"),
            ("POST", "/api/v1/users/someone", "/api/v1/users/{username}"),
            ("GET", "/api/v1/admin/users/someone/role", "/api/v1/admin/users/{username}/role"),
            ("POST", "/healthz", "/healthz"),
            ("PROPFIND", "/api/v1/me", "/api/v1/me"),
        ]:
            def one(scheme=scheme, method=method, path=path, route=route):
                what = "%s %s %s" % (scheme, method, path)
                h, body = {}, None
                if method in ("POST", "PUT", "PATCH", "DELETE"):
                    h, body = {"Content-Type": "application/json"}, b"{}"
                r = raw(method, path, scheme, h, body)
                expect_problem(r, 405, what=what)
                allow = {m.strip().upper() for m in (r.headers.get("Allow") or "").split(",")
                         if m.strip()}
                want = _spec_methods(route)
                check(want <= allow and allow <= want | {"HEAD", "OPTIONS"},
                      "%s: Allow %r, the spec has %s" % (what, r.headers.get("Allow"),
                                                          ", ".join(sorted(want))))
            cases.append((method + " " + path, one))
    run_cases(cases)


def test_percent_encoding_garbage_in_paths():
    cases = []
    for scheme in encore.SCHEMES:
        for path in ("/api/v1/users/%ZZ", "/api/v1/users/%", "/api/v1/users/%4",
                     "/api/v1/users/%00", "/api/v1/users/a%00b", "/api/v1/users/%C0%AF",
                     "/api/v1/users/%FF%FE", "/api/v1/users/%ED%A0%80",
                     "/api/v1/users/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/api/v1/users/a%2Fb",
                     "/api/v1/users/..%2f..%2fme", "/api/v1/%6De", "/api/v1/me/../me",
                     "//api//v1//me", "/api/v1/users/" + "x" * 5000,
                     "/api/v1/users/%25%32%65", "/api/v1/users/%0d%0aX-Injected:%201",
                     "/api/v1/users/" + "%41" * 1000):
            def one(scheme=scheme, path=path):
                what = "%s GET %s" % (scheme, path[:80])
                r = raw("GET", path, scheme)
                check(r.status_code < 500, "%s: %d %s" % (what, r.status_code, r.text[:200]))
                check("X-Injected" not in r.headers, "%s: header injection" % what)
                expect_problem(r, what=what)
            cases.append((path, one))
    run_cases(cases)


def test_query_string_garbage():
    u = encore.register()
    base = "/api/v1/users/" + u.username
    cases = []
    for scheme in encore.SCHEMES:
        for query, statuses in [
            ("a=%ZZ", {200, 400}), ("a=%", {200, 400}), ("a=%00", {200, 400}),
            ("a=%FF%FE", {200, 400}), ("%C0%AF=1", {200, 400}), ("a=" + "b" * 6000, {200, 400}),
            ("&".join("k%d=v" % i for i in range(65)), {200, 400}),
            ("&".join("k%d=v" % i for i in range(600)), {200, 400, 414}),
            ("a=" + "b" * 20000, {200, 400, 414}),
            ("a=" + "b" * 100000, {400, 414, 431, 494}),
            ("=&&==&=", {200, 400}),
        ]:
            def one(scheme=scheme, query=query, statuses=statuses):
                what = "%s GET %s?%s" % (scheme, base, query[:40])
                r = raw("GET", base + "?" + query, scheme)
                check(r.status_code in statuses,
                      "%s: expected %s, got %d %s" % (what, sorted(statuses), r.status_code,
                                                       r.text[:200]))
                if r.status_code == 200:
                    expect(r, 200, "GET", "/api/v1/users/{username}")
                else:
                    expect_problem(r, what=what)
            cases.append((query[:20], one))
    run_cases(cases)


# --------------------------------------------------------------------------
# still alive



# --------------------------------------------------------------------------
# catalogue, playlist and listen bodies of the wrong shape


def wrong_values(value):
    """Values of another JSON type than `value` (null aside: it clears
    nullable fields), and out-of-range numbers for integers."""
    if isinstance(value, bool):
        return ["true", 1, [], {}]
    if isinstance(value, int):
        return ["1", 1.5, True, [], {}, -1, 2 ** 63, 1e308]
    if isinstance(value, float):
        return ["1", True, [], {}, -1e308, 1e308]
    if isinstance(value, str):
        return [123, True, {}, ["x"], 2 ** 64]
    if isinstance(value, list):
        return ["x", 1, {}, True, [2 ** 64], [None], [{}]]
    return ["x", 1, [], True]  # an object


def write_routes():
    """(method, path, spec route, token, a body the route accepts) for the
    catalogue, playlist and listen writes, over objects made for the test."""
    ed, u = encore.admin(), user()
    name = encore.unique("wr")

    def made(method, path, body, token):
        r = encore.call(method, path, token=token, json_body=body)
        check(r.status_code in (200, 201), "%s %s: %d %s" % (method, path, r.status_code,
                                                             r.text[:200]))
        return r.json()["id"]

    artist = made("POST", "/api/v1/artists", {"name": name}, ed.access)
    album = made("POST", "/api/v1/albums", {"title": name, "artist_id": artist}, ed.access)
    track = {"title": name, "artists": [{"id": artist, "role": "primary"}], "album_id": album,
             "disc_number": 1, "track_number": 2, "duration_ms": 1000, "genres": ["g"],
             "release_date": "1965-10-01", "explicit": False, "isrc": "USPR36500010",
             "audio_features": {"tempo": 120.5, "energy": 0.5}}
    tid = made("POST", "/api/v1/tracks", track, ed.access)
    pid = made("POST", "/api/v1/playlists", {"name": name}, u.access)
    r = encore.call("POST", "/api/v1/playlists/%d/tracks" % pid, token=u.access,
                    json_body={"track_ids": [tid, tid, tid]})
    check(r.status_code == 200, "seeding the playlist: %d" % r.status_code)
    other = encore.register()
    P = "/api/v1/playlists/{id}"
    return [
        ("POST", "/api/v1/artists", "/api/v1/artists", ed,
         {"name": name, "bio": "b", "country": "US", "genres": ["g"],
          "external_ids": {"spotify": "4Z8W4fKeB5YxbusRsdQVPb"}}),
        ("PATCH", "/api/v1/artists/%d" % artist, "/api/v1/artists/{id}", ed,
         {"name": name, "bio": "b", "genres": ["g"]}),
        ("POST", "/api/v1/albums", "/api/v1/albums", ed,
         {"title": name, "artist_id": artist, "type": "album", "label": "l",
          "release_date": "1965-10-01", "genres": ["g"]}),
        ("PATCH", "/api/v1/albums/%d" % album, "/api/v1/albums/{id}", ed,
         {"title": name, "artist_id": artist, "type": "ep"}),
        ("POST", "/api/v1/tracks", "/api/v1/tracks", ed, track),
        ("PATCH", "/api/v1/tracks/%d" % tid, "/api/v1/tracks/{id}", ed, track),
        ("PUT", "/api/v1/tracks/%d/lyrics" % tid, "/api/v1/tracks/{id}/lyrics", ed,
         {"plain": "la", "lrc": "[00:12.30]la"}),
        ("POST", "/api/v1/me/listens", "/api/v1/me/listens", u,
         {"listens": [{"track_id": tid, "listened_at": "2026-01-02T03:04:05Z"}]}),
        ("POST", "/api/v1/playlists", "/api/v1/playlists", u,
         {"name": name, "description": "d", "visibility": "public", "collaborative": False}),
        ("PATCH", P.replace("{id}", str(pid)), P, u,
         {"name": name, "visibility": "unlisted", "collaborative": True, "snapshot_id": "2"}),
        ("POST", P.replace("{id}", str(pid)) + "/tracks", P + "/tracks", u,
         {"track_ids": [tid], "position": 0}),
        ("DELETE", P.replace("{id}", str(pid)) + "/tracks", P + "/tracks", u,
         {"positions": [0]}),
        ("POST", P.replace("{id}", str(pid)) + "/tracks/move", P + "/tracks/move", u,
         {"range_start": 0, "range_length": 1, "insert_before": 2}),
        ("PUT", P.replace("{id}", str(pid)) + "/grants/" + other.username,
         P + "/grants/{username}", u, {"access": "view"}),
        ("POST", P.replace("{id}", str(pid)) + "/links", P + "/links", u, {"expires_in": 3600}),
    ]


def test_write_bodies_of_the_wrong_shape():
    """Every field of the catalogue, playlist and listen writes replaced by a
    value of another type or out of range, an unknown key added, invalid
    UTF-8 in each string: a 400 or 422 problem, never a 5xx (an "artists"
    that was no array once aborted the worker) and never a change."""
    cases = []
    for method, path, route, who, good in write_routes():
        # The listen batch's items are checked one by one (each is reported
        # on its own); its top level is what may answer 400 or 422 here.
        fields = good if path != "/api/v1/me/listens" else {"listens": good["listens"]}
        variants = [("unknown key", dict(good, zz_unknown=1), "zz_unknown")]
        for k, v in fields.items():
            variants += [("%s=%r" % (k, bad), dict(good, **{k: bad}), k) for bad in wrong_values(v)]
            if isinstance(v, str):
                raw_body = json.dumps(dict(good, **{k: "@@"})).encode().replace(
                    b'"@@"', b'"ab\xff\xfecd"')
                variants.append(("%s invalid UTF-8" % k, raw_body, None))
        for label, body, named in variants:
            def one(method=method, path=path, route=route, who=who, label=label, body=body,
                    named=named):
                what = "%s %s [%s]" % (method, path, label)
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                r = raw(method, path, "https", {"Content-Type": "application/json",
                                                "Authorization": "Bearer " + who.access}, data)
                p = conform(r, {400, 422}, method, route, what)
                if named and r.status_code == 422:
                    check(named in encore.error_fields(p),
                          "%s: errors %r do not name %r" % (what, p.get("errors"), named))
            cases.append((label, one))
    run_cases(cases)


def test_api_still_alive():
    pid = encore.api_pid()
    if pid is not None:
        check(encore.pid_alive(pid), "the encore-api master (pid %d) is gone" % pid)
        end = time.monotonic() + 5  # a worker being replaced is not yet there
        while not encore.children(pid) and time.monotonic() < end:
            time.sleep(0.1)
        check(encore.children(pid), "the encore-api master (pid %d) has no worker" % pid)
    for scheme in encore.SCHEMES:
        r = encore.call("GET", "/readyz", scheme)
        expect(r, 200, "GET", "/readyz")
    r = raw("GET", "/api/v1/me", "https", {"Authorization": "Bearer " + user().access})
    expect(r, 200, "GET", "/api/v1/me")


if __name__ == "__main__":
    encore.main(globals())
