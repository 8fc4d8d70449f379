/* The tests' one relative error of a float tensor against a reference:
 * max |a - b| / max |b| over n values (tests/unit/test_network.c's rule for
 * layer outputs; max |a - b| when b is all zero). */
#ifndef YOLO_TEST_RELERR_H
#define YOLO_TEST_RELERR_H

#include <math.h>
#include <stddef.h>

static inline double rel_diff(const float *a, const float *b, size_t n)
{
    double diff = 0, scale = 0;
    for (size_t i = 0; i < n; i++) {
        diff = fmax(diff, fabs((double)a[i] - b[i]));
        scale = fmax(scale, fabs((double)b[i]));
    }
    return scale > 0 ? diff / scale : diff;
}

#endif
