/* test_arena: alignment, zeroing, chaining, large allocations in their own
 * block, cleanups in reverse order, reset keeping the first block. */
#include "core/arena.h"
#include "core/rc.h"

#include <stdint.h>
#include <stdlib.h>

#include "t.h"

static int order[8], norder;

static void note(void *arg) {
  order[norder++] = (int)(intptr_t)arg;
}

static struct arena *nested_arena;

static void register_more(void *arg) {
  (void)arg;
  order[norder++] = 100;
  arena_defer(nested_arena, note, (void *)(intptr_t)101);
}

static void release(void *p) {
  free(p);
}

static void allocation(void) {
  struct arena *a = arena_new(4096);
  CHECK(a != NULL);

  /* Alignment and zeroing for odd sizes. */
  size_t sizes[] = {1, 3, 15, 16, 17, 31, 100, 0};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    unsigned char *p = arena_alloc(a, sizes[i]);
    CHECK(p != NULL);
    CHECK_INT((uintptr_t)p % 16, 0);
    size_t n = sizes[i] ? sizes[i] : 1;
    int zero = 1;
    for (size_t k = 0; k < n; k++)
      zero &= p[k] == 0;
    CHECK(zero);
    memset(p, 0xAB, n);
  }
  /* 1,3,15,16 -> 16 each; 17,31 -> 32 each; 100 -> 112; 0 -> 16 */
  CHECK_INT(arena_used(a), 16 * 4 + 32 * 2 + 112 + 16);

  /* Reset keeps the first block: the same memory comes back, zeroed. */
  arena_reset(a);
  CHECK_INT(arena_used(a), 0);
  unsigned char *first = arena_alloc(a, 16);
  arena_reset(a);
  unsigned char *again = arena_alloc(a, 16);
  CHECK(first == again);
  CHECK(again[0] == 0);

  /* A large allocation gets its own block: the small ones keep going in the
   * current block, contiguously. */
  arena_reset(a);
  char *p1 = arena_alloc(a, 16);
  char *big = arena_alloc(a, 1 << 20);
  char *p2 = arena_alloc(a, 16);
  CHECK(big != NULL);
  CHECK(p2 == p1 + 16);
  CHECK_INT((uintptr_t)big % 16, 0);
  memset(big, 1, 1 << 20);
  CHECK_INT(arena_used(a), 32 + (1 << 20));

  /* Blocks chain: far more than one block of small allocations, all intact. */
  arena_reset(a);
  char *ptrs[1000];
  for (int i = 0; i < 1000; i++) {
    ptrs[i] = arena_alloc(a, 100);
    CHECK(ptrs[i] != NULL);
    memset(ptrs[i], i & 0xFF, 100);
  }
  int intact = 1;
  for (int i = 0; i < 1000; i++)
    for (int k = 0; k < 100; k++)
      intact &= (unsigned char)ptrs[i][k] == (i & 0xFF);
  CHECK(intact);
  CHECK_INT(arena_used(a), 1000 * 112);
  /* After a reset the first block is reused and the others were freed
   * (ASan's leak check would report them otherwise). */
  arena_reset(a);
  CHECK(arena_alloc(a, 16) == first);

  /* Strings. */
  CHECK_STR(arena_strdup(a, "hello"), "hello");
  CHECK(arena_strdup(a, NULL) == NULL);
  char *s = arena_strndup(a, "abcdef", 3);
  CHECK_STR(s, "abc");
  CHECK_STR(arena_strndup(a, "", 0), "");
  CHECK_STR(arena_printf(a, "%d-%s", 42, "x"), "42-x");
  char *longer = arena_printf(a, "%0*d", 10000, 7);
  CHECK(longer && strlen(longer) == 10000 && longer[9999] == '7');

  /* Absurd sizes fail cleanly. */
  CHECK(arena_alloc(a, SIZE_MAX) == NULL);
  CHECK(arena_alloc(a, SIZE_MAX - 8) == NULL);
  CHECK(arena_strndup(a, "x", SIZE_MAX) == NULL);
  arena_free(a);
}

static void cleanups(void) {
  struct arena *a = arena_new(4096);
  /* Cleanups run in reverse order of registration, once. */
  arena_reset(a);
  norder = 0;
  for (int i = 1; i <= 3; i++)
    CHECK_INT(arena_defer(a, note, (void *)(intptr_t)i), 0);
  arena_reset(a);
  CHECK_INT(norder, 3);
  CHECK_INT(order[0], 3);
  CHECK_INT(order[1], 2);
  CHECK_INT(order[2], 1);
  norder = 0;
  arena_reset(a);
  CHECK_INT(norder, 0);

  /* A cleanup that registers another one: both run within the reset. */
  nested_arena = a;
  arena_defer(a, register_more, NULL);
  arena_reset(a);
  CHECK_INT(norder, 2);
  CHECK_INT(order[0], 100);
  CHECK_INT(order[1], 101);

  /* Cleanups run at arena_free too; heap memory handed over is released. */
  norder = 0;
  arena_defer(a, release, malloc(64));
  arena_defer(a, note, (void *)(intptr_t)7);
  arena_free(a);
  CHECK_INT(norder, 1);
  CHECK_INT(order[0], 7);

  arena_free(NULL);
}

static void size_hints(void) {
  /* Default and tiny hints work. */
  struct arena *d = arena_new(0);
  CHECK(d != NULL);
  for (int i = 0; i < 100; i++)
    CHECK(arena_alloc(d, 1000) != NULL);
  arena_free(d);
  struct arena *tiny = arena_new(1);
  CHECK(tiny != NULL);
  for (int i = 0; i < 100; i++)
    CHECK(arena_alloc(tiny, 200) != NULL);
  arena_free(tiny);
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  T_CASE(allocation);
  T_CASE(cleanups);
  T_CASE(size_hints);
  T_DONE();
}
