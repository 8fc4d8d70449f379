/* Images: JPEG files in, pixels out, and darknet's resize and letterbox.
 *
 * An img is darknet's layout: planar [c, h, w] floats, RGB order, each value
 * a byte / 255 (so in [0, 1]). Resize and letterbox reproduce darknet's
 * resize_image and letterbox_image bit for bit (tests/darknet/ checks it). */
#ifndef YOLO_IMAGE_H
#define YOLO_IMAGE_H

#include "yolo/base/err.h"

/* Decoding bounds: past them img_load_jpeg refuses the file (YOLO_EINPUT). */
#define IMG_MAX_SIDE 30000
#define IMG_MAX_PIXELS (512L * 1024 * 1024)

typedef struct img {
    int w, h, c;
    float *data; /* [c, h, w], one allocation; NULL when empty */
} img;

/* How an image was put into a net_w x net_h network input, as
 * docs/records.md section 3 defines it: net_x = sx * x + dx, and the same
 * for y. Doubles, so the ratios of whole sizes are kept closely. */
typedef struct img_transform {
    int net_w, net_h;
    double sx, sy, dx, dy;
} img_transform;

/* Width and height from a JPEG file's header, without decoding the image:
 * reads only as far as the frame header. A missing file is YOLO_EIO; a file
 * that is not a readable JPEG is YOLO_EINPUT, with the path in the message. */
int img_jpeg_size(const char *path, int *w, int *h, yerr *err);

/* Allocates a zeroed w x h x c image (w, h, c > 0). Out of memory: YOLO_EIO. */
int img_alloc(img *im, int w, int h, int c, yerr *err);
/* Frees im's pixels and empties it; an empty img is a no-op. */
void img_free(img *im);

/* Decodes a JPEG file into a 3-channel img (*out is overwritten, not freed).
 * Grayscale becomes three equal planes, CMYK/YCCK is converted to RGB as
 * OpenCV does. Decoding matches OpenCV's imread (which Debian's darknet
 * uses): libjpeg-turbo with the accurate integer DCT and fancy upsampling.
 * EXIF orientation is NOT applied (OpenCV's imread would apply it).
 *
 * Damaged image data that libjpeg-turbo decodes with a warning (a file cut
 * short, "Premature end of JPEG file"; corrupt entropy data) gives the
 * picture every viewer shows, PIL's pixels exactly (tests/unit/test_image.c):
 * what could not be read is grey 128 (in a progressive file cut in a later
 * scan, less detail instead). The image is returned and *warn gets a
 * one-line message (code YOLO_EINPUT) naming the path, libjpeg-turbo's
 * warning and how many rows at the bottom are grey, for the caller to
 * report or refuse (--strict); without a warning warn->code is 0. warn
 * NULL: such a file is refused. A file that ends before its image data, a
 * warning in the header, and a warning followed by an error are refused
 * either way.
 * Missing or unreadable file: YOLO_EIO; not a JPEG, a broken header, data
 * libjpeg-turbo stops on, or too large (IMG_MAX_*): YOLO_EINPUT naming the
 * path. */
int img_load_jpeg(const char *path, img *out, yerr *warn, yerr *err);

/* darknet's resize_image: src (any w, h, c) resampled to a new w x h x c
 * image in *dst (w, h >= 1). Bilinear, along x into a w x src->h temporary
 * and then along y, with darknet's sample points c * (src_w - 1) / (w - 1)
 * and its edge rules (the last column and row take src's last one; the
 * last row keeps only the (1 - dy) share). For h == 1 darknet computes
 * 0 * inf (NaN); here row 0 of the temporary is used instead. */
int img_resize(const img *src, int w, int h, img *dst, yerr *err);

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
