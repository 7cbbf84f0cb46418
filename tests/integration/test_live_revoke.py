#!/usr/bin/python3
"""What the REST side does reaches live connections within 5 seconds:
a logout (this session), logout-all and a password change (the other
sessions), an account deleted, a block with the host, a party ended or a
member removed over REST. encore-live learns each from the live_events
table, which every process reads every second."""

import asyncio
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
import live  # noqa: E402
from live import Client  # noqa: E402

encore.require_stack()
check = encore.check
LIMIT = 5.0  # seconds


async def closed_within(c, codes, since, what):
    code, reason = await c.closing(timeout=LIMIT + 2)
    took = time.monotonic() - since
    check(code in codes, "%s: closed with %s (%s)" % (what, code, reason))
    check(took < LIMIT, "%s: closed after %.1f s" % (what, took))
    return took


def second_session(u):
    """Another login of u: a User with that session's tokens."""
    v = encore.User(u.username, u.email, u.password, u.body)
    encore.login(v)
    return v


def test_logout_closes_the_session_connections():
    host, guest = encore.new_user(), encore.new_user()
    p = live.party(host, "logout")
    other = second_session(guest)

    async def scenario():
        h, _ = await Client.join(p["id"], host)
        g, _ = await Client.join(p["id"], guest)
        g2, _ = await Client.join(p["id"], other)
        t0 = time.monotonic()
        r = await asyncio.to_thread(encore.call, "POST", "/api/v1/auth/logout",
                                    token=guest.access)
        encore.expect(r, 204, "POST", "/api/v1/auth/logout")
        took = await closed_within(g, {4401}, t0, "logout")
        # the other session of the same user stays
        await g2.send({"type": "ping", "t0": 1})
        await g2.expect("pong")
        t0 = time.monotonic()
        r = await asyncio.to_thread(encore.call, "POST", "/api/v1/auth/logout-all",
                                    token=other.access)
        encore.expect(r, 204, "POST", "/api/v1/auth/logout-all")
        await closed_within(g2, {4401}, t0, "logout-all")
        print("  logout reached the connection in %.2f s" % took)
        await h.close()
    live.run(scenario())


def test_password_change_closes_the_other_sessions():
    u = encore.new_user()
    p = live.party(u, "password")
    other = second_session(u)

    async def scenario():
        keep, _ = await Client.join(p["id"], u)
        gone, _ = await Client.join(p["id"], other)
        new = encore.strong_password()
        t0 = time.monotonic()
        r = await asyncio.to_thread(encore.call, "POST", "/api/v1/auth/password",
                                    token=u.access,
                                    json_body={"current_password": u.password,
                                               "new_password": new})
        encore.expect(r, 204, "POST", "/api/v1/auth/password")
        u.password = new
        await closed_within(gone, {4401}, t0, "a password change")
        await asyncio.sleep(1.5)
        await keep.send({"type": "ping", "t0": 1})
        await keep.expect("pong")
        await keep.close()
    live.run(scenario())


def test_account_deleted_closes_its_connections():
    host, guest = encore.new_user(), encore.new_user()
    p = live.party(host, "deletion")

    async def scenario():
        h, _ = await Client.join(p["id"], host)
        g, _ = await Client.join(p["id"], guest)
        t0 = time.monotonic()
        r = await asyncio.to_thread(encore.call, "DELETE", "/api/v1/me", token=guest.access,
                                    json_body={"password": guest.password})
        encore.expect(r, 204, "DELETE", "/api/v1/me")
        await closed_within(g, {4401}, t0, "an account deleted")
        await h.close()
    live.run(scenario())


def test_a_block_with_the_host_removes_the_member():
    host, a, b = (encore.new_user() for _ in range(3))
    p = live.party(host, "blocks")

    async def scenario():
        h, _ = await Client.join(p["id"], host)
        ca, _ = await Client.join(p["id"], a)
        cb, _ = await Client.join(p["id"], b)
        t0 = time.monotonic()
        await asyncio.to_thread(live.block, host, a)  # the host blocks a member
        await closed_within(ca, {4403}, t0, "blocked by the host")
        check(any(m["type"] == "removed" for m in ca.pending), "told first: %r" % ca.pending)
        t0 = time.monotonic()
        await asyncio.to_thread(live.block, b, host)  # a member blocks the host
        await closed_within(cb, {4403}, t0, "blocking the host")
        await h.close()
    live.run(scenario())


def test_rest_end_and_remove_reach_live_connections():
    host, a, b = (encore.new_user() for _ in range(3))
    p = live.party(host, "rest")

    async def scenario():
        h, _ = await Client.join(p["id"], host)
        ca, _ = await Client.join(p["id"], a)
        cb, _ = await Client.join(p["id"], b)
        t0 = time.monotonic()
        r = await asyncio.to_thread(encore.call, "DELETE", "/api/v1/parties/%d/members/%s" % (
            p["id"], a.username), token=host.access)
        encore.expect(r, 204, "DELETE", "/api/v1/parties/{id}/members/{username}")
        await closed_within(ca, {4403}, t0, "removed over REST")
        mem = await h.expect("member", where=lambda m: m["member"]["removed"])
        check(mem["member"]["user"]["id"] == a.id, mem)
        t0 = time.monotonic()
        r = await asyncio.to_thread(encore.call, "POST", "/api/v1/parties/%d/end" % p["id"],
                                    token=host.access)
        encore.expect(r, 204, "POST", "/api/v1/parties/{id}/end")
        await closed_within(cb, {4410}, t0, "ended over REST")
        check(any(m["type"] == "ended" for m in cb.pending), "told first: %r" % cb.pending)
        await closed_within(h, {4410}, t0, "ended over REST (the host)")
    live.run(scenario())


def test_parties_ended_over_rest_end_never_move():
    """A party ended over REST leaves the list of leases encore-live renews
    every 10 s before its end event is read (every second): an end that
    falls between the two must still close with 4410 (ended), never with
    1012 (moved). Parties end one every 300 ms over 12 s, so at least one
    renewal lands among them."""
    hosts = [encore.new_user() for _ in range(40)]
    parties = [live.party(h, "end") for h in hosts]

    async def scenario():
        clients = [(await Client.join(p["id"], h))[0] for p, h in zip(parties, hosts)]
        codes = {}
        for p, h in zip(parties, hosts):
            r = await asyncio.to_thread(encore.call, "POST",
                                        "/api/v1/parties/%d/end" % p["id"],
                                        token=h.access)
            encore.expect(r, 204, "POST", "/api/v1/parties/{id}/end")
            await asyncio.sleep(0.3)
        for p, c in zip(parties, clients):
            code, reason = await c.closing(timeout=LIMIT + 2)
            codes[code] = codes.get(code, 0) + 1
        check(codes == {4410: len(parties)}, "closing codes: %r" % codes)
    live.run(scenario())


if __name__ == "__main__":
    encore.main(globals())
