/* Detection augmentation as darknet's load_data_detection does it: the
 * image placed on a grey network-sized canvas at a random aspect, scale and
 * offset, its colours shifted in HSV, mirrored half the time. The pixels go
 * through img_resize (the project's one resampler) and the transform records
 * exactly the sizes and offsets used, so boxes follow the pixels
 * (docs/records.md section 3: net_x = sx * x + dx; a mirror has sx < 0).
 *
 *     aug_config a = aug_defaults();      darknet's defaults, then cfg/options
 *     yrng r; aug_record_rng(&r, seed, record_number);
 *     aug_image(&a, &im, 416, 416, &r, &out, &t, &err);
 *
 * Beyond darknet's (the pixels only; the boxes that follow them are
 * common/loss/view.c's): a mosaic of four images in the quadrants around a
 * random centre (aug_mosaic_sample, aug_tile), a random affine map of the
 * whole picture (aug_affine_sample, aug_warp) and the blend of two
 * pictures (aug_blend, mixup).
 */
#ifndef YOLO_AUGMENT_H
#define YOLO_AUGMENT_H

#include <stdint.h>

#include "yolo/base/err.h"
#include "yolo/image/image.h"
#include "yolo/base/rng.h"

#define AUG_MAX_JITTER 0.9    /* the side keeps at least a tenth */
#define AUG_MAX_SCALE 4.0

typedef struct aug_config {
    int enabled;              /* 0: no augmentation, the input darknet-forward makes */
    int resize;               /* without augmentation: 1 stretch, 0 letterbox */
    double jitter;            /* each side of the aspect ratio varies by +-jitter */
    double scale_lo, scale_hi;/* the longer side, as a fraction of the network's */
    double hue;               /* hue shift drawn in [-hue, hue] (fraction of the circle) */
    double saturation;        /* saturation scaled by s or 1/s, s drawn in [1, saturation] */
    double exposure;          /* value (brightness) likewise */
    int flip;                 /* mirror half of the images */
    double affine_scale;      /* aug_affine_sample: scale drawn in [1 - s, 1 + s] */
    double affine_translate;  /* shift drawn in [-t, t] of the side, each axis */
    double degrees;           /* rotation drawn in [-d, d] degrees */
} aug_config;

/* What one image drew: the values aug_image applies. */
typedef struct aug_draw {
    double aspect;            /* the image's aspect ratio (w / h) is multiplied by this */
    double scale;
    double ux, uy;            /* offsets, uniform in [0, 1): fraction of the free room */
    double dhue, dsat, dexp;
    int flip;
} aug_draw;

/* darknet's defaults: jitter .2, scale 1, hue 0, saturation 1, exposure 1
 * (no colour change), flip on; augmentation enabled, letterbox. */
aug_config aug_defaults(void);

/* The random stream of one record: from the seed and the record's number in
 * the stream only, so results do not depend on batching or threads. */
void aug_record_rng(yrng *r, uint64_t seed, uint64_t record);

/* Draws one image's values, always the same number of draws in the same
 * order. */
aug_draw aug_sample(const aug_config *a, yrng *r);

/* src placed as d says onto a net_w x net_h canvas (0.5 grey), colours
 * distorted, mirrored: dst allocated here, *t what maps src onto it. */
int aug_apply(const aug_draw *d, const img *src, int net_w, int net_h, img *dst, img_transform *t,
              yerr *err);

/* The network input of one image: aug_sample + aug_apply when a->enabled,
 * else img_letterbox or img_resize exactly as darknet-forward calls them. */
int aug_image(const aug_config *a, const img *src, int net_w, int net_h, yrng *r, img *dst,
              img_transform *t, yerr *err);

/* The pieces, for tests. darknet's HSV: h in [0, 1), s, v; grey has h = 0. */
void aug_rgb_to_hsv(img *im);
void aug_hsv_to_rgb(img *im);
/* Hue shifted (wrapped), saturation and value scaled, back to RGB, clamped
 * to [0, 1]. */
void aug_distort(img *im, double dhue, double dsat, double dexp);
void aug_flip(img *im);       /* mirrored left to right */

/* ---- mosaic, affine, mixup ------------------------------------------------ */

#define AUG_MOSAIC_MARGIN 0.2 /* the centre is drawn in [.2, .8] of each side (AlexeyAB's) */
#define AUG_GREY 0.5f         /* what no image covers */

/* Quadrants, in this order: 0 top-left, 1 top-right, 2 bottom-left,
 * 3 bottom-right (bit 0: right, bit 1: bottom). */
typedef struct aug_mosaic {
    int cx, cy;               /* the centre, whole network pixels */
    int own;                  /* the quadrant of the record's own image */
    int mx, my;               /* the mosaic reaches this far past the picture on each
                                 side (0: the picture's frame); an affine map that
                                 shrinks it then brings in more of its images, not grey
                                 (ultralytics' mosaic is twice the picture's size) */
    aug_draw tile[4];         /* each quadrant's aspect, scale, colours and flip
                                 (its offsets unused) */
} aug_mosaic;

/* Draws the own quadrant, the centre and the four tiles' values, always in
 * that order; no margin. */
aug_mosaic aug_mosaic_sample(const aug_config *a, int net_w, int net_h, yrng *r);

/* Quadrant q's pixels [x0, x1) x [y0, y1) as rect[4] = {x0, y0, x1, y1},
 * in the picture's pixels (past its frame by the margin: the top-left
 * quadrant of a mosaic with margins starts at (-mx, -my)). */
void aug_quadrant(const aug_mosaic *m, int q, int net_w, int net_h, int rect[4]);

/* Pixels of a net_w x net_h picture, or of a part of it or more (a mosaic
 * reaching past its frame): im's pixel (0, 0) is the picture's (x0, y0). */
typedef struct aug_canvas {
    img im;
    int x0, y0;
    int net_w, net_h;
} aug_canvas;

/* src as quadrant q of the picture, into the pixels cv holds (3 channels,
 * the caller's): sized as aug_apply sizes it by m->tile[q] (aspect, scale:
 * the longer side scale x the network's), mirrored by its flip, placed with
 * its corner
 * toward the centre on the centre (ultralytics' way: each image shows the
 * part next to that corner; a top quadrant's one row lower, so that its
 * last row, which img_resize may darken, is not shown), cut to the
 * quadrant, and only the part shown changed in colour. *t maps src's
 * pixels onto the picture's (a mirror: sx < 0). */
int aug_tile(const aug_mosaic *m, int q, const img *src, aug_canvas *cv, img_transform *t,
             yerr *err);

/* A map of the picture onto itself, network pixels (continuous, pixel i
 * covering [i, i + 1)): x' = m[0] x + m[1] y + m[2], y' = m[3] x + m[4] y +
 * m[5]; s times a rotation about the centre, then shifted. */
typedef struct aug_affine {
    double m[6];
    double scale;             /* s: areas are scaled by s^2 */
} aug_affine;

/* Draws the scale, the angle, the shift along x, then along y. */
aug_affine aug_affine_sample(const aug_config *a, int net_w, int net_h, yrng *r);

/* The picture's pixels A's picture is sampled from: the box around the
 * frame's corners mapped back, a pixel more on each side (bilinear), as
 * rect {x0, y0, x1, y1} (a map that enlarges needs less than the frame). */
void aug_affine_reach(const aug_affine *A, int net_w, int net_h, int rect[4]);

/* The net_w x net_h picture under A, into a new *dst, from the pixels src
 * holds of the picture before: each pixel's centre mapped back and sampled
 * bilinearly, AUG_GREY where src holds nothing. The identity on the whole
 * frame copies the pixels exactly. */
int aug_warp(const aug_canvas *src, const aug_affine *A, img *dst, yerr *err);

/* a = wa * a + (1 - wa) * b, pixel by pixel; the same sizes. */
void aug_blend(img *a, const img *b, double wa);

#endif
