/* darknet-forward's work (include/yolo/run/forward.h): records in batches,
 * inputs made in parallel, one forward pass per batch, heads packed back
 * as `output`. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "yolo/run/forward.h"
#include "yolo/image/recimage.h"
#include "yolo/net/weights.h"

enum { PROB_IMAGE, PROB_SIZE, PROB_DAMAGED, PROB_N };
static const yrep_kind prob_kinds[PROB_N] = {
    [PROB_IMAGE] = {"record not run", "records not run"},
    [PROB_SIZE] = {"image size differs from its record", "image sizes differ from their records"},
    [PROB_DAMAGED] = {"truncated or corrupt image decoded", "truncated or corrupt images decoded"},
};


/* Floats Winograd's transformed weights may take (net_winograd). */
static size_t wino_max(const fwd_config *cf)
{
    return cf->direct ? 0 : cf->wino_mib < 0 ? NET_WINO_ALL : (size_t)cf->wino_mib << 18;
}

/* A backbone: its layers over the seeded ones, images seen from 0 (the
 * schedule starts over). */
static int read_backbone(fwd *f, yerr *err)
{
    int held;
    if (weights_read_partial(&f->net, f->cf.weights_path, &held, err) < 0)
        return -1;
    f->net.seen = 0;
    if (held == f->net.n)
        yrep_note(f->cf.rep, "all %d layers from %s (--partial: images seen start at 0)",
                  held, f->cf.weights_path);
    else
        yrep_note(f->cf.rep, "layers 0..%d from %s, %d..%d initialised (seed %llu)", held - 1,
                  f->cf.weights_path, held, f->net.n - 1, (unsigned long long)f->cf.seed);
    return 0;
}

static int save_params(const fwd *f, yerr *err)
{
    if (!f->cf.has_upto)
        return weights_write(&f->net, f->cf.save_path, err);
    if (f->cf.upto > f->net.n)
        return yerr_set(err, YOLO_EUSAGE, "--upto %d: %s has %d layers", f->cf.upto,
                        f->cf.cfg_path, f->net.n);
    return weights_write_upto(&f->net, f->cf.save_path, f->cf.upto, err);
}

static int load_params(fwd *f, yerr *err)
{
    if (f->cf.random || f->cf.partial)
        weights_random(&f->net, f->cf.seed);
    if (f->cf.partial ? read_backbone(f, err) < 0
                      : !f->cf.random && weights_read(&f->net, f->cf.weights_path, err) < 0)
        return -1;
    if (f->cf.save_path && save_params(f, err) < 0)
        return -1;
    if (!f->cf.train)
        net_fold_bn(&f->net);
    return net_winograd(&f->net, wino_max(&f->cf), err) < 0 ? -1 : 0;
}

static int find_heads(fwd *f, yerr *err)
{
    f->nheads = net_heads(&f->net, f->heads, FWD_MAX_HEADS);
    if (f->nheads < 0)
        return yerr_set(err, YOLO_EINPUT, "%s: more than %d detection heads", f->cf.cfg_path,
                        FWD_MAX_HEADS);
    if (f->nheads == 0)
        return yerr_set(err, YOLO_EINPUT, "%s: no detection head ([region], [yolo] or "
                        "[detection]): nothing to write as output", f->cf.cfg_path);
    return 0;
}

static const batch_ops ops;

int fwd_cfg_resize(cfg *c, int *resize, yerr *err)
{
    int lb;
    if (cfg_int(c, &c->s[0], "letter_box", -1, 0, 1, &lb, err) < 0)
        return -1;
    /* AlexeyAB's detector letterboxes only when letter_box=1; pjreddie's
     * always */
    *resize = lb >= 0 ? !lb : c->ab_line > 0;
    return 0;
}

int fwd_open(fwd *f, const fwd_config *cf, yerr *err)
{
    memset(f, 0, sizeof *f);
    f->cf = *cf;
    net_opts o = {.w = cf->w, .h = cf->h, .batch = cf->batch, .reuse = 1};
    int rc = cfg_load(&f->cfg, cf->cfg_path, err);
    if (rc == 0 && cf->train) {
        f->training = 1;
        rc = train_plan(&f->tr, &f->cfg, cf->train, err);
        o = (net_opts){.w = cf->w, .h = cf->h, .batch = f->tr.minibatch, .train = 1,
                       .adam = f->tr.opt.adam, .freeze = cf->train->freeze};
    }
    if (rc == 0 && f->cf.resize < 0)
        rc = fwd_cfg_resize(&f->cfg, &f->cf.resize, err);
    if (rc == 0 && (rc = net_load_opts(&f->cfg, &f->net, &o, err)) == 0)
        f->loaded = 1;
    if (rc == 0)
        rc = find_heads(f, err);
    if (rc == 0)
        rc = load_params(f, err);
    if (rc == 0 && !(f->x = calloc((size_t)f->net.batch, sizeof *f->x)))
        rc = yerr_set(err, YOLO_EIO, "out of memory");
    if (rc == 0)
        rc = batch_init(&f->b, &(batch_cfg){.cap = f->net.batch, .kinds = prob_kinds,
                        .nkinds = PROB_N, .strict = cf->strict, .ops = &ops, .ctx = f,
                        .rep = cf->rep, .out = cf->out, .stage = cf->stage}, err);
    if (rc == 0 && cf->train)
        rc = train_start(&f->tr, &f->net, f->heads, f->nheads, err);
    if (rc == 0 && cf->train && f->tr.no_state)
        yrep_warn(cf->rep, "%s: no %s.state beside it: resumed at step %ld (images seen / "
                  "batch) without the optimiser's moments or the stream's position",
                  cf->weights_path, cf->weights_path, f->tr.step);
    if (rc == 0 && cf->train)
        train_report_start(&f->tr, cf->rep);
    if (rc < 0)
        fwd_close(f);
    return rc;
}

void fwd_close(fwd *f)
{
    if (f->training)
        train_free(&f->tr);
    batch_free(&f->b);
    free(f->x);
    if (f->loaded)
        net_free(&f->net);
    cfg_free(&f->cfg);
    memset(f, 0, sizeof *f);
}

rec *fwd_next(fwd *f) { return batch_next(&f->b); }

/* ---- reports ----------------------------------------------------------- */

typedef struct unused_list {
    FILE *out;          /* one line each here, or */
    char *buf;          /* [n] the first few, comma-separated */
    size_t n, len;
    int count;
} unused_list;

static void add_unused(void *ctx, const cfg *c, const cfg_section *s, const cfg_kv *kv)
{
    unused_list *u = ctx;
    u->count++;
    if (u->out) {
        fprintf(u->out, "  %s:%d: [%s] %s=%s\n", c->path, kv->line, cfg_type_name(s->type),
                kv->key, kv->val);
        return;
    }
    if (u->len + 1 >= u->n)
        return;
    int k = snprintf(u->buf + u->len, u->n - u->len, "%s[%s] %s", u->len ? ", " : "",
                     cfg_type_name(s->type), kv->key);
    if (k < 0 || (size_t)k >= u->n - u->len)
        u->len = u->n - 1;      /* full: the count still goes on */
    else
        u->len += (size_t)k;
}

/* The summary's line on how images become inputs, and why. */
static int print_resize(cfg *c, int asked, FILE *out, yerr *err)
{
    int resize = asked;
    if (resize < 0 && fwd_cfg_resize(c, &resize, err) < 0)
        return -1;
    fprintf(out, "images: %s, ", resize ? "stretched (--resize)" : "letterboxed (--letterbox)");
    if (asked >= 0)
        fprintf(out, "as asked\n");
    else if (cfg_has(&c->s[0], "letter_box"))
        fprintf(out, "as the cfg's letter_box says\n");
    else if (c->ab_line)
        fprintf(out, "as AlexeyAB's detector does (the cfg is in his dialect from line %d)\n",
                c->ab_line);
    else
        fprintf(out, "as pjreddie's detector does\n");
    return 0;
}

int fwd_summary(const fwd_config *cf, FILE *out, yerr *err)
{
    cfg c;
    network net;
    net_opts o = {.w = cf->w, .h = cf->h, .batch = cf->batch, .reuse = 1};
    if (cfg_load(&c, cf->cfg_path, err) < 0)
        return -1;
    if (net_plan_opts(&c, &net, &o, err) < 0) {
        cfg_free(&c);
        return -1;
    }
    net_summary(&net, out);
    size_t wino = net_winograd_floats(&net, wino_max(cf));
    fprintf(out, "memory: %.1f MiB (parameters %.1f, outputs %.1f, workspace %.1f, Winograd's "
            "weights and workspace %.1f) at batch %d\n", (net.nblock + wino) * 4.0 / 1048576,
            net.nparams * 4.0 / 1048576, net.nouts * 4.0 / 1048576, net.nwork * 4.0 / 1048576,
            wino * 4.0 / 1048576, net.batch);
    if (wino) {
        fprintf(out, "winograd:");
        for (int i = 0; i < net.n; i++)
            if (net.l[i].wino_pick == 1)
                fprintf(out, " %d", i);
        fprintf(out, "\n");
    }
    if (print_resize(&c, cf->resize, out, err) < 0) {
        net_free(&net);
        cfg_free(&c);
        return -1;
    }
    unused_list u = {.out = NULL};
    cfg_unused(&c, add_unused, &u);
    fprintf(out, "cfg keys darknet knows that inference does not use: %d\n", u.count);
    u.out = out;
    cfg_unused(&c, add_unused, &u);
    net_free(&net);
    cfg_free(&c);
    return 0;
}

int fwd_unused(fwd *f, char *buf, size_t n)
{
    unused_list u = {.buf = buf, .n = n};
    if (n)
        buf[0] = 0;
    cfg_unused(&f->cfg, add_unused, &u);
    return u.count;
}

/* ---- making inputs ------------------------------------------------------- */

/* `input` as given: f32 [c, h, w] of the network's size. */
static int take_input(fwd *f, rec *r, float *dst, yerr *err)
{
    const network *net = &f->net;
    tensor_view t;
    if (rec_get_tensor(r, "input", &t, err) < 0)
        return -1;
    if (t.dtype != TENSOR_F32 || t.ndim != 3 || t.shape[0] != net->c || t.shape[1] != net->h ||
        t.shape[2] != net->w) {
        char got[96];
        tensor_shape_str(&t, got, sizeof got);
        return rec_fail(r, err, "input", "expected f32 [%d,%d,%d] (the network's input), got %s %s",
                        net->c, net->h, net->w, tensor_dtype_name(t.dtype), got);
    }
    tensor_copy_f32(&t, dst);
    return 0;
}

/* Decodes `image` and letterboxes (or resizes) it into dst [3, net h, net w];
 * x gets its notes, s its about. Returns BATCH_OK, or BATCH_PROBLEM /
 * BATCH_FATAL with s->err set. */
static int make_input(fwd *f, batch_slot *s, float *dst, fwd_extra *x)
{
    rec *r = &s->r;
    yerr *err = &s->err;
    if (f->net.c != 3) {
        rec_fail(r, err, "image", "the network takes %d channels, images give 3: give 'input'",
                 f->net.c);
        return BATCH_FATAL;
    }
    img out = {0};
    rec_image_fit how = {.w = f->net.w, .h = f->net.h, .letterbox = !f->cf.resize};
    int rc = rec_load_image_fit(r, &how, &out, &x->tf, &x->notes, err);
    s->about = x->notes.about;
    if (rc <= 0)
        return rc < 0 ? BATCH_FATAL : BATCH_PROBLEM;
    memcpy(dst, out.data, (size_t)f->net.inputs * sizeof *dst);
    img_free(&out);
    return BATCH_OK;
}

/* batch_ops.prepare: slot i's input, in place in the network's batch. */
static int prepare(void *ctx, int i, batch_slot *s)
{
    fwd *f = ctx;
    fwd_extra *x = &f->x[i];
    float *dst = f->net.input + (size_t)s->rank * f->net.inputs;   /* [c, h, w] */
    x->made = 0;
    x->notes.size.code = x->notes.damaged.code = 0;
    if (rec_has(&s->r, "input"))
        return take_input(f, &s->r, dst, &s->err) < 0 ? BATCH_FATAL : BATCH_OK;
    if (f->cf.train) {     /* the targets were made for encode-targets' input */
        rec_fail(&s->r, &s->err, "input", "missing: training needs the input encode-targets "
                 "made with the targets");
        return BATCH_FATAL;
    }
    int why = make_input(f, s, dst, x);
    x->made = why == BATCH_OK;
    if (why == BATCH_PROBLEM)
        memset(dst, 0, (size_t)f->net.inputs * sizeof *dst);
    return why;
}

/* ---- output ---------------------------------------------------------------- */


static void pack_int(msgpack_packer *pk, const char *k, int v)
{
    mp_pack_key(pk, k);
    msgpack_pack_int(pk, v);
}

static void pack_floats(msgpack_packer *pk, const char *k, const float *v, int n)
{
    mp_pack_key(pk, k);
    msgpack_pack_array(pk, (size_t)n);
    for (int i = 0; i < n; i++)
        msgpack_pack_float(pk, v[i]);
}

/* The head's raw values for image pos: region/yolo [c, h, w], detection 1-D. */
static int pack_tensor(msgpack_packer *pk, const layer *l, int pos, yerr *err)
{
    tensor_view t = {.dtype = TENSOR_F32};
    int64_t dims[3] = {l->c, l->h, l->w}, flat = l->inputs;
    const char *why;
    int ok = l->type == CFG_DETECTION ? tensor_set_shape(&t, 1, &flat, &why)
                                      : tensor_set_shape(&t, 3, dims, &why);
    if (ok < 0)
        return yerr_set(err, YOLO_EINPUT, "head tensor: %s", why);
    mp_pack_key(pk, "tensor");
    tensor_pack_header(pk, &t);
    msgpack_pack_bin_body(pk, l->out + (size_t)pos * l->outputs, t.nbytes);
    return 0;
}

/* Which of a yolo head's AlexeyAB keys the cfg gives other than their
 * defaults: each one more field of its `output` entry. */
typedef struct ab_keys {
    int sxy, loss, inorm, cnorm, smooth;  /* scale_x_y, iou_loss, iou_normalizer,
                                             cls_normalizer, label_smooth_eps */
} ab_keys;

static int ab_fields(const layer *l, ab_keys *k)
{
    int yolo = l->type == CFG_YOLO;
    k->sxy = yolo && l->scale_xy != 1;
    k->loss = yolo && l->iou_loss[0];
    k->inorm = yolo && l->iou_norm != 1;
    k->cnorm = yolo && l->cls_norm != 1;
    k->smooth = yolo && l->label_smooth != 0;
    return k->sxy + k->loss + k->inorm + k->cnorm + k->smooth;
}

/* One `output` entry: docs/records.md section 5; nine fields for region and
 * yolo heads (and a yolo head's ab_fields), ten for detection. */
static int pack_head(msgpack_packer *pk, const network *net, const layer *l, int pos, yerr *err)
{
    const char *type = l->type == CFG_REGION ? "region" : l->type == CFG_YOLO ? "yolo" : "detection";
    ab_keys k;
    int ab = ab_fields(l, &k);
    msgpack_pack_map(pk, l->type == CFG_DETECTION ? 10 : 9 + ab);
    mp_pack_key(pk, "type");
    msgpack_pack_str_with_body(pk, type, strlen(type));
    if (pack_tensor(pk, l, pos, err) < 0)
        return -1;
    pack_int(pk, "classes", l->classes);
    pack_int(pk, "coords", l->coords);
    pack_int(pk, "num", l->type == CFG_YOLO ? l->total : l->n);
    pack_int(pk, "net_w", net->w);
    pack_int(pk, "net_h", net->h);
    if (l->type == CFG_DETECTION) {
        pack_int(pk, "side", l->side);
        mp_pack_key(pk, "sqrt");
        l->sqrt_wh ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
        mp_pack_key(pk, "softmax");
        l->softmax ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
        return 0;
    }
    pack_floats(pk, "anchors", l->anchors, 2 * (l->type == CFG_YOLO ? l->total : l->n));
    if (l->type == CFG_REGION) {
        mp_pack_key(pk, "softmax");
        l->softmax ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
    } else {
        mp_pack_key(pk, "mask");
        msgpack_pack_array(pk, (size_t)l->n);
        for (int i = 0; i < l->n; i++)
            msgpack_pack_int(pk, l->mask[i]);
    }
    if (k.sxy) {
        mp_pack_key(pk, "scale_x_y");
        msgpack_pack_float(pk, l->scale_xy);
    }
    if (k.loss) {
        mp_pack_key(pk, "iou_loss");
        msgpack_pack_str_with_body(pk, l->iou_loss, strlen(l->iou_loss));
    }
    if (k.inorm) {
        mp_pack_key(pk, "iou_normalizer");
        msgpack_pack_float(pk, l->iou_norm);
    }
    if (k.cnorm) {
        mp_pack_key(pk, "cls_normalizer");
        msgpack_pack_float(pk, l->cls_norm);
    }
    if (k.smooth) {
        mp_pack_key(pk, "label_smooth_eps");
        msgpack_pack_float(pk, l->label_smooth);
    }
    return 0;
}

static int set_output(fwd *f, rec *r, int pos, yerr *err)
{
    msgpack_packer *pk = rec_set_begin(r, "output");
    msgpack_pack_array(pk, (size_t)f->nheads);
    for (int i = 0; i < f->nheads; i++)
        if (pack_head(pk, &f->net, &f->net.l[f->heads[i]], pos, err) < 0)
            break;
    return rec_set_end(r, err);
}

static int set_transform(rec *r, const img_transform *t, yerr *err)
{
    msgpack_packer *pk = rec_set_begin(r, "transform");
    msgpack_pack_map(pk, 6);
    pack_int(pk, "net_w", t->net_w);
    pack_int(pk, "net_h", t->net_h);
    const char *k[4] = {"sx", "sy", "dx", "dy"};
    double v[4] = {t->sx, t->sy, t->dx, t->dy};
    for (int i = 0; i < 4; i++) {
        mp_pack_key(pk, k[i]);
        msgpack_pack_double(pk, v[i]);
    }
    return rec_set_end(r, err);
}

/* ---- the batch ------------------------------------------------------------- */

/* batch_ops.note: a truncated or corrupt image decoded (once per image), and
 * one whose size is not the record's, are warnings. */
static int note(void *ctx, int i, batch_slot *s, const yrep *rep, yrep_problems *p,
                yerr *fatal)
{
    const rec_image_notes *n = &((fwd *)ctx)->x[i].notes;
    if (n->damaged.code && yrep_problem_about(rep, p, PROB_DAMAGED, s->about, "kept",
                                              fatal, "%s", n->damaged.msg) < 0)
        return -1;
    if (n->size.code)
        return yrep_problem(rep, p, PROB_SIZE, "kept", fatal, "%s", n->size.msg);
    return 0;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* batch_ops.middle: the network over the images of the slots before stop. */
static int middle(void *ctx, int stop, yerr *err)
{
    fwd *f = ctx;
    int k = 0;
    for (int i = 0; i < stop; i++)
        k += f->b.s[i].run;
    /* the ranks' batch statistics are summed in every pass: one without an
     * image here would leave the others waiting */
    if (k == 0 && stop > 0 && f->net.sync.sum)
        return yerr_set(err, YOLO_EINPUT, "rank %d: no image in a pass (every record of it has "
                        "`error`; records %ld..%ld): --sync-bn needs one on every rank",
                        f->tr.dist.rank, f->b.s[0].r.index, f->b.s[stop - 1].r.index);
    if (k > 0) {
        net_set_batch(&f->net, k);
        double t0 = now();
        net_forward(&f->net);
        double dt = now() - t0;
        if (f->images == 0)
            f->first_images = k, f->first_seconds = dt;
        f->seconds += dt;
        f->images += k;
    }
    /* training: the records come back while they are being written */
    return f->cf.train && stop > 0 ? train_expect(&f->tr, stop, err) : 0;
}

/* batch_ops.finish: `output`, and `transform` when the input was made here. */
static int finish(void *ctx, int i, batch_slot *s, yerr *err)
{
    fwd *f = ctx;
    if (set_output(f, &s->r, s->rank, err) < 0)
        return -1;
    if (f->cf.train)     /* the loss needs output, target and truth, not the pixels */
        rec_delete(&s->r, "input");
    return f->x[i].made ? set_transform(&s->r, &f->x[i].tf, err) : 0;
}

/* The [h, w] of slot s's `input` when it is an f32 [c, h, w] of the
 * network's channels (anything else is take_input's to report): 1, else 0. */
static int input_size(const fwd *f, batch_slot *s, int *h, int *w)
{
    tensor_view t;
    yerr ignored;
    if (!s->run || !rec_has(&s->r, "input") || rec_get_tensor(&s->r, "input", &t, &ignored) < 0)
        return 0;
    if (t.dtype != TENSOR_F32 || t.ndim != 3 || t.shape[0] != f->net.c || t.shape[1] < 1 ||
        t.shape[2] < 1 || t.shape[1] > FWD_MAX_SIDE || t.shape[2] > FWD_MAX_SIDE)
        return 0;
    *h = (int)t.shape[1], *w = (int)t.shape[2];
    return 1;
}

/* batch_ops.before, training: the network at the size of the pass's inputs
 * (encode-targets --sizes), which must all have one. Inference keeps its
 * size: take_input refuses another. */
static int before(void *ctx, batch_slot *s, int n, yerr *err)
{
    fwd *f = ctx;
    int h = 0, w = 0, first = -1;
    for (int i = 0; f->cf.train && i < n; i++) {
        int ih, iw;
        if (!input_size(f, &s[i], &ih, &iw))
            continue;
        if (first < 0)
            first = i, h = ih, w = iw;
        else if (ih != h || iw != w)
            return rec_fail(&s[i].r, err, "input", "%dx%d, but record %ld of the same pass is "
                            "%dx%d: the records of one pass (batch / subdivisions = %d) must "
                            "have one size, so encode-targets' --size-every must be a multiple "
                            "of %d", iw, ih, s[first].r.index, w, h, f->net.batch, f->net.batch);
    }
    if (first < 0 || (h == f->net.h && w == f->net.w))
        return 0;
    if (net_resize(&f->cfg, &f->net, w, h, err) < 0 ||
        net_winograd(&f->net, wino_max(&f->cf), err) < 0)
        return -1;
    f->net.rng = &f->tr.rng;   /* dropout's stream stays the trainer's */
    return 0;
}

/* batch_ops.after, training: gradients back, backward pass, optimiser. */
static int after(void *ctx, const yrep *rep, int written, yerr *err)
{
    fwd *f = ctx;
    if (!f->cf.train || written == 0)
        return 0;
    double t0 = now();
    int rc = train_step(&f->tr, &f->net, &f->b, rep, err);
    f->seconds += now() - t0;
    return rc;
}

static const batch_ops ops = {prepare, note, middle, finish, after, before};

int fwd_push(fwd *f, yerr *err) { return batch_push(&f->b, err); }

int fwd_flush(fwd *f, yerr *err)
{
    int rc = batch_flush(&f->b, err);
    yrep_summary(f->cf.rep, &f->b.problems);
    if (rc < 0)
        return fwd_failed(f, err);
    if (f->cf.train && train_finish(&f->tr, &f->net, f->cf.rep, err) < 0)
        return -1;
    return rc;
}

/* A stop asked by SIGINT/SIGTERM often reaches the other stages too (Ctrl-C
 * at a shell, a process group's SIGTERM): the loss stage or the input then
 * goes away in the middle of a pass, which fails. That failure is the
 * stop's, not the run's: the pass is dropped (the weights are still the
 * last step's) and the checkpoint written. */
int fwd_failed(fwd *f, yerr *err)
{
    if (!f->cf.train || !train_signalled())
        return -1;
    return train_finish(&f->tr, &f->net, f->cf.rep, err) < 0 ? -1 : 0;
}
