/* throttle: counters of events per subject (failed logins of an account
 * from an address, registrations from an address, mails to an account ...)
 * that make a caller wait once too many came too close together. They live
 * in MariaDB (table throttles), so they hold while memcached is away and
 * survive its restarts. A rule gives `free` events without delay; each
 * event past them doubles the wait before the next is allowed, from `base`
 * seconds up to `cap`; `quiet` seconds without an event start the count
 * again. */
#ifndef ENCORE_THROTTLE_H
#define ENCORE_THROTTLE_H

struct arena;
struct db;

struct throttle_rule {
  const char *scope; /* table key, at most 16 ASCII characters */
  int free;          /* events allowed before any wait */
  int base;          /* wait after the first event past `free`, seconds */
  int cap;           /* the longest wait, seconds */
  int quiet;         /* seconds without events that reset the count (> cap) */
  int window;        /* instead of the above, when > 0: at most `free`
                        events in `window` seconds from the first of them
                        (then wait for the window's end) */
};

/* One counter: a rule and the subject it counts for (any text: an address,
 * "<user id>|<address>"; only its SHA-256 is stored). */
struct throttle_key {
  const struct throttle_rule *rule;
  const char *subject;
};

/* Keys read by one throttle_wait at most. */
#define THROTTLE_KEYS_MAX 3

/* throttle_wait: the seconds the caller must still wait before the next
 * event is allowed under every key (the longest of their waits); 0 when it
 * may go ahead. The wait of key i alone lands in waits[i] when waits is not
 * NULL. One statement. RC_DB when MariaDB cannot answer: the caller must
 * then refuse the event rather than let it through. */
int throttle_wait(struct db *d, struct arena *a, const struct throttle_key *k,
                  int n, int *wait, int *waits);
/* throttle_hit: count one event under each of the n keys. */
int throttle_hit(struct db *d, const struct throttle_key *k, int n);
/* throttle_take: count one event under a key of a window rule and say
 * where its window stands: *hits events in it (this one included) and
 * *reset_in seconds until a new window starts. For rate limits that show
 * their state to clients (ListenBrainz's X-RateLimit-* headers). */
int throttle_take(struct db *d, struct arena *a, const struct throttle_key *k,
                  int *hits, int *reset_in);
/* throttle_clear: forget the events counted under one key. */
int throttle_clear(struct db *d, const struct throttle_key *k);

#endif
