/* The AVX-512 GEMM kernel family (include/yolo/net/gemm_kernel.h; the driver,
 * BLIS's loops around it, is common/net/gemm.c): a 14 x 32 micro-kernel, 28 zmm
 * accumulators fed by kc broadcast FMAs, then C = alpha acc + beta C (beta
 * at the first k block, then + C), masked. It comes in every height 1..MR
 * and width 16 or 32, so edge tiles compute little padding, and loads and
 * stores of C outside [m, n] are masked off. When C is stored transposed,
 * each 16 x 16 block of the accumulators is transposed in registers. op(B)
 * is packed with masked loads, or 16 x 16 in-register transposes when its
 * columns are contiguous.
 *
 * Every function using AVX-512 is marked AVX512 (target("avx512f")): the rest
 * of the build is plain x86-64, and the driver picks this family only where
 * the CPU has it. */
#include "yolo/net/isa.h"
#if ISA_X86
#include <immintrin.h>
#include <stdint.h>
#include <stdlib.h>

#include "yolo/net/gemm_kernel.h"

#define AVX512 __attribute__((target("avx512f")))
#define INLINE static inline __attribute__((always_inline))

#define MR 14              /* micro-tile rows (broadcasts) */
#define NV 2               /* micro-tile width in zmm vectors */
#define NR (16 * NV)       /* micro-tile columns */

/* Lanes [0, n) set, n in [0, 16]. */
INLINE __mmask16 lanes(int n)
{
    return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1);
}

/* alpha * acc + beta * C (C read under mask k unless beta = 0), the one
 * formula both store orders use. */
INLINE AVX512 __m512 tile_result(__m512 acc, const float *c, __mmask16 k, const gemm_tile *t)
{
    __m512 r = _mm512_mul_ps(_mm512_set1_ps(t->alpha), acc);
    if (t->beta == 1)
        r = _mm512_add_ps(r, _mm512_maskz_loadu_ps(k, c));
    else if (t->beta != 0)
        r = _mm512_fmadd_ps(_mm512_set1_ps(t->beta), _mm512_maskz_loadu_ps(k, c), r);
    return r;
}

/* r[j] := column j of the 16 x 16 matrix whose rows are r[0..15]. */
INLINE AVX512 void transpose16(__m512 r[16])
{
    __m512 t[16], u[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    /* u[4g + c], lane L: rows 4g..4g+3 of column 4L + c */
    for (int g = 0; g < 4; g++) {
        u[4 * g + 0] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0x44);
        u[4 * g + 1] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0xEE);
        u[4 * g + 2] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
        u[4 * g + 3] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
    }
    /* a 4 x 4 transpose of 128-bit lanes for each c */
    for (int c = 0; c < 4; c++) {
        __m512 v0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x88);
        __m512 v1 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xDD);
        __m512 v2 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x88);
        __m512 v3 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xDD);
        r[c] = _mm512_shuffle_f32x4(v0, v2, 0x88);
        r[4 + c] = _mm512_shuffle_f32x4(v1, v3, 0x88);
        r[8 + c] = _mm512_shuffle_f32x4(v0, v2, 0xDD);
        r[12 + c] = _mm512_shuffle_f32x4(v1, v3, 0xDD);
    }
}

/* dst [kc, 16] (row p at dst + p * NR, 64-byte aligned) := the transpose of
 * the `rows` rows of src, [rows, kc] ld apart; zero past rows. */
INLINE AVX512 void pack_transposed(const float *src, size_t ld, int rows, int kc, float *dst)
{
    for (int p0 = 0; p0 < kc; p0 += 16) {
        __mmask16 k = lanes(kc - p0);
        __m512 r[16];
        for (int i = 0; i < 16; i++)
            r[i] = i < rows ? _mm512_maskz_loadu_ps(k, src + (size_t)i * ld + p0)
                            : _mm512_setzero_ps();
        transpose16(r);
        int q_end = kc - p0 < 16 ? kc - p0 : 16;
        for (int q = 0; q < q_end; q++)
            _mm512_store_ps(dst + (size_t)(p0 + q) * NR, r[q]);
    }
}

/* Asks for the tile's lines of C now, so that they arrive while the FMAs
 * run: C is far bigger than L2 in most calls, and its rows are too far apart
 * for the hardware prefetcher. */
INLINE void tile_prefetch_c(const int R, const int TRANS, const gemm_tile *t)
{
    if (!TRANS) {
        for (int i = 0; i < R; i++) {
            const char *c = (const char *)(t->c + (size_t)i * t->ldc);
            _mm_prefetch(c, _MM_HINT_T0);
            _mm_prefetch(c + 64, _MM_HINT_T0);
            if (t->cols > 16)
                _mm_prefetch(c + 4 * t->cols - 1, _MM_HINT_T0);
        }
        return;
    }
    for (int q = 0; q < t->cols; q++) {
        const char *c = (const char *)(t->c + (size_t)q * t->ldc);
        _mm_prefetch(c, _MM_HINT_T0);
        _mm_prefetch(c + 4 * R - 1, _MM_HINT_T0);
    }
}

/* The micro-kernel body for R rows and V vectors, both compile-time constants
 * at every call, so acc lives in R * V zmm registers. TRANS: C is stored
 * transposed (the tile's row i is C's column): each 16 x 16 block of acc is
 * transposed in registers and written as R-float pieces of 16 rows of C. */
INLINE AVX512 void tile_body(const int R, const int V, const int TRANS, const gemm_tile *t)
{
    __m512 acc[16][NV];
#pragma GCC unroll 16
    for (int i = 0; i < R; i++)
#pragma GCC unroll 4
        for (int v = 0; v < V; v++)
            acc[i][v] = _mm512_setzero_ps();
    tile_prefetch_c(R, TRANS, t);
    /* rows 7.. from a second base: the offsets 0..6 ars serve both */
    const float *a = t->a, *a7 = R > 7 ? t->a + 7 * t->ars : t->a, *b = t->b;
    const size_t ars = t->ars, acs = t->acs;
    /* rows contiguous (ars = 1): each k step's line is streamed once, from
     * rows too far apart for the hardware prefetcher: ask for the next
     * tiles' part of it (else pf = 0 names a line already loaded; an
     * address past A's end is harmless to a prefetch, hence uintptr_t) */
    const size_t pf = ars == 1 ? 2 * MR : 0;
    for (int p = 0; p < t->kc; p++, a += acs, a7 += acs, b += NR) {
        _mm_prefetch((const char *)((uintptr_t)a + pf * sizeof(float)), _MM_HINT_T0);
        __m512 bv[NV];
#pragma GCC unroll 4
        for (int v = 0; v < V; v++)
            bv[v] = _mm512_load_ps(b + 16 * v);
#pragma GCC unroll 16
        for (int i = 0; i < R; i++) {
            __m512 ai = _mm512_set1_ps(i < 7 ? a[i * ars] : a7[(i - 7) * ars]);
#pragma GCC unroll 4
            for (int v = 0; v < V; v++)
                acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
        }
    }
    if (!TRANS) {
#pragma GCC unroll 16
        for (int i = 0; i < R; i++)
#pragma GCC unroll 4
            for (int v = 0; v < V; v++) {
                float *c = t->c + (size_t)i * t->ldc + 16 * v;
                __mmask16 k = lanes(t->cols - 16 * v);
                _mm512_mask_storeu_ps(c, k, tile_result(acc[i][v], c, k, t));
            }
        return;
    }
#pragma GCC unroll 4
    for (int v = 0; v < V; v++) {
        __m512 r[16];
#pragma GCC unroll 16
        for (int i = 0; i < 16; i++)
            r[i] = i < R ? acc[i][v] : _mm512_setzero_ps();
        transpose16(r);
        int q_end = t->cols - 16 * v < 16 ? t->cols - 16 * v : 16;
        for (int q = 0; q < q_end; q++) {
            float *c = t->c + (size_t)(16 * v + q) * t->ldc;
            _mm512_mask_storeu_ps(c, lanes(R), tile_result(r[q], c, lanes(R), t));
        }
    }
}

/* One function per number of rows; v: vectors (1 or NV); trans: C^T. */
#define TILE_FN(R)                                                              \
    static AVX512 void tile_##R(const gemm_tile *t, int v, int trans)           \
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
TILE_FN(7)
TILE_FN(8)
TILE_FN(9)
TILE_FN(10)
TILE_FN(11)
TILE_FN(12)
TILE_FN(13)
TILE_FN(14)

typedef void (*tile_fn)(const gemm_tile *, int, int);
static const tile_fn tile_fns[MR] = {tile_1, tile_2,  tile_3,  tile_4,  tile_5,  tile_6,  tile_7,
                                     tile_8, tile_9, tile_10, tile_11, tile_12, tile_13, tile_14};

/* op(B)[p0 + p, j0 + j] for p < kc, j < n into NR-column panels [kc, NR],
 * zero past n. */
static AVX512 void pack_b_avx512(const gemm_view *b, int p0, int kc, int j0, int n, float *dst)
{
    for (int j = 0; j < n; j += NR, dst += (size_t)NR * kc) {
        int cols = n - j < NR ? n - j : NR;
        const float *src = b->p + (size_t)p0 * b->rs + (size_t)(j0 + j) * b->cs;
        if (b->cs == 1) { /* each k step is NR contiguous floats */
            for (int p = 0; p < kc; p++)
                for (int v = 0; v < NV; v++)
                    _mm512_store_ps(dst + (size_t)p * NR + 16 * v,
                                    _mm512_maskz_loadu_ps(lanes(cols - 16 * v),
                                                          src + (size_t)p * b->rs + 16 * v));
        } else {          /* rs = 1: columns of k contiguous, 16 at a time transposed */
            for (int v = 0; v < NV; v++)
                pack_transposed(cols > 16 * v ? src + (size_t)16 * v * b->cs : src, b->cs,
                                cols - 16 * v, kc, dst + 16 * v);
        }
    }
}

static void tile_avx512(const gemm_tile *t, int rows, int trans)
{
    tile_fns[rows - 1](t, (t->cols + 15) / 16, trans);
}

const gemm_kernel gemm_kernel_avx512 = {
    .name = "avx512", .mr = MR, .nr = NR, .vw = 16,
    .trans_cost = 160.0, /* a 16 x 16 in-register transpose per vector */
    .tile = tile_avx512, .pack_b = pack_b_avx512,
};
#endif
