/* The one home of matrix products. Row-major, BLAS's meaning:
 *   C [m, n] = alpha * op(A) . op(B) + beta * C
 * op(A) is [m, k]: A stored as [m, k] (ta = 0) or as [k, m] (ta = 1), rows
 * lda apart; op(B) is [k, n]: B stored as [k, n] (tb = 0) or [n, k] (tb = 1),
 * rows ldb apart; C's rows are ldc apart. beta = 0 ignores what C held (NaN
 * included), as BLAS does.
 *
 * gemm_f32 picks the fastest kernel this CPU runs. Called outside an OpenMP
 * parallel region it uses the OpenMP threads; inside one, the calling thread
 * only. (Not named gemm: libdarknet exports that name and the tests link both.) */
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

#endif
