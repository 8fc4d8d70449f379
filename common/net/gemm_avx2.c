/* The AVX2 + FMA GEMM kernel family (include/yolo/net/gemm_kernel.h): a 6 x 16
 * micro-kernel, 12 ymm accumulators fed by kc broadcast FMAs (with the two
 * B vectors and the broadcast, 15 of the 16 registers), then C = alpha acc
 * + beta C under lane masks. In every height 1..MR and width 8 or 16; when C
 * is stored transposed, each 8 x 8 block of the accumulators is transposed
 * in registers. op(B) is packed by the plain C packing (gemm_generic.c).
 *
 * Every function using AVX2 is marked AVX2 (target("avx2,fma")): the rest
 * of the build is plain x86-64, and the driver picks this family only where
 * the CPU has it. */
#include "yolo/net/isa.h"
#if ISA_X86
#include <immintrin.h>
#include <stdint.h>

#include "yolo/net/gemm_kernel.h"

#define AVX2 __attribute__((target("avx2,fma")))
#define INLINE static inline __attribute__((always_inline))

#define MR 6               /* micro-tile rows (broadcasts) */
#define NV 2               /* micro-tile width in ymm vectors */
#define NR (8 * NV)        /* micro-tile columns */

/* Lanes [0, n) set, n in [0, 8]. */
INLINE AVX2 __m256i lanes(int n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* alpha * acc + beta * C (C read under mask k unless beta = 0), the one
 * formula both store orders use. */
INLINE AVX2 __m256 tile_result(__m256 acc, const float *c, __m256i k, const gemm_tile *t)
{
    __m256 r = _mm256_mul_ps(_mm256_set1_ps(t->alpha), acc);
    if (t->beta == 1)
        r = _mm256_add_ps(r, _mm256_maskload_ps(c, k));
    else if (t->beta != 0)
        r = _mm256_fmadd_ps(_mm256_set1_ps(t->beta), _mm256_maskload_ps(c, k), r);
    return r;
}

/* r[j] := column j of the 8 x 8 matrix whose rows are r[0..7]. */
INLINE AVX2 void transpose8(__m256 r[8])
{
    __m256 t[8], s[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int g = 0; g < 2; g++) {
        s[4 * g + 0] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], 0x44);
        s[4 * g + 1] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], 0xEE);
        s[4 * g + 2] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
        s[4 * g + 3] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
    }
    for (int c = 0; c < 4; c++) {
        r[c] = _mm256_permute2f128_ps(s[c], s[4 + c], 0x20);
        r[4 + c] = _mm256_permute2f128_ps(s[c], s[4 + c], 0x31);
    }
}

/* The micro-kernel body for R rows and V vectors, both compile-time constants
 * at every call, so acc lives in R * V ymm registers. TRANS: C is stored
 * transposed (the tile's row i is C's column). */
INLINE AVX2 void tile_body(const int R, const int V, const int TRANS, const gemm_tile *t)
{
    __m256 acc[MR][NV];
#pragma GCC unroll 8
    for (int i = 0; i < R; i++)
#pragma GCC unroll 2
        for (int v = 0; v < V; v++)
            acc[i][v] = _mm256_setzero_ps();
    const float *a = t->a, *b = t->b;
    const size_t ars = t->ars, acs = t->acs;
    /* rows contiguous (ars = 1): ask for the next tiles' part of the k
     * step's line, as the AVX-512 kernel does (uintptr_t: a prefetch past
     * A's end is harmless) */
    const size_t pf = ars == 1 ? 2 * MR : 0;
    for (int p = 0; p < t->kc; p++, a += acs, b += NR) {
        _mm_prefetch((const char *)((uintptr_t)a + pf * sizeof(float)), _MM_HINT_T0);
        __m256 bv[NV];
#pragma GCC unroll 2
        for (int v = 0; v < V; v++)
            bv[v] = _mm256_load_ps(b + 8 * v);
#pragma GCC unroll 8
        for (int i = 0; i < R; i++) {
            __m256 ai = _mm256_broadcast_ss(a + i * ars);
#pragma GCC unroll 2
            for (int v = 0; v < V; v++)
                acc[i][v] = _mm256_fmadd_ps(ai, bv[v], acc[i][v]);
        }
    }
    if (!TRANS) {
#pragma GCC unroll 8
        for (int i = 0; i < R; i++)
#pragma GCC unroll 2
            for (int v = 0; v < V; v++) {
                float *c = t->c + (size_t)i * t->ldc + 8 * v;
                __m256i k = lanes(t->cols - 8 * v);
                _mm256_maskstore_ps(c, k, tile_result(acc[i][v], c, k, t));
            }
        return;
    }
#pragma GCC unroll 2
    for (int v = 0; v < V; v++) {
        __m256 r[8];
#pragma GCC unroll 8
        for (int i = 0; i < 8; i++)
            r[i] = i < R ? acc[i][v] : _mm256_setzero_ps();
        transpose8(r);
        int q_end = t->cols - 8 * v < 8 ? t->cols - 8 * v : 8;
        __m256i k = lanes(R);
        for (int q = 0; q < q_end; q++) {
            float *c = t->c + (size_t)(8 * v + q) * t->ldc;
            _mm256_maskstore_ps(c, k, tile_result(r[q], c, k, t));
        }
    }
}

/* One function per number of rows; v: vectors (1 or NV); trans: C^T. */
#define TILE_FN(R)                                                              \
    static AVX2 void tile_##R(const gemm_tile *t, int v, int trans)             \
    {                                                                           \
        if (trans)                                                              \
            v == 1 ? tile_body(R, 1, 1, t) : tile_body(R, NV, 1, t);            \
        else                                                                    \
            v == 1 ? tile_body(R, 1, 0, t) : tile_body(R, NV, 0, t);            \
    }
TILE_FN(1)
TILE_FN(2)
TILE_FN(3)
TILE_FN(4)
TILE_FN(5)
TILE_FN(6)

typedef void (*tile_fn)(const gemm_tile *, int, int);
static const tile_fn tile_fns[MR] = {tile_1, tile_2, tile_3, tile_4, tile_5, tile_6};

static void tile_avx2(const gemm_tile *t, int rows, int trans)
{
    tile_fns[rows - 1](t, (t->cols + 7) / 8, trans);
}

static void pack_b_avx2(const gemm_view *b, int p0, int kc, int j0, int n, float *dst)
{
    gemm_pack_b_plain(b, p0, kc, j0, n, NR, dst);
}

const gemm_kernel gemm_kernel_avx2 = {
    .name = "avx2", .mr = MR, .nr = NR, .vw = 8,
    .trans_cost = 40.0, /* an 8 x 8 in-register transpose per vector */
    .tile = tile_avx2, .pack_b = pack_b_avx2,
};
#endif
