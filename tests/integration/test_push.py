#!/usr/bin/python3
"""Push devices and preferences through the API, and every bad input the
edge must refuse (a 4xx with the field named, never a 500):

  - Web Push subscriptions: only https endpoints, none on a private,
    loopback or link-local address (no SSRF; the delivery test lets its
    fakes through by configuration only), p256dh a 65-byte point on the
    P-256 curve, auth 16 bytes; FCM and APNs tokens of their formats;
  - at most 20 devices a user (a client trying 1,000 gets 409 from the
    21st on); registered again, a device is the same device;
  - another user's device answers 404; the list shows the endpoint's
    origin, never the endpoint or the keys;
  - preferences per kind and per device; unknown kinds answer 422; quiet
    hours as local HH:MM;
  - the VAPID public key is a P-256 point browsers can subscribe with.
"""

import os
import secrets
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

DEVICES = "/api/v1/me/devices"


def sub(endpoint=None, p256dh=None, auth=None):
    pub = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    body = {"type": "webpush",
            "endpoint": endpoint or "https://push.example.net/wpush/v2/" + secrets.token_urlsafe(24),
            "keys": {"p256dh": p256dh or encore.b64url(pub),
                     "auth": auth or encore.b64url(os.urandom(16))}}
    encore.note_secret(body["endpoint"])
    return body


def post(user, body):
    return encore.call("POST", DEVICES, token=user.access, json_body=body)


def refused(user, body, field, what):
    r = post(user, body)
    p = encore.expect(r, 422, "POST", DEVICES)
    encore.check(field in encore.error_fields(p), "%s: fields %r" % (what, encore.error_fields(p)))


def test_vapid_public_key():
    r = encore.call("GET", "/api/v1/push/vapid-public-key")
    k = encore.expect(r, 200, "GET", "/api/v1/push/vapid-public-key")["public_key"]
    raw = encore.b64url_decode(k)
    encore.check(len(raw) == 65 and raw[0] == 4, "not an uncompressed point")
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)  # on the curve


def test_register_list_delete():
    u, other = encore.new_user(), encore.new_user()
    body = sub()
    r = post(u, body)
    d = encore.expect(r, 201, "POST", DEVICES)
    encore.check(d["type"] == "webpush" and d["origin"] == "https://push.example.net"
                 and d["kinds"] is None, "device: %r" % d)
    encore.check(r.headers.get("Location") == "%s/%d" % (DEVICES, d["id"]), "Location")
    again = encore.expect(post(u, body), 200, "POST", DEVICES)
    encore.check(again["id"] == d["id"], "registered again, a new device")
    tok = "".join(secrets.choice("0123456789abcdef") for _ in range(64))
    encore.note_secret(tok)
    apns = encore.expect(post(u, {"type": "apns", "token": tok, "environment": "development"}),
                         201, "POST", DEVICES)
    ftok = "d" + secrets.token_urlsafe(20) + ":APA91b" + secrets.token_urlsafe(120)
    encore.note_secret(ftok)
    encore.expect(post(u, {"type": "fcm", "token": ftok, "kinds": ["reply", "mention"]}),
                  201, "POST", DEVICES)
    r = encore.call("GET", DEVICES + "?limit=2", token=u.access)
    page = encore.expect(r, 200, "GET", DEVICES)
    encore.check(len(page["items"]) == 2 and page["next_cursor"], "first page: %r" % page)
    r = encore.call("GET", DEVICES + "?limit=2&cursor=" + page["next_cursor"], token=u.access)
    page2 = encore.expect(r, 200, "GET", DEVICES)
    encore.check(len(page2["items"]) == 1 and page2["next_cursor"] is None, "second page")
    text = r.text + encore.call("GET", DEVICES, token=u.access).text
    encore.check(body["endpoint"] not in text and tok not in text and ftok not in text
                 and body["keys"]["auth"] not in text, "a credential in the list")
    # per device kinds
    r = encore.call("PUT", "%s/%d/kinds" % (DEVICES, apns["id"]), token=u.access,
                    json_body={"kinds": ["party_invite", "follower"]})
    k = encore.expect(r, 200, "PUT", DEVICES + "/{id}/kinds")
    encore.check(k["kinds"] == ["follower", "party_invite"], "kinds: %r" % k["kinds"])
    r = encore.call("PUT", "%s/%d/kinds" % (DEVICES, apns["id"]), token=u.access,
                    json_body={"kinds": ["follower", "fax"]})
    encore.expect(r, 422, "PUT", DEVICES + "/{id}/kinds")
    # another user's device is not found
    for m, p, b in (("DELETE", "%s/%d" % (DEVICES, d["id"]), None),
                    ("PUT", "%s/%d/kinds" % (DEVICES, d["id"]), {"kinds": None})):
        r = encore.call(m, p, token=other.access, json_body=b)
        encore.expect(r, 404, m, DEVICES + ("/{id}" if m == "DELETE" else "/{id}/kinds"))
    r = encore.call("DELETE", "%s/%d" % (DEVICES, d["id"]), token=u.access)
    encore.expect(r, 204, "DELETE", DEVICES + "/{id}")
    r = encore.call("DELETE", "%s/%d" % (DEVICES, d["id"]), token=u.access)
    encore.expect(r, 404, "DELETE", DEVICES + "/{id}")
    r = encore.call("GET", DEVICES)
    encore.expect(r, 401, "GET", DEVICES)


def test_device_moves_to_its_new_user():
    a, b = encore.new_user(), encore.new_user()
    body = sub()
    encore.expect(post(a, body), 201, "POST", DEVICES)
    encore.expect(post(b, body), 201, "POST", DEVICES)
    items = encore.expect(encore.call("GET", DEVICES, token=a.access), 200, "GET", DEVICES)["items"]
    encore.check(items == [], "the device is still a's: %r" % items)


def test_bad_subscriptions():
    u = encore.new_user()
    for ep, what in (("http://push.example.net/x", "plain http"),
                     ("ftp://push.example.net/x", "ftp"),
                     ("https://127.0.0.1/x", "loopback"),
                     ("https://[::1]/x", "IPv6 loopback"),
                     ("https://10.0.0.8/x", "private"),
                     ("https://192.168.1.1:8443/x", "private"),
                     ("https://172.16.4.4/x", "private"),
                     ("https://169.254.169.254/latest/meta-data", "link-local (cloud metadata)"),
                     ("https://[fe80::1]/x", "IPv6 link-local"),
                     ("https://[::ffff:127.0.0.1]/x", "mapped loopback"),
                     ("https://0.0.0.0/x", "unspecified"),
                     ("https://localhost/x", "localhost"),
                     ("https://intranet/x", "a bare name"),
                     ("https://push.example.net/" + "a" * 2100, "too long"),
                     ("https://push.example.net/a b", "a space")):
        refused(u, sub(endpoint=ep), "endpoint", what)
    point = encore.b64url_decode(sub()["keys"]["p256dh"])
    off_curve = bytearray(point)
    off_curve[64] ^= 1
    for key, what in ((encore.b64url(point[:33]), "a compressed-length key"),
                      (encore.b64url(point + b"\x00"), "66 bytes"),
                      (encore.b64url(bytes(off_curve)), "off the curve"),
                      (encore.b64url(b"\x04" + b"\x00" * 64), "the zero point"),
                      ("not base64url!", "not base64url")):
        refused(u, sub(p256dh=key), "keys.p256dh", what)
    for auth, what in ((encore.b64url(os.urandom(8)), "8 bytes"),
                       (encore.b64url(os.urandom(32)), "32 bytes")):
        refused(u, sub(auth=auth), "keys.auth", what)
    b = sub()
    del b["keys"]
    refused(u, b, "keys.p256dh", "no keys")
    b = sub()
    b["keys"]["extra"] = "x"
    refused(u, b, "keys", "an unknown key")
    for body, field, what in (
            ({"type": "fcm", "token": "short"}, "token", "a short FCM token"),
            ({"type": "fcm", "token": "x" * 5000}, "token", "a long FCM token"),
            ({"type": "fcm", "token": "a b" * 60}, "token", "an FCM token with spaces"),
            ({"type": "apns", "token": "abc"}, "token", "a short APNs token"),
            ({"type": "apns", "token": "z" * 64}, "token", "a non-hex APNs token"),
            ({"type": "apns", "token": "a" * 64, "environment": "staging"}, "environment",
             "an unknown environment"),
            ({"type": "sms", "token": "a" * 64}, "type", "an unknown type"),
            ({"token": "a" * 64}, "type", "no type"),
            ({"type": "apns", "token": "a" * 64, "role": "admin"}, "role", "an unknown field"),
            ({"type": "fcm", "endpoint": "https://push.example.net/x"}, "type",
             "an endpoint on an FCM device"),
            ({"type": "apns", "token": "a" * 64, "kinds": ["follower", "spam"]}, "kinds",
             "an unknown kind"),
            ({"type": "apns", "token": 42}, "", "a token that is not a string")):
        refused(u, body, field, what)
    b = sub()
    b["expirationTime"] = "tomorrow"
    refused(u, b, "expirationTime", "an expirationTime that is not a number")
    b["expirationTime"] = None
    encore.expect(post(u, b), 201, "POST", DEVICES)
    r = encore.call("POST", DEVICES, token=u.access, data=b"{not json",
                    headers={"Content-Type": "application/json"})
    encore.check(r.status_code == 400, "malformed JSON answered %d" % r.status_code)


def test_devices_capped():
    u = encore.new_user()
    n = 0
    for i in range(1000):
        tok = secrets.token_hex(32)
        r = post(u, {"type": "apns", "token": tok})
        if r.status_code == 409:
            p = encore.expect(r, 409, "POST", DEVICES)
            encore.check(p["type"] == "urn:encore:problem:limit-reached", "problem %r" % p)
            break
        encore.expect(r, 201, "POST", DEVICES)
        n += 1
    encore.check(n == 20, "%d devices registered before the cap" % n)
    r = post(u, {"type": "apns", "token": secrets.token_hex(32)})
    encore.expect(r, 409, "POST", DEVICES)


def test_preferences():
    u = encore.new_user()
    path = "/api/v1/me/push-preferences"
    p = encore.expect(encore.call("GET", path, token=u.access), 200, "GET", path)
    encore.check(len(p["kinds"]) == 9 and p["quiet_hours"] is None, "defaults: %r" % p)
    body = {"kinds": ["follower", "digest"], "quiet_hours": {"start": "22:30", "end": "07:00"}}
    p = encore.expect(encore.call("PUT", path, token=u.access, json_body=body), 200, "PUT", path)
    encore.check(p["kinds"] == ["follower", "digest"] and p["quiet_hours"]["start"] == "22:30"
                 and p["quiet_hours"]["time_zone"] == "UTC", "stored: %r" % p)
    for bad, field in (({"kinds": ["follower", "gossip"]}, "kinds"),
                       ({"kinds": "follower"}, "kinds"),
                       ({"kinds": [1]}, "kinds"),
                       ({}, "kinds"),
                       ({"kinds": [], "quiet_hours": {"start": "25:00", "end": "07:00"}},
                        "quiet_hours"),
                       ({"kinds": [], "quiet_hours": {"start": "7:00", "end": "07:00"}},
                        "quiet_hours"),
                       ({"kinds": [], "quiet_hours": {"start": "07:00", "end": "07:00"}},
                        "quiet_hours"),
                       ({"kinds": [], "quiet_hours": {"start": "07:00"}}, "quiet_hours"),
                       ({"kinds": [], "volume": 11}, "volume")):
        r = encore.call("PUT", path, token=u.access, json_body=bad)
        pr = encore.expect(r, 422, "PUT", path)
        encore.check(field in encore.error_fields(pr), "%r: fields %r" % (bad, encore.error_fields(pr)))
    p = encore.expect(encore.call("GET", path, token=u.access), 200, "GET", path)
    encore.check(p["kinds"] == ["follower", "digest"], "a refused update changed the kinds")


def test_party_started_only_to_followers_who_see_it():
    """A party is announced by push only to the followers who may see it:
    an invite-only party to none of them, a followers' party to each."""
    import live
    import social
    from test_listens import sql
    host = encore.new_user()
    fans = [encore.new_user() for _ in range(2)]
    for f in fans:
        encore.expect(post(f, sub()), 201, "POST", DEVICES)
        social.follow(f, host)

    def told(pid):
        def rows():
            n = sql("SELECT COUNT(*) FROM push_outbox WHERE kind = 'party_started' "
                    "AND object_id = %d" % pid)[0][0]
            return int(n)
        return rows

    secret = live.party(host, name="invite only", visibility="invite")
    shown = live.party(host, name="for followers", visibility="followers")
    social.eventually(lambda: told(shown["id"])() == 2, "the followers' party not pushed")
    social.settle()
    encore.check(told(secret["id"])() == 0,
                 "an invite-only party was pushed to followers who cannot see it")


if __name__ == "__main__":
    encore.main(globals())
