/* cfg_parse over arbitrary text, then net_plan at a small input size (the
 * cfg's own width and height when they are at most FUZZ_MAX_SIDE, else 32),
 * net_summary, and, when the plan is small enough to run in milliseconds
 * (FUZZ_MAX_FLOATS of memory, about FUZZ_MAX_OPS operations, parameters
 * included), one forward
 * pass on a deterministic input with seeded random weights, built one of
 * three ways from the input's hash: every output kept, outputs sharing
 * memory with batch norm folded (darknet-forward), or that and Winograd
 * (darknet-forward's default). The heads' outputs then get darknet's
 * activations (head_activate). A plan that is accepted must build. Then
 * net_plan alone at the cfg's own size, with a batch from the hash. */
#include "fuzz.h"
#include "yolo/net/cfg.h"
#include "yolo/net/network.h"
#include "yolo/net/weights.h"

#define FUZZ_MAX_SIDE 128
#define FUZZ_MAX_FLOATS (4u << 20)  /* 16 MiB in the network's block */
#define FUZZ_MAX_OPS 2e7            /* multiply-adds and element visits, roughly */
#define FUZZ_MAX_HEADS 64

static void unused_key(void *ctx, const cfg *c, const cfg_section *s, const cfg_kv *kv)
{
    (void)c, (void)s, (void)kv;
    ++*(int *)ctx;
}

/* What a forward pass costs, roughly: the layers' own FLOP counts, and for
 * the layers that report none a visit per input and output element (pools
 * their window's size per output); and drawing the random parameters, then
 * transforming them for Winograd, costs about 30 a parameter. */
static double cost(const network *net)
{
    double ops = 0;
    for (int i = 0; i < net->n; i++) {
        const layer *l = &net->l[i];
        double per_out = l->type == CFG_MAXPOOL ? (double)l->size * l->size : 1;
        ops += l->bflops * 1e9 + (double)l->inputs + (double)l->outputs * per_out;
    }
    ops += 30.0 * (double)net->nparams;
    return ops;
}

/* A side from [net]: the cfg's when it is in [1, FUZZ_MAX_SIDE], else 32. */
static int side(cfg *c, const char *key)
{
    int v = 0;
    yerr err;
    if (c->n > 0 && c->s[0].type == CFG_NET &&
        cfg_int(c, &c->s[0], key, 0, 0, 1 << 16, &v, &err) == 0 && v >= 1 && v <= FUZZ_MAX_SIDE)
        return v;
    return 32;
}

static void forward(cfg *c, int w, int h, uint64_t hash)
{
    int mode = (int)(hash % 3);
    net_opts o = {.w = w, .h = h, .batch = 1, .reuse = mode > 0};
    network net;
    yerr err;
    if (net_load_opts(c, &net, &o, &err) < 0) {
        if (err.code == YOLO_EIO)
            return; /* out of memory */
        FUZZ_FAIL("net_plan accepted the cfg, net_load_opts refused it: %s", err.msg);
    }
    weights_random(&net, hash);
    for (size_t i = 0; i < (size_t)net.batch * net.inputs; i++)
        net.input[i] = (float)((i * 2654435761u) % 1024) / 1024.f;
    if (mode > 0)
        net_fold_bn(&net);
    if (mode == 2 && net_winograd(&net, NET_WINO_ALL, &err) < 0) {
        net_free(&net);
        return; /* out of memory */
    }
    net_forward(&net);
    int heads[FUZZ_MAX_HEADS];
    int nh = net_heads(&net, heads, FUZZ_MAX_HEADS);
    for (int k = 0; k < nh; k++) {
        const layer *l = &net.l[heads[k]];
        size_t n = (size_t)l->batch * l->outputs;
        float *x = malloc((n ? n : 1) * sizeof *x);
        if (!x)
            FUZZ_FAIL("out of memory");
        memcpy(x, l->out, n * sizeof *x);
        head_activate(l, x);
        free(x);
    }
    net_free(&net);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cfg c;
    yerr err;
    if (cfg_parse(&c, "<fuzz>.cfg", (const char *)data, size, &err) < 0)
        return 0;
    int w = side(&c, "width"), h = side(&c, "height");
    network net;
    if (net_plan(&c, &net, w, h, 1, &err) == 0) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
            FUZZ_FAIL("open_memstream failed");
        net_summary(&net, f);
        fclose(f);
        free(buf);
        int small = net.nblock <= FUZZ_MAX_FLOATS && cost(&net) <= FUZZ_MAX_OPS;
        net_free(&net);
        if (small)
            forward(&c, w, h, fuzz_hash(data, size));
    }
    /* and the plan alone (no memory but the layer table) at the cfg's own
     * size, however large, with a batch of 1 to 256: the size checks */
    if (net_plan(&c, &net, 0, 0, 1 + (int)(fuzz_hash(data, size) >> 56), &err) == 0)
        net_free(&net);
    int unused = 0;
    cfg_unused(&c, unused_key, &unused);
    cfg_free(&c);
    return 0;
}
