/* Winograd F(4x4,3x3) (common/net/layers/winograd.c) against conv.c's direct
 * path (im2col by output-row tiles + gemm_f32, then bias + activation) on
 * the 3x3 stride-1 layers of the cfgs given (default: yolov2-voc,
 * yolov2-tiny-voc, yolov3-tiny) at SIZE x SIZE.
 *
 * Timing (default): per network, batch and distinct layer shape, each path
 * run once to warm up, then REPS times; the median and best ms per call,
 * the speedup of the medians, and per network the sum over its 3x3 layers
 * (a shape that occurs k times counts k times), also with Winograd only
 * where wino_worth_it says; the header line gives the MB the network's 3x3
 * weights take and what U takes (4x). Threads: OMP_NUM_THREADS
 * (the machine is shared: compare medians and bests, not single runs).
 *
 * Accuracy (--accuracy): per shape at batch 1, the max error over the
 * whole output against the same layer summed in double, divided by the
 * max magnitude, for the direct path and for Winograd; then a chain of
 * leaky 3x3 layers (yolov2-tiny-voc's channel counts, 3 -> ... -> 1024 ->
 * 1024 -> 125, on a small map) each path fed its own previous output, the
 * relative error against a double-precision chain after each layer.
 * Weights: He-normal times a per-filter factor like a folded batch norm
 * (darknet-forward --random's scales), bias N(0, .1); inputs U[0, 1).
 *
 *   make build/release/libyolo.a   (through flock /tmp/helpers/make.lock)
 *   cc -std=c11 -O2 -fopenmp -Iinclude -D_POSIX_C_SOURCE=200809L bench/forward/wino.c \
 *      build/release/libyolo.a -L/usr/lib/x86_64-linux-gnu/openblas-openmp -lopenblas \
 *      -Wl,-rpath,/usr/lib/x86_64-linux-gnu/openblas-openmp -lm -o /tmp/wino
 *   OMP_NUM_THREADS=2 /tmp/wino [--size N] [--reps N] [--batch N]... [--block N]
 *                              [--accuracy] [CFG]... */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "yolo/net/gemm.h"
#include "yolo/net/layers.h"
#include "yolo/base/rng.h"
#include "yolo/net/winograd.h"

#define MAX_SHAPES 64
#define MAX_BATCHES 8

typedef struct {
    int cin, kout, h, w, count;
} shape;

typedef struct {
    int size, reps, block, accuracy;
    int batches[MAX_BATCHES], nbatches;
} opts;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* The distinct 3x3 stride-1 pad-1 ungrouped conv shapes of a cfg, with
 * how often each occurs: their count, or -1. */
static int layer_shapes(const char *path, int size, shape *s)
{
    cfg c;
    network net;
    yerr err;
    int n = 0;
    if (cfg_load(&c, path, &err) < 0 || net_plan(&c, &net, size, size, 1, &err) < 0) {
        fprintf(stderr, "wino: %s\n", err.msg);
        return -1;
    }
    for (int i = 0; i < net.n; i++) {
        const layer *l = &net.l[i];
        if (l->type != CFG_CONVOLUTIONAL || l->size != 3 || l->stride != 1 || l->pad != 1 ||
            l->groups != 1)
            continue;
        int j = 0;
        while (j < n && !(s[j].cin == l->c && s[j].kout == l->n && s[j].h == l->h &&
                          s[j].w == l->w))
            j++;
        if (j == n && n < MAX_SHAPES)
            s[n++] = (shape){l->c, l->n, l->h, l->w, 0};
        if (j < n)
            s[j].count++;
    }
    net_free(&net);
    cfg_free(&c);
    return n;
}

/* conv.c's rows per im2col tile (conv_tile_rows). */
static int tile_rows(int cin, int out_h, int out_w)
{
    long k = (long)cin * 9;
    long rows = (1L << 19) / (k * out_w), min_rows = (4096 + out_w - 1) / out_w;
    if (rows < min_rows)
        rows = min_rows;
    return rows < out_h ? (int)rows : out_h;
}

static size_t direct_work(const shape *s)
{
    return (size_t)s->cin * 9 * tile_rows(s->cin, s->h, s->w) * s->w;
}

/* conv.c's forward: per image, im2col of row tiles, one GEMM each, then
 * bias + activation over the whole output. */
static void direct(const shape *s, int batch, const float *w, const float *bias,
                   const float *in, float *out, float *work)
{
    int k = s->cin * 9, spatial = s->h * s->w, step = tile_rows(s->cin, s->h, s->w);
    for (int b = 0; b < batch; b++) {
        const float *im = in + (size_t)b * s->cin * spatial;
        float *o = out + (size_t)b * s->kout * spatial;
        for (int oy = 0; oy < s->h; oy += step) {
            int end = oy + step < s->h ? oy + step : s->h, cols = (end - oy) * s->w;
            layer_im2col_rows(im, s->cin, s->h, s->w, 3, 1, 1, s->w, oy, end, work);
            gemm_f32(&(gemm_shape){.m = s->kout, .n = cols, .k = k, .alpha = 1, .lda = k,
                                   .ldb = cols, .ldc = spatial},
                     w, work, o + (size_t)oy * s->w);
        }
    }
    layer_bias_act(out, batch, s->kout, spatial, bias, ACT_LEAKY);
}

/* He-normal weights scaled per filter like a folded batch norm
 * (scale / sqrt(var), both U[.5, 1.5)), bias N(0, .1). */
static void random_layer(yrng *r, const shape *s, float *w, float *bias)
{
    double sd = sqrt(2.0 / (9.0 * s->cin));
    for (int k = 0; k < s->kout; k++) {
        double f = rng_range(r, .5, 1.5) / sqrt(rng_range(r, .5, 1.5));
        for (int i = 0; i < s->cin * 9; i++)
            w[(size_t)k * s->cin * 9 + i] = (float)(sd * f * rng_normal(r));
        bias[k] = (float)(.1 * rng_normal(r));
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    const shape *s;
    int batch, block;
    const float *w, *u, *bias, *in;
    float *out, *work;
} run_args;

static void run_path(const run_args *a, int wino)
{
    if (wino) {
        wino_conv cv = {.batch = a->batch, .cin = a->s->cin, .kout = a->s->kout, .h = a->s->h,
                        .w = a->s->w, .block = a->block};
        wino_forward(&cv, a->u, a->bias, ACT_LEAKY, a->in, a->out, a->work);
    } else {
        direct(a->s, a->batch, a->w, a->bias, a->in, a->out, a->work);
    }
}

/* Median and best ms of reps calls after a warm-up. */
static void time_path(const run_args *a, int wino, int reps, double *med, double *best)
{
    double t[64];
    reps = reps > 64 ? 64 : reps;
    run_path(a, wino);
    for (int i = 0; i < reps; i++) {
        double t0 = now();
        run_path(a, wino);
        t[i] = 1e3 * (now() - t0);
    }
    qsort(t, (size_t)reps, sizeof t[0], cmp_double);
    *med = t[reps / 2], *best = t[0];
}

static void fill_uniform(yrng *r, float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)rng_uniform(r);
}

/* Times both paths on one shape; adds the medians (x count) to sum: direct,
 * Winograd, and whichever wino_worth_it picks. */
static int time_shape(const opts *o, const shape *s, int batch, yrng *r, double sum[3])
{
    wino_conv cv = {.batch = batch, .cin = s->cin, .kout = s->kout, .h = s->h, .w = s->w,
                    .block = o->block};
    size_t nin = (size_t)batch * s->cin * s->h * s->w, nout = (size_t)batch * s->kout * s->h * s->w;
    size_t nwork = wino_work_floats(&cv) > direct_work(s) ? wino_work_floats(&cv) : direct_work(s);
    float *w = malloc(sizeof(float) * s->kout * s->cin * 9), *bias = malloc(sizeof(float) * s->kout);
    float *u = malloc(sizeof(float) * wino_weights_floats(s->kout, s->cin));
    float *in = malloc(sizeof(float) * nin), *out = malloc(sizeof(float) * nout);
    float *work = malloc(sizeof(float) * nwork);
    int ok = w && bias && u && in && out && work;
    if (ok) {
        random_layer(r, s, w, bias);
        fill_uniform(r, in, nin);
        wino_transform_weights(s->kout, s->cin, w, u);
        run_args a = {s, batch, o->block, w, u, bias, in, out, work};
        double dm, db, wm, wb;
        time_path(&a, 0, o->reps, &dm, &db);
        time_path(&a, 1, o->reps, &wm, &wb);
        printf("%5d %5d %4dx%-4d %2d %6d %6d %9.2f %9.2f %9.2f %9.2f %6.2f %s\n", s->cin,
               s->kout, s->h, s->w, s->count, wino_block(&cv), (int)wino_tiles(&cv), dm, db, wm,
               wb, dm / wm, wino_worth_it(&cv) ? "yes" : "no");
        sum[0] += s->count * dm, sum[1] += s->count * wm;
        if (wino_worth_it(&cv))
            sum[2] += s->count * wm;
        else
            sum[2] += s->count * dm;
    }
    free(w), free(bias), free(u), free(in), free(out), free(work);
    return ok ? 0 : -1;
}

/* Exact leaky 3x3 layer in double: out [kout, h, w]. */
static void exact_layer(const shape *s, const float *w, const float *bias, const double *in,
                        double *out)
{
#pragma omp parallel for schedule(static)
    for (int k = 0; k < s->kout; k++)
        for (int y = 0; y < s->h; y++)
            for (int x = 0; x < s->w; x++) {
                double sum = bias[k];
                for (int c = 0; c < s->cin; c++)
                    for (int i = 0; i < 3; i++)
                        for (int j = 0; j < 3; j++) {
                            int yy = y + i - 1, xx = x + j - 1;
                            if (yy >= 0 && yy < s->h && xx >= 0 && xx < s->w)
                                sum += (double)w[((size_t)k * s->cin + c) * 9 + i * 3 + j] *
                                       in[((size_t)c * s->h + yy) * s->w + xx];
                        }
                out[((size_t)k * s->h + y) * s->w + x] = sum > 0 ? sum : .1 * sum;
            }
}

static double chain_err(const float *x, const double *ref, size_t n)
{
    double d = 0, m = 0;
    for (size_t i = 0; i < n; i++)
        d = fmax(d, fabs(x[i] - ref[i])), m = fmax(m, fabs(ref[i]));
    return d / m;
}

/* Relative error of direct and Winograd over the whole output of one
 * layer (batch 1) against the double-precision layer. */
static int accuracy_shape(const shape *s, yrng *r)
{
    wino_conv cv = {.batch = 1, .cin = s->cin, .kout = s->kout, .h = s->h, .w = s->w};
    size_t nin = (size_t)s->cin * s->h * s->w, nout = (size_t)s->kout * s->h * s->w;
    size_t nwork = wino_work_floats(&cv) > direct_work(s) ? wino_work_floats(&cv) : direct_work(s);
    float *w = malloc(sizeof(float) * s->kout * s->cin * 9), *bias = malloc(sizeof(float) * s->kout);
    float *u = malloc(sizeof(float) * wino_weights_floats(s->kout, s->cin));
    float *in = malloc(sizeof(float) * nin), *od = malloc(sizeof(float) * nout);
    float *ow = malloc(sizeof(float) * nout), *work = malloc(sizeof(float) * nwork);
    double *ine = malloc(sizeof(double) * nin), *oe = malloc(sizeof(double) * nout);
    int ok = w && bias && u && in && od && ow && work && ine && oe;
    if (ok) {
        random_layer(r, s, w, bias);
        fill_uniform(r, in, nin);
        for (size_t i = 0; i < nin; i++)
            ine[i] = in[i];
        wino_transform_weights(s->kout, s->cin, w, u);
        run_args a = {s, 1, 0, w, u, bias, in, od, work};
        run_path(&a, 0);
        a.out = ow;
        run_path(&a, 1);
        exact_layer(s, w, bias, ine, oe);
        double ed = chain_err(od, oe, nout), ew = chain_err(ow, oe, nout);
        printf("%5d %5d %4dx%-4d %10.2e %10.2e %6.1f\n", s->cin, s->kout, s->h, s->w, ed, ew,
               ew / fmax(ed, 1e-30));
    } else {
        fprintf(stderr, "wino: out of memory\n");
    }
    free(w), free(bias), free(u), free(in), free(od), free(ow), free(work), free(ine), free(oe);
    return ok ? 0 : -1;
}

/* yolov2-tiny-voc's conv channels, all as 3x3 leaky layers at side x side. */
static int accuracy_chain(int side, yrng *r)
{
    static const int ch[] = {3, 16, 32, 64, 128, 256, 512, 1024, 1024, 125};
    int nl = (int)(sizeof ch / sizeof ch[0]) - 1;
    size_t most = (size_t)1024 * side * side;
    float *xd = malloc(sizeof(float) * most), *xw = malloc(sizeof(float) * most);
    float *yd = malloc(sizeof(float) * most), *yw = malloc(sizeof(float) * most);
    double *xe = malloc(sizeof(double) * most), *ye = malloc(sizeof(double) * most);
    float *w = malloc(sizeof(float) * 1024 * 1024 * 9), *bias = malloc(sizeof(float) * 1024);
    float *u = malloc(sizeof(float) * wino_weights_floats(1024, 1024));
    float *work = malloc(sizeof(float) * 36 * 2048 * (size_t)side * side);
    int ok = xd && xw && yd && yw && xe && ye && w && bias && u && work;
    if (ok) {
        fill_uniform(r, xd, (size_t)3 * side * side);
        for (size_t i = 0; i < (size_t)3 * side * side; i++)
            xw[i] = xd[i], xe[i] = xd[i];
        printf("# leaky chain at %dx%d: relative error after each layer\n", side, side);
        printf("%5s %5s %10s %10s\n", "cin", "kout", "direct", "winograd");
        for (int i = 0; i < nl; i++) {
            shape s = {ch[i], ch[i + 1], side, side, 1};
            random_layer(r, &s, w, bias);
            wino_transform_weights(s.kout, s.cin, w, u);
            run_path(&(run_args){&s, 1, 0, w, u, bias, xd, yd, work}, 0);
            run_path(&(run_args){&s, 1, 0, w, u, bias, xw, yw, work}, 1);
            exact_layer(&s, w, bias, xe, ye);
            size_t n = (size_t)s.kout * side * side;
            printf("%5d %5d %10.2e %10.2e\n", s.cin, s.kout, chain_err(yd, ye, n),
                   chain_err(yw, ye, n));
            float *t = xd; xd = yd, yd = t;
            t = xw, xw = yw, yw = t;
            double *te = xe; xe = ye, ye = te;
        }
    }
    free(xd), free(xw), free(yd), free(yw), free(xe), free(ye), free(w), free(bias), free(u);
    free(work);
    return ok ? 0 : -1;
}

/* One cfg: the timing table per batch (with the memory U takes), or the
 * accuracy table. */
static int run_cfg(const opts *o, const char *path, yrng *r)
{
    shape s[MAX_SHAPES];
    int n = layer_shapes(path, o->size, s);
    if (n < 0)
        return -1;
    if (o->accuracy) {
        printf("# %s at %d: max error / max magnitude vs double\n", path, o->size);
        printf("%5s %5s %9s %10s %10s %6s\n", "cin", "kout", "map", "direct", "winograd",
               "ratio");
        for (int i = 0; i < n; i++)
            if (accuracy_shape(&s[i], r) < 0)
                return -1;
        return 0;
    }
    double u_mb = 0, w_mb = 0;
    for (int i = 0; i < n; i++) {
        u_mb += s[i].count * 4e-6 * wino_weights_floats(s[i].kout, s[i].cin);
        w_mb += s[i].count * 4e-6 * 9 * s[i].kout * s[i].cin;
    }
    for (int bi = 0; bi < o->nbatches; bi++) {
        int batch = o->batches[bi];
        double sum[3] = {0, 0, 0};
        printf("# %s at %d, batch %d, %d reps (ms per call, all images); 3x3 weights %.0f MB, "
               "U %.0f MB\n", path, o->size, batch, o->reps, w_mb, u_mb);
        printf("%5s %5s %9s %2s %6s %6s %9s %9s %9s %9s %6s %s\n", "cin", "kout", "map", "x",
               "block", "tiles", "dir-med", "dir-best", "win-med", "win-best", "speed", "rule");
        for (int i = 0; i < n; i++)
            if (time_shape(o, &s[i], batch, r, sum) < 0) {
                fprintf(stderr, "wino: out of memory\n");
                return -1;
            }
        printf("# sum of 3x3 layers: direct %.1f ms, winograd %.1f ms (%.2fx), "
               "winograd where the rule says %.1f ms (%.2fx)\n",
               sum[0], sum[1], sum[0] / sum[1], sum[2], sum[0] / sum[2]);
    }
    return 0;
}

static int int_arg(int argc, char **argv, int *i, int lo, int hi, int *v)
{
    char *end;
    if (*i + 1 >= argc)
        return -1;
    long x = strtol(argv[++*i], &end, 10);
    if (*end || end == argv[*i] || x < lo || x > hi)
        return -1;
    *v = (int)x;
    return 0;
}

int main(int argc, char **argv)
{
    static const char *defaults[] = {"/work/shared/data/cfg/yolov2-voc.cfg",
                                     "/work/shared/data/cfg/yolov2-tiny-voc.cfg",
                                     "/work/shared/data/cfg/yolov3-tiny.cfg"};
    opts o = {.size = 416, .reps = 5};
    const char *cfgs[16];
    int ncfg = 0, bad = 0;
    for (int i = 1; i < argc && !bad; i++) {
        if (!strcmp(argv[i], "--size"))
            bad = int_arg(argc, argv, &i, 1, 4096, &o.size);
        else if (!strcmp(argv[i], "--reps"))
            bad = int_arg(argc, argv, &i, 1, 64, &o.reps);
        else if (!strcmp(argv[i], "--block"))
            bad = int_arg(argc, argv, &i, 0, 1 << 20, &o.block);
        else if (!strcmp(argv[i], "--batch"))
            bad = o.nbatches == MAX_BATCHES ||
                  int_arg(argc, argv, &i, 1, 256, &o.batches[o.nbatches++]);
        else if (!strcmp(argv[i], "--accuracy"))
            o.accuracy = 1;
        else if (argv[i][0] != '-' && ncfg < 16)
            cfgs[ncfg++] = argv[i];
        else
            bad = 1;
    }
    if (bad) {
        fprintf(stderr, "usage: %s [--size N] [--reps N] [--batch N]... [--block N] "
                        "[--accuracy] [CFG]...\n", argv[0]);
        return 1;
    }
    if (!o.nbatches)
        o.batches[0] = 1, o.batches[1] = 8, o.nbatches = 2;
    if (!ncfg)
        for (int i = 0; i < 3; i++)
            cfgs[ncfg++] = defaults[i];
    yrng r;
    rng_seed(&r, 1);
    for (int i = 0; i < ncfg; i++)
        if (run_cfg(&o, cfgs[i], &r) < 0)
            return 3;
    if (o.accuracy && accuracy_chain(16, &r) < 0) {
        fprintf(stderr, "wino: out of memory\n");
        return 3;
    }
    return 0;
}
