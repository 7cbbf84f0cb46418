/* store: encore-live's batched writes; see store.h. */
#include "live/store.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/rc.h"
#include "live/live.h"
#include "model/party_room.h"

/* Rows one statement takes. */
#define STORE_ROWS 500

/* A chat message to write. */
struct pending_chat {
  long long party, id, user, reply_to, at_ms;
  char *text;
};

/* A member to write. */
struct pending_member {
  long long party, user;
  enum role role;
  bool muted, removed;
};

static struct {
  struct pending_chat *chats;
  int nchats, capchats;
  struct pending_member *members;
  int nmembers, capmembers;
  long long last;
} pend;

static const char *const role_names[] = {
    [ROLE_MEMBER] = "member", [ROLE_CO_HOST] = "co_host", [ROLE_HOST] = "host"};

/* grow: room for one more in an array of `size`-byte rows. */
static bool grow(void **rows, int n, int *cap, size_t size) {
  if (n < *cap) return true;
  int c = *cap ? *cap * 2 : 256;
  void *r = realloc(*rows, size * (size_t)c);
  if (!r) return false;
  *rows = r;
  *cap = c;
  return true;
}

void store_chat(const struct room *r, const struct chat *m) {
  if (pend.nchats == LIVE_PENDING_MAX) {
    log_msg(LOG_ERROR, "live: chat messages dropped: the database is away",
            NULL);
    free(pend.chats[0].text);
    memmove(pend.chats, pend.chats + 1,
            sizeof *pend.chats * (size_t)--pend.nchats);
  }
  char *text = strdup(m->text);
  if (!text || !grow((void **)&pend.chats, pend.nchats, &pend.capchats,
                     sizeof *pend.chats)) {
    free(text);
    return;
  }
  pend.chats[pend.nchats++] = (struct pending_chat){.party = r->id,
                                                    .id = m->id,
                                                    .user = m->user,
                                                    .reply_to = m->reply_to,
                                                    .at_ms = m->at_ms,
                                                    .text = text};
}

void store_member(const struct room *r, const struct member *m) {
  if (!grow((void **)&pend.members, pend.nmembers, &pend.capmembers,
            sizeof *pend.members))
    return;
  pend.members[pend.nmembers++] =
      (struct pending_member){.party = r->id,
                              .user = m->user,
                              .role = m->role,
                              .muted = m->muted,
                              .removed = m->removed};
}

/* chats_json: rows [from, to) of the pending chat as a JSON array. */
static json_object *chats_json(int from, int to) {
  json_object *rows = json_object_new_array();
  for (int i = from; i < to; i++) {
    const struct pending_chat *p = &pend.chats[i];
    json_object *row = json_object_new_array();
    json_object_array_add(row, json_object_new_int64(p->party));
    json_object_array_add(row, json_object_new_int64(p->id));
    json_object_array_add(row, json_object_new_int64(p->user));
    json_object_array_add(row, json_object_new_string(p->text));
    json_object_array_add(row, p->reply_to ? json_object_new_int64(p->reply_to)
                                           : NULL);
    json_object_array_add(row, json_object_new_int64(p->at_ms));
    json_object_array_add(rows, row);
  }
  return rows;
}

/* members_json: rows [from, to) of the pending members. */
static json_object *members_json(int from, int to) {
  json_object *rows = json_object_new_array();
  for (int i = from; i < to; i++) {
    const struct pending_member *p = &pend.members[i];
    json_object *row = json_object_new_array();
    json_object_array_add(row, json_object_new_int64(p->party));
    json_object_array_add(row, json_object_new_int64(p->user));
    json_object_array_add(row, json_object_new_string(role_names[p->role]));
    json_object_array_add(row, json_object_new_int(p->muted));
    json_object_array_add(row, json_object_new_int(p->removed));
    json_object_array_add(rows, row);
  }
  return rows;
}

/* write_rows: run store(text of rows) for the pending rows in slices of
 * STORE_ROWS. */
static int write_rows(int n, json_object *(*rows)(int, int),
                      int (*store)(struct db *, const char *)) {
  int rc = 0;
  for (int from = 0; !rc && from < n; from += STORE_ROWS) {
    int to = from + STORE_ROWS < n ? from + STORE_ROWS : n;
    json_object *o = rows(from, to);
    size_t len;
    const char *text = jx_text(live.arena, o, &len);
    rc = text ? store(live.db, text) : RC_NOMEM;
    json_object_put(o);
  }
  return rc;
}

void store_flush(bool now) {
  if (!pend.nchats && !pend.nmembers) return;
  if (!now && live.now - pend.last < LIVE_FLUSH_MS) return;
  pend.last = live.now;
  /* Members first: a message's author is a member by then. */
  int rc = db_begin(live.db);
  if (!rc)
    rc = write_rows(pend.nmembers, members_json, party_room_members_save);
  if (!rc) rc = write_rows(pend.nchats, chats_json, party_chat_store);
  if (!rc) rc = db_commit(live.db);
  if (rc) {
    db_rollback(live.db);
    log_msg(LOG_WARN, "live: writes not done yet; will retry", NULL);
    return;
  }
  for (int i = 0; i < pend.nchats; i++)
    free(pend.chats[i].text);
  pend.nchats = pend.nmembers = 0;
}

void store_finish(void) {
  store_flush(true);
  if (pend.nchats || pend.nmembers)
    log_msg(LOG_ERROR, "live: writes lost: the database is away", NULL);
  for (int i = 0; i < pend.nchats; i++)
    free(pend.chats[i].text);
  free(pend.chats);
  free(pend.members);
  pend.chats = NULL;
  pend.members = NULL;
  pend.nchats = pend.capchats = pend.nmembers = pend.capmembers = 0;
}
