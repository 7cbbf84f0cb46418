/* hetrec.c: reads the HetRec 2011 Last.fm 2K data set (user_artists.dat,
 * user_friends.dat, user_taggedartists.dat) into struct dataset. Artists
 * are the items; only users and artists that have play counts exist. The
 * taggings are kept one by one (features.c builds each fit's tag rows). */
#include "batch/recs/hetrec.h"

#include "batch/recs/csr.h"
#include "batch/recs/dataset.h"
#include "batch/recs/features.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Ids from this on are treated as malformed: the id maps are dense arrays
 * (16 MB each). HetRec's ids are below 20,000. */
#define MAX_ID (1 << 22)

/* A growable triplet list. */
struct tlist {
  struct csr_triplet *t;
  int64_t n, cap;
};

static int tl_push(struct tlist *l, int r, int c, float v) {
  if (l->n == l->cap) {
    int64_t cap = l->cap ? l->cap * 2 : 4096;
    struct csr_triplet *t = realloc(l->t, (size_t)cap * sizeof *t);
    if (!t) return -1;
    l->t = t;
    l->cap = cap;
  }
  l->t[l->n++] = (struct csr_triplet){r, c, v};
  return 0;
}

/* parse_ints: n tab/space separated non-negative integers at the start of
 * line (more fields may follow). Returns 0 or -1. */
static int parse_ints(const char *line, long *v, int n) {
  const char *p = line;
  for (int i = 0; i < n; i++) {
    char *end;
    while (*p == ' ' || *p == '\t')
      p++;
    if (*p < '0' || *p > '9') return -1;
    errno = 0;
    v[i] = strtol(p, &end, 10);
    if (errno || end == p || v[i] < 0 || v[i] >= MAX_ID) return -1;
    if (*end && *end != ' ' && *end != '\t' && *end != '\n' && *end != '\r')
      return -1;
    p = end;
  }
  return 0;
}

/* read_file: call fn for each data line of dir/name (the header line is
 * skipped); malformed lines are added to *bad and the first ten of each
 * file reported with file:line (a damaged file would otherwise bury the
 * log), then a count per file. Returns 0, -1 when the file cannot be
 * opened, -2 when out of memory. */
typedef int (*line_fn)(void *arg, const char *line);
static int read_file(const char *dir, const char *name, line_fn fn, void *arg,
                     long *bad) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char *line = NULL;
  size_t cap = 0;
  long no = 0, nbad = 0;
  while (getline(&line, &cap, f) > 0) {
    no++;
    if (no == 1 && (line[0] < '0' || line[0] > '9')) continue; /* header */
    if (line[0] == '\n' || line[0] == '\r') continue;
    int rc = fn(arg, line);
    if (rc < 0) {
      if (++nbad <= 10)
        fprintf(stderr, "%s:%ld: malformed line skipped\n", path, no);
    } else if (rc > 1) {
      free(line);
      fclose(f);
      return -2; /* out of memory */
    }
  }
  free(line);
  fclose(f);
  if (nbad) fprintf(stderr, "%s: %ld malformed lines skipped\n", path, nbad);
  *bad += nbad;
  return 0;
}

struct load {
  struct tlist l;
  int *umap, *imap; /* external id -> dense index, or -1 */
  int *tmap;
  int n_tags;
  struct dataset_tagging *g; /* the taggings, ng of gcap */
  int64_t ng, gcap;
};

static int on_play(void *arg, const char *line) {
  struct load *ld = arg;
  long v[3];
  if (parse_ints(line, v, 3)) return -1;
  return tl_push(&ld->l, (int)v[0], (int)v[1], (float)v[2]) ? 2 : 0;
}

static int on_friend(void *arg, const char *line) {
  struct load *ld = arg;
  long v[2];
  if (parse_ints(line, v, 2)) return -1;
  int a = ld->umap[v[0]], b = ld->umap[v[1]];
  if (a < 0 || b < 0 || a == b) return 0; /* users without plays */
  if (tl_push(&ld->l, a, b, 1) || tl_push(&ld->l, b, a, 1)) return 2;
  return 0;
}

/* on_tag: one tagging; its user is -1 when they played nothing. */
static int on_tag(void *arg, const char *line) {
  struct load *ld = arg;
  long v[3];
  if (parse_ints(line, v, 3)) return -1;
  int i = ld->imap[v[1]];
  if (i < 0) return 0; /* an artist nobody played */
  if (ld->tmap[v[2]] < 0) ld->tmap[v[2]] = ld->n_tags++;
  if (ld->ng == ld->gcap) {
    int64_t cap = ld->gcap ? ld->gcap * 2 : 4096;
    struct dataset_tagging *g = realloc(ld->g, (size_t)cap * sizeof *g);
    if (!g) return 2;
    ld->g = g;
    ld->gcap = cap;
  }
  ld->g[ld->ng++] = (struct dataset_tagging){
      .user = ld->umap[v[0]], .item = i, .tag = ld->tmap[v[2]]};
  return 0;
}

int hetrec_load(struct dataset *d, const char *dir) {
  struct load ld = {0};
  long bad = 0;
  int rc = -1;
  memset(d, 0, sizeof *d);
  ld.umap = malloc(MAX_ID * sizeof(int));
  ld.imap = malloc(MAX_ID * sizeof(int));
  ld.tmap = malloc(MAX_ID * sizeof(int));
  if (!ld.umap || !ld.imap || !ld.tmap) goto out;
  memset(ld.umap, 0xff, MAX_ID * sizeof(int));
  memset(ld.imap, 0xff, MAX_ID * sizeof(int));
  memset(ld.tmap, 0xff, MAX_ID * sizeof(int));

  int r = read_file(dir, "user_artists.dat", on_play, &ld, &bad);
  if (r == -1) {
    fprintf(stderr, "%s/user_artists.dat: %s\n", dir, strerror(errno));
    goto out;
  }
  if (r < 0) goto oom;
  /* Dense indices in order of external id, so runs are reproducible. */
  for (int64_t k = 0; k < ld.l.n; k++) {
    ld.umap[ld.l.t[k].row] = 1;
    ld.imap[ld.l.t[k].col] = 1;
  }
  d->user_id = malloc(sizeof(int64_t) * (size_t)(ld.l.n + 1));
  d->item_id = malloc(sizeof(int64_t) * (size_t)(ld.l.n + 1));
  if (!d->user_id || !d->item_id) goto oom;
  for (int id = 0; id < MAX_ID; id++) {
    if (ld.umap[id] == 1) {
      d->user_id[d->n_users] = id;
      ld.umap[id] = d->n_users++;
    }
    if (ld.imap[id] == 1) {
      d->item_id[d->n_items] = id;
      ld.imap[id] = d->n_items++;
    }
  }
  for (int64_t k = 0; k < ld.l.n; k++) {
    ld.l.t[k].row = ld.umap[ld.l.t[k].row];
    ld.l.t[k].col = ld.imap[ld.l.t[k].col];
  }
  if (csr_build(&d->ui, d->n_users, d->n_items, ld.l.t, ld.l.n)) goto oom;
  /* A zero play count says nothing; duplicates were summed. */
  ld.l.n = 0;

  r = read_file(dir, "user_friends.dat", on_friend, &ld, &bad);
  if (r == -2) goto oom;
  if (csr_build(&d->social, d->n_users, d->n_users, ld.l.t, ld.l.n)) goto oom;
  for (int64_t k = 0; k < d->social.nnz; k++)
    d->social.val[k] = 1;
  ld.l.n = 0;

  r = read_file(dir, "user_taggedartists.dat", on_tag, &ld, &bad);
  if (r == -2) goto oom;
  d->n_tags = ld.n_tags;
  d->tagged = ld.g;
  d->n_tagged = ld.ng;
  ld.g = NULL;
  if (features_build(&d->tags, d, NULL)) goto oom;
  if (bad)
    fprintf(stderr, "%s: %ld malformed lines skipped in all\n", dir, bad);
  rc = 0;
  goto out;
oom:
  fprintf(stderr, "%s: out of memory\n", dir);
out:
  free(ld.l.t);
  free(ld.umap);
  free(ld.imap);
  free(ld.tmap);
  free(ld.g);
  if (rc) dataset_free(d);
  return rc;
}
