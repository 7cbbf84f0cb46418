#!/usr/bin/python3
"""The live benchmark: BENCH_CONNS WebSocket connections (10,000) in
BENCH_PARTIES parties (500) through nginx to the stack's encore-live
processes, held for BENCH_SECONDS (60) while chat goes at BENCH_RATE
messages a second in all (1,000), each to the 20 members of its party.

Measures: the join (TCP connect, upgrade with the token as a subprotocol,
ready, join, snapshot) of every connection, p50/p95/p99; the chat fan-out,
from a message's send to its last member's receipt, p50/p95/p99; the
connections still open after the minute; and encore-live's memory per idle
connection (the growth of the processes' RSS from before the first
connection to all of them connected and idle, divided by their number).

Usage: ENCORE_STACK_DIR=DIR tests/bench/live_load.py
       env BENCH_CONNS (10000), BENCH_PARTIES (500), BENCH_SECONDS (60),
           BENCH_RATE (1000), BENCH_JOIN_RATE (250 joins a second),
           BENCH_CLIENT (c: the C client, one process; py: Python asyncio
           processes), BENCH_BUILD (build: the build tree, relative to the
           source tree, holding tests/bench/live_client), BENCH_PROCS (2
           Python client processes), BENCH_TLS (0: the plain HTTP port; 1:
           HTTPS, with the Python client only)
Runs against a running stack started for it (`encore-stack start DIR`, not
a test stack: its pings are every 20 s): users, their sessions and the
parties are seeded by SQL over the stack's socket and the access tokens
signed with the stack's key; clients connect from many loopback addresses
(nginx limits upgrades per address). Not part of `make check`.

The client: by default tests/bench/live_client (C, one thread over epoll;
its header comment is its manual), so that the client is not what is
measured. It reads the plan, one "PARTY_ID TOKEN" line per connection, on
its standard input; prints "joined N" when the chat starts (the RSS is read
then) and its results at the end, which are reported here with its own CPU
time, the chat it could not send or that encore-live refused, and how late
its sends were behind their schedule. BENCH_CLIENT=py runs BENCH_PROCS
asyncio processes instead (they cannot send 1,000 messages a second, nor
read 20,000 a second: kept for comparison and for TLS)."""

import asyncio
import base64
import json
import multiprocessing
import os
import random
import re
import secrets
import ssl
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "integration"))
import bulkdb  # noqa: E402
import encore  # noqa: E402

CONNS = int(os.environ.get("BENCH_CONNS", "10000"))
PARTIES = int(os.environ.get("BENCH_PARTIES", "500"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "60"))
RATE = float(os.environ.get("BENCH_RATE", "1000"))
JOIN_RATE = float(os.environ.get("BENCH_JOIN_RATE", "250"))
PROCS = int(os.environ.get("BENCH_PROCS", "2"))
TLS = os.environ.get("BENCH_TLS", "0") == "1"
CLIENT = "py" if TLS else os.environ.get("BENCH_CLIENT", "c")
BUILD = os.environ.get("BENCH_BUILD", "build")
SOURCES = 200  # loopback addresses to connect from
REST = 5  # seconds between the last join and the chat
DRAIN = 2  # seconds after the chat for its last receipts
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

MARK = re.compile(rb'"text":"b (\d+) (\d+)"')


def sql(text):
    return bulkdb.sql(text, encore.conf().get("db_name", "encore"))


def seed(tag):
    """CONNS users with a session each and PARTIES public parties: the
    (user id, session id) pairs and the party ids."""
    sql("INSERT INTO users (username, email, password_hash, display_name) "
        "SELECT CONCAT('%s', seq), CONCAT('%s', seq, '@bench.invalid'), 'x', "
        "CONCAT('listener ', seq) FROM seq_1_to_%d" % (tag, tag, CONNS))
    sql("INSERT INTO sessions (user_id, expires_at) SELECT id, "
        "UTC_TIMESTAMP(3) + INTERVAL 1 DAY FROM users WHERE username LIKE '%s%%'" % tag)
    rows = sql("SELECT u.id, s.id FROM users u JOIN sessions s ON s.user_id = u.id "
               "WHERE u.username LIKE '%s%%' ORDER BY u.id" % tag)
    users = [(int(u), int(s)) for u, s in rows]
    hosts = users[:PARTIES]
    values = ",".join("(%d, %d, 'bench %d', 'public')" % (u, u, i)
                      for i, (u, _) in enumerate(hosts))
    sql("INSERT INTO parties (owner_id, host_id, name, visibility) VALUES " + values)
    ids = [int(r[0]) for r in sql(
        "SELECT id FROM parties WHERE name LIKE 'bench %%' AND owner_id >= %d "
        "ORDER BY owner_id" % hosts[0][0])]
    sql("INSERT INTO party_members (party_id, user_id, role) SELECT id, owner_id, "
        "'host' FROM parties WHERE id IN (%s)" % ",".join(map(str, ids)))
    return users, ids


def tokens(users):
    """An access token per user, signed as the API signs them."""
    sample = encore.User(encore.stack()["ENCORE_DEMO_USER"], None,
                         encore.stack()["ENCORE_DEMO_PASSWORD"])
    encore.login(sample)
    key = encore.jwt_key(sample.access)
    header, claims = encore.jwt_parts(sample.access)
    now = int(time.time())
    out = []
    for uid, sid in users:
        c = dict(claims, sub=str(uid), sid=sid, jti=secrets.token_urlsafe(16),
                 iat=now, nbf=now, exp=now + 3600, role="user")
        out.append(encore.jwt_sign(header, c, key))
    return out


def rss_kib(pids):
    total = 0
    for pid in pids:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def live_pids():
    d = encore.stack_dir()
    out = []
    for f in sorted(os.listdir(d)):
        if f.startswith("encore-live-") and f.endswith(".pid"):
            with open(os.path.join(d, f)) as fh:
                out.append(int(fh.read().strip()))
    return out


# --------------------------------------------------------------------------
# The client: a minimal WebSocket over asyncio streams
# --------------------------------------------------------------------------

def frame(payload, opcode=1):
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x80 | opcode])
    head += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big")
    m = int.from_bytes((mask * (n // 4 + 1))[:n], "big") if n else 0
    body = (int.from_bytes(payload, "big") ^ m).to_bytes(n, "big") if n else b""
    return head + mask + body


async def read_frame(r):
    b = await r.readexactly(2)
    n = b[1] & 0x7F
    if n == 126:
        n = int.from_bytes(await r.readexactly(2), "big")
    elif n == 127:
        n = int.from_bytes(await r.readexactly(8), "big")
    return b[0] & 0x0F, await r.readexactly(n)


class Worker:
    def __init__(self, index, conns, host, port, ctx):
        self.index, self.conns = index, conns
        self.host, self.port, self.ctx = host, port, ctx
        self.joins = []
        self.writers = []  # (writer) of each joined connection
        self.latest = {}  # message key -> latest receipt (ns)
        self.sent = {}  # message key -> send time (ns), this worker's
        self.closed = 0
        self.errors = 0

    async def one(self, i, party, token):
        src = "127.%d.%d.%d" % (10 + self.index, 1 + i % SOURCES // 100, 1 + i % 100)
        t0 = time.monotonic_ns()
        try:
            r, w = await asyncio.open_connection(self.host, self.port, ssl=self.ctx,
                                                 local_addr=(src, 0),
                                                 server_hostname="localhost" if self.ctx else None)
            key = base64.b64encode(os.urandom(16)).decode()
            w.write(("GET /api/v1/live?party=%d HTTP/1.1\r\nHost: localhost\r\n"
                     "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                     "Sec-WebSocket-Protocol: encore-live, bearer.%s\r\n\r\n"
                     % (party, key, token)).encode())
            head = await r.readuntil(b"\r\n\r\n")
            if b" 101 " not in head.split(b"\r\n")[0]:
                raise OSError(head.split(b"\r\n")[0].decode())
            while True:
                op, payload = await read_frame(r)
                if op == 1 and b'"ready"' in payload[:20]:
                    break
            w.write(frame(json.dumps({"type": "join", "party_id": party}).encode()))
            while True:
                op, payload = await read_frame(r)
                if op == 1 and b'"snapshot"' in payload[:20]:
                    break
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as e:
            self.errors += 1
            if self.errors < 5:
                print("worker %d: a join failed: %s" % (self.index, e), flush=True)
            return
        self.joins.append((time.monotonic_ns() - t0) / 1e6)
        self.writers.append(w)
        try:
            while True:
                op, payload = await read_frame(r)
                if op == 1:
                    m = MARK.search(payload)
                    if m:
                        k = m.group(2)
                        now = time.monotonic_ns()
                        if now > self.latest.get(k, 0):
                            self.latest[k] = now
                elif op == 9:
                    w.write(frame(payload, 10))
                elif op == 8:
                    break
        except (OSError, asyncio.IncompleteReadError):
            pass
        self.closed += 1

    async def run(self, plan, start_at, chat_at, end_at, out):
        tasks = []
        gap = PROCS / JOIN_RATE
        await asyncio.sleep(max(0, start_at - time.time()))
        for n, (i, party, token) in enumerate(plan):
            tasks.append(asyncio.ensure_future(self.one(i, party, token)))
            await asyncio.sleep(max(0, start_at + (n + 1) * gap - time.time()))
        await asyncio.sleep(max(0, chat_at - time.time()))
        out.put(("joined", self.index, len(self.writers)))
        # chat: this worker's share of the rate, from random connections
        seq = 0
        period = PROCS / RATE
        t_next = time.time()
        while time.time() < end_at:
            if self.writers:
                w = random.choice(self.writers)
                k = b"%d%08d" % (self.index, seq)
                seq += 1
                now = time.monotonic_ns()
                self.sent[k] = now
                w.write(frame(b'{"type":"chat","text":"b %d %s"}' % (now, k)))
            t_next += period
            await asyncio.sleep(max(0, t_next - time.time()))
        await asyncio.sleep(DRAIN)  # the last receipts
        still = sum(1 for w in self.writers if not w.is_closing())
        out.put(("done", self.index, self.joins, self.sent, self.latest, still,
                 self.errors))
        for w in self.writers:
            w.close()
        for t in tasks:
            t.cancel()


def worker_main(index, plan, host, port, start_at, chat_at, end_at, out):
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    ctx = None
    if TLS:
        ctx = ssl.create_default_context(cafile=encore.stack()["ENCORE_CA_FILE"])
    w = Worker(index, plan, host, port, ctx)
    asyncio.run(w.run(plan, start_at, chat_at, end_at, out))


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))] if xs else float("nan")


def run_py(host, port, plan, pids, rss0):
    """The Python client: BENCH_PROCS asyncio processes. Its results."""
    plans = [[] for _ in range(PROCS)]
    for i, (party, token) in enumerate(plan):
        plans[i % PROCS].append((i, party, token))
    ramp = CONNS / JOIN_RATE
    start_at = time.time() + 1
    chat_at = start_at + ramp + REST
    end_at = chat_at + SECONDS
    out = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=worker_main, args=(
        k, plans[k], host, port, start_at, chat_at, end_at, out)) for k in range(PROCS)]
    for p in procs:
        p.start()
    joined = 0
    for _ in procs:
        _, _, n = out.get()
        joined += n
    rss1 = rss_kib(pids)
    print("%d of %d joined; encore-live RSS %.1f MiB -> %.1f MiB" % (
        joined, CONNS, rss0 / 1024, rss1 / 1024), flush=True)
    joins, sent, latest, still, errors = [], {}, {}, 0, 0
    for _ in procs:
        _, _, j, s, lt, st, err = out.get()
        joins += j
        sent.update(s)
        for k, v in lt.items():
            latest[k] = max(latest.get(k, 0), v)
        still += st
        errors += err
    for p in procs:
        p.join()
    fan = [(latest[k] - t0) / 1e6 for k, t0 in sent.items() if k in latest]
    return {"joined": joined, "rss1": rss1, "ok": len(joins), "failed": errors,
            "still": still, "join": [pct(joins, q) for q in (50, 95, 99)],
            "sent": len(sent), "per_s": len(sent) / SECONDS, "delivered": len(fan),
            "fan": [pct(fan, q) for q in (50, 95, 99)],
            "client": ["client (Python asyncio, %d processes%s)" % (
                PROCS, ", TLS" if TLS else "")]}


def run_c(host, port, plan, pids, rss0):
    """The C client, tests/bench/live_client under BENCH_BUILD. Its
    results, and its own lines for the report."""
    exe = os.path.join(ROOT, BUILD, "tests", "bench", "live_client")
    if not os.access(exe, os.X_OK):
        sys.exit("live_load: %s is not built (make -C %s tests/bench/live_client), "
                 "or run BENCH_CLIENT=py" % (exe, os.path.join(ROOT, BUILD)))
    args = [exe, "--host", host, "--port", str(port), "--join-rate", str(JOIN_RATE),
            "--chat-rate", str(RATE), "--seconds", str(SECONDS), "--rest", str(REST),
            "--drain", str(DRAIN), "--sources", str(SOURCES)]
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            universal_newlines=True)
    try:
        proc.stdin.write("".join("%d %s\n" % (party, token) for party, token in plan))
        proc.stdin.close()
    except BrokenPipeError:
        pass
    joined, rss1, rec = 0, None, {}
    for line in proc.stdout:
        w = line.split()
        if len(w) == 2 and w[0] == "joined":
            joined, rss1 = int(w[1]), rss_kib(pids)
            print("%d of %d joined; encore-live RSS %.1f MiB -> %.1f MiB" % (
                joined, CONNS, rss0 / 1024, rss1 / 1024), flush=True)
        elif w:
            rec[w[0]] = dict(zip(w[1::2], w[2::2]))
    if proc.wait() != 0 or rss1 is None or not all(
            k in rec for k in ("joins", "open", "chat", "fanout", "cpu")):
        sys.exit("live_load: the client failed (exit status %d)" % proc.returncode)
    j, o, c, f, u = (rec[k] for k in ("joins", "open", "chat", "fanout", "cpu"))
    chat_cpu = float(u["chat_user_s"]) + float(u["chat_sys_s"])
    chat_wall = float(u["chat_wall_s"])
    client = [
        "client (C, one process): CPU %.1f s user + %.1f s system in all; during the "
        "%.0f s of chat %.1f s (%.0f %% of a core); sends behind schedule p99 %.2f ms, "
        "max %.2f ms" % (
            float(u["user_s"]), float(u["sys_s"]), chat_wall, chat_cpu,
            100 * chat_cpu / chat_wall if chat_wall else 0,
            float(c["lag_p99_ms"]), float(c["lag_max_ms"])),
        "chat: %s refused (flood), %s other errors, %s not sent (no member under "
        "the chat limit); %s of %s receipts expected, %s messages reached every "
        "member; %s connections lost after joining" % (
            c["refused"], c["errors"], c["held"], f["receipts"], f["expected"],
            f["complete"], o["lost"])]
    return {"joined": joined, "rss1": rss1, "ok": int(j["ok"]), "failed": int(j["failed"]),
            "still": int(o["after_hold"]),
            "join": [float(j[k]) for k in ("p50_ms", "p95_ms", "p99_ms")],
            "sent": int(c["sent"]), "per_s": float(c["per_s"]),
            "delivered": int(f["delivered"]),
            "fan": [float(f[k]) for k in ("p50_ms", "p95_ms", "p99_ms")],
            "client": client}


def main():
    encore.require_stack()
    tag = "lb%d_" % os.getpid()
    t = time.time()
    users, parties = seed(tag)
    try:
        toks = tokens(users)
        print("seeded %d users and %d parties in %.1f s" % (len(users), len(parties),
                                                             time.time() - t), flush=True)
        base = encore.stack()["ENCORE_HTTPS_URL" if TLS else "ENCORE_HTTP_URL"]
        host, port = base.split("//")[1].split("/")[0].rsplit(":", 1)
        pids = live_pids()
        rss0 = rss_kib(pids)
        plan = [(parties[i % len(parties)], toks[i]) for i in range(CONNS)]
        if CLIENT == "c":
            r = run_c(socket.gethostbyname(host), int(port), plan, pids, rss0)
        elif CLIENT == "py":
            r = run_py(host, int(port), plan, pids, rss0)
        else:
            sys.exit("live_load: BENCH_CLIENT is c or py, not %r" % CLIENT)
        print("\nconnections %d in %d parties, %d joined, %d failed, %d still open "
              "after %.0f s" % (CONNS, PARTIES, r["ok"], r["failed"], r["still"], SECONDS))
        print("join (connect, upgrade, ready, snapshot) ms: p50 %.1f  p95 %.1f  p99 %.1f"
              % tuple(r["join"]))
        print("chat fan-out, send to last receipt, ms (%d messages, %.0f/s, %d delivered): "
              "p50 %.1f  p95 %.1f  p99 %.1f" % ((r["sent"], r["per_s"], r["delivered"])
                                                 + tuple(r["fan"])))
        if r["joined"]:
            print("encore-live memory per idle connection: %.1f KiB (%d processes)" % (
                (r["rss1"] - rss0) / r["joined"], len(pids)))
        for line in r["client"] or []:
            print(line)
    finally:
        sql("DELETE FROM parties WHERE name LIKE 'bench %%' AND owner_id >= %d"
            % users[0][0])
        sql("DELETE FROM users WHERE username LIKE '%s%%'" % tag)


if __name__ == "__main__":
    main()
