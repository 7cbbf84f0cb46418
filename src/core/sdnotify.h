/* sdnotify: the service manager's readiness protocol (sd_notify(3)) without
 * libsystemd: one datagram to the unix socket named by $NOTIFY_SOCKET. Under
 * a unit of Type=notify, systemd considers encore-api started once its
 * workers are forked, and encore-live once it listens. Without
 * $NOTIFY_SOCKET (a shell, encore-stack) every call does nothing. */
#ifndef ENCORE_SDNOTIFY_H
#define ENCORE_SDNOTIFY_H

/* sdnotify_send: send state (e.g. "READY=1", "RELOADING=1", "STOPPING=1",
 * "STATUS=text"; several separated by newlines). 0 when sent or when there
 * is no service manager to tell, -1 when the socket refused it. */
int sdnotify_send(const char *state);

#endif
