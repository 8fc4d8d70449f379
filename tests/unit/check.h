/* A minimal TAP-style harness: each CHECK prints "ok N - name" or
 * "not ok N - name (file:line: condition)"; tests/run.sh counts the lines.
 * main ends with `return check_done();`, non-zero if anything failed. */
#ifndef YOLO_TEST_CHECK_H
#define YOLO_TEST_CHECK_H

#include <stdio.h>

static int check_count, check_failed;

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        int ok_ = !!(cond);                                                     \
        check_count++;                                                          \
        printf("%s %d - ", ok_ ? "ok" : "not ok", check_count);                 \
        printf(__VA_ARGS__);                                                    \
        if (!ok_) {                                                             \
            check_failed++;                                                     \
            printf(" (%s:%d: %s)", __FILE__, __LINE__, #cond);                  \
        }                                                                       \
        printf("\n");                                                           \
        fflush(stdout);                                                         \
    } while (0)

/* A check that cannot run here (TAP's "# SKIP"): tests/run.sh counts it as
 * skipped, never as passed. */
#define SKIP(reason, ...)                                                       \
    do {                                                                        \
        check_count++;                                                          \
        printf("ok %d - ", check_count);                                        \
        printf(__VA_ARGS__);                                                    \
        printf(" # SKIP %s\n", reason);                                         \
        fflush(stdout);                                                         \
    } while (0)

static inline int check_done(void)
{
    printf("# %d checks, %d failed\n", check_count, check_failed);
    return check_failed ? 1 : 0;
}

#endif
