/* Anchor boxes from ground truth (YOLO9000's "dimension clusters"): k-means
 * over the boxes' (w, h) with distance d = 1 - IoU, the two boxes placed on
 * the same centre (box_iou_wh). Sizes are kept as fractions of the image's
 * width and height, so a dataset of mixed image sizes clusters as the
 * network sees it after resizing; anchors_units turns them into a cfg's
 * units at the end (grid cells for v2's [region], network pixels for v3's
 * [yolo]). Centred IoU is unchanged by scaling x and y, so the units do not
 * change the clustering.
 *
 * The centroid update is the mean w and mean h of the boxes assigned to a
 * cluster, as YOLO9000 and darknet's gen_anchors scripts do: it is not the
 * minimiser of 1 - IoU, so a step may lower the average IoU slightly; the
 * loop stops when no assignment changes or after max_iter updates.
 *
 * A set of anchors is also scored by ultralytics' "best possible recall":
 * a box can be learnt by an anchor when no side of one is ratio_thresh
 * times the other's or more, max(w/a_w, a_w/w, h/a_h, a_h/h) < ratio_thresh
 * (4 by default, as ultralytics' anchor_t); BPR is the fraction of boxes
 * that some anchor can learn. Like the IoU it compares shapes, so the units
 * do not change it. */
#ifndef YOLO_ANCHORS_H
#define YOLO_ANCHORS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "yolo/base/err.h"
#include "yolo/data/objects.h"
#include "yolo/records/record.h"

#define ANCHORS_MAX_K 100             /* anchors in one set */
#define ANCHORS_MAX_RESTARTS 10000
#define ANCHORS_MAX_ITER 100000
#define ANCHORS_MAX_BOXES 100000000   /* all boxes are held in memory */
#define ANCHORS_RATIO_THRESH 4.0      /* default of the BPR's side ratio (ultralytics') */

/* A box shape: width and height as fractions of the image's (or of the
 * network input's, once units are applied). */
typedef struct anchor_wh {
    double w, h;
} anchor_wh;

/* The boxes collected from a stream, and what was left out. */
typedef struct anchors_data {
    anchor_wh *v;          /* [n] box sizes, [cap] allocated */
    size_t n, cap;
    long error_records;    /* records with `error` set: skipped */
    long empty_boxes;      /* zero width or height: skipped */
} anchors_data;

/* Adds the boxes of r's objects to d. A record with `error` is counted and
 * skipped; one without objects adds nothing. Box sizes are divided by the
 * record's width and height, which are then required. scratch is reused
 * between calls. 0, or -1 with err: YOLO_EINPUT naming the record and key
 * (a bad object, a missing width, x2 < x1), YOLO_EIO out of memory. */
int anchors_add_record(anchors_data *d, rec *r, objlist *scratch, yerr *err);
void anchors_data_free(anchors_data *d);

/* Units of a cfg's anchors line: grid cells (anchor = w*S, h*S) or network
 * pixels (anchor = w*net_w, h*net_h). */
typedef struct anchors_units {
    int pixels;            /* 0: grid cells, 1: network pixels */
    long grid;             /* S, when !pixels */
    long net_w, net_h;     /* when pixels */
} anchors_units;

/* One set of anchors and how well it fits the data. */
typedef struct anchors_set {
    int k;
    anchor_wh a[ANCHORS_MAX_K]; /* [k] fractions of the image */
    double avg_iou;             /* mean over boxes of the IoU with the best anchor */
    double ratio_thresh;        /* the side ratio bpr and aat are counted below */
    double bpr;                 /* best possible recall: the fraction of boxes some anchor
                                   is within ratio_thresh of (anchors_ratio_fit) */
    double aat;                 /* anchors above threshold: the mean over boxes of the
                                   number of anchors within ratio_thresh of the box */
    long iters;                 /* assignment steps of the run that made it */
    /* [2k] w0,h0, w1,h1, ... in a cfg's units: what is written out. Kept
     * apart from a[] so anchors given with --eval come out as given. */
    double cfg[2 * ANCHORS_MAX_K];
} anchors_set;

typedef struct anchors_params {
    int k;                 /* 1..ANCHORS_MAX_K */
    long restarts;         /* independent k-means++ runs; the best is kept */
    long max_iter;         /* centroid updates per run, at most */
    uint64_t seed;
} anchors_params;

/* Mean over boxes b[0, n) of the IoU with the best of a[0, k). 0 if n == 0. */
double anchors_avg_iou(const anchor_wh *b, size_t n, const anchor_wh *a, int k);

/* The best possible recall and anchors above threshold of a[0, k) over the
 * boxes b[0, n) (see the top), into s->bpr and s->aat, with thr into
 * s->ratio_thresh; both 0 when n == 0. Integer counts, so the result does
 * not depend on the number of OpenMP threads. */
void anchors_ratio_fit(const anchor_wh *b, size_t n, const anchor_wh *a, int k, double thr,
                       anchors_set *s);

/* k-means with d = 1 - IoU, k-means++ initialisation, p->restarts runs from
 * one random stream seeded with p->seed; keeps the run with the highest
 * average IoU (the first on a tie) and sorts its anchors by area,
 * ascending. The result does not depend on the number of OpenMP threads.
 * 0, or -1 with err: YOLO_EINPUT when n < k, YOLO_EIO out of memory. */
int anchors_kmeans(const anchor_wh *b, size_t n, const anchors_params *p, anchors_set *out,
                   yerr *err);

/* Sorts a[0, k) by area ascending (then by width). */
void anchors_sort(anchor_wh *a, int k);

/* Fills s->cfg from s->a in units u. */
void anchors_set_units(anchors_set *s, const anchors_units *u);

/* Reads "W,H" (network size, each 1..16384). 0 or -1. */
int anchors_parse_net(const char *s, long *w, long *h);

/* Reads a cfg anchors value ("1.32,1.73, 3.19,4.01" or "10,13,  16,30")
 * in units u into out->k, out->cfg (as given) and out->a (fractions). 0,
 * or -1 with why[] set. */
int anchors_parse_list(const char *s, const anchors_units *u, anchors_set *out, char *why,
                       size_t whylen);

/* Prints s->cfg as "anchors = 1.08,1.19,  3.42,4.41" and a newline: 2
 * decimals for grid cells (as yolov2-voc.cfg), whole numbers (at least 1)
 * for pixels (as yolov3.cfg). */
void anchors_print_cfg(FILE *f, const anchors_set *s, const anchors_units *u);

/* Sets the keys of an anchors record (docs/records.md, "anchors records")
 * on r: anchors (s->cfg), k, units, grid or net_w/net_h, avg_iou, bpr, aat,
 * ratio_thresh, boxes, and seed unless seed is NULL (anchors evaluated, not
 * clustered). */
int anchors_to_record(rec *r, const anchors_set *s, const anchors_units *u, size_t boxes,
                      const uint64_t *seed, yerr *err);

/* Writes an SVG picture of s to path: the anchors centred on the network
 * input (drawn as a square), labelled, over a faint sample of the boxes
 * b[0, n). 0, or -1 with err (YOLO_EIO). */
int anchors_write_svg(const char *path, const anchors_set *s, const anchors_units *u,
                      const anchor_wh *b, size_t n, yerr *err);

/* What the kmeans-anchors stage was asked to do. */
typedef struct anchors_job {
    anchors_params p;
    anchors_units u;
    int eval;              /* score `given` instead of clustering */
    anchors_set given;     /* the --eval anchors, fractions of the image */
    const char *plot;      /* SVG path, or NULL */
    double ratio_thresh;   /* of the best possible recall (ANCHORS_RATIO_THRESH) */
} anchors_job;

/* After the stream: clusters d (or scores j->given), writes the plot, the
 * anchors record to w, and, when summary is not NULL, the cfg line, the
 * average IoU and the best possible recall to it. 0, or -1 with err (YOLO_EINPUT too few boxes,
 * YOLO_EIO). */
int anchors_run(const anchors_job *j, const anchors_data *d, rec_writer *w, FILE *summary,
                yerr *err);

#endif
