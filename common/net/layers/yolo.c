/* [yolo] (yolov3's head): per cell and masked anchor, 4 box values,
 * objectness and class scores, laid out [n][4 + 1 + classes][h][w]. Its
 * forward output is the raw input (rescale decodes); yolo_activate is what
 * darknet's forward does in place: logistic on x, y, objectness, classes,
 * and (AlexeyAB's scale_x_y = s) x, y = s * x - (s - 1) / 2, which lets a
 * box centre reach its cell's edges. Of AlexeyAB's training keys, iou_loss,
 * iou_normalizer, cls_normalizer and label_smooth_eps are kept for yolo-loss
 * (darknet-forward writes them in the head's `output` entry); the others (max_delta,
 * beta_nms, nms_kind, ...) are accepted, their words checked, and left
 * unused: reported. */
#include <string.h>

#include "yolo/net/layers.h"

/* iou_loss, iou_normalizer, cls_normalizer and label_smooth_eps into l (the
 * loss's). */
static int yolo_loss_keys(layer *l, cfg *c, cfg_section *s, yerr *err)
{
    if (cfg_word(c, s, "iou_loss", "mse iou giou diou ciou", err) < 0 ||
        cfg_float(c, s, "iou_normalizer", 1, 0, 1e6f, &l->iou_norm, err) < 0 ||
        cfg_float(c, s, "cls_normalizer", 1, 0, 1e6f, &l->cls_norm, err) < 0 ||
        cfg_float(c, s, "label_smooth_eps", 0, 0, 1, &l->label_smooth, err) < 0)
        return -1;
    if (l->label_smooth >= 1)
        return cfg_fail(c, s, "label_smooth_eps", err, "'%s' is not below 1 (1 makes every "
                        "class target 1/2)", cfg_str(s, "label_smooth_eps", ""));
    const char *w = cfg_str(s, "iou_loss", "");
    memcpy(l->iou_loss, w, strlen(w) + 1);    /* one of the words: < 8 bytes */
    return 0;
}

int yolo_make(layer *l, cfg *c, cfg_section *s, const network *net, int index, yerr *err)
{
    (void)net, (void)index;
    int na = 0;
    if (cfg_int(c, s, "classes", 20, 0, 1 << 20, &l->classes, err) < 0 ||
        cfg_int(c, s, "num", 1, 1, NET_MAX_ANCHORS, &l->total, err) < 0 ||
        cfg_ints(c, s, "mask", l->mask, NET_MAX_ANCHORS, &l->n, 0, l->total - 1, err) < 0 ||
        cfg_floats(c, s, "anchors", l->anchors, 2 * NET_MAX_ANCHORS, &na, err) < 0 ||
        layer_unsupported(c, s, "map", err) < 0 ||
        cfg_float(c, s, "scale_x_y", 1, .01f, 100, &l->scale_xy, err) < 0 ||
        layer_default_only(c, s, "new_coords", 0, err) < 0 ||
        layer_unsupported(c, s, "embedding_layer", err) < 0 ||
        yolo_loss_keys(l, c, s, err) < 0 ||
        cfg_word(c, s, "iou_thresh_kind", "iou giou diou ciou", err) < 0 ||
        cfg_word(c, s, "nms_kind", "default greedynms diounms cornersnms", err) < 0)
        return -1;
    if (l->n == 0) {    /* no mask: every anchor */
        l->n = l->total;
        for (int i = 0; i < l->n; i++)
            l->mask[i] = i;
    }
    if (na && na != 2 * l->total)
        return cfg_fail(c, s, "anchors", err, "%d numbers for num=%d anchors (want %d)", na,
                        l->total, 2 * l->total);
    for (int i = na; i < 2 * l->total; i++)
        l->anchors[i] = .5f;    /* darknet's default */
    int want = l->n * (4 + 1 + l->classes);
    if (l->c != want)
        return cfg_fail(c, s, NULL, err, "%d masked anchors x (4 + 1 + classes=%d) = %d channels, "
                        "but the layer before gives %d", l->n, l->classes, want, l->c);
    l->coords = 4;
    l->out_c = l->c, l->out_h = l->h, l->out_w = l->w;
    return 0;
}

void yolo_forward(const layer *l, const network *net, const float *in)
{
    (void)l, (void)net, (void)in;
}

void yolo_activate(const layer *l, float *x)
{
    size_t wh = (size_t)l->w * l->h;
    for (int b = 0; b < l->batch; b++)
        for (int n = 0; n < l->n; n++) {
            float *p = x + (size_t)b * l->outputs + (size_t)n * (5 + l->classes) * wh;
            /* p: [5 + classes, h, w] of anchor n */
            act_apply(p, 2 * wh, ACT_LOGISTIC);
            act_apply(p + 4 * wh, (1 + (size_t)l->classes) * wh, ACT_LOGISTIC);
            if (l->scale_xy != 1)
                for (size_t i = 0; i < 2 * wh; i++)
                    p[i] = p[i] * l->scale_xy - (l->scale_xy - 1) / 2;
        }
}

/* The output is the raw input: the loss's gradient goes straight through. */
void yolo_backward(const layer *l, const network *net, const float *in, float *din)
{
    (void)net, (void)in;
    layer_delta_through(l, din);
}
