/* [route]: the outputs of earlier layers, concatenated along channels
 * (layers=-1,61: negative is relative to this layer, else absolute).
 * AlexeyAB's groups=G, group_id=K take only the K-th of G equal slices of
 * each source's channels (yolov4-tiny's CSP blocks). */
#include <string.h>

#include "yolo/net/layers.h"

/* A layer index of `from`, relative or absolute, resolved and checked. */
static int resolve(cfg *c, cfg_section *s, const char *key, int v, int index, int *out, yerr *err)
{
    int i = v < 0 ? index + v : v;
    if (i < 0 || i >= index)
        return cfg_fail(c, s, key, err, "%d refers to layer %d; layers 0..%d come before this one",
                        v, i, index - 1);
    *out = i;
    return 0;
}

int route_make(layer *l, cfg *c, cfg_section *s, const network *net, int index, yerr *err)
{
    int v[NET_MAX_ROUTE];
    if (cfg_ints(c, s, "layers", v, NET_MAX_ROUTE, &l->n, -100000, 100000, err) < 0)
        return -1;
    if (l->n == 0)
        return cfg_fail(c, s, NULL, err, "route needs layers=");
    if (cfg_int(c, s, "groups", 1, 1, 1 << 16, &l->groups, err) < 0 ||
        cfg_int(c, s, "group_id", 0, 0, l->groups - 1, &l->group_id, err) < 0)
        return -1;
    for (int i = 0; i < l->n; i++) {
        if (resolve(c, s, "layers", v[i], index, &l->from[i], err) < 0)
            return -1;
        const layer *src = &net->l[l->from[i]], *first = &net->l[l->from[0]];
        if (src->out_h != first->out_h || src->out_w != first->out_w)
            return cfg_fail(c, s, "layers", err,
                            "layer %d is %dx%d, layer %d is %dx%d: cannot concatenate",
                            l->from[0], first->out_w, first->out_h, l->from[i], src->out_w,
                            src->out_h);
        if ((long long)l->outputs + src->outputs > 1 << 28)
            return cfg_fail(c, s, "layers", err, "the concatenation is too large");
        if (src->out_c % l->groups)
            return cfg_fail(c, s, "groups", err, "layer %d's %d channels do not split into %d "
                            "groups", l->from[i], src->out_c, l->groups);
        l->out_c += src->out_c / l->groups;
        l->outputs += src->outputs / l->groups;
    }
    l->out_h = net->l[l->from[0]].out_h;
    l->out_w = net->l[l->from[0]].out_w;
    l->nout = (size_t)l->outputs;
    /* darknet's route reports its output as its input size */
    l->c = l->out_c, l->h = l->out_h, l->w = l->out_w, l->inputs = l->outputs;
    return 0;
}

void route_forward(const layer *l, const network *net, const float *in)
{
    (void)in;
    for (int b = 0; b < l->batch; b++) {
        float *dst = l->out + (size_t)b * l->outputs;    /* [out_c, out_h, out_w] */
        for (int i = 0; i < l->n; i++) {
            const layer *src = &net->l[l->from[i]];
            size_t part = (size_t)src->outputs / l->groups;   /* one group's channels */
            memcpy(dst, src->out + (size_t)b * src->outputs + part * l->group_id,
                   part * sizeof *dst);
            dst += part;
        }
    }
}

/* Each source's slice of the delta goes back to that source's delta, into
 * the channel group forward took (group_id of groups). */
void route_backward(const layer *l, const network *net, const float *in, float *din)
{
    (void)in, (void)din;
    for (int b = 0; b < l->batch; b++) {
        const float *d = l->delta + (size_t)b * l->outputs;   /* [out_c, out_h, out_w] */
        for (int i = 0; i < l->n; i++) {
            const layer *src = &net->l[l->from[i]];
            size_t part = (size_t)src->outputs / l->groups;   /* one group's channels */
            float *dst = src->delta + (size_t)b * src->outputs + part * l->group_id;
            for (size_t j = 0; j < part; j++)
                dst[j] += d[j];
            d += part;
        }
    }
}
