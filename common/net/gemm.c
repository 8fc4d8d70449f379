/* Matrix products (include/yolo/net/gemm.h): the driver of the project's own
 * GEMM, organised as BLIS does it, on row-major C, around a kernel family's
 * micro-kernel (include/yolo/net/gemm_kernel.h):
 *
 *   orient: C, or C^T = op(B)^T op(A)^T stored transposed, whichever the
 *           cost model (gemm_orient) prefers: few rows of C (a first layer's
 *           16 or 32 filters) make the flipped product all full tiles
 *   split:  bands of whole tiles of C (rows or columns, never k) among threads
 *   for pc: k, kc <= GEMM_KC at a time (blocks depend on k alone)
 *    for jc: columns, nc at a time (kc x nc floats = GEMM_L2)
 *     pack op(B)[pc.., jc..] into nr-column panels [kc, nr], zero past n
 *     for each mr rows of op(A), read in place (the micro-panel stays in L1),
 *      for each B panel (streamed from L2): the family's micro-kernel
 *
 * Packing and the in-place reads go through strides (gemm_view), so the four
 * ta / tb cases and both orientations run the same micro-kernel. No state
 * outlives a call (the workspace is allocated per call). The OpenBLAS path
 * stays as the reference of the tests and benchmarks, and as the fallback
 * when a workspace cannot be had. */
#include <cblas.h>
#include <omp.h>
#include <stdlib.h>

#include "yolo/net/gemm.h"
#include "yolo/net/gemm_kernel.h"

/* Blocking, measured on Zen 5 (L1 48 KB, L2 1 MB per core) for the AVX-512
 * family: best of KC 256..1024 and L2 budgets 160..768 KB on the bench's
 * shapes (within the noise of a shared machine, a few per cent); the same
 * blocks serve the narrower families (an AVX2 A micro-panel, 6 x 640 x 4 =
 * 15 KB, fits any L1). */
#define GEMM_KC 640        /* k block */
#define GEMM_L2 (256 * 1024) /* bytes of packed op(B) per block, streamed from L2 */
#define GEMM_PACK_COST 1.0 /* issue slots to pack one element of B (copy; 2 to transpose) */
#define GEMM_THREAD_MIN (1 << 21) /* multiply-adds per thread below which one thread is faster */

void gemm_f32_blas(const gemm_shape *s, const float *a, const float *b, float *c)
{
    cblas_sgemm(CblasRowMajor, s->ta ? CblasTrans : CblasNoTrans, s->tb ? CblasTrans : CblasNoTrans,
                s->m, s->n, s->k, s->alpha, a, s->lda, b, s->ldb, s->beta, c, s->ldc);
}

/* The product as the kernel sees it: C := alpha op(A) op(B) + beta C, or the
 * same for C^T = op(B)^T op(A)^T (C's strides swapped: crs = 1). */
typedef struct {
    const gemm_kernel *kn;
    int m, n, k;
    float alpha, beta;
    gemm_view a, b;   /* [m, k], [k, n] */
    float *c;         /* (i, j) at c[i * crs + j * ccs] */
    size_t crs, ccs;
    int trans;        /* C^T: crs = 1, ccs = ldc; else crs = ldc, ccs = 1 */
} gemm_prob;

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
static int gemm_nc(const gemm_kernel *kn, int kc)
{
    int nc = GEMM_L2 / (kc * (int)sizeof(float)) / kn->nr * kn->nr;
    return nc < kn->nr ? kn->nr : nc;
}

/* Workspace floats one thread needs: one packed block of op(B). */
static size_t gemm_work_floats(const gemm_kernel *kn, int k)
{
    int kc = gemm_kc(k);
    size_t floats = (size_t)gemm_nc(kn, kc) * kc;
    return (floats + 15) / 16 * 16; /* each thread's part 64-byte aligned */
}

/* The serial blocked product for one band, with work from gemm_work_floats.
 * op(A) is read in place: an A micro-panel is reused by every B panel of the
 * block from L1, and packing it (a transpose when A is [m, k]) cost more
 * than it saved on every shape measured. */
static void gemm_block(const gemm_prob *q, const gemm_part *pt, float *bp)
{
    const gemm_kernel *kn = q->kn;
    int kc_max = gemm_kc(q->k), nc_max = gemm_nc(kn, kc_max), trans = q->trans;
    gemm_tile t = {.alpha = q->alpha, .ars = q->a.rs, .acs = q->a.cs,
                   .ldc = trans ? q->ccs : q->crs};
    for (int pc = 0; pc < q->k; pc += kc_max) {
        t.kc = q->k - pc < kc_max ? q->k - pc : kc_max;
        t.beta = pc ? 1.0f : q->beta;
        for (int jc = 0; jc < pt->n; jc += nc_max) {
            int nc = pt->n - jc < nc_max ? pt->n - jc : nc_max;
            kn->pack_b(&q->b, pc, t.kc, pt->j0 + jc, nc, bp);
            for (int ir = 0; ir < pt->m; ir += kn->mr) {
                int rows = pt->m - ir < kn->mr ? pt->m - ir : kn->mr;
                size_t i = (size_t)(pt->i0 + ir);
                t.a = q->a.p + i * q->a.rs + (size_t)pc * q->a.cs;
                for (int jr = 0; jr < nc; jr += kn->nr) {
                    size_t j = (size_t)(pt->j0 + jc + jr);
                    t.cols = nc - jr < kn->nr ? nc - jr : kn->nr;
                    t.b = bp + (size_t)jr * t.kc;
                    t.c = q->c + i * q->crs + j * q->ccs;
                    kn->tile(&t, rows, trans);
                }
            }
        }
    }
}

/* ---- orientation and threads --------------------------------------------------- */

/* Rough cost, in issue slots per k step, of a tile of r rows and v vectors:
 * max(r v, r + v) (its FMAs, or its loads when few accumulators share each
 * broadcast), plus its stores once per k block of kc (a transpose each when
 * trans). */
static double tile_cost(const gemm_kernel *kn, int r, int v, int kc, int trans)
{
    double fma = r * v > r + v ? r * v : r + v;
    return fma + (trans ? kn->trans_cost * v : 2.0 * r * v) / kc;
}

/* Rows m by columns n cut into tiles. */
static double tiles_cost(const gemm_kernel *kn, int m, int n, int k, int trans)
{
    int kc = k < GEMM_KC ? k : GEMM_KC, nv = kn->nr / kn->vw;
    int full_r = m / kn->mr, rem_r = m % kn->mr, full_c = n / kn->nr;
    int rem_v = (n % kn->nr + kn->vw - 1) / kn->vw;
    double cost = (double)full_r * full_c * tile_cost(kn, kn->mr, nv, kc, trans);
    if (rem_r)
        cost += full_c * tile_cost(kn, rem_r, nv, kc, trans);
    if (rem_v)
        cost += full_r * tile_cost(kn, kn->mr, rem_v, kc, trans);
    if (rem_r && rem_v)
        cost += tile_cost(kn, rem_r, rem_v, kc, trans);
    return cost;
}

/* The product in the orientation the cost model prefers: C itself (rows of
 * C broadcast) or C^T (columns of C broadcast, stored transposed), the
 * packed side's copy counted too. The choice depends on the shape and the
 * family alone. */
static gemm_prob gemm_orient(const gemm_kernel *kn, const gemm_shape *s, const float *a,
                             const float *b, float *c)
{
    gemm_view va = {a, s->ta ? 1 : (size_t)s->lda, s->ta ? (size_t)s->lda : 1};
    gemm_view vb = {b, s->tb ? 1 : (size_t)s->ldb, s->tb ? (size_t)s->ldb : 1};
    gemm_prob q = {.kn = kn, .m = s->m, .n = s->n, .k = s->k, .alpha = s->alpha,
                   .beta = s->beta, .a = va, .b = vb, .c = c, .crs = (size_t)s->ldc, .ccs = 1};
    /* packing B costs per element, more when it is a transpose (cs != 1) */
    double pack_n = GEMM_PACK_COST * (vb.cs == 1 ? 1.0 : 2.0) * s->n;
    double pack_t = GEMM_PACK_COST * (va.rs == 1 ? 1.0 : 2.0) * s->m;
    double normal = tiles_cost(kn, s->m, s->n, s->k, 0) + pack_n;
    double flipped = tiles_cost(kn, s->n, s->m, s->k, 1) + pack_t;
    if (flipped < normal) {
        q = (gemm_prob){.kn = kn, .m = s->n, .n = s->m, .k = s->k, .alpha = s->alpha,
                        .beta = s->beta, .a = {b, vb.cs, vb.rs}, .b = {a, va.cs, va.rs},
                        .c = c, .crs = 1, .ccs = (size_t)s->ldc, .trans = 1};
    }
    return q;
}

/* Estimated time of the slowest of nt threads when a dimension of length len
 * is cut into bands of whole units (rows mr, columns nr), other the other:
 * its tiles, its copy of op(B) and its reads of op(A) (a row band reads its
 * own rows, a column band all of them). */
static double split_cost(const gemm_kernel *kn, int len, int other, int rows_split, int nt)
{
    int unit = rows_split ? kn->mr : kn->nr;
    int units = (len + unit - 1) / unit, per = (units + nt - 1) / nt;
    int mine = per * unit < len ? per * unit : len;
    double tiles = rows_split ? tiles_cost(kn, mine, other, GEMM_KC, 0)
                              : tiles_cost(kn, other, mine, GEMM_KC, 0);
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
    const gemm_kernel *kn = q->kn;
    gemm_bands b = {.by_rows = split_cost(kn, q->m, q->n, 1, nt) <
                               split_cost(kn, q->n, q->m, 0, nt)};
    b.unit = b.by_rows ? kn->mr : kn->nr;
    b.len = b.by_rows ? q->m : q->n;
    b.units = (b.len + b.unit - 1) / b.unit;
    int least = b.by_rows ? 8 : gemm_nc(kn, gemm_kc(q->k)) / kn->nr;
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

static const gemm_kernel *gemm_family(isa_family f)
{
    switch (f) {
#if ISA_X86
    case ISA_AVX512: return &gemm_kernel_avx512;
    case ISA_AVX2: return &gemm_kernel_avx2;
#endif
    default: return &gemm_kernel_generic;
    }
}

int gemm_f32_isa(isa_family f, const gemm_shape *s, const float *a, const float *b, float *c)
{
    if (f > isa_best())
        return -1;
    if (s->m <= 0 || s->n <= 0)
        return 0;
    if (s->k <= 0 || s->alpha == 0) {
        gemm_scale_c(s, c);
        return 0;
    }
    const gemm_kernel *kn = gemm_family(f);
    gemm_prob q = gemm_orient(kn, s, a, b, c);
    double macs = (double)s->m * s->n * s->k;
    int nt = omp_in_parallel() ? 1 : omp_get_max_threads();
    if (nt > 1 && macs < (double)nt * GEMM_THREAD_MIN)
        nt = macs < 2.0 * GEMM_THREAD_MIN ? 1 : (int)(macs / GEMM_THREAD_MIN);
    size_t per = gemm_work_floats(kn, s->k);
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

void gemm_f32(const gemm_shape *s, const float *a, const float *b, float *c)
{
    if (gemm_f32_isa(isa_active(), s, a, b, c) != 0)
        gemm_f32_blas(s, a, b, c);
}
