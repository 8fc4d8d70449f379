/* Winograd F(4x4, 3x3) convolution (include/yolo/net/winograd.h). With the
 * points 0, 1, -1, 2, -2, infinity the three transforms are
 *   V = B^T d B (d: 6x6 input), U = G g G^T (g: 3x3 filter), Y = A^T M A
 * (M: 6x6 sum over channels of U .* V, Y: 4x4 output), with
 *   B^T = [4  0 -5  0 1 0]   G = [ 1/4     0    0 ]   A^T = [1 1  1 1  1 0]
 *         [0 -4 -4  1 1 0]       [-1/6 -1/6 -1/6 ]         [0 1 -1 2 -2 0]
 *         [0  4 -4 -1 1 0]       [-1/6  1/6 -1/6 ]         [0 1  1 4  4 0]
 *         [0 -2 -1  2 1 0]       [1/24 1/12  1/6 ]         [0 1 -1 8 -8 1]
 *         [0  2 -1 -2 1 0]       [1/24 -1/12 1/6 ]
 *         [0  4  0 -5 0 1]       [ 0     0    1  ]
 * The input and output transforms run on up to WL tiles side by side in
 * one tile row at once (lanes), as plain loops the compiler vectorises;
 * they are compiled twice, for AVX-512 and for the baseline, picked by
 * what the CPU has. The AVX-512 copy moves between pixel rows and the
 * tiles' lanes (4 apart, overlapping by 2) with permutes instead of
 * scalar copies. */
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "yolo/net/gemm.h"
#include "yolo/net/isa.h"
#include "yolo/net/layers.h"
#include "yolo/net/winograd.h"

#define WL 16        /* tiles per lane group */
#define TILE 4       /* outputs per tile side */
#define SIDE 6       /* inputs per tile side */

/* Where the tiles are: per image th x tw tiles, numbered image by image. */
typedef struct {
    const wino_conv *cv;
    int th, tw;
    long tiles;
    int block;
} wino_plan;

/* One block's place in the workspace and the tiles it covers. */
typedef struct {
    long t0;          /* first tile */
    int nb;           /* tiles in the block */
    float *v;         /* [36, cin, nb] */
    float *m;         /* [36, kout, nb] */
} wino_blk;

size_t wino_weights_floats(int kout, int cin)
{
    return (size_t)WINO_POINTS * kout * cin;
}

/* Kernels transformed side by side: KL channels of one filter, contiguous
 * in w and in u. */
#define KL 16

/* y[0..5][l] (rows ys floats apart) = G x for x = (x0, x1, x2), one lane. */
#define G3(x0, x1, x2, y, ys, l)                                                            \
    do {                                                                                    \
        float even_ = (x0) + (x2);                                                          \
        (y)[l] = (x0) * .25f;                                                               \
        (y)[(ys) + (l)] = -(even_ + (x1)) * (1.0f / 6);                                     \
        (y)[2 * (ys) + (l)] = -(even_ - (x1)) * (1.0f / 6);                                 \
        (y)[3 * (ys) + (l)] = (x0) * (1.0f / 24) + (x1) * (1.0f / 12) + (x2) * (1.0f / 6);  \
        (y)[4 * (ys) + (l)] = (x0) * (1.0f / 24) - (x1) * (1.0f / 12) + (x2) * (1.0f / 6);  \
        (y)[5 * (ys) + (l)] = (x2);                                                         \
    } while (0)

/* u[e * ustep + l] = (G g_l G^T)[e] for the KL kernels g_l = src [l * 9 ..
 * + 9] (turned by 180 degrees when back; lanes from n on are zero). Float:
 * its rounding (a few ulps) is far below the products'. Multiplications by
 * reciprocals and whole lanes, so that it vectorises: in training the
 * weights are transformed at every step. */
static inline __attribute__((always_inline)) void transform_lanes(const float *src, int back,
                                                                 int n, float *u, int ustep)
{
    float g[9][KL], t[6][3][KL];                    /* t = G g: [6, 3] per lane */
    for (int i = 0; i < 9; i++) {
        int at = back ? 8 - i : i;
        for (int l = 0; l < KL; l++)
            g[i][l] = l < n ? src[l * 9 + at] : 0;
    }
    for (int j = 0; j < 3; j++)
        for (int l = 0; l < KL; l++)
            G3(g[j][l], g[3 + j][l], g[6 + j][l], &t[0][j][0], 3 * KL, l);
    for (int r = 0; r < 6; r++)                     /* row r of G g G^T = G (row r of t) */
        for (int l = 0; l < KL; l++)
            G3(t[r][0][l], t[r][1][l], t[r][2][l], u + (size_t)r * 6 * ustep, ustep, l);
}

/* Channels transformed into a local buffer before they are written out: 36
 * runs of KB contiguous floats per buffer rather than 36 scattered runs of
 * KL (written straight to u, 36 streams per thread ran at a quarter of the
 * memory's write speed). */
#define KB 256

/* u [36, kout, cin] = G g G^T for each filter k and channel c of w [kout,
 * cin, 3, 3] (each kernel turned by 180 degrees when back). Twice: AVX-512
 * and baseline. */
#define WINO_TRANSFORM(suffix, attr)                                                        \
    attr static void transform_##suffix(int kout, int cin, const float *w, float *u,        \
                                        int back)                                           \
    {                                                                                       \
        size_t plane = (size_t)kout * cin;                                                  \
        _Pragma("omp parallel for schedule(static)")                                        \
        for (int k = 0; k < kout; k++) {                                                    \
            float buf[WINO_POINTS * KB];                     /* [36, KB] */                 \
            for (int c0 = 0; c0 < cin; c0 += KB) {                                          \
                int nb = cin - c0 < KB ? cin - c0 : KB;                                     \
                for (int c = 0; c < nb; c += KL)                                            \
                    transform_lanes(w + ((size_t)k * cin + c0 + c) * 9, back,               \
                                    nb - c < KL ? nb - c : KL, buf + c, KB);                \
                for (int e = 0; e < WINO_POINTS; e++)                                       \
                    memcpy(u + e * plane + (size_t)k * cin + c0, buf + e * KB,              \
                           sizeof(float) * nb);                                             \
            }                                                                               \
        }                                                                                   \
    }

WINO_TRANSFORM(avx512, ISA_TARGET_AVX512)
WINO_TRANSFORM(avx2, ISA_TARGET_AVX2)
WINO_TRANSFORM(base, )

/* The same plain C in every family (C11 contracts no multiply-add into an
 * FMA): the same bits, at each family's vector width. */
static void transform(int kout, int cin, const float *w, float *u, int back)
{
    switch (isa_active()) {
    case ISA_AVX512: transform_avx512(kout, cin, w, u, back); break;
    case ISA_AVX2: transform_avx2(kout, cin, w, u, back); break;
    default: transform_base(kout, cin, w, u, back); break;
    }
}

void wino_transform_weights(int kout, int cin, const float *w, float *u)
{
    transform(kout, cin, w, u, 0);
}

void wino_transform_weights_back(int kout, int cin, const float *w, float *u)
{
    transform(kout, cin, w, u, 1);
}

static int ceil_div(int a, int b) { return (a + b - 1) / b; }

long wino_tiles(const wino_conv *cv)
{
    return (long)cv->batch * ceil_div(cv->h, TILE) * ceil_div(cv->w, TILE);
}

/* Without a given block: tiles whose V and M fill BUDGET floats, but at
 * least kout * cin / (cin + kout) tiles, where reading U once per block
 * costs no more than the block's own V and M (big layers on small maps:
 * U is 36 * kout * cin floats, 151 MB at 1024 x 1024); then the tiles
 * split evenly into blocks. */
#define BUDGET (1L << 20)
int wino_block(const wino_conv *cv)
{
    long tiles = wino_tiles(cv), per = (long)WINO_POINTS * (cv->cin + cv->kout);
    long b = cv->block;
    if (b <= 0) {
        long by_cache = BUDGET / per, by_u = (long)cv->kout * cv->cin / (cv->cin + cv->kout);
        b = by_cache > by_u ? by_cache : by_u;
        b = b < WL ? WL : b;
        long nblocks = (tiles + b - 1) / b;
        b = (tiles + nblocks - 1) / nblocks;
    }
    return (int)(b < 1 ? 1 : b > tiles ? tiles : b);
}

size_t wino_work_floats(const wino_conv *cv)
{
    return (size_t)WINO_POINTS * (cv->cin + cv->kout) * wino_block(cv);
}

/* The 1-D transforms on WL lanes: y[i][.] = sum_j B^T[i][j] x[j][.], with
 * x and y rows `xs` and `ys` floats apart. */
static inline __attribute__((always_inline)) void bt6(const float *x, int xs, float *y, int ys)
{
    for (int l = 0; l < WL; l++) {
        float x0 = x[l], x1 = x[xs + l], x2 = x[2 * xs + l], x3 = x[3 * xs + l];
        float x4 = x[4 * xs + l], x5 = x[5 * xs + l];
        y[l] = 4 * x0 - 5 * x2 + x4;
        y[ys + l] = x3 + x4 - 4 * (x1 + x2);
        y[2 * ys + l] = x4 - x3 + 4 * (x1 - x2);
        y[3 * ys + l] = x4 - x2 + 2 * (x3 - x1);
        y[4 * ys + l] = x4 - x2 - 2 * (x3 - x1);
        y[5 * ys + l] = 4 * x1 - 5 * x3 + x5;
    }
}

static inline __attribute__((always_inline)) void at6(const float *x, int xs, float *y, int ys)
{
    for (int l = 0; l < WL; l++) {
        float x0 = x[l], x1 = x[xs + l], x2 = x[2 * xs + l], x3 = x[3 * xs + l];
        float x4 = x[4 * xs + l], x5 = x[5 * xs + l];
        float s12 = x1 + x2, d12 = x1 - x2, s34 = x3 + x4, d34 = x3 - x4;
        y[l] = x0 + s12 + s34;
        y[ys + l] = d12 + 2 * d34;
        y[2 * ys + l] = s12 + 4 * s34;
        y[3 * ys + l] = d12 + 8 * d34 + x5;
    }
}

/* A run of n <= WL tiles side by side in one tile row of one image, the
 * lanes of one transform: image b, tile row ty, first tile column tx. */
typedef struct {
    int b, ty, tx, n;
} wino_seg;

/* The segment starting at block tile q (tiles stop at WL, at the end of
 * the tile row and at the end of the block). */
static wino_seg segment(const wino_plan *p, const wino_blk *bk, int q)
{
    long g = bk->t0 + q, per = (long)p->th * p->tw, r = g % per;
    wino_seg s = {.b = (int)(g / per), .ty = (int)(r / p->tw), .tx = (int)(r % p->tw)};
    int n = p->tw - s.tx;
    n = n < WL ? n : WL;
    s.n = n < bk->nb - q ? n : bk->nb - q;
    return s;
}

#define RW (TILE * WL + 16)    /* columns of a segment's rows: 4 n + 2 used */

/* col [6, WL]: col[j][l] = row[4 l + j], each tile's 6 inputs as lanes
 * (row [RW]). */
static void deinterleave_c(const float *row, float col[SIDE][WL])
{
    for (int j = 0; j < SIDE; j++)
        for (int l = 0; l < WL; l++)
            col[j][l] = row[TILE * l + j];
}

/* row [4 WL]: row[4 l + j] = y[j][l], the inverse for 4 outputs a tile. */
static void interleave_c(float y[TILE][WL], float *row)
{
    for (int l = 0; l < WL; l++)
        for (int j = 0; j < TILE; j++)
            row[TILE * l + j] = y[j][l];
}

#if ISA_X86
#include <immintrin.h>

/* The same with AVX-512 permutes: for each j, lanes 0-7 from row[0, 32),
 * 8-15 from row[32, 64) (j = 4, 5: the same from row + 4). */
static inline __attribute__((target("avx512f"))) void deinterleave_avx512(const float *row,
                                                                         float col[SIDE][WL])
{
    for (int half = 0; half < 2; half++) {
        const float *r = row + TILE * half;
        __m512 z0 = _mm512_loadu_ps(r), z1 = _mm512_loadu_ps(r + 16);
        __m512 z2 = _mm512_loadu_ps(r + 32), z3 = _mm512_loadu_ps(r + 48);
        for (int j = 0; j < (half ? 2 : TILE); j++) {
            __m512i idx = _mm512_add_epi32(
                _mm512_set_epi32(60, 56, 52, 48, 44, 40, 36, 32, 28, 24, 20, 16, 12, 8, 4, 0),
                _mm512_set1_epi32(j));
            __m512 lo = _mm512_permutex2var_ps(z0, idx, z1), hi = _mm512_permutex2var_ps(z2, idx, z3);
            _mm512_storeu_ps(col[TILE * half + j], _mm512_shuffle_f32x4(lo, hi, 0x44));
        }
    }
}

/* The same with AVX-512: 4x4 transposes within 128-bit lanes, then of the
 * 128-bit lanes. */
static inline __attribute__((target("avx512f"))) void interleave_avx512(float y[TILE][WL],
                                                                       float *row)
{
    __m512 y0 = _mm512_loadu_ps(y[0]), y1 = _mm512_loadu_ps(y[1]);
    __m512 y2 = _mm512_loadu_ps(y[2]), y3 = _mm512_loadu_ps(y[3]);
    __m512 a = _mm512_unpacklo_ps(y0, y1), b = _mm512_unpackhi_ps(y0, y1);
    __m512 c = _mm512_unpacklo_ps(y2, y3), d = _mm512_unpackhi_ps(y2, y3);
    __m512 e0 = _mm512_shuffle_ps(a, c, 0x44), e1 = _mm512_shuffle_ps(a, c, 0xEE);
    __m512 e2 = _mm512_shuffle_ps(b, d, 0x44), e3 = _mm512_shuffle_ps(b, d, 0xEE);
    __m512 f0 = _mm512_shuffle_f32x4(e0, e1, 0x44), f1 = _mm512_shuffle_f32x4(e2, e3, 0x44);
    __m512 g0 = _mm512_shuffle_f32x4(e0, e1, 0xEE), g1 = _mm512_shuffle_f32x4(e2, e3, 0xEE);
    _mm512_storeu_ps(row, _mm512_shuffle_f32x4(f0, f1, 0x88));
    _mm512_storeu_ps(row + 16, _mm512_shuffle_f32x4(f0, f1, 0xDD));
    _mm512_storeu_ps(row + 32, _mm512_shuffle_f32x4(g0, g1, 0x88));
    _mm512_storeu_ps(row + 48, _mm512_shuffle_f32x4(g0, g1, 0xDD));
}

static inline __attribute__((target("avx512f"))) void load_lanes_avx512(const float *src, int n,
                                                                       float *dst)
{
    __mmask16 k = (__mmask16)(n >= WL ? 0xFFFF : (1u << n) - 1);
    _mm512_storeu_ps(dst, _mm512_maskz_loadu_ps(k, src));
}

static inline __attribute__((target("avx512f"))) void store_lanes_avx512(const float *src, int n,
                                                                        float *dst)
{
    __mmask16 k = (__mmask16)(n >= WL ? 0xFFFF : (1u << n) - 1);
    _mm512_mask_storeu_ps(dst, k, _mm512_loadu_ps(src));
}

#define AVX2 __attribute__((target("avx2,fma")))

/* deinterleave_c with AVX2 shuffles, 8 tiles at a time: the 8 x 4 block
 * row[32 h .. 32 h + 32) (tile-major) turned into 4 lane vectors (for j = 4,
 * 5: the same from row + 4). */
static inline AVX2 void deinterleave_avx2(const float *row, float col[SIDE][WL])
{
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (int h = 0; h < WL / 8; h++)
        for (int half = 0; half < 2; half++) {
            const float *r = row + 32 * h + TILE * half;
            __m256 r0 = _mm256_loadu_ps(r), r1 = _mm256_loadu_ps(r + 8);
            __m256 r2 = _mm256_loadu_ps(r + 16), r3 = _mm256_loadu_ps(r + 24);
            __m256 a = _mm256_unpacklo_ps(r0, r1), b = _mm256_unpackhi_ps(r0, r1);
            __m256 c = _mm256_unpacklo_ps(r2, r3), d = _mm256_unpackhi_ps(r2, r3);
            /* lanes in tile order 0 2 4 6 1 3 5 7 until permuted */
            __m256 e[4] = {_mm256_shuffle_ps(a, c, 0x44), _mm256_shuffle_ps(a, c, 0xEE),
                           _mm256_shuffle_ps(b, d, 0x44), _mm256_shuffle_ps(b, d, 0xEE)};
            for (int j = 0; j < (half ? 2 : TILE); j++)
                _mm256_storeu_ps(&col[TILE * half + j][8 * h],
                                 _mm256_permutevar8x32_ps(e[j], order));
        }
}

/* interleave_c with AVX2 shuffles, 8 tiles at a time. */
static inline AVX2 void interleave_avx2(float y[TILE][WL], float *row)
{
    for (int h = 0; h < WL / 8; h++) {
        __m256 y0 = _mm256_loadu_ps(&y[0][8 * h]), y1 = _mm256_loadu_ps(&y[1][8 * h]);
        __m256 y2 = _mm256_loadu_ps(&y[2][8 * h]), y3 = _mm256_loadu_ps(&y[3][8 * h]);
        __m256 a = _mm256_unpacklo_ps(y0, y1), b = _mm256_unpackhi_ps(y0, y1);
        __m256 c = _mm256_unpacklo_ps(y2, y3), d = _mm256_unpackhi_ps(y2, y3);
        /* tiles 0|4, 1|5, 2|6, 3|7 in the two 128-bit halves */
        __m256 e0 = _mm256_shuffle_ps(a, c, 0x44), e1 = _mm256_shuffle_ps(a, c, 0xEE);
        __m256 e2 = _mm256_shuffle_ps(b, d, 0x44), e3 = _mm256_shuffle_ps(b, d, 0xEE);
        float *out = row + 32 * h;
        _mm256_storeu_ps(out, _mm256_permute2f128_ps(e0, e1, 0x20));
        _mm256_storeu_ps(out + 8, _mm256_permute2f128_ps(e2, e3, 0x20));
        _mm256_storeu_ps(out + 16, _mm256_permute2f128_ps(e0, e1, 0x31));
        _mm256_storeu_ps(out + 24, _mm256_permute2f128_ps(e2, e3, 0x31));
    }
}

/* Lanes [0, n) of 8 set. */
static inline AVX2 __m256i lanes8(int n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static inline AVX2 void load_lanes_avx2(const float *src, int n, float *dst)
{
    for (int h = 0; h < WL / 8; h++)
        _mm256_storeu_ps(dst + 8 * h, _mm256_maskload_ps(src + 8 * h, lanes8(n - 8 * h)));
}

static inline AVX2 void store_lanes_avx2(const float *src, int n, float *dst)
{
    for (int h = 0; h < WL / 8; h++)
        _mm256_maskstore_ps(dst + 8 * h, lanes8(n - 8 * h), _mm256_loadu_ps(src + 8 * h));
}

#endif

/* The lane helpers below take simd, a constant once inlined: 0 plain C,
 * 1 AVX2, 2 AVX-512. */
/* dst [WL] = src [n], zero beyond (AVX-512: one masked load). */
static inline __attribute__((always_inline)) void load_lanes(const float *src, int n, float *dst,
                                                            const int simd)
{
    (void)simd;   /* plain C only off x86 */
#if ISA_X86
    if (simd == 2)
        load_lanes_avx512(src, n, dst);
    else if (simd == 1)
        load_lanes_avx2(src, n, dst);
    else
#endif
        for (int l = 0; l < WL; l++)
            dst[l] = l < n ? src[l] : 0;
}

/* dst [n] = src [n <= WL]. */
static inline __attribute__((always_inline)) void store_lanes(const float *src, int n, float *dst,
                                                             const int simd)
{
    (void)simd;   /* plain C only off x86 */
#if ISA_X86
    if (simd == 2)
        store_lanes_avx512(src, n, dst);
    else if (simd == 1)
        store_lanes_avx2(src, n, dst);
    else
#endif
        for (int l = 0; l < n; l++)
            dst[l] = src[l];
}

/* V[., c, seg] = B^T d B for the tiles of one segment, channel plane im
 * [h, w]: the 6 input rows (zero outside the image) are copied, combined
 * by B^T along columns (contiguous), then each tile's 6 columns (4 apart
 * from tile to tile) by B. simd (a constant once inlined) picks the
 * deinterleave. */
static inline __attribute__((always_inline)) void input_seg(const wino_conv *cv,
                                                           const float *im, const wino_seg *s,
                                                           float *dst, size_t estep,
                                                           const int simd)
{
    float d[SIDE][RW], t[SIDE][RW], v[WINO_POINTS][WL], col[SIDE][WL];
    int x0 = s->tx * TILE - 1, xa = x0 < 0 ? -x0 : 0;
    int xb = cv->w - x0 < TILE * s->n + 2 ? cv->w - x0 : TILE * s->n + 2;
    for (int r = 0; r < SIDE; r++) {
        int y = s->ty * TILE - 1 + r;
        if (y < 0 || y >= cv->h) {
            memset(d[r], 0, sizeof d[r]);
            continue;
        }
        const float *row = im + (size_t)y * cv->w + (x0 + xa);   /* column x0 + xa */
        if (xa == 0 && xb == TILE * WL + 2) {     /* whole segment inside: inlined copy */
            for (int x = 0; x < TILE * WL + 2; x++)
                d[r][x] = row[x];
        } else {
            memset(d[r], 0, sizeof(float) * xa);
            memcpy(d[r] + xa, row, sizeof(float) * (xb - xa));
        }
        memset(d[r] + xb, 0, sizeof(float) * (RW - xb));
    }
    for (int x = 0; x < RW; x += WL)
        bt6(&d[0][x], RW, &t[0][x], RW);
    for (int i = 0; i < SIDE; i++) {
#if ISA_X86
        if (simd == 2)
            deinterleave_avx512(t[i], col);
        else if (simd == 1)
            deinterleave_avx2(t[i], col);
        else
#endif
            deinterleave_c(t[i], col);
        bt6(col[0], WL, v[i * SIDE], WL);
    }
    for (int e = 0; e < WINO_POINTS; e++)
        store_lanes(v[e], s->n, dst + e * estep, simd);
}

/* out[b, k, seg] = act(A^T M A + bias) for one filter and segment, cropped
 * at the image's edge; src: M[0, k, seg], estep floats from point to point. */
static inline __attribute__((always_inline)) void output_seg(const wino_conv *cv, int k,
                                                            const wino_seg *s, const float *src,
                                                            size_t estep, float bias,
                                                            act_type act, float *out,
                                                            const int simd)
{
    float m[WINO_POINTS][WL], t[TILE * SIDE][WL], y[TILE * TILE][WL], o[TILE][TILE * WL];
    for (int e = 0; e < WINO_POINTS; e++)
        load_lanes(src + e * estep, s->n, m[e], simd);
    for (int j = 0; j < SIDE; j++)            /* columns: t = A^T m */
        at6(m[j], SIDE * WL, t[j], SIDE * WL);
    for (int i = 0; i < TILE; i++)            /* rows: y = t A */
        at6(t[i * SIDE], WL, y[i * TILE], WL);
    float *yv = y[0];
    if (act == ACT_LEAKY)                     /* the common cases, branch-light */
        for (int i = 0; i < TILE * TILE * WL; i++) {
            float v = yv[i] + bias;
            yv[i] = v > 0 ? v : .1f * v;
        }
    else if (act == ACT_LINEAR)
        for (int i = 0; i < TILE * TILE * WL; i++)
            yv[i] += bias;
    else
        for (int i = 0; i < TILE * TILE * WL; i++)
            yv[i] = act_one(yv[i] + bias, act);
    for (int i = 0; i < TILE; i++) {          /* tiles side by side in each row */
#if ISA_X86
        if (simd == 2)
            interleave_avx512(&y[i * TILE], o[i]);
        else if (simd == 1)
            interleave_avx2(&y[i * TILE], o[i]);
        else
#endif
            interleave_c(&y[i * TILE], o[i]);
    }
    int y0 = s->ty * TILE, x0 = s->tx * TILE;
    int rows = cv->h - y0 < TILE ? cv->h - y0 : TILE;
    int cols = cv->w - x0 < TILE * s->n ? cv->w - x0 : TILE * s->n;
    float *plane = out + ((size_t)s->b * cv->kout + k) * cv->h * cv->w;   /* [h, w] */
    for (int i = 0; i < rows; i++) {
        float *dst = plane + (size_t)(y0 + i) * cv->w + x0;
        if (cv->accumulate)
            for (int x = 0; x < cols; x++)
                dst[x] += o[i][x];
        else if (cols == TILE * WL)               /* inlined copy */
            for (int x = 0; x < TILE * WL; x++)
                dst[x] = o[i][x];
        else
            memcpy(dst, o[i], sizeof(float) * cols);
    }
}

/* A thread's share of a block's transform: items [lo, hi) of the
 * channels (or filters) x segments of the block, numbered channel by
 * channel (each channel's input plane and rows of V, or each filter's rows
 * of M and output plane, are then read and written in order); calls
 * `one` with c, q and s set for each. Twice each transform: AVX-512 and
 * baseline. */
#define WINO_SHARE(lo, hi, nseg, one)                                                      \
    for (int c = (int)(lo / nseg); (long)c * nseg < hi; c++) {                             \
        long i0 = (long)c * nseg;                                                          \
        for (int q = 0, j = 0; q < bk->nb && i0 + j < hi; j++) {                           \
            wino_seg s = segment(p, bk, q);                                                \
            if (i0 + j >= lo)                                                              \
                one;                                                                       \
            q += s.n;                                                                      \
        }                                                                                  \
    }

#define WINO_KERNELS(suffix, attr, avx)                                                        \
    attr static void input_##suffix(const wino_plan *p, const float *in, long lo, long hi,  \
                                    long nseg, const wino_blk *bk)                          \
    {                                                                                       \
        const wino_conv *cv = p->cv;                                                        \
        WINO_SHARE(lo, hi, nseg,                                                            \
                   input_seg(cv, in + ((size_t)s.b * cv->cin + c) * cv->h * cv->w, &s,      \
                             bk->v + (size_t)c * bk->nb + q, (size_t)cv->cin * bk->nb, avx)) \
    }                                                                                       \
    attr static void output_##suffix(const wino_plan *p, long lo, long hi, long nseg,       \
                                     const wino_blk *bk, const float *bias, act_type act,   \
                                     float *out)                                            \
    {                                                                                       \
        const wino_conv *cv = p->cv;                                                        \
        WINO_SHARE(lo, hi, nseg,                                                            \
                   output_seg(cv, c, &s, bk->m + (size_t)c * bk->nb + q,                    \
                              (size_t)cv->kout * bk->nb, bias ? bias[c] : 0, act, out, \
                              avx))                                                         \
    }

WINO_KERNELS(avx512, ISA_TARGET_AVX512, 2)
WINO_KERNELS(avx2, ISA_TARGET_AVX2, 1)
WINO_KERNELS(base, , 0)

/* A family's input and output transforms. */
typedef struct {
    void (*input)(const wino_plan *p, const float *in, long lo, long hi, long nseg,
                  const wino_blk *bk);
    void (*output)(const wino_plan *p, long lo, long hi, long nseg, const wino_blk *bk,
                   const float *bias, act_type act, float *out);
} wino_kernels;

static wino_kernels wino_family(isa_family f)
{
    switch (f) {
    case ISA_AVX512: return (wino_kernels){input_avx512, output_avx512};
    case ISA_AVX2: return (wino_kernels){input_avx2, output_avx2};
    default: return (wino_kernels){input_base, output_base};
    }
}

/* Segments in a block. */
static int segments(const wino_plan *p, const wino_blk *bk)
{
    int n = 0;
    for (int q = 0; q < bk->nb; n++)
        q += segment(p, bk, q).n;
    return n;
}

/* Pieces a thread's share of a transform is dealt in. Dealt as threads come
 * for them, not split in advance, so that a thread held up (its core lent
 * to another process: the other stages of a video pipeline) does not hold
 * the team at the barrier after: the others take its pieces. Each piece is
 * a run of channels (or filters) in order, as a share was, and each item is
 * computed alike whichever thread takes it: the same bits. */
#define WINO_PIECES 4

/* One block, on the calling team: the input transform dealt by channel
 * and segment, the 36 products by point, the output transform by filter
 * and segment. */
static void run_block(const wino_plan *p, const float *u, const float *bias, act_type act,
                      const float *in, float *out, const wino_blk *bk, const wino_kernels *kn,
                      int nt)
{
    const wino_conv *cv = p->cv;
    long nseg = segments(p, bk), nin = nseg * cv->cin, nout = nseg * cv->kout;
    long pieces = (long)WINO_PIECES * nt;
    long pin = (nin + pieces - 1) / pieces, pout = (nout + pieces - 1) / pieces;
#pragma omp for schedule(dynamic)
    for (long i = 0; i < nin; i += pin)
        kn->input(p, in, i, i + pin < nin ? i + pin : nin, nseg, bk);
#pragma omp for schedule(dynamic)
    for (int e = 0; e < WINO_POINTS; e++)   /* back: u holds U_e^T [cin, kout] */
        gemm_f32(&(gemm_shape){.ta = cv->back, .m = cv->kout, .n = bk->nb, .k = cv->cin,
                               .alpha = 1, .lda = cv->back ? cv->kout : cv->cin,
                               .ldb = bk->nb, .ldc = bk->nb},
                 u + (size_t)e * cv->kout * cv->cin, bk->v + (size_t)e * cv->cin * bk->nb,
                 bk->m + (size_t)e * cv->kout * bk->nb);
    /* nowait: the next block's input transform writes V only, never M (its
     * V ends before this block's M starts: blocks never grow), and its
     * products wait at the barrier above for every output transform */
#pragma omp for schedule(dynamic) nowait
    for (long i = 0; i < nout; i += pout)
        kn->output(p, i, i + pout < nout ? i + pout : nout, nseg, bk, bias, act, out);
}

void wino_forward(const wino_conv *cv, const float *u, const float *bias, act_type act,
                  const float *in, float *out, float *work)
{
    wino_plan p = {.cv = cv, .th = ceil_div(cv->h, TILE), .tw = ceil_div(cv->w, TILE),
                   .tiles = wino_tiles(cv), .block = wino_block(cv)};
    wino_kernels kn = wino_family(cv->portable ? ISA_GENERIC : isa_active());
#pragma omp parallel
    {
        int nt = 1;
#ifdef _OPENMP
        nt = omp_get_num_threads();
#endif
        for (long t0 = 0; t0 < p.tiles; t0 += p.block) {
            int nb = p.tiles - t0 < p.block ? (int)(p.tiles - t0) : p.block;
            wino_blk bk = {.t0 = t0, .nb = nb, .v = work,
                           .m = work + (size_t)WINO_POINTS * cv->cin * nb};
            run_block(&p, u, bias, act, in, out, &bk, &kn, nt);
        }
    }
}

/* Measured on this machine (bench/forward/wino.c, 2 threads, OpenBLAS). */
int wino_worth_it(const wino_conv *cv)
{
    return cv->cin >= 16 && cv->kout >= 16;
}
