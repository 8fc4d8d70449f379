/* gen-records: writes a deterministic stream of dataset-like records for the
 * tests and benchmarks: id, image, width, height, objects and an f32 input
 * tensor of random values.
 *   gen-records [--count N | --bytes B] [--size HxW] [--objects K] [--seed S]
 *               [--tensor-key KEY]
 */
#include <stdlib.h>
#include <string.h>

#include "yolo/cli/cli.h"

enum { OPT_COUNT = 1, OPT_BYTES, OPT_SIZE, OPT_OBJECTS, OPT_SEED, OPT_KEY };

static const cli_opt opts[] = {
    {OPT_COUNT, "count", 'n', "N", "records to write (default 10)"},
    {OPT_BYTES, "bytes", 'b', "B", "write records until at least B bytes are out"},
    {OPT_SIZE, "size", 's', "HxW", "input tensor [3,H,W] (default 8x8; 0x0 for none)"},
    {OPT_OBJECTS, "objects", 'k', "K", "objects per record (default 3)"},
    {OPT_SEED, "seed", 0, "S", "random seed (default 1)"},
    {OPT_KEY, "tensor-key", 0, "KEY", "key of the tensor (default input)"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_desc desc = {
    .name = "gen-records",
    .summary = "Write a deterministic stream of synthetic records (for tests).",
    .opts = opts,
    .writes_records = 1,
};

typedef struct gen_cfg {
    long count, objects, h, w;
    long long bytes;
    unsigned long long seed;
    const char *key;
} gen_cfg;

static int on_option(cli *c, void *ctx, int id, const char *arg)
{
    gen_cfg *g = ctx;
    long v;
    switch (id) {
    case OPT_COUNT: return cli_long(c, "count", arg, 0, 100000000, &g->count);
    case OPT_BYTES:
        if (cli_long(c, "bytes", arg, 1, 1L << 40, &v) < 0)
            return -1;
        g->bytes = v;
        g->count = -1;
        return 0;
    case OPT_OBJECTS: return cli_long(c, "objects", arg, 0, 100000, &g->objects);
    case OPT_SEED:
        if (cli_long(c, "seed", arg, 0, 1L << 62, &v) < 0)
            return -1;
        g->seed = (unsigned long long)v + 1;
        return 0;
    case OPT_KEY:
        g->key = arg;
        return 0;
    case OPT_SIZE:
        if (sscanf(arg, "%ldx%ld", &g->h, &g->w) != 2 || g->h < 0 || g->w < 0 || g->h > 8192 ||
            g->w > 8192)
            return cli_usage_error(c, "option --size: '%s' is not HxW", arg);
        return 0;
    }
    return -1;
}

/* xorshift64*: the random state is passed explicitly. */
static double rnd(unsigned long long *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static int make(rec *r, long i, const gen_cfg *g, unsigned long long *s, yerr *err)
{
    char id[32], path[64];
    snprintf(id, sizeof id, "%06ld", i);
    snprintf(path, sizeof path, "JPEGImages/%06ld.jpg", i);
    static const char *const names[] = {"cat", "dog", "person", "car"};
    int rc = rec_set_cstr(r, "id", id, err) | rec_set_cstr(r, "image", path, err) |
             rec_set_i64(r, "width", 640, err) | rec_set_i64(r, "height", 480, err);
    msgpack_packer *pk = rec_set_begin(r, "objects");
    msgpack_pack_array(pk, (size_t)g->objects);
    for (long k = 0; k < g->objects; k++) {
        int cls = (int)(rnd(s) * 4);
        double x = rnd(s) * 600, y = rnd(s) * 440;
        msgpack_pack_map(pk, 4);
        msgpack_pack_str_with_body(pk, "class", 5);
        msgpack_pack_int(pk, cls);
        msgpack_pack_str_with_body(pk, "name", 4);
        msgpack_pack_str_with_body(pk, names[cls], strlen(names[cls]));
        msgpack_pack_str_with_body(pk, "bbox", 4);
        msgpack_pack_array(pk, 4);
        msgpack_pack_double(pk, x);
        msgpack_pack_double(pk, y);
        msgpack_pack_double(pk, x + 1 + rnd(s) * 39);
        msgpack_pack_double(pk, y + 1 + rnd(s) * 39);
        msgpack_pack_str_with_body(pk, "difficult", 9);
        msgpack_pack_false(pk);
    }
    rc |= rec_set_end(r, err);
    if (g->h > 0 && g->w > 0) {
        tensor_view t = {.dtype = TENSOR_F32};
        const char *why;
        int64_t dims[3] = {3, g->h, g->w};
        tensor_set_shape(&t, 3, dims, &why);
        float *d = rec_set_tensor_alloc(r, g->key, &t, err);
        if (!d)
            return -1;
        unsigned long long x = *s;
        for (size_t j = 0; j < t.count; j++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            float f = (float)(x >> 40) / 16777216.0f;
            memcpy((char *)d + 4 * j, &f, 4);
        }
        *s = x;
    }
    return rc ? -1 : 0;
}

int main(int argc, char **argv)
{
    cli c;
    gen_cfg g = {.count = 10, .objects = 3, .h = 8, .w = 8, .seed = 2, .key = "input"};
    cli_init(&c, &desc);
    if (cli_parse(&c, argc, argv, on_option, &g) < 0)
        return c.status;
    rec r;
    rec_init(&r);
    yerr err;
    unsigned long long s = g.seed * 0x9e3779b97f4a7c15ull;
    for (long i = 0; g.count < 0 ? (long long)c.out.bytes < g.bytes : i < g.count; i++) {
        rec_clear(&r);
        if (make(&r, i, &g, &s, &err) < 0 || rec_write(&c.out, &r, &err) < 0) {
            cli_fail(&c, &err);
            break;
        }
    }
    rec_free(&r);
    return cli_finish(&c);
}
