/* [convolutional]: im2col + GEMM per group, then batch norm (inference, with
 * the rolling statistics) or bias, then the activation. */
#include <cblas.h>

#include "yolo/layers.h"

static int conv_keys(layer *l, cfg *c, cfg_section *s, yerr *err)
{
    int padflag = 0;
    if (cfg_int(c, s, "filters", 1, 1, 1 << 16, &l->n, err) < 0 ||
        cfg_int(c, s, "size", 1, 1, 64, &l->size, err) < 0 ||
        cfg_int(c, s, "stride", 1, 1, 64, &l->stride, err) < 0 ||
        cfg_int(c, s, "pad", 0, 0, 1, &padflag, err) < 0 ||
        cfg_int(c, s, "padding", 0, 0, 64, &l->pad, err) < 0 ||
        cfg_int(c, s, "groups", 1, 1, 1 << 16, &l->groups, err) < 0 ||
        cfg_int(c, s, "batch_normalize", 0, 0, 1, &l->batch_normalize, err) < 0 ||
        cfg_int(c, s, "flipped", 0, 0, 1, &l->flipped, err) < 0 ||
        layer_activation(l, c, s, "logistic", err) < 0 ||
        layer_unsupported(c, s, "binary", err) < 0 || layer_unsupported(c, s, "xnor", err) < 0 ||
        layer_unsupported(c, s, "dot", err) < 0)
        return -1;
    /* pad=1 is a flag meaning "same" padding and overrides padding= */
    if (padflag)
        l->pad = l->size / 2;
    return 0;
}

int conv_make(layer *l, cfg *c, cfg_section *s, const network *net, int index, yerr *err)
{
    (void)net, (void)index;
    if (conv_keys(l, c, s, err) < 0)
        return -1;
    if (l->c % l->groups || l->n % l->groups)
        return cfg_fail(c, s, "groups", err, "%d groups do not divide %d channels and %d filters",
                        l->groups, l->c, l->n);
    /* darknet feeds a 1x1 kernel's input to the GEMM as is, which is only
     * right without stride or padding; refuse what it would get wrong */
    if (l->size == 1 && (l->stride != 1 || l->pad != 0))
        return cfg_fail(c, s, "size", err, "size=1 needs stride=1 and no padding");
    l->out_h = (l->h + 2 * l->pad - l->size) / l->stride + 1;
    l->out_w = (l->w + 2 * l->pad - l->size) / l->stride + 1;
    if (l->h + 2 * l->pad < l->size || l->w + 2 * l->pad < l->size)
        return cfg_fail(c, s, "size", err, "kernel %d larger than the %dx%d input", l->size,
                        l->w, l->h);
    l->out_c = l->n;
    l->nweights = (size_t)l->c / l->groups * l->n * l->size * l->size;
    l->nbiases = l->n;
    l->nparams = l->nbiases * (l->batch_normalize ? 4 : 1) + l->nweights;
    l->nout = (size_t)l->out_c * l->out_h * l->out_w;
    if (l->size != 1)
        l->nwork = (size_t)l->c / l->groups * l->size * l->size * l->out_h * l->out_w;
    l->bflops = 2.0 * l->nweights * l->out_h * l->out_w / 1e9;
    return 0;
}

void conv_forward(const layer *l, const network *net, const float *in)
{
    int m = l->n / l->groups;                            /* filters per group */
    int k = l->c / l->groups * l->size * l->size;        /* one filter's taps */
    int spatial = l->out_h * l->out_w;
    for (int b = 0; b < l->batch; b++)
        for (int g = 0; g < l->groups; g++) {
            const float *w = l->weights + (size_t)g * m * k;          /* [m, k] */
            const float *im = in + ((size_t)b * l->c + (size_t)g * (l->c / l->groups)) * l->h *
                                           l->w;              /* [c/groups, h, w] */
            float *out = l->out + ((size_t)b * l->n + (size_t)g * m) * spatial; /* [m, spatial] */
            const float *col = im;                                    /* [k, spatial] */
            if (l->size != 1) {
                layer_im2col(im, l->c / l->groups, l->h, l->w, l->size, l->stride, l->pad,
                             l->out_h, l->out_w, net->work);
                col = net->work;
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, spatial, k, 1.0f, w, k,
                        col, spatial, 0.0f, out, spatial);
        }
    if (l->batch_normalize)
        layer_batchnorm(l->out, l->batch, l->n, spatial, l->mean, l->var, l->scales, l->biases);
    else
        layer_add_bias(l->out, l->batch, l->n, spatial, l->biases);
    act_apply(l->out, (size_t)l->batch * l->outputs, l->act);
}
