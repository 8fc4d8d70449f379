/* What the network sees of one record when encode-targets' --mosaic,
 * --mixup or --affine is on, and the truth boxes that follow the pixels:
 *
 *   - a picture is either the record's image placed as darknet places it
 *     (augment.h's aug_sample + aug_apply: today's input), or with --mosaic P
 *     (a draw below P) a mosaic of four images, the record's own in a random
 *     quadrant and three drawn from the held records (the pool), each with
 *     its own aspect, scale, colours and flip (aug_tile);
 *   - --affine then maps the whole picture (aug_warp); a mosaic is then made
 *     half the picture's size larger on each side (ultralytics' mosaic is
 *     twice the picture's size), so that a map that shrinks it brings in
 *     more of its four images rather than grey;
 *   - --mixup P (a draw below P) blends it with a second picture, made the
 *     same way from a pool record, weights w and 1 - w, w from Beta(32, 32)
 *     (ultralytics' mixup), and the truth is the union of both box sets.
 *
 * Every draw comes from record k's own streams (aug_record_rng of seed and
 * k, the seed XORed with a constant per use), so the same seed gives the
 * same bytes whatever the batch or threads, and one option on or off does
 * not change what another draws: the first picture's placement is the
 * stream encode-targets always used, so a record that is not a mosaic, not
 * warped and not blended is the one made without these options.
 *
 * Boxes: a box of a plain picture (no mosaic, no affine) follows darknet's
 * rule (tgt_truth). Otherwise it is mapped by its tile's transform, cut to
 * the tile (a mosaic's quadrant, margins included) or the frame, then
 * through the affine map (the box
 * around its four mapped corners) and cut to the frame; it is kept when at
 * least VIEW_KEEP_PX network pixels wide and high and at least
 * VIEW_KEEP_AREA of its area before the cuts (times the affine's s^2).
 *
 *     view_plan p;  view_plan_draw(&(view_draw){&aug, opts, seed, k, npool, w, h}, &p);
 *     view v;       view_begin(&v, &p, w, h, &err);
 *     for each source s that p names (VIEW_OWN, or pool indices) and can be read:
 *         view_place(&v, s, &image, &objects, &err);
 *     view_finish(&v, &out, &counts, &err);  ...  view_free(&v);
 */
#ifndef YOLO_VIEW_H
#define YOLO_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "yolo/data/objects.h"
#include "yolo/image/augment.h"
#include "yolo/loss/targets.h"

#define VIEW_KEEP_PX 2.0      /* a remnant narrower or lower than this (pixels) is dropped */
#define VIEW_KEEP_AREA 0.2    /* ... or keeping less than this of its area */
#define VIEW_BETA 32.0        /* mixup's weight: Beta(32, 32), ultralytics' */
#define VIEW_OWN SIZE_MAX     /* a source: the record itself (else an index into the pool) */

/* The streams: record k's stream of seed XOR one of these. */
#define VIEW_MOSAIC_STREAM 0x4d4f53414943ull    /* "MOSAIC" */
#define VIEW_AFFINE_STREAM 0x414646494e45ull    /* "AFFINE" */
#define VIEW_MIXUP_STREAM 0x4d49585550ull       /* "MIXUP" */
#define VIEW_PARTNER_SEED 0x504152544e4552ull   /* "PARTNER": the second picture's seed */

typedef struct view_opts {
    double mosaic;            /* probability of a mosaic, 0 to 1 */
    double mixup;             /* probability of a blend, 0 to 1 */
    int affine;               /* --affine: every picture mapped (aug_config's ranges) */
} view_opts;

/* How one picture is made. */
typedef struct view_pic {
    int mosaic;
    size_t src[4];            /* [mosaic ? 4 : 1], by quadrant: VIEW_OWN or a pool index */
    aug_draw place;           /* no mosaic: darknet's placement */
    aug_mosaic m;             /* a mosaic: its centre and tiles */
    int affine;
    aug_affine A;
} view_pic;

typedef struct view_plan {
    view_pic pic[2];          /* [0] the record's, [1] the one blended in */
    int npic;                 /* 2 with a blend */
    double weight;            /* pic[0]'s share of the blend */
} view_plan;

/* What a record's plan is drawn from. */
typedef struct view_draw {
    const aug_config *aug;    /* darknet's placement, colours, flip; the affine ranges */
    view_opts opts;
    uint64_t seed;            /* --seed */
    uint64_t number;          /* the record's number in the output */
    size_t npool;             /* records to draw partners from (none: no mosaic, no blend) */
    int w, h;                 /* the network input */
} view_draw;

void view_plan_draw(const view_draw *d, view_plan *p);

/* One image's use in a picture: where it went and its boxes (original
 * pixels, as in `objects`). */
typedef struct view_use {
    int placed;
    img_transform t;
    int rect[4];              /* what it may cover: its quadrant, or the frame */
    box *b;                   /* [n] */
    int *cls;                 /* [n] */
    size_t n;
} view_use;

typedef struct view {
    const view_plan *p;
    int w, h;
    aug_canvas cv[2];         /* the pictures: [3, h, w], or a mosaic's pixels that the
                                 affine map will sample (aug_affine_reach) */
    int made[2];              /* its pixels are there (a plain picture: its image placed) */
    view_use use[2][4];       /* by picture and quadrant ([0] only without mosaic) */
} view;

/* Allocates the mosaics' canvases (AUG_GREY). */
int view_begin(view *v, const view_plan *p, int w, int h, yerr *err);
/* Source s (VIEW_OWN or a pool index) with its decoded image and objects:
 * placed into every use the plan has for it. A source never placed (its
 * image cannot be read) leaves its quadrants grey; a plain second picture
 * never placed means no blend. */
int view_place(view *v, size_t s, const img *im, const objlist *l, yerr *err);

/* The finished record: the picture and its truth rows. */
typedef struct view_out {
    img im;                   /* owned: free with img_free */
    img_transform t;          /* the record's own image into the picture (see view_finish) */
    tgt_box *b;               /* [n] truth rows, at most max_boxes; owned: free() */
    int n;
    int blended;              /* the second picture was blended in */
} view_out;

/* The affine maps, the blend, the truth rows (pic[0]'s boxes, then
 * pic[1]'s, in quadrant and `objects` order, at most max_boxes); drops and
 * the rows past max_boxes counted in *cnt. out->t is the record's own image
 * into the picture: its quadrant's transform in a mosaic, followed by the
 * affine map without its rotation (a transform has no room for one). */
int view_finish(view *v, int max_boxes, view_out *out, tgt_counts *cnt, yerr *err);
void view_free(view *v);

#endif
