/* Helpers shared by the unit tests: a seeded PRNG, a packer into a growable
 * buffer, byte copies. */
#ifndef YOLO_TEST_UTIL_H
#define YOLO_TEST_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

/* xorshift64; each test binary starts from the same seed, so runs repeat. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static inline uint64_t xrand(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

/* A packer into a growable buffer, for building inputs. */
typedef struct {
    msgpack_sbuffer sb;
    msgpack_packer pk;
} pbuf;

static inline void pb_init(pbuf *b)
{
    msgpack_sbuffer_init(&b->sb);
    msgpack_packer_init(&b->pk, &b->sb, msgpack_sbuffer_write);
}
static inline void pb_reset(pbuf *b) { msgpack_sbuffer_clear(&b->sb); }
static inline void pb_free(pbuf *b) { msgpack_sbuffer_destroy(&b->sb); }
static inline void pb_raw(pbuf *b, const void *p, size_t n) { msgpack_sbuffer_write(&b->sb, p, n); }
static inline void pb_str(pbuf *b, const char *s) { msgpack_pack_str_with_body(&b->pk, s, strlen(s)); }

/* A malloc'd copy of p[0, n) (never NULL for n == 0). */
static inline uint8_t *dup_bytes(const void *p, size_t n)
{
    uint8_t *d = malloc(n ? n : 1);
    if (d && n)
        memcpy(d, p, n);
    return d;
}

#endif
