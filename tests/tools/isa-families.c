/* isa-families: prints the kernel families this CPU runs, one line, in
 * order (generic, then avx2, then avx512 where present), for tests/run.sh;
 * with an argument, also the CPU's best family and model on a second line. */
#include <stdio.h>
#include <string.h>

#include "yolo/net/isa.h"

/* The CPU's model name from /proc/cpuinfo, or "unknown CPU". */
static void cpu_model(char *out, size_t cap)
{
    snprintf(out, cap, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) == 0 && colon) {
            colon += strspn(colon + 1, " \t") + 1;
            colon[strcspn(colon, "\n")] = 0;
            snprintf(out, cap, "%s", colon);
            break;
        }
    }
    fclose(f);
}

int main(int argc, char **argv)
{
    (void)argv;
    isa_family best = isa_best();
    for (int f = 0; f <= (int)best; f++)
        printf("%s%s", f ? " " : "", isa_name((isa_family)f));
    printf("\n");
    if (argc > 1) {
        char model[256];
        cpu_model(model, sizeof model);
        printf("best %s on %s\n", isa_name(best), model);
    }
    return fclose(stdout) == 0 ? 0 : 3;
}
