/* app: the per-process state of an API worker: configuration and the
 * connections opened after fork. Handlers reach it through `app`. */
#ifndef ENCORE_APP_H
#define ENCORE_APP_H

#include "core/cfg.h"

struct db;
struct kv;

struct app {
  struct cfg cfg;
  struct db *db;
  struct kv *kv;
};

extern struct app app;

#endif
