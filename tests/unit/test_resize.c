/* Unit tests for net_resize (multi-scale training, common/net/network.c):
 *   1. training (Adam): a micro two-head YOLOv3-style net at 64x64 (8x8 and
 *      16x16 grids), batch 2, random parameters and made-up gradients,
 *      momentum, moment2 and seen, resized to 96x96: the size, every
 *      parameter and optimiser array and the header kept byte for byte; its
 *      forward pass (batch statistics) gives the heads' outputs of a network
 *      loaded at 96x96 with the same parameters, bit for bit; and back to
 *      64x64 it gives the first outputs;
 *   2. inference (reuse, batch norm folded): resized to 128x128, the same
 *      outputs as a fresh 128x128 network with the same parameters folded;
 *   3. refusals, the network left as it was: a [connected] net (its
 *      parameters depend on the size), a size too large to build;
 *   4. enc_size (encode-targets --sizes): darknet's 320..608 in multiples of
 *      32, one size per block, every size about as often over 10000 blocks,
 *      another seed another sequence, MIN = MAX that size. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/net/cfg.h"
#include "yolo/net/network.h"
#include "yolo/base/rng.h"
#include "yolo/loss/targets.h"
#include "yolo/net/weights.h"

#include "check.h"

/* conv-bn and maxpool three times, 1x1 conv, yolo (8x8 at 64); route back, 1x1
 * conv, upsample, route with the first conv's pool, 1x1 conv, yolo (16x16);
 * a dropout on the way. */
static const char *const NET =
    "[net]\nwidth=64\nheight=64\nchannels=3\n"
    "[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\nstride=1\npad=1\nactivation=leaky\n"
    "[maxpool]\nsize=2\nstride=2\n"
    "[convolutional]\nbatch_normalize=1\nfilters=16\nsize=3\nstride=1\npad=1\nactivation=leaky\n"
    "[maxpool]\nsize=2\nstride=2\n"
    "[convolutional]\nbatch_normalize=1\nfilters=16\nsize=3\nstride=1\npad=1\nactivation=leaky\n"
    "[maxpool]\nsize=2\nstride=2\n"
    "[convolutional]\nsize=1\nstride=1\npad=1\nfilters=21\nactivation=linear\n"
    "[yolo]\nmask=3,4,5\nanchors=10,10, 20,20, 36,32, 5,5, 8,8, 12,12\nclasses=2\nnum=6\n"
    "[route]\nlayers=-3\n"
    "[convolutional]\nbatch_normalize=1\nfilters=8\nsize=1\nstride=1\npad=1\nactivation=leaky\n"
    "[upsample]\nstride=2\n"
    "[route]\nlayers=-1,3\n"
    "[dropout]\nprobability=0\n"
    "[convolutional]\nsize=1\nstride=1\npad=1\nfilters=21\nactivation=linear\n"
    "[yolo]\nmask=0,1,2\nanchors=10,10, 20,20, 36,32, 5,5, 8,8, 12,12\nclasses=2\nnum=6\n";

static const char *const CONNECTED =
    "[net]\nwidth=32\nheight=32\nchannels=3\n"
    "[convolutional]\nfilters=4\nsize=3\nstride=2\npad=1\nactivation=leaky\n"
    "[connected]\noutput=20\nactivation=linear\n";

static float *copy(const float *p, size_t n)
{
    float *q = malloc(n * sizeof *q + 1);
    if (q)
        memcpy(q, p, n * sizeof *q);
    return q;
}

static int same(const float *a, const float *b, size_t n)
{
    return a && b && memcmp(a, b, n * sizeof *a) == 0;
}

static void fill(float *p, size_t n, yrng *r)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (float)rng_range(r, -1, 1);
}

/* The heads' outputs after a forward pass on input x ([batch, c, h, w]). */
static int heads_equal(network *a, network *b, const float *x)
{
    size_t nin = (size_t)a->batch * a->inputs;
    if (a->inputs != b->inputs || a->batch != b->batch)
        return 0;
    memcpy(a->input, x, nin * sizeof *x);
    memcpy(b->input, x, nin * sizeof *x);
    net_forward(a);
    net_forward(b);
    int idx[4], n = net_heads(a, idx, 4);
    for (int k = 0; k < n; k++) {
        const layer *la = &a->l[idx[k]], *lb = &b->l[idx[k]];
        if (la->outputs != lb->outputs ||
            !same(la->out, lb->out, (size_t)la->outputs * a->batch))
            return 0;
    }
    return n == 2;
}

static void test_training(cfg *c)
{
    yerr err = {0};
    network net, fresh;
    net_opts o = {.batch = 2, .train = 1, .adam = 1};
    yrng r, drop;
    rng_seed(&r, 7);
    rng_seed(&drop, 8);
    if (net_load_opts(c, &net, &o, &err) < 0) {
        CHECK(0, "training: the net loads (%s)", err.msg);
        return;
    }
    weights_random(&net, 3);
    size_t np = net.nparams;
    fill(net.grads, np, &r);
    fill(net.momentum, np, &r);
    fill(net.moment2, np, &r);
    net.seen = 1234;
    net.rng = &drop;
    float *p = copy(net.params, np), *g = copy(net.grads, np), *m = copy(net.momentum, np),
          *m2 = copy(net.moment2, np);
    float *x64 = malloc((size_t)2 * net.inputs * sizeof *x64);
    float *x96 = malloc((size_t)2 * 3 * 96 * 96 * sizeof *x96);
    if (!p || !g || !m || !m2 || !x64 || !x96)
        return;
    fill(x64, (size_t)2 * net.inputs, &r);
    fill(x96, (size_t)2 * 3 * 96 * 96, &r);
    memcpy(net.input, x64, (size_t)2 * net.inputs * sizeof *x64);
    net_forward(&net);
    int h0[4], nh = net_heads(&net, h0, 4);
    const layer *first = &net.l[h0[nh - 1]];
    float *out64 = copy(first->out, (size_t)first->outputs * 2);
    memcpy(net.params, p, np * sizeof *p);   /* the pass moved the rolling statistics */

    int rc = net_resize(c, &net, 96, 96, &err);
    CHECK(rc == 0, "training: 64x64 -> 96x96 resizes (%s)", rc ? err.msg : "");
    if (rc)
        return;
    CHECK(net.w == 96 && net.h == 96 && net.inputs == 3 * 96 * 96 && net.batch == 2 &&
          net.train && net.l[7].w == 12 && net.l[net.n - 1].w == 24,
          "... the input is 96x96, batch 2, the heads 12x12 and 24x24 grids");
    CHECK(net.nparams == np && same(net.params, p, np), "... parameters kept (%zu)", np);
    CHECK(same(net.grads, g, np) && same(net.momentum, m, np) && same(net.moment2, m2, np),
          "... gradients, momentum and Adam's moment2 kept");
    CHECK(net.seen == 1234 && net.rng == &drop && net.major == 0 && net.minor == 2 &&
          net.seen_bytes == 8, "... seen, rng and the header kept");

    o.w = o.h = 96;
    rc = net_load_opts(c, &fresh, &o, &err);
    CHECK(rc == 0, "a fresh 96x96 training net loads");
    if (rc == 0) {
        memcpy(fresh.params, p, np * sizeof *p);
        fresh.rng = &drop;
        CHECK(heads_equal(&net, &fresh, x96), "... both heads' outputs are those of the resized "
              "net, bit for bit");
        CHECK(same(net.params, fresh.params, np), "... and the rolling statistics move alike");
        net_free(&fresh);
    }
    memcpy(net.params, p, np * sizeof *p);
    rc = net_resize(c, &net, 64, 64, &err);
    CHECK(rc == 0 && net.w == 64, "back to 64x64");
    if (rc == 0) {
        memcpy(net.input, x64, (size_t)2 * net.inputs * sizeof *x64);
        net_forward(&net);
        const layer *l = &net.l[h0[nh - 1]];
        CHECK(same(l->out, out64, (size_t)l->outputs * 2), "... gives the first outputs again");
    }
    net_free(&net);
    free(p), free(g), free(m), free(m2), free(x64), free(x96), free(out64);
}

static void test_inference(cfg *c)
{
    yerr err = {0};
    network net, fresh;
    net_opts o = {.batch = 1, .reuse = 1};
    yrng r;
    rng_seed(&r, 9);
    if (net_load_opts(c, &net, &o, &err) < 0) {
        CHECK(0, "inference: the net loads (%s)", err.msg);
        return;
    }
    weights_random(&net, 4);
    float *raw = copy(net.params, net.nparams);
    net_fold_bn(&net);
    int rc = net_resize(c, &net, 128, 128, &err);
    CHECK(rc == 0 && net.w == 128 && net.reuse && net.folded && !net.train && !net.grads,
          "inference: resized to 128x128, reuse, folded, no training arrays");
    o.w = o.h = 128;
    float *x = malloc((size_t)3 * 128 * 128 * sizeof *x);
    if (rc == 0 && raw && x && net_load_opts(c, &fresh, &o, &err) == 0) {
        memcpy(fresh.params, raw, fresh.nparams * sizeof *raw);
        net_fold_bn(&fresh);
        fill(x, (size_t)3 * 128 * 128, &r);
        CHECK(heads_equal(&net, &fresh, x), "... the heads' outputs of a fresh 128x128 net "
              "with the same parameters folded");
        net_free(&fresh);
    }
    free(x);
    free(raw);
    net_free(&net);
}

static void test_refusals(cfg *net_cfg)
{
    cfg c;
    network net;
    yerr err = {0};
    if (cfg_parse(&c, "connected.cfg", CONNECTED, strlen(CONNECTED), &err) < 0 ||
        net_load(&c, &net, &err) < 0) {
        CHECK(0, "the connected cfg loads (%s)", err.msg);
        return;
    }
    float *params = net.params;
    int rc = net_resize(&c, &net, 64, 64, &err);
    CHECK(rc < 0 && err.code == YOLO_EINPUT && strstr(err.msg, "connected.cfg:") &&
          strstr(err.msg, "[connected]") && strstr(err.msg, "depend on the input size"),
          "a [connected] net is refused, naming the layer: %s", err.msg);
    CHECK(net.w == 32 && net.params == params, "... and left as it was");
    CHECK(net_resizable(&net, &err) < 0, "net_resizable says so too");
    net_free(&net);
    cfg_free(&c);

    if (net_load(net_cfg, &net, &err) < 0)
        return;
    CHECK(net_resizable(&net, &err) == 0, "the yolo net is resizable");
    params = net.params;
    rc = net_resize(net_cfg, &net, 16384, 16384, &err);
    CHECK(rc < 0 && net.w == 64 && net.params == params, "a size too large to build fails, the "
          "net left as it was: %s", err.msg);
    net_free(&net);
}

static void test_enc_size(void)
{
    enc_config cf = {.seed = 1, .size_lo = 320, .size_hi = 608};
    long count[10] = {0}, bad = 0, changes = 0, differ = 0;
    for (uint64_t b = 0; b < 10000; b++) {
        int s = enc_size(&cf, 640, b * 640);
        bad += s < 320 || s > 608 || s % 32 || enc_size(&cf, 640, b * 640 + 639) != s;
        if (!bad)
            count[(s - 320) / 32]++;
        changes += b > 0 && enc_size(&cf, 640, b * 640 - 1) != s;
    }
    CHECK(bad == 0, "enc_size: 10000 blocks of 640 records, each one multiple of 32 in 320..608");
    long lo = count[0], hi = count[0];
    for (int i = 1; i < 10; i++)
        lo = count[i] < lo ? count[i] : lo, hi = count[i] > hi ? count[i] : hi;
    CHECK(lo > 900 && hi < 1100, "... each of the 10 sizes 900..1100 times (%ld..%ld)", lo, hi);
    CHECK(changes > 8500, "... the size changes at %ld of 9999 block boundaries (~90%%)", changes);
    enc_config other = cf;
    other.seed = 2;
    for (uint64_t b = 0; b < 100; b++)
        differ += enc_size(&cf, 10, b * 10) != enc_size(&other, 10, b * 10);
    CHECK(differ > 70, "... another seed: %ld of 100 blocks differ", differ);
    cf.size_lo = cf.size_hi = 416;
    CHECK(enc_size(&cf, 10, 12345) == 416, "... --sizes 416,416: 416");
}

int main(void)
{
    cfg c;
    yerr err = {0};
    int rc = cfg_parse(&c, "net.cfg", NET, strlen(NET), &err);
    CHECK(rc == 0, "the test cfg parses (%s)", rc ? err.msg : "");
    if (rc)
        return check_done();
    test_training(&c);
    test_inference(&c);
    test_refusals(&c);
    cfg_free(&c);
    test_enc_size();
    return check_done();
}
