#!/usr/bin/python3
"""The listening-party page (/party/, docs/party/) in two headless
Chromium instances (Debian's chromium), driven over the DevTools protocol
with python3-websockets, through nginx: each signs in, one starts a party
and queues two tracks, the other joins it; one chats and skips a track,
and the other shows both. Skipped (77) without chromium."""

import asyncio
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
import live  # noqa: E402

encore.require_stack()
check = encore.check

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not os.access(CHROMIUM, os.X_OK):
    print("SKIP: no chromium (apt-get install chromium)")
    sys.exit(encore.SKIP)


class Browser:
    """One headless Chromium and its DevTools connection."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="encore-chromium-")
        self.proc = None
        self.ws = None
        self.ids = itertools.count(1)
        self.waiting = {}
        self.reader = None

    async def start(self):
        import websockets

        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
             "--user-data-dir=" + self.dir, "--remote-debugging-port=0",
             "--ignore-certificate-errors", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        # Chromium names its DevTools endpoint in the profile directory.
        port_file = os.path.join(self.dir, "DevToolsActivePort")
        end = time.monotonic() + 30
        while not os.path.exists(port_file) or os.path.getsize(port_file) == 0:
            if time.monotonic() > end or self.proc.poll() is not None:
                raise AssertionError("chromium did not start")
            await asyncio.sleep(0.1)
        with open(port_file) as f:
            port, path = f.read().split()[:2]
        self.ws = await websockets.connect("ws://127.0.0.1:%s%s" % (port, path),
                                           max_size=None, open_timeout=10)
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self):
        async for raw in self.ws:
            m = json.loads(raw)
            fut = self.waiting.pop(m.get("id"), None)
            if fut and not fut.done():
                fut.set_result(m)

    async def cmd(self, method, params=None, session=None):
        i = next(self.ids)
        msg = {"id": i, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        fut = asyncio.get_running_loop().create_future()
        self.waiting[i] = fut
        await self.ws.send(json.dumps(msg))
        m = await asyncio.wait_for(fut, 30)
        if "error" in m:
            raise AssertionError("%s: %s" % (method, m["error"]))
        return m["result"]

    async def page(self, url):
        target = await self.cmd("Target.createTarget", {"url": "about:blank"})
        s = (await self.cmd("Target.attachToTarget",
                            {"targetId": target["targetId"], "flatten": True}))["sessionId"]
        await self.cmd("Page.enable", session=s)
        await self.cmd("Runtime.enable", session=s)
        await self.cmd("Page.navigate", {"url": url}, session=s)
        return Page(self, s)

    async def stop(self):
        try:
            if self.ws:
                await asyncio.wait_for(self.cmd("Browser.close"), 5)
        except Exception:
            pass
        if self.reader:
            self.reader.cancel()
        if self.proc:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class Page:
    def __init__(self, browser, session):
        self.b, self.s = browser, session

    async def js(self, expr):
        r = await self.b.cmd("Runtime.evaluate", {
            "expression": expr, "awaitPromise": True, "returnByValue": True}, session=self.s)
        if "exceptionDetails" in r:
            raise AssertionError("%s: %s" % (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    async def until(self, expr, what, timeout=15):
        end = time.monotonic() + timeout
        while True:
            try:
                if await self.js(expr):
                    return
            except AssertionError:
                pass
            if time.monotonic() > end:
                state = await self.js("document.body.innerText.slice(0, 800)")
                raise AssertionError("%s: not within %s s; the page shows %r" % (what, timeout, state))
            await asyncio.sleep(0.2)

    async def fill(self, fields):
        for sel, value in fields.items():
            await self.js("document.getElementById(%s).value = %s" % (json.dumps(sel), json.dumps(value)))

    async def click(self, sel):
        await self.js("document.getElementById(%s).click()" % json.dumps(sel))

    async def text(self, sel):
        return await self.js("document.getElementById(%s).innerText" % json.dumps(sel))

    async def sign_in(self, user):
        await self.until("document.readyState === 'complete' && !!document.getElementById('login-btn')",
                         "the page loads")
        await self.fill({"login-user": user.username, "login-pass": user.password})
        await self.click("login-btn")
        await self.until("!document.getElementById('lobby').hidden", "signed in")


def test_two_browsers_share_a_party():
    alice, bob = encore.new_user(), encore.new_user()
    first, second = live.track("First song", 600000), live.track("Second song", 600000)
    url = encore.stack()["ENCORE_HTTPS_URL"] + "/party/"

    async def scenario():
        a, b = Browser(), Browser()
        try:
            await asyncio.gather(a.start(), b.start())
            pa, pb = await asyncio.gather(a.page(url), b.page(url))
            await pa.sign_in(alice)
            await pb.sign_in(bob)
            await pa.fill({"party-name": "Browsers", "party-vis": "public"})
            await pa.click("create-btn")
            await pa.until("document.getElementById('party-title').innerText.includes('host')",
                           "the host is in the party")
            title = await pa.text("party-title")
            party = int(re.search(r"#(\d+)", title).group(1))
            for t in (first, second):
                await pa.fill({"track-id": str(t)})
                await pa.click("queue-add")
                await asyncio.sleep(0.3)
            await pa.until("document.querySelectorAll('#queue li').length === 2", "two queued")
            await pa.click("play-btn")
            await pa.until("document.getElementById('now-playing').innerText === 'First song'",
                           "the host plays")
            await pb.fill({"join-id": str(party)})
            await pb.click("join-btn")
            await pb.until("document.getElementById('now-playing').innerText === 'First song'",
                           "the guest joined and plays along")
            await pb.until("document.getElementById('members').innerText.includes(%s)"
                           % json.dumps(alice.username), "the guest sees the host")
            await pa.fill({"chat-input": "hello from the host"})
            await pa.click("chat-send")
            await pa.click("skip-btn")
            await pb.until("document.getElementById('chat-log').innerText.includes('hello from the host')",
                           "the guest shows the message")
            await pb.until("document.getElementById('now-playing').innerText === 'Second song'",
                           "the guest shows the skip")
            await pa.until("document.getElementById('chat-log').innerText.includes('hello from the host')"
                           " && document.getElementById('now-playing').innerText === 'Second song'",
                           "the host shows both too")
            pos = await pb.text("position")
            check(re.match(r"^\d+:\d\d$", pos), "a position: %r" % pos)
            errs = await pb.text("error")
            check(not errs, "the guest's page shows no error: %r" % errs)
        finally:
            await asyncio.gather(a.stop(), b.stop())
    live.run(scenario(), timeout=180)


if __name__ == "__main__":
    encore.main(globals())
