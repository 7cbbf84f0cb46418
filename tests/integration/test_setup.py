#!/usr/bin/python3
"""Setup, backup and restore on a host: `encore-admin setup`, `backup` and
`restore` against a MariaDB server of this test's own (CTEST_OWN_STACK: no
shared stack; mariadb-install-db and mariadbd in a fresh directory, on a
unix socket only, stopped at the end), read through the host configuration
that `make install` puts in /etc/encore (src/host/encore.conf, its paths
moved into the test's directory by ENCORE_* variables).

  - setup makes the secrets (mode 0600), the database, its user and the
    schema (every migration), and the media directory; run again it changes
    nothing and keeps the secrets;
  - setup with a bad --grant-host or an unknown administrator says so;
  - encore-api and encore-live tell systemd (a $NOTIFY_SOCKET of the test's)
    READY=1 once they serve, RELOADING=1 and READY=1 on SIGHUP, STOPPING=1
    on SIGTERM;
  - backup writes a dump and a MANIFEST with the schema version; restore
    refuses a directory that is no backup (no MANIFEST, a wrong format, a
    schema newer than the migrations, a damaged dump), refuses a database
    that holds data without --force, and restores it with --force.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402

BUILD = os.environ.get("ENCORE_BUILDDIR") or os.getcwd()
SRC = os.environ.get("ENCORE_SRCDIR") or encore.ROOT
ADMIN = os.path.join(BUILD, "src", "admin", "encore-admin")
API = os.path.join(BUILD, "src", "api", "encore-api")
LIVE = os.path.join(BUILD, "src", "live", "encore-live")
HOST_CONF = os.path.join(BUILD, "src", "host", "encore.conf")
MIGRATIONS = os.path.join(SRC, "sql", "migrations")


class Ctx:
    dir = None
    db = None  # the mariadbd process


ctx = Ctx()


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def path(*p):
    return os.path.join(ctx.dir, *p)


def env(**extra):
    e = {k: v for k, v in os.environ.items() if not k.startswith("ENCORE_")}
    e.update(ENCORE_DB_SOCKET=path("mysql.sock"), ENCORE_SECRETS_FILE=path("secrets.conf"),
             ENCORE_MEDIA_DIR=path("media"), ENCORE_MIGRATIONS_DIR=MIGRATIONS,
             ENCORE_LOG_FILE=path("encore-api.log"), ENCORE_SOCKET=path("api.sock"),
             ENCORE_PID_FILE=path("api.pid"), ENCORE_KV_SERVERS="127.0.0.1:1",
             ENCORE_WORKERS="2")
    e.update(extra)
    return e


def admin(*args, stdin=None, **extra):
    p = subprocess.run([ADMIN, "-c", HOST_CONF] + list(args), env=env(**extra),
                       capture_output=True, timeout=300, input=stdin)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def root_sql(query):
    p = subprocess.run(["mariadb", "--no-defaults", "--socket=" + path("mysql.sock"), "-uroot",
                        "-N", "-B", "-e", query], capture_output=True, timeout=60)
    check(p.returncode == 0, "SQL as root failed: %s" % p.stderr.decode())
    return p.stdout.decode().split("\n")[0]


def secrets():
    out = {}
    with open(path("secrets.conf")) as f:
        for line in f:
            if "=" in line and not line.startswith("#"):
                k, v = line.split("=", 1)
                out[k.strip()] = v.strip()
    return out


def encore_sql(query):
    s = secrets()
    cnf = path("client.cnf")
    with open(cnf, "w") as f:
        f.write("[client]\nuser=encore\npassword=%s\nsocket=%s\ndatabase=encore\n" % (
            s["db_password"], path("mysql.sock")))
    os.chmod(cnf, 0o600)
    p = subprocess.run(["mariadb", "--defaults-file=" + cnf, "-N", "-B", "-e", query],
                       capture_output=True, timeout=60)
    check(p.returncode == 0, "SQL as encore failed: %s" % p.stderr.decode())
    return p.stdout.decode().split("\n")[0]


def start_mariadb():
    for tool in ("mariadbd", "mariadb-install-db", "mariadb"):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
            raise encore.Skip("%s is not installed" % tool)
    user = ["--user=root"] if os.getuid() == 0 else []
    # a tmpdir of its own: a starting mariadbd deletes every "#sql*" file
    # in its tmpdir, the temporary tables of other servers sharing it too
    os.makedirs(path("mysql-tmp"), mode=0o700, exist_ok=True)
    with open(path("install.log"), "w") as log:
        rc = subprocess.run(["mariadb-install-db", "--no-defaults", "--datadir=" + path("mysql"),
                             "--tmpdir=" + path("mysql-tmp"),
                             "--auth-root-authentication-method=normal", "--skip-test-db",
                             "--skip-name-resolve"] + user, stdout=log, stderr=log,
                            timeout=300).returncode
    check(rc == 0, "mariadb-install-db failed (see %s)" % path("install.log"))
    mysqld = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
    ctx.db = subprocess.Popen([mysqld, "--no-defaults"] + user + [
        "--datadir=" + path("mysql"), "--tmpdir=" + path("mysql-tmp"),
        "--socket=" + path("mysql.sock"), "--skip-networking",
        "--pid-file=" + path("mariadb.pid"), "--log-error=" + path("mariadb.err"),
        "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=16M",
        "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    for _ in range(600):
        if subprocess.run(["mariadb-admin", "--no-defaults", "--socket=" + path("mysql.sock"),
                           "-uroot", "ping"], capture_output=True).returncode == 0:
            return
        check(ctx.db.poll() is None, "mariadbd exited (see %s)" % path("mariadb.err"))
        time.sleep(0.1)
    raise AssertionError("mariadbd did not answer within 60 s")


def stop_mariadb():
    if ctx.db and ctx.db.poll() is None:
        ctx.db.terminate()
        try:
            ctx.db.wait(60)
        except subprocess.TimeoutExpired:
            ctx.db.kill()
            ctx.db.wait()


# --------------------------------------------------------------------------
# setup
# --------------------------------------------------------------------------

def test_setup_makes_everything():
    rc, out, err = admin("setup")
    check(rc == 0, "setup failed (%d): %s%s" % (rc, out, err))
    st = os.stat(path("secrets.conf"))
    check(st.st_mode & 0o777 == 0o600, "secrets.conf has mode %o" % (st.st_mode & 0o777))
    s = secrets()
    for key in ("db_password", "jwt_secret"):
        check(len(s.get(key, "")) >= 43, "secrets.conf lacks a generated %s: %r" % (key, list(s)))
    for key, value in s.items():
        check(value not in out + err, "setup printed the %s" % key)
    n = len([f for f in os.listdir(MIGRATIONS) if f.endswith(".sql")])
    got = encore_sql("SELECT COUNT(*) FROM schema_migrations")
    check(int(got) == n, "schema_migrations holds %s rows, %d migrations exist" % (got, n))
    check(os.path.isdir(path("media")), "no media directory")
    check("setup: done" in out, "no summary: %s" % out)


def test_setup_twice_changes_nothing():
    before = open(path("secrets.conf")).read()
    rc, out, err = admin("setup")
    check(rc == 0, "second setup failed (%d): %s%s" % (rc, out, err))
    check(open(path("secrets.conf")).read() == before, "a second setup changed secrets.conf")
    check("secrets kept" in out and "up to date" in out, "second setup said: %s" % out)
    check(encore_sql("SELECT 1") == "1", "the encore user no longer logs in")


def test_setup_bad_input():
    rc, out, err = admin("setup", "--grant-host", "x'; DROP DATABASE encore; --")
    check(rc == 2 and "--grant-host" in err, "a bad --grant-host: %d %s" % (rc, err))
    rc, out, err = admin("setup", "--admin-user", "nobody_here")
    check(rc == 1 and "cannot connect to MariaDB as nobody_here" in err,
          "an unknown administrator: %d %s" % (rc, err))
    rc, out, err = admin("setup", "extra")
    check(rc == 2, "an extra argument: %d" % rc)


# --------------------------------------------------------------------------
# readiness (sd_notify)
# --------------------------------------------------------------------------

def notices(sock, want, timeout=30):
    """Datagrams until one equals want (a line of it); all of them."""
    got = []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        sock.settimeout(max(0.1, end - time.monotonic()))
        try:
            msg = sock.recv(4096).decode()
        except socket.timeout:
            break
        got.append(msg)
        if want in msg.split("\n"):
            return got
    raise AssertionError("no %s within %d s (got %r)" % (want, timeout, got))


def notify_socket():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    p = path("notify.sock")
    if os.path.exists(p):
        os.unlink(p)
    s.bind(p)
    return s, p


def lifecycle(cmd, extra_env, name):
    s, p = notify_socket()
    log = open(path(name + ".out"), "w")
    proc = subprocess.Popen(cmd, env=env(NOTIFY_SOCKET=p, **extra_env), stdout=log, stderr=log,
                            stdin=subprocess.DEVNULL)
    try:
        notices(s, "READY=1")
        proc.send_signal(signal.SIGHUP)
        notices(s, "RELOADING=1")
        notices(s, "READY=1")
        proc.send_signal(signal.SIGTERM)
        notices(s, "STOPPING=1")
        check(proc.wait(60) == 0, "%s exited %s" % (name, proc.returncode))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        s.close()
        log.close()


def test_api_notifies_systemd():
    lifecycle([API, "-c", HOST_CONF], {}, "encore-api")


def test_live_notifies_systemd():
    if not os.path.exists(LIVE):
        raise encore.Skip("%s is not built" % LIVE)
    with socket.socket() as t:
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
    lifecycle([LIVE, "-c", HOST_CONF, "-l", "127.0.0.1:%d" % port, "-o", path("live.log")],
              {}, "encore-live")


# --------------------------------------------------------------------------
# backup and restore, and what they refuse
# --------------------------------------------------------------------------

def test_backup_and_refusals():
    bdir = path("backup1")
    rc, out, err = admin("backup", bdir)
    check(rc == 0, "backup failed (%d): %s%s" % (rc, out, err))
    manifest = open(os.path.join(bdir, "MANIFEST")).read()
    latest = max(int(f[:4]) for f in os.listdir(MIGRATIONS) if f.endswith(".sql"))
    check("schema_version = %d\n" % latest in manifest, "MANIFEST: %s" % manifest)
    rc, out, err = admin("backup", bdir)
    check(rc == 1 and "already holds a backup" in err, "backup into a backup: %d %s" % (rc, err))

    # No MANIFEST: a directory that is no backup.
    os.makedirs(path("notabackup"))
    rc, out, err = admin("restore", path("notabackup"))
    check(rc == 1 and "not an Encore backup" in err and "no MANIFEST" in err,
          "restore of a plain directory: %d %s" % (rc, err))
    rc, out, err = admin("restore", path("nowhere"))
    check(rc == 1 and "not an Encore backup" in err, "restore of a missing dir: %d %s" % (rc, err))

    def variant(name, edit):
        d = path(name)
        shutil.copytree(bdir, d)
        edit(d)
        return admin("restore", d, "--force")

    def manifest_sub(old, new):
        def edit(d):
            m = os.path.join(d, "MANIFEST")
            text = open(m).read()
            check(old in text, "%r not in MANIFEST" % old)
            open(m, "w").write(text.replace(old, new))
        return edit

    rc, out, err = variant("wrongformat", manifest_sub("encore-backup 1", "something-else 7"))
    check(rc == 1 and "not an Encore backup" in err, "a wrong format: %d %s" % (rc, err))
    rc, out, err = variant("newer", manifest_sub("schema_version = %d" % latest,
                                                 "schema_version = %d" % (latest + 100)))
    check(rc == 1 and "newer than this Encore" in err, "a newer schema: %d %s" % (rc, err))

    def damage(d):
        with open(os.path.join(d, "database.sql"), "a") as f:
            f.write("-- one more line\n")
    rc, out, err = variant("damaged", damage)
    check(rc == 1 and "damaged" in err, "a damaged dump: %d %s" % (rc, err))

    # An empty schema: restored without --force.
    rc, out, err = admin("restore", bdir)
    check(rc == 0, "restore into an empty schema failed (%d): %s%s" % (rc, out, err))

    # Data: refused without --force, replaced with it.
    rc, out, err = admin("user", "create", "--username", "keepme", "--email", "keep@example.org",
                         stdin=None, ENCORE_NEW_PASSWORD="Correct-Horse-Battery-9")
    check(rc == 0, "user create failed: %s%s" % (out, err))
    check(encore_sql("SELECT COUNT(*) FROM users") == "1", "no user made")
    rc, out, err = admin("restore", bdir)
    check(rc == 1 and "already holds data" in err and "--force" in err,
          "restore over data without --force: %d %s" % (rc, err))
    check(encore_sql("SELECT COUNT(*) FROM users") == "1", "a refused restore changed the data")
    rc, out, err = admin("restore", bdir, "--force")
    check(rc == 0, "restore --force failed (%d): %s%s" % (rc, out, err))
    check(encore_sql("SELECT COUNT(*) FROM users") == "0",
          "the user made after the backup is still there")
    check(int(encore_sql("SELECT MAX(version) FROM schema_migrations")) == latest,
          "the restored schema is not at %d" % latest)


def test_no_secret_in_logs():
    s = secrets()
    for name in sorted(os.listdir(ctx.dir)):
        if not name.endswith((".log", ".out")):
            continue
        text = open(path(name), errors="replace").read()
        for key, value in s.items():
            check(value not in text, "%s holds the %s" % (name, key))


def main():
    for prog in (ADMIN, API, HOST_CONF):
        if not os.path.exists(prog):
            print("SKIP: %s not built" % prog)
            sys.exit(encore.SKIP)
    base = os.path.join(BUILD, "tests")
    os.makedirs(base, exist_ok=True)
    # Short: unix socket paths are limited to 108 bytes.
    ctx.dir = tempfile.mkdtemp(prefix="setup-", dir=base if len(base) < 60 else None)
    ok = False
    try:
        try:
            start_mariadb()
        except encore.Skip as e:
            print("SKIP: %s" % e)
            sys.exit(encore.SKIP)
        try:
            encore.main(globals())
        except SystemExit as e:
            ok = e.code == 0
            raise
    finally:
        stop_mariadb()
        if ok and not os.environ.get("ENCORE_KEEP_STACK"):
            shutil.rmtree(ctx.dir, ignore_errors=True)
        else:
            print("kept %s" % ctx.dir)


if __name__ == "__main__":
    main()
