/* Unit tests for common/net/layers/winograd.c: wino_forward against a direct
 * 3x3 convolution in double precision (pad 1, stride 1) on seeded random
 * data, over many map sizes (odd ones, smaller than a tile, not multiples
 * of 4), channel counts, batches, block sizes and every continuous
 * activation; the workspace is allocated at exactly wino_work_floats so
 * ASan (make SAN=1) catches any overrun. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>

#include "yolo/net/layers.h"
#include "yolo/base/rng.h"
#include "yolo/net/winograd.h"

#include "check.h"

/* Tolerance on max |wino - direct| / max |direct| over a layer's output.
 * Direct float32 convolution is ~2e-7 .. 1e-6 off the exact sum on
 * these data; F(4,3)'s transforms scale inputs by up to 5 (B), weights by
 * 1/24 .. 1 (G) and the products' sums by up to 8 (A), so its rounding
 * error is ~10x larger: at most ~6e-6 here, 7.3e-6 on the real layer
 * shapes of yolov2-voc (bench/forward/wino.c --accuracy). 3e-5 leaves a
 * margin for other compilers' rounding while any wrong coefficient, index
 * or crop gives errors of order 1e-1. */
#define TOL 3e-5

typedef struct {
    int batch, cin, kout, h, w, block;
    act_type act;
    int portable;             /* the plain C transforms */
} shape;

static void fill_normal(yrng *r, float *x, size_t n, double sd)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(sd * rng_normal(r));
}

/* out = act(conv(in, w) + bias), summed in double, rounded, activated as
 * conv.c does (act_one on the float sum). */
static void direct(const shape *s, const float *w, const float *bias, const float *in, float *out)
{
    for (int b = 0; b < s->batch; b++)
        for (int k = 0; k < s->kout; k++)
            for (int y = 0; y < s->h; y++)
                for (int x = 0; x < s->w; x++) {
                    double sum = bias[k];
                    for (int c = 0; c < s->cin; c++)
                        for (int i = 0; i < 3; i++)
                            for (int j = 0; j < 3; j++) {
                                int yy = y + i - 1, xx = x + j - 1;
                                if (yy < 0 || yy >= s->h || xx < 0 || xx >= s->w)
                                    continue;
                                sum += (double)w[((size_t)k * s->cin + c) * 9 + i * 3 + j] *
                                       in[(((size_t)b * s->cin + c) * s->h + yy) * s->w + xx];
                            }
                    out[(((size_t)b * s->kout + k) * s->h + y) * s->w + x] =
                        act_one((float)sum, s->act);
                }
}

/* max |a - b| / max |b|; NaN anywhere gives infinity. */
static double rel_err(const float *a, const float *b, size_t n)
{
    double d = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(a[i]) || isnan(b[i]))
            return INFINITY;
        d = fmax(d, fabs((double)a[i] - b[i]));
        m = fmax(m, fabs((double)b[i]));
    }
    return m > 0 ? d / m : d;
}

/* Runs one shape; the relative error, or -1 if memory ran out. */
static double run(const shape *s, yrng *r)
{
    wino_conv cv = {.batch = s->batch, .cin = s->cin, .kout = s->kout, .h = s->h, .w = s->w,
                    .block = s->block, .portable = s->portable};
    size_t nin = (size_t)s->batch * s->cin * s->h * s->w;
    size_t nout = (size_t)s->batch * s->kout * s->h * s->w;
    float *w = malloc(sizeof(float) * s->kout * s->cin * 9);
    float *u = malloc(sizeof(float) * wino_weights_floats(s->kout, s->cin));
    float *bias = malloc(sizeof(float) * s->kout), *in = malloc(sizeof(float) * nin);
    float *out = malloc(sizeof(float) * nout), *ref = malloc(sizeof(float) * nout);
    float *work = malloc(sizeof(float) * wino_work_floats(&cv));
    double err = -1;
    if (w && u && bias && in && out && ref && work) {
        /* darknet-forward --random's scales: He-normal weights, N(0, .1) bias */
        fill_normal(r, w, (size_t)s->kout * s->cin * 9, sqrt(2.0 / (9.0 * s->cin)));
        fill_normal(r, bias, (size_t)s->kout, 0.1);
        fill_normal(r, in, nin, 1.0);
        for (size_t i = 0; i < nout; i++)
            out[i] = NAN;                      /* every output must be written */
        for (size_t i = 0; i < wino_work_floats(&cv); i++)
            work[i] = NAN;                     /* and nothing read before it is written */
        wino_transform_weights(s->kout, s->cin, w, u);
        wino_forward(&cv, u, bias, s->act, in, out, work);
        direct(s, w, bias, in, ref);
        err = rel_err(out, ref, nout);
    }
    free(w), free(u), free(bias), free(in), free(out), free(ref), free(work);
    return err;
}

static void check_shape(const shape *s, yrng *r)
{
    double e = run(s, r);
    CHECK(e >= 0 && e <= TOL, "batch %d cin %d kout %d %dx%d block %d act %d%s: rel err %.2g",
          s->batch, s->cin, s->kout, s->h, s->w, s->block, (int)s->act,
          s->portable ? " plain C" : "", e);
}

/* Sizes 1 .. 30 (all residues mod 4, smaller than one tile, wider than
 * the 16 tiles transformed together), small channel counts, batch 1 and 3,
 * automatic and odd block sizes (blocks that split an image, a tile row
 * or a lane group, or hold one tile); each with the AVX-512 transforms
 * (where the CPU has them) and the plain C ones. */
static void check_sizes(yrng *r)
{
    static const int sizes[][2] = {{1, 1}, {1, 5}, {2, 3},  {3, 3},   {4, 4},  {5, 5},
                                   {6, 7}, {7, 7}, {8, 9},  {13, 13}, {9, 16}, {17, 11},
                                   {26, 26}, {30, 29}, {3, 30}, {5, 69}, {2, 130}};
    static const int chans[][2] = {{1, 1}, {3, 16}, {16, 3}, {7, 5}, {32, 64}, {64, 32}};
    static const int blocks[] = {0, 1, 7, 17, 40};
    int n = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (int batch = 1; batch <= 3; batch += 2) {
            const int *ch = chans[(i + batch) % (sizeof chans / sizeof chans[0])];
            shape s = {.batch = batch, .cin = ch[0], .kout = ch[1], .h = sizes[i][0],
                       .w = sizes[i][1], .block = blocks[n++ % 5], .act = ACT_LEAKY};
            check_shape(&s, r);
            s.portable = 1;
            check_shape(&s, r);
        }
}

/* Every continuous activation darknet has (stair jumps at integers, where
 * any rounding difference flips the output, so it is left out), on a map
 * with partial tiles. */
static void check_acts(yrng *r)
{
    for (int a = 0; a < ACT_N; a++) {
        if (a == ACT_STAIR)
            continue;
        shape s = {.batch = 3, .cin = 8, .kout = 12, .h = 11, .w = 6, .block = 0, .act = a};
        check_shape(&s, r);
    }
}

/* Deep channels: the realistic scale of the rounding error. */
static void check_deep(yrng *r)
{
    shape s = {.batch = 1, .cin = 512, .kout = 24, .h = 13, .w = 13, .block = 0, .act = ACT_LEAKY};
    check_shape(&s, r);
    shape t = {.batch = 3, .cin = 64, .kout = 64, .h = 26, .w = 26, .block = 0, .act = ACT_LINEAR};
    check_shape(&t, r);
}

/* The work split among 1 and 3 threads (items that do not divide evenly,
 * a thread with nothing to do on a small map), both transforms. */
static void check_threads(yrng *r)
{
    static const int threads[] = {1, 3};
    int saved = omp_get_max_threads();
    for (int i = 0; i < 2; i++) {
        omp_set_num_threads(threads[i]);
        for (int portable = 0; portable <= 1; portable++) {
            shape s = {.batch = 2, .cin = 5, .kout = 7, .h = 9, .w = 70, .block = 23,
                       .act = ACT_LEAKY, .portable = portable};
            check_shape(&s, r);
            shape t = {.batch = 1, .cin = 2, .kout = 3, .h = 2, .w = 2, .act = ACT_RELU,
                       .portable = portable};
            check_shape(&t, r);
        }
    }
    omp_set_num_threads(saved);
}

/* The sizes the header promises. */
static void check_sizes_api(void)
{
    wino_conv cv = {.batch = 3, .cin = 10, .kout = 20, .h = 13, .w = 5, .block = 0};
    CHECK(wino_tiles(&cv) == 3 * 4 * 2, "tiles: batch * ceil(h/4) * ceil(w/4)");
    CHECK(wino_weights_floats(20, 10) == 36 * 20 * 10, "U holds 36 * kout * cin floats");
    int b = wino_block(&cv);
    CHECK(b >= 1 && b <= 24, "automatic block within [1, tiles]: %d", b);
    CHECK(wino_work_floats(&cv) == (size_t)36 * 30 * b, "work is 36 * (cin + kout) * block");
    cv.block = 1000;
    CHECK(wino_block(&cv) == 24, "a block larger than the tiles is clamped");
    cv.block = 5;
    CHECK(wino_block(&cv) == 5, "a given block is kept");
    wino_conv big = {.batch = 1, .cin = 1024, .kout = 1024, .h = 13, .w = 13};
    CHECK(wino_block(&big) == 16, "big filters on a small map: one block of all tiles");
    wino_conv first = {.batch = 1, .cin = 3, .kout = 16, .h = 416, .w = 416};
    CHECK(!wino_worth_it(&first), "not worth it for a 3-channel first layer");
    wino_conv mid = {.batch = 1, .cin = 128, .kout = 256, .h = 52, .w = 52};
    CHECK(wino_worth_it(&mid), "worth it for 128 -> 256 at 52x52");
}

/* The input's gradient (training): din += the adjoint of the convolution,
 * din[c, p, q] += sum over k, i, j of w[k, c, i, j] delta[k, p - i + 1,
 * q - j + 1], by wino_transform_weights_back and wino_forward with cin and
 * kout swapped, no bias, accumulating onto what din held. */
static double run_back(const shape *s, yrng *r)
{
    wino_conv cv = {.batch = s->batch, .cin = s->kout, .kout = s->cin, .h = s->h, .w = s->w,
                    .portable = s->portable, .accumulate = 1, .back = 1};
    size_t nin = (size_t)s->batch * s->cin * s->h * s->w;
    size_t nd = (size_t)s->batch * s->kout * s->h * s->w, nw = (size_t)s->kout * s->cin * 9;
    float *w = malloc(sizeof(float) * nw), *d = malloc(sizeof(float) * nd);
    float *u = malloc(sizeof(float) * wino_weights_floats(s->kout, s->cin));
    float *din = malloc(sizeof(float) * nin), *ref = malloc(sizeof(float) * nin);
    float *work = malloc(sizeof(float) * wino_work_floats(&cv));
    double err = -1;
    if (w && d && u && din && ref && work) {
        fill_normal(r, w, nw, sqrt(2.0 / (9.0 * s->cin)));
        fill_normal(r, d, nd, 1.0);
        fill_normal(r, din, nin, 1.0);
        for (size_t i = 0; i < nin; i++)
            ref[i] = din[i];
        for (int b = 0; b < s->batch; b++)
            for (int c = 0; c < s->cin; c++)
                for (int p = 0; p < s->h; p++)
                    for (int q = 0; q < s->w; q++) {
                        double sum = 0;
                        for (int k = 0; k < s->kout; k++)
                            for (int i = 0; i < 3; i++)
                                for (int j = 0; j < 3; j++) {
                                    int y = p - i + 1, x = q - j + 1;
                                    if (y >= 0 && y < s->h && x >= 0 && x < s->w)
                                        sum += (double)w[((size_t)k * s->cin + c) * 9 + i * 3 + j] *
                                               d[(((size_t)b * s->kout + k) * s->h + y) * s->w + x];
                                }
                        ref[(((size_t)b * s->cin + c) * s->h + p) * s->w + q] += (float)sum;
                    }
        wino_transform_weights_back(s->kout, s->cin, w, u);
        wino_forward(&cv, u, NULL, ACT_LINEAR, d, din, work);
        err = rel_err(din, ref, nin);
    }
    free(w), free(d), free(u), free(din), free(ref), free(work);
    return err;
}

static void check_back(yrng *r)
{
    static const shape shapes[] = {
        {2, 16, 24, 13, 13, 0, ACT_LINEAR, 0}, {1, 32, 16, 7, 10, 0, ACT_LINEAR, 0},
        {3, 20, 17, 5, 9, 0, ACT_LINEAR, 1},   {1, 64, 48, 26, 26, 0, ACT_LINEAR, 0},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const shape *s = &shapes[i];
        double e = run_back(s, r);
        CHECK(e >= 0 && e <= TOL, "input's gradient, batch %d, %d channels, %d filters, %dx%d%s: "
              "accumulated onto din (rel err %.2g)", s->batch, s->cin, s->kout, s->h, s->w,
              s->portable ? ", plain C" : "", e);
    }
}

int main(void)
{
    yrng r;
    rng_seed(&r, 7);
    check_sizes_api();
    check_sizes(&r);
    check_acts(&r);
    check_deep(&r);
    check_threads(&r);
    check_back(&r);
    return check_done();
}
