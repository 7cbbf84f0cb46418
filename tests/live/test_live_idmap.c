/* test_live_idmap: encore-live's id map against a plain array under random
 * puts and deletes (backward-shift deletion keeps every entry findable),
 * growth, and ids that collide in the table. */
#include <stdint.h>
#include <stdlib.h>

#include "live/idmap.h"
#include "t.h"

#define N 5000

int main(void) {
  static void *want[N + 1];
  struct idmap m = {0};
  unsigned s = 12345;
  CHECK(idmap_get(&m, 1) == NULL);
  idmap_del(&m, 1); /* an empty map */
  for (int round = 0; round < 200000; round++) {
    s = s * 1103515245u + 12345u;
    long long id = 1 + (long long)((s >> 8) % N);
    if ((s >> 4) & 1) {
      void *v = (void *)(uintptr_t)(round + 1);
      CHECK_INT(idmap_put(&m, id, v), 0);
      want[id] = v;
    } else {
      idmap_del(&m, id);
      want[id] = NULL;
    }
    if (round % 997 == 0) {
      size_t n = 0;
      for (long long i = 1; i <= N; i++) {
        CHECK(idmap_get(&m, i) == want[i]);
        n += want[i] != NULL;
      }
      CHECK_INT(m.n, n);
      CHECK(m.n * 2 <= m.cap);
    }
  }
  /* large, sparse ids (sessions, parties far apart) */
  struct idmap big = {0};
  for (long long i = 1; i <= 1000; i++)
    CHECK_INT(
        idmap_put(&big, i * 1000003LL + (1LL << 40), (void *)(uintptr_t)i), 0);
  for (long long i = 1; i <= 1000; i += 2)
    idmap_del(&big, i * 1000003LL + (1LL << 40));
  for (long long i = 1; i <= 1000; i++)
    CHECK(idmap_get(&big, i * 1000003LL + (1LL << 40)) ==
          (i % 2 ? NULL : (void *)(uintptr_t)i));
  CHECK_INT(big.n, 500);
  idmap_free(&big);
  idmap_free(&m);
  T_DONE();
}
