/* The AVX-512 single-precision GEMM (see include/yolo/gemm.h), organised as
 * BLIS does it, on row-major C:
 *
 *   orient: C, or C^T = op(B)^T op(A)^T stored transposed, whichever the
 *           cost model (gemm_orient) prefers: few rows of C (a first layer's
 *           16 or 32 filters) make the flipped product all full tiles
 *   split:  bands of whole tiles of C (rows or columns, never k) among threads
 *   for pc: k, kc <= GEMM_KC at a time (blocks depend on k alone)
 *    for jc: columns, nc at a time (kc x nc floats = GEMM_L2)
 *     pack op(B)[pc.., jc..] into NR-column panels [kc, NR], zero past n
 *     for each MR rows of op(A), read in place (the micro-panel stays in L1),
 *      for each B panel (streamed from L2):
 *       the MR x NR micro-kernel: kc broadcast FMAs into 28 zmm accumulators,
 *       then C = alpha acc + beta C (beta at pc = 0, then + C), masked
 *
 * Packing and the in-place reads go through strides (gemm_view), so the four
 * ta / tb cases and both orientations run the same micro-kernel. It comes in
 * every height 1..MR and width 16 or 32, so edge tiles compute little padding,
 * and loads and stores of C outside [m, n] are masked off. Every element of C
 * is the same chain of FMAs (k ascending within a kc block, blocks in order)
 * whichever tile, thread, band or orientation computes it: the result does
 * not depend on the thread count. No state outlives a call (the workspace is
 * allocated per call).
 *
 * Every function using AVX-512 is marked AVX512 (target("avx512f")): the rest
 * of the build is plain x86-64, and gemm_f32_avx512 checks the CPU first. */
#include <immintrin.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>

#include "yolo/gemm.h"

#define AVX512 __attribute__((target("avx512f")))
#define INLINE static inline __attribute__((always_inline))

#define MR 14              /* micro-tile rows (broadcasts) */
#define NV 2               /* micro-tile width in zmm vectors */
#define NR (16 * NV)       /* micro-tile columns */
/* Blocking for Zen 5 (L1 48 KB, L2 1 MB per core); both measured best of
 * KC 256..1024 and L2 budgets 160..768 KB on the bench's shapes (the spread
 * was within the noise of a shared machine, a few per cent). */
#define GEMM_KC 640        /* k block: an A micro-panel, MR x KC x 4 = 35 KB, stays in L1 */
#define GEMM_L2 (256 * 1024) /* bytes of packed op(B) per block, streamed from L2 */
#define GEMM_PACK_COST 1.0 /* issue slots to pack one element of B (copy; 2 to transpose) */
#define GEMM_THREAD_MIN (1 << 21) /* multiply-adds per thread below which one thread is faster */

/* A matrix: element (i, j) at p[i * rs + j * cs]. */
typedef struct {
    const float *p;
    size_t rs, cs;
} gemm_view;

/* The product as the kernel sees it: C := alpha op(A) op(B) + beta C, or the
 * same for C^T = op(B)^T op(A)^T (C's strides swapped: crs = 1). */
typedef struct {
    int m, n, k;
    float alpha, beta;
    gemm_view a, b;   /* [m, k], [k, n] */
    float *c;         /* (i, j) at c[i * crs + j * ccs] */
    size_t crs, ccs;
    int trans;        /* C^T: crs = 1, ccs = ldc; else crs = ldc, ccs = 1 */
} gemm_prob;

/* One micro-tile: C [rows, cols] (+)= alpha * A panel . B panel. */
typedef struct {
    int kc;
    const float *a;   /* row i, step p at a[i * ars + p * acs]: op(A) read in place */
    size_t ars, acs;
    const float *b;   /* [kc, NR] packed, 64-byte aligned */
    float *c;         /* C's element (0, 0) of the tile */
    size_t ldc;       /* C's stride along the tile's rows (columns when transposed) */
    int cols;         /* valid columns, 1..NR */
    float alpha, beta; /* beta = 0: C is not read */
} gemm_tile;

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
static AVX512 void pack_b(const gemm_view *b, int p0, int kc, int j0, int n, float *dst)
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

/* ---- blocking ---------------------------------------------------------------- */

/* A band of C: [i0 .. i0+m, j0 .. j0+n). */
typedef struct {
    int i0, m, j0, n;
} gemm_part;

/* The k block: k split into equal blocks of at most GEMM_KC (depends on k
 * alone, so every thread count sums in the same blocks). */
static int gemm_kc(int k)
{
    int blocks = (k + GEMM_KC - 1) / GEMM_KC;
    return (k + blocks - 1) / blocks;
}

/* Columns of op(B) packed at once: kc x nc floats fill GEMM_L2. */
static int gemm_nc(int kc)
{
    int nc = GEMM_L2 / (kc * (int)sizeof(float)) / NR * NR;
    return nc < NR ? NR : nc;
}

/* Workspace floats one thread needs: one packed block of op(B). */
static size_t gemm_work_floats(int k)
{
    int kc = gemm_kc(k);
    return (size_t)gemm_nc(kc) * kc;
}

/* The serial blocked product for one band, with work from gemm_work_floats.
 * op(A) is read in place: an A micro-panel is reused by every B panel of the
 * block from L1, and packing it (a transpose when A is [m, k]) cost more
 * than it saved on every shape measured. */
static AVX512 void gemm_block(const gemm_prob *q, const gemm_part *pt, float *bp)
{
    int kc_max = gemm_kc(q->k), nc_max = gemm_nc(kc_max), trans = q->trans;
    gemm_tile t = {.alpha = q->alpha, .ars = q->a.rs, .acs = q->a.cs,
                   .ldc = trans ? q->ccs : q->crs};
    for (int pc = 0; pc < q->k; pc += kc_max) {
        t.kc = q->k - pc < kc_max ? q->k - pc : kc_max;
        t.beta = pc ? 1.0f : q->beta;
        for (int jc = 0; jc < pt->n; jc += nc_max) {
            int nc = pt->n - jc < nc_max ? pt->n - jc : nc_max;
            pack_b(&q->b, pc, t.kc, pt->j0 + jc, nc, bp);
            for (int ir = 0; ir < pt->m; ir += MR) {
                int rows = pt->m - ir < MR ? pt->m - ir : MR;
                size_t i = (size_t)(pt->i0 + ir);
                t.a = q->a.p + i * q->a.rs + (size_t)pc * q->a.cs;
                for (int jr = 0; jr < nc; jr += NR) {
                    size_t j = (size_t)(pt->j0 + jc + jr);
                    t.cols = nc - jr < NR ? nc - jr : NR;
                    t.b = bp + (size_t)jr * t.kc;
                    t.c = q->c + i * q->crs + j * q->ccs;
                    tile_fns[rows - 1](&t, (t.cols + 15) / 16, trans);
                }
            }
        }
    }
}

/* ---- orientation and threads --------------------------------------------------- */

/* Rough cost, in issue slots per k step, of rows m by columns n cut into
 * tiles: a tile of r rows and v vectors takes max(r v, r + v) slots (its
 * FMAs, or its loads when few accumulators share each broadcast), plus its
 * stores once per k block of kc (a 16 x 16 transpose each when trans). */
static double tile_cost(int r, int v, int kc, int trans)
{
    double fma = r * v > r + v ? r * v : r + v;
    return fma + (trans ? 160.0 * v : 2.0 * r * v) / kc;
}

static double tiles_cost(int m, int n, int k, int trans)
{
    int kc = k < GEMM_KC ? k : GEMM_KC;
    int full_r = m / MR, rem_r = m % MR, full_c = n / NR, rem_v = (n % NR + 15) / 16;
    double cost = (double)full_r * full_c * tile_cost(MR, NV, kc, trans);
    if (rem_r)
        cost += full_c * tile_cost(rem_r, NV, kc, trans);
    if (rem_v)
        cost += full_r * tile_cost(MR, rem_v, kc, trans);
    if (rem_r && rem_v)
        cost += tile_cost(rem_r, rem_v, kc, trans);
    return cost;
}

/* The product in the orientation the cost model prefers: C itself (rows of
 * C broadcast) or C^T (columns of C broadcast, stored transposed), the
 * packed side's copy counted too. The choice depends on the shape alone. */
static gemm_prob gemm_orient(const gemm_shape *s, const float *a, const float *b, float *c)
{
    gemm_view va = {a, s->ta ? 1 : (size_t)s->lda, s->ta ? (size_t)s->lda : 1};
    gemm_view vb = {b, s->tb ? 1 : (size_t)s->ldb, s->tb ? (size_t)s->ldb : 1};
    gemm_prob q = {.m = s->m, .n = s->n, .k = s->k, .alpha = s->alpha, .beta = s->beta,
                   .a = va, .b = vb, .c = c, .crs = (size_t)s->ldc, .ccs = 1};
    /* packing B costs per element, more when it is a transpose (cs != 1) */
    double pack_n = GEMM_PACK_COST * (vb.cs == 1 ? 1.0 : 2.0) * s->n;
    double pack_t = GEMM_PACK_COST * (va.rs == 1 ? 1.0 : 2.0) * s->m;
    double normal = tiles_cost(s->m, s->n, s->k, 0) + pack_n;
    double flipped = tiles_cost(s->n, s->m, s->k, 1) + pack_t;
    if (flipped < normal) {
        q = (gemm_prob){.m = s->n, .n = s->m, .k = s->k, .alpha = s->alpha, .beta = s->beta,
                        .a = {b, vb.cs, vb.rs}, .b = {a, va.cs, va.rs}, .c = c, .crs = 1,
                        .ccs = (size_t)s->ldc, .trans = 1};
    }
    return q;
}

/* Estimated time of the slowest of nt threads when a dimension of length len
 * is cut into bands of whole units (rows MR, columns NR), other the other:
 * its tiles, its copy of op(B) and its reads of op(A) (a row band reads its
 * own rows, a column band all of them). */
static double split_cost(int len, int unit, int other, int rows_split, int nt)
{
    int units = (len + unit - 1) / unit, per = (units + nt - 1) / nt;
    int mine = per * unit < len ? per * unit : len;
    double tiles = rows_split ? tiles_cost(mine, other, GEMM_KC, 0)
                              : tiles_cost(other, mine, GEMM_KC, 0);
    return tiles + GEMM_PACK_COST * ((double)mine + other);
}

/* How C is shared among nt threads: bands of whole tiles, handed out
 * dynamically, so that a core busy with something else delays one band, not
 * half the product. Rows or columns, whichever makes the slowest thread
 * fastest; column bands pack only their own columns of op(B), so there are
 * up to 4 nt, each at least one block of packed B wide; row bands each pack
 * all of op(B), so there are up to 2 nt, each at least 8 tiles high. */
typedef struct {
    int by_rows, unit, len, units, per_band, bands;
} gemm_bands;

static gemm_bands gemm_share(const gemm_prob *q, int nt)
{
    gemm_bands b = {.by_rows = split_cost(q->m, MR, q->n, 1, nt) <
                               split_cost(q->n, NR, q->m, 0, nt)};
    b.unit = b.by_rows ? MR : NR;
    b.len = b.by_rows ? q->m : q->n;
    b.units = (b.len + b.unit - 1) / b.unit;
    int least = b.by_rows ? 8 : gemm_nc(gemm_kc(q->k)) / NR;
    int bands = b.by_rows ? 2 * nt : 4 * nt;   /* a multiple of nt: even shares */
    while (bands > nt && b.units / bands < least)
        bands -= nt;
    b.per_band = (b.units + bands - 1) / bands;
    b.bands = (b.units + b.per_band - 1) / b.per_band;
    return b;
}

/* Band i's part of C. */
static gemm_part gemm_band(const gemm_prob *q, const gemm_bands *b, int i)
{
    gemm_part p = {0, q->m, 0, q->n};
    long long lo = (long long)i * b->per_band * b->unit, hi = lo + (long long)b->per_band * b->unit;
    hi = hi < b->len ? hi : b->len;
    if (b->by_rows) {
        p.i0 = (int)lo;
        p.m = (int)(hi - lo);
    } else {
        p.j0 = (int)lo;
        p.n = (int)(hi - lo);
    }
    return p;
}

/* C := beta * C (alpha = 0 or k = 0: no product; beta = 0 does not read C). */
static void gemm_scale_c(const gemm_shape *s, float *c)
{
    for (int i = 0; i < s->m; i++) {
        float *row = c + (size_t)i * s->ldc;
        for (int j = 0; j < s->n; j++)
            row[j] = s->beta == 0 ? 0.0f : s->beta * row[j];
    }
}

int gemm_have_avx512(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") != 0;
}

int gemm_f32_avx512(const gemm_shape *s, const float *a, const float *b, float *c)
{
    if (!gemm_have_avx512())
        return -1;
    if (s->m <= 0 || s->n <= 0)
        return 0;
    if (s->k <= 0 || s->alpha == 0) {
        gemm_scale_c(s, c);
        return 0;
    }
    gemm_prob q = gemm_orient(s, a, b, c);
    double macs = (double)s->m * s->n * s->k;
    int nt = omp_in_parallel() ? 1 : omp_get_max_threads();
    if (nt > 1 && macs < (double)nt * GEMM_THREAD_MIN)
        nt = macs < 2.0 * GEMM_THREAD_MIN ? 1 : (int)(macs / GEMM_THREAD_MIN);
    size_t per = gemm_work_floats(s->k);
    float *work = aligned_alloc(64, (size_t)nt * per * sizeof(float));
    if (!work)
        return -1;
    if (nt == 1) {
        gemm_part whole = {0, q.m, 0, q.n};
        gemm_block(&q, &whole, work);
    } else {
        gemm_bands bands = gemm_share(&q, nt);
#pragma omp parallel num_threads(nt)
        {
            float *mine = work + (size_t)omp_get_thread_num() * per;
#pragma omp for schedule(dynamic)
            for (int i = 0; i < bands.bands; i++) {
                gemm_part p = gemm_band(&q, &bands, i);
                gemm_block(&q, &p, mine);
            }
        }
    }
    free(work);
    return 0;
}
