/* Boxes [x1, y1, x2, y2] in continuous pixel coordinates (docs/records.md,
 * section 3) and the one IoU of the project. */
#ifndef YOLO_BOX_H
#define YOLO_BOX_H

typedef struct box {
    double x1, y1, x2, y2;
} box;

double box_area(box b);              /* 0 for an empty or inverted box */
/* The area a and b share: 0 when they do not overlap. */
double box_intersection(box a, box b);
double box_iou(box a, box b);        /* intersection over union, 0 when both empty */
/* Distance-IoU: box_iou less (d^2 / c^2)^beta, d the distance of the
 * centres, c the diagonal of the smallest box enclosing both (beta 1 is
 * Zheng et al.'s DIoU; AlexeyAB's greedynms uses .6); the IoU when c is 0. */
double box_diou(box a, box b, double beta);
/* IoU of two boxes of sizes (w1, h1) and (w2, h2) placed on the same centre:
 * how anchors and box shapes are compared (YOLO9000). */
double box_iou_wh(double w1, double h1, double w2, double h2);
/* b clipped to [0, w] x [0, h]. */
box box_clip(box b, double w, double h);

#endif
