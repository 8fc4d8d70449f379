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

void layer_im2col(const float *im, int ch, int h, int w, int size, int stride, int pad,
                  int out_h, int out_w, float *col)
{
    int rows = ch * size * size;
#pragma omp parallel for schedule(static) if ((long)rows * out_h * out_w > 65536)
    for (int r = 0; r < rows; r++) {
        int kx = r % size, ky = (r / size) % size, k = r / size / size;
        const float *plane = im + (size_t)k * h * w;       /* [h, w] */
        float *dst = col + (size_t)r * out_h * out_w;      /* [out_h, out_w] */
        for (int oy = 0; oy < out_h; oy++) {
            int y = oy * stride + ky - pad;
            for (int ox = 0; ox < out_w; ox++) {
                int x = ox * stride + kx - pad;
                int inside = y >= 0 && y < h && x >= 0 && x < w;
                dst[oy * out_w + ox] = inside ? plane[y * w + x] : 0.0f;
            }
        }
    }
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
