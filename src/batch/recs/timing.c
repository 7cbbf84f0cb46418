/* timing.c: the clock of the stage timings and the stats. */
#include "batch/recs/timing.h"

#include <time.h>

double timing_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
