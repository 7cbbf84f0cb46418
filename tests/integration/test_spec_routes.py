#!/usr/bin/python3
"""The spec (docs/openapi.yaml) against the code and the architecture notes:
the route table of src/api/routes.c and the spec's operations must be the
same set; the spec must be well-formed OpenAPI 3.1 with examples that match
its own schemas. Needs no running stack."""

import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402

ROUTES_C = os.path.join(encore.ROOT, "src", "api", "routes.c")
ARCH_MD = os.path.join(encore.ROOT, "docs", "architecture.md")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# {"GET", "/api/v1/me", h_me_get, R_AUTH},
ROUTE_RE = re.compile(
    r'\{\s*"([A-Z]+)"\s*,\s*"(/[^"]*)"\s*,\s*([A-Za-z_]\w*)\s*,\s*([^{}]*?)\s*\}')


def norm(path):
    """Path template with parameter names erased: /users/{}/role."""
    return re.sub(r"\{[^}/]*\}", "{}", path)


def strip_c_comments(src):
    src = re.sub(r"/\*.*?\*/", " ", src, flags=re.S)
    return re.sub(r"//[^\n]*", " ", src)


def code_routes():
    """{(METHOD, normalized path): (path, handler, flags)} from routes.c."""
    if not os.path.exists(ROUTES_C):
        raise AssertionError("%s does not exist (no route table yet)" %
                             os.path.relpath(ROUTES_C, encore.ROOT))
    with open(ROUTES_C, encoding="utf-8") as f:
        src = strip_c_comments(f.read())
    m = re.search(r"\broutes\s*\[\s*\]\s*=\s*\{(.*?)\}\s*;", src, re.S)
    body = m.group(1) if m else src
    out = {}
    for method, path, handler, flags in ROUTE_RE.findall(body):
        key = (method, norm(path))
        if key in out:
            raise AssertionError("routes.c lists %s %s twice" % (method, path))
        out[key] = (path, handler, set(re.findall(r"\bR_[A-Z_]+\b", flags)))
    if not out:
        raise AssertionError("no route found in routes.c")
    return out


def spec_routes():
    """{(METHOD, normalized path): (path, operation)} from the spec."""
    out = {}
    for path, item in encore.spec().get("paths", {}).items():
        for m in METHODS:
            if m in item:
                out[(m.upper(), norm(path))] = (path, item[m])
    return out


def arch_routes():
    """{(METHOD, path)} from the table in docs/architecture.md."""
    out = set()
    with open(ARCH_MD, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"\|\s*(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s*\|\s*(/\S*)\s*\|", line)
            if m:
                out.add((m.group(1), norm(m.group(2))))
    return out


def fmt(keys):
    return ", ".join("%s %s" % k for k in sorted(keys, key=lambda k: (k[1], k[0])))


# --------------------------------------------------------------------------


def test_spec_parses_as_openapi_31():
    s = encore.spec()
    encore.check(isinstance(s, dict), "the spec is not a mapping")
    encore.check(str(s.get("openapi", "")).startswith("3.1."),
                 "openapi is %r, expected 3.1.x" % s.get("openapi"))
    for key in ("info", "paths", "components"):
        encore.check(key in s, "the spec has no %s" % key)
    encore.check(s["info"].get("title") and s["info"].get("version"),
                 "info needs title and version")
    encore.check([sv.get("url") for sv in s.get("servers", [])] == ["/"],
                 "servers must be the relative \"/\", got %r" % s.get("servers"))


def test_every_ref_resolves():
    bad = []

    def walk(node, where):
        if isinstance(node, dict):
            r = node.get("$ref")
            if isinstance(r, str):
                try:
                    encore.ref(r)
                except (KeyError, IndexError, ValueError) as e:
                    bad.append("%s -> %s (%s)" % (where, r, e))
            for k, v in node.items():
                walk(v, where + "/" + str(k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, "%s/%d" % (where, i))

    walk(encore.spec(), "#")
    encore.check(not bad, "unresolved $ref: " + "; ".join(bad))


def test_routes_match_routes_c():
    code = code_routes()
    spec = spec_routes()
    missing = set(code) - set(spec)
    extra = set(spec) - set(code)
    msgs = []
    if missing:
        msgs.append("in routes.c but not in the spec: " + fmt(missing))
    if extra:
        msgs.append("in the spec but not in routes.c: " + fmt(extra))
    encore.check(not msgs, "; ".join(msgs))


def test_route_flags_match_spec_security():
    code = code_routes()
    spec = spec_routes()
    default_sec = encore.spec().get("security")
    bad = []
    for key in sorted(set(code) & set(spec)):
        path, handler, flags = code[key]
        op = spec[key][1]
        sec = op.get("security", default_sec) or []
        needs_auth = bool(flags & {"R_AUTH", "R_ADMIN"})
        has_auth = any(req for req in sec)  # {} or [] means anonymous
        if "R_OPTAUTH" in flags:  # the spec must allow anonymous calls ({} or [])
            if sec and {} not in sec:
                bad.append("%s %s: optional auth but spec security %r" % (key[0], path, sec))
            has_auth = needs_auth
        if needs_auth != has_auth:
            bad.append("%s %s: route flags %s but spec security %r" % (
                key[0], path, sorted(flags) or "none", sec))
        responses = op.get("responses", {})
        if needs_auth and "401" not in responses:
            bad.append("%s %s: needs a token but the spec lists no 401" % (key[0], path))
        if "R_ADMIN" in flags and "403" not in responses:
            bad.append("%s %s: admin route but the spec lists no 403" % (key[0], path))
    encore.check(not bad, "; ".join(bad))


def test_spec_covers_architecture_table():
    arch = arch_routes()
    encore.check(len(arch) >= 18, "found only %d routes in architecture.md's table" % len(arch))
    spec = set(spec_routes())
    missing = arch - spec
    extra = spec - arch
    msgs = []
    if missing:
        msgs.append("in architecture.md but not in the spec: " + fmt(missing))
    if extra:
        msgs.append("in the spec but not in architecture.md: " + fmt(extra))
    encore.check(not msgs, "; ".join(msgs))


def _examples(media):
    """[(name, value)] of a media type object; [] when it has none."""
    out = []
    if "example" in media:
        out.append(("example", media["example"]))
    for name, ex in (media.get("examples") or {}).items():
        ex = encore.deref(ex)
        if "value" in ex:
            out.append((name, ex["value"]))
        elif "externalValue" not in ex:
            out.append((name, ex))  # will fail validation visibly
    return out


def test_every_operation_has_responses_and_examples():
    bad = []
    ids = {}
    for (method, _), (path, op) in sorted(spec_routes().items()):
        where = "%s %s" % (method, path)
        oid = op.get("operationId")
        if not oid:
            bad.append(where + ": no operationId")
        elif oid in ids:
            bad.append(where + ": operationId %s also used by %s" % (oid, ids[oid]))
        else:
            ids[oid] = where
        responses = op.get("responses") or {}
        if not any(c.startswith("2") for c in responses):
            bad.append(where + ": no 2xx response")
        body = op.get("requestBody")
        if body:
            body = encore.deref(body)
            for mt, media in (body.get("content") or {}).items():
                if not _examples(media):
                    bad.append("%s: request %s has no example" % (where, mt))
        for code, resp in responses.items():
            resp = encore.deref(resp)
            if not resp.get("description"):
                bad.append("%s %s: no description" % (where, code))
            for mt, media in (resp.get("content") or {}).items():
                if not _examples(media):
                    bad.append("%s %s %s: no example" % (where, code, mt))
    encore.check(not bad, "; ".join(bad))


def test_examples_match_schemas():
    bad = []
    for (method, _), (path, op) in sorted(spec_routes().items()):
        where = "%s %s" % (method, path)
        body = op.get("requestBody")
        medias = []
        if body:
            for mt, media in (encore.deref(body).get("content") or {}).items():
                medias.append(("request " + mt, media))
        for code, resp in (op.get("responses") or {}).items():
            for mt, media in (encore.deref(resp).get("content") or {}).items():
                medias.append(("%s %s" % (code, mt), media))
        for label, media in medias:
            sch = media.get("schema")
            if sch is None:
                bad.append("%s %s: no schema" % (where, label))
                continue
            for name, value in _examples(media):
                errs = encore.validate(value, sch)
                if errs:
                    bad.append("%s %s example %s: %s" % (where, label, name, "; ".join(errs[:3])))
    encore.check(not bad, "; ".join(bad))


def test_required_schemas_and_security_schemes():
    comp = encore.spec()["components"]
    schemas = comp.get("schemas", {})
    for name in ("User", "PublicUser", "TokenPair", "Preferences", "Problem", "OAuthError"):
        encore.check(name in schemas, "components/schemas lacks %s" % name)
    problem = schemas["Problem"]["properties"]
    for f in ("type", "title", "status", "detail", "errors"):
        encore.check(f in problem, "Problem lacks %s" % f)
    item = encore.deref(problem["errors"]["items"])
    encore.check(set(item.get("properties", {})) >= {"field", "message"},
                 "Problem.errors items need field and message")
    for f in ("email", "role"):
        encore.check(f not in schemas["PublicUser"].get("properties", {}),
                     "PublicUser must not expose %s" % f)
    encore.check(schemas["PublicUser"].get("additionalProperties") is False,
                 "PublicUser must forbid other properties")
    sec = comp.get("securitySchemes", {})
    bearer = [s for s in sec.values() if s.get("type") == "http" and
              str(s.get("scheme", "")).lower() == "bearer"]
    encore.check(bearer and bearer[0].get("bearerFormat") == "JWT",
                 "no http bearer JWT security scheme")
    oauth = [s for s in sec.values() if s.get("type") == "oauth2"]
    encore.check(oauth and oauth[0].get("flows", {}).get("password", {}).get("tokenUrl")
                 == "/api/v1/auth/token", "no oauth2 password flow with tokenUrl /api/v1/auth/token")


def test_request_bodies_are_closed():
    bad = []
    for (method, _), (path, op) in sorted(spec_routes().items()):
        body = op.get("requestBody")
        if not body:
            continue
        for mt, media in (encore.deref(body).get("content") or {}).items():
            sch = encore.deref(media.get("schema", {}))
            if sch.get("additionalProperties") is not False:
                bad.append("%s %s %s" % (method, path, mt))
    encore.check(not bad, "request bodies without additionalProperties: false: " + "; ".join(bad))


def test_error_responses_carry_their_headers():
    bad = []
    for (method, _), (path, op) in sorted(spec_routes().items()):
        for code, resp in (op.get("responses") or {}).items():
            resp = encore.deref(resp)
            headers = {k.lower() for k in (resp.get("headers") or {})}
            if code == "401" and "www-authenticate" not in headers:
                bad.append("%s %s 401 lacks WWW-Authenticate" % (method, path))
            if code == "429" and "retry-after" not in headers:
                bad.append("%s %s 429 lacks Retry-After" % (method, path))
            if code == "201" and "location" not in headers:
                bad.append("%s %s 201 lacks Location" % (method, path))
            if code.startswith(("4", "5")):
                mts = set((resp.get("content") or {}))
                if not mts & {"application/problem+json"} and path != "/api/v1/auth/token":
                    bad.append("%s %s %s is not application/problem+json" % (method, path, code))
    encore.check(not bad, "; ".join(bad))


def test_token_endpoint_takes_a_form():
    op = encore.operation("POST", "/api/v1/auth/token")
    content = encore.deref(op["requestBody"])["content"]
    encore.check(list(content) == ["application/x-www-form-urlencoded"],
                 "the token endpoint must take only a form, not %s" % list(content))
    r400 = encore.deref(op["responses"]["400"])["content"]
    encore.check("application/json" in r400 and
                 r400["application/json"]["schema"] == encore.schema("OAuthError"),
                 "the token endpoint's 400 must be an OAuthError")


if __name__ == "__main__":
    encore.main(globals())
