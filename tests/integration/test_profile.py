#!/usr/bin/python3
"""Profiles through nginx: GET/PATCH/DELETE /api/v1/me, public profiles,
preferences, and the admin role route.

Deliberate login failures here: 1."""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
from encore import call, check, expect  # noqa: E402

encore.require_stack()

ME = "/api/v1/me"
PREFS = "/api/v1/me/preferences"
USER = "/api/v1/users/{username}"
ROLE = "/api/v1/admin/users/{username}/role"

DEFAULTS = {"favourite_genres": [], "favourite_artists": [], "explicit_content": True,
            "language": "en", "history_visibility": "followers", "time_zone": "UTC",
            "follow_policy": "open"}


def patch(u, body, scheme="https"):
    return call("PATCH", ME, scheme, token=u.access, json_body=body)


def invalid(r, method, route, *fields):
    p = expect(r, 422, method, route)
    named = encore.error_fields(p)
    for f in fields:
        check(f in named, "422 errors %r do not name %r" % (p.get("errors"), f))
    return p


# --------------------------------------------------------------------------
# /me


def test_get_me():
    for scheme in encore.SCHEMES:
        u = encore.new_user(scheme)
        r = call("GET", ME, scheme, token=u.access)
        me = expect(r, 200, "GET", ME)
        # u.body is the public profile read after registration: the private
        # view holds every member of it, equal
        public = {k: v for k, v in u.body.items() if not k.endswith("_count")}
        same = {k: me.get(k) for k in public}
        check(same == public, "GET /me %r differs from the public profile %r" % (me, u.body))
        check(me["email"] == u.email.lower() and me["role"] == "user",
              "GET /me email/role: %r" % me)
        check(not any("password" in k for k in me), "the private view has a password field")


def test_patch_me_fields():
    u = encore.new_user()
    r = patch(u, {"display_name": "Ada Lovelace", "bio": "Analytical engines.",
                  "avatar_url": "https://img.example.org/a.png"})
    me = expect(r, 200, "PATCH", ME)
    check(me["display_name"] == "Ada Lovelace" and me["bio"] == "Analytical engines." and
          me["avatar_url"] == "https://img.example.org/a.png", "PATCH not applied: %r" % me)
    check(me["updated_at"] >= me["created_at"], "updated_at before created_at")
    # only the given field changes
    me2 = expect(patch(u, {"bio": ""}), 200, "PATCH", ME)
    check(me2["bio"] == "" and me2["display_name"] == "Ada Lovelace" and
          me2["avatar_url"] == "https://img.example.org/a.png", "PATCH touched other fields: %r" % me2)
    # null clears the avatar
    me3 = expect(patch(u, {"avatar_url": None}), 200, "PATCH", ME)
    check(me3["avatar_url"] is None, "avatar_url null did not clear: %r" % me3)
    got = expect(call("GET", ME, token=u.access), 200, "GET", ME)
    check(got["avatar_url"] is None and got["display_name"] == "Ada Lovelace",
          "GET /me does not show the edits: %r" % got)
    # an empty patch changes nothing
    expect(patch(u, {}), 200, "PATCH", ME)


def test_patch_limits_count_code_points():
    u = encore.new_user()
    me = expect(patch(u, {"display_name": "é" * 64, "bio": "🎵" * 500}), 200, "PATCH", ME)
    check(me["display_name"] == "é" * 64 and me["bio"] == "🎵" * 500,
          "multi-byte text not kept intact")
    invalid(patch(u, {"display_name": "é" * 65}), "PATCH", ME, "display_name")
    invalid(patch(u, {"bio": "🎵" * 501}), "PATCH", ME, "bio")


def test_patch_me_rejects_unknown_keys():
    u = encore.new_user()
    r = patch(u, {"role": "admin", "id": 1, "is_admin": True})
    invalid(r, "PATCH", ME, "role", "id", "is_admin")
    r = patch(u, {"display_name": "fine", "email": "other@example.org"})
    invalid(r, "PATCH", ME, "email")
    me = expect(call("GET", ME, token=u.access), 200, "GET", ME)
    check(me["role"] == "user" and me["id"] == u.id and me["email"] == u.email.lower(),
          "a rejected PATCH changed the account: %r" % me)
    check(me["display_name"] == u.username, "a rejected PATCH applied its valid part")


def test_patch_me_invalid_values():
    u = encore.new_user()
    cases = [
        ({"display_name": "x" * 65}, "display_name"),
        ({"display_name": ""}, "display_name"),
        ({"display_name": 5}, "display_name"),
        ({"bio": "b" * 501}, "bio"),
        ({"bio": ["list"]}, "bio"),
        ({"avatar_url": "http://img.example.org/a.png"}, "avatar_url"),
        ({"avatar_url": "javascript:alert(1)"}, "avatar_url"),
        ({"avatar_url": "ftp://example.org/a.png"}, "avatar_url"),
        ({"avatar_url": "https://example.org/" + "a" * 2048}, "avatar_url"),
        ({"avatar_url": 12}, "avatar_url"),
    ]
    for body, field in cases:
        try:
            invalid(patch(u, body), "PATCH", ME, field)
        except AssertionError as e:
            raise AssertionError("%r: %s" % (body, e))
    # several bad fields are all named
    invalid(patch(u, {"bio": "b" * 501, "avatar_url": "http://x"}), "PATCH", ME, "bio", "avatar_url")


def test_me_needs_a_token():
    for method in ("GET", "PATCH", "DELETE"):
        r = call(method, ME, json_body={} if method != "GET" else None)
        expect(r, 401, method, ME)
        check(r.headers.get("WWW-Authenticate", "").startswith('Bearer realm="encore"'),
              "%s: WWW-Authenticate %r" % (method, r.headers.get("WWW-Authenticate")))


def test_delete_me():
    # 1 deliberate login failure (after the deletion)
    u = encore.new_user()
    other = encore.User(u.username, u.email, u.password)
    encore.login(other, "http")
    r = call("DELETE", ME, token=u.access, json_body={"password": "not-" + u.password})
    expect(r, 403, "DELETE", ME)
    r = call("DELETE", ME, token=u.access, json_body={})
    invalid(r, "DELETE", ME, "password")
    expect(call("GET", ME, token=u.access), 200, "GET", ME)  # still there
    r = call("DELETE", ME, token=u.access, json_body={"password": u.password})
    expect(r, 204, "DELETE", ME)
    for s, scheme in ((u, "https"), (other, "http")):
        expect(call("GET", ME, scheme, token=s.access), 401, "GET", ME)
        r = call("POST", "/api/v1/auth/refresh", scheme, json_body={"refresh_token": s.refresh})
        expect(r, 401, "POST", "/api/v1/auth/refresh")
    expect(encore.login_raw(u.username, u.password), 401, "POST", "/api/v1/auth/login")
    expect(call("GET", "/api/v1/users/" + u.username), 404, "GET", USER)
    # the name and address are free again
    encore.register(username=u.username, email=u.email)


def test_etag_and_not_modified():
    u = encore.new_user()
    for path, route, tok in ((ME, ME, u.access),
                             ("/api/v1/users/" + u.username, USER, None)):
        r = call("GET", path, token=tok)
        expect(r, 200, "GET", route)
        tag = r.headers.get("ETag")
        check(tag, "%s: no ETag" % path)
        r = call("GET", path, token=tok, headers={"If-None-Match": tag})
        expect(r, 304, "GET", route)
        check(not r.content, "304 with a body")
    r = call("GET", ME, token=u.access)
    tag = r.headers.get("ETag")
    expect(patch(u, {"bio": "changed"}), 200, "PATCH", ME)
    r = call("GET", ME, token=u.access, headers={"If-None-Match": tag})
    expect(r, 200, "GET", ME)
    check(r.headers.get("ETag") != tag, "the ETag did not change with the profile")


# --------------------------------------------------------------------------
# public profiles


def test_public_profile_has_public_fields_only():
    u = encore.new_user()
    expect(patch(u, {"bio": "hello", "avatar_url": "https://img.example.org/x.png"}),
           200, "PATCH", ME)
    for scheme in encore.SCHEMES:
        r = call("GET", "/api/v1/users/" + u.username, scheme)
        pub = expect(r, 200, "GET", USER)
        check(set(pub) == {"id", "username", "display_name", "bio", "avatar_url", "created_at",
                          "follower_count", "following_count"},
              "public fields %r" % sorted(pub))
        check(pub["id"] == u.id and pub["bio"] == "hello", "wrong profile %r" % pub)
        check(u.email.lower() not in r.text.lower(), "the public profile leaks the email")
    # anyone may look, with or without a token
    viewer = encore.new_user()
    expect(call("GET", "/api/v1/users/" + u.username, token=viewer.access), 200, "GET", USER)


def test_public_profile_lookup_ignores_case():
    u = encore.register(username=encore.unique("CaSe"))
    pub = expect(call("GET", "/api/v1/users/" + u.username.swapcase()), 200, "GET", USER)
    check(pub["username"] == u.username, "username case not kept: %r" % pub["username"])


def test_public_profile_unknown_404():
    for name in (encore.unique("ghost"), "a", "x" * 40, "bad%20name", "%C3%A9t%C3%A9"):
        r = call("GET", "/api/v1/users/" + name)
        p = expect(r, 404, "GET", USER)
        check(p["type"] == "urn:encore:problem:not-found", "type %r" % p["type"])


# --------------------------------------------------------------------------
# preferences


def test_preferences_defaults():
    u = encore.new_user()
    for scheme in encore.SCHEMES:
        prefs = expect(call("GET", PREFS, scheme, token=u.access), 200, "GET", PREFS)
        check(prefs == DEFAULTS, "defaults %r, expected %r" % (prefs, DEFAULTS))
    expect(call("GET", PREFS), 401, "GET", PREFS)


def test_preferences_put_and_get():
    u = encore.new_user()
    want = {"favourite_genres": ["jazz", "post-rock", "música popular"],
            "favourite_artists": ["Nina Simone", "Mogwai"], "explicit_content": False,
            "language": "pt-BR", "history_visibility": "followers"}
    got = expect(call("PUT", PREFS, token=u.access, json_body=want), 200, "PUT", PREFS)
    want = dict(want, time_zone="UTC", follow_policy="open")  # the defaults
    check(got == want, "PUT answered %r, expected %r" % (got, want))
    got = expect(call("GET", PREFS, "http", token=u.access), 200, "GET", PREFS)
    check(got == want, "GET after PUT %r, expected %r" % (got, want))
    # limits are inclusive
    full = {"favourite_genres": ["g%02d" % i + "x" * 60 for i in range(50)],
            "favourite_artists": ["a%03d" % i + "y" * 124 for i in range(100)]}
    got = expect(call("PUT", PREFS, token=u.access, json_body=full), 200, "PUT", PREFS)
    check(got["favourite_genres"] == full["favourite_genres"] and
          got["favourite_artists"] == full["favourite_artists"], "full lists not kept")
    # missing fields take their defaults (PUT replaces)
    got = expect(call("PUT", PREFS, token=u.access, json_body={"language": "fr"}), 200, "PUT", PREFS)
    check(got == dict(DEFAULTS, language="fr"), "PUT did not reset the other fields: %r" % got)
    got = expect(call("PUT", PREFS, token=u.access, json_body={}), 200, "PUT", PREFS)
    check(got == DEFAULTS, "an empty PUT did not restore the defaults: %r" % got)


def test_preferences_invalid():
    u = encore.new_user()
    cases = [
        ({"history_visibility": "friends"}, "history_visibility"),
        ({"history_visibility": 1}, "history_visibility"),
        ({"favourite_genres": ["g%d" % i for i in range(51)]}, "favourite_genres"),
        ({"favourite_genres": ["x" * 256]}, "favourite_genres"),
        ({"favourite_genres": [""]}, "favourite_genres"),
        ({"favourite_genres": "jazz"}, "favourite_genres"),
        ({"favourite_genres": [1, 2]}, "favourite_genres"),
        ({"favourite_genres": None}, "favourite_genres"),
        ({"favourite_artists": ["a%d" % i for i in range(101)]}, "favourite_artists"),
        ({"favourite_artists": ["y" * 129]}, "favourite_artists"),
        ({"favourite_artists": {"a": 1}}, "favourite_artists"),
        ({"explicit_content": "yes"}, "explicit_content"),
        ({"explicit_content": 1}, "explicit_content"),
        ({"language": "not a tag!"}, "language"),
        ({"language": ""}, "language"),
        ({"language": 5}, "language"),
        ({"theme": "dark"}, "theme"),
    ]
    for body, field in cases:
        try:
            invalid(call("PUT", PREFS, token=u.access, json_body=body), "PUT", PREFS, field)
        except AssertionError as e:
            raise AssertionError("%r: %s" % (body, e))
    got = expect(call("GET", PREFS, token=u.access), 200, "GET", PREFS)
    check(got == DEFAULTS, "a rejected PUT changed the preferences: %r" % got)


# --------------------------------------------------------------------------
# admin


def test_admin_sets_role():
    adm = encore.admin()
    u = encore.new_user()
    path = "/api/v1/admin/users/%s/role" % u.username
    for scheme, role in (("https", "editor"), ("http", "admin"), ("https", "user")):
        r = call("PUT", path, scheme, token=adm.access, json_body={"role": role})
        got = expect(r, 200, "PUT", ROLE)
        check(got["role"] == role and got["id"] == u.id, "role not set: %r" % got)
    expect(call("PUT", path, token=adm.access, json_body={"role": "editor"}), 200, "PUT", ROLE)
    # the next token carries the role
    pair = encore.login(u)
    check(encore.jwt_parts(pair["access_token"])[1].get("role") == "editor",
          "the new token does not carry role editor")
    me = expect(call("GET", ME, token=u.access), 200, "GET", ME)
    check(me["role"] == "editor", "GET /me shows role %r" % me["role"])


def test_admin_role_route_errors():
    adm = encore.admin()
    u = encore.new_user()
    path = "/api/v1/admin/users/%s/role" % u.username
    r = call("PUT", path, token=u.access, json_body={"role": "admin"})
    expect(r, 403, "PUT", ROLE)
    me = expect(call("GET", ME, token=u.access), 200, "GET", ME)
    check(me["role"] == "user", "a non-admin changed a role")
    expect(call("PUT", path, json_body={"role": "admin"}), 401, "PUT", ROLE)
    r = call("PUT", path, token=adm.access, json_body={"role": "superuser"})
    invalid(r, "PUT", ROLE, "role")
    r = call("PUT", path, token=adm.access, json_body={"role": "editor", "id": 1})
    invalid(r, "PUT", ROLE, "id")
    r = call("PUT", "/api/v1/admin/users/%s/role" % encore.unique("ghost"),
             token=adm.access, json_body={"role": "editor"})
    expect(r, 404, "PUT", ROLE)


if __name__ == "__main__":
    encore.main(globals())
