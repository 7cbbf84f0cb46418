#!/usr/bin/python3
"""bench/cluster: what scale-out buys and costs, on the namespaces of
tests/cluster (root; exit 77 where they cannot be made).

  1. throughput of a mixed workload (per client: three reads, a track, the
     account and a page of listens, then one listen written) through the
     balancer with two app hosts, then with one (the other's nginx
     stopped: the balancer's connections to it are refused at once);
  2. the latency of one write (POST /api/v1/me/listens, one client, one at
     a time) against the three-node Galera cluster, then against a single
     MariaDB server (the same node restarted with wsrep off, the same data).

Every app host, node and client shares this machine's cores: the figures
are ratios within one run. Usage:
    ENCORE_BUILDDIR=build sudo python3 tests/bench/cluster.py [--secs 20] [--clients 8]
"""

import argparse
import os
import signal
import statistics
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("ENCORE_SRCDIR") or os.path.dirname(os.path.dirname(HERE))
BUILDDIR = os.environ.get("ENCORE_BUILDDIR") or os.path.join(SRCDIR, "build")
sys.path.insert(0, os.path.join(SRCDIR, "tests", "cluster"))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "integration"))

import hosts  # noqa: E402


def mixed(clients, secs, users, tracks, faults):
    """Requests per second answered 2xx by `clients` threads in `secs`."""
    done, errors = [0] * clients, [0] * clients
    stop = threading.Event()

    def work(i):
        c = faults.Client(rate=10000)
        u = users[i]
        n = 0
        while not stop.is_set():
            n += 1
            for method, path, body in (
                    ("GET", "/api/v1/tracks/%d" % tracks[n % len(tracks)], None),
                    ("GET", "/api/v1/me", None),
                    ("GET", "/api/v1/me/history?limit=20", None),
                    ("POST", "/api/v1/me/listens",
                     {"track_id": tracks[n % len(tracks)],
                      "listened_at": faults.iso(time.time() - 86400 * (1 + i) - n)})):
                try:
                    r = c.call(method, path, token=u.access, json_body=body)
                    ok = 200 <= r.status_code < 300
                except Exception:
                    ok = False
                done[i] += ok
                errors[i] += not ok
    ts = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(clients)]
    for t in ts:
        t.start()
    time.sleep(secs)
    stop.set()
    for t in ts:
        t.join(timeout=30)
    return sum(done) / secs, sum(errors)


def write_latency(n, user, tracks, faults):
    c = faults.Client(rate=10000)
    lat = []
    for k in range(n):
        t0 = time.monotonic()
        r = c.call("POST", "/api/v1/me/listens", token=user.access,
                   json_body={"track_id": tracks[k % len(tracks)],
                              "listened_at": faults.iso(time.time() - 3 * 86400 - k)})
        if 200 <= r.status_code < 300:
            lat.append((time.monotonic() - t0) * 1000)
    lat.sort()
    return statistics.median(lat), lat[int(len(lat) * 0.95) - 1], len(lat)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--secs", type=int, default=20)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--writes", type=int, default=200)
    a = ap.parse_args()
    why = hosts.can_make_namespaces()
    if why:
        print("SKIP: %s" % why)
        return 77
    work = os.path.join(BUILDDIR, "tests", "cluster-bench-%d" % os.getpid())
    os.makedirs(work)
    os.chmod(work, 0o755)
    c = hosts.Cluster(BUILDDIR, SRCDIR, work)
    try:
        c.start()
        c.enter("lb")
        os.environ["ENCORE_STACK_DIR"] = work
        import encore
        import faults
        admin = faults.Client(rate=10000)
        tok = admin.login(encore.stack()["ENCORE_ADMIN_USER"],
                          encore.stack()["ENCORE_ADMIN_PASSWORD"]).json()["access_token"]
        artist = admin.call("POST", "/api/v1/artists", token=tok, json_body={"name": "Bench"}).json()["id"]
        tracks = [admin.call("POST", "/api/v1/tracks", token=tok,
                             json_body={"title": "Bench %d" % i, "artists": [{"id": artist}],
                                        "duration_ms": 200000}).json()["id"] for i in range(20)]
        users = []
        for i in range(a.clients):
            name = encore.unique("bn")
            pw = encore.strong_password()
            c.admin("user", "ensure", name, name.lower() + "@example.org", "user",
                    input=(pw + "\n").encode())
            u = encore.User(name, None, pw)
            u.access = admin.login(name, pw).json()["access_token"]
            users.append(u)
        mixed(a.clients, 3, users, tracks, faults)  # warm up both hosts
        two, e2 = mixed(a.clients, a.secs, users, tracks, faults)
        c.kill_pidfile(os.path.join(work, "app2", "nginx.pid"), signal.SIGTERM)
        time.sleep(1)
        one, e1 = mixed(a.clients, a.secs, users, tracks, faults)
        p50c, p95c, nc = write_latency(a.writes, users[0], tracks, faults)
        # The same node alone, wsrep off: a single server with the same data.
        for n in ("db3", "db2", "db1"):
            c.kill("mariadb-" + n, signal.SIGTERM)
        d = c.db_dir("db1")
        c.spawn("mariadb-db1", "db1", [hosts.which("mariadbd"), "--no-defaults", "--user=mysql",
                                       "--datadir=" + d + "/data", "--tmpdir=" + d + "/tmp",
                                       "--socket=" + c.db_sock("db1"),
                                       "--pid-file=" + d + "/mysqld.pid",
                                       "--log-error=" + d + "/error-single.log",
                                       "--bind-address=" + c.ip("db1"), "--port=3306",
                                       "--skip-name-resolve", "--innodb-buffer-pool-size=64M",
                                       "--innodb-log-file-size=16M",
                                       "--innodb-flush-log-at-trx-commit=2",
                                       "--character-set-server=utf8mb4",
                                       "--collation-server=utf8mb4_unicode_ci",
                                       "--log-bin-trust-function-creators=1"], d + "/single.out")
        for _ in range(300):
            try:
                c.sql("db1", "SELECT 1", timeout=5)
                break
            except Exception:
                time.sleep(0.2)
        time.sleep(2)
        write_latency(20, users[0], tracks, faults)  # reconnect the workers
        p50s, p95s, ns = write_latency(a.writes, users[0], tracks, faults)
        print("load average: %s" % open("/proc/loadavg").read().strip())
        print("mixed workload, %d clients, %d s each: two app hosts %.0f req/s (%d errors), "
              "one app host %.0f req/s (%d errors): ratio %.2f" % (
                  a.clients, a.secs, two, e2, one, e1, two / one if one else 0))
        print("write latency (POST /me/listens, %d sequential): 3-node Galera p50 %.1f ms p95 %.1f "
              "ms (%d ok); single server p50 %.1f ms p95 %.1f ms (%d ok): ratio p50 %.2f" % (
                  a.writes, p50c, p95c, nc, p50s, p95s, ns, p50c / p50s if p50s else 0))
    finally:
        c.teardown()
        os.system("rm -rf '%s'" % work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
