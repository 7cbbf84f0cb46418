"""Scratch databases on the test stack's MariaDB for the bulk-loader tests
(import, generate): each test loads into a database of its own, migrated from
this tree, so the shared `encore` database of the other tests never sees
17,632 imported artists or a generated world. Root reaches the server over
the stack's socket without a password (a private stack)."""

import os
import subprocess
import uuid

import encore


def _socket():
    return encore.stack()["ENCORE_DB_SOCKET"]


def sql(query, db=None):
    """Run query as root; the rows as lists of strings (tab-separated)."""
    cmd = ["mariadb", "--no-defaults", "-uroot", "--socket=" + _socket(),
           "--batch", "--skip-column-names"]
    if db:
        cmd.append(db)
    out = subprocess.run(cmd, input=query, capture_output=True, text=True,
                         timeout=300)
    if out.returncode != 0:
        raise AssertionError("mariadb: %s" % out.stderr.strip())
    return [line.split("\t") for line in out.stdout.splitlines()]


def one(query, db):
    rows = sql(query, db)
    encore.check(len(rows) == 1 and len(rows[0]) == 1,
                 "%s: %r is not one value" % (query, rows[:3]))
    return rows[0][0]


def admin(db, *args, timeout=600):
    """encore-admin on the stack's configuration, against database db."""
    env = dict(os.environ)
    env["ENCORE_DB_NAME"] = db
    env["ENCORE_KV_SERVERS"] = ""
    binary = encore.stack()["ENCORE_ADMIN_BIN"]
    conf = encore.stack().get("ENCORE_CONF") or os.path.join(
        encore.stack_dir(), "encore.conf")
    return subprocess.run([binary, "-c", conf] + list(args), env=env,
                          capture_output=True, text=True, timeout=timeout)


class Scratch:
    """A migrated scratch database, dropped on exit."""

    def __init__(self, prefix):
        self.name = "%s_%s" % (prefix, uuid.uuid4().hex[:10])

    def __enter__(self):
        sql("CREATE DATABASE %s CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
            "GRANT ALL PRIVILEGES ON %s.* TO 'encore'@'localhost';"
            % (self.name, self.name))
        r = admin(self.name, "migrate")
        encore.check(r.returncode == 0, "migrate: %s" % r.stderr)
        return self.name

    def __exit__(self, *exc):
        sql("DROP DATABASE IF EXISTS %s" % self.name)
        return False
