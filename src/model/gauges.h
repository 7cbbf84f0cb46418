/* gauges: what /metrics reads from MariaDB at scrape time besides the batch
 * runs: the listening parties (live, held by an encore-live process, their
 * members) and the events waiting for encore-live. Each is one index read,
 * so a scrape stays cheap. */
#ifndef ENCORE_GAUGES_H
#define ENCORE_GAUGES_H

struct arena;
struct db;
struct sbuf;

/* gauges_render: the families, appended to b. 0 or an RC_ code (nothing
 * appended). */
int gauges_render(struct db *d, struct arena *a, struct sbuf *b);

#endif
