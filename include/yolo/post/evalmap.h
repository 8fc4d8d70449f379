/* Average precision of detections against ground truth over a whole
 * dataset (the eval-map stage), in three conventions:
 *
 *   voc07  PASCAL VOC 2007: 11-point interpolated AP (recall 0, 0.1, ... 1)
 *   voc10  PASCAL VOC 2010+: area under the monotone precision envelope
 *   coco   COCO: AP averaged over IoU 0.50:0.05:0.95 and 101 recall points,
 *          plus AP50, AP75 and AP for small / medium / large objects
 *
 * The numbers reproduce py-faster-rcnn's voc_eval.py (the VOC devkit's
 * Python port) and pycocotools' COCOeval to rounding, with two documented
 * differences: a truth whose COCO annotation id would be 0 counts normally
 * (pycocotools mistakes it for "unmatched"), and ties in score are broken by
 * stream order for VOC too (numpy's default argsort is not stable).
 *
 * Boxes are continuous pixels (docs/records.md, section 3). VOC's "+1"
 * widths on 1-based inclusive pixel indices equal x2 - x1 on the converted
 * boxes, so no +1 appears here: box_iou on records is the devkit's IoU on
 * the XML's integers.
 *
 * Memory: one eval_truth per truth and one eval_det per detection of the
 * whole stream (56 bytes each), and while evaluating about 60 bytes more per
 * detection; records themselves are not kept (43 MiB for 500k detections). */
#ifndef YOLO_EVALMAP_H
#define YOLO_EVALMAP_H

#include <stddef.h>
#include <stdio.h>

#include "yolo/data/box.h"
#include "yolo/base/buf.h"
#include "yolo/data/detection.h"
#include "yolo/base/err.h"
#include "yolo/data/names.h"
#include "yolo/data/objects.h"
#include "yolo/records/record.h"

#define EVAL_MAX_ITEMS 400000000   /* truths, and detections, held at most */
#define EVAL_COCO_T 10             /* IoU thresholds .50:.05:.95 */
#define EVAL_COCO_R 101            /* recall points 0:.01:1 */
#define EVAL_COCO_A 4              /* area ranges: all, small, medium, large */

enum { EVAL_VOC07 = 1, EVAL_VOC10 = 2, EVAL_COCO = 4, EVAL_ALL = 7 };
enum { EVAL_DIFFICULT = 1, EVAL_CROWD = 2, EVAL_HAS_AREA = 4 };

typedef struct eval_truth {
    box b;
    double area;       /* the annotation's area (COCO), when EVAL_HAS_AREA */
    long img;          /* image number, in stream order */
    int cls;
    int flags;         /* EVAL_DIFFICULT | EVAL_CROWD | EVAL_HAS_AREA */
} eval_truth;

typedef struct eval_det {
    box b;
    double score;
    long img;          /* image number, in stream order */
    int cls;
} eval_det;            /* its index in eval_data.d is its stream order */

/* What the stream gave: truths and detections of every image evaluated,
 * and the class names. */
typedef struct eval_data {
    eval_truth *t;     /* [nt], [capt] allocated */
    size_t nt, capt;
    eval_det *d;       /* [nd], [capd] allocated */
    size_t nd, capd;
    long images;       /* records evaluated */
    long error_records;  /* records with `error`: skipped */
    /* names[c] of class c: from --names (fixed), or the first `name` seen
     * for c (NULL until one is seen); ncls = classes known or seen. */
    names nm;
    int fixed_names;
    int ncls;
    int truths_only;   /* records' detections are not read (eval-map --results) */
    objlist scratch;   /* reused by eval_add_record */
    detlist dets;      /* the same */
} eval_data;

/* Empties d; with names (taken over, may be NULL) the class list is fixed
 * and classes outside it are errors. */
void eval_data_init(eval_data *d, names *given);
void eval_data_free(eval_data *d);

/* Adds one record: its `objects` (truths) and `detections` (none when the
 * key is absent). Returns 1 added, 0 skipped with `error` (counted),
 * 2 skipped for having no `objects` (not annotated: the caller decides), or
 * -1 with err: YOLO_EINPUT naming the record and key (a wrong type, a NaN
 * or out-of-range score, an inverted box, a class name that disagrees),
 * YOLO_EIO out of memory. */
int eval_add_record(eval_data *d, rec *r, yerr *err);

/* Adds a detection read elsewhere (a COCO results file): e->img must not
 * be below the last one added, so that an image's detections stay
 * together. 0, -1 out of memory (or past EVAL_MAX_ITEMS), -2 when e->cls
 * is outside the fixed class list. */
int eval_add_det(eval_data *d, const eval_det *e);

typedef struct eval_params {
    int metrics;       /* EVAL_* bits */
    double voc_iou;    /* VOC matches need IoU > this (voc_eval.py), 0.5 */
    int max_dets;      /* COCO: detections kept per image and class, 100 */
} eval_params;

/* Per class AP is NaN for a class without a truth that counts (VOC: no
 * truth that is neither difficult nor crowd; COCO: none in the area
 * range); such classes are left out of the means, as pycocotools does.
 * A mean over no class is NaN. */
typedef struct eval_result {
    int ncls;
    long *ntruth;      /* [ncls] truths, all of them */
    long *npos;        /* [ncls] truths that count (neither difficult nor crowd) */
    long *ndet;        /* [ncls] detections */
    double *voc07, *voc10, *coco;   /* [ncls] AP per class */
    double voc07_map, voc10_map;
    double coco_ap, coco_ap50, coco_ap75, coco_small, coco_medium, coco_large;
} eval_result;

/* Evaluates d. 0, or -1 with err (YOLO_EIO out of memory). */
int eval_run(const eval_data *d, const eval_params *p, eval_result *res, yerr *err);
void eval_result_free(eval_result *res);

/* ---- the AP arithmetic, exposed for the unit tests -------------------- */

/* rec[0, n), prec[0, n): recall and precision after each detection that
 * counts, in score order (rec non-decreasing). */
double eval_ap_voc07(const double *rec, const double *prec, size_t n);
/* Uses prec as scratch (it becomes the envelope). */
double eval_ap_voc10(const double *rec, double *prec, size_t n);
/* Mean of the 101 samples of the envelope (COCO); prec becomes the envelope. */
double eval_ap_coco101(const double *rec, double *prec, size_t n);

/* COCO's IoU threshold t (0..9): the values numpy's linspace gives. */
double eval_coco_iou(int t);

/* ---- output ------------------------------------------------------------ */

/* Class c's name for output: its name, or its index in decimal. */
const char *eval_class_name(const eval_data *d, int c, char *tmp, size_t len);
/* The JSON object {"voc07": ..., "voc10": ..., "coco": ...} (only the
 * metrics asked for) and a newline; NaN is null. */
int eval_json(ybuf *b, const eval_data *d, const eval_result *res, int metrics);
/* The table for people. */
int eval_table(FILE *f, const eval_data *d, const eval_result *res, int metrics);

#endif
