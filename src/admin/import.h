/* import: bulk imports of public data sets into Encore (encore-admin). */
#ifndef ENCORE_ADMIN_IMPORT_H
#define ENCORE_ADMIN_IMPORT_H

struct arena;
struct db;
struct kv;

/* admin_import: `import hetrec DIR` — load the HetRec 2011 Last.fm 2K files
 * of DIR (see import.c for the mapping). Prints counts per file on stdout
 * and each malformed line as FILE:LINE on stderr. kv may be NULL. Returns
 * the exit status: 0, 1 on failure (nothing is changed), 2 on bad usage. */
int admin_import(struct db *d, struct kv *kv, struct arena *a, int argc,
                 char **argv);

#endif
