/* store: the writes encore-live makes after the fact — chat messages
 * already broadcast, members who just joined — kept and written together,
 * in one transaction every LIVE_FLUSH_MS: a commit waits for the disk, and
 * one wait per flush instead of one per message or join keeps the event
 * loop free. While MariaDB is away the writes wait (at most
 * LIVE_PENDING_MAX chat messages; the oldest are dropped past it). */
#ifndef ENCORE_STORE_H
#define ENCORE_STORE_H

#include <stdbool.h>

struct chat;
struct member;
struct room;

/* store_chat: message m of room r, to write. */
void store_chat(const struct room *r, const struct chat *m);
/* store_member: member m of room r (its role, mute and removal), to
 * write. */
void store_member(const struct room *r, const struct member *m);
/* store_flush: write what waits (now, or once LIVE_FLUSH_MS has passed
 * since the last write). */
void store_flush(bool now);
/* store_finish: write what waits and release the rest (the end of the
 * process). */
void store_finish(void);

#endif
