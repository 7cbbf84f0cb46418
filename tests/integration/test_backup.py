#!/usr/bin/python3
"""Backup under write load, restore into a fresh stack (CTEST_OWN_STACK: two
stacks of this test's own, started with `encore-stack start` in fresh
directories on free ports, stopped at the end whatever happens).

On stack A, writers (each an account from an address of its own) post
listens, create playlists and add tracks to them, noting every write that
was acknowledged (2xx) with the time of its answer; a playlist gets a
cover, so the media directory holds a file. While they write,
`encore-admin backup DIR` runs. Stack B is started fresh; its encore-api
and encore-live are stopped, `encore-admin restore DIR` is refused (B holds
its own accounts) until --force, memcached is restarted, and B is started
again. Then:

  - every write acknowledged before the backup started is in B's MariaDB
    (listens, playlists with their names, playlist tracks as often as they
    were added);
  - B answers through nginx: a writer logs in with its password, sees its
    playlist with its cover, and nginx serves the cover file from B's media;
  - the backup and restore times are printed.
"""

import collections
import os
import secrets
import signal
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
import faults  # noqa: E402
import images  # noqa: E402

WRITERS = 3
RATE = 8.0  # writes a second per writer


class Ctx:
    a = b = None
    checks = None


ctx = Ctx()


def use(stack):
    """Point the harness (encore.call, new Clients) at stack."""
    os.environ["ENCORE_STACK_DIR"] = stack.dir
    encore._stack = None
    encore.require_stack()


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def session(client, user):
    r = client.login(user.username, user.password)
    check(r.status_code == 200, "login of %s: %s" % (user.username, faults.brief(r)))
    tok = r.json()["access_token"]
    encore.note_secret(tok)
    return tok


class Writer(threading.Thread):
    """Listens, playlists and additions; each acknowledged write noted with
    the monotonic time its answer came."""

    def __init__(self, idx, user, tracks, stop):
        super().__init__(name="writer-%d" % idx, daemon=True)
        self.idx, self.user, self.tracks, self.stop = idx, user, tracks, stop
        self.client = faults.Client(timeout=30)
        self.token = session(self.client, user)
        self.acked = []  # (t_answer, kind, key)
        self.sent = 0
        self.errors = collections.Counter()
        self.ts = int(time.time()) - 20 * 86400 + idx * 100000
        self.playlists = []

    def post(self, path, body, ok):
        self.sent += 1
        try:
            r = self.client.call("POST", path, token=self.token, json_body=body)
        except Exception as e:  # no answer: not acknowledged
            self.errors[type(e).__name__] += 1
            return None
        if r.status_code not in ok:
            self.errors[r.status_code] += 1
            return None
        return r

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            if n % 4 == 1 or not self.playlists:
                name = "backup w%d p%d" % (self.idx, n)
                r = self.post("/api/v1/playlists", {"name": name, "visibility": "private"}, (201,))
                if r is not None:
                    pid = int(r.json()["id"])
                    self.playlists.append(pid)
                    self.acked.append((time.monotonic(), "playlist", (pid, self.user.id, name)))
            elif n % 4 == 2:
                pid, tid = self.playlists[-1], self.tracks[n % len(self.tracks)]
                r = self.post("/api/v1/playlists/%d/tracks" % pid, {"track_ids": [tid]}, (200,))
                if r is not None:
                    self.acked.append((time.monotonic(), "add", (pid, tid)))
            else:
                self.ts += 1
                tid = self.tracks[n % len(self.tracks)]
                stamp = faults.iso(self.ts)
                r = self.post("/api/v1/me/listens", {"track_id": tid, "listened_at": stamp},
                              (200, 201, 202))
                if r is not None:
                    b = r.json()
                    if b.get("stored", 0) + b.get("duplicates", 0) == 1:
                        self.acked.append((time.monotonic(), "listen",
                                           (self.user.id, tid, stamp[:-1])))
            self.stop.wait(1.0 / RATE)


def admin(stack, *args):
    admin_bin = os.path.join(stack.builddir, "src", "admin", "encore-admin")
    t0 = time.monotonic()
    p = subprocess.run([admin_bin, "-c", os.path.join(stack.dir, "encore.conf")] + list(args),
                       capture_output=True, timeout=600)
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"), time.monotonic() - t0)


def stop_services(stack):
    """encore-api and encore-live of stack stopped (they drain), as an admin
    does before a restore."""
    pids = [stack.api_pid()]
    for name in os.listdir(stack.dir):
        if name.startswith("encore-live-") and name.endswith(".pid"):
            pids.append(stack.pid(name[:-4], "encore-live"))
    for pid in [p for p in pids if p]:
        os.kill(pid, signal.SIGTERM)
    check(faults.wait_for(lambda: not any(p and faults._alive(p) for p in pids), 60),
          "encore-api or encore-live did not stop within 60 s")


def run(builddir):
    tag = secrets.token_hex(3)
    ctx.a = faults.Stack(builddir, os.path.join(builddir, "tests", "backup-a-" + tag))
    ctx.b = faults.Stack(builddir, os.path.join(builddir, "tests", "backup-b-" + tag))
    ctx.a.start()
    use(ctx.a)
    main_client = faults.Client()
    adm = encore.User(encore.stack()["ENCORE_ADMIN_USER"], None,
                      encore.stack()["ENCORE_ADMIN_PASSWORD"])
    atok = session(main_client, adm)
    r = main_client.call("POST", "/api/v1/artists", token=atok, json_body={"name": "Backup Artist"})
    check(r.status_code == 201, "POST /api/v1/artists: %s" % faults.brief(r))
    artist = r.json()["id"]
    tracks = []
    for i in range(6):
        r = main_client.call("POST", "/api/v1/tracks", token=atok, json_body={
            "title": "Backup Track %d" % i, "artists": [{"id": artist}], "duration_ms": 180000})
        check(r.status_code == 201, "POST /api/v1/tracks: %s" % faults.brief(r))
        tracks.append(r.json()["id"])
    users = [ctx.a.make_user("bk") for _ in range(WRITERS)]

    # A cover, so that the media directory holds a file the dump names.
    owner = users[0]
    otok = session(main_client, owner)
    r = main_client.call("POST", "/api/v1/playlists", token=otok,
                         json_body={"name": "Cover playlist", "visibility": "private"})
    check(r.status_code == 201, "POST /api/v1/playlists: %s" % faults.brief(r))
    cover_pid = r.json()["id"]
    png = images.fresh_png()
    r = main_client.session.request(
        "PUT", main_client.base + "/api/v1/playlists/%d/cover" % cover_pid, data=png,
        headers={"Authorization": "Bearer " + otok, "Content-Type": "image/png"}, timeout=30)
    check(r.status_code == 200, "PUT cover: %s" % faults.brief(r))
    cover_url = r.json()["cover_url"]
    with open(os.path.join(encore.stack()["ENCORE_MEDIA_DIR"], cover_url[len("/media/"):]),
              "rb") as f:
        cover = f.read()

    stop = threading.Event()
    writers = [Writer(i, u, tracks, stop) for i, u in enumerate(users)]
    for w in writers:
        w.start()
    try:
        time.sleep(4)
        t_backup = time.monotonic()
        bdir = os.path.join(ctx.a.dir, "backup")
        rc, out, err, backup_s = admin(ctx.a, "backup", bdir)
        check(rc == 0, "backup under load failed (%d): %s%s" % (rc, out, err))
        time.sleep(1)
    finally:
        stop.set()
        for w in writers:
            w.join(60)
    before = [(w, a) for w in writers for a in w.acked if a[0] < t_backup]
    during = sum(1 for w in writers for a in w.acked if a[0] >= t_backup)
    sent = sum(w.sent for w in writers)
    print("INFO %d writes sent, %d acknowledged before the backup started, %d after; "
          "errors %s" % (sent, len(before), during,
                         dict(sum((w.errors for w in writers), collections.Counter()))),
          flush=True)
    check(len(before) >= 20, "too few acknowledged writes before the backup: %d" % len(before))
    check(during > 0, "no write was acknowledged while the backup ran")
    print("INFO backup: %.2f s: %s" % (backup_s, out.strip()), flush=True)

    # --- stack B: fresh, restored --------------------------------------------
    ctx.b.start()
    use(ctx.b)
    stop_services(ctx.b)
    rc, out, err, _ = admin(ctx.b, "restore", bdir)
    check(rc == 1 and "already holds data" in err,
          "restore over B's accounts without --force: %d %s%s" % (rc, out, err))
    rc, out, err, restore_s = admin(ctx.b, "restore", bdir, "--force")
    check(rc == 0, "restore --force failed (%d): %s%s" % (rc, out, err))
    print("INFO restore: %.2f s: %s" % (restore_s, out.strip().split("\n")[0]), flush=True)
    ctx.b.memcached_kill()
    check(ctx.b.run_stack("start") == 0, "encore-stack start of B after the restore failed")

    # --- every write acknowledged before the backup is in B -----------------
    ids = ",".join(str(int(u.id)) for u in users)
    listens = set((int(u), int(t), at) for u, t, at in ctx.b.sql(
        "SELECT user_id, track_id, DATE_FORMAT(listened_at, '%Y-%m-%dT%H:%i:%s') "
        "FROM listens WHERE user_id IN (" + ids + ")"))
    playlists = {int(p): (int(o), n) for p, o, n in ctx.b.sql(
        "SELECT id, owner_id, name FROM playlists WHERE owner_id IN (" + ids + ")")}
    held = collections.Counter({(int(p), int(t)): int(n) for p, t, n in ctx.b.sql(
        "SELECT pt.playlist_id, pt.track_id, COUNT(*) FROM playlist_tracks pt "
        "JOIN playlists p ON p.id = pt.playlist_id WHERE p.owner_id IN (" + ids + ") "
        "GROUP BY pt.playlist_id, pt.track_id")})
    adds = collections.Counter()
    missing = []
    for w, (t, kind, key) in before:
        if kind == "listen" and key not in listens:
            missing.append("listen %r" % (key,))
        elif kind == "playlist" and playlists.get(key[0]) != (key[1], key[2]):
            missing.append("playlist %d %r (B holds %r)" % (key[0], key[2], playlists.get(key[0])))
        elif kind == "add":
            adds[key] += 1
    for key, n in adds.items():
        if held[key] < n:
            missing.append("track %d added %d time(s) to playlist %d, B holds %d" % (
                key[1], n, key[0], held[key]))
    check(not missing, "%d acknowledged writes from before the backup are not in B: %s" % (
        len(missing), missing[:5]))
    print("INFO all %d acknowledged writes from before the backup are in B" % len(before),
          flush=True)

    # --- B answers with A's accounts and media -------------------------------
    client = faults.Client()
    btok = session(client, owner)
    r = client.call("GET", "/api/v1/playlists/%d" % cover_pid, token=btok)
    check(r.status_code == 200 and r.json().get("cover_url") == cover_url,
          "GET the cover playlist on B: %s" % faults.brief(r))
    r = client.session.get(client.base + cover_url, timeout=30)
    check(r.status_code == 200 and r.content == cover,
          "nginx of B serves the cover: %d, %d bytes" % (r.status_code, len(r.content)))


def main():
    builddir = os.environ.get("ENCORE_BUILDDIR")
    if not builddir:
        print("SKIP: ENCORE_BUILDDIR is not set (run through CTest: make check)")
        sys.exit(encore.SKIP)
    signal.signal(signal.SIGTERM, lambda s, f: (_ for _ in ()).throw(KeyboardInterrupt()))
    t0 = time.monotonic()
    ok = skipped = False
    try:
        run(builddir)
        ok = True
    except encore.Skip as e:
        print("SKIP: %s" % e, flush=True)
        skipped = True
    except AssertionError as e:
        print("FAIL: %s" % e, flush=True)
    except BaseException as e:
        import traceback
        print("FAIL: %s: %s\n%s" % (type(e).__name__, e, traceback.format_exc()), flush=True)
    finally:
        for s in (ctx.a, ctx.b):
            if s is not None:
                s.stop()
    if skipped:
        sys.exit(encore.SKIP)
    print("%s in %.0f s" % ("PASS" if ok else "FAIL", time.monotonic() - t0), flush=True)
    if not ok:
        for s in (ctx.a, ctx.b):
            if s is not None:
                print("logs: %s/log" % s.dir)
        sys.exit(1)
    for s in (ctx.a, ctx.b):
        s.remove()
    sys.exit(0)


if __name__ == "__main__":
    main()
