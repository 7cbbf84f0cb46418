#!/usr/bin/python3
"""A party carries on through an nginx reload, an encore-live reload
(SIGHUP) and an encore-live restart.
A reload leaves the open WebSockets to the old nginx workers, and new
connections reach the same encore-live process (the hash is unchanged).
A restart drains: clients are told 1012, the pending chat is written, the
rooms checkpointed; clients reconnect, join with the last id they saw and
get what they missed, and the playback goes on from where it was. Runs
alone: it restarts the shared stack's encore-live processes
(CTEST_RUN_SERIAL)."""

import asyncio
import os
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
import live  # noqa: E402
from live import Client  # noqa: E402

encore.require_stack()
check = encore.check


def pid_file(name):
    return os.path.join(encore.stack_dir(), name + ".pid")


def read_pid(name):
    try:
        with open(pid_file(name)) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def live_pids():
    out = []
    for f in sorted(os.listdir(encore.stack_dir())):
        if f.startswith("encore-live-") and f.endswith(".pid"):
            pid = read_pid(f[:-4])
            if pid and encore.pid_alive(pid):
                out.append(pid)
    return out


def restart_live():
    """Stop every encore-live process (SIGTERM: the drain) and start each
    again with its command line."""
    cmds = []
    for pid in live_pids():
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            cmds.append([a.decode() for a in f.read().split(b"\0") if a])
        os.kill(pid, signal.SIGTERM)
    for pid in live_pids():
        for _ in range(200):
            if not encore.pid_alive(pid):
                break
            time.sleep(0.05)
        check(not encore.pid_alive(pid), "encore-live %d did not stop" % pid)
    log = open(os.path.join(encore.stack_dir(), "log", "encore-live.out"), "ab")
    for cmd in cmds:
        subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                         start_new_session=True)
    log.close()
    return len(cmds)


async def rejoin(party, user, since):
    """Reconnect until the process answers again: (client, snapshot)."""
    end = time.monotonic() + 20
    while True:
        try:
            return await Client.join(party, user, since=since)
        except (OSError, live.Closed, AssertionError, asyncio.TimeoutError) as e:
            if time.monotonic() > end:
                raise AssertionError("could not rejoin: %s" % e)
        except Exception as e:  # the handshake answered 502 meanwhile
            if time.monotonic() > end:
                raise AssertionError("could not rejoin: %s" % e)
        await asyncio.sleep(0.2)


def test_nginx_reload_keeps_the_party():
    host, guest, late = (encore.new_user() for _ in range(3))
    p = live.party(host, "reload")
    nginx = read_pid("nginx")
    if not nginx:
        raise encore.Skip("no nginx pid file")

    async def scenario():
        h, _ = await Client.join(p["id"], host)
        g, _ = await Client.join(p["id"], guest)
        os.kill(nginx, signal.SIGHUP)
        await asyncio.sleep(1.5)
        await h.send({"type": "chat", "text": "after the reload"})
        check((await g.expect("chat"))["message"]["text"] == "after the reload",
              "an open connection carries on")
        l, snap = await Client.join(p["id"], late)
        check(snap["chat"][-1]["text"] == "after the reload", "a new one reaches the same room")
        await g.send({"type": "chat", "text": "hello new"})
        check((await l.expect("chat"))["message"]["text"] == "hello new", "old to new")
        for c in (h, g, l):
            await c.close()
    live.run(scenario())


def test_live_reload_keeps_the_connections():
    """SIGHUP: the configuration and the database and cache connections
    again, the WebSockets kept."""
    host, guest = encore.new_user(), encore.new_user()
    p = live.party(host, "sighup")

    async def scenario():
        h, _ = await Client.join(p["id"], host)
        g, _ = await Client.join(p["id"], guest)
        pids = live_pids()
        check(pids, "no encore-live process found")
        for pid in pids:
            os.kill(pid, signal.SIGHUP)
        await asyncio.sleep(1.5)
        check(all(encore.pid_alive(pid) for pid in pids), "encore-live carries on")
        await h.send({"type": "chat", "text": "after the reload"})
        m = (await g.expect("chat"))["message"]
        check(m["text"] == "after the reload", "an open connection carries on: %r" % m)
        await g.send({"type": "ping", "t0": int(time.time() * 1000)})
        await g.expect("pong")
        for c in (h, g):
            await c.close()
    live.run(scenario())
    end = time.monotonic() + 3  # chat is written in batches
    while True:
        r = encore.call("GET", "/api/v1/parties/%d/messages" % p["id"], token=guest.access)
        items = encore.expect(r, 200, "GET", "/api/v1/parties/{id}/messages")["items"]
        if items or time.monotonic() > end:
            break
        time.sleep(0.1)
    check([m["text"] for m in items] == ["after the reload"],
          "written through the new database connection: %r" % items)


def test_live_restart_resumes_the_party():
    host, guest = encore.new_user(), encore.new_user()
    t = live.track("through a restart", 600000)
    p = live.party(host, "restart")

    async def scenario():
        h, _ = await Client.join(p["id"], host)
        g, _ = await Client.join(p["id"], guest)
        await h.send({"type": "queue_add", "track_id": t})
        await h.send({"type": "play"})
        pb = (await g.expect("playback"))["playback"]
        await h.send({"type": "chat", "text": "before"})
        last = (await g.expect("chat"))["message"]["id"]
        await g.close()
        await h.send({"type": "chat", "text": "missed"})
        await h.expect("chat", where=lambda m: m["message"]["text"] == "missed")
        n = await asyncio.to_thread(restart_live)
        check(n >= 1, "no encore-live process found")
        code, _ = await h.closing()
        check(code == 1012, "the drain says come back: %s" % code)
        h, hs = await rejoin(p["id"], host, since=last)
        g, gs = await rejoin(p["id"], guest, since=last)
        check([m["text"] for m in gs["chat"]] == ["missed"], "what the guest missed: %r" % gs["chat"])
        check(gs["playback"]["started_at_ms"] == pb["started_at_ms"] and
              gs["playback"]["item"]["track"]["id"] == t,
              "the playback goes on: %r vs %r" % (gs["playback"], pb))
        check(hs["you"]["role"] == "host", hs["you"])
        await h.send({"type": "chat", "text": "after"})
        m = (await g.expect("chat"))["message"]
        check(m["text"] == "after" and m["id"] == last + 2, "ids go on: %r" % m)
        await h.close()
        await g.close()
    live.run(scenario())


if __name__ == "__main__":
    encore.main(globals())
