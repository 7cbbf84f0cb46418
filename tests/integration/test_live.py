#!/usr/bin/python3
"""Listening parties as users use them: parties over REST (start, list,
read, invite, end, the chat's history, the feed entry, the invitation in
the inbox) and live through nginx and encore-live over WebSocket: joining
with a snapshot, chat with replies, reactions, typing and presence,
playback the host controls and the members follow within 50 ms, the
queue and suggestions, co-hosts and the host's handover, mute and
removal, listens in the history, and a reconnect that resumes the chat.
Every message seen is checked against docs/asyncapi.yaml."""

import asyncio
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
import live  # noqa: E402
from live import Client  # noqa: E402
from test_listens import sql  # noqa: E402

encore.require_stack()
check = encore.check


def test_rest_party_lifecycle():
    host, other = encore.new_user(), encore.new_user()
    p = live.party(host, "Friday", "public")
    check(p["live"] and p["role"] == "host" and p["host"]["id"] == host.id,
          "a new party: %r" % p)
    check(p["live_url"] == "/api/v1/live?party=%d" % p["id"], p["live_url"])
    r = encore.call("GET", "/api/v1/parties/%d" % p["id"], token=other.access)
    got = encore.expect(r, 200, "GET", "/api/v1/parties/{id}")
    check(got["role"] is None and not got["invited"], got)
    r = encore.call("GET", "/api/v1/parties?limit=100", token=other.access)
    page = encore.expect(r, 200, "GET", "/api/v1/parties")
    check(any(x["id"] == p["id"] for x in page["items"]), "a public party is listed")
    r = encore.call("POST", "/api/v1/parties/%d/end" % p["id"], token=other.access)
    encore.expect(r, 403, "POST", "/api/v1/parties/{id}/end")
    r = encore.call("POST", "/api/v1/parties/%d/end" % p["id"], token=host.access)
    encore.expect(r, 204, "POST", "/api/v1/parties/{id}/end")
    r = encore.call("GET", "/api/v1/parties/%d" % p["id"], token=host.access)
    got = encore.expect(r, 200, "GET", "/api/v1/parties/{id}")
    check(not got["live"] and got["ended_at"], "ended: %r" % got)
    r = encore.call("GET", "/api/v1/parties?limit=100", token=other.access)
    page = encore.expect(r, 200, "GET", "/api/v1/parties")
    check(all(x["id"] != p["id"] for x in page["items"]), "an ended party is not listed")


def test_rest_bad_input():
    u = encore.new_user()
    for body in ({}, {"name": ""}, {"name": "x" * 101}, {"name": "x", "visibility": "secret"},
                 {"name": "x", "owner_id": 1}, {"name": "x", "playlist_id": 0},
                 {"name": "x", "playlist_id": 9007199254740992}):
        r = encore.call("POST", "/api/v1/parties", token=u.access, json_body=body)
        encore.expect(r, 422, "POST", "/api/v1/parties")
    r = encore.call("POST", "/api/v1/parties", json_body={"name": "x"})
    encore.expect(r, 401, "POST", "/api/v1/parties")
    for path in ("/api/v1/parties/0", "/api/v1/parties/abc", "/api/v1/parties/01"):
        r = encore.call("GET", path, token=u.access)
        encore.expect_problem(r, 404, what=path)
    r = encore.call("GET", "/api/v1/parties/%d/messages?cursor=!!" % 1, token=u.access)
    check(r.status_code in (400, 404), "a bad cursor: %d" % r.status_code)
    # three live parties at once, then 409
    for i in range(3):
        live.party(u, "p%d" % i)
    r = encore.call("POST", "/api/v1/parties", token=u.access, json_body={"name": "p4"})
    encore.expect(r, 409, "POST", "/api/v1/parties")


def test_starting_playlist_is_the_queue():
    host = encore.new_user()
    tracks = [live.track("q%d" % i) for i in range(3)]
    r = encore.call("POST", "/api/v1/playlists", token=host.access,
                    json_body={"name": "start", "visibility": "private"})
    pl = encore.expect(r, 201, "POST", "/api/v1/playlists")
    r = encore.call("POST", "/api/v1/playlists/%d/tracks" % pl["id"], token=host.access,
                    json_body={"track_ids": tracks})
    encore.expect(r, 200, "POST", "/api/v1/playlists/{id}/tracks")
    p = live.party(host, "from a playlist", playlist_id=pl["id"])
    # someone else's private playlist is no playlist
    other = encore.new_user()
    r = encore.call("POST", "/api/v1/parties", token=other.access,
                    json_body={"name": "x", "playlist_id": pl["id"]})
    encore.expect(r, 422, "POST", "/api/v1/parties")

    async def scenario():
        c, snap = await Client.join(p["id"], host)
        check([i["track"]["id"] for i in snap["queue"]] == tracks, snap["queue"])
        check(snap["playback"]["state"] == "idle", snap["playback"])
        await c.close()
    live.run(scenario())


def test_visibility_followers_and_invites():
    host, fan, stranger, guest = (encore.new_user() for _ in range(4))
    live.follow(fan, host)
    p = live.party(host, "for followers", "followers")
    q = live.party(host, "by invitation", "invite")
    for user, want_p, want_q in ((fan, 200, 404), (stranger, 404, 404), (host, 200, 200)):
        for party, want in ((p, want_p), (q, want_q)):
            r = encore.call("GET", "/api/v1/parties/%d" % party["id"], token=user.access)
            encore.expect(r, want, "GET", "/api/v1/parties/{id}")
    live.invite(host, q["id"], guest)
    r = encore.call("GET", "/api/v1/parties/%d" % q["id"], token=guest.access)
    check(encore.expect(r, 200, "GET", "/api/v1/parties/{id}")["invited"], "invited")
    r = encore.call("GET", "/api/v1/parties?limit=100", token=guest.access)
    ids = [x["id"] for x in encore.expect(r, 200, "GET", "/api/v1/parties")["items"]]
    check(q["id"] in ids and p["id"] not in ids, "the guest's list: %r" % ids)
    # the invitation is in the guest's inbox, naming the party
    r = encore.call("GET", "/api/v1/me/notifications", token=guest.access)
    items = encore.expect(r, 200, "GET", "/api/v1/me/notifications")["items"]
    inv = [n for n in items if n["kind"] == "party_invite"]
    check(inv and inv[0]["object"]["id"] == q["id"] and inv[0]["object"]["name"] == "by invitation",
          "a party_invite notification: %r" % items)
    # a member cannot invite; a user the host blocked cannot be invited
    r = encore.call("PUT", "/api/v1/parties/%d/invites/%s" % (q["id"], stranger.username),
                    token=guest.access)
    encore.expect(r, 403, "PUT", "/api/v1/parties/{id}/invites/{username}")
    live.block(host, stranger)
    r = encore.call("PUT", "/api/v1/parties/%d/invites/%s" % (q["id"], stranger.username),
                    token=host.access)
    encore.expect(r, 404, "PUT", "/api/v1/parties/{id}/invites/{username}")
    r = encore.call("PUT", "/api/v1/parties/%d/invites/%s" % (q["id"], host.username),
                    token=host.access)
    encore.expect(r, 422, "PUT", "/api/v1/parties/{id}/invites/{username}")


def test_blocks_hide_parties_both_ways():
    host, blocker, blocked = (encore.new_user() for _ in range(3))
    p = live.party(host, "public one")
    live.block(blocker, host)  # the blocker does not want to see the host
    live.block(host, blocked)  # the host does not want the blocked
    for u in (blocker, blocked):
        r = encore.call("GET", "/api/v1/parties/%d" % p["id"], token=u.access)
        encore.expect(r, 404, "GET", "/api/v1/parties/{id}")

    async def scenario():
        for u in (blocker, blocked):
            c = await Client.connect(p["id"], u)
            await c.send({"type": "join", "party_id": p["id"]})
            e = await c.expect("error")
            check(e["code"] == "not-found", e)
            await c.close()
    live.run(scenario())


def test_party_started_is_in_the_feed():
    host, fan, stranger = (encore.new_user() for _ in range(3))
    live.follow(fan, host)
    live.follow(stranger, host)
    p = live.party(host, "feed me", "invite")
    q = live.party(host, "everyone", "public")
    live.invite(host, p["id"], fan)
    deadline = time.monotonic() + 10
    while True:
        r = encore.call("GET", "/api/v1/me/feed", token=fan.access)
        items = encore.expect(r, 200, "GET", "/api/v1/me/feed")["items"]
        parties = {e["object"]["id"] for e in items if e["kind"] == "party_started"}
        if {p["id"], q["id"]} <= parties or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    check({p["id"], q["id"]} <= parties, "the fan sees both parties started: %r" % items)
    r = encore.call("GET", "/api/v1/me/feed", token=stranger.access)
    items = encore.expect(r, 200, "GET", "/api/v1/me/feed")["items"]
    parties = {e["object"]["id"] for e in items if e["kind"] == "party_started"}
    check(q["id"] in parties and p["id"] not in parties,
          "a follower not invited sees only the public one: %r" % items)


def test_join_chat_reply_react_typing_presence():
    host, guest = encore.new_user(), encore.new_user()
    p = live.party(host, "chatty")

    async def scenario():
        h, snap = await Client.join(p["id"], host)
        check(snap["you"]["role"] == "host" and snap["party"]["id"] == p["id"], snap)
        g, gsnap = await Client.join(p["id"], guest, via="message")
        pres = await h.expect("presence")
        check(pres["event"] == "joined" and pres["user"]["id"] == guest.id, pres)
        check(len(gsnap["members"]) == 2, gsnap["members"])
        await h.send({"type": "chat", "text": "welcome 👋", "ref": "h1"})
        m1 = (await h.expect("chat"))["message"]
        check((await g.expect("chat"))["message"] == m1, "both see the same message")
        await g.send({"type": "chat", "text": "thanks", "reply_to": m1["id"]})
        m2 = (await h.expect("chat"))["message"]
        check(m2["reply_to"] == m1["id"] and m2["id"] == m1["id"] + 1, m2)
        await g.send({"type": "react", "message_id": m1["id"], "emoji": "🎉"})
        r = await h.expect("reaction")
        check(r == {"type": "reaction", "message_id": m1["id"], "user_id": guest.id,
                    "emoji": "🎉", "removed": False}, r)
        await g.send({"type": "typing"})
        t = await h.expect("typing")
        check(t["user_id"] == guest.id, t)
        await g.send({"type": "react", "message_id": 999, "emoji": "🎉"})
        check((await g.expect("error"))["code"] == "not-found", "a reaction to no message")
        await g.close()
        pres = await h.expect("presence", where=lambda m: m["event"] == "left")
        check(pres["user"]["id"] == guest.id and pres["online"] == 1, pres)
        # a late joiner gets the chat with its reactions in the snapshot
        g2, snap2 = await Client.join(p["id"], guest)
        texts = [m["text"] for m in snap2["chat"]]
        check(texts[-2:] == ["welcome 👋", "thanks"], texts)
        check(snap2["chat"][-2]["reactions"] == [{"emoji": "🎉", "users": [guest.id]}],
              snap2["chat"][-2])
        await g2.close()
        await h.close()
    live.run(scenario())
    # stored, readable over REST (after the batched write)
    deadline = time.monotonic() + 5
    while True:
        items = live.messages(guest, p["id"])
        if len(items) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    check([m["text"] for m in items[:2]] == ["thanks", "welcome 👋"], items)
    check(items[1]["reactions"] == [{"emoji": "🎉", "users": [guest.id]}], items[1])


def test_chat_history_pages():
    host = encore.new_user()
    p = live.party(host, "pages")

    async def scenario():
        h, _ = await Client.join(p["id"], host)
        for i in range(8):
            await h.send({"type": "chat", "text": "m%d" % i})
            await h.expect("chat")
            await asyncio.sleep(0.5)  # within the chat's rate
        await h.close()
    live.run(scenario())
    time.sleep(0.5)
    seen, cursor = [], None
    while True:
        q = "/api/v1/parties/%d/messages?limit=3" % p["id"] + ("&cursor=" + cursor if cursor else "")
        r = encore.call("GET", q, token=host.access)
        page = encore.expect(r, 200, "GET", "/api/v1/parties/{id}/messages")
        seen += [m["text"] for m in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    check(seen == ["m%d" % i for i in range(7, -1, -1)], seen)


def test_playback_follows_the_host_and_members_agree():
    host, guest = encore.new_user(), encore.new_user()
    t1, t2 = live.track("long one", 600000), live.track("next one", 600000)
    p = live.party(host, "in sync")

    async def scenario():
        h, _ = await Client.join(p["id"], host)
        g, _ = await Client.join(p["id"], guest)
        await h.send({"type": "queue_add", "track_id": t1})
        q = await g.expect("queue")
        check([i["track"]["id"] for i in q["queue"]] == [t1], q)
        await h.send({"type": "queue_add", "track_id": t2})
        await g.expect("queue")
        # a member's controls are refused, the state unchanged
        for msg in ({"type": "play"}, {"type": "skip"}, {"type": "pause"},
                    {"type": "seek", "position_ms": 1000}, {"type": "queue_add", "track_id": t1},
                    {"type": "end"}, {"type": "mute", "user_id": host.id, "muted": True}):
            await g.send(msg)
            e = await g.expect("error")
            check(e["code"] == "forbidden", "%s by a member: %r" % (msg["type"], e))
        await h.send({"type": "play"})
        pb = (await g.expect("playback"))["playback"]
        check(pb["state"] == "playing" and pb["item"]["track"]["id"] == t1, pb)
        await h.send({"type": "seek", "position_ms": 120000})
        pb = (await g.expect("playback"))["playback"]
        await h.expect("playback")
        await h.expect("playback")
        # both place the track at the same position at the same moment
        oh, dh = await h.ping_offset()
        og, dg = await g.ping_offset()
        now = time.time() * 1000
        pos_h = now + oh - pb["started_at_ms"]
        pos_g = now + og - pb["started_at_ms"]
        check(abs(pos_h - pos_g) < 50, "positions differ by %.1f ms (delays %.1f, %.1f)" % (
            abs(pos_h - pos_g), dh, dg))
        check(119000 < pos_g < 125000, "the seek took: %.0f" % pos_g)
        # a late joiner starts at the right position
        late = encore.new_user()
        l, snap = await Client.join(p["id"], late)
        ol, _ = await l.ping_offset()
        pos_l = time.time() * 1000 + ol - snap["playback"]["started_at_ms"]
        pos_g = time.time() * 1000 + og - pb["started_at_ms"]
        check(abs(pos_l - pos_g) < 50, "the late joiner is %.1f ms off" % abs(pos_l - pos_g))
        await h.send({"type": "pause"})
        pb = (await g.expect("playback"))["playback"]
        check(pb["state"] == "paused" and pb["started_at_ms"] is None, pb)
        await h.send({"type": "skip"})
        pb = (await g.expect("playback"))["playback"]
        check(pb["state"] == "playing" and pb["item"]["track"]["id"] == t2, pb)
        await g.expect("queue", where=lambda q: q["queue"] == [])
        for c in (h, g, l):
            await c.close()
    live.run(scenario())


def test_items_play_out_and_listens_are_counted():
    host, guest, idle = (encore.new_user() for _ in range(3))
    t1, t2 = live.track("short", 2000), live.track("shorter", 1500)
    p = live.party(host, "listens")

    async def scenario():
        h, _ = await Client.join(p["id"], host)
        g, _ = await Client.join(p["id"], guest)
        i, _ = await Client.join(p["id"], idle)
        await g.send({"type": "playing", "playing": True})
        await h.send({"type": "playing", "playing": True})
        for t in (t1, t2):
            await h.send({"type": "queue_add", "track_id": t})
            await g.expect("queue")
        await h.send({"type": "play"})
        pb = (await g.expect("playback"))["playback"]
        check(pb["item"]["track"]["id"] == t1, pb)
        pb = (await g.expect("playback", timeout=5))["playback"]
        check(pb["item"]["track"]["id"] == t2, "the next item after the first: %r" % pb)
        pb = (await g.expect("playback", timeout=5))["playback"]
        check(pb["state"] == "idle" and pb["item"] is None, pb)
        for c in (h, g, i):
            await c.close()
    live.run(scenario())

    def history(u):
        r = encore.call("GET", "/api/v1/me/history", token=u.access)
        return encore.expect(r, 200, "GET", "/api/v1/me/history")["items"]
    got = [x["track"]["id"] if isinstance(x.get("track"), dict) else x.get("track_id")
           for x in history(guest)]
    check(sorted(got) == sorted([t1, t2]), "each track once in the history: %r" % history(guest))
    check(history(idle) == [], "a member who did not play along has no listens")
    # counted where the analytics count where listens start
    rows = sql("SELECT source, context FROM listens WHERE user_id = %d" % guest.id)
    check(rows == [["party", "party"]] * 2, "source and context: %r" % rows)


def test_queue_suggestions_cohost_mute_remove():
    host, co, member, pest = (encore.new_user() for _ in range(4))
    t = live.track("suggested")
    p = live.party(host, "roles")

    async def scenario():
        h, _ = await Client.join(p["id"], host)
        c, _ = await Client.join(p["id"], co)
        m, _ = await Client.join(p["id"], member)
        x, _ = await Client.join(p["id"], pest)
        await m.send({"type": "suggest", "track_id": t})
        q = await h.expect("queue")
        check(q["queue"] == [] and q["suggestions"][0]["track"]["id"] == t, q)
        item = q["suggestions"][0]["id"]
        await m.send({"type": "suggestion_accept", "item_id": item})
        check((await m.expect("error"))["code"] == "forbidden", "a member accepting")
        await h.send({"type": "suggestion_accept", "item_id": item})
        q = await m.expect("queue", where=lambda q: q["queue"])
        check(q["queue"][0]["id"] == item and q["suggestions"] == [], q)
        # the host names a co-host, who may then control
        await h.send({"type": "role", "user_id": co.id, "role": "co_host"})
        mem = (await m.expect("member"))["member"]
        check(mem["user"]["id"] == co.id and mem["role"] == "co_host", mem)
        await c.send({"type": "play"})
        check((await m.expect("playback"))["playback"]["state"] == "playing", "a co-host plays")
        await c.send({"type": "role", "user_id": member.id, "role": "co_host"})
        check((await c.expect("error"))["code"] == "forbidden", "only the host names co-hosts")
        # mute: no chat, no reactions
        await c.send({"type": "mute", "user_id": pest.id, "muted": True})
        await x.expect("member", where=lambda e: e["member"]["muted"])
        await x.send({"type": "chat", "text": "spam"})
        check((await x.expect("error"))["code"] == "muted", "a muted member")
        # remove: told, closed with 4403, and the party is gone for them
        await h.send({"type": "remove", "user_id": pest.id})
        check((await x.expect("removed"))["party_id"] == p["id"], "removed")
        check((await x.closing())[0] == 4403, "closed with 4403")
        r = encore.call("GET", "/api/v1/parties/%d" % p["id"], token=pest.access)
        encore.expect(r, 404, "GET", "/api/v1/parties/{id}")
        x2 = await Client.connect(p["id"], pest)
        await x2.send({"type": "join", "party_id": p["id"]})
        check((await x2.expect("error"))["code"] == "not-found", "a removed member rejoining")
        await x2.close()
        # the host leaves: the co-host there gets the party
        await h.close()
        ho = await m.expect("host", timeout=5)
        check(ho["host"]["id"] == co.id and ho["previous_host_id"] == host.id, ho)
        r = encore.call("GET", "/api/v1/parties/%d" % p["id"], token=member.access)
        check(encore.expect(r, 200, "GET", "/api/v1/parties/{id}")["host"]["id"] == co.id,
              "the REST side sees the new host")
        await c.send({"type": "end"})
        check((await m.expect("ended"))["party_id"] == p["id"], "ended by the new host")
        check((await m.closing())[0] == 4410, "closed with 4410")
        await c.close()
    live.run(scenario())


def test_host_gone_for_good_ends_the_party():
    host, guest = encore.new_user(), encore.new_user()
    p = live.party(host, "abandoned")
    grace = float(encore.stack().get("ENCORE_LIVE_GRACE") or 5)

    async def scenario():
        h, _ = await Client.join(p["id"], host)
        g, _ = await Client.join(p["id"], guest)
        await h.close()
        e = await g.expect("ended", timeout=grace + 5)
        check(e["reason"] == "the host left", e)
        check((await g.closing())[0] == 4410, "closed with 4410")
    live.run(scenario())
    r = encore.call("GET", "/api/v1/parties/%d" % p["id"], token=guest.access)
    check(not encore.expect(r, 200, "GET", "/api/v1/parties/{id}")["live"], "ended")


def test_reconnect_resumes_after_the_last_id():
    host, guest = encore.new_user(), encore.new_user()
    p = live.party(host, "resume")

    async def scenario():
        h, _ = await Client.join(p["id"], host)
        g, _ = await Client.join(p["id"], guest)
        await h.send({"type": "chat", "text": "one"})
        last = (await g.expect("chat"))["message"]["id"]
        await g.close()
        for text in ("two", "three"):
            await h.send({"type": "chat", "text": text})
            await h.expect("chat")
        g, snap = await Client.join(p["id"], guest, since=last)
        check([m["text"] for m in snap["chat"]] == ["two", "three"] and snap["chat_complete"],
              snap["chat"])
        # the same after messages older than the ring: read from MariaDB
        g2, snap = await Client.join(p["id"], guest, since=0)
        check([m["text"] for m in snap["chat"]] == ["one", "two", "three"], snap["chat"])
        for c in (h, g, g2):
            await c.close()
    live.run(scenario())


def test_blocked_members_do_not_see_each_other():
    host, a, b = (encore.new_user() for _ in range(3))
    p = live.party(host, "apart")

    async def scenario():
        h, _ = await Client.join(p["id"], host)
        ca, _ = await Client.join(p["id"], a)
        cb, _ = await Client.join(p["id"], b)
        live.block(a, b)  # live: learned from the events table within ~1 s
        await asyncio.sleep(2)
        await cb.send({"type": "chat", "text": "from b"})
        check((await h.expect("chat"))["message"]["text"] == "from b", "the host sees b")
        await cb.expect("chat")  # b's own
        await ca.none("chat", 1.5)
        await ca.send({"type": "chat", "text": "from a"})
        await h.expect("chat")
        await ca.expect("chat")
        await cb.none("chat", 1.5)
        # and a rejoining a does not get b's message in the snapshot
        a2, snap = await Client.join(p["id"], a)
        check("from b" not in [m["text"] for m in snap["chat"]], snap["chat"])
        for c in (h, ca, cb, a2):
            await c.close()
    live.run(scenario())
    texts = [m["text"] for m in live.messages(a, p["id"])]
    check("from b" not in texts and "from a" in texts, "REST history of a: %r" % texts)


def test_a_block_past_a_thousand_others_still_applies():
    """A joiner's blocks are read against the room's members, not cut at
    a count: a user with 1,100 other blocks, whose block of a member came
    last, is still kept apart from that member."""
    import secrets
    from test_listens import sql
    host, a = encore.new_user(), encore.new_user()
    tag = "blk" + secrets.token_hex(3)
    sql("INSERT INTO users (username, email, password_hash, display_name) "
        "SELECT CONCAT('%s_', seq), CONCAT('%s_', seq, '@example.net'), '!', 'b' "
        "FROM seq_1_to_1100" % (tag, tag))
    sql("INSERT INTO blocks (blocker_id, blocked_id) SELECT %d, id FROM users "
        "WHERE username LIKE '%s\\_%%'" % (a.id, tag))
    b = encore.new_user()  # made after the others: the last of a's blocks
    sql("INSERT INTO blocks (blocker_id, blocked_id) VALUES (%d, %d)" % (a.id, b.id))
    p = live.party(host, "many blocks")

    async def scenario():
        h, _ = await Client.join(p["id"], host)
        cb, _ = await Client.join(p["id"], b)
        ca, _ = await Client.join(p["id"], a)
        await cb.send({"type": "chat", "text": "from b"})
        check((await h.expect("chat"))["message"]["text"] == "from b", "the host sees b")
        await cb.expect("chat")  # b's own
        await ca.none("chat", 1.5)
        await ca.send({"type": "chat", "text": "from a"})
        await h.expect("chat")
        await ca.expect("chat")
        await cb.none("chat", 1.5)
        for c in (h, ca, cb):
            await c.close()
    try:
        live.run(scenario())
    finally:
        sql("DELETE FROM users WHERE username LIKE '%s\\_%%'" % tag)


if __name__ == "__main__":
    encore.main(globals())
