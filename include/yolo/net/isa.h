/* Kernel families: which instruction set the numeric kernels (GEMM,
 * Winograd's transforms, the first-layer convolution, batch norm,
 * activations, maxpool, im2col) use. One binary runs on every x86-64: each
 * kernel is compiled once per family (target attributes, no -march) and
 * picked at run time.
 *
 *   generic  plain C, the baseline x86-64 (SSE2) the compiler vectorises;
 *            the reference every other family is tested against
 *   avx2     AVX2 + FMA (Haswell, Zen 1-3 and later)
 *   avx512   AVX-512F (Skylake-SP and later Xeons, Zen 4-5)
 *
 * The environment variable YOLO_ISA=generic|avx2|avx512 picks a family at
 * start-up (tests run the suite once per family the CPU has); without it,
 * the CPU's best. Families that use FMA round differently from generic (one
 * rounding per multiply-add instead of two), so results agree across
 * families to a tolerance, not bit for bit; within a family they are the
 * same bits for any batch size and thread count. */
#ifndef YOLO_ISA_H
#define YOLO_ISA_H

#include "yolo/base/err.h"

typedef enum { ISA_GENERIC = 0, ISA_AVX2 = 1, ISA_AVX512 = 2 } isa_family;

/* x86 builds compile the avx2 and avx512 copies for their instruction
 * sets; elsewhere (ARM) they are plain C too and never picked: the CPU's
 * best is generic. */
#if defined(__x86_64__) || defined(__i386__)
#define ISA_X86 1
#define ISA_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define ISA_TARGET_AVX512 __attribute__((target("avx512f,avx2,fma")))
#else
#define ISA_X86 0
#define ISA_TARGET_AVX2
#define ISA_TARGET_AVX512
#endif
#define ISA_COUNT 3

/* "generic", "avx2", "avx512". */
const char *isa_name(isa_family f);
/* 0 and *f set when name is one of the names above; -1 otherwise. */
int isa_parse(const char *name, isa_family *f);
/* The best family this CPU runs (avx2 needs AVX2 and FMA; avx512 needs
 * AVX-512F besides). */
isa_family isa_best(void);
/* The family YOLO_ISA asks for (the CPU's best when unset or empty): -1
 * with YOLO_EUSAGE when it names no family or one this CPU lacks, the
 * message naming the CPU's best. The stage framework calls it at start-up. */
int isa_requested(isa_family *f, yerr *err);
/* The family the kernels use: isa_requested's, or the CPU's best when that
 * fails (start-up has reported the error already). Cheap enough to call per
 * kernel call: it reads the environment, no state of its own. */
isa_family isa_active(void);

/* Three copies of one body: from a static always-inline void function
 * NAME_body(PARAMS), the static functions NAME_generic, NAME_avx2 and
 * NAME_avx512, each compiled for its family (the compiler vectorises the
 * body at that family's width); ISA_PICK(f, NAME) is family f's. Resolve
 * the family once per call (isa_active) and pass the pointer into the
 * parallel loop. With plain C bodies the three give the same bits: the
 * build contracts no a * b + c into an FMA (-ffp-contract=off). */
#define ISA_CLONES(name, params, args)                                                      \
    static void name##_generic params { name##_body args; }                                 \
    static ISA_TARGET_AVX2 void name##_avx2 params { name##_body args; }                    \
    static ISA_TARGET_AVX512 void name##_avx512 params                                      \
    {                                                                                       \
        name##_body args;                                                                   \
    }
/* A helper of a body: inlined into each copy, so compiled for its family. */
#define ISA_INLINE static inline __attribute__((always_inline))
#define ISA_PICK(f, name)                                                                   \
    ((f) == ISA_AVX512 ? name##_avx512 : (f) == ISA_AVX2 ? name##_avx2 : name##_generic)

#endif
