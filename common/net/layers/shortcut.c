/* [shortcut]: out = alpha * previous + beta * layer[from], then the
 * activation. When the two shapes differ, darknet adds with a stride or a
 * repeat along width and height over the channels both have; so do we.
 * (AlexeyAB's adds over the first channels both have, as this does for
 * maps of one size, as in yolov3-tiny-prn; maps of different sizes it
 * does not accept. Its weighted sums, weights_type, are not supported.) */
#include <string.h>

#include "yolo/net/layers.h"

int shortcut_make(layer *l, cfg *c, cfg_section *s, const network *net, int index, yerr *err)
{
    int v = 0;
    const char *from = cfg_str(s, "from", NULL);
    if (!from)
        return cfg_fail(c, s, NULL, err, "shortcut needs from=");
    if (strchr(from, ','))
        return cfg_fail(c, s, "from", err, "a sum of several layers (AlexeyAB's) is not "
                        "supported by this project");
    /* AlexeyAB's weighted sums: only "none", which is what this does (so
     * the keys are used, not reported) */
    if (cfg_word(c, s, "weights_type", "none", err) < 0 ||
        cfg_word(c, s, "weights_normalization", "none", err) < 0)
        return -1;
    cfg_str(s, "weights_type", NULL);
    cfg_str(s, "weights_normalization", NULL);
    if (cfg_int(c, s, "from", 0, -100000, 100000, &v, err) < 0 ||
        layer_activation(l, c, s, "linear", err) < 0 ||
        cfg_float(c, s, "alpha", 1, -1e6f, 1e6f, &l->alpha, err) < 0 ||
        cfg_float(c, s, "beta", 1, -1e6f, 1e6f, &l->beta, err) < 0)
        return -1;
    int i = v < 0 ? index + v : v;
    if (i < 0 || i >= index)
        return cfg_fail(c, s, "from", err,
                        "%d refers to layer %d; layers 0..%d come before this one", v, i,
                        index - 1);
    const layer *src = &net->l[i];
    int sw = src->out_w, sh = src->out_h, w = l->w, h = l->h;
    if (sw == 0 || sh == 0 || w == 0 || h == 0 ||
        (sw >= w ? sw / w != sh / h || sw % w || sh % h : w / sw != h / sh || w % sw || h % sh))
        return cfg_fail(c, s, "from", err, "layer %d's %dx%d does not scale to %dx%d", i, sw, sh,
                        w, h);
    l->from[0] = i;
    l->out_c = l->c, l->out_h = l->h, l->out_w = l->w;
    l->nout = (size_t)l->inputs;
    return 0;
}

/* The element pairs darknet's shortcut adds: out index o (this layer's
 * shape) and source index a (layer from's), over the channels, rows and
 * columns both have, with a stride into the larger or a repeat of the
 * smaller. Forward: out[o] = alpha*out[o] + beta*src[a]. Backward (delta):
 * prev's delta gets (alpha - 1) more at o (it got delta once already), the
 * source's beta * delta. */
static void shortcut_pairs(const layer *l, const network *net, int backward, float *din)
{
    const layer *src = &net->l[l->from[0]];
    int w1 = src->out_w, h1 = src->out_h, c1 = src->out_c;  /* what is added */
    int w2 = l->out_w, h2 = l->out_h, c2 = l->out_c;         /* what it is added to */
    int stride = w1 / w2 > 1 ? w1 / w2 : 1, sample = w2 / w1 > 1 ? w2 / w1 : 1;
    int minw = w1 < w2 ? w1 : w2, minh = h1 < h2 ? h1 : h2, minc = c1 < c2 ? c1 : c2;
    for (int b = 0; b < l->batch; b++)
        for (int k = 0; k < minc; k++)
            for (int j = 0; j < minh; j++)
                for (int i = 0; i < minw; i++) {
                    size_t o = (size_t)i * sample +
                               w2 * ((size_t)j * sample + h2 * ((size_t)k + (size_t)c2 * b));
                    size_t a = (size_t)i * stride +
                               w1 * ((size_t)j * stride + h1 * ((size_t)k + (size_t)c1 * b));
                    if (!backward) {
                        l->out[o] = l->alpha * l->out[o] + l->beta * src->out[a];
                        continue;
                    }
                    if (din)
                        din[o] += (l->alpha - 1) * l->delta[o];
                    src->delta[a] += l->beta * l->delta[o];
                }
}

void shortcut_forward(const layer *l, const network *net, const float *in)
{
    memcpy(l->out, in, (size_t)l->batch * l->outputs * sizeof *l->out);
    shortcut_pairs(l, net, 0, NULL);
    act_apply(l->out, (size_t)l->batch * l->outputs, l->act);
}

/* out = act(alpha * prev + beta * src): the activation's derivative, then
 * delta to the previous layer (alpha where forward added, 1 where it only
 * copied) and beta * delta to the source. */
void shortcut_backward(const layer *l, const network *net, const float *in, float *din)
{
    (void)in;
    size_t n = (size_t)l->batch * l->outputs;
    act_backward(l->out, l->delta, n, l->act);
    if (din)
        for (size_t i = 0; i < n; i++)
            din[i] += l->delta[i];
    shortcut_pairs(l, net, 1, din);
}
