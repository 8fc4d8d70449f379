/* The generic GEMM kernel family (include/yolo/net/gemm_kernel.h): plain C on
 * GCC's vector extension (4 floats, SSE2 on any x86-64, NEON on ARM, scalar
 * code elsewhere), a 6 x 8 micro-kernel of 12 accumulators, multiply then
 * add (no FMA: C11 does not contract them). The reference the other
 * families are tested against. Also the plain packing of op(B), which the
 * AVX2 family uses too. */
#include <string.h>

#include "yolo/net/gemm_kernel.h"

#define INLINE static inline __attribute__((always_inline))

#define MR 6               /* micro-tile rows */
#define NV 2               /* micro-tile width in 4-float vectors */
#define NR (4 * NV)        /* micro-tile columns */

typedef float v4f __attribute__((vector_size(16)));

void gemm_pack_b_plain(const gemm_view *b, int p0, int kc, int j0, int n, int nr, float *dst)
{
    for (int j = 0; j < n; j += nr, dst += (size_t)nr * kc) {
        int cols = n - j < nr ? n - j : nr;
        const float *src = b->p + (size_t)p0 * b->rs + (size_t)(j0 + j) * b->cs;
        if (b->cs == 1) {           /* each k step is cols contiguous floats */
            for (int p = 0; p < kc; p++) {
                float *row = dst + (size_t)p * nr;
                memcpy(row, src + (size_t)p * b->rs, sizeof(float) * cols);
                memset(row + cols, 0, sizeof(float) * (nr - cols));
            }
        } else {                    /* rs = 1: each column's k steps contiguous */
            for (int q = 0; q < nr; q++) {
                const float *col = src + (size_t)q * b->cs;
                for (int p = 0; p < kc; p++)
                    dst[(size_t)p * nr + q] = q < cols ? col[p] : 0.0f;
            }
        }
    }
}

static void pack_b_generic(const gemm_view *b, int p0, int kc, int j0, int n, float *dst)
{
    gemm_pack_b_plain(b, p0, kc, j0, n, NR, dst);
}

/* alpha acc + beta c, the one formula both store orders use. */
INLINE float tile_result(float acc, const float *c, const gemm_tile *t)
{
    float r = t->alpha * acc;
    if (t->beta == 1)
        r = r + *c;
    else if (t->beta != 0)
        r = t->beta * *c + r;
    return r;
}

/* R rows (a compile-time constant at every call: acc stays in registers). */
INLINE void tile_body(const int R, const gemm_tile *t, int trans)
{
    v4f acc[MR][NV];
    for (int i = 0; i < R; i++)
        for (int v = 0; v < NV; v++)
            acc[i][v] = (v4f){0, 0, 0, 0};
    const float *a = t->a, *b = t->b;
    for (int p = 0; p < t->kc; p++, a += t->acs, b += NR) {
        v4f bv[NV];
        memcpy(bv, b, sizeof bv);
        for (int i = 0; i < R; i++) {
            float ai = a[i * t->ars];
            v4f av = {ai, ai, ai, ai};
            for (int v = 0; v < NV; v++)
                acc[i][v] += av * bv[v];
        }
    }
    for (int i = 0; i < R; i++)
        for (int j = 0; j < t->cols; j++) {
            float *c = trans ? t->c + (size_t)j * t->ldc + i : t->c + (size_t)i * t->ldc + j;
            *c = tile_result(acc[i][j / 4][j % 4], c, t);
        }
}

static void tile_generic(const gemm_tile *t, int rows, int trans)
{
    switch (rows) {
    case 1: tile_body(1, t, trans); break;
    case 2: tile_body(2, t, trans); break;
    case 3: tile_body(3, t, trans); break;
    case 4: tile_body(4, t, trans); break;
    case 5: tile_body(5, t, trans); break;
    default: tile_body(MR, t, trans); break;
    }
}

const gemm_kernel gemm_kernel_generic = {
    .name = "generic", .mr = MR, .nr = NR, .vw = 4,
    .trans_cost = 12.0, /* four scalar stores of a strided column per vector */
    .tile = tile_generic, .pack_b = pack_b_generic,
};
