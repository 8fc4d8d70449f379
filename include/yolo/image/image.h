/* Images: JPEG files in, pixels out, and darknet's resize and letterbox.
 *
 * An img is darknet's layout: planar [c, h, w] floats, RGB order, each value
 * a byte / 255 (so in [0, 1]). Resize and letterbox reproduce darknet's
 * resize_image and letterbox_image bit for bit (tests/darknet/ checks it). */
#ifndef YOLO_IMAGE_H
#define YOLO_IMAGE_H

#include "yolo/base/err.h"

/* Decoding bounds: past them img_load refuses the file (YOLO_EINPUT). On
 * top of them a header may not claim more pixels than its file can hold
 * (img_load, img_read_size): a Huffman-coded JPEG spends at least one bit
 * on each 8x8 block's DC coefficient, so n bytes hold at most 512 n pixels
 * (IMG_JPEG_PX_PER_BYTE; an arithmetic-coded JPEG could hold more, and is
 * refused past it too); deflate expands a byte into at most 1032
 * (IMG_DEFLATE_RATIO, zlib's limit), so a PNG of n bytes holds at most
 * 1032 n bytes of rows. A file cut short keeps its header's claim, so this
 * also refuses files with almost all of their data missing. */
#define IMG_MAX_SIDE 30000
#define IMG_MAX_PIXELS (512L * 1024 * 1024)
#define IMG_JPEG_PX_PER_BYTE 512
#define IMG_DEFLATE_RATIO 1032

/* img_load's status when memory ran out (err: YOLO_EIO): the machine's
 * problem, not the file's, so callers stop the run instead of skipping the
 * record (the exit-code table's 3). */
#define IMG_ENOMEM (-2)

struct img_fit;

typedef struct img {
    int w, h, c;
    float *data; /* [c, h, w], one allocation; NULL when empty */
    struct img_fit *fit;   /* img_load_fit's decode: rows go through the resize as they
                              come (image.c), never into data; NULL otherwise */
} img;

/* How an image was put into a net_w x net_h network input, as
 * docs/records.md section 3 defines it: net_x = sx * x + dx, and the same
 * for y. Doubles, so the ratios of whole sizes are kept closely. */
typedef struct img_transform {
    int net_w, net_h;
    double sx, sy, dx, dy;
} img_transform;

/* The formats img_load and img_read_size read, told by the file's first
 * bytes, never by its name (a PNG named x.jpg is read as a PNG): JPEG (FF
 * D8), PNG (its 8-byte signature; png.c) and BMP ("BM"; bmp.c). */
typedef enum { IMG_UNKNOWN, IMG_JPEG, IMG_PNG, IMG_BMP } img_format;
img_format img_format_of(const unsigned char *head, size_t len);

/* Width and height from an image file's header, without decoding the
 * image: reads only as far as the header. A missing file is YOLO_EIO; a
 * file that is none of the formats, a broken header or a size past the
 * bounds above is YOLO_EINPUT, with the path in the message. */
int img_read_size(const char *path, int *w, int *h, yerr *err);

/* Allocates a zeroed w x h x c image (w, h, c > 0). Out of memory: YOLO_EIO. */
int img_alloc(img *im, int w, int h, int c, yerr *err);
/* Frees im's pixels and empties it; an empty img is a no-op. */
void img_free(img *im);

/* Decodes a JPEG, PNG or BMP file into a 3-channel img (*out is
 * overwritten, not freed).
 *
 * JPEG: grayscale becomes three equal planes, CMYK/YCCK is converted to RGB
 * as OpenCV does. Decoding matches OpenCV's imread (which Debian's darknet
 * uses): libjpeg-turbo with the accurate integer DCT and fancy upsampling.
 * EXIF orientation is NOT applied (OpenCV's imread would apply it).
 * PNG and BMP: as png.h and bmp.h say (darknet's pixels too: alpha dropped,
 * 16-bit samples cut to their high byte).
 *
 * Damaged image data that the decoder gets through with a warning (a file
 * cut short, "Premature end of JPEG file"; corrupt entropy data; a PNG
 * whose rows stop) gives the picture every viewer shows, for a JPEG PIL's
 * pixels exactly (tests/unit/test_image.c): what could not be read is grey
 * 128 (in a progressive JPEG cut in a later scan, less detail instead). The
 * image is returned and *warn gets a one-line message (code YOLO_EINPUT)
 * naming the path, the decoder's warning and how many rows at the bottom
 * are grey, for the caller to report or refuse (--strict); without a
 * warning warn->code is 0. warn NULL: such a file is refused. A file that
 * ends before its image data, a warning in the header, and a JPEG warning
 * followed by an error are refused either way.
 * Missing or unreadable file: YOLO_EIO; not one of the formats, a broken
 * header, data the decoder stops on, or too large (IMG_MAX_*, or more than
 * the file can hold): YOLO_EINPUT naming the path. Out of memory:
 * IMG_ENOMEM with YOLO_EIO. The decode never holds more than the float
 * image and a row of bytes (an interlaced PNG: and its bytes). */
int img_load(const char *path, img *out, yerr *warn, yerr *err);

/* Decodes path, as img_load does, straight into the w x h network input
 * *dst: letterboxed (letterbox 1, img_letterbox) or stretched
 * (img_resize), *t the transform. The bits are img_load then
 * img_letterbox / img_resize's, but the whole image is never held: each
 * decoded row goes through the resize's first pass (along x) at once, so
 * the decode holds [3, src_h, new_w] floats and a row, not [3, src_h,
 * src_w] (a 20000 x 20000 JPEG into 416 x 416: 100 MB, not 4.8 GB).
 * *src_w, *src_h: the image's own size. Returns as img_load. */
int img_load_fit(const char *path, int w, int h, int letterbox, img *dst, img_transform *t,
                 int *src_w, int *src_h, yerr *warn, yerr *err);

/* For the decoders: the image's size is known; *im (made by img_load or
 * img_load_fit) gets its pixels, or its fitted decode's buffers. */
int img_start(img *im, int w, int h, yerr *err);
/* Whether img_start has given im somewhere for its rows. */
int img_started(const img *im);

/* Row y of im (3 channels) from interleaved bytes px [im->w, ps], ps 3
 * (RGB) or 4 (Adobe's inverted CMYK, converted as OpenCV does); each value
 * a byte / 255 in double, as darknet's `/255.`. For the decoders. */
void img_put_row(img *im, int y, const unsigned char *px, int ps);

/* A w x h picture given as bytes rgb [h][w][3] (a video frame) into a new
 * 3-channel img, each value a byte / 255 as the decoders make it. 0, or
 * IMG_ENOMEM (err: YOLO_EIO). */
int img_from_rgb(const unsigned char *rgb, int w, int h, img *out, yerr *err);

/* img_from_rgb then img_letterbox (letterbox 1) or img_resize into the w x
 * h network input *dst, bit for bit, *t the transform, without the float
 * picture: each row of bytes goes through the resize's first pass at once
 * (as img_load_fit's decode), the rows shared among OpenMP's threads when
 * called outside a parallel region (a video frame into darknet-forward's
 * batch of one). 0, or -1 with err set (out of memory: YOLO_EIO; a
 * letterbox to nothing: YOLO_EINPUT). */
int img_fit_rgb(const unsigned char *rgb, int src_w, int src_h, int w, int h, int letterbox,
                img *dst, img_transform *t, yerr *err);

/* The rows at the bottom of im that are all grey 128 / 255: where a decoder
 * had no data (a cut JPEG's zero coefficients, a cut PNG's rows left as
 * img_fill_grey made them). */
int img_grey_tail(const img *im);

/* Sets rows y0 to im->h - 1 of every plane to grey 128 / 255. */
void img_fill_grey(img *im, int y0);

/* darknet's resize_image: src (any w, h, c) resampled to a new w x h x c
 * image in *dst (w, h >= 1). Bilinear, along x into a w x src->h temporary
 * and then along y, with darknet's sample points c * (src_w - 1) / (w - 1)
 * and its edge rules (the last column and row take src's last one; the
 * last row keeps only the (1 - dy) share). For h == 1 darknet computes
 * 0 * inf (NaN); here row 0 of the temporary is used instead. */
int img_resize(const img *src, int w, int h, img *dst, yerr *err);

/* The window win = {x0, y0, x1, y1} (0 <= x0 < x1 <= w, likewise y) of
 * img_resize(src, w, h), the same bits, as a new (x1 - x0) x (y1 - y0)
 * image: only the source rows and the columns the window needs are
 * resampled (a mosaic tile shows a part of its image). */
int img_resize_window(const img *src, int w, int h, const int win[4], img *dst, yerr *err);

/* The transform img_resize applies (a stretch: dx = dy = 0). */
img_transform img_resize_transform(int src_w, int src_h, int w, int h);

/* darknet's letterbox_image: src scaled (img_resize) to fit w x h keeping
 * its aspect (darknet's rule, integer new size), pasted at ((w - new_w) / 2,
 * (h - new_h) / 2) (integer division) onto a w x h image filled with 0.5.
 * *t (may be NULL) gets sx = new_w / src_w, sy = new_h / src_h and the
 * paste offset as dx, dy: the values actually used. */
int img_letterbox(const img *src, int w, int h, img *dst, img_transform *t, yerr *err);

/* HSV to RGB as darknet's hsv_to_rgb does it, the project's one conversion:
 * for the HSV jitter of images (aug_hsv_to_rgb, float pixels) and for draw's
 * class colours (doubles). h in [0, 1]: k = floor(6h) picks the sector, k >= 5
 * the last (so h = 1 too); s = 0 is the grey v. in_float: every step rounded
 * to float, which gives bit for bit what the formula gives in float
 * arithmetic when h, s and v are floats (a double holds each step's value of
 * two floats closely enough that rounding it to float is the float
 * operation's own rounding); otherwise all in double. rgb: [r, g, b]. */
void img_hsv_to_rgb(double h, double s, double v, int in_float, double rgb[3]);

#endif
