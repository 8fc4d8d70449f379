/* [local]: a convolution with separate weights at every output location
 * (yolov1). darknet's pad here is a flag used as the padding itself, and
 * its output size is computed as if that were "same" padding; both agree
 * only for size=3 (or pad=0), which is all we accept. */
#include <cblas.h>
#include <string.h>

#include "yolo/net/layers.h"

int local_make(layer *l, cfg *c, cfg_section *s, const network *net, int index, yerr *err)
{
    (void)net, (void)index;
    if (cfg_int(c, s, "filters", 1, 1, 1 << 16, &l->n, err) < 0 ||
        cfg_int(c, s, "size", 1, 1, 64, &l->size, err) < 0 ||
        cfg_int(c, s, "stride", 1, 1, 64, &l->stride, err) < 0 ||
        cfg_int(c, s, "pad", 0, 0, 1, &l->pad, err) < 0 ||
        layer_activation(l, c, s, "logistic", err) < 0)
        return -1;
    int h = l->pad ? l->h - 1 : l->h - l->size, w = l->pad ? l->w - 1 : l->w - l->size;
    if (h < 0 || w < 0)
        return cfg_fail(c, s, "size", err, "kernel %d larger than the %dx%d input", l->size,
                        l->w, l->h);
    l->out_h = h / l->stride + 1, l->out_w = w / l->stride + 1, l->out_c = l->n;
    if ((l->h + 2 * l->pad - l->size) / l->stride + 1 != l->out_h ||
        (l->w + 2 * l->pad - l->size) / l->stride + 1 != l->out_w)
        return cfg_fail(c, s, "pad", err, "pad=1 with size=%d: darknet's local layer reads "
                        "outside its buffers (only size=3 works with pad=1)", l->size);
    size_t locations = (size_t)l->out_h * l->out_w;
    l->nweights = (size_t)l->c * l->n * l->size * l->size * locations;
    l->nbiases = (size_t)l->n * locations;
    l->nparams = l->nbiases + l->nweights;
    l->nout = l->nbiases;
    l->nwork = (size_t)l->c * l->size * l->size * locations;
    l->bflops = 2.0 * l->nweights / 1e9;
    return 0;
}

void local_forward(const layer *l, const network *net, const float *in)
{
    int locations = l->out_h * l->out_w, k = l->c * l->size * l->size;
    for (int b = 0; b < l->batch; b++) {
        float *out = l->out + (size_t)b * l->outputs;    /* [n, locations] */
        memcpy(out, l->biases, (size_t)l->outputs * sizeof *out);
        layer_im2col(in + (size_t)b * l->inputs, l->c, l->h, l->w, l->size, l->stride, l->pad,
                     l->out_h, l->out_w, net->work);     /* [k, locations] */
        /* location j: out[:, j] += W_j [n, k] . col[:, j] */
        for (int j = 0; j < locations; j++)
            cblas_sgemv(CblasRowMajor, CblasNoTrans, l->n, k, 1.0f,
                        l->weights + (size_t)j * l->n * k, k, net->work + j, locations, 1.0f,
                        out + j, locations);
    }
    act_apply(l->out, (size_t)l->batch * l->outputs, l->act);
}

/* Per location j: dW_j [n, k] += delta[:, j] col[:, j]^T, biases get the
 * delta itself, and din += col2im(W_j^T delta[:, j]). */
void local_backward(const layer *l, const network *net, const float *in, float *din)
{
    int locations = l->out_h * l->out_w, k = l->c * l->size * l->size;
    act_backward(l->out, l->delta, (size_t)l->batch * l->outputs, l->act);
    for (int b = 0; b < l->batch; b++) {
        const float *d = l->delta + (size_t)b * l->outputs;       /* [n, locations] */
        for (int i = 0; i < l->outputs; i++)
            l->bias_grads[i] += d[i];
        layer_im2col(in + (size_t)b * l->inputs, l->c, l->h, l->w, l->size, l->stride, l->pad,
                     l->out_h, l->out_w, net->work);               /* [k, locations] */
        for (int j = 0; j < locations; j++)
            cblas_sger(CblasRowMajor, l->n, k, 1.0f, d + j, locations, net->work + j, locations,
                       l->weight_grads + (size_t)j * l->n * k, k);
        if (!din)
            continue;
        for (int j = 0; j < locations; j++)                        /* col := dcol */
            cblas_sgemv(CblasRowMajor, CblasTrans, l->n, k, 1.0f,
                        l->weights + (size_t)j * l->n * k, k, d + j, locations, 0.0f,
                        net->work + j, locations);
        layer_col2im_rows(net->work, l->c, l->h, l->w, l->size, l->stride, l->pad, l->out_w, 0,
                          l->out_h, din + (size_t)b * l->inputs);
    }
}
