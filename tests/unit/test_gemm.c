/* Unit tests for the matrix products (common/net/gemm.c and its kernel
 * families, common/net/gemm_generic.c, gemm_avx2.c, gemm_avx512.c):
 *   1. each family's kernel, OpenBLAS and gemm_f32 against a double-precision
 *      loop on random shapes (1, primes, the micro-tiles' and the blocks'
 *      edges, k past the k block), all four ta / tb, alpha / beta (beta 0
 *      over a C of NaN, beta 1 accumulating), ld larger than the matrix, and
 *      nothing written between C's rows; wide and tall shapes (the kernels
 *      compute those as C^T) for which asking for C^T gives C's bits
 *      transposed;
 *   2. alpha = 0 and k = 0 (C := beta C, A and B unread);
 *   3. called inside an OpenMP parallel region, each thread its own C;
 *   4. the same bits with 1 and 2 threads and from run to run, per family;
 *   5. a family the CPU lacks is refused, C untouched.
 * Tolerance: |C - C_ref| <= (2k + 8) 2^-24 (|alpha| sum_p |a_ip b_pj| +
 * |beta c_ij|) per element, the worst case of float32 rounding for a sum of
 * k products (two roundings per step without FMA, a few for the k blocks,
 * alpha and beta): a wrong index gives errors of the order of the terms
 * themselves. The generic family meets the same bound as the others, and
 * the others are held to it, not to generic's bits (FMA rounds once). A
 * family this CPU lacks has its checks reported as skipped (TAP # SKIP). */
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/net/gemm.h"

#include "check.h"
#include "testutil.h"

#define SENTINEL -12345.5f

/* What runs a product: a kernel family (ISA_*), OpenBLAS, or gemm_f32. */
enum { PATH_BLAS = ISA_COUNT, PATH_GEMM, NPATHS };
static const char *const path_names[NPATHS] = {"gemm_f32_isa generic", "gemm_f32_isa avx2",
                                               "gemm_f32_isa avx512", "gemm_f32_blas",
                                               "gemm_f32"};

static int path_run(int path, const gemm_shape *s, const float *a, const float *b, float *c)
{
    if (path == PATH_BLAS) {
        gemm_f32_blas(s, a, b, c);
        return 0;
    }
    if (path == PATH_GEMM) {
        gemm_f32(s, a, b, c);
        return 0;
    }
    return gemm_f32_isa((isa_family)path, s, a, b, c);
}

/* 1 if this CPU runs path. */
static int path_here(int path)
{
    return path >= ISA_COUNT || path <= (int)isa_best();
}

#define NO_FAMILY "this CPU lacks the family"

static float urand(void) { return (float)(xrand() >> 40) / 16777216.0f * 2 - 1; }
static int irand(int lo, int hi) { return lo + (int)(xrand() % (uint64_t)(hi - lo + 1)); }

/* Operands for one shape: A, B, C's start and the reference. */
typedef struct {
    gemm_shape s;
    float *a, *b, *c0;   /* c0: C before the call, SENTINEL between rows */
    double *ref, *bound; /* [m, n]: the exact product, its error bound */
} gemm_case;

static float opa(const gemm_case *g, int i, int p)
{
    return g->s.ta ? g->a[(size_t)p * g->s.lda + i] : g->a[(size_t)i * g->s.lda + p];
}
static float opb(const gemm_case *g, int p, int j)
{
    return g->s.tb ? g->b[(size_t)j * g->s.ldb + p] : g->b[(size_t)p * g->s.ldb + j];
}

static void case_free(gemm_case *g)
{
    free(g->a);
    free(g->b);
    free(g->c0);
    free(g->ref);
    free(g->bound);
}

/* Random operands for s (lda, ldb, ldc filled in here, `extra` past the
 * minimum) and the double-precision result; 0 if out of memory. */
static int case_make(gemm_case *g, gemm_shape s, int extra)
{
    int k1 = s.k > 0 ? s.k : 1;
    s.lda = (s.ta ? s.m : k1) + extra;
    s.ldb = (s.tb ? k1 : s.n) + extra;
    s.ldc = s.n + extra;
    size_t na = (size_t)(s.ta ? k1 : s.m) * s.lda, nb = (size_t)(s.tb ? s.n : k1) * s.ldb;
    size_t nc = (size_t)s.m * s.ldc;
    *g = (gemm_case){.s = s, .a = malloc(na * sizeof(float)), .b = malloc(nb * sizeof(float)),
                     .c0 = malloc(nc * sizeof(float)), .ref = malloc(nc * sizeof(double)),
                     .bound = malloc(nc * sizeof(double))};
    if (!g->a || !g->b || !g->c0 || !g->ref || !g->bound) {
        case_free(g);
        return 0;
    }
    for (size_t i = 0; i < na; i++)
        g->a[i] = urand();
    for (size_t i = 0; i < nb; i++)
        g->b[i] = urand();
    for (size_t i = 0; i < nc; i++)
        g->c0[i] = (int)(i % s.ldc) >= s.n ? SENTINEL : s.beta == 0 ? NAN : urand();
    double u = (2.0 * s.k + 8) / 16777216.0;
    for (int i = 0; i < s.m; i++)
        for (int j = 0; j < s.n; j++) {
            double sum = 0, mag = 0;
            for (int p = 0; p < s.k; p++) {
                double t = (double)opa(g, i, p) * opb(g, p, j);
                sum += t;
                mag += fabs(t);
            }
            size_t at = (size_t)i * s.ldc + j;
            double c = s.beta == 0 ? 0 : (double)s.beta * g->c0[at];
            g->ref[at] = s.alpha * sum + c;
            g->bound[at] = u * (fabs(s.alpha) * mag + fabs(c)) + 1e-30;
        }
    return 1;
}

/* Largest error / bound over C (> 1: wrong), or INFINITY if a sentinel
 * between rows was overwritten or a value is not finite. */
static double case_error(const gemm_case *g, const float *c)
{
    double worst = 0;
    for (int i = 0; i < g->s.m; i++)
        for (int j = 0; j < g->s.ldc; j++) {
            size_t at = (size_t)i * g->s.ldc + j;
            if (j >= g->s.n) {
                if (c[at] != SENTINEL)
                    return INFINITY;
            } else if (!isfinite(c[at])) {
                return INFINITY;
            } else {
                worst = fmax(worst, fabs(c[at] - g->ref[at]) / g->bound[at]);
            }
        }
    return worst;
}

/* Runs path on a copy of g's C; the error as case_error, or INFINITY if the
 * path refused or ran out of memory. */
static double case_run(const gemm_case *g, int path)
{
    size_t nc = (size_t)g->s.m * g->s.ldc;
    float *c = malloc(nc * sizeof *c);
    if (!c)
        return INFINITY;
    memcpy(c, g->c0, nc * sizeof *c);
    double e = path_run(path, &g->s, g->a, g->b, c) == 0 ? case_error(g, c) : INFINITY;
    free(c);
    return e;
}

/* ---- 1: random shapes ------------------------------------------------------- */

/* Sizes worth hitting: 1, primes, around the 14-row and 16 / 32-column
 * tiles. */
static int some_size(void)
{
    static const int sizes[] = {1, 2, 3, 7, 13, 14, 15, 16, 17, 28, 29, 31, 32, 33, 47, 64, 97};
    return xrand() % 3 ? sizes[xrand() % (sizeof sizes / sizeof sizes[0])] : irand(1, 150);
}

static void test_random_shapes(void)
{
    static const float alphas[] = {1, -0.5f, 2}, betas[] = {0, 1, 0.25f};
    printf("# this CPU's best kernel family: %s\n", isa_name(isa_best()));
    for (int t = 0; t < 4; t++) {
        int ta = t >> 1, tb = t & 1, cases = 0;
        double worst[NPATHS] = {0};
        char where[NPATHS][96] = {""};
        for (int r = 0; r < 40; r++) {
            gemm_shape s = {.ta = ta, .tb = tb, .m = some_size(), .n = some_size(),
                            .k = some_size(), .alpha = alphas[xrand() % 3],
                            .beta = betas[xrand() % 3]};
            if (r < 4) /* k past the k block (640): two and three blocks */
                s.k = r < 2 ? 641 + r : 1297;
            if (r == 4) /* n past one packed-B block (96 columns at kc 640) */
                s.n = 341, s.k = 640, s.m = 17;
            gemm_case g;
            if (!case_make(&g, s, r % 3 ? irand(1, 5) : 0))
                continue;
            cases++;
            for (int p = 0; p < NPATHS; p++) {
                if (!path_here(p))
                    continue;
                double e = case_run(&g, p);
                if (e > worst[p]) {
                    worst[p] = e;
                    snprintf(where[p], sizeof where[p], "m %d n %d k %d alpha %g beta %g ld+%d",
                             s.m, s.n, s.k, s.alpha, s.beta, g.s.ldc - s.n);
                }
            }
            case_free(&g);
        }
        for (int p = 0; p < NPATHS; p++) {
            if (!path_here(p)) {
                SKIP(NO_FAMILY, "%s ta %d tb %d: 40 random shapes", path_names[p], ta, tb);
                continue;
            }
            CHECK(cases == 40 && worst[p] <= 1,
                  "%s ta %d tb %d: %d random shapes within the float32 bound (worst %.3g of "
                  "it at %s)", path_names[p], ta, tb, cases, worst[p], where[p]);
        }
    }
}

/* Many rows, one row, one column, k past two blocks: the blocking's edges. */
static void test_block_edges(void)
{
    static const int shapes[][3] = {{1030, 5, 9}, {1, 1, 1}, {1, 300, 1}, {300, 1, 1300}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        gemm_shape s = {.ta = (int)i & 1, .tb = (int)(i >> 1) & 1, .m = shapes[i][0],
                        .n = shapes[i][1], .k = shapes[i][2], .alpha = 1, .beta = 0};
        gemm_case g;
        if (!case_make(&g, s, 3)) {
            CHECK(0, "out of memory");
            continue;
        }
        for (int p = 0; p < NPATHS; p++) {
            if (p == PATH_BLAS)
                continue;
            if (!path_here(p))
                SKIP(NO_FAMILY, "%s %d x %d x %d", path_names[p], s.m, s.n, s.k);
            else
                CHECK(case_run(&g, p) <= 1, "%s %d x %d x %d", path_names[p], s.m, s.n, s.k);
        }
        case_free(&g);
    }
}

/* Wide and tall products run as C or as C^T = op(B)^T op(A)^T, whichever
 * the kernel prefers: asking for C^T directly (B as the left operand) must
 * give C's bits transposed, since every element is the same chain of
 * multiply-adds. */
static void orientation_case(isa_family f, const int shape[3], int t)
{
    gemm_shape s = {.ta = t >> 1, .tb = t & 1, .m = shape[0], .n = shape[1], .k = shape[2],
                    .alpha = 1.5f, .beta = 0};
    gemm_case g;
    if (!case_make(&g, s, 0)) {
        CHECK(0, "out of memory");
        return;
    }
    gemm_shape st = {.ta = !s.tb, .tb = !s.ta, .m = s.n, .n = s.m, .k = s.k, .alpha = 1.5f,
                     .beta = 0, .lda = g.s.ldb, .ldb = g.s.lda, .ldc = s.m};
    size_t nc = (size_t)s.m * s.n;
    float *c = malloc(nc * sizeof *c), *d = malloc(nc * sizeof *d);
    int same = c && d;
    if (same) {
        memcpy(c, g.c0, nc * sizeof *c);
        for (size_t e = 0; e < nc; e++)
            d[e] = NAN;
        same = !gemm_f32_isa(f, &g.s, g.a, g.b, c) && !gemm_f32_isa(f, &st, g.b, g.a, d) &&
               case_error(&g, c) <= 1;
        for (int r = 0; same && r < s.m; r++)
            for (int col = 0; col < s.n; col++)
                same &= !memcmp(&c[(size_t)r * s.n + col], &d[(size_t)col * s.m + r], sizeof *c);
    }
    CHECK(same, "%s %d x %d x %d ta %d tb %d: right, and C^T asked for is C's bits transposed",
          isa_name(f), s.m, s.n, s.k, s.ta, s.tb);
    free(c);
    free(d);
    case_free(&g);
}

static void test_orientations(void)
{
    static const int shapes[][3] = {{3, 500, 70}, {20, 700, 33}, {32, 1500, 40}, {500, 9, 64},
                                    {1, 333, 129}};
    for (int f = 0; f < ISA_COUNT; f++) {
        if (!path_here(f)) {
            SKIP(NO_FAMILY, "%s: C and C^T give the same bits", isa_name((isa_family)f));
            continue;
        }
        for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
            for (int t = 0; t < 4; t++)
                orientation_case((isa_family)f, shapes[i], t);
    }
}

/* ---- 2: alpha = 0, k = 0 ---------------------------------------------------- */

static void test_no_product(void)
{
    float a[6] = {NAN, NAN, NAN, NAN, NAN, NAN}, b[6] = {NAN, NAN, NAN, NAN, NAN, NAN};
    float c[6] = {1, 2, 3, 4, 5, 6};
    gemm_shape s = {.m = 2, .n = 3, .k = 1, .alpha = 0, .beta = 0.5f, .lda = 1, .ldb = 3, .ldc = 3};
    gemm_f32(&s, a, b, c);
    CHECK(c[0] == 0.5f && c[5] == 3, "alpha 0: C := beta C, NaN in A and B unread");
    float z[6] = {NAN, NAN, NAN, NAN, NAN, NAN};
    s.beta = 0;
    gemm_f32(&s, a, b, z);
    CHECK(z[0] == 0 && z[3] == 0 && z[5] == 0, "alpha 0, beta 0: C := 0 over NaN");
    float d[6] = {1, 2, 3, 4, 5, 6};
    s = (gemm_shape){.m = 2, .n = 3, .k = 0, .alpha = 1, .beta = 2, .lda = 1, .ldb = 3, .ldc = 3};
    gemm_f32(&s, a, b, d);
    CHECK(d[0] == 2 && d[5] == 12, "k 0: C := beta C");
}

/* ---- 3: inside a parallel region ---------------------------------------------- */

static void test_in_parallel(void)
{
    gemm_shape s = {.ta = 0, .tb = 1, .m = 70, .n = 90, .k = 150, .alpha = 1, .beta = 1};
    gemm_case g;
    if (!case_make(&g, s, 2)) {
        CHECK(0, "out of memory");
        return;
    }
    for (int p = 0; p < NPATHS; p++) {
        if (p == PATH_BLAS)
            continue;
        if (!path_here(p)) {
            SKIP(NO_FAMILY, "%s in a parallel region", path_names[p]);
            continue;
        }
        double worst = 0;
        int ran = 0;
#pragma omp parallel num_threads(2) reduction(max : worst) reduction(+ : ran)
        {
            worst = case_run(&g, p);
            ran = 1;
        }
        CHECK(worst <= 1, "%s in a parallel region of %d threads, each its own C", path_names[p],
              ran);
    }
    case_free(&g);
}

/* ---- 4: the same bits whatever the threads ------------------------------------ */

/* C from family f with nt threads (malloc'd), NULL if it failed. */
static float *run_threads(const gemm_case *g, isa_family f, int nt)
{
    size_t nc = (size_t)g->s.m * g->s.ldc;
    float *c = malloc(nc * sizeof *c);
    if (!c)
        return NULL;
    memcpy(c, g->c0, nc * sizeof *c);
    omp_set_num_threads(nt);
    int rc = gemm_f32_isa(f, &g->s, g->a, g->b, c);
    omp_set_num_threads(2);
    if (rc) {
        free(c);
        return NULL;
    }
    return c;
}

static void test_thread_independence(void)
{
    /* tall (split by rows), wide (C^T, split), three k blocks, more bands
     * than threads */
    static const int shapes[][3] = {{333, 45, 500}, {29, 700, 300}, {100, 100, 1500},
                                    {60, 2000, 40}};
    for (int f = 0; f < ISA_COUNT; f++) {
        if (!path_here(f)) {
            SKIP(NO_FAMILY, "%s: 1 and 2 threads give the same bits", isa_name((isa_family)f));
            continue;
        }
        for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
            gemm_shape s = {.ta = (int)i & 1, .tb = (int)(i == 1), .m = shapes[i][0],
                            .n = shapes[i][1], .k = shapes[i][2], .alpha = 1, .beta = 1};
            gemm_case g;
            if (!case_make(&g, s, 1)) {
                CHECK(0, "out of memory");
                continue;
            }
            isa_family fam = (isa_family)f;
            float *c1 = run_threads(&g, fam, 1), *c2 = run_threads(&g, fam, 2);
            float *c2b = run_threads(&g, fam, 2);
            size_t bytes = (size_t)s.m * g.s.ldc * sizeof(float);
            CHECK(c1 && c2 && c2b && !memcmp(c1, c2, bytes) && !memcmp(c2, c2b, bytes) &&
                      case_error(&g, c1) <= 1,
                  "%s %d x %d x %d: 1 and 2 threads, and two runs, give the same bits",
                  isa_name(fam), s.m, s.n, s.k);
            free(c1);
            free(c2);
            free(c2b);
            case_free(&g);
        }
    }
}

/* ---- 5: a family the CPU lacks ------------------------------------------------ */

static void test_refused(void)
{
    if (isa_best() == ISA_AVX512) {
        SKIP("this CPU runs every family", "a family the CPU lacks is refused, C untouched");
        return;
    }
    float a[1] = {2}, b[1] = {3}, c[1] = {7};
    gemm_shape s = {.m = 1, .n = 1, .k = 1, .alpha = 1, .beta = 0, .lda = 1, .ldb = 1, .ldc = 1};
    CHECK(gemm_f32_isa(ISA_AVX512, &s, a, b, c) == -1 && c[0] == 7,
          "a family the CPU lacks (avx512 on %s) is refused, C untouched", isa_name(isa_best()));
}

int main(void)
{
    omp_set_num_threads(2);
    test_random_shapes();
    test_block_edges();
    test_orientations();
    test_no_product();
    test_in_parallel();
    test_thread_independence();
    test_refused();
    return check_done();
}
