"""faults: the machinery of tests/integration/test_faults.py.

A private stack of the test's own (encore-stack start DIR in a fresh
directory on free ports, stopped whatever happens, with a guard process that
stops it even when the test itself is killed), its processes found through
the pid files under DIR, a write load that records every write it sent and
what came back, slow clients against nginx, and a record of named checks.

Only the standard library and requests (Debian's python3-requests).
"""

import collections
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402


# --------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------

class Checks:
    """Named checks, each independent: a failure is recorded with its
    message and the run goes on. `run(name, fn)` runs fn now; `fail` and
    `ok` record results found elsewhere."""

    def __init__(self):
        self.results = []  # (name, ok, message, seconds)
        self.lock = threading.Lock()

    def _record(self, name, ok, msg, secs):
        with self.lock:
            self.results.append((name, ok, msg, secs))
        if ok:
            print("PASS %s (%.2fs)" % (name, secs), flush=True)
        else:
            print("FAIL %s: %s" % (name, msg), flush=True)

    def run(self, name, fn, *args):
        t0 = time.monotonic()
        try:
            out = fn(*args)
        except AssertionError as e:
            self._record(name, False, str(e) or "assertion failed", time.monotonic() - t0)
            return None
        except encore.Skip as e:
            print("SKIP %s: %s" % (name, e), flush=True)
            return None
        except Exception as e:  # an error of the test, the connection...
            tb = traceback.format_exception(type(e), e, e.__traceback__)[-3:]
            self._record(name, False, "%s: %s\n     %s" % (
                type(e).__name__, e, "     ".join(tb)), time.monotonic() - t0)
            return None
        self._record(name, True, "", time.monotonic() - t0)
        return out

    def ok(self, name, secs=0.0):
        self._record(name, True, "", secs)

    def fail(self, name, msg):
        self._record(name, False, msg, 0.0)

    def failed(self):
        return [r for r in self.results if not r[1]]

    def summary(self):
        bad = self.failed()
        line = "%d passed, %d failed" % (len(self.results) - len(bad), len(bad))
        return line


def brief(resp):
    """'401 {"type":...}' for a response, or the exception's text."""
    if resp is None:
        return "no answer"
    if isinstance(resp, Exception):
        return "%s: %s" % (type(resp).__name__, resp)
    body = resp.content[:200].decode("utf-8", "replace") if resp.content else ""
    ra = resp.headers.get("Retry-After")
    return "%d%s %s" % (resp.status_code, " (Retry-After: %s)" % ra if ra else "",
                        body.strip())


# --------------------------------------------------------------------------
# HTTP clients from an address of their own
# --------------------------------------------------------------------------

def session_from(source_ip, scheme="https"):
    """A requests.Session that connects from source_ip (a 127.x.y.z) and
    trusts the stack's CA; one per thread."""
    import requests
    import requests.adapters

    class SourceAdapter(requests.adapters.HTTPAdapter):
        def init_poolmanager(self, *args, **kw):
            if source_ip:
                kw["source_address"] = (source_ip, 0)
            return super().init_poolmanager(*args, **kw)

    s = requests.Session()
    s.trust_env = False
    s.verify = encore.ca_file()
    s.mount("http://", SourceAdapter())
    s.mount("https://", SourceAdapter())
    return s


class Client:
    """Requests from one loopback address (its own nginx rate-limit key and
    login-throttle address), with an optional bearer token."""

    def __init__(self, source_ip=None, timeout=20, rate=40.0):
        self.ip = source_ip or encore.loopback_source()
        self.timeout = timeout
        self.session = session_from(self.ip)
        self.base = encore.base_url("https")
        self.gap = 1.0 / rate  # nginx allows 50 requests/s per address
        self.last = 0.0

    def call(self, method, path, token=None, json_body=None, headers=None,
             timeout=None):
        wait = self.last + self.gap - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self.last = time.monotonic()
        h = dict(headers or {})
        data = None
        if token:
            h["Authorization"] = "Bearer " + token
        if json_body is not None:
            data = json.dumps(json_body).encode()
            h["Content-Type"] = "application/json"
        return self.session.request(method, self.base + path, data=data, headers=h,
                                    timeout=timeout or self.timeout,
                                    allow_redirects=False)

    def login(self, username, password):
        return self.call("POST", "/api/v1/auth/login",
                         json_body={"username": username, "password": password})


# --------------------------------------------------------------------------
# The stack of the test's own
# --------------------------------------------------------------------------

def _alive(pid):
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def _state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


_GUARD = r"""
import os, signal, subprocess, sys, time
parent, stack_bin, d, stopped_file = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False
while alive(parent):
    time.sleep(0.5)
# The test is gone (killed, perhaps by CTest's timeout): continue what it
# stopped, then stop its stack.
try:
    for line in open(stopped_file):
        w = line.split()
        try:
            if len(w) == 3 and w[0] == "hidden":
                os.rename(w[1], w[2])
            elif len(w) == 1:
                os.kill(int(w[0]), signal.SIGCONT)
        except (ValueError, OSError):
            pass
except OSError:
    pass
if os.path.isdir(d) and not os.path.exists(os.path.join(d, ".faults-stopped-cleanly")):
    os.makedirs(os.path.join(d, "log"), exist_ok=True)
    with open(os.path.join(d, "log", "faults-guard.log"), "a") as log:
        log.write("the test (pid %d) ended without stopping its stack: stopping it\n" % parent)
        log.flush()
        subprocess.run([stack_bin, "stop", "--purge-data", d], stdout=log, stderr=log,
                       stdin=subprocess.DEVNULL, timeout=300)
"""


class Stack:
    """encore-stack's stack in a directory of its own."""

    def __init__(self, builddir, directory):
        self.builddir = builddir
        self.bin = os.path.join(builddir, "src", "stack", "encore-stack")
        self.dir = directory
        self.stopped_file = os.path.join(directory, ".faults-sigstopped")
        self.mc_cmdline = None  # memcached's command line, kept to restart it
        self.started = False

    # --- life ---

    def _env(self):
        env = dict(os.environ)
        for k in list(env):
            if k.startswith("ENCORE_") and k not in ("ENCORE_SRCDIR", "ENCORE_BUILDDIR",
                                                     "ENCORE_KEEP_STACK", "ENCORE_WORKERS"):
                del env[k]
        env.update(ENCORE_STACK_TEST="1", ENCORE_HTTPS_PORT="0", ENCORE_HTTP_PORT="0")
        return env

    def run_stack(self, verb, *extra, timeout=300):
        """encore-stack VERB [extra] DIR; its output goes to DIR/log."""
        os.makedirs(os.path.join(self.dir, "log"), exist_ok=True)
        with open(os.path.join(self.dir, "log", "faults-stack.log"), "a") as log:
            log.write("\n=== %s encore-stack %s\n" % (time.strftime("%H:%M:%S"), verb))
            log.flush()
            p = subprocess.run([self.bin, verb] + list(extra) + [self.dir], env=self._env(),
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               timeout=timeout)
        return p.returncode

    def start(self):
        if not os.access(self.bin, os.X_OK):
            raise encore.Skip("%s not found: build first" % self.bin)
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o700)
        self.spawn_guard()
        self.started = True
        rc = self.run_stack("start")
        if rc != 0:
            # the callers remove the directory: what went wrong goes with the error
            path = os.path.join(self.dir, "log", "faults-stack.log")
            try:
                with open(path, errors="replace") as f:
                    tail = "".join(f.readlines()[-40:])
            except OSError as e:
                tail = "(%s)" % e
            raise AssertionError("encore-stack start %s failed (exit %d); the end of %s:\n%s" % (
                self.dir, rc, path, tail))
        os.environ["ENCORE_STACK_DIR"] = self.dir
        encore._stack = None
        encore.require_stack()

    def spawn_guard(self):
        """A process outside this one's tree (double fork) that stops the
        stack when this process ends without doing it (CTest kills a test's
        whole process tree at its timeout, but not the stack's daemons)."""
        open(self.stopped_file, "a").close()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            try:
                os.setsid()
                if os.fork() != 0:
                    os._exit(0)
                fd = os.open(os.devnull, os.O_RDWR)
                for i in (0, 1, 2):
                    os.dup2(fd, i)
                os.execv(sys.executable, [sys.executable, "-c", _GUARD, str(parent),
                                          self.bin, self.dir, self.stopped_file])
            finally:
                os._exit(1)
        os.waitpid(pid, 0)

    def stop(self, purge=True):
        """Continue whatever was stopped, stop every piece. Returns
        encore-stack's exit status."""
        self.cont_all()
        if not self.started:
            return 0
        rc = self.run_stack("stop", *(["--purge-data"] if purge else []), timeout=300)
        if rc == 0:
            open(os.path.join(self.dir, ".faults-stopped-cleanly"), "w").close()
        return rc

    def remove(self):
        """Remove DIR (and the short link to it that encore-stack makes for
        its sockets under a long DIR), unless ENCORE_KEEP_STACK is set."""
        if os.environ.get("ENCORE_KEEP_STACK"):
            return
        for name in os.listdir("/tmp"):
            p = os.path.join("/tmp", name)
            if name.startswith("encore-") and os.path.islink(p) and os.readlink(p) == self.dir:
                try:
                    os.unlink(p)
                except OSError:
                    pass
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- processes ---

    def pid(self, name, pattern):
        """The live pid of DIR/NAME.pid whose command line mentions pattern."""
        try:
            with open(os.path.join(self.dir, name + ".pid")) as f:
                pid = int(f.read().strip() or 0)
        except (OSError, ValueError):
            return None
        if not _alive(pid):
            return None
        if pattern and not any(pattern in a for a in _cmdline(pid)):
            return None
        return pid

    def memcached_pid(self):
        return self.pid("memcached", "memcached")

    def mariadb_pid(self):
        return self.pid("mariadb", "mariadbd") or self.pid("mariadb", "mysqld")

    def api_pid(self):
        return self.pid("encore-api", "encore-api")

    def nginx_pid(self):
        return self.pid("nginx", "nginx")

    def workers(self):
        m = self.api_pid()
        return sorted(encore.children(m)) if m else []

    def running(self):
        return {"mariadb": self.mariadb_pid(), "memcached": self.memcached_pid(),
                "encore-api": self.api_pid(), "nginx": self.nginx_pid()}

    def asan(self):
        """True when encore-api is an AddressSanitizer build."""
        for pid in self.workers()[:1] + [self.api_pid()]:
            try:
                with open("/proc/%d/maps" % pid) as f:
                    if "libasan" in f.read():
                        return True
            except (OSError, TypeError):
                pass
        try:
            with open(os.path.join(self.builddir, "config.status"), errors="replace") as f:
                return "fsanitize=address" in f.read()
        except OSError:
            return False

    # --- memcached ---

    def memcached_sigstop(self):
        """SIGSTOP memcached: up, holding its connections, answering nothing."""
        pid = self.memcached_pid()
        if not pid:
            raise AssertionError("memcached is not running (no live pid in %s/memcached.pid)" % self.dir)
        with open(self.stopped_file, "a") as f:
            f.write("%d\n" % pid)
        os.kill(pid, signal.SIGSTOP)
        for _ in range(100):
            if _state(pid) == "T":
                break
            time.sleep(0.01)
        return pid

    def memcached_hide(self):
        """Move memcached's socket aside: it runs on, with its data, but a
        worker that connects again (libmemcached closes a connection that
        timed out) is refused, so what it meant to send never arrives."""
        sock = encore.stack().get("ENCORE_KV_SOCKET")
        if not sock or not os.path.exists(sock):
            raise AssertionError("memcached's socket %r is missing" % sock)
        away = sock + ".faults-away"
        with open(self.stopped_file, "a") as f:
            f.write("hidden %s %s\n" % (away, sock))
        os.rename(sock, away)

    def cont_all(self):
        """Put back what this test moved aside and SIGCONT every process it
        stopped (idempotent)."""
        try:
            with open(self.stopped_file) as f:
                lines = [line.split() for line in f]
        except OSError:
            lines = []
        for w in lines:  # sockets first, so that memcached wakes up reachable
            if len(w) == 3 and w[0] == "hidden" and os.path.exists(w[1]):
                try:
                    os.rename(w[1], w[2])
                except OSError:
                    pass
        for w in lines:
            if len(w) == 1 and w[0].isdigit():
                try:
                    os.kill(int(w[0]), signal.SIGCONT)
                except OSError:
                    pass
        if lines:
            try:
                open(self.stopped_file, "w").close()
            except OSError:
                pass

    def memcached_kill(self, sig=signal.SIGTERM):
        """Stop memcached (its data goes with it); remember how it ran."""
        pid = self.memcached_pid()
        if not pid:
            raise AssertionError("memcached is not running")
        self.mc_cmdline = _cmdline(pid)
        os.kill(pid, signal.SIGCONT)
        os.kill(pid, sig)
        for _ in range(200):
            if not _alive(pid):
                return pid
            time.sleep(0.025)
        os.kill(pid, signal.SIGKILL)
        for _ in range(200):
            if not _alive(pid):
                return pid
            time.sleep(0.025)
        raise AssertionError("memcached (pid %d) did not exit" % pid)

    def memcached_start(self):
        """Start memcached again, empty, as it ran before (its own command
        line: -d, its socket, its pid file); encore-stack start otherwise."""
        if self.memcached_pid():
            return
        if self.mc_cmdline and "-d" in self.mc_cmdline:
            with open(os.path.join(self.dir, "log", "memcached.log"), "a") as log:
                subprocess.run(self.mc_cmdline, stdin=subprocess.DEVNULL, stdout=log,
                               stderr=log, timeout=30, start_new_session=True)
            sock = encore.stack().get("ENCORE_KV_SOCKET")
            for _ in range(200):
                if self.memcached_pid() and (not sock or os.path.exists(sock)):
                    return
                time.sleep(0.025)
        rc = self.run_stack("start")
        if rc != 0 or not self.memcached_pid():
            raise AssertionError("memcached did not start again (encore-stack start: exit %d)" % rc)

    # --- MariaDB ---

    def mariadb_stop(self, sig=signal.SIGTERM, timeout=60):
        """Stop MariaDB: SIGTERM is a clean shutdown, SIGKILL a crash."""
        pid = self.mariadb_pid()
        if not pid:
            raise AssertionError("mariadb is not running")
        os.kill(pid, sig)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not _alive(pid):
                return pid
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
        return pid

    def heal(self):
        """Bring the stack back to every piece running and answering."""
        self.cont_all()
        if all(self.running().values()):
            return 0
        return self.run_stack("start")

    # --- accounts ---

    def make_user(self, prefix="f"):
        """A fresh account of role user, made by the stack's own encore-admin
        (`user ensure`, the password on stdin): no registration throttle,
        no mail to confirm. Returns an encore.User with its id."""
        name = encore.unique(prefix)
        email = "%s@example.org" % name.lower()
        pw = encore.strong_password()
        admin_bin = encore.stack().get("ENCORE_ADMIN_BIN") or os.path.join(
            self.builddir, "src", "admin", "encore-admin")
        p = subprocess.run([admin_bin, "-c", os.path.join(self.dir, "encore.conf"), "user",
                            "ensure", name, email, "user"], input=(pw + "\n").encode(),
                           capture_output=True, timeout=60)
        out = (p.stdout + p.stderr).decode("utf-8", "replace")
        m = re.search(r"\bid (\d+)", out)
        if p.returncode != 0 or not m:
            raise AssertionError("encore-admin user ensure %s failed (exit %d): %s" % (
                name, p.returncode, out.strip()[:300]))
        return encore.User(name, email, pw, {"id": int(m.group(1)), "username": name})

    # --- SQL over the stack's socket, as its database user ---

    def sql(self, query):
        c, s = encore.conf(), encore.secrets_conf()
        cnf = os.path.join(self.dir, ".faults-client.cnf")
        if not os.path.exists(cnf):
            fd = os.open(cnf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write("[client]\nsocket=%s\nuser=%s\npassword=%s\ndatabase=%s\n" % (
                    c.get("db_socket") or encore.stack()["ENCORE_DB_SOCKET"],
                    c.get("db_user", "encore"), s.get("db_password", ""),
                    c.get("db_name", "encore")))
        out = subprocess.run(["mariadb", "--defaults-file=" + cnf, "-N", "-B",
                              "--default-character-set=utf8mb4", "-e", query],
                             capture_output=True, timeout=60)
        if out.returncode != 0:
            raise AssertionError("SQL failed (%s): %s" % (
                query[:80], out.stderr.decode("utf-8", "replace").strip()))
        return [line.split("\t") for line in out.stdout.decode("utf-8").splitlines()]


def wait_for(cond, timeout, step=0.1):
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v or time.monotonic() >= end:
            return v
        time.sleep(step)


# --------------------------------------------------------------------------
# The write load
# --------------------------------------------------------------------------

Write = collections.namedtuple("Write", "kind phase t0 t1 status ack detail")


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class Writer(threading.Thread):
    """One user writing from one address at a steady rate: listens, playlists
    created, renamed and tracks added, each recorded with what came back."""

    def __init__(self, load, idx, user, tracks, rate):
        super().__init__(name="writer-%d" % idx, daemon=True)
        self.load, self.idx, self.user, self.tracks, self.rate = load, idx, user, tracks, rate
        self.client = Client(timeout=load.timeout)
        self.token_at = time.monotonic()
        self.seq = 0
        self.ts = int(time.time()) - 40 * 86400 + idx * 500000  # listened_at, +1 s each
        # what was acknowledged (and attempted) per object
        self.listens = set()                  # (track_id, "YYYY-MM-DDTHH:MM:SS")
        self.playlists = {}                   # id -> [(seq, name, acked)] (creation first)
        self.adds = collections.Counter()     # (playlist id, track id) -> acked adds
        self.writes = []
        self.lock = threading.Lock()          # guards the three above

    def acked_state(self):
        """A copy of what was acknowledged so far."""
        with self.lock:
            return (set(self.listens), {p: list(h) for p, h in self.playlists.items()},
                    collections.Counter(self.adds))

    def _record(self, kind, t0, resp, ack, detail=""):
        t1 = time.monotonic()
        st = resp.status_code if resp is not None and not isinstance(resp, Exception) else None
        if st is None:
            detail = detail or brief(resp)
        elif not ack and not detail:
            detail = brief(resp)
        w = Write(kind, self.load.phase, t0, t1, st, ack, detail)
        self.writes.append(w)
        return w

    def _send(self, method, path, body):
        try:
            return self.client.call(method, path, token=self.user.access, json_body=body)
        except Exception as e:  # a connection reset or a timeout: no answer
            return e

    def relogin(self):
        """Access tokens live 15 minutes: a long run logs in again."""
        r = self.client.login(self.user.username, self.user.password)
        if r.status_code == 200:
            self.user.access = r.json()["access_token"]
            self.token_at = time.monotonic()

    def op_listen(self):
        self.ts += 1
        tid = random.choice(self.tracks)
        stamp = iso(self.ts)
        t0 = time.monotonic()
        r = self._send("POST", "/api/v1/me/listens", {"track_id": tid, "listened_at": stamp})
        ack = False
        if not isinstance(r, Exception) and 200 <= r.status_code < 300:
            try:
                b = r.json()
                ack = b.get("stored", 0) + b.get("duplicates", 0) == 1
            except ValueError:
                ack = False
            if not ack:
                return self._record("listen", t0, r, False, "2xx but not stored: " + brief(r))
            with self.lock:
                self.listens.add((tid, stamp[:-1]))
        return self._record("listen", t0, r, ack)

    def op_create(self):
        self.seq += 1
        name = "faults w%d p%d" % (self.idx, self.seq)
        t0 = time.monotonic()
        r = self._send("POST", "/api/v1/playlists", {"name": name, "visibility": "public"})
        ack = not isinstance(r, Exception) and r.status_code == 201
        if ack:
            try:
                pid = int(r.json()["id"])
                with self.lock:
                    self.playlists[pid] = [(self.seq, name, True)]
            except (ValueError, KeyError, TypeError):
                return self._record("create", t0, r, False, "201 without an id: " + brief(r))
        return self._record("create", t0, r, ack)

    def _mine(self):
        with self.lock:
            return random.choice(list(self.playlists)) if self.playlists else None

    def op_rename(self):
        pid = self._mine()
        if pid is None:
            return self.op_create()
        self.seq += 1
        name = "faults w%d p%d r%d" % (self.idx, pid, self.seq)
        # the attempt is on record before it is sent: MariaDB may hold the
        # name while its answer is still on the way, and a check made then
        # must count it among the names tried after the last acknowledged one
        with self.lock:
            history = self.playlists[pid]
            history.append((self.seq, name, False))
            at = len(history) - 1
        t0 = time.monotonic()
        r = self._send("PATCH", "/api/v1/playlists/%d" % pid, {"name": name})
        ack = not isinstance(r, Exception) and r.status_code == 200
        if ack:
            with self.lock:
                history[at] = (self.seq, name, True)
        return self._record("rename", t0, r, ack)

    def op_add(self):
        pid = self._mine()
        if pid is None:
            return self.op_create()
        tid = random.choice(self.tracks)
        t0 = time.monotonic()
        r = self._send("POST", "/api/v1/playlists/%d/tracks" % pid, {"track_ids": [tid]})
        ack = not isinstance(r, Exception) and r.status_code == 200
        if ack:
            with self.lock:
                self.adds[(pid, tid)] += 1
        return self._record("add", t0, r, ack)

    CYCLE = ("listen", "add", "listen", "rename", "listen", "add", "listen", "rename",
             "listen", "add", "listen", "rename", "listen", "add", "listen", "create")

    def run(self):
        i = 0
        gap = 1.0 / self.rate
        nxt = time.monotonic()
        while not self.load.stopping.is_set():
            if time.monotonic() - self.token_at > 600:
                try:
                    self.relogin()
                except Exception:
                    pass
            op = self.CYCLE[i % len(self.CYCLE)]
            i += 1
            try:
                getattr(self, "op_" + op)()
            except Exception as e:  # a bug of the writer: keep it visible
                self.writes.append(Write(op, self.load.phase, time.monotonic(), time.monotonic(),
                                         None, False, "writer error: %r" % e))
            nxt += gap
            wait = nxt - time.monotonic()
            if wait > 0:
                self.load.stopping.wait(wait)
            else:
                nxt = time.monotonic()


class Load:
    """Several Writers; `phase` labels what they send from now on."""

    def __init__(self, users, tracks, rate, timeout=20):
        self.phase = "setup"
        self.stopping = threading.Event()
        self.timeout = timeout
        self.writers = [Writer(self, i, u, tracks, rate) for i, u in enumerate(users)]

    def start(self):
        for w in self.writers:
            w.start()

    def stop(self):
        self.stopping.set()
        for w in self.writers:
            w.join(timeout=60)

    def writes(self, phase_prefix=None):
        out = []
        for w in self.writers:
            out.extend(x for x in list(w.writes)
                       if phase_prefix is None or x.phase.startswith(phase_prefix))
        return out

    def count(self, phase_prefix=None):
        """{phase: 'acknowledged a of n; statuses {...}'} for a report."""
        per = collections.OrderedDict()
        for x in sorted(self.writes(phase_prefix), key=lambda w: w.t0):
            d = per.setdefault(x.phase, collections.Counter())
            d["n"] += 1
            d["ack"] += x.ack
            d[str(x.status) if x.status is not None else "no answer"] += 1
        return per

    def mark(self):
        """A point in time to ask `since` about."""
        return time.monotonic()

    def since(self, t):
        return [x for x in self.writes() if x.t0 >= t]

    # --- what MariaDB holds ---

    def missing(self, stack):
        """Acknowledged writes that MariaDB does not hold: a list of
        descriptions (empty when nothing acknowledged was lost)."""
        ids = [w.user.id for w in self.writers]
        if not ids:
            return []
        # what was acknowledged up to now, taken before MariaDB is read
        state = {w.idx: w.acked_state() for w in self.writers}
        idlist = ",".join(str(int(i)) for i in ids)
        rows = stack.sql("SELECT user_id, track_id, DATE_FORMAT(listened_at, '%Y-%m-%dT%H:%i:%s') "
                         "FROM listens WHERE user_id IN (" + idlist + ")")
        stored = collections.defaultdict(set)
        for uid, tid, at in rows:
            stored[int(uid)].add((int(tid), at))
        prow = stack.sql("SELECT id, owner_id, name FROM playlists WHERE owner_id IN (" + idlist + ")")
        names = {int(p): (int(o), n) for p, o, n in prow}
        trows = []
        pids = [str(p) for w in self.writers for p in state[w.idx][1]]
        if pids:
            trows = stack.sql("SELECT playlist_id, track_id, COUNT(*) FROM playlist_tracks "
                              "WHERE playlist_id IN (" + ",".join(pids) + ") "
                              "GROUP BY playlist_id, track_id")
        held = collections.Counter({(int(p), int(t)): int(n) for p, t, n in trows})
        # names tried since the first copy may be in MariaDB already
        later = {w.idx: w.acked_state()[1] for w in self.writers}
        out = []
        for w in self.writers:
            listens, playlists, adds = state[w.idx]
            lost = listens - stored[w.user.id]
            if lost:
                out.append("%d of %d acknowledged listens of %s are not in MariaDB, e.g. %s" % (
                    len(lost), len(listens), w.user.username, sorted(lost)[:3]))
            for pid, history in playlists.items():
                if pid not in names:
                    out.append("playlist %d of %s (created, 201) is not in MariaDB" % (
                        pid, w.user.username))
                    continue
                acked = [i for i, h in enumerate(history) if h[2]]
                last = acked[-1]
                allowed = [h[1] for h in later[w.idx].get(pid, history)[last:]]
                if names[pid][1] not in allowed:
                    out.append("playlist %d is named %r in MariaDB; its last acknowledged name is %r "
                               "(later attempts: %r)" % (pid, names[pid][1], history[last][1],
                                                         allowed[1:]))
            for (pid, tid), n in adds.items():
                if held[(pid, tid)] < n:
                    out.append("track %d was added to playlist %d %d time(s) with 200, MariaDB "
                               "holds it %d time(s)" % (tid, pid, n, held[(pid, tid)]))
        return out

    def acked_total(self):
        return sum(1 for x in self.writes() if x.ack)


# --------------------------------------------------------------------------
# Slow clients
# --------------------------------------------------------------------------

class SlowClients:
    """Connections that send a request's headers a line at a time, one line
    every `every` seconds, never finishing (slowloris)."""

    def __init__(self, url, n, tls=False, every=2.0, sources=8):
        u = urllib.parse.urlsplit(url)
        self.host, self.port, self.tls = u.hostname, u.port, tls
        self.n, self.every = n, every
        self.socks = []
        self.opened = 0
        self.closed_by_server = 0
        self.errors = collections.Counter()
        self.stop_ev = threading.Event()
        self.thread = None
        self.sources = [encore.loopback_source() for _ in range(sources)]

    def _open_one(self, i, ctx):
        src = self.sources[i % len(self.sources)]
        s = socket.create_connection((self.host, self.port), timeout=10,
                                     source_address=(src, 0) if src else None)
        if self.tls:
            s = ctx.wrap_socket(s, server_hostname="localhost")
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nUser-Agent: slow/%d\r\n" % i)
        return s

    def open(self, threads=16):
        ctx = None
        if self.tls:
            ctx = ssl.create_default_context(cafile=encore.stack().get("ENCORE_CA_FILE"))
        lock = threading.Lock()
        todo = list(range(self.n))

        def worker():
            while True:
                with lock:
                    if not todo:
                        return
                    i = todo.pop()
                try:
                    s = self._open_one(i, ctx)
                except Exception as e:
                    with lock:
                        self.errors[type(e).__name__] += 1
                    continue
                with lock:
                    self.socks.append(s)
                    self.opened += 1

        ts = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.thread = threading.Thread(target=self._drip, daemon=True)
        self.thread.start()

    def _drip(self):
        k = 0
        while not self.stop_ev.wait(self.every):
            k += 1
            alive = []
            for s in self.socks:
                try:
                    s.sendall(b"X-Slow-%d: %s\r\n" % (k, b"a" * 8))
                    alive.append(s)
                except (OSError, ssl.SSLError):
                    self.closed_by_server += 1
                    try:
                        s.close()
                    except OSError:
                        pass
            self.socks = alive

    def still_open(self):
        return len(self.socks)

    def close(self):
        self.stop_ev.set()
        if self.thread:
            self.thread.join(timeout=30)
        for s in self.socks:
            try:
                s.close()
            except OSError:
                pass
        self.socks = []


def raise_fd_limit(want):
    """Raise the soft limit of open files towards want; return the limit."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


def new_secret():
    return secrets.token_hex(4)
