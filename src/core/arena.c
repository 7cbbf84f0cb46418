/* arena: a per-request bump allocator. Memory comes from a chain of blocks;
 * an allocation too large for a normal block gets a block of its own, linked
 * behind the current one so the current block keeps serving small requests.
 * Cleanups registered with arena_defer run in reverse order at reset/free. */
#include "core/arena.h"

#include "core/rc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16
#define ARENA_DEFAULT 16384

struct block {
  struct block *next;
  size_t size; /* usable bytes in data */
  size_t used; /* bytes consumed from the aligned start of data */
  unsigned char data[];
};

struct cleanup {
  struct cleanup *next;
  void (*fn)(void *);
  void *arg;
};

struct arena {
  struct block *first;      /* kept across resets */
  struct block *cur;        /* small allocations are served from here */
  struct cleanup *cleanups; /* most recent first */
  size_t block_size;        /* size of normal blocks */
  size_t used;              /* bytes handed out since the last reset */
};

/* Blocks are over-allocated by ARENA_ALIGN so the first usable byte can be
 * aligned whatever malloc returns. */
static struct block *block_new(size_t size) {
  if (size > SIZE_MAX - sizeof(struct block) - ARENA_ALIGN) return NULL;
  struct block *b = malloc(sizeof(struct block) + size + ARENA_ALIGN);
  if (!b) return NULL;
  b->next = NULL;
  b->size = size;
  b->used = 0;
  return b;
}

static unsigned char *block_base(struct block *b) {
  uintptr_t p = (uintptr_t)b->data;
  return b->data + ((ARENA_ALIGN - (p % ARENA_ALIGN)) % ARENA_ALIGN);
}

struct arena *arena_new(size_t hint) {
  struct arena *a = malloc(sizeof *a);
  if (!a) return NULL;
  size_t size = hint ? hint : ARENA_DEFAULT;
  if (size < 256) size = 256;
  size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
  a->first = block_new(size);
  if (!a->first) {
    free(a);
    return NULL;
  }
  a->cur = a->first;
  a->cleanups = NULL;
  a->block_size = size;
  a->used = 0;
  return a;
}

void *arena_alloc(struct arena *a, size_t n) {
  if (n == 0) n = 1;
  if (n > SIZE_MAX - ARENA_ALIGN * 2) return NULL;
  n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);

  struct block *b = a->cur;
  if (b->size - b->used < n) {
    if (n > a->block_size / 2) {
      /* Large: its own block, chained after the current one. */
      struct block *big = block_new(n);
      if (!big) return NULL;
      big->used = n;
      big->next = b->next;
      b->next = big;
      a->used += n;
      void *p = block_base(big);
      memset(p, 0, n);
      return p;
    }
    struct block *nb = block_new(a->block_size);
    if (!nb) return NULL;
    nb->next = b->next;
    b->next = nb;
    a->cur = b = nb;
  }
  void *p = block_base(b) + b->used;
  b->used += n;
  a->used += n;
  memset(p, 0, n);
  return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n) {
  if (n == SIZE_MAX) return NULL;
  char *d = arena_alloc(a, n + 1);
  if (!d) return NULL;
  if (n) memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

char *arena_strdup(struct arena *a, const char *s) {
  if (!s) return NULL;
  return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *d = NULL;
  if (n >= 0) {
    d = arena_alloc(a, (size_t)n + 1);
    if (d) vsnprintf(d, (size_t)n + 1, fmt, ap2);
  }
  va_end(ap2);
  return d;
}

int arena_defer(struct arena *a, void (*fn)(void *), void *arg) {
  struct cleanup *c = arena_alloc(a, sizeof *c);
  if (!c) {
    fn(arg);
    return RC_NOMEM;
  }
  c->fn = fn;
  c->arg = arg;
  c->next = a->cleanups;
  a->cleanups = c;
  return 0;
}

void arena_reset(struct arena *a) {
  /* Cleanup records live in the arena: run them all before freeing blocks.
   * A cleanup may register another one; loop until none is left. */
  while (a->cleanups) {
    struct cleanup *c = a->cleanups;
    a->cleanups = c->next;
    c->fn(c->arg);
  }
  struct block *b = a->first->next;
  while (b) {
    struct block *next = b->next;
    free(b);
    b = next;
  }
  a->first->next = NULL;
  a->first->used = 0;
  a->cur = a->first;
  a->used = 0;
}

void arena_free(struct arena *a) {
  if (!a) return;
  arena_reset(a);
  free(a->first);
  free(a);
}

size_t arena_used(const struct arena *a) {
  return a->used;
}
