#!/usr/bin/env python3
"""smtp_sink: a minimal local SMTP server for tests.

Listens on 127.0.0.1 (an ephemeral port written to --port-file), accepts
--sessions SMTP sessions (default 1), and appends to --out, for each message:
"MAIL FROM:<...>", one "RCPT TO:<...>" line per recipient, a blank line, then
the DATA with dot-stuffing removed. Speaks only what a plain client needs:
EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT. Exits after --timeout seconds
whatever happens.
"""
import argparse
import os
import signal
import socket
import sys


def session(conn, out):
    f = conn.makefile("rb")

    def send(line):
        conn.sendall(line.encode() + b"\r\n")

    send("220 localhost ESMTP encore-test-sink")
    mail_from, rcpts = None, []
    while True:
        line = f.readline()
        if not line:
            return
        cmd = line.rstrip(b"\r\n").decode("utf-8", "replace")
        verb = cmd[:4].upper()
        if verb == "EHLO":
            send("250-localhost")
            send("250-8BITMIME")
            send("250 SIZE 10485760")
        elif verb == "HELO":
            send("250 localhost")
        elif verb == "MAIL":
            mail_from, rcpts = cmd, []
            send("250 OK")
        elif verb == "RCPT":
            rcpts.append(cmd)
            send("250 OK")
        elif verb == "DATA":
            send("354 End data with <CR><LF>.<CR><LF>")
            data = bytearray()
            while True:
                dl = f.readline()
                if not dl:
                    return
                if dl == b".\r\n":
                    break
                if dl.startswith(b".."):
                    dl = dl[1:]
                data += dl
            with open(out, "ab") as o:
                o.write((mail_from + "\n").encode())
                for r in rcpts:
                    o.write((r + "\n").encode())
                o.write(b"\n")
                o.write(bytes(data))
            send("250 OK queued")
        elif verb == "RSET" or verb == "NOOP":
            send("250 OK")
        elif verb == "QUIT":
            send("221 Bye")
            return
        else:
            send("502 Command not implemented")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--sessions", type=int, default=1)
    ap.add_argument("--timeout", type=int, default=30)
    args = ap.parse_args()
    signal.alarm(args.timeout)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as p:
        p.write(str(srv.getsockname()[1]))
    os.rename(tmp, args.port_file)
    for _ in range(args.sessions):
        conn, _ = srv.accept()
        with conn:
            session(conn, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
