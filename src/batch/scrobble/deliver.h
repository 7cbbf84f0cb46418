/* deliver: one run of scrobbling out (model/outbox.h) to Last.fm and
 * ListenBrainz: first the attempts left in doubt by an earlier run are
 * settled against the service's own history, then every user whose
 * scrobbles are due gets them sent in batches of 50, until the queue is
 * empty or the run's time is up. */
#ifndef ENCORE_DELIVER_H
#define ENCORE_DELIVER_H

#include <stdbool.h>

struct arena;
struct db;

/* How a run behaves (encore-scrobble's options). */
struct deliver_opts {
  int for_s;     /* stop taking new batches after this many seconds */
  int backoff_s; /* the first wait after a failure (doubling, <= 1 h) */
  int doubt_s;   /* an attempt unanswered this long is in doubt */
  double rate;   /* requests per second to one service; 0: no limit */
};

/* What a run did. */
struct deliver_stats {
  long long batches, sent, ignored, requeued, in_doubt;
  long long doubts_checked, doubts_sent, unlinked, failures;
};

/* deliver_run: one run over both services. 0, or a db code when MariaDB
 * failed (the run stopped; nothing is lost: what was marked stays so). */
int deliver_run(struct db *d, struct arena *a, const struct deliver_opts *o,
                struct deliver_stats *st);

#endif
