/* Matrix products: dispatch and the OpenBLAS path (the AVX-512 kernel is in
 * common/gemm_avx512.c). */
#include <cblas.h>

#include "yolo/gemm.h"

void gemm_f32_blas(const gemm_shape *s, const float *a, const float *b, float *c)
{
    cblas_sgemm(CblasRowMajor, s->ta ? CblasTrans : CblasNoTrans, s->tb ? CblasTrans : CblasNoTrans,
                s->m, s->n, s->k, s->alpha, a, s->lda, b, s->ldb, s->beta, c, s->ldc);
}

void gemm_f32(const gemm_shape *s, const float *a, const float *b, float *c)
{
    if (gemm_f32_avx512(s, a, b, c) != 0)
        gemm_f32_blas(s, a, b, c);
}
