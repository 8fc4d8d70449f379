/* [detection] (yolov1's head): a flat vector of side*side cells, laid out
 * [side*side][classes], then [side*side][num] confidences, then
 * [side*side][num][coords] boxes. Its forward output is the raw input;
 * detection_activate applies darknet's optional class softmax. */
#include "yolo/net/layers.h"

int detection_make(layer *l, cfg *c, cfg_section *s, const network *net, int index, yerr *err)
{
    (void)net, (void)index;
    if (cfg_int(c, s, "classes", 1, 0, 1 << 20, &l->classes, err) < 0 ||
        cfg_int(c, s, "coords", 1, 0, 1000, &l->coords, err) < 0 ||
        cfg_int(c, s, "rescore", 0, 0, 1, &l->rescore, err) < 0 ||
        cfg_int(c, s, "num", 1, 1, 1 << 16, &l->n, err) < 0 ||
        cfg_int(c, s, "side", 7, 1, 1 << 12, &l->side, err) < 0 ||
        cfg_int(c, s, "softmax", 0, 0, 1, &l->softmax, err) < 0 ||
        cfg_int(c, s, "sqrt", 0, 0, 1, &l->sqrt_wh, err) < 0)
        return -1;
    long want = (long)l->side * l->side * ((1 + l->coords) * l->n + l->classes);
    if (want != l->inputs)
        return cfg_fail(c, s, NULL, err, "side=%d, num=%d, coords=%d, classes=%d need %ld inputs, "
                        "the layer before gives %d", l->side, l->n, l->coords, l->classes, want,
                        l->inputs);
    /* darknet leaves the shape at 0x0x0; a flat vector says the same */
    l->out_c = l->inputs, l->out_h = 1, l->out_w = 1;
    return 0;
}

void detection_forward(const layer *l, const network *net, const float *in)
{
    (void)l, (void)net, (void)in;
}

void detection_activate(const layer *l, float *x)
{
    if (!l->softmax)
        return;
    for (int b = 0; b < l->batch; b++)
        for (int i = 0; i < l->side * l->side; i++)
            layer_softmax(x + (size_t)b * l->inputs + (size_t)i * l->classes, l->classes, 1, 1,
                          x + (size_t)b * l->inputs + (size_t)i * l->classes);
}

/* The output is the raw input: the loss's gradient goes straight through. */
void detection_backward(const layer *l, const network *net, const float *in, float *din)
{
    (void)net, (void)in;
    layer_delta_through(l, din);
}
