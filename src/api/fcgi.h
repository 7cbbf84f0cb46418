/* fcgi: the FastCGI side of a worker — the only user of libfcgi. It accepts
 * requests on the listening socket, turns each into a struct req, dispatches
 * it and writes the response. */
#ifndef ENCORE_FCGI_H
#define ENCORE_FCGI_H

#include <signal.h>

/* fcgi_listen: a unix stream socket at path (a stale file is replaced) with
 * the given mode; the fd, or -1 with errno set. */
int fcgi_listen(const char *path, int mode, int backlog);
/* fcgi_serve: answer requests on fd until *stop is set by a signal; a
 * request in flight is always finished first. `before`, when not NULL, runs
 * after each accept and before the request is read (upkeep that must
 * precede the answer). Returns 0, or -1 when the library could not start. */
int fcgi_serve(int fd, long body_max, volatile sig_atomic_t *stop,
               void (*before)(void));

#endif
