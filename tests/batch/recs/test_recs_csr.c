/* test_recs_csr.c: encore-recs sparse matrices, seeded hold-out splits and
 * the HetRec reader's handling of malformed lines. */
#include "batch/recs/csr.h"
#include "batch/recs/dataset.h"
#include "batch/recs/hetrec.h"
#include "batch/recs/split.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "t.h"

static void test_build(void) {
  struct csr_triplet t[] = {{1, 2, 1}, {0, 3, 2}, {1, 0, 4}, {1, 2, 5}};
  struct csr m, mt;
  CHECK_INT(csr_build(&m, 3, 4, t, 4), 0);
  CHECK_INT(m.nnz, 3); /* (1,2) summed */
  CHECK_INT(m.ptr[1], 1);
  CHECK_INT(m.ptr[2], 3);
  CHECK_INT(m.ptr[3], 3); /* empty last row */
  CHECK_INT(m.idx[1], 0);
  CHECK_INT(m.idx[2], 2);
  CHECK(m.val[2] == 6);
  CHECK(csr_has(&m, 1, 2) && !csr_has(&m, 1, 3) && !csr_has(&m, 2, 0));
  CHECK_INT(csr_transpose(&mt, &m), 0);
  CHECK_INT(mt.nrows, 4);
  CHECK(csr_has(&mt, 2, 1) && csr_has(&mt, 3, 0) && csr_has(&mt, 0, 1));
  CHECK_INT(mt.ptr[4], 3);
  csr_free(&m);
  csr_free(&mt);
  struct csr_triplet bad[] = {{0, 9, 1}};
  CHECK_INT(csr_build(&m, 1, 4, bad, 1), -1);
  csr_free(&m);
  CHECK_INT(csr_build(&m, 2, 2, NULL, 0), 0); /* empty is fine */
  CHECK_INT(m.nnz, 0);
  csr_free(&m);
}

/* 20 users: user u has 3 + u items (3..22), values = item + 1. */
static void make_ui(struct csr *m) {
  struct csr_triplet t[600];
  int n = 0;
  for (int u = 0; u < 20; u++)
    for (int i = 0; i < 3 + u; i++)
      t[n++] = (struct csr_triplet){u, (i * 7 + u) % 40, (float)(i + 1)};
  CHECK_INT(csr_build(m, 20, 40, t, n), 0);
}

static void test_split(void) {
  struct csr ui;
  struct split a, b, c, cold;
  make_ui(&ui);
  CHECK_INT(split_holdout(&a, &ui, 5, 0.2, 7, 0, 0), 0);
  CHECK_INT(split_holdout(&b, &ui, 5, 0.2, 7, 0, 0), 0);
  CHECK_INT(split_holdout(&c, &ui, 5, 0.2, 8, 0, 0), 0);
  CHECK_INT(a.n_eval, 18); /* users with >= 5 items */
  CHECK_INT(a.eval_users[0], 2);
  int differ = 0;
  for (int u = 0; u < 20; u++) {
    int len = (int)(ui.ptr[u + 1] - ui.ptr[u]);
    int nte = (int)(a.test.ptr[u + 1] - a.test.ptr[u]);
    int ntr = (int)(a.train.ptr[u + 1] - a.train.ptr[u]);
    int want = len < 5 ? 0 : (len / 5 < 1 ? 1 : len / 5);
    CHECK_INT(nte, want);
    CHECK_INT(ntr + nte, len);
    for (int64_t k = a.test.ptr[u]; k < a.test.ptr[u + 1]; k++) {
      CHECK(csr_has(&ui, u, a.test.idx[k]));
      CHECK(!csr_has(&a.train, u, a.test.idx[k])); /* disjoint */
      CHECK(b.test.idx[k] == a.test.idx[k]);       /* same seed */
      differ |=
          c.test.ptr[u] != a.test.ptr[u] || c.test.idx[k] != a.test.idx[k];
    }
  }
  CHECK(differ); /* another seed, another split */
  /* Cold: about half the eligible users keep 2 training items and only they
   * are evaluated; the others stay whole. */
  CHECK_INT(split_holdout(&cold, &ui, 5, 0.2, 7, 0.5, 2), 0);
  CHECK(cold.n_eval > 0 && cold.n_eval < 18);
  for (int k = 0; k < cold.n_eval; k++) {
    int u = cold.eval_users[k];
    CHECK_INT(cold.train.ptr[u + 1] - cold.train.ptr[u], 2);
  }
  CHECK_INT(cold.train.ptr[1] - cold.train.ptr[0], 3);
  split_free(&a);
  split_free(&b);
  split_free(&c);
  split_free(&cold);
  csr_free(&ui);
}

static void write_file(const char *dir, const char *name, const char *text) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  CHECK(f != NULL);
  if (!f) return;
  fputs(text, f);
  fclose(f);
}

static void test_hetrec(void) {
  char dir[] = "/tmp/encore-recs-test-XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  write_file(dir, "user_artists.dat",
             "userID\tartistID\tweight\n"
             "2\t51\t100\n"
             "2\t52\tabc\n" /* malformed */
             "3\t51\t7\n"
             "3\t99999999999\t1\n" /* id out of range */
             "3\n"                 /* too few fields */
             "3\t60\t5\n");
  write_file(dir, "user_friends.dat",
             "userID\tfriendID\n2\t3\n3\t2\n2\t777\nx\n");
  write_file(
      dir, "user_taggedartists.dat",
      "userID\tartistID\ttagID\tday\tmonth\tyear\n"
      "2\t51\t1\t1\t4\t2009\n3\t51\t2\t1\t4\t2009\n3\t60\t2\t1\t4\t2009\n"
      "2\t\t\n");
  struct dataset d;
  CHECK_INT(hetrec_load(&d, dir), 0);
  CHECK_INT(d.n_users, 2);
  CHECK_INT(d.n_items, 2); /* 51 and 60: the line naming 52 is malformed */
  CHECK_INT(d.ui.nnz, 3);
  CHECK_INT(d.social.nnz, 2); /* 2<->3; 777 has no plays */
  CHECK_INT(d.n_tags, 2);
  CHECK_INT(d.item_id[1], 60);
  CHECK_INT(d.n_tagged, 3); /* one by one, for features from a split */
  CHECK_INT(d.tagged[2].user, 1);
  CHECK_INT(d.tagged[2].item, 1);
  CHECK_INT(d.tags.nnz, 3); /* (51: tags 1, 2), (60: tag 2) */
  dataset_free(&d);
  char p[512];
  const char *names[] = {"user_artists.dat", "user_friends.dat",
                         "user_taggedartists.dat"};
  for (int k = 0; k < 3; k++) {
    snprintf(p, sizeof p, "%s/%s", dir, names[k]);
    unlink(p);
  }
  CHECK_INT(hetrec_load(&d, dir), -1); /* no plays file */
  rmdir(dir);
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  T_CASE(test_build);
  T_CASE(test_split);
  T_CASE(test_hetrec);
  T_DONE();
}
