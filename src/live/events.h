/* events: what this process learns from elsewhere, and its upkeep: every
 * second the live_events rows written since the last read (a party ended
 * or a member removed over REST, a block, a session revoked: the
 * connections concerned are closed, so a logout or a password change
 * reaches live connections within a couple of seconds); every
 * LIVE_RENEW_MS the leases of the parties it holds; every minute the
 * parties abandoned by every process. */
#ifndef ENCORE_EVENTS_H
#define ENCORE_EVENTS_H

/* events_start: begin after the latest event. 0 or a database code. */
int events_start(void);
/* events_tick: do what is due. */
void events_tick(void);

#endif
