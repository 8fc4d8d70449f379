/* From raw head outputs to detections (docs/records.md, sections 3-5):
 * decoding of darknet's three detection heads as get_network_boxes does it
 * (v2 `region`, v3 `yolo`, v1 `detection`), the letterbox or resize undone
 * through the record's `transform`, and the `detections` key, which this
 * file packs and reads back for every stage (rescale, nms, draw, eval-map).
 *
 * Boxes are decoded in network pixels, then mapped to the original image
 * with x = (net_x - dx) / sx; they are not clipped to the image (darknet's
 * get_network_boxes does not clip either: `nms --clip` does, after the
 * suppression, as darknet's result writers do). */
#ifndef YOLO_RESCALE_H
#define YOLO_RESCALE_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "yolo/data/box.h"
#include "yolo/base/report.h"
#include "yolo/base/err.h"
#include "yolo/data/detection.h"
#include "yolo/data/names.h"
#include "yolo/records/record.h"
#include "yolo/records/tensor.h"

#define RESCALE_MAX_ANCHORS 64     /* anchor pairs of one head (yolo: total) */
#define RESCALE_MAX_CLASSES NAMES_MAX
#define RESCALE_MAX_NET 65536      /* net_w, net_h */
#define RESCALE_MAX_HEADS 16       /* entries of one record's output */

/* Packs [{class, name, score, bbox, objectness, prediction}] from the
 * fields of v[0, n) (src is not used). */
int dets_pack(msgpack_packer *pk, const ydet *v, size_t n);
/* Reads r's detections into l (emptied first). Each entry needs class (int
 * >= 0), score (finite number) and bbox (4 finite numbers); name,
 * objectness and prediction are read when present (objectness NAN and
 * prediction -1 when absent), and track_id checked to be an integer. 1, 0 if r has no detections, -1 with err
 * naming the record and the path (detections[3].score). */
int rec_get_detections(rec *r, detlist *l, yerr *err);

enum { HEAD_REGION, HEAD_YOLO, HEAD_DETECTION };

/* One entry of `output`, checked: the tensor's shape agrees with the
 * metadata. The grid is H x W (region, yolo) or side x side (detection),
 * A = boxes per cell; prediction p of the head is cell-major as darknet
 * numbers them: region, yolo p = (a*H + y)*W + x, detection p = cell*A + a. */
typedef struct rescale_head {
    int type;                  /* HEAD_* */
    tensor_view t;             /* f32 raw values (section 4) */
    int classes, coords;       /* coords is 4 */
    int na;                    /* A: region num, yolo len(mask), detection num */
    int h, w;                  /* grid */
    int softmax, sqrt_wh;      /* region (and detection) softmax; detection sqrt */
    double scale_xy;           /* yolo: AlexeyAB's scale_x_y (1 when absent): the centre's
                                  logistic s becomes s * scale_xy - (scale_xy - 1) / 2 */
    char iou_loss[8];          /* yolo: AlexeyAB's iou_loss (mse iou giou diou ciou; "" when
                                  absent), iou_normalizer and cls_normalizer (1 when absent):
                                  for yolo-loss; decoding does not use them */
    double iou_norm, cls_norm;
    double smooth;             /* yolo: AlexeyAB's label_smooth_eps in [0, 1) (0 when
                                  absent), for yolo-loss */
    int net_w, net_h;
    double anchors[2 * RESCALE_MAX_ANCHORS]; /* [2*na] the head's own pairs: region in
                                                grid cells, yolo in network pixels (mask
                                                applied); unused for detection */
} rescale_head;

/* The record's `transform`: net_x = sx * x + dx. */
typedef struct rescale_xf {
    int net_w, net_h;
    double sx, sy, dx, dy;
} rescale_xf;

/* Reads output[i] (the map m) into h. -1 with err naming path and the key
 * at fault (output[0].tensor, output[1].mask[2]) on any mismatch. */
int rescale_read_head(const rec *r, const msgpack_object *m, const char *path, rescale_head *h,
                      yerr *err);
/* Reads `transform`: 1, 0 if absent, -1 if it breaks section 3 (sx or sy
 * zero or not finite, net size out of range). */
int rescale_read_transform(rec *r, rescale_xf *xf, yerr *err);

/* Network box (centre cx, cy and size w, h, network pixels) to an
 * original-image box; a negative scale mirrors, so x1 and x2 swap. */
box rescale_unmap(const rescale_xf *xf, double cx, double cy, double w, double h);

/* What rescale_record counts besides its output. */
typedef struct rescale_stats {
    long nonfinite;            /* entries over thresh dropped for a NaN / infinite box */
} rescale_stats;

typedef struct rescale_cfg {
    double thresh;             /* entries with score > thresh are kept (darknet's test) */
    const names *nm;           /* class names (n == classes), or NULL: see rescale_names */
    int drop_output;           /* leave `output` out of each record decoded (--drop-output) */
} rescale_cfg;

/* Appends the entries of head h with score > thresh to out: for each
 * prediction (in index order, from pred0 on), its classes in ascending
 * order. The names are not set. 0, or -1 out of memory. */
int rescale_decode(const rescale_head *h, const rescale_xf *xf, double thresh, int64_t pred0,
                   detlist *out, rescale_stats *st);

/* The names for a record with this many classes: cfg->nm when given (its
 * length must equal classes), VOC's 20 names when classes is 20, and
 * otherwise the decimal class index ("7"), built in *own. -1 with err
 * (YOLO_EINPUT naming the record and key) or out of memory. */
int rescale_names(const rec *r, const rescale_cfg *cfg, int classes, names *own,
                  const names **nm, yerr *err);

/* What rescale keeps between records. */
typedef struct rescale_work {
    detlist dets;              /* the record's entries */
    names own;                 /* names made up by rescale_names */
    rescale_stats st;
} rescale_work;

/* Decodes every head of r's output and sets `detections`: heads in order,
 * each head's predictions in index order, each prediction's classes
 * ascending. 1 done, 0 passed through untouched (r has `error`, or no
 * `output`), -1 with err: YOLO_EINPUT for a record that breaks the
 * contract (naming it and the key), YOLO_EIO out of memory. */
int rescale_record(rec *r, const rescale_cfg *cfg, rescale_work *w, yerr *err);
void rescale_work_free(rescale_work *w);

/* Per-record problems of rescale and nms (docs/records.md, section 6): one
 * kind, "record set to 'error'". */
void dets_problems_init(yrep_problems *p, int strict);
/* After the stage named `stage` failed on record r with err: for a contract
 * breach (YOLO_EINPUT) without strict, sets `error` to "STAGE: MSG", warns
 * through rep and counts, and returns 0 so that r is written; otherwise -1
 * (err kept, or the --strict error). */
int dets_give_up(const yrep *rep, yrep_problems *p, const char *stage, rec *r, yerr *err);

#endif
