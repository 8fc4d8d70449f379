/* Pieces several layer types share: cfg helpers, im2col, batch norm, bias,
 * softmax. */
#include <math.h>
#include <string.h>

#include "yolo/net/isa.h"
#include "yolo/net/layers.h"

/* Per-channel work goes block by block: a block read from memory once is
 * still in cache for its second look. */
#define LAYER_BLOCK 4096
/* Independent partial sums per reduction: one long chain of dependent
 * additions would be bound by the adder's latency. */
#define BN_LANES 8

int layer_activation(layer *l, cfg *c, cfg_section *s, const char *def, yerr *err)
{
    const char *name = cfg_str(s, "activation", def);
    int a = act_parse(name);
    if (a < 0)
        return cfg_fail(c, s, "activation", err, "unknown activation '%s'", name);
    l->act = (act_type)a;
    if (a >= ACT_AB_FIRST && !c->ab_line)
        for (int k = 0; k < s->n; k++)
            if (!strcmp(s->kv[k].key, "activation"))
                c->ab_line = s->kv[k].line;
    return 0;
}

int layer_default_only(cfg *c, cfg_section *s, const char *key, float def, yerr *err)
{
    float v;
    if (cfg_float(c, s, key, def, -1e30f, 1e30f, &v, err) < 0)
        return -1;
    if (v != def)
        return cfg_fail(c, s, key, err, "only %g (the default) is supported by this project",
                        (double)def);
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
ISA_INLINE void im2col_row_body(const float *plane, int h,
                                                                 int w, int ky, int kx,
                                                                 int stride, int pad, int out_w,
                                                                 int oy0, int oy1, float *dst)
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

ISA_CLONES(im2col_row,
           (const float *plane, int h, int w, int ky, int kx, int stride, int pad, int out_w,
            int oy0, int oy1, float *dst),
           (plane, h, w, ky, kx, stride, pad, out_w, oy0, oy1, dst))

void layer_im2col_rows(const float *im, int ch, int h, int w, int size, int stride, int pad,
                       int out_w, int oy0, int oy1, float *col)
{
    void (*im2col_row)(const float *, int, int, int, int, int, int, int, int, int, float *) =
        ISA_PICK(isa_active(), im2col_row);
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

float layer_bn_inv(const layer *l, float var)
{
    /* pjreddie's darknet divides by sqrt(var) + 1e-6, AlexeyAB's by
     * sqrt(var + 1e-5) */
    return l->bn_ab ? 1.0f / sqrtf(var + .00001f) : 1.0f / (sqrtf(var) + .000001f);
}

void layer_batchnorm(const layer *l, float *x, int n, int spatial)
{
    int batch = l->batch;
#pragma omp parallel for collapse(2) schedule(static) if ((long)batch * n * spatial > 65536)
    for (int b = 0; b < batch; b++)
        for (int f = 0; f < n; f++) {
            float *p = x + ((size_t)b * n + f) * spatial;   /* [spatial] */
            float inv = layer_bn_inv(l, l->var[f]);
            for (int i = 0; i < spatial; i++)
                p[i] = (p[i] - l->mean[f]) * inv * l->scales[f] + l->biases[f];
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

/* One plane p [spatial] of layer_bias_act. */
ISA_INLINE void bias_act_body(float *p, int spatial,
                                                               float bias, act_type a)
{
    for (int i = 0; i < spatial; i += LAYER_BLOCK) {  /* the act while in cache */
        int len = spatial - i < LAYER_BLOCK ? spatial - i : LAYER_BLOCK;
#pragma omp simd
        for (int j = i; j < i + len; j++)
            p[j] += bias;
        act_span_inline(p + i, (size_t)len, a);
    }
}
ISA_CLONES(bias_act, (float *p, int spatial, float bias, act_type a), (p, spatial, bias, a))

void layer_bias_act(float *x, int batch, int n, int spatial, const float *biases, act_type a)
{
    void (*plane)(float *, int, float, act_type) = ISA_PICK(isa_active(), bias_act);
#pragma omp parallel for collapse(2) schedule(static) if ((long)batch * n * spatial > 65536)
    for (int b = 0; b < batch; b++)
        for (int f = 0; f < n; f++)
            plane(x + ((size_t)b * n + f) * spatial, spatial, biases[f], a);   /* [spatial] */
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

/* Count, mean and sum of squared deviations of the values seen so far. */
typedef struct bn_stats {
    double n, mean, m2;
} bn_stats;

/* The sum of p [len], in double, in BN_LANES independent partial sums (not
 * one long chain of dependent additions), folded in a fixed order. */
ISA_INLINE double block_sum(const float *p, int len)
{
    double acc[BN_LANES] = {0}, s = 0;
    int i = 0;
    for (; i + BN_LANES <= len; i += BN_LANES)
        for (int k = 0; k < BN_LANES; k++)
            acc[k] += p[i + k];
    for (; i < len; i++)
        acc[i % BN_LANES] += p[i];
    for (int k = 0; k < BN_LANES; k++)
        s += acc[k];
    return s;
}

/* The sum of (p - m)^2 over p [len], the same way. */
ISA_INLINE double block_sqdev(const float *p, int len, double m)
{
    double acc[BN_LANES] = {0}, s = 0;
    int i = 0;
    for (; i + BN_LANES <= len; i += BN_LANES)
        for (int k = 0; k < BN_LANES; k++)
            acc[k] += (p[i + k] - m) * (p[i + k] - m);
    for (; i < len; i++)
        acc[i % BN_LANES] += (p[i] - m) * (p[i] - m);
    for (int k = 0; k < BN_LANES; k++)
        s += acc[k];
    return s;
}

/* Adds the block p [len]: its own mean and squared deviations by two passes
 * over it (the second from the cache), merged with the values before by
 * Chan, Golub and LeVeque's pairwise update. Stable: no E[x^2] - E[x]^2. */
ISA_INLINE void stats_add(bn_stats *st, const float *p, int len)
{
    double m = block_sum(p, len) / len, q = block_sqdev(p, len, m);
    double n = st->n + len, d = m - st->mean;
    st->mean += d * len / n;
    st->m2 += q + d * d * (st->n * len / n);
    st->n = n;
}

/* Channel f of x [batch, n, spatial]: the batch's mean and unbiased variance
 * into bn_mean[f] and bn_var[f] (from double sums: a whole batch's plane
 * loses float precision); the rolling statistics move .01 towards them. */
ISA_INLINE void channel_stats(const layer *l, const float *x, int n, int spatial, int f)
{
    bn_stats st = {0, 0, 0};
    for (int b = 0; b < l->batch; b++) {
        const float *p = x + ((size_t)b * n + f) * spatial;   /* [spatial] */
        for (int i = 0; i < spatial; i += LAYER_BLOCK)
            stats_add(&st, p + i, spatial - i < LAYER_BLOCK ? spatial - i : LAYER_BLOCK);
    }
    l->bn_mean[f] = (float)st.mean;
    /* darknet divides by count - 1; one value has no spread: 0 */
    l->bn_var[f] = st.n > 1 ? (float)(st.m2 / (st.n - 1)) : 0;
    l->mean[f] = .99f * l->mean[f] + .01f * l->bn_mean[f];
    l->var[f] = .99f * l->var[f] + .01f * l->bn_var[f];
}

/* Channel f of x [batch, n, spatial] normalised with bn_mean[f] and
 * bn_var[f], scaled, shifted and activated, block by block: x_norm keeps
 * the normalised values. */
ISA_INLINE void bn_normalise(const layer *l, float *x, int n, int spatial, act_type a, int f)
{
    /* pjreddie's darknet divides by sqrt(var) + 1e-6, AlexeyAB's by
     * sqrt(var + 1e-5) */
    float inv = layer_bn_inv(l, l->bn_var[f]), m = l->bn_mean[f];
    float scale = l->scales[f], bias = l->biases[f];
    for (int b = 0; b < l->batch; b++) {
        size_t off = ((size_t)b * n + f) * spatial;
        float *p = x + off, *xn = l->x_norm + off;      /* [spatial] each */
        for (int i = 0; i < spatial; i += LAYER_BLOCK) {
            int len = spatial - i < LAYER_BLOCK ? spatial - i : LAYER_BLOCK;
#pragma omp simd
            for (int j = i; j < i + len; j++) {
                xn[j] = (p[j] - m) * inv;
                p[j] = xn[j] * scale + bias;
            }
            act_span_inline(p + i, (size_t)len, a);
        }
    }
}

/* Channel f of layer_batchnorm(_act)_train: the statistics, then each
 * block normalised, scaled, shifted and activated while it is in cache. */
ISA_INLINE void bn_train_body(const layer *l, float *x, int n,
                                                               int spatial, act_type a, int f)
{
    channel_stats(l, x, n, spatial, f);
    bn_normalise(l, x, n, spatial, a, f);
}
ISA_CLONES(bn_train, (const layer *l, float *x, int n, int spatial, act_type a, int f),
           (l, x, n, spatial, a, f))

/* Training batch norm and then activation a, channel by channel: one pass
 * for the statistics, one that normalises, scales, shifts and activates
 * each block while it is in cache. */
static void batchnorm_train(const layer *l, float *x, int n, int spatial, act_type a)
{
    void (*channel)(const layer *, float *, int, int, act_type, int) =
        ISA_PICK(isa_active(), bn_train);
#pragma omp parallel for schedule(static) if ((long)l->batch * n * spatial > 65536)
    for (int f = 0; f < n; f++)
        channel(l, x, n, spatial, a, f);
}

void layer_batchnorm_train(const layer *l, float *x, int n, int spatial)
{
    batchnorm_train(l, x, n, spatial, ACT_LINEAR);
}

void layer_batchnorm_act_train(const layer *l, float *x, int n, int spatial)
{
    batchnorm_train(l, x, n, spatial, l->act);
}

/* sum(d) and sum(d * xn) over d, xn [len], in double, as block_sum. */
ISA_INLINE void block_sums(const float *d, const float *xn, int len, double *sum_d, double *sum_dx)
{
    double ad[BN_LANES] = {0}, ax[BN_LANES] = {0};
    int i = 0;
    for (; i + BN_LANES <= len; i += BN_LANES)
        for (int k = 0; k < BN_LANES; k++) {
            ad[k] += d[i + k];
            ax[k] += (double)d[i + k] * xn[i + k];
        }
    for (; i < len; i++) {
        ad[i % BN_LANES] += d[i];
        ax[i % BN_LANES] += (double)d[i] * xn[i];
    }
    for (int k = 0; k < BN_LANES; k++)
        *sum_d += ad[k], *sum_dx += ax[k];
}

/* With s = sqrt(var), e = 1e-6, N = batch * spatial and xhat = (x - mean) /
 * (s + e), dL/dx_i = (g_i - mean(g)) / (s + e) - xhat_i * sum(g * xhat) /
 * ((N - 1) s), where g = dL/dxhat = delta * scale: the mean's and the
 * unbiased variance's dependence on x included. AlexeyAB's xhat = (x -
 * mean) / D with D = sqrt(var + 1e-5) gives the same with D for s + e and
 * for s alike (the last term is 2 D'(var) xhat_i sum(g xhat) / (N - 1),
 * and 2 D' is 1/s for the first, 1/D for the second). (darknet's backward uses
 * sqrt(var + 1e-5) and N, not the forward's sqrt(var) + 1e-6 and N - 1: it
 * is not quite the derivative of its own forward.) With y, delta is first
 * multiplied by activation a's derivative, block by block in the pass that
 * sums. */
/* Channel f's sum(g) and sum(g * xhat) over delta [batch, n, spatial]
 * (activation a's derivative applied first when y is given), added to the
 * bias and scale gradients. */
ISA_INLINE void bn_back_sums(const layer *l, const float *y, float *delta, int n, int spatial,
                             act_type a, int f, double *sum_d, double *sum_dx)
{
    *sum_d = 0, *sum_dx = 0;
    for (int b = 0; b < l->batch; b++) {
        size_t off = ((size_t)b * n + f) * spatial;
        float *d = delta + off;
        const float *xn = l->x_norm + off;                /* [spatial] each */
        for (int i = 0; i < spatial; i += LAYER_BLOCK) {
            int len = spatial - i < LAYER_BLOCK ? spatial - i : LAYER_BLOCK;
            if (y)
                act_grad_span_inline(y + off + i, d + i, (size_t)len, a);
            block_sums(d + i, xn + i, len, sum_d, sum_dx);
        }
    }
    l->bias_grads[f] += (float)*sum_d;
    l->scale_grads[f] += (float)*sum_dx;
}

/* Channel f's delta turned into dL/dx, from the sums over count values. */
ISA_INLINE void bn_back_apply(const layer *l, float *delta, int n, int spatial, int f,
                              double sum_d, double sum_dx, double count)
{
    float s = sqrtf(l->bn_var[f]), inv = layer_bn_inv(l, l->bn_var[f]), g = l->scales[f];
    float mean_g = (float)(sum_d * g / count);
    double dvar2 = l->bn_ab ? inv : s > 0 ? 1 / (double)s : 0;   /* 2 D'(var) */
    float k = count > 1 ? (float)(sum_dx * g * dvar2 / (count - 1)) : 0;
    for (int b = 0; b < l->batch; b++) {
        size_t off = ((size_t)b * n + f) * spatial;
        float *d = delta + off;
        const float *xn = l->x_norm + off;
#pragma omp simd
        for (int i = 0; i < spatial; i++)
            d[i] = (d[i] * g - mean_g) * inv - xn[i] * k;
    }
}

ISA_INLINE void bn_back_body(const layer *l, const float *y,
                                                              float *delta, int n, int spatial,
                                                              act_type a, int f)
{
    double sum_d, sum_dx;
    bn_back_sums(l, y, delta, n, spatial, a, f, &sum_d, &sum_dx);
    bn_back_apply(l, delta, n, spatial, f, sum_d, sum_dx, (double)((size_t)l->batch * spatial));
}
ISA_CLONES(bn_back,
           (const layer *l, const float *y, float *delta, int n, int spatial, act_type a, int f),
           (l, y, delta, n, spatial, a, f))

static void batchnorm_backward(const layer *l, const float *y, float *delta, int n,
                               int spatial, act_type a)
{
    void (*channel)(const layer *, const float *, float *, int, int, act_type, int) =
        ISA_PICK(isa_active(), bn_back);
#pragma omp parallel for schedule(static) if ((long)l->batch * n * spatial > 65536)
    for (int f = 0; f < n; f++)
        channel(l, y, delta, n, spatial, a, f);
}

void layer_batchnorm_backward(const layer *l, float *delta, int n, int spatial)
{
    batchnorm_backward(l, NULL, delta, n, spatial, ACT_LINEAR);
}

void layer_batchnorm_act_backward(const layer *l, const float *y, float *delta, int n,
                                  int spatial)
{
    batchnorm_backward(l, y, delta, n, spatial, l->act);
}

/* ---- batch norm across processes (net_sync) -------------------------------
 * The same arithmetic as above with the sums of every process: the mean
 * from the summed plane sums and counts, the variance from the summed
 * squared deviations about that mean (two passes, as stable as the Chan
 * merge of one process), and backward's two sums. Plain C (the baseline
 * family): a data-parallel run is bound by its reductions, not these loops. */

/* Channel f's plane sums (mean 0) or squared deviations about m, in double. */
static double channel_sum(const layer *l, const float *x, int n, int spatial, int f, int sq,
                          double m)
{
    double s = 0;
    for (int b = 0; b < l->batch; b++) {
        const float *p = x + ((size_t)b * n + f) * spatial;   /* [spatial] */
        for (int i = 0; i < spatial; i += LAYER_BLOCK) {
            int len = spatial - i < LAYER_BLOCK ? spatial - i : LAYER_BLOCK;
            s += sq ? block_sqdev(p + i, len, m) : block_sum(p + i, len);
        }
    }
    return s;
}

void layer_batchnorm_sync_train(const layer *l, float *x, int n, int spatial, act_type a,
                                const net_sync *s)
{
    double *v = s->scratch, *mean = s->scratch + n + 1;   /* [n + 1] sums, count; [n] */
    int par = (long)l->batch * n * spatial > 65536;
#pragma omp parallel for schedule(static) if (par)
    for (int f = 0; f < n; f++)
        v[f] = channel_sum(l, x, n, spatial, f, 0, 0);
    v[n] = (double)l->batch * spatial;
    s->sum(s->ctx, v, (size_t)n + 1);
    double count = v[n];
    for (int f = 0; f < n; f++)
        mean[f] = v[f] / count;
#pragma omp parallel for schedule(static) if (par)
    for (int f = 0; f < n; f++)
        v[f] = channel_sum(l, x, n, spatial, f, 1, mean[f]);
    s->sum(s->ctx, v, (size_t)n);
    for (int f = 0; f < n; f++) {
        l->bn_mean[f] = (float)mean[f];
        l->bn_var[f] = count > 1 ? (float)(v[f] / (count - 1)) : 0;
        l->mean[f] = .99f * l->mean[f] + .01f * l->bn_mean[f];
        l->var[f] = .99f * l->var[f] + .01f * l->bn_var[f];
    }
#pragma omp parallel for schedule(static) if (par)
    for (int f = 0; f < n; f++)
        bn_normalise(l, x, n, spatial, a, f);
}

void layer_batchnorm_sync_backward(const layer *l, const float *y, float *delta, int n,
                                   int spatial, act_type a, const net_sync *s)
{
    double *v = s->scratch;     /* [2n + 1]: sum(g), sum(g * xhat) per channel, the count */
    int par = (long)l->batch * n * spatial > 65536;
#pragma omp parallel for schedule(static) if (par)
    for (int f = 0; f < n; f++)
        bn_back_sums(l, y, delta, n, spatial, a, f, &v[f], &v[n + f]);
    v[2 * n] = (double)l->batch * spatial;
    s->sum(s->ctx, v, 2 * (size_t)n + 1);
#pragma omp parallel for schedule(static) if (par)
    for (int f = 0; f < n; f++)
        bn_back_apply(l, delta, n, spatial, f, v[f], v[n + f], v[2 * n]);
}

/* Channel k of layer_col2im_rows. */
ISA_INLINE void col2im_channel_body(
    const float *col, int k, int h, int w, int size, int stride, int pad, int out_w, int oy0,
    int oy1, float *im)
{
    size_t cols = (size_t)(oy1 - oy0) * out_w;
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
ISA_CLONES(col2im_channel,
           (const float *col, int k, int h, int w, int size, int stride, int pad, int out_w,
            int oy0, int oy1, float *im),
           (col, k, h, w, size, stride, pad, out_w, oy0, oy1, im))

/* im2col's adjoint for the output rows [oy0, oy1): adds each element of
 * col [ch*size*size, (oy1 - oy0) * out_w] into the image position it was
 * read from (im [ch, h, w]). One channel per thread: the taps of a channel
 * all land in its own plane. */
void layer_col2im_rows(const float *col, int ch, int h, int w, int size, int stride, int pad,
                       int out_w, int oy0, int oy1, float *im)
{
    void (*channel)(const float *, int, int, int, int, int, int, int, int, int, float *) =
        ISA_PICK(isa_active(), col2im_channel);
    size_t cols = (size_t)(oy1 - oy0) * out_w;
#pragma omp parallel for schedule(static) if ((long)ch * size * size * cols > 65536)
    for (int k = 0; k < ch; k++)
        channel(col, k, h, w, size, stride, pad, out_w, oy0, oy1, im);
}

void layer_delta_through(const layer *l, float *din)
{
    if (!din)
        return;
    size_t n = (size_t)l->batch * l->outputs;
    for (size_t i = 0; i < n; i++)
        din[i] += l->delta[i];
}
