/* Kernel families (include/yolo/net/isa.h). No state of its own: the CPU's
 * features come from libgcc's __builtin_cpu_supports (filled once by its
 * constructor) and the request from the environment, read at each call. */
#include <stdlib.h>
#include <string.h>

#include "yolo/net/isa.h"

static const char *const isa_names[ISA_COUNT] = {"generic", "avx2", "avx512"};

const char *isa_name(isa_family f)
{
    return f >= 0 && f < ISA_COUNT ? isa_names[f] : "?";
}

int isa_parse(const char *name, isa_family *f)
{
    for (int i = 0; i < ISA_COUNT; i++)
        if (strcmp(name, isa_names[i]) == 0) {
            *f = (isa_family)i;
            return 0;
        }
    return -1;
}

isa_family isa_best(void)
{
#if !ISA_X86
    return ISA_GENERIC;
#else
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
        return ISA_GENERIC;
    return __builtin_cpu_supports("avx512f") ? ISA_AVX512 : ISA_AVX2;
#endif
}

int isa_requested(isa_family *f, yerr *err)
{
    isa_family best = isa_best();
    const char *want = getenv("YOLO_ISA");
    *f = best;
    if (!want || !*want)
        return 0;
    isa_family asked;
    if (isa_parse(want, &asked) < 0)
        return yerr_set(err, YOLO_EUSAGE,
                        "YOLO_ISA=%.64s: no such kernel family (generic, avx2, avx512; this "
                        "CPU's best is %s)", want, isa_name(best));
    if (asked > best)
        return yerr_set(err, YOLO_EUSAGE, "YOLO_ISA=%s: this CPU lacks it (its best is %s)",
                        want, isa_name(best));
    *f = asked;
    return 0;
}

isa_family isa_active(void)
{
    isa_family f;
    return isa_requested(&f, NULL) == 0 ? f : isa_best();
}
