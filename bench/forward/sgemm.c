/* OpenBLAS sgemm throughput on convolution-shaped products, the ceiling for
 * bench/forward.sh: for each M N K given (or a default set taken from
 * yolov2-voc, yolov2-tiny-voc and yolov3-tiny), C[M,N] = A[M,K] B[K,N] in
 * row-major float32 as conv_forward calls it, repeated for at least 0.5 s
 * after one warm-up call. Prints one line per shape: M N K ms GFLOP/s.
 * Threads: OpenBLAS's own (OPENBLAS_NUM_THREADS).
 *
 *   cc -O2 sgemm.c $(pkg-config --cflags --libs openblas) -o sgemm
 *   ./sgemm [M N K]... */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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

/* Milliseconds per call of one M x N x K product; < 0 if out of memory. */
static double time_shape(int m, int n, int k)
{
    float *a = filled((size_t)m * k, 1), *b = filled((size_t)k * n, 2), *c = filled((size_t)m * n, 3);
    double ms = -1;
    if (a && b && c) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, 0, c, n);
        int reps = 0;
        double t0 = now(), t;
        do {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, 0, c,
                        n);
            reps++;
        } while ((t = now() - t0) < 0.5);
        ms = 1e3 * t / reps;
    }
    free(a);
    free(b);
    free(c);
    return ms;
}

int main(int argc, char **argv)
{
    /* 3x3 convs at 208, 104, 52, 26 and 13 cells a side, and a 1x1 */
    static const int def[][3] = {{32, 208 * 208, 144}, {128, 52 * 52, 576},
                                 {256, 52 * 52, 1152}, {512, 26 * 26, 2304},
                                 {1024, 13 * 13, 4608}, {1024, 13 * 13, 9216},
                                 {256, 26 * 26, 512}};
    int nshapes = (argc - 1) / 3, given = argc > 1;
    if (argc > 1 && (argc - 1) % 3) {
        fprintf(stderr, "usage: %s [M N K]...\n", argv[0]);
        return 1;
    }
    if (!given)
        nshapes = (int)(sizeof def / sizeof def[0]);
    printf("%6s %7s %6s %9s %9s\n", "M", "N", "K", "ms", "GFLOP/s");
    for (int s = 0; s < nshapes; s++) {
        int m = given ? atoi(argv[1 + 3 * s]) : def[s][0];
        int n = given ? atoi(argv[2 + 3 * s]) : def[s][1];
        int k = given ? atoi(argv[3 + 3 * s]) : def[s][2];
        if (m <= 0 || n <= 0 || k <= 0) {
            fprintf(stderr, "sgemm: M N K must be positive integers\n");
            return 1;
        }
        double ms = time_shape(m, n, k);
        if (ms < 0) {
            fprintf(stderr, "sgemm: out of memory for %d x %d x %d\n", m, n, k);
            return 3;
        }
        printf("%6d %7d %6d %9.3f %9.1f\n", m, n, k, ms, 2.0 * m * n * k / ms / 1e6);
    }
    return 0;
}
