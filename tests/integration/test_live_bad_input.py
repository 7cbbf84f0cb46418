#!/usr/bin/python3
"""Bad input to encore-live, through nginx: every case gets a clear answer
(an error message, or the close code docs/asyncapi.yaml names) and the
daemon carries on: no or a bad token (4401), a party one may not see
(the same error as one that does not exist), a member's controls (an
error, the state unchanged), text that is not JSON or of an unknown type,
members not as declared, frames over 64 KiB (1009, fragmented too),
invalid UTF-8 (1007), binary frames (1003), chat floods (a warning, then
1008), too many messages (1008), connections past the per-user cap
(4429), a peer that stops answering pings (dropped), a client that does
not read (cut off), tokens in the URL (400) and requests that are no
upgrade (426). And the BOLA check: a second user reaches the first one's
invite-only party and its chat through no route and no message."""

import asyncio
import json
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
import live  # noqa: E402
from live import Client, Raw  # noqa: E402

encore.require_stack()
check = encore.check

_host = None


def host_and_party():
    """One public party of a host, shared by the tests that need any."""
    global _host
    if _host is None:
        u = encore.new_user()
        _host = (u, live.party(u, "bad input", "public"))
    return _host


def test_no_token_closes_4401():
    _, p = host_and_party()

    async def scenario():
        # a first message that is no auth
        c = await Client.connect(p["id"])
        await c.send({"type": "join", "party_id": p["id"]})
        check((await c.closing())[0] == 4401, "join before auth")
        # garbage first
        c = await Client.connect(p["id"])
        await c.send("hello", check=False)
        check((await c.closing())[0] == 4401, "garbage before auth")
        # nothing at all, in time (10 s)
        c = await Client.connect(p["id"])
        code, reason = await c.closing(timeout=15)
        check(code == 4401 and "time" in reason, (code, reason))
    live.run(scenario())


def test_bad_tokens_close_4401():
    u, p = host_and_party()
    key = encore.jwt_key(u.access)
    _, claims = encore.jwt_parts(u.access)
    now = int(time.time())
    expired = dict(claims, iat=now - 2000, nbf=now - 2000, exp=now - 1000)
    forged = [
        "not-a-jwt",
        u.access[:-4] + "AAAA",  # bad signature
        encore.jwt_sign({"alg": "HS256", "typ": "JWT"}, expired, key),
        encore.jwt_sign({"alg": "none", "typ": "JWT"}, claims, key, alg="none"),
        encore.jwt_sign({"alg": "HS512", "typ": "JWT"}, claims, key, alg="HS512"),
        encore.jwt_sign({"alg": "HS256", "typ": "JWT"}, dict(claims, typ="refresh"), key),
    ]
    for t in forged:
        encore.note_secret(t)

    async def scenario():
        ran = 0
        for t in forged:
            for via in ("message", "protocol"):
                import websockets
                protos = ["encore-live"] + (["bearer." + t] if via == "protocol" else [])
                try:
                    ws = await websockets.connect(live.url(p["id"]), ssl=live.tls(),
                                                  subprotocols=protos, local_addr=live.source())
                except websockets.InvalidHandshake:
                    continue  # a token the header cannot carry
                c = Client(ws)
                if via == "message":
                    await c.send({"type": "auth", "token": t})
                code, _ = await c.closing()
                check(code == 4401, "token %r via %s: %s" % (t[:20], via, code))
                ran += 1
        check(ran >= 2 * len(forged) - 1, "only %d cases ran" % ran)
    live.run(scenario())


def test_token_in_the_url_and_plain_requests_are_refused():
    u, p = host_and_party()
    for q in ("?token=" + u.access, "?party=%d&access_token=%s" % (p["id"], u.access),
              "?party=abc", "?party=1&party=2"):
        raw = Raw(query=q)
        check(raw.status == 400, "%s: %d" % (q[:20], raw.status))
        raw.close()
    r = encore.call("GET", "/api/v1/live?party=%d" % p["id"])
    encore.expect_problem(r, 426, slug="upgrade-required", what="a GET without upgrade")


def test_parties_one_may_not_see_answer_as_missing_ones():
    host, other = encore.new_user(), encore.new_user()
    p = live.party(host, "secret", "invite")

    async def scenario():
        answers = []
        for party_id in (p["id"], 9007199254740000):
            c = await Client.connect(party_id, other)
            await c.send({"type": "join", "party_id": party_id})
            e = await c.expect("error")
            answers.append(e)
            await c.close()
        check(answers[0] == answers[1] and answers[0]["code"] == "not-found",
              "alike: %r" % answers)
        c = await Client.connect(p["id"], other)
        await c.send({"type": "join", "party_id": p["id"] + 1})
        check((await c.expect("error"))["code"] == "wrong-party", "a party the URL does not name")
        await c.send({"type": "chat", "text": "hi"})
        check((await c.expect("error"))["code"] == "not-joined", "chat before joining")
        await c.close()
    live.run(scenario())


def test_bola_invite_only_party():
    owner, intruder = encore.new_user(), encore.new_user()
    p = live.party(owner, "private circle", "invite")
    pid = p["id"]

    async def fill():
        c, _ = await Client.join(pid, owner)
        await c.send({"type": "chat", "text": "for invited eyes"})
        await c.expect("chat")
        await c.close()
    live.run(fill())
    missing = 9007199254740000
    for method, path, route in (
            ("GET", "/api/v1/parties/%d", "/api/v1/parties/{id}"),
            ("GET", "/api/v1/parties/%d/messages", "/api/v1/parties/{id}/messages"),
            ("POST", "/api/v1/parties/%d/end", "/api/v1/parties/{id}/end"),
            ("PUT", "/api/v1/parties/%d/invites/" + owner.username,
             "/api/v1/parties/{id}/invites/{username}"),
            ("DELETE", "/api/v1/parties/%d/members/" + owner.username,
             "/api/v1/parties/{id}/members/{username}")):
        got = []
        for party_id in (pid, missing):
            r = encore.call(method, path % party_id, token=intruder.access)
            got.append(encore.expect(r, 404, method, route))
        check(got[0] == got[1], "%s %s: the same answer as no party: %r" % (method, route, got))
    r = encore.call("GET", "/api/v1/parties?limit=100", token=intruder.access)
    ids = [x["id"] for x in encore.expect(r, 200, "GET", "/api/v1/parties")["items"]]
    check(pid not in ids, "not listed")

    async def live_side():
        # joining by the URL or not, resuming the chat: nothing
        for since in (None, 0):
            c = await Client.connect(pid, intruder)
            m = {"type": "join", "party_id": pid}
            if since is not None:
                m["since"] = since
            await c.send(m)
            check((await c.expect("error"))["code"] == "not-found", "join")
            # no message names another party: they act on the joined one,
            # and this connection joined none
            for msg in ({"type": "chat", "text": "x"}, {"type": "play"},
                        {"type": "react", "message_id": 1, "emoji": "👀"},
                        {"type": "end"}):
                await c.send(msg)
                check((await c.expect("error"))["code"] == "not-joined", msg)
            await c.close()
        # the intruder's own party on the same process cannot reach it either
        own = live.party(intruder, "mine")
        c, _ = await Client.join(own["id"], intruder)
        await c.send({"type": "react", "message_id": 1, "emoji": "👀"})
        check((await c.expect("error"))["code"] == "not-found", "a message of another party")
        await c.close()
    live.run(live_side())
    texts = [m["text"] for m in live.messages(owner, pid)]
    check(texts == ["for invited eyes"], "nothing of the intruder landed: %r" % texts)


def test_member_controls_change_nothing():
    host, member = encore.new_user(), encore.new_user()
    t = live.track("untouchable", 600000)
    p = live.party(host, "controls")

    async def scenario():
        h, _ = await Client.join(p["id"], host)
        await h.send({"type": "queue_add", "track_id": t})
        await h.expect("queue")
        m, before = await Client.join(p["id"], member)
        for msg in ({"type": "play"}, {"type": "queue_remove", "item_id": before["queue"][0]["id"]},
                    {"type": "queue_move", "item_id": before["queue"][0]["id"], "position": 0},
                    {"type": "role", "user_id": member.id, "role": "co_host"},
                    {"type": "remove", "user_id": host.id}):
            await m.send(msg)
            check((await m.expect("error"))["code"] == "forbidden", msg)
        await m.send({"type": "join", "party_id": p["id"]})  # a resync
        after = await m.expect("snapshot")
        check(after["queue"] == before["queue"] and after["you"] == before["you"],
              "the queue or the member changed: %r" % after)
        check(after["playback"]["state"] == before["playback"]["state"] == "idle",
              after["playback"])
        await h.close()
        await m.close()
    live.run(scenario())


def test_malformed_messages_get_errors():
    u, p = host_and_party()

    async def scenario():
        c, _ = await Client.join(p["id"], u)
        cases = [
            ("not json", "bad-json"),
            ("[1, 2]", "bad-message"),
            ('{"type": 5}', "bad-message"),
            ('{"type": "dance"}', "unknown-type"),
            ('{"type": "chat"}', "bad-message"),
            ('{"type": "chat", "text": "hi", "admin": true}', "bad-message"),
            ('{"type": "chat", "text": ""}', "bad-message"),
            ('{"type": "chat", "text": "   "}', "bad-message"),
            ('{"type": "chat", "text": "bell \\u0007"}', "bad-message"),
            ('{"type": "chat", "text": "%s"}' % ("x" * 1001), "bad-message"),
            ('{"type": "react", "message_id": 1, "emoji": "lol"}', "bad-message"),
            ('{"type": "seek", "position_ms": -1}', "bad-message"),
            ('{"type": "join", "party_id": "1"}', "bad-message"),
            ('{"type": "ping", "t0": 1.5}', "bad-message"),
            ('{"type": "chat", "text": "a\\u0000b"}', "bad-json"),
            ('{"type": "chat", "text": "hi"} trailing', "bad-json"),
            ("[" * 40 + "]" * 40, "bad-json"),
        ]
        for text, code in cases:
            await c.send(text, check=False)
            e = await c.expect("error")
            check(e["code"] == code, "%r: %r" % (text[:40], e))
            await asyncio.sleep(0.06)  # under the message rate
        # still alive and well
        await c.send({"type": "ping", "t0": 1})
        await c.expect("pong")
        await c.close()
    live.run(scenario())


def test_oversized_bad_utf8_and_binary_frames_close():
    u, p = host_and_party()
    big = json.dumps({"type": "chat", "text": "x" * 70000})
    for what, frames, want in (
            ("a message over 64 KiB", [(big.encode(), 1, True)], 1009),
            ("fragments over 64 KiB", [(b"x" * 40000, 1, False), (b"y" * 40000, 0, True)], 1009),
            ("invalid UTF-8", [(b'{"type": "chat", "text": "\xff\xfe"}', 1, True)], 1007),
            ("a binary frame", [(b"\x00\x01\x02", 2, True)], 1003)):
        raw = Raw(p["id"], token=u.access)
        check(raw.status == 101, "the upgrade: %d" % raw.status)
        for payload, op, fin in frames:
            raw.send(payload, op, fin)
        msgs, code = raw.messages_until_close()
        check(code == want, "%s: closed with %s, wanted %d" % (what, code, want))
        raw.close()
    # fragments under the limit are one message
    raw = Raw(p["id"], token=u.access)
    raw.send('{"type": "pi', 1, False)
    raw.send('ng", "t0": 7}', 0, True)
    seen = []
    while not any(m["type"] == "pong" for m in seen):
        f = raw.read_frame()
        check(f is not None, "no pong to a fragmented ping: %r" % seen)
        if f[0] == 1:
            seen.append(json.loads(f[1]))
            live.conform(seen[-1], "send")
    check([m["t0"] for m in seen if m["type"] == "pong"] == [7], seen)
    raw.close()


def test_chat_flood_is_warned_then_closed():
    u, p = host_and_party()

    async def scenario():
        c, _ = await Client.join(p["id"], u)
        for i in range(30):
            await c.send({"type": "chat", "text": "flood %d" % i})
        warn = await c.expect("error")
        check(warn["code"] == "flood", warn)
        code, reason = await c.closing()
        check(code == 1008, (code, reason))
        sent = [m for m in c.seen if m["type"] == "chat"]
        check(8 <= len(sent) <= 12, "the burst passed, no more: %d" % len(sent))
    live.run(scenario())


def test_too_many_messages_close():
    u, p = host_and_party()

    async def scenario():
        c = await Client.connect(p["id"], u)
        for i in range(120):
            await c.send({"type": "ping", "t0": i})
        code, reason = await c.closing()
        check(code == 1008, (code, reason))
    live.run(scenario())


def test_connections_per_user_are_capped():
    u = encore.new_user()
    p = live.party(u, "cap")

    async def scenario():
        import websockets
        conns, refused = [], 0
        for _ in range(24):
            ws = await websockets.connect(live.url(p["id"]), ssl=live.tls(),
                                          subprotocols=["encore-live", "bearer." + u.access],
                                          local_addr=live.source())
            c = Client(ws, u)
            try:
                await c.expect("ready", timeout=5)
                conns.append(c)
            except live.Closed as e:
                check(e.code == 4429, "past the cap: %s" % e.code)
                refused += 1
        check(len(conns) == 16 and refused == 8, "%d open, %d refused" % (len(conns), refused))
        for c in conns:
            await c.close()
        await asyncio.sleep(0.5)
        c = await Client.connect(p["id"], u)  # freed again
        await c.close()
    live.run(scenario())


def test_a_peer_that_stops_answering_pings_is_dropped():
    u, p = host_and_party()
    hangup = float(encore.stack().get("ENCORE_LIVE_HANGUP") or 6)
    raw = Raw(p["id"], token=u.access)
    check(raw.status == 101, "upgrade")
    # never answer a ping: read nothing until the server has given up
    t0 = time.monotonic()
    raw.sock.settimeout(hangup + 10)
    ended = False
    while time.monotonic() - t0 < hangup + 10:
        f = raw.read_frame()
        if f is None or f[0] == 8:
            ended = True
            break
    check(ended, "still connected after %.0f s" % (time.monotonic() - t0))
    check(time.monotonic() - t0 >= hangup - 1, "dropped too early")
    raw.close()


def test_a_client_that_does_not_read_is_cut_off():
    host, helper, reader = (encore.new_user() for _ in range(3))
    p = live.party(host, "backpressure")
    hangup = float(encore.stack().get("ENCORE_LIVE_HANGUP") or 6)

    def flood_without_reading():
        """Ask for snapshots without reading (and without answering pings:
        faster than the ping timeout): True once the connection is cut
        off."""
        raw = Raw(p["id"], token=reader.access, rcvbuf=4096)
        t0 = time.monotonic()
        try:
            for i in range(400):
                raw.send(json.dumps({"type": "join", "party_id": p["id"], "since": 0}))
                time.sleep(0.06)
            # whatever is still in the pipes, then the end
            raw.sock.settimeout(10)
            while raw.read_frame() is not None:
                pass
        except OSError:
            pass
        print("  cut off after %.1f s" % (time.monotonic() - t0))
        raw.close()
        return time.monotonic() - t0 < hangup - 1

    async def scenario():
        # a chat of 200 long messages (a snapshot of ~800 KB), the host
        # staying (or the party ends)
        clients = [(await Client.join(p["id"], u))[0] for u in (host, helper) for _ in range(10)]
        for i in range(10):
            for c in clients:
                await c.send({"type": "chat", "text": "😀" * 1000})
        for i in range(200):
            await clients[0].expect("chat")
        for c in clients[1:]:
            await c.close()
        check(await asyncio.to_thread(flood_without_reading),
              "a client that does not read was not cut off")
        c = await Client.connect(p["id"], host)  # the room is fine
        await c.send({"type": "join", "party_id": p["id"]})
        try:
            snap = await c.expect("snapshot")
        except AssertionError:
            raise AssertionError("no snapshot after the cut: %r" % c.pending)
        check(len(snap["chat"]) == 50, "the room still serves: %d" % len(snap["chat"]))
        await c.close()
        await clients[0].close()
    live.run(scenario())


if __name__ == "__main__":
    encore.main(globals())
