#!/usr/bin/python3
"""No secret in any log: run after every other test of the shared stack
(and before it stops), it reads the secrets the tests sent and received
(STACK_DIR/secrets-issued, written by encore.py: passwords, access and
refresh tokens, reset and confirmation tokens, share-link tokens) and looks
for each in every file the stack logs to: encore-api's JSON log, nginx's
access and error logs, MariaDB's and memcached's logs."""

import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402

encore.require_stack()

RUN = re.compile(r"[A-Za-z0-9_-]{8,}")


def anchor(secret):
    """The longest run of token characters in the secret: what a log that
    holds the secret must hold too, in one piece."""
    runs = RUN.findall(secret)
    return max(runs, key=len) if runs else None


def log_files(top):
    for sub in ("log", os.path.join("nginx", "logs")):
        d = os.path.join(top, sub)
        for root, _, files in os.walk(d):
            for f in files:
                yield os.path.join(root, f)


def test_no_secret_reaches_a_log():
    top = encore.stack_dir()
    try:
        with open(os.path.join(top, "secrets-issued")) as f:
            issued = {line.rstrip("\n") for line in f if line.strip()}
    except FileNotFoundError:
        raise encore.Skip("no secrets were noted (no test ran before this one)")
    anchors = {}
    for s in issued:
        a = anchor(s)
        # a value of one or two repeated characters ("xxxx...", sent as a
        # bad password or token) is no secret, and other tests send the same
        # filler in paths that are logged
        if a and len(a) >= 10 and len(set(a)) > 2:
            anchors.setdefault(a, set()).add(s)
    encore.check(len(anchors) > 20, "too few secrets noted to mean anything: %d" % len(anchors))
    found, files, size = [], 0, 0
    for path in log_files(top):
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        files += 1
        size += len(text)
        for m in RUN.finditer(text):
            for s in anchors.get(m.group(0), ()):
                if s in text:
                    found.append((os.path.relpath(path, top), s[:12] + "..."))
    encore.check(files > 0 and size > 0, "no log files under %s" % top)
    encore.check(not found, "secrets in logs: %r" % found[:10])
    print("  %d secrets looked for in %d files (%d bytes)" % (len(anchors), files, size))


if __name__ == "__main__":
    encore.main(globals())
