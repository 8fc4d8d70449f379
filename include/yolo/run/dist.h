/* Data-parallel training across processes (Open MPI): the one home of every
 * MPI call. Each rank trains on its own shard of the stream; before each
 * optimiser step the ranks' gradient sums are added together (allreduce), so
 * every rank applies the same update and the weights stay the same on all of
 * them without a broadcast (docs/scale-out.md, "Data-parallel training").
 *
 * A process runs data-parallel when Open MPI's launcher started it (mpirun
 * sets OMPI_COMM_WORLD_SIZE; a child of the launched process, as
 * darknet-forward is of pipelines/train.sh, inherits it) with more than one
 * rank; MPI_Init is called only then, so a plain run never touches MPI.
 * Built without MPI (no libopenmpi-dev: DIST_MPI undefined) everything here
 * is a single process, and a run under mpirun is refused.
 *
 *     dist d;
 *     dist_init(&d, &err);           d.size 1: a plain run
 *     ... dist_sum_f32(&d, grads, n, &err) ... dist_same(&d, hash, &err) ...
 *     dist_finalize(&d);
 */
#ifndef YOLO_DIST_H
#define YOLO_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "yolo/base/err.h"

typedef struct dist {
    int rank, size;       /* this process's rank of size (0 of 1: not distributed) */
    int started;          /* MPI_Init was called (MPI_Finalize is due) */
} dist;

/* 1 when this build has MPI (libopenmpi-dev at build time), else 0. */
int dist_available(void);
/* The launcher's rank count from the environment (1 when not under mpirun). */
int dist_env_size(void);
/* Joins the run when the environment says mpirun started it with more than
 * one rank, else d = {0, 1}. Refused (YOLO_EUSAGE) under mpirun in a build
 * without MPI. */
int dist_init(dist *d, yerr *err);
/* v [n] += every other rank's v [n], in place: all ranks end with the sum
 * (a no-op for one rank). Ranks must call these in the same order. */
int dist_sum_f32(const dist *d, float *v, size_t n, yerr *err);
int dist_sum_f64(const dist *d, double *v, size_t n, yerr *err);
/* The same value on every rank (a checksum of the weights): 0; -1 with
 * YOLO_EINPUT naming the first rank whose value differs from rank 0's. */
int dist_same(const dist *d, uint64_t v, const char *what, yerr *err);
/* Ends the run's MPI when dist_init started it. */
void dist_finalize(dist *d);

#endif
