/* rc: result codes shared by every module (see rc.def), with their HTTP
 * mapping. */
#ifndef ENCORE_RC_H
#define ENCORE_RC_H

enum rc {
#define X(name, value, http, slug, title) name = value,
#include "rc.def"
#undef X
};

/* rc_http: the HTTP status for a code; 500 for an unknown one. */
int rc_http(int rc);
/* rc_slug: the problem slug ("validation", ...); static storage. */
const char *rc_slug(int rc);
/* rc_title: the human title of the problem; static storage. */
const char *rc_title(int rc);
/* rc_name: the symbolic name ("RC_INVALID"), for logs. */
const char *rc_name(int rc);

#endif
