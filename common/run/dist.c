/* Data-parallel training's MPI calls (include/yolo/run/dist.h). The only
 * file that includes mpi.h; built without MPI (DIST_MPI undefined) each
 * call is that of a single process. */
#include <limits.h>
#include <stdlib.h>

#include "yolo/run/dist.h"

#ifdef DIST_MPI
#include <mpi.h>
#endif

/* Open MPI's launcher sets OMPI_COMM_WORLD_SIZE for each process it starts
 * (mpirun, orterun, prterun); the children of that process inherit it. */
int dist_env_size(void)
{
    const char *s = getenv("OMPI_COMM_WORLD_SIZE");
    char *end;
    long n = s ? strtol(s, &end, 10) : 1;
    return s && (*end || n < 1 || n > INT_MAX) ? 1 : (int)n;
}

#ifdef DIST_MPI

int dist_available(void) { return 1; }

/* The reduction calls each pass at most INT_MAX elements at a time. */
#define DIST_CHUNK ((size_t)1 << 30)

int dist_init(dist *d, yerr *err)
{
    d->rank = 0, d->size = 1, d->started = 0;
    if (dist_env_size() <= 1)
        return 0;
    /* only the main thread calls MPI; the rest are OpenMP's and the reader */
    int got;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &got) != MPI_SUCCESS)
        return yerr_set(err, YOLO_EIO, "MPI_Init failed");
    d->started = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &d->size);
    return 0;
}

static int sum(const dist *d, void *v, size_t n, size_t elem, MPI_Datatype t, yerr *err)
{
    for (size_t i = 0; d->size > 1 && i < n; i += DIST_CHUNK) {
        size_t k = n - i < DIST_CHUNK ? n - i : DIST_CHUNK;
        if (MPI_Allreduce(MPI_IN_PLACE, (char *)v + i * elem, (int)k, t, MPI_SUM,
                          MPI_COMM_WORLD) != MPI_SUCCESS)
            return yerr_set(err, YOLO_EIO, "rank %d: MPI_Allreduce of %zu values failed",
                            d->rank, k);
    }
    return 0;
}

int dist_sum_f32(const dist *d, float *v, size_t n, yerr *err)
{
    return sum(d, v, n, sizeof *v, MPI_FLOAT, err);
}

int dist_sum_f64(const dist *d, double *v, size_t n, yerr *err)
{
    return sum(d, v, n, sizeof *v, MPI_DOUBLE, err);
}

int dist_same(const dist *d, uint64_t v, const char *what, yerr *err)
{
    if (d->size <= 1)
        return 0;
    uint64_t *all = malloc((size_t)d->size * sizeof *all);   /* [size] */
    if (!all)
        return yerr_set(err, YOLO_EIO, "out of memory");
    int rc = 0;
    if (MPI_Allgather(&v, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, MPI_COMM_WORLD) !=
        MPI_SUCCESS)
        rc = yerr_set(err, YOLO_EIO, "rank %d: MPI_Allgather failed", d->rank);
    for (int r = 1; rc == 0 && r < d->size; r++)
        if (all[r] != all[0])
            rc = yerr_set(err, YOLO_EINPUT, "%s differs between rank 0 (%016llx) and rank %d "
                          "(%016llx)", what, (unsigned long long)all[0], r,
                          (unsigned long long)all[r]);
    free(all);
    return rc;
}

void dist_finalize(dist *d)
{
    if (d->started)
        MPI_Finalize();
    d->started = 0;
}

#else

int dist_available(void) { return 0; }

int dist_init(dist *d, yerr *err)
{
    d->rank = 0, d->size = 1, d->started = 0;
    int n = dist_env_size();
    if (n > 1)
        return yerr_set(err, YOLO_EUSAGE, "started by mpirun with %d ranks, but this build has "
                        "no MPI: install libopenmpi-dev (scripts/deps.sh mpi) and rebuild", n);
    return 0;
}

int dist_sum_f32(const dist *d, float *v, size_t n, yerr *err)
{
    (void)d, (void)v, (void)n, (void)err;
    return 0;
}

int dist_sum_f64(const dist *d, double *v, size_t n, yerr *err)
{
    (void)d, (void)v, (void)n, (void)err;
    return 0;
}

int dist_same(const dist *d, uint64_t v, const char *what, yerr *err)
{
    (void)d, (void)v, (void)what, (void)err;
    return 0;
}

void dist_finalize(dist *d) { d->started = 0; }

#endif
