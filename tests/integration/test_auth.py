#!/usr/bin/python3
"""Accounts and sessions through nginx: register, login, the OAuth2 token
endpoint, refresh rotation, logout, password change, forgot/reset (with a
local SMTP sink on $ENCORE_SMTP_PORT) and the login throttles.

Deliberate login failures: 9 from this process's own loopback address
(encore.SOURCE_IP; the per-address limit is 20 per 15 minutes), and 20 more
from a second address of the per-address throttle test alone."""

import email
import email.policy
import json
import os
import re
import socketserver
import sys
import threading
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


def test_register_answers_201_user_and_location():
    for scheme in encore.SCHEMES:
        name = encore.unique("Reg")
        mail = "%s@Example.ORG" % name
        r = call("POST", REGISTER, scheme,
                 json_body={"username": name, "email": mail,
                            "password": encore.strong_password()})
        user = expect(r, 201, "POST", REGISTER)
        check(user["username"] == name, "username %r != %r" % (user["username"], name))
        check(user["email"] == mail.lower(), "email not stored lower-cased: %r" % user["email"])
        check(user["display_name"] == name, "display_name should default to the username")
        check(user["role"] == "user", "a new account must have role user, got %r" % user["role"])
        check(user["avatar_url"] is None, "a new account has no avatar")
        loc = r.headers.get("Location")
        check(loc, "201 without Location")
        path = loc if loc.startswith("/") else "/" + loc.split("/", 3)[3]
        r2 = call("GET", path, scheme)
        pub = expect(r2, 200, "GET", "/api/v1/users/{username}")
        check(pub["id"] == user["id"], "Location %s is not the new user" % loc)


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


def test_register_duplicate_email_any_case_409():
    u = encore.register()
    r = call("POST", REGISTER, json_body={
        "username": encore.unique(), "email": u.email.upper(),
        "password": encore.strong_password()})
    expect(r, 409, "POST", REGISTER)


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
# forgot / reset with a local SMTP sink


class _Mailbox:
    def __init__(self):
        self.cond = threading.Condition()
        self.messages = []  # (rcpts, data bytes)

    def add(self, rcpts, data):
        with self.cond:
            self.messages.append((rcpts, data))
            self.cond.notify_all()

    def wait_for(self, rcpt, timeout):
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                for rcpts, data in self.messages:
                    if any(rcpt.lower() in x.lower() for x in rcpts):
                        return data
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def to(self, rcpt):
        with self.cond:
            return [d for rs, d in self.messages if any(rcpt.lower() in x.lower() for x in rs)]


MAILBOX = _Mailbox()


class _SMTPHandler(socketserver.StreamRequestHandler):
    timeout = 30

    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        self.reply("220 localhost Encore test sink")
        rcpts = []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode("utf-8", "replace").strip()
            verb = cmd.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.reply("250-localhost")
                self.reply("250-8BITMIME")
                self.reply("250 SMTPUTF8")
            elif verb == "HELO":
                self.reply("250 localhost")
            elif verb == "MAIL":
                rcpts = []
                self.reply("250 OK")
            elif verb == "RCPT":
                rcpts.append(cmd.split(":", 1)[1].strip() if ":" in cmd else cmd)
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while True:
                    l = self.rfile.readline()
                    if not l or l.rstrip(b"\r\n") == b".":
                        break
                    if l.startswith(b".."):
                        l = l[1:]
                    lines.append(l)
                MAILBOX.add(list(rcpts), b"".join(lines))
                self.reply("250 OK queued")
            elif verb in ("RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


class _SMTPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


_smtp = None


def smtp_sink():
    """Start (once) the sink on 127.0.0.1:$ENCORE_SMTP_PORT."""
    global _smtp
    if _smtp is None:
        port = encore.stack().get("ENCORE_SMTP_PORT")
        if not port:
            raise encore.Skip("stack.env has no ENCORE_SMTP_PORT")
        try:
            _smtp = _SMTPServer(("127.0.0.1", int(port)), _SMTPHandler)
        except OSError as e:
            raise AssertionError("cannot listen on 127.0.0.1:%s for the SMTP sink: %s" % (port, e))
        threading.Thread(target=_smtp.serve_forever, daemon=True).start()
    return _smtp


def mail_text(data):
    """The decoded text of a mail (every text part)."""
    msg = email.message_from_bytes(data, policy=email.policy.default)
    parts = []
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            try:
                parts.append(part.get_content())
            except (LookupError, ValueError):
                parts.append(part.get_payload(decode=True).decode("utf-8", "replace"))
    return msg, "\n".join(parts)


TOKEN_RE = re.compile(r"[?&]token=([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])")
BARE_RE = re.compile(r"(?<![A-Za-z0-9_=/.-])([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])")


def reset_token(text):
    m = TOKEN_RE.search(text)
    if m:
        return m.group(1)
    for line in text.splitlines():
        m = BARE_RE.search(line.strip())
        if m:
            return m.group(1)
    return None


def test_forgot_and_reset():
    # 1 deliberate failure (the old password after the reset)
    smtp_sink()
    u = encore.new_user()
    unknown = encore.unique("nobody") + "@example.org"
    r1 = call("POST", "/api/v1/auth/forgot", json_body={"email": unknown})
    b1 = expect(r1, 202, "POST", "/api/v1/auth/forgot")
    r2 = call("POST", "/api/v1/auth/forgot", json_body={"email": u.email.upper()})
    b2 = expect(r2, 202, "POST", "/api/v1/auth/forgot")
    check(b1 == b2 == {"status": "accepted"}, "answers differ: %r vs %r" % (b1, b2))
    check(r1.content == r2.content, "bodies differ byte-wise: %r vs %r" % (r1.content, r2.content))
    data = MAILBOX.wait_for(u.email, 10)
    check(data is not None, "no reset mail to %s within 10 s" % u.email)
    msg, text = mail_text(data)
    check(msg["To"] and u.email.lower() in str(msg["To"]).lower(), "mail To: %r" % msg["To"])
    check(msg["Subject"], "mail without Subject")
    check(msg["Date"] and msg["Message-ID"], "mail without Date or Message-ID")
    tok = reset_token(text)
    check(tok, "no reset token in the mail: %r" % text[:500])
    check(not MAILBOX.to(unknown), "a mail went to the unknown address")
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


def test_login_throttle_per_account():
    # 5 deliberate failures on a fresh account (4 by login, 1 by the token
    # endpoint: both are logins), then the account is locked for both
    u = encore.register()
    bystander = encore.register()
    limit = int(encore.conf().get("login_max_account", 5))
    statuses = []
    for i in range(limit - 1):
        statuses.append(encore.login_raw(u.username, "wrong-password-%d" % i).status_code)
    check(statuses == [401] * (limit - 1), "failures before the limit should be 401: %r" % statuses)
    r = token_form({"grant_type": "password", "username": u.username, "password": "wrong-pw-x"})
    oauth_error(r, "invalid_grant")
    last = encore.login_raw(u.username, "wrong-password-again")
    p = expect(last, 429, "POST", LOGIN)
    check(p["type"] == "urn:encore:problem:rate-limited", "type %r" % p["type"])
    ra = last.headers.get("Retry-After", "")
    check(ra.isdigit() and 1 <= int(ra) <= 900, "Retry-After %r is not 1..900 seconds" % ra)
    r = token_form({"grant_type": "password", "username": u.username, "password": "wrong-pw-y"})
    expect(r, 429, "POST", TOKEN)
    check((r.headers.get("Retry-After") or "").isdigit(), "token 429 without Retry-After")
    # the window is per account: another account logs in fine
    encore.login(bystander)


def test_login_throttle_per_address():
    # login_max_ip (20) failures from a loopback address of this test's own,
    # so that no other test's address is throttled
    ip = encore.loopback_source()
    if not ip:
        raise encore.Skip("cannot connect from a second loopback address")
    limit = int(encore.conf().get("login_max_ip", 20))
    u = encore.register()

    def login_from(name, password):
        body = json.dumps({"username": name, "password": password}).encode()
        return encore.raw("POST", LOGIN, "https", {"Content-Type": "application/json"},
                          body, source=ip)

    statuses = [login_from(encore.unique("nobody"), "wrong-password").status_code
                for _ in range(limit)]
    check(statuses == [401] * limit, "the first %d failures should be 401: %r" % (limit, statuses))
    r = login_from(u.username, u.password)
    expect(r, 429, "POST", LOGIN)
    check((r.headers.get("Retry-After") or "").isdigit(), "429 without Retry-After")
    # the same account from another address is fine
    encore.login(u)


if __name__ == "__main__":
    encore.main(globals())
