#!/usr/bin/python3
"""GET /metrics: the Prometheus text exposition of the API workers (format
0.0.4) through nginx: reachable from loopback only (403 from any other
address), every family with HELP and TYPE, histograms with cumulative
buckets, _sum and _count, and the counters moving with the traffic that
should move them (requests per route and status, logins and their failures,
listens ingested, MariaDB and memcached calls, cache lookups per namespace),
summed over every worker; batch runs recorded in batch_runs are exposed per
job."""

import os
import re
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
from encore import call, check, expect  # noqa: E402
from test_listens import seed_track, sql  # noqa: E402

encore.require_stack()

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def scrape():
    """The exposition from loopback 127.0.0.1 (the allowed address), parsed
    into ({(name, labels frozenset): value}, {family: type}, text)."""
    r = encore.raw("GET", "/metrics", scheme="https", source="127.0.0.1")
    check(r.status_code == 200, "GET /metrics from 127.0.0.1: %d %r" % (
        r.status_code, r.content[:200]))
    ctype = r.headers.get("Content-Type", "")
    check(ctype.startswith("text/plain; version=0.0.4"), "content type " + ctype)
    text = r.content.decode()
    samples, types, helps = {}, {}, set()
    for line in text.splitlines():
        if line.startswith("# HELP "):
            helps.add(line.split(" ")[2])
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            check(name not in types, "TYPE twice for " + name)
            check(name in helps, "TYPE before HELP for " + name)
            types[name] = kind
            continue
        m = LINE.match(line)
        check(m is not None, "not a sample line: %r" % line)
        labels = {}
        if m.group(3):
            rest = m.group(3)
            pos = 0
            while pos < len(rest):
                lm = LABEL.match(rest, pos)
                check(lm is not None, "bad labels in %r" % line)
                labels[lm.group(1)] = lm.group(2)
                pos = lm.end()
        samples[(m.group(1), frozenset(labels.items()))] = float(m.group(4))
    for (name, _) in samples:
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        check(name in types or base in types, "sample without TYPE: " + name)
    return samples, types, text


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples, name, **labels):
    """The sum of name's samples whose labels include `labels`."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= set(ls))


def test_loopback_only():
    other = encore.loopback_source()
    if other is None or other == "127.0.0.1":
        raise encore.Skip("no second loopback address to test from")
    r = encore.raw("GET", "/metrics", source=other)
    check(r.status_code == 403, "GET /metrics from %s: %d" % (other, r.status_code))
    check(b"encore_http_requests_total" not in r.content, "metrics leaked")


def test_counters_move():
    before, types, _ = scrape()
    me = encore.new_user()
    r = call("GET", "/api/v1/me", token=me.access)
    expect(r, 200, "GET", "/api/v1/me")
    bad = encore.login_raw(me.username, "not the password")
    check(bad.status_code in (400, 401), "wrong password: %d" % bad.status_code)
    tid = seed_track("Metric Song %d" % time.time_ns(), "Metric Band")
    r = call("POST", "/api/v1/me/listens", token=me.access,
             json_body={"listens": [{"track_id": tid,
                                     "listened_at": "2026-01-02T03:04:05.000Z"}]})
    check(r.status_code in (200, 201, 207), "listen: %d %s" % (r.status_code, r.text[:200]))
    after, types, text = scrape()

    check(types.get("encore_http_requests_total") == "counter", "requests type")
    check(types.get("encore_http_request_duration_seconds") == "histogram",
          "duration type")
    me_route = dict(method="GET", route="/api/v1/me", code="200")
    check(value(after, "encore_http_requests_total", **me_route) >=
          value(before, "encore_http_requests_total", **me_route) + 1,
          "GET /api/v1/me 200 not counted")
    check(value(after, "encore_logins_total") >= value(before, "encore_logins_total") + 1,
          "login not counted")
    check(value(after, "encore_login_failures_total") >=
          value(before, "encore_login_failures_total") + 1, "failure not counted")
    check(value(after, "encore_listens_ingested_total") >=
          value(before, "encore_listens_ingested_total") + 1, "listen not counted")
    for b in ("mariadb", "memcached"):
        check(value(after, "encore_backend_calls_total", backend=b) >
              value(before, "encore_backend_calls_total", backend=b), b + " calls")
    check(total(after, "encore_cache_requests_total") >
          total(before, "encore_cache_requests_total"), "cache lookups")
    check(value(after, "encore_workers") >= 1, "no worker alive")
    check(value(after, "encore_worker_starts_total") >= 1, "no worker start")

    # Histograms: cumulative buckets ending in +Inf = _count.
    lab = dict(method="GET", route="/api/v1/me")
    buckets = sorted(
        ((float("inf") if dict(ls)["le"] == "+Inf" else float(dict(ls)["le"])), v)
        for (n, ls), v in after.items()
        if n == "encore_http_request_duration_seconds_bucket"
        and set(lab.items()) <= set(ls))
    check(buckets, "no buckets for GET /api/v1/me")
    counts = [v for _, v in buckets]
    check(counts == sorted(counts), "buckets not cumulative: %r" % counts)
    check(buckets[-1][0] == float("inf"), "no +Inf bucket")
    check(buckets[-1][1] == value(after, "encore_http_request_duration_seconds_count", **lab),
          "+Inf bucket differs from _count")
    check(value(after, "encore_http_request_duration_seconds_sum", **lab) > 0, "_sum")


def test_batch_runs():
    job = "test_job_%d" % (time.time_ns() % 1000000)
    sql("INSERT INTO batch_runs (job, started_at, ended_at, outcome, items) VALUES "
        "('%s', UTC_TIMESTAMP(3) - INTERVAL 70 SECOND, UTC_TIMESTAMP(3) - INTERVAL 10 SECOND,"
        " 'success', 42), ('%s', UTC_TIMESTAMP(3) - INTERVAL 5 SECOND, UTC_TIMESTAMP(3),"
        " 'failure', 0)" % (job, job))
    s, _, _ = scrape()
    ok = value(s, "encore_batch_last_success_timestamp_seconds", job=job)
    check(abs(ok - (time.time() - 10)) < 30, "last success %r" % ok)
    check(value(s, "encore_batch_last_run_success", job=job) == 0, "last run failed")
    check(value(s, "encore_batch_last_duration_seconds", job=job) < 30, "duration")
    check(("encore_batch_last_items", frozenset({("job", job)})) in s, "items")


def test_scrape_is_quick():
    scrape()
    t = time.monotonic()
    for _ in range(5):
        scrape()
    per = (time.monotonic() - t) / 5
    check(per < 0.5, "a scrape took %.3f s" % per)


if __name__ == "__main__":
    encore.main(globals())
