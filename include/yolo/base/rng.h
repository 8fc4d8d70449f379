/* Random numbers with explicit state: every stage that draws takes a seed
 * (--seed) and passes its yrng down; nothing random is global. */
#ifndef YOLO_RNG_H
#define YOLO_RNG_H

#include <stdint.h>

typedef struct yrng {
    uint64_t s[4]; /* xoshiro256** state */
} yrng;

void rng_seed(yrng *r, uint64_t seed);   /* any seed, 0 included */
uint64_t rng_u64(yrng *r);
double rng_uniform(yrng *r);             /* [0, 1) with 53 random bits */
double rng_range(yrng *r, double lo, double hi); /* [lo, hi) */
uint64_t rng_below(yrng *r, uint64_t n); /* [0, n), unbiased; n > 0 */
double rng_normal(yrng *r);              /* standard normal (Box-Muller) */
/* Gamma(shape, 1), shape >= 1 (Marsaglia and Tsang's method: a normal and a
 * uniform per try, rejection under 2% of tries for shape >= 1). */
double rng_gamma(yrng *r, double shape);
/* Beta(a, b), a, b >= 1: X / (X + Y) of two gamma variates (mixup's weight). */
double rng_beta(yrng *r, double a, double b);

#endif
