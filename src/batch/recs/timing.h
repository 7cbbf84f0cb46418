/* timing.h: the clock of the stage timings and the stats. */
#ifndef ENCORE_BATCH_RECS_TIMING_H
#define ENCORE_BATCH_RECS_TIMING_H

/* timing_now: monotonic seconds (their origin means nothing). */
double timing_now(void);

#endif
