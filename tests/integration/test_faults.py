#!/usr/bin/python3
"""Faults: Encore under the faults an operator meets, on a stack of this
test's own (CTEST_OWN_STACK: CTest gives it no shared stack; it starts one
with `encore-stack start` in a fresh directory under the build tree, on free
ports, and stops it at the end whatever happens).

While writers post listens, create and rename playlists and add tracks from
addresses of their own, each fault is applied in turn:

  - memcached unreachable: up with its data but out of the workers' reach
    (SIGSTOP, so a request to it times out, and its socket moved aside, so
    a worker connecting again is refused), then back with its old data
    (the long mode also SIGSTOPs it alone);
  - memcached stopped, then started again empty;
  - MariaDB stopped and started again (a clean shutdown; also a crash in
    the long mode);
  - encore-api workers killed with SIGKILL;
  - encore-api reloaded (SIGHUP of the master) and drained (SIGTERM), then
    started again; nginx reloaded;
  - 1,000 slow clients holding connections to nginx, sending headers a line
    at a time.

Through each one it checks that
  - no request answers 500 (a 5xx such as 503 during a fault is allowed),
    and every write that answered 2xx is in MariaDB afterwards;
  - a logged-out access token answers 401 before, during and after the
    fault (also when the logout happened while memcached was away, and after
    memcached restarted empty), while a live one keeps working;
  - wrong passwords for one account from one address answer 429 with
    Retry-After after 5 free failures, with memcached up, down or restarted,
    while the owner still logs in from another address;
  - a track renamed while memcached is unreachable or down shows its new
    title within 5 s once memcached is back, and never the old one after;
  - /readyz answers 200 with the cache reported degraded or down while
    memcached is away (and the API works), and 503 only while MariaDB is
    down;
  - the master replaces killed workers and a reload re-forks them;
  - ordinary requests keep being served in bounded time under slow clients.

Accounts are made with the stack's own `encore-admin user ensure` (no
registration throttle, no mail to confirm). Each check is named and reported
on its own (PASS/FAIL with what was expected and what came back); a failed
check does not stop the others, and every fault is undone (SIGCONT, socket
back, services started again) before the next one. Latency bounds are
tripled, and the 5 s of coherence doubled, in an AddressSanitizer build
(ENCORE_FAULTS_SLOWDOWN overrides the factor).

ENCORE_FAULTS_LONG=1 runs the long mode (more writers, longer faults, more
kills and reloads, each memcached fault three times, a MariaDB crash, the
slow clients over TLS too, held for a minute). The stack's directory is
removed after a run that passed (kept with ENCORE_KEEP_STACK=1 or after a
failure, its logs under DIR/log); a guard process stops the stack should
this one be killed (CTest's timeout).
"""

import collections
import json
import os
import secrets
import signal
import statistics
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
import faults  # noqa: E402
from faults import brief  # noqa: E402

LONG = os.environ.get("ENCORE_FAULTS_LONG", "") not in ("", "0")

MODE = dict(
    writers=3,          # write-load threads, one user and address each
    rate=10,            # writes per second per writer
    window=11.0,        # seconds watched after memcached is back (past the
                        # workers' 10 s pause before they retry a failed server)
    hold=2.0,           # least seconds a fault lasts
    mc_cycles=1,        # times each memcached fault is applied
    mariadb=("TERM",),  # MariaDB stops: clean shutdown, crash
    kills=4,            # workers killed with SIGKILL
    hups=2,             # SIGHUPs of the master
    slow=1000,          # slow clients over plain HTTP
    slow_tls=0,         # ... and over TLS
    slow_hold=4.0,      # seconds they are held
)
if LONG:
    MODE.update(writers=6, rate=12, window=30.0, hold=10.0, mc_cycles=3,
                mariadb=("TERM", "KILL"), kills=30, hups=6, slow=1000, slow_tls=1000,
                slow_hold=60.0)

FREE_FAILURES = 5     # wrong passwords per account and address before 429
THROTTLE_WITHIN = 8   # a 429 must come by this many wrong passwords in a row
COHERENT_WITHIN = 5.0  # seconds for a rename to show once memcached is back
ME = "/api/v1/me"
LOGIN = "/api/v1/auth/login"
LOGOUT = "/api/v1/auth/logout"


class Ctx:
    pass


ctx = Ctx()


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

def note(resp, what):
    """Remember every 500 the checks themselves saw (a 500 is a bug)."""
    if resp is not None and not isinstance(resp, Exception) and resp.status_code == 500:
        ctx.s500.append("%s: %s" % (what, brief(resp)))
    return resp


def call(method, path, token=None, json_body=None, client=None, timeout=None):
    c = client or ctx.main
    try:
        r = c.call(method, path, token=token, json_body=json_body, timeout=timeout)
    except Exception as e:
        return e
    return note(r, "%s %s" % (method, path))


def status(r):
    return None if r is None or isinstance(r, Exception) else r.status_code


def new_user():
    return ctx.stack.make_user()


def login_pair(user, client=None):
    """Log user in (a new session) from client; the token pair."""
    r = call("POST", LOGIN, json_body={"username": user.username, "password": user.password},
             client=client)
    if status(r) != 200:
        raise AssertionError("login of %s answered %s, expected 200" % (user.username, brief(r)))
    return r.json()


def session(user, client=None):
    return login_pair(user, client)["access_token"]


def logout(token):
    r = call("POST", LOGOUT, token=token)
    if status(r) != 204:
        raise AssertionError("POST %s answered %s, expected 204" % (LOGOUT, brief(r)))


def expect_me(token, want, what):
    r = call("GET", ME, token=token)
    if status(r) != want:
        raise AssertionError("GET %s with %s answered %s, expected %d" % (ME, what, brief(r), want))


def readyz():
    return call("GET", "/readyz")


def ready_body(r):
    try:
        return r.json()
    except Exception:
        return None


def check_ready_samples(samples, what):
    """Each /readyz answer taken during a cache outage: 200, cache
    degraded or down, database ok."""
    bad = collections.OrderedDict()
    for dt, r in samples:
        b = ready_body(r) if status(r) else None
        checks = (b or {}).get("checks") or {}
        if status(r) != 200 or checks.get("cache") not in ("degraded", "down") \
                or checks.get("database") != "ok":
            key = "%s %s" % (status(r), json.dumps(checks) if checks else brief(r))
            bad.setdefault(key, []).append("+%.1fs" % dt)
    if bad:
        raise AssertionError("GET /readyz %s: %d of %d answers were not 200 with checks.cache "
                             "\"degraded\" or \"down\" and checks.database \"ok\": %s" % (
                                 what, sum(len(v) for v in bad.values()), len(samples),
                                 "; ".join("%s at %s into the fault" % (k, ", ".join(v))
                                           for k, v in bad.items())))


def sample_ready(out, t0, n=3):
    """n answers of /readyz, 0.1 s apart (each may come from another
    worker), appended to out with their time since t0."""
    for _ in range(n):
        out.append((time.monotonic() - t0, readyz()))
        time.sleep(0.1)


def expect_ready_ok(what, timeout=20.0):
    last = [None]

    def ok():
        last[0] = readyz()
        b = ready_body(last[0]) if status(last[0]) == 200 else None
        return b and (b.get("checks") or {}).get("database") == "ok" \
            and (b.get("checks") or {}).get("cache") == "ok"

    if not faults.wait_for(ok, timeout, 0.25):
        raise AssertionError("GET /readyz %s: no 200 with database and cache \"ok\" within %.0f s; "
                             "last answer %s" % (what, timeout, brief(last[0])))


def new_track(title):
    r = call("POST", "/api/v1/tracks", token=ctx.admin_token(),
             json_body={"title": title, "artists": [{"id": ctx.artist}], "duration_ms": 200000})
    if status(r) != 201:
        raise AssertionError("POST /api/v1/tracks answered %s" % brief(r))
    return r.json()["id"]


def track_title(tid):
    r = call("GET", "/api/v1/tracks/%d" % tid)
    if status(r) == 200:
        return r.json().get("title"), r
    return None, r


def rename_track(tid, title):
    r = call("PATCH", "/api/v1/tracks/%d" % tid, token=ctx.admin_token(), json_body={"title": title})
    if status(r) != 200:
        raise AssertionError("PATCH /api/v1/tracks/%d (title %r) answered %s, expected 200" % (
            tid, title, brief(r)))


def warm_track(tid, title):
    for _ in range(3):
        got, r = track_title(tid)
        if got != title:
            raise AssertionError("GET /api/v1/tracks/%d before the fault: title %r (%s), expected %r"
                                 % (tid, got, brief(r) if got is None else "200", title))


def wrong_password():
    return "Wrong-%s-Pass!" % secrets.token_hex(4)


def hammer_wrong(user, client, n, stop_at_429=True):
    """Up to n wrong passwords for user from client, as fast as they answer;
    the responses (stopping at the first 429 when asked)."""
    out = []
    for _ in range(n):
        r = call("POST", LOGIN, json_body={"username": user.username, "password": wrong_password()},
                 client=client)
        out.append(r)
        if stop_at_429 and status(r) == 429:
            break
    return out


def statuses(rs):
    return [status(r) if status(r) is not None else brief(r) for r in rs]


def check_retry_after(r, what):
    ra = (r.headers.get("Retry-After") or "").strip()
    if not ra.isdigit() or int(ra) < 1:
        raise AssertionError("%s: 429 without a Retry-After of whole seconds >= 1 (got %r): %s" % (
            what, ra, brief(r)))


def check_throttle(user, client, what, free=FREE_FAILURES, within=THROTTLE_WITHIN):
    """`free` wrong passwords answer 401, then a 429 with Retry-After comes
    by the `within`-th."""
    rs = hammer_wrong(user, client, within)
    st = statuses(rs)
    if any(s == 429 for s in st[:free]):
        raise AssertionError("%s: a 429 came before %d wrong passwords (the free failures): "
                             "statuses %r" % (what, free, st))
    if st[:free] != [401] * min(free, len(st)):
        raise AssertionError("%s: the first %d wrong passwords should answer 401, got %r" % (
            what, free, st))
    if 429 not in st:
        raise AssertionError("%s: %d wrong passwords for %s from %s answered %r: no 429 "
                             "(expected 429 with Retry-After after %d)" % (
                                 what, len(st), user.username, client.ip, st, free))
    check_retry_after(rs[st.index(429)], what)


def check_owner_gets_in(user, what):
    c = faults.Client()
    r = call("POST", LOGIN, json_body={"username": user.username, "password": user.password},
             client=c)
    if status(r) != 200:
        raise AssertionError("%s: the owner %s logging in with the right password from another "
                             "address (%s) answered %s, expected 200" % (
                                 what, user.username, c.ip, brief(r)))


def need_sources():
    if not encore.loopback_source():
        raise encore.Skip("this host cannot connect from 127.x.y.z addresses other than "
                          "127.0.0.1: no address of its own per client")


def coherent_within():
    """Seconds a rename may take to show once memcached is back (doubled in
    a sanitizer build)."""
    return COHERENT_WITHIN * (2 if ctx.slow > 1 else 1)


def window():
    """Seconds watched after memcached is back."""
    return max(MODE["window"], coherent_within() + 4)


def hold_until(t_start, secs):
    left = t_start + secs - time.monotonic()
    if left > 0:
        time.sleep(left)


class Watch:
    """Samples taken after a fault ends: a track's title, and /me with some
    tokens, every `step` seconds for `window` seconds."""

    def __init__(self, t0):
        self.t0 = t0
        self.titles = []   # (dt, title or None, brief)
        self.tokens = collections.defaultdict(list)  # name -> [(dt, status, brief)]

    def run(self, window, tracks=(), tokens=(), step=0.25, token_every=1.0, extra=None):
        """tracks: [tid]; tokens: [(name, token)]; extra(): called each step."""
        end = self.t0 + window
        next_tok = 0.0
        while time.monotonic() < end:
            now = time.monotonic()
            for tid in tracks:
                got, r = track_title(tid)
                self.titles.append((now - self.t0, tid, got, brief(r) if got is None else ""))
            if now >= next_tok:
                next_tok = now + token_every
                for name, tok in tokens:
                    r = call("GET", ME, token=tok)
                    self.tokens[name].append((now - self.t0, status(r), brief(r)))
            if extra:
                extra()
            time.sleep(step)

    def check_token(self, name, want, what):
        samples = self.tokens[name]
        bad = [s for s in samples if s[1] != want]
        if not samples:
            raise AssertionError("%s: no sample taken" % what)
        if bad:
            raise AssertionError("%s: GET %s answered %s at %s after the fault ended (%d of %d "
                                 "samples over %.0f s; expected %d throughout)" % (
                                     what, ME, bad[0][2], ", ".join("+%.1fs" % s[0] for s in bad[:6]),
                                     len(bad), len(samples), samples[-1][0], want))

    def check_title(self, tid, old, new, what, within):
        samples = [s for s in self.titles if s[1] == tid]
        late = [s for s in samples if s[0] >= within]
        old_late = [s for s in late if s[2] == old]
        if old_late:
            raise AssertionError(
                "%s: GET /api/v1/tracks/%d served the old title %r at %s after memcached came back "
                "(%d of %d samples from +%.0fs to +%.0fs; expected the new title %r from +%.0fs on)"
                % (what, tid, old, ", ".join("+%.1fs" % s[0] for s in old_late[:6]), len(old_late),
                   len(late), within, samples[-1][0], new, within))
        if not any(s[2] == new for s in late):
            raise AssertionError("%s: GET /api/v1/tracks/%d never showed the new title %r after "
                                 "+%.0fs; samples %r" % (what, tid, new, within, late[:5]))
        other = [s for s in late if s[2] != new]
        if other:
            raise AssertionError("%s: GET /api/v1/tracks/%d answered %s at +%.1fs (expected 200 "
                                 "with the new title %r)" % (what, tid, other[0][3] or repr(other[0][2]),
                                                             other[0][0], new))


# --------------------------------------------------------------------------
# Checks over the write load
# --------------------------------------------------------------------------

def write_checks(P, during_required=True, during_all_2xx=False):
    """The write load of phase P: counted, no 500, no unexpected 4xx, writes
    acknowledged before, during and after, all of them in MariaDB."""
    ws = ctx.load.writes(P + "/")
    part = {k: [w for w in ws if w.phase == P + "/" + k] for k in ("before", "during", "after")}
    counts = ", ".join("%s %d of %d" % (k, sum(w.ack for w in v), len(v)) for k, v in part.items())
    other = collections.Counter(str(w.status) for w in ws if not w.ack)
    print("INFO %s: writes acknowledged %s%s" % (
        P, counts, "; not acknowledged: %s" % dict(other) if other else ""), flush=True)

    def no_500():
        bad = [w for w in ws if w.status == 500]
        if bad:
            raise AssertionError("%d write(s) answered 500 (never allowed), e.g. %s" % (
                len(bad), ["%s in %s: %s" % (w.kind, w.phase, w.detail) for w in bad[:3]]))

    def no_4xx():
        bad = [w for w in ws if w.status is not None and 400 <= w.status < 500 and w.status != 429]
        if bad:
            raise AssertionError("%d write(s) with a valid token answered 4xx, e.g. %s" % (
                len(bad), ["%s in %s: %s" % (w.kind, w.phase, w.detail) for w in bad[:3]]))

    def acked():
        need = ["before", "after"] + (["during"] if during_required else [])
        empty = [k for k in need if not any(w.ack for w in part[k])]
        if empty:
            raise AssertionError("no write acknowledged %s the fault (%s)" % (
                " nor ".join(empty), counts))

    def all_2xx():
        bad = [w for w in part["during"] if not w.ack]
        if bad:
            raise AssertionError("%d of %d writes during the fault were not acknowledged, e.g. %s" % (
                len(bad), len(part["during"]),
                ["%s: %s" % (w.kind, w.detail or w.status) for w in bad[:3]]))

    def in_db():
        missing = ctx.load.missing(ctx.stack)
        if missing:
            raise AssertionError("acknowledged writes lost: " + "; ".join(missing[:6]))

    ctx.checks.run(P + ": no write answered 500", no_500)
    ctx.checks.run(P + ": no write with a valid token answered 4xx", no_4xx)
    ctx.checks.run(P + ": writes acknowledged before%s and after" % (
        ", during" if during_required else ""), acked)
    if during_all_2xx:
        ctx.checks.run(P + ": every write during the fault acknowledged", all_2xx)
    ctx.checks.run(P + ": every acknowledged write is in MariaDB", in_db)


def every_call_works(P, token, refresh, tid):
    """The API with memcached away: reads and writes all answer 2xx."""
    fails = []
    pl = None
    steps = [
        ("GET", "/api/v1/tracks/%d" % tid, None),
        ("GET", "/api/v1/tracks?limit=5", None),
        ("GET", ME, None),
        ("POST", "/api/v1/me/listens", {"track_id": tid, "listened_at": faults.iso(time.time() - 60)}),
        ("GET", "/api/v1/me/history?limit=5", None),
        ("POST", "/api/v1/playlists", {"name": "faults probe", "visibility": "public"}),
        ("GET", "/api/v1/search?q=faults", None),
    ]
    for method, path, body in steps:
        r = call(method, path, token=token, json_body=body)
        if not 200 <= (status(r) or 0) < 300:
            fails.append("%s %s: %s" % (method, path, brief(r)))
        elif path == "/api/v1/playlists":
            pl = r.json().get("id")
    if pl:
        for method, path, body in (("GET", "/api/v1/playlists/%d" % pl, None),
                                   ("PATCH", "/api/v1/playlists/%d" % pl, {"name": "faults probe 2"}),
                                   ("POST", "/api/v1/playlists/%d/tracks" % pl, {"track_ids": [tid]})):
            r = call(method, path, token=token, json_body=body)
            if not 200 <= (status(r) or 0) < 300:
                fails.append("%s %s: %s" % (method, path, brief(r)))
    r = call("POST", "/api/v1/auth/refresh", json_body={"refresh_token": refresh})
    if status(r) != 200:
        fails.append("POST /api/v1/auth/refresh: %s" % brief(r))
    if fails:
        raise AssertionError("%d API call(s) failed: %s" % (len(fails), "; ".join(fails)))


# --------------------------------------------------------------------------
# Phases
# --------------------------------------------------------------------------

def phase_baseline():
    P = "memcached up"
    ctx.load.phase = P + "/before"
    u = new_user()
    tok = session(u)
    live = session(u)
    ctx.load.phase = P + "/during"
    ctx.checks.run(P + ": /readyz answers 200 with every check ok",
                   lambda: expect_ready_ok("with every service up", 10))

    def revocation():
        expect_me(tok, 200, "a token before its logout")
        logout(tok)
        expect_me(tok, 401, "a logged-out token")
        expect_me(live, 200, "another session's live token")
    ctx.checks.run(P + ": a logged-out token answers 401, a live one 200", revocation)
    th = new_user()
    ctx.checks.run(P + ": wrong passwords from one address answer 429 with Retry-After after %d"
                   % FREE_FAILURES, check_throttle, th, faults.Client(), P)
    ctx.checks.run(P + ": the owner still logs in from another address",
                   check_owner_gets_in, th, P)
    time.sleep(0.5)
    ctx.load.phase = P + "/after"
    time.sleep(1.0)
    write_checks(P)


def phase_memcached_unreachable(n, hide=True):
    """memcached up with its data but out of the workers' reach: SIGSTOP
    (a request to it times out) and, with hide, its socket moved aside (a
    worker connecting again is refused, so an invalidation or a deny mark
    it sends is lost, not left in memcached's socket to be applied when it
    wakes up); then SIGCONT with its old data."""
    P = ("memcached unreachable" if hide else "memcached silent (SIGSTOP only)") + \
        (" #%d" % n if n > 1 else "")
    st = ctx.stack
    ctx.load.phase = P + "/before"
    u = new_user()
    gone = session(u)
    live_pair = login_pair(u)
    live = live_pair["access_token"]
    logout(gone)
    ctx.checks.run(P + ": before: a logged-out token answers 401", expect_me, gone, 401,
                   "a token logged out before the fault")
    old, new = "Faults Before %s" % faults.new_secret(), "Faults After %s" % faults.new_secret()
    tid = new_track(old)
    warm_track(tid, old)
    th = new_user() if LONG else None
    time.sleep(0.5)

    ctx.load.phase = P + "/during"
    t_stop = time.monotonic()
    st.memcached_sigstop()
    if hide:
        st.memcached_hide()
    during_logout = None
    renamed = False
    ready = []
    try:
        sample_ready(ready, t_stop)
        ctx.checks.run(P + ": during: a token logged out before answers 401", expect_me, gone, 401,
                       "a token logged out before the fault")
        ctx.checks.run(P + ": during: a live token answers 200", expect_me, live, 200,
                       "a live token")
        if LONG:
            ctx.checks.run(P + ": during: every API call works", every_call_works, P, live,
                           live_pair["refresh_token"], ctx.tracks[1])
            ctx.checks.run(P + ": during: wrong passwords from one address answer 429 with "
                           "Retry-After after %d" % FREE_FAILURES, check_throttle, th,
                           faults.Client(), P)
            ctx.checks.run(P + ": during: the owner still logs in from another address",
                           check_owner_gets_in, th, P)
        # The writes below come once every worker has met the silent cache
        # (the write load sees to it) and lost its connection to it.
        hold_until(t_stop, 1.0)

        def rename():
            nonlocal renamed
            rename_track(tid, new)
            renamed = True
        ctx.checks.run(P + ": during: PATCH /api/v1/tracks/{id} answers 200", rename)

        def logout_during():
            nonlocal during_logout
            t = session(u)
            expect_me(t, 200, "a token of a session opened while memcached is unreachable")
            logout(t)
            during_logout = t
            expect_me(t, 401, "a token logged out while memcached is unreachable")
        ctx.checks.run(P + ": during: login, then logout answers 204 and the token 401",
                       logout_during)
        hold_until(t_stop, MODE["hold"])
        sample_ready(ready, t_stop)
    finally:
        st.cont_all()
    ctx.checks.run(P + ": /readyz answers 200 with the cache degraded", check_ready_samples,
                   ready, "while memcached is unreachable")
    t_cont = time.monotonic()
    ctx.load.phase = P + "/after"
    w = Watch(t_cont)
    toks = [("gone", gone), ("live", live)] + ([("during", during_logout)] if during_logout else [])
    w.run(window(), tracks=[tid] if renamed else [], tokens=toks)
    ctx.checks.run(P + ": after SIGCONT: a token logged out before answers 401 throughout",
                   w.check_token, "gone", 401, "a token logged out before the fault")
    if during_logout:
        ctx.checks.run(P + ": after SIGCONT: a token logged out while memcached was unreachable "
                       "answers 401 throughout", w.check_token, "during", 401,
                       "a token logged out while memcached was unreachable")
    ctx.checks.run(P + ": after SIGCONT: a live token answers 200 throughout",
                   w.check_token, "live", 200, "a live token")
    if renamed:
        ctx.checks.run(P + ": after SIGCONT: the track renamed while memcached was unreachable "
                       "shows its new title within %.0f s and never the old one after"
                       % coherent_within(), w.check_title, tid, old, new, P, coherent_within())
    if th:
        ctx.checks.run(P + ": after SIGCONT: the owner logs in from another address",
                       check_owner_gets_in, th, P)
    ctx.checks.run(P + ": after SIGCONT: /readyz answers 200 with every check ok",
                   expect_ready_ok, "after SIGCONT")
    write_checks(P)


def phase_memcached_down(n):
    P = "memcached down" + (" #%d" % n if n > 1 else "")
    st = ctx.stack
    ctx.load.phase = P + "/before"
    u = new_user()
    gone = session(u)
    live_pair = login_pair(u)
    live = live_pair["access_token"]
    logout(gone)
    ctx.checks.run(P + ": before: a logged-out token answers 401", expect_me, gone, 401,
                   "a token logged out before the fault")
    # a session revoked by a password change (of another session)
    pc = new_user()
    keep, revoked = session(pc), session(pc)
    newpw = encore.strong_password()
    r = call("POST", "/api/v1/auth/password", token=keep,
             json_body={"current_password": pc.password, "new_password": newpw})
    pw_changed = status(r) == 204
    if pw_changed:
        pc.password = newpw
        ctx.checks.run(P + ": before: a session revoked by a password change answers 401",
                       expect_me, revoked, 401, "a token of a session revoked by a password change")
    else:
        ctx.checks.fail(P + ": before: password change", "POST /api/v1/auth/password answered %s, "
                        "expected 204" % brief(r))
    old, new = "Faults Before %s" % faults.new_secret(), "Faults After %s" % faults.new_secret()
    tid = new_track(old)
    warm_track(tid, old)
    # failures before the restart, from one address: the free ones spent
    carry, carry_from = new_user(), faults.Client()
    before = hammer_wrong(carry, carry_from, FREE_FAILURES, stop_at_429=False)
    th = new_user()
    time.sleep(0.5)

    ctx.load.phase = P + "/during"
    t_stop = time.monotonic()
    st.memcached_kill()
    during_logout = None
    renamed = False
    ready = []
    try:
        sample_ready(ready, t_stop)
        ctx.checks.run(P + ": during: every API call works", every_call_works, P, live,
                       live_pair["refresh_token"], ctx.tracks[1])
        ctx.checks.run(P + ": during: a token logged out before answers 401", expect_me, gone, 401,
                       "a token logged out before the fault")
        ctx.checks.run(P + ": during: a live token answers 200", expect_me, live, 200,
                       "a live token")

        def logout_during():
            nonlocal during_logout
            t = session(u)
            expect_me(t, 200, "a token of a session opened while memcached is stopped")
            logout(t)
            during_logout = t
            expect_me(t, 401, "a token logged out while memcached is stopped")
        ctx.checks.run(P + ": during: login, then logout answers 204 and the token 401",
                       logout_during)

        def rename():
            nonlocal renamed
            rename_track(tid, new)
            renamed = True
        ctx.checks.run(P + ": during: PATCH /api/v1/tracks/{id} answers 200", rename)
        ctx.checks.run(P + ": during: wrong passwords from one address answer 429 with "
                       "Retry-After after %d" % FREE_FAILURES, check_throttle, th, faults.Client(), P)
        ctx.checks.run(P + ": during: the owner still logs in from another address",
                       check_owner_gets_in, th, P)
        hold_until(t_stop, MODE["hold"])
        sample_ready(ready, t_stop)
    finally:
        st.memcached_start()
    ctx.checks.run(P + ": /readyz answers 200 with the cache down", check_ready_samples,
                   ready, "while memcached is stopped")
    t_up = time.monotonic()
    ctx.load.phase = P + "/after"
    w = Watch(t_up)
    toks = [("gone", gone), ("live", live)]
    if during_logout:
        toks.append(("during", during_logout))
    if pw_changed:
        toks.append(("pwchange", revoked))
    w.run(window(), tracks=[tid] if renamed else [], tokens=toks)
    ctx.checks.run(P + ": after a restart empty: a token logged out before answers 401 throughout",
                   w.check_token, "gone", 401, "a token logged out before memcached restarted empty")
    if during_logout:
        ctx.checks.run(P + ": after a restart empty: a token logged out while memcached was down "
                       "answers 401 throughout", w.check_token, "during", 401,
                       "a token logged out while memcached was down")
    if pw_changed:
        ctx.checks.run(P + ": after a restart empty: a session revoked by a password change "
                       "answers 401 throughout", w.check_token, "pwchange", 401,
                       "a token of a session revoked by a password change")
    ctx.checks.run(P + ": after a restart empty: a live token answers 200 throughout",
                   w.check_token, "live", 200, "a live token")
    if renamed:
        ctx.checks.run(P + ": after a restart empty: the track renamed while memcached was down "
                       "shows its new title within %.0f s and never the old one after"
                       % coherent_within(), w.check_title, tid, old, new, P, coherent_within())

    def carried():
        if statuses(before) != [401] * FREE_FAILURES:
            raise AssertionError("the %d failures before the restart answered %r, expected 401 each"
                                 % (FREE_FAILURES, statuses(before)))
        rs = hammer_wrong(carry, carry_from, 3)
        if 429 not in statuses(rs):
            raise AssertionError("after %d wrong passwords before memcached restarted empty, %d more "
                                 "from the same address answered %r (%.0f s after the restart): "
                                 "expected a 429 with Retry-After; the throttle forgot them" % (
                                     FREE_FAILURES, len(rs), statuses(rs), time.monotonic() - t_up))
        check_retry_after(rs[statuses(rs).index(429)], P)
    ctx.checks.run(P + ": after a restart empty: failures counted before the restart still "
                   "throttle (429 with Retry-After)", carried)
    ctx.checks.run(P + ": after a restart empty: the owner logs in from another address",
                   check_owner_gets_in, carry, P)
    ctx.checks.run(P + ": after a restart empty: /readyz answers 200 with every check ok",
                   expect_ready_ok, "after memcached restarted")
    write_checks(P)


def wait_writes_again(timeout):
    """Until a write is acknowledged again (a listen from the main client)."""
    tok = ctx.probe_token()
    last = [None]

    def ok():
        last[0] = call("POST", "/api/v1/me/listens", token=tok,
                       json_body={"track_id": ctx.tracks[0],
                                  "listened_at": faults.iso(time.time() - 120)
                                  [:-1] + ".%03dZ" % (int(time.time() * 1000) % 1000)})
        return 200 <= (status(last[0]) or 0) < 300
    if not faults.wait_for(ok, timeout, 0.2):
        raise AssertionError("no write acknowledged within %.0f s after the fault ended; last %s"
                             % (timeout, brief(last[0])))


def phase_mariadb(how, n):
    P = "MariaDB %s" % ("restart" if how == "TERM" else "crash (SIGKILL) and restart")
    st = ctx.stack
    ctx.load.phase = P + "/before"
    u = new_user()
    gone, live = session(u), session(u)
    logout(gone)
    ctx.checks.run(P + ": before: a logged-out token answers 401", expect_me, gone, 401,
                   "a token logged out before the fault")
    # A starting mariadbd deletes every "#sql*" file of its tmpdir: the
    # stack's own must not be the machine's, where other servers keep
    # their temporary tables.
    probe = os.path.join(tempfile.gettempdir(), "#sql-encore-faults-%s" % secrets.token_hex(4))
    open(probe, "w").close()
    time.sleep(0.5)
    ctx.load.phase = P + "/during"
    t_stop = time.monotonic()
    st.mariadb_stop(signal.SIGTERM if how == "TERM" else signal.SIGKILL)
    try:
        def ready_503():
            last = [None]

            def down():
                last[0] = readyz()
                b = ready_body(last[0]) if status(last[0]) == 503 else None
                return b and (b.get("checks") or {}).get("database") == "down"
            if not faults.wait_for(down, 5 * ctx.slow, 0.2):
                raise AssertionError("GET /readyz while MariaDB is down answered %s; expected 503 "
                                     "with checks.database \"down\"" % brief(last[0]))
        ctx.checks.run(P + ": /readyz answers 503 with the database down", ready_503)
        ctx.checks.run(P + ": during: a token logged out before answers 401", expect_me, gone, 401,
                       "a token logged out before the fault")

        def live_not_500():
            r = call("GET", ME, token=live)
            if status(r) not in (200, 503):
                raise AssertionError("GET %s with a live token while MariaDB is down answered %s; "
                                     "expected 200 or 503" % (ME, brief(r)))
        ctx.checks.run(P + ": during: a live token answers 200 or 503", live_not_500)
        hold_until(t_stop, MODE["hold"])
    finally:
        rc = st.run_stack("start")
    t_up = time.monotonic()
    ctx.load.phase = P + "/after"
    if rc != 0:
        ctx.checks.fail(P + ": MariaDB starts again", "encore-stack start exited %d" % rc)

    def probe_kept():
        if not os.path.exists(probe):
            raise AssertionError("the restart deleted %s: MariaDB's tmpdir is the machine's" % probe)
        os.unlink(probe)
    ctx.checks.run(P + ": the restart leaves %s's #sql files alone" % tempfile.gettempdir(),
                   probe_kept)
    ctx.checks.run(P + ": after: writes are acknowledged again within 20 s", wait_writes_again,
                   20 * ctx.slow)
    ctx.checks.run(P + ": after: /readyz answers 200 with every check ok", expect_ready_ok,
                   "after MariaDB restarted")
    ctx.checks.run(P + ": after: a token logged out before answers 401", expect_me, gone, 401,
                   "a token logged out before the fault")
    ctx.checks.run(P + ": after: a live token answers 200", expect_me, live, 200, "a live token")
    hold_until(t_up, 2.0)
    write_checks(P, during_required=False)


def configured_workers():
    try:
        return int(encore.conf().get("workers") or 4)
    except ValueError:
        return 4


def check_workers_replaced(gone_pids, what, timeout=15.0):
    want = configured_workers()
    cur = [None]

    def ok():
        cur[0] = ctx.stack.workers()
        return len(cur[0]) == want and not (set(cur[0]) & set(gone_pids))
    if not faults.wait_for(ok, timeout * ctx.slow, 0.1):
        raise AssertionError("%s: the master (pid %s) has workers %r after %.0f s; expected %d "
                             "workers, none of %r" % (what, ctx.stack.api_pid(), cur[0], timeout,
                                                      want, sorted(gone_pids)[:10]))


def phase_worker_kill():
    P = "worker kill -9"
    st = ctx.stack
    ctx.load.phase = P + "/before"
    u = new_user()
    gone = session(u)
    logout(gone)
    time.sleep(0.5)
    ctx.load.phase = P + "/during"
    killed = []
    gap = 0.5 if not LONG else 1.0
    for i in range(MODE["kills"]):
        ws = st.workers()
        if ws:
            pid = ws[i % len(ws)]
            try:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            except ProcessLookupError:
                pass
        time.sleep(gap)
    ctx.load.phase = P + "/after"
    print("INFO %s: killed %d workers: %r" % (P, len(killed), killed[:10]), flush=True)
    ctx.checks.run(P + ": the master replaced every killed worker", check_workers_replaced,
                   killed, P)
    ctx.checks.run(P + ": a token logged out before answers 401", expect_me, gone, 401,
                   "a token logged out before the fault")
    time.sleep(1.0)
    write_checks(P)


def phase_api_reload():
    P = "encore-api reload (SIGHUP)"
    st = ctx.stack
    ctx.load.phase = P + "/before"
    time.sleep(0.5)
    master = st.api_pid()
    old = set(st.workers())
    ctx.load.phase = P + "/during"
    for _ in range(MODE["hups"]):
        os.kill(master, signal.SIGHUP)
        time.sleep(1.0)
    ctx.load.phase = P + "/after"
    ctx.checks.run(P + ": the master re-forked its workers", check_workers_replaced, old, P, 40.0)
    ctx.checks.run(P + ": the master is the same process", lambda: (
        None if st.api_pid() == master else
        encore.check(False, "encore-api's pid changed from %s to %s" % (master, st.api_pid()))))
    time.sleep(0.5)
    write_checks(P, during_all_2xx=True)


def phase_api_drain():
    P = "encore-api drain (SIGTERM) and start"
    st = ctx.stack
    ctx.load.phase = P + "/before"
    u = new_user()
    gone = session(u)
    logout(gone)
    time.sleep(0.5)
    master = st.api_pid()
    ctx.load.phase = P + "/during"
    t0 = time.monotonic()
    os.kill(master, signal.SIGTERM)
    exited = faults.wait_for(lambda: not faults._alive(master), 40 * ctx.slow, 0.05)
    took = time.monotonic() - t0
    if exited:
        ctx.checks.ok(P + ": the master drains and exits (%.1f s)" % took)
    else:
        ctx.checks.fail(P + ": the master drains and exits",
                        "encore-api (pid %d) still runs %.0f s after SIGTERM" % (master, took))
    time.sleep(0.5)
    rc = st.run_stack("start")
    ctx.load.phase = P + "/after"
    if rc != 0:
        ctx.checks.fail(P + ": encore-api starts again", "encore-stack start exited %d" % rc)
    ctx.checks.run(P + ": writes are acknowledged again", wait_writes_again, 20 * ctx.slow)
    ctx.checks.run(P + ": a token logged out before answers 401", expect_me, gone, 401,
                   "a token logged out before the fault")

    def answered():
        ws = [w for w in ctx.load.writes(P + "/during")]
        bad = [w for w in ws if w.status is None]
        if bad:
            raise AssertionError("%d of %d writes sent during the drain got no HTTP answer, e.g. %s"
                                 % (len(bad), len(ws), [w.detail for w in bad[:3]]))
    ctx.checks.run(P + ": every write sent during the drain got an HTTP answer", answered)
    time.sleep(1.0)
    write_checks(P, during_required=False)


def phase_nginx_reload():
    P = "nginx reload"
    st = ctx.stack
    ctx.load.phase = P + "/before"
    time.sleep(0.5)
    ctx.load.phase = P + "/during"
    for _ in range(2 if not LONG else 5):
        pid = st.nginx_pid()
        if pid:
            os.kill(pid, signal.SIGHUP)
        time.sleep(0.5)
    ctx.load.phase = P + "/after"
    time.sleep(1.0)
    write_checks(P)


def phase_slow_clients():
    P = "slow clients"
    ctx.load.phase = P + "/before"
    c = faults.Client()
    tid = ctx.tracks[0]

    def ordinary():
        t0 = time.monotonic()
        r = call("GET", "/api/v1/tracks/%d" % tid, client=c, timeout=30)
        t1 = time.monotonic()
        r2 = call("GET", "/healthz", client=c, timeout=30)
        t2 = time.monotonic()
        return [(t1 - t0, r, "GET /api/v1/tracks/{id}"), (t2 - t1, r2, "GET /healthz")]

    base = []
    for _ in range(10):
        base += ordinary()
        time.sleep(0.05)
    want = MODE["slow"] + MODE["slow_tls"]
    limit = faults.raise_fd_limit(want + 512)
    n_plain, n_tls = MODE["slow"], MODE["slow_tls"]
    if limit < want + 256:
        scale = max(0.0, (limit - 256) / float(want))
        n_plain, n_tls = int(n_plain * scale), int(n_tls * scale)
        print("INFO %s: open-file limit %d: %d plain and %d TLS slow clients" % (
            P, limit, n_plain, n_tls), flush=True)
    s = encore.stack()
    groups = []
    t_open = time.monotonic()
    ctx.load.phase = P + "/during"
    try:
        if n_plain:
            groups.append(faults.SlowClients(s["ENCORE_HTTP_URL"], n_plain))
        if n_tls:
            groups.append(faults.SlowClients(s["ENCORE_HTTPS_URL"], n_tls, tls=True))
        for g in groups:
            g.open()
        opened = sum(g.opened for g in groups)
        print("INFO %s: %d of %d slow connections opened in %.1f s (errors %s)" % (
            P, opened, n_plain + n_tls, time.monotonic() - t_open,
            dict(sum((g.errors for g in groups), collections.Counter()))), flush=True)
        t_mark = time.monotonic()
        during = []
        while time.monotonic() < t_mark + MODE["slow_hold"]:
            during += ordinary()
            time.sleep(0.1)
        still = sum(g.still_open() for g in groups)
        print("INFO %s: %d slow connections still open after %.0f s" % (
            P, still, MODE["slow_hold"]), flush=True)
    finally:
        for g in groups:
            g.close()
    ctx.load.phase = P + "/after"
    bound = 2.0 * ctx.slow

    def served():
        bad = [(d, r, what) for d, r, what in during if not 200 <= (status(r) or 0) < 300]
        if bad:
            raise AssertionError("%d of %d ordinary requests failed under %d slow clients, e.g. "
                                 "%s: %s" % (len(bad), len(during), opened, bad[0][2], brief(bad[0][1])))
        slow = [(d, what) for d, r, what in during if d > bound]
        lat = sorted(d for d, _, _ in during)
        b = sorted(d for d, _, _ in base)
        msg = "median %.0f ms, max %.0f ms (without slow clients: median %.0f ms, max %.0f ms)" % (
            1000 * statistics.median(lat), 1000 * lat[-1], 1000 * statistics.median(b), 1000 * b[-1])
        print("INFO %s: %d ordinary requests under %d slow clients: %s" % (
            P, len(during), opened, msg), flush=True)
        if slow:
            raise AssertionError("%d of %d ordinary requests took longer than %.1f s under %d slow "
                                 "clients (%s)" % (len(slow), len(during), bound, opened, msg))

    ctx.checks.run(P + ": ordinary requests are served within %.0f s under %d slow clients" % (
        bound, n_plain + n_tls), served)

    def writes_bounded():
        ws = [w for w in ctx.load.writes(P + "/during")]
        slow = [w for w in ws if w.t1 - w.t0 > bound]
        if slow:
            raise AssertionError("%d of %d writes took longer than %.1f s (max %.1f s)" % (
                len(slow), len(ws), bound, max(w.t1 - w.t0 for w in slow)))
    ctx.checks.run(P + ": writes are answered within %.0f s" % bound, writes_bounded)
    time.sleep(0.5)
    write_checks(P, during_all_2xx=True)


def phase_final():
    P = "after every fault"
    ctx.load.phase = P + "/after"

    def in_db():
        missing = ctx.load.missing(ctx.stack)
        if missing:
            raise AssertionError("acknowledged writes lost: " + "; ".join(missing[:6]))
    ctx.checks.run(P + ": every acknowledged write (%d) is in MariaDB" % ctx.load.acked_total(),
                   in_db)

    def api_agrees():
        ids = [str(p) for w in ctx.load.writers for p in w.playlists]
        if not ids:
            return
        rows = ctx.stack.sql("SELECT id, name FROM playlists WHERE id IN (%s)" % ",".join(ids))
        bad = []

        def read(part):
            c = faults.Client()
            for pid, name in part:
                r = call("GET", "/api/v1/playlists/%s" % pid, client=c)
                got = r.json().get("name") if status(r) == 200 else brief(r)
                if got != name:
                    bad.append("playlist %s: MariaDB %r, the API %r" % (pid, name, got))
        ts = [threading.Thread(target=read, args=(rows[i::4],)) for i in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        if bad:
            raise AssertionError("%d of %d public playlists are served with another name than "
                                 "MariaDB holds: %s" % (len(bad), len(rows), "; ".join(bad[:5])))
    ctx.checks.run(P + ": the API serves every playlist as MariaDB holds it", api_agrees)

    def no_500():
        ws = [w for w in ctx.load.writes() if w.status == 500]
        if ws or ctx.s500:
            raise AssertionError("%d write(s) and %d other request(s) answered 500, e.g. %s" % (
                len(ws), len(ctx.s500),
                (["%s in %s: %s" % (w.kind, w.phase, w.detail) for w in ws[:2]] + ctx.s500[:2])))
    ctx.checks.run(P + ": no request answered 500", no_500)

    def no_crash():
        crashed = encore.crashes_since(ctx.log_mark)
        if crashed:
            raise AssertionError("encore-api workers died by a crash signal: %s (see %s)" % (
                ", ".join(crashed), ctx.log_mark[0]))
    ctx.checks.run(P + ": no worker crashed", no_crash)
    total = ctx.load.writes()
    print("INFO writes: %d sent, %d acknowledged" % (len(total), sum(w.ack for w in total)),
          flush=True)


# --------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------

def setup():
    s = ctx.stack
    ctx.slow = float(os.environ.get("ENCORE_FAULTS_SLOWDOWN") or (3 if s.asan() else 1))
    ctx.main = faults.Client()
    ctx.s500 = []
    ctx.log_mark = encore.log_mark()
    admin = encore.User(encore.stack()["ENCORE_ADMIN_USER"], None,
                        encore.stack()["ENCORE_ADMIN_PASSWORD"])
    ctx.admin = admin
    ctx.admin_at = 0.0

    def admin_token():
        if time.monotonic() - ctx.admin_at > 600:
            admin.access = session(admin)
            ctx.admin_at = time.monotonic()
        return admin.access
    ctx.admin_token = admin_token
    r = call("POST", "/api/v1/artists", token=admin_token(), json_body={"name": "Faults Artist"})
    if status(r) != 201:
        raise AssertionError("POST /api/v1/artists answered %s" % brief(r))
    ctx.artist = r.json()["id"]
    ctx.tracks = [new_track("Faults Track %d" % i) for i in range(12)]
    probe = new_user()
    probe.access, probe_at = session(probe), [time.monotonic()]

    def probe_token():
        if time.monotonic() - probe_at[0] > 600:
            probe.access, probe_at[0] = session(probe), time.monotonic()
        return probe.access
    ctx.probe_token = probe_token
    users = []
    for _ in range(MODE["writers"]):
        u = new_user()
        u.access = session(u)
        users.append(u)
    ctx.load = faults.Load(users, ctx.tracks, MODE["rate"], timeout=30)
    ctx.load.start()


def run_phase(name, fn, *args):
    t0 = time.monotonic()
    print("---- %s" % name, flush=True)
    try:
        fn(*args)
    except encore.Skip as e:
        print("SKIP %s: %s" % (name, e), flush=True)
    except Exception as e:
        import traceback
        ctx.checks.fail(name + ": the phase ran to its end", "%s: %s\n     %s" % (
            type(e).__name__, e, "     ".join(traceback.format_exception(type(e), e,
                                                                         e.__traceback__)[-3:])))
    finally:
        rc = ctx.stack.heal()
        if rc:
            ctx.checks.fail(name + ": the stack comes back", "encore-stack start exited %d" % rc)
        try:
            expect_ready_ok("after " + name, 30 * ctx.slow)
        except AssertionError as e:
            ctx.checks.fail(name + ": the stack is ready again", str(e))
    print("---- %s: %.1f s" % (name, time.monotonic() - t0), flush=True)


def on_signal(sig, frame):
    raise KeyboardInterrupt("signal %d" % sig)


def main():
    builddir = os.environ.get("ENCORE_BUILDDIR")
    if not builddir:
        print("SKIP: ENCORE_BUILDDIR is not set (run through CTest: make check)")
        sys.exit(encore.SKIP)
    need_sources()
    d = os.path.join(builddir, "tests", "faults-%s" % secrets.token_hex(4))
    ctx.checks = faults.Checks()
    ctx.stack = faults.Stack(builddir, d)
    ctx.load = None
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGALRM, on_signal)
    # below CTest's TIMEOUT for this test, so that the stack is stopped by us
    signal.alarm(int(os.environ.get("ENCORE_FAULTS_DEADLINE") or (1700 if LONG else 560)))
    t0 = time.monotonic()
    print("mode: %s; stack directory %s" % ("long" if LONG else "short", d), flush=True)
    stopped = False
    try:
        ctx.stack.start()
        print("stack started in %.1f s" % (time.monotonic() - t0), flush=True)
        setup()
        print("slowdown factor %.0f; %d writers at %d/s" % (ctx.slow, MODE["writers"], MODE["rate"]),
              flush=True)
        run_phase("memcached up", phase_baseline)
        for n in range(1, MODE["mc_cycles"] + 1):
            hide = n % 2 == 1
            run_phase("memcached unreachable" if hide else "memcached silent",
                      phase_memcached_unreachable, n, hide)
            run_phase("memcached down", phase_memcached_down, n)
        for n, how in enumerate(MODE["mariadb"], 1):
            run_phase("MariaDB " + how, phase_mariadb, how, n)
        run_phase("worker kill -9", phase_worker_kill)
        run_phase("encore-api reload", phase_api_reload)
        run_phase("encore-api drain", phase_api_drain)
        run_phase("nginx reload", phase_nginx_reload)
        run_phase("slow clients", phase_slow_clients)
        if ctx.load:
            ctx.load.stop()
        run_phase("after every fault", phase_final)
    except encore.Skip as e:
        print("SKIP: %s" % e, flush=True)
        if not ctx.checks.results:
            ctx.stack.stop()
            stopped = True
            sys.exit(encore.SKIP)
    except BaseException as e:
        ctx.checks.fail("the run", "%s: %s" % (type(e).__name__, e))
    finally:
        signal.alarm(0)
        if ctx.load:
            ctx.load.stop()
        if not stopped:
            rc = ctx.stack.stop()
            if rc:
                ctx.checks.fail("the stack stops", "encore-stack stop exited %d" % rc)
    print("%s in %.0f s" % (ctx.checks.summary(), time.monotonic() - t0), flush=True)
    if ctx.checks.failed():
        print("the stack's logs: %s/log" % d, flush=True)
        sys.exit(1)
    ctx.stack.remove()
    sys.exit(0)


if __name__ == "__main__":
    main()
