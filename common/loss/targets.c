/* encode-targets' work (include/yolo/loss/targets.h): truth rows, per-head
 * targets (docs/records.md section 5) and the record loop, records in
 * batches made in parallel and written in order. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/data/objects.h"
#include "yolo/image/recimage.h"
#include "yolo/loss/targets.h"
#include "yolo/loss/view.h"

/* ---- truth and targets --------------------------------------------------- */

static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

int tgt_truth(const img_transform *t, box b, int cls, tgt_box *out)
{
    double x1 = t->sx * b.x1 + t->dx, x2 = t->sx * b.x2 + t->dx;   /* network pixels */
    double y1 = t->sy * b.y1 + t->dy, y2 = t->sy * b.y2 + t->dy;
    if (x1 > x2) {   /* a mirror swaps the sides */
        double s = x1;
        x1 = x2, x2 = s;
    }
    if (y1 > y2) {
        double s = y1;
        y1 = y2, y2 = s;
    }
    x1 = clampd(x1, 0, t->net_w), x2 = clampd(x2, 0, t->net_w);
    y1 = clampd(y1, 0, t->net_h), y2 = clampd(y2, 0, t->net_h);
    double w = (x2 - x1) / t->net_w, h = (y2 - y1) / t->net_h;
    if (!(w >= TGT_MIN_SIDE && h >= TGT_MIN_SIDE))
        return 0;
    *out = (tgt_box){(float)((x1 + x2) / 2 / t->net_w), (float)((y1 + y2) / 2 / t->net_h),
                     (float)w, (float)h, cls};
    return 1;
}

size_t tgt_size(const layer *l)
{
    if (l->type == CFG_DETECTION)
        return (size_t)l->side * l->side * (5 + l->classes);
    return (size_t)l->n * (5 + l->classes) * l->h * l->w;
}

/* The cell holding a centre at fraction f of n cells (f = 1 is the last). */
static int cell(float f, int n)
{
    int i = (int)floorf(f * n);
    return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/* Where a target's entries go: entry k at base + k * step. */
typedef struct slot_at {
    float *t;
    size_t base, step;
    int classes;
} slot_at;

/* Writes b at s: the later box takes the place of one already there. */
static void put(slot_at s, int first, const float v[4], int cls, long *lost)
{
    float *t = s.t + s.base;
    if (t[(size_t)first * s.step] != 0)
        (*lost)++;
    for (int k = 0; k < 5 + s.classes; k++)
        t[(size_t)k * s.step] = 0;
    /* detection: [1, box, classes]; region/yolo: [box, 1, classes] */
    int box0 = first == 0 ? 1 : 0;
    for (int k = 0; k < 4; k++)
        t[(size_t)(box0 + k) * s.step] = v[k];
    t[(size_t)first * s.step] = 1;
    t[(size_t)(5 + cls) * s.step] = 1;
}

/* The anchor among anchors[0, n) (w, h pairs) of best shape IoU with w x h;
 * the first one on ties. */
static int best_anchor(const float *anchors, int n, double w, double h)
{
    int best = 0;
    double bi = -1;
    for (int a = 0; a < n; a++) {
        double iou = box_iou_wh(w, h, anchors[2 * a], anchors[2 * a + 1]);
        if (iou > bi)
            bi = iou, best = a;
    }
    return best;
}

/* region/yolo: anchor a of the cell holding b's centre, darknet's layout. */
static slot_at grid_slot(const layer *l, float *t, int a, const tgt_box *b)
{
    size_t hw = (size_t)l->h * l->w;
    size_t base = (size_t)a * (5 + l->classes) * hw + (size_t)cell(b->y, l->h) * l->w +
                  (size_t)cell(b->x, l->w);
    return (slot_at){t, base, hw, l->classes};
}

/* Returns 1 if this head took the box. */
static int encode_box(const network *net, const layer *l, float *t, const tgt_box *b, long *lost)
{
    const float v[4] = {b->x, b->y, b->w, b->h};
    if (l->type == CFG_DETECTION) {
        int S = l->side;
        size_t row = (size_t)cell(b->y, S) * S + (size_t)cell(b->x, S);
        put((slot_at){t, row * (5 + l->classes), 1, l->classes}, 0, v, b->cls, lost);
        return 1;
    }
    if (l->type == CFG_REGION) {   /* anchors in grid cells */
        int a = best_anchor(l->anchors, l->n, (double)b->w * l->w, (double)b->h * l->h);
        put(grid_slot(l, t, a, b), 4, v, b->cls, lost);
        return 1;
    }
    /* yolo: the best of all anchors (network pixels); this head only if its mask has it */
    int best = best_anchor(l->anchors, l->total, (double)b->w * net->w, (double)b->h * net->h);
    for (int a = 0; a < l->n; a++)
        if (l->mask[a] == best) {
            put(grid_slot(l, t, a, b), 4, v, b->cls, lost);
            return 1;
        }
    return 0;
}

void tgt_encode(const network *net, const int *heads, int nheads, const tgt_box *b, int n,
                float **out, tgt_counts *cnt)
{
    for (int i = 0; i < nheads; i++)
        memset(out[i], 0, tgt_size(&net->l[heads[i]]) * sizeof *out[i]);
    for (int j = 0; j < n; j++) {
        int taken = 0;
        for (int i = 0; i < nheads; i++)
            taken += encode_box(net, &net->l[heads[i]], out[i], &b[j], &cnt->lost);
        cnt->unassigned += taken == 0;
    }
}

/* ---- opening: the cfg's heads and settings -------------------------------- */

enum { PROB_RECORD, PROB_DAMAGED, PROB_N };
static const yrep_kind prob_kinds[PROB_N] = {
    [PROB_RECORD] = {"record not encoded", "records not encoded"},
    [PROB_DAMAGED] = {"truncated or corrupt image decoded", "truncated or corrupt images decoded"},
};

static int find_heads(enc *e, yerr *err)
{
    int idx[TGT_MAX_HEADS], n = net_heads(&e->net, idx, TGT_MAX_HEADS);
    if (n < 0)
        return yerr_set(err, YOLO_EINPUT, "%s: more than %d detection heads", e->cf.cfg_path,
                        TGT_MAX_HEADS);
    for (int k = 0; k < n; k++) {
        int i = idx[k];
        const layer *l = &e->net.l[i];
        if (e->nheads > 0 && l->classes != e->classes)
            return cfg_fail(&e->cfg, &e->cfg.s[i + 1], "classes", err, "%d classes, an earlier "
                            "head has %d: one class list per network", l->classes, e->classes);
        if (l->type == CFG_REGION && l->coords != 4)
            return cfg_fail(&e->cfg, &e->cfg.s[i + 1], "coords", err, "targets are written for "
                            "coords=4 only, not %d", l->coords);
        e->classes = l->classes;
        e->heads[e->nheads++] = i;
    }
    if (e->nheads == 0)
        return yerr_set(err, YOLO_EINPUT, "%s: no detection head ([region], [yolo] or "
                        "[detection]): nothing to encode targets for", e->cf.cfg_path);
    return 0;
}

/* darknet's settings: hue, saturation, exposure in [net]; jitter and max in
 * the last head (darknet's detector reads them there; max defaults to 30 for
 * region, 90 for yolo and detection, as darknet's parser has it). Options win. */
static int read_settings(enc *e, yerr *err)
{
    cfg *c = &e->cfg;
    cfg_section *net = &c->s[0], *head = &c->s[e->heads[e->nheads - 1] + 1];
    float hue, sat, expo, jit;
    int max;
    if (cfg_float(c, net, "hue", 0, 0, 0.5f, &hue, err) < 0 ||
        cfg_float(c, net, "saturation", 1, 0.01f, 100, &sat, err) < 0 ||
        cfg_float(c, net, "exposure", 1, 0.01f, 100, &expo, err) < 0 ||
        cfg_float(c, head, "jitter", 0.2f, 0, (float)AUG_MAX_JITTER, &jit, err) < 0 ||
        cfg_int(c, head, "max", e->net.l[e->heads[e->nheads - 1]].type == CFG_REGION ? 30 : 90,
                1, 1000000, &max, err) < 0)
        return -1;
    const enc_config *o = &e->cf;
    aug_config *a = &e->aug;
    *a = aug_defaults();
    a->enabled = !o->no_augment;
    a->resize = o->resize;
    a->flip = !o->no_flip;
    a->hue = o->hue >= 0 ? o->hue : hue;
    a->saturation = o->saturation >= 0 ? o->saturation : sat;
    a->exposure = o->exposure >= 0 ? o->exposure : expo;
    a->jitter = o->jitter >= 0 ? o->jitter : jit;
    if (o->scale_lo > 0)
        a->scale_lo = o->scale_lo, a->scale_hi = o->scale_hi;
    a->affine_scale = o->affine_scale;
    a->affine_translate = o->affine_translate;
    a->degrees = o->degrees;
    e->max_boxes = o->max_boxes > 0 ? o->max_boxes : max;
    return 0;
}

/* ---- multi-scale: --sizes ------------------------------------------------- */

/* With --sizes, each grid head must be the cfg's downsampling of every size
 * (the network's stride divides it); [detection] grids are fixed. */
static int check_grids(const enc *e, const network *sized, yerr *err)
{
    for (int k = 0; k < e->nheads; k++) {
        const layer *base = &e->net.l[e->heads[k]], *l = &sized->l[e->heads[k]];
        if (l->type == CFG_DETECTION)
            return yerr_set(err, YOLO_EINPUT, "%s:%d: a [detection] head's grid (side) does not "
                            "follow the input size: --sizes needs [region] or [yolo] heads",
                            e->cf.cfg_path, l->line);
        int sw = e->net.w / base->w, sh = e->net.h / base->h;   /* the cfg's downsampling */
        if (e->net.w % base->w || e->net.h % base->h || l->w * sw != sized->w ||
            l->h * sh != sized->h)
            return yerr_set(err, YOLO_EUSAGE, "--sizes: at %dx%d the head of layer %d is a "
                            "%dx%d grid; the network downsamples by %dx%d at its %dx%d, which "
                            "must divide every size", sized->w, sized->h, e->heads[k], l->w,
                            l->h, sw, sh, e->net.w, e->net.h);
    }
    return 0;
}

/* Every size of --sizes planned, in order: e->sized[(size - lo) / step];
 * the block length. */
static int plan_sizes(enc *e, yerr *err)
{
    const enc_config *o = &e->cf;
    int n = (o->size_hi - o->size_lo) / ENC_SIZE_STEP + 1, batch;
    if (net_resizable(&e->net, err) < 0 ||
        cfg_int(&e->cfg, &e->cfg.s[0], "batch", 1, 1, 1 << 20, &batch, err) < 0)
        return -1;
    e->every = o->size_every > 0 ? o->size_every : 10L * batch;   /* darknet: 10 steps */
    if (!(e->sized = calloc((size_t)n, sizeof *e->sized)))
        return yerr_set(err, YOLO_EIO, "out of memory");
    for (int k = 0; k < n; k++) {
        int side = o->size_lo + k * ENC_SIZE_STEP;
        if (net_plan(&e->cfg, &e->sized[k], side, side, 1, err) < 0)
            return -1;
        e->nsizes++;
        if (check_grids(e, &e->sized[k], err) < 0)
            return -1;
    }
    return 0;
}

int enc_size(const enc_config *cf, long every, uint64_t number)
{
    yrng g;
    uint64_t n = (uint64_t)((cf->size_hi - cf->size_lo) / ENC_SIZE_STEP + 1);
    aug_record_rng(&g, cf->seed ^ ENC_SIZE_STREAM, number / (uint64_t)every);
    return cf->size_lo + ENC_SIZE_STEP * (int)rng_below(&g, n);
}

/* The network record `number` is made for: planned at its block's size with
 * --sizes, else the one size. */
static const network *enc_net(const enc *e, uint64_t number)
{
    if (e->nsizes == 0)
        return &e->net;
    return &e->sized[(enc_size(&e->cf, e->every, number) - e->cf.size_lo) / ENC_SIZE_STEP];
}

static const batch_ops ops;

int enc_open(enc *e, const enc_config *cf, yerr *err)
{
    memset(e, 0, sizeof *e);
    e->cf = *cf;
    e->skip_left = cf->skip;
    int rc = cfg_load(&e->cfg, cf->cfg_path, err);
    if (rc == 0 && (rc = net_plan(&e->cfg, &e->net, cf->w, cf->h, 1, err)) == 0)
        e->planned = 1;
    if (rc == 0 && e->net.c != 3)
        rc = yerr_set(err, YOLO_EINPUT, "%s: the network takes %d channels; images give 3",
                      cf->cfg_path, e->net.c);
    if (rc == 0)
        rc = find_heads(e, err);
    if (rc == 0)
        rc = read_settings(e, err);
    if (rc == 0 && cf->size_lo > 0)
        rc = plan_sizes(e, err);
    if (rc == 0 && (!(e->cnt = calloc((size_t)cf->batch, sizeof *e->cnt)) ||
                    !(e->slot_held = calloc((size_t)cf->batch, sizeof *e->slot_held))))
        rc = yerr_set(err, YOLO_EIO, "out of memory");
    if (rc == 0)
        rc = batch_init(&e->b, &(batch_cfg){.cap = cf->batch, .kinds = prob_kinds,
                        .nkinds = PROB_N, .strict = cf->strict, .ops = &ops, .ctx = e,
                        .rep = cf->rep, .out = cf->out, .stage = cf->stage}, err);
    if (rc < 0)
        enc_close(e);
    return rc;
}

void enc_close(enc *e)
{
    batch_free(&e->b);
    free(e->cnt);
    free(e->slot_held);
    free(e->pool);
    ybuf_free(&e->store);
    free(e->held);
    for (int i = 0; i < e->nnames; i++)
        free(e->names[i]);
    free(e->names);
    for (int i = 0; i < e->nsizes; i++)
        net_free(&e->sized[i]);
    free(e->sized);
    if (e->planned)
        net_free(&e->net);
    cfg_free(&e->cfg);
    memset(e, 0, sizeof *e);
}

/* Any of --mosaic, --mixup, --affine: records go through view.h. */
static int views_on(const enc_config *cf) { return cf->mosaic > 0 || cf->mixup > 0 || cf->affine; }

rec *enc_next(enc *e)
{
    e->slot_held[e->b.n] = SIZE_MAX;   /* read afresh; enc_replay names its held record */
    return batch_next(&e->b);
}

/* ---- one record ------------------------------------------------------------ */

/* The objects, checked against the network: -1 fatal, 0 absent, 1 read. */
static int get_objects(const enc *e, rec *r, objlist *l, yerr *err)
{
    int rc = rec_get_objects(r, l, err);
    if (rc <= 0)
        return rc;
    for (size_t i = 0; i < l->n; i++) {
        char path[48];
        const yobj *o = &l->v[i];
        snprintf(path, sizeof path, "objects[%zu].class", i);
        if (o->cls < 0 || o->cls >= e->classes)
            return rec_fail(r, err, path, "class %d is out of range: the network has %d classes",
                            o->cls, e->classes);
        snprintf(path, sizeof path, "objects[%zu].bbox", i);
        if (o->bbox.x2 < o->bbox.x1 || o->bbox.y2 < o->bbox.y1)
            return rec_fail(r, err, path, "an inverted box (x2 < x1 or y2 < y1)");
    }
    return 1;
}

/* Decodes slot sl's `image`: BATCH_OK, or BATCH_PROBLEM / BATCH_FATAL with
 * sl->err set; sl->about names the image. A size other than the record's
 * is a problem here: its boxes may be in another frame. A truncated or
 * corrupt image decoded is BATCH_OK with its note in sl->err (free on a
 * slot without a problem), for note() to warn about. */
static int load_image(batch_slot *sl, img *im)
{
    rec_image_notes n;
    int rc = rec_load_image(&sl->r, im, &n, &sl->err);
    sl->about = n.about;
    if (rc <= 0)
        return rc < 0 ? BATCH_FATAL : BATCH_PROBLEM;
    if (n.size.code) {
        sl->err = n.size;
        img_free(im);
        return BATCH_PROBLEM;
    }
    sl->err = n.damaged;
    return BATCH_OK;
}

/* The truth rows of l's boxes under t: kept in order, at most max. */
static int make_truth(const enc *e, const objlist *l, const img_transform *t, tgt_box *b,
                      tgt_counts *cnt)
{
    int n = 0;
    for (size_t i = 0; i < l->n; i++) {
        tgt_box tb;
        if (!tgt_truth(t, l->v[i].bbox, l->v[i].cls, &tb))
            cnt->dropped++;
        else if (n == e->max_boxes)
            cnt->over++;
        else
            b[n++] = tb;
    }
    cnt->boxes += n;
    return n;
}

static void pack_tensor_data(msgpack_packer *pk, const tensor_view *t, const void *data)
{
    tensor_pack_header(pk, t);
    msgpack_pack_bin_body(pk, data, t->nbytes);
}

static int set_f32(rec *r, const char *key, int ndim, const int64_t *dims, const float *v,
                   yerr *err)
{
    tensor_view t = {.dtype = TENSOR_F32};
    const char *why;
    if (tensor_set_shape(&t, ndim, dims, &why) < 0)
        return yerr_set(err, YOLO_EINPUT, "%s: %s", key, why);
    msgpack_packer *pk = rec_set_begin(r, key);
    pack_tensor_data(pk, &t, v);
    return rec_set_end(r, err);
}

static int set_transform(rec *r, const img_transform *t, yerr *err)
{
    msgpack_packer *pk = rec_set_begin(r, "transform");
    msgpack_pack_map(pk, 6);
    const char *k[6] = {"net_w", "net_h", "sx", "sy", "dx", "dy"};
    double v[6] = {t->net_w, t->net_h, t->sx, t->sy, t->dx, t->dy};
    for (int i = 0; i < 6; i++) {
        mp_pack_key(pk, k[i]);
        if (i < 2)
            msgpack_pack_int(pk, (int)v[i]);
        else
            msgpack_pack_double(pk, v[i]);
    }
    return rec_set_end(r, err);
}

static int set_targets(const enc *e, const network *net, rec *r, float **out, yerr *err)
{
    tensor_view t[TGT_MAX_HEADS];   /* shapes first: nothing half-packed on failure */
    for (int i = 0; i < e->nheads; i++) {
        const layer *l = &net->l[e->heads[i]];
        int det = l->type == CFG_DETECTION;
        int64_t dims[3] = {l->n * (5 + l->classes), l->h, l->w};
        if (det)
            dims[0] = (int64_t)l->side * l->side, dims[1] = 5 + l->classes;
        const char *why;
        t[i] = (tensor_view){.dtype = TENSOR_F32};
        if (tensor_set_shape(&t[i], det ? 2 : 3, dims, &why) < 0)
            return yerr_set(err, YOLO_EINPUT, "target: %s", why);
    }
    msgpack_packer *pk = rec_set_begin(r, "target");
    msgpack_pack_array(pk, (size_t)e->nheads);
    for (int i = 0; i < e->nheads; i++)
        pack_tensor_data(pk, &t[i], out[i]);
    return rec_set_end(r, err);
}

/* The keys of one record from its image, transform and truth rows, the
 * targets for net (planned at the input's size). */
static int write_keys(const enc *e, const network *net, rec *r, const img *in,
                      const img_transform *t, const tgt_box *b, int n, tgt_counts *cnt, yerr *err)
{
    float *out[TGT_MAX_HEADS] = {0}, *rows = malloc(((size_t)n * 5 + 1) * sizeof *rows);
    int rc = rows ? 0 : yerr_set(err, YOLO_EIO, "out of memory");
    for (int i = 0; rc == 0 && i < e->nheads; i++)
        if (!(out[i] = malloc(tgt_size(&net->l[e->heads[i]]) * sizeof *out[i])))
            rc = yerr_set(err, YOLO_EIO, "out of memory");
    if (rc == 0) {
        for (int j = 0; j < n; j++) {   /* [n, 5] */
            float row[5] = {b[j].x, b[j].y, b[j].w, b[j].h, (float)b[j].cls};
            memcpy(rows + 5 * j, row, sizeof row);
        }
        long lost0 = cnt->lost, un0 = cnt->unassigned;
        tgt_encode(net, e->heads, e->nheads, b, n, out, cnt);
        int64_t idims[3] = {3, in->h, in->w}, tdims[2] = {n, 5};
        long lost = cnt->lost - lost0 + cnt->unassigned - un0;
        rc = set_f32(r, "input", 3, idims, in->data, err);
        if (rc == 0)
            rc = set_transform(r, t, err);
        if (rc == 0)
            rc = set_f32(r, "truth", 2, tdims, rows, err);
        if (rc == 0)
            rc = set_targets(e, net, r, out, err);
        if (rc == 0 && lost > 0)
            rc = rec_set_i64(r, "targets_lost", lost, err);
    }
    for (int i = 0; i < e->nheads; i++)
        free(out[i]);
    free(rows);
    return rc;
}

/* The record's own objects into *l: BATCH_OK, or BATCH_PROBLEM / BATCH_FATAL
 * with sl->err set. */
static int own_objects(const enc *e, batch_slot *sl, objlist *l)
{
    int rc = get_objects(e, &sl->r, l, &sl->err);
    if (rc < 0)
        return BATCH_FATAL;
    if (rc == 0) {
        rec_fail(&sl->r, &sl->err, "objects", "the record has no 'objects' (not annotated)");
        return BATCH_PROBLEM;
    }
    return BATCH_OK;
}

/* Everything for one record made as darknet makes it; runs in parallel,
 * touching only its slot. */
static int encode_plain(const enc *e, batch_slot *sl, tgt_counts *cnt)
{
    const network *net = enc_net(e, sl->number);
    objlist l = {0};
    img im = {0}, in = {0};
    img_transform t;
    tgt_box *b = NULL;
    int why = own_objects(e, sl, &l);
    if (why == BATCH_OK)
        why = load_image(sl, &im);
    if (why == BATCH_OK) {
        yrng rng;
        aug_record_rng(&rng, e->cf.seed, sl->number);
        if (aug_image(&e->aug, &im, net->w, net->h, &rng, &in, &t, &sl->err) < 0)
            why = BATCH_FATAL;   /* out of memory: nothing to do with this record */
    }
    if (why == BATCH_OK && !(b = malloc((l.n + 1) * sizeof *b)))
        why = BATCH_FATAL, yerr_set(&sl->err, YOLO_EIO, "out of memory");
    if (why == BATCH_OK) {
        int n = make_truth(e, &l, &t, b, cnt);
        if (write_keys(e, net, &sl->r, &in, &t, b, n, cnt, &sl->err) < 0)
            why = BATCH_FATAL;
    }
    free(b);
    img_free(&in);
    img_free(&im);
    objlist_free(&l);
    return why;
}

/* ---- one record under --mosaic, --mixup, --affine (yolo/loss/view.h) ---------- */

/* Held records read back one at a time, in a slot's own thread. */
typedef struct held_reader {
    rec_reader *rd;           /* made at the first read */
    rec r;                    /* the record read last */
} held_reader;

/* Held record h read into hr->r from e->store (which does not move while the
 * records are replayed), named as it was read. */
static int read_held(const enc *e, size_t h, held_reader *hr, yerr *err)
{
    const enc_held *held = &e->held[h];
    const uint8_t *p = (const uint8_t *)e->store.p + held->off;
    if (!hr->rd && !(hr->rd = rec_reader_new_mem(p, held->len, "held", err)))
        return -1;
    rec_reader_reset_mem(hr->rd, p, held->len);
    int rc = rec_read(hr->rd, &hr->r, err);
    if (rc != 1)
        return rc == 0 ? yerr_set(err, YOLO_EIO, "a held record vanished") : -1;
    hr->r.src = e->names[held->src];
    hr->r.index = held->index;
    return 0;
}

/* Pool record s decoded and placed wherever the view uses it. Its image
 * missing, unreadable or of another size than the record says: counted,
 * its quadrants left grey (its own record reports it when its turn comes).
 * Bad input in it (a class out of range, an `image` that is not a str)
 * stops the run, named. */
static int place_partner(const enc *e, size_t s, view *v, held_reader *hr, tgt_counts *cnt,
                         yerr *err)
{
    objlist l = {0};
    img im = {0};
    rec_image_notes notes;
    yerr not_read;
    int rc = read_held(e, e->pool[s], hr, err);
    if (rc == 0 && (rc = get_objects(e, &hr->r, &l, err)) >= 0) {
        rc = rec_load_image(&hr->r, &im, &notes, &not_read);
        if (rc < 0)
            *err = not_read;
        else if (rc == 0 || notes.size.code)
            cnt->unread++, rc = 0;
        else
            rc = view_place(v, s, &im, &l, err);
    }
    img_free(&im);
    objlist_free(&l);
    return rc < 0 ? -1 : 0;
}

static int seen(const size_t *v, int n, size_t s)
{
    for (int i = 0; i < n; i++)
        if (v[i] == s)
            return 1;
    return 0;
}

/* Every pool record the plan names, each decoded once, in order of first use. */
static int place_partners(const enc *e, const view_plan *p, view *v, tgt_counts *cnt, yerr *err)
{
    size_t done[8];
    int ndone = 0, rc = 0;
    held_reader hr = {0};
    rec_init(&hr.r);
    for (int i = 0; rc == 0 && i < p->npic; i++)
        for (int q = 0; rc == 0 && q < (p->pic[i].mosaic ? 4 : 1); q++) {
            size_t s = p->pic[i].src[q];
            if (s == VIEW_OWN || seen(done, ndone, s))
                continue;
            done[ndone++] = s;
            rc = place_partner(e, s, v, &hr, cnt, err);
        }
    rec_reader_free(hr.rd);
    rec_free(&hr.r);
    return rc;
}

/* Pool entries that are the record itself (held record self) become
 * VIEW_OWN: its image is decoded once. */
static void own_sources(const enc *e, size_t self, view_plan *p)
{
    for (int i = 0; i < p->npic; i++)
        for (int q = 0; q < (p->pic[i].mosaic ? 4 : 1); q++)
            if (p->pic[i].src[q] != VIEW_OWN && e->pool[p->pic[i].src[q]] == self)
                p->pic[i].src[q] = VIEW_OWN;
}

/* `augment` (docs/records.md): what view.h did to the record's picture;
 * nothing when it is the plain one. */
static int set_augment(rec *r, const view_plan *p, const view_out *o, yerr *err)
{
    const view_pic *a = &p->pic[0];
    int n = a->mosaic + a->affine + o->blended;
    if (n == 0)
        return 0;
    msgpack_packer *pk = rec_set_begin(r, "augment");
    msgpack_pack_map(pk, (size_t)n);
    if (a->mosaic) {
        const char *k[3] = {"x", "y", "own"};
        int v[3] = {a->m.cx, a->m.cy, a->m.own};
        mp_pack_key(pk, "mosaic");
        msgpack_pack_map(pk, 3);
        for (int i = 0; i < 3; i++) {
            mp_pack_key(pk, k[i]);
            msgpack_pack_int(pk, v[i]);
        }
    }
    if (a->affine) {
        mp_pack_key(pk, "affine");
        msgpack_pack_array(pk, 6);
        for (int i = 0; i < 6; i++)
            msgpack_pack_double(pk, a->A.m[i]);
    }
    if (o->blended) {
        mp_pack_key(pk, "mixup");
        msgpack_pack_double(pk, p->weight);
    }
    return rec_set_end(r, err);
}

/* Everything for one record through view.h; runs in parallel, touching
 * only its slot. self: its held record (SIZE_MAX: not held). */
static int encode_view(const enc *e, size_t self, batch_slot *sl, tgt_counts *cnt)
{
    const network *net = enc_net(e, sl->number);
    const view_draw d = {&e->aug, {e->cf.mosaic, e->cf.mixup, e->cf.affine}, e->cf.seed,
                         sl->number, e->npool, net->w, net->h};
    objlist l = {0};
    img im = {0};
    view_plan p;
    view v = {0};
    view_out o = {0};
    int why = own_objects(e, sl, &l);
    if (why == BATCH_OK)
        why = load_image(sl, &im);
    if (why == BATCH_OK) {
        view_plan_draw(&d, &p);
        own_sources(e, self, &p);
        if (view_begin(&v, &p, net->w, net->h, &sl->err) < 0 ||
            view_place(&v, VIEW_OWN, &im, &l, &sl->err) < 0)
            why = BATCH_FATAL;
    }
    img_free(&im);   /* one decoded image at a time */
    if (why == BATCH_OK && (place_partners(e, &p, &v, cnt, &sl->err) < 0 ||
                            view_finish(&v, e->max_boxes, &o, cnt, &sl->err) < 0 ||
                            write_keys(e, net, &sl->r, &o.im, &o.t, o.b, o.n, cnt, &sl->err) < 0 ||
                            set_augment(&sl->r, &p, &o, &sl->err) < 0))
        why = BATCH_FATAL;
    view_free(&v);
    img_free(&o.im);
    free(o.b);
    objlist_free(&l);
    return why;
}

/* ---- the batch --------------------------------------------------------------- */

static void add_counts(tgt_counts *to, const tgt_counts *c)
{
    to->boxes += c->boxes, to->lost += c->lost, to->unassigned += c->unassigned;
    to->dropped += c->dropped, to->over += c->over;
    to->remnants += c->remnants, to->unread += c->unread;
}

/* batch_ops.prepare: the record's keys are all made here, in parallel. */
static int prepare(void *ctx, int i, batch_slot *s)
{
    enc *e = ctx;
    e->cnt[i] = (tgt_counts){0};
    s->err.code = 0;
    if (views_on(&e->cf))
        return encode_view(e, e->slot_held[i], s, &e->cnt[i]);
    return encode_plain(e, s, &e->cnt[i]);
}

/* batch_ops.note: the slot's counts into the run's, in order, and a
 * truncated or corrupt image decoded (load_image's note): warned about once
 * per image, not once per epoch. */
static int note(void *ctx, int i, batch_slot *s, const yrep *rep, yrep_problems *p,
                yerr *fatal)
{
    enc *e = ctx;
    add_counts(&e->total, &e->cnt[i]);
    if (s->err.code)
        return yrep_problem_about(rep, p, PROB_DAMAGED, s->about, "kept", fatal, "%s",
                                  s->err.msg);
    return 0;
}

/* batch_ops.finish: nothing left to set. */
static int finish(void *ctx, int i, batch_slot *s, yerr *err)
{
    (void)ctx, (void)i, (void)s, (void)err;
    return 0;
}

static const batch_ops ops = {prepare, note, NULL, finish, NULL, NULL};

int enc_push(enc *e, yerr *err)
{
    if (e->skip_left > 0) {   /* left out, but numbered: augmentation and sizes stay */
        e->skip_left--;
        e->b.count++;
        return 0;
    }
    return batch_push(&e->b, err);
}

static void summary(enc *e)
{
    const tgt_counts *t = &e->total;
    yrep_warn(e->cf.rep, "%ld truth boxes; %ld lost to a later box on the same cell and anchor, "
              "%ld with their best anchor in no head, %ld dropped outside the frame, %ld over "
              "--max-boxes %d", t->boxes, t->lost, t->unassigned, t->dropped, t->over,
              e->max_boxes);
    if (views_on(&e->cf))
        yrep_warn(e->cf.rep, "--mosaic, --mixup, --affine: %ld boxes cut to remnants dropped "
                  "(under %g pixels wide or high, or under %g of their area); %ld partner "
                  "images unreadable, their quadrants grey or not blended", t->remnants,
                  VIEW_KEEP_PX, VIEW_KEEP_AREA, t->unread);
}

int enc_flush(enc *e, yerr *err)
{
    int rc = batch_flush(&e->b, err);
    if (rc == 0)
        summary(e);
    yrep_summary(e->cf.rep, &e->b.problems);
    return rc;
}

/* ---- epochs and shuffling ------------------------------------------------------ */

/* The index in e->names of src, added if it is not the last one. */
static int name_id(enc *e, const char *src, yerr *err)
{
    if (e->nnames > 0 && strcmp(e->names[e->nnames - 1], src) == 0)
        return e->nnames - 1;
    char **v = realloc(e->names, (size_t)(e->nnames + 1) * sizeof *v);
    if (!v)
        return yerr_set(err, YOLO_EIO, "out of memory holding records");
    e->names = v;
    if (!(v[e->nnames] = strdup(src)))
        return yerr_set(err, YOLO_EIO, "out of memory holding records");
    return e->nnames++;
}

int enc_hold(enc *e, yerr *err)
{
    const rec *r = batch_next(&e->b);
    int src = name_id(e, r->src, err);
    if (src < 0)
        return -1;
    int usable = !rec_has(r, "error") && rec_has(r, "objects");   /* a partner for view.h */
    if (yvec_fit((void **)&e->held, &e->capheld, e->nheld + 1, sizeof *e->held) < 0 ||
        (usable && yvec_fit((void **)&e->pool, &e->cappool, e->npool + 1, sizeof *e->pool) < 0) ||
        ybuf_put(&e->store, r->raw, r->raw_len) < 0)
        return yerr_set(err, YOLO_EIO, "%s: record %ld: out of memory holding records (%zu held, "
                        "%zu bytes)", r->src, r->index, e->nheld, e->store.len);
    if (usable)
        e->pool[e->npool++] = e->nheld;
    e->held[e->nheld++] = (enc_held){e->store.len - r->raw_len, r->raw_len, r->index, src};
    return 0;
}

/* The order of one epoch: the input's, or a permutation drawn from the seed
 * and the epoch (Fisher-Yates). */
static void epoch_order(const enc *e, int epoch, size_t *order)
{
    for (size_t i = 0; i < e->nheld; i++)
        order[i] = i;
    if (!e->cf.shuffle)
        return;
    yrng g;
    aug_record_rng(&g, ~e->cf.seed, (uint64_t)epoch);   /* apart from the records' streams */
    for (size_t i = e->nheld; i > 1; i--) {
        size_t j = (size_t)rng_below(&g, i), t = order[i - 1];
        order[i - 1] = order[j], order[j] = t;
    }
}

int enc_replay(enc *e, yerr *err)
{
    size_t *order = malloc((e->nheld + 1) * sizeof *order);
    rec_reader *rd = order ? rec_reader_new_mem(e->store.p, 0, "held", err) : NULL;
    int rc = rd ? 0 : order ? -1 : yerr_set(err, YOLO_EIO, "out of memory");
    for (int ep = 0; rc == 0 && ep < e->cf.epochs; ep++) {
        epoch_order(e, ep, order);
        for (size_t i = 0; rc == 0 && i < e->nheld; i++) {
            const enc_held *h = &e->held[order[i]];
            rec *r = enc_next(e);
            e->slot_held[e->b.n] = order[i];
            rec_reader_reset_mem(rd, e->store.p + h->off, h->len);
            if ((rc = rec_read(rd, r, err)) != 1) {
                rc = rc == 0 ? yerr_set(err, YOLO_EIO, "a held record vanished") : -1;
                break;
            }
            r->src = e->names[h->src];   /* messages name the record as read */
            r->index = h->index;
            rc = enc_push(e, err);
        }
    }
    rec_reader_free(rd);
    free(order);
    return rc;
}
