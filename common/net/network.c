/* Builds a network from a parsed cfg: one pass for shapes and counts (each
 * layer type's X_make), then one allocation for every float, then pointers
 * into it. Runs the forward pass and prints a darknet-like summary. */
#include <stdint.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/net/layers.h"

/* Floats in one image's input or one layer's output: keeps every int
 * product of shapes far from overflow. */
#define NET_MAX_TENSOR (1 << 28)

typedef struct layer_ops {
    int (*make)(layer *l, cfg *c, cfg_section *s, const network *net, int index, yerr *err);
    void (*forward)(const layer *l, const network *net, const float *in);
    void (*backward)(const layer *l, const network *net, const float *in, float *din);
    const char *label;        /* the summary's column, darknet's words */
} layer_ops;

#define OPS(name, label) {name##_make, name##_forward, name##_backward, label}
static const layer_ops ops[CFG_NTYPES] = {
    [CFG_CONVOLUTIONAL] = OPS(conv, "conv"),
    [CFG_MAXPOOL] = OPS(maxpool, "max"),
    [CFG_ROUTE] = OPS(route, "route"),
    [CFG_REORG] = OPS(reorg, "reorg"),
    [CFG_SHORTCUT] = OPS(shortcut, "res"),
    [CFG_UPSAMPLE] = OPS(upsample, "upsample"),
    [CFG_CONNECTED] = OPS(connected, "connected"),
    [CFG_DROPOUT] = OPS(dropout, "dropout"),
    [CFG_LOCAL] = OPS(local, "local"),
    [CFG_AVGPOOL] = OPS(avgpool, "avg"),
    [CFG_SOFTMAX] = OPS(softmax, "softmax"),
    [CFG_REGION] = OPS(region, "region"),
    [CFG_YOLO] = OPS(yolo, "yolo"),
    [CFG_DETECTION] = OPS(detection, "detection"),
};
#undef OPS

void net_free(network *net)
{
    free(net->block);
    free(net->wino);
    free(net->l);
    free(net->path);
    memset(net, 0, sizeof *net);
}

/* Options of every layer section that change what the weights file holds:
 * accepted only at their default, 0. */
static int no_weight_tricks(cfg *c, cfg_section *s, yerr *err)
{
    static const char *const keys[] = {"dontload", "dontloadscales", "dontsave", "numload"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        int v = 0;
        if (cfg_int(c, s, keys[k], 0, 0, 1 << 20, &v, err) < 0)
            return -1;
        if (v)
            return cfg_fail(c, s, keys[k], err, "not supported by this project");
    }
    return 0;
}

static int net_options(cfg *c, network *net, int w, int h, int batch, yerr *err)
{
    cfg_section *s = &c->s[0];
    if (cfg_int(c, s, "width", 0, 0, 1 << 16, &net->w, err) < 0 ||
        cfg_int(c, s, "height", 0, 0, 1 << 16, &net->h, err) < 0 ||
        cfg_int(c, s, "channels", 0, 0, 1 << 16, &net->c, err) < 0)
        return -1;
    if (w)
        net->w = w;
    if (h)
        net->h = h;
    net->batch = batch ? batch : 1;
    if (net->w <= 0 || net->h <= 0 || net->c <= 0)
        return cfg_fail(c, s, NULL, err, "width, height and channels must be given (got %dx%dx%d)",
                        net->w, net->h, net->c);
    if ((long long)net->w * net->h * net->c > NET_MAX_TENSOR)
        return cfg_fail(c, s, NULL, err, "a %dx%dx%d input is larger than %d floats", net->w,
                        net->h, net->c, NET_MAX_TENSOR);
    net->inputs = net->w * net->h * net->c;
    return 0;
}

int net_is_head(cfg_type t) { return t == CFG_REGION || t == CFG_YOLO || t == CFG_DETECTION; }

int net_heads(const network *net, int *idx, int max)
{
    int n = 0;
    for (int i = 0; i < net->n; i++) {
        if (!net_is_head(net->l[i].type))
            continue;
        if (n == max)
            return -1;
        idx[n++] = i;
    }
    return n;
}

/* darknet's heads activate their output in place, so a layer reading one
 * would see different numbers there than here (raw): refuse the cfg. */
static int reads_head(cfg *c, cfg_section *s, const network *net, int i, yerr *err)
{
    const layer *l = &net->l[i];
    int n = l->type == CFG_ROUTE ? l->n : l->type == CFG_SHORTCUT ? 1 : 0;
    for (int k = -1; k < n; k++) {
        int from = k < 0 ? i - 1 : l->from[k];
        if (from >= 0 && (k >= 0 || l->type != CFG_ROUTE) && net_is_head(net->l[from].type))
            return cfg_fail(c, s, NULL, err, "reads the output of layer %d, a [%s] head, which "
                            "darknet activates in place: not supported", from,
                            cfg_type_name(net->l[from].type));
    }
    return 0;
}

/* Shapes and counts of every layer, no memory for data yet. */
static int build_layers(cfg *c, network *net, yerr *err)
{
    for (int i = 0; i < net->n; i++) {
        cfg_section *s = &c->s[i + 1];
        layer *l = &net->l[i], *prev = i ? &net->l[i - 1] : NULL;
        *l = (layer){.type = s->type, .line = s->line, .batch = net->batch, .act = ACT_LINEAR};
        if (!cfg_builds(s->type) || !ops[s->type].make)
            return cfg_fail(c, s, NULL, err, "this layer type is not built by this project");
        l->c = prev ? prev->out_c : net->c;
        l->h = prev ? prev->out_h : net->h;
        l->w = prev ? prev->out_w : net->w;
        l->inputs = l->c * l->h * l->w;
        if (no_weight_tricks(c, s, err) < 0 || ops[s->type].make(l, c, s, net, i, err) < 0 ||
            reads_head(c, s, net, i, err) < 0)
            return -1;
        if (net->train && l->no_backward)
            return cfg_fail(c, s, l->no_backward, err, "layer %d: inference only: this option's "
                            "backward pass is not written yet, so it cannot be trained", i);
        long long outs = (long long)l->out_c * l->out_h * l->out_w;
        if (outs <= 0 || outs > NET_MAX_TENSOR)
            return cfg_fail(c, s, NULL, err, "the output (%dx%dx%d) is empty or larger than %d "
                            "floats", l->out_w, l->out_h, l->out_c, NET_MAX_TENSOR);
        l->outputs = (int)outs;
    }
    /* the dialect may show only at a later layer's activation: every layer's
     * batch norm is his then */
    for (int i = 0; i < net->n; i++)
        net->l[i].bn_ab = c->ab_line > 0;
    return 0;
}

/* Points each layer's parameter arrays into its part of params, in the
 * weights file's order. */
static void bind_params(layer *l, float *p);

/* The same places in the gradient array g (laid out like params). */
static void bind_grads(layer *l, float *g)
{
    layer shadow = *l;
    bind_params(&shadow, g);
    l->grads = shadow.params;
    l->bias_grads = shadow.biases;
    l->scale_grads = shadow.scales;
    l->weight_grads = shadow.weights;
}

static void bind_params(layer *l, float *p)
{
    l->params = p;
    if (l->nparams == 0)
        return;
    size_t nb = l->nbiases;
    int bn = l->batch_normalize;
    l->biases = p;
    if (l->type == CFG_CONNECTED) {    /* biases, weights, then batch norm */
        l->weights = p + nb;
        p = l->weights + l->nweights;
    } else {                           /* conv: biases, batch norm, weights; local: no bn */
        l->weights = p + nb * (bn ? 4 : 1);
        p += nb;
    }
    if (bn) {
        l->scales = p;
        l->mean = p + nb;
        l->var = p + 2 * nb;
    }
}

/* The layer whose memory layer i's output is (dropout and heads alias their
 * input), or -1 for the network input. */
static int owner(const network *net, int i)
{
    while (i >= 0 && net->l[i].nout == 0)
        i--;
    return i;
}

/* For each layer owning memory, the last layer that reads it. */
static void last_uses(network *net)
{
    for (int i = 0; i < net->n; i++)
        net->l[i].last_use = i;
    for (int j = 0; j < net->n; j++) {
        const layer *l = &net->l[j];
        int o = owner(net, j - 1);
        if (o >= 0 && net->l[o].last_use < j)
            net->l[o].last_use = j;
        int nfrom = l->type == CFG_ROUTE ? l->n : l->type == CFG_SHORTCUT ? 1 : 0;
        for (int k = 0; k < nfrom; k++) {
            o = owner(net, l->from[k]);
            if (o >= 0 && net->l[o].last_use < j)
                net->l[o].last_use = j;
        }
        if (net_is_head(l->type) || j == net->n - 1) {   /* read after the pass */
            o = owner(net, j);
            if (o >= 0)
                net->l[o].last_use = net->n;
        }
    }
}

#define NET_MAX_SLOTS 64

/* Reuse: outputs go into slots; a slot is free again once the last reader
 * of what it holds has run. Each output takes the smallest free slot that
 * fits, else the largest free one (grown), else a new one. Sets each
 * layer's out_off and returns the outputs area's size, in floats per image.
 * Nets needing more than NET_MAX_SLOTS live outputs get the rest unshared. */
static size_t plan_shared(network *net)
{
    size_t size[NET_MAX_SLOTS] = {0}, off = 0;
    int holder[NET_MAX_SLOTS], slot_of[CFG_MAX_SECTIONS], nslots = 0;   /* n < sections */
    for (int i = 0; i < net->n; i++) {
        layer *l = &net->l[i];
        slot_of[i] = -1;
        if (l->nout == 0)
            continue;
        int best = -1;
        for (int s = 0; s < nslots; s++) {
            if (net->l[holder[s]].last_use >= i)
                continue;
            int fits = size[s] >= l->nout, bfits = best >= 0 && size[best] >= l->nout;
            if (best < 0 || (fits && (!bfits || size[s] < size[best])) ||
                (!fits && !bfits && size[s] > size[best]))
                best = s;
        }
        if (best < 0 && nslots < NET_MAX_SLOTS)
            best = nslots++;
        if (best < 0) {
            l->out_off = SIZE_MAX;   /* placed after the slots, below */
            continue;
        }
        holder[best] = i;
        slot_of[i] = best;
        if (size[best] < l->nout)
            size[best] = l->nout;
    }
    size_t start[NET_MAX_SLOTS];
    for (int s = 0; s < nslots; s++)
        start[s] = off, off += size[s];
    for (int i = 0; i < net->n; i++) {
        layer *l = &net->l[i];
        if (slot_of[i] >= 0)
            l->out_off = start[slot_of[i]];
        else if (l->nout)
            l->out_off = off, off += l->nout;
    }
    return off;
}

/* maxpool's indexes are ints kept in the float block, one float's room each */
_Static_assert(sizeof(int) == sizeof(float), "an int takes a float's room in the block");

/* Training's floats for layer l: per image (delta, batch norm's normalised
 * values, the input of an activation that needs it, dropout's factors,
 * maxpool's indexes) and once (batch norm's batch
 * mean, variance). */
static size_t train_per_image(const layer *l)
{
    return (size_t)l->outputs * (1 + (size_t)l->batch_normalize + !!act_needs_input(l->act)) +
           (l->type == CFG_DROPOUT ? (size_t)l->inputs : 0) +
           (l->type == CFG_MAXPOOL ? (size_t)l->outputs : 0);
}

static size_t train_fixed(const layer *l) { return l->batch_normalize ? 2 * (size_t)l->n : 0; }

/* The training part of the block: gradients and optimiser state beside the
 * parameters, then per layer what train_per_image and train_fixed say. */
static size_t train_total(const network *net, int adam)
{
    size_t t = net->nparams * (adam ? 3 : 2);
    for (int i = 0; i < net->n; i++)
        t += train_per_image(&net->l[i]) * net->batch + train_fixed(&net->l[i]);
    return t;
}

/* What the block will hold: parameters, input, outputs, workspace (and
 * training's part). */
static void totals(network *net, int adam)
{
    size_t nout = 0;
    last_uses(net);
    for (int i = 0; i < net->n; i++) {
        net->nparams += net->l[i].nparams;
        net->l[i].out_off = nout;
        nout += net->l[i].nout;
        if (net->l[i].nwork > net->nwork)
            net->nwork = net->l[i].nwork;
    }
    if (net->reuse)
        nout = plan_shared(net);
    net->nouts = nout * net->batch;
    net->nblock = net->nparams + (size_t)net->batch * net->inputs + net->nouts + net->nwork;
    if (net->train)
        net->nblock += train_total(net, adam);
}

/* Hands out the training part of the block from p (train_total floats). */
static void bind_training(network *net, float *p, int adam)
{
    net->grads = p, p += net->nparams;
    net->momentum = p, p += net->nparams;
    if (adam)
        net->moment2 = p, p += net->nparams;
    float *g = net->grads;
    for (int i = 0; i < net->n; i++) {
        layer *l = &net->l[i];
        size_t per = (size_t)l->outputs * net->batch;
        bind_grads(l, g);
        g += l->nparams;
        l->delta = p, p += per;
        if (l->batch_normalize) {
            l->x_norm = p, p += per;
            l->bn_mean = p, p += l->n;
            l->bn_var = p, p += l->n;
        }
        if (act_needs_input(l->act))
            l->pre = p, p += per;
        if (l->type == CFG_DROPOUT)
            l->drop = p, p += (size_t)l->inputs * net->batch;
        if (l->type == CFG_MAXPOOL)      /* only ever read and written as ints */
            l->indexes = (int *)p, p += per;
    }
}

/* Writes a zero into every 4 KiB page of p [n] (zero already): the pages
 * fault in now, at load, not during the first image, where on this
 * machine they cost about two steady images' time (yolov3-tiny, 416x416:
 * bench/forward/layers.c's first pass). Volatile: a memset of fresh
 * calloc or malloc memory may be compiled away (gcc turns malloc + memset
 * 0 into calloc). */
static void fault_in(float *p, size_t n)
{
    volatile float *v = p;
    for (size_t i = 0; i < n; i += 1024)
        v[i] = 0;
}

static int allocate(network *net, int adam, yerr *err)
{
    size_t nin = (size_t)net->batch * net->inputs;
    net->block = calloc(net->nblock, sizeof *net->block);
    if (!net->block)
        return yerr_set(err, YOLO_EIO, "%s: out of memory for %zu floats", net->path,
                        net->nblock);
    fault_in(net->block, net->nblock);
    float *p = net->block;                 /* [nblock], handed out in order */
    net->params = p;
    p += net->nparams;
    net->input = p;
    p += nin;
    net->work = net->nwork ? p : NULL;
    p += net->nwork;
    float *params = net->params;           /* [nparams], layer by layer */
    for (int i = 0; i < net->n; i++) {
        layer *l = &net->l[i];
        bind_params(l, params);
        params += l->nparams;
        /* dropout and the heads hand on their input unchanged */
        l->out = l->nout ? p + l->out_off * net->batch : i ? net->l[i - 1].out : net->input;
    }
    if (net->train)
        bind_training(net, p + net->nouts, adam);
    return 0;
}

/* The cfg's stopbackward (darknet: the backward pass stops at the layer,
 * so it and the layers below keep their weights): 1 for the whole run, N >
 * 1 for the first N steps (AlexeyAB's, as his GPU build reads it:
 * yolov4-custom.cfg has stopbackward=800). Read always: a bad value is
 * refused whatever the run. */
static int freeze_layers(cfg *c, network *net, const net_opts *o, yerr *err)
{
    for (int i = 0; i < net->n; i++)
        if (cfg_int(c, &c->s[i + 1], "stopbackward", 0, 0, INT_MAX, &net->l[i].stopbackward,
                    err) < 0)
            return -1;
    if (o->freeze > net->n)
        return yerr_set(err, YOLO_EUSAGE, "%s: %d layers to freeze; the network has %d",
                        c->path, o->freeze, net->n);
    net->freeze = o->freeze;
    net_freeze_at(net, 0);
    return 0;
}

void net_freeze_at(network *net, long step)
{
    int upto = net->freeze;
    for (int i = 0; i < net->n; i++) {
        int stop = net->l[i].stopbackward;
        if ((stop == 1 || stop > step) && stop > 0 && i + 1 > upto)
            upto = i + 1;
    }
    net->frozen = net->train ? upto : 0;
    for (int i = 0; i < net->n; i++)
        net->l[i].frozen = i < net->frozen;
}

int net_plan_opts(cfg *c, network *net, const net_opts *o, yerr *err)
{
    memset(net, 0, sizeof *net);
    net->train = o->train;
    net->reuse = o->reuse && !o->train;     /* backward reads every output */
    net->major = 0, net->minor = 2, net->revision = 0, net->seen_bytes = 8;
    net->path = strdup(c->path);
    net->n = c->n - 1;
    if (!net->path || (net->n > 0 && !(net->l = calloc((size_t)net->n, sizeof *net->l)))) {
        net_free(net);
        return yerr_set(err, YOLO_EIO, "out of memory");
    }
    int rc = 0;
    if (net->n == 0)
        rc = yerr_set(err, YOLO_EINPUT, "%s: no layers after [net]", c->path);
    if (rc == 0)
        rc = net_options(c, net, o->w, o->h, o->batch, err);
    if (rc == 0)
        rc = build_layers(c, net, err);
    if (rc == 0)
        rc = freeze_layers(c, net, o, err);
    if (rc == 0)
        totals(net, o->train && o->adam);
    if (rc < 0)
        net_free(net);
    return rc;
}

int net_plan(cfg *c, network *net, int w, int h, int batch, yerr *err)
{
    return net_plan_opts(c, net, &(net_opts){.w = w, .h = h, .batch = batch}, err);
}

int net_load_opts(cfg *c, network *net, const net_opts *o, yerr *err)
{
    if (net_plan_opts(c, net, o, err) < 0)
        return -1;
    if (allocate(net, o->train && o->adam, err) < 0) {
        net_free(net);
        return -1;
    }
    return 0;
}

int net_load_sized(cfg *c, network *net, int w, int h, int batch, yerr *err)
{
    return net_load_opts(c, net, &(net_opts){.w = w, .h = h, .batch = batch}, err);
}

int net_load(cfg *c, network *net, yerr *err) { return net_load_sized(c, net, 0, 0, 0, err); }

void net_set_batch(network *net, int k)
{
    for (int i = 0; i < net->n; i++)
        net->l[i].batch = k;
}

void net_fold_bn(network *net)
{
    for (int i = 0; i < net->n; i++)
        if (net->l[i].type == CFG_CONVOLUTIONAL)
            conv_fold(&net->l[i]);
    net->folded = 1;
}

/* Floats of one layer's transformed weights (training: also those of the
 * input's gradient). */
static size_t wino_layer_floats(const network *net, const layer *l)
{
    return wino_weights_floats(l->n, l->c) * (net->train ? 2 : 1);
}

/* Marks (l->wino_pick) the layers net_winograd gives transformed weights:
 * of those Winograd suits, the largest maps first (their weights are the
 * smallest per unit of work, so they buy the most time per byte: in
 * yolov2-voc the layers above 13x13 hold a tenth of U and give about half
 * of its gain at batch 1), ties in layer order, each that still fits in
 * max_floats. */
static void wino_choose(network *net, size_t max_floats)
{
    wino_conv cv;
    for (int i = 0; i < net->n; i++)          /* 0: undecided, 1: picked, -1: not */
        net->l[i].wino_pick = conv_wino_shape(&net->l[i], &cv) ? 0 : -1;
    size_t left = max_floats;
    for (;;) {
        int best = -1;
        for (int i = 0; i < net->n; i++) {
            const layer *l = &net->l[i];
            if (l->wino_pick == 0 &&
                (best < 0 || (long)l->h * l->w > (long)net->l[best].h * net->l[best].w))
                best = i;
        }
        if (best < 0)
            break;
        size_t need = wino_layer_floats(net, &net->l[best]);
        net->l[best].wino_pick = need <= left ? 1 : -1;
        if (need <= left)
            left -= need;
    }
}

/* The Winograd block's parts for the picked layers: transformed weights,
 * and the workspace the largest layer needs at any batch up to the
 * network's, either way. */
static size_t wino_sizes(const network *net, size_t *weights)
{
    size_t work = 0;
    *weights = 0;
    for (int i = 0; i < net->n; i++) {
        layer l = net->l[i];                  /* a copy: its batch is varied */
        wino_conv cv;
        if (l.wino_pick != 1 || !conv_wino_shape(&l, &cv))
            continue;
        *weights += wino_layer_floats(net, &l);
        for (int b = 1; b <= net->batch; b++) {
            wino_conv back = {.batch = b, .cin = l.n, .kout = l.c, .h = l.h, .w = l.w, .back = 1};
            cv.batch = b;
            size_t need = wino_work_floats(&cv), need_back = wino_work_floats(&back);
            if (need > work)
                work = need;
            if (net->train && need_back > work)
                work = need_back;
        }
    }
    return *weights ? work : 0;
}

size_t net_winograd_floats(network *net, size_t max_floats)
{
    wino_choose(net, max_floats);
    size_t weights, work = wino_sizes(net, &weights);
    return weights + work;
}

void net_winograd_refresh(network *net, int first)
{
    for (int i = first; i < net->n; i++) {
        layer *l = &net->l[i];
        if (l->wino_u)
            wino_transform_weights(l->n, l->c, l->weights, l->wino_u);
        if (l->wino_ub)
            wino_transform_weights_back(l->n, l->c, l->weights, l->wino_ub);
    }
}

long net_winograd(network *net, size_t max_floats, yerr *err)
{
    if (net->wino)
        return (long)net->nwino;
    wino_choose(net, max_floats);
    size_t weights, work = wino_sizes(net, &weights);
    if (!weights)
        return 0;
    net->wino = malloc((weights + work) * sizeof *net->wino);
    if (!net->wino)
        return yerr_set(err, YOLO_EIO, "%s: out of memory for Winograd's weights (%.1f MiB; "
                        "--conv direct needs none)", net->path ? net->path : "network",
                        (weights + work) * 4.0 / 1048576);
    net->nwino = weights + work;
    float *p = net->wino;                  /* [nwino], handed out in order */
    for (int i = 0; i < net->n; i++) {
        layer *l = &net->l[i];
        /* inference: Winograd's output transform adds biases only, so a
         * batch norm must have been folded into them */
        if (l->wino_pick != 1 || (!net->train && l->batch_normalize && !l->folded))
            continue;
        l->wino_u = p;
        p += wino_weights_floats(l->n, l->c);
        if (net->train) {
            l->wino_ub = p;
            p += wino_weights_floats(l->n, l->c);
        }
    }
    net->wino_work = p;
    fault_in(p, work);                     /* contents never read before written */
    net_winograd_refresh(net, 0);
    return (long)net->nwino;
}

/* A copy of l that runs without its activation: the layer functions read
 * l->act, and a copy is cheaper than a flag through every one of them. */
static layer linear_copy(const layer *l)
{
    layer k = *l;
    k.act = ACT_LINEAR;
    return k;
}

/* Training with an activation that needs its input (layer.pre): the layer
 * runs without it, keeps its output in pre, then activates. */
const float *net_forward_layer(network *net, int i, const float *in)
{
    const layer *l = &net->l[i];
    if (!l->pre) {
        ops[l->type].forward(l, net, in);
        return l->out;
    }
    layer k = linear_copy(l);
    size_t n = (size_t)l->batch * l->outputs;
    ops[l->type].forward(&k, net, in);
    memcpy(l->pre, l->out, n * sizeof *l->pre);
    act_apply(l->out, n, l->act);
    return l->out;
}

/* Layers i and i + 1 as one (conv_pool_forward), when the outputs share
 * memory (an inference build: nothing looks at layer i's output but layer
 * i + 1). 1 done, 0 run them one by one. */
static int forward_pair(network *net, int i, const float *in)
{
    if (!net->reuse || net->train || i + 1 >= net->n || net->l[i].last_use != i + 1)
        return 0;
    return conv_pool_forward(&net->l[i], &net->l[i + 1], in) == 0;
}

const float *net_forward(network *net)
{
    const float *in = net->input;          /* [batch, c, h, w] of the layer to run */
    for (int i = 0; i < net->n; i++) {
        if (forward_pair(net, i, in)) {
            in = net->l[++i].out;
            continue;
        }
        in = net_forward_layer(net, i, in);
    }
    return in;
}

void net_zero_deltas(network *net)
{
    for (int i = 0; i < net->n; i++) {
        layer *l = &net->l[i];
        memset(l->delta, 0, (size_t)l->batch * l->outputs * sizeof *l->delta);
    }
}

void net_zero_grads(network *net) { memset(net->grads, 0, net->nparams * sizeof *net->grads); }

/* Frozen layers take no gradient: the pass ends above them, and the first
 * layer it runs hands none down. */
void net_backward(network *net)
{
    for (int i = net->n - 1; i >= net->frozen; i--)
        net_backward_layer(net, i, i > net->frozen ? net->l[i - 1].delta : NULL);
}

void net_backward_layer(network *net, int i, float *din)
{
    const layer *l = &net->l[i];
    const float *in = i ? net->l[i - 1].out : net->input;   /* what forward read */
    if (!l->pre) {
        ops[l->type].backward(l, net, in, din);
        return;
    }
    act_grad_in_span(l->pre, l->delta, (size_t)l->batch * l->outputs, l->act);
    layer k = linear_copy(l);
    ops[l->type].backward(&k, net, in, din);
}

double net_bflops(const network *net)
{
    double sum = 0;
    for (int i = 0; i < net->n; i++)
        sum += net->l[i].bflops;
    return sum;
}

/* The "what" column: filters and window for the layers that have them. */
static void describe(const layer *l, char *buf, size_t n)
{
    switch (l->type) {
    case CFG_CONVOLUTIONAL:
    case CFG_LOCAL:
        snprintf(buf, n, "%5d %2d x%2d /%2d", l->n, l->size, l->size, l->stride);
        break;
    case CFG_MAXPOOL:
        if (l->depth)
            snprintf(buf, n, "      depth");
        else
            snprintf(buf, n, "      %2d x%2d /%2d", l->size, l->size, l->stride);
        break;
    case CFG_REORG:
    case CFG_UPSAMPLE:
        snprintf(buf, n, "            %s%2d", l->reverse ? "/-" : " /", l->stride);
        break;
    case CFG_ROUTE: {
        int k = snprintf(buf, n, " ");
        for (int i = 0; i < l->n && k > 0 && (size_t)k < n; i++)
            k += snprintf(buf + k, n - (size_t)k, " %d", l->from[i]);
        if (l->groups > 1 && k > 0 && (size_t)k < n)     /* group group_id of groups */
            snprintf(buf + k, n - (size_t)k, " (%d/%d)", l->group_id, l->groups);
        break;
    }
    case CFG_SHORTCUT:
        snprintf(buf, n, " %d", l->from[0]);
        break;
    default:
        buf[0] = 0;
    }
}

void net_summary(const network *net, FILE *f)
{
    fprintf(f, "layer     what                     input                output      BFLOPs\n");
    for (int i = 0; i < net->n; i++) {
        const layer *l = &net->l[i];
        char what[64];
        describe(l, what, sizeof what);
        fprintf(f, "%5d %-9s %-16s %4d x%4d x%4d   ->  %4d x%4d x%4d", i, ops[l->type].label,
                what, l->w, l->h, l->c, l->out_w, l->out_h, l->out_c);
        if (l->bflops > 0)
            fprintf(f, "  %6.3f", l->bflops);
        fprintf(f, "\n");
    }
    fprintf(f, "total %.3f BFLOPs, %zu parameters (%zu bytes of weights)\n", net_bflops(net),
            net->nparams, 16 + 4 * net->nparams);
}

/* ---- a new input size ------------------------------------------------------ */

int net_resizable(const network *net, yerr *err)
{
    for (int i = 0; i < net->n; i++) {
        const layer *l = &net->l[i];
        if (l->type == CFG_CONNECTED || l->type == CFG_LOCAL)
            return yerr_set(err, YOLO_EINPUT, "%s:%d: layer %d [%s]: its parameters depend on "
                            "the input size, so the network cannot change size (multi-scale "
                            "needs a fully convolutional network)", net->path, l->line, i,
                            cfg_type_name(l->type));
    }
    return 0;
}

/* What does not depend on the size, from old to new (same parameter layout). */
static void keep_state(network *nn, const network *old)
{
    size_t bytes = old->nparams * sizeof *old->params;
    memcpy(nn->params, old->params, bytes);
    if (old->train) {
        memcpy(nn->grads, old->grads, bytes);
        memcpy(nn->momentum, old->momentum, bytes);
        if (old->moment2)
            memcpy(nn->moment2, old->moment2, bytes);
    }
    for (int i = 0; i < old->n; i++)
        nn->l[i].folded = old->l[i].folded, nn->l[i].frozen = old->l[i].frozen;
    nn->frozen = old->frozen;   /* the step's, not step 0's */
    nn->folded = old->folded;
    nn->rng = old->rng;
    nn->sync = old->sync;
    nn->major = old->major, nn->minor = old->minor, nn->revision = old->revision;
    nn->seen = old->seen, nn->seen_bytes = old->seen_bytes;
}

int net_resize(cfg *c, network *net, int w, int h, yerr *err)
{
    if (net_resizable(net, err) < 0)
        return -1;
    net_opts o = {.w = w, .h = h, .batch = net->batch, .reuse = net->reuse,
                  .train = net->train, .adam = net->moment2 != NULL, .freeze = net->freeze};
    network nn;
    if (net_load_opts(c, &nn, &o, err) < 0)
        return -1;
    int same = nn.n == net->n && nn.nparams == net->nparams;
    for (int i = 0; same && i < nn.n; i++)
        same = nn.l[i].nparams == net->l[i].nparams;
    if (!same) {
        net_free(&nn);
        return yerr_set(err, YOLO_EINPUT, "%s: at %dx%d the network's parameters differ from "
                        "those at %dx%d", net->path, w, h, net->w, net->h);
    }
    keep_state(&nn, net);
    net_free(net);
    *net = nn;
    return 0;
}
