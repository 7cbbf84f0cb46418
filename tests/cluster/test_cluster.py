#!/usr/bin/python3
"""test_cluster: Encore scaled out on one machine (tests/cluster/hosts.py
builds the hosts as network namespaces: three MariaDB Galera nodes, two
memcached servers, two app hosts, a balancer), checked through the balancer.

  1. a selection of the integration suite (tests/integration) runs against
     the balancer as against a private stack;
  2. live parties keep host affinity: every connection of one party lands
     on one app host (the balancer's `hash $arg_party consistent`);
  3. fault scenarios under write load (tests/integration/faults.py's
     writers: listens, playlists created, renamed, tracks added):
       - an app host dies (its processes killed, its cable unplugged);
       - a memcached server is killed (and comes back empty);
       - the Galera node the app hosts write through is killed, and
         rejoins;
       - a partition isolates the node they then write through from the
         other two (the app hosts still reach it): a minority, it refuses
         work, and the app hosts move on;
       - every database node out of the app hosts' reach: 503 with
         Retry-After, and service again without a restart once they are
         back.
     For each: every write acknowledged before and during the fault is in
     the database after it, no request answers 500, and the service answers
     writes again within 5 s of the fault (10 s under ASan).

Usage: tests/cluster/run [--short] [--keep]   (root; exit 77 where network
namespaces cannot be made). --short (what `make check` runs) runs fewer
integration files and shorter faults.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("ENCORE_SRCDIR") or os.path.dirname(os.path.dirname(HERE))
BUILDDIR = os.environ.get("ENCORE_BUILDDIR") or os.path.join(SRCDIR, "build")
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(SRCDIR, "tests", "integration"))

import hosts  # noqa: E402

# The integration files run through the balancer: accounts, sessions,
# catalogue, playlists, listens, likes, social, live parties. Left out:
# those that reach into one host (its sockets, processes, logs, nginx
# settings) or start a stack of their own.
SUITE = ["test_health.py", "test_auth.py", "test_catalogue.py", "test_playlists.py",
         "test_listens.py", "test_likes.py", "test_follows.py", "test_live.py"]
SUITE_SHORT = ["test_auth.py", "test_playlists.py", "test_listens.py"]


class Checks:
    def __init__(self):
        self.failed = []

    def ok(self, cond, name, detail=""):
        print("%s %s%s" % ("PASS" if cond else "FAIL", name, (": " + detail) if detail and not cond
                            else (" (%s)" % detail if detail else "")), flush=True)
        if not cond:
            self.failed.append(name)
        return cond


class Db:
    """faults.Load.missing's view of the database: SQL on a Synced node."""

    def __init__(self, cluster, nodes):
        self.cluster, self.nodes = cluster, nodes

    def sql(self, query):
        for n in self.nodes:
            if self.cluster.status(n, "wsrep_local_state_comment") == "Synced":
                return self.cluster.sql(n, "USE encore; " + query)
        raise AssertionError("no Synced database node to read from")


def run_suite(files, checks):
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    for f in files:
        t0 = time.monotonic()
        p = subprocess.run([sys.executable, os.path.join(SRCDIR, "tests", "integration", f)],
                           env=env, capture_output=True, timeout=900)
        out = (p.stdout + p.stderr).decode("utf-8", "replace")
        checks.ok(p.returncode in (0, 77), "integration %s through the balancer" % f,
                  "exit %d in %.0f s%s" % (p.returncode, time.monotonic() - t0,
                                           "\n" + out[-3000:] if p.returncode not in (0, 77) else ""))


def party_affinity(cluster, checks):
    """Connections of one party, opened through the balancer, all land on
    one app host: the app hosts' access logs name the party."""
    import encore
    import requests
    tok = encore.new_user().access
    for party in range(1, 25):
        for _ in range(3):
            try:
                # Not an upgrade: the app host's nginx answers 426, which
                # is enough to see where the balancer sent it.
                requests.get(encore.base_url("https") + "/api/v1/live?party=%d" % (1000 + party),
                             headers={"Authorization": "Bearer " + tok}, verify=encore.ca_file(),
                             timeout=5)
            except requests.RequestException:
                pass
    names = {"%s:443" % cluster.ip(a): a for a in ("app1", "app2")}
    hits = {}
    for line in open(os.path.join(cluster.work, "lb", "access.log"), errors="replace"):
        f = line.split()
        if len(f) >= 3 and f[2].startswith("/api/v1/live?party="):
            party = int(f[2].split("=", 1)[1]) - 1000
            app = names.get(f[0], f[0])
            hits.setdefault(party, {})[app] = hits.get(party, {}).get(app, 0) + 1
    split = [p for p, h in hits.items() if len(h) > 1]
    on = {a: sum(1 for h in hits.values() if a in h) for a in ("app1", "app2")}
    checks.ok(len(hits) == 24 and not split and on["app1"] and on["app2"],
              "live parties: each party's connections reach one app host",
              "%d parties seen, split over both hosts: %s; parties per host %s" % (
                  len(hits), split, on))


class Scenarios:
    def __init__(self, cluster, checks, short, slow):
        import encore
        import faults
        self.c, self.checks, self.short, self.slow = cluster, checks, short, slow
        self.encore, self.faults = encore, faults
        self.db = Db(cluster, ["db3", "db2", "db1"])
        admin = encore.User(encore.stack()["ENCORE_ADMIN_USER"], None,
                            encore.stack()["ENCORE_ADMIN_PASSWORD"])
        client = faults.Client()
        tok = client.login(admin.username, admin.password).json()["access_token"]
        r = client.call("POST", "/api/v1/artists", token=tok, json_body={"name": "Cluster Artist"})
        artist = r.json()["id"]
        tracks = []
        for i in range(8):
            r = client.call("POST", "/api/v1/tracks", token=tok,
                            json_body={"title": "Cluster Track %d" % i,
                                       "artists": [{"id": artist}], "duration_ms": 200000})
            tracks.append(r.json()["id"])
        users = []
        for i in range(3 if short else 6):
            u = self.make_user()
            u.access = client.login(u.username, u.password).json()["access_token"]
            users.append(u)
        self.load = faults.Load(users, tracks, 4.0 if short else 6.0, timeout=30)

    def make_user(self):
        import re
        e = self.encore
        name = e.unique("cl")
        pw = e.strong_password()
        out = self.c.admin("user", "ensure", name, "%s@example.org" % name.lower(), "user",
                           input=(pw + "\n").encode())
        uid = int(re.search(r"\bid (\d+)", out).group(1))
        return e.User(name, "%s@example.org" % name.lower(), pw, {"id": uid, "username": name})

    def run(self, name, inject, heal, hold=None):
        hold = hold or (4 if self.short else 8)
        print("---- %s" % name, flush=True)
        self.load.phase = name + " before"
        time.sleep(2)
        self.load.phase = name + " during"
        t_fault = time.monotonic()
        try:
            inject()
            time.sleep(hold)
        finally:
            self.load.phase = name + " healing"
            heal()
        self.load.phase = name + " after"
        time.sleep(3)
        self.judge(name, t_fault)

    def judge(self, name, t_fault):
        ws = sorted((w for w in self.load.writes() if w.phase.startswith(name)), key=lambda w: w.t1)
        # A request in flight on a host that dies may answer 502 or 504 (the
        # balancer never sends a write twice); a 500 is a bug.
        bad = [w for w in ws if w.status == 500]
        self.checks.ok(not bad, name + ": no answer 500",
                       "%d: %s" % (len(bad), [(w.kind, w.status, w.detail[:120]) for w in bad[:3]]))
        acks = [w.t1 for w in ws if w.ack and w.t1 >= t_fault]
        gaps, prev = [], t_fault
        for t in acks:
            gaps.append(t - prev)
            prev = t
        worst = max(gaps) if gaps else float("inf")
        limit = 5.0 * self.slow
        self.checks.ok(worst <= limit, name + ": writes acknowledged again within %.0f s" % limit,
                       "longest stretch without one %.1f s; %d sent, %d acknowledged, %d 503" % (
                           worst, len(ws), sum(w.ack for w in ws),
                           sum(1 for w in ws if w.status == 503)))
        missing = self.wait_missing()
        self.checks.ok(not missing, name + ": every acknowledged write is in the database",
                       "; ".join(missing[:5]))

    def wait_missing(self):
        # A node applies what the cluster committed a moment later: give it
        # a few seconds (a lost write stays lost).
        missing = []
        for _ in range(10):
            missing = self.load.missing(self.db)
            if not missing:
                break
            time.sleep(1)
        return missing

    def all_db_down(self):
        """Every database node stopped: requests answer 503 with
        Retry-After; once a node is back, service resumes with no restart
        of the app hosts."""
        name = "all database nodes down"
        print("---- %s" % name, flush=True)
        client = self.faults.Client()
        w = self.load.writers[0]
        order = ("db3", "db2", "db1")  # db1 stops last: it bootstraps again
        for n in order:
            self.c.kill("mariadb-" + n, signal.SIGTERM)
        seen = []
        for i in range(5):
            t0 = time.monotonic()
            r = client.call("POST", "/api/v1/me/listens", token=w.user.access,
                            json_body={"track_id": w.tracks[0],
                                       "listened_at": self.faults.iso(time.time() - 7200 - i)})
            seen.append((r.status_code, r.headers.get("Retry-After"),
                         round(time.monotonic() - t0, 1)))
        self.c.start_db("db1", new_cluster=True)
        self.c.wait_synced("db1", timeout=180)
        t0 = time.monotonic()
        back = None
        while time.monotonic() - t0 < 30:
            r = client.call("GET", "/api/v1/me", token=w.user.access)
            if r.status_code == 200:
                back = time.monotonic() - t0
                break
            time.sleep(0.2)
        for n in ("db2", "db3"):
            self.c.start_db(n)
        for n in ("db2", "db3"):
            self.c.wait_synced(n, timeout=180)
        self.checks.ok(seen and all(s == 503 and ra and ra.isdigit() for s, ra, _ in seen),
                       name + ": 503 with Retry-After", "answers %s" % seen)
        self.checks.ok(back is not None and back <= 5 * self.slow,
                       name + ": answers again once a node is back, without a restart",
                       "after %s s" % ("%.1f" % back if back is not None else "> 30"))

    def all(self):
        c = self.c
        self.load.start()
        time.sleep(3)
        self.run("one app host killed", lambda: c.stop_app("app1"), lambda: c.revive_app("app1"))
        self.run("one memcached killed", lambda: c.kill("memcached-kv1"), lambda: c.start_kv("kv1"))

        def rejoin(node):
            c.start_db(node)
            c.wait_synced(node, timeout=180)
        self.run("the Galera node in use killed and rejoined", lambda: c.kill("mariadb-db1"),
                 lambda: rejoin("db1"))
        # The app hosts moved on to db2: isolate it from db1 and db3.
        self.run("a partition isolating the node in use",
                 lambda: c.partition("db2", ["db1", "db3"]),
                 lambda: (c.partition("db2", ["db1", "db3"], on=False), c.wait_synced("db2")))
        self.load.stop()
        self.all_db_down()
        sizes = [c.cluster_size(n) for n in ("db1", "db2", "db3")]
        self.checks.ok(sizes == [3, 3, 3], "the cluster whole again at the end", "sizes %s" % sizes)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--short", action="store_true")
    ap.add_argument("--keep", action="store_true", help="leave the cluster up (for a look)")
    ap.add_argument("--no-suite", action="store_true")
    ap.add_argument("--no-faults", action="store_true")
    a = ap.parse_args()
    why = hosts.can_make_namespaces()
    if why:
        print("SKIP: %s" % why)
        return 77
    for b in (("src", "api", "encore-api"), ("src", "live", "encore-live"), ("src", "admin", "encore-admin")):
        if not os.access(os.path.join(BUILDDIR, *b), os.X_OK):
            print("SKIP: %s not built" % os.path.join(BUILDDIR, *b))
            return 77
    work = os.path.join(BUILDDIR, "tests", "cluster-%d" % os.getpid())
    os.makedirs(work)
    os.chmod(work, 0o755)  # the database nodes run as mysql
    slow = float(os.environ.get("ENCORE_CLUSTER_SLOWDOWN") or
                 (2 if "asan" in open(os.path.join(BUILDDIR, "config.log"), errors="replace").read(200000)
                  and "--enable-asan" in open(os.path.join(BUILDDIR, "config.log"), errors="replace").read(4000)
                  else 1))
    c = hosts.Cluster(BUILDDIR, SRCDIR, work)
    checks = Checks()
    try:
        c.start()
        c.enter("lb")
        os.environ["ENCORE_STACK_DIR"] = work
        os.environ["ENCORE_SRCDIR"] = SRCDIR
        os.environ["ENCORE_BUILDDIR"] = BUILDDIR
        if not a.no_suite:
            run_suite(SUITE_SHORT if a.short else SUITE, checks)
            party_affinity(c, checks)
        if not a.no_faults:
            Scenarios(c, checks, a.short, slow).all()
    except Exception:
        traceback.print_exc()
        checks.failed.append("the run ended early")
    finally:
        if a.keep:
            print("kept: namespaces %s-*, directory %s" % (c.tag, work))
        else:
            c.teardown()
            if not checks.failed:
                subprocess.run(["rm", "-rf", work])
    print("%s: %d failed%s" % ("FAIL" if checks.failed else "PASS", len(checks.failed),
                               (": " + ", ".join(checks.failed)) if checks.failed else ""))
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
