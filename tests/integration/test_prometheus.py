#!/usr/bin/python3
"""Monitoring end to end with Debian's real Prometheus: `promtool check
config` and `promtool check rules` on docs/monitoring/, then a stack of
this test's own (CTEST_OWN_STACK) with the prometheus-nginx-exporter and
prometheus-mysqld-exporter that encore-stack starts beside it (named in
stack.env), Prometheus scraping all three every
second with docs/monitoring/alerts.yml loaded, some traffic and a batch
run; every query of every Grafana dashboard under docs/monitoring/grafana
and the measured side of every alert must return data; memcached stopped
on purpose must make EncoreMemcachedDown fire. Skipped (77) without
prometheus and promtool."""

import glob
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
import faults  # noqa: E402
import yaml  # noqa: E402

MON = os.path.join(encore.ROOT, "docs", "monitoring")
procs = []


def free_port():
    return encore.free_port()


def spawn(args, env=None, log=None):
    p = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    procs.append(p)
    return p


def promql(base, q):
    url = base + "/api/v1/query?" + urllib.parse.urlencode({"query": q})
    with urllib.request.urlopen(url, timeout=10) as r:
        body = json.load(r)
    encore.check(body.get("status") == "success", "query %r: %r" % (q, body))
    return body["data"]["result"]


def wait(cond, timeout, what):
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        last = cond()
        if last:
            return last
        time.sleep(1)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


def top_level(expr):
    """(position, depth-0 character) of expr outside parentheses, braces,
    brackets and quotes."""
    depth, quote = 0, None
    for i, ch in enumerate(expr):
        if quote:
            if ch == quote and expr[i - 1] != "\\":
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0:
            yield i, ch


def unwrap(e):
    """e without parentheses around the whole of it."""
    e = e.strip()
    while e.startswith("(") and e.endswith(")") and \
            all(True for _ in top_level(e[1:-1])) and _balanced(e[1:-1]):
        e = e[1:-1].strip()
    return e


def _balanced(e):
    depth = 0
    for ch in e:
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth < 0:
            return False
    return depth == 0


def measured(expr):
    """The measured sides of an alert expression: `(A > x) and (B > y)`
    gives [A, B], `A < x` gives [A]: each side of a top-level `and`, cut at
    its top-level comparison."""
    expr = unwrap(expr)
    cuts = [i for i, _ in top_level(expr) if expr.startswith(" and ", i)]
    parts, start = [], 0
    for i in cuts:
        parts.append(expr[start:i])
        start = i + len(" and ")
    parts.append(expr[start:])
    out = []
    for p in parts:
        p = unwrap(p)
        ops = [i for i, ch in top_level(p) if ch in "<>"]
        encore.check(ops, "no comparison in %r" % p)
        out.append(unwrap(p[:ops[-1]]))
    return out


def dashboard_queries():
    out = []
    for f in sorted(glob.glob(os.path.join(MON, "grafana", "*.json"))):
        d = json.load(open(f))
        for p in d["panels"]:
            for t in p.get("targets", []):
                out.append((os.path.basename(f), p["title"], t["expr"]))
    return out


def check_files(workdir):
    rules = os.path.join(MON, "alerts.yml")
    r = subprocess.run(["promtool", "check", "rules", rules], capture_output=True, text=True)
    encore.check(r.returncode == 0, "promtool check rules: %s%s" % (r.stdout, r.stderr))
    conf = os.path.join(workdir, "shipped.yml")
    with open(os.path.join(MON, "prometheus.yml")) as f:
        text = f.read().replace("/etc/prometheus/encore-alerts.yml", rules)
    with open(conf, "w") as f:
        f.write(text)
    r = subprocess.run(["promtool", "check", "config", conf], capture_output=True, text=True)
    encore.check(r.returncode == 0, "promtool check config: %s%s" % (r.stdout, r.stderr))


def traffic(fail_logins):
    """Requests of every kind the dashboards count; with fail_logins, a
    failed login per user (only on the first call: 30 failures from one
    address, login_free_address, and the logins of new users are refused)."""
    users = [encore.new_user() for _ in range(3)]
    for u in users:
        for _ in range(5):
            encore.call("GET", "/api/v1/me", token=u.access)
        if fail_logins:
            encore.login_raw(u.username, "certainly not the password")
        encore.call("GET", "/api/v1/playlists/999999", token=u.access)
        encore.call("GET", "/api/v1/parties", token=u.access)


def main():
    builddir = os.environ.get("ENCORE_BUILDDIR")
    if not builddir or not shutil.which("prometheus") or not shutil.which("promtool"):
        print("SKIP: needs ENCORE_BUILDDIR, prometheus and promtool (Debian's prometheus)")
        sys.exit(encore.SKIP)
    d = os.path.join(builddir, "tests", "prom-%s" % secrets.token_hex(4))
    work = os.path.join(d, "prometheus")
    stack = faults.Stack(builddir, d)
    failed = []

    def step(name, fn, *a):
        t0 = time.monotonic()
        try:
            fn(*a)
            print("PASS %s (%.2fs)" % (name, time.monotonic() - t0), flush=True)
        except Exception as e:  # noqa: BLE001 - every failure is reported
            failed.append(name)
            print("FAIL %s: %s" % (name, e), flush=True)

    try:
        os.makedirs(work, exist_ok=True)
        step("promtool_checks", check_files, work)
        stack.start()
        s = encore.stack()
        http = s["ENCORE_HTTP_URL"].split("://", 1)[1]
        log = open(os.path.join(d, "log", "exporters.log"), "a")
        # The stack runs the exporters that are installed (encore-stack
        # start_exporters) and names them in stack.env.
        ports = {}
        for k, key in (("nginx", "ENCORE_NGINX_EXPORTER_URL"), ("mysqld", "ENCORE_MYSQLD_EXPORTER_URL")):
            if s.get(key):
                ports[k] = int(s[key].split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
        prom_port = free_port()
        conf = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [os.path.join(MON, "alerts.yml")],
            "scrape_configs": [{"job_name": "encore-api", "metrics_path": "/metrics",
                                "static_configs": [{"targets": [http]}]}] +
                              [{"job_name": k, "static_configs": [{"targets": ["127.0.0.1:%d" % p]}]}
                               for k, p in ports.items()],
        }
        with open(os.path.join(work, "prometheus.yml"), "w") as f:
            yaml.safe_dump(conf, f)
        spawn(["prometheus", "--config.file=" + os.path.join(work, "prometheus.yml"),
               "--storage.tsdb.path=" + os.path.join(work, "data"),
               "--web.listen-address=127.0.0.1:%d" % prom_port], log=log)
        base = "http://127.0.0.1:%d" % prom_port
        wait(lambda: _ready(base), 60, "Prometheus ready")

        # a batch run, so that the batch families exist
        subprocess.run([os.path.join(builddir, "src", "admin", "encore-admin"), "-c",
                        os.path.join(d, "encore.conf"), "analytics", "rollup", "--days", "2"],
                       capture_output=True, timeout=120, check=True)
        t_end = time.monotonic() + 20
        first = True
        while time.monotonic() < t_end:
            traffic(first)
            first = False

        def queries_have_data():
            empty = []
            for f, title, q in dashboard_queries():
                if not promql(base, q):
                    empty.append("%s / %s: %s" % (f, title, q))
            encore.check(not empty, "no data: " + "; ".join(empty))
        step("dashboard_queries", queries_have_data)

        def alerts_have_data():
            rules = yaml.safe_load(open(os.path.join(MON, "alerts.yml")))
            empty = []
            for g in rules["groups"]:
                for r in g["rules"]:
                    for left in measured(r["expr"]):
                        if not promql(base, left):
                            empty.append("%s: %s" % (r["alert"], left))
            encore.check(not empty, "no data: " + "; ".join(empty))
        step("alert_expressions", alerts_have_data)

        def memcached_alert():
            stack.memcached_kill()
            t0 = time.monotonic()
            while time.monotonic() - t0 < 120:
                encore.call("GET", "/api/v1/tracks/1")  # traffic while it is down
                with urllib.request.urlopen(base + "/api/v1/alerts", timeout=10) as r:
                    alerts = json.load(r)["data"]["alerts"]
                if any(a["labels"].get("alertname") == "EncoreMemcachedDown"
                       and a["state"] == "firing" for a in alerts):
                    return
                time.sleep(2)
            raise AssertionError("EncoreMemcachedDown did not fire in 120 s")
        step("memcached_down_fires", memcached_alert)
    finally:
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
        try:
            stack.stop()
            stack.remove()
        except Exception as e:  # noqa: BLE001
            print("stack stop: %s" % e)
    print("%d failed" % len(failed))
    sys.exit(1 if failed else 0)


def _ready(base):
    try:
        with urllib.request.urlopen(base + "/-/ready", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


if __name__ == "__main__":
    main()  # CTEST_OWN_STACK
