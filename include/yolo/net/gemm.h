/* The one home of matrix products. Row-major, BLAS's meaning:
 *   C [m, n] = alpha * op(A) . op(B) + beta * C
 * op(A) is [m, k]: A stored as [m, k] (ta = 0) or as [k, m] (ta = 1), rows
 * lda apart; op(B) is [k, n]: B stored as [k, n] (tb = 0) or [n, k] (tb = 1),
 * rows ldb apart; C's rows are ldc apart. beta = 0 ignores what C held (NaN
 * included), as BLAS does.
 *
 * gemm_f32 runs the project's own kernels, of the family isa_active()
 * names (include/yolo/net/isa.h: generic C, AVX2 + FMA or AVX-512), and
 * OpenBLAS only when a kernel cannot get its workspace. Called outside an
 * OpenMP parallel region it uses the OpenMP threads; inside one, the calling
 * thread only. Within a family the result is the same bits whatever the
 * thread count, from run to run, and whichever way C is split (threads
 * split C's rows or columns, never k), so a batch of 8 gives each image the
 * bits of a batch of 1 where the products are per image. Families differ in
 * the last bits (FMA against multiply then add), and so does OpenBLAS
 * (about 1e-6 of the largest element at k = 4608), which promises no
 * determinism. (Not named gemm: libdarknet exports that name and the tests
 * link both.) */
#ifndef YOLO_GEMM_H
#define YOLO_GEMM_H

#include "yolo/net/isa.h"

typedef struct {
    int ta, tb;         /* A, B stored transposed */
    int m, n, k;
    float alpha, beta;
    int lda, ldb, ldc;
} gemm_shape;

void gemm_f32(const gemm_shape *s, const float *a, const float *b, float *c);
/* OpenBLAS's cblas_sgemm (the reference and the fallback). */
void gemm_f32_blas(const gemm_shape *s, const float *a, const float *b, float *c);
/* The project's kernel of family f: 0 when done; -1, C untouched, when this
 * CPU lacks f or a workspace allocation failed. */
int gemm_f32_isa(isa_family f, const gemm_shape *s, const float *a, const float *b, float *c);

#endif
