"""hosts: Encore's scale-out on one machine, each host a Linux network
namespace (tests/cluster/test_cluster.py says what is checked).

    sw      the switch: a bridge, one veth pair to each host; nothing else
    lb      10.213.0.2   the balancer (nginx); the tests' clients run here
    db1..3  .11 .. .13   MariaDB Galera nodes (galera-4, rsync SST)
    kv1..2  .21 .. .22   memcached
    app1..2 .31 .. .32   nginx + encore-api + encore-live

No address, route or link is added to the machine's own namespace: the
hosts reach one another over the bridge and nothing else, and this
process talks to them from inside lb (setns). Unix sockets are files, so
the harness reaches each database node through its socket from anywhere.
Every process started here is remembered by its id and killed by it; the
namespaces are deleted at the end.
"""

import ctypes
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time

GALERA = "/usr/lib/galera/libgalera_smm.so"
CLONE_NEWNET = 0x40000000

# Galera's group membership, tuned down from seconds-to-tens-of-seconds so
# that a lost node is declared gone (and a partition's minority notices it
# is one) within the 5 seconds the scenarios allow: a keepalive every
# quarter second (it must be under a third of the suspect timeout), a peer
# suspected after 1 s of silence and evicted after 2.
GALERA_OPTS = ("gcache.size=64M;evs.keepalive_period=PT0.25S;"
               "evs.suspect_timeout=PT1S;evs.inactive_timeout=PT2S;"
               "evs.inactive_check_period=PT0.25S;evs.install_timeout=PT2S;"
               "evs.join_retrans_period=PT0.5S;pc.announce_timeout=PT1S")


def which(*names):
    for n in names:
        p = shutil.which(n, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
        if p:
            return p
    return None


def run(*cmd, check=True, input=None, timeout=120):
    p = subprocess.run(list(cmd), input=input, capture_output=True, timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd)[:200], p.returncode,
                                                (p.stderr or p.stdout).decode("utf-8", "replace")[-600:]))
    return p.stdout.decode("utf-8", "replace")


def can_make_namespaces():
    """Why this machine cannot run the cluster, or None."""
    if os.geteuid() != 0:
        return "needs root (ip netns)"
    for tool in ("ip", "mariadbd", "mariadb-install-db", "memcached", "nginx", "rsync", "openssl"):
        if not which(tool):
            return "%s is not installed" % tool
    if not os.path.exists(GALERA):
        return "galera-4 is not installed (%s)" % GALERA
    name = "encprobe%d" % os.getpid()
    p = subprocess.run(["ip", "netns", "add", name], capture_output=True)
    if p.returncode != 0:
        return "ip netns add failed: %s" % p.stderr.decode().strip()
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return None


class Cluster:
    HOSTS = {"lb": 2, "db1": 11, "db2": 12, "db3": 13, "kv1": 21, "kv2": 22,
             "app1": 31, "app2": 32}

    def __init__(self, builddir, srcdir, work, net="10.213.0"):
        self.builddir, self.srcdir, self.work, self.net = builddir, srcdir, work, net
        self.tag = "enc%d" % (os.getpid() % 100000)
        self.procs = {}       # name -> Popen (killed by id at the end)
        self.made = []        # namespaces made
        self.db_password = run("openssl", "rand", "-hex", "16").strip()
        self.bin = lambda *p: os.path.join(builddir, *p)

    # ---------------------------------------------------------------- network

    def ns(self, host):
        return "%s-%s" % (self.tag, host)

    def ip(self, host):
        return "%s.%d" % (self.net, self.HOSTS[host])

    def nsx(self, host, *cmd, **kw):
        """Run cmd in host's namespace; its output."""
        return run("ip", "netns", "exec", self.ns(host), *cmd, **kw)

    def make_network(self):
        sw = "%s-sw" % self.tag
        for name in [sw] + [self.ns(h) for h in self.HOSTS]:
            run("ip", "netns", "add", name)
            self.made.append(name)
            run("ip", "-n", name, "link", "set", "lo", "up")
        run("ip", "-n", sw, "link", "add", "br0", "type", "bridge")
        run("ip", "-n", sw, "link", "set", "br0", "up")
        for h in self.HOSTS:
            port = "v-" + h
            run("ip", "-n", sw, "link", "add", port, "type", "veth", "peer", "name", "eth0",
                "netns", self.ns(h))
            run("ip", "-n", sw, "link", "set", port, "master", "br0", "up")
            run("ip", "-n", self.ns(h), "addr", "add", self.ip(h) + "/24", "dev", "eth0")
            run("ip", "-n", self.ns(h), "link", "set", "eth0", "up")

    def enter(self, host):
        """Move this process's thread (and the threads it starts after)
        into host's network namespace."""
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open("/run/netns/" + self.ns(host), os.O_RDONLY)
        try:
            if libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns")
        finally:
            os.close(fd)

    def link(self, host, up):
        """Unplug (or plug back) host's cable at the switch."""
        run("ip", "-n", "%s-sw" % self.tag, "link", "set", "v-" + host, "up" if up else "down")

    def partition(self, host, others, on=True):
        """Cut (or heal) host from others, both ways, leaving it reachable
        by everything else: prohibit routes on each side."""
        verb = "add" if on else "del"
        for o in others:
            run("ip", "-n", self.ns(host), "route", verb, "prohibit", self.ip(o) + "/32", check=on)
            run("ip", "-n", self.ns(o), "route", verb, "prohibit", self.ip(host) + "/32", check=on)

    # ---------------------------------------------------------------- processes

    def spawn(self, name, host, cmd, log):
        """Start cmd in host's namespace, in a session of its own."""
        out = open(log, "ab")
        p = subprocess.Popen(["ip", "netns", "exec", self.ns(host)] + cmd, stdin=subprocess.DEVNULL,
                             stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        self.procs[name] = p
        return p

    def kill(self, name, sig=signal.SIGKILL):
        p = self.procs.get(name)
        if p and p.poll() is None:
            os.kill(p.pid, sig)
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
                p.wait()

    def alive(self, name):
        p = self.procs.get(name)
        return bool(p) and p.poll() is None

    def teardown(self):
        for name in list(self.procs):
            self.kill(name)
        # nginx daemonizes: its master's id is in its pid file.
        for h in ("app1", "app2"):
            self.kill_pidfile(os.path.join(self.work, h, "nginx.pid"))
        for name in self.made:
            # Whatever else runs in a namespace of this run (an SST helper,
            # nginx's workers) was started by this run.
            pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True).stdout.split()
            for pid in pids:
                if int(pid) == os.getpid():
                    continue  # this process, which entered lb
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
        time.sleep(0.3)
        for name in reversed(self.made):
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        self.made = []

    @staticmethod
    def kill_pidfile(path, sig=signal.SIGKILL):
        try:
            pid = int(open(path).read().strip())
            os.kill(pid, sig)
        except (OSError, ValueError):
            pass

    # ---------------------------------------------------------------- MariaDB Galera

    def db_dir(self, node):
        return os.path.join(self.work, node)

    def db_sock(self, node):
        return os.path.join(self.db_dir(node), "mysqld.sock")

    def sql(self, node, query, timeout=30):
        """Run SQL on node as root through its socket: rows of fields."""
        out = run("mariadb", "--no-defaults", "-uroot", "--socket=" + self.db_sock(node), "-N", "-B",
                  "--connect-timeout=3", "-e", query, timeout=timeout)
        return [line.split("\t") for line in out.splitlines()]

    def status(self, node, var):
        try:
            rows = self.sql(node, "SHOW GLOBAL STATUS LIKE '%s'" % var, timeout=10)
            return rows[0][1] if rows else None
        except (RuntimeError, subprocess.TimeoutExpired):
            return None

    def init_db(self):
        # The nodes run as mysql: rsync SST's daemon, run by root, would
        # write as nobody.
        first = self.db_dir("db1") + "/data"
        # Each node has a tmpdir of its own: a starting mariadbd deletes
        # every "#sql*" file in its tmpdir, other servers' temporary tables
        # too.
        for n in ("db1", "db2", "db3"):
            for d in (self.db_dir(n), self.db_dir(n) + "/tmp"):
                os.makedirs(d, exist_ok=True)
                shutil.chown(d, "mysql", "mysql")
        run("mariadb-install-db", "--no-defaults", "--datadir=" + first, "--user=mysql",
            "--tmpdir=" + self.db_dir("db1") + "/tmp",
            "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve",
            timeout=300)
        for n in ("db2", "db3"):
            shutil.copytree(first, self.db_dir(n) + "/data", symlinks=True)
            run("chown", "-R", "mysql:mysql", self.db_dir(n))

    def start_db(self, node, new_cluster=False):
        d = self.db_dir(node)
        gcomm = "gcomm://" + ",".join(self.ip(n) for n in ("db1", "db2", "db3"))
        cmd = [which("mariadbd"), "--no-defaults", "--user=mysql", "--datadir=" + d + "/data",
               "--tmpdir=" + d + "/tmp",
               "--socket=" + self.db_sock(node), "--pid-file=" + d + "/mysqld.pid",
               "--log-error=" + d + "/error.log", "--bind-address=" + self.ip(node),
               "--port=3306", "--skip-name-resolve",
               "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci",
               "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=16M",
               "--innodb-flush-log-at-trx-commit=2", "--max-connections=200",
               # What Galera needs, and refuses what it cannot replicate:
               # tables without a primary key, non-InnoDB tables.
               "--wsrep-on=ON", "--wsrep-provider=" + GALERA,
               "--wsrep-cluster-address=" + gcomm, "--wsrep-cluster-name=encore",
               "--wsrep-node-name=" + node, "--wsrep-node-address=" + self.ip(node),
               "--wsrep-sst-method=rsync", "--wsrep-provider-options=" + GALERA_OPTS,
               "--wsrep-mode=REQUIRED_PRIMARY_KEY,STRICT_REPLICATION",
               "--wsrep-sync-wait=1", "--binlog-format=ROW", "--default-storage-engine=InnoDB",
               "--innodb-autoinc-lock-mode=2",
               # Migrations create triggers; with the binary log on (Galera)
               # only SUPER may, unless the server trusts their creators.
               "--log-bin-trust-function-creators=1"]
        if new_cluster:
            cmd.append("--wsrep-new-cluster")
        return self.spawn("mariadb-" + node, node, cmd, d + "/mysqld.out")

    def wait_synced(self, node, timeout=120):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.status(node, "wsrep_local_state_comment") == "Synced":
                return True
            if not self.alive("mariadb-" + node):
                break
            time.sleep(0.3)
        tail = open(self.db_dir(node) + "/error.log", errors="replace").read()[-2000:]
        raise RuntimeError("%s is not Synced within %d s:\n%s" % (node, timeout, tail))

    def cluster_size(self, node):
        v = self.status(node, "wsrep_cluster_size")
        return int(v) if v and v.isdigit() else 0

    def start_galera(self):
        self.init_db()
        self.start_db("db1", new_cluster=True)
        self.wait_synced("db1")
        self.sql("db1", """
CREATE DATABASE encore CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER 'encore'@'%s.%%' IDENTIFIED BY '%s';
GRANT ALL PRIVILEGES ON encore.* TO 'encore'@'%s.%%';
CREATE USER 'encore'@'localhost' IDENTIFIED BY '%s';
GRANT ALL PRIVILEGES ON encore.* TO 'encore'@'localhost';""" % (self.net, self.db_password, self.net,
                                                               self.db_password))
        for n in ("db2", "db3"):
            self.start_db(n)
            self.wait_synced(n, timeout=180)

    # ---------------------------------------------------------------- memcached

    def start_kv(self, node):
        return self.spawn("memcached-" + node, node,
                          [which("memcached"), "-u", "root", "-l", self.ip(node), "-p", "11211",
                           "-m", "32", "-U", "0"], os.path.join(self.work, node + ".log"))

    # ---------------------------------------------------------------- app hosts

    def db_hosts(self, app):
        """app1's list starts with a node that refuses connections (the bad
        input of a first node that does not answer); both then list the
        three nodes in the same order, so both write through one node."""
        nodes = ",".join("%s:3306" % self.ip(n) for n in ("db1", "db2", "db3"))
        return ("%s:3399," % self.ip("db1") + nodes) if app == "app1" else nodes

    def write_tls(self):
        t = os.path.join(self.work, "tls")
        os.makedirs(t, exist_ok=True)
        ext = os.path.join(t, "server.ext")
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"
                    "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1,"
                    "IP:%s,IP:%s,IP:%s\n" % (self.ip("lb"), self.ip("app1"), self.ip("app2")))
        run("openssl", "req", "-x509", "-new", "-nodes", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-keyout", t + "/ca.key", "-out", t + "/ca.crt", "-days", "30",
            "-subj", "/O=Encore/CN=Encore cluster test CA", "-addext",
            "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        run("openssl", "req", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-keyout", t + "/server.key", "-out", t + "/server.csr", "-subj", "/O=Encore/CN=localhost")
        run("openssl", "x509", "-req", "-in", t + "/server.csr", "-CA", t + "/ca.crt", "-CAkey",
            t + "/ca.key", "-CAcreateserial", "-days", "30", "-sha256", "-extfile", ext, "-out",
            t + "/server.crt")
        return t

    def write_shared(self):
        """What every app host shares: the secrets (one jwt_secret for all,
        or a token of one host would not pass at the other), the media store
        and the mail spool (a shared file system on real hosts)."""
        for d in ("media", "mail"):
            os.makedirs(os.path.join(self.work, d), exist_ok=True)
        jwt, seal = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        path = os.path.join(self.work, "secrets.conf")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("db_password = %s\njwt_secret = %s\nseal_key = %s\n" % (
                self.db_password, jwt, seal))

    def app_conf(self, app):
        d = os.path.join(self.work, app)
        os.makedirs(os.path.join(d, "log"), exist_ok=True)
        conf = os.path.join(d, "encore.conf")
        kv = ",".join("%s:11211" % self.ip(n) for n in ("kv1", "kv2"))
        with open(conf, "w") as f:
            f.write("""# Encore on cluster host %(app)s (tests/cluster/hosts.py)
socket = %(d)s/api.sock
socket_mode = 0660
workers = 3
pid_file = %(d)s/encore-api.pid
log_file = %(d)s/log/encore-api.log
log_level = info
db_hosts = %(db)s
db_name = encore
db_user = encore
kv_servers = %(kv)s
secrets_file = %(w)s/secrets.conf
public_url = https://%(lb)s
mail_spool = %(w)s/mail/mbox
migrations_dir = %(src)s/sql/migrations
media_dir = %(w)s/media
media_url = /media
register_free = 200
""" % {"app": app, "d": d, "db": self.db_hosts(app), "kv": kv, "w": self.work,
                "lb": self.ip("lb"), "src": self.srcdir})
        return conf

    def admin(self, *args, host="app1", input=None, timeout=300):
        return self.nsx(host, self.bin("src", "admin", "encore-admin"), "-c",
                        os.path.join(self.work, host, "encore.conf"), *args, input=input,
                        timeout=timeout)

    def fill(self, template, out, values):
        text = open(template).read()
        for k, v in values.items():
            text = text.replace("@%s@" % k, v)
        with open(out, "w") as f:
            f.write(text)
        return text

    def write_app_nginx(self, app):
        d = os.path.join(self.work, app)
        ngx = os.path.join(d, "nginx")
        for sub in ("tmp", "logs"):
            os.makedirs(os.path.join(ngx, sub), exist_ok=True)
        www = os.path.join(d, "www")
        os.makedirs(www + "/docs", exist_ok=True)
        for src, dst in (("docs/openapi.yaml", "openapi.yaml"), ("docs/asyncapi.yaml", "asyncapi.yaml"),
                         ("docs/index.html", "docs/index.html"), ("docs/party", "party")):
            if not os.path.lexists(os.path.join(www, dst)):
                os.symlink(os.path.join(self.srcdir, src), os.path.join(www, dst))
        self.fill(os.path.join(self.srcdir, "nginx", "stack.conf.in"), ngx + "/nginx.conf", {
            "USER_LINE": "user root;", "DIR": d, "LOG_DIR": d + "/log", "NGINX_PREFIX": ngx,
            "NOFILE": "8192", "WORKER_CONNECTIONS": "4096"})
        site = self.fill(os.path.join(self.srcdir, "nginx", "encore.conf.in"), ngx + "/encore.conf", {
            "HTTPS_PORT": "443", "HTTP_PORT": "80", "TLS_CERT": self.work + "/tls/server.crt",
            "TLS_KEY": self.work + "/tls/server.key", "API_SOCKET": d + "/api.sock",
            "NOOP_SOCKET": d + "/noop.sock", "DOCROOT": www, "MEDIA_DIR": self.work + "/media",
            "LOG_DIR": d + "/log", "RATE_IP": "50r/s", "BURST_IP": "100", "RATE_TOKEN": "50r/s",
            "BURST_TOKEN": "100", "LIVE_SERVERS": "server 127.0.0.1:8091 max_fails=0;"})
        # The host's own site, on its address too; the client's address is
        # the one the balancer saw (rate limits and throttles count it).
        site = site.replace("listen 127.0.0.1:443 ", "listen 443 ").replace(
            "listen 127.0.0.1:80;", "listen 80;")
        site += "\nset_real_ip_from %s;\nreal_ip_header X-Forwarded-For;\n" % self.ip("lb")
        with open(ngx + "/encore.conf", "w") as f:
            f.write(site)
        return ngx

    def start_app(self, app):
        d = os.path.join(self.work, app)
        conf = os.path.join(d, "encore.conf")
        self.spawn("api-" + app, app, [self.bin("src", "api", "encore-api"), "-c", conf],
                   d + "/log/encore-api.out")
        self.spawn("live-" + app, app, [self.bin("src", "live", "encore-live"), "-c", conf, "-l",
                                        "127.0.0.1:8091", "-p", d + "/encore-live.pid", "-o",
                                        d + "/log/encore-live.log", "--ping", "2", "--hangup", "6",
                                        "--host-grace", "5"], d + "/log/encore-live.out")
        ngx = self.write_app_nginx(app)
        for _ in range(150):
            if os.path.exists(d + "/api.sock"):
                break
            if not self.alive("api-" + app):
                raise RuntimeError("encore-api of %s exited: %s" % (
                    app, open(d + "/log/encore-api.out", errors="replace").read()[-500:]))
            time.sleep(0.1)
        self.nsx(app, which("nginx"), "-p", ngx + "/", "-c", ngx + "/nginx.conf", "-e",
                 d + "/log/nginx-error.log")

    def stop_app(self, app):
        """The host dies: its processes killed, its cable unplugged."""
        self.link(app, False)
        self.kill("api-" + app)
        self.kill("live-" + app)
        self.kill_pidfile(os.path.join(self.work, app, "nginx.pid"))
        for pid in subprocess.run(["ip", "netns", "pids", self.ns(app)],
                                  capture_output=True).stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass

    def revive_app(self, app):
        time.sleep(0.3)
        for f in ("api.sock", "nginx.pid", "encore-api.pid", "encore-live.pid"):
            try:
                os.unlink(os.path.join(self.work, app, f))
            except OSError:
                pass
        self.link(app, True)
        self.start_app(app)

    def start_balancer(self):
        d = os.path.join(self.work, "lb")
        os.makedirs(d + "/tmp", exist_ok=True)
        conf = d + "/nginx.conf"
        self.fill(os.path.join(self.srcdir, "tests", "cluster", "balancer.conf.in"), conf, {
            "DIR": d, "LB": self.ip("lb"), "APP1": self.ip("app1"), "APP2": self.ip("app2"),
            "TLS_CERT": self.work + "/tls/server.crt", "TLS_KEY": self.work + "/tls/server.key"})
        self.spawn("balancer", "lb", [which("nginx"), "-p", d + "/", "-c", conf, "-e",
                                      d + "/error.log"], d + "/nginx.out")

    def write_env(self, creds):
        """stack.env, so that tests/integration's harness finds the cluster
        behind the balancer as it finds a private stack."""
        lb = self.ip("lb")
        lines = {
            "ENCORE_STACK_DIR": self.work,
            "ENCORE_HTTP_URL": "http://%s" % lb,
            "ENCORE_HTTPS_URL": "https://%s" % lb,
            "ENCORE_CA_FILE": self.work + "/tls/ca.crt",
            "ENCORE_CONF": self.work + "/app1/encore.conf",
            "ENCORE_MAIL_SPOOL": self.work + "/mail/mbox",
            "ENCORE_DB_SOCKET": self.db_sock("db1"),
            "ENCORE_ADMIN_BIN": self.bin("src", "admin", "encore-admin"),
            "ENCORE_MEDIA_DIR": self.work + "/media",
            "ENCORE_LOG_DIR": self.work + "/app1/log",
            "ENCORE_LIVE_URL": "wss://%s/api/v1/live" % lb,
            "ENCORE_LIVE_PING": "2", "ENCORE_LIVE_HANGUP": "6", "ENCORE_LIVE_GRACE": "5",
            "ENCORE_PARTY_PAGE": "https://%s/party/" % lb,
            "ENCORE_RATE_IP": "50r/s", "ENCORE_BURST_IP": "100",
            "ENCORE_RATE_TOKEN": "50r/s", "ENCORE_BURST_TOKEN": "100",
        }
        lines.update(creds)
        path = os.path.join(self.work, "stack.env")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("# The cluster of tests/cluster, seen through its balancer.\n")
            for k, v in lines.items():
                f.write("%s=%s\n" % (k, v))

    def start(self, log=print):
        t0 = time.monotonic()
        self.make_network()
        log("network: %d namespaces on %s.0/24 (%.1f s)" % (len(self.made), self.net, time.monotonic() - t0))
        self.start_galera()
        log("galera: 3 nodes Synced, cluster size %d (%.1f s)" % (self.cluster_size("db1"),
                                                                  time.monotonic() - t0))
        for n in ("kv1", "kv2"):
            self.start_kv(n)
        self.write_tls()
        self.write_shared()
        for app in ("app1", "app2"):
            self.app_conf(app)
        self.admin("migrate")
        creds_path = os.path.join(self.work, "credentials")
        self.admin("demo", "--credentials", creds_path)
        creds = {}
        for line in open(creds_path):
            k, sep, v = line.strip().partition("=")
            if sep and k.startswith("ENCORE_"):
                creds[k] = v.strip("'\"")
        for app in ("app1", "app2"):
            self.start_app(app)
        self.start_balancer()
        self.write_env(creds)
        log("app hosts and balancer up (%.1f s)" % (time.monotonic() - t0))


def main():
    why = can_make_namespaces()
    if why:
        print("SKIP: %s" % why)
        sys.exit(77)


if __name__ == "__main__":
    main()
