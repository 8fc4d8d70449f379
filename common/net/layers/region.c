/* [region] (yolov2's head): per cell and anchor, coords box values,
 * objectness and class scores, laid out [n][coords + 1 + classes][h][w].
 * Its forward output is the raw input: decoding (logistic, softmax,
 * anchors) is rescale's job. region_activate is what darknet's forward does
 * in place, for comparing with libdarknet. */
#include "yolo/net/layers.h"

static float *entry(const layer *l, float *x, int b, int n, int e)
{
    size_t per_anchor = (size_t)(l->coords + l->classes + 1) * l->w * l->h;
    return x + (size_t)b * l->outputs + (size_t)n * per_anchor + (size_t)e * l->w * l->h;
}

int region_make(layer *l, cfg *c, cfg_section *s, const network *net, int index, yerr *err)
{
    (void)net, (void)index;
    int na = 0;
    if (cfg_int(c, s, "coords", 4, 0, 1000, &l->coords, err) < 0 ||
        cfg_int(c, s, "classes", 20, 0, 1 << 20, &l->classes, err) < 0 ||
        cfg_int(c, s, "num", 1, 1, NET_MAX_ANCHORS, &l->n, err) < 0 ||
        cfg_int(c, s, "softmax", 0, 0, 1, &l->softmax, err) < 0 ||
        cfg_int(c, s, "background", 0, 0, 1, &l->background, err) < 0 ||
        cfg_floats(c, s, "anchors", l->anchors, 2 * NET_MAX_ANCHORS, &na, err) < 0 ||
        layer_unsupported(c, s, "tree", err) < 0 || layer_unsupported(c, s, "map", err) < 0)
        return -1;
    int want = l->n * (l->coords + 1 + l->classes);
    if (l->c != want)
        return cfg_fail(c, s, NULL, err, "num=%d x (coords=%d + 1 + classes=%d) = %d channels, "
                        "but the layer before gives %d", l->n, l->coords, l->classes, want, l->c);
    if (na && na != 2 * l->n)
        return cfg_fail(c, s, "anchors", err, "%d numbers for num=%d anchors (want %d)", na, l->n,
                        2 * l->n);
    for (int i = na; i < 2 * l->n; i++)
        l->anchors[i] = .5f;    /* darknet's default */
    l->out_c = l->c, l->out_h = l->h, l->out_w = l->w;
    return 0;
}

void region_forward(const layer *l, const network *net, const float *in)
{
    (void)l, (void)net, (void)in;
}

void region_activate(const layer *l, float *x)
{
    int wh = l->w * l->h;
    for (int b = 0; b < l->batch; b++)
        for (int n = 0; n < l->n; n++) {
            act_apply(entry(l, x, b, n, 0), 2 * (size_t)wh, ACT_LOGISTIC);
            if (!l->background)
                act_apply(entry(l, x, b, n, l->coords), (size_t)wh, ACT_LOGISTIC);
            if (!l->softmax)
                act_apply(entry(l, x, b, n, l->coords + 1), (size_t)l->classes * wh, ACT_LOGISTIC);
            else
                for (int i = 0; i < wh; i++)
                    layer_softmax(entry(l, x, b, n, l->coords + !l->background) + i,
                                  l->classes + l->background, wh, 1,
                                  entry(l, x, b, n, l->coords + !l->background) + i);
        }
}

/* The output is the raw input: the loss's gradient goes straight through. */
void region_backward(const layer *l, const network *net, const float *in, float *din)
{
    (void)net, (void)in;
    layer_delta_through(l, din);
}
