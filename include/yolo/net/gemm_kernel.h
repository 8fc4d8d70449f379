/* Inside the project's GEMM (include/yolo/net/gemm.h): what the driver
 * (common/net/gemm.c: orientation, blocking, packing order, threads) asks of a
 * kernel family (common/net/gemm_generic.c, gemm_avx2.c, gemm_avx512.c). Not
 * for callers outside those files.
 *
 * A family supplies a micro-kernel that computes one tile of C, at most mr
 * rows by nr columns, from a micro-panel of op(A) read in place and a panel
 * of op(B) packed [kc, nr]; and the packing of op(B). Every element of C
 * is the same chain of multiply-adds (k ascending within a kc block, blocks
 * in order) whichever tile, band, thread or orientation computes it: the
 * result does not depend on the thread count or on how C is split. */
#ifndef YOLO_GEMM_KERNEL_H
#define YOLO_GEMM_KERNEL_H

#include <stddef.h>

/* A matrix: element (i, j) at p[i * rs + j * cs]. */
typedef struct {
    const float *p;
    size_t rs, cs;
} gemm_view;

/* One micro-tile: C [rows, cols] (+)= alpha * A panel . B panel. */
typedef struct {
    int kc;
    const float *a;   /* row i, step p at a[i * ars + p * acs]: op(A) read in place */
    size_t ars, acs;
    const float *b;   /* [kc, nr] packed, 64-byte aligned */
    float *c;         /* C's element (0, 0) of the tile */
    size_t ldc;       /* C's stride along the tile's rows (columns when transposed) */
    int cols;         /* valid columns, 1..nr */
    float alpha, beta; /* C := alpha acc + beta C; beta = 0: C is not read */
} gemm_tile;

typedef struct {
    const char *name;
    int mr, nr;       /* micro-tile rows (broadcasts) and columns */
    int vw;           /* floats per vector: a tile's columns cost in whole vectors */
    double trans_cost; /* issue slots to store one vector-column of a tile transposed */
    /* rows 1..mr of t; trans: C is stored transposed (the tile's row i is
     * C's column i) */
    void (*tile)(const gemm_tile *t, int rows, int trans);
    /* op(B)[p0 + p, j0 + j] for p < kc, j < n into nr-column panels
     * [kc, nr], zero past n; dst 64-byte aligned */
    void (*pack_b)(const gemm_view *b, int p0, int kc, int j0, int n, float *dst);
} gemm_kernel;

extern const gemm_kernel gemm_kernel_generic;
/* x86 only (include/yolo/net/isa.h's ISA_X86). */
extern const gemm_kernel gemm_kernel_avx2, gemm_kernel_avx512;

/* The plain C packing (gemm_generic.c), for any nr: the generic and AVX2
 * families use it. */
void gemm_pack_b_plain(const gemm_view *b, int p0, int kc, int j0, int n, int nr, float *dst);

#endif
