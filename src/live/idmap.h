/* idmap: a map from positive 64-bit ids (users, parties) to pointers,
 * open addressing with linear probing and backward-shift deletion, grown
 * when half full. encore-live's registries of rooms and of each user's
 * connections. */
#ifndef ENCORE_IDMAP_H
#define ENCORE_IDMAP_H

#include <stddef.h>

struct idmap_slot {
  long long id; /* 0: empty */
  void *val;
};

struct idmap {
  struct idmap_slot *slots;
  size_t cap, n; /* cap: a power of two, or 0 */
};

/* idmap_get: the value of id, or NULL. */
void *idmap_get(const struct idmap *m, long long id);
/* idmap_put: set id's value (id > 0, val not NULL). 0 or RC_NOMEM. */
int idmap_put(struct idmap *m, long long id, void *val);
/* idmap_del: forget id (absent: nothing). */
void idmap_del(struct idmap *m, long long id);
/* idmap_free: release the table (the values are the caller's). */
void idmap_free(struct idmap *m);

#endif
