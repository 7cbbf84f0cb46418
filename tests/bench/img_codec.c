/* img_codec: the upload benchmark's images and the codec's own cost.
 *
 *   img_codec samples DIR   write the benchmark samples (made by
 *                           tests/core/imgmake.c): typical covers and the
 *                           largest an upload may be (4096 x 4096 under the
 *                           1 MiB body cap); img_upload.py sends them
 *   img_codec corpus DIR    small images of every kind, with metadata,
 *                           trailing HTML, truncated (tests/fuzz/corpus/img)
 *   img_codec time DIR [N]  CPU time of imgcodec_reencode (what an upload
 *                           costs since images are re-encoded) and of
 *                           img_probe (all an upload cost before) for each
 *                           image of DIR, the median of N runs (5) */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/imgmake.h"
#include "core/arena.h"
#include "core/imgcodec.h"

struct sample {
  const char *name;
  struct imgmake m;
  const char *tail; /* appended after the image */
  int cut;          /* bytes cut off the end */
};

static const char html[] = "<html><script>alert(document.domain)</script>";

static const struct sample bench[] = {
    {.name = "jpeg-640.jpg",
     .m = {.type = IMG_JPEG,
           .width = 640,
           .height = 640,
           .seed = 1,
           .channels = 3,
           .quality = 85}},
    {.name = "jpeg-1200.jpg",
     .m = {.type = IMG_JPEG,
           .width = 1200,
           .height = 1200,
           .seed = 2,
           .channels = 3,
           .quality = 75}},
    {.name = "jpeg-1200-progressive.jpg",
     .m = {.type = IMG_JPEG,
           .width = 1200,
           .height = 1200,
           .seed = 3,
           .channels = 3,
           .quality = 75,
           .progressive = true}},
    {.name = "png-300.png",
     .m = {.type = IMG_PNG,
           .width = 300,
           .height = 300,
           .seed = 4,
           .channels = 3}},
    {.name = "png-600-palette.png",
     .m = {.type = IMG_PNG,
           .width = 600,
           .height = 600,
           .seed = 5,
           .palette = true}},
    {.name = "webp-640.webp",
     .m = {.type = IMG_WEBP,
           .width = 640,
           .height = 640,
           .seed = 6,
           .channels = 3,
           .quality = 80}},
    {.name = "webp-1200.webp",
     .m = {.type = IMG_WEBP,
           .width = 1200,
           .height = 1200,
           .seed = 7,
           .channels = 3,
           .quality = 75}},
    {.name = "webp-400-lossless.webp",
     .m = {.type = IMG_WEBP,
           .width = 400,
           .height = 400,
           .seed = 8,
           .channels = 4,
           .lossless = true}},
    /* The most work one upload can ask for: the largest size, smooth so
     * that it fits the 1 MiB body. */
    {.name = "max-jpeg-4096.jpg",
     .m = {.type = IMG_JPEG,
           .width = 4096,
           .height = 4096,
           .seed = 9,
           .channels = 3,
           .smooth = true}},
    {.name = "max-png-4096.png",
     .m = {.type = IMG_PNG,
           .width = 4096,
           .height = 4096,
           .seed = 10,
           .channels = 3,
           .smooth = true}},
    {.name = "max-webp-4096.webp",
     .m = {.type = IMG_WEBP,
           .width = 4096,
           .height = 4096,
           .seed = 11,
           .channels = 3,
           .smooth = true}},
    {.name = "max-webp-4096-lossless.webp",
     .m = {.type = IMG_WEBP,
           .width = 4096,
           .height = 4096,
           .seed = 12,
           .channels = 3,
           .smooth = true,
           .lossless = true}},
};

static const struct sample corpus[] = {
    {.name = "real_png_gray",
     .m = {.type = IMG_PNG,
           .width = 64,
           .height = 64,
           .seed = 1,
           .channels = 1}},
    {.name = "real_png_rgba",
     .m = {.type = IMG_PNG,
           .width = 64,
           .height = 66,
           .seed = 2,
           .channels = 4}},
    {.name = "real_png_rgb16_adam7",
     .m = {.type = IMG_PNG,
           .width = 65,
           .height = 64,
           .seed = 3,
           .channels = 3,
           .depth = 16,
           .interlace = true}},
    {.name = "real_png_palette_trns",
     .m = {.type = IMG_PNG,
           .width = 67,
           .height = 64,
           .seed = 4,
           .palette = true}},
    {.name = "real_png_text_html",
     .m = {.type = IMG_PNG,
           .width = 64,
           .height = 64,
           .seed = 5,
           .channels = 1,
           .comment = html}},
    {.name = "real_png_html_after",
     .m =
         {.type = IMG_PNG, .width = 64, .height = 64, .seed = 6, .channels = 1},
     .tail = html},
    {.name = "real_png_cut",
     .m =
         {.type = IMG_PNG, .width = 64, .height = 64, .seed = 7, .channels = 3},
     .cut = 200},
    {.name = "real_jpeg_baseline",
     .m = {.type = IMG_JPEG,
           .width = 64,
           .height = 64,
           .seed = 8,
           .channels = 3}},
    {.name = "real_jpeg_gray",
     .m = {.type = IMG_JPEG,
           .width = 64,
           .height = 72,
           .seed = 9,
           .channels = 1}},
    {.name = "real_jpeg_progressive",
     .m = {.type = IMG_JPEG,
           .width = 70,
           .height = 64,
           .seed = 10,
           .channels = 3,
           .progressive = true}},
    {.name = "real_jpeg_exif_trailing",
     .m = {.type = IMG_JPEG,
           .width = 64,
           .height = 64,
           .seed = 11,
           .channels = 3,
           .comment = "GPSLatitude 48.8"},
     .tail = html},
    {.name = "real_jpeg_many_scans",
     .m = {.type = IMG_JPEG,
           .width = 64,
           .height = 64,
           .seed = 12,
           .channels = 3,
           .many_scans = true}},
    {.name = "real_jpeg_cut",
     .m = {.type = IMG_JPEG,
           .width = 64,
           .height = 64,
           .seed = 13,
           .channels = 3},
     .cut = 300},
    {.name = "real_webp_lossy",
     .m = {.type = IMG_WEBP,
           .width = 64,
           .height = 64,
           .seed = 14,
           .channels = 3}},
    {.name = "real_webp_lossy_alpha",
     .m = {.type = IMG_WEBP,
           .width = 64,
           .height = 64,
           .seed = 15,
           .channels = 4}},
    {.name = "real_webp_lossless",
     .m = {.type = IMG_WEBP,
           .width = 64,
           .height = 64,
           .seed = 16,
           .channels = 4,
           .lossless = true}},
    {.name = "real_webp_exif",
     .m = {.type = IMG_WEBP,
           .width = 64,
           .height = 64,
           .seed = 17,
           .channels = 3,
           .comment = "GPSLatitude 48.8"},
     .tail = html},
};

static int write_all(const char *dir, const struct sample *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    size_t len;
    unsigned char *b = imgmake(&s[i].m, &len);
    if (!b) {
      fprintf(stderr, "img_codec: cannot make %s\n", s[i].name);
      return 1;
    }
    if (s[i].cut && (size_t)s[i].cut < len) len -= (size_t)s[i].cut;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, s[i].name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b, 1, len, f) != len ||
        (s[i].tail && fputs(s[i].tail, f) < 0) || fclose(f) != 0) {
      perror(path);
      return 1;
    }
    free(b);
  }
  return 0;
}

static double cpu_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* median_ms: the median CPU time of n runs of one image, through
 * imgcodec_reencode (probe_only: img_probe). */
static double median_ms(struct arena *a, const unsigned char *b, size_t len,
                        int n, bool probe_only, struct imgcodec_out *o,
                        int *rc) {
  double t[64];
  for (int i = 0; i < n; i++) {
    arena_reset(a);
    double t0 = cpu_ms();
    if (probe_only) {
      struct img im;
      *rc = img_probe(b, len, &im);
    } else {
      *rc = imgcodec_reencode(a, b, len, IMG_NONE, o);
    }
    t[i] = cpu_ms() - t0;
  }
  qsort(t, (size_t)n, sizeof t[0], cmp_double);
  return t[n / 2];
}

static int time_all(const char *dir, int n) {
  struct dirent **names;
  int k = scandir(dir, &names, NULL, alphasort);
  if (k < 0) {
    perror(dir);
    return 1;
  }
  struct arena *a = arena_new(0);
  printf("| sample | bytes in | bytes out | img_probe ms | re-encode ms |\n");
  printf("|---|---:|---:|---:|---:|\n");
  for (int i = 0; i < k; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
    FILE *f = names[i]->d_name[0] == '.' ? NULL : fopen(path, "rb");
    static unsigned char buf[2 << 20];
    size_t len = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f) fclose(f);
    if (len) {
      struct imgcodec_out o;
      int rc;
      double probe = median_ms(a, buf, len, n, true, &o, &rc);
      double full = median_ms(a, buf, len, n, false, &o, &rc);
      printf("| %s | %zu | %zu | %.3f | %.1f%s |\n", names[i]->d_name, len,
             rc ? 0 : o.len, probe, full, rc ? " (refused)" : "");
    }
    free(names[i]);
  }
  free(names);
  arena_free(a);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "samples") == 0)
    return write_all(argv[2], bench, sizeof bench / sizeof bench[0]);
  if (argc == 3 && strcmp(argv[1], "corpus") == 0)
    return write_all(argv[2], corpus, sizeof corpus / sizeof corpus[0]);
  if ((argc == 3 || argc == 4) && strcmp(argv[1], "time") == 0) {
    int n = argc == 4 ? atoi(argv[3]) : 5;
    return time_all(argv[2], n < 1 ? 1 : n > 64 ? 64 : n);
  }
  fprintf(stderr, "usage: img_codec samples DIR | corpus DIR | time DIR [N]\n");
  return 2;
}
