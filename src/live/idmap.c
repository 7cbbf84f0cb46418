/* idmap: id -> pointer, open addressing; see idmap.h. */
#include "live/idmap.h"

#include <stdint.h>
#include <stdlib.h>

#include "core/rc.h"

/* slot_of: the home slot of id (a 64-bit mix, so sequential ids spread). */
static size_t slot_of(const struct idmap *m, long long id) {
  uint64_t x = (uint64_t)id;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return (size_t)x & (m->cap - 1);
}

void *idmap_get(const struct idmap *m, long long id) {
  if (!m->cap) return NULL;
  for (size_t i = slot_of(m, id);; i = (i + 1) & (m->cap - 1)) {
    if (m->slots[i].id == id) return m->slots[i].val;
    if (m->slots[i].id == 0) return NULL;
  }
}

/* grow: double the table (or make the first), placing every entry
 * again. */
static int grow(struct idmap *m) {
  size_t cap = m->cap ? m->cap * 2 : 16;
  struct idmap_slot *slots = calloc(cap, sizeof *slots), *old = m->slots;
  if (!slots) return RC_NOMEM;
  size_t old_cap = m->cap;
  m->slots = slots;
  m->cap = cap;
  for (size_t i = 0; i < old_cap; i++) {
    if (!old[i].id) continue;
    size_t j = slot_of(m, old[i].id);
    while (slots[j].id)
      j = (j + 1) & (cap - 1);
    slots[j] = old[i];
  }
  free(old);
  return 0;
}

int idmap_put(struct idmap *m, long long id, void *val) {
  if ((m->n + 1) * 2 > m->cap && grow(m)) return RC_NOMEM;
  size_t i = slot_of(m, id);
  while (m->slots[i].id && m->slots[i].id != id)
    i = (i + 1) & (m->cap - 1);
  if (!m->slots[i].id) m->n++;
  m->slots[i] = (struct idmap_slot){.id = id, .val = val};
  return 0;
}

void idmap_del(struct idmap *m, long long id) {
  if (!m->cap) return;
  size_t i = slot_of(m, id);
  while (m->slots[i].id != id) {
    if (!m->slots[i].id) return;
    i = (i + 1) & (m->cap - 1);
  }
  /* Backward shift: move up every later entry of the run that would not
   * be found past the hole. */
  for (size_t j = (i + 1) & (m->cap - 1); m->slots[j].id;
       j = (j + 1) & (m->cap - 1)) {
    size_t home = slot_of(m, m->slots[j].id);
    /* j's entry may fill the hole at i when its home is not in (i, j]. */
    if ((j > i && (home <= i || home > j)) ||
        (j < i && home <= i && home > j)) {
      m->slots[i] = m->slots[j];
      i = j;
    }
  }
  m->slots[i] = (struct idmap_slot){0};
  m->n--;
}

void idmap_free(struct idmap *m) {
  free(m->slots);
  *m = (struct idmap){0};
}
