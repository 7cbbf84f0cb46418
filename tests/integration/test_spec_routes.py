#!/usr/bin/python3
"""The spec (docs/openapi.yaml) against the code and the architecture notes:
the route table (src/api/routes.c, as `encore-api --routes` prints it) and
the spec's operations must be the same set, with the same path and query
parameters under the same rules; the spec must be well-formed OpenAPI 3.1
with examples that match its own schemas. Needs no running stack."""

import json
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402

ARCH_MD = os.path.join(encore.ROOT, "docs", "architecture.md")
# Paths of the Last.fm and ListenBrainz compatible APIs and the Last.fm
# approval page, outside /api/v1.
COMPAT_PREFIXES = ("/2.0/", "/1/", "/api/auth/")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def norm(path):
    """Path template with parameter names erased: /users/{}/role."""
    return re.sub(r"\{[^}/]*\}", "{}", path)


_table = None


def route_table():
    """The route table as encore-api prints it (`encore-api --routes`):
    method, path, flags, path parameters with their kinds, query parameters
    with their rules."""
    global _table
    if _table is None:
        build = os.environ.get("ENCORE_BUILDDIR") or os.path.join(encore.ROOT, "build")
        api = os.path.join(build, "src", "api", "encore-api")
        if not os.access(api, os.X_OK):
            raise encore.Skip("%s is not built" % api)
        out = subprocess.run([api, "--routes"], capture_output=True, text=True,
                             timeout=30)
        if out.returncode != 0:
            raise AssertionError("encore-api --routes failed: %s" % out.stderr)
        _table = json.loads(out.stdout)
    return _table


def code_routes():
    """{(METHOD, normalized path): (path, route)} from the route table."""
    out = {}
    for rt in route_table():
        key = (rt["method"], norm(rt["path"]))
        if key in out:
            raise AssertionError("the route table lists %s %s twice" % key)
        out[key] = (rt["path"], rt)
    if not out:
        raise AssertionError("no route in the route table")
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


def spec_params(path_item, op, where):
    """{name: schema} of the operation's parameters `where` is (path, query)."""
    out = {}
    for p in (path_item.get("parameters") or []) + (op.get("parameters") or []):
        p = encore.deref(p)
        if p.get("in") == where:
            out[p["name"]] = encore.deref(p.get("schema") or {})
    return out


def schema_of(sch):
    """The schema itself or, for an array, its items (exploded lists)."""
    sch = encore.deref(sch)
    if sch.get("type") == "array":
        return encore.deref(sch.get("items") or {}), True
    return sch, False


def test_declared_parameters_match_the_spec():
    # Every path and query parameter the router checks is in the spec with
    # the same rule, and the spec lists no parameter the router ignores.
    code = code_routes()
    paths = encore.spec()["paths"]
    bad = []
    for key, (path, rt) in sorted(code.items()):
        spec_path = next((p for p in paths if norm(p) == key[1]), None)
        if not spec_path:
            continue  # test_routes_match_routes_c says so
        item = paths[spec_path]
        op = item.get(key[0].lower())
        if not op:
            continue
        where = "%s %s" % key
        sq = spec_params(item, op, "query")
        declared = {q["name"]: q for q in rt["query"]}
        for name in sorted(set(sq) - set(declared)):
            bad.append("%s: ?%s is in the spec but not declared" % (where, name))
        for name, q in declared.items():
            if name not in sq:
                bad.append("%s: ?%s is declared but not in the spec" % (where, name))
                continue
            sch, is_list = schema_of(sq[name])
            kind = q["kind"]
            if kind in ("integer",):
                if sch.get("type") != "integer":
                    bad.append("%s: ?%s is an integer, spec type %r" % (where, name, sch.get("type")))
                if sch.get("minimum") != q.get("min") or sch.get("maximum") != q.get("max"):
                    bad.append("%s: ?%s in %s..%s, spec %s..%s" % (
                        where, name, q.get("min"), q.get("max"), sch.get("minimum"), sch.get("maximum")))
            elif kind == "number":
                if sch.get("type") != "number" or sch.get("minimum") != q["min"] or \
                        sch.get("maximum") != q["max"]:
                    bad.append("%s: ?%s is a number in %s..%s, spec %r" % (where, name, q["min"], q["max"], sch))
            elif kind == "boolean":
                if sch.get("type") != "boolean":
                    bad.append("%s: ?%s is a boolean, spec %r" % (where, name, sch))
            elif kind in ("word", "words"):
                if sorted(sch.get("enum") or []) != sorted(q["enum"]):
                    bad.append("%s: ?%s is one of %s, spec enum %r" % (where, name, q["enum"], sch.get("enum")))
            elif kind == "time":
                if sch.get("format") != "date-time":
                    bad.append("%s: ?%s is a timestamp, spec %r" % (where, name, sch))
            elif kind == "text":
                if sch.get("type") != "string" or sch.get("maxLength") != q.get("max") or \
                        (sch.get("minLength") or 0) != q.get("min", 0):
                    bad.append("%s: ?%s is text of %s..%s characters, spec %r" % (
                        where, name, q.get("min"), q.get("max"), sch))
            if q.get("default") is not None and sch.get("default") != q["default"]:
                bad.append("%s: ?%s defaults to %s, spec %r" % (where, name, q["default"], sch.get("default")))
        sp = spec_params(item, op, "path")
        for p in rt["path_params"]:
            sch = sp.get(p["name"])
            if sch is None:
                bad.append("%s: {%s} is not described in the spec" % (where, p["name"]))
                continue
            k = p["kind"]
            if k == "id" and (sch.get("type") != "integer" or sch.get("minimum") != 1):
                bad.append("%s: {%s} is an id, spec %r" % (where, p["name"], sch))
            elif "|" in k and sorted(sch.get("enum") or []) != sorted(k.split("|")):
                bad.append("%s: {%s} is one of %s, spec %r" % (where, p["name"], k, sch))
            elif k in ("username", "token") and sch.get("type") != "string":
                bad.append("%s: {%s} is a %s, spec %r" % (where, p["name"], k, sch))
    encore.check(not bad, "%d mismatches: %s" % (len(bad), "; ".join(bad)))


def test_route_flags_match_spec_security():
    code = code_routes()
    spec = spec_routes()
    default_sec = encore.spec().get("security")
    bad = []
    for key in sorted(set(code) & set(spec)):
        path, rt = code[key]
        flags = set(rt["flags"])
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
            # The compatibility endpoints answer in their protocols' shapes
            # (Last.fm's XML/JSON, ListenBrainz's {code, error}, an HTML
            # page), as the token endpoint answers RFC 6749's.
            own_shape = path == "/api/v1/auth/token" or path.startswith(COMPAT_PREFIXES)
            if code.startswith(("4", "5")):
                mts = set((resp.get("content") or {}))
                if not mts & {"application/problem+json"} and not own_shape:
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
