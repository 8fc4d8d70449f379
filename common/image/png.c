/* PNG decoding with libpng (include/yolo/image/png.h). */
#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "yolo/image/png.h"

#define READ_STEP 512

static unsigned long be32(const unsigned char *p)
{
    return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 | p[3];
}

/* Channels of a PNG colour type at a bit depth, as the PNG specification's
 * table allows them; 0 for a pair it does not. */
static int png_channels(int ctype, int depth)
{
    int low = depth == 1 || depth == 2 || depth == 4, std = depth == 8 || depth == 16;
    switch (ctype) {
    case 0: return low || std ? 1 : 0;              /* gray */
    case 2: return std ? 3 : 0;                     /* RGB */
    case 3: return low || depth == 8 ? 1 : 0;       /* palette */
    case 4: return std ? 2 : 0;                     /* gray + alpha */
    case 6: return std ? 4 : 0;                     /* RGBA */
    default: return 0;
    }
}

int img_png_size(const unsigned char *head, size_t n, size_t file_len, const char *path, int *w,
                 int *h, yerr *err)
{
    /* signature (8), IHDR's length and type (8), its 13 bytes */
    if (n < 8 + 8 + 13)
        return yerr_set(err, YOLO_EINPUT, "%s: not a readable PNG (it ends in its header)", path);
    const unsigned char *d = head + 16;
    if (be32(head + 8) != 13 || memcmp(head + 12, "IHDR", 4) != 0)
        return yerr_set(err, YOLO_EINPUT, "%s: not a readable PNG (no IHDR chunk first)", path);
    unsigned long pw = be32(d), ph = be32(d + 4);
    int depth = d[8], ctype = d[9], ch = png_channels(ctype, depth);
    if (pw == 0 || ph == 0 || pw > INT_MAX || ph > INT_MAX)
        return yerr_set(err, YOLO_EINPUT, "%s: not a readable PNG (its size %lu x %lu)", path, pw,
                        ph);
    if (!ch || d[10] != 0 || d[11] != 0 || d[12] > 1)
        return yerr_set(err, YOLO_EINPUT, "%s: not a readable PNG (IHDR: bit depth %d, colour "
                        "type %d, methods %d %d %d)", path, depth, ctype, d[10], d[11], d[12]);
    /* the rows' bytes, each with its filter byte (an interlaced file's are more) */
    double rows = (double)ph * (1 + ((double)pw * depth * ch + 7) / 8);
    if (rows > (double)IMG_DEFLATE_RATIO * file_len)
        return yerr_set(err, YOLO_EINPUT, "%s: its header says %lu x %lu, more than a PNG of %zu "
                        "bytes can hold (deflate expands a byte into %d at most): truncated or "
                        "corrupt", path, pw, ph, file_len, IMG_DEFLATE_RATIO);
    *w = (int)pw, *h = (int)ph;
    return 0;
}

/* One decode: libpng reads from buf; what was decoded is in out. */
typedef struct png_job {
    const unsigned char *buf;
    size_t len, pos;
    char fatal[256];        /* libpng's error message */
    img *out;               /* [3, h, w] */
    unsigned char *px;      /* a row [w, 3], or an interlaced file's rows [h, w, 3] */
    int interlaced;
    int rows;               /* rows in out (plain files), or 1 once a pass began */
} png_job;

static void job_read(png_structp p, png_bytep to, size_t n)
{
    png_job *j = png_get_io_ptr(p);
    if (n > j->len - j->pos)
        png_error(p, "the file ends early");
    memcpy(to, j->buf + j->pos, n);
    j->pos += n;
}

static void job_error(png_structp p, png_const_charp msg)
{
    png_job *j = png_get_error_ptr(p);
    snprintf(j->fatal, sizeof j->fatal, "%s", msg);
    png_longjmp(p, 1);
}

/* Warnings are about ancillary chunks (a bad profile, a CRC in a text
 * chunk): the pixels are not touched, so they go unreported. */
static void job_warning(png_structp p, png_const_charp msg)
{
    (void)p, (void)msg;
}

/* libpng's transforms to 8-bit RGB, as png.h says. */
static void to_rgb8(png_structp p, png_infop info)
{
    int ctype = png_get_color_type(p, info), depth = png_get_bit_depth(p, info);
    if (depth == 16)
        png_set_strip_16(p);
    if (ctype == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(p);
    if (!(ctype & PNG_COLOR_MASK_COLOR)) {
        if (depth < 8)
            png_set_expand_gray_1_2_4_to_8(p);
        png_set_gray_to_rgb(p);
    }
    png_set_strip_alpha(p);
}

/* The rows of an interlaced file: every pass into j->px, which starts grey
 * so that pixels no pass reached stay so. */
static void read_passes(png_structp p, png_job *j, int passes)
{
    size_t stride = (size_t)j->out->w * 3;
    memset(j->px, 128, stride * j->out->h);
    j->rows = 1;
    for (int k = 0; k < passes; k++)
        for (int y = 0; y < j->out->h; y++)
            png_read_row(p, j->px + y * stride, NULL);
}

/* Header, transforms, rows. 0, or -1 / IMG_ENOMEM (err); a libpng error
 * returns 1 with j->fatal. */
static int run_job(png_job *j, png_structp p, png_infop info, const char *path, yerr *err)
{
    if (setjmp(png_jmpbuf(p)))
        return 1;
    png_read_info(p, info);
    to_rgb8(p, info);
    int passes = png_set_interlace_handling(p);
    png_read_update_info(p, info);
    int w = (int)png_get_image_width(p, info), h = (int)png_get_image_height(p, info);
    if (png_get_rowbytes(p, info) != (size_t)w * 3)
        return yerr_set(err, YOLO_EINPUT, "%s: PNG rows of %zu bytes where 3 a pixel were "
                        "wanted", path, (size_t)png_get_rowbytes(p, info));
    j->interlaced = passes > 1;
    size_t nbytes = (size_t)w * 3 * (j->interlaced ? (size_t)h : 1);
    if (img_start(j->out, w, h, err) != 0 || !(j->px = malloc(nbytes))) {
        yerr_set(err, YOLO_EIO, "%s: out of memory for %d x %d pixels", path, w, h);
        return IMG_ENOMEM;
    }
    if (j->interlaced) {
        read_passes(p, j, passes);
        return 0;
    }
    for (int y = 0; y < h; y++) {
        png_read_row(p, j->px, NULL);
        img_put_row(j->out, y, j->px, 3);
        j->rows = y + 1;
    }
    return 0;   /* what follows the rows (png_read_end) is not needed */
}

/* An interlaced file's rows, from j->px into j->out. */
static void put_passes(png_job *j)
{
    for (int y = 0; y < j->out->h; y++)
        img_put_row(j->out, y, j->px + (size_t)y * j->out->w * 3, 3);
}

/* After a libpng error in the rows: the image as far as it goes and the
 * note, or (strict, or no row yet) the refusal. */
static int damaged(png_job *j, const char *path, yerr *warn, yerr *err)
{
    if (!img_started(j->out))
        return yerr_set(err, YOLO_EINPUT, "%s: not a readable PNG (libpng: %s)", path, j->fatal);
    if (!warn || j->rows == 0)
        return yerr_set(err, YOLO_EINPUT, "%s: corrupt PNG (libpng: %s%s)", path, j->fatal,
                        j->rows ? "" : ", before its first row");
    if (j->interlaced)
        put_passes(j);
    else
        img_fill_grey(j->out, j->rows);
    int grey = img_grey_tail(j->out);
    char rows[96] = "";
    if (grey > 0)
        snprintf(rows, sizeof rows, ", the rows it could not read grey (the last %d of %d)", grey,
                 j->out->h);
    yerr_set(warn, YOLO_EINPUT, "%s: truncated or corrupt PNG (libpng: %s): decoded as viewers "
             "show it%s", path, j->fatal, rows);
    return 0;
}

int img_png_decode(const unsigned char *buf, size_t len, const char *path, img *out, yerr *warn,
                   yerr *err)
{
    png_job j = {.buf = buf, .len = len, .out = out};
    *out = (img){.fit = out->fit};   /* img_load_fit's, kept */
    png_structp p = png_create_read_struct(PNG_LIBPNG_VER_STRING, &j, job_error, job_warning);
    png_infop info = p ? png_create_info_struct(p) : NULL;
    int rc;
    if (!info) {
        yerr_set(err, YOLO_EIO, "%s: out of memory starting the PNG decoder", path);
        rc = IMG_ENOMEM;
    } else {
        png_set_read_fn(p, &j, job_read);
        /* libpng asks for image data this many bytes at a time (8 KiB by
         * default): in a file cut short, what came before the failed read
         * is what gets decoded, so small reads keep more of it */
        png_set_compression_buffer_size(p, READ_STEP);
        rc = run_job(&j, p, info, path, err);
        if (rc == 1)
            rc = damaged(&j, path, warn, err);
        else if (rc == 0 && j.interlaced)
            put_passes(&j);
    }
    png_destroy_read_struct(&p, &info, NULL);
    if (rc != 0)
        img_free(out);
    free(j.px);
    return rc;
}
