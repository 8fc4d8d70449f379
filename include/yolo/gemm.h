/* The one home of matrix products. Row-major, BLAS's meaning:
 *   C [m, n] = alpha * op(A) . op(B) + beta * C
 * op(A) is [m, k]: A stored as [m, k] (ta = 0) or as [k, m] (ta = 1), rows
 * lda apart; op(B) is [k, n]: B stored as [k, n] (tb = 0) or [n, k] (tb = 1),
 * rows ldb apart; C's rows are ldc apart. beta = 0 ignores what C held (NaN
 * included), as BLAS does.
 *
 * gemm_f32 picks the fastest kernel this CPU runs: gemm_f32_avx512 where the
 * CPU has AVX-512 (whatever OPENBLAS_CORETYPE says), OpenBLAS otherwise or
 * when the AVX-512 path cannot get its workspace. Called outside an OpenMP
 * parallel region it uses the OpenMP threads; inside one, the calling thread
 * only. The AVX-512 path gives the same bits whatever the thread count and
 * from run to run (threads split C's rows or columns, never k); OpenBLAS's
 * does not promise that. The two sum in different orders, so they differ in
 * the last bits (about 1e-6 of the largest element at k = 4608). (Not named
 * gemm: libdarknet exports that name and the tests link both.) */
#ifndef YOLO_GEMM_H
#define YOLO_GEMM_H

typedef struct {
    int ta, tb;         /* A, B stored transposed */
    int m, n, k;
    float alpha, beta;
    int lda, ldb, ldc;
} gemm_shape;

void gemm_f32(const gemm_shape *s, const float *a, const float *b, float *c);
/* OpenBLAS's cblas_sgemm (the reference and the fallback). */
void gemm_f32_blas(const gemm_shape *s, const float *a, const float *b, float *c);
/* The AVX-512 kernel (common/gemm_avx512.c): 0 when done; -1, C untouched,
 * when this CPU lacks AVX-512 or a workspace allocation failed. */
int gemm_f32_avx512(const gemm_shape *s, const float *a, const float *b, float *c);
/* 1 if this CPU runs gemm_f32_avx512. */
int gemm_have_avx512(void);

#endif
