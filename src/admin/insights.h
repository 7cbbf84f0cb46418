/* insights: `encore-admin insights rebuild`: the listening insights'
 * rollups and discoveries (model/insight.h) made again from the listens,
 * for rows loaded in bulk (generate) or a repair. */
#ifndef ENCORE_ADMIN_INSIGHTS_H
#define ENCORE_ADMIN_INSIGHTS_H

struct ctx;
struct db;

/* admin_insights: the command (`insights rebuild [--user USERNAME]`). */
int admin_insights(struct ctx *x, int argc, char **argv);
/* admin_insights_rebuild_all: every user's rollups and discoveries made
 * again, a chunk of users per transaction, printing its figures. 0, or 1
 * after saying why. */
int admin_insights_rebuild_all(struct db *d);

#endif
