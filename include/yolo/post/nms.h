/* Non-maximum suppression over a record's `detections`: greedy (darknet's
 * do_nms_sort; or with DIoU in place of IoU, AlexeyAB's diounms_sort, which
 * yolov4's nms_kind=greedynms asks for), per class or class-agnostic, and
 * soft-NMS (Bodla et al.
 * 2017, "Improving Object Detection With One Line of Code"), linear or
 * Gaussian. IoU is box_iou (common/data/box.c).
 *
 * Cost: one sort, O(n log n), then each candidate is compared with the
 * entries already kept in its group: O(n * kept) time, O(n) memory. Greedy
 * output equals do_nms_sort's on the same boxes and scores: an entry is
 * suppressed when its IoU with a kept entry of higher rank is > iou; a
 * suppressed entry suppresses nothing.
 *
 * Order. Entries are ranked by score, descending; ties by their position in
 * the input (the earlier first), so runs repeat exactly. The output is in
 * that order, all classes merged (for soft-NMS, by decayed score). */
#ifndef YOLO_NMS_H
#define YOLO_NMS_H

#include <stddef.h>

#include "yolo/data/box.h"
#include "yolo/data/detection.h"
#include "yolo/base/err.h"
#include "yolo/records/record.h"

typedef enum { NMS_GREEDY, NMS_LINEAR, NMS_GAUSSIAN } nms_method;

typedef struct nms_cfg {
    nms_method method;
    double iou;            /* greedy and linear: IoU above which an entry is suppressed
                              (greedy) or decayed by (1 - IoU) (linear) */
    double sigma;          /* gaussian: score *= exp(-IoU^2 / sigma) */
    double score_thresh;   /* soft-NMS: entries whose score falls below it are dropped */
    int agnostic;          /* one group for all classes, instead of one per class */
    long max_det;          /* at most this many entries per record, best first */
    int clip;              /* clip the kept boxes to [0, width] x [0, height] (the
                              record needs width and height when it has entries) */
    double diou;           /* greedy: 0, IoU; > 0, box_diou with this beta, on boxes
                              in image-relative coordinates (x / width, y / height) as
                              AlexeyAB's detector has them (the record needs width and
                              height when it has entries) */
} nms_cfg;

/* One entry as the suppression sees it. */
typedef struct nms_item {
    double score;          /* decayed by soft-NMS */
    box b;                 /* --diou: in image-relative coordinates */
    int cls;               /* -1 for every entry when agnostic */
    size_t i;              /* position in the input */
} nms_item;

typedef struct nms_work {
    detlist dets;          /* the record's entries */
    nms_item *items;       /* [n] sorted by group, then score */
    nms_item *kept;        /* [n] kept, in output order after nms_run */
    size_t cap;
} nms_work;

/* Suppresses among v[0, n) (of an image w x h: scales the boxes for
 * --diou only). Returns the number kept, k; w->kept[0, k)
 * holds them in output order with their final scores (input positions in
 * .i). -1 out of memory. */
long nms_run(const nms_cfg *c, const ydet *v, size_t n, double w, double h, nms_work *nw);

/* Rewrites r's detections with the kept entries, each as it was read with
 * only score (soft-NMS) and bbox (--clip) replaced. 1 done, 0 passed
 * through (r has `error`, or no `detections`), -1 with err (YOLO_EINPUT
 * naming the record and key, YOLO_EIO out of memory). */
int nms_record(rec *r, const nms_cfg *c, nms_work *w, yerr *err);
void nms_work_free(nms_work *w);

#endif
