/* kv: memcached access through libmemcached (ASCII protocol; ketama when
 * several servers are configured). A down cache is never fatal: reads return
 * RC_KV and callers fall back to MariaDB. Keys longer than 200 bytes or with
 * spaces or control characters are replaced by a hash of themselves. */
#ifndef ENCORE_KV_H
#define ENCORE_KV_H

#include <stddef.h>

struct arena;
struct kv;

/* kv_open: servers is "/path/to.sock" or "host:port[,host:port...]".
 * Connection is lazy: opening never fails for an unreachable server. Returns 0,
 * RC_INVALID (bad server list) or RC_NOMEM. */
int kv_open(struct kv **out, const char *servers);
void kv_close(struct kv *k);
/* kv_ping: 0 when every server answers a version request, else RC_KV. */
int kv_ping(struct kv *k);

/* kv_get: value copied into the arena (NUL-terminated). RC_MISS when absent,
 * RC_KV when the cache is unreachable. */
int kv_get(struct kv *k, struct arena *a, const char *key, char **val,
           size_t *len);
/* kv_mget: n keys in one round trip; vals[i] NULL for a miss. Returns 0 or
 * RC_KV (then every vals[i] is NULL). */
int kv_mget(struct kv *k, struct arena *a, const char *const *keys, int n,
            char **vals, size_t *lens);
/* kv_set: store with a TTL in seconds (0: no expiry). 0 or RC_KV. */
int kv_set(struct kv *k, const char *key, const void *val, size_t len, int ttl);
/* kv_add: store only when absent: 0, RC_CONFLICT when present, RC_KV. */
int kv_add(struct kv *k, const char *key, const void *val, size_t len, int ttl);
/* kv_del: 0 whether or not it existed; RC_KV when unreachable. */
int kv_del(struct kv *k, const char *key);
/* kv_incr: add 1, creating the counter at 1 with `ttl` when absent; the new
 * value in *out. 0 or RC_KV. */
int kv_incr(struct kv *k, const char *key, int ttl, unsigned long long *out);

/* Versioned namespaces: every cached entry of an object lives under a key
 * that embeds the object's current version, so one write invalidates all of
 * them at once by changing the version ("track:42" -> "track:42:<ver>:json").
 * A version is a random 64-bit number, so a version lost to eviction can
 * never come back and resurrect stale entries. */

/* kv_ns_key: "<ns>:<version>:<suffix>" in the arena, creating the version
 * when absent. RC_KV when the cache is down (callers then read MariaDB). */
int kv_ns_key(struct kv *k, struct arena *a, const char *ns, const char *suffix,
              char **key);
/* kv_ns_bump: give ns a new version; call after every write of the object.
 * 0 or RC_KV. */
int kv_ns_bump(struct kv *k, const char *ns);
/* kv_ns_renew: give namespaces ns[0..n) new versions, returned in vers[i]
 * (text, in the arena), without waiting for memcached: a kv_ns_bump of each
 * sent unanswered, one random draw for all. For namespaces found without a
 * version: a bump only ever invalidates, so racing another reader or a
 * writer is safe. 0, RC_KV (every vers[i] NULL) or RC_NOMEM. */
int kv_ns_renew(struct kv *k, struct arena *a, const char *const *ns, int n,
                char **vers);
/* kv_set_quiet: kv_set without waiting for memcached's answer (a failure to
 * store goes unnoticed; for entries a miss only makes slower to read). 0, or
 * RC_KV when the request could not be sent. */
int kv_set_quiet(struct kv *k, const char *key, const void *val, size_t len,
                 int ttl);

/* Invalidations memcached did not take. A kv_ns_bump, kv_ns_renew or kv_del
 * that fails leaves entries behind that may be served stale once the cache
 * answers again; the hook hears of each such loss so that it can be recorded
 * and applied later (src/core/inval.c does). */
enum kv_lost { KV_LOST_BUMP, KV_LOST_DEL }; /* key is a namespace / a key */
typedef void (*kv_lost_fn)(void *arg, enum kv_lost op, const char *key);
/* kv_on_lost: call fn(arg, op, key) for every invalidation that fails from
 * now on; NULL clears. The hook is not called again from inside itself. */
void kv_on_lost(struct kv *k, kv_lost_fn fn, void *arg);

#endif
