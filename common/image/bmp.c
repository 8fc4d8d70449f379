/* BMP decoding (include/yolo/image/bmp.h): the uncompressed kinds, read by
 * hand (every field little-endian). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/image/bmp.h"

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned le16(const unsigned char *p) { return p[0] | (unsigned)p[1] << 8; }

/* What the headers say, checked against the file. */
typedef struct bmp_info {
    int w, h;          /* h positive; top_down says the order */
    int top_down;
    int bpp;           /* 8, 24 or 32 */
    size_t stride;     /* bytes a row, padded to 4 */
    size_t pixels_at;  /* the rows' offset in the file */
    size_t palette_at; /* 8 bits: the palette's offset ([B, G, R, 0] each) */
    uint32_t colours;  /* 8 bits: its entries */
} bmp_info;

/* Reads and checks the headers. 0, or -1 with err. */
static int bmp_parse(const unsigned char *b, size_t n, size_t file_len, const char *path,
                     bmp_info *bi, yerr *err)
{
    if (n < 54)
        return yerr_set(err, YOLO_EINPUT, "%s: not a readable BMP (it ends in its header)", path);
    uint32_t dib = le32(b + 14), comp = le32(b + 30);
    int32_t w = (int32_t)le32(b + 18), h = (int32_t)le32(b + 22);
    bi->bpp = (int)le16(b + 28);
    if (dib != 40 && dib != 52 && dib != 56 && dib != 108 && dib != 124)
        return yerr_set(err, YOLO_EINPUT, "%s: a BMP with a %u-byte info header is not read "
                        "(BITMAPINFOHEADER, V4 or V5 are)", path, (unsigned)dib);
    if (comp != 0 || (bi->bpp != 8 && bi->bpp != 24 && bi->bpp != 32))
        return yerr_set(err, YOLO_EINPUT, "%s: a BMP of %d bits a pixel, compression %u, is not "
                        "read (uncompressed 8, 24 and 32 bits are)", path, bi->bpp,
                        (unsigned)comp);
    if (w <= 0 || h == 0 || h == INT32_MIN)
        return yerr_set(err, YOLO_EINPUT, "%s: not a readable BMP (its size %d x %d)", path,
                        (int)w, (int)h);
    bi->w = (int)w, bi->top_down = h < 0, bi->h = (int)(h < 0 ? -h : h);
    bi->stride = ((size_t)bi->w * bi->bpp + 31) / 32 * 4;
    bi->pixels_at = le32(b + 10);
    bi->palette_at = 14 + (size_t)dib;
    bi->colours = bi->bpp == 8 ? (le32(b + 46) ? le32(b + 46) : 256) : 0;
    if (bi->colours > 256 || bi->palette_at + 4 * (size_t)bi->colours > bi->pixels_at)
        return yerr_set(err, YOLO_EINPUT, "%s: not a readable BMP (a palette of %u colours "
                        "before its rows at %zu)", path, (unsigned)bi->colours, bi->pixels_at);
    if ((double)bi->stride * bi->h > (double)file_len - (double)bi->pixels_at)
        return yerr_set(err, YOLO_EINPUT, "%s: truncated BMP (its %d x %d rows need %.0f bytes "
                        "from offset %zu, the file has %zu)", path, bi->w, bi->h,
                        (double)bi->stride * bi->h, bi->pixels_at, file_len);
    return 0;
}

int img_bmp_size(const unsigned char *head, size_t n, size_t file_len, const char *path, int *w,
                 int *h, yerr *err)
{
    bmp_info bi;
    if (bmp_parse(head, n, file_len, path, &bi, err) != 0)
        return -1;
    *w = bi.w, *h = bi.h;
    return 0;
}

/* One stored row (src) as RGB bytes (rgb [w, 3]). */
static void row_to_rgb(const bmp_info *bi, const unsigned char *pal, const unsigned char *src,
                       unsigned char *rgb)
{
    for (int x = 0; x < bi->w; x++) {
        const unsigned char *bgr = bi->bpp == 8 ? pal + 4 * (size_t)src[x]
                                                : src + (size_t)x * (bi->bpp / 8);
        if (bi->bpp == 8 && src[x] >= bi->colours)
            bgr = pal;   /* an index past the palette (a malformed file): its first colour */
        rgb[3 * x] = bgr[2], rgb[3 * x + 1] = bgr[1], rgb[3 * x + 2] = bgr[0];
    }
}

int img_bmp_decode(const unsigned char *buf, size_t len, const char *path, img *out, yerr *warn,
                   yerr *err)
{
    bmp_info bi;
    *out = (img){.fit = out->fit};   /* img_load_fit's, kept */
    if (warn)
        warn->code = 0;
    if (bmp_parse(buf, len, len, path, &bi, err) != 0)
        return -1;
    unsigned char *rgb = malloc((size_t)bi.w * 3);
    if (!rgb || img_start(out, bi.w, bi.h, err) != 0) {
        free(rgb);
        yerr_set(err, YOLO_EIO, "%s: out of memory for %d x %d pixels", path, bi.w, bi.h);
        return IMG_ENOMEM;
    }
    for (int y = 0; y < bi.h; y++) {
        size_t stored = bi.top_down ? (size_t)y : (size_t)(bi.h - 1 - y);
        row_to_rgb(&bi, buf + bi.palette_at, buf + bi.pixels_at + stored * bi.stride, rgb);
        img_put_row(out, y, rgb, 3);
    }
    free(rgb);
    return 0;
}
