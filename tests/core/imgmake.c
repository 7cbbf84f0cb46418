/* imgmake: test images from the libraries themselves; see imgmake.h. */
#include "imgmake.h"

#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>
#include <webp/decode.h>
#include <webp/encode.h>

/* sample: channel c of pixel (x, y): gradients, a ring, and some noise. */
static unsigned sample(const struct imgmake *m, unsigned x, unsigned y, int c) {
  uint32_t r = (x * 2654435761u) ^ (y * 40503u) ^ (m->seed * 97u) ^
               ((uint32_t)c * 7919u);
  r ^= r >> 13;
  r *= 0x5bd1e995u;
  r ^= r >> 15;
  if (m->smooth)
    return (c == 0   ? x * 255 / m->width
            : c == 1 ? y * 255 / m->height
                     : 128 + (c == 3) * 127) &
           0xff;
  long dx = (long)x - (long)m->width / 2, dy = (long)y - (long)m->height / 2;
  unsigned ring = (unsigned)((dx * dx + dy * dy) / 64) & 0x3f;
  unsigned v = (x * 255 / (m->width ? m->width : 1)) * (c == 0) +
               (y * 255 / (m->height ? m->height : 1)) * (c == 1) +
               (x + y + m->seed) % 256 * (c == 2) + ring + (r & 0x0f);
  if (c == 3) v = x < m->width / 4 ? 0 : 255 - (y & 0x3f);
  return v & 0xff;
}

/* pixels: width x height x channels bytes (16-bit samples: two each, big
 * endian). */
static unsigned char *pixels(const struct imgmake *m, int channels, int bytes) {
  size_t n = (size_t)m->width * m->height * (size_t)channels * (size_t)bytes;
  unsigned char *p = malloc(n ? n : 1), *q = p;
  if (!p) return NULL;
  for (unsigned y = 0; y < m->height; y++)
    for (unsigned x = 0; x < m->width; x++)
      for (int c = 0; c < channels; c++) {
        unsigned v = sample(m, x, y, c);
        *q++ = (unsigned char)v;
        if (bytes == 2) *q++ = (unsigned char)(v * 7 + x);
      }
  return p;
}

/* ------------------------------------------------------------------ PNG */

struct mem {
  unsigned char *p;
  size_t n, cap;
};

static void mem_put(png_structp png, png_bytep data, size_t n) {
  struct mem *o = png_get_io_ptr(png);
  if (o->n + n > o->cap) {
    size_t cap = (o->n + n) * 2;
    unsigned char *q = realloc(o->p, cap);
    if (!q) png_error(png, "out of memory");
    o->p = q;
    o->cap = cap;
  }
  memcpy(o->p + o->n, data, n);
  o->n += n;
}

static void mem_flush(png_structp png) {
  (void)png;
}

static unsigned char *make_png(const struct imgmake *m, size_t *len) {
  const int depth = m->palette ? 4 : m->depth == 16 ? 16 : 8;
  int ch = m->palette ? 1 : m->channels;
  int ctype = m->palette         ? PNG_COLOR_TYPE_PALETTE
              : m->channels == 1 ? PNG_COLOR_TYPE_GRAY
              : m->channels == 3 ? PNG_COLOR_TYPE_RGB
                                 : PNG_COLOR_TYPE_RGBA;
  unsigned char *pix = pixels(m, ch, depth == 16 ? 2 : 1);
  struct mem out = {0};
  png_structp png =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct(png);
  size_t stride = (size_t)m->width * (size_t)ch * (depth == 16 ? 2 : 1);
  unsigned char *packed = NULL;
  if (!pix || !png || !info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    free(pix);
    free(packed);
    free(out.p);
    return NULL;
  }
  png_set_write_fn(png, &out, mem_put, mem_flush);
  png_set_IHDR(png, info, m->width, m->height, depth, ctype,
               m->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (m->palette) {
    png_color pal[16];
    png_byte alpha[1] = {0};
    for (int i = 0; i < 16; i++)
      pal[i].red = (png_byte)(i * 17), pal[i].green = (png_byte)(255 - i * 17),
      pal[i].blue = (png_byte)(i * 5);
    png_set_PLTE(png, info, pal, 16);
    png_set_tRNS(png, info, alpha, 1, NULL);
    /* Two 4-bit indexes a byte. */
    stride = (m->width + 1) / 2;
    packed = calloc(stride * m->height, 1);
    if (!packed) png_error(png, "out of memory");
    for (unsigned y = 0; y < m->height; y++)
      for (unsigned x = 0; x < m->width; x++)
        packed[y * stride + x / 2] |=
            (unsigned char)((pix[(size_t)y * m->width + x] >> 4)
                            << (x % 2 ? 0 : 4));
  }
  if (m->comment) {
    char key[] = "Comment", *text = strdup(m->comment);
    if (!text) png_error(png, "out of memory");
    png_text t = {.compression = PNG_TEXT_COMPRESSION_NONE,
                  .key = key,
                  .text = text,
                  .text_length = strlen(text)};
    png_set_text(png, info, &t, 1); /* copies */
    free(text);
  }
  png_write_info(png, info);
  unsigned char *base = packed ? packed : pix;
  int passes = png_set_interlace_handling(png);
  for (int p = 0; p < passes; p++)
    for (unsigned y = 0; y < m->height; y++)
      png_write_row(png, base + (size_t)y * stride);
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  free(pix);
  free(packed);
  *len = out.n;
  return out.p;
}

/* ----------------------------------------------------------------- JPEG */

static unsigned char *make_jpeg(const struct imgmake *m, size_t *len) {
  struct jpeg_compress_struct c;
  struct jpeg_error_mgr err;
  int ch = m->channels == 1 ? 1 : 3;
  unsigned char *pix = pixels(m, ch, 1), *out = NULL;
  unsigned long n = 0;
  if (!pix) return NULL;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  jpeg_mem_dest(&c, &out, &n);
  c.image_width = m->width;
  c.image_height = m->height;
  c.input_components = ch;
  c.in_color_space = ch == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, m->quality ? m->quality : 85, TRUE);
  jpeg_scan_info scans[1 + 3 * 63];
  if (m->many_scans) {
    int k = 0;
    scans[k++] = (jpeg_scan_info){
        .comps_in_scan = ch, .component_index = {0, 1, 2}, .Ss = 0, .Se = 0};
    for (int comp = 0; comp < ch; comp++)
      for (int band = 1; band < 64; band++)
        scans[k++] = (jpeg_scan_info){.comps_in_scan = 1,
                                      .component_index = {comp},
                                      .Ss = band,
                                      .Se = band};
    c.scan_info = scans;
    c.num_scans = k;
  } else if (m->progressive) {
    jpeg_simple_progression(&c);
  }
  jpeg_start_compress(&c, TRUE);
  if (m->comment) {
    size_t cl = strlen(m->comment);
    unsigned char *exif = malloc(cl + 6);
    memcpy(exif, "Exif\0\0", 6);
    memcpy(exif + 6, m->comment, cl);
    jpeg_write_marker(&c, JPEG_APP0 + 1, exif, (unsigned)(cl + 6));
    free(exif);
    jpeg_write_marker(&c, JPEG_COM, (const JOCTET *)m->comment, (unsigned)cl);
  }
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = pix + (size_t)c.next_scanline * m->width * (size_t)ch;
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  free(pix);
  *len = n;
  return out;
}

/* ----------------------------------------------------------------- WebP */

static void le32(unsigned char *p, size_t v) {
  p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8);
  p[2] = (unsigned char)(v >> 16), p[3] = (unsigned char)(v >> 24);
}

/* webp_exif: the simple encoder's file as the extended format, with an
 * EXIF chunk holding `text` after the image. */
static unsigned char *webp_exif(const unsigned char *in, size_t n,
                                const struct imgmake *m, const char *text,
                                size_t *len) {
  size_t tl = strlen(text), pad = tl & 1;
  bool extended = memcmp(in + 12, "VP8X", 4) == 0;
  size_t head = extended ? 0 : 18;
  unsigned char *o = malloc(n + head + 8 + tl + pad);
  if (!o) return NULL;
  memcpy(o, in, 12);
  size_t k = 12;
  if (!extended) {
    memcpy(o + k, "VP8X", 4);
    le32(o + k + 4, 10);
    memset(o + k + 8, 0, 10);
    o[k + 8] = m->channels == 4 ? 0x10 : 0;
    le32(o + k + 12, m->width - 1); /* 24 bits, then the next field */
    le32(o + k + 15, m->height - 1);
    o[k + 18] = 0;
    k += 18;
  }
  memcpy(o + k, in + 12, n - 12);
  k += n - 12;
  o[20] |= 0x08; /* EXIF present */
  memcpy(o + k, "EXIF", 4);
  le32(o + k + 4, tl);
  memcpy(o + k + 8, text, tl);
  k += 8 + tl;
  if (pad) o[k++] = 0;
  le32(o + 4, k - 8);
  *len = k;
  return o;
}

static unsigned char *make_webp(const struct imgmake *m, size_t *len) {
  int ch = m->channels == 4 ? 4 : 3;
  unsigned char *pix = pixels(m, ch, 1), *out = NULL;
  if (!pix) return NULL;
  int w = (int)m->width, h = (int)m->height, stride = w * ch;
  float q = (float)(m->quality ? m->quality : 85);
  size_t n;
  if (m->lossless)
    n = ch == 4 ? WebPEncodeLosslessRGBA(pix, w, h, stride, &out)
                : WebPEncodeLosslessRGB(pix, w, h, stride, &out);
  else
    n = ch == 4 ? WebPEncodeRGBA(pix, w, h, stride, q, &out)
                : WebPEncodeRGB(pix, w, h, stride, q, &out);
  free(pix);
  if (!n) return NULL;
  unsigned char *r = malloc(n);
  if (r) memcpy(r, out, n);
  WebPFree(out);
  *len = n;
  if (r && m->comment) {
    unsigned char *x = webp_exif(r, n, m, m->comment, len);
    free(r);
    r = x;
  }
  return r;
}

unsigned char *imgmake(const struct imgmake *m, size_t *len) {
  *len = 0;
  switch (m->type) {
  case IMG_PNG:
    return make_png(m, len);
  case IMG_JPEG:
    return make_jpeg(m, len);
  case IMG_WEBP:
    return make_webp(m, len);
  default:
    return NULL;
  }
}

/* --------------------------------------------------------------- decode */

struct jerr {
  struct jpeg_error_mgr pub;
  jmp_buf jb;
};

static void jerr_exit(j_common_ptr c) {
  longjmp(((struct jerr *)(void *)c->err)->jb, 1);
}

static void jerr_quiet(j_common_ptr c, int level) {
  (void)c, (void)level;
}

static unsigned char *jpeg_rgba(const unsigned char *buf, size_t len,
                                unsigned *w, unsigned *h) {
  struct jpeg_decompress_struct d;
  struct jerr e;
  unsigned char *volatile out = NULL;
  d.err = jpeg_std_error(&e.pub);
  e.pub.error_exit = jerr_exit;
  e.pub.emit_message = jerr_quiet;
  jpeg_create_decompress(&d);
  if (setjmp(e.jb)) {
    jpeg_destroy_decompress(&d);
    free(out);
    return NULL;
  }
  jpeg_mem_src(&d, buf, (unsigned long)len);
  jpeg_read_header(&d, TRUE);
  d.out_color_space = JCS_EXT_RGBA;
  jpeg_start_decompress(&d);
  *w = d.output_width;
  *h = d.output_height;
  out = malloc((size_t)*w * *h * 4);
  if (!out) longjmp(e.jb, 1);
  while (d.output_scanline < d.output_height) {
    JSAMPROW row = out + (size_t)d.output_scanline * *w * 4;
    jpeg_read_scanlines(&d, &row, 1);
  }
  jpeg_finish_decompress(&d);
  jpeg_destroy_decompress(&d);
  return out;
}

struct src {
  const unsigned char *p;
  size_t n, off;
};

static void src_get(png_structp png, png_bytep data, size_t n) {
  struct src *in = png_get_io_ptr(png);
  if (n > in->n - in->off) png_error(png, "truncated");
  memcpy(data, in->p + in->off, n);
  in->off += n;
}

/* png_rgba: libpng's low-level reader with its plain transforms (the
 * simplified API treats 16-bit samples as linear light, and gives other
 * numbers for interlaced ones). */
static unsigned char *png_rgba(const unsigned char *buf, size_t len,
                               unsigned *w, unsigned *h) {
  struct src in = {buf, len, 0};
  png_structp png =
      png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct(png);
  unsigned char *volatile out = NULL;
  if (!png || !info || setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, NULL);
    free(out);
    return NULL;
  }
  png_set_read_fn(png, &in, src_get);
  png_read_png(png, info,
               PNG_TRANSFORM_EXPAND | PNG_TRANSFORM_STRIP_16 |
                   PNG_TRANSFORM_GRAY_TO_RGB,
               NULL);
  *w = png_get_image_width(png, info);
  *h = png_get_image_height(png, info);
  int ch = png_get_channels(png, info);
  png_bytepp rows = png_get_rows(png, info);
  out = malloc((size_t)*w * *h * 4);
  if (!out) png_error(png, "out of memory");
  for (unsigned y = 0; y < *h; y++)
    for (unsigned x = 0; x < *w; x++)
      for (int c = 0; c < 4; c++)
        out[((size_t)y * *w + x) * 4 + (size_t)c] =
            c < ch ? rows[y][(size_t)x * (size_t)ch + (size_t)c] : 255;
  unsigned char *r = out;
  png_destroy_read_struct(&png, &info, NULL);
  return r;
}

unsigned char *imgmake_rgba(const unsigned char *buf, size_t len, unsigned *w,
                            unsigned *h) {
  struct img im;
  if (img_probe(buf, len, &im)) return NULL;
  if (im.type == IMG_JPEG) return jpeg_rgba(buf, len, w, h);
  if (im.type == IMG_WEBP) {
    int iw, ih;
    uint8_t *p = WebPDecodeRGBA(buf, len, &iw, &ih);
    if (!p) return NULL;
    size_t n = (size_t)iw * (size_t)ih * 4;
    unsigned char *r = malloc(n);
    if (r) memcpy(r, p, n);
    WebPFree(p);
    *w = (unsigned)iw;
    *h = (unsigned)ih;
    return r;
  }
  return png_rgba(buf, len, w, h);
}
