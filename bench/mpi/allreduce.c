/* The time of one sum of N floats across the ranks (dist_sum_f32, i.e. one
 * MPI_Allreduce, as darknet-forward --train makes before each update), run
 * under mpirun by bench/mpi.sh:
 *
 *   mpirun -np 2 allreduce N REPS
 *
 * Rank 0 prints the median of REPS timed sums (after one untimed), in ms,
 * and the bus bandwidth that makes: a ring allreduce moves 2 (P - 1) / P of
 * the buffer in and out of each rank. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "yolo/run/dist.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: mpirun -np P %s FLOATS REPS\n", argv[0]);
        return 1;
    }
    size_t n = strtoull(argv[1], NULL, 10);
    int reps = atoi(argv[2]);
    dist d;
    yerr err;
    if (n == 0 || reps < 1 || dist_init(&d, &err) < 0) {
        fprintf(stderr, "allreduce: %s\n", n == 0 || reps < 1 ? "bad arguments" : err.msg);
        return 1;
    }
    float *v = malloc(n * sizeof *v);          /* [n] */
    double *t = malloc((size_t)reps * sizeof *t);
    if (!v || !t) {
        fprintf(stderr, "allreduce: out of memory\n");
        return 3;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = (float)(i % 1000) * 1e-3f;
    int rc = dist_sum_f32(&d, v, n, &err);     /* the first: connections, pages */
    for (int i = 0; rc == 0 && i < reps; i++) {
        double t0 = now();
        rc = dist_sum_f32(&d, v, n, &err);
        t[i] = now() - t0;
    }
    if (rc < 0) {
        fprintf(stderr, "allreduce: %s\n", err.msg);
        return 3;
    }
    qsort(t, (size_t)reps, sizeof *t, by_value);
    double med = t[reps / 2], bytes = (double)n * sizeof *v;
    if (d.rank == 0)
        printf("%d ranks, %zu floats (%.1f MB): median %.1f ms (min %.1f, max %.1f), "
               "bus %.2f GB/s\n", d.size, n, bytes / 1e6, med * 1e3, t[0] * 1e3,
               t[reps - 1] * 1e3, 2.0 * (d.size - 1) / d.size * bytes / med / 1e9);
    free(v);
    free(t);
    dist_finalize(&d);
    return 0;
}
