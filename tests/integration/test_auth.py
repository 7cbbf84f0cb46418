#!/usr/bin/python3
"""Accounts and sessions through nginx: register and confirm, login, the
OAuth2 token endpoint, refresh rotation, logout, password change,
forgot/reset (mail read from the stack's mbox spool) and the throttles.

Deliberate login failures come from loopback addresses of their tests'
own (encore.loopback_source()), but a few from this process's address
(encore.SOURCE_IP; login_free_address allows 30 before waits)."""

import json
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
from encore import call, check, expect, expect_problem  # noqa: E402

encore.require_stack()

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
TOKEN = "/api/v1/auth/token"
REFRESH = "/api/v1/auth/refresh"
ME = "/api/v1/me"


def refresh(token, scheme="https"):
    return call("POST", REFRESH, scheme, json_body={"refresh_token": token})


def token_form(fields, scheme="https"):
    return call("POST", TOKEN, scheme, data=fields)


def me_status(access, scheme="https"):
    r = call("GET", ME, scheme, token=access)
    if r.status_code == 200:
        expect(r, 200, "GET", ME)
    else:
        expect(r, 401, "GET", ME)
    return r.status_code


def oauth_error(r, code):
    body = expect(r, 400, "POST", TOKEN)
    check(encore.media_type(r) == "application/json",
          "RFC 6749 errors are application/json, got %s" % r.headers.get("Content-Type"))
    check(body.get("error") == code, "expected error %s, got %r" % (code, body))
    return body


# --------------------------------------------------------------------------
# register / login


def test_register_answers_202_then_confirm_opens_the_account():
    for scheme in encore.SCHEMES:
        name = encore.unique("Reg")
        mail = "%s@Example.ORG" % name
        pw = encore.strong_password()
        r = call("POST", REGISTER, scheme,
                 json_body={"username": name, "email": mail, "password": pw})
        body = expect(r, 202, "POST", REGISTER)
        check(body == {"status": "accepted"}, "register answered %r" % body)
        check(not r.headers.get("Location"), "a 202 must not point at the account")
        # pending: the login answers as a wrong password would
        p = expect_problem(encore.login_raw(name, pw, scheme), [401])
        check("not confirmed" in p.get("detail", ""), "detail %r" % p.get("detail"))
        msg = encore.wait_mail(mail.lower(), encore.CONFIRM_SUBJECT)
        tok = encore.mail_token(msg)
        check(name in encore.mail_text(msg), "the mail does not name the account")
        r = call("POST", "/api/v1/auth/confirm", scheme, json_body={"token": tok})
        expect(r, 204, "POST", "/api/v1/auth/confirm")
        r = call("POST", "/api/v1/auth/confirm", scheme, json_body={"token": tok})
        expect(r, 400, "POST", "/api/v1/auth/confirm")
        u = encore.User(name, mail, pw)
        encore.login(u, scheme)
        me = expect(call("GET", ME, scheme, token=u.access), 200, "GET", ME)
        check(me["username"] == name, "username %r != %r" % (me["username"], name))
        check(me["email"] == mail.lower(), "email not stored lower-cased: %r" % me["email"])
        check(me["display_name"] == name, "display_name should default to the username")
        check(me["role"] == "user", "a new account must have role user, got %r" % me["role"])
        check(me["avatar_url"] is None, "a new account has no avatar")


def test_confirm_bad_tokens_400():
    for tok in ("A" * 43, "short", "é" * 43):
        r = call("POST", "/api/v1/auth/confirm", json_body={"token": tok})
        expect(r, 400, "POST", "/api/v1/auth/confirm")
    expect(call("POST", "/api/v1/auth/confirm", json_body={}), 422, "POST",
           "/api/v1/auth/confirm")
    expect(call("POST", "/api/v1/auth/confirm", json_body={"token": None}), 422,
           "POST", "/api/v1/auth/confirm")


def test_register_with_display_name():
    u = encore.register(display_name="Zoë Ørsted 🎵")
    check(u.body["display_name"] == "Zoë Ørsted 🎵", "display_name not kept: %r" % u.body)


def test_register_duplicate_username_any_case_409():
    u = encore.register()
    for variant in (u.username, u.username.upper(), u.username.swapcase()):
        r = call("POST", REGISTER, json_body={
            "username": variant, "email": encore.unique("x") + "@example.org",
            "password": encore.strong_password()})
        expect(r, 409, "POST", REGISTER)


def test_register_taken_email_answers_as_a_new_one():
    # The same answer, byte for byte, for a fresh address and a taken one
    # (in any case); no account is made for the second, and the owner of the
    # address hears of the attempt.
    u = encore.register()
    fresh = encore.unique("fresh") + "@example.org"
    pw = encore.strong_password()
    intruder = encore.unique()
    r1 = call("POST", REGISTER, json_body={
        "username": encore.unique(), "email": fresh, "password": encore.strong_password()})
    r2 = call("POST", REGISTER, json_body={
        "username": intruder, "email": u.email.upper(), "password": pw})
    b1 = expect(r1, 202, "POST", REGISTER)
    b2 = expect(r2, 202, "POST", REGISTER)
    check(r1.content == r2.content and b1 == b2, "answers differ: %r vs %r" % (r1.content, r2.content))
    check(r1.headers.get("Location") == r2.headers.get("Location"), "headers differ")
    notice = encore.wait_mail(u.email, "Your Encore account")
    check(u.username in encore.mail_text(notice), "the notice does not name the account")
    check(not encore.mails(u.email, encore.CONFIRM_SUBJECT)[1:],
          "a second confirmation went to a taken address")
    expect_problem(encore.login_raw(intruder, pw), [401])
    r = call("GET", "/api/v1/users/%s" % intruder)
    expect(r, 404, "GET", "/api/v1/users/{username}")


def test_expired_pending_account_frees_its_name_and_address():
    from bulkdb import sql
    name = encore.unique("Pend")
    mail = name.lower() + "@example.org"
    encore.register(username=name, email=mail, confirm=False)
    # still pending: the name is taken
    r = call("POST", REGISTER, json_body={
        "username": name, "email": encore.unique() + "@example.org",
        "password": encore.strong_password()})
    expect(r, 409, "POST", REGISTER)
    sql("UPDATE users SET confirm_by = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND "
        "WHERE username = '%s'" % name, "encore")
    u = encore.register(username=name, email=mail)
    encore.login(u)


def test_reset_confirms_a_pending_account():
    name = encore.unique("Pend")
    mail = name.lower() + "@example.org"
    u = encore.register(username=name, email=mail, confirm=False)
    expect(call("POST", "/api/v1/auth/forgot", json_body={"email": mail}), 202,
           "POST", "/api/v1/auth/forgot")
    tok = encore.mail_token(encore.wait_mail(mail, "Reset your Encore password"))
    u.password = encore.strong_password()
    r = call("POST", "/api/v1/auth/reset", json_body={"token": tok, "new_password": u.password})
    expect(r, 204, "POST", "/api/v1/auth/reset")
    encore.login(u)


def test_register_invalid_fields_422():
    cases = [
        ({"username": "ab"}, "username"),
        ({"username": "a" * 33}, "username"),
        ({"username": "bad name!"}, "username"),
        ({"email": "no-at-sign"}, "email"),
        ({"email": "two@@example.org"}, "email"),
        ({"email": "sp ace@example.org"}, "email"),
        ({"email": "a" * 250 + "@example.org"}, "email"),
        ({"password": "short"}, "password"),
        ({"password": "password123"}, "password"),
    ]
    for override, field in cases:
        name = encore.unique()
        body = {"username": name, "email": name + "@example.org",
                "password": encore.strong_password()}
        body.update(override)
        r = call("POST", REGISTER, json_body=body)
        p = expect(r, 422, "POST", REGISTER)
        check(field in encore.error_fields(p), "%r: errors %r do not name %s" % (
            override, p.get("errors"), field))
    # the password must not contain the username or the email's local part
    name = encore.unique("Melody")
    for pw in (name + "-and-more", "xx" + name.lower() + "yy!"):
        r = call("POST", REGISTER, json_body={
            "username": name, "email": "someone-%s@example.org" % name[-6:], "password": pw})
        p = expect(r, 422, "POST", REGISTER)
        check("password" in encore.error_fields(p), "password containing the username accepted")
    r = call("POST", REGISTER, json_body={
        "username": encore.unique(), "email": "quartzlocal@example.org",
        "password": "my-quartzlocal-pass"})
    p = expect(r, 422, "POST", REGISTER)
    check("password" in encore.error_fields(p), "password containing the email local part accepted")


def test_register_missing_fields_422():
    r = call("POST", REGISTER, json_body={"username": encore.unique()})
    p = expect(r, 422, "POST", REGISTER)
    check({"email", "password"} <= encore.error_fields(p),
          "missing fields not named: %r" % p.get("errors"))


def test_login_by_username_and_by_email():
    u = encore.register()
    for scheme, name in (("https", u.username), ("http", u.email),
                         ("https", u.email.upper())):
        pair = encore.login(u, scheme, name=name)
        check(pair["token_type"] == "Bearer" and pair["scope"] == "", "odd TokenPair %r" % pair)
        check(pair["expires_in"] == 900, "expires_in %r, expected 900" % pair["expires_in"])
        h, p = encore.jwt_parts(pair["access_token"])
        check(h.get("alg") == "HS256", "access token alg %r" % h.get("alg"))
        check(p.get("sub") == str(u.id), "sub %r, expected %r" % (p.get("sub"), str(u.id)))
        check(p.get("typ") == "access" and p.get("role") == "user", "claims %r" % p)
        for c in ("iss", "aud", "sid", "jti", "iat", "nbf", "exp"):
            check(c in p, "access token lacks claim %s" % c)
        check(p["exp"] - p["iat"] == 900, "access token lifetime is not 900 s: %r" % p)
        r = call("GET", ME, scheme, token=pair["access_token"])
        me = expect(r, 200, "GET", ME)
        check(me["id"] == u.id, "the token is someone else's")


def test_login_cache_control_no_store():
    u = encore.register()
    r = encore.login_raw(u.username, u.password)
    expect(r, 200, "POST", LOGIN)
    check("no-store" in (r.headers.get("Cache-Control") or ""),
          "token answers need Cache-Control: no-store, got %r" % r.headers.get("Cache-Control"))


def test_wrong_password_401_and_token_invalid_grant():
    # 2 deliberate failures
    u = encore.register()
    r = encore.login_raw(u.username, u.password + "x")
    p = expect(r, 401, "POST", LOGIN)
    check(r.headers.get("WWW-Authenticate", "").startswith("Bearer"),
          "401 without a Bearer challenge: %r" % r.headers.get("WWW-Authenticate"))
    check(u.password not in r.text, "the answer echoes the password")
    check(p["type"] in ("urn:encore:problem:unauthorized", "urn:encore:problem:invalid-token"),
          "unexpected type %r" % p["type"])
    r = token_form({"grant_type": "password", "username": u.username,
                    "password": "wrong-" + u.password})
    oauth_error(r, "invalid_grant")
    # the account still works
    encore.login(u)


def test_login_unknown_user_and_bad_body():
    r = call("POST", LOGIN, json_body={"username": encore.unique()})
    expect(r, 422, "POST", LOGIN)
    r = call("POST", LOGIN, json_body={"password": "whatever-it-is"})
    expect(r, 422, "POST", LOGIN)


# --------------------------------------------------------------------------
# the OAuth2 token endpoint


def test_token_password_and_refresh_grants():
    u = encore.register()
    for scheme in encore.SCHEMES:
        r = token_form({"grant_type": "password", "username": u.username,
                        "password": u.password, "scope": ""}, scheme)
        pair = expect(r, 200, "POST", TOKEN)
        check("no-store" in (r.headers.get("Cache-Control") or ""), "token answer cacheable")
        check(me_status(pair["access_token"], scheme) == 200, "password grant token rejected")
        r = token_form({"grant_type": "refresh_token",
                        "refresh_token": pair["refresh_token"]}, scheme)
        pair2 = expect(r, 200, "POST", TOKEN)
        check(pair2["refresh_token"] != pair["refresh_token"], "refresh token not rotated")
        check(me_status(pair2["access_token"], scheme) == 200, "refreshed token rejected")
        # the rotated token is spent
        r = token_form({"grant_type": "refresh_token",
                        "refresh_token": pair["refresh_token"]}, scheme)
        oauth_error(r, "invalid_grant")


def test_token_rfc6749_errors():
    cases = [
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({"grant_type": "authorization_code", "code": "x"}, "unsupported_grant_type"),
        ({"grant_type": "refresh_token", "refresh_token": "A" * 43}, "invalid_grant"),
        ({"grant_type": "refresh_token", "refresh_token": "nope"}, "invalid_grant"),
        ({"grant_type": "refresh_token"}, "invalid_request"),
        ({"grant_type": "password", "username": "someone"}, "invalid_request"),
        ({"grant_type": "password", "password": "something-long"}, "invalid_request"),
        ({"username": "someone", "password": "something-long"}, "invalid_request"),
        ({}, "invalid_request"),
    ]
    for scheme in encore.SCHEMES:
        for fields, code in cases:
            if fields:
                r = token_form(fields, scheme)
            else:  # an empty form (requests would send no Content-Type)
                r = call("POST", TOKEN, scheme, data=b"",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
            try:
                oauth_error(r, code)
            except AssertionError as e:
                raise AssertionError("%s %r: %s" % (scheme, fields, e))


def test_token_endpoint_wants_a_form():
    r = call("POST", TOKEN, json_body={"grant_type": "password", "username": "x",
                                       "password": "y"})
    expect(r, 415, "POST", TOKEN)


def test_token_endpoint_ignores_client_credentials_fields():
    # Swagger UI and other OAuth2 clients may send client_id (empty) along
    u = encore.register()
    r = token_form({"grant_type": "password", "username": u.username,
                    "password": u.password, "client_id": "", "client_secret": "",
                    "scope": ""})
    expect(r, 200, "POST", TOKEN)


# --------------------------------------------------------------------------
# refresh, logout


def test_refresh_rotation_and_reuse_revokes_family():
    u = encore.new_user()
    r1 = u.refresh
    r = refresh(r1)
    pair2 = expect(r, 200, "POST", REFRESH)
    check(pair2["refresh_token"] != r1, "refresh token not rotated")
    check(me_status(pair2["access_token"]) == 200, "new access token rejected")
    # reuse of the rotated token: 401, and the family is dead
    r = refresh(r1)
    expect(r, 401, "POST", REFRESH)
    check(r.headers.get("WWW-Authenticate"), "401 without WWW-Authenticate")
    r = refresh(pair2["refresh_token"])
    expect(r, 401, "POST", REFRESH)
    check(me_status(pair2["access_token"]) == 401,
          "the access token of a revoked session still works")
    # another session of the same user is unaffected
    encore.login(u)
    check(me_status(u.access) == 200, "a new login does not work after a family revocation")


def test_refresh_garbage_401():
    for tok in ("A" * 43, "x", "-" * 43):
        r = refresh(tok)
        expect(r, 401, "POST", REFRESH)


def test_logout_revokes_session_and_token():
    u = encore.new_user()
    other = encore.User(u.username, u.email, u.password)
    encore.login(other)
    r = call("POST", "/api/v1/auth/logout", token=u.access)
    expect(r, 204, "POST", "/api/v1/auth/logout")
    check(me_status(u.access) == 401, "the access token works after logout")
    r = refresh(u.refresh)
    expect(r, 401, "POST", REFRESH)
    r = call("POST", "/api/v1/auth/logout", token=u.access)
    expect(r, 401, "POST", "/api/v1/auth/logout")
    # only this session ended
    check(me_status(other.access) == 200, "logout ended another session")
    expect(refresh(other.refresh), 200, "POST", REFRESH)


def test_logout_needs_a_token():
    r = call("POST", "/api/v1/auth/logout")
    expect(r, 401, "POST", "/api/v1/auth/logout")
    check(r.headers.get("WWW-Authenticate", "").startswith("Bearer"), "no Bearer challenge")


def test_logout_all_revokes_every_session():
    a = encore.new_user()
    b = encore.User(a.username, a.email, a.password)
    encore.login(b, "http")
    r = call("POST", "/api/v1/auth/logout-all", token=a.access)
    expect(r, 204, "POST", "/api/v1/auth/logout-all")
    for s in (a, b):
        check(me_status(s.access) == 401, "an access token works after logout-all")
        expect(refresh(s.refresh), 401, "POST", REFRESH)
    encore.login(a)  # logging in again works
    check(me_status(a.access) == 200, "login after logout-all does not work")


# --------------------------------------------------------------------------
# password change


def test_password_change():
    # 1 deliberate failure (the old password after the change)
    a = encore.new_user()
    b = encore.User(a.username, a.email, a.password)
    encore.login(b)
    path = "/api/v1/auth/password"
    new_pw = encore.strong_password()
    r = call("POST", path, token=a.access,
             json_body={"current_password": "not-" + a.password, "new_password": new_pw})
    expect(r, 403, "POST", path)
    r = call("POST", path, token=a.access,
             json_body={"current_password": a.password, "new_password": "short"})
    p = expect(r, 422, "POST", path)
    check("new_password" in encore.error_fields(p), "weak new_password not named: %r" % p)
    r = call("POST", path, json_body={"current_password": a.password, "new_password": new_pw})
    expect(r, 401, "POST", path)
    r = call("POST", path, token=a.access,
             json_body={"current_password": a.password, "new_password": new_pw})
    expect(r, 204, "POST", path)
    # other sessions are gone, this one stays
    expect(refresh(b.refresh), 401, "POST", REFRESH)
    check(me_status(b.access) == 401, "another session's access token survived the change")
    check(me_status(a.access) == 200, "the session that changed the password was ended")
    # the new password works, the old one does not
    r = encore.login_raw(a.username, a.password)
    expect(r, 401, "POST", LOGIN)
    a.password = new_pw
    encore.login(a)


# --------------------------------------------------------------------------
# forgot / reset (mail read from the stack's mbox spool)


def test_forgot_and_reset():
    # 1 deliberate failure (the old password after the reset)
    u = encore.new_user()
    unknown = encore.unique("nobody") + "@example.org"
    r1 = call("POST", "/api/v1/auth/forgot", json_body={"email": unknown})
    b1 = expect(r1, 202, "POST", "/api/v1/auth/forgot")
    r2 = call("POST", "/api/v1/auth/forgot", json_body={"email": u.email.upper()})
    b2 = expect(r2, 202, "POST", "/api/v1/auth/forgot")
    check(b1 == b2 == {"status": "accepted"}, "answers differ: %r vs %r" % (b1, b2))
    check(r1.content == r2.content, "bodies differ byte-wise: %r vs %r" % (r1.content, r2.content))
    msg = encore.wait_mail(u.email, "Reset your Encore password")
    check(msg["To"] and u.email.lower() in str(msg["To"]).lower(), "mail To: %r" % msg["To"])
    check(msg["Date"] and msg["Message-ID"], "mail without Date or Message-ID")
    tok = encore.mail_token(msg)
    check(not encore.mails(unknown), "a mail went to the unknown address")
    # a wrong token
    new_pw = encore.strong_password()
    r = call("POST", "/api/v1/auth/reset", json_body={"token": "A" * 43, "new_password": new_pw})
    expect(r, 400, "POST", "/api/v1/auth/reset")
    # a weak password with the right token: rejected and the token not spent
    r = call("POST", "/api/v1/auth/reset", json_body={"token": tok, "new_password": "short"})
    expect(r, 422, "POST", "/api/v1/auth/reset")
    r = call("POST", "/api/v1/auth/reset", json_body={"token": tok, "new_password": new_pw})
    expect(r, 204, "POST", "/api/v1/auth/reset")
    r = call("POST", "/api/v1/auth/reset",
             json_body={"token": tok, "new_password": encore.strong_password()})
    expect(r, 400, "POST", "/api/v1/auth/reset")
    # every session revoked; old password dead, new one works
    check(me_status(u.access) == 401, "a session survived the reset")
    expect(refresh(u.refresh), 401, "POST", REFRESH)
    expect(encore.login_raw(u.username, u.password), 401, "POST", LOGIN)
    u.password = new_pw
    encore.login(u)


def test_forgot_invalid_email_422():
    for bad in ("not-an-email", "", "a@b@c"):
        r = call("POST", "/api/v1/auth/forgot", json_body={"email": bad})
        p = expect(r, 422, "POST", "/api/v1/auth/forgot")
        check("email" in encore.error_fields(p), "errors do not name email: %r" % p)


# --------------------------------------------------------------------------
# throttling


def login_from(ip, name, password):
    body = json.dumps({"username": name, "password": password}).encode()
    return encore.raw("POST", LOGIN, "https", {"Content-Type": "application/json"},
                      body, source=ip)


def other_address():
    ip = encore.loopback_source()
    if not ip:
        raise encore.Skip("cannot connect from a second loopback address")
    return ip


def retry_after(r):
    ra = r.headers.get("Retry-After", "")
    check(ra.isdigit() and 1 <= int(ra) <= 900, "Retry-After %r is not 1..900 seconds" % ra)
    return int(ra)


def test_login_throttle_per_account_and_address_doubles_the_wait():
    # login_free (5) failures of one account from one address (4 by login, 1
    # by the token endpoint: both are logins), then waits that double; the
    # owner from another address is not held back, and a success from this
    # one, once the wait is over, starts the count again.
    ip = other_address()
    u = encore.register()
    free = int(encore.conf().get("login_free", 5))
    statuses = [login_from(ip, u.username, "wrong-password-%d" % i).status_code
                for i in range(free - 1)]
    check(statuses == [401] * (free - 1), "failures before the limit should be 401: %r" % statuses)
    r = encore.raw("POST", TOKEN, "https",
                   {"Content-Type": "application/x-www-form-urlencoded"},
                   b"grant_type=password&username=%s&password=wrong-pw-x" % u.username.encode(),
                   source=ip)
    check(r.status_code == 400 and r.json()["error"] == "invalid_grant",
          "the token endpoint's failure: %s %r" % (r.status_code, r.content[:200]))
    last = login_from(ip, u.username, u.password)  # right, but must wait
    p = expect(last, 429, "POST", LOGIN)
    check(p["type"] == "urn:encore:problem:rate-limited", "type %r" % p["type"])
    first = retry_after(last)
    r = encore.raw("POST", TOKEN, "https",
                   {"Content-Type": "application/x-www-form-urlencoded"},
                   b"grant_type=password&username=%s&password=x" % u.username.encode(),
                   source=ip)
    check(r.status_code == 429 and (r.headers.get("Retry-After") or "").isdigit(),
          "token endpoint while waiting: %s %r" % (r.status_code, r.headers.get("Retry-After")))
    # the owner elsewhere logs in at once
    encore.login(u)
    # after the wait one more guess is allowed, and the next wait is longer
    time.sleep(first + 0.2)
    expect(login_from(ip, u.username, "wrong-again"), 401, "POST", LOGIN)
    # the next wait has begun; a busy server may answer a probe only after
    # it ended (then the probe counts too, and the wait after it is longer)
    for i in range(3):
        r = login_from(ip, u.username, "wrong-probe-%d" % i)
        if r.status_code != 401:
            break
    second = retry_after(expect_429(r))
    check(second > first, "the wait did not grow: %d then %d" % (first, second))
    time.sleep(second + 0.2)
    expect(login_from(ip, u.username, u.password), 200, "POST", LOGIN)
    # a success starts again: free failures anew
    expect(login_from(ip, u.username, "wrong-once-more"), 401, "POST", LOGIN)


def expect_429(r):
    expect(r, 429, "POST", LOGIN)
    return r


def test_login_throttle_per_address():
    # login_free_address (30) failures on unknown accounts from an address of
    # this test's own; then every login from there waits, while the same
    # account elsewhere is fine
    ip = other_address()
    free = int(encore.conf().get("login_free_address", 30))
    u = encore.register()
    statuses = [login_from(ip, encore.unique("nobody"), "wrong-password").status_code
                for _ in range(free)]
    check(statuses == [401] * free, "the first %d failures should be 401: %r" % (free, statuses))
    retry_after(expect_429(login_from(ip, u.username, u.password)))
    encore.login(u)


def test_login_throttle_per_account_spares_known_addresses():
    # Guesses from many addresses hold the account back (login_free_account,
    # 100, across addresses), but not the owner on an address that has opened
    # a session before: a stranger cannot lock the owner out.
    free_ua = int(encore.conf().get("login_free", 5))
    free_u = int(encore.conf().get("login_free_account", 100))
    u = encore.register()
    home = other_address()
    expect(login_from(home, u.username, u.password), 200, "POST", LOGIN)
    failures = 0
    while failures < free_u:
        ip = other_address()
        for _ in range(min(free_ua, free_u - failures)):
            expect(login_from(ip, u.username, "guess-%d" % failures), 401, "POST", LOGIN)
            failures += 1
    # past the ceiling the waits double from a second; wait them out until
    # one is 4 s long, so that the next attempts surely fall inside it
    wait = 0
    for i in range(8):
        r = login_from(other_address(), u.username, "guess-more-%d" % i)
        if r.status_code == 429:
            wait = retry_after(r)
            if wait >= 4:
                break
            time.sleep(wait + 0.2)
        else:
            expect(r, 401, "POST", LOGIN)
    check(wait >= 4, "the per-account waits did not grow to 4 s")
    stranger = other_address()
    retry_after(expect_429(login_from(stranger, u.username, u.password)))
    expect(login_from(home, u.username, u.password), 200, "POST", LOGIN)


def test_password_checks_share_the_throttle():
    # POST /auth/password and DELETE /me check the current password under the
    # same per-account-and-address throttle as a login: login_free wrong
    # guesses, then doubling waits (waited out here until one is 4 s long, so
    # that the next calls surely fall inside it)
    free = int(encore.conf().get("login_free", 5))
    u = encore.new_user()
    path = "/api/v1/auth/password"

    def change(current):
        return call("POST", path, token=u.access,
                    json_body={"current_password": current,
                               "new_password": encore.strong_password()})

    statuses, wait = [], 0
    for i in range(free + 6):
        r = change("wrong-%d" % i)
        statuses.append(r.status_code)
        if r.status_code == 429:
            wait = retry_after(r)
            if wait >= 4:
                break
            time.sleep(wait + 0.2)
        else:
            expect(r, 403, "POST", path)
    check(statuses[:free] == [403] * free, "the free guesses: %r" % statuses)
    check(wait >= 4, "the waits did not grow to 4 s: %r" % statuses)
    r = change(u.password)
    expect(r, 429, "POST", path)
    r = call("DELETE", ME, token=u.access, json_body={"password": u.password})
    expect(r, 429, "DELETE", ME)
    # still there
    check(me_status(u.access) == 200, "the account went away while throttled")


def test_register_and_forgot_are_limited_per_address():
    ip = other_address()
    free = int(encore.conf().get("register_free", 10))

    def post(path, body):
        return encore.raw("POST", path, "https", {"Content-Type": "application/json"},
                          json.dumps(body).encode(), source=ip)

    for i in range(free):
        name = encore.unique("Lim")
        r = post(REGISTER, {"username": name, "email": name.lower() + "@example.org",
                            "password": encore.strong_password()})
        check(r.status_code == 202, "registration %d answered %d" % (i + 1, r.status_code))
    name = encore.unique("Lim")
    r = post(REGISTER, {"username": name, "email": name.lower() + "@example.org",
                        "password": encore.strong_password()})
    expect(r, 429, "POST", REGISTER)
    check((r.headers.get("Retry-After") or "").isdigit(), "429 without Retry-After")
    for i in range(10):
        r = post("/api/v1/auth/forgot", {"email": encore.unique() + "@example.org"})
        check(r.status_code == 202, "reset request %d answered %d" % (i + 1, r.status_code))
    r = post("/api/v1/auth/forgot", {"email": encore.unique() + "@example.org"})
    expect(r, 429, "POST", "/api/v1/auth/forgot")


if __name__ == "__main__":
    encore.main(globals())
