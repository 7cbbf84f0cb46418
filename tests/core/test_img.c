/* test_img: image type and size from JPEG, PNG and WebP headers, and the
 * refusal of truncated, malformed and unknown input (img_probe); uploads
 * decoded and encoded again (imgcodec_reencode): pixels kept, metadata,
 * trailing data and polyglots gone, damaged, oversize and bomb-like input
 * refused before or while decoding. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/img.h"
#include "core/imgcodec.h"
#include "imgmake.h"
#include "t.h"

static size_t be16(unsigned char *p, unsigned v) {
  p[0] = (unsigned char)(v >> 8);
  p[1] = (unsigned char)v;
  return 2;
}
static void be32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

/* png: signature + IHDR of w x h (CRC not checked by img). */
static size_t png(unsigned char *b, uint32_t w, uint32_t h) {
  memcpy(b, "\x89PNG\r\n\x1a\n", 8);
  be32(b + 8, 13);
  memcpy(b + 12, "IHDR", 4);
  be32(b + 16, w);
  be32(b + 20, h);
  memcpy(b + 24, "\x08\x02\x00\x00\x00", 5);
  return 29;
}

/* jpeg: SOI, APP0, a DQT-like segment, then SOFn with h x w. */
static size_t jpeg(unsigned char *b, unsigned sof, unsigned w, unsigned h) {
  size_t n = 0;
  b[n++] = 0xFF, b[n++] = 0xD8;
  b[n++] = 0xFF, b[n++] = 0xE0;
  n += be16(b + n, 16);
  memcpy(b + n, "JFIF\0\x01\x01\0\0\x01\0\x01\0\0", 14);
  n += 14;
  b[n++] = 0xFF, b[n++] = 0xFF; /* a fill byte before the next marker */
  b[n++] = 0xDB;
  n += be16(b + n, 4);
  b[n++] = 0, b[n++] = 0;
  b[n++] = 0xFF, b[n++] = (unsigned char)sof;
  n += be16(b + n, 11);
  b[n++] = 8;
  n += be16(b + n, h);
  n += be16(b + n, w);
  b[n++] = 1, b[n++] = 1, b[n++] = 0x11, b[n++] = 0;
  return n;
}

static size_t webp(unsigned char *b, const char *chunk, const unsigned char *d,
                   size_t dn) {
  memcpy(b, "RIFF\0\0\0\0WEBP", 12);
  memcpy(b + 12, chunk, 4);
  memset(b + 16, 0, 4);
  memcpy(b + 20, d, dn);
  return 20 + dn;
}

static void test_png(void) {
  unsigned char b[64];
  struct img im;
  size_t n = png(b, 640, 480);
  CHECK_INT(img_probe(b, n, &im), 0);
  CHECK_INT(im.type, IMG_PNG);
  CHECK_INT(im.width, 640);
  CHECK_INT(im.height, 480);
  CHECK_INT(img_probe(b, 20, &im), IMG_E_TRUNCATED);
  CHECK_INT(im.type, IMG_PNG);
  CHECK_INT(im.width, 0);
  png(b, 0, 10);
  CHECK_INT(img_probe(b, n, &im), IMG_E_CORRUPT);
  png(b, 0x80000000u, 10);
  CHECK_INT(img_probe(b, n, &im), IMG_E_CORRUPT);
  png(b, 64, 64);
  memcpy(b + 12, "IDAT", 4); /* IHDR must come first */
  CHECK_INT(img_probe(b, n, &im), IMG_E_CORRUPT);
}

static void test_jpeg(void) {
  unsigned char b[128];
  struct img im;
  size_t n = jpeg(b, 0xC0, 1024, 768);
  CHECK_INT(img_probe(b, n, &im), 0);
  CHECK_INT(im.type, IMG_JPEG);
  CHECK_INT(im.width, 1024);
  CHECK_INT(im.height, 768);
  n = jpeg(b, 0xC2, 300, 200); /* progressive */
  CHECK_INT(img_probe(b, n, &im), 0);
  CHECK_INT(im.width, 300);
  CHECK_INT(im.height, 200);
  for (size_t cut = 3; cut < n - 4; cut++) /* cut before the size: refused */
    CHECK(img_probe(b, cut, &im) == IMG_E_TRUNCATED);
  n = jpeg(b, 0xC4, 300, 200); /* DHT is no frame: then the data ends */
  CHECK_INT(img_probe(b, n, &im), IMG_E_TRUNCATED);
  unsigned char sos[] = {0xFF, 0xD8, 0xFF, 0xDA, 0, 2};
  CHECK_INT(img_probe(sos, sizeof sos, &im), IMG_E_CORRUPT);
  unsigned char badlen[] = {0xFF, 0xD8, 0xFF, 0xE0, 0, 1, 0, 0};
  CHECK_INT(img_probe(badlen, sizeof badlen, &im), IMG_E_CORRUPT);
}

static void test_webp(void) {
  unsigned char b[64];
  struct img im;
  /* VP8X: canvas 512 x 256 (stored minus one, 24-bit little endian). */
  unsigned char x[10] = {0, 0, 0, 0, 0xFF, 0x01, 0, 0xFF, 0, 0};
  size_t n = webp(b, "VP8X", x, sizeof x);
  CHECK_INT(img_probe(b, n, &im), 0);
  CHECK_INT(im.type, IMG_WEBP);
  CHECK_INT(im.width, 512);
  CHECK_INT(im.height, 256);
  /* VP8 lossy: frame tag, start code, 14-bit sizes. */
  unsigned char l[10] = {0, 0, 0, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01};
  n = webp(b, "VP8 ", l, sizeof l);
  CHECK_INT(img_probe(b, n, &im), 0);
  CHECK_INT(im.width, 640);
  CHECK_INT(im.height, 480);
  l[3] = 0;
  n = webp(b, "VP8 ", l, sizeof l);
  CHECK_INT(img_probe(b, n, &im), IMG_E_CORRUPT);
  /* VP8L lossless: 0x2f, then width-1 and height-1 in 14 bits each. */
  uint32_t v = (100 - 1) | (uint32_t)(50 - 1) << 14;
  unsigned char ll[5] = {0x2f, (unsigned char)v, (unsigned char)(v >> 8),
                         (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
  n = webp(b, "VP8L", ll, sizeof ll);
  CHECK_INT(img_probe(b, n, &im), 0);
  CHECK_INT(im.width, 100);
  CHECK_INT(im.height, 50);
  CHECK_INT(img_probe(b, n - 1, &im), IMG_E_TRUNCATED);
  n = webp(b, "ALPH", ll, sizeof ll);
  CHECK_INT(img_probe(b, n, &im), IMG_E_CORRUPT);
}

static void test_other(void) {
  struct img im;
  CHECK_INT(img_probe((const unsigned char *)"GIF89a\x10\x00\x10\x00", 10, &im),
            IMG_E_UNKNOWN);
  CHECK_INT(img_probe((const unsigned char *)"", 0, &im), IMG_E_UNKNOWN);
  CHECK_INT(img_probe((const unsigned char *)"\xff\xd8", 2, &im),
            IMG_E_UNKNOWN);
  CHECK_INT(img_type_of_media("image/png"), IMG_PNG);
  CHECK_INT(img_type_of_media("IMAGE/JPEG; q=1"), IMG_JPEG);
  CHECK_INT(img_type_of_media(" image/webp "), IMG_WEBP);
  CHECK_INT(img_type_of_media("image/pngx"), IMG_NONE);
  CHECK_INT(img_type_of_media("image/gif"), IMG_NONE);
  CHECK_INT(img_type_of_media(NULL), IMG_NONE);
  CHECK_STR(img_ext(IMG_JPEG), "jpg");
  CHECK_STR(img_ext(IMG_WEBP), "webp");
  CHECK_HAS(img_error(IMG_E_TRUNCATED), "truncated");
  CHECK_HAS(img_error(IMG_E_SIDES), "64 to 4096");
  CHECK_INT(img_check_size(64, 64), 0);
  CHECK_INT(img_check_size(4096, 4096), 0);
  CHECK_INT(img_check_size(63, 100), IMG_E_SIDES);
  CHECK_INT(img_check_size(100, 4097), IMG_E_SIDES);
  CHECK_INT(img_check_size(0, 0), IMG_E_SIDES);
}

/* test_random: random bytes behind each magic never crash nor read out of
 * bounds (ASan checks the latter). */
static void test_random(void) {
  static const char *const magic[] = {"\xff\xd8\xff", "\x89PNG\r\n\x1a\n",
                                      "RIFF\0\0\0\0WEBPVP8X"};
  srand(7);
  for (int i = 0; i < 3000; i++) {
    size_t m = strlen(magic[i % 3]) + (i % 3 == 2 ? 12 : 0);
    size_t n = m + (size_t)(rand() % 40);
    unsigned char *b = malloc(n);
    memcpy(b, i % 3 == 2 ? "RIFF\0\0\0\0WEBPVP8X" : magic[i % 3], m);
    for (size_t j = m; j < n; j++)
      b[j] = (unsigned char)rand();
    struct img im;
    int rc = img_probe(b, n, &im);
    CHECK(rc == 0 ? im.width > 0 && im.height > 0 : rc < 0);
    free(b);
  }
}

/* ------------------------------------------------------- imgcodec_reencode */

static struct arena *A;

static bool has(const unsigned char *b, size_t n, const char *needle) {
  return memmem(b, n, needle, strlen(needle)) != NULL;
}

/* make: imgmake, failing the test run when the library refuses. */
static unsigned char *make(struct imgmake m, size_t *n) {
  unsigned char *b = imgmake(&m, n);
  CHECK(b != NULL && *n > 0);
  if (!b) exit(1);
  return b;
}

/* pixel_diff: the mean absolute difference of two images' RGBA samples, or
 * -1 when either does not decode or their sizes differ. */
static double pixel_diff(const unsigned char *a, size_t an,
                         const unsigned char *b, size_t bn) {
  unsigned aw, ah, bw, bh;
  unsigned char *pa = imgmake_rgba(a, an, &aw, &ah);
  unsigned char *pb = imgmake_rgba(b, bn, &bw, &bh);
  double d = -1;
  if (pa && pb && aw == bw && ah == bh) {
    size_t n = (size_t)aw * ah * 4;
    unsigned long long sum = 0;
    for (size_t i = 0; i < n; i++)
      sum += (unsigned)abs((int)pa[i] - (int)pb[i]);
    d = (double)sum / (double)n;
  }
  free(pa);
  free(pb);
  return d;
}

/* test_roundtrip: every kind of upload keeps its type and size; PNG, JPEG
 * (coefficients) and lossless WebP keep every pixel; PNG and JPEG output
 * encodes to itself again. */
static void test_roundtrip(void) {
  static const struct imgmake cases[] = {
      {.type = IMG_PNG, .width = 64, .height = 64, .seed = 1, .channels = 1},
      {.type = IMG_PNG, .width = 100, .height = 70, .seed = 2, .channels = 3},
      {.type = IMG_PNG, .width = 80, .height = 90, .seed = 3, .channels = 4},
      {.type = IMG_PNG,
       .width = 64,
       .height = 65,
       .seed = 4,
       .channels = 1,
       .depth = 16},
      {.type = IMG_PNG,
       .width = 70,
       .height = 64,
       .seed = 5,
       .channels = 3,
       .depth = 16,
       .interlace = true},
      {.type = IMG_PNG, .width = 65, .height = 64, .seed = 6, .palette = true},
      {.type = IMG_PNG,
       .width = 96,
       .height = 96,
       .seed = 7,
       .channels = 4,
       .interlace = true},
      {.type = IMG_JPEG, .width = 120, .height = 80, .seed = 8, .channels = 3},
      {.type = IMG_JPEG, .width = 64, .height = 64, .seed = 9, .channels = 1},
      {.type = IMG_JPEG,
       .width = 97,
       .height = 66,
       .seed = 10,
       .channels = 3,
       .progressive = true},
      {.type = IMG_WEBP, .width = 90, .height = 64, .seed = 11, .channels = 3},
      {.type = IMG_WEBP, .width = 64, .height = 80, .seed = 12, .channels = 4},
      {.type = IMG_WEBP,
       .width = 72,
       .height = 72,
       .seed = 13,
       .channels = 4,
       .lossless = true},
      {.type = IMG_WEBP,
       .width = 64,
       .height = 64,
       .seed = 14,
       .channels = 3,
       .lossless = true},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const struct imgmake *m = &cases[i];
    size_t n;
    unsigned char *in = make(*m, &n);
    struct imgcodec_out o, again;
    CHECK_INT(imgcodec_reencode(A, in, n, m->type, &o), 0);
    CHECK_INT(o.type, m->type);
    CHECK_INT(o.width, m->width);
    CHECK_INT(o.height, m->height);
    CHECK(o.data && o.len > 0);
    double d = pixel_diff(in, n, o.data, o.len);
    bool lossy = m->type == IMG_WEBP && !m->lossless;
    if (lossy)
      CHECK(d >= 0 && d < 6);
    else
      CHECK(d == 0);
    if (d != 0 && !lossy) fprintf(stderr, "case %zu: pixels differ\n", i);
    CHECK_INT(imgcodec_reencode(A, o.data, o.len, IMG_NONE, &again), 0);
    CHECK_INT(again.width, m->width);
    if (m->type != IMG_WEBP)
      CHECK(again.len == o.len && memcmp(again.data, o.data, o.len) == 0);
    if (m->type == IMG_PNG) CHECK_INT(o.data[28], 0); /* not interlaced */
    if (m->type == IMG_JPEG)
      CHECK(has(o.data, o.len, "\xff\xc2") == m->progressive);
    free(in);
    arena_reset(A);
  }
}

/* test_metadata: text chunks, Exif (with its GPS position), comments and
 * EXIF chunks are not in what is stored. */
static void test_metadata(void) {
  static const char secret[] = "GPSLatitude 48.858370 N 2.294481 E home";
  const enum img_type types[] = {IMG_PNG, IMG_JPEG, IMG_WEBP};
  for (int i = 0; i < 3; i++) {
    size_t n;
    unsigned char *in = make((struct imgmake){types[i], 80, 64, 20,
                                              .channels = 3, .comment = secret},
                             &n);
    CHECK(has(in, n, "GPSLatitude"));
    struct imgcodec_out o;
    CHECK_INT(imgcodec_reencode(A, in, n, types[i], &o), 0);
    CHECK(!has(o.data, o.len, "GPSLatitude"));
    CHECK(!has(o.data, o.len, "Exif"));
    CHECK(!has(o.data, o.len, "EXIF"));
    CHECK(!has(o.data, o.len, "tEXt"));
    if (types[i] == IMG_JPEG) {
      CHECK(!has(o.data, o.len, "\xff\xe1")); /* APP1 */
      CHECK(!has(o.data, o.len, "\xff\xfe")); /* COM */
    }
    free(in);
    arena_reset(A);
  }
}

/* test_polyglot: an image followed by HTML (or a script, or a second file)
 * is stored as the image alone, ending where its format ends. */
static void test_polyglot(void) {
  static const char html[] =
      "<html><body><script>alert(document.domain)</script></body></html>";
  const enum img_type types[] = {IMG_PNG, IMG_JPEG, IMG_WEBP};
  for (int i = 0; i < 3; i++) {
    size_t n;
    unsigned char *img = make(
        (struct imgmake){types[i], 64, 64, 30 + (unsigned)i, .channels = 3},
        &n);
    unsigned char *in = malloc(n + sizeof html);
    memcpy(in, img, n);
    memcpy(in + n, html, sizeof html);
    struct imgcodec_out o;
    CHECK_INT(imgcodec_reencode(A, in, n + sizeof html, types[i], &o), 0);
    CHECK(!has(o.data, o.len, "<html"));
    CHECK(!has(o.data, o.len, "script"));
    CHECK(pixel_diff(img, n, o.data, o.len) >= 0);
    if (types[i] == IMG_PNG)
      CHECK(o.len > 12 && memcmp(o.data + o.len - 12,
                                 "\0\0\0\0IEND\xae\x42\x60\x82", 12) == 0);
    if (types[i] == IMG_JPEG)
      CHECK(o.len > 2 && o.data[o.len - 2] == 0xff &&
            o.data[o.len - 1] == 0xd9);
    if (types[i] == IMG_WEBP) {
      uint32_t riff = (uint32_t)o.data[4] | (uint32_t)o.data[5] << 8 |
                      (uint32_t)o.data[6] << 16 | (uint32_t)o.data[7] << 24;
      CHECK(riff + 8 == o.len);
    }
    free(img);
    free(in);
    arena_reset(A);
  }
  /* HTML inside a PNG text chunk goes too. */
  size_t n;
  unsigned char *in = make((struct imgmake){.type = IMG_PNG,
                                            .width = 64,
                                            .height = 64,
                                            .seed = 33,
                                            .channels = 1,
                                            .comment = html},
                           &n);
  struct imgcodec_out o;
  CHECK_INT(imgcodec_reencode(A, in, n, IMG_PNG, &o), 0);
  CHECK(!has(o.data, o.len, "<html"));
  free(in);
  arena_reset(A);
}

/* test_truncated: an upload cut anywhere is refused, never stored with
 * its missing part filled in. */
static void test_truncated(void) {
  static const struct imgmake cases[] = {
      {.type = IMG_PNG, .width = 96, .height = 96, .seed = 40, .channels = 3},
      {.type = IMG_PNG,
       .width = 96,
       .height = 96,
       .seed = 41,
       .channels = 3,
       .interlace = true},
      {.type = IMG_JPEG, .width = 96, .height = 96, .seed = 42, .channels = 3},
      {.type = IMG_JPEG,
       .width = 96,
       .height = 96,
       .seed = 43,
       .channels = 3,
       .progressive = true},
      {.type = IMG_WEBP, .width = 96, .height = 96, .seed = 44, .channels = 3},
      {.type = IMG_WEBP,
       .width = 96,
       .height = 96,
       .seed = 45,
       .channels = 4,
       .lossless = true},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t n;
    unsigned char *in = make(cases[i], &n);
    struct imgcodec_out o;
    int truncated = 0;
    for (size_t cut = 1; cut < n; cut += cut < 64 || cut > n - 64 ? 1 : 37) {
      int rc = imgcodec_reencode(A, in, cut, cases[i].type, &o);
      CHECK(rc < 0);
      if (rc >= 0)
        fprintf(stderr, "case %zu: cut at %zu/%zu stored\n", i, cut, n);
      CHECK(o.data == NULL && o.len == 0);
      truncated += rc == IMG_E_TRUNCATED;
      arena_reset(A);
    }
    CHECK(truncated > 0);
    CHECK_INT(imgcodec_reencode(A, in, n / 2, cases[i].type, &o),
              IMG_E_TRUNCATED);
    free(in);
    arena_reset(A);
  }
}

static void put_be32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

/* test_oversize: sides out of bounds are refused, real or only claimed by
 * a header (a decompression bomb is refused before anything is
 * decoded); so are a JPEG of too many scans, an animation, another type
 * than announced and damaged data. */
static void test_oversize(void) {
  static const struct imgmake big[] = {
      {.type = IMG_PNG, .width = 4097, .height = 64, .seed = 50, .channels = 1},
      {.type = IMG_PNG, .width = 63, .height = 64, .seed = 51, .channels = 1},
      {.type = IMG_JPEG,
       .width = 64,
       .height = 5000,
       .seed = 52,
       .channels = 1},
      {.type = IMG_WEBP,
       .width = 4100,
       .height = 64,
       .seed = 53,
       .channels = 3},
  };
  struct imgcodec_out o;
  for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
    size_t n;
    unsigned char *in = make(big[i], &n);
    CHECK_INT(imgcodec_reencode(A, in, n, big[i].type, &o), IMG_E_SIDES);
    free(in);
  }
  /* A small PNG whose header claims 30000 x 30000 pixels (3.6 GB of
   * RGBA): refused from its header. */
  size_t n;
  unsigned char *in = make((struct imgmake){.type = IMG_PNG,
                                            .width = 64,
                                            .height = 64,
                                            .seed = 54,
                                            .channels = 4},
                           &n);
  put_be32(in + 16, 30000);
  put_be32(in + 20, 30000);
  CHECK_INT(imgcodec_reencode(A, in, n, IMG_PNG, &o), IMG_E_SIDES);
  free(in);
  /* A JPEG whose header says 4096 x 4096 with hardly any data: within the
   * caps, then refused by the decoder (its data ends at EOI too early). */
  in = make((struct imgmake){.type = IMG_JPEG,
                             .width = 64,
                             .height = 64,
                             .seed = 55,
                             .channels = 1},
            &n);
  for (size_t i = 2; i + 8 < n; i++)
    if (in[i] == 0xff && in[i + 1] == 0xc0) {
      in[i + 5] = 0x10, in[i + 6] = 0, in[i + 7] = 0x10, in[i + 8] = 0;
      break;
    }
  CHECK_INT(imgcodec_reencode(A, in, n, IMG_JPEG, &o), IMG_E_CORRUPT);
  free(in);
  /* 190 progressive scans: refused while reading, at the 65th. */
  in = make((struct imgmake){.type = IMG_JPEG,
                             .width = 64,
                             .height = 64,
                             .seed = 56,
                             .channels = 3,
                             .many_scans = true},
            &n);
  CHECK_INT(imgcodec_reencode(A, in, n, IMG_JPEG, &o), IMG_E_COMPLEX);
  free(in);
  /* An animated WebP (VP8X with the animation flag, then ANIM). */
  unsigned char anim[] = "RIFF\x24\0\0\0WEBPVP8X\x0a\0\0\0\x02\0\0\0\x63\0\0"
                         "\x63\0\0ANIM\x06\0\0\0\0\0\0\0\0\0";
  CHECK_INT(imgcodec_reencode(A, anim, sizeof anim - 1, IMG_WEBP, &o),
            IMG_E_ANIMATED);
  /* Another type than announced, and no image at all. */
  in = make((struct imgmake){.type = IMG_PNG,
                             .width = 64,
                             .height = 64,
                             .seed = 57,
                             .channels = 1},
            &n);
  CHECK_INT(imgcodec_reencode(A, in, n, IMG_JPEG, &o), IMG_E_MISMATCH);
  CHECK_INT(imgcodec_reencode(A, in, n, IMG_NONE, &o), 0);
  CHECK_INT(
      imgcodec_reencode(A, (const unsigned char *)"<html>", 6, IMG_NONE, &o),
      IMG_E_UNKNOWN);
  /* A damaged IDAT (its CRC fails). */
  in[n - 20] ^= 0x55;
  CHECK_INT(imgcodec_reencode(A, in, n, IMG_PNG, &o), IMG_E_CORRUPT);
  free(in);
  arena_reset(A);
}

/* test_mutations: real images with random bytes changed never crash the
 * decoders nor leak (ASan), and whatever is accepted encodes again. */
static void test_mutations(void) {
  static const struct imgmake seeds[] = {
      {.type = IMG_PNG, .width = 64, .height = 64, .seed = 60, .channels = 3},
      {.type = IMG_PNG,
       .width = 64,
       .height = 64,
       .seed = 61,
       .palette = true,
       .interlace = true},
      {.type = IMG_JPEG, .width = 64, .height = 64, .seed = 62, .channels = 3},
      {.type = IMG_JPEG,
       .width = 64,
       .height = 64,
       .seed = 63,
       .channels = 3,
       .progressive = true},
      {.type = IMG_WEBP, .width = 64, .height = 64, .seed = 64, .channels = 3},
      {.type = IMG_WEBP,
       .width = 64,
       .height = 64,
       .seed = 65,
       .channels = 4,
       .lossless = true},
  };
  srand(11);
  for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
    size_t n;
    unsigned char *in = make(seeds[i], &n);
    unsigned char *m = malloc(n);
    for (int k = 0; k < 150; k++) {
      memcpy(m, in, n);
      for (int f = 0; f <= k % 4; f++)
        m[rand() % (int)n] = (unsigned char)rand();
      struct imgcodec_out o, again;
      int rc = imgcodec_reencode(A, m, n, IMG_NONE, &o);
      CHECK(rc <= 0 && rc != IMG_E_NOMEM);
      if (rc == 0)
        CHECK_INT(imgcodec_reencode(A, o.data, o.len, o.type, &again), 0);
      arena_reset(A);
    }
    free(m);
    free(in);
  }
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  T_CASE(test_png);
  T_CASE(test_jpeg);
  T_CASE(test_webp);
  T_CASE(test_other);
  T_CASE(test_random);
  A = arena_new(0);
  T_CASE(test_roundtrip);
  T_CASE(test_metadata);
  T_CASE(test_polyglot);
  T_CASE(test_truncated);
  T_CASE(test_oversize);
  T_CASE(test_mutations);
  arena_free(A);
  T_DONE();
}
