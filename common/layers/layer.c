/* Pieces several layer types share: cfg helpers, im2col, batch norm, bias,
 * softmax. */
#include <math.h>
#include <string.h>

#include "yolo/layers.h"

int layer_activation(layer *l, cfg *c, cfg_section *s, const char *def, yerr *err)
{
    const char *name = cfg_str(s, "activation", def);
    int a = act_parse(name);
    if (a < 0)
        return cfg_fail(c, s, "activation", err, "unknown activation '%s'", name);
    l->act = (act_type)a;
    return 0;
}

int layer_unsupported(cfg *c, cfg_section *s, const char *key, yerr *err)
{
    if (cfg_has(s, key))
        return cfg_fail(c, s, key, err, "not supported by this project");
    return 0;
}

/* The output columns [*lo, *hi) whose tap at kernel offset k falls inside
 * [0, n): x = o * stride + k - pad. */
void layer_inside(int n, int out_n, int k, int stride, int pad, int *lo, int *hi)
{
    int a = pad - k;                         /* o * stride >= a */
    *lo = a <= 0 ? 0 : (a + stride - 1) / stride;
    int b = n - 1 + pad - k;                 /* o * stride <= b */
    *hi = b < 0 ? 0 : b / stride + 1;
    if (*hi > out_n)
        *hi = out_n;
    if (*lo > *hi)
        *lo = *hi;
}

/* One row of col: the tap (ky, kx) of one channel plane over the output
 * rows [oy0, oy1); zero where it falls outside. The inside part of each
 * output row is a straight copy for stride 1. */
static void im2col_row(const float *plane, int h, int w, int ky, int kx, int stride, int pad,
                       int out_w, int oy0, int oy1, float *dst)
{
    int lo, hi;
    layer_inside(w, out_w, kx, stride, pad, &lo, &hi);
    for (int oy = oy0; oy < oy1; oy++, dst += out_w) {
        int y = oy * stride + ky - pad;
        if (y < 0 || y >= h) {
            memset(dst, 0, (size_t)out_w * sizeof *dst);
            continue;
        }
        const float *src = plane + (size_t)y * w + kx - pad;     /* src[ox * stride] */
        memset(dst, 0, (size_t)lo * sizeof *dst);
        if (stride == 1)
            memcpy(dst + lo, src + lo, (size_t)(hi - lo) * sizeof *dst);
        else
            for (int ox = lo; ox < hi; ox++)
                dst[ox] = src[ox * stride];
        memset(dst + hi, 0, (size_t)(out_w - hi) * sizeof *dst);
    }
}

void layer_im2col_rows(const float *im, int ch, int h, int w, int size, int stride, int pad,
                       int out_w, int oy0, int oy1, float *col)
{
    int rows = ch * size * size;
    size_t cols = (size_t)(oy1 - oy0) * out_w;
#pragma omp parallel for schedule(static) if ((long)rows * cols > 65536)
    for (int r = 0; r < rows; r++) {
        int kx = r % size, ky = (r / size) % size, k = r / size / size;
        im2col_row(im + (size_t)k * h * w, h, w, ky, kx, stride, pad, out_w, oy0, oy1,
                   col + (size_t)r * cols);
    }
}

void layer_im2col(const float *im, int ch, int h, int w, int size, int stride, int pad,
                  int out_h, int out_w, float *col)
{
    layer_im2col_rows(im, ch, h, w, size, stride, pad, out_w, 0, out_h, col);
}

void layer_batchnorm(float *x, int batch, int n, int spatial, const float *mean,
                     const float *var, const float *scales, const float *biases)
{
#pragma omp parallel for collapse(2) schedule(static) if ((long)batch * n * spatial > 65536)
    for (int b = 0; b < batch; b++)
        for (int f = 0; f < n; f++) {
            float *p = x + ((size_t)b * n + f) * spatial;   /* [spatial] */
            /* darknet divides by sqrt(var) + 1e-6, not sqrt(var + eps) */
            float inv = 1.0f / (sqrtf(var[f]) + .000001f);
            for (int i = 0; i < spatial; i++)
                p[i] = (p[i] - mean[f]) * inv * scales[f] + biases[f];
        }
}

void layer_add_bias(float *x, int batch, int n, int spatial, const float *biases)
{
    for (int b = 0; b < batch; b++)
        for (int f = 0; f < n; f++) {
            float *p = x + ((size_t)b * n + f) * spatial;   /* [spatial] */
            for (int i = 0; i < spatial; i++)
                p[i] += biases[f];
        }
}

void layer_bias_act(float *x, int batch, int n, int spatial, const float *biases, act_type a)
{
#pragma omp parallel for collapse(2) schedule(static) if ((long)batch * n * spatial > 65536)
    for (int b = 0; b < batch; b++)
        for (int f = 0; f < n; f++) {
            float *p = x + ((size_t)b * n + f) * spatial;   /* [spatial] */
            float bias = biases[f];
            if (a == ACT_LEAKY)          /* the common cases, branch-light */
                for (int i = 0; i < spatial; i++) {
                    float v = p[i] + bias;
                    p[i] = v > 0 ? v : .1f * v;
                }
            else if (a == ACT_LINEAR)
                for (int i = 0; i < spatial; i++)
                    p[i] += bias;
            else
                for (int i = 0; i < spatial; i++)
                    p[i] = act_one(p[i] + bias, a);
        }
}

void layer_softmax(const float *x, int n, int stride, float temp, float *y)
{
    float largest = -INFINITY, sum = 0;
    for (int i = 0; i < n; i++)
        if (x[i * stride] > largest)
            largest = x[i * stride];
    for (int i = 0; i < n; i++) {
        float e = expf(x[i * stride] / temp - largest / temp);
        sum += e;
        y[i * stride] = e;
    }
    for (int i = 0; i < n; i++)
        y[i * stride] /= sum;
}

/* ---- training ------------------------------------------------------------ */

void layer_bias_backward(float *grads, const float *delta, int batch, int n, int spatial)
{
    for (int f = 0; f < n; f++) {
        double sum = 0;
        for (int b = 0; b < batch; b++) {
            const float *d = delta + ((size_t)b * n + f) * spatial;   /* [spatial] */
            for (int i = 0; i < spatial; i++)
                sum += d[i];
        }
        grads[f] += (float)sum;
    }
}

/* Mean and unbiased variance of channel f of x [batch, n, spatial], in
 * double: sums over a whole batch's plane lose float precision. */
static void channel_stats(const float *x, int batch, int n, int spatial, int f, float *mean,
                          float *var)
{
    double sum = 0, sq = 0;
    size_t count = (size_t)batch * spatial;
    for (int b = 0; b < batch; b++) {
        const float *p = x + ((size_t)b * n + f) * spatial;
        for (int i = 0; i < spatial; i++)
            sum += p[i];
    }
    double m = sum / count;
    for (int b = 0; b < batch; b++) {
        const float *p = x + ((size_t)b * n + f) * spatial;
        for (int i = 0; i < spatial; i++)
            sq += (p[i] - m) * (p[i] - m);
    }
    *mean = (float)m;
    /* darknet divides by count - 1; one value has no spread: 0 */
    *var = count > 1 ? (float)(sq / (count - 1)) : 0;
}

void layer_batchnorm_train(const layer *l, float *x, int n, int spatial)
{
    int batch = l->batch;
#pragma omp parallel for schedule(static) if ((long)batch * n * spatial > 65536)
    for (int f = 0; f < n; f++) {
        channel_stats(x, batch, n, spatial, f, &l->bn_mean[f], &l->bn_var[f]);
        l->mean[f] = .99f * l->mean[f] + .01f * l->bn_mean[f];
        l->var[f] = .99f * l->var[f] + .01f * l->bn_var[f];
        float inv = 1.0f / (sqrtf(l->bn_var[f]) + .000001f), m = l->bn_mean[f];
        for (int b = 0; b < batch; b++) {
            size_t off = ((size_t)b * n + f) * spatial;
            float *p = x + off, *xn = l->x_norm + off;      /* [spatial] each */
            for (int i = 0; i < spatial; i++) {
                xn[i] = (p[i] - m) * inv;
                p[i] = xn[i] * l->scales[f] + l->biases[f];
            }
        }
    }
}

/* With s = sqrt(var), e = 1e-6, N = batch * spatial and xhat = (x - mean) /
 * (s + e), dL/dx_i = (g_i - mean(g)) / (s + e) - xhat_i * sum(g * xhat) /
 * ((N - 1) s), where g = dL/dxhat = delta * scale: the mean's and the
 * unbiased variance's dependence on x included. (darknet's backward uses
 * sqrt(var + 1e-5) and N, not the forward's sqrt(var) + 1e-6 and N - 1: it
 * is not quite the derivative of its own forward.) */
void layer_batchnorm_backward(const layer *l, float *delta, int n, int spatial)
{
    int batch = l->batch;
    size_t count = (size_t)batch * spatial;
#pragma omp parallel for schedule(static) if ((long)batch * n * spatial > 65536)
    for (int f = 0; f < n; f++) {
        double sum_d = 0, sum_dx = 0;
        for (int b = 0; b < batch; b++) {
            size_t off = ((size_t)b * n + f) * spatial;
            const float *d = delta + off, *xn = l->x_norm + off;
            for (int i = 0; i < spatial; i++)
                sum_d += d[i], sum_dx += (double)d[i] * xn[i];
        }
        l->bias_grads[f] += (float)sum_d;
        l->scale_grads[f] += (float)sum_dx;
        float s = sqrtf(l->bn_var[f]), inv = 1.0f / (s + .000001f), g = l->scales[f];
        float mean_g = (float)(sum_d * g / count);
        float k = s > 0 && count > 1 ? (float)(sum_dx * g / ((count - 1) * (double)s)) : 0;
        for (int b = 0; b < batch; b++) {
            size_t off = ((size_t)b * n + f) * spatial;
            float *d = delta + off;
            const float *xn = l->x_norm + off;
            for (int i = 0; i < spatial; i++)
                d[i] = (d[i] * g - mean_g) * inv - xn[i] * k;
        }
    }
}

/* im2col's adjoint for the output rows [oy0, oy1): adds each element of
 * col [ch*size*size, (oy1 - oy0) * out_w] into the image position it was
 * read from (im [ch, h, w]). One channel per thread: the taps of a channel
 * all land in its own plane. */
void layer_col2im_rows(const float *col, int ch, int h, int w, int size, int stride, int pad,
                       int out_w, int oy0, int oy1, float *im)
{
    size_t cols = (size_t)(oy1 - oy0) * out_w;
#pragma omp parallel for schedule(static) if ((long)ch * size * size * cols > 65536)
    for (int k = 0; k < ch; k++) {
        float *plane = im + (size_t)k * h * w;
        for (int ky = 0; ky < size; ky++)
            for (int kx = 0; kx < size; kx++) {
                const float *src = col + ((size_t)(k * size + ky) * size + kx) * cols;
                int lo, hi;
                layer_inside(w, out_w, kx, stride, pad, &lo, &hi);
                for (int oy = oy0; oy < oy1; oy++, src += out_w) {
                    int y = oy * stride + ky - pad;
                    if (y < 0 || y >= h)
                        continue;
                    float *dst = plane + (size_t)y * w + kx - pad;   /* dst[ox * stride] */
                    for (int ox = lo; ox < hi; ox++)
                        dst[ox * stride] += src[ox];
                }
            }
    }
}

void layer_delta_through(const layer *l, float *din)
{
    if (!din)
        return;
    size_t n = (size_t)l->batch * l->outputs;
    for (size_t i = 0; i < n; i++)
        din[i] += l->delta[i];
}
