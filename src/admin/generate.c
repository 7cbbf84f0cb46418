/* generate: placeholder. */
#include "admin/generate.h"
int admin_generate(struct db *d, struct kv *kv, struct arena *a, int argc,
                   char **argv) {
  (void)d; (void)kv; (void)a; (void)argc; (void)argv;
  return 1;
}
