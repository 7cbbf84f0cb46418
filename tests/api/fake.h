/* fake: the harness of the in-process tests in tests/api. It opens the test
 * stack's MariaDB and memcached the way a worker does, builds fake requests
 * (FastCGI parameters in an array, no socket, no nginx), runs them through
 * the router and keeps what the handler answered. */
#ifndef ENCORE_TEST_FAKE_H
#define ENCORE_TEST_FAKE_H

#include <stdio.h>

#include "t.h" /* CHECK, T_CASE */

struct arena;

/* Everything a test allocates lives here; reset as the test likes. */
extern struct arena *fake_arena;


/* What a handler answered. */
struct fake_reply {
  int status;
  char headers[2048]; /* the extra "Name: value\r\n" lines */
  char ctype[64];
  char body[16384];
};

/* fake_open: load $ENCORE_STACK_DIR/encore.conf and open MariaDB and
 * memcached (at `kv_servers` when not NULL, e.g. a dead socket to test the
 * cache being down). Returns 0, 77 when ENCORE_STACK_DIR is unset (the test
 * is skipped), or 1. *dir receives the stack directory. */
int fake_open(const char *prog, const char *kv_servers, const char **dir);
/* fake_close: close everything, print the count of checks, and return the
 * exit code of the test (1 when a check failed). */
int fake_close(void);

/* fake_call: one request. ctype is the Content-Type header (NULL: none),
 * auth the Authorization header (NULL: none), body the request body (NULL:
 * none; over body_max it is refused like fcgi.c refuses it). */
struct fake_reply fake_call(const char *method, const char *path,
                            const char *ctype, const char *auth,
                            const char *body);
/* fake_json: fake_call with Content-Type application/json when a body is
 * given. */
struct fake_reply fake_json(const char *method, const char *path,
                            const char *auth, const char *body);
/* fake_login: "Bearer <access token>" for a username and password, or
 * NULL when the login fails. */
char *fake_login(const char *username, const char *password);
/* fake_admin: fake_login as the stack's admin (stack.env), or NULL. */
char *fake_admin(void);

/* fake_stack_env: KEY's value in the stack's stack.env, or NULL. */
const char *fake_stack_env(const char *key);
/* fake_field: the string value of "key" in a reply (the first one), or
 * NULL. */
const char *fake_field(const struct fake_reply *rp, const char *key);
/* fake_id: the first "id": number of a reply, 0 when none. */
long long fake_id(const struct fake_reply *rp);

#endif
