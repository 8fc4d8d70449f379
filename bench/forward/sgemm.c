/* sgemm throughput on convolution-shaped products: OpenBLAS's cblas_sgemm
 * (the ceiling for bench/forward.sh) against the project's gemm_f32
 * (common/net/gemm.c: the AVX-512 kernel where the CPU has it), on the same
 * operands in one run. For each OP M N K given (or a default set taken from
 * yolov2-voc, yolov2-tiny-voc and yolov3-tiny), C[M,N] = op(A) op(B) in
 * row-major float32 with op NN (forward: W[M,K] . col[K,N]), NT (weight
 * gradient: delta[M,K] . col[N,K]^T, beta 1) or TN (input gradient:
 * W[K,M]^T . delta[K,N]). Each is timed in 5 alternating rounds of at least
 * 0.1 s after a warm-up call; the best round counts (on a shared machine a
 * busy core stalls a 2-thread product for whole time slices). Prints one line per
 * shape: OP M N K, then ms and GFLOP/s of OpenBLAS, ms and GFLOP/s of
 * gemm_f32, their ratio (gemm_f32 / OpenBLAS GFLOP/s) and the largest
 * |difference| of the two results over the largest |OpenBLAS result|.
 * Threads: OpenBLAS's own (OPENBLAS_NUM_THREADS); gemm_f32's, OpenMP's.
 *
 *   cc -std=c11 -O2 -Wall -Wextra -fopenmp -Iinclude bench/forward/sgemm.c \
 *      common/net/gemm.c common/net/gemm_avx512.c $(pkg-config --cflags --libs openblas) -o sgemm
 *   ./sgemm [OP M N K]... */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "yolo/net/gemm.h"

typedef void (*gemm_fn)(const gemm_shape *, const float *, const float *, float *);

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static float *filled(size_t n, unsigned seed)
{
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; x && i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        x[i] = (float)(seed >> 8) / 16777216.0f - 0.5f;
    }
    return x;
}

/* The product conv_forward / conv_backward makes for op "NN", "NT" or "TN". */
static int shape_of(const char *op, int m, int n, int k, gemm_shape *s)
{
    if (strcmp(op, "NN") && strcmp(op, "NT") && strcmp(op, "TN"))
        return -1;
    *s = (gemm_shape){.ta = op[0] == 'T', .tb = op[1] == 'T', .m = m, .n = n, .k = k,
                      .alpha = 1, .beta = op[1] == 'T' ? 1.0f : 0.0f};
    s->lda = s->ta ? m : k;
    s->ldb = s->tb ? k : n;
    s->ldc = n;
    return 0;
}

/* Milliseconds per call of f, at least `secs` of calls. */
static double time_calls(gemm_fn f, const gemm_shape *s, const float *a, const float *b, float *c,
                         double secs)
{
    int reps = 0;
    double t0 = now(), t;
    do {
        f(s, a, b, c);
        reps++;
    } while ((t = now() - t0) < secs);
    return 1e3 * t / reps;
}

/* Best ms per call of OpenBLAS (ms[0]) and gemm_f32 (ms[1]), and the largest
 * relative difference of their results from one call each on the same C;
 * -1 if out of memory. */
static int time_shape(const gemm_shape *s, double ms[2], double *diff)
{
    size_t na = (size_t)s->m * s->k, nb = (size_t)s->k * s->n, nc = (size_t)s->m * s->n;
    float *a = filled(na, 1), *b = filled(nb, 2), *c0 = filled(nc, 3), *c1 = filled(nc, 3);
    int rc = -1;
    if (a && b && c0 && c1) {
        static const gemm_fn fns[2] = {gemm_f32_blas, gemm_f32};
        fns[0](s, a, b, c0);
        fns[1](s, a, b, c1);
        double big = 0, d = 0;
        for (size_t i = 0; i < nc; i++) {
            double x = c0[i] < 0 ? -(double)c0[i] : c0[i], e = (double)c0[i] - c1[i];
            big = x > big ? x : big;
            d = e > d ? e : -e > d ? -e : d;
        }
        *diff = big > 0 ? d / big : d;
        ms[0] = ms[1] = INFINITY;
        for (int round = 0; round < 5; round++)
            for (int f = 0; f < 2; f++) {
                double t = time_calls(fns[f], s, a, b, f ? c1 : c0, 0.1);
                ms[f] = t < ms[f] ? t : ms[f];
            }
        rc = 0;
    }
    free(a);
    free(b);
    free(c0);
    free(c1);
    return rc;
}

int main(int argc, char **argv)
{
    /* NN: 3x3 convs at 208, 104, 52, 26 and 13 cells a side, 1x1s, and small
     * N as Winograd's batched products make; NT / TN: the weight and input
     * gradients of some of those layers. */
    static const struct {
        const char *op;
        int m, n, k;
    } def[] = {{"NN", 32, 208 * 208, 144}, {"NN", 128, 52 * 52, 576},
               {"NN", 256, 52 * 52, 1152}, {"NN", 512, 26 * 26, 2304},
               {"NN", 1024, 13 * 13, 4608}, {"NN", 1024, 13 * 13, 9216},
               {"NN", 256, 26 * 26, 512},  {"NN", 125, 13 * 13, 1024},
               {"NN", 256, 64, 256},       {"NN", 512, 36, 512},
               {"NN", 1024, 16, 1024},     {"NN", 128, 49, 128},
               {"NT", 32, 144, 208 * 208}, {"NT", 128, 576, 52 * 52},
               {"NT", 512, 2304, 26 * 26}, {"NT", 1024, 4608, 13 * 13},
               {"TN", 576, 52 * 52, 128},  {"TN", 2304, 26 * 26, 512},
               {"TN", 4608, 13 * 13, 1024}, {"TN", 144, 104 * 104, 32}};
    int nshapes = (argc - 1) / 4, given = argc > 1;
    if (argc > 1 && (argc - 1) % 4) {
        fprintf(stderr, "usage: %s [OP M N K]...   (OP: NN, NT or TN)\n", argv[0]);
        return 1;
    }
    if (!given)
        nshapes = (int)(sizeof def / sizeof def[0]);
    printf("%2s %6s %7s %6s %9s %9s %9s %9s %6s %8s\n", "op", "M", "N", "K", "blas_ms",
           "blas_GF/s", "ours_ms", "ours_GF/s", "ratio", "maxdiff");
    for (int i = 0; i < nshapes; i++) {
        const char *op = given ? argv[1 + 4 * i] : def[i].op;
        int m = given ? atoi(argv[2 + 4 * i]) : def[i].m;
        int n = given ? atoi(argv[3 + 4 * i]) : def[i].n;
        int k = given ? atoi(argv[4 + 4 * i]) : def[i].k;
        gemm_shape s;
        if (m <= 0 || n <= 0 || k <= 0 || shape_of(op, m, n, k, &s)) {
            fprintf(stderr, "sgemm: OP must be NN, NT or TN and M N K positive integers\n");
            return 1;
        }
        double ms[2], diff;
        if (time_shape(&s, ms, &diff)) {
            fprintf(stderr, "sgemm: out of memory for %d x %d x %d\n", m, n, k);
            return 3;
        }
        double gf0 = 2.0 * m * n * k / ms[0] / 1e6, gf1 = 2.0 * m * n * k / ms[1] / 1e6;
        printf("%2s %6d %7d %6d %9.3f %9.1f %9.3f %9.1f %6.2f %8.1e\n", op, m, n, k, ms[0], gf0,
               ms[1], gf1, gf1 / gf0, diff);
    }
    return 0;
}
