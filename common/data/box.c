#include <math.h>

#include "yolo/data/box.h"

static double pos(double v) { return v > 0 ? v : 0; }
static double min2(double a, double b) { return a < b ? a : b; }
static double max2(double a, double b) { return a > b ? a : b; }

double box_area(box b) { return pos(b.x2 - b.x1) * pos(b.y2 - b.y1); }

/* No product unless both sides overlap: an infinite side (coordinates near
 * DBL_MAX) times an empty one would be NaN, not 0. */
double box_intersection(box a, box b)
{
    double w = min2(a.x2, b.x2) - max2(a.x1, b.x1), h = min2(a.y2, b.y2) - max2(a.y1, b.y1);
    return w > 0 && h > 0 ? w * h : 0;
}

double box_iou(box a, box b)
{
    double inter = box_intersection(a, b), uni = box_area(a) + box_area(b) - inter;
    return uni > 0 ? inter / uni : 0;
}

/* Zheng et al. 2020 ("Distance-IoU Loss"), as AlexeyAB's DIoU-NMS uses it:
 * the centre distance squared over the enclosing box's diagonal squared,
 * raised to beta, taken off the IoU. */
double box_diou(box a, box b, double beta)
{
    double cw = max2(a.x2, b.x2) - min2(a.x1, b.x1), ch = max2(a.y2, b.y2) - min2(a.y1, b.y1);
    double c = cw * cw + ch * ch, iou = box_iou(a, b);
    if (!(c > 0))
        return iou;
    double dx = (a.x1 + a.x2 - b.x1 - b.x2) / 2, dy = (a.y1 + a.y2 - b.y1 - b.y2) / 2;
    return iou - pow((dx * dx + dy * dy) / c, beta);
}

double box_iou_wh(double w1, double h1, double w2, double h2)
{
    double inter = min2(pos(w1), pos(w2)) * min2(pos(h1), pos(h2));
    double uni = pos(w1) * pos(h1) + pos(w2) * pos(h2) - inter;
    return uni > 0 ? inter / uni : 0;
}

box box_clip(box b, double w, double h)
{
    box c = {min2(max2(b.x1, 0), w), min2(max2(b.y1, 0), h), min2(max2(b.x2, 0), w),
             min2(max2(b.y2, 0), h)};
    return c;
}
