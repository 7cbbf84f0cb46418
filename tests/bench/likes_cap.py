#!/usr/bin/python3
"""What the likes cap costs: the median time of PUT /api/v1/me/likes/tracks/{id}
for a user with few likes and for one just under the cap (100,000), whose
like counts the user's whole range of the likes index (src/model/cap.h).

Usage: ENCORE_STACK_DIR=DIR tests/bench/likes_cap.py
       env BENCH_LIKES (100: likes timed per user and round),
           BENCH_ROUNDS (2)
Runs against a running stack (`encore-stack start DIR`): seeds tracks and
the heavy user's filler likes by SQL over the stack's socket, then likes
fresh tracks one after the other over HTTPS (keep-alive), alternating the
users a round at a time."""

import os
import statistics
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "integration"))
import bulkdb  # noqa: E402
import encore  # noqa: E402

CAP = 100000
LIKES = int(os.environ.get("BENCH_LIKES", "100"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))


def sql(text):
    return bulkdb.sql(text, encore.conf().get("db_name", "encore"))


def timed(user, ids):
    out = []
    for x in ids:
        start = time.perf_counter()
        r = encore.call("PUT", "/api/v1/me/likes/tracks/%d" % x, token=user.access)
        out.append(time.perf_counter() - start)
        if r.status_code != 204:
            raise SystemExit("PUT like answered %d: %s" % (r.status_code, r.text))
    return statistics.median(out) * 1000


def main():
    encore.require_stack()
    tag = "bench%d" % os.getpid()
    n = 2 * LIKES * ROUNDS
    sql("INSERT INTO tracks (title, duration_ms) SELECT CONCAT('%s ', seq), 1000 "
        "FROM seq_1_to_%d" % (tag, n))
    t = [int(r[0]) for r in sql(
        "SELECT id FROM tracks WHERE title LIKE '%s %%' ORDER BY id" % tag)]
    few, many = encore.new_user(), encore.new_user()
    sql("INSERT INTO likes (user_id, object_type, object_id) "
        "SELECT %d, 'album', 1000000000000 + seq FROM seq_1_to_%d"
        % (many.id, CAP - LIKES * ROUNDS))
    for r in range(ROUNDS):
        a = timed(few, t[2 * r * LIKES:(2 * r + 1) * LIKES])
        b = timed(many, t[(2 * r + 1) * LIKES:(2 * r + 2) * LIKES])
        print("round %d: median PUT like: %.1f ms with %d-%d likes, %.1f ms with %d-%d "
              "likes (%.2fx)" % (r + 1, a, r * LIKES, (r + 1) * LIKES, b,
                                 CAP - LIKES * (ROUNDS - r), CAP - LIKES * (ROUNDS - r - 1),
                                 b / a), flush=True)


if __name__ == "__main__":
    main()
