#!/usr/bin/python3
"""Upload benchmark: the time of PUT /api/v1/albums/{id}/art through nginx
for typical covers and for the most work one upload may ask for (4096 x 4096
under the 1 MiB body cap), and the size of what is stored.

Usage: tests/bench/img_upload.py [BUILD_DIR]     (default: ./build)
       env BENCH_ROUNDS (uploads per sample, 15), BENCH_SAMPLES (a directory
           of samples to use instead of making them with
           `BUILD_DIR/tests/bench/img_codec samples`), BENCH_STACK_DIR (a
           running stack, left running)
Starts a private stack on free ports under BUILD_DIR/bench-img with nginx
limits lifted (as tests/bench/run.sh does), uploads each sample once to warm
up and then BENCH_ROUNDS times over one keep-alive HTTP connection (the same
bytes each time: the stored file is already there after the first, as for
any repeated upload), prints a Markdown table, and stops the stack."""

import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "integration"))
from encore import parse_env_file  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "15"))
SAMPLES = os.environ.get("BENCH_SAMPLES")
STACK_DIR = os.environ.get("BENCH_STACK_DIR")
TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}


def request(conn, method, path, body=None, token=None, ctype="application/json"):
    h = {"Content-Type": ctype}
    if token:
        h["Authorization"] = "Bearer " + token
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    return r.status, r.read()


def made(conn, path, body, token):
    status, data = request(conn, "POST", path, json.dumps(body).encode(), token)
    if status != 201:
        raise SystemExit("%s: %d %s" % (path, status, data[:200]))
    return json.loads(data)["id"]


def run(env, samples):
    url = urllib.parse.urlparse(env["ENCORE_HTTP_URL"])
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    status, data = request(conn, "POST", "/api/v1/auth/login", json.dumps(
        {"username": env["ENCORE_ADMIN_USER"],
         "password": env["ENCORE_ADMIN_PASSWORD"]}).encode())
    if status != 200:
        raise SystemExit("login: %d %s" % (status, data[:200]))
    token = json.loads(data)["access_token"]
    artist = made(conn, "/api/v1/artists", {"name": "Bench Art %d" % os.getpid()}, token)
    album = made(conn, "/api/v1/albums", {"title": "Bench Art", "artist_id": artist}, token)
    path = "/api/v1/albums/%d/art" % album
    rows = []
    for name in sorted(os.listdir(samples)):
        ctype = TYPES.get(os.path.splitext(name)[1])
        if not ctype:
            continue
        body = open(os.path.join(samples, name), "rb").read()
        times = []
        for i in range(ROUNDS + 1):
            t0 = time.perf_counter()
            status, data = request(conn, "PUT", path, body, token, ctype)
            dt = time.perf_counter() - t0
            if status != 200:
                raise SystemExit("%s: %d %s" % (name, status, data[:200]))
            if i:
                times.append(dt * 1000)
        art = json.loads(data)["art_url"]
        conn.request("GET", art)
        r = conn.getresponse()
        stored = len(r.read())
        times.sort()
        rows.append((name, len(body), stored, statistics.median(times),
                     times[max(0, int(len(times) * 0.95) - 1)]))
    print("| sample | bytes sent | bytes stored | median ms | p95 ms |")
    print("|---|---:|---:|---:|---:|")
    for name, sent, stored, med, p95 in rows:
        print("| %s | %d | %d | %.1f | %.1f |" % (name, sent, stored, med, p95))


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    stack = os.path.join(build, "src", "stack", "encore-stack")
    d = os.path.abspath(STACK_DIR) if STACK_DIR else os.path.join(build, "bench-img")
    tmp = None
    samples = SAMPLES
    if not samples:
        tmp = samples = tempfile.mkdtemp(prefix="encore-img-")
        subprocess.run([os.path.join(build, "tests", "bench", "img_codec"), "samples",
                        samples], check=True)
    if not STACK_DIR:
        shutil.rmtree(d, ignore_errors=True)
        e = dict(os.environ, ENCORE_HTTPS_PORT="0", ENCORE_HTTP_PORT="0",
                 ENCORE_STACK_TEST="1",
                 ENCORE_RATE_IP="1000000r/s", ENCORE_RATE_TOKEN="1000000r/s",
                 ENCORE_BURST_IP="100000", ENCORE_BURST_TOKEN="100000")
        subprocess.run([stack, "start", d], env=e, check=True, stdout=subprocess.DEVNULL)
    try:
        run(parse_env_file(os.path.join(d, "stack.env")), samples)
    finally:
        if not STACK_DIR:
            subprocess.run([stack, "stop", "--purge-data", d], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
