#!/usr/bin/python3
"""Administration and moderation through the real stack: the admin user
list and search (prefix, filters, sorts, pages, forged cursors), one
account's detail, suspension (sessions end at once, login answers 403
with the reason, content hidden from others; reinstatement), the refusals
that keep an instance administrable (oneself, the last admin), a forced
password reset, deletion, the audit log with its filters; reports of
comments, playlists and users, the threshold hold, the moderators' queue
and actions with the reporters told; the analytics from the rollup; and a
role check over every admin and moderation route for a user, a moderator
and an admin. Bad input: reasons over the limit, forged cursors, a range
of 100 years."""

import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
from encore import call, check, expect  # noqa: E402
from social import comment, notifications, path, playlist, track  # noqa: E402
from test_listens import sql  # noqa: E402

encore.require_stack()

USERS = "/api/v1/admin/users"
USER = "/api/v1/admin/users/{username}"
ROLE = "/api/v1/admin/users/{username}/role"
SUSPENSION = "/api/v1/admin/users/{username}/suspension"
RESET = "/api/v1/admin/users/{username}/password-reset"
AUDIT = "/api/v1/admin/audit"
ANALYTICS = "/api/v1/admin/analytics"
QUEUE = "/api/v1/moderation/reports"
ACT = "/api/v1/moderation/reports/{type}/{id}"
REPORT_PLAYLIST = "/api/v1/playlists/{id}/report"
REPORT_USER = "/api/v1/users/{username}/report"
REPORT_COMMENT = "/api/v1/comments/{id}/report"


def adm():
    return encore.admin().access


def set_role(u, role):
    r = call("PUT", path(ROLE, username=u.username), token=adm(), json_body={"role": role})
    expect(r, 200, "PUT", ROLE)


def moderator():
    m = encore.new_user()
    set_role(m, "moderator")
    encore.login(m)  # a token that carries the new role
    return m


def audit(**q):
    qs = "&".join("%s=%s" % kv for kv in q.items())
    r = call("GET", AUDIT + ("?" + qs if qs else ""), token=adm())
    return expect(r, 200, "GET", AUDIT)["items"]


# --------------------------------------------------------------------------
# Users


def test_list_search_filters_and_pages():
    tag = encore.unique("srch")[:20]
    made = [encore.register(username="%s_%d" % (tag, i)) for i in range(5)]
    r = call("GET", USERS + "?q=%s&limit=2&sort=username" % tag, token=adm())
    page = expect(r, 200, "GET", USERS)
    names = [u["username"] for u in page["items"]]
    check(names == sorted(u.username for u in made)[:2], "first page %r" % names)
    seen = list(names)
    while page["next_cursor"]:
        r = call("GET", USERS + "?q=%s&limit=2&sort=username&cursor=%s" % (tag, page["next_cursor"]),
                 token=adm())
        page = expect(r, 200, "GET", USERS)
        seen += [u["username"] for u in page["items"]]
    check(seen == sorted(u.username for u in made), "all pages %r" % seen)
    # by email prefix, and a wildcard in q is no wildcard
    r = call("GET", USERS + "?q=%s" % made[0].email[:len(tag) + 2], token=adm())
    check(any(u["username"] == made[0].username for u in expect(r, 200, "GET", USERS)["items"]),
          "email prefix")
    r = call("GET", USERS + "?q=%25" + tag, token=adm())
    check(expect(r, 200, "GET", USERS)["items"] == [], "% matched as a wildcard")
    # newest first by default; role filter
    r = call("GET", USERS + "?q=%s&sort=newest&limit=1" % tag, token=adm())
    check(expect(r, 200, "GET", USERS)["items"][0]["username"] == made[-1].username, "newest")
    r = call("GET", USERS + "?role=admin", token=adm())
    check(all(u["role"] == "admin" for u in expect(r, 200, "GET", USERS)["items"]), "role filter")
    # a cursor of another sort, and forged ones: 400
    r = call("GET", USERS + "?q=%s&limit=1&sort=username" % tag, token=adm())
    cur = expect(r, 200, "GET", USERS)["next_cursor"]
    for bad in (cur, encore.b64url(b"n:abc:1"), encore.b64url(b"zz"), "%%%"):
        r = call("GET", USERS + "?sort=newest&cursor=" + bad, token=adm())
        check(r.status_code == 400, "forged cursor %r: %d" % (bad, r.status_code))
    for q in ("sort=sideways", "role=king", "status=gone", "created_from=yesterday", "limit=0",
              "q=" + "x" * 65):
        r = call("GET", USERS + "?" + q, token=adm())
        expect(r, 422, "GET", USERS)


def test_detail_counts():
    u = encore.new_user()
    playlist(u)
    r = call("GET", path(USER, username=u.username), token=adm())
    d = expect(r, 200, "GET", USER)
    check(d["counts"]["playlists"] == 1 and d["status"] == "active", "detail %r" % d)
    check(d["last_seen_at"] is not None, "last seen")
    r = call("GET", path(USER, username="nobody_" + encore.unique()[:8]), token=adm())
    expect(r, 404, "GET", USER)


def test_search_pages_every_sort_across_the_three_columns():
    """A prefix that matches some accounts by username, some by email only,
    some by display name only and one by all three: in every sort, paged
    two at a time, each of them comes exactly once and in order, with a
    status filter too (each column's branch filters and pages on its own,
    then the pages are merged)."""
    tag = encore.unique("mx")[:14].lower()
    made = [encore.register(username="%s_n%d" % (tag, i)) for i in range(3)]
    made += [encore.register(email="%s_e%d@example.org" % (tag, i)) for i in range(2)]
    made += [encore.register(display_name="%s display %d" % (tag, i)) for i in range(2)]
    made.append(encore.register(username=tag + "_all", email=tag + "_all@example.org",
                                display_name=tag + " all"))
    gone = made[5]
    r = call("PUT", path(SUSPENSION, username=gone.username), token=adm(),
             json_body={"reason": "a test of the filter"})
    expect(r, 200, "PUT", SUSPENSION)

    def pages(extra):
        out, cursor = [], None
        while True:
            q = "?q=%s&limit=2%s%s" % (tag, extra, "&cursor=" + cursor if cursor else "")
            page = expect(call("GET", USERS + q, token=adm()), 200, "GET", USERS)
            out += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return out
    ids = {u.id for u in made}
    for sort, key, rev in (("newest", "created_at", True), ("oldest", "created_at", False),
                           ("username", "username", False)):
        got = pages("&sort=" + sort)
        check(sorted(u["id"] for u in got) == sorted(ids), "%s: %r" % (sort, got))
        want = sorted(got, key=lambda u: (u[key], u["id"]), reverse=rev)
        check(got == want, "%s: out of order %r" % (sort, [u["username"] for u in got]))
        active = pages("&sort=%s&status=active" % sort)
        check(sorted(u["id"] for u in active) == sorted(ids - {gone.id}),
              "%s, active: %r" % (sort, active))
        held = pages("&sort=%s&status=suspended" % sort)
        check([u["id"] for u in held] == [gone.id], "%s, suspended: %r" % (sort, held))


def test_suspend_login_reinstate():
    u = encore.new_user()
    other = encore.new_user()
    pid = playlist(u)
    r = call("GET", "/api/v1/playlists/%d" % pid, token=other.access)
    check(r.status_code == 200, "playlist visible before: %d" % r.status_code)
    r = call("PUT", path(SUSPENSION, username=u.username), token=adm(),
             json_body={"reason": "spam everywhere"})
    d = expect(r, 200, "PUT", SUSPENSION)
    check(d["status"] == "suspended" and d["suspension_reason"] == "spam everywhere", "%r" % d)
    # the session ended at once
    r = call("GET", "/api/v1/me", token=u.access)
    check(r.status_code == 401, "token after suspension: %d" % r.status_code)
    # login: 403 with the reason (only with the right password)
    r = encore.login_raw(u.username, u.password)
    p = expect(r, 403, "POST", "/api/v1/auth/login")
    check("spam everywhere" in p["detail"], "reason %r" % p)
    r = encore.login_raw(u.username, "wrong password, really")
    check(r.status_code == 401, "wrong password of a suspended account: %d" % r.status_code)
    # content hidden from others, the owner's own view aside
    r = call("GET", "/api/v1/playlists/%d" % pid, token=other.access)
    check(r.status_code == 404, "playlist of a suspended owner: %d" % r.status_code)
    r = call("GET", "/api/v1/playlists/%d" % pid)
    check(r.status_code == 404, "playlist of a suspended owner, anonymous: %d" % r.status_code)
    # reinstated
    r = call("DELETE", path(SUSPENSION, username=u.username), token=adm())
    expect(r, 204, "DELETE", SUSPENSION)
    r = call("DELETE", path(SUSPENSION, username=u.username), token=adm())
    expect(r, 404, "DELETE", SUSPENSION)
    encore.login(u)
    r = call("GET", "/api/v1/playlists/%d" % pid, token=other.access)
    check(r.status_code == 200, "playlist after reinstatement: %d" % r.status_code)
    acts = [e["action"] for e in audit(object_type="user", object_id=u.id)]
    check(acts[:2] == ["user.reinstate", "user.suspend"], "audit %r" % acts)
    # a suspension with an end in the past, or a malformed one, or a long reason
    for body in ({"reason": "x", "until": "2001-01-01T00:00:00Z"},
                 {"reason": "x", "until": "soon"},
                 {"reason": "x" * 501}, {"reason": ""}, {"until": "2099-01-01T00:00:00Z"},
                 {"reason": "x", "role": "admin"}):
        r = call("PUT", path(SUSPENSION, username=u.username), token=adm(), json_body=body)
        expect(r, 422, "PUT", SUSPENSION)


def test_suspension_with_an_end():
    u = encore.new_user()
    until = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    r = call("PUT", path(SUSPENSION, username=u.username), token=adm(),
             json_body={"reason": "cool down", "until": until})
    d = expect(r, 200, "PUT", SUSPENSION)
    check(d["suspended_until"] == until, "until %r" % d["suspended_until"])
    p = expect(encore.login_raw(u.username, u.password), 403, "POST", "/api/v1/auth/login")
    check("until" in p["detail"] and "cool down" in p["detail"], "detail %r" % p["detail"])
    # its time over: the account logs in again
    sql("UPDATE users SET suspended_until = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND WHERE id = %d" % u.id)
    encore.login(u)


def test_the_last_admin_and_oneself():
    me = encore.admin()
    for method, route, body in (("PUT", SUSPENSION, {"reason": "oops"}),
                                ("PUT", ROLE, {"role": "user"}),
                                ("DELETE", USER, None)):
        r = call(method, path(route, username=me.username), token=me.access, json_body=body)
        expect(r, 409, method, route)
    # a second admin may not take the first's role while the first is the
    # only other; but with two admins, one may demote the other
    a2 = encore.new_user()
    set_role(a2, "admin")
    encore.login(a2)
    n = int(sql("SELECT COUNT(*) FROM users WHERE role = 'admin'")[0][0])
    check(n >= 2, "two admins")
    r = call("PUT", path(ROLE, username=a2.username), token=adm(), json_body={"role": "user"})
    expect(r, 200, "PUT", ROLE)
    r = call("GET", USERS, token=a2.access)
    expect(r, 403, "GET", USERS)


def test_password_reset_and_delete():
    u = encore.new_user()
    seen = len(encore.mails(u.email, "password was reset"))
    r = call("POST", path(RESET, username=u.username), token=adm(),
             json_body={"reason": "leaked"})
    expect(r, 204, "POST", RESET)
    check(call("GET", "/api/v1/me", token=u.access).status_code == 401, "session kept")
    r = encore.login_raw(u.username, u.password)
    check(r.status_code == 401, "old password still works: %d" % r.status_code)
    tok = encore.mail_token(encore.wait_mail(u.email, "password was reset", after=seen))
    u.password = encore.strong_password()
    r = call("POST", "/api/v1/auth/reset", json_body={"token": tok, "new_password": u.password})
    expect(r, 204, "POST", "/api/v1/auth/reset")
    encore.login(u)
    r = call("DELETE", path(USER, username=u.username), token=adm(), json_body={"reason": "asked"})
    expect(r, 204, "DELETE", USER)
    r = call("GET", "/api/v1/users/" + u.username)
    expect(r, 404, "GET", "/api/v1/users/{username}")
    e = audit(action="user.delete", object_id=u.id)
    check(len(e) == 1 and e[0]["reason"] == "asked" and e[0]["detail"]["username"] == u.username,
          "audit %r" % e)
    check(e[0]["actor"] == encore.admin().username and e[0]["ip"], "who and where %r" % e[0])


def test_audit_filters_and_append_only():
    for q in ("from=yesterday", "object_type=planet", "object_id=0", "limit=101",
              "action=" + "x" * 33):
        r = call("GET", AUDIT + "?" + q, token=adm())
        expect(r, 422, "GET", AUDIT)
    r = call("GET", AUDIT + "?cursor=" + encore.b64url(b"users:5"), token=adm())
    expect(r, 400, "GET", AUDIT)
    items = audit(actor=encore.admin().username, limit=3)
    check(items and all(e["actor"] == encore.admin().username for e in items), "actor filter")
    check(audit(actor="nobody_at_all") == [], "unknown actor")
    # the table refuses changes
    for stmt in ("UPDATE audit_log SET reason = 'x'", "DELETE FROM audit_log"):
        try:
            sql(stmt)
            raise AssertionError("%s succeeded" % stmt)
        except subprocess.CalledProcessError as e:
            check(b"append-only" in (e.stderr or b""), "refusal %r" % e.stderr)


# --------------------------------------------------------------------------
# Moderation


def test_reports_threshold_queue_and_actions():
    author, other = encore.new_user(), encore.new_user()
    reporters = [encore.new_user() for _ in range(3)]
    mod = moderator()
    c = comment(author, "tracks", track(), "buy cheap things at example.com")
    listing = "/api/v1/tracks/%d/comments" % c["object_id"] if "object_id" in c else None
    for i, rep in enumerate(reporters):
        r = call("POST", path(REPORT_COMMENT, id=c["id"]), token=rep.access,
                 json_body={"reason": "spam"})
        expect(r, 202, "POST", REPORT_COMMENT)
        held = sql("SELECT moderation FROM comments WHERE id = %d" % c["id"])[0][0]
        check(held == ("held" if i == 2 else "visible"), "after %d reports: %s" % (i + 1, held))
    r = call("GET", "/api/v1/comments/%d" % c["id"], token=other.access)
    check(r.status_code == 404, "a held comment is served: %d" % r.status_code)
    # the queue, oldest first, grouped
    r = call("GET", QUEUE + "?limit=100", token=mod.access)
    items = expect(r, 200, "GET", QUEUE)["items"]
    mine = [i for i in items if i["object_type"] == "comment" and i["object_id"] == c["id"]]
    check(len(mine) == 1 and mine[0]["reporters"] == 3 and mine[0]["reasons"] == ["spam"]
          and mine[0]["moderation"] == "held", "queue %r" % mine)
    firsts = [i["first_reported_at"] for i in items]
    check(firsts == sorted(firsts), "queue order")
    # dismissed: visible again, reporters told
    r = call("POST", path(ACT, type="comment", id=c["id"]), token=mod.access,
             json_body={"action": "dismiss", "reason": "not spam"})
    out = expect(r, 200, "POST", ACT)
    check(out["outcome"] == "dismissed" and out["reports_resolved"] == 3, "%r" % out)
    check(call("GET", "/api/v1/comments/%d" % c["id"], token=other.access).status_code == 200,
          "dismissed comment hidden")
    kinds = [n["kind"] for n in notifications(reporters[0])["items"]]
    check("report_dismissed" in kinds, "reporter not told: %r" % kinds)
    # reported again, hidden; warned; suspended
    r = call("POST", path(REPORT_COMMENT, id=c["id"]), token=reporters[0].access,
             json_body={"reason": "harassment"})
    expect(r, 202, "POST", REPORT_COMMENT)
    r = call("POST", path(ACT, type="comment", id=c["id"]), token=mod.access,
             json_body={"action": "hide", "reason": "rude"})
    expect(r, 200, "POST", ACT)
    check(call("GET", "/api/v1/comments/%d" % c["id"], token=other.access).status_code == 404,
          "hidden comment served")
    r = call("POST", path(ACT, type="comment", id=c["id"]), token=mod.access,
             json_body={"action": "warn", "reason": "mind your words"})
    expect(r, 200, "POST", ACT)
    check("moderation_warning" in [n["kind"] for n in notifications(author)["items"]],
          "author not warned")
    # playlists and users can be reported; not one's own
    pid = playlist(author)
    r = call("POST", path(REPORT_PLAYLIST, id=pid), token=author.access, json_body={"reason": "spam"})
    expect(r, 409, "POST", REPORT_PLAYLIST)
    r = call("POST", path(REPORT_PLAYLIST, id=pid), token=other.access, json_body={"reason": "spam"})
    expect(r, 202, "POST", REPORT_PLAYLIST)
    r = call("POST", path(REPORT_PLAYLIST, id=999999999), token=other.access, json_body={"reason": "spam"})
    expect(r, 404, "POST", REPORT_PLAYLIST)
    r = call("POST", path(REPORT_USER, username=author.username), token=other.access,
             json_body={"reason": "harassment", "note": "n" * 501})
    expect(r, 422, "POST", REPORT_USER)
    r = call("POST", path(REPORT_USER, username=author.username), token=other.access,
             json_body={"reason": "harassment"})
    expect(r, 202, "POST", REPORT_USER)
    r = call("POST", path(ACT, type="user", id=author.id), token=mod.access,
             json_body={"action": "hide", "reason": "x"})
    expect(r, 409, "POST", ACT)
    r = call("POST", path(ACT, type="user", id=author.id), token=mod.access,
             json_body={"action": "suspend", "reason": "repeated spam" + "!" * 490})
    expect(r, 422, "POST", ACT)
    r = call("POST", path(ACT, type="user", id=author.id), token=mod.access,
             json_body={"action": "suspend", "reason": "repeated spam"})
    expect(r, 200, "POST", ACT)
    expect(encore.login_raw(author.username, author.password), 403, "POST", "/api/v1/auth/login")
    r = call("POST", path(ACT, type="playlist", id=pid), token=mod.access,
             json_body={"action": "delete", "reason": "spam list"})
    expect(r, 200, "POST", ACT)
    check(sql("SELECT COUNT(*) FROM playlists WHERE id = %d" % pid)[0][0] == "0", "not deleted")
    r = call("POST", path(ACT, type="comment", id=999999999), token=mod.access,
             json_body={"action": "hide", "reason": "x"})
    expect(r, 404, "POST", ACT)
    acts = [e["action"] for e in audit(actor=mod.username)]
    check({"report.dismiss", "report.hide", "report.warn", "report.suspend", "report.delete"}
          <= set(acts), "audit %r" % acts)
    r = call("GET", QUEUE + "?cursor=" + encore.b64url(b"1:planet:3"), token=mod.access)
    expect(r, 400, "GET", QUEUE)


def test_moderators_cannot_suspend_staff():
    mod, other_mod = moderator(), moderator()
    boss = encore.new_user()
    set_role(boss, "admin")
    for target in (other_mod, boss):
        r = call("POST", path(REPORT_USER, username=target.username), token=encore.new_user().access,
                 json_body={"reason": "harassment"})
        expect(r, 202, "POST", REPORT_USER)
        r = call("POST", path(ACT, type="user", id=target.id), token=mod.access,
                 json_body={"action": "suspend", "reason": "a coup"})
        p = expect(r, 403, "POST", ACT)
        check(p["status"] == 403, "%r" % p)
        r = call("GET", path(USER, username=target.username), token=adm())
        d = expect(r, 200, "GET", USER)
        check(d["status"] == "active", "staff suspended by a moderator: %r" % d)
        expect(encore.login_raw(target.username, target.password), 200, "POST", "/api/v1/auth/login")
    # an administrator still can, through moderation as through the admin route
    r = call("POST", path(ACT, type="user", id=other_mod.id), token=adm(),
             json_body={"action": "suspend", "reason": "rogue moderator"})
    expect(r, 200, "POST", ACT)
    r = call("GET", path(USER, username=other_mod.username), token=adm())
    check(expect(r, 200, "GET", USER)["status"] == "suspended", "admin could not suspend")
    # moderators reach no other route that acts on an account
    for method, route, body in ADMIN_ROUTES:
        r = call(method, path(route, username=boss.username, type="user", id=boss.id),
                 token=mod.access, json_body=body)
        expect(r, 403, method, route)


def test_moderation_notices_cross_blocks():
    """A warning, and a reporter's outcome, reach users who blocked the
    moderator, and name no moderator."""
    from social import block
    author, reporter, mod = encore.new_user(), encore.new_user(), moderator()
    block(author, mod)
    block(reporter, mod)
    c = comment(author, "tracks", track(), "something to report")
    r = call("POST", path(REPORT_COMMENT, id=c["id"]), token=reporter.access,
             json_body={"reason": "spam"})
    expect(r, 202, "POST", REPORT_COMMENT)
    r = call("POST", path(ACT, type="comment", id=c["id"]), token=mod.access,
             json_body={"action": "warn", "reason": "mind your words"})
    expect(r, 200, "POST", ACT)
    for who, kind in ((author, "moderation_warning"), (reporter, "report_actioned")):
        got = [n for n in notifications(who)["items"] if n["kind"] == kind]
        check(len(got) == 1, "%s not told across a block: %r" % (kind, notifications(who)))
        actor = got[0].get("actor") or {}
        check(actor.get("username") != mod.username, "the moderator is named: %r" % got[0])


# --------------------------------------------------------------------------
# Analytics


def rollup():
    cmd = [os.path.join(os.environ.get("ENCORE_BUILDDIR", os.path.join(encore.ROOT, "build")),
                        "src", "admin", "encore-admin"),
           "-c", os.path.join(encore.stack_dir(), "encore.conf"), "analytics", "rollup", "--days", "3"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    check(out.returncode == 0, "rollup: %s %s" % (out.stdout, out.stderr))


def test_analytics():
    u = encore.new_user()
    tid = track()
    # The context as a client sends it (POST /me/listens), so the share
    # counts what the API stores. 40 plays, so that the track leads the top
    # ten whatever other tests of the stack played today.
    at = [time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - 60 - 30 * i))
          for i in range(40)]
    r = call("POST", "/api/v1/me/listens", token=u.access,
             json_body={"listens": [{"track_id": tid, "listened_at": t,
                                     "context": "recommendation"} for t in at]})
    check(r.status_code < 300, "listen %d" % r.status_code)
    rollup()
    today = time.strftime("%Y-%m-%d", time.gmtime())
    r = call("GET", ANALYTICS + "?from=%s&to=%s" % (today, today), token=adm())
    a = expect(r, 200, "GET", ANALYTICS)
    check(len(a["days"]) == 1 and a["days"][0]["dau"] >= 1 and a["days"][0]["signups"] >= 1, "%r" % a)
    check(a["totals"]["recommended_listens"] >= 1 and 0 < a["totals"]["recommended_share"] <= 1,
          "rec share %r" % a["totals"])
    check(any(t["id"] == tid for t in a["top_tracks"]), "top tracks %r" % a["top_tracks"])
    r = call("GET", ANALYTICS, token=adm())
    expect(r, 200, "GET", ANALYTICS)
    for q in ("from=1926-01-01&to=2026-01-01", "from=2026-02-01&to=2026-01-01",
              "from=2026-02-30", "to=tomorrow"):
        r = call("GET", ANALYTICS + "?" + q, token=adm())
        expect(r, 422, "GET", ANALYTICS)
    last = float(sql("SELECT UNIX_TIMESTAMP(MAX(ended_at)) FROM batch_runs WHERE job = 'analytics' "
                   "AND outcome = 'success'")[0][0])
    check(abs(last - time.time()) < 120, "batch run not recorded")


# --------------------------------------------------------------------------
# Roles over every route


ADMIN_ROUTES = [
    ("GET", USERS, None), ("GET", USER, None), ("DELETE", USER, {"reason": "x"}),
    ("PUT", SUSPENSION, {"reason": "x"}), ("DELETE", SUSPENSION, None),
    ("POST", RESET, {"reason": "x"}), ("PUT", ROLE, {"role": "admin"}),
    ("GET", AUDIT, None), ("GET", ANALYTICS, None),
]
MOD_ROUTES = [("GET", QUEUE, None), ("POST", ACT, {"action": "dismiss", "reason": "x"})]


def test_roles_over_every_route():
    victim = encore.new_user()
    plain, mod = encore.new_user(), moderator()
    # every admin and moderation route of the spec is listed here
    spec = {(m.upper(), p) for p, item in encore.spec()["paths"].items()
            for m in item if m in ("get", "put", "post", "delete", "patch")
            and (p.startswith("/api/v1/admin/") or p.startswith("/api/v1/moderation/"))}
    listed = {(m, p) for m, p, _ in ADMIN_ROUTES + MOD_ROUTES}
    check(spec == listed, "routes not covered: %r" % (spec ^ listed))
    params = dict(username=victim.username, type="user", id=victim.id)
    for who, tok in (("anonymous", None), ("user", plain.access), ("moderator", mod.access)):
        for method, route, body in ADMIN_ROUTES + (MOD_ROUTES if who != "moderator" else []):
            r = call(method, path(route, **params), token=tok, json_body=body)
            want = 401 if tok is None else 403
            p = expect(r, want, method, route)
            check(p["status"] == want, "%s %s as %s" % (method, route, who))
    r = call("GET", QUEUE, token=mod.access)
    expect(r, 200, "GET", QUEUE)
    # nothing happened to the victim
    r = call("GET", path(USER, username=victim.username), token=adm())
    d = expect(r, 200, "GET", USER)
    check(d["status"] == "active" and d["role"] == "user", "victim changed: %r" % d)
    # a demoted moderator loses the queue at once
    set_role(mod, "user")
    r = call("GET", QUEUE, token=mod.access)
    expect(r, 403, "GET", QUEUE)


if __name__ == "__main__":
    encore.main(globals())
