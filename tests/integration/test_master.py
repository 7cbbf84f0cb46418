#!/usr/bin/python3
"""The prefork master: a worker that dies is replaced, SIGHUP re-reads the
configuration and re-forks without failing a request, SIGTERM finishes the
requests in flight before exiting, and every request leaves one JSON access
line. The SIGTERM case runs a second encore-api of its own on its own socket,
spoken to directly in FastCGI, so the shared stack stays up."""
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request

STACK = os.environ.get("ENCORE_STACK_DIR")
if not STACK:
    print("ENCORE_STACK_DIR unset: skipped")
    sys.exit(77)


def load_env(path):
    env = {}
    for line in open(path):
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            env[k] = v.strip().strip("'\"")
    return env


ENV = load_env(os.path.join(STACK, "stack.env"))
BASE = ENV["ENCORE_HTTP_URL"]


def get(path, headers=None):
    req = urllib.request.Request(BASE + path, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def children(pid):
    kids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = open(f"/proc/{d}/stat").read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            kids.append(int(d))
    return sorted(kids)


def wait_for(cond, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.05)
    return False


def master_pid():
    return int(ENV["ENCORE_API_PID"])


def hammer(stop, results, path="/healthz"):
    while not stop.is_set():
        try:
            results.append(get(path)[0])
        except Exception as e:  # a dropped connection is a failure
            results.append(repr(e))


def test_dead_worker_is_replaced():
    master = master_pid()
    before = children(master)
    assert before, "no workers found under the master"
    os.kill(before[0], signal.SIGKILL)
    assert wait_for(lambda: before[0] not in children(master)
                    and len(children(master)) == len(before)), \
        f"worker not replaced: {before} -> {children(master)}"
    assert get("/healthz")[0] == 200


def test_sighup_reloads_without_dropping():
    master = master_pid()
    before = set(children(master))
    stop, results = threading.Event(), []
    threads = [threading.Thread(target=hammer, args=(stop, results))
               for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    os.kill(master, signal.SIGHUP)
    time.sleep(1.0)
    os.kill(master, signal.SIGHUP)
    time.sleep(1.0)
    stop.set()
    for t in threads:
        t.join()
    bad = [r for r in results if r != 200]
    assert len(results) > 100, f"only {len(results)} requests made"
    assert not bad, f"{len(bad)} of {len(results)} failed: {bad[:5]}"
    assert wait_for(lambda: len(children(master)) == len(before)), \
        "old generation did not exit"
    assert not (set(children(master)) & before), "workers were not re-forked"


# --- a minimal FastCGI client (responder role) --------------------------

def fcgi_record(kind, req_id, content):
    pad = (8 - len(content) % 8) % 8
    return struct.pack("!BBHHBx", 1, kind, req_id, len(content), pad) + \
        content + b"\0" * pad


def fcgi_params(pairs):
    out = b""
    for k, v in pairs.items():
        k, v = k.encode(), v.encode()
        for n in (len(k), len(v)):
            out += bytes([n]) if n < 128 else struct.pack("!I", n | 1 << 31)
        out += k + v
    return out


def fcgi_request(sock_path, method, path, body=b"", ctype=None):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(20)
    s.connect(sock_path)
    params = {"REQUEST_METHOD": method, "DOCUMENT_URI": path,
              "REQUEST_URI": path, "QUERY_STRING": "",
              "REMOTE_ADDR": "127.0.0.77", "CONTENT_LENGTH": str(len(body))}
    if ctype:
        params["CONTENT_TYPE"] = ctype
    msg = fcgi_record(1, 1, struct.pack("!HB5x", 1, 0))
    msg += fcgi_record(4, 1, fcgi_params(params)) + fcgi_record(4, 1, b"")
    if body:
        msg += fcgi_record(5, 1, body)
    msg += fcgi_record(5, 1, b"")
    s.sendall(msg)
    out, buf = b"", b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    s.close()
    while len(buf) >= 8:
        _, kind, _, n, pad = struct.unpack("!BBHHBx", buf[:8])
        if kind == 6:
            out += buf[8:8 + n]
        buf = buf[8 + n + pad:]
    head = out.split(b"\r\n", 1)[0].decode()
    return int(head.split()[1]) if head.startswith("Status:") else 0


def test_sigterm_drains_in_flight():
    conf = ENV["ENCORE_CONF"]
    sock = os.path.join(STACK, "drain-test.sock")
    pidf = os.path.join(STACK, "drain-test.pid")
    env = dict(os.environ, ENCORE_SOCKET=sock, ENCORE_PID_FILE=pidf,
               ENCORE_WORKERS="2")
    binary = os.environ.get("ENCORE_API_BIN") or ENV.get("ENCORE_API_BIN") \
        or "encore-api"
    proc = subprocess.Popen([binary, "-c", conf], env=env)
    try:
        assert wait_for(lambda: os.path.exists(sock)), "no socket"
        assert wait_for(lambda: len(children(proc.pid)) == 2)
        body = json.dumps({"username": ENV["ENCORE_DEMO_USER"],
                           "password": ENV["ENCORE_DEMO_PASSWORD"]}).encode()
        results = []

        def login():
            try:
                results.append(fcgi_request(sock, "POST", "/api/v1/auth/login",
                                            body, "application/json"))
            except OSError as e:
                results.append(repr(e))
        # Two in the workers' hands and two still queued on the socket:
        # all four must be answered.
        threads = [threading.Thread(target=login) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.02)  # the logins are in argon2id now
        proc.send_signal(signal.SIGTERM)
        for t in threads:
            t.join()
        assert proc.wait(timeout=30) == 0, "master did not exit cleanly"
        assert len(results) == 4 and all(r == 200 for r in results), results
        assert not os.path.exists(sock), "socket left behind"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_access_log_lines():
    log_dir = ENV.get("ENCORE_LOG_DIR")
    assert log_dir, "stack.env has no ENCORE_LOG_DIR"
    marker = f"/api/v1/users/logcheck{os.getpid()}"
    status, _ = get(marker, {"X-Test": "1"})
    assert status == 404
    found = None
    for name in os.listdir(log_dir):
        if not name.startswith("encore-api"):
            continue
        for line in open(os.path.join(log_dir, name), errors="replace"):
            if '"msg":"request"' not in line:
                continue
            rec = json.loads(line)
            if rec.get("route") == "/api/v1/users/{username}" and \
                    rec.get("status") == 404:
                found = rec
    assert found, "no access line for the request"
    for key in ("ts", "level", "request_id", "method", "route", "status",
                "duration_us", "user_id"):
        assert key in found, f"access line lacks {key}: {found}"
    assert isinstance(found["duration_us"], int)
    assert found["request_id"] not in ("", "-"), "nginx request id missing"


def main():
    tests = [(n, f) for n, f in sorted(globals().items())
             if n.startswith("test_") and callable(f)]
    passed = failed = 0
    for name, fn in tests:
        try:
            fn()
            print(f"PASS {name}")
            passed += 1
        except Exception as e:
            print(f"FAIL {name}: {e!r}")
            failed += 1
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
