#!/usr/bin/python3
"""Push delivery end to end, on a stack of this test's own (CTEST_OWN_STACK:
its encore-api must let the fakes' loopback endpoints through, which only
its configuration can do: ENCORE_FETCH_ALLOW names the fakes' two ports).

The fakes (pushfakes.py) check what Web Push, FCM and APNs check: the
payload decrypts with the subscription's key, VAPID and both provider
tokens verify, APNs is spoken over HTTP/2. Through them:

  - a follow is pushed to every device of the followee, on each channel;
    three follows make one "3 new followers";
  - FCM's access token and APNs' provider token are reused across runs;
  - 429 with Retry-After, 500 and answers that never come are retried
    within the run and shown once; 410 / UNREGISTERED / BadDeviceToken
    remove the device;
  - quiet hours hold news, delivered after; news past its TTL is dropped
    and counted;
  - a run killed mid-way and run again sends everything, nothing shown
    twice (a message sent again carries its collapse id and replaces
    itself);
  - a hanging service costs a bounded time and loses nothing;
  - a channel without its settings says it is off (the run summary and
    /readyz).
"""

import json
import os
import secrets
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
import faults  # noqa: E402
import pushfakes  # noqa: E402

FAKES = None
STACK = None
ENV = {}


class PushStack(faults.Stack):
    """faults.Stack with the push settings in the environment of every
    program it starts."""

    def _env(self):
        env = super()._env()
        env.update(ENV)
        return env


def db(query):
    import bulkdb
    return bulkdb.sql(query, "encore")


def push(*args, timeout=120, env=None, wait=True):
    """encore-push on the stack's configuration: (exit, summary)."""
    binary = os.path.join(os.environ["ENCORE_BUILDDIR"], "src", "batch", "push", "encore-push")
    if not os.access(binary, os.X_OK):
        raise encore.Skip("%s is not built" % binary)
    e = dict(os.environ)
    e.update(ENV)
    e.update(env or {})
    conf = encore.stack().get("ENCORE_CONF") or os.path.join(encore.stack_dir(), "encore.conf")
    argv = [binary, "-c", conf, "--for", "20", "--timeout", "2", "--backoff", "1",
            "--doubt-after", "3"] + list(args)
    if not wait:
        return subprocess.Popen(argv, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    p = subprocess.run(argv, env=e, capture_output=True, text=True, timeout=timeout)
    with open(os.path.join(encore.stack_dir(), "log", "encore-push.log"), "a") as f:
        f.write(p.stdout + p.stderr)
    return p.returncode, summary_of(p.stderr)


def summary_of(text):
    for line in reversed(text.splitlines()):
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if o.get("msg") in ("run done", "run failed"):
            return o
    raise AssertionError("no run summary in: %s" % text[-2000:])


def channel(summary, name):
    """A channel's counts from the summary ("sent=1 retried=0 ...")."""
    v = summary[name]
    if v.startswith("off"):
        return {"off": v}
    return {k: float(x) for k, x in (kv.split("=") for kv in v.split())}


def register(user, body):
    r = encore.call("POST", "/api/v1/me/devices", token=user.access, json_body=body)
    return encore.expect(r, 201, "POST", "/api/v1/me/devices")


def follow(who, whom):
    r = encore.call("PUT", "/api/v1/me/following/" + whom.username, token=who.access)
    encore.check(r.status_code in (200, 201), "follow answered %d" % r.status_code)


def queued(user):
    return int(db("SELECT COUNT(*) FROM push_outbox WHERE user_id = %d AND state = 'queued'"
                  % user.id)[0][0])


def no_duplicates():
    d = FAKES.duplicates()
    encore.check(not d, "shown twice: %r" % d[:5])
    encore.check(not FAKES.errors, "the fakes refused: %r" % FAKES.errors[:5])


# ---------------------------------------------------------------- tests

def test_readyz_names_channels():
    r = encore.call("GET", "/readyz")
    body = encore.expect(r, 200, "GET", "/readyz")
    encore.check(body["checks"]["push"] == {"webpush": "on", "fcm": "on", "apns": "on"},
                 "push channels: %r" % body["checks"].get("push"))
    r = encore.call("GET", "/api/v1/push/vapid-public-key")
    FAKES.vapid_public = encore.expect(r, 200, "GET", "/api/v1/push/vapid-public-key")["public_key"]


def test_follow_pushed_on_every_channel():
    a, b = encore.new_user(), encore.new_user()
    sub = FAKES.subscription()
    ftok, atok = FAKES.fcm_token(), FAKES.apns_token()
    register(a, sub.json())
    register(a, {"type": "fcm", "token": ftok})
    register(a, {"type": "apns", "token": atok, "environment": "development"})
    follow(b, a)
    encore.eventually(lambda: queued(a) == 1, "the follow queued for push")
    rc, s = push()
    encore.check(rc == 0, "encore-push exited %d: %r" % (rc, s))
    for dev in ("webpush:" + sub.id, "fcm:" + ftok, "apns:" + atok):
        shown = list(FAKES.shown[dev].values())
        encore.check(len(shown) == 1, "%s shows %d" % (dev.split(":")[0], len(shown)))
        encore.check(shown[0]["kind"] == "follower" and shown[0]["title"] == "New follower",
                     "what %s shows: %r" % (dev.split(":")[0], shown[0]))
    for ch in ("webpush", "fcm", "apns"):
        encore.check(channel(s, ch)["sent"] >= 1, "%s: %s" % (ch, s[ch]))
    r = encore.call("GET", "/api/v1/me/devices", token=a.access)
    items = encore.expect(r, 200, "GET", "/api/v1/me/devices")["items"]
    encore.check(all(i["last_ok_at"] for i in items), "last_ok_at not set: %r" % items)
    no_duplicates()


def test_grouped_and_tokens_reused():
    a = encore.new_user()
    sub = FAKES.subscription()
    register(a, sub.json())
    ftok = FAKES.fcm_token()
    register(a, {"type": "fcm", "token": ftok})
    for _ in range(3):
        follow(encore.new_user(), a)
    encore.eventually(lambda: queued(a) == 3, "three follows queued")
    exchanges, jwts = FAKES.fcm_exchanges, len(FAKES.apns_jwts)
    rc, s = push()
    encore.check(rc == 0 and s["messages"] == 1, "summary: %r" % s)
    shown = list(FAKES.shown["webpush:" + sub.id].values())
    encore.check(len(shown) == 1 and shown[0]["title"] == "3 new followers"
                 and shown[0]["count"] == 3, "shown: %r" % shown)
    encore.check(FAKES.fcm_exchanges == exchanges,
                 "FCM's access token was exchanged again (%d -> %d)" % (exchanges, FAKES.fcm_exchanges))
    encore.check(len(FAKES.apns_jwts) <= max(jwts, 1),
                 "a new APNs provider token within 20 minutes")
    no_duplicates()


def test_failures_retried_and_gone_removed():
    a, b = encore.new_user(), encore.new_user()
    subs = [FAKES.subscription() for _ in range(2)]
    ftoks = [FAKES.fcm_token() for _ in range(2)]
    atoks = [FAKES.apns_token() for _ in range(2)]
    for s_ in subs:
        register(a, s_.json())
    for t in ftoks:
        register(a, {"type": "fcm", "token": t})
    for t in atoks:
        register(a, {"type": "apns", "token": t})
    # the second of each is gone at the service; the first fails first
    FAKES.script += [("webpush", "429:1"), ("webpush", "410"), ("fcm", "500"), ("fcm", "410"),
                     ("apns", "hang"), ("apns", "410")]
    follow(b, a)
    encore.eventually(lambda: queued(a) == 1, "queued")
    rc, s = push()
    encore.check(rc == 0, "exit %d" % rc)
    shown = sum(len(FAKES.shown[d]) for d in ["webpush:" + subs[0].id, "webpush:" + subs[1].id,
                                              "fcm:" + ftoks[0], "fcm:" + ftoks[1],
                                              "apns:" + atoks[0], "apns:" + atoks[1]])
    encore.check(shown == 3, "3 devices show it, not %d" % shown)
    left = db("SELECT type FROM push_devices WHERE user_id = %d ORDER BY type" % a.id)
    encore.check([r[0] for r in left] == ["webpush", "fcm", "apns"],
                 "devices left: %r" % left)
    for ch in ("webpush", "fcm", "apns"):
        c = channel(s, ch)
        encore.check(c["removed"] >= 1 and c["retried"] >= 1, "%s: %s" % (ch, s[ch]))
    states = db("SELECT x.state, COUNT(*) FROM push_deliveries x JOIN push_messages m ON "
                "m.id = x.message_id WHERE m.user_id = %d GROUP BY x.state" % a.id)
    encore.check(states == [["sent", "3"]], "deliveries: %r" % states)
    no_duplicates()


def test_bad_device_token_removed():
    a, b = encore.new_user(), encore.new_user()
    # a token APNs never issued (well formed here, so Encore stores it)
    register(a, {"type": "apns", "token": secrets.token_hex(32)})
    follow(b, a)
    encore.eventually(lambda: queued(a) == 1, "queued")
    rc, s = push()
    encore.check(rc == 0, "exit %d" % rc)
    n = db("SELECT COUNT(*) FROM push_devices WHERE user_id = %d" % a.id)[0][0]
    encore.check(n == "0", "the unregistered APNs device is still there")


def test_quiet_hours_hold_then_deliver():
    a, b = encore.new_user(), encore.new_user()
    sub = FAKES.subscription()
    register(a, sub.json())
    now = time.gmtime()
    start = "%02d:%02d" % (now.tm_hour, 0)
    end = "%02d:%02d" % ((now.tm_hour + 2) % 24, 0)
    r = encore.call("PUT", "/api/v1/me/push-preferences", token=a.access,
                    json_body={"kinds": ["follower"], "quiet_hours": {"start": start, "end": end}})
    encore.expect(r, 200, "PUT", "/api/v1/me/push-preferences")
    follow(b, a)
    encore.eventually(lambda: queued(a) == 1, "queued")
    rc, s = push()
    encore.check(rc == 0 and int(s["held_quiet"]) >= 1, "summary: %r" % s)
    encore.check(not FAKES.shown["webpush:" + sub.id], "sent in quiet hours")
    r = encore.call("PUT", "/api/v1/me/push-preferences", token=a.access,
                    json_body={"kinds": ["follower"], "quiet_hours": None})
    encore.expect(r, 200, "PUT", "/api/v1/me/push-preferences")
    rc, s = push()
    encore.check(len(FAKES.shown["webpush:" + sub.id]) == 1, "not delivered after quiet hours")


def test_stale_dropped_and_counted():
    a = encore.new_user()
    sub = FAKES.subscription()
    register(a, sub.json())
    db("INSERT INTO push_outbox (user_id, kind, group_key, expires_at) VALUES "
       "(%d, 'digest', 'digest', UTC_TIMESTAMP(3) - INTERVAL 1 MINUTE)" % a.id)
    rc, s = push()
    encore.check(rc == 0 and int(s["stale"]) >= 1, "summary: %r" % s)
    encore.check(not FAKES.shown["webpush:" + sub.id], "a stale message was sent")


def states(users):
    """The states of the deliveries of users' messages: {state: count}."""
    ids = ",".join(str(u.id) for u in users)
    return dict((r[0], int(r[1])) for r in db(
        "SELECT x.state, COUNT(*) FROM push_deliveries x JOIN push_messages m ON m.id = "
        "x.message_id WHERE m.user_id IN (%s) GROUP BY x.state" % ids))


def seed(n_users, devices_per_user=1):
    """n_users users with a Web Push device each and one queued digest."""
    rows, out = [], []
    users = [encore.new_user() for _ in range(n_users)]
    for u in users:
        for _ in range(devices_per_user):
            s = FAKES.subscription()
            register(u, s.json())
            out.append(s)
        rows.append("(%d, 'digest', 'digest', '12 new picks', UTC_TIMESTAMP(3) + INTERVAL 1 DAY)"
                    % u.id)
    db("INSERT INTO push_outbox (user_id, kind, group_key, detail, expires_at) VALUES "
       + ",".join(rows))
    return users, out


def test_killed_run_resumes_without_duplicates():
    users, subs = seed(30, devices_per_user=4)
    # every request slowed down so that the run is killed mid-way
    FAKES.script += [("webpush", "hang")] * 5
    p = push("--batch", "20", "--parallel", "4", wait=False)
    encore.eventually(lambda: states(users).get("sent", 0) > 0, "a first batch sent", timeout=30)
    p.send_signal(signal.SIGKILL)
    p.wait()
    before = states(users)
    doubt = before.get("sending", 0)
    encore.check(before.get("queued", 0) > 0, "the run was killed too late: %r" % before)
    time.sleep(3.5)  # --doubt-after 3
    rc, s = push()
    encore.check(rc == 0, "exit %d" % rc)
    encore.check(int(s["in_doubt"]) == doubt, "in doubt %s, %d were sending" % (s["in_doubt"], doubt))
    for sub in subs:
        ids = FAKES.shown_ids("webpush:" + sub.id)
        encore.check(len(ids) == 1, "a device shows %r" % ids)
    after = states(users)
    encore.check(after == {"sent": len(subs)}, "deliveries: %r" % after)
    no_duplicates()


def test_hanging_service_bounded():
    users, subs = seed(5)
    FAKES.script += [("webpush", "drop")] * 5
    t0 = time.monotonic()
    rc, s = push("--for", "3", "--backoff", "30")
    took = time.monotonic() - t0
    encore.check(rc == 0 and took < 15, "took %.1f s, exit %d" % (took, rc))
    c = channel(s, "webpush")
    encore.check(c["retried"] == 5, "retried: %s" % s["webpush"])
    q = states(users).get("queued", 0)
    encore.check(q == 5, "%d queued to retry, not 5" % q)
    db("UPDATE push_deliveries SET next_at = UTC_TIMESTAMP(3) WHERE state = 'queued'")
    rc, s = push()
    for sub in subs:
        encore.check(len(FAKES.shown_ids("webpush:" + sub.id)) == 1, "lost after a hang")
    no_duplicates()


def test_digest_and_new_release_from_encore_recs():
    adm = encore.admin()
    r = encore.call("POST", "/api/v1/artists", token=adm.access,
                    json_body={"name": "Lena %s" % secrets.token_hex(3)})
    artist = encore.expect(r, 201, "POST", "/api/v1/artists")
    r = encore.call("POST", "/api/v1/albums", token=adm.access,
                    json_body={"title": "First Light", "artist_id": artist["id"]})
    first = encore.expect(r, 201, "POST", "/api/v1/albums")
    fan, other = encore.new_user(), encore.new_user()
    r = encore.call("PUT", "/api/v1/me/likes/albums/%d" % first["id"], token=fan.access)
    encore.check(r.status_code in (200, 201, 204), "like answered %d" % r.status_code)
    subs = {u.id: FAKES.subscription() for u in (fan, other)}
    for u in (fan, other):
        register(u, subs[u.id].json())
    r = encore.call("POST", "/api/v1/albums", token=adm.access,
                    json_body={"title": "Night Drive", "artist_id": artist["id"]})
    second = encore.expect(r, 201, "POST", "/api/v1/albums")
    binary = os.path.join(os.environ["ENCORE_BUILDDIR"], "src", "batch", "recs", "encore-recs")
    conf = encore.stack().get("ENCORE_CONF") or os.path.join(encore.stack_dir(), "encore.conf")
    p = subprocess.run([binary, "train", "-c", conf], capture_output=True, text=True, timeout=300)
    encore.check(p.returncode == 0 and "push:" in p.stdout, "encore-recs: %s %s" % (
        p.stdout[-500:], p.stderr[-500:]))
    rc, s = push()
    fan_shows = {m["kind"]: m for m in FAKES.shown["webpush:" + subs[fan.id].id].values()}
    other_shows = {m["kind"] for m in FAKES.shown["webpush:" + subs[other.id].id].values()}
    encore.check("new_release" in fan_shows and "Night Drive" in fan_shows["new_release"]["body"],
                 "the fan was not told of the new album: %r" % fan_shows)
    encore.check("digest" in fan_shows and "digest" in other_shows, "no weekly digest")
    encore.check("new_release" not in other_shows, "a user who likes nothing of the artist was told")
    # once: a second run of encore-recs queues neither again
    p = subprocess.run([binary, "train", "--light", "-c", conf], capture_output=True, text=True,
                       timeout=300)
    encore.check("push: 0 weekly digests, 0 new releases" in p.stdout, "queued again: %s" % p.stdout[-300:])
    del second


def test_channel_off_says_so():
    rc, s = push("--for", "1", env={"ENCORE_APNS_KEY_FILE": "", "ENCORE_FCM_SERVICE_ACCOUNT_FILE": ""})
    encore.check(rc == 0, "exit %d" % rc)
    encore.check(s["apns"].startswith("off (apns_key_file") and s["fcm"].startswith("off ("),
                 "summary: %r" % s)


def test_no_credential_in_logs():
    """No endpoint, token, access token or provider token in any log of the
    stack (encore-api's, nginx's, MariaDB's) nor in encore-push's output."""
    secrets_ = [s_.id for s_ in FAKES.subs.values()] + list(FAKES.fcm_tokens) + \
        list(FAKES.apns_tokens) + list(FAKES.fcm_access) + list(FAKES.apns_jwts)
    found = []
    logdir = os.path.join(encore.stack_dir(), "log")
    for root, _, files in os.walk(logdir):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                text = fh.read()
            found += ["%s in %s" % (x[:12], f) for x in secrets_ if x.encode() in text]
    encore.check(not found, "credentials in logs: %r" % found[:5])


def main():
    global FAKES, STACK
    builddir = os.environ.get("ENCORE_BUILDDIR")
    if not builddir:
        print("SKIP: ENCORE_BUILDDIR is not set (run through CTest: make check)")
        sys.exit(encore.SKIP)
    d = os.path.join(builddir, "tests", "push-%s" % secrets.token_hex(4))
    os.makedirs(d, mode=0o700)
    port, h2_port = encore.free_port(), encore.free_port()
    while h2_port == port:
        h2_port = encore.free_port()
    FAKES = pushfakes.PushFakes(None, None, port, h2_port)
    ENV.update(FAKES.write_keys(d))
    ENV["ENCORE_FETCH_CA_FILE"] = os.path.join(d, "tls", "ca.crt")
    STACK = PushStack(builddir, d)
    ok = False
    try:
        STACK.start()
        FAKES.certfile = os.path.join(d, "tls", "server.crt")
        FAKES.keyfile = os.path.join(d, "tls", "server.key")
        FAKES.start()
        try:
            encore.main(globals())
            ok = True
        except SystemExit as e:
            ok = e.code == 0
            raise
    finally:
        FAKES.stop()
        STACK.stop()
        if ok:
            STACK.remove()


if __name__ == "__main__":
    main()
# CTEST_OWN_STACK
