/* Training losses of YOLO v1, v2 and v3 and their exact gradients with
 * respect to the raw head outputs (docs/losses.md writes every formula;
 * docs/records.md section 5 the keys output, truth, target, loss, grad).
 *
 * A loss is computed in two steps, so that the parts a loss treats as
 * constants (detached) are explicit:
 *   1. loss_plan_make looks at the predictions once and fixes what depends on
 *      them but is not differentiated: the IoU objectness targets, the
 *      no-object mask (best IoU with every truth box against a threshold),
 *      v1's responsible box, the seed variant's counts.
 *   2. loss_apply evaluates the loss for that plan and its gradient.
 * The gradient loss_apply returns is exactly the derivative of the loss it
 * returns, for a fixed plan: the unit test checks it by central differences
 * of loss_apply, and tests/loss/make-fixtures.py by PyTorch autograd.
 *
 * The maths works in double on copies of the head's raw values. */
#ifndef YOLO_LOSS_H
#define YOLO_LOSS_H

#include <stddef.h>
#include <stdio.h>

#include "yolo/base/err.h"
#include "yolo/records/record.h"
#include "yolo/post/rescale.h"

enum { LOSS_V1 = 1, LOSS_V2 = 2, LOSS_V3 = 3 };
enum { LOSS_SEED = 0, LOSS_DARKNET = 1 };  /* v2's two formulations */
/* v3's box term (AlexeyAB's iou_loss): darknet's per-coordinate one, or
 * 1 - IoU, GIoU, DIoU or CIoU of the decoded boxes (docs/losses.md). */
enum { LOSS_BOX_MSE, LOSS_BOX_IOU, LOSS_BOX_GIOU, LOSS_BOX_DIOU, LOSS_BOX_CIOU };
#define LOSS_BOX_WORDS "mse iou giou diou ciou"   /* in the enum's order */

#define LOSS_WARMUP_IMAGES 12800  /* darknet region layer: prior pull while seen < this */
#define LOSS_WARMUP_SCALE 0.01    /* its weight */
#define LOSS_MAX_TRUTH 100000     /* rows of truth */

/* The weights and thresholds of one loss, defaults filled (loss_params_for). */
typedef struct loss_params {
    double coord, obj, noobj, cls;  /* λcoord, λobj, λnoobj, λclass */
    double thresh;                  /* v2: no-object threshold; v3: ignore_thresh */
} loss_params;

/* What the stage's options ask for; NAN (or version 0) means "default". */
typedef struct loss_cfg {
    int version;        /* LOSS_V*, or 0: from each head's type */
    int variant;        /* v2: LOSS_SEED or LOSS_DARKNET */
    loss_params given;  /* NAN fields take the version's default; thresh is v2's */
    double ignore_thresh; /* v3's threshold (loss_params.thresh for v3); NAN: default */
    long seen;          /* darknet v2: images seen before the first record */
    int box;            /* v3: LOSS_BOX_*, or -1: each head's iou_loss (absent: mse) */
    double iou_norm, cls_norm; /* v3: AlexeyAB's normalizers; NAN: each head's (absent: 1) */
    double smooth;      /* v2, v3: label smoothing ε in [0, 1); NAN: a yolo head's
                           label_smooth_eps (absent, and region heads: 0) */
} loss_cfg;

/* The LOSS_BOX_* of one of LOSS_BOX_WORDS, -1 if none. */
int loss_box_kind(const char *word);

/* The defaults of a version / variant with cfg's given values over them. */
loss_params loss_params_for(const loss_cfg *cfg, int version);

/* One image's loss, summed over heads. */
typedef struct loss_terms {
    double xy, wh, obj, noobj, cls;  /* total = their sum */
    double iou_sum;                  /* IoU of each assigned prediction with its box */
    long recall50;                   /* assigned predictions with IoU >= 0.5 */
    long count;                      /* assigned truth boxes */
} loss_terms;

double loss_total(const loss_terms *t);

/* One head as the maths sees it. Layouts as in docs/records.md section 4/5:
 * v2, v3 raw and target [A*(5+C), H, W]; v1 raw 1-D, target [S*S, 5+C]. */
typedef struct loss_head {
    int version, variant;
    int classes, na, h, w;   /* v1: h = w = side, na = boxes per cell */
    int net_w, net_h;
    int softmax, sqrt_wh;    /* v1 head flags */
    const double *anchors;   /* [2*na]: grid cells (v2), network pixels (v3) */
    loss_params p;
    long seen;               /* darknet v2: images seen before this one */
    double scale_xy;         /* v3: AlexeyAB's scale_x_y (1: none) */
    int box;                 /* v3: LOSS_BOX_* */
    double iou_norm, cls_norm; /* v3: box and class terms times these */
    double smooth;           /* v2, v3: label smoothing ε of the class targets: q(1 - ε) + ε/2
                                (v3, each logistic unit), q(1 - ε) + ε/C (v2, the softmax) */
} loss_head;

size_t loss_head_preds(const loss_head *h);  /* predictions: A*H*W or S*S*num */
size_t loss_head_size(const loss_head *h);   /* raw values */

/* The detached part of a loss (see above). */
typedef struct loss_plan {
    double *conf_t;          /* [P] objectness target of an assigned prediction */
    double *conf_w;          /* [P] its weight; 0: not assigned */
    double *noobj_w;         /* [P] weight of the no-object term; 0: none */
    double *alpha;           /* [P] CIoU's alpha of an assigned prediction (held constant) */
    unsigned char *warm;     /* [P] darknet v2 warm-up term applies */
    int *resp;               /* [S*S] v1: the responsible box of a cell, -1: none */
    double n_coord, n_conf;  /* seed: divisors of the coordinate/class and confidence sums */
    double iou_sum;
    long recall50, count;
    size_t cap_p, cap_cells;
} loss_plan;

void loss_plan_free(loss_plan *p);

/* truth [ntruth, 5] rows x, y, w, h, class (fractions of the network input).
 * 0, or -1 out of memory (YOLO_EIO). */
int loss_plan_make(const loss_head *h, const double *out, const double *tgt,
                   const double *truth, size_t ntruth, loss_plan *p, yerr *err);

/* Adds the head's loss to t and writes its gradient into grad
 * [loss_head_size] (every element set). */
void loss_apply(const loss_head *h, const loss_plan *p, const double *out, const double *tgt,
                double *grad, loss_terms *t);

/* Checks a head's target: entry 4 (v1: entry 0) is 0 or 1; where it is 1,
 * the box is finite with w, h > 0 and the class entries are 0 or 1 with
 * exactly one 1 (v3: at least one, classes are independent). Returns -1
 * and the first bad flat index in *at, or 0. */
int loss_check_target(const loss_head *h, const double *tgt, size_t *at, const char **why);

/* ---- records --------------------------------------------------------- */

/* Totals over records, for the summary on stderr. */
typedef struct loss_sums {
    long records;
    loss_terms t;
    double total;
} loss_sums;

void loss_sums_add(loss_sums *s, const loss_terms *t);
/* "12 records: loss 3.21 (xy .. wh .. obj .. noobj .. class ..), avg IoU .., recall50 .., 40 boxes" */
void loss_sums_print(FILE *f, const char *prefix, const loss_sums *s);

/* What yolo-loss keeps between records. */
typedef struct loss_work {
    double *vals;            /* [3 * cap_vals]: out, tgt, grad below point into it */
    size_t cap_vals;
    double *out, *tgt, *grad; /* every head's raw values, targets, gradients */
    double *truth;           /* [cap_truth] */
    size_t cap_truth;
    float *gradf;
    size_t cap_gradf;
    loss_plan plan;
    rescale_head *heads;
    size_t cap_heads;
    long seen;               /* images done so far (darknet warm-up) */
} loss_work;

void loss_work_free(loss_work *w);

/* Reads output, target and truth of r, sets `loss` and `grad`, adds to t.
 * 1 done, 0 passed through (r has `error`), -1 with err: YOLO_EINPUT for a
 * record that breaks the contract (naming record and key: a missing key,
 * shapes that disagree, a class out of range, NaN or infinity), YOLO_EIO
 * out of memory. */
int loss_record(rec *r, const loss_cfg *cfg, loss_work *w, loss_terms *t, yerr *err);

#endif
