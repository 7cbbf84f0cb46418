/* arena: a per-request bump allocator with cleanups, reset after each response.
 * Everything allocated from an arena lives until arena_reset/arena_free;
 * library objects (json-c roots, result sets) are handed to the arena with
 * arena_defer. */
#ifndef ENCORE_ARENA_H
#define ENCORE_ARENA_H

#include <stddef.h>

struct arena;

/* arena_new: an empty arena whose first block holds `hint` bytes (0: 16 KiB).
 * NULL when out of memory. */
struct arena *arena_new(size_t hint);
/* arena_alloc: `n` bytes aligned to 16, zeroed. NULL only when out of memory.
 */
void *arena_alloc(struct arena *a, size_t n);
/* arena_strndup: a NUL-terminated copy of the first n bytes of s. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* arena_strdup: a copy of s (NULL stays NULL). */
char *arena_strdup(struct arena *a, const char *s);
/* arena_printf: a formatted string in the arena. */
char *arena_printf(struct arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* arena_defer: run fn(arg) at the next reset or free, in reverse order of
 * registration. Returns 0, or RC_NOMEM (fn is then run at once). */
int arena_defer(struct arena *a, void (*fn)(void *), void *arg);
/* arena_reset: run the cleanups and forget every allocation; keeps the first
 * block for reuse. */
void arena_reset(struct arena *a);
/* arena_free: reset and release the arena itself. NULL is a no-op. */
void arena_free(struct arena *a);
/* arena_used: bytes handed out since the last reset (for tests and logs). */
size_t arena_used(const struct arena *a);

#endif
