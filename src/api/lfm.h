/* lfm: Last.fm's 2.0 wire format, server side: an answer is built once as
 * a small tree of elements and written either as Last.fm's XML
 * (<lfm status="ok">...</lfm>, no whitespace between elements: some
 * clients take the root's first child node as the answer) or as its JSON
 * (an element with children is an object, its attributes under "@attr";
 * a leaf with attributes is an object of them and "#text"; a leaf without
 * is a string; list elements are arrays). Errors are
 * <lfm status="failed"><error code="N">message</error></lfm> or
 * {"error": N, "message": "..."}, always with a message. */
#ifndef ENCORE_LFM_H
#define ENCORE_LFM_H

#include <stdbool.h>

#include "api/req.h"
#include "model/scrobble.h"

struct arena;
struct sbuf;

/* Last.fm's error codes that Encore answers. */
enum lfm_error {
  LFM_INVALID_METHOD = 3,
  LFM_AUTH_FAILED = 4,
  LFM_INVALID_FORMAT = 5,
  LFM_INVALID_PARAMS = 6,
  LFM_OPERATION_FAILED = 8,
  LFM_INVALID_SESSION = 9,
  LFM_INVALID_API_KEY = 10,
  LFM_OFFLINE = 11,
  LFM_INVALID_SIGNATURE = 13,
  LFM_TOKEN_UNAUTHORIZED = 14,
  LFM_TOKEN_EXPIRED = 15,
  LFM_TEMPORARY = 16,
  LFM_LOGIN_REQUIRED = 17,
  LFM_RATE_LIMITED = 29,
};

/* An element of an answer. */
struct lfm_node;

/* lfm_root: the answer's root (<lfm status="ok">), in the arena. */
struct lfm_node *lfm_root(struct arena *a);
/* lfm_el: a child element `name` of parent (with children of its own). */
struct lfm_node *lfm_el(struct lfm_node *parent, const char *name);
/* lfm_item: like lfm_el, for elements that repeat (a JSON array). */
struct lfm_node *lfm_item(struct lfm_node *parent, const char *name);
/* lfm_leaf: a child element holding text (NULL: empty). */
struct lfm_node *lfm_leaf(struct lfm_node *parent, const char *name,
                          const char *text);
/* lfm_leaf_int: a leaf of a number. */
struct lfm_node *lfm_leaf_int(struct lfm_node *parent, const char *name,
                              long long v);
/* lfm_attr / lfm_attr_int: an attribute of an element. */
void lfm_attr(struct lfm_node *n, const char *name, const char *value);
void lfm_attr_int(struct lfm_node *n, const char *name, long long v);

/* lfm_escape: append s escaped for XML 1.0 text and attribute values, fit
 * for HTML too (& < > " ' as references); control characters XML cannot
 * carry are left out. */
void lfm_escape(struct sbuf *b, const char *s);
/* lfm_reply: answer 200 with the tree, as XML or (json) JSON. */
int lfm_reply(struct req *r, struct lfm_node *root, bool json);
/* lfm_fail: answer a Last.fm error (code and a non-empty message) with
 * the HTTP status Last.fm uses for it. */
int lfm_fail(struct req *r, enum lfm_error code, const char *message,
             bool json);

/* --- track.scrobble's batch (lfm_batch.c: pure, fuzzed) --------------- */

#define LFM_BATCH_MAX 50
/* How far from now a scrobble's time may be before it is ignored: Last.fm
 * takes scrobbles of the last 14 days, and none from the future (five
 * minutes allowed for clocks). */
#define LFM_MAX_AGE_S (14 * 86400LL)
#define LFM_MAX_AHEAD_S 300LL

/* Last.fm's ignoredMessage codes. */
enum lfm_ignored {
  LFM_IGNORED_NONE = 0,
  LFM_IGNORED_ARTIST = 1,
  LFM_IGNORED_TRACK = 2,
  LFM_IGNORED_TOO_OLD = 3,
  LFM_IGNORED_TOO_NEW = 4,
  LFM_IGNORED_DAILY = 5,
};

/* The scrobbles of one track.scrobble. */
struct lfm_batch {
  int n;
  struct scrobble s[LFM_BATCH_MAX];
  const char *album_artist[LFM_BATCH_MAX];
  long long at_s[LFM_BATCH_MAX]; /* as sent */
};

/* lfm_batch_parse: the scrobbles of kv[0..n): artist[i], track[i],
 * timestamp[i] (required), album[i], albumArtist[i], mbid[i], duration[i]
 * (seconds) and the rest ignored, i from 0 to 49 in decimal; or the same
 * names without [i] for one scrobble. Each is PENDING, or IGNORED with its
 * reason (no artist or title, too long a name, too old or too new against
 * now_s); a bad mbid or duration is left out. RC_INVALID with *why when
 * the request is wrong as a whole: no scrobble, an index past 49 (51 in a
 * batch), a parameter given twice, a timestamp missing or not a number. */
int lfm_batch_parse(struct arena *a, const struct req_kv *kv, int n,
                    long long now_s, struct lfm_batch *b, const char **why);
/* lfm_ignored_code: the code Last.fm gives a scrobble that was ignored for
 * `why`. */
enum lfm_ignored lfm_ignored_code(enum scrobble_why why);

#endif
