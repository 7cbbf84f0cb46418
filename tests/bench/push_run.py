#!/usr/bin/python3
"""push_run: one encore-push run against the local fakes of Web Push, FCM
and APNs (tests/integration/pushfakes.py, which decrypt every payload and
verify every token), on a private stack of its own.

  python3 tests/bench/push_run.py [--users 1000] [--devices 10] [--fail 0.05]

First one channel at a time (2,000 deliveries each, no failures): their
notifications per second. Then the main run: users x devices deliveries
(10,000 by default, the three channels mixed) with a share of requests
failing (429 with Retry-After, 500, 503, answers that never come), in one
`encore-push` run: its wall time, that every delivery is sent, none lost
and none shown twice, and the cost of the encryption (crypto_seconds of
the summary per Web Push message). Run from the build directory (or set
ENCORE_BUILDDIR); prints a Markdown table for docs/PERFORMANCE.md.
"""

import argparse
import os
import secrets
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
os.environ.setdefault("ENCORE_BUILDDIR", os.getcwd())
import encore  # noqa: E402
import faults  # noqa: E402
import pushfakes  # noqa: E402
import test_push_delivery as tpd  # noqa: E402

from cryptography.hazmat.primitives import serialization  # noqa: E402


def sql(q):
    import bulkdb
    return bulkdb.sql(q, "encore")


def seed(fakes, users, devices, channels, tag):
    """users users with `devices` devices each (channels in turn) and one
    digest queued each; the (device key) list."""
    stamp = secrets.token_hex(3)
    rows = ",".join("('b%s_%s_%d', 'b%s_%s_%d@example.org', 'x', 'bench')" % (
        tag, stamp, i, tag, stamp, i) for i in range(users))
    sql("INSERT INTO users (username, email, password_hash, display_name) VALUES " + rows)
    ids = [int(r[0]) for r in sql("SELECT id FROM users WHERE username LIKE 'b%s\\_%s\\_%%' ORDER BY id"
                                  % (tag, stamp))]
    keys, vals = [], []
    for n, uid in enumerate(ids):
        for k in range(devices):
            ch = channels[(n * devices + k) % len(channels)]
            h = secrets.token_hex(32)
            if ch == "webpush":
                s = fakes.subscription()
                pub = s.private.public_key().public_bytes(
                    serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
                vals.append("(%d, 'webpush', '%s', X'%s', X'%s', NULL, NULL, X'%s')" % (
                    uid, s.endpoint, pub.hex(), s.auth.hex(), h))
                keys.append("webpush:" + s.id)
            elif ch == "fcm":
                t = fakes.fcm_token()
                vals.append("(%d, 'fcm', NULL, NULL, NULL, '%s', NULL, X'%s')" % (uid, t, h))
                keys.append("fcm:" + t)
            else:
                t = fakes.apns_token()
                vals.append("(%d, 'apns', NULL, NULL, NULL, '%s', 'production', X'%s')" % (uid, t, h))
                keys.append("apns:" + t)
    for i in range(0, len(vals), 2000):
        sql("INSERT INTO push_devices (user_id, type, endpoint, p256dh, auth, token, environment, "
            "handle) VALUES " + ",".join(vals[i:i + 2000]))
    sql("INSERT INTO push_outbox (user_id, kind, group_key, detail, expires_at) VALUES "
        + ",".join("(%d, 'digest', 'digest', '12 new picks', UTC_TIMESTAMP(3) + INTERVAL 1 DAY)" % u
                   for u in ids))
    return keys


def run(extra=()):
    """One encore-push run: at most 2 s a request (the fakes' injected hangs
    cost that much), 2,000 deliveries a batch, 64 requests in flight (what
    the Python fakes answer without falling behind)."""
    t0 = time.monotonic()
    rc, s = tpd.push("--for", "55", "--timeout", "2", "--backoff", "1", "--batch", "2000",
                     "--parallel", "64", *extra, timeout=300)
    return rc, s, time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--devices", type=int, default=10)
    ap.add_argument("--fail", type=float, default=0.05)
    args = ap.parse_args()
    builddir = os.environ["ENCORE_BUILDDIR"]
    d = os.path.join(builddir, "tests", "push-bench-%s" % secrets.token_hex(4))
    os.makedirs(d, mode=0o700)
    port, h2_port = encore.free_port(), encore.free_port()
    fakes = pushfakes.PushFakes(None, None, port, h2_port)
    tpd.FAKES = fakes
    tpd.ENV.update(fakes.write_keys(d))
    tpd.ENV["ENCORE_FETCH_CA_FILE"] = os.path.join(d, "tls", "ca.crt")
    stack = tpd.PushStack(builddir, d)
    try:
        stack.start()
        fakes.certfile = os.path.join(d, "tls", "server.crt")
        fakes.keyfile = os.path.join(d, "tls", "server.key")
        fakes.start()
        fakes.vapid_public = encore.call("GET", "/api/v1/push/vapid-public-key").json()["public_key"]
        print("load: %s" % open("/proc/loadavg").read().strip())
        rows = []
        for ch in ("webpush", "fcm", "apns"):
            seed(fakes, 200, 10, [ch], ch[0])
            rc, s, secs = run()
            c = tpd.channel(s, ch)
            rows.append((ch, int(c["sent"]), secs, c["sent"] / max(c["send_seconds"], 1e-9),
                         float(s["crypto_seconds"])))
            print("%s alone: %s in %.1f s (%s)" % (ch, s[ch], secs, s["crypto_seconds"]), flush=True)
        keys = seed(fakes, args.users, args.devices, ["webpush", "fcm", "apns"], "m")
        fakes.fail_rate = args.fail
        before = {k: len(fakes.raw[k]) for k in keys}
        rc, s, secs = run()
        fakes.fail_rate = 0
        sent = sum(int(tpd.channel(s, ch)["sent"]) for ch in ("webpush", "fcm", "apns"))
        shown = sum(len(fakes.shown[k]) for k in keys)
        dup = fakes.duplicates()
        replays = sum(len(fakes.raw[k]) - before[k] for k in keys) - shown
        left = sql("SELECT x.state, COUNT(*) FROM push_deliveries x WHERE x.state <> 'sent' "
                   "GROUP BY x.state")
        print("mixed: exit %d, %.1f s, summary %r" % (rc, secs, s))
        print("load: %s" % open("/proc/loadavg").read().strip())
        print()
        print("| run | deliveries | wall s | per second |")
        print("|---|---:|---:|---:|")
        for ch, n, w, rate, _ in rows:
            print("| %s alone | %d | %.1f | %.0f (sending) |" % (ch, n, w, rate))
        print("| mixed, %.0f%% failing | %d | %.1f | %.0f |" % (args.fail * 100, sent, secs, sent / secs))
        wp = rows[0]
        print()
        print("injected failures: %s; all sent: %s; shown once: %d of %d; shown twice: %d; "
              "replays under the same collapse id: %d; left unsent: %r" % (
                  dict(fakes.failed), sent == len(keys), shown, len(keys), len(dup), replays, left))
        print("encryption: %.0f us per Web Push message (%.3f s for %d)" % (
            wp[4] / max(wp[1], 1) * 1e6, wp[4], wp[1]))
        ok = rc == 0 and sent == len(keys) and shown == len(keys) and not dup and not left
        print("OK" if ok else "FAILED")
        return 0 if ok else 1
    finally:
        fakes.stop()
        stack.stop()
        stack.remove()


if __name__ == "__main__":
    sys.exit(main())
